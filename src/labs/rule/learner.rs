//! The perceptron learning rule itself, one pass at a time: plain Rust with no clock and no
//! device, so the worker drives it pass by pass (`engine.rs`) and the page can replay a saved
//! run's result after a reload (it is deterministic: the same table, rate and seed give the
//! same passes).
//!
//! Each update adds `±η` times an input of 0 or 1, so the weights are always the starting
//! ones plus `η` times whole numbers. The learner keeps those whole numbers: a repeat of them
//! is a repeat of the weights exactly (no rounding drift can hide one), which proves the rule
//! cycles.

use std::collections::HashMap;

use rand::RngExt;

use crate::data::rng_for;
use crate::labs::rule::{Outcome, Pass, RuleLab, RuleRun};
use crate::run::EpochRecord;

/// The random stream the starting weights are drawn from.
const INIT_STREAM: u64 = 0x9E2C;

/// One perceptron learning a table: its starting weights and the whole multiples of the rate
/// added to them so far.
pub struct Learner {
    lr: f64,
    /// Each row's inputs as 0 and 1, with a 1 for the bias last; and its wanted output.
    rows: Vec<(Vec<f64>, bool)>,
    start: Vec<f64>,
    steps: Vec<i64>,
    /// The pass after which each `steps` was reached (0: the start).
    seen: HashMap<Vec<i64>, usize>,
    passes: Vec<Pass>,
}

impl Learner {
    /// A perceptron for `lab.table`, its weights drawn by `lab.train.seed` (uniform in ±0.5).
    pub fn new(lab: &RuleLab) -> Self {
        let table = &lab.table;
        let rows = (0..table.outputs.len())
            .map(|r| (table.row(r).iter().map(|&b| f64::from(u8::from(b))).chain([1.0]).collect(), table.outputs[r]))
            .collect();
        let mut rng = rng_for(lab.train.seed, INIT_STREAM);
        let start: Vec<f64> = (0..=table.inputs).map(|_| rng.random_range(-0.5..0.5)).collect();
        let steps = vec![0i64; start.len()];
        let seen = HashMap::from([(steps.clone(), 0)]);
        Self { lr: lab.train.lr, rows, start, steps, seen, passes: vec![] }
    }

    /// The weighted sum on `x` (bias last) of the weights now.
    fn sum(&self, x: &[f64]) -> f64 {
        self.start.iter().zip(&self.steps).zip(x).map(|((w0, k), xi)| (w0 + self.lr * *k as f64) * xi).sum()
    }

    /// One pass over the table, updating on each row the perceptron gets wrong; `Some` with how
    /// the run ends when it does after this pass (no mistake, or weights seen before).
    pub fn pass(&mut self) -> Option<Outcome> {
        let mut mistakes = 0;
        for r in 0..self.rows.len() {
            let fired = self.sum(&self.rows[r].0) > 0.0;
            let target = self.rows[r].1;
            if fired != target {
                mistakes += 1;
                let sign = if target { 1 } else { -1 };
                for (k, &xi) in self.steps.iter_mut().zip(&self.rows[r].0) {
                    *k += sign * xi as i64;
                }
            }
        }
        let weights = self.start.iter().zip(&self.steps).map(|(w0, k)| w0 + self.lr * *k as f64).collect();
        self.passes.push(Pass { mistakes, weights });
        let pass = self.passes.len();
        if mistakes == 0 {
            return Some(Outcome::Converged { pass });
        }
        if let Some(&since) = self.seen.get(&self.steps) {
            return Some(Outcome::Cycles { since, pass });
        }
        self.seen.insert(self.steps.clone(), pass);
        None
    }

    pub fn passes(&self) -> usize {
        self.passes.len()
    }

    /// The latest pass as an epoch record, `seconds` after the run began: the perceptron
    /// criterion (the mean of how far each wrong row's sum is on the wrong side) and the rows
    /// right.
    pub fn record(&self, seconds: f64) -> EpochRecord {
        let (mut loss, mut right) = (0.0, 0);
        for (x, target) in &self.rows {
            let s = self.sum(x);
            if (s > 0.0) == *target {
                right += 1;
            } else {
                loss += s.abs();
            }
        }
        let (n, pass) = (self.rows.len() as f64, self.passes.len());
        EpochRecord {
            epoch: pass,
            train_loss: loss / n,
            train_acc: 100.0 * right as f64 / n,
            valid_loss: None,
            valid_acc: None,
            seconds,
            examples_per_s: if seconds > 0.0 { n * pass as f64 / seconds } else { 0.0 },
        }
    }

    /// The run as it ended with `outcome`: every pass and what the last weights answer.
    pub fn finish(self, outcome: Outcome) -> RuleRun {
        let outputs = self.rows.iter().map(|(x, _)| self.sum(x) > 0.0).collect();
        RuleRun { start: self.start, passes: self.passes, outcome, outputs }
    }
}

/// The whole run of `lab` as the worker trains it when nobody stops it: to convergence, a
/// cycle or the last pass.
pub fn replay(lab: &RuleLab) -> RuleRun {
    let mut learner = Learner::new(lab);
    loop {
        if learner.passes() == lab.train.epochs {
            return learner.finish(Outcome::OutOfPasses);
        }
        if let Some(outcome) = learner.pass() {
            return learner.finish(outcome);
        }
    }
}
