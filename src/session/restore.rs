//! A reload puts each lab's last run back on screen from the runs saved in this browser: its
//! curves, kernels, tables and answers, finished or cut short. Pure, like the rest of the
//! session, so the rule is tested natively.

use super::Session;
use crate::labs::dogs::{DogLab, DogModel};
use crate::labs::mnist::MnistLab;
use crate::labs::mnist::MnistView;
use crate::labs::mnist::scaling::{FULL_TRAIN_SIZE, SizeResult};
use crate::labs::synth::SynthLab;
use crate::protocol::ToWorker;
use crate::run::{BackendChoice, Kernels, Phase, RunState};
use crate::run_view::{LabConfig, RunView};
use crate::runs::{RunStatus, SavedRun};

/// What the page says of a run it put back after a reload.
pub const RESTORED: &str = "Restored from this browser after a reload";

/// The phase a saved run comes back in: it cannot still be training, the page that trained it
/// went away.
fn phase_of(status: RunStatus) -> Phase {
    match status {
        RunStatus::Finished => Phase::Finished,
        RunStatus::Failed => Phase::Failed,
        RunStatus::Running | RunStatus::Interrupted => Phase::Interrupted,
    }
}

fn state_of(run: &SavedRun) -> RunState {
    RunState {
        phase: phase_of(run.status),
        backend: run.backend.clone(),
        status: Some(RESTORED.into()),
        data: None,
        error: run.error.clone(),
    }
}

/// The newest saved run of `lab` that has at least one epoch.
fn newest<'a>(saved: &'a [SavedRun], lab: &str) -> Option<&'a SavedRun> {
    saved.iter().filter(|r| r.lab == lab && !r.epochs.is_empty()).max_by(|a, b| a.created.total_cmp(&b.created))
}

impl Session {
    /// Puts each lab's newest saved run back on screen (only into labs that show none: a run
    /// of this page is never replaced). Returns the messages that load a finished Synth
    /// model into a worker again (the shift demo and its sweep need the model; zero epochs
    /// remain, so nothing trains).
    pub fn restore(&mut self, saved: &[SavedRun], backend: BackendChoice) -> Vec<ToWorker> {
        let mut out = vec![];
        if self.runs.is_empty()
            && let Some(run) = newest(saved, "synth")
            && let Ok(lab) = serde_json::from_value::<SynthLab>(run.config.clone())
        {
            let view = self.restored_view(run, lab.clone());
            // A run that trained all its epochs is loaded into a worker again by resuming it
            // with none left (one that stopped early would train on).
            let reload = run.status == RunStatus::Finished && run.epochs.len() == lab.train.epochs;
            match view.checkpoint.clone().filter(|c| reload && c.epoch == run.epochs.len()) {
                Some(checkpoint) => {
                    let id = view.id;
                    let resume = Some(((*checkpoint).clone(), run.epochs.clone()));
                    // It goes out as a job again: queued until the worker takes it.
                    self.runs.push(RunView { state: RunState { phase: Phase::Queued, ..view.state.clone() }, ..view });
                    out.push(ToWorker::Train { run: id, lab, backend, resume });
                }
                None => self.runs.push(view),
            }
        }
        for (model, name) in [(DogModel::Mlp, "dogs-mlp"), (DogModel::Cnn, "dogs-cnn")] {
            let slot = if model == DogModel::Mlp { &self.dogs.mlp } else { &self.dogs.cnn };
            if slot.is_some() {
                continue;
            }
            let Some(run) = newest(saved, name) else { continue };
            let Ok(lab) = serde_json::from_value::<DogLab>(run.config.clone()) else { continue };
            let view = Some(self.restored_view(run, lab));
            if model == DogModel::Mlp { self.dogs.mlp = view } else { self.dogs.cnn = view }
        }
        if self.mnist.is_none() {
            self.mnist = self.restored_mnist(saved, false);
        }
        if self.mnist_check.is_none() {
            self.mnist_check = self.restored_mnist(saved, true);
        }
        out
    }

    fn restored_view<L: LabConfig>(&mut self, run: &SavedRun, lab: L) -> RunView<L> {
        let mut view = RunView::new(self.take_id(), lab);
        view.state = state_of(run);
        view.records = run.epochs.clone();
        view.summary = run.summary.clone();
        view.test = run.test;
        view.kernels = run.checkpoint.as_ref().and_then(Kernels::from_checkpoint);
        view.checkpoint = run.checkpoint.clone().map(Into::into);
        view
    }

    /// The newest MNIST scaling run (or full-set check) as one view of all its sizes: its
    /// models are saved one run each, under the run's key and `-<size>`.
    fn restored_mnist(&mut self, saved: &[SavedRun], check: bool) -> Option<MnistView> {
        let parts: Vec<(&SavedRun, MnistLab)> = saved
            .iter()
            .filter(|r| r.lab == "mnist")
            .filter_map(|r| Some((r, serde_json::from_value::<MnistLab>(r.config.clone()).ok()?)))
            .filter(|(_, lab)| (lab.sizes == [FULL_TRAIN_SIZE]) == check)
            .collect();
        let group = |r: &SavedRun| r.key.rsplit_once('-').map_or(r.key.clone(), |(stem, _)| stem.to_string());
        let (newest, _) = parts.iter().max_by(|a, b| a.0.created.total_cmp(&b.0.created))?;
        let stem = group(newest);
        let mut members: Vec<&(&SavedRun, MnistLab)> = parts.iter().filter(|(r, _)| group(r) == stem).collect();
        members.sort_by_key(|(_, lab)| lab.sizes.first().copied().unwrap_or(0));
        let (first, first_lab) = members.first()?;
        let sizes: Vec<usize> = members.iter().filter_map(|(_, lab)| lab.sizes.first().copied()).collect();
        let mut view = MnistView::new(self.take_id(), MnistLab { sizes: sizes.clone(), ..first_lab.clone() });
        view.state = state_of(first);
        if members.iter().any(|(r, _)| r.status != RunStatus::Finished) {
            view.state.phase = members.iter().map(|(r, _)| phase_of(r.status)).find(|p| *p != Phase::Finished)?;
        }
        for ((run, _), size) in members.iter().zip(&sizes) {
            view.epochs.extend(run.epochs.iter().map(|e| (*size, e.clone())));
            if let (Some(summary), Some((test_loss, test_acc))) = (&run.summary, run.test) {
                view.results.push(SizeResult {
                    size: *size,
                    losses: run.epochs.iter().map(|e| e.train_loss).collect(),
                    train_seconds: summary.train_seconds,
                    test_acc,
                    test_loss,
                    epochs_trained: summary.epochs_trained,
                });
            }
            if let Some(c) = &run.checkpoint {
                view.weights.push((*size, c.clone()));
            }
        }
        view.parts = members.len();
        view.parts_done = members.len();
        Some(view)
    }
}
