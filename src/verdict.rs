//! Whether a run learned: the check every lab's answers make before they explain a run, so an
//! untrained model is never described as if it had learned something.

use crate::run::EpochRecord;

/// Accuracy within this many percentage points of chance counts as chance. A 2-class model
/// that is right 53% of the time on 2,000 held-out images is within two standard errors
/// (1.1 points each) of a coin; five points leaves room for the training set's noise too.
pub const CHANCE_MARGIN: f64 = 5.0;

/// What a run's last epoch says about it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Verdict {
    /// Train and held-out accuracy both within [`CHANCE_MARGIN`] of chance.
    AtChance {
        chance: f64,
        train: f64,
        valid: Option<f64>,
    },
    Learned,
    /// No epoch finished yet.
    Unknown,
}

impl Verdict {
    /// The verdict on a run whose classes are guessed right `chance` percent of the time by a coin.
    pub fn of(records: &[EpochRecord], chance: f64) -> Self {
        let Some(last) = records.last() else { return Verdict::Unknown };
        Self::of_accuracy(last.train_acc, last.valid_acc, chance)
    }

    /// The verdict from final accuracies (percent); `valid` is None where the run held none out.
    pub fn of_accuracy(train: f64, valid: Option<f64>, chance: f64) -> Self {
        let near = |acc: f64| (acc - chance).abs() <= CHANCE_MARGIN;
        if near(train) && valid.is_none_or(near) {
            Verdict::AtChance { chance, train, valid }
        } else {
            Verdict::Learned
        }
    }

    pub fn at_chance(self) -> bool {
        matches!(self, Verdict::AtChance { .. })
    }
}

/// Chance accuracy, in percent, of a classifier over `classes` balanced classes.
pub fn chance_percent(classes: usize) -> f64 {
    100.0 / classes.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(train_acc: f64, valid_acc: Option<f64>) -> EpochRecord {
        EpochRecord {
            epoch: 1,
            train_loss: 0.69,
            train_acc,
            valid_loss: valid_acc.map(|_| 0.69),
            valid_acc,
            seconds: 1.0,
            examples_per_s: 1.0,
        }
    }

    #[test]
    fn accuracy_near_chance_on_train_and_valid_is_chance() {
        let at = |t, v| Verdict::of(&[record(t, v)], 50.0);
        assert!(at(50.0, Some(50.0)).at_chance());
        assert!(at(54.9, Some(46.0)).at_chance());
        assert!(at(51.0, None).at_chance());
        // Learned on either side is learned: the training set alone, or the held-out set.
        assert_eq!(at(60.0, Some(50.0)), Verdict::Learned);
        assert_eq!(at(50.0, Some(80.0)), Verdict::Learned);
        assert_eq!(Verdict::of(&[], 50.0), Verdict::Unknown);
        assert!(Verdict::of_accuracy(12.0, Some(9.0), chance_percent(10)).at_chance());
        assert_eq!(Verdict::of_accuracy(31.0, Some(28.0), chance_percent(10)), Verdict::Learned);
    }
}
