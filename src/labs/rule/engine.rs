//! The perceptron learning rule, run in the worker (and natively in tests): the learner
//! (`learner.rs`) driven one pass per epoch, so Pause and Stop act between passes. A perceptron
//! has three or four numbers, so this is plain Rust, not burn: a GPU or burn's CPU backend
//! would spend more launching a kernel than the whole run costs.

use crate::labs::rule::learner::Learner;
use crate::labs::rule::{Outcome, RuleLab, RuleRun};
use crate::run::EpochRecord;
use crate::train::{Driver, Flow};

/// Trains one perceptron on `lab.table` by the learning rule, one pass over the rows per
/// epoch, until a pass makes no mistake, the weights repeat, the passes run out or the
/// driver says stop. `on_pass` hears each pass as an epoch.
pub async fn train(lab: &RuleLab, driver: &mut impl Driver, on_pass: &mut impl FnMut(EpochRecord)) -> RuleRun {
    let mut learner = Learner::new(lab);
    let began = driver.now();
    let outcome = loop {
        if learner.passes() == lab.train.epochs {
            break Outcome::OutOfPasses;
        }
        if driver.checkpoint().await == Flow::Stop {
            break Outcome::Stopped;
        }
        let outcome = learner.pass();
        on_pass(learner.record(driver.now() - began));
        if let Some(outcome) = outcome {
            break outcome;
        }
    };
    learner.finish(outcome)
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
    fn a_replay_gives_the_run_the_worker_trains() {
        for preset in [Preset::And, Preset::Xor] {
            let table = TruthTable::preset(preset, 3, 0);
            let lab =
                RuleLab { table: table.clone(), train: crate::config::TrainConfig { seed: 4, ..RuleLab::and().train } };
            let (trained, _) = run(table, 4);
            let replayed = crate::labs::rule::learner::replay(&RuleLab {
                train: crate::config::TrainConfig { epochs: 200, ..lab.train },
                ..lab
            });
            assert_eq!(replayed, trained, "{preset:?}");
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
