//! The session's side of the pool: how the page's messages are routed to workers (the MNIST
//! lab one size per worker, the DogSet CNN's data-parallel shares), how a worker's message
//! changes the pool as well as the views, and what each worker is doing in words.

use super::pool::{Outbox, WorkerId, WorkerState};
use super::{MAX_SHARES, Session};
use crate::labs::adversarial::LabModel;
use crate::labs::dogs::DogModel;
use crate::labs::mnist::MnistLab;
use crate::metrics::format_bytes;
use crate::protocol::{FromWorker, Job, ToWorker};
use crate::run::{BackendChoice, BackendKind, EngineMeasure, Phase, RunId, RunSummary, Share, WAITING};

/// What a run given to the CPU stand-in says while its engine loads.
pub const STAND_IN_WAIT: &str = "loading the CPU engine, which trains this run while the WebGPU engine downloads";

/// A stand-in pays only when the WebGPU engine, at its rate so far, is further away than this:
/// a worker starting and compiling the CPU engine takes about a second even from the cache
/// (the engine from the HTTP cache or the offline copy comes at once, and needs none).
const STAND_IN_MIN_WAIT_MS: f64 = 2_000.0;

/// The backend note of a run the CPU stand-in trained.
pub const STAND_IN_NOTE: &str =
    "the WebGPU engine was still downloading, so the CPU-only engine, a fifth of its download, trained this run";

impl Session {
    /// What each worker of the pool is doing, in words, for the pool panel.
    pub fn workers_text(&self) -> Vec<String> {
        self.pool
            .slots()
            .iter()
            .map(|slot| {
                let text = match (&slot.state, slot.job) {
                    (WorkerState::Crashed(_), _) => "stopped".to_string(),
                    (WorkerState::Loading, _) => "loading".to_string(),
                    (WorkerState::Ready, None) => "idle".to_string(),
                    (WorkerState::Ready, Some(run)) => format!("training the {}", self.lab_of(run)),
                };
                match slot.stand_in {
                    true => format!("{text} (the CPU engine, started while the WebGPU one downloaded)"),
                    false => text,
                }
            })
            .collect()
    }

    /// The MNIST lab's largest tested model with its weights (what the adversarial lab may
    /// attack instead of a quick model), from the scaling run or the full-set check.
    pub fn mnist_lab_model(&self) -> Option<LabModel> {
        [&self.mnist, &self.mnist_check]
            .into_iter()
            .flatten()
            .flat_map(|m| m.weights.iter())
            .max_by_key(|(size, _)| *size)
            .map(|(size, weights)| LabModel { size: *size, weights: weights.clone() })
    }

    /// The lab a run belongs to, in words.
    fn lab_of(&self, run: RunId) -> &'static str {
        let runs = self.views().into_iter().flat_map(|v| v.runs());
        runs.map(|(id, name, _)| (id, name))
            .find(|(id, _)| *id == run)
            .map_or("a run no longer shown", |(_, name)| name)
    }

    /// Whether a run with `backend` trains on the CPU: chosen, or automatic where the browser
    /// has no WebGPU adapter.
    fn trains_on_cpu(&self, backend: BackendChoice, measured: Option<EngineMeasure>) -> bool {
        match backend {
            BackendChoice::Cpu => true,
            BackendChoice::Auto => {
                matches!(self.gpu, Some(Err(_))) || measured.is_some_and(|m| m.chosen == BackendKind::Cpu)
            }
            BackendChoice::WebGpu => false,
        }
    }

    /// Routes a message of the page to the pool's workers; returns what to post where. The
    /// MNIST lab goes out as one job per training-set size, largest first, so a pool trains
    /// its models side by side (each model is seeded on its own: the results are those of
    /// one worker training them in turn).
    pub fn send(&mut self, message: ToWorker) -> Outbox {
        let out = self.route(message);
        self.stand_in_if_it_pays();
        out
    }

    fn route(&mut self, message: ToWorker) -> Outbox {
        let job = message.job();
        if let ToWorker::Start { run, backend, measured, job: Job::Mnist { lab, check } } = message {
            let mut sizes = lab.sizes.clone();
            sizes.sort_unstable_by(|a, b| b.cmp(a));
            if let Some(view) = self.mnist_mut(run) {
                view.parts = sizes.len();
            }
            let out: Outbox = sizes
                .into_iter()
                .flat_map(|size| {
                    let job = Job::Mnist { lab: MnistLab { sizes: vec![size], ..lab.clone() }, check };
                    self.pool.route(ToWorker::Start { run, backend, measured, job }).out
                })
                .collect();
            self.note_waiting(run, &out);
            return out;
        }
        // The DogSet CNN on the CPU trains data-parallel over the free workers: its step's
        // compute (about 70 ms) dwarfs its gradient (272 KB), so shares pay (see the README's
        // figures). The fully connected net's 6.3 MB gradient per step would not.
        if let ToWorker::Start { run, backend, measured, job: Job::Dogs { lab, resume, share: None, picks } } = &message
            && matches!(lab.model, DogModel::Cnn { .. })
            && self.trains_on_cpu(*backend, *measured)
        {
            let count = self.pool.free_ready().min(MAX_SHARES);
            if count > 1 {
                return (0..count)
                    .flat_map(|index| {
                        let job = Job::Dogs {
                            lab: lab.clone(),
                            resume: resume.clone(),
                            share: Some(Share { index, count }),
                            picks: picks.clone(),
                        };
                        self.pool.route(ToWorker::Start { run: *run, backend: *backend, measured: *measured, job }).out
                    })
                    .collect();
            }
        }
        let stop = match &message {
            ToWorker::Stop { run } => Some(*run),
            _ => None,
        };
        let routed = self.pool.route(message);
        if let Some(run) = job {
            self.note_waiting(run, &routed.out);
        }
        if let Some(run) = stop {
            // Jobs taken out of the queue never started: they end here, stopped.
            for _ in 0..routed.dropped {
                self.apply(FromWorker::Done { run, summary: RunSummary::stopped_before_start() });
            }
        }
        routed.out
    }

    /// Adds the stand-in ([`Pool::add_stand_in`]) when a waiting run trains sooner on it than
    /// on the engine the browser was given, and says so on the runs it will take: no worker has
    /// its engine yet, the WebGPU engine is downloading, more of it is left than twice the CPU
    /// engine's size (the two downloads then share the link, so the CPU engine is here after
    /// about twice its size has crossed it), and at its rate so far it is more than
    /// [`STAND_IN_MIN_WAIT_MS`] away.
    ///
    /// [`Pool::add_stand_in`]: super::pool::Pool::add_stand_in
    fn stand_in_if_it_pays(&mut self) {
        let (Some((loaded, total)), Some(download)) = (self.engine_download, self.webgpu_download) else { return };
        let waiting: Vec<RunId> = self.pool.queued_for_cpu().collect();
        // No rate before the first bytes: the next report decides.
        if waiting.is_empty() || self.pool.stand_in().is_some() || self.pool.any_ready() || loaded == 0 {
            return;
        }
        let left = total.saturating_sub(loaded);
        let left_ms = left as f64 * download.elapsed_ms as f64 / loaded as f64;
        if left > 2 * download.cpu_engine && left_ms > STAND_IN_MIN_WAIT_MS {
            self.pool.add_stand_in();
            self.say_waiting(&waiting, STAND_IN_WAIT.into());
        }
    }

    fn say_waiting(&mut self, runs: &[RunId], status: String) {
        for &run in runs {
            if let Some(state) = self.state_mut(run)
                && state.phase == Phase::Queued
            {
                state.status = Some(status.clone());
            }
        }
    }

    /// A job that went to no worker says what it waits for: a free worker when one has its
    /// engine, else the engine (the run's own "waiting for the training engine").
    fn note_waiting(&mut self, run: RunId, out: &Outbox) {
        let ready = self.pool.slots().iter().any(|slot| slot.state == WorkerState::Ready);
        if out.is_empty()
            && ready
            && let Some(state) = self.state_mut(run)
        {
            state.status = Some(WAITING.into());
        }
    }

    /// Applies one message from worker `from`; returns what to post because of it (the next
    /// queued job for a worker that became free, Stop for the rest of a failed run).
    pub fn apply_from(&mut self, from: WorkerId, mut message: FromWorker) -> Outbox {
        if self.pool.is_stand_in(from) {
            match &mut message {
                // Its CPU-only engine finds no WebGPU: what the browser offers is the other
                // workers' word.
                FromWorker::Gpu { .. } => return vec![],
                // The banner follows the WebGPU engine; the runs waiting for this one show it.
                &mut FromWorker::EngineProgress { loaded, total, .. } => {
                    let waiting: Vec<RunId> = self.pool.queued_for_cpu().collect();
                    let bytes = format!("{} of {}", format_bytes(loaded as usize), format_bytes(total as usize));
                    self.say_waiting(&waiting, format!("{STAND_IN_WAIT}: {bytes}"));
                    return vec![];
                }
                FromWorker::Backend { info, .. } => info.note = Some(STAND_IN_NOTE.into()),
                _ => {}
            }
        }
        let mut orphaned = None;
        if let FromWorker::Crashed { message: crash } = &message {
            if let Some(run) = self.pool.slots().get(from).and_then(|s| s.job)
                && let Some(state) = self.state_mut(run)
            {
                state.worker_died(crash);
                orphaned = Some(run);
            }
            if self.pool.holds_dogs(from) {
                self.dogs.load_lost();
            }
            if self.probe.as_ref().is_some_and(|p| self.pool.home_of(p.run) == Some(from)) {
                self.probe = None;
            }
        }
        let mut out = self.pool.heard(from, &message);
        // The crashed worker's run had shares on other workers: they stop too.
        if let Some(run) = orphaned.filter(|&run| !self.pool.workers_of(run).is_empty()) {
            out.extend(self.send(ToWorker::Stop { run }));
        }
        let failed = match &message {
            FromWorker::Error { run: Some(run), .. } => Some(*run),
            _ => None,
        };
        let progress = matches!(message, FromWorker::EngineProgress { .. });
        self.apply(message);
        if progress {
            self.stand_in_if_it_pays();
        }
        // A run split over workers (the MNIST lab) failed in one part: stop the others.
        if let Some(run) = failed
            && (self.pool.is_queued(run) || !self.pool.workers_of(run).is_empty())
        {
            out.extend(self.send(ToWorker::Stop { run }));
        }
        out
    }
}
