//! Section 1's numbers from the per-size results of the MNIST lab: the least-squares fit of
//! training time against size, its extrapolation to all of MNIST, and the answers. No burn
//! here: the page computes these from what the worker reports.

use serde::{Deserialize, Serialize};

use crate::metrics::{LinearFit, format_count, format_duration};

/// MNIST's full training split, the size the homework asks to extrapolate to.
pub const FULL_TRAIN_SIZE: usize = 60_000;

/// What one training-set size produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SizeResult {
    pub size: usize,
    /// Mean training loss of every epoch.
    pub losses: Vec<f64>,
    /// Wall time of the training epochs only (sampling, upload and testing excluded).
    pub train_seconds: f64,
    /// Percent correct on the balanced test set.
    pub test_acc: f64,
    pub test_loss: f64,
    pub epochs_trained: usize,
}

/// The fit of time against size and its extrapolation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScalingSummary {
    /// seconds = slope * N + intercept
    pub slope: f64,
    pub intercept: f64,
    pub full_size: usize,
    /// Extrapolated training time for `full_size` examples, same epochs, this backend.
    pub full_seconds: f64,
}

pub fn summarise(results: &[SizeResult]) -> Option<ScalingSummary> {
    let points: Vec<(f64, f64)> = results.iter().map(|r| (r.size as f64, r.train_seconds)).collect();
    let fit = LinearFit::fit(&points)?;
    Some(ScalingSummary {
        slope: fit.slope,
        intercept: fit.intercept,
        full_size: FULL_TRAIN_SIZE,
        full_seconds: fit.at(FULL_TRAIN_SIZE as f64),
    })
}

/// Compares one measured epoch on the full training set with the fit's prediction for one
/// epoch (the fit is over runs of `epochs` epochs each).
pub fn check_text(summary: &ScalingSummary, epochs: usize, measured_epoch_s: f64) -> String {
    let predicted = summary.full_seconds / epochs.max(1) as f64;
    format!(
        "One epoch on all {} examples took {}; the fit predicts {} per epoch ({} / {epochs} epochs), \
         so the measurement is {:.2}x the extrapolation.",
        format_count(summary.full_size),
        format_duration(measured_epoch_s),
        format_duration(predicted),
        format_duration(summary.full_seconds),
        measured_epoch_s / predicted
    )
}

/// Every epoch of every model as CSV (header included), for export.
pub fn epochs_csv(epochs: &[(usize, crate::run::EpochRecord)]) -> String {
    let mut csv = String::from("size,epoch,train_loss,train_acc_percent,seconds\n");
    for (size, r) in epochs {
        csv.push_str(&format!("{size},{},{},{},{}\n", r.epoch, r.train_loss, r.train_acc, r.seconds));
    }
    csv
}

/// Answers to section 1's questions, from the measured results.
pub fn answers(results: &[SizeResult], summary: Option<&ScalingSummary>) -> (String, String) {
    let time = match (summary, results.first(), results.last()) {
        (Some(s), Some(first), Some(last)) => format!(
            "Training time grows about linearly with the number of examples: the least-squares line is \
             t = {:.3e} s x N {} {:.2} s ({} to {} examples took {} to {}). For all {} examples the \
             same epochs would take about {} on this machine and backend.",
            s.slope,
            if s.intercept < 0.0 { "-" } else { "+" },
            s.intercept.abs(),
            format_count(first.size),
            format_count(last.size),
            format_duration(first.train_seconds),
            format_duration(last.train_seconds),
            format_count(s.full_size),
            format_duration(s.full_seconds)
        ),
        _ => "Train at least two sizes to fit time against size.".into(),
    };
    let accuracy = match (results.first(), results.last()) {
        (Some(first), Some(last)) if results.len() > 1 => {
            // Accuracy points gained per 1000 added examples, size step by size step.
            let rates: Vec<f64> = results
                .windows(2)
                .map(|w| (w[1].test_acc - w[0].test_acc) / (w[1].size - w[0].size) as f64 * 1000.0)
                .collect();
            let steps: Vec<String> = results
                .windows(2)
                .map(|w| {
                    let gain = w[1].test_acc - w[0].test_acc;
                    format!("{gain:+.1} points from {} to {}", format_count(w[0].size), format_count(w[1].size))
                })
                .collect();
            let trend = if rates.len() < 2 {
                "Train three or more sizes to see whether the gains shrink.".to_string()
            } else if rates.windows(2).all(|r| r[1] < r[0]) && rates.iter().all(|&r| r > 0.0) {
                "Each step adds less than the one before: diminishing returns.".to_string()
            } else if last.test_acc > first.test_acc {
                "It rises overall, but not smoothly: with one model per size, a run's luck moves accuracy by about \
                 a point, which hides the shrinking gains; repeat with other seeds to see the trend."
                    .to_string()
            } else {
                "It did not rise in this run.".to_string()
            };
            let best = results.iter().map(|r| r.test_acc).fold(f64::MIN, f64::max);
            format!(
                "Test accuracy goes from {:.1}% with {} examples to {:.1}% with {} ({}). {trend} The best model \
                 still misses {:.1}% of the test digits: more examples of the same kind give smaller gains, not 100%.",
                first.test_acc,
                format_count(first.size),
                last.test_acc,
                format_count(last.size),
                steps.join(", "),
                100.0 - best
            )
        }
        _ => "Train at least two sizes to compare accuracies.".into(),
    };
    (time, accuracy)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(size: usize, seconds: f64, acc: f64) -> SizeResult {
        SizeResult { size, losses: vec![], train_seconds: seconds, test_acc: acc, test_loss: 0.0, epochs_trained: 1 }
    }

    #[test]
    fn the_full_set_check_compares_per_epoch() {
        let s = ScalingSummary { slope: 0.001, intercept: 0.0, full_size: 60_000, full_seconds: 60.0 };
        let text = check_text(&s, 100, 0.9);
        assert!(
            text.contains(
                "all 60,000 examples took 0.90 s; the fit predicts 0.60 s per epoch (1 min 00 s / 100 epochs)"
            ),
            "{text}"
        );
        assert!(text.ends_with("1.50x the extrapolation."), "{text}");
    }

    #[test]
    fn epochs_export_as_csv_with_a_header_and_one_row_each() {
        let record = crate::run::EpochRecord {
            epoch: 3,
            train_loss: 0.25,
            train_acc: 92.5,
            valid_loss: None,
            valid_acc: None,
            seconds: 0.5,
            examples_per_s: 1000.0,
        };
        let csv = epochs_csv(&[(500, record.clone()), (1000, record)]);
        assert_eq!(csv, "size,epoch,train_loss,train_acc_percent,seconds\n500,3,0.25,92.5,0.5\n1000,3,0.25,92.5,0.5\n");
    }

    #[test]
    fn the_fit_extrapolates_to_the_full_training_set() {
        let results =
            [result(500, 2.0, 80.0), result(1000, 4.1, 85.0), result(1500, 5.9, 87.0), result(2000, 8.0, 88.0)];
        let s = summarise(&results).unwrap();
        assert!((s.slope - 0.00396).abs() < 1e-12 && (s.intercept - 0.05).abs() < 1e-9);
        assert!((s.full_seconds - 237.65).abs() < 1e-6);
        let (time, acc) = answers(&results, Some(&s));
        assert!(time.contains("t = 3.960e-3 s x N + 0.05 s"), "{time}");
        assert!(time.contains("(500 to 2,000 examples took 2.0 s to 8.0 s)"), "{time}");
        assert!(time.contains("For all 60,000 examples the same epochs would take about 3 min 58 s"), "{time}");
        assert!(acc.contains("from 80.0% with 500 examples to 88.0% with 2,000"), "{acc}");
        assert!(acc.contains("+5.0 points from 500 to 1,000"), "{acc}");
        assert!(acc.contains("diminishing returns") && acc.contains("misses 12.0%"), "{acc}");
        let bumpy = [result(500, 2.0, 80.0), result(1000, 4.0, 84.0), result(1500, 6.0, 84.5), result(2000, 8.0, 87.0)];
        let (_, acc) = answers(&bumpy, summarise(&bumpy).as_ref());
        assert!(acc.contains("not smoothly") && !acc.contains("diminishing"), "{acc}");
        assert!(summarise(&results[..1]).is_none());
    }
}
