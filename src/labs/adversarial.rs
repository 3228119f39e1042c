//! The adversarial-examples lab (HOMEWORK section 7): the gradient of the loss with respect
//! to the input turns a correctly classified digit into a misclassified one that looks the
//! same to a person.
//!
//! Here: its view state. Beside it: `adversarial/engine.rs` (the quick model, the sweep and
//! the attack, burn) and `adversarial/page.rs` (the panel). An attack's result is
//! `run::Attack`.

use crate::run::{Attack, RunId, RunState};

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
    pub samples: Vec<(usize, u8, Vec<f32>)>,
    /// The latest attack: (image, label, target, epsilon, result).
    pub attack: Option<(usize, u8, Option<u8>, f64, Attack)>,
    /// An attack is on its way.
    pub attacking: bool,
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
