//! Messages between the page and the training worker, and nothing else: the things they talk
//! about (epochs, runs, checkpoints) are the core's vocabulary in [`crate::run`]. They cross the
//! worker boundary as JSON strings (`to_json` / `from_json`); every variant is round-trip
//! tested below.

use crate::activations::{Activations, Input};
use crate::confusion::Evaluation;
use crate::data::dogs::{DogSetInfo, LoadReport};
use crate::labs::adversarial::Sample;
use crate::labs::mnist::scaling::SizeResult;
pub use crate::labs::{Job, LabResult};
use crate::net::LayerRow;
use crate::run::{
    Attack, BackendChoice, BackendInfo, Checkpoint, DataProgress, DogSource, EngineMeasure, EpochRecord, Kernels,
    RunEvent, RunId, RunSummary, ShiftSweep,
};
use serde::{Deserialize, Serialize};

// One message is built at a time and moved straight onto the wire: the size of `Start` (a
// lab's whole job) costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ToWorker {
    /// Start run `run`: one lab's job (see [`Job`]), on `backend`. It takes the worker until
    /// it ends (the worker then posts `Idle`).
    Start {
        run: RunId,
        backend: BackendChoice,
        /// With `Automatic`, this browser's earlier measurement of the job's workload
        /// ([`Job::workload`]): its engine trains the run without timing both again.
        #[serde(default)]
        measured: Option<EngineMeasure>,
        job: Job,
    },
    /// Load a DogSet (fetch and check its shards, or take the one the user loaded) and
    /// describe it; `DogSource::Auto` prefers the user's own, then a hosted one, then the
    /// stand-in.
    LoadDogs {
        run: RunId,
        source: DogSource,
    },
    /// One page of the loaded set's training images of `class`.
    Gallery {
        class: u8,
        page: usize,
    },
    /// Delete the DogSet the user loaded from this browser.
    ForgetDogs,
    /// Attack test image `image` of the prepared set: the fast gradient sign step of
    /// `epsilon`, or the targeted iterative attack towards `target`.
    Attack {
        run: RunId,
        image: usize,
        epsilon: f64,
        target: Option<u8>,
    },
    /// Pause, resume or stop run `run` at its next batch boundary (a worker ignores another
    /// run's: with a pool, the page sends it to the workers holding that run).
    Pause {
        run: RunId,
    },
    Resume {
        run: RunId,
    },
    Stop {
        run: RunId,
    },
    /// Run the model trained by run `run` on one image (shift-invariance demo).
    Probe {
        run: RunId,
        image: Vec<f32>,
    },
    /// Every layer's output for one image in the CNN trained by run `run`.
    LookInside {
        run: RunId,
        input: Input,
    },
    /// Test hook: make the worker panic, to test crash reporting and restart.
    Crash,
    /// Test hook: destroy the WebGPU device, as a driver reset or a lost GPU would.
    LoseGpu,
    /// Test hook: allocate until the worker's memory runs out, as a set or model too large
    /// for it would.
    ExhaustMemory,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    /// Sent once, first: the worker is listening.
    Ready,
    /// The worker's job (a run) has ended, messages and all: it can take the next.
    Idle,
    /// What the browser offers: the WebGPU adapter's name, or why there is none.
    Gpu {
        adapter: Option<String>,
        reason: Option<String>,
    },
    /// The backend a run uses, once its device is up.
    Backend {
        run: RunId,
        info: BackendInfo,
    },
    /// A long step with no progress to count ("compiling GPU kernels").
    Status {
        run: RunId,
        text: String,
    },
    /// Batches done in the current epoch (host-side count: no GPU readback).
    Progress {
        run: RunId,
        epoch: usize,
        batch: usize,
        batches: usize,
        /// Batches per second measured over this epoch so far (the worker's clock), from
        /// which the page estimates the time left already in the first epoch.
        batches_per_s: Option<f64>,
    },
    Epoch {
        run: RunId,
        record: EpochRecord,
        kernels: Kernels,
    },
    /// The model's parameters after an epoch (small models only), for resuming.
    Checkpoint {
        run: RunId,
        checkpoint: Checkpoint,
    },
    Done {
        run: RunId,
        summary: RunSummary,
    },
    Sweep {
        run: RunId,
        sweep: ShiftSweep,
    },
    /// The worker paused (or resumed) the run at a batch boundary.
    Paused {
        run: RunId,
        paused: bool,
    },
    /// Dataset bytes ready of all a run needs (from the network or the cache).
    DataProgress {
        run: RunId,
        loaded: u64,
        total: u64,
        cached_files: usize,
        files: usize,
    },
    /// An epoch of the model for training-set size `size` (MNIST lab).
    SizeEpoch {
        run: RunId,
        size: usize,
        record: EpochRecord,
    },
    /// One model of the MNIST lab tested, with its final weights.
    SizeDone {
        run: RunId,
        result: SizeResult,
        #[serde(default)]
        checkpoint: Option<Checkpoint>,
    },
    /// First-layer feature maps `[channels, h, w]` after ReLU, and class probabilities.
    Probe {
        run: RunId,
        maps: Vec<f32>,
        map_shape: [usize; 3],
        probs: Vec<f32>,
    },
    /// A DogSet is loaded and checked.
    DogData {
        run: RunId,
        info: DogSetInfo,
    },
    /// Images of the user's DogSet checked so far.
    DogsProgress {
        done: usize,
        total: usize,
    },
    /// The user's DogSet could not be used: why, and what the checks found.
    DogLoadFailed {
        message: String,
        report: LoadReport,
    },
    /// Training images of one class: `[n, 64, 64, 3]` bytes and their indices in the set.
    Gallery {
        class: u8,
        page: usize,
        pages: usize,
        indices: Vec<usize>,
        #[serde(with = "crate::confusion::bytes_base64")]
        images: Vec<u8>,
    },
    /// The layer table of the model a run built.
    Layers {
        run: RunId,
        layers: Vec<LayerRow>,
    },
    /// A lab's result, whole, at the end of its run (the labs whose result comes at once).
    Result {
        run: RunId,
        result: LabResult,
    },
    /// The model to attack is ready: its accuracy under each epsilon of the sweep, and one
    /// test image of each digit (index into the prepared set, label, 28x28 pixels 0..1).
    AttacksReady {
        run: RunId,
        /// Which model is attacked, in words.
        #[serde(default)]
        model: String,
        epsilons: Vec<f64>,
        accuracies: Vec<f64>,
        samples: Vec<Sample>,
    },
    /// One adversarial example for `image` of the prepared set.
    Attacked {
        run: RunId,
        image: usize,
        label: u8,
        target: Option<u8>,
        epsilon: f64,
        attack: Attack,
    },
    /// The test set, evaluated once after training.
    Tested {
        run: RunId,
        loss: f64,
        accuracy: f64,
        /// The confusion matrix and most confident mistakes.
        #[serde(default)]
        evaluation: Option<Evaluation>,
    },
    /// Every layer's output for one image, as asked by `LookInside`.
    Inside {
        run: RunId,
        activations: Activations,
    },
    /// The synth CNN's validation images, evaluated in detail after training.
    Evaluated {
        run: RunId,
        evaluation: Evaluation,
    },
    Error {
        run: Option<RunId>,
        message: String,
    },
    /// Bytes of the engine's wasm downloaded so far, of `total` (sent by its loader script,
    /// public/worker_loader.js, before the engine runs).
    EngineProgress {
        loaded: u64,
        total: u64,
        /// Milliseconds since the download began, for its rate.
        #[serde(default)]
        elapsed_ms: u64,
        /// Set while the WebGPU engine downloads: what the CPU engine would be on the wire, in
        /// the same unit, so the page can tell whether a CPU stand-in would train sooner.
        #[serde(default)]
        cpu_engine: Option<u64>,
    },
    /// The worker can no longer be used (sent by its loader script when the engine fails to
    /// load or an uncaught error escapes); the page must start a new one.
    Crashed {
        message: String,
    },
}

impl ToWorker {
    /// The run a message starts, when it is a job: a run that takes a worker of the pool
    /// until it ends (the worker then posts `Idle`).
    pub fn job(&self) -> Option<RunId> {
        match self {
            ToWorker::Start { run, .. } => Some(*run),
            _ => None,
        }
    }
}

impl FromWorker {
    /// The message as an event of the run-state machine every lab's runs share
    /// ([`crate::run::RunState`]), or `None` when it is lab-specific or not a run's.
    pub fn run_event(&self) -> Option<(RunId, RunEvent)> {
        Some(match self {
            FromWorker::Backend { run, info } => (*run, RunEvent::Backend(info.clone())),
            FromWorker::Status { run, text } => (*run, RunEvent::Status(text.clone())),
            &FromWorker::DataProgress { run, loaded, total, cached_files, files } => {
                (run, RunEvent::Data(DataProgress { loaded_bytes: loaded, total_bytes: total, cached_files, files }))
            }
            &FromWorker::Paused { run, paused } => (run, RunEvent::Paused(paused)),
            FromWorker::Error { run: Some(run), message } => (*run, RunEvent::Failed(message.clone())),
            _ => return None,
        })
    }

    /// The run a message belongs to, if any.
    pub fn run(&self) -> Option<RunId> {
        match self {
            FromWorker::Backend { run, .. }
            | FromWorker::Status { run, .. }
            | FromWorker::Progress { run, .. }
            | FromWorker::Epoch { run, .. }
            | FromWorker::Checkpoint { run, .. }
            | FromWorker::Done { run, .. }
            | FromWorker::Sweep { run, .. }
            | FromWorker::Paused { run, .. }
            | FromWorker::DataProgress { run, .. }
            | FromWorker::SizeEpoch { run, .. }
            | FromWorker::SizeDone { run, .. }
            | FromWorker::Probe { run, .. }
            | FromWorker::DogData { run, .. }
            | FromWorker::Layers { run, .. }
            | FromWorker::Tested { run, .. }
            | FromWorker::Evaluated { run, .. }
            | FromWorker::Inside { run, .. }
            | FromWorker::Result { run, .. }
            | FromWorker::AttacksReady { run, .. }
            | FromWorker::Attacked { run, .. }
            | FromWorker::Error { run: Some(run), .. } => Some(*run),
            FromWorker::Ready
            | FromWorker::Idle
            | FromWorker::Gpu { .. }
            | FromWorker::DogsProgress { .. }
            | FromWorker::DogLoadFailed { .. }
            | FromWorker::Gallery { .. }
            | FromWorker::Error { run: None, .. }
            | FromWorker::EngineProgress { .. }
            | FromWorker::Crashed { .. } => None,
        }
    }
}

/// JSON text read through a `serde_json::Value`, as the page reads every JSON it gets: it then
/// holds one deserialiser per type, the one saved runs (read as values) need anyway, instead
/// of a second one for text (11 KB less of its first download, gzipped). The messages' bulk is
/// base64 text (parameters, pictures), which the detour does not multiply.
pub fn read_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
    serde_json::from_str::<serde_json::Value>(text).and_then(serde_json::from_value)
}

macro_rules! json_codec {
    ($t:ty) => {
        impl $t {
            pub fn to_json(&self) -> String {
                serde_json::to_string(self).expect("protocol messages always serialise")
            }

            pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
                read_json(text)
            }
        }
    };
}
json_codec!(ToWorker);
json_codec!(FromWorker);

#[cfg(test)]
mod tests;
