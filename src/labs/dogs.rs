//! The DogSet lab (HOMEWORK sections 2, 3 and 5): explore ten dog breeds, then a fully
//! connected and a convolutional network with early stopping, compared.
//!
//! Here: its settings, form and view state. Beside it: `dogs/answers.rs` (the questions
//! answered from the runs), `dogs/engine.rs` (the runs, burn), `dogs/page.rs` (the panel).
//! The dataset itself (CSV, images, shards, the stand-in) is `data::dogs`.

use serde::{Deserialize, Serialize};

use crate::config::{ConfigError, TrainConfig, check_count};
use crate::data::dogs::{DogSetInfo, LoadReport};
use crate::form::{Field, FormText, optional_text};
use crate::net::NetConfig;
use crate::run::{DataProgress, DogSource, RunId};
use crate::run_view::{LabConfig, RunView};

pub mod answers;
#[cfg(feature = "engine")]
pub mod engine;
#[cfg(all(target_arch = "wasm32", feature = "csr"))]
pub mod page;

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

impl LabConfig for DogLab {
    fn train(&self) -> &TrainConfig {
        &self.train
    }

    fn title(&self) -> &'static str {
        match self.model {
            DogModel::Mlp => "DogSet MLP",
            DogModel::Cnn { .. } => "DogSet CNN",
        }
    }
}

/// The lab's form (both networks share the training settings; the MLP ignores the convs).
pub const FIELDS: &[Field] =
    &[field::LR, field::EPOCHS, field::STOP, field::SEED, field::K1, field::S1, field::K2, field::S2];

/// Each field of the form by name, so a page or parse naming one that does not exist fails to
/// compile.
pub mod field {
    use crate::form::Field;

    pub const LR: Field = Field::new("lr", "learning rate", "Learning rate", "dog-lr");
    pub const EPOCHS: Field = Field::new("epochs", "epochs", "Epochs at most", "dog-epochs");
    pub const STOP: Field = Field::new("stop", "early-stop threshold", "Early stop below", "dog-stop-thr")
        .flag("stop-thr")
        .hint("validation-loss improvement per epoch; empty = never");
    pub const SEED: Field = Field::new("seed", "seed", "Seed (weights, shuffles)", "dog-seed");
    pub const K1: Field = Field::new("k1", "kernel size", "Conv 1 kernel size", "cnn-k1").flag("conv1-kernel");
    pub const S1: Field = Field::new("s1", "stride", "Conv 1 stride", "cnn-s1").flag("conv1-stride");
    pub const K2: Field = Field::new("k2", "kernel size", "Conv 2 kernel size", "cnn-k2").flag("conv2-kernel");
    pub const S2: Field = Field::new("s2", "stride", "Conv 2 stride", "cnn-s2").flag("conv2-stride");
}

impl DogLab {
    /// The form showing this config (an MLP shows the homework's convs).
    pub fn form(&self) -> FormText {
        let [(k1, s1), (k2, s2)] = match self.model {
            DogModel::Cnn { convs } => convs,
            DogModel::Mlp => [(5, 1); 2],
        };
        let t = &self.train;
        let values = [t.lr.to_string(), t.epochs.to_string(), optional_text(t.stop_thr), t.seed.to_string()];
        let convs = [k1, s1, k2, s2].map(|v| v.to_string());
        FormText::new(FIELDS, values.into_iter().chain(convs).collect())
    }

    /// The form as a run of the CNN (`cnn`) or of the MLP, which ignores the conv fields.
    pub fn parse(form: &FormText, cnn: bool) -> Result<Self, ConfigError> {
        let model = if cnn {
            let conv =
                |k: &str, s: &str| -> Result<(usize, usize), ConfigError> { Ok((form.parse(k)?, form.parse(s)?)) };
            DogModel::Cnn { convs: [conv("k1", "s1")?, conv("k2", "s2")?] }
        } else {
            DogModel::Mlp
        };
        let mut lab = DogLab::homework(model);
        lab.train.lr = form.parse(field::LR.key)?;
        lab.train.epochs = form.parse(field::EPOCHS.key)?;
        lab.train.stop_thr = form.parse_optional(field::STOP.key)?;
        lab.train.seed = form.parse(field::SEED.key)?;
        lab.validate()?;
        Ok(lab)
    }
}

/// The DogSet lab as the page sees it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DogsView {
    /// The load request in flight.
    pub loading: Option<RunId>,
    /// Its download.
    pub data: Option<DataProgress>,
    /// Images of the user's own set checked so far (done, total).
    pub checking: Option<(usize, usize)>,
    pub info: Option<DogSetInfo>,
    /// Why the last load failed, with the checks' findings for a user's set.
    pub load_error: Option<(String, Option<LoadReport>)>,
    pub gallery: Option<GalleryPage>,
    pub mlp: Option<RunView<DogLab>>,
    pub cnn: Option<RunView<DogLab>>,
}

/// One page of one class's training images.
#[derive(Clone, Debug, PartialEq)]
pub struct GalleryPage {
    pub class: u8,
    pub page: usize,
    pub pages: usize,
    pub indices: Vec<usize>,
    /// `[n, 64, 64, 3]` bytes.
    pub images: Vec<u8>,
}

impl DogsView {
    pub fn runs(&self) -> impl Iterator<Item = &RunView<DogLab>> {
        [&self.mlp, &self.cnn].into_iter().flatten()
    }

    pub fn is_training(&self) -> bool {
        self.runs().any(RunView::is_active)
    }

    /// The worker holding the set died: a load in flight fails (its runs are interrupted
    /// with every other run of that worker).
    pub(crate) fn load_lost(&mut self) {
        if self.loading.take().is_some() || self.checking.take().is_some() {
            self.load_error =
                Some(("the training worker stopped while loading the data; it restarts on its own".into(), None));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_builds_either_network_and_refuses_collapsing_convs() {
        let form = DogLab::homework_cnn().form();
        assert_eq!(DogLab::parse(&form, true), Ok(DogLab::homework_cnn()));
        assert_eq!(DogLab::parse(&form, false), Ok(DogLab::homework(DogModel::Mlp)));
        let mut huge = form.clone();
        huge.set(field::K1.key, "30");
        huge.set(field::K2.key, "20");
        let err = DogLab::parse(&huge, true).unwrap_err().to_string();
        assert!(err.starts_with("kernels and strides leave no image: convolution block 2"), "{err}");
        assert!(DogLab::parse(&huge, false).is_ok(), "the MLP has no convolutions to collapse");
        let mut zero = form;
        zero.set(field::S1.key, "0");
        assert!(DogLab::parse(&zero, true).unwrap_err().to_string().starts_with("stride"));
    }
}
