//! Saved runs: what the browser keeps of every run (so a closed tab loses nothing), and their
//! CSV export. A saved run is versioned JSON (see [`format`]); the HTML report built from
//! saved runs is [`crate::report`].

mod format;

use serde::{Deserialize, Serialize};

use crate::confusion::Evaluation;
use crate::labs::RunKind;
use crate::labs::mnist::scaling::SizeResult;
use crate::labs::mnist::{MnistLab, MnistView};
use crate::metrics::format_count;
use crate::run::{BackendInfo, Checkpoint, EpochRecord, Kernels, Phase, RunState, RunSummary, StopReason};
use crate::run_view::{LabConfig, RunView};

pub use format::{OLDEST_FORMAT, RUN_FORMAT, written_by};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RunStatus {
    /// Training, as far as the page that saved it knew.
    Running,
    Finished,
    /// The page went away mid-run (reload, closed tab, crashed worker).
    Interrupted,
    Failed,
}

impl RunStatus {
    /// The saved-run status of a run in `state`.
    pub fn of(state: &RunState) -> Self {
        match state.phase {
            Phase::Queued | Phase::Training | Phase::Paused => RunStatus::Running,
            Phase::Finished => RunStatus::Finished,
            Phase::Interrupted => RunStatus::Interrupted,
            Phase::Failed => RunStatus::Failed,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Finished => "finished",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Failed => "failed",
        }
    }
}

/// Everything about one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedRun {
    /// [`RUN_FORMAT`] when written by this build; older records are migrated on reading.
    pub format: u32,
    /// The nnlab that wrote it (`nnlab 0.1.0`), so an older page can say which one to open it in.
    pub written_by: String,
    /// Unique in this browser: creation time and the page's run id.
    pub key: String,
    /// Editable by the user.
    pub name: String,
    /// What it is a run of (`synth`, `mnist` for one model of the scaling lab, ...).
    pub lab: RunKind,
    /// The lab's config as sent to the worker (seed included).
    pub config: serde_json::Value,
    pub backend: Option<BackendInfo>,
    /// Milliseconds since 1970, when the run started.
    pub created: f64,
    pub status: RunStatus,
    pub epochs: Vec<EpochRecord>,
    pub summary: Option<RunSummary>,
    /// Test loss and accuracy (DogSet networks).
    pub test: Option<(f64, f64)>,
    /// The test set's confusion matrix and most confident mistakes (none in runs saved before
    /// they were kept).
    pub evaluation: Option<Evaluation>,
    /// The parameters after the last saved epoch (small models), for resuming.
    pub checkpoint: Option<Checkpoint>,
    pub error: Option<String>,
}

/// How each lab's view becomes a saved run, and back: kept here, beside the record, so that the
/// views (`run_view`, the labs' homes) need not know how runs are stored.
impl SavedRun {
    /// A Synth or DogSet run (any [`RunView`]) as the browser keeps it, under `key`.
    pub fn of_run<L: LabConfig + Serialize>(
        view: &RunView<L>,
        key: &str,
        name: &str,
        lab: RunKind,
        created: f64,
    ) -> Self {
        SavedRun {
            format: RUN_FORMAT,
            written_by: written_by(),
            key: key.into(),
            name: name.into(),
            lab,
            config: serde_json::to_value(&view.lab).expect("lab configs serialise"),
            backend: view.state.backend.clone(),
            created,
            status: RunStatus::of(&view.state),
            epochs: view.records.clone(),
            summary: view.summary.clone(),
            test: view.test,
            evaluation: view.evaluation.clone(),
            checkpoint: view.checkpoint.as_deref().cloned(),
            error: view.state.error.clone(),
        }
    }

    /// The MNIST lab's model of training-set size `size` as a saved run (each model of the
    /// scaling run is kept as its own run, `config` holding the lab with that one size).
    pub fn of_mnist_model(view: &MnistView, size: usize, key: &str, created: f64) -> Self {
        let result = view.results.iter().find(|r| r.size == size);
        let status = match (result, view.state.phase) {
            (Some(_), _) => RunStatus::Finished,
            // The run ended (stopped) before it reached this size.
            (None, Phase::Finished) => RunStatus::Interrupted,
            (None, _) => RunStatus::of(&view.state),
        };
        let lab = MnistLab { sizes: vec![size], ..view.lab.clone() };
        SavedRun {
            format: RUN_FORMAT,
            written_by: written_by(),
            key: key.into(),
            name: format!("MNIST MLP, N = {}, seed {}", format_count(size), view.lab.seed),
            lab: RunKind::Mnist,
            config: serde_json::to_value(&lab).expect("lab configs serialise"),
            backend: view.state.backend.clone(),
            created,
            status,
            epochs: view.epochs.iter().filter(|(s, _)| *s == size).map(|(_, r)| r.clone()).collect(),
            summary: result.map(|r| RunSummary {
                epochs_trained: r.epochs_trained,
                stop: StopReason::Completed,
                train_seconds: r.train_seconds,
                parameters: crate::net::NetConfig::mnist_mlp().parameter_count().unwrap_or(0),
            }),
            test: result.map(|r| (r.test_loss, r.test_acc)),
            evaluation: result.and_then(|r| r.evaluation.clone()),
            checkpoint: view.weights.iter().find(|(s, _)| *s == size).map(|(_, c)| c.clone()),
            error: view.state.error.clone(),
        }
    }

    /// A saved MNIST model's result, as the lab's table, fit and report take it (the inverse of
    /// [`SavedRun::of_mnist_model`]); `None` for a model that did not finish.
    pub fn mnist_result(&self, size: usize) -> Option<SizeResult> {
        let (summary, (test_loss, test_acc)) = (self.summary.as_ref()?, self.test?);
        Some(SizeResult {
            size,
            losses: self.epochs.iter().map(|e| e.train_loss).collect(),
            train_seconds: summary.train_seconds,
            test_acc,
            test_loss,
            epochs_trained: summary.epochs_trained,
            evaluation: self.evaluation.clone(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RunFileError {
    #[error("this is not an nnlab run file ({0})")]
    Parse(String),
    #[error("this is not an nnlab run file (it has no format number)")]
    NoFormat,
    #[error(
        "it was saved by a newer nnlab ({}, format {found}); this page reads formats {OLDEST_FORMAT} to {RUN_FORMAT}: reload the page to update it, or open the run where it was saved",
        written_by.as_deref().unwrap_or("unnamed")
    )]
    Newer { found: u32, written_by: Option<String> },
}

/// A record in this browser that this page cannot read (saved by a newer nnlab, or damaged):
/// listed with its name and the reason, kept, and deleted only when the student asks.
#[derive(Clone, Debug, PartialEq)]
pub struct Unreadable {
    pub key: String,
    /// The run's name where the record still shows one.
    pub name: Option<String>,
    pub reason: RunFileError,
    /// The record as stored, to download as it is.
    pub text: String,
}

impl Unreadable {
    pub fn new(key: String, text: String, reason: RunFileError) -> Self {
        let value: Option<serde_json::Value> = serde_json::from_str(&text).ok();
        // A stored record is a list of one run (see `SavedRun::to_json`).
        let run = value.map(|v| match v {
            serde_json::Value::Array(mut items) if !items.is_empty() => items.swap_remove(0),
            one => one,
        });
        let name = run.and_then(|r| r.get("name").and_then(|n| n.as_str()).map(str::to_string));
        Unreadable { key, name, reason, text }
    }
}

impl SavedRun {
    /// A file of one run or of several (`[...]`), each of any format this build reads,
    /// brought up to [`RUN_FORMAT`].
    pub fn parse_file(text: &str) -> Result<Vec<SavedRun>, RunFileError> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| RunFileError::Parse(e.to_string()))?;
        let items = match value {
            serde_json::Value::Array(items) => items,
            one => vec![one],
        };
        items
            .into_iter()
            .map(|item| serde_json::from_value(format::migrate(item)?).map_err(|e| RunFileError::Parse(e.to_string())))
            .collect()
    }

    pub fn to_json(runs: &[SavedRun]) -> String {
        serde_json::to_string_pretty(runs).expect("saved runs serialise")
    }

    /// Whether the run can continue from where it was saved.
    pub fn resumable(&self) -> bool {
        self.status == RunStatus::Interrupted && self.checkpoint.as_ref().is_some_and(|c| c.epoch == self.epochs.len())
    }

    /// A page that finds a run still marked running did not start it: it was interrupted.
    pub fn found_on_load(mut self) -> Self {
        if self.status == RunStatus::Running {
            self.status = RunStatus::Interrupted;
        }
        self
    }

    /// Seconds the run spent training: the summary's, else its saved epochs' (a run cut short).
    pub fn train_seconds(&self) -> f64 {
        self.summary.as_ref().map_or_else(|| self.epochs.iter().map(|e| e.seconds).sum(), |s| s.train_seconds)
    }

    /// The first convolution's kernels in the saved parameters (a CNN's first two tensors,
    /// weight `[out, in, kh, kw]` then bias), with the epoch they are from; none for an MLP.
    pub fn first_kernels(&self) -> Option<(usize, Kernels)> {
        let checkpoint = self.checkpoint.as_ref()?;
        let [weight, bias, ..] = &checkpoint.tensors[..] else { return None };
        let [out, cin, kh, kw] = weight.shape[..] else { return None };
        // Checked: an imported [1, 2^32, 1, 2^32] wraps to 0 and would pass with no values.
        let size = [out, cin, kh, kw].iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        if bias.shape != [out] || size != Some(weight.values.len()) || size == Some(0) {
            return None;
        }
        let kernels =
            Kernels { shape: [out, cin, kh, kw], weights: weight.values.clone(), biases: bias.values.clone() };
        Some((checkpoint.epoch, kernels))
    }
}

/// Every epoch of `runs` as CSV: one row per (run, epoch).
pub fn runs_csv(runs: &[SavedRun]) -> String {
    let mut out = String::from("run,lab,epoch,train_loss,train_acc_percent,valid_loss,valid_acc_percent,seconds\n");
    for r in runs {
        let name = r.name.replace([',', '"', '\n'], " ");
        for e in &r.epochs {
            let opt = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
            out += &format!(
                "{name},{},{},{},{},{},{},{}\n",
                r.lab.name(),
                e.epoch,
                e.train_loss,
                e.train_acc,
                opt(e.valid_loss),
                opt(e.valid_acc),
                e.seconds
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::{BackendKind, StopReason, TensorValues};

    fn saved(status: RunStatus, epochs: usize) -> SavedRun {
        SavedRun {
            format: RUN_FORMAT,
            written_by: written_by(),
            key: "1700000000000-3".into(),
            name: "first <try>".into(),
            lab: RunKind::Synth,
            config: serde_json::to_value(crate::labs::synth::SynthLab::homework()).unwrap(),
            backend: Some(BackendInfo { kind: BackendKind::Cpu, name: "CPU".into(), note: None, measured: None }),
            created: 1.7e12,
            status,
            epochs: (1..=epochs)
                .map(|epoch| EpochRecord {
                    epoch,
                    train_loss: 1.0 / epoch as f64,
                    train_acc: 50.0,
                    valid_loss: Some(0.9),
                    valid_acc: Some(60.0),
                    seconds: 1.0,
                    examples_per_s: 100.0,
                })
                .collect(),
            summary: None,
            test: None,
            evaluation: None,
            checkpoint: Some(Checkpoint {
                epoch: epochs,
                tensors: vec![TensorValues { shape: vec![2], values: vec![0.5, -0.5] }],
            }),
            error: None,
        }
    }

    #[test]
    fn saved_runs_round_trip_and_other_formats_are_refused() {
        let run = saved(RunStatus::Finished, 3);
        let text = SavedRun::to_json(std::slice::from_ref(&run));
        assert_eq!(SavedRun::parse_file(&text).unwrap(), vec![run.clone()]);
        let one = serde_json::to_string(&run).unwrap();
        assert_eq!(SavedRun::parse_file(&one).unwrap().len(), 1, "a single run, not in a list");
        let future = one.replace(&format!("\"format\":{RUN_FORMAT}"), "\"format\":99");
        let newer = SavedRun::parse_file(&future).unwrap_err();
        assert_eq!(newer, RunFileError::Newer { found: 99, written_by: Some(written_by()) });
        assert!(newer.to_string().contains("saved by a newer nnlab (nnlab 0.1.0, format 99)"), "{newer}");
        assert_eq!(SavedRun::parse_file("{\"name\":\"x\"}"), Err(RunFileError::NoFormat));
        assert!(matches!(SavedRun::parse_file("{\"format\":1}"), Err(RunFileError::Parse(_))));
        assert!(matches!(SavedRun::parse_file("not json"), Err(RunFileError::Parse(_))));
    }

    #[test]
    fn a_run_left_running_is_interrupted_and_resumable_from_its_checkpoint() {
        let found = saved(RunStatus::Running, 2).found_on_load();
        assert_eq!(found.status, RunStatus::Interrupted);
        assert!(found.resumable());
        let mut stale = found.clone();
        stale.checkpoint.as_mut().unwrap().epoch = 1;
        assert!(!stale.resumable(), "a checkpoint behind the records cannot resume them");
        assert!(!saved(RunStatus::Finished, 2).found_on_load().resumable());
    }

    #[test]
    fn runs_export_as_csv_and_a_cnn_checkpoint_gives_its_first_kernels() {
        let mut run = saved(RunStatus::Finished, 2);
        let csv = runs_csv(std::slice::from_ref(&run));
        assert_eq!(csv.lines().count(), 3);
        assert!(csv.lines().nth(1).unwrap().starts_with("first <try>,synth,1,1,50,0.9,60,1"));
        assert_eq!(run.first_kernels(), None, "a single vector is no convolution");
        assert_eq!(run.train_seconds(), 2.0, "the epochs' seconds while there is no summary");
        let weight = TensorValues { shape: vec![2, 1, 1, 2], values: vec![1.0, 2.0, 3.0, 4.0] };
        let bias = TensorValues { shape: vec![2], values: vec![0.5, -0.5] };
        run.checkpoint = Some(Checkpoint { epoch: 2, tensors: vec![weight, bias] });
        let (epoch, k) = run.first_kernels().unwrap();
        assert_eq!((epoch, k.shape, k.kernel(1, 0)), (2, [2, 1, 1, 2], &[3.0, 4.0][..]));
        run.summary =
            Some(RunSummary { epochs_trained: 2, stop: StopReason::Completed, train_seconds: 7.5, parameters: 6 });
        assert_eq!(run.train_seconds(), 7.5);
    }
}
