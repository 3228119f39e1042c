//! The pool of training workers as the page sees it: which worker trains which run, which
//! runs wait for a free one, and where the messages about a run's model or data go. Pure
//! state (no browser), so the routing is tested natively; `web/bridge.rs` only posts.
//!
//! Each worker is its own wasm instance of the engine and trains one run at a time. A run is
//! a *job* (`ToWorker::Start`, one [`Job`] of a lab): it goes to a free worker whose engine is
//! here, or waits in a first-in-first-out queue until a worker posts `Ready` or `Idle`. The other
//! messages follow the state they need: a probe or an attack goes to the worker holding that
//! run's model, the gallery to the worker that loaded the DogSet, Pause and Stop to the
//! workers training that run.

use std::collections::{BTreeSet, HashMap, VecDeque};

use crate::protocol::{FromWorker, Job, ToWorker};
use crate::run::{BackendChoice, BackendKind, RunId};

/// A worker's index in the pool.
pub type WorkerId = usize;

/// At most this many workers: each holds its own copy of the engine (about 25 MB of code
/// and tables) and of any DogSet it trains on (see [`Pool`]), so more than 8 costs memory a
/// laptop may not have, for runs a student seldom starts at once.
pub const MAX_WORKERS: usize = 8;

/// Messages to post, each to one worker, in order.
pub type Outbox = Vec<(WorkerId, ToWorker)>;

/// The pool's size for a machine with `cores` logical cores: one per core but the page's,
/// at least one, at most [`MAX_WORKERS`].
pub fn default_size(cores: usize) -> usize {
    cores.saturating_sub(1).clamp(1, MAX_WORKERS)
}

#[derive(Clone, Debug, PartialEq)]
pub enum WorkerState {
    /// Its wasm is loading; messages for it wait in its bridge until it is ready.
    Loading,
    Ready,
    /// It died (an uncaught error, a failed load); it takes no job until restarted.
    Crashed(String),
}

/// One worker of the pool.
#[derive(Clone, Debug, PartialEq)]
pub struct Slot {
    pub state: WorkerState,
    /// The run it is training, if any.
    pub job: Option<RunId>,
    /// The CPU stand-in ([`Pool::add_stand_in`]): it loads the CPU-only engine, whatever the
    /// browser offers, and takes only runs that train on the CPU.
    pub stand_in: bool,
}

impl Slot {
    fn fresh() -> Self {
        Self { state: WorkerState::Loading, job: None, stand_in: false }
    }

    /// Whether it can take a job now: its engine is here and it trains nothing.
    fn takes_jobs(&self) -> bool {
        self.state == WorkerState::Ready && self.job.is_none()
    }

    fn is_live(&self) -> bool {
        !matches!(self.state, WorkerState::Crashed(_))
    }

    fn is_free(&self) -> bool {
        self.is_live() && self.job.is_none()
    }
}

/// What routing a message did besides posting: the queued jobs a Stop took out of the queue
/// (they never reach a worker, so no worker will say they ended).
#[derive(Debug, Default, PartialEq)]
pub struct Routed {
    pub out: Outbox,
    pub dropped: usize,
}

/// Whether a job can run on the CPU-only engine (the stand-in): a run that trains on the
/// CPU whatever the browser offers, or with Automatic unless this browser measured WebGPU as
/// the faster for it (the stand-in then trains it on the CPU, see [`Pool::add_stand_in`]).
fn cpu_engine_takes(message: &ToWorker) -> bool {
    match message {
        ToWorker::Start { backend: BackendChoice::Cpu, .. } => true,
        ToWorker::Start { backend: BackendChoice::Auto, measured, .. } => {
            measured.is_none_or(|m| m.chosen == BackendKind::Cpu)
        }
        _ => false,
    }
}

/// The page's training workers. A DogSet run loads the set into the worker that trains it
/// (the image bytes, about 94 MB for the 7,665 images of the stand-in, and the same again as
/// the backend's tensors), so each worker that has trained a DogSet network holds one copy:
/// the lab's two networks in two workers hold two.
#[derive(Clone, Debug, PartialEq)]
pub struct Pool {
    slots: Vec<Slot>,
    /// Jobs waiting for a free worker, oldest first.
    queue: VecDeque<(RunId, ToWorker)>,
    /// The worker that trained each run (where its model is, for probes and attacks).
    homes: HashMap<RunId, WorkerId>,
    /// The worker that loaded the DogSet last (it answers gallery requests).
    dogs_home: Option<WorkerId>,
    /// Runs the user paused: a part of one that starts later starts paused.
    paused: BTreeSet<RunId>,
}

impl Default for Pool {
    fn default() -> Self {
        Self::new(1)
    }
}

impl Pool {
    /// A pool of `size` workers (clamped to 1..=[`MAX_WORKERS`]), all loading.
    pub fn new(size: usize) -> Self {
        Self {
            slots: vec![Slot::fresh(); size.clamp(1, MAX_WORKERS)],
            queue: VecDeque::new(),
            homes: HashMap::new(),
            dogs_home: None,
            paused: BTreeSet::new(),
        }
    }

    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }

    /// The workers the user asked for (the stand-in, an extra, is not counted).
    pub fn size(&self) -> usize {
        self.slots.iter().filter(|s| !s.stand_in).count()
    }

    /// Adds the CPU stand-in, once: a worker that loads the CPU-only engine (about a fifth of
    /// the WebGPU one's download) while the WebGPU engine is still downloading, so a run
    /// started meanwhile trains at once, on the CPU, instead of waiting. It stays in the pool
    /// (the models it trained live in it) and takes CPU runs later. Returns its index: the
    /// last.
    pub fn add_stand_in(&mut self) -> WorkerId {
        if let Some(w) = self.stand_in() {
            return w;
        }
        self.slots.push(Slot { stand_in: true, ..Slot::fresh() });
        self.slots.len() - 1
    }

    /// The CPU stand-in's index, if the pool has one.
    pub fn stand_in(&self) -> Option<WorkerId> {
        self.slots.iter().position(|s| s.stand_in)
    }

    /// Whether worker `w` is the CPU stand-in.
    pub fn is_stand_in(&self, w: WorkerId) -> bool {
        self.slots.get(w).is_some_and(|s| s.stand_in)
    }

    /// Whether any worker trains or any job waits: the pool is resized only when not.
    pub fn is_busy(&self) -> bool {
        !self.queue.is_empty() || self.slots.iter().any(|s| s.job.is_some())
    }

    /// Grows or shrinks an idle pool to `size` workers (clamped); the new ones are loading.
    /// Returns false (and changes nothing) while it is busy.
    pub fn resize(&mut self, size: usize) -> bool {
        if self.is_busy() {
            return false;
        }
        let size = size.clamp(1, MAX_WORKERS);
        // The stand-in goes: the pool is what the user asked for again.
        if let Some(w) = self.stand_in() {
            self.slots.truncate(w);
            self.homes.retain(|_, home| *home != w);
            self.dogs_home = self.dogs_home.filter(|home| *home != w);
        }
        self.slots.resize(size, Slot::fresh());
        self.homes.retain(|_, w| *w < size);
        self.dogs_home = self.dogs_home.filter(|w| *w < size);
        true
    }

    /// Workers that are ready and free: a data-parallel run takes several at once.
    pub fn free_ready(&self) -> usize {
        self.slots.iter().filter(|s| s.state == WorkerState::Ready && s.job.is_none()).count()
    }

    /// Whether run `run` waits in the queue.
    pub fn is_queued(&self, run: RunId) -> bool {
        self.queue.iter().any(|(r, _)| *r == run)
    }

    /// The workers training run `run` (several for an MNIST lab split over the pool).
    pub fn workers_of(&self, run: RunId) -> Vec<WorkerId> {
        (0..self.slots.len()).filter(|&w| self.slots[w].job == Some(run)).collect()
    }

    /// The dead workers and why each died.
    pub fn crashed(&self) -> impl Iterator<Item = (WorkerId, &str)> {
        self.slots.iter().enumerate().filter_map(|(w, s)| match &s.state {
            WorkerState::Crashed(why) => Some((w, why.as_str())),
            _ => None,
        })
    }

    /// Whether at least one worker can take work.
    pub fn any_live(&self) -> bool {
        self.slots.iter().any(Slot::is_live)
    }

    /// Whether at least one worker has loaded the engine the browser was given (the stand-in's
    /// CPU engine does not count: the page waits for the WebGPU one before it keeps the files
    /// for offline use).
    pub fn any_ready(&self) -> bool {
        self.slots.iter().any(|s| s.state == WorkerState::Ready && !s.stand_in)
    }

    /// Where `message` goes now; a job with no free worker waits for one.
    pub fn route(&mut self, message: ToWorker) -> Routed {
        let mut dropped = 0;
        let out = match message {
            ToWorker::Start { run, ref job, .. } => {
                // A DogSet network trains best where the set is already loaded.
                let prefer = matches!(job, Job::Dogs { .. }).then_some(self.dogs_home).flatten();
                match self.free_worker_for(&message, prefer) {
                    Some(w) => self.assign(w, run, message),
                    None => {
                        self.queue.push_back((run, message));
                        vec![]
                    }
                }
            }
            ToWorker::Pause { run } | ToWorker::Resume { run } => {
                if matches!(message, ToWorker::Pause { .. }) {
                    self.paused.insert(run);
                } else {
                    self.paused.remove(&run);
                }
                self.workers_of(run).into_iter().map(|w| (w, message.clone())).collect()
            }
            ToWorker::Stop { run } => {
                let before = self.queue.len();
                self.queue.retain(|(r, _)| *r != run);
                dropped = before - self.queue.len();
                self.paused.remove(&run);
                self.workers_of(run).into_iter().map(|w| (w, message.clone())).collect()
            }
            ToWorker::Probe { run, .. } | ToWorker::Attack { run, .. } | ToWorker::LookInside { run, .. } => {
                let home = self.homes.get(&run).copied().filter(|&w| self.slots[w].is_live());
                home.or_else(|| self.any_worker()).map(|w| (w, message)).into_iter().collect()
            }
            ToWorker::Gallery { .. } => self.dogs_worker().map(|w| (w, message)).into_iter().collect(),
            ToWorker::LoadDogs { .. } => {
                let w = self.dogs_worker();
                self.dogs_home = w;
                w.map(|w| (w, message)).into_iter().collect()
            }
            ToWorker::ForgetDogs => self.live().map(|w| (w, message.clone())).collect(),
            // Test hooks: the worker of the newest run, else the first.
            ToWorker::Crash | ToWorker::LoseGpu | ToWorker::ExhaustMemory => {
                let newest = self.slots.iter().enumerate().filter_map(|(w, s)| Some((s.job?, w))).max();
                newest.map(|(_, w)| w).or_else(|| self.any_worker()).map(|w| (w, message)).into_iter().collect()
            }
        };
        Routed { out, dropped }
    }

    /// What worker `w`'s message changes in the pool; returns what to post because of it
    /// (the next queued job when it became free).
    pub fn heard(&mut self, w: WorkerId, message: &FromWorker) -> Outbox {
        let Some(slot) = self.slots.get_mut(w) else { return vec![] };
        match message {
            FromWorker::Ready if slot.is_live() => {
                slot.state = WorkerState::Ready;
                return self.next_job(w);
            }
            FromWorker::Idle => {
                slot.job = None;
                return self.next_job(w);
            }
            FromWorker::Crashed { message } => {
                // The first word is the one to keep: a worker out of memory says so, and then
                // its engine's trap ("unreachable") follows.
                if slot.is_live() {
                    slot.state = WorkerState::Crashed(message.clone());
                }
                slot.job = None;
                self.homes.retain(|_, home| *home != w);
                if self.dogs_home == Some(w) {
                    self.dogs_home = None;
                }
            }
            _ => {}
        }
        vec![]
    }

    /// Worker `w` was started again (after a crash): it is loading, and takes the next job.
    pub fn restarted(&mut self, w: WorkerId) -> Outbox {
        match self.slots.get_mut(w) {
            Some(slot) => *slot = Slot { stand_in: slot.stand_in, ..Slot::fresh() },
            None => return vec![],
        }
        self.next_job(w)
    }

    /// The worker that trained run `run` (where its model is).
    pub fn home_of(&self, run: RunId) -> Option<WorkerId> {
        self.homes.get(&run).copied()
    }

    /// Whether the DogSet's gallery is answered by worker `w` (the one that loaded it).
    pub fn holds_dogs(&self, w: WorkerId) -> bool {
        self.dogs_home == Some(w)
    }

    /// The worker to hand the user's DogSet files to: one that is ready (files cannot wait
    /// in a bridge's queue), preferably the one holding the current set.
    pub fn upload_worker(&mut self) -> Option<WorkerId> {
        let ready = |w: &WorkerId| self.slots[*w].state == WorkerState::Ready;
        let w = self.dogs_home.filter(ready).or_else(|| (0..self.slots.len()).find(ready));
        if w.is_some() {
            self.dogs_home = w;
        }
        w
    }

    fn live(&self) -> impl Iterator<Item = WorkerId> + '_ {
        (0..self.slots.len()).filter(|&w| self.slots[w].is_live())
    }

    /// A free worker, else any live one (for quick requests that need no free worker).
    fn any_worker(&self) -> Option<WorkerId> {
        (0..self.slots.len()).find(|&w| self.slots[w].is_free()).or_else(|| self.live().next())
    }

    /// The worker holding the DogSet, else a free or live one.
    fn dogs_worker(&self) -> Option<WorkerId> {
        self.dogs_home.filter(|&w| self.slots[w].is_live()).or_else(|| self.any_worker())
    }

    /// The worker a job goes to: a ready and free one, `prefer` first, then the others before
    /// the stand-in, which never gets a job its CPU engine cannot train. A job waits in the
    /// queue while every worker loads: the first engine to arrive takes it, and the session
    /// may still add a stand-in for it.
    fn free_worker_for(&self, message: &ToWorker, prefer: Option<WorkerId>) -> Option<WorkerId> {
        let takes = |w: &WorkerId| {
            let slot = &self.slots[*w];
            slot.takes_jobs() && (!slot.stand_in || cpu_engine_takes(message))
        };
        prefer
            .filter(|w| *w < self.slots.len() && takes(w))
            .or_else(|| (0..self.slots.len()).filter(takes).min_by_key(|&w| self.slots[w].stand_in))
    }

    /// The runs waiting in the queue that the stand-in's CPU engine can train.
    pub fn queued_for_cpu(&self) -> impl Iterator<Item = RunId> + '_ {
        self.queue.iter().filter(|(_, message)| cpu_engine_takes(message)).map(|(run, _)| *run)
    }

    fn assign(&mut self, w: WorkerId, run: RunId, mut message: ToWorker) -> Outbox {
        // The stand-in trains an Automatic run on its CPU engine: said as such, so the worker
        // neither looks for WebGPU nor measures.
        if let ToWorker::Start { backend, measured, .. } = &mut message
            && self.slots[w].stand_in
        {
            *backend = BackendChoice::Cpu;
            *measured = None;
        }
        self.slots[w].job = Some(run);
        // The first worker a run is given is its home: a data-parallel run's leader (share 0),
        // which keeps the trained model.
        self.homes.entry(run).or_insert(w);
        let mut out = vec![(w, message)];
        if self.paused.contains(&run) {
            out.push((w, ToWorker::Pause { run }));
        }
        out
    }

    fn next_job(&mut self, w: WorkerId) -> Outbox {
        if !self.slots[w].takes_jobs() {
            return vec![];
        }
        let stand_in = self.slots[w].stand_in;
        match self.queue.iter().position(|(_, message)| !stand_in || cpu_engine_takes(message)) {
            Some(next) => {
                let (run, message) = self.queue.remove(next).expect("a queued job");
                self.assign(w, run, message)
            }
            None => vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::synth::SynthLab;
    use crate::labs::xor::XorLab;
    use crate::run::BackendChoice;

    fn train(run: RunId) -> ToWorker {
        ToWorker::Start {
            run,
            backend: BackendChoice::Cpu,
            measured: None,
            job: Job::Synth { lab: SynthLab::homework(), resume: None },
        }
    }

    fn ready(size: usize) -> Pool {
        let mut pool = Pool::new(size);
        for w in 0..size {
            pool.heard(w, &FromWorker::Ready);
        }
        pool
    }

    #[test]
    fn the_default_size_leaves_a_core_to_the_page() {
        assert_eq!(default_size(0), 1);
        assert_eq!(default_size(2), 1);
        assert_eq!(default_size(4), 3);
        assert_eq!(default_size(64), MAX_WORKERS);
    }

    #[test]
    fn jobs_go_to_free_workers_and_wait_for_one_when_all_are_busy() {
        let mut pool = ready(2);
        assert_eq!(pool.route(train(1)).out, vec![(0, train(1))]);
        assert_eq!(pool.route(train(2)).out, vec![(1, train(2))]);
        assert_eq!(pool.route(train(3)).out, vec![]);
        assert!(pool.is_queued(3) && pool.is_busy());
        // Worker 1 finishes first: it takes the waiting job.
        assert_eq!(pool.heard(1, &FromWorker::Idle), vec![(1, train(3))]);
        assert_eq!(pool.workers_of(3), vec![1]);
        assert_eq!(pool.heard(0, &FromWorker::Idle), vec![]);
        assert_eq!(pool.heard(1, &FromWorker::Idle), vec![]);
        assert!(!pool.is_busy());
    }

    #[test]
    fn pause_and_stop_reach_only_the_run_s_workers_and_stop_empties_the_queue() {
        let mut pool = ready(1);
        pool.route(train(1));
        pool.route(train(2));
        pool.route(train(2));
        assert_eq!(pool.route(ToWorker::Pause { run: 2 }).out, vec![]);
        assert_eq!(pool.route(ToWorker::Pause { run: 1 }).out, vec![(0, ToWorker::Pause { run: 1 })]);
        let stopped = pool.route(ToWorker::Stop { run: 2 });
        assert_eq!(stopped, Routed { out: vec![], dropped: 2 });
        assert!(!pool.is_queued(2));
        // A paused run's part that starts later starts paused.
        pool.route(ToWorker::Pause { run: 3 });
        pool.route(train(3));
        assert_eq!(pool.heard(0, &FromWorker::Idle), vec![(0, train(3)), (0, ToWorker::Pause { run: 3 })]);
    }

    #[test]
    fn a_crash_frees_only_its_worker_and_a_restart_takes_the_queue() {
        let mut pool = ready(2);
        pool.route(train(1));
        pool.route(train(2));
        pool.route(train(3));
        pool.heard(0, &FromWorker::Crashed { message: "boom".into() });
        assert_eq!(pool.crashed().collect::<Vec<_>>(), vec![(0, "boom")]);
        assert_eq!(pool.workers_of(2), vec![1]);
        assert!(pool.is_queued(3));
        // A late `Ready` from the dead worker does not revive it.
        pool.heard(0, &FromWorker::Ready);
        assert!(pool.crashed().next().is_some());
        assert_eq!(pool.restarted(0), vec![], "it takes the queue once its engine is here");
        assert_eq!(pool.crashed().count(), 0);
        assert_eq!(pool.heard(0, &FromWorker::Ready), vec![(0, train(3))]);
    }

    #[test]
    fn probes_and_attacks_follow_the_model_and_the_gallery_the_dogset() {
        let mut pool = ready(2);
        pool.route(train(1));
        pool.route(ToWorker::Start {
            run: 2,
            backend: BackendChoice::Cpu,
            measured: None,
            job: Job::Xor { lab: XorLab::xor() },
        });
        pool.heard(0, &FromWorker::Idle);
        pool.heard(1, &FromWorker::Idle);
        let probe = ToWorker::Probe { run: 1, image: vec![0.0] };
        assert_eq!(pool.route(probe.clone()).out, vec![(0, probe)]);
        // The set loads where nothing trains; the gallery asks that worker.
        pool.route(train(3));
        let load = ToWorker::LoadDogs { run: 4, source: crate::run::DogSource::Auto };
        assert_eq!(pool.route(load.clone()).out, vec![(1, load)]);
        assert!(pool.holds_dogs(1));
        let gallery = ToWorker::Gallery { class: 0, page: 0 };
        assert_eq!(pool.route(gallery.clone()).out, vec![(1, gallery)]);
        assert_eq!(pool.route(ToWorker::ForgetDogs).out.len(), 2);
    }

    #[test]
    fn the_stand_in_takes_only_what_its_cpu_engine_trains() {
        let mut pool = ready(1);
        let stand_in = pool.add_stand_in();
        pool.heard(stand_in, &FromWorker::Ready);
        // The WebGPU-capable worker is busy: a WebGPU run waits for it, though the stand-in is free.
        pool.route(train(1));
        assert_eq!(pool.workers_of(1), vec![0]);
        let mut gpu = train(2);
        if let ToWorker::Start { backend, .. } = &mut gpu {
            *backend = BackendChoice::WebGpu;
        }
        assert!(pool.route(gpu).out.is_empty());
        // A CPU run behind it in the queue goes to the stand-in when it is free.
        assert_eq!(pool.route(train(3)).out.len(), 1, "the stand-in is free: it takes the CPU run at once");
        assert_eq!(pool.workers_of(3), vec![stand_in]);
        pool.route(train(4));
        let out = pool.heard(stand_in, &FromWorker::Idle);
        assert!(matches!(out.as_slice(), [(w, ToWorker::Start { run: 4, .. })] if *w == stand_in), "{out:?}");
        let out = pool.heard(0, &FromWorker::Idle);
        assert!(matches!(out.as_slice(), [(0, ToWorker::Start { run: 2, .. })]), "{out:?}");
    }

    #[test]
    fn only_an_idle_pool_resizes() {
        let mut pool = ready(2);
        pool.route(train(1));
        assert!(!pool.resize(4));
        pool.heard(0, &FromWorker::Idle);
        assert!(pool.resize(4));
        assert_eq!(pool.slots()[3], Slot { state: WorkerState::Loading, job: None, stand_in: false });
        assert!(pool.resize(1) && pool.size() == 1);
        assert!(pool.resize(99) && pool.size() == MAX_WORKERS);
    }
}
