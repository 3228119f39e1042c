//! `nnlab`: the labs headless, the model tables and the benchmarks, on burn's CPU backend (or,
//! built with the `wgpu` feature, on a GPU through burn's wgpu backend: `--backend wgpu`).
//! This file holds the command line (clap) and the dispatch; each command is a module.

use burn::prelude::*;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

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

mod adversarial;
mod benchmark;
mod data;
mod data_dir;
mod error;
mod labs;
mod models;
mod run;
mod settings;

use error::CliError;
use settings::Settings;

#[derive(Parser)]
#[command(name = "nnlab", version, about = "Learn how neural networks train: the course's labs, headless")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// The compute backend: burn's CPU backend, or a GPU through burn's wgpu backend
    /// (Vulkan, Metal or DX12, with kernel fusion; needs a build with `--features wgpu`).
    #[arg(long, global = true, value_enum, default_value = "cpu")]
    backend: Backend,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backend {
    Cpu,
    Wgpu,
}

#[derive(Subcommand)]
enum Command {
    /// Train a lab headless and print its per-epoch records.
    Run {
        #[command(subcommand)]
        lab: Lab,
    },
    /// The labs as the page lists them: each one's link fragment, homework section and
    /// settings (share key and `run` flag).
    Labs {
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
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
        #[command(flatten)]
        settings: Settings<settings::Mnist>,
        /// Folder with manifest.json and the shards.
        #[arg(long, default_value = "data")]
        data: PathBuf,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// HOMEWORK sections 3 and 5: the DogSet's fully connected or convolutional network, with
    /// early stopping (on the stand-in unless data/ has a DogSet). An early-stop threshold of
    /// 0 never stops early.
    Dogs {
        /// Train the convolutional network (default: the fully connected one, which ignores
        /// the conv flags).
        #[arg(long)]
        cnn: bool,
        #[command(flatten)]
        settings: Settings<settings::Dogs>,
        /// Use the Fashion-MNIST stand-in even when data/ has a DogSet.
        #[arg(long)]
        stand_in: bool,
        #[arg(long, default_value = "data")]
        data: PathBuf,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// HOMEWORK section 6: the Synth CNN on synthetic edges.
    Synth {
        #[command(flatten)]
        settings: Settings<settings::Synth>,
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
    let cli = Cli::parse();
    if let Err(error) = open_device(cli.backend) {
        eprintln!("nnlab: {error}");
        return ExitCode::from(2);
    }
    let result = match cli.command {
        Command::Run { lab } => run::run_lab(lab),
        Command::Labs { format } => labs::labs(format),
        Command::Models { format } => models::models(format),
        Command::Adversarial { epsilons, seed, data, format } => {
            adversarial::adversarial(&epsilons, seed, &data, format)
        }
        Command::Bench { format, workloads, repeats, reference } => {
            benchmark::run_bench(format, &workloads, repeats, reference.as_deref())
        }
        Command::Data { action: DataAction::Build { source, out } } => data::build(&source, &out),
        Command::Data { action: DataAction::Verify { dir } } => data::verify(&dir).map(|_| ()),
        Command::Data { action: DataAction::Dogs { path, out } } => data::dogs(&path, &out),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("nnlab: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The device every command trains on, opened once by `main` (`--backend`).
static DEVICE: std::sync::OnceLock<(Device, String)> = std::sync::OnceLock::new();

/// Opens the device `--backend` names, with autodiff for training.
fn open_device(backend: Backend) -> Result<(), CliError> {
    let opened = match backend {
        Backend::Cpu => (Device::flex(), "burn flex (CPU, native, single-threaded)".to_string()),
        Backend::Wgpu => gpu::open()?,
    };
    DEVICE.get_or_init(|| (opened.0.autodiff(), opened.1));
    Ok(())
}

/// The device `--backend` opened.
fn device() -> Device {
    DEVICE.get().expect("main opens the device first").0.clone()
}

/// How the benchmarks and the JSON name the device: "burn flex (CPU, native, single-threaded)",
/// "burn wgpu (Vulkan on llvmpipe ...)".
fn device_name() -> &'static str {
    DEVICE.get().map_or("?", |(_, name)| name.as_str())
}

#[cfg(feature = "wgpu")]
mod gpu {
    use burn::prelude::Device;

    use crate::CliError;

    /// burn's wgpu device on the first adapter wgpu offers (any graphics API), with its name.
    pub fn open() -> Result<(Device, String), CliError> {
        let (device, setup) = Device::wgpu_options()
            .init_with_setup()
            // burn's error has no Display: its Debug form names the cause.
            .map_err(|e| CliError::NoGpu(format!("{e:?}")))?;
        let info = setup.adapter.get_info();
        Ok((device, format!("burn wgpu ({:?} on {}, kernel fusion)", info.backend, info.name)))
    }
}

#[cfg(not(feature = "wgpu"))]
mod gpu {
    use burn::prelude::Device;

    use crate::CliError;

    pub fn open() -> Result<(Device, String), CliError> {
        Err(CliError::NoGpuBuild)
    }
}
