//! `nnlab bench`: epoch times of the homework's four workloads on the CPU backend, beside
//! PyTorch's when given.

use std::collections::HashMap;
use std::path::Path;

use serde_json::json;

use nnlab::bench;
use nnlab::train::native::{NativeDriver, block_on};

use crate::{CliError, Format, device};

/// "model name, N cores" from /proc/cpuinfo, for the record of where a benchmark ran.
fn machine() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = info
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("unknown CPU".to_string(), |s| s.trim().to_string());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} cores, {} {}", std::env::consts::OS, std::env::consts::ARCH)
}

/// PyTorch's seconds per epoch by workload id, from `scripts/pytorch-bench.py`'s output.
fn pytorch_reference(path: &Path) -> Result<HashMap<String, f64>, CliError> {
    let text = std::fs::read_to_string(path).map_err(CliError::io(path))?;
    let mut figures = HashMap::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).map_err(|source| CliError::ReferenceLine {
            path: path.into(),
            line: n + 1,
            source,
        })?;
        match (v["workload"].as_str(), v["pytorch_epoch_s"].as_f64()) {
            (Some(id), Some(s)) => figures.insert(id.to_string(), s),
            _ => return Err(CliError::ReferenceFields { path: path.into(), line: n + 1 }),
        };
    }
    Ok(figures)
}

/// Times the workloads `ids` and prints one row (or JSON line) per workload.
pub fn run_bench(
    format: Format,
    ids: &[String],
    repeats: usize,
    reference_file: Option<&Path>,
) -> Result<(), CliError> {
    let reference = reference_file.map(pytorch_reference).transpose()?.unwrap_or_default();
    let device = device();
    let machine = machine();
    let backend = crate::device_name();
    let all = bench::workloads();
    let chosen: Vec<_> = all.iter().filter(|w| ids.iter().any(|id| id.eq_ignore_ascii_case(w.id))).collect();
    if chosen.is_empty() {
        return Err(CliError::NoWorkload(ids.to_vec()));
    }
    if format == Format::Table {
        outln!("{backend} on {machine}; median of {repeats} epochs after one warm-up");
        outln!(
            "{:<4} {:<28} {:>8} {:>6} {:>10} {:>12} {:>12} {:>9}",
            "",
            "model",
            "examples",
            "batch",
            "epoch s",
            "examples/s",
            "PyTorch s*",
            "nnlab/PT"
        );
    }
    for w in chosen {
        let r = block_on(bench::run_workload(w, repeats.max(1), &device, &mut NativeDriver::default()))?;
        match format {
            Format::Json => {
                let mut v = serde_json::to_value(&r).expect("bench results serialise");
                v["backend"] = json!(backend);
                v["machine"] = json!(machine);
                if let Some(t) = reference.get(&r.workload) {
                    v["pytorch_reference_epoch_s"] = json!(t);
                }
                outln!("{v}");
            }
            Format::Table => {
                let (torch, ratio) = match reference.get(&r.workload).copied() {
                    Some(t) => (format!("{t:.3}"), format!("{:.2}x", r.epoch_s / t)),
                    None => ("-".into(), "-".into()),
                };
                outln!(
                    "{:<4} {:<28} {:>8} {:>6} {:>10.3} {:>12.0} {:>12} {:>9}",
                    r.workload,
                    r.model,
                    r.examples,
                    r.batch_size,
                    r.epoch_s,
                    r.examples_per_s,
                    torch,
                    ratio
                );
            }
        }
    }
    if format == Format::Table {
        match reference_file {
            None => outln!("* no PyTorch reference given (--reference FILE, from scripts/pytorch-bench.py)"),
            Some(file) => outln!(
                "* reference, not nnlab: PyTorch with one thread on the same workloads, read from {} (scripts/pytorch-bench.py); nnlab/PT = nnlab's epoch / PyTorch's, lower is faster",
                file.display()
            ),
        }
    }
    Ok(())
}
