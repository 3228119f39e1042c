//! One training run as the page sees it (a Synth CNN or a DogSet network): its [`RunState`]
//! and what the run reported, with the progress line and the saved-run form derived from it.

use std::sync::Arc;

use crate::activations::Activations;
use crate::config::TrainConfig;
use crate::confusion::Evaluation;
use crate::metrics::eta_seconds;
use crate::net::LayerRow;
use crate::run::{Checkpoint, EpochRecord, Kernels, Phase, QUEUED, RunId, RunState, RunSummary, ShiftSweep};

/// Epoch, batch and batch count of a run's latest progress report, with the batch rate
/// measured in this epoch so far.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchProgress {
    pub epoch: usize,
    pub batch: usize,
    pub batches: usize,
    pub batches_per_s: Option<f64>,
}

impl BatchProgress {
    /// Seconds of training left in a run of `epochs`, at the measured batch rate.
    pub fn eta_seconds(&self, epochs: usize) -> Option<f64> {
        let rate = self.batches_per_s.filter(|r| r.is_finite() && *r > 0.0)?;
        let left = self.batches.saturating_sub(self.batch) + epochs.saturating_sub(self.epoch) * self.batches;
        Some(left as f64 / rate)
    }
}
/// Seconds of training for `epochs` passes over `examples` at `examples_per_s` (the
/// evaluation between epochs not counted).
pub fn expected_seconds(examples: usize, epochs: usize, examples_per_s: f64) -> f64 {
    (examples * epochs) as f64 / examples_per_s.max(1e-9)
}

/// Before Train, how long the run should take on this machine: from the `(examples/s,
/// backend)` this browser last measured for the same network, else where the time will show.
/// `early_stop`: the run may end before its last epoch.
pub fn expected_text(measured: Option<(f64, String)>, examples: usize, epochs: usize, early_stop: bool) -> String {
    match measured {
        Some((rate, backend)) if rate > 0.0 => format!(
            "Expected: {}about {} of training for {} epochs of {} images, at the {} examples/s this browser last \
             measured on {backend}{}.",
            if early_stop { "at most " } else { "" },
            crate::metrics::format_duration(expected_seconds(examples, epochs, rate)),
            epochs,
            crate::metrics::format_count(examples),
            crate::metrics::format_count(rate.round() as usize),
            if early_stop { " (early stopping may end it sooner)" } else { "" },
        ),
        _ => "The time left shows beside the progress bar from the first batches on.".into(),
    }
}

/// A lab config with training settings (what a run's progress is counted against).
pub trait LabConfig {
    fn train(&self) -> &TrainConfig;
    /// What a run of it trains, in words ("Synth CNN", "DogSet CNN").
    fn title(&self) -> &'static str;
}

/// One training run as the page sees it (a Synth CNN or a DogSet network).
#[derive(Clone, Debug, PartialEq)]
pub struct RunView<L> {
    pub id: RunId,
    pub lab: L,
    pub state: RunState,
    pub progress: Option<BatchProgress>,
    pub records: Vec<EpochRecord>,
    /// First-layer kernels after the latest epoch.
    pub kernels: Option<Kernels>,
    /// The built model's layer table.
    pub layers: Vec<LayerRow>,
    pub summary: Option<RunSummary>,
    /// Test loss and accuracy, evaluated once after training.
    pub test: Option<(f64, f64)>,
    /// The test set's confusion matrix and most confident mistakes.
    pub evaluation: Option<Evaluation>,
    /// Every layer's output for the image last looked inside (shared: the views are cloned
    /// on every update).
    pub inside: Option<Arc<Activations>>,
    pub sweep: Option<ShiftSweep>,
    /// The parameters after the latest epoch, for resuming.
    ///
    /// Shared, not copied: the views are cloned on every update the page draws, and the
    /// DogSet MLP's checkpoint is 6.3 MB.
    pub checkpoint: Option<Arc<Checkpoint>>,
}

impl<L: LabConfig> RunView<L> {
    pub fn new(id: RunId, lab: L) -> Self {
        Self {
            id,
            lab,
            state: RunState::default(),
            progress: None,
            records: vec![],
            kernels: None,
            layers: vec![],
            summary: None,
            test: None,
            evaluation: None,
            inside: None,
            sweep: None,
            checkpoint: None,
        }
    }

    /// The view of a run continued from a saved one (`resume`), its records and checkpoint
    /// already on screen; a fresh run's view as it is.
    pub fn resumed(mut self, resume: &Option<crate::run::Resume>) -> Self {
        if let Some((checkpoint, records)) = resume {
            self.records = records.clone();
            self.checkpoint = Some(checkpoint.clone().into());
        }
        self
    }

    /// Bytes of the latest checkpoint's parameters (what each save of the run stores).
    pub fn checkpoint_bytes(&self) -> Option<usize> {
        let tensors = &self.checkpoint.as_ref()?.tensors;
        Some(tensors.iter().map(|t| t.values.len() * std::mem::size_of::<f32>()).sum())
    }

    pub fn is_active(&self) -> bool {
        self.state.is_active()
    }

    /// Fraction of all batches of all epochs done, 0..1.
    pub fn fraction_done(&self) -> f64 {
        let epochs = self.lab.train().epochs as f64;
        match (self.state.phase, self.progress) {
            (Phase::Finished, _) => 1.0,
            (_, Some(p)) => ((p.epoch - 1) as f64 + p.batch as f64 / p.batches.max(1) as f64) / epochs,
            _ => 0.0,
        }
    }

    /// Seconds left, from the epochs done so far.
    /// Seconds left: from the batch rate of the epoch in progress (so the first epoch has an
    /// estimate from its first batches, and it moves with every report), else from the mean
    /// of the finished epochs.
    pub fn eta_seconds(&self) -> Option<f64> {
        let epochs = self.lab.train().epochs;
        if let Some(eta) = self.progress.and_then(|p| p.eta_seconds(epochs)) {
            return Some(eta);
        }
        let seconds: Vec<f64> = self.records.iter().map(|r| r.seconds).collect();
        eta_seconds(&seconds, epochs)
    }

    /// Training examples per second in the latest epoch.
    pub fn examples_per_s(&self) -> Option<f64> {
        self.records.last().map(|r| r.examples_per_s)
    }

    /// One line for the progress bar.
    pub fn progress_text(&self) -> String {
        let epochs = self.lab.train().epochs;
        match (self.state.phase, self.progress) {
            (Phase::Queued, _) => self.state.status.clone().unwrap_or_else(|| QUEUED.into()),
            (Phase::Finished, _) => match &self.summary {
                Some(s) => format!("{} epochs, {}", s.epochs_trained, s.stop.describe()),
                None => "finished".into(),
            },
            (Phase::Failed, _) => "failed".into(),
            (Phase::Interrupted, _) if self.checkpoint.is_some() => {
                format!("interrupted after epoch {} of {epochs}: resume it under Saved runs", self.records.len())
            }
            (Phase::Interrupted, _) => format!("interrupted after epoch {} of {epochs}", self.records.len()),
            (_, None) if self.state.data.is_some() && self.records.is_empty() && self.state.status.is_none() => {
                let d = self.state.data.unwrap_or_default();
                format!(
                    "loading the dataset: {:.1} of {:.1} MB, {} of {} files from the cache",
                    d.loaded_bytes as f64 / 1e6,
                    d.total_bytes as f64 / 1e6,
                    d.cached_files,
                    d.files
                )
            }
            (phase, Some(BatchProgress { epoch, batch, batches, .. })) => {
                let eta = self.eta_seconds().map(|s| format!(", about {} left", crate::metrics::format_duration(s)));
                let paused = if phase == Phase::Paused { " (paused)" } else { "" };
                format!("epoch {epoch} of {epochs}, batch {batch} of {batches}{}{paused}", eta.unwrap_or_default())
            }
            _ => self.state.status.clone().unwrap_or_else(|| "starting".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_expected_duration_comes_from_the_last_measured_speed() {
        let text = super::expected_text(Some((2_000.0, "CPU".into())), 7_665, 100, true);
        assert_eq!(
            text,
            "Expected: at most about 6 min 23 s of training for 100 epochs of 7,665 images, at the 2,000 examples/s this \
             browser last measured on CPU (early stopping may end it sooner)."
        );
        assert!(super::expected_text(None, 7_665, 100, true).starts_with("The time left shows"));
    }
}

/// A run whose lab's result comes whole at its end (`R`, sent as a `LabResult`) beside the
/// epochs every run has: a lab with such a result needs no view code of its own.
#[derive(Clone, Debug, PartialEq)]
pub struct ResultView<L, R> {
    pub run: RunView<L>,
    pub result: Option<R>,
}

impl<L: LabConfig, R> ResultView<L, R> {
    pub fn new(id: RunId, lab: L) -> Self {
        Self { run: RunView::new(id, lab), result: None }
    }
}
