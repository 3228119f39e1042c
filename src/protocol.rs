//! Messages between the page and the training worker, and nothing else: the things they talk
//! about (epochs, runs, checkpoints) are the core's vocabulary in [`crate::run`]. They cross the
//! worker boundary as JSON strings (`to_json` / `from_json`); every variant is round-trip
//! tested below.

use crate::data::dogs::{DogSetInfo, LoadReport};
use crate::labs::mnist::scaling::SizeResult;
use crate::labs::xor::{XorLab, XorRun};
use crate::labs::{dogs::DogLab, mnist::MnistLab, synth::SynthLab};
use crate::net::LayerRow;
use crate::run::{
    Attack, BackendChoice, BackendInfo, Checkpoint, DataProgress, DogSource, EpochRecord, Kernels, RunEvent, RunId,
    RunSummary, ShiftSweep,
};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ToWorker {
    /// Train a fresh Synth CNN.
    Train {
        run: RunId,
        lab: SynthLab,
        backend: BackendChoice,
        /// Continue a saved run from its last checkpoint (and its records so far).
        #[serde(default)]
        resume: Option<(Checkpoint, Vec<EpochRecord>)>,
    },
    /// Train the MNIST lab: fetch and check the shards, then one MLP per size.
    TrainMnist {
        run: RunId,
        lab: MnistLab,
        backend: BackendChoice,
    },
    /// Load a DogSet (fetch and check its shards, or take the one the user loaded) and
    /// describe it; `DogSource::Auto` prefers the user's own, then a hosted one, then the
    /// stand-in.
    LoadDogs {
        run: RunId,
        source: DogSource,
    },
    /// Train a DogSet network on `lab.source` (loading it first if needed), or continue a
    /// saved run from its checkpoint.
    TrainDogs {
        run: RunId,
        lab: DogLab,
        backend: BackendChoice,
        #[serde(default)]
        resume: Option<(Checkpoint, Vec<EpochRecord>)>,
    },
    /// One page of the loaded set's training images of `class`.
    Gallery {
        class: u8,
        page: usize,
    },
    /// Delete the DogSet the user loaded from this browser.
    ForgetDogs,
    /// Train the linear and the ReLU network on one 2-input function.
    TrainXor {
        run: RunId,
        lab: XorLab,
        backend: BackendChoice,
    },
    /// Get an MNIST model to attack (a quick one trained on the spot) and sweep epsilon.
    PrepareAttacks {
        run: RunId,
        epsilons: Vec<f64>,
        backend: BackendChoice,
        /// Attack the largest model the MNIST lab trained in this worker, not a quick one.
        #[serde(default)]
        lab_model: bool,
    },
    /// Attack test image `image` of the prepared set: the fast gradient sign step of
    /// `epsilon`, or the targeted iterative attack towards `target`.
    Attack {
        run: RunId,
        image: usize,
        epsilon: f64,
        target: Option<u8>,
    },
    Pause,
    Resume,
    Stop,
    /// Run the last trained model on one image (shift-invariance demo).
    Probe {
        run: RunId,
        image: Vec<f32>,
    },
    /// Test hook: make the worker panic, to test crash reporting and restart.
    Crash,
    /// Test hook: destroy the WebGPU device, as a driver reset or a lost GPU would.
    LoseGpu,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    /// Sent once, first: the worker is listening.
    Ready,
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
        images: Vec<u8>,
    },
    /// The layer table of the model a run built.
    Layers {
        run: RunId,
        layers: Vec<LayerRow>,
    },
    /// Both XOR-lab networks, trained.
    Xor {
        run: RunId,
        linear: XorRun,
        relu: XorRun,
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
        samples: Vec<(usize, u8, Vec<f32>)>,
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
    },
    Error {
        run: Option<RunId>,
        message: String,
    },
    /// The worker can no longer be used (sent by its loader script when the engine fails to
    /// load or an uncaught error escapes); the page must start a new one.
    Crashed {
        message: String,
    },
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
            | FromWorker::Xor { run, .. }
            | FromWorker::AttacksReady { run, .. }
            | FromWorker::Attacked { run, .. }
            | FromWorker::Error { run: Some(run), .. } => Some(*run),
            FromWorker::Ready
            | FromWorker::Gpu { .. }
            | FromWorker::DogsProgress { .. }
            | FromWorker::DogLoadFailed { .. }
            | FromWorker::Gallery { .. }
            | FromWorker::Error { run: None, .. }
            | FromWorker::Crashed { .. } => None,
        }
    }
}

macro_rules! json_codec {
    ($t:ty) => {
        impl $t {
            pub fn to_json(&self) -> String {
                serde_json::to_string(self).expect("protocol messages always serialise")
            }

            pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
                serde_json::from_str(text)
            }
        }
    };
}
json_codec!(ToWorker);
json_codec!(FromWorker);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::{BackendKind, StopReason, SweepGrid, TensorValues};

    fn record() -> EpochRecord {
        EpochRecord {
            epoch: 1,
            train_loss: 0.69,
            train_acc: 50.0,
            valid_loss: Some(0.7),
            valid_acc: None,
            seconds: 1.5,
            examples_per_s: 6000.0,
        }
    }

    #[test]
    fn every_message_round_trips() {
        let to = vec![
            ToWorker::Train { run: 3, lab: SynthLab::homework(), backend: BackendChoice::Auto, resume: None },
            ToWorker::Train {
                run: 4,
                lab: SynthLab::homework(),
                backend: BackendChoice::Cpu,
                resume: Some((
                    Checkpoint { epoch: 1, tensors: vec![TensorValues { shape: vec![2], values: vec![0.5, -1.0] }] },
                    vec![record()],
                )),
            },
            ToWorker::TrainMnist { run: 4, lab: crate::labs::mnist::MnistLab::homework(), backend: BackendChoice::Cpu },
            ToWorker::LoadDogs { run: 5, source: DogSource::Auto },
            ToWorker::TrainDogs {
                run: 6,
                lab: crate::labs::dogs::DogLab {
                    source: DogSource::StandIn,
                    ..crate::labs::dogs::DogLab::homework_cnn()
                },
                backend: BackendChoice::Auto,
                resume: None,
            },
            ToWorker::Gallery { class: 3, page: 2 },
            ToWorker::ForgetDogs,
            ToWorker::TrainXor { run: 7, lab: XorLab::xor(), backend: BackendChoice::Cpu },
            ToWorker::PrepareAttacks {
                run: 8,
                epsilons: vec![0.0, 0.1],
                backend: BackendChoice::Auto,
                lab_model: true,
            },
            ToWorker::Attack { run: 8, image: 3, epsilon: 0.1, target: Some(7) },
            ToWorker::Pause,
            ToWorker::Resume,
            ToWorker::Stop,
            ToWorker::Probe { run: 3, image: vec![0.5; 4] },
            ToWorker::Crash,
            ToWorker::LoseGpu,
        ];
        for m in to {
            assert_eq!(ToWorker::from_json(&m.to_json()).unwrap(), m);
        }
        let info = BackendInfo { kind: BackendKind::Cpu, name: "CPU".into(), note: Some("no adapter".into()) };
        let from = vec![
            FromWorker::Ready,
            FromWorker::Gpu { adapter: None, reason: Some("requestAdapter returned null".into()) },
            FromWorker::Backend { run: 1, info },
            FromWorker::Status { run: 1, text: "compiling GPU kernels".into() },
            FromWorker::Progress { run: 1, epoch: 2, batch: 3, batches: 200 },
            FromWorker::Epoch {
                run: 1,
                record: record(),
                kernels: Kernels { shape: [2, 1, 1, 1], weights: vec![0.1, -0.2], biases: vec![0.0, 1.0] },
            },
            FromWorker::Done {
                run: 1,
                summary: RunSummary {
                    epochs_trained: 4,
                    stop: StopReason::EarlyStop { improvement: 1e-5, stop_thr: 1e-4 },
                    train_seconds: 3.0,
                    parameters: 442,
                },
            },
            FromWorker::Checkpoint {
                run: 1,
                checkpoint: Checkpoint {
                    epoch: 2,
                    tensors: vec![TensorValues { shape: vec![1, 2], values: vec![1.0, 2.0] }],
                },
            },
            FromWorker::Sweep {
                run: 1,
                sweep: ShiftSweep { grids: vec![SweepGrid { class: 0, rows: 1, cols: 2, p_true: vec![0.9, 0.8] }] },
            },
            FromWorker::Probe { run: 1, maps: vec![0.0; 8], map_shape: [2, 2, 2], probs: vec![0.3, 0.7] },
            FromWorker::Error { run: None, message: "boom".into() },
            FromWorker::DogData { run: 5, info: crate::data::dogs::tests_support::info() },
            FromWorker::DogsProgress { done: 3, total: 9 },
            FromWorker::DogLoadFailed {
                message: "no dogs.csv".into(),
                report: LoadReport { problems: vec!["line 2, a.jpg: missing".into()], ..LoadReport::default() },
            },
            FromWorker::Gallery { class: 1, page: 0, pages: 4, indices: vec![3, 9], images: vec![7; 6] },
            FromWorker::Layers { run: 6, layers: crate::net::NetConfig::dog_mlp().shape_table().unwrap() },
            FromWorker::Tested { run: 6, loss: 1.5, accuracy: 41.0 },
            FromWorker::Xor {
                run: 7,
                linear: XorRun {
                    activation: crate::labs::xor::Activation::Linear,
                    losses: vec![0.7, 0.69],
                    outputs: vec![0.5; 4],
                    accuracy: 50.0,
                    grid: vec![0.5; 4],
                    collapsed: Some(crate::labs::xor::Affine {
                        inputs: 2,
                        outputs: 2,
                        w: vec![1.0; 4],
                        b: vec![0.0; 2],
                    }),
                },
                relu: XorRun {
                    activation: crate::labs::xor::Activation::Relu,
                    losses: vec![0.7, 0.1],
                    outputs: vec![0.1, 0.9, 0.9, 0.1],
                    accuracy: 100.0,
                    grid: vec![0.5; 4],
                    collapsed: None,
                },
            },
            FromWorker::AttacksReady {
                run: 8,
                model: "the MNIST lab's model (N = 2000)".into(),
                epsilons: vec![0.0, 0.1],
                accuracies: vec![90.0, 30.0],
                samples: vec![(4, 0, vec![0.0; 784])],
            },
            FromWorker::Attacked {
                run: 8,
                image: 4,
                label: 0,
                target: None,
                epsilon: 0.1,
                attack: Attack::new(&[0.5; 4], vec![0.6; 4], vec![0.9, 0.1], vec![0.2, 0.8], 1, Some(0.05)),
            },
            FromWorker::Crashed { message: "wasm trap".into() },
            FromWorker::Paused { run: 2, paused: true },
            FromWorker::DataProgress { run: 2, loaded: 10, total: 20, cached_files: 1, files: 7 },
            FromWorker::SizeEpoch { run: 2, size: 500, record: record() },
            FromWorker::SizeDone {
                run: 2,
                result: SizeResult {
                    size: 500,
                    losses: vec![2.3, 1.0],
                    train_seconds: 1.5,
                    test_acc: 85.0,
                    test_loss: 0.5,
                    epochs_trained: 2,
                },
                checkpoint: None,
            },
        ];
        for m in from {
            assert_eq!(FromWorker::from_json(&m.to_json()).unwrap(), m);
        }
    }

    /// The worker's loader script writes this JSON by hand (public/worker_loader.js).
    #[test]
    fn the_loader_scripts_crash_message_parses() {
        let m = FromWorker::from_json(r#"{"Crashed":{"message":"could not load"}}"#).unwrap();
        assert_eq!(m, FromWorker::Crashed { message: "could not load".into() });
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(ToWorker::from_json("{\"Train\":{}}").is_err());
        assert!(FromWorker::from_json("not json").is_err());
    }

    #[test]
    fn kernels_index_by_output_and_input_channel() {
        let k = Kernels { shape: [2, 1, 2, 2], weights: (0..8).map(|v| v as f32).collect(), biases: vec![0.0; 2] };
        assert_eq!(k.kernel(1, 0), &[4.0, 5.0, 6.0, 7.0]);
    }

    #[test]
    fn a_diverged_run_names_the_likely_cause() {
        let text = StopReason::Diverged { epoch: 2, lr: 5.0 }.describe();
        assert!(text.contains("learning rate 5"), "{text}");
    }
}
