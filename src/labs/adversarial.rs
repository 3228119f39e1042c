//! The adversarial-examples lab (HOMEWORK section 7): the gradient of the loss with respect
//! to the input turns a correctly classified digit into a misclassified one that looks the
//! same to a person.
//!
//! Here: its view state. Beside it: `adversarial/engine.rs` (the quick model, the sweep and
//! the attack, burn) and `adversarial/page.rs` (the panel). An attack's result is
//! `run::Attack`.

use serde::{Deserialize, Serialize};

use crate::run::{Attack, Checkpoint, RunId, RunState};

#[cfg(feature = "engine")]
pub mod engine;
#[cfg(all(target_arch = "wasm32", feature = "csr"))]
pub mod page;

/// The adversarial lab: the prepared model and the latest attack.
#[derive(Clone, Debug, PartialEq)]
pub struct AttackView {
    pub id: RunId,
    pub state: RunState,
    /// Accuracy per epsilon of the sweep.
    pub sweep: Vec<(f64, f64)>,
    /// The model attacked, in words.
    pub model: String,
    /// One test image per digit: (index, label, pixels).
    pub samples: Vec<Sample>,
    /// The latest attack.
    pub attack: Option<Attacked>,
    /// An attack is on its way.
    pub attacking: bool,
}

/// A model of the MNIST lab to attack: its training-set size and final weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabModel {
    pub size: usize,
    pub weights: Checkpoint,
}

/// A test image offered for attacking.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Index into the prepared test set.
    pub index: usize,
    pub label: u8,
    /// 28x28 pixels, 0..1.
    pub pixels: Vec<f32>,
}

/// One attack as asked and as it came out.
#[derive(Clone, Debug, PartialEq)]
pub struct Attacked {
    /// Index of the attacked image in the prepared test set.
    pub image: usize,
    pub label: u8,
    /// The class a targeted attack aimed for; `None` for one untargeted step.
    pub target: Option<u8>,
    pub epsilon: f64,
    pub result: Attack,
}

impl AttackView {
    pub fn new(id: RunId) -> Self {
        Self {
            id,
            state: RunState::default(),
            sweep: vec![],
            model: String::new(),
            samples: vec![],
            attack: None,
            attacking: false,
        }
    }
}
