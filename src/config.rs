//! What every lab's config shares: the training hyper-parameters of one run and the checks
//! and errors of all settings. Each lab's own config lives in its home (`labs/<lab>.rs`); a
//! run is reproducible from (config, backend).

use serde::{Deserialize, Serialize};

/// Hyper-parameters of one training run (the arguments of the homework's `run_model`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// SGD learning rate.
    pub lr: f64,
    pub batch_size: usize,
    /// Upper bound on epochs (`n_epochs`).
    pub epochs: usize,
    /// Stop when the validation loss improves by less than this from one epoch to the next
    /// (`stop_thr`); `None` trains for all `epochs`.
    pub stop_thr: Option<f64>,
    /// Shuffle the training set every epoch.
    pub shuffle: bool,
    /// Seeds the initial weights and the shuffles.
    pub seed: u64,
}
impl TrainConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(ConfigError::Invalid {
                field: "learning rate",
                reason: "must be a positive number, e.g. 0.0001".into(),
            });
        }
        if self.lr > 10.0 {
            return Err(ConfigError::Invalid {
                field: "learning rate",
                reason: "must be at most 10; SGD diverges long before that".into(),
            });
        }
        check_count("batch size", self.batch_size, 1, 100_000)?;
        check_count("epochs", self.epochs, 1, 10_000)?;
        if let Some(thr) = self.stop_thr
            && !(thr.is_finite() && thr >= 0.0)
        {
            return Err(ConfigError::Invalid {
                field: "early-stop threshold",
                reason: "must be zero or a positive number, or left empty".into(),
            });
        }
        Ok(())
    }
}

/// Checks a whole-number setting against its range.
pub fn check_count(field: &'static str, v: usize, min: usize, max: usize) -> Result<(), ConfigError> {
    if v < min || v > max {
        return Err(ConfigError::Invalid { field, reason: format!("must be a whole number from {min} to {max}") });
    }
    Ok(())
}

/// Why a configuration was refused, worded for the form.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error("{field}: \"{text}\" is not a number")]
    NotANumber { field: &'static str, text: String },
    #[error("{field} {reason}")]
    Invalid { field: &'static str, reason: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_hyper_parameters_are_refused_with_the_field_named() {
        let good = TrainConfig { lr: 1e-4, batch_size: 50, epochs: 50, stop_thr: None, shuffle: true, seed: 1 };
        good.validate().unwrap();
        type Break = fn(&mut TrainConfig);
        let cases: Vec<(Break, &str)> = vec![
            (|t| t.lr = 0.0, "learning rate"),
            (|t| t.lr = -1.0, "learning rate"),
            (|t| t.lr = f64::NAN, "learning rate"),
            (|t| t.lr = 11.0, "learning rate"),
            (|t| t.batch_size = 0, "batch size"),
            (|t| t.epochs = 0, "epochs"),
            (|t| t.stop_thr = Some(-1.0), "early-stop threshold"),
        ];
        for (break_it, field) in cases {
            let mut train = good.clone();
            break_it(&mut train);
            let err = train.validate().unwrap_err().to_string();
            assert!(err.starts_with(field), "{err:?} should name {field}");
        }
    }
}
