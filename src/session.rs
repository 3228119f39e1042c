//! What the page knows about the worker and its runs, updated by each `FromWorker` message.
//! Pure state, so the page's logic is tested natively; the page only draws it.

use crate::config::{MnistLab, SynthLab};
use crate::metrics::eta_seconds;
use crate::protocol::{BackendInfo, EpochRecord, FromWorker, Kernels, RunId, RunSummary, ShiftSweep, StopReason};
use crate::scaling::SizeResult;

#[derive(Clone, Debug, PartialEq)]
pub enum Engine {
    /// The worker's wasm is loading.
    Loading,
    Ready,
    /// The worker died; a new one must be started.
    Crashed(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Sent, no answer yet (the engine may still be loading).
    Queued,
    Training,
    Paused,
    Finished,
    Failed,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RunView {
    pub id: RunId,
    pub lab: SynthLab,
    pub phase: Phase,
    pub backend: Option<BackendInfo>,
    /// A step with no countable progress ("compiling GPU kernels").
    pub status: Option<String>,
    /// (epoch, batch, batches) of the latest progress message.
    pub progress: Option<(usize, usize, usize)>,
    pub records: Vec<EpochRecord>,
    /// First-layer kernels after the latest epoch.
    pub kernels: Option<Kernels>,
    pub summary: Option<RunSummary>,
    pub sweep: Option<ShiftSweep>,
    pub error: Option<String>,
}

impl RunView {
    pub fn new(id: RunId, lab: SynthLab) -> Self {
        Self {
            id,
            lab,
            phase: Phase::Queued,
            backend: None,
            status: None,
            progress: None,
            records: vec![],
            kernels: None,
            summary: None,
            sweep: None,
            error: None,
        }
    }

    pub fn is_active(&self) -> bool {
        matches!(self.phase, Phase::Queued | Phase::Training | Phase::Paused)
    }

    /// Fraction of all batches of all epochs done, 0..1.
    pub fn fraction_done(&self) -> f64 {
        let epochs = self.lab.train.epochs as f64;
        match (self.phase, self.progress) {
            (Phase::Finished, _) => 1.0,
            (_, Some((epoch, batch, batches))) => ((epoch - 1) as f64 + batch as f64 / batches.max(1) as f64) / epochs,
            _ => 0.0,
        }
    }

    /// Seconds left, from the epochs done so far.
    pub fn eta_seconds(&self) -> Option<f64> {
        let seconds: Vec<f64> = self.records.iter().map(|r| r.seconds).collect();
        eta_seconds(&seconds, self.lab.train.epochs)
    }

    /// Training examples per second in the latest epoch.
    pub fn examples_per_s(&self) -> Option<f64> {
        self.records.last().map(|r| r.examples_per_s)
    }

    /// One line for the progress bar.
    pub fn progress_text(&self) -> String {
        let epochs = self.lab.train.epochs;
        match (self.phase, self.progress) {
            (Phase::Queued, _) => "waiting for the training engine".into(),
            (Phase::Finished, _) => match &self.summary {
                Some(s) => format!("{} epochs, {}", s.epochs_trained, s.stop.describe()),
                None => "finished".into(),
            },
            (Phase::Failed, _) => "failed".into(),
            (phase, Some((epoch, batch, batches))) => {
                let eta = self.eta_seconds().map(|s| format!(", about {} left", crate::metrics::format_duration(s)));
                let paused = if phase == Phase::Paused { " (paused)" } else { "" };
                format!("epoch {epoch} of {epochs}, batch {batch} of {batches}{}{paused}", eta.unwrap_or_default())
            }
            _ => self.status.clone().unwrap_or_else(|| "starting".into()),
        }
    }
}

/// An MNIST scaling run as the page sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct MnistView {
    pub id: RunId,
    pub lab: MnistLab,
    pub phase: Phase,
    pub backend: Option<BackendInfo>,
    /// (bytes ready, bytes needed, files from the cache, files) of the dataset download.
    pub data: Option<(u64, u64, usize, usize)>,
    /// Every epoch so far, with the training-set size of its model.
    pub epochs: Vec<(usize, EpochRecord)>,
    pub results: Vec<SizeResult>,
    pub summary: Option<RunSummary>,
    pub error: Option<String>,
}

impl MnistView {
    /// Fraction of all epochs of all sizes done, 0..1.
    pub fn fraction_done(&self) -> f64 {
        if self.phase == Phase::Finished {
            return 1.0;
        }
        let total = (self.lab.sizes.len() * self.lab.train.epochs).max(1);
        self.epochs.len() as f64 / total as f64
    }

    /// Seconds left, from the time per example so far (later sizes take longer per epoch).
    pub fn eta_seconds(&self) -> Option<f64> {
        let done_examples: f64 = self.epochs.iter().map(|(size, _)| *size as f64).sum();
        let seconds: f64 = self.epochs.iter().map(|(_, r)| r.seconds).sum();
        if done_examples == 0.0 {
            return None;
        }
        let all: f64 = self.lab.sizes.iter().map(|&s| (s * self.lab.train.epochs) as f64).sum();
        Some(seconds / done_examples * (all - done_examples).max(0.0))
    }

    pub fn progress_text(&self) -> String {
        match self.phase {
            Phase::Finished if self.results.len() == 1 => "1 model trained and tested".into(),
            Phase::Finished => format!("{} models trained and tested", self.results.len()),
            Phase::Failed => "failed".into(),
            _ => match self.epochs.last() {
                None if self.data.is_some() => "checking the dataset".into(),
                None => "waiting for the training engine".into(),
                Some((size, record)) => {
                    let k = self.lab.sizes.iter().position(|s| s == size).map_or(0, |i| i + 1);
                    let eta =
                        self.eta_seconds().map(|s| format!(", about {} left", crate::metrics::format_duration(s)));
                    let paused = if self.phase == Phase::Paused { " (paused)" } else { "" };
                    format!(
                        "model {k} of {} (N = {size}), epoch {} of {}, {:.0} examples/s{}{paused}",
                        self.lab.sizes.len(),
                        record.epoch,
                        self.lab.train.epochs,
                        record.examples_per_s,
                        eta.unwrap_or_default()
                    )
                }
            },
        }
    }
}

/// The page's whole model of the training side.
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub engine: Engine,
    /// The browser's WebGPU adapter name, or why there is none (`None` until probed).
    pub gpu: Option<Result<String, String>>,
    pub runs: Vec<RunView>,
    /// The latest shift-demo answer: maps `[c, h, w]` and class probabilities.
    pub probe: Option<Probe>,
    /// A message not tied to a run.
    pub notice: Option<String>,
    /// The latest MNIST scaling run.
    pub mnist: Option<MnistView>,
    /// One epoch on the full training set, checking the scaling run's extrapolation.
    pub mnist_check: Option<MnistView>,
    /// The id the next run gets (ids are shared by all labs: there is one worker).
    next_id: RunId,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    pub run: RunId,
    pub maps: Vec<f32>,
    pub map_shape: [usize; 3],
    pub probs: Vec<f32>,
}

impl Default for Session {
    fn default() -> Self {
        Self {
            engine: Engine::Loading,
            gpu: None,
            runs: vec![],
            probe: None,
            notice: None,
            mnist: None,
            mnist_check: None,
            next_id: 1,
        }
    }
}

impl Session {
    /// The run being shown: the latest.
    pub fn current(&self) -> Option<&RunView> {
        self.runs.last()
    }

    /// Whether the worker is busy with a run of any lab.
    pub fn is_training(&self) -> bool {
        self.current().is_some_and(RunView::is_active)
            || [&self.mnist, &self.mnist_check]
                .iter()
                .any(|m| m.as_ref().is_some_and(|m| matches!(m.phase, Phase::Queued | Phase::Training | Phase::Paused)))
    }

    /// Registers an MNIST run the page is about to send; returns its id.
    pub fn start_mnist(&mut self, lab: MnistLab) -> RunId {
        self.mnist_check = None;
        let (id, view) = self.new_mnist(lab);
        self.mnist = Some(view);
        id
    }

    /// Registers a one-epoch run on the full training set (keeps the scaling run).
    pub fn start_mnist_check(&mut self, lab: MnistLab) -> RunId {
        let (id, view) = self.new_mnist(lab);
        self.mnist_check = Some(view);
        id
    }

    fn new_mnist(&mut self, lab: MnistLab) -> (RunId, MnistView) {
        let id = self.take_id();
        (
            id,
            MnistView {
                id,
                lab,
                phase: Phase::Queued,
                backend: None,
                data: None,
                epochs: vec![],
                results: vec![],
                summary: None,
                error: None,
            },
        )
    }

    fn take_id(&mut self) -> RunId {
        self.next_id += 1;
        self.next_id - 1
    }

    fn mnist_mut(&mut self, id: RunId) -> Option<&mut MnistView> {
        [&mut self.mnist, &mut self.mnist_check].into_iter().find_map(|m| m.as_mut().filter(|m| m.id == id))
    }

    /// The newest run that finished with a model (what the shift demo probes).
    pub fn trained(&self) -> Option<&RunView> {
        self.runs.iter().rev().find(|r| r.phase == Phase::Finished && !r.records.is_empty())
    }

    /// Registers a run the page is about to send; returns its id.
    pub fn start_run(&mut self, lab: SynthLab) -> RunId {
        let id = self.take_id();
        self.runs.push(RunView::new(id, lab));
        id
    }

    fn run_mut(&mut self, id: RunId) -> Option<&mut RunView> {
        self.runs.iter_mut().find(|r| r.id == id)
    }

    /// Applies one message from the worker.
    pub fn apply(&mut self, message: FromWorker) {
        let message = match self.apply_mnist(message) {
            Some(rest) => rest,
            None => return,
        };
        match message {
            FromWorker::Ready => {
                self.engine = Engine::Ready;
                self.notice = None;
            }
            FromWorker::Gpu { adapter, reason } => {
                self.gpu = Some(adapter.ok_or_else(|| reason.unwrap_or_else(|| "no reason given".into())));
            }
            FromWorker::Backend { run, info } => {
                if let Some(r) = self.run_mut(run) {
                    r.backend = Some(info);
                    if r.phase == Phase::Queued {
                        r.phase = Phase::Training;
                    }
                }
            }
            FromWorker::Status { run, text } => {
                if let Some(r) = self.run_mut(run) {
                    r.status = Some(text);
                }
            }
            FromWorker::Progress { run, epoch, batch, batches } => {
                if let Some(r) = self.run_mut(run) {
                    r.progress = Some((epoch, batch, batches));
                    r.status = None;
                }
            }
            FromWorker::Epoch { run, record, kernels } => {
                if let Some(r) = self.run_mut(run) {
                    r.records.push(record);
                    if !kernels.weights.is_empty() {
                        r.kernels = Some(kernels);
                    }
                }
            }
            FromWorker::Done { run, summary } => {
                if let Some(r) = self.run_mut(run) {
                    r.phase = Phase::Finished;
                    if let StopReason::Diverged { .. } = summary.stop {
                        r.error = Some(summary.stop.describe());
                    }
                    r.summary = Some(summary);
                    r.status = None;
                }
            }
            FromWorker::Sweep { run, sweep } => {
                if let Some(r) = self.run_mut(run) {
                    r.sweep = Some(sweep);
                }
            }
            FromWorker::Paused { run, paused } => {
                if let Some(r) = self.run_mut(run).filter(|r| matches!(r.phase, Phase::Training | Phase::Paused)) {
                    r.phase = if paused { Phase::Paused } else { Phase::Training };
                }
            }
            // Late messages of an MNIST run that is no longer the current one.
            FromWorker::DataProgress { .. } | FromWorker::SizeEpoch { .. } | FromWorker::SizeDone { .. } => {}
            FromWorker::Probe { run, maps, map_shape, probs } => {
                self.probe = Some(Probe { run, maps, map_shape, probs });
            }
            FromWorker::Error { run: Some(run), message } if self.run_mut(run).is_some_and(|r| r.is_active()) => {
                let r = self.run_mut(run).expect("checked just above");
                r.phase = Phase::Failed;
                r.error = Some(message);
            }
            FromWorker::Error { message, .. } => self.notice = Some(message),
            FromWorker::Crashed { message } => {
                for r in self.runs.iter_mut().filter(|r| r.is_active()) {
                    r.phase = Phase::Failed;
                    r.error = Some("the training worker stopped during this run".into());
                }
                self.engine = Engine::Crashed(message);
                self.probe = None;
            }
        }
    }

    /// Takes the messages of the current MNIST run; returns the others.
    fn apply_mnist(&mut self, message: FromWorker) -> Option<FromWorker> {
        let run = match &message {
            FromWorker::Backend { run, .. }
            | FromWorker::DataProgress { run, .. }
            | FromWorker::SizeEpoch { run, .. }
            | FromWorker::SizeDone { run, .. }
            | FromWorker::Paused { run, .. }
            | FromWorker::Done { run, .. }
            | FromWorker::Error { run: Some(run), .. } => *run,
            FromWorker::Crashed { .. } => {
                for m in [&mut self.mnist, &mut self.mnist_check].into_iter().flatten() {
                    if matches!(m.phase, Phase::Queued | Phase::Training) {
                        m.phase = Phase::Failed;
                        m.error = Some("the training worker stopped during this run".into());
                    }
                }
                return Some(message);
            }
            _ => return Some(message),
        };
        let Some(m) = self.mnist_mut(run) else { return Some(message) };
        match message {
            FromWorker::Backend { info, .. } => {
                m.backend = Some(info);
                m.phase = Phase::Training;
            }
            FromWorker::Paused { paused, .. } if matches!(m.phase, Phase::Training | Phase::Paused) => {
                m.phase = if paused { Phase::Paused } else { Phase::Training };
            }
            FromWorker::DataProgress { loaded, total, cached_files, files, .. } => {
                m.data = Some((loaded, total, cached_files, files))
            }
            FromWorker::SizeEpoch { size, record, .. } => m.epochs.push((size, record)),
            FromWorker::SizeDone { result, .. } => m.results.push(result),
            FromWorker::Done { summary, .. } => {
                m.phase = Phase::Finished;
                m.summary = Some(summary);
            }
            FromWorker::Error { message, .. } => {
                m.phase = Phase::Failed;
                m.error = Some(message);
            }
            other => return Some(other),
        }
        None
    }

    /// Final validation accuracy of every finished run, with its kernels, for the repeats view.
    pub fn finished_runs(&self) -> Vec<&RunView> {
        self.runs.iter().filter(|r| r.phase == Phase::Finished && r.kernels.is_some()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{BackendKind, StopReason};

    fn record(epoch: usize) -> EpochRecord {
        EpochRecord {
            epoch,
            train_loss: 0.5,
            train_acc: 80.0,
            valid_loss: Some(0.6),
            valid_acc: Some(75.0),
            seconds: 2.0,
            examples_per_s: 5000.0,
        }
    }

    fn lab(epochs: usize) -> SynthLab {
        let mut lab = SynthLab::homework();
        lab.train.epochs = epochs;
        lab
    }

    #[test]
    fn a_run_goes_from_queued_to_finished() {
        let mut s = Session::default();
        let id = s.start_run(lab(4));
        assert_eq!(s.current().unwrap().progress_text(), "waiting for the training engine");
        s.apply(FromWorker::Ready);
        let info = BackendInfo { kind: BackendKind::Cpu, name: "CPU".into(), note: None };
        s.apply(FromWorker::Backend { run: id, info });
        assert_eq!(s.current().unwrap().phase, Phase::Training);
        s.apply(FromWorker::Progress { run: id, epoch: 1, batch: 100, batches: 200 });
        assert_eq!(s.current().unwrap().fraction_done(), 0.125);
        s.apply(FromWorker::Epoch { run: id, record: record(1), kernels: Kernels::default() });
        s.apply(FromWorker::Progress { run: id, epoch: 2, batch: 50, batches: 200 });
        let text = s.current().unwrap().progress_text();
        assert_eq!(text, "epoch 2 of 4, batch 50 of 200, about 6.0 s left");
        s.apply(FromWorker::Paused { run: id, paused: true });
        assert!(s.current().unwrap().progress_text().ends_with("(paused)"));
        assert!(s.is_training());
        let summary =
            RunSummary { epochs_trained: 1, stop: StopReason::Cancelled, train_seconds: 2.0, parameters: 442 };
        s.apply(FromWorker::Done { run: id, summary });
        assert!(!s.is_training());
        assert_eq!(s.current().unwrap().fraction_done(), 1.0);
        assert_eq!(s.trained().unwrap().id, id);
    }

    #[test]
    fn messages_of_an_old_run_do_not_touch_the_new_one() {
        let mut s = Session::default();
        let old = s.start_run(lab(2));
        let new = s.start_run(lab(2));
        s.apply(FromWorker::Epoch { run: old, record: record(1), kernels: Kernels::default() });
        assert!(s.run_mut(new).unwrap().records.is_empty());
        assert_eq!(new, old + 1);
    }

    #[test]
    fn a_crash_fails_the_active_run_and_a_diverged_run_says_why() {
        let mut s = Session::default();
        let id = s.start_run(lab(2));
        s.apply(FromWorker::Crashed { message: "RuntimeError: unreachable".into() });
        assert_eq!(s.engine, Engine::Crashed("RuntimeError: unreachable".into()));
        assert_eq!(s.run_mut(id).unwrap().phase, Phase::Failed);

        let mut s = Session::default();
        let id = s.start_run(lab(2));
        let stop = StopReason::Diverged { epoch: 1, lr: 9.0 };
        s.apply(FromWorker::Done {
            run: id,
            summary: RunSummary { epochs_trained: 0, stop, train_seconds: 0.0, parameters: 442 },
        });
        assert!(s.current().unwrap().error.as_ref().unwrap().contains("learning rate 9"));
        assert!(s.trained().is_none(), "a run without a finished epoch has no model to probe");
    }

    #[test]
    fn an_mnist_run_collects_epochs_and_results_and_fails_with_the_file_named() {
        let mut s = Session::default();
        let synth = s.start_run(lab(2));
        let mut mnist = MnistLab::homework();
        mnist.sizes = vec![100, 300];
        mnist.train.epochs = 2;
        let id = s.start_mnist(mnist.clone());
        assert_ne!(id, synth);
        assert!(s.is_training());
        s.apply(FromWorker::DataProgress { run: id, loaded: 5, total: 10, cached_files: 0, files: 7 });
        assert_eq!(s.mnist.as_ref().unwrap().progress_text(), "checking the dataset");
        s.apply(FromWorker::SizeEpoch { run: id, size: 100, record: record(1) });
        let m = s.mnist.as_ref().unwrap();
        assert_eq!(m.fraction_done(), 0.25);
        // 2 s for 100 examples; 100 + 600 examples remain.
        assert_eq!(m.eta_seconds(), Some(14.0));
        assert_eq!(m.progress_text(), "model 1 of 2 (N = 100), epoch 1 of 2, 5000 examples/s, about 14.0 s left");
        assert!(s.current().unwrap().records.is_empty(), "MNIST epochs do not reach the synth run");
        s.apply(FromWorker::Error { run: Some(id), message: "mnist/train-00.safetensors.gz: HTTP 404".into() });
        assert_eq!(s.mnist.as_ref().unwrap().phase, Phase::Failed);
        assert_eq!(s.mnist.as_ref().unwrap().error.as_deref(), Some("mnist/train-00.safetensors.gz: HTTP 404"));
    }

    #[test]
    fn the_full_set_check_keeps_the_scaling_run() {
        let mut s = Session::default();
        let scaling = s.start_mnist(MnistLab::homework());
        let check = s.start_mnist_check(MnistLab { sizes: vec![60_000], ..MnistLab::homework() });
        s.apply(FromWorker::SizeEpoch { run: check, size: 60_000, record: record(1) });
        assert_eq!(s.mnist_check.as_ref().unwrap().epochs.len(), 1);
        assert_eq!(s.mnist.as_ref().unwrap().id, scaling);
        assert!(s.mnist.as_ref().unwrap().epochs.is_empty());
        s.start_mnist(MnistLab::homework());
        assert!(s.mnist_check.is_none(), "a new scaling run drops the old check");
    }

    #[test]
    fn errors_go_to_their_run_or_to_the_notice() {
        let mut s = Session::default();
        let id = s.start_run(lab(2));
        s.apply(FromWorker::Error { run: Some(id), message: "WebGPU is not available".into() });
        assert_eq!(s.current().unwrap().phase, Phase::Failed);
        s.apply(FromWorker::Error { run: None, message: "bad".into() });
        assert_eq!(s.notice.as_deref(), Some("bad"));
        s.apply(FromWorker::Gpu { adapter: None, reason: Some("null adapter".into()) });
        assert_eq!(s.gpu, Some(Err("null adapter".into())));
    }
}
