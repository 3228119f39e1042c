//! The run vocabulary: what a training run is made of and reports (epochs, the stop reason,
//! the summary, checkpoints, kernels, the backend it ran on), shared by the engine, the
//! charts, the saved runs and the page. The page/worker messages (`protocol`) carry these
//! types; nothing here knows about the wire.

use serde::{Deserialize, Serialize};

mod state;
pub use state::{DataProgress, OUT_OF_MEMORY, Phase, QUEUED, RunEvent, RunState, WAITING, WORKER_DIED};

/// Which compute backend the user asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackendChoice {
    /// The faster engine on this machine: where the browser offers a WebGPU adapter, both
    /// engines are timed on the run's first batches ([`EngineMeasure`]); the CPU otherwise.
    Auto,
    WebGpu,
    Cpu,
}

/// The backend a run actually uses.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackendInfo {
    pub kind: BackendKind,
    /// "WebGPU (google swiftshader)", "CPU (burn flex, wasm SIMD)".
    pub name: String,
    /// Why this backend and not the other, when the choice was not the user's.
    pub note: Option<String>,
    /// Both engines' speeds when Automatic chose between them (runs saved before the
    /// measurement existed have none).
    #[serde(default)]
    pub measured: Option<EngineMeasure>,
}

/// Both engines timed on a run's first batches at learning rate 0 (the parameters stay bit
/// for bit, so the run's results do not depend on the measurement), and the engine chosen.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EngineMeasure {
    /// Training examples per second on WebGPU, after its kernels are compiled; `None` when
    /// the measurement failed.
    pub webgpu: Option<f64>,
    /// Training examples per second on the CPU engine; `None` when the measurement failed.
    pub cpu: Option<f64>,
    pub chosen: BackendKind,
    /// Measured by an earlier run of the same workload in this browser, not by this run.
    pub remembered: bool,
}

impl EngineMeasure {
    /// The engine that trains: the faster one. A tie goes to the CPU (no kernels to compile,
    /// no GPU shared with the page's drawing); a failed or meaningless figure loses; with no
    /// figure at all, the CPU.
    pub fn choose(webgpu: Option<f64>, cpu: Option<f64>) -> BackendKind {
        let valid = |v: Option<f64>| v.filter(|v| v.is_finite() && *v > 0.0);
        match (valid(webgpu), valid(cpu)) {
            (Some(gpu), Some(cpu)) if gpu > cpu => BackendKind::WebGpu,
            (Some(_), None) => BackendKind::WebGpu,
            _ => BackendKind::Cpu,
        }
    }

    pub fn new(webgpu: Option<f64>, cpu: Option<f64>) -> Self {
        EngineMeasure { webgpu, cpu, chosen: Self::choose(webgpu, cpu), remembered: false }
    }

    /// What the page shows: "WebGPU 850 examples/s, CPU 9,100 examples/s: training on the CPU".
    pub fn text(&self) -> String {
        let figure = |v: Option<f64>| match v {
            Some(v) => format!("{} examples/s", crate::metrics::format_count(v.round() as usize)),
            None => "failed to run".to_string(),
        };
        let engine = match self.chosen {
            BackendKind::WebGpu => "WebGPU",
            BackendKind::Cpu => "the CPU",
        };
        let when = if self.remembered { " (measured by an earlier run of this network in this browser)" } else { "" };
        format!("WebGPU {}, CPU {}: training on {engine}{when}", figure(self.webgpu), figure(self.cpu))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackendKind {
    WebGpu,
    Cpu,
}

/// One adversarial example: the images (28x28, 0..1), the class probabilities before and
/// after, and how it was found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attack {
    pub original: Vec<f32>,
    pub adversarial: Vec<f32>,
    /// `adversarial - original`.
    pub perturbation: Vec<f32>,
    pub before: Vec<f32>,
    pub after: Vec<f32>,
    /// Gradient steps taken (1 for the fast gradient sign attack).
    pub steps: usize,
    /// The smallest epsilon of a scan that changes the prediction, if any (untargeted).
    pub flips_at: Option<f64>,
}

impl Attack {
    pub fn new(
        original: &[f32],
        adversarial: Vec<f32>,
        before: Vec<f32>,
        after: Vec<f32>,
        steps: usize,
        flips_at: Option<f64>,
    ) -> Self {
        let perturbation = adversarial.iter().zip(original).map(|(a, o)| a - o).collect();
        Self { original: original.to_vec(), adversarial, perturbation, before, after, steps, flips_at }
    }

    /// The class with the highest probability (ties to the last, as the training code).
    pub fn predicted(probs: &[f32]) -> usize {
        probs.iter().enumerate().fold((0, f32::MIN), |best, (i, &p)| if p >= best.1 { (i, p) } else { best }).0
    }
}

/// One parameter tensor's shape and values, row-major.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TensorValues {
    pub shape: Vec<usize>,
    #[serde(with = "f32_base64")]
    pub values: Vec<f32>,
}

/// Parameter values as base64 of their little-endian bytes: exact, and a third of the size of
/// JSON numbers and far quicker to read, which matters for the DogSet MLP's 1.6 million
/// parameters saved every epoch (8.4 MB of text instead of about 19 MB parsed on the page).
/// Runs saved before this read as JSON number arrays still load.
mod f32_base64 {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(values: &[f32], serializer: S) -> Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Base64(String),
        Numbers(Vec<f32>),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<f32>, D::Error> {
        match Stored::deserialize(deserializer)? {
            Stored::Numbers(values) => Ok(values),
            Stored::Base64(text) => {
                let bytes = STANDARD.decode(text).map_err(serde::de::Error::custom)?;
                if bytes.len() % 4 != 0 {
                    return Err(serde::de::Error::custom("parameter bytes are not whole f32 values"));
                }
                Ok(bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
            }
        }
    }
}

/// A model's parameters after epoch `epoch` (layer by layer, weight then bias): enough, with
/// the config, to resume the run with the very results it would have had.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub epoch: usize,
    pub tensors: Vec<TensorValues>,
}

impl Kernels {
    /// The first convolution's kernels in a checkpoint: its first two tensors, weights
    /// `[out, in, kh, kw]` then biases, in the order the model registers its parameters.
    /// None for a network that starts with a linear layer.
    pub fn from_checkpoint(checkpoint: &Checkpoint) -> Option<Kernels> {
        let weights = checkpoint.tensors.first()?;
        let shape = <[usize; 4]>::try_from(weights.shape.as_slice()).ok()?;
        // An imported file's values may not fill its shape (`kernel` would slice past them),
        // and a zero in it would let `[huge, 0, 1, 1]` size the biases below.
        let size = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        if size != Some(weights.values.len()) || size == Some(0) {
            return None;
        }
        let biases = checkpoint.tensors.get(1).filter(|b| b.shape == [shape[0]]);
        Some(Kernels {
            shape,
            weights: weights.values.clone(),
            biases: biases.map(|b| b.values.clone()).unwrap_or_else(|| vec![0.0; shape[0]]),
        })
    }
}

/// Which DogSet a run uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DogSource {
    /// The user's own, else a hosted one, else the stand-in.
    #[default]
    Auto,
    /// The one the user loaded into this browser.
    Uploaded,
    /// One converted by `nnlab data dogs` and hosted in data/.
    Hosted,
    /// Fashion-MNIST, DogSet-shaped.
    StandIn,
}

/// Identifies one run, so late messages of a stopped run are not taken for the next one's.
pub type RunId = u32;

/// One epoch of a run: the homework's per-epoch lists, one entry each.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// From 1.
    pub epoch: usize,
    pub train_loss: f64,
    /// Percent.
    pub train_acc: f64,
    pub valid_loss: Option<f64>,
    pub valid_acc: Option<f64>,
    /// Wall time of this epoch's training pass (evaluation excluded).
    pub seconds: f64,
    /// Training examples per second in this epoch.
    pub examples_per_s: f64,
}

/// Convolution kernels, `[out, in, kh, kw]` row-major, and one bias per output channel.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Kernels {
    pub shape: [usize; 4],
    pub weights: Vec<f32>,
    pub biases: Vec<f32>,
}

impl Kernels {
    /// Kernel `o` for input channel `i`, `[kh, kw]` row-major.
    pub fn kernel(&self, o: usize, i: usize) -> &[f32] {
        let [_, cin, kh, kw] = self.shape;
        let k = kh * kw;
        let start = (o * cin + i) * k;
        &self.weights[start..start + k]
    }
}

/// Why a run ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum StopReason {
    /// Trained all the epochs asked for.
    Completed,
    /// The validation loss improved by less than `stop_thr`.
    EarlyStop { improvement: f64, stop_thr: f64 },
    /// The user pressed Stop.
    Cancelled,
    /// The loss became NaN or infinite.
    Diverged { epoch: usize, lr: f64 },
}

impl StopReason {
    /// A few words for a chart marker.
    pub fn label(&self) -> &'static str {
        match self {
            StopReason::Completed => "all epochs",
            StopReason::EarlyStop { .. } => "early stop",
            StopReason::Cancelled => "stopped by you",
            StopReason::Diverged { .. } => "diverged",
        }
    }

    /// A sentence for the page and the CLI.
    pub fn describe(&self) -> String {
        match self {
            StopReason::Completed => "trained all epochs".into(),
            StopReason::EarlyStop { improvement, stop_thr } => format!(
                "stopped early: the validation loss improved by {improvement:.2e}, less than the threshold {stop_thr:.0e}"
            ),
            StopReason::Cancelled => "stopped by the user".into(),
            StopReason::Diverged { epoch, lr } => format!(
                "the loss became NaN or infinite in epoch {epoch}: the learning rate {lr} is most likely too high; lower it (e.g. by 10x) and train again"
            ),
        }
    }
}

/// A saved run's checkpoint and its epochs so far, to continue from.
pub type Resume = (Checkpoint, Vec<EpochRecord>);

/// Which part of every batch a worker trains on: share `index` of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    pub index: usize,
    pub count: usize,
}

impl Share {
    /// The whole batch: one worker.
    pub const ALONE: Share = Share { index: 0, count: 1 };

    /// Rows of a batch of `b` this share takes: contiguous, sizes differing by at most one
    /// (possibly none, for a batch smaller than the number of shares).
    pub fn rows(&self, b: usize) -> std::ops::Range<usize> {
        b * self.index / self.count..b * (self.index + 1) / self.count
    }

    /// The share that reports the run: it evaluates, reads checkpoints back and decides when
    /// to stop; the others follow it.
    pub fn is_leader(&self) -> bool {
        self.index == 0
    }
}

/// The end of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub epochs_trained: usize,
    pub stop: StopReason,
    pub train_seconds: f64,
    pub parameters: usize,
}

impl RunSummary {
    /// A run stopped while it waited for a free worker: nothing trained.
    pub fn stopped_before_start() -> Self {
        Self { epochs_trained: 0, stop: StopReason::Cancelled, train_seconds: 0.0, parameters: 0 }
    }
}

/// The trained model's class probabilities with the bar at every position.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShiftSweep {
    /// One grid per class (orientation): probability of the true class, `[rows, cols]`.
    pub grids: Vec<SweepGrid>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepGrid {
    pub class: u8,
    pub rows: usize,
    pub cols: usize,
    pub p_true: Vec<f32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn automatic_trains_on_the_faster_engine_and_the_cpu_on_a_tie_or_a_failure() {
        use BackendKind::{Cpu, WebGpu};
        assert_eq!(EngineMeasure::choose(Some(850.0), Some(9100.0)), Cpu);
        assert_eq!(EngineMeasure::choose(Some(5200.0), Some(380.0)), WebGpu);
        assert_eq!(EngineMeasure::choose(Some(1000.0), Some(1000.0)), Cpu, "a tie");
        assert_eq!(EngineMeasure::choose(None, Some(10.0)), Cpu, "WebGPU's measurement failed");
        assert_eq!(EngineMeasure::choose(Some(10.0), None), WebGpu, "the CPU's measurement failed");
        assert_eq!(EngineMeasure::choose(None, None), Cpu, "both failed");
        assert_eq!(EngineMeasure::choose(Some(f64::NAN), Some(1.0)), Cpu);
        assert_eq!(EngineMeasure::choose(Some(f64::INFINITY), Some(1.0)), Cpu, "no finite figure");
        assert_eq!(EngineMeasure::choose(Some(0.0), None), Cpu, "zero examples per second is no figure");
    }

    #[test]
    fn the_choice_reads_with_both_figures_and_says_where_it_came_from() {
        let fresh = EngineMeasure::new(Some(849.6), Some(9100.2));
        assert_eq!(fresh.text(), "WebGPU 850 examples/s, CPU 9,100 examples/s: training on the CPU");
        let earlier = EngineMeasure { remembered: true, ..EngineMeasure::new(Some(5200.0), None) };
        assert_eq!(
            earlier.text(),
            "WebGPU 5,200 examples/s, CPU failed to run: training on WebGPU \
             (measured by an earlier run of this network in this browser)"
        );
    }

    #[test]
    fn a_backend_saved_before_the_measurement_existed_still_loads() {
        let old = r#"{"kind":"Cpu","name":"CPU","note":null}"#;
        let info: BackendInfo = serde_json::from_str(old).unwrap();
        assert_eq!(info.measured, None);
    }

    #[test]
    fn parameters_round_trip_exactly_as_base64_and_old_number_arrays_still_load() {
        let tensor = TensorValues { shape: vec![2, 2], values: vec![0.1, -3.5e-8, f32::MAX, 1.0] };
        let json = serde_json::to_string(&tensor).unwrap();
        assert!(json.contains("\"values\":\""), "{json}");
        assert_eq!(serde_json::from_str::<TensorValues>(&json).unwrap(), tensor);
        let old: TensorValues = serde_json::from_str(r#"{"shape":[2],"values":[0.5,-1.0]}"#).unwrap();
        assert_eq!(old.values, vec![0.5, -1.0]);
        let torn = serde_json::from_str::<TensorValues>(r#"{"shape":[1],"values":"AAA="}"#);
        assert!(torn.unwrap_err().to_string().contains("whole f32"));
    }
}
