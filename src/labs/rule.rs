//! The perceptron learning rule (HOMEWORK section 7, beside the constructed networks of
//! `perceptrons.rs`): one perceptron, `y = step(w·x + b)`, trained on a truth table by the
//! classic update `w ← w + η (t − y) x`, `b ← b + η (t − y)`, one row at a time in the table's
//! order. Where a line separates the true rows from the false (AND, OR) it stops making
//! mistakes after finitely many updates (the perceptron convergence theorem); on XOR no line
//! does, and its weights come back to where they were: it cycles for ever.
//!
//! Here: its settings, form, results, view and answer. Beside it: `rule/engine.rs` (the
//! training, run in the worker) and `rule/page.rs` (the panel).

use serde::{Deserialize, Serialize};

use crate::config::{ConfigError, TrainConfig};
use crate::form::{Field, FormText, list_text};
use crate::labs::perceptrons::TruthTable;
use crate::run_view::{LabConfig, ResultView};

#[cfg(feature = "engine")]
pub mod engine;
pub mod learner;
#[cfg(all(target_arch = "wasm32", feature = "csr"))]
pub mod page;

/// One perceptron trained by the learning rule on `table`, from weights drawn by `train.seed`
/// (uniform in ±0.5), for at most `train.epochs` passes over the table at rate `train.lr`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleLab {
    pub table: TruthTable,
    pub train: TrainConfig,
}

/// The lab's form. The truth table is set with the preset buttons, as `0,0,0,1` in links
/// (four rows for two inputs, eight for three).
pub const FIELDS: &[Field] = &[field::TRUTH, field::LR, field::PASSES, field::SEED];

/// Each field of the form by name, so a page or parse naming one that does not exist fails to
/// compile.
pub mod field {
    use crate::form::Field;

    pub const TRUTH: Field =
        Field::new("truth", "truth table", "Truth table", "rule-truth").hint("one 0 or 1 per row: 00, 01, 10, 11");
    pub const LR: Field = Field::new("lr", "learning rate", "Learning rate η", "rule-lr");
    pub const PASSES: Field = Field::new("passes", "passes", "Passes at most", "rule-passes");
    pub const SEED: Field = Field::new("seed", "seed", "Seed (initial weights)", "rule-seed");
}

impl RuleLab {
    /// AND of two inputs, rate 0.1, at most 50 passes.
    pub fn and() -> Self {
        let table = TruthTable { inputs: 2, outputs: vec![false, false, false, true] };
        let train = TrainConfig { lr: 0.1, batch_size: 1, epochs: 50, stop_thr: None, shuffle: false, seed: 1 };
        Self { table, train }
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |field, reason: &str| Err(ConfigError::Invalid { field, reason: reason.into() });
        if !matches!(self.table.inputs, 2 | 3) || self.table.outputs.len() != TruthTable::rows(self.table.inputs) {
            return invalid("truth table", "must be 4 rows (two inputs) or 8 rows (three inputs) of 0s and 1s");
        }
        if !(self.train.lr.is_finite() && self.train.lr > 0.0 && self.train.lr <= 10.0) {
            return invalid("learning rate", "must be a positive number up to 10");
        }
        if self.train.epochs == 0 || self.train.epochs > 1000 {
            return invalid("passes", "must be 1 to 1000");
        }
        Ok(())
    }

    /// The form showing this config.
    pub fn form(&self) -> FormText {
        let bits: Vec<u8> = self.table.outputs.iter().map(|&b| b as u8).collect();
        let values = [list_text(&bits), self.train.lr.to_string(), self.train.epochs.to_string()];
        FormText::new(FIELDS, values.into_iter().chain([self.train.seed.to_string()]).collect())
    }

    /// The form as a checked config.
    pub fn parse(form: &FormText) -> Result<Self, ConfigError> {
        let bits: Vec<u8> = form.parse_list(field::TRUTH.key)?;
        let table = match bits.len() {
            4 | 8 if bits.iter().all(|&b| b <= 1) => TruthTable {
                inputs: if bits.len() == 4 { 2 } else { 3 },
                outputs: bits.iter().map(|&b| b == 1).collect(),
            },
            _ => {
                let reason = "must be four or eight 0s and 1s, one per row".into();
                return Err(ConfigError::Invalid { field: "truth table", reason });
            }
        };
        let train = TrainConfig {
            lr: form.parse(field::LR.key)?,
            epochs: form.parse(field::PASSES.key)?,
            seed: form.parse(field::SEED.key)?,
            ..Self::and().train
        };
        let lab = Self { table, train };
        lab.validate()?;
        Ok(lab)
    }
}

impl LabConfig for RuleLab {
    fn train(&self) -> &TrainConfig {
        &self.train
    }

    fn title(&self) -> &'static str {
        "perceptron learning rule"
    }
}

/// How the rule's run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// Pass `pass` made no mistake: every row is right, and the rule changes nothing more.
    Converged { pass: usize },
    /// The weights at the end of pass `pass` are those at the end of pass `since` (0: the
    /// start): the rule repeats the same passes for ever and never gets every row right.
    Cycles { since: usize, pass: usize },
    /// The passes ran out with mistakes left and no repeat seen yet.
    OutOfPasses,
    /// The student stopped it.
    Stopped,
}

/// One pass over the table: its mistakes (each one an update) and the weights after it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pass {
    pub mistakes: usize,
    /// `[w1, ..., wn, b]` after the pass.
    pub weights: Vec<f64>,
}

/// The rule's whole run: the starting weights, every pass, how it ended, and what the last
/// weights answer on each row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleRun {
    pub start: Vec<f64>,
    pub passes: Vec<Pass>,
    pub outcome: Outcome,
    pub outputs: Vec<bool>,
}

impl RuleRun {
    /// Rows the last weights get right.
    pub fn right(&self, table: &TruthTable) -> usize {
        self.outputs.iter().zip(&table.outputs).filter(|(y, t)| y == t).count()
    }

    pub fn updates(&self) -> usize {
        self.passes.iter().map(|p| p.mistakes).sum()
    }
}

/// The lab's latest run: its epochs (one per pass) as every run has them, and the rule's result.
pub type RuleView = ResultView<RuleLab, RuleRun>;

/// `w = (0.30, -0.20), b = -0.40`.
pub fn weights_text(weights: &[f64]) -> String {
    let (w, b) = weights.split_at(weights.len().saturating_sub(1));
    let w: Vec<String> = w.iter().map(|v| format!("{v:.2}")).collect();
    format!("w = ({}), b = {:.2}", w.join(", "), b.first().copied().unwrap_or(0.0))
}

/// The answer to "does the learning rule find a perceptron for this table?", from the run.
pub fn answer(lab: &RuleLab, run: &RuleRun) -> String {
    let rows = lab.table.outputs.len();
    let updates = run.updates();
    let last = run.passes.last().map_or(&run.start, |p| &p.weights);
    match run.outcome {
        Outcome::Converged { pass } => format!(
            "The rule converged: pass {pass} made no mistake, after {updates} update{} in all. The perceptron \
             {} gets all {rows} rows right, so a line (a plane, with three inputs) separates the true rows from \
             the false ones, as the convergence theorem promises for every such table.",
            if updates == 1 { "" } else { "s" },
            weights_text(last)
        ),
        Outcome::Cycles { since, pass } => format!(
            "The rule does not converge: after pass {pass} the weights are exactly those {}, so it repeats {} \
             for ever, still wrong on {} of the {rows} rows with {}. No line separates this \
             table's true rows from its false ones (XOR is the classic case), so no single perceptron computes \
             it: it needs a hidden layer, as the constructed network in \"Perceptrons compute any boolean \
             function\" has.",
            if since == 0 { "it started from".to_string() } else { format!("after pass {since}") },
            match pass - since {
                1 => "that pass".to_string(),
                n => format!("the same {n} passes"),
            },
            rows - run.right(&lab.table),
            weights_text(last)
        ),
        Outcome::OutOfPasses => format!(
            "After {} passes ({updates} updates) the perceptron {} is still wrong on {} of the {rows} rows, and \
             its weights have not repeated yet: allow more passes to see whether it converges or cycles.",
            run.passes.len(),
            weights_text(last),
            rows - run.right(&lab.table)
        ),
        Outcome::Stopped => format!(
            "Stopped after {} passes ({updates} updates), wrong on {} of the {rows} rows.",
            run.passes.len(),
            rows - run.right(&lab.table)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_round_trips_and_refuses_a_table_of_the_wrong_length() {
        let lab = RuleLab::and();
        assert_eq!(RuleLab::parse(&lab.form()), Ok(lab.clone()));
        let mut form = lab.form();
        form.set(field::TRUTH.key, "0,1,1");
        assert!(matches!(RuleLab::parse(&form), Err(ConfigError::Invalid { field: "truth table", .. })));
        form.set(field::TRUTH.key, "0,1,1,0,1,0,0,1");
        assert_eq!(RuleLab::parse(&form).map(|l| l.table.inputs), Ok(3));
        form.set(field::PASSES.key, "0");
        assert!(matches!(RuleLab::parse(&form), Err(ConfigError::Invalid { field: "passes", .. })));
    }

    #[test]
    fn the_answer_follows_the_outcome() {
        let lab = RuleLab::and();
        let pass = |mistakes| Pass { mistakes, weights: vec![0.2, 0.1, -0.25] };
        let mut run = RuleRun {
            start: vec![0.0; 3],
            passes: vec![pass(2), pass(0)],
            outcome: Outcome::Converged { pass: 2 },
            outputs: vec![false, false, false, true],
        };
        let text = answer(&lab, &run);
        assert!(text.starts_with("The rule converged: pass 2 made no mistake, after 2 updates in all."), "{text}");
        assert!(text.contains("w = (0.20, 0.10), b = -0.25 gets all 4 rows right"), "{text}");
        run.outcome = Outcome::Cycles { since: 1, pass: 3 };
        run.outputs = vec![false, true, true, true];
        let text = answer(&lab, &run);
        assert!(text.contains("exactly those after pass 1, so it repeats the same 2 passes for ever"), "{text}");
        run.outcome = Outcome::Cycles { since: 0, pass: 1 };
        let text = answer(&lab, &run);
        assert!(text.contains("exactly those it started from, so it repeats that pass for ever"), "{text}");
        assert!(text.contains("still wrong on 2 of the 4 rows"), "{text}");
    }
}
