//! The run-state machine every lab's runs share: queued, training, paused, finished, failed
//! or interrupted, with the backend, the data's progress, a status line and an error.

use super::BackendInfo;

/// Where a run is in its life: every lab's runs go through these same states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Sent, no answer yet (the engine may still be loading).
    Queued,
    Training,
    Paused,
    Finished,
    Failed,
    /// Its worker stopped (crashed, lost its GPU, or the page was closed) during the run.
    Interrupted,
}

impl Phase {
    /// Queued, training or paused: the run holds its worker.
    pub fn is_active(self) -> bool {
        matches!(self, Phase::Queued | Phase::Training | Phase::Paused)
    }

    /// The name the page shows and its tests read (`data-phase`).
    pub fn name(self) -> &'static str {
        match self {
            Phase::Queued => "queued",
            Phase::Training => "training",
            Phase::Paused => "paused",
            Phase::Finished => "finished",
            Phase::Failed => "failed",
            Phase::Interrupted => "interrupted",
        }
    }
}

/// What a run that lost its worker says.
pub const WORKER_DIED: &str = "the training worker stopped during this run";

/// How a worker's last note begins when it ran out of memory (see `web::worker::memory`).
pub const OUT_OF_MEMORY: &str = "the training worker ran out of memory";

/// What a run that was sent but has no answer yet says.
pub const QUEUED: &str = "waiting for the training engine";

/// What a run waiting in the pool's queue says.
pub const WAITING: &str = "waiting for a free training worker";

/// A dataset download's progress.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DataProgress {
    pub loaded_bytes: u64,
    pub total_bytes: u64,
    pub cached_files: usize,
    pub files: usize,
}

/// What the worker can say about any run, whatever its lab.
#[derive(Clone, Debug, PartialEq)]
pub enum RunEvent {
    /// The backend it trains on: the run has started.
    Backend(BackendInfo),
    /// A step with no countable progress ("compiling GPU kernels").
    Status(String),
    Data(DataProgress),
    Paused(bool),
    /// It ended with this error.
    Failed(String),
    /// It ended normally.
    Finished,
}

/// The one run-state machine: the lifecycle and the reports every lab's runs share. Each lab's
/// view holds one beside its own results.
#[derive(Clone, Debug, PartialEq)]
pub struct RunState {
    pub phase: Phase,
    pub backend: Option<BackendInfo>,
    /// A step with no countable progress, cleared when counted progress arrives.
    pub status: Option<String>,
    pub data: Option<DataProgress>,
    pub error: Option<String>,
}

impl Default for RunState {
    fn default() -> Self {
        Self { phase: Phase::Queued, backend: None, status: None, data: None, error: None }
    }
}

impl RunState {
    pub fn apply(&mut self, event: RunEvent) {
        match event {
            RunEvent::Backend(info) => {
                self.backend = Some(info);
                if self.phase == Phase::Queued {
                    self.phase = Phase::Training;
                }
            }
            RunEvent::Status(text) => self.status = Some(text),
            RunEvent::Data(progress) => self.data = Some(progress),
            RunEvent::Paused(paused) => {
                if matches!(self.phase, Phase::Training | Phase::Paused) {
                    self.phase = if paused { Phase::Paused } else { Phase::Training };
                }
            }
            // An error after the end (a late message of a stopped run) changes nothing.
            RunEvent::Failed(message) if self.phase.is_active() => {
                self.phase = Phase::Failed;
                self.error = Some(message);
            }
            RunEvent::Failed(_) => {}
            // A late end of a run already interrupted (a crashed share) or failed stays so.
            RunEvent::Finished if self.phase.is_active() => {
                self.phase = Phase::Finished;
                self.status = None;
            }
            RunEvent::Finished => {}
        }
    }

    /// Counted progress arrived: the uncounted status line is over.
    pub fn progressed(&mut self) {
        self.status = None;
    }

    /// The worker died (`crash`: its last words): an active run is interrupted (and can be
    /// resumed where its lab keeps checkpoints); a finished or failed one stays as it was.
    pub fn worker_died(&mut self, crash: &str) {
        if self.phase.is_active() {
            self.phase = Phase::Interrupted;
            self.error = Some(match crash.starts_with(OUT_OF_MEMORY) {
                true => format!(
                    "{crash}. The epochs so far are kept: train on fewer images or a smaller batch, or close other tabs to free memory"
                ),
                false => WORKER_DIED.into(),
            });
        }
    }

    pub fn is_active(&self) -> bool {
        self.phase.is_active()
    }
}
