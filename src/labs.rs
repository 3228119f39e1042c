//! The homework's labs, one home each, and the one table of them that feeds the page's lab
//! list, the shared link's fragment and the CLI.
//!
//! A lab's home is `labs/<lab>.rs`: its settings (config, form fields, defaults), its view
//! state and its answers, all without burn. Beside it, in `labs/<lab>/`: `engine.rs` (its burn
//! part, behind the `engine` feature, shared by the worker and the CLI) and `page.rs` (its
//! leptos component, built into the page only). The worker's message handling for a lab lives
//! with the rest of the worker (`web/worker*`).

use serde::{Deserialize, Serialize};

use crate::form::Field;
use crate::run::{Resume, Share};

pub mod adversarial;
pub mod conv_size;
pub mod dogs;
pub mod mnist;
pub mod perceptrons;
pub mod rule;
pub mod synth;
pub mod xor;

/// Every panel of the page; the URL fragment names the one shown (`#mnist`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LabId {
    Synth,
    Mnist,
    Dogs,
    ConvSize,
    Perceptrons,
    Rule,
    Xor,
    Adversarial,
    /// Not a lab but listed with them: the runs saved in this browser.
    Runs,
}

/// What the page, the links and the CLI know of a lab.
#[derive(Clone, Copy, Debug)]
pub struct LabInfo {
    pub id: LabId,
    /// Its name in the URL fragment and in saved runs.
    pub slug: &'static str,
    pub title: &'static str,
    /// Where the homework asks for it.
    pub section: &'static str,
    /// The settings a shared link may carry.
    pub fields: &'static [Field],
}

/// The labs in the page's order; the first is shown when a link names none.
pub const LABS: [LabInfo; 9] = [
    LabInfo {
        id: LabId::Synth,
        slug: "synth",
        title: "Shift invariance: a CNN on synthetic edges",
        section: "section 6",
        fields: synth::FIELDS,
    },
    LabInfo {
        id: LabId::Mnist,
        slug: "mnist",
        title: "MNIST: time and accuracy vs training-set size",
        section: "section 1",
        fields: mnist::FIELDS,
    },
    LabInfo {
        id: LabId::Dogs,
        slug: "dogs",
        title: "DogSet: explore, fully connected net and CNN with early stopping",
        section: "sections 2, 3, 5",
        fields: dogs::FIELDS,
    },
    LabInfo {
        id: LabId::ConvSize,
        slug: "conv-size",
        title: "Convolution output size",
        section: "section 4",
        fields: &[],
    },
    LabInfo {
        id: LabId::Perceptrons,
        slug: "perceptrons",
        title: "Perceptrons compute any boolean function",
        section: "section 7",
        fields: &[],
    },
    LabInfo {
        id: LabId::Rule,
        slug: "perceptron-rule",
        title: "The perceptron learning rule",
        section: "section 7",
        fields: rule::FIELDS,
    },
    LabInfo {
        id: LabId::Xor,
        slug: "linear-xor",
        title: "Linear layers cannot learn XOR",
        section: "section 7",
        fields: xor::FIELDS,
    },
    LabInfo {
        id: LabId::Adversarial,
        slug: "adversarial",
        title: "Adversarial examples",
        section: "section 7",
        fields: &[],
    },
    LabInfo { id: LabId::Runs, slug: "runs", title: "Saved runs and reports", section: "every lab", fields: &[] },
];

/// What a saved run is a run of (its `lab` field, written as its name: `dogs-cnn`). A lab
/// whose runs are kept adds its kind here; the runs list, the reports and restoring after a
/// reload go by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunKind {
    Synth,
    /// One model of the MNIST lab (each size is kept as its own run).
    Mnist,
    DogsMlp,
    DogsCnn,
    PerceptronRule,
}

impl RunKind {
    pub const ALL: [RunKind; 5] =
        [RunKind::Synth, RunKind::Mnist, RunKind::DogsMlp, RunKind::DogsCnn, RunKind::PerceptronRule];

    /// Its name in saved runs and the runs list's filter.
    pub fn name(self) -> &'static str {
        match self {
            RunKind::Synth => "synth",
            RunKind::Mnist => "mnist",
            RunKind::DogsMlp => "dogs-mlp",
            RunKind::DogsCnn => "dogs-cnn",
            RunKind::PerceptronRule => "perceptron-rule",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// What its runs are, for the runs list's filter.
    pub fn label(self) -> &'static str {
        match self {
            RunKind::Synth => "synthetic edges",
            RunKind::Mnist => "MNIST models",
            RunKind::DogsMlp => "DogSet fully connected",
            RunKind::DogsCnn => "DogSet CNN",
            RunKind::PerceptronRule => "perceptron learning rule",
        }
    }

    /// The lab its runs belong to.
    pub fn lab(self) -> LabId {
        match self {
            RunKind::Synth => LabId::Synth,
            RunKind::Mnist => LabId::Mnist,
            RunKind::DogsMlp | RunKind::DogsCnn => LabId::Dogs,
            RunKind::PerceptronRule => LabId::Rule,
        }
    }

    /// The kinds of `lab`'s runs.
    pub fn of(lab: LabId) -> impl Iterator<Item = RunKind> {
        Self::ALL.into_iter().filter(move |k| k.lab() == lab)
    }
}

/// What one run of a lab does: the page starts it (`Session::start`), the pool gives it a
/// worker (`ToWorker::Start`), and the worker runs it (`web/worker/jobs.rs`) until it ends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Job {
    /// Train a Synth CNN, or continue a saved run from its last checkpoint (and its records).
    Synth {
        lab: synth::SynthLab,
        #[serde(default)]
        resume: Option<Resume>,
    },
    /// Fetch and check MNIST, then train one MLP per size. `check`: the one epoch on the full
    /// training set that checks a scaling run's fit (the page keeps it beside that run).
    Mnist {
        lab: mnist::MnistLab,
        #[serde(default)]
        check: bool,
    },
    /// Train a DogSet network on `lab.source` (loading it first if needed), or continue a saved
    /// run from its checkpoint.
    Dogs {
        lab: dogs::DogLab,
        #[serde(default)]
        resume: Option<Resume>,
        /// This worker's share of a data-parallel run (the page has handed it the message ports
        /// to the other shares first); `None`: the whole run.
        #[serde(default)]
        share: Option<Share>,
        /// Training-partition indices of the images the student marked as hard: the trained
        /// model's verdict on each comes with the test.
        #[serde(default)]
        picks: Vec<usize>,
    },
    /// Train the linear and the ReLU network on one 2-input function.
    Xor { lab: xor::XorLab },
    /// Train one perceptron on a truth table by the perceptron learning rule.
    Rule { lab: rule::RuleLab },
    /// Get an MNIST model to attack (the MNIST lab's, sent by the page, which keeps every
    /// trained model's weights, or a quick one trained on the spot) and sweep epsilon.
    Attacks {
        epsilons: Vec<f64>,
        #[serde(default)]
        lab_model: Option<adversarial::LabModel>,
    },
}

impl Job {
    /// What Automatic remembers an engine measurement by: the network and its batch size,
    /// which set the work per step (the lab's other settings change how many steps, not which
    /// engine is faster). `None` for a job that trains on no device.
    pub fn workload(&self) -> Option<String> {
        let (network, batch) = match self {
            Job::Synth { lab, .. } => ("the Synth CNN", lab.train.batch_size),
            Job::Mnist { lab, .. } => ("the MNIST MLP", lab.train.batch_size),
            Job::Dogs { lab, .. } => match lab.model {
                dogs::DogModel::Mlp => ("the DogSet MLP", lab.train.batch_size),
                dogs::DogModel::Cnn { .. } => ("the DogSet CNN", lab.train.batch_size),
            },
            Job::Xor { .. } | Job::Attacks { .. } | Job::Rule { .. } => return None,
        };
        Some(format!("{network}, batch {batch}"))
    }
}

/// A lab's whole result, sent once at the end of its run (`FromWorker::Result`), for the labs
/// whose result comes at once rather than epoch by epoch.
// One is built per run and moved once, into its message: the variants' sizes cost nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum LabResult {
    /// The XOR lab's linear and ReLU networks.
    Xor { linear: xor::XorRun, relu: xor::XorRun },
    /// The perceptron learning rule's passes and how they ended.
    Rule(rule::RuleRun),
}

impl TryFrom<LabResult> for rule::RuleRun {
    type Error = LabResult;

    fn try_from(result: LabResult) -> Result<Self, LabResult> {
        match result {
            LabResult::Rule(run) => Ok(run),
            other => Err(other),
        }
    }
}

impl LabId {
    pub fn info(self) -> &'static LabInfo {
        LABS.iter().find(|l| l.id == self).expect("every lab is in LABS")
    }

    pub fn slug(self) -> &'static str {
        self.info().slug
    }

    pub fn from_slug(slug: &str) -> Option<Self> {
        LABS.iter().find(|l| l.slug == slug).map(|l| l.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_each_lab_once_with_unique_field_keys_ids_and_flags() {
        for (i, lab) in LABS.iter().enumerate() {
            assert_eq!(LabId::from_slug(lab.slug), Some(lab.id));
            assert!(LABS[..i].iter().all(|other| other.id != lab.id && other.slug != lab.slug));
            for (j, f) in lab.fields.iter().enumerate() {
                let earlier = &lab.fields[..j];
                assert!(earlier.iter().all(|g| g.key != f.key && g.id != f.id && g.flag != f.flag), "{f:?}");
            }
        }
        assert_eq!(LabId::from_slug("nope"), None);
    }
}
