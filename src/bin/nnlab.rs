//! `nnlab`: the labs headless, the model tables and the benchmarks, on burn's CPU backend.

use burn::prelude::*;
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::process::ExitCode;

use nnlab::analysis;
use nnlab::bench;
use nnlab::config::SynthLab;
use nnlab::labs::synth::{run_synth, shift_sweep};
use nnlab::metrics::format_duration;
use nnlab::model::{Init, NetConfig};
use nnlab::protocol::Kernels;
use nnlab::train::Event;
use nnlab::train::native::{NativeDriver, block_on};

/// `println!` that ends the program quietly when stdout is a closed pipe (`nnlab ... | head`).
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
            panic!("writing to stdout failed: {e}");
        }
    }};
}

#[derive(Parser)]
#[command(name = "nnlab", version, about = "Learn how neural networks train: the course's labs, headless")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a lab headless and print its per-epoch records.
    Run {
        #[command(subcommand)]
        lab: Lab,
    },
    /// Every model of the homework: per-layer output shapes and parameter counts.
    Models {
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Epoch times of the homework's four workloads on the CPU backend.
    Bench {
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Which workloads, e.g. W1,W4.
        #[arg(long, value_delimiter = ',', default_value = "W1,W2,W3,W4")]
        workloads: Vec<String>,
        /// Timed epochs per workload, after one warm-up epoch.
        #[arg(long, default_value_t = 3)]
        repeats: usize,
    },
}

#[derive(Subcommand)]
enum Lab {
    /// HOMEWORK section 6: the Synth CNN on synthetic edges (defaults: the homework's).
    Synth {
        #[arg(long)]
        epochs: Option<usize>,
        /// Seeds the initial weights and the shuffles.
        #[arg(long)]
        seed: Option<u64>,
        #[arg(long)]
        lr: Option<f64>,
        #[arg(long)]
        batch_size: Option<usize>,
        #[arg(long)]
        train_size: Option<usize>,
        #[arg(long)]
        valid_size: Option<usize>,
        /// Seeds the image generator.
        #[arg(long)]
        data_seed: Option<u64>,
        /// Stop when the validation loss improves by less than this.
        #[arg(long)]
        stop_thr: Option<f64>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Table,
    Json,
}

fn main() -> ExitCode {
    nnlab::train::native::keep_freed_memory();
    let result = match Cli::parse().command {
        Command::Run { lab } => run_lab(lab),
        Command::Models { format } => models(format),
        Command::Bench { format, workloads, repeats } => run_bench(format, &workloads, repeats),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("nnlab: {message}");
            ExitCode::FAILURE
        }
    }
}

fn device() -> Device {
    Device::flex().autodiff()
}

fn run_lab(lab: Lab) -> Result<(), String> {
    let Lab::Synth { epochs, seed, lr, batch_size, train_size, valid_size, data_seed, stop_thr, format } = lab;
    let mut config = SynthLab::homework();
    let t = &mut config.train;
    t.epochs = epochs.unwrap_or(t.epochs);
    t.seed = seed.unwrap_or(t.seed);
    t.lr = lr.unwrap_or(t.lr);
    t.batch_size = batch_size.unwrap_or(t.batch_size);
    t.stop_thr = stop_thr.or(t.stop_thr);
    config.train_size = train_size.unwrap_or(config.train_size);
    config.valid_size = valid_size.unwrap_or(config.valid_size);
    config.data_seed = data_seed.unwrap_or(config.data_seed);
    config.validate().map_err(|e| e.to_string())?;

    let bar = ProgressBar::new(config.train.epochs as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:30}] epoch {pos}/{len}, {eta} left")
            .expect("the progress template is valid")
            .progress_chars("=> "),
    );
    if format == Format::Table {
        bar.println(format!(
            "Synth CNN, {} training / {} validation images, SGD lr {}, batch {}, up to {} epochs, seed {}",
            config.train_size,
            config.valid_size,
            config.train.lr,
            config.train.batch_size,
            config.train.epochs,
            config.train.seed
        ));
        bar.println(format!(
            "{:>5} {:>10} {:>9} {:>10} {:>9} {:>8}",
            "epoch", "train loss", "train acc", "valid loss", "valid acc", "seconds"
        ));
    }
    let device = device();
    let mut last_kernels: Option<Kernels> = None;
    let (net, record) = block_on(run_synth(&config, &device, &mut NativeDriver::default(), &mut |event| match event {
        Event::Progress { batch, batches, .. } => bar.set_message(format!("{batch}/{batches}")),
        Event::Epoch { record: r, kernels } => {
            bar.inc(1);
            last_kernels = kernels;
            match format {
                Format::Json => outln!(
                    "{}",
                    json!({"epoch": r.epoch, "train_loss": r.train_loss, "train_acc": r.train_acc,
                           "valid_loss": r.valid_loss, "valid_acc": r.valid_acc, "seconds": r.seconds})
                ),
                Format::Table => bar.println(format!(
                    "{:>5} {:>10.4} {:>8.1}% {:>10.4} {:>8.1}% {:>8.2}",
                    r.epoch,
                    r.train_loss,
                    r.train_acc,
                    r.valid_loss.unwrap_or(f64::NAN),
                    r.valid_acc.unwrap_or(f64::NAN),
                    r.seconds
                )),
            }
        }
    }))
    .map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    let sweep = block_on(shift_sweep(&net, &device)).map_err(|e| e.to_string())?;
    let kernels_answer = last_kernels.as_ref().map(analysis::kernels_answer).unwrap_or_default();
    let shift_answer = analysis::shift_answer(&sweep);
    let s = &record.summary;
    let last = record.epochs.last();
    match format {
        Format::Json => outln!(
            "{}",
            json!({"done": true, "epochs_trained": s.epochs_trained, "stop": s.stop.describe(),
                   "train_seconds": s.train_seconds, "parameters": s.parameters,
                   "final_train_acc": last.map(|r| r.train_acc), "final_valid_acc": last.and_then(|r| r.valid_acc),
                   "kernels": last_kernels, "kernels_answer": kernels_answer, "shift_answer": shift_answer})
        ),
        Format::Table => {
            outln!(
                "\n{} epochs in {} ({}); {} parameters.",
                s.epochs_trained,
                format_duration(s.train_seconds),
                s.stop.describe(),
                s.parameters
            );
            outln!("Training: {}", analysis::training_answer(&record.epochs));
            outln!("Kernels: {kernels_answer}");
            outln!("Shift invariance: {shift_answer}");
        }
    }
    Ok(())
}

fn models(format: Format) -> Result<(), String> {
    let device = Device::flex();
    for config in [NetConfig::mnist_mlp(), NetConfig::dog_mlp(), NetConfig::dog_cnn(5, 1), NetConfig::synth_cnn()] {
        let net = config.init(Init::PyTorch { seed: 0 }, &device)?;
        let table = net.layer_table(config.input, &device);
        let weights: usize = table.iter().map(|r| r.weights).sum();
        let biases: usize = table.iter().map(|r| r.biases).sum();
        let params = burn::module::Module::num_params(&net);
        match format {
            Format::Json => outln!(
                "{}",
                json!({"model": config.name, "input": config.input, "layers": table,
                       "weights": weights, "biases": biases, "parameters": params})
            ),
            Format::Table => {
                let [h, w, c] = config.input;
                outln!("{} (input {h}x{w}x{c})", config.name);
                outln!("  {:<20} {:>18} {:>10} {:>8}", "layer", "output shape", "weights", "biases");
                for row in &table {
                    outln!(
                        "  {:<20} {:>18} {:>10} {:>8}",
                        row.layer,
                        format!("{:?}", row.output_shape),
                        row.weights,
                        row.biases
                    );
                }
                outln!("  {:<20} {:>18} {:>10} {:>8}   parameters: {params}\n", "total", "", weights, biases);
            }
        }
    }
    Ok(())
}

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

fn run_bench(format: Format, ids: &[String], repeats: usize) -> Result<(), String> {
    let device = device();
    let machine = machine();
    let backend = "burn flex (CPU, native, single-threaded)";
    let all = bench::workloads();
    let chosen: Vec<_> = all.iter().filter(|w| ids.iter().any(|id| id.eq_ignore_ascii_case(w.id))).collect();
    if chosen.is_empty() {
        return Err(format!("no workload matches {ids:?}; choose from W1, W2, W3, W4"));
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
            "ratio"
        );
    }
    for w in chosen {
        let r = block_on(bench::run_workload(w, repeats.max(1), &device, &mut NativeDriver::default()))
            .map_err(|e| e.to_string())?;
        match format {
            Format::Json => {
                let mut v = serde_json::to_value(&r).expect("bench results serialise");
                v["backend"] = json!(backend);
                v["machine"] = json!(machine);
                outln!("{v}");
            }
            Format::Table => {
                let (torch, ratio) = match r.pytorch_epoch_s {
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
        outln!(
            "* PyTorch 2.15, 1 thread, same workload on this project's build machines (reference, not measured by this run); ratio = nnlab / PyTorch, lower is faster."
        );
    }
    Ok(())
}
