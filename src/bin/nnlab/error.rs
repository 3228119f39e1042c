//! `CliError`: every way a command fails, worded as `nnlab: <message>` prints it.

use std::path::PathBuf;

use nnlab::config::ConfigError;
use nnlab::data::build::IdxShapeError;
use nnlab::data::dogs::{DogsError, UnzipError};
use nnlab::data::idx::IdxError;
use nnlab::data::manifest::ManifestError;
use nnlab::data::sample::SampleError;
use nnlab::labs::mnist::engine::MnistError;
use nnlab::train::TrainError;

/// Why a command failed. `main` prints its `Display` after `nnlab: `; nothing else turns it
/// into text.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    /// An IO error whose message has never named the path (creating the shard folders,
    /// writing manifest.json, walking a DogSet folder).
    #[error("{0}")]
    UnnamedIo(#[from] std::io::Error),
    #[error("{}: {source} (build it with `nnlab data build`)", path.display())]
    NoManifest { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("{}: no dataset `{dataset}`", dir.display())]
    NoDataset { dir: PathBuf, dataset: String },
    #[error("{dataset}: no split `{split}`")]
    NoSplit { dataset: String, split: String },
    #[error("{}: sha256 does not match SHA256SUMS", path.display())]
    Checksum { path: PathBuf },
    #[error("{}: {source}", path.display())]
    Idx { path: PathBuf, source: IdxError },
    #[error("{}: {prefix} {source}", folder.display())]
    IdxShapes { folder: PathBuf, prefix: String, source: IdxShapeError },
    #[error("{} line {line}: not a JSON line of scripts/pytorch-bench.py ({source})", path.display())]
    ReferenceLine { path: PathBuf, line: usize, source: serde_json::Error },
    #[error("{} line {line}: needs \"workload\" and \"pytorch_epoch_s\"", path.display())]
    ReferenceFields { path: PathBuf, line: usize },
    #[error("no workload matches {0:?}; choose from W1, W2, W3, W4")]
    NoWorkload(Vec<String>),
    #[error("epsilon {0} is outside 0..1 (pixels are scaled to 0..1)")]
    Epsilon(f64),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error(transparent)]
    Sample(#[from] SampleError),
    #[error(transparent)]
    Mnist(#[from] MnistError),
    #[error("{}: {source}", path.display())]
    Unzip { path: PathBuf, source: UnzipError },
    #[error("{}: {source}", path.display())]
    DogSet { path: PathBuf, source: DogsError },
    /// burn found no adapter to open (built with `wgpu` only).
    #[cfg_attr(not(feature = "wgpu"), allow(dead_code))]
    #[error("no GPU adapter: {0}")]
    NoGpu(String),
    #[cfg_attr(feature = "wgpu", allow(dead_code))]
    #[error("this nnlab was built without GPU support: build it with `cargo build --release --features wgpu`")]
    NoGpuBuild,
}

impl CliError {
    /// An IO error on `path`, for `map_err`.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| CliError::Io { path, source }
    }
}
