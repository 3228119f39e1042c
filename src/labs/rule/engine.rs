//! The perceptron learning rule, run in the worker (and natively in tests). A perceptron has
//! three or four numbers, so this is plain Rust, not burn: a GPU or burn's CPU backend would
//! spend more launching a kernel than the whole run costs.
//!
//! Each update adds `±η` times an input of 0 or 1, so the weights are always the starting
//! ones plus `η` times whole numbers. The rule keeps those whole numbers: a repeat of them is a
//! repeat of the weights exactly (no rounding drift can hide one), which proves the rule cycles.

use std::collections::HashMap;

use rand::RngExt;

use crate::data::rng_for;
use crate::labs::rule::{Outcome, Pass, RuleLab, RuleRun};
use crate::run::EpochRecord;
use crate::train::{Driver, Flow};

/// The random stream the starting weights are drawn from.
const INIT_STREAM: u64 = 0x9E2C;

/// The perceptron with weights `start + lr * steps`: its weighted sum on `x` (bias last).
fn sum(start: &[f64], steps: &[i64], lr: f64, x: &[f64]) -> f64 {
    start.iter().zip(steps).zip(x).map(|((w0, k), xi)| (w0 + lr * *k as f64) * xi).sum()
}

/// Trains one perceptron on `lab.table` by the learning rule, one pass over the rows per
/// epoch, until a pass makes no mistake, the weights repeat, the passes run out or the
/// driver says stop. `on_pass` hears each pass as an epoch (loss: the perceptron criterion,
/// the mean of how far each wrong row's sum is on the wrong side; accuracy: rows right).
pub async fn train(lab: &RuleLab, driver: &mut impl Driver, on_pass: &mut impl FnMut(EpochRecord)) -> RuleRun {
    let table = &lab.table;
    let lr = lab.train.lr;
    let rows: Vec<Vec<f64>> =
        (0..table.outputs.len()).map(|r| table.row(r).iter().map(|&b| b as u8 as f64).chain([1.0]).collect()).collect();
    let mut rng = rng_for(lab.train.seed, INIT_STREAM);
    let start: Vec<f64> = (0..=table.inputs).map(|_| rng.random_range(-0.5..0.5)).collect();
    let weights = |steps: &[i64]| start.iter().zip(steps).map(|(w0, k)| w0 + lr * *k as f64).collect::<Vec<_>>();
    let mut steps = vec![0i64; start.len()];
    let mut seen = HashMap::from([(steps.clone(), 0usize)]);
    let mut passes = vec![];
    let began = driver.now();
    let outcome = loop {
        if passes.len() == lab.train.epochs {
            break Outcome::OutOfPasses;
        }
        if driver.checkpoint().await == Flow::Stop {
            break Outcome::Stopped;
        }
        let mut mistakes = 0;
        for (x, &target) in rows.iter().zip(&table.outputs) {
            let fired = sum(&start, &steps, lr, x) > 0.0;
            if fired != target {
                mistakes += 1;
                let sign = if target { 1 } else { -1 };
                for (k, &xi) in steps.iter_mut().zip(x) {
                    *k += sign * xi as i64;
                }
            }
        }
        let pass = passes.len() + 1;
        passes.push(Pass { mistakes, weights: weights(&steps) });
        on_pass(record(pass, &start, &steps, lr, &rows, &table.outputs, driver.now() - began));
        if mistakes == 0 {
            break Outcome::Converged { pass };
        }
        if let Some(&since) = seen.get(&steps) {
            break Outcome::Cycles { since, pass };
        }
        seen.insert(steps.clone(), pass);
    };
    let outputs = rows.iter().map(|x| sum(&start, &steps, lr, x) > 0.0).collect();
    RuleRun { start, passes, outcome, outputs }
}

/// Pass `pass` as an epoch record: the perceptron criterion and the rows right after it.
fn record(
    pass: usize,
    start: &[f64],
    steps: &[i64],
    lr: f64,
    rows: &[Vec<f64>],
    targets: &[bool],
    seconds: f64,
) -> EpochRecord {
    let (mut loss, mut right) = (0.0, 0);
    for (x, &target) in rows.iter().zip(targets) {
        let s = sum(start, steps, lr, x);
        if (s > 0.0) == target {
            right += 1;
        } else {
            loss += s.abs();
        }
    }
    let n = rows.len() as f64;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::perceptrons::{Preset, TruthTable};
    use crate::train::native::NativeDriver;

    fn run(table: TruthTable, seed: u64) -> (RuleRun, Vec<EpochRecord>) {
        let lab = RuleLab { table, train: crate::config::TrainConfig { seed, epochs: 200, ..RuleLab::and().train } };
        let mut records = vec![];
        let run = pollster::block_on(train(&lab, &mut NativeDriver::default(), &mut |r| records.push(r)));
        (run, records)
    }

    #[test]
    fn on_and_and_or_the_rule_converges_and_gets_every_row_right() {
        for preset in [Preset::And, Preset::Or] {
            for inputs in [2, 3] {
                for seed in 0..20 {
                    let table = TruthTable::preset(preset, inputs, 0);
                    let (run, records) = run(table.clone(), seed);
                    let Outcome::Converged { pass } = run.outcome else {
                        panic!("{preset:?} {inputs} {seed}: {run:?}")
                    };
                    assert_eq!(run.outputs, table.outputs, "{preset:?} {inputs} {seed}");
                    assert_eq!((pass, records.len()), (run.passes.len(), run.passes.len()));
                    let last = records.last().unwrap();
                    assert_eq!((last.train_acc, last.train_loss), (100.0, 0.0));
                }
            }
        }
    }

    #[test]
    fn on_xor_the_rule_never_converges_and_its_weights_repeat() {
        for inputs in [2, 3] {
            for seed in 0..20 {
                let table = TruthTable::preset(Preset::Xor, inputs, 0);
                let (run, _) = run(table.clone(), seed);
                let Outcome::Cycles { since, pass } = run.outcome else { panic!("{inputs} {seed}: {:?}", run.outcome) };
                assert!(since < pass);
                // The repeat is exact: the weights after both passes are the same numbers.
                let at = |p: usize| if p == 0 { &run.start } else { &run.passes[p - 1].weights };
                assert_eq!(at(since), at(pass));
                assert!(run.right(&table) < table.outputs.len());
            }
        }
    }
}
