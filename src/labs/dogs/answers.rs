//! The DogSet questions (HOMEWORK sections 3 and 5), answered from the runs' records.

use crate::metrics::{format_count, format_duration};
use crate::run::{EpochRecord, RunSummary, StopReason};
use crate::verdict::{Verdict, chance_percent};

/// The epoch (from 1) with the lowest validation loss, and that loss.
pub fn best_epoch(epochs: &[EpochRecord]) -> Option<(usize, f64)> {
    epochs.iter().filter_map(|e| e.valid_loss.map(|l| (e.epoch, l))).min_by(|a, b| a.1.total_cmp(&b.1))
}

/// "Describe the interaction of training loss, validation loss and validation accuracy, and
/// when the network stopped learning something meaningful", from one run.
pub fn curve_answer(epochs: &[EpochRecord], summary: &RunSummary, test_acc: Option<f64>) -> String {
    let (Some(first), Some(last), Some((best, best_loss))) = (epochs.first(), epochs.last(), best_epoch(epochs)) else {
        return "No epoch with a validation loss has finished yet.".into();
    };
    let test = test_acc
        .map_or(String::new(), |acc| format!(" Test accuracy, measured once after training: {acc:.1}% (chance: 10%)."));
    // An untrained network's curves say nothing about when it stopped learning.
    if let Verdict::AtChance { train, valid, .. } = Verdict::of(epochs, chance_percent(CLASSES)) {
        return format!(
            "The network did not learn: after {} epoch{} its training accuracy is {train:.1}% and its validation \
             accuracy {:.1}%, about chance (10% for ten classes), and the training loss went only from {:.4} to {:.4} \
             (ln 10 = 2.3026 is a uniform guess). So these curves cannot show when it stops learning: train more \
             epochs, or with a larger learning rate, until the accuracy leaves chance.{test}",
            epochs.len(),
            if epochs.len() == 1 { "" } else { "s" },
            valid.unwrap_or(f64::NAN),
            first.train_loss,
            last.train_loss,
        );
    }
    let at_best = &epochs[best - 1];
    let acc = |e: &EpochRecord| e.valid_acc.unwrap_or(f64::NAN);
    let mut text = format!(
        "Over {} epochs the training loss went from {:.4} to {:.4} (training accuracy {:.1}% to {:.1}%). \
         The validation loss was lowest at epoch {best} ({best_loss:.4}, validation accuracy {:.1}%).",
        epochs.len(),
        first.train_loss,
        last.train_loss,
        first.train_acc,
        last.train_acc,
        acc(at_best),
    );
    if best < last.epoch {
        let valid_last = last.valid_loss.unwrap_or(f64::NAN);
        text += &format!(
            " After it, the training loss kept {} ({:.4} to {:.4}) while the validation loss {} to {:.4} and the \
             validation accuracy moved from {:.1}% to {:.1}%: from epoch {best} on the network fitted its training \
             images more closely without getting better on new ones, so that is where it stopped learning something \
             meaningful.",
            if last.train_loss < at_best.train_loss { "falling" } else { "level" },
            at_best.train_loss,
            last.train_loss,
            if valid_last > best_loss { "rose" } else { "stayed" },
            valid_last,
            acc(at_best),
            acc(last),
        );
    } else {
        text += " The validation loss was still at its lowest in the last epoch, so the network was still learning \
                 something that carries over to new images when the run ended.";
    }
    text += &format!(" The run {}", summary.stop.describe());
    if let StopReason::EarlyStop { .. } = summary.stop {
        text += &format!(" after epoch {}", summary.epochs_trained);
    }
    text += ".";
    text + &test
}

/// The DogSet's breeds (and the stand-in's classes).
const CLASSES: usize = 10;

/// One trained network for the comparison table.
#[derive(Clone, Debug, PartialEq)]
pub struct Trained<'a> {
    pub name: &'a str,
    pub parameters: usize,
    pub test_acc: f64,
    pub epochs: usize,
    pub seconds: f64,
}

/// "Compare with the fully connected net", from the two runs.
pub fn comparison_answer(mlp: &Trained, cnn: &Trained) -> String {
    let (better, worse) = if cnn.test_acc >= mlp.test_acc { (cnn, mlp) } else { (mlp, cnn) };
    let ratio = mlp.parameters as f64 / cnn.parameters.max(1) as f64;
    // A network at chance on the test set did not learn: comparing it says little.
    let untrained: Vec<&str> = [mlp, cnn]
        .iter()
        .filter(|t| Verdict::of_accuracy(t.test_acc, None, chance_percent(CLASSES)).at_chance())
        .map(|t| t.name)
        .collect();
    let caveat = match untrained.as_slice() {
        [] => String::new(),
        [one] => format!(
            " Careful: the {one} is at about chance (10%): it did not learn in its epochs, so this compares a trained \
             network with an untrained one. Train it until it learns before you compare."
        ),
        _ => " Careful: both networks are at about chance (10%): neither learned, so the accuracies compare nothing \
              yet. Train them until they learn before you compare."
            .into(),
    };
    let text = format!(
        "The {} reached {:.1}% test accuracy against the {}'s {:.1}% ({:+.1} points). The convolutional net has \
         {} parameters, {ratio:.1} times fewer than the fully connected net's {}: its kernels are shared over every \
         position of the image, where each of the fully connected net's first-layer weights belongs to one pixel. \
         Training took {} over {} epochs (CNN) and {} over {} epochs (fully connected).",
        better.name,
        better.test_acc,
        worse.name,
        worse.test_acc,
        better.test_acc - worse.test_acc,
        format_count(cnn.parameters),
        format_count(mlp.parameters),
        format_duration(cnn.seconds),
        cnn.epochs,
        format_duration(mlp.seconds),
        mlp.epochs,
    );
    text + &caveat
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epochs(valid: &[f64]) -> Vec<EpochRecord> {
        valid
            .iter()
            .enumerate()
            .map(|(i, &v)| EpochRecord {
                epoch: i + 1,
                train_loss: 2.0 - 0.1 * i as f64,
                train_acc: 20.0 + i as f64,
                valid_loss: Some(v),
                valid_acc: Some(30.0 - (v - 1.5) * 10.0),
                seconds: 1.0,
                examples_per_s: 100.0,
            })
            .collect()
    }

    fn summary(n: usize, stop: StopReason) -> RunSummary {
        RunSummary { epochs_trained: n, stop, train_seconds: n as f64, parameters: 10 }
    }

    #[test]
    fn a_rising_validation_loss_is_called_the_end_of_meaningful_learning() {
        let e = epochs(&[2.0, 1.6, 1.5, 1.55, 1.7]);
        assert_eq!(best_epoch(&e), Some((3, 1.5)));
        let stop = StopReason::EarlyStop { improvement: -0.15, stop_thr: 1e-4 };
        let text = curve_answer(&e, &summary(5, stop), Some(31.0));
        assert!(text.contains("lowest at epoch 3 (1.5000"), "{text}");
        assert!(text.contains("validation loss rose to 1.7000"), "{text}");
        assert!(text.contains("from epoch 3 on"), "{text}");
        assert!(text.contains("after epoch 5"), "{text}");
        assert!(text.ends_with("31.0% (chance: 10%)."), "{text}");
    }

    #[test]
    fn a_still_falling_validation_loss_says_learning_went_on() {
        let text = curve_answer(&epochs(&[2.0, 1.8]), &summary(2, StopReason::Completed), None);
        assert!(text.contains("still learning"), "{text}");
        assert_eq!(
            curve_answer(&[], &summary(0, StopReason::Cancelled), None),
            "No epoch with a validation loss has finished yet."
        );
    }

    #[test]
    fn the_comparison_names_the_better_net_and_the_parameter_ratio() {
        let mlp =
            Trained { name: "fully connected net", parameters: 1_581_898, test_acc: 30.0, epochs: 20, seconds: 40.0 };
        let cnn = Trained { name: "convolutional net", parameters: 68_138, test_acc: 42.5, epochs: 12, seconds: 120.0 };
        let text = comparison_answer(&mlp, &cnn);
        assert!(text.starts_with("The convolutional net reached 42.5%"), "{text}");
        assert!(text.contains("(+12.5 points)") && text.contains("23.2 times fewer"), "{text}");
        assert!(text.contains("68,138 parameters") && text.contains("net's 1,581,898:"), "{text}");
        assert!(text.contains("took 2 min 00 s over 12 epochs (CNN) and 40.0 s over 20 epochs"), "{text}");
    }

    #[test]
    fn a_network_at_chance_is_said_not_to_have_learned_and_not_compared_as_if_it_had() {
        let mut records = epochs(&[2.30, 2.29]);
        for r in &mut records {
            (r.train_acc, r.valid_acc, r.train_loss) = (10.5, Some(9.8), 2.30);
        }
        let summary = RunSummary { epochs_trained: 2, stop: StopReason::Completed, train_seconds: 1.0, parameters: 9 };
        let text = curve_answer(&records, &summary, Some(9.4));
        assert!(text.starts_with("The network did not learn: after 2 epochs its training accuracy is 10.5%"), "{text}");
        assert!(!text.contains("still learning"), "{text}");
        assert!(text.ends_with("Test accuracy, measured once after training: 9.4% (chance: 10%)."), "{text}");
        let mlp =
            Trained { name: "fully connected net", parameters: 1_581_898, test_acc: 40.0, epochs: 3, seconds: 5.0 };
        let cnn = Trained { name: "convolutional net", parameters: 68_138, test_acc: 9.4, epochs: 1, seconds: 15.0 };
        let text = comparison_answer(&mlp, &cnn);
        assert!(text.contains("Careful: the convolutional net is at about chance (10%)"), "{text}");
        let trained = Trained { test_acc: 52.0, ..cnn };
        assert!(!comparison_answer(&mlp, &trained).contains("Careful"));
    }
}
