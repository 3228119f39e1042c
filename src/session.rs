//! What the page knows about the worker and its runs, updated by each `FromWorker` message.
//! Pure state, so the page's logic is tested natively; the page only draws it.
//!
//! Every lab's view holds one [`RunState`] (the run-state machine all runs share: queued,
//! training, paused, finished, failed, interrupted, with backend, data progress and error) and
//! beside it only what that lab adds (records, kernels, per-size results, attacks).

pub mod pool;
mod restore;
mod routing;
mod views;

pub use restore::RESTORED;
pub use views::{Kept, LabView};

use std::collections::HashMap;

use pool::Pool;

use crate::labs::Job;
use crate::labs::adversarial::AttackView;
use crate::labs::dogs::{DogModel, DogsView};
use crate::labs::mnist::MnistView;
use crate::labs::rule::RuleView;
use crate::labs::synth::SynthRun;
use crate::labs::xor::XorView;
use crate::protocol::{FromWorker, ToWorker};
use crate::run::{BackendChoice, BackendInfo, EngineMeasure, RunId, RunState};
pub use crate::run::{Phase, WORKER_DIED};
use crate::run_view::RunView;
use pool::Outbox;

/// A data-parallel run takes at most this many workers: 2 are measured to pay (see the
/// README); beyond 4 each share's batch part (10 / 4 rows) is too small to keep a core busy.
pub const MAX_SHARES: usize = 4;

/// The training engine as a whole: ready when one worker of the pool is.
#[derive(Clone, Debug, PartialEq)]
pub enum Engine {
    /// The workers' wasm is loading.
    Loading,
    Ready,
    /// Every worker died; one must be started again.
    Crashed(String),
}

/// The page's whole model of the training side.
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    /// The training workers: who trains what, and what waits.
    pub pool: Pool,
    /// The browser's WebGPU adapter name, or why there is none (`None` until probed).
    pub gpu: Option<Result<String, String>>,
    pub runs: Vec<SynthRun>,
    /// The latest shift-demo answer: maps `[c, h, w]` and class probabilities.
    pub probe: Option<Probe>,
    /// A message not tied to a run.
    pub notice: Option<String>,
    /// The engine's download, furthest first worker: bytes loaded and of how many.
    pub engine_download: Option<(u64, u64)>,
    /// While the WebGPU engine downloads, for deciding whether a CPU stand-in trains a run
    /// sooner: how long it has taken so far, and the CPU engine's size on the wire.
    pub webgpu_download: Option<WebGpuDownload>,
    /// The latest MNIST scaling run.
    pub mnist: Option<MnistView>,
    /// One epoch on the full training set, checking the scaling run's extrapolation.
    pub mnist_check: Option<MnistView>,
    /// The DogSet lab: the loaded set and its two networks' runs.
    pub dogs: DogsView,
    pub xor: Option<XorView>,
    pub attacks: Option<AttackView>,
    pub rule: Option<RuleView>,
    /// Automatic's engine measurements in this browser, by workload ([`Job::workload`]) and
    /// adapter; the page keeps them in localStorage.
    pub engines: HashMap<String, EngineMeasure>,
    /// The workload of each run started and not ended, for filing its measurement.
    workloads: HashMap<RunId, String>,
    /// The id the next run gets (ids are shared by all labs and all workers).
    next_id: RunId,
}

/// The WebGPU engine's download as its loader reports it (see [`Session::webgpu_download`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WebGpuDownload {
    pub elapsed_ms: u64,
    /// The CPU engine's size, in the unit of the download's bytes.
    pub cpu_engine: u64,
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
            pool: Pool::default(),
            gpu: None,
            runs: vec![],
            probe: None,
            notice: None,
            engine_download: None,
            webgpu_download: None,
            mnist: None,
            mnist_check: None,
            dogs: DogsView::default(),
            xor: None,
            attacks: None,
            rule: None,
            engines: HashMap::new(),
            workloads: HashMap::new(),
            next_id: 1,
        }
    }
}

impl Session {
    /// The run being shown: the latest.
    pub fn current(&self) -> Option<&SynthRun> {
        self.runs.last()
    }

    /// Whether a run of any lab is queued, training or paused.
    pub fn is_training(&self) -> bool {
        self.states().any(RunState::is_active)
    }

    /// The engine as the page announces it: ready when a worker is, crashed when all are.
    pub fn engine(&self) -> Engine {
        if self.pool.any_ready() {
            Engine::Ready
        } else if let (false, Some((_, why))) = (self.pool.any_live(), self.pool.crashed().next()) {
            Engine::Crashed(why.to_string())
        } else {
            Engine::Loading
        }
    }

    /// Whether a new run can be sent: some worker lives (it may still be loading).
    pub fn can_start(&self) -> bool {
        self.pool.any_live()
    }

    /// The Synth runs still queued, training or paused (repeats may train side by side).
    pub fn active_synth_runs(&self) -> Vec<RunId> {
        self.runs.iter().filter(|r| r.is_active()).map(|r| r.id).collect()
    }

    /// Every lab's view, each behind [`LabView`]; a lab adds its view here and in `register`.
    pub fn views(&self) -> [&dyn LabView; 7] {
        [&self.runs, &self.mnist, &self.mnist_check, &self.dogs, &self.xor, &self.attacks, &self.rule]
    }

    fn views_mut(&mut self) -> [&mut dyn LabView; 7] {
        let (runs, mnist, check, dogs) = (&mut self.runs, &mut self.mnist, &mut self.mnist_check, &mut self.dogs);
        [runs, mnist, check, dogs, &mut self.xor, &mut self.attacks, &mut self.rule]
    }

    /// The state of every run on the page, of every lab.
    fn states(&self) -> impl Iterator<Item = &RunState> {
        self.views().into_iter().flat_map(|v| v.runs()).map(|(_, _, state)| state)
    }

    /// The state of run `id`, of whichever lab.
    fn state_mut(&mut self, id: RunId) -> Option<&mut RunState> {
        self.views_mut().into_iter().find_map(|v| v.state_mut(id))
    }

    /// Run `id` as a saved run as it stands now, of whichever lab keeps it as one.
    pub fn saved(&self, id: RunId, kept: &Kept) -> Option<crate::runs::SavedRun> {
        self.views().into_iter().find_map(|v| v.saved(id, kept))
    }

    /// Starts a run: the one verb every lab's Train goes through. Registers the run's view
    /// (its lab shows it as queued), routes the job to the pool and returns the run's id with
    /// what to post where.
    pub fn start(&mut self, job: Job, backend: BackendChoice) -> (RunId, Outbox) {
        let run = self.take_id();
        self.register(run, &job);
        let measured = self.remembered(run, &job, backend);
        (run, self.send(ToWorker::Start { run, backend, measured, job }))
    }

    /// With Automatic, this browser's earlier measurement of `job`'s workload, which then
    /// trains run `run` without measuring; files the run's workload for its own measurement.
    fn remembered(&mut self, run: RunId, job: &Job, backend: BackendChoice) -> Option<EngineMeasure> {
        let workload = self.engine_key(&job.workload()?);
        let measured = match backend {
            BackendChoice::Auto => self.engines.get(&workload).map(|m| EngineMeasure { remembered: true, ..*m }),
            _ => None,
        };
        // Only runs that may still report a measurement keep theirs.
        let active: Vec<RunId> = self
            .views()
            .into_iter()
            .flat_map(|v| v.runs())
            .filter(|(_, _, s)| s.phase.is_active())
            .map(|r| r.0)
            .collect();
        self.workloads.retain(|run, _| active.contains(run));
        self.workloads.insert(run, workload);
        measured
    }

    /// What a measurement is kept by: the workload on this browser's adapter (another GPU, or
    /// a driver that names it otherwise, is measured anew).
    fn engine_key(&self, workload: &str) -> String {
        match &self.gpu {
            Some(Ok(adapter)) => format!("{workload}, WebGPU on {adapter}"),
            _ => format!("{workload}, no WebGPU adapter"),
        }
    }

    /// The newest run's engine measurement, in any lab: what the backend settings show.
    pub fn last_measure(&self) -> Option<EngineMeasure> {
        let runs = self.views().into_iter().flat_map(|v| v.runs());
        let measured = runs.filter_map(|(id, _, state)| Some((id, state.backend.as_ref()?.measured?)));
        measured.max_by_key(|(id, _)| *id).map(|(_, m)| m)
    }

    /// Automatic measures both engines again on its next run of every workload ("Measure
    /// again"): a new driver, a browser update or a busy machine can change which is faster.
    pub fn forget_engines(&mut self) {
        self.engines.clear();
    }

    /// Keeps a run's fresh measurement for its workload, so that later runs of it skip it.
    fn remember_engine(&mut self, run: RunId, info: &BackendInfo) {
        if let (Some(measured), Some(workload)) = (info.measured.filter(|m| !m.remembered), self.workloads.get(&run)) {
            self.engines.insert(workload.clone(), measured);
        }
    }

    /// Puts run `id`'s view on its lab, replacing that lab's last run where it shows one.
    fn register(&mut self, id: RunId, job: &Job) {
        match job {
            Job::Synth { lab, resume } => self.runs.push(RunView::new(id, lab.clone()).resumed(resume)),
            Job::Mnist { lab, check } => {
                let view = Some(MnistView::new(id, lab.clone()));
                if *check {
                    self.mnist_check = view;
                } else {
                    (self.mnist, self.mnist_check) = (view, None);
                }
            }
            Job::Dogs { lab, resume, .. } => {
                let view = Some(RunView::new(id, lab.clone()).resumed(resume));
                match lab.model {
                    DogModel::Mlp => self.dogs.mlp = view,
                    DogModel::Cnn { .. } => self.dogs.cnn = view,
                }
            }
            Job::Xor { lab } => self.xor = Some(XorView::new(id, lab.clone())),
            Job::Attacks { .. } => self.attacks = Some(AttackView::new(id)),
            Job::Rule { lab } => self.rule = Some(RuleView::new(id, lab.clone())),
        }
    }

    /// Registers a request to load a DogSet; returns its id.
    pub fn load_dogs(&mut self) -> RunId {
        let id = self.take_id();
        self.dogs.loading = Some(id);
        self.dogs.load_error = None;
        self.dogs.data = None;
        id
    }

    fn take_id(&mut self) -> RunId {
        self.next_id += 1;
        self.next_id - 1
    }

    fn mnist_mut(&mut self, id: RunId) -> Option<&mut MnistView> {
        [&mut self.mnist, &mut self.mnist_check].into_iter().find_map(|m| m.as_mut().filter(|m| m.id == id))
    }

    /// The newest run that finished with a model (what the shift demo probes).
    pub fn trained(&self) -> Option<&SynthRun> {
        self.runs.iter().rev().find(|r| r.state.phase == Phase::Finished && !r.records.is_empty())
    }

    /// Applies one message to the views (the pool's part is in [`Session::apply_from`]).
    fn apply(&mut self, message: FromWorker) {
        let mut message = message;
        if let FromWorker::Backend { run, info } = &message {
            self.remember_engine(*run, info);
        }
        for view in self.views_mut() {
            match view.apply(message) {
                Some(rest) => message = rest,
                None => return,
            }
        }
        match message {
            FromWorker::Ready => self.notice = None,
            FromWorker::Gpu { adapter, reason } => {
                self.gpu = Some(adapter.ok_or_else(|| reason.unwrap_or_else(|| "no reason given".into())));
            }
            FromWorker::Probe { run, maps, map_shape, probs } => {
                self.probe = Some(Probe { run, maps, map_shape, probs });
            }
            FromWorker::Error { run: None, message } => self.notice = Some(message),
            // Workers load the same file (the HTTP cache shares it): the furthest one counts.
            FromWorker::EngineProgress { loaded, total, elapsed_ms, cpu_engine }
                if self.engine_download.is_none_or(|(done, _)| loaded > done) =>
            {
                self.engine_download = Some((loaded, total));
                self.webgpu_download = cpu_engine.map(|cpu_engine| WebGpuDownload { elapsed_ms, cpu_engine });
            }
            // Late messages of runs that are no longer on the page.
            _ => {}
        }
    }

    /// Final validation accuracy of every finished run, with its kernels, for the repeats view.
    pub fn finished_runs(&self) -> Vec<&SynthRun> {
        self.runs.iter().filter(|r| r.state.phase == Phase::Finished && r.kernels.is_some()).collect()
    }
}

#[cfg(test)]
mod tests;
