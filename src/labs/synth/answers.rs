//! The homework's questions for the synthetic-edges lab, answered from a run's numbers.
//! Nothing here is written in advance: every sentence is built from kernels, records and
//! sweeps that the run produced.

use crate::data::synthetic::{Bar, Orientation, SIZE, SynthSet};
use crate::labs::synth::{LEARNING_EPOCHS, LEARNING_LR, SynthLab};
use crate::metrics::format_count;
use crate::run::{EpochRecord, Kernels, ShiftSweep};
use crate::verdict::Verdict;

/// Chance accuracy of the two-class task, in percent.
pub const CHANCE: f64 = 50.0;

/// The verdict on a Synth CNN run from its records.
pub fn verdict(records: &[EpochRecord]) -> Verdict {
    Verdict::of(records, CHANCE)
}

/// How strongly one first-layer kernel responds to each orientation: the largest ReLU output
/// of the kernel (plus its bias) over a noise-free image of a centred bar of that orientation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KernelTuning {
    pub horizontal: f32,
    pub vertical: f32,
}

/// A response this many times the other counts as preferring an orientation.
pub const PREFERENCE_RATIO: f32 = 1.5;

impl KernelTuning {
    pub fn of(kernel: &[f32], k: usize, bias: f32) -> Self {
        let response = |o| {
            let mut image = vec![0f32; SIZE * SIZE];
            Bar::centred(o).draw(&mut image);
            max_relu_response(&image, SIZE, kernel, k, bias)
        };
        Self { horizontal: response(Orientation::Horizontal), vertical: response(Orientation::Vertical) }
    }

    /// The orientation this kernel prefers, if it clearly prefers one.
    pub fn preferred(&self) -> Option<Orientation> {
        let (h, v) = (self.horizontal, self.vertical);
        if h > v * PREFERENCE_RATIO && h > 0.0 {
            Some(Orientation::Horizontal)
        } else if v > h * PREFERENCE_RATIO && v > 0.0 {
            Some(Orientation::Vertical)
        } else {
            None
        }
    }

    pub fn describe(&self) -> String {
        let (h, v) = (self.horizontal, self.vertical);
        match self.preferred() {
            Some(o) => {
                let (a, b) = if o == Orientation::Horizontal { (h, v) } else { (v, h) };
                let ratio = if b > 0.0 { format!("{:.1}x", a / b) } else { "infinitely".into() };
                format!("responds to {} bars ({ratio} as strongly: {a:.2} vs {b:.2})", o.name())
            }
            None if h <= 0.0 && v <= 0.0 => "is silent on both orientations (ReLU output 0)".into(),
            None => format!("responds to both orientations about equally ({h:.2} horizontal, {v:.2} vertical)"),
        }
    }
}

/// The largest value of ReLU(kernel * image + bias) over all valid positions.
fn max_relu_response(image: &[f32], size: usize, kernel: &[f32], k: usize, bias: f32) -> f32 {
    let mut best = 0f32;
    for r in 0..=size - k {
        for c in 0..=size - k {
            let mut sum = bias;
            for i in 0..k {
                for j in 0..k {
                    sum += kernel[i * k + j] * image[(r + i) * size + c + j];
                }
            }
            best = best.max(sum);
        }
    }
    best
}

/// The tuning of every first-layer kernel of a run.
pub fn tunings(kernels: &Kernels) -> Vec<KernelTuning> {
    let [out, _, k, _] = kernels.shape;
    (0..out).map(|o| KernelTuning::of(kernels.kernel(o, 0), k, kernels.biases[o])).collect()
}

/// Answer to "plot the first-layer kernels: what do they respond to?". The kernels of a model
/// at chance are still near their random start: they are not read as detectors.
pub fn kernels_answer(kernels: &Kernels, verdict: Verdict) -> String {
    if verdict.at_chance() {
        return format!(
            "Nothing yet: the model stayed at chance, so its {} kernels are still close to their random initial \
             weights and do not detect anything. Train it so that it learns (e.g. with learning rate {LEARNING_LR}) \
             and read them again.",
            kernels.shape[0]
        );
    }
    tunings(kernels)
        .iter()
        .enumerate()
        .map(|(i, t)| format!("Kernel {} {}.", i + 1, t.describe()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Answer to "repeat a few times: what stays the same?", from every run's kernels and
/// verdict. Runs that stayed at chance are left out of the comparison: their kernels are noise.
pub fn repeats_answer(runs: &[(Kernels, Verdict)]) -> String {
    let learned: Vec<&Kernels> = runs.iter().filter(|(_, v)| !v.at_chance()).map(|(k, _)| k).collect();
    let skipped = runs.len() - learned.len();
    let skipped_note = match skipped {
        0 => String::new(),
        1 => " One run stayed at chance and is left out: its kernels are still random.".into(),
        n => format!(" {n} runs stayed at chance and are left out: their kernels are still random."),
    };
    if learned.len() < 2 {
        return format!(
            "Train at least two runs that learn (\"Run again with a new seed\") to compare them.{skipped_note}"
        );
    }
    let per_run: Vec<Vec<Option<Orientation>>> =
        learned.iter().map(|k| tunings(k).iter().map(KernelTuning::preferred).collect()).collect();
    let covers_both = per_run
        .iter()
        .filter(|r| r.contains(&Some(Orientation::Horizontal)) && r.contains(&Some(Orientation::Vertical)))
        .count();
    let tuned: usize = per_run.iter().flatten().filter(|p| p.is_some()).count();
    let total: usize = per_run.iter().map(Vec::len).sum();
    let listing = per_run
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let names: Vec<&str> = r.iter().map(|p| p.map_or("neither", Orientation::name)).collect();
            format!("run {}: {}", i + 1, names.join(" + "))
        })
        .collect::<Vec<_>>()
        .join("; ");
    let stays = if tuned == total {
        "what stays is that every kernel becomes an oriented detector"
    } else if 2 * tuned >= total {
        "what stays is that most kernels become oriented detectors"
    } else {
        "most kernels do not clearly prefer one orientation, so no common pattern shows yet"
    };
    format!(
        "Across {} runs that learned, {tuned} of {total} kernels prefer one orientation, and in {covers_both} of {} runs \
         the two kernels split the work, one per orientation ({listing}). What changes between runs is \
         which kernel takes which orientation, the sign pattern and the exact weights; {stays}.{skipped_note}",
        learned.len(),
        learned.len()
    )
}

/// Summary of a shift sweep for one class.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SweepStats {
    pub class: u8,
    pub positions: usize,
    /// Positions where the true class has probability above one half.
    pub correct: usize,
    pub min_p: f32,
    pub max_p: f32,
}

pub fn sweep_stats(sweep: &ShiftSweep) -> Vec<SweepStats> {
    sweep
        .grids
        .iter()
        .map(|g| SweepStats {
            class: g.class,
            positions: g.p_true.len(),
            correct: g.p_true.iter().filter(|&&p| p > 0.5).count(),
            min_p: g.p_true.iter().cloned().fold(f32::INFINITY, f32::min),
            max_p: g.p_true.iter().cloned().fold(f32::NEG_INFINITY, f32::max),
        })
        .collect()
}

/// Wrong positions up to this share of all count as a region the model is wrong "only" in.
const FEW_WRONG: f64 = 0.25;

/// Answer to "is the classification shift invariant?", from the sweep over every position.
/// A model at chance is said to be at chance: its sweep shows a coin, not invariance.
pub fn shift_answer(sweep: &ShiftSweep, verdict: Verdict) -> String {
    let per_class = sweep_stats(sweep)
        .iter()
        .zip(&sweep.grids)
        .map(|(s, grid)| {
            let wrong_count = s.positions - s.correct;
            let wrong = match wrong_region(grid) {
                None => " It is right at every position.".to_string(),
                Some(_) if s.correct == 0 => " It is wrong at every position.".to_string(),
                Some((rows, cols)) if (wrong_count as f64) <= FEW_WRONG * s.positions as f64 => {
                    format!(" It is wrong only with the bar's corner in rows {rows} and columns {cols}.")
                }
                Some((rows, cols)) => format!(
                    " It is wrong at {} positions, spread over rows {rows} and columns {cols}.",
                    format_count(wrong_count)
                ),
            };
            format!(
                "With a {} bar at each of its {} possible positions, the model gives the right class at {} \
                 ({:.0}%), with the true class's probability between {:.2} and {:.2}.{wrong}",
                Orientation::from_label(s.class).name(),
                format_count(s.positions),
                format_count(s.correct),
                100.0 * s.correct as f64 / s.positions as f64,
                s.min_p,
                s.max_p
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    if verdict.at_chance() {
        format!(
            "Not yet: the model stayed at chance, so it is not invariant to shifts, it is indifferent to the \
             image. Its answers are close to a coin everywhere. {per_class}"
        )
    } else {
        per_class
    }
}

/// The bounding box ("a-b" rows, "c-d" columns) of the positions classified wrongly, if any.
fn wrong_region(grid: &crate::run::SweepGrid) -> Option<(String, String)> {
    let wrong: Vec<(usize, usize)> =
        (0..grid.p_true.len()).filter(|&i| grid.p_true[i] <= 0.5).map(|i| (i / grid.cols, i % grid.cols)).collect();
    let span = |values: Vec<usize>| {
        let (lo, hi) = (values.iter().min()?, values.iter().max()?);
        Some(if lo == hi { lo.to_string() } else { format!("{lo}-{hi}") })
    };
    Some((span(wrong.iter().map(|w| w.0).collect())?, span(wrong.iter().map(|w| w.1).collect())?))
}

/// Answer to "what is common within a class, and what varies?", measured on a generated set.
pub fn data_answer(set: &SynthSet) -> String {
    let mut parts = vec![];
    for o in [Orientation::Horizontal, Orientation::Vertical] {
        let bars: Vec<&Bar> = set.bars.iter().filter(|b| b.orientation == o).collect();
        let span = |f: fn(&Bar) -> usize| {
            let (lo, hi) = bars.iter().fold((usize::MAX, 0), |(lo, hi), b| (lo.min(f(b)), hi.max(f(b))));
            format!("{lo}-{hi}")
        };
        let (h, w) = Bar::extent(o);
        parts.push(format!(
            "all {} {} images hold one {h}x{w}-pixel bar, its top-left corner at rows {} and columns {}",
            bars.len(),
            o.name(),
            span(|b| b.row),
            span(|b| b.col)
        ));
    }
    // Mean and standard deviation of every pixel off the bar, in two passes over the images
    // (not gathered into one buffer: a thousand images are 3 MB).
    let background = || {
        set.bars.iter().enumerate().flat_map(|(i, bar)| {
            let pixels = set.data.image(i).iter().enumerate();
            pixels.filter(move |(p, _)| !bar.covers(p / SIZE, p % SIZE)).map(|(_, &v)| v as f64)
        })
    };
    let (count, sum) = background().fold((0usize, 0.0), |(n, s), v| (n + 1, s + v));
    let mean = sum / count.max(1) as f64;
    let std = (background().map(|v| (v - mean).powi(2)).sum::<f64>() / count.max(1) as f64).sqrt();
    let mean = if mean.abs() < 5e-4 { 0.0 } else { mean }; // print 0.000, not -0.000
    format!(
        "In these {} images, {}. What is common within a class is the bar's orientation; what varies is its position and the noise (background mean {mean:.3}, standard deviation {std:.3}).",
        crate::metrics::format_count(set.data.len()),
        parts.join("; ")
    )
}

/// Answer to "what did training do?", from the per-epoch records and the settings that made
/// them. A run at chance says it did not learn, and why these settings can do that.
pub fn training_answer(records: &[EpochRecord], lab: &SynthLab) -> String {
    let (Some(first), Some(last)) = (records.first(), records.last()) else {
        return "No epoch has finished yet.".into();
    };
    let valid = match (last.valid_loss, last.valid_acc) {
        (Some(l), Some(a)) => format!(" On the held-out images: loss {l:.4}, accuracy {a:.1}%."),
        _ => String::new(),
    };
    let trend = if last.train_loss < first.train_loss { "fell" } else { "did not fall" };
    let summary = format!(
        "Over {} epochs the training loss {trend} from {:.4} to {:.4} and the training accuracy went from \
         {:.1}% to {:.1}% (chance is 50%).{valid}",
        records.len(),
        first.train_loss,
        last.train_loss,
        first.train_acc,
        last.train_acc
    );
    if !verdict(records).at_chance() {
        return summary;
    }
    let t = &lab.train;
    let steps = records.len() * lab.train_size.div_ceil(t.batch_size.max(1));
    let small_lr = t.lr < LEARNING_LR;
    let why = if small_lr {
        format!(
            " At learning rate {} each of those {} steps (batch {}) moves the weights so little that, from \
             their small random start, they never leave the flat region where both classes look alike: the \
             net needs far more epochs at this rate, or a larger rate (at {LEARNING_LR} and batch 50 it leaves \
             chance within {LEARNING_EPOCHS} epochs).",
            t.lr,
            format_count(steps),
            t.batch_size,
        )
    } else {
        format!(
            " These settings ({} steps at learning rate {}, batch {}) did not move it off chance: try another \
             seed, or a learning rate near {LEARNING_LR}.",
            format_count(steps),
            t.lr,
            t.batch_size
        )
    };
    format!("The model did not learn: it is still at chance. {summary}{why}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::SweepGrid;

    /// A 5x5 kernel that sums a horizontal line (its middle row): a horizontal-bar detector.
    fn row_kernel() -> Vec<f32> {
        let mut k = vec![0f32; 25];
        k[10..15].fill(1.0);
        k
    }

    fn transpose(k: &[f32]) -> Vec<f32> {
        (0..25).map(|i| k[(i % 5) * 5 + i / 5]).collect()
    }

    #[test]
    fn a_row_kernel_prefers_horizontal_bars_and_its_transpose_vertical_ones() {
        let h = KernelTuning::of(&row_kernel(), 5, 0.0);
        // Centred on the bar's row the kernel covers 5 bar pixels; across a vertical bar, 1..2.
        assert_eq!(h.horizontal, 5.0);
        assert_eq!(h.vertical, 2.0);
        assert_eq!(h.preferred(), Some(Orientation::Horizontal));
        let v = KernelTuning::of(&transpose(&row_kernel()), 5, 0.0);
        assert_eq!(v.preferred(), Some(Orientation::Vertical));
        let neg: Vec<f32> = row_kernel().iter().map(|x| -x).collect();
        assert_eq!(KernelTuning::of(&neg, 5, 0.0).preferred(), None);
        assert!(KernelTuning::of(&neg, 5, 0.0).describe().contains("silent"));
    }

    #[test]
    fn answers_are_built_from_the_numbers() {
        let kernels = Kernels {
            shape: [2, 1, 5, 5],
            weights: [row_kernel(), transpose(&row_kernel())].concat(),
            biases: vec![0.0, 0.0],
        };
        let text = kernels_answer(&kernels, Verdict::Learned);
        assert!(text.starts_with("Kernel 1 responds to horizontal bars (2.5x"), "{text}");
        assert!(text.contains("Kernel 2 responds to vertical bars"), "{text}");
        let repeats = repeats_answer(&[(kernels.clone(), Verdict::Learned), (kernels, Verdict::Learned)]);
        assert!(repeats.contains("in 2 of 2 runs"), "{repeats}");
        assert!(repeats.contains("every kernel becomes an oriented detector"), "{repeats}");
        let sweep =
            ShiftSweep { grids: vec![SweepGrid { class: 1, rows: 1, cols: 4, p_true: vec![0.9, 0.6, 0.4, 0.95] }] };
        let shift = shift_answer(&sweep, Verdict::Learned);
        assert!(shift.contains("vertical bar at each of its 4 possible positions"), "{shift}");
        assert!(shift.contains("at 3 (75%)") && shift.contains("between 0.40 and 0.95"), "{shift}");
        assert!(shift.contains("wrong only with the bar's corner in rows 0 and columns 2."), "{shift}");
    }

    /// The homework's defaults leave the net at chance: nothing is explained as learned.
    #[test]
    fn a_run_at_chance_is_said_not_to_have_learned() {
        let lab = SynthLab::homework();
        let records = [record(1, 0.6935, 50.0, 50.2), record(2, 0.6934, 50.0, 49.9)];
        let at_chance = verdict(&records);
        assert!(at_chance.at_chance());
        let text = training_answer(&records, &lab);
        assert!(text.starts_with("The model did not learn: it is still at chance."), "{text}");
        assert!(text.contains("At learning rate 0.0001 each of those 400 steps (batch 50)"), "{text}");
        assert!(text.contains(&format!("at {LEARNING_LR} and batch 50")), "{text}");
        // Its kernels are not read as detectors, and its sweep is not called invariant.
        let kernels = Kernels {
            shape: [2, 1, 5, 5],
            weights: [row_kernel(), transpose(&row_kernel())].concat(),
            biases: vec![0.0, 0.0],
        };
        let k = kernels_answer(&kernels, at_chance);
        assert!(k.starts_with("Nothing yet: the model stayed at chance") && !k.contains("responds"), "{k}");
        let coin = ShiftSweep { grids: vec![SweepGrid { class: 0, rows: 2, cols: 2, p_true: vec![0.49; 4] }] };
        let shift = shift_answer(&coin, at_chance);
        assert!(shift.starts_with("Not yet: the model stayed at chance"), "{shift}");
        assert!(shift.contains("It is wrong at every position.") && !shift.contains("only"), "{shift}");
        // Runs at chance are left out of the comparison of repeats.
        let repeats = repeats_answer(&[(kernels.clone(), at_chance), (kernels, Verdict::Learned)]);
        assert!(repeats.starts_with("Train at least two runs that learn"), "{repeats}");
        assert!(repeats.contains("One run stayed at chance"), "{repeats}");
        // A run that learned gets the plain summary.
        let learned = [record(1, 0.69, 50.0, 50.0), record(2, 0.2, 95.0, 94.0)];
        assert!(training_answer(&learned, &lab).starts_with("Over 2 epochs the training loss fell"));
    }

    #[test]
    fn a_sweep_wrong_in_many_places_is_never_called_wrong_only_there() {
        let many = ShiftSweep {
            grids: vec![SweepGrid { class: 0, rows: 2, cols: 4, p_true: vec![0.9, 0.4, 0.4, 0.4, 0.9, 0.4, 0.9, 0.9] }],
        };
        let text = shift_answer(&many, Verdict::Learned);
        assert!(text.contains("It is wrong at 4 positions, spread over rows 0-1 and columns 1-3."), "{text}");
        assert!(!text.contains("only"), "{text}");
        let right = ShiftSweep { grids: vec![SweepGrid { class: 0, rows: 1, cols: 2, p_true: vec![0.9, 0.8] }] };
        assert!(shift_answer(&right, Verdict::Learned).ends_with("It is right at every position."));
    }

    #[test]
    fn data_answer_measures_positions_and_noise() {
        let set = crate::data::synthetic::generate(400, 2, crate::data::synthetic::Which::Train);
        let text = data_answer(&set);
        assert!(text.starts_with("In these 400 images, all 200 horizontal images hold one 2x12-pixel bar"), "{text}");
        assert!(text.contains("standard deviation 0.1"), "{text}");
        // The background's figures are those of every off-bar pixel gathered the plain way.
        let mut background = vec![];
        for (i, bar) in set.bars.iter().enumerate() {
            let mut mask = vec![0f32; SIZE * SIZE];
            bar.draw(&mut mask);
            background.extend(set.data.image(i).iter().zip(&mask).filter(|(_, m)| **m == 0.0).map(|(v, _)| *v));
        }
        assert_eq!(background.len(), 400 * (SIZE * SIZE - 24));
        let (mean, std) = crate::metrics::mean_std(&background);
        let mean = if mean.abs() < 5e-4 { 0.0 } else { mean };
        assert!(text.contains(&format!("(background mean {mean:.3}, standard deviation {std:.3})")), "{text}");
    }

    fn record(epoch: usize, loss: f64, train_acc: f64, valid_acc: f64) -> EpochRecord {
        EpochRecord {
            epoch,
            train_loss: loss,
            train_acc,
            valid_loss: Some(loss),
            valid_acc: Some(valid_acc),
            seconds: 1.0,
            examples_per_s: 1.0,
        }
    }

    #[test]
    fn training_answer_reports_first_and_last_epoch() {
        let lab = SynthLab::homework();
        let text = training_answer(&[record(1, 0.7, 50.0, 50.0), record(2, 0.3, 90.0, 90.0)], &lab);
        assert!(text.contains("fell from 0.7000 to 0.3000"), "{text}");
        assert!(text.contains("accuracy 90.0%"), "{text}");
        assert_eq!(training_answer(&[], &lab), "No epoch has finished yet.");
    }
}
