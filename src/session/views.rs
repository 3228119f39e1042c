//! Each lab's view behind one trait, [`LabView`]: what the session asks of it about its
//! runs, how each message from the worker changes it (the one place the page's state meets
//! the wire format) and its saved form. Every view first hands a message to its [`RunState`]
//! (the events all runs share) and takes only what its lab adds.

use crate::labs::RunKind;
use crate::labs::adversarial::{AttackView, Attacked};
use crate::labs::dogs::{DogsView, GalleryPage};
use crate::labs::mnist::MnistView;
use crate::labs::xor::XorView;
use crate::protocol::{FromWorker, LabResult};
use crate::run::{DataProgress, Phase, RunEvent, RunId, RunState, RunSummary, StopReason};
use crate::run_view::{BatchProgress, LabConfig, ResultView, RunView};
use crate::runs::SavedRun;
use serde::Serialize;

/// What the session asks of every lab's view: the session holds each lab's view (an `Option`
/// for a lab that shows one run, a `Vec` for one that shows several) and goes through this
/// trait for its states, its messages and its saving, never through per-lab arms.
pub trait LabView {
    /// The runs this view shows: each one's id, what it trains in words (the pool panel's
    /// "training the Synth CNN") and its state.
    fn runs(&self) -> Vec<(RunId, &'static str, &RunState)>;
    fn state_mut(&mut self, run: RunId) -> Option<&mut RunState>;
    /// Takes this lab's messages; returns the others.
    fn apply(&mut self, message: FromWorker) -> Option<FromWorker>;
    /// Run `run` as a saved run as it stands now (`kept`: its key, name and start), where this
    /// view keeps it as one.
    fn saved(&self, _run: RunId, _kept: &Kept) -> Option<SavedRun> {
        None
    }
}

/// Where a run is saved: its key, name, kind and start time (milliseconds since 1970).
#[derive(Clone, Debug, PartialEq)]
pub struct Kept {
    pub key: String,
    pub name: String,
    pub kind: RunKind,
    pub created: f64,
}

impl<V: LabView> LabView for Option<V> {
    fn runs(&self) -> Vec<(RunId, &'static str, &RunState)> {
        self.as_ref().map(V::runs).unwrap_or_default()
    }

    fn state_mut(&mut self, run: RunId) -> Option<&mut RunState> {
        self.as_mut()?.state_mut(run)
    }

    fn apply(&mut self, message: FromWorker) -> Option<FromWorker> {
        match self {
            Some(view) => view.apply(message),
            None => Some(message),
        }
    }

    fn saved(&self, run: RunId, kept: &Kept) -> Option<SavedRun> {
        self.as_ref()?.saved(run, kept)
    }
}

impl<V: LabView> LabView for Vec<V> {
    fn runs(&self) -> Vec<(RunId, &'static str, &RunState)> {
        self.iter().flat_map(V::runs).collect()
    }

    fn state_mut(&mut self, run: RunId) -> Option<&mut RunState> {
        self.iter_mut().find_map(|v| v.state_mut(run))
    }

    fn apply(&mut self, mut message: FromWorker) -> Option<FromWorker> {
        for view in self {
            message = view.apply(message)?;
        }
        Some(message)
    }

    fn saved(&self, run: RunId, kept: &Kept) -> Option<SavedRun> {
        self.iter().find_map(|v| v.saved(run, kept))
    }
}

/// The one run of a view that shows one: `(id, name, state)`.
fn one<'a>(id: RunId, name: &'static str, state: &'a RunState) -> Vec<(RunId, &'static str, &'a RunState)> {
    vec![(id, name, state)]
}

/// Whether `message` is about run `id` (a view takes only its own run's messages).
fn about(message: &FromWorker, id: RunId) -> bool {
    message.run() == Some(id)
}

/// Feeds a message to `state` when it is one every run understands; returns the others.
pub(super) fn shared(state: &mut RunState, id: RunId, message: FromWorker) -> Option<FromWorker> {
    match message.run_event() {
        Some((run, event)) if run == id => {
            state.apply(event);
            None
        }
        _ => Some(message),
    }
}
impl<L: LabConfig + Serialize> LabView for RunView<L> {
    fn runs(&self) -> Vec<(RunId, &'static str, &RunState)> {
        one(self.id, self.lab.title(), &self.state)
    }

    fn state_mut(&mut self, run: RunId) -> Option<&mut RunState> {
        (run == self.id).then_some(&mut self.state)
    }

    fn saved(&self, run: RunId, kept: &Kept) -> Option<SavedRun> {
        (run == self.id).then(|| SavedRun::of_run(self, &kept.key, &kept.name, kept.kind, kept.created))
    }

    /// Applies a message of this run; returns it back when it is not one a run takes.
    fn apply(&mut self, message: FromWorker) -> Option<FromWorker> {
        if !about(&message, self.id) {
            return Some(message);
        }
        let message = shared(&mut self.state, self.id, message)?;
        match message {
            FromWorker::Progress { epoch, batch, batches, batches_per_s, .. } => {
                self.progress = Some(BatchProgress { epoch, batch, batches, batches_per_s });
                self.state.progressed();
            }
            FromWorker::Epoch { record, kernels, .. } => {
                self.records.push(record);
                if !kernels.weights.is_empty() {
                    self.kernels = Some(kernels);
                }
            }
            FromWorker::Layers { layers, .. } => self.layers = layers,
            FromWorker::Evaluated { evaluation, .. } => self.evaluation = Some(evaluation),
            FromWorker::Inside { activations, .. } => self.inside = Some(activations.into()),
            FromWorker::Tested { loss, accuracy, evaluation, .. } => {
                self.test = Some((loss, accuracy));
                self.evaluation = evaluation;
            }
            FromWorker::Done { summary, .. } => {
                self.state.apply(RunEvent::Finished);
                if let StopReason::Diverged { .. } = summary.stop {
                    self.state.error = Some(summary.stop.describe());
                }
                self.summary = Some(summary);
            }
            FromWorker::Sweep { sweep, .. } => self.sweep = Some(sweep),
            FromWorker::Checkpoint { checkpoint, .. } => self.checkpoint = Some(checkpoint.into()),
            other => return Some(other),
        }
        None
    }
}

impl<L: LabConfig + Serialize, R: TryFrom<LabResult>> LabView for ResultView<L, R> {
    fn runs(&self) -> Vec<(RunId, &'static str, &RunState)> {
        self.run.runs()
    }

    fn state_mut(&mut self, run: RunId) -> Option<&mut RunState> {
        self.run.state_mut(run)
    }

    fn saved(&self, run: RunId, kept: &Kept) -> Option<SavedRun> {
        LabView::saved(&self.run, run, kept)
    }

    fn apply(&mut self, message: FromWorker) -> Option<FromWorker> {
        match message {
            FromWorker::Result { run, result } if run == self.run.id => match R::try_from(result) {
                Ok(result) => self.result = Some(result),
                // Another lab's result under this run's id: not this view's.
                Err(_) => return None,
            },
            other => return self.run.apply(other),
        }
        None
    }
}

impl LabView for DogsView {
    fn runs(&self) -> Vec<(RunId, &'static str, &RunState)> {
        [&self.mlp, &self.cnn].into_iter().flat_map(LabView::runs).collect()
    }

    fn state_mut(&mut self, run: RunId) -> Option<&mut RunState> {
        [&mut self.mlp, &mut self.cnn].into_iter().find_map(|v| v.state_mut(run))
    }

    fn saved(&self, run: RunId, kept: &Kept) -> Option<SavedRun> {
        [&self.mlp, &self.cnn].into_iter().find_map(|v| v.saved(run, kept))
    }

    /// Takes the DogSet lab's messages; returns the others.
    fn apply(&mut self, message: FromWorker) -> Option<FromWorker> {
        match message {
            FromWorker::DogData { run, info } => {
                if self.loading == Some(run) || self.runs().any(|r| r.id == run) || self.checking.is_some() || run == 0
                {
                    if self.loading == Some(run) {
                        self.loading = None;
                    }
                    self.checking = None;
                    self.data = None;
                    self.load_error = None;
                    // A run re-announces the set it trains on: keep the gallery for the same set.
                    if self.info.as_ref() != Some(&info) {
                        self.gallery = None;
                    }
                    self.info = Some(info);
                }
                return None;
            }
            FromWorker::DogsProgress { done, total } => {
                self.checking = Some((done, total));
                return None;
            }
            FromWorker::DogLoadFailed { message, report } => {
                self.checking = None;
                self.load_error = Some((message, Some(report)));
                return None;
            }
            FromWorker::Gallery { class, page, pages, indices, images } => {
                self.gallery = Some(GalleryPage { class, page, pages, indices, images });
                return None;
            }
            _ => {}
        }
        let Some(run) = message.run() else { return Some(message) };
        if self.loading == Some(run) {
            match message {
                FromWorker::DataProgress { loaded, total, cached_files, files, .. } => {
                    self.data = Some(DataProgress { loaded_bytes: loaded, total_bytes: total, cached_files, files })
                }
                FromWorker::Error { message, .. } => {
                    self.loading = None;
                    self.load_error = Some((message, None));
                }
                other => return Some(other),
            }
            return None;
        }
        let message = self.mlp.apply(message)?;
        self.cnn.apply(message)
    }
}

impl LabView for XorView {
    fn runs(&self) -> Vec<(RunId, &'static str, &RunState)> {
        one(self.id, "XOR networks", &self.state)
    }

    fn state_mut(&mut self, run: RunId) -> Option<&mut RunState> {
        (run == self.id).then_some(&mut self.state)
    }

    fn apply(&mut self, message: FromWorker) -> Option<FromWorker> {
        if !about(&message, self.id) {
            return Some(message);
        }
        match shared(&mut self.state, self.id, message)? {
            FromWorker::Result { result: LabResult::Xor { linear, relu }, .. } => {
                self.result = Some((linear, relu));
                self.state.apply(RunEvent::Finished);
                None
            }
            other => Some(other),
        }
    }
}
impl LabView for AttackView {
    fn runs(&self) -> Vec<(RunId, &'static str, &RunState)> {
        one(self.id, "adversarial lab's model", &self.state)
    }

    fn state_mut(&mut self, run: RunId) -> Option<&mut RunState> {
        (run == self.id).then_some(&mut self.state)
    }

    fn apply(&mut self, message: FromWorker) -> Option<FromWorker> {
        if !about(&message, self.id) {
            return Some(message);
        }
        if let FromWorker::Error { message, .. } = &message
            && self.state.phase == Phase::Finished
        {
            // A failed attack on the prepared model: the model stays ready.
            self.attacking = false;
            self.state.error = Some(message.clone());
            return None;
        }
        match shared(&mut self.state, self.id, message)? {
            FromWorker::AttacksReady { model, epsilons, accuracies, samples, .. } => {
                self.model = model;
                self.sweep = epsilons.into_iter().zip(accuracies).collect();
                self.samples = samples;
                self.state.apply(RunEvent::Finished);
            }
            FromWorker::Attacked { image, label, target, epsilon, attack, .. } => {
                self.attack = Some(Attacked { image, label, target, epsilon, result: attack });
                self.attacking = false;
            }
            other => return Some(other),
        }
        self.attacking &= self.state.is_active() || self.state.phase == Phase::Finished;
        None
    }
}

impl LabView for MnistView {
    fn runs(&self) -> Vec<(RunId, &'static str, &RunState)> {
        one(self.id, "MNIST lab", &self.state)
    }

    fn state_mut(&mut self, run: RunId) -> Option<&mut RunState> {
        (run == self.id).then_some(&mut self.state)
    }

    /// Takes this MNIST run's messages; returns the others.
    fn apply(&mut self, message: FromWorker) -> Option<FromWorker> {
        if !about(&message, self.id) {
            return Some(message);
        }
        match shared(&mut self.state, self.id, message)? {
            FromWorker::SizeEpoch { size, record, .. } => self.epochs.push((size, record)),
            FromWorker::SizeDone { result, checkpoint, .. } => {
                if let Some(c) = checkpoint {
                    self.weights.push((result.size, c));
                    self.weights.sort_by_key(|(size, _)| *size);
                }
                self.results.push(result);
                self.results.sort_by_key(|r| r.size);
            }
            // One part (one size's job) ended; the run ends with the last. Parts may train on
            // several workers at once, so the summary adds theirs up.
            FromWorker::Done { summary, .. } => {
                self.parts_done += 1;
                let merged = match self.summary.take() {
                    None => summary,
                    Some(before) => RunSummary {
                        epochs_trained: before.epochs_trained + summary.epochs_trained,
                        stop: if before.stop == StopReason::Cancelled { before.stop } else { summary.stop },
                        train_seconds: before.train_seconds + summary.train_seconds,
                        parameters: before.parameters.max(summary.parameters),
                    },
                };
                self.summary = Some(merged);
                if self.parts_done >= self.parts && self.state.is_active() {
                    self.state.apply(RunEvent::Finished);
                }
            }
            other => return Some(other),
        }
        None
    }
}
