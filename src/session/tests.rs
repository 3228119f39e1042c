//! Tests of `session.rs`.

use super::pool::Outbox;
use super::*;
use crate::data::dogs::LoadReport;
use crate::labs::RunKind;
use crate::labs::dogs::DogLab;
use crate::labs::mnist::MnistLab;
use crate::labs::mnist::scaling::SizeResult;
use crate::labs::synth::SynthLab;
use crate::labs::xor::XorLab;
use crate::protocol::{Job, LabResult, ToWorker};
use crate::run::Share;
use crate::run::{
    BackendChoice, BackendInfo, BackendKind, Checkpoint, DataProgress, EngineMeasure, EpochRecord, Kernels, RunSummary,
    StopReason,
};
use crate::runs::{RunStatus, SavedRun};

impl Session {
    fn run_mut(&mut self, id: RunId) -> Option<&mut SynthRun> {
        self.runs.iter_mut().find(|r| r.id == id)
    }
}

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

/// Registers a Synth run and sends it to the pool, as the page does.
fn train(s: &mut Session, epochs: usize) -> (RunId, Outbox) {
    s.start(Job::Synth { lab: lab(epochs), resume: None }, BackendChoice::Cpu)
}

/// Starts the MNIST lab's scaling run (or, with `check`, its full-set check) on the CPU.
fn mnist(s: &mut Session, lab: MnistLab, check: bool) -> (RunId, Outbox) {
    s.start(Job::Mnist { lab, check }, BackendChoice::Cpu)
}

fn dogs(s: &mut Session, lab: DogLab, backend: BackendChoice) -> (RunId, Outbox) {
    s.start(Job::Dogs { lab, resume: None, share: None, picks: vec![] }, backend)
}

fn train_lab(s: &mut Session, lab: SynthLab) -> RunId {
    s.start(Job::Synth { lab, resume: None }, BackendChoice::Cpu).0
}

fn ready(s: &mut Session, workers: usize) {
    assert!(s.pool.resize(workers));
    for w in 0..workers {
        s.apply_from(w, FromWorker::Ready);
    }
}

#[test]
fn a_run_goes_from_queued_to_finished() {
    let mut s = Session::default();
    let id = train_lab(&mut s, lab(4));
    assert_eq!(s.current().unwrap().progress_text(), "waiting for the training engine");
    s.apply(FromWorker::Ready);
    let info = BackendInfo { kind: BackendKind::Cpu, name: "CPU".into(), note: None, measured: None };
    s.apply(FromWorker::Backend { run: id, info });
    assert_eq!(s.current().unwrap().state.phase, Phase::Training);
    s.apply(FromWorker::Progress { run: id, epoch: 1, batch: 100, batches: 200, batches_per_s: None });
    assert_eq!(s.current().unwrap().fraction_done(), 0.125);
    s.apply(FromWorker::Epoch { run: id, record: record(1), kernels: Kernels::default() });
    s.apply(FromWorker::Progress { run: id, epoch: 2, batch: 50, batches: 200, batches_per_s: None });
    let text = s.current().unwrap().progress_text();
    assert_eq!(text, "epoch 2 of 4, batch 50 of 200, about 6.0 s left");
    s.apply(FromWorker::Paused { run: id, paused: true });
    assert!(s.current().unwrap().progress_text().ends_with("(paused)"));
    assert!(s.is_training());
    let summary = RunSummary { epochs_trained: 1, stop: StopReason::Cancelled, train_seconds: 2.0, parameters: 442 };
    s.apply(FromWorker::Done { run: id, summary });
    assert!(!s.is_training());
    assert_eq!(s.current().unwrap().fraction_done(), 1.0);
    assert_eq!(s.trained().unwrap().id, id);
}

#[test]
fn messages_of_an_old_run_do_not_touch_the_new_one() {
    let mut s = Session::default();
    let old = train_lab(&mut s, lab(2));
    let new = train_lab(&mut s, lab(2));
    s.apply(FromWorker::Epoch { run: old, record: record(1), kernels: Kernels::default() });
    assert!(s.run_mut(new).unwrap().records.is_empty());
    assert_eq!(new, old + 1);
}

#[test]
fn the_engine_download_shows_the_furthest_worker_and_a_run_sent_before_it_waits() {
    let mut s = Session::default();
    assert!(s.can_start(), "Train works before the engine is here");
    let (id, out) = train(&mut s, 2);
    assert!(out.is_empty(), "the job waits in the queue for the first worker with its engine");
    assert_eq!(s.run_mut(id).unwrap().state.phase, Phase::Queued);
    assert_eq!(s.run_mut(id).unwrap().progress_text(), crate::run::QUEUED);
    s.apply_from(0, FromWorker::EngineProgress { loaded: 500, total: 1_000, elapsed_ms: 10, cpu_engine: None });
    s.apply_from(0, FromWorker::EngineProgress { loaded: 200, total: 1_000, elapsed_ms: 4, cpu_engine: None });
    assert_eq!(s.engine_download, Some((500, 1_000)), "a second worker starting over does not go back");
    assert_eq!(s.engine(), Engine::Loading);
}

/// The WebGPU engine's loader says how much has come in how long (at 200 KB/s, a slow link),
/// and what the CPU engine would cost.
fn webgpu_downloading(s: &mut Session, loaded: u64) {
    let elapsed_ms = loaded / 200;
    s.apply_from(0, FromWorker::EngineProgress { loaded, total: 6_000_000, elapsed_ms, cpu_engine: Some(1_200_000) });
}

#[test]
fn a_run_sent_while_the_webgpu_engine_downloads_trains_on_a_cpu_stand_in() {
    let mut s = Session::default();
    // Train pressed before the engine's loader said anything: the run waits in the queue.
    let (id, out) = s.start(Job::Synth { lab: lab(2), resume: None }, BackendChoice::Auto);
    assert!(out.is_empty());
    assert_eq!(s.run_mut(id).unwrap().progress_text(), crate::run::QUEUED);
    // Then the loader gives the WebGPU engine's size: far more is left than the CPU engine's.
    webgpu_downloading(&mut s, 100_000);
    assert_eq!(s.pool.size(), 1, "the stand-in is an extra, not one of the workers asked for");
    assert_eq!(s.pool.stand_in(), Some(1));
    assert_eq!(s.run_mut(id).unwrap().progress_text(), super::routing::STAND_IN_WAIT);
    // Its own download shows on the run; the banner keeps the WebGPU engine's.
    s.apply_from(
        1,
        FromWorker::EngineProgress { loaded: 300_000, total: 1_200_000, elapsed_ms: 900, cpu_engine: None },
    );
    assert_eq!(
        s.run_mut(id).unwrap().state.status.as_deref(),
        Some(format!("{}: 300 KB of 1.2 MB", super::routing::STAND_IN_WAIT).as_str())
    );
    assert_eq!(s.engine_download, Some((100_000, 6_000_000)));
    // Its CPU-only engine finds no adapter: the page still believes the WebGPU workers.
    s.apply_from(1, FromWorker::Gpu { adapter: None, reason: Some("a CPU-only build".into()) });
    assert_eq!(s.gpu, None);
    // Ready, it takes the run, said as a CPU run: it neither looks for WebGPU nor measures.
    let out = s.apply_from(1, FromWorker::Ready);
    assert!(
        matches!(out.as_slice(), [(1, ToWorker::Start { backend: BackendChoice::Cpu, measured: None, .. })]),
        "{out:?}"
    );
    assert_eq!(s.engine(), Engine::Loading, "the engine the browser was given is still coming");
    let cpu = BackendInfo { kind: BackendKind::Cpu, name: "CPU".into(), note: None, measured: None };
    s.apply_from(1, FromWorker::Backend { run: id, info: cpu });
    let note = s.run_mut(id).unwrap().state.backend.clone().unwrap().note.unwrap();
    assert_eq!(note, super::routing::STAND_IN_NOTE);
    s.apply_from(1, FromWorker::Epoch { run: id, record: record(1), kernels: Kernels::default() });
    assert_eq!(s.run_mut(id).unwrap().records.len(), 1, "it trains before the WebGPU engine is here");

    // Once the WebGPU worker is ready, a second run goes to it, not to the stand-in.
    s.apply_from(0, FromWorker::Ready);
    assert_eq!(s.engine(), Engine::Ready);
    let (_, out) = s.start(Job::Synth { lab: lab(2), resume: None }, BackendChoice::Auto);
    assert!(matches!(out.as_slice(), [(0, ToWorker::Start { backend: BackendChoice::Auto, .. })]), "{out:?}");
    assert_eq!(s.pool.stand_in(), Some(1), "one stand-in at most");
}

#[test]
fn no_stand_in_when_little_of_the_webgpu_engine_is_left_or_webgpu_is_asked_for() {
    // Less left than twice the CPU engine: sharing the link, the CPU engine would come later.
    let mut s = Session::default();
    webgpu_downloading(&mut s, 4_000_000);
    s.start(Job::Synth { lab: lab(2), resume: None }, BackendChoice::Auto);
    assert_eq!(s.pool.stand_in(), None);
    let out = s.apply_from(0, FromWorker::Ready);
    assert!(matches!(out.as_slice(), [(0, ToWorker::Start { backend: BackendChoice::Auto, .. })]), "{out:?}");
    // WebGPU asked for: it waits for the WebGPU engine.
    let mut s = Session::default();
    webgpu_downloading(&mut s, 100_000);
    s.start(Job::Synth { lab: lab(2), resume: None }, BackendChoice::WebGpu);
    assert_eq!(s.pool.stand_in(), None);
    // A CPU engine downloading (no `cpu_engine`): nothing to stand in for.
    let mut s = Session::default();
    s.apply_from(0, FromWorker::EngineProgress { loaded: 1_000, total: 1_200_000, elapsed_ms: 5, cpu_engine: None });
    s.start(Job::Synth { lab: lab(2), resume: None }, BackendChoice::Auto);
    assert_eq!(s.pool.stand_in(), None);
    // The WebGPU engine from the cache: its first bytes say it is moments away.
    let mut s = Session::default();
    s.start(Job::Synth { lab: lab(2), resume: None }, BackendChoice::Auto);
    let cached = FromWorker::EngineProgress { loaded: 0, total: 6_000_000, elapsed_ms: 0, cpu_engine: Some(1_200_000) };
    s.apply_from(0, cached);
    assert_eq!(s.pool.stand_in(), None, "no rate before the first bytes");
    let cached =
        FromWorker::EngineProgress { loaded: 2_000_000, total: 6_000_000, elapsed_ms: 30, cpu_engine: Some(1_200_000) };
    s.apply_from(0, cached);
    assert_eq!(s.pool.stand_in(), None, "4 MB left at 67 MB/s: 60 ms away");
}

#[test]
fn resizing_the_pool_lets_the_stand_in_go() {
    let mut s = Session::default();
    webgpu_downloading(&mut s, 100_000);
    let (id, _) = s.start(Job::Synth { lab: lab(1), resume: None }, BackendChoice::Cpu);
    assert_eq!(s.pool.stand_in(), Some(1));
    s.apply_from(1, FromWorker::Ready);
    s.apply_from(1, FromWorker::Done { run: id, summary: RunSummary::stopped_before_start() });
    s.apply_from(1, FromWorker::Idle);
    assert!(s.pool.resize(3));
    assert_eq!((s.pool.size(), s.pool.slots().len(), s.pool.stand_in()), (3, 3, None));
}

#[test]
fn a_worker_out_of_memory_interrupts_its_run_saying_so_and_keeps_its_epochs() {
    let mut s = Session::default();
    s.apply_from(0, FromWorker::Ready);
    let (id, _) = train(&mut s, 2);
    s.apply(FromWorker::Epoch { run: id, record: record(1), kernels: Kernels::default() });
    let epochs = s.run_mut(id).unwrap().records.len();
    assert_eq!(epochs, 1);
    let note = format!("{} (it asked for 512 MB more with 3900 MB in use)", crate::run::OUT_OF_MEMORY);
    s.apply_from(0, FromWorker::Crashed { message: note.clone() });
    // The engine's own "unreachable" follows the worker's note: the note's words stay.
    s.apply_from(0, FromWorker::Crashed { message: "RuntimeError: unreachable".into() });
    let run = s.run_mut(id).unwrap();
    assert_eq!(run.state.phase, Phase::Interrupted);
    assert_eq!(run.records.len(), epochs, "the epochs so far stay");
    let error = run.state.error.clone().unwrap();
    assert!(error.starts_with(&note) && error.contains("The epochs so far are kept"), "{error}");
    assert_eq!(s.engine(), Engine::Crashed(note), "the banner keeps the worker's own words");
}

#[test]
fn a_crash_fails_the_active_run_and_a_diverged_run_says_why() {
    let mut s = Session::default();
    s.apply_from(0, FromWorker::Ready);
    let (id, _) = train(&mut s, 2);
    s.apply_from(0, FromWorker::Crashed { message: "RuntimeError: unreachable".into() });
    assert_eq!(s.engine(), Engine::Crashed("RuntimeError: unreachable".into()));
    assert_eq!(s.run_mut(id).unwrap().state.phase, Phase::Interrupted);

    let mut s = Session::default();
    let id = train_lab(&mut s, lab(2));
    let stop = StopReason::Diverged { epoch: 1, lr: 9.0 };
    s.apply(FromWorker::Done {
        run: id,
        summary: RunSummary { epochs_trained: 0, stop, train_seconds: 0.0, parameters: 442 },
    });
    assert!(s.current().unwrap().state.error.as_ref().unwrap().contains("learning rate 9"));
    assert!(s.trained().is_none(), "a run without a finished epoch has no model to probe");
}

#[test]
fn an_mnist_run_collects_epochs_and_results_and_fails_with_the_file_named() {
    let mut s = Session::default();
    let synth = train_lab(&mut s, lab(2));
    let mut lab = MnistLab::homework();
    lab.sizes = vec![100, 300];
    lab.train.epochs = 2;
    let id = mnist(&mut s, lab, false).0;
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
    assert_eq!(s.mnist.as_ref().unwrap().state.phase, Phase::Failed);
    assert_eq!(s.mnist.as_ref().unwrap().state.error.as_deref(), Some("mnist/train-00.safetensors.gz: HTTP 404"));
}

#[test]
fn the_full_set_check_keeps_the_scaling_run() {
    let mut s = Session::default();
    let scaling = mnist(&mut s, MnistLab::homework(), false).0;
    let check = mnist(&mut s, MnistLab { sizes: vec![60_000], ..MnistLab::homework() }, true).0;
    s.apply(FromWorker::SizeEpoch { run: check, size: 60_000, record: record(1) });
    assert_eq!(s.mnist_check.as_ref().unwrap().epochs.len(), 1);
    assert_eq!(s.mnist.as_ref().unwrap().id, scaling);
    assert!(s.mnist.as_ref().unwrap().epochs.is_empty());
    mnist(&mut s, MnistLab::homework(), false);
    assert!(s.mnist_check.is_none(), "a new scaling run drops the old check");
}

#[test]
fn errors_go_to_their_run_or_to_the_notice() {
    let mut s = Session::default();
    let id = train_lab(&mut s, lab(2));
    s.apply(FromWorker::Error { run: Some(id), message: "WebGPU is not available".into() });
    assert_eq!(s.current().unwrap().state.phase, Phase::Failed);
    s.apply(FromWorker::Error { run: None, message: "bad".into() });
    assert_eq!(s.notice.as_deref(), Some("bad"));
    s.apply(FromWorker::Gpu { adapter: None, reason: Some("null adapter".into()) });
    assert_eq!(s.gpu, Some(Err("null adapter".into())));
}

#[test]
fn the_dogset_lab_loads_trains_both_networks_and_keeps_them_apart() {
    use crate::data::dogs::tests_support;
    use crate::labs::dogs::DogModel;
    let mut s = Session::default();
    s.apply_from(0, FromWorker::Ready);
    let load = s.load_dogs();
    s.apply(FromWorker::DataProgress { run: load, loaded: 5, total: 10, cached_files: 0, files: 3 });
    assert_eq!(s.dogs.data, Some(DataProgress { loaded_bytes: 5, total_bytes: 10, cached_files: 0, files: 3 }));
    s.apply(FromWorker::DogData { run: load, info: tests_support::info() });
    assert_eq!((s.dogs.loading, s.dogs.info.as_ref().map(|i| i.counts)), (None, Some([3, 1, 1])));

    let mlp = dogs(&mut s, DogLab::homework(DogModel::Mlp), BackendChoice::Cpu).0;
    let cnn_lab = DogLab::homework_cnn();
    s.apply(FromWorker::Layers { run: mlp, layers: cnn_lab.net().shape_table().unwrap() });
    s.apply(FromWorker::Epoch { run: mlp, record: record(1), kernels: Kernels::default() });
    assert!(s.is_training() || s.dogs.is_training());
    s.apply(FromWorker::Tested { run: mlp, loss: 1.2, accuracy: 55.0, evaluation: None });
    let summary = RunSummary { epochs_trained: 1, stop: StopReason::Completed, train_seconds: 2.0, parameters: 9 };
    s.apply(FromWorker::Done { run: mlp, summary });
    s.apply_from(0, FromWorker::Idle);
    let m = s.dogs.mlp.as_ref().unwrap();
    assert_eq!((m.state.phase, m.test, m.records.len(), m.layers.len()), (Phase::Finished, Some((1.2, 55.0)), 1, 6));

    let cnn = dogs(&mut s, cnn_lab, BackendChoice::Cpu).0;
    s.apply(FromWorker::Epoch { run: cnn, record: record(1), kernels: Kernels::default() });
    s.apply_from(0, FromWorker::Crashed { message: "gone".into() });
    assert_eq!(s.dogs.cnn.as_ref().unwrap().state.phase, Phase::Interrupted);
    assert_eq!(s.dogs.mlp.as_ref().unwrap().state.phase, Phase::Finished, "a finished run survives a crash");

    s.apply(FromWorker::DogLoadFailed { message: "no dogs.csv".into(), report: LoadReport::default() });
    assert_eq!(s.dogs.load_error.as_ref().map(|e| e.0.as_str()), Some("no dogs.csv"));
    let again = s.load_dogs();
    s.apply(FromWorker::Error { run: Some(again), message: "404".into() });
    assert_eq!((s.dogs.loading, s.dogs.load_error.as_ref().map(|e| e.0.as_str())), (None, Some("404")));
}

#[test]
fn a_run_is_saved_with_its_records_checkpoint_and_status() {
    use crate::run::TensorValues;
    let mut s = Session::default();
    s.apply_from(0, FromWorker::Ready);
    let (id, _) = train(&mut s, 3);
    s.apply(FromWorker::Epoch { run: id, record: record(1), kernels: Kernels::default() });
    let checkpoint = Checkpoint { epoch: 1, tensors: vec![TensorValues { shape: vec![1], values: vec![0.5] }] };
    s.apply(FromWorker::Checkpoint { run: id, checkpoint: checkpoint.clone() });
    let saved = SavedRun::of_run(s.current().unwrap(), "k", "my run", RunKind::Synth, 5.0);
    assert_eq!((saved.status, saved.epochs.len(), saved.checkpoint), (RunStatus::Running, 1, Some(checkpoint.clone())));
    assert_eq!(saved.config["train"]["epochs"], 3);
    s.apply_from(0, FromWorker::Crashed { message: "gone".into() });
    let saved = SavedRun::of_run(s.current().unwrap(), "k", "my run", RunKind::Synth, 5.0);
    assert_eq!(saved.status, RunStatus::Interrupted);
    assert!(saved.resumable());

    let resumed =
        s.start(Job::Synth { lab: lab(3), resume: Some((checkpoint, saved.epochs.clone())) }, BackendChoice::Cpu).0;
    let r = s.current().unwrap();
    assert_eq!((r.id, r.records.len()), (resumed, 1));
    assert!(r.fraction_done() < 0.5);
}

#[test]
fn each_mnist_model_is_saved_as_its_own_run() {
    let mut s = Session::default();
    s.apply_from(0, FromWorker::Ready);
    let id = mnist(&mut s, MnistLab::homework(), false).0;
    s.apply(FromWorker::SizeEpoch { run: id, size: 500, record: record(1) });
    s.apply(FromWorker::SizeEpoch { run: id, size: 1000, record: record(1) });
    let m = s.mnist.as_ref().unwrap();
    let running = SavedRun::of_mnist_model(m, 500, "k", 1.0);
    assert_eq!((running.status, running.epochs.len(), running.lab), (RunStatus::Running, 1, RunKind::Mnist));
    assert_eq!(running.config["sizes"], serde_json::json!([500]));
    let result = SizeResult {
        size: 500,
        losses: vec![0.5],
        train_seconds: 2.0,
        test_acc: 85.0,
        test_loss: 0.4,
        epochs_trained: 1,
        evaluation: None,
    };
    let weights = Checkpoint { epoch: 1, tensors: vec![] };
    s.apply(FromWorker::SizeDone { run: id, result, checkpoint: Some(weights.clone()) });
    let done = SavedRun::of_mnist_model(s.mnist.as_ref().unwrap(), 500, "k", 1.0);
    assert_eq!((done.status, done.test, done.checkpoint), (RunStatus::Finished, Some((0.4, 85.0)), Some(weights)));
    assert_eq!(done.summary.map(|s| s.parameters), Some(109_386), "counted from the MLP's shapes");
    s.apply_from(0, FromWorker::Crashed { message: "gone".into() });
    assert_eq!(SavedRun::of_mnist_model(s.mnist.as_ref().unwrap(), 1000, "k2", 1.0).status, RunStatus::Interrupted);
}

#[test]
fn a_paused_run_of_every_lab_is_interrupted_when_the_worker_dies_and_train_is_enabled_again() {
    use crate::labs::dogs::DogModel;
    type Start = fn(&mut Session) -> RunId;
    let labs: [(&str, Start); 6] = [
        ("synth", |s| train(s, 3).0),
        ("mnist", |s| mnist(s, MnistLab::homework(), false).0),
        ("mnist check", |s| mnist(s, MnistLab { sizes: vec![60_000], ..MnistLab::homework() }, true).0),
        ("dogs", |s| dogs(s, DogLab::homework(DogModel::Mlp), BackendChoice::Cpu).0),
        ("xor", |s| s.start(Job::Xor { lab: XorLab::xor() }, BackendChoice::Cpu).0),
        ("adversarial", |s| s.start(Job::Attacks { epsilons: vec![0.1], lab_model: None }, BackendChoice::Cpu).0),
    ];
    let info = BackendInfo { kind: BackendKind::Cpu, name: "CPU".into(), note: None, measured: None };
    for (name, start) in labs {
        let mut s = Session::default();
        s.apply_from(0, FromWorker::Ready);
        let id = start(&mut s);
        s.apply(FromWorker::Backend { run: id, info: info.clone() });
        s.apply(FromWorker::Paused { run: id, paused: true });
        assert!(s.is_training(), "{name}: a paused run keeps Train disabled");
        assert_eq!(s.states().next().map(|st| st.phase), Some(Phase::Paused), "{name}");
        s.apply_from(0, FromWorker::Crashed { message: "gone".into() });
        let state = s.states().next().expect("the run is still shown");
        assert_eq!((state.phase, state.error.as_deref()), (Phase::Interrupted, Some(WORKER_DIED)), "{name}");
        assert!(!s.is_training(), "{name}: Train is enabled again");
        // The restarted worker says Ready; a new run of the lab starts from Queued.
        s.pool.restarted(0);
        s.apply_from(0, FromWorker::Ready);
        let again = start(&mut s);
        assert!(again > id && s.is_training(), "{name}");
    }
}

fn size_result(size: usize, test_acc: f64) -> SizeResult {
    SizeResult {
        size,
        losses: vec![0.5],
        train_seconds: 1.0,
        test_acc,
        test_loss: 0.4,
        epochs_trained: 1,
        evaluation: None,
    }
}

/// The MNIST lab over a pool of `workers`, each model taking time in proportion to its size:
/// which sizes each worker got, in order (a size's model is the same whichever worker trains it).
fn mnist_over(workers: usize) -> (MnistView, Vec<Vec<usize>>) {
    let mut s = Session::default();
    ready(&mut s, workers);
    let lab = MnistLab { sizes: vec![500, 1000, 1500, 2000], ..MnistLab::homework() };
    let mut got = vec![vec![]; workers];
    // (time it ends, worker, size), for the jobs in flight.
    let mut busy = vec![];
    let mut start = |out: Outbox, now: usize, busy: &mut Vec<(usize, usize, usize)>| {
        for (w, job) in out {
            let ToWorker::Start { job: Job::Mnist { lab, .. }, .. } = job else { panic!("{job:?}") };
            got[w].push(lab.sizes[0]);
            busy.push((now + lab.sizes[0], w, lab.sizes[0]));
        }
    };
    let (run, out) = mnist(&mut s, lab, false);
    start(out, 0, &mut busy);
    while let Some(next) = busy.iter().copied().min() {
        busy.retain(|b| *b != next);
        let (now, w, size) = next;
        assert!(s.mnist.as_ref().unwrap().state.is_active());
        s.apply_from(w, FromWorker::SizeDone { run, result: size_result(size, size as f64 / 100.0), checkpoint: None });
        let summary = RunSummary { epochs_trained: 1, stop: StopReason::Completed, train_seconds: 1.0, parameters: 9 };
        s.apply_from(w, FromWorker::Done { run, summary });
        let out = s.apply_from(w, FromWorker::Idle);
        start(out, now, &mut busy);
    }
    (s.mnist.unwrap(), got)
}

#[test]
fn the_mnist_lab_trains_one_size_per_worker_largest_first_and_gives_the_same_table() {
    let (one, got) = mnist_over(1);
    assert_eq!(got, vec![vec![2000, 1500, 1000, 500]]);
    let (two, got) = mnist_over(2);
    assert_eq!(got, vec![vec![2000, 500], vec![1500, 1000]], "2,500 examples each");
    for view in [&one, &two] {
        assert_eq!(view.state.phase, Phase::Finished);
        assert_eq!(view.results.iter().map(|r| r.size).collect::<Vec<_>>(), vec![500, 1000, 1500, 2000]);
        assert_eq!(view.summary.as_ref().map(|s| (s.epochs_trained, s.train_seconds)), Some((4, 4.0)));
    }
    assert_eq!(one.results, two.results);
}

#[test]
fn a_crash_interrupts_only_the_runs_of_that_worker() {
    let mut s = Session::default();
    ready(&mut s, 2);
    let (a, out_a) = train(&mut s, 3);
    let (b, out_b) = train(&mut s, 3);
    assert_eq!((out_a[0].0, out_b[0].0), (0, 1));
    let (queued, out) = train(&mut s, 3);
    assert!(out.is_empty());
    assert_eq!(s.run_mut(queued).unwrap().progress_text(), crate::run::WAITING);
    s.apply_from(1, FromWorker::Crashed { message: "gone".into() });
    assert_eq!(s.run_mut(b).unwrap().state.phase, Phase::Interrupted);
    assert_eq!(s.run_mut(a).unwrap().state.phase, Phase::Queued, "the other worker's run goes on");
    assert_eq!(s.engine(), Engine::Ready, "one worker still lives");
    assert_eq!(s.pool.crashed().map(|(w, _)| w).collect::<Vec<_>>(), vec![1]);
    // The queued run waits for worker 0 (or the restarted worker 1, once its engine is here).
    assert!(s.pool.restarted(1).is_empty());
    let out = s.apply_from(1, FromWorker::Ready);
    assert_eq!(out.first().map(|(w, m)| (*w, m.job())), Some((1, Some(queued))));
}

#[test]
fn stop_ends_a_queued_run_at_once_and_a_failed_part_stops_the_rest() {
    let mut s = Session::default();
    ready(&mut s, 1);
    let (first, _) = train(&mut s, 3);
    let (queued, _) = train(&mut s, 3);
    assert_eq!(s.send(ToWorker::Stop { run: queued }), vec![]);
    let r = s.run_mut(queued).unwrap();
    assert_eq!(
        (r.state.phase, r.summary.as_ref().map(|s| s.stop.clone())),
        (Phase::Finished, Some(StopReason::Cancelled))
    );
    assert_eq!(s.send(ToWorker::Stop { run: first }), vec![(0, ToWorker::Stop { run: first })]);

    let mut s = Session::default();
    ready(&mut s, 2);
    let (run, out) = mnist(&mut s, MnistLab::homework(), false);
    assert_eq!(out.len(), 2);
    let out = s.apply_from(0, FromWorker::Error { run: Some(run), message: "out of memory".into() });
    assert_eq!(out, vec![(0, ToWorker::Stop { run }), (1, ToWorker::Stop { run })], "the queued parts go too");
    assert!(!s.pool.is_queued(run));
    assert_eq!(s.mnist.as_ref().unwrap().state.phase, Phase::Failed);
}

#[test]
fn the_dogset_cnn_on_the_cpu_trains_over_the_free_workers_and_a_crashed_share_stops_the_others() {
    use crate::labs::dogs::DogModel;
    let mut s = Session::default();
    ready(&mut s, 3);
    let busy = train(&mut s, 3).0;
    let job = dogs;
    // The fully connected net: one worker, whatever is free.
    let (mlp, out) = job(&mut s, DogLab::homework(DogModel::Mlp), BackendChoice::Cpu);
    assert_eq!(out.iter().map(|(w, m)| (*w, m.job())).collect::<Vec<_>>(), vec![(1, Some(mlp))]);
    s.apply_from(1, FromWorker::Idle);
    // The CNN on the CPU: one share per free worker, in share order.
    let (cnn, out) = job(&mut s, DogLab::homework_cnn(), BackendChoice::Cpu);
    let shares: Vec<_> = out
        .iter()
        .map(|(w, m)| match m {
            ToWorker::Start { job: Job::Dogs { share, .. }, .. } => (*w, *share),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(shares, vec![(1, Some(Share { index: 0, count: 2 })), (2, Some(Share { index: 1, count: 2 }))]);
    assert_eq!(s.workers_text(), vec!["training the Synth CNN", "training the DogSet CNN", "training the DogSet CNN"]);
    // One share's worker dies: the run is interrupted and its other share told to stop.
    let out = s.apply_from(2, FromWorker::Crashed { message: "gone".into() });
    assert_eq!(out, vec![(1, ToWorker::Stop { run: cnn })]);
    assert_eq!(s.dogs.cnn.as_ref().unwrap().state.phase, Phase::Interrupted);
    // The leader's late end does not turn it into a finished run.
    let summary = RunSummary { epochs_trained: 1, stop: StopReason::Cancelled, train_seconds: 1.0, parameters: 9 };
    s.apply_from(1, FromWorker::Done { run: cnn, summary });
    assert_eq!(s.dogs.cnn.as_ref().unwrap().state.phase, Phase::Interrupted);
    assert_eq!(s.run_mut(busy).unwrap().state.phase, Phase::Queued, "the Synth run goes on");

    // On WebGPU the CNN keeps to one worker.
    s.apply_from(1, FromWorker::Idle);
    let (_, out) = job(&mut s, DogLab::homework_cnn(), BackendChoice::WebGpu);
    assert_eq!(out.len(), 1);
}

#[test]
fn the_perceptron_rule_lab_takes_its_passes_and_result_and_is_saved_like_the_others() {
    use crate::labs::rule::{Outcome, Pass, RuleLab, RuleRun};
    let mut s = Session::default();
    let other = train(&mut s, 2).0;
    s.apply_from(0, FromWorker::Ready);
    let (id, _) = s.start(Job::Rule { lab: RuleLab::and() }, BackendChoice::Cpu);
    assert_eq!(s.rule.as_ref().map(|r| r.run.state.phase), Some(Phase::Queued));
    s.apply(FromWorker::Epoch { run: id, record: record(1), kernels: Kernels::default() });
    let result = RuleRun {
        start: vec![0.0; 3],
        passes: vec![Pass { mistakes: 0, weights: vec![0.1, 0.1, -0.15] }],
        outcome: Outcome::Converged { pass: 1 },
        outputs: vec![false, false, false, true],
    };
    // Another run's result is not this lab's.
    s.apply(FromWorker::Result { run: other, result: LabResult::Rule(result.clone()) });
    assert_eq!(s.rule.as_ref().unwrap().result, None);
    s.apply(FromWorker::Result { run: id, result: LabResult::Rule(result.clone()) });
    let summary = RunSummary { epochs_trained: 1, stop: StopReason::Completed, train_seconds: 0.01, parameters: 3 };
    s.apply(FromWorker::Done { run: id, summary });
    let view = s.rule.as_ref().unwrap();
    assert_eq!(
        (view.run.state.phase, view.run.records.len(), view.result.as_ref()),
        (Phase::Finished, 1, Some(&result))
    );
    let kept = Kept { key: "k".into(), name: "rule".into(), kind: RunKind::PerceptronRule, created: 2.0 };
    let saved = s.saved(id, &kept).expect("kept as a saved run");
    assert_eq!((saved.lab, saved.status, saved.epochs.len()), (RunKind::PerceptronRule, RunStatus::Finished, 1));
    assert_eq!(saved.config["table"]["outputs"], serde_json::json!([false, false, false, true]));
}

#[test]
fn automatic_remembers_a_measurement_per_workload_and_forgets_it_when_asked() {
    let mut s = Session::default();
    // A free worker for each run, so that each start goes out at once.
    ready(&mut s, 6);
    s.apply(FromWorker::Gpu { adapter: Some("google swiftshader".into()), reason: None });
    let job = || Job::Synth { lab: lab(2), resume: None };
    let start_of = |out: &Outbox| {
        out.iter()
            .find_map(|(_, m)| match m {
                ToWorker::Start { measured, .. } => Some(*measured),
                _ => None,
            })
            .expect("the run goes out")
    };
    let (first, out) = s.start(job(), BackendChoice::Auto);
    assert_eq!(start_of(&out), None, "nothing measured yet: the worker measures");
    let measured = EngineMeasure::new(Some(66.0), Some(9000.0));
    let info = BackendInfo { kind: BackendKind::Cpu, name: "CPU".into(), note: None, measured: Some(measured) };
    s.apply_from(0, FromWorker::Backend { run: first, info });
    s.apply_from(0, FromWorker::Done { run: first, summary: RunSummary::stopped_before_start() });
    assert_eq!(s.engines.get("the Synth CNN, batch 50, WebGPU on google swiftshader"), Some(&measured));

    let (second, out) = s.start(job(), BackendChoice::Auto);
    assert_eq!(start_of(&out), Some(EngineMeasure { remembered: true, ..measured }), "the same workload");
    assert_eq!(s.workloads.keys().collect::<Vec<_>>(), vec![&second], "an ended run's workload is let go");
    let (_, out) = s.start(job(), BackendChoice::WebGpu);
    assert_eq!(start_of(&out), None, "an explicit choice is obeyed without the measurement");
    let mut other = lab(2);
    other.train.batch_size = 10;
    let (_, out) = s.start(Job::Synth { lab: other, resume: None }, BackendChoice::Auto);
    assert_eq!(start_of(&out), None, "another batch size is another workload");

    s.apply(FromWorker::Gpu { adapter: Some("another adapter".into()), reason: None });
    let (_, out) = s.start(job(), BackendChoice::Auto);
    assert_eq!(start_of(&out), None, "another device is measured anew");

    s.apply(FromWorker::Gpu { adapter: Some("google swiftshader".into()), reason: None });
    s.forget_engines();
    let (_, out) = s.start(job(), BackendChoice::Auto);
    assert_eq!(start_of(&out), None, "measured again");
}

#[test]
fn a_remembered_measurement_is_not_filed_again() {
    let mut s = Session::default();
    ready(&mut s, 1);
    let (run, _) = s.start(Job::Synth { lab: lab(2), resume: None }, BackendChoice::Auto);
    let remembered = EngineMeasure { remembered: true, ..EngineMeasure::new(Some(1.0), Some(2.0)) };
    let info = BackendInfo { kind: BackendKind::Cpu, name: "CPU".into(), note: None, measured: Some(remembered) };
    s.apply_from(0, FromWorker::Backend { run, info });
    assert!(s.engines.is_empty());
}
