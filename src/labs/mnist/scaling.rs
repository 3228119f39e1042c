//! Section 1's numbers from the per-size results of the MNIST lab: the least-squares fit of
//! training time against size, its extrapolation to all of MNIST, and the answers. No burn
//! here: the page computes these from what the worker reports.

use serde::{Deserialize, Serialize};

use crate::confusion::Evaluation;
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
    /// The test set's confusion matrix and most confident mistakes (none in runs saved before
    /// they were kept).
    #[serde(default)]
    pub evaluation: Option<Evaluation>,
}

/// The least R² of the time fit at which the answer calls the growth "roughly linear".
pub const LINEAR_R2: f64 = 0.98;

/// Timings under this many seconds are too short to trust: noise and overheads dominate them.
pub const SHORT_RUN_S: f64 = 1.0;

/// The fit of time against size and its extrapolation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScalingSummary {
    /// seconds = slope * N + intercept
    pub slope: f64,
    pub intercept: f64,
    /// How much of the times' spread the line explains (1 = every point on it).
    pub r_squared: f64,
    /// Measured minus fitted seconds, per training-set size, in the results' order.
    pub residuals: Vec<(usize, f64)>,
    pub full_size: usize,
    /// Extrapolated training time for `full_size` examples, same epochs, this backend.
    pub full_seconds: f64,
}

impl ScalingSummary {
    /// The line as the student reads it: "t = 4.160e-4 s x N - 0.15 s".
    pub fn line_text(&self) -> String {
        format!(
            "t = {:.3e} s x N {} {:.2} s",
            self.slope,
            if self.intercept < 0.0 { "-" } else { "+" },
            self.intercept.abs()
        )
    }

    /// "N = 500: +0.06 s, N = 1,000: -0.02 s, ...".
    pub fn residuals_text(&self) -> String {
        let each = self.residuals.iter().map(|&(n, r)| format!("N = {}: {}", format_count(n), signed_duration(r)));
        each.collect::<Vec<_>>().join(", ")
    }

    /// The fit's time for all `full_size` examples; `None` when the line does not rise with N
    /// (short, noisy timings can fit a falling line), since a zero or negative time predicts
    /// nothing.
    pub fn full_prediction(&self) -> Option<f64> {
        (self.full_seconds > 0.0).then_some(self.full_seconds)
    }

    /// The fit's time for one epoch on the full training set, when the fit is over runs of
    /// `epochs` epochs each.
    pub fn per_epoch_prediction(&self, epochs: usize) -> Option<f64> {
        self.full_prediction().map(|t| t / epochs.max(1) as f64)
    }
}

/// A signed duration: "+0.061 s", "-1.2 s".
pub fn signed_duration(seconds: f64) -> String {
    format!("{}{}", if seconds < 0.0 { "-" } else { "+" }, format_duration(seconds.abs()))
}

pub fn summarise(results: &[SizeResult]) -> Option<ScalingSummary> {
    let points: Vec<(f64, f64)> = results.iter().map(|r| (r.size as f64, r.train_seconds)).collect();
    let fit = LinearFit::fit(&points)?;
    let residuals = results.iter().map(|r| r.size).zip(fit.residuals(&points)).collect();
    Some(ScalingSummary {
        slope: fit.slope,
        intercept: fit.intercept,
        r_squared: fit.r_squared(&points),
        residuals,
        full_size: FULL_TRAIN_SIZE,
        full_seconds: fit.at(FULL_TRAIN_SIZE as f64),
    })
}

/// Compares one measured epoch on the full training set (`measured`, tested on `test_size`
/// images) with the fit's prediction for one epoch (the fit is over runs of `epochs` epochs
/// each), and its test accuracy with the largest model of the scaling run.
pub fn check_text(
    summary: &ScalingSummary,
    epochs: usize,
    test_size: usize,
    measured: &SizeResult,
    largest: Option<&SizeResult>,
) -> String {
    let took = format!(
        "One epoch on all {} examples took {}",
        format_count(summary.full_size),
        format_duration(measured.train_seconds)
    );
    let Some(predicted) = summary.per_epoch_prediction(epochs) else {
        return format!(
            "{took}. The line fitted to your sizes does not rise with N, so it predicted nothing to compare \
             with: train larger sizes, whose times are longer than the noise, for a fit that does.{}",
            accuracy_after_check(test_size, measured, largest)
        );
    };
    let mut text = format!(
        "{took}; the fit predicts {} per epoch ({} / {epochs} epochs), so the measurement is {:.2}x the \
         extrapolation.",
        format_duration(predicted),
        format_duration(summary.full_seconds),
        measured.train_seconds / predicted
    );
    if summary.r_squared < LINEAR_R2 {
        text += &format!(" The fit's R² is only {:.3}, so its prediction was a rough guess.", summary.r_squared);
    }
    text + &accuracy_after_check(test_size, measured, largest)
}

/// The check's test accuracy beside the scaling run's largest model.
fn accuracy_after_check(test_size: usize, measured: &SizeResult, largest: Option<&SizeResult>) -> String {
    let mut text = format!(
        " After that one epoch the model scores {:.1}% on the {} test images",
        measured.test_acc,
        format_count(test_size)
    );
    text += &match largest {
        Some(l) => {
            format!(", against {:.1}% for N = {} after {} epochs.", l.test_acc, format_count(l.size), l.epochs_trained)
        }
        None => ".".into(),
    };
    text
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
    let time = match summary {
        Some(s) if !results.is_empty() => time_answer(results, s),
        _ => "Train at least two sizes to fit time against size.".into(),
    };
    (time, accuracy_answer(results))
}

/// How training time grows with N, judged by the fit's R² and the timings' length.
fn time_answer(results: &[SizeResult], s: &ScalingSummary) -> String {
    let (first, last) = (&results[0], &results[results.len() - 1]);
    let span = format!(
        "{} to {} examples took {} to {}",
        format_count(first.size),
        format_count(last.size),
        format_duration(first.train_seconds),
        format_duration(last.train_seconds)
    );
    let short = results.iter().filter(|r| r.train_seconds < SHORT_RUN_S).count();
    let linear = results.len() > 2 && s.r_squared >= LINEAR_R2;
    let mut text = if results.len() == 2 {
        format!(
            "The least-squares line is {} ({span}). With two sizes any line passes through both exactly, so its \
             R² of 1 says nothing: train three or more sizes to see whether the growth is linear.",
            s.line_text()
        )
    } else if linear {
        format!(
            "Training time grows roughly linearly with the number of examples: the least-squares line is {} \
             (R² = {:.3}; {span}; measured minus fitted: {}).",
            s.line_text(),
            s.r_squared,
            s.residuals_text()
        )
    } else {
        format!(
            "These times are not well fitted by a line: the least-squares line is {} with R² = {:.3}, below \
             the {LINEAR_R2} that \"roughly linear\" needs ({span}; measured minus fitted: {}).",
            s.line_text(),
            s.r_squared,
            s.residuals_text()
        )
    };
    text += &intercept_note(s, linear);
    if short > 0 {
        text += &short_runs_warning(results, short);
    }
    let trusted = linear && short == 0;
    let all = format_count(s.full_size);
    text += &match s.full_prediction() {
        None => format!(" The line does not rise with N, so it predicts nothing for all {all} examples."),
        Some(t) if trusted => format!(
            " For all {all} examples the same epochs would take about {} on this machine and backend.",
            format_duration(t)
        ),
        Some(t) => format!(
            " For all {all} examples the same epochs would take about {} if the line held; with this fit, take \
             that as a rough guess.",
            format_duration(t)
        ),
    };
    text
}

/// What the intercept means: a negative one cannot be a cost, so it is flagged.
fn intercept_note(s: &ScalingSummary, linear: bool) -> String {
    if s.intercept < 0.0 {
        format!(
            " Its intercept is negative ({}): no run takes less than no time, so the line cannot hold for small \
             N. It is not a start-up cost; it says the times grew faster than in proportion to N over these sizes, \
             or that they are noisy.",
            signed_duration(s.intercept)
        )
    } else if linear {
        format!(
            " Its intercept, {}, reads as a fixed cost per run that does not grow with N.",
            format_duration(s.intercept)
        )
    } else {
        String::new()
    }
}

/// Sub-second timings: the fit is noise. Suggests epochs for a shortest run of 2 s or more.
fn short_runs_warning(results: &[SizeResult], short: usize) -> String {
    let shortest = results.iter().map(|r| r.train_seconds).fold(f64::INFINITY, f64::min);
    let epochs = results.iter().map(|r| r.epochs_trained).max().unwrap_or(1).max(1);
    let more = (shortest > 0.0).then(|| (epochs as f64 * 2.0 / shortest).ceil() as usize);
    let which = match (short, results.len()) {
        (2, 2) => "both".to_string(),
        (s, n) if s == n => format!("all {s}"),
        (s, n) => format!("{s} of the {n}"),
    };
    format!(
        " Careful: {which} timings are under a second. Runs that short are dominated by noise and \
         overheads (the timer, setting up the first batches, whatever else the machine is doing), so repeating \
         them gives quite different lines. Train more epochs{} for a fit you can trust.",
        more.filter(|&m| m > epochs).map_or(String::new(), |m| format!(
            " (about {}, so that the shortest run lasts 2 s or more, instead of {epochs})",
            format_count(m)
        ))
    )
}

/// Ten digits: a model that learned nothing scores about 10%.
pub const CHANCE_PERCENT: f64 = 10.0;

/// Within this many points of chance a model has not learned (a run's luck moves it a point or two).
const CHANCE_MARGIN: f64 = 5.0;

/// Every model ended within a few points of chance: the run says nothing about N.
fn at_chance(results: &[SizeResult]) -> bool {
    !results.is_empty() && results.iter().all(|r| r.test_acc < CHANCE_PERCENT + CHANCE_MARGIN)
}

fn chance_answer(results: &[SizeResult]) -> String {
    let best = results.iter().map(|r| r.test_acc).fold(f64::MIN, f64::max);
    let epochs = results.iter().map(|r| r.epochs_trained).max().unwrap_or(0);
    format!(
        "None of these models learned: every size ended at about chance on the test set (best {best:.1}%; chance \
         is {CHANCE_PERCENT:.0}% for ten digits), so this run says nothing about how accuracy changes with N. \
         {} epoch{} at the homework's learning rate are too few updates to leave chance: train more epochs (the \
         homework uses {}).",
        epochs,
        if epochs == 1 { "" } else { "s" },
        crate::labs::mnist::MnistLab::homework().train.epochs
    )
}

/// How test accuracy changes with N.
fn accuracy_answer(results: &[SizeResult]) -> String {
    match (results.first(), results.last()) {
        _ if at_chance(results) => chance_answer(results),
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(size: usize, seconds: f64, acc: f64) -> SizeResult {
        SizeResult {
            size,
            losses: vec![],
            train_seconds: seconds,
            test_acc: acc,
            test_loss: 0.0,
            epochs_trained: 1,
            evaluation: None,
        }
    }

    fn timed(sizes_seconds: &[(usize, f64)], epochs: usize) -> Vec<SizeResult> {
        sizes_seconds.iter().map(|&(n, t)| SizeResult { epochs_trained: epochs, ..result(n, t, 80.0) }).collect()
    }

    #[test]
    fn the_full_set_check_compares_per_epoch_and_shows_its_accuracy() {
        let s = ScalingSummary {
            slope: 0.001,
            intercept: 0.0,
            r_squared: 0.999,
            residuals: vec![],
            full_size: 60_000,
            full_seconds: 60.0,
        };
        let measured = result(60_000, 0.9, 91.24);
        let largest = SizeResult { epochs_trained: 100, ..result(2000, 8.0, 88.0) };
        let text = check_text(&s, 100, 1000, &measured, Some(&largest));
        assert!(
            text.contains(
                "all 60,000 examples took 0.90 s; the fit predicts 0.60 s per epoch (1 min 00 s / 100 epochs)"
            ),
            "{text}"
        );
        assert!(text.contains("1.50x the extrapolation."), "{text}");
        assert!(!text.contains("rough guess"), "{text}");
        assert!(
            text.ends_with(
                "the model scores 91.2% on the 1,000 test images, against 88.0% for N = 2,000 after 100 epochs."
            ),
            "{text}"
        );
        let rough = ScalingSummary { r_squared: 0.73, ..s.clone() };
        let text = check_text(&rough, 100, 1000, &measured, None);
        assert!(text.contains("The fit's R² is only 0.730, so its prediction was a rough guess."), "{text}");
        assert!(text.ends_with("on the 1,000 test images."), "{text}");
        // Noisy timings can fit a falling line: then there is no prediction and no ratio.
        let falling = ScalingSummary { slope: -0.0001, intercept: 0.2, full_seconds: -5.8, ..s };
        assert_eq!(falling.per_epoch_prediction(100), None);
        let text = check_text(&falling, 100, 1000, &measured, None);
        assert!(text.starts_with("One epoch on all 60,000 examples took 0.90 s. The line fitted"), "{text}");
        assert!(text.contains("predicted nothing to compare with"), "{text}");
        assert!(!text.contains("x the extrapolation") && !text.contains("unknown"), "{text}");
        assert!(text.ends_with("on the 1,000 test images."), "{text}");
    }

    #[test]
    fn short_noisy_timings_are_not_called_linear_and_are_flagged() {
        let results = timed(&[(500, 0.17), (1000, 0.21), (1500, 0.28), (2000, 0.84)], 3);
        let s = summarise(&results).unwrap();
        assert!(s.r_squared < LINEAR_R2, "{}", s.r_squared);
        assert!((s.r_squared - 0.7345).abs() < 1e-3, "{}", s.r_squared);
        assert_eq!(s.residuals.iter().map(|r| r.0).collect::<Vec<_>>(), vec![500, 1000, 1500, 2000]);
        let (time, _) = answers(&results, Some(&s));
        assert!(!time.contains("roughly linear") || time.contains("\"roughly linear\" needs"), "{time}");
        assert!(!time.contains("grows roughly linearly"), "{time}");
        assert!(time.starts_with("These times are not well fitted by a line"), "{time}");
        assert!(time.contains("least-squares line is t = 4.160e-4 s x N - 0.15 s with R² = 0.735"), "{time}");
        assert!(time.contains("measured minus fitted: N = 500: +0.11 s, N = 1,000: -0.061 s"), "{time}");
        assert!(time.contains("Its intercept is negative (-0.15 s)"), "{time}");
        assert!(time.contains("Careful: all 4 timings are under a second"), "{time}");
        // 3 epochs gave a shortest run of 0.17 s: 3 x 2 / 0.17 = 35.3 -> 36 epochs for 2 s.
        assert!(
            time.contains("Train more epochs (about 36, so that the shortest run lasts 2 s or more, instead of 3)"),
            "{time}"
        );
        assert!(time.contains("if the line held"), "{time}");
    }

    #[test]
    fn an_exactly_linear_set_is_called_roughly_linear() {
        let results = timed(&[(500, 2.5), (1000, 5.0), (1500, 7.5), (2000, 10.0)], 10);
        let s = summarise(&results).unwrap();
        assert!((s.r_squared - 1.0).abs() < 1e-12);
        let (time, _) = answers(&results, Some(&s));
        assert!(time.starts_with("Training time grows roughly linearly with the number of examples"), "{time}");
        assert!(time.contains("(R² = 1.000;"), "{time}");
        assert!(!time.contains("under a second") && !time.contains("negative"), "{time}");
        assert!(
            time.contains("For all 60,000 examples the same epochs would take about 5 min 00 s on this machine"),
            "{time}"
        );
        // One sub-second size is enough for the warning, even on a perfect line.
        let quick = timed(&[(500, 0.5), (1000, 1.0), (1500, 1.5), (2000, 2.0)], 10);
        let (time, _) = answers(&quick, summarise(&quick).as_ref());
        assert!(
            time.contains("grows roughly linearly") && time.contains("1 of the 4 timings are under a second"),
            "{time}"
        );
        assert!(time.contains("about 40, so that"), "{time}");
    }

    #[test]
    fn models_at_chance_are_said_not_to_have_learned() {
        let results = timed(&[(100, 0.1), (200, 0.13), (300, 0.11)], 3);
        let results: Vec<_> =
            results.into_iter().zip([10.0, 10.0, 10.2]).map(|(r, acc)| SizeResult { test_acc: acc, ..r }).collect();
        let (_, acc) = answers(&results, summarise(&results).as_ref());
        assert!(acc.starts_with("None of these models learned"), "{acc}");
        assert!(acc.contains("(best 10.2%; chance is 10% for ten digits)"), "{acc}");
        assert!(acc.contains("3 epochs at the homework's learning rate") && acc.contains("homework uses 100"), "{acc}");
        assert!(!acc.contains("rises") && !acc.contains("diminishing"), "{acc}");
        // One model past chance is a model that learned: the usual answer.
        let mut learned = results.clone();
        learned[2].test_acc = 40.0;
        let (_, acc) = answers(&learned, summarise(&learned).as_ref());
        assert!(acc.starts_with("Test accuracy goes from 10.0%"), "{acc}");
    }

    #[test]
    fn two_sizes_fit_exactly_and_say_so() {
        let results = timed(&[(100, 1.5), (200, 3.0)], 3);
        let (time, _) = answers(&results, summarise(&results).as_ref());
        assert!(time.contains("With two sizes any line passes through both exactly"), "{time}");
        assert!(!time.contains("roughly linear"), "{time}");
        assert!(!time.contains("under a second"), "1.5 s and 3.0 s are long enough: {time}");
        let quick = timed(&[(100, 0.3), (200, 0.5)], 3);
        let (time, _) = answers(&quick, summarise(&quick).as_ref());
        assert!(time.contains("Careful: both timings are under a second"), "{time}");
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
        assert!(time.contains("roughly linearly") && time.contains("t = 3.960e-3 s x N + 0.05 s"), "{time}");
        assert!(
            time.contains("(R² = 0.999; 500 to 2,000 examples took 2.0 s to 8.0 s; measured minus fitted:"),
            "{time}"
        );
        assert!(time.contains("Its intercept, 0.050 s, reads as a fixed cost per run"), "{time}");
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
