//! A reload puts each lab's last run back on screen from the runs saved in this browser: its
//! curves, kernels, tables and answers, finished or cut short. Pure, like the rest of the
//! session, so the rule is tested natively.

use super::Session;
use crate::labs::RunKind;
use crate::labs::dogs::DogLab;
use crate::labs::mnist::MnistLab;
use crate::labs::mnist::MnistView;
use crate::labs::mnist::scaling::FULL_TRAIN_SIZE;
use crate::labs::rule::learner::replay;
use crate::labs::rule::{RuleLab, RuleView};
use crate::labs::synth::SynthLab;
use crate::labs::xor::{XorLab, XorRun, XorView};
use crate::protocol::{Job, ToWorker};
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
fn newest(saved: &[SavedRun], lab: RunKind) -> Option<&SavedRun> {
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
            && let Some(run) = newest(saved, RunKind::Synth)
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
                    let job = Job::Synth { lab, resume };
                    let measured = self.remembered(id, &job, backend);
                    out.push(ToWorker::Start { run: id, backend, measured, job });
                }
                None => self.runs.push(view),
            }
        }
        for (mlp, name) in [(true, RunKind::DogsMlp), (false, RunKind::DogsCnn)] {
            let slot = if mlp { &self.dogs.mlp } else { &self.dogs.cnn };
            if slot.is_some() {
                continue;
            }
            let Some(run) = newest(saved, name) else { continue };
            let Ok(lab) = serde_json::from_value::<DogLab>(run.config.clone()) else { continue };
            let view = Some(self.restored_view(run, lab));
            if mlp { self.dogs.mlp = view } else { self.dogs.cnn = view }
        }
        if self.mnist.is_none() {
            self.mnist = self.restored_mnist(saved, false);
        }
        if self.mnist_check.is_none() {
            self.mnist_check = self.restored_mnist(saved, true);
        }
        if self.rule.is_none()
            && let Some(run) = newest(saved, RunKind::PerceptronRule)
            && let Ok(lab) = serde_json::from_value::<RuleLab>(run.config.clone())
        {
            // The rule is deterministic: a run that ended by itself is replayed to its result
            // (one stopped part-way has its passes but no result).
            let result = (run.status == RunStatus::Finished).then(|| replay(&lab));
            let result = result.filter(|r| r.passes.len() == run.epochs.len());
            self.rule = Some(RuleView { run: self.restored_view(run, lab), result });
        }
        out
    }

    /// Puts back the XOR lab's last result (kept by the page: it trains in a blink and is not
    /// a saved run), unless this page already trained one.
    pub fn restore_xor(&mut self, lab: XorLab, linear: XorRun, relu: XorRun) {
        if self.xor.is_some() {
            return;
        }
        let mut view = XorView::new(self.take_id(), lab);
        view.state.phase = Phase::Finished;
        view.state.status = Some(RESTORED.into());
        view.result = Some((linear, relu));
        self.xor = Some(view);
    }

    fn restored_view<L: LabConfig>(&mut self, run: &SavedRun, lab: L) -> RunView<L> {
        let mut view = RunView::new(self.take_id(), lab);
        view.state = state_of(run);
        view.records = run.epochs.clone();
        view.summary = run.summary.clone();
        view.test = run.test;
        view.evaluation = run.evaluation.clone();
        view.kernels = run.checkpoint.as_ref().and_then(Kernels::from_checkpoint);
        view.checkpoint = run.checkpoint.clone().map(Into::into);
        view
    }

    /// The newest MNIST scaling run (or full-set check) as one view of all its sizes: its
    /// models are saved one run each, under the run's key and `-<size>`.
    fn restored_mnist(&mut self, saved: &[SavedRun], check: bool) -> Option<MnistView> {
        let parts: Vec<(&SavedRun, MnistLab)> = saved
            .iter()
            .filter(|r| r.lab == RunKind::Mnist)
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
            view.results.extend(run.mnist_result(*size));
            if let Some(c) = &run.checkpoint {
                view.weights.push((*size, c.clone()));
            }
        }
        view.parts = members.len();
        view.parts_done = members.len();
        Some(view)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::{Checkpoint, EpochRecord, RunSummary, StopReason, TensorValues};
    use crate::runs::RUN_FORMAT;

    fn record(epoch: usize) -> EpochRecord {
        EpochRecord {
            epoch,
            train_loss: 1.0 / epoch as f64,
            train_acc: 90.0,
            valid_loss: Some(0.5),
            valid_acc: Some(88.0),
            seconds: 0.5,
            examples_per_s: 800.0,
        }
    }

    fn saved(key: &str, lab: RunKind, config: serde_json::Value, status: RunStatus, epochs: usize) -> SavedRun {
        // The Synth CNN's first convolution, then one more tensor: kernels come from the first two.
        let checkpoint = Checkpoint {
            epoch: epochs,
            tensors: vec![
                TensorValues { shape: vec![2, 1, 5, 5], values: (0..50).map(|v| v as f32).collect() },
                TensorValues { shape: vec![2], values: vec![0.5, -0.5] },
                TensorValues { shape: vec![8, 2], values: vec![0.0; 16] },
            ],
        };
        SavedRun {
            format: RUN_FORMAT,
            written_by: crate::runs::written_by(),
            key: key.into(),
            name: key.into(),
            lab,
            config,
            backend: None,
            created: key.split('-').next().and_then(|c| c.parse().ok()).unwrap_or(0.0),
            status,
            epochs: (1..=epochs).map(record).collect(),
            summary: (status == RunStatus::Finished).then_some(RunSummary {
                epochs_trained: epochs,
                stop: StopReason::Completed,
                train_seconds: epochs as f64 * 0.5,
                parameters: 442,
            }),
            test: Some((0.3, 91.0)),
            evaluation: None,
            checkpoint: Some(checkpoint),
            error: None,
        }
    }

    fn synth(epochs: usize) -> serde_json::Value {
        let mut lab = SynthLab::homework();
        lab.train.epochs = epochs;
        serde_json::to_value(lab).unwrap()
    }

    #[test]
    fn the_perceptron_rule_lab_comes_back_with_its_replayed_result() {
        use crate::labs::perceptrons::{Preset, TruthTable};
        let lab = RuleLab { table: TruthTable::preset(Preset::Xor, 2, 0), ..RuleLab::and() };
        let result = replay(&lab);
        let mut run =
            saved("3-1", RunKind::PerceptronRule, serde_json::to_value(&lab).unwrap(), RunStatus::Finished, 0);
        run.epochs = (1..=result.passes.len()).map(record).collect();
        let mut s = Session::default();
        s.restore(std::slice::from_ref(&run), BackendChoice::Cpu);
        let view = s.rule.as_ref().expect("the lab's run is back");
        assert_eq!(view.run.state.status.as_deref(), Some(RESTORED));
        assert_eq!(view.result.as_ref(), Some(&result));
        // A run stopped part-way keeps its passes but claims no result.
        run.epochs.pop();
        let mut s = Session::default();
        s.restore(&[run], BackendChoice::Cpu);
        assert_eq!(
            s.rule.as_ref().map(|v| (v.run.records.len(), v.result.is_none())),
            Some((result.passes.len() - 1, true))
        );
    }

    #[test]
    fn a_finished_synth_run_comes_back_with_its_kernels_and_its_model_is_loaded_again() {
        let runs = [
            saved("1-1", RunKind::Synth, synth(3), RunStatus::Finished, 3),
            saved("2-1", RunKind::Synth, synth(4), RunStatus::Finished, 4),
        ];
        let mut s = Session::default();
        let out = s.restore(&runs, BackendChoice::Cpu);
        let run = s.current().expect("the newest run is back");
        assert_eq!(run.records.len(), 4, "the newer of the two");
        assert_eq!(run.state.status.as_deref(), Some(RESTORED));
        let kernels = run.kernels.as_ref().expect("kernels from the checkpoint");
        assert_eq!((kernels.shape, kernels.weights.len(), kernels.biases.clone()), ([2, 1, 5, 5], 50, vec![0.5, -0.5]));
        let [ToWorker::Start { run: id, job: Job::Synth { resume: Some((checkpoint, records)), .. }, .. }] = &out[..]
        else {
            panic!("one job loads the model: {out:?}")
        };
        assert_eq!((*id, checkpoint.epoch, records.len()), (run.id, 4, 4), "resumed with no epoch left");
        // A page that already shows a run keeps it.
        let again = s.restore(&runs, BackendChoice::Cpu);
        assert!(again.is_empty());
        assert_eq!(s.runs.len(), 1);
    }

    #[test]
    fn a_run_cut_short_comes_back_interrupted_and_nothing_trains() {
        let runs = [saved("5-1", RunKind::Synth, synth(50), RunStatus::Interrupted, 2)];
        let mut s = Session::default();
        assert!(s.restore(&runs, BackendChoice::Auto).is_empty());
        let run = s.current().unwrap();
        assert_eq!(run.state.phase, Phase::Interrupted);
        assert_eq!(run.progress_text(), "interrupted after epoch 2 of 50: resume it under Saved runs");
        assert!(!s.is_training());
    }

    #[test]
    fn the_newest_mnist_run_comes_back_with_every_size() {
        let mnist = |size: usize| {
            let lab = MnistLab { sizes: vec![size], ..MnistLab::homework() };
            serde_json::to_value(lab).unwrap()
        };
        let runs = [
            saved("1-3-500", RunKind::Mnist, mnist(500), RunStatus::Finished, 2),
            saved("9-4-1000", RunKind::Mnist, mnist(1000), RunStatus::Finished, 2),
            saved("9-4-500", RunKind::Mnist, mnist(500), RunStatus::Finished, 2),
            saved("9-7-60000", RunKind::Mnist, mnist(FULL_TRAIN_SIZE), RunStatus::Finished, 1),
        ];
        let mut s = Session::default();
        s.restore(&runs, BackendChoice::Cpu);
        let m = s.mnist.as_ref().expect("the scaling run");
        assert_eq!(m.lab.sizes, vec![500, 1000]);
        assert_eq!(m.results.iter().map(|r| (r.size, r.test_acc)).collect::<Vec<_>>(), vec![(500, 91.0), (1000, 91.0)]);
        assert_eq!(m.epochs.len(), 4);
        assert_eq!(m.state.phase, Phase::Finished);
        assert_eq!(m.weights.len(), 2, "the models' weights, for the adversarial lab");
        assert_eq!(s.mnist_check.as_ref().map(|c| c.lab.sizes.clone()), Some(vec![FULL_TRAIN_SIZE]));
    }
}
