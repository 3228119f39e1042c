//! The MNIST lab (HOMEWORK section 1): training time and test accuracy against training-set
//! size, one fresh MLP per size, and the time extrapolated to all of MNIST.
//!
//! Here: its settings, form and view state. Beside it: `mnist/scaling.rs` (the fit and the
//! answers), `mnist/engine.rs` (the runs, burn), `mnist/page.rs` (the panel).

use serde::{Deserialize, Serialize};

use crate::config::{ConfigError, TrainConfig, check_count};
use crate::form::{Field, FormText, list_text};
use crate::metrics::format_count;
use crate::run::{Checkpoint, EpochRecord, Phase, RunId, RunState, RunSummary};
use scaling::SizeResult;

#[cfg(feature = "engine")]
pub mod engine;
#[cfg(all(target_arch = "wasm32", feature = "csr"))]
pub mod page;
pub mod scaling;

/// The MNIST lab (HOMEWORK section 1): one fresh MLP per training-set size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MnistLab {
    /// Training-set sizes, each balanced over the 10 digits.
    pub sizes: Vec<usize>,
    /// Balanced test examples from the MNIST test split (the homework: 1000, 100 per digit).
    pub test_size: usize,
    /// Seeds the samples, the initial weights and the shuffles.
    pub seed: u64,
    pub train: TrainConfig,
}

impl MnistLab {
    /// The homework's settings: sizes 500-2000, 784-128-64-10, SGD lr 0.01, batch 10, 100
    /// epochs, shuffled every epoch, tested on 1000 test images.
    pub fn homework() -> Self {
        Self {
            sizes: vec![500, 1000, 1500, 2000],
            test_size: 1000,
            seed: 1,
            train: TrainConfig { lr: 0.01, batch_size: 10, epochs: 100, stop_thr: None, shuffle: true, seed: 1 },
        }
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.sizes.is_empty() {
            return Err(ConfigError::Invalid { field: "sizes", reason: "need at least one training-set size".into() });
        }
        for &size in &self.sizes {
            check_count("training-set size", size, 10, 60_000)?;
            if !size.is_multiple_of(10) {
                return Err(ConfigError::Invalid {
                    field: "training-set size",
                    reason: format!("{size} must be a multiple of 10 (the same number of each digit)"),
                });
            }
        }
        check_count("test size", self.test_size, 10, 10_000)?;
        if !self.test_size.is_multiple_of(10) {
            return Err(ConfigError::Invalid { field: "test size", reason: "must be a multiple of 10".into() });
        }
        self.train.validate()
    }
}

/// The lab's form, in the page's order.
pub const FIELDS: &[Field] = &[field::SIZES, field::EPOCHS, field::SEED];

/// Each field of the form by name, so a page or parse naming one that does not exist fails to
/// compile.
pub mod field {
    use crate::form::Field;

    pub const SIZES: Field = Field::new("sizes", "training-set sizes", "Training-set sizes", "mnist-sizes")
        .hint("multiples of 10, comma-separated");
    pub const EPOCHS: Field = Field::new("epochs", "epochs", "Epochs per model", "mnist-epochs");
    pub const SEED: Field = Field::new("seed", "seed", "Seed (samples, weights, shuffles)", "mnist-seed");
}

impl MnistLab {
    /// The form showing this config.
    pub fn form(&self) -> FormText {
        FormText::new(FIELDS, vec![list_text(&self.sizes), self.train.epochs.to_string(), self.seed.to_string()])
    }

    /// The form as a checked config (the homework's for what the form does not set).
    pub fn parse(form: &FormText) -> Result<Self, ConfigError> {
        let mut lab = MnistLab::homework();
        lab.sizes = form.parse_list(field::SIZES.key)?;
        lab.train.epochs = form.parse(field::EPOCHS.key)?;
        lab.seed = form.parse(field::SEED.key)?;
        lab.validate()?;
        Ok(lab)
    }
}

/// An MNIST scaling run as the page sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct MnistView {
    pub id: RunId,
    pub lab: MnistLab,
    pub state: RunState,
    /// Every epoch so far, with the training-set size of its model.
    pub epochs: Vec<(usize, EpochRecord)>,
    pub results: Vec<SizeResult>,
    pub summary: Option<RunSummary>,
    /// Each tested model's final weights, by training-set size.
    pub weights: Vec<(usize, Checkpoint)>,
    /// The jobs the run went out as (one per size, see `Session::send`) and how many ended.
    pub parts: usize,
    pub parts_done: usize,
}

impl MnistView {
    pub fn new(id: RunId, lab: MnistLab) -> Self {
        Self {
            id,
            lab,
            state: RunState::default(),
            epochs: vec![],
            results: vec![],
            summary: None,
            weights: vec![],
            parts: 1,
            parts_done: 0,
        }
    }

    /// Fraction of all epochs of all sizes done, 0..1.
    pub fn fraction_done(&self) -> f64 {
        if self.state.phase == Phase::Finished {
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
        match self.state.phase {
            Phase::Finished if self.results.len() == 1 => "1 model trained and tested".into(),
            Phase::Finished => format!("{} models trained and tested", self.results.len()),
            Phase::Failed => "failed".into(),
            Phase::Interrupted => "interrupted".into(),
            _ => match self.epochs.last() {
                None if self.state.data.is_some() => "checking the dataset".into(),
                None => self.state.status.clone().unwrap_or_else(|| crate::run::QUEUED.into()),
                Some((size, record)) => {
                    let k = self.lab.sizes.iter().position(|s| s == size).map_or(0, |i| i + 1);
                    let eta =
                        self.eta_seconds().map(|s| format!(", about {} left", crate::metrics::format_duration(s)));
                    let paused = if self.state.phase == Phase::Paused { " (paused)" } else { "" };
                    format!(
                        "model {k} of {} (N = {}), epoch {} of {}, {:.0} examples/s{}{paused}",
                        self.lab.sizes.len(),
                        format_count(*size),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_parses_sizes_and_refuses_uneven_ones() {
        let form = MnistLab::homework().form();
        assert_eq!(form.get(field::SIZES.key), "500, 1000, 1500, 2000");
        assert_eq!(MnistLab::parse(&form), Ok(MnistLab::homework()));
        let with = |value: &str| {
            let mut f = form.clone();
            f.set(field::SIZES.key, value);
            MnistLab::parse(&f).unwrap_err().to_string()
        };
        assert!(with("500, 1005").contains("multiple of 10"));
        assert!(with("five hundred").contains("is not a number"));
        assert!(with(" ").contains("at least one"));
    }
}
