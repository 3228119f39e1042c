//! Experiment configurations: what the page's forms edit, what the worker receives, what the
//! CLI's flags fill. Every knob of a run lives here, and a run is reproducible from
//! (config, backend).

use serde::{Deserialize, Serialize};

use crate::net::NetConfig;
use crate::run::DogSource;

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

/// The synthetic-edges lab (HOMEWORK section 6): data and training together.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SynthLab {
    /// Training images (the homework uses 10,000).
    pub train_size: usize,
    /// Held-out validation images, generated apart from the training set.
    pub valid_size: usize,
    /// Seeds the image generator; the same seed gives the same images.
    pub data_seed: u64,
    pub train: TrainConfig,
}

impl SynthLab {
    /// The homework's settings: 10,000 images, SGD lr 1e-4, batch 50, 50 epochs
    /// (HOMEWORK section 6). The validation set is nnlab's addition, so it does not stop early.
    pub fn homework() -> Self {
        Self {
            train_size: 10_000,
            valid_size: 2_000,
            data_seed: 1,
            train: TrainConfig { lr: 1e-4, batch_size: 50, epochs: 50, stop_thr: None, shuffle: true, seed: 1 },
        }
    }

    /// Checks every field; the page refuses to send a config that fails this.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_count("training images", self.train_size, 2, 100_000)?;
        check_count("validation images", self.valid_size, 2, 100_000)?;
        self.train.validate()?;
        if self.train.batch_size > self.train_size {
            return Err(ConfigError::Invalid {
                field: "batch size",
                reason: format!("must not exceed the number of training images ({})", self.train_size),
            });
        }
        Ok(())
    }
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

fn check_count(field: &'static str, v: usize, min: usize, max: usize) -> Result<(), ConfigError> {
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

/// Parses a form field as a number, naming the field in the error.
pub fn parse_field<T: std::str::FromStr>(field: &'static str, text: &str) -> Result<T, ConfigError> {
    text.trim().parse().map_err(|_| ConfigError::NotANumber { field, text: text.to_string() })
}

/// Parses an optional form field: empty means `None`.
pub fn parse_optional<T: std::str::FromStr>(field: &'static str, text: &str) -> Result<Option<T>, ConfigError> {
    if text.trim().is_empty() { Ok(None) } else { parse_field(field, text).map(Some) }
}

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

/// The MNIST lab's form as typed: sizes as a comma-separated list.
#[derive(Clone, Debug, PartialEq)]
pub struct MnistForm {
    pub sizes: String,
    pub epochs: String,
    pub seed: String,
}

impl MnistForm {
    pub fn from_lab(lab: &MnistLab) -> Self {
        Self {
            sizes: lab.sizes.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", "),
            epochs: lab.train.epochs.to_string(),
            seed: lab.seed.to_string(),
        }
    }

    pub fn parse(&self) -> Result<MnistLab, ConfigError> {
        let mut lab = MnistLab::homework();
        lab.sizes = self
            .sizes
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| parse_field("training-set sizes", s))
            .collect::<Result<_, _>>()?;
        lab.train.epochs = parse_field("epochs", &self.epochs)?;
        lab.seed = parse_field("seed", &self.seed)?;
        lab.validate()?;
        Ok(lab)
    }
}

/// The synth lab's form as the user typed it: text per field, turned into a checked
/// [`SynthLab`] only when every field parses and validates.
#[derive(Clone, Debug, PartialEq)]
pub struct SynthForm {
    pub lr: String,
    pub batch_size: String,
    pub epochs: String,
    pub seed: String,
    pub train_size: String,
    pub valid_size: String,
    pub data_seed: String,
    pub stop_thr: String,
}

impl SynthForm {
    pub fn from_lab(lab: &SynthLab) -> Self {
        Self {
            lr: lab.train.lr.to_string(),
            batch_size: lab.train.batch_size.to_string(),
            epochs: lab.train.epochs.to_string(),
            seed: lab.train.seed.to_string(),
            train_size: lab.train_size.to_string(),
            valid_size: lab.valid_size.to_string(),
            data_seed: lab.data_seed.to_string(),
            stop_thr: lab.train.stop_thr.map(|t| t.to_string()).unwrap_or_default(),
        }
    }

    pub fn parse(&self) -> Result<SynthLab, ConfigError> {
        let lab = SynthLab {
            train_size: parse_field("training images", &self.train_size)?,
            valid_size: parse_field("validation images", &self.valid_size)?,
            data_seed: parse_field("data seed", &self.data_seed)?,
            train: TrainConfig {
                lr: parse_field("learning rate", &self.lr)?,
                batch_size: parse_field("batch size", &self.batch_size)?,
                epochs: parse_field("epochs", &self.epochs)?,
                stop_thr: parse_optional("early-stop threshold", &self.stop_thr)?,
                shuffle: true,
                seed: parse_field("seed", &self.seed)?,
            },
        };
        lab.validate()?;
        Ok(lab)
    }
}

/// Which DogSet network (HOMEWORK sections 3 and 5).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum DogModel {
    /// 12288 -> 128 -> ReLU -> 64 -> ReLU -> 10.
    Mlp,
    /// Two conv blocks, each conv's `(kernel, stride)` chosen by the student.
    Cnn { convs: [(usize, usize); 2] },
}

/// A DogSet run: which network, and its training (the same for both networks).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DogLab {
    pub model: DogModel,
    pub train: TrainConfig,
    /// Which DogSet: part of the experiment, so a saved run resumes on the same images.
    #[serde(default)]
    pub source: DogSource,
}

impl DogLab {
    /// The homework's training: batch 10, SGD lr 1e-5, up to 100 epochs, stop when the
    /// validation loss improves by less than 1e-4 (HOMEWORK section 3).
    pub fn homework(model: DogModel) -> Self {
        Self {
            model,
            train: TrainConfig { lr: 1e-5, batch_size: 10, epochs: 100, stop_thr: Some(1e-4), shuffle: true, seed: 1 },
            source: DogSource::Auto,
        }
    }

    /// The homework's CNN: 5x5 kernels, stride 1 (HOMEWORK section 5).
    pub fn homework_cnn() -> Self {
        Self::homework(DogModel::Cnn { convs: [(5, 1); 2] })
    }

    pub fn net(&self) -> NetConfig {
        match self.model {
            DogModel::Mlp => NetConfig::dog_mlp(),
            DogModel::Cnn { convs } => NetConfig::dog_cnn_with(convs),
        }
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        if let DogModel::Cnn { convs } = self.model {
            for (kernel, stride) in convs {
                check_count("kernel size", kernel, 1, 64)?;
                check_count("stride", stride, 1, 64)?;
            }
        }
        self.net().conv_output().map_err(|reason| ConfigError::Invalid {
            field: "kernels and strides",
            reason: format!("leave no image: {reason}"),
        })?;
        self.train.validate()
    }
}

/// The DogSet lab's form as typed.
#[derive(Clone, Debug, PartialEq)]
pub struct DogForm {
    pub kernels: [String; 2],
    pub strides: [String; 2],
    pub lr: String,
    pub epochs: String,
    pub stop_thr: String,
    pub seed: String,
}

impl DogForm {
    pub fn from_lab(lab: &DogLab) -> Self {
        let convs = match lab.model {
            DogModel::Cnn { convs } => convs,
            DogModel::Mlp => [(5, 1); 2],
        };
        Self {
            kernels: convs.map(|c| c.0.to_string()),
            strides: convs.map(|c| c.1.to_string()),
            lr: lab.train.lr.to_string(),
            epochs: lab.train.epochs.to_string(),
            stop_thr: lab.train.stop_thr.map(|t| t.to_string()).unwrap_or_default(),
            seed: lab.train.seed.to_string(),
        }
    }

    /// The form as a run of `cnn` or of the MLP (which ignores the conv fields).
    pub fn parse(&self, cnn: bool) -> Result<DogLab, ConfigError> {
        let model = if cnn {
            let k = |i: usize| parse_field::<usize>("kernel size", &self.kernels[i]);
            let s = |i: usize| parse_field::<usize>("stride", &self.strides[i]);
            DogModel::Cnn { convs: [(k(0)?, s(0)?), (k(1)?, s(1)?)] }
        } else {
            DogModel::Mlp
        };
        let mut lab = DogLab::homework(model);
        lab.train.lr = parse_field("learning rate", &self.lr)?;
        lab.train.epochs = parse_field("epochs", &self.epochs)?;
        lab.train.stop_thr = parse_optional("early-stop threshold", &self.stop_thr)?;
        lab.train.seed = parse_field("seed", &self.seed)?;
        lab.validate()?;
        Ok(lab)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn homework_preset_is_valid_and_matches_section_6() {
        let lab = SynthLab::homework();
        lab.validate().unwrap();
        assert_eq!((lab.train.lr, lab.train.batch_size, lab.train.epochs), (1e-4, 50, 50));
        assert_eq!(lab.train_size, 10_000);
    }

    #[test]
    fn bad_hyper_parameters_are_refused_with_the_field_named() {
        type Break = fn(&mut SynthLab);
        let cases: Vec<(Break, &str)> = vec![
            (|l| l.train.lr = 0.0, "learning rate"),
            (|l| l.train.lr = -1.0, "learning rate"),
            (|l| l.train.lr = f64::NAN, "learning rate"),
            (|l| l.train.batch_size = 0, "batch size"),
            (|l| l.train.epochs = 0, "epochs"),
            (|l| l.train.stop_thr = Some(-1.0), "early-stop threshold"),
            (|l| l.train_size = 0, "training images"),
            (|l| l.train.batch_size = 20_000, "batch size"),
        ];
        for (break_it, field) in cases {
            let mut lab = SynthLab::homework();
            break_it(&mut lab);
            let err = lab.validate().unwrap_err().to_string();
            assert!(err.starts_with(field), "{err:?} should name {field}");
        }
    }

    #[test]
    fn the_form_round_trips_the_preset_and_refuses_bad_text() {
        let lab = SynthLab::homework();
        let form = SynthForm::from_lab(&lab);
        assert_eq!(form.lr, "0.0001");
        assert_eq!(form.parse(), Ok(lab));
        let bad = SynthForm { epochs: "fifty".into(), ..form.clone() };
        assert_eq!(bad.parse().unwrap_err().to_string(), "epochs: \"fifty\" is not a number");
        let zero = SynthForm { lr: "0".into(), ..form.clone() };
        assert!(zero.parse().unwrap_err().to_string().starts_with("learning rate must be a positive number"));
        let negative = SynthForm { batch_size: "-5".into(), ..form };
        assert!(negative.parse().unwrap_err().to_string().contains("batch size"));
    }

    #[test]
    fn the_mnist_form_parses_sizes_and_refuses_uneven_ones() {
        let form = MnistForm::from_lab(&MnistLab::homework());
        assert_eq!(form.sizes, "500, 1000, 1500, 2000");
        assert_eq!(form.parse(), Ok(MnistLab::homework()));
        let uneven = MnistForm { sizes: "500, 1005".into(), ..form.clone() };
        assert!(uneven.parse().unwrap_err().to_string().contains("multiple of 10"));
        let words = MnistForm { sizes: "five hundred".into(), ..form.clone() };
        assert!(words.parse().unwrap_err().to_string().contains("is not a number"));
        let empty = MnistForm { sizes: " ".into(), ..form };
        assert!(empty.parse().unwrap_err().to_string().contains("at least one"));
    }

    #[test]
    fn the_dog_form_builds_either_network_and_refuses_collapsing_convs() {
        let form = DogForm::from_lab(&DogLab::homework_cnn());
        assert_eq!(form.parse(true), Ok(DogLab::homework_cnn()));
        assert_eq!(form.parse(false), Ok(DogLab::homework(DogModel::Mlp)));
        let huge = DogForm { kernels: ["30".into(), "20".into()], ..form.clone() };
        let err = huge.parse(true).unwrap_err().to_string();
        assert!(err.starts_with("kernels and strides leave no image: convolution block 2"), "{err}");
        assert!(huge.parse(false).is_ok(), "the MLP has no convolutions to collapse");
        let zero = DogForm { strides: ["0".into(), "1".into()], ..form };
        assert!(zero.parse(true).unwrap_err().to_string().starts_with("stride"));
    }

    #[test]
    fn form_fields_parse_or_name_the_field() {
        assert_eq!(parse_field::<f64>("learning rate", " 0.5 "), Ok(0.5));
        let err = parse_field::<usize>("epochs", "ten").unwrap_err();
        assert_eq!(err.to_string(), "epochs: \"ten\" is not a number");
        assert_eq!(parse_optional::<f64>("stop", ""), Ok(None));
        assert_eq!(parse_optional::<f64>("stop", "1e-4"), Ok(Some(1e-4)));
    }
}
