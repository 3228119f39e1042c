//! What a trained network gets right and wrong on a test evaluation: the confusion matrix
//! (rows = true class, columns = predicted class), per-class accuracy, and the most confident
//! mistakes. Computed on the host from one readback of the test set's class probabilities, so
//! the page, the report and the CLI all read the same numbers.

use serde::{Deserialize, Serialize};

use crate::metrics::format_count;

/// The headers of [`Evaluation::mistake_rows`].
/// "1 image", "1,204 images".
pub fn images(n: u32) -> String {
    format!("{} image{}", format_count(n as usize), if n == 1 { "" } else { "s" })
}

pub const MISTAKE_HEADERS: [&str; 5] = ["image", "true class", "predicted", "confidence (%)", "top 3"];

/// How many of the most confident wrong predictions a test evaluation keeps (the CLI's
/// `"mistakes"`; the page shows them as a gallery).
pub const MISTAKES_KEPT: usize = 20;

/// Counts of test images by (true class, predicted class).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Confusion {
    /// `counts[true][predicted]`.
    pub counts: Vec<Vec<u32>>,
}

/// One class's share of the matrix: its test images and how many were predicted right.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClassAccuracy {
    pub images: u32,
    pub correct: u32,
}

impl ClassAccuracy {
    /// Percent right, or `None` for a class with no test image.
    pub fn percent(&self) -> Option<f64> {
        (self.images > 0).then(|| 100.0 * self.correct as f64 / self.images as f64)
    }
}

impl Confusion {
    /// The matrix of `labels` against `predicted` (same length), over `classes` classes.
    /// Labels or predictions outside the classes are programmer errors and are skipped.
    pub fn from_predictions(labels: &[usize], predicted: &[usize], classes: usize) -> Self {
        let mut counts = vec![vec![0u32; classes]; classes];
        for (&t, &p) in labels.iter().zip(predicted) {
            if let Some(cell) = counts.get_mut(t).and_then(|row| row.get_mut(p)) {
                *cell += 1;
            }
        }
        Self { counts }
    }

    pub fn classes(&self) -> usize {
        self.counts.len()
    }

    /// Every test image counted once.
    pub fn total(&self) -> u32 {
        self.counts.iter().flatten().sum()
    }

    /// The images on the diagonal: predicted as their own class.
    pub fn correct(&self) -> u32 {
        self.counts.iter().enumerate().map(|(i, row)| row.get(i).copied().unwrap_or(0)).sum()
    }

    /// Accuracy in percent: the trace over the total.
    pub fn accuracy(&self) -> f64 {
        crate::metrics::accuracy_percent(self.correct() as usize, self.total() as usize)
    }

    /// Per true class: its images and how many were right.
    pub fn per_class(&self) -> Vec<ClassAccuracy> {
        self.counts
            .iter()
            .enumerate()
            .map(|(i, row)| ClassAccuracy { images: row.iter().sum(), correct: row.get(i).copied().unwrap_or(0) })
            .collect()
    }

    /// Per-class accuracy in percent (`None` for a class with no test image), as the CLI's
    /// `"per_class_acc"`.
    pub fn per_class_percent(&self) -> Vec<Option<f64>> {
        self.per_class().iter().map(ClassAccuracy::percent).collect()
    }

    /// The share of its true class's images that a cell holds, in percent.
    pub fn row_share(&self, t: usize, p: usize) -> f64 {
        let row = &self.counts[t];
        crate::metrics::accuracy_percent(row[p] as usize, row.iter().sum::<u32>() as usize)
    }

    /// The off-diagonal cell with the most images, as (true, predicted, count): the confusion
    /// the model makes most. `None` when every prediction was right.
    pub fn worst_confusion(&self) -> Option<(usize, usize, u32)> {
        let mut worst = None;
        for (t, row) in self.counts.iter().enumerate() {
            for (p, &n) in row.iter().enumerate() {
                if t != p && n > 0 && worst.is_none_or(|(_, _, m)| n > m) {
                    worst = Some((t, p, n));
                }
            }
        }
        worst
    }
}

/// Pictures as base64 text: a third of the size of JSON numbers in a saved run (saved runs of
/// format 1 held number arrays; `runs::format` rewrites them) or a worker's message.
pub(crate) mod bytes_base64 {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        STANDARD.decode(String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// A test image the model got wrong.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mistake {
    /// Index in the evaluated test set.
    pub index: usize,
    pub label: usize,
    pub predicted: usize,
    /// The probability the model gave its (wrong) prediction.
    pub confidence: f32,
    /// The three most probable classes with their probabilities, most probable first.
    pub top: Vec<(usize, f32)>,
    /// The image, `[h, w, c]` bytes 0..255 ([`Evaluation::image_shape`]), for the gallery.
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "bytes_base64")]
    pub pixels: Vec<u8>,
}

/// Which images an evaluation counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Held {
    /// The test set, evaluated once after training.
    #[default]
    Test,
    /// The validation images (the synth lab has no test set).
    Valid,
}

impl Held {
    /// "the test set", "the validation images".
    pub fn words(self) -> &'static str {
        match self {
            Held::Test => "the test set",
            Held::Valid => "the validation images",
        }
    }
}

/// A test evaluation in detail: the matrix and the most confident mistakes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    #[serde(default)]
    pub held: Held,
    /// The class names, in class order.
    pub names: Vec<String>,
    pub confusion: Confusion,
    /// At most [`MISTAKES_KEPT`], most confident first.
    pub mistakes: Vec<Mistake>,
    /// `[h, w, c]` of the mistakes' pixels (zero when they have none).
    #[serde(default)]
    pub image_shape: [usize; 3],
    /// The trained model's verdict on each image the student marked as hard (DogSet).
    #[serde(default)]
    pub picks: Vec<PickVerdict>,
}

/// The trained model on an image the student marked as hard: what it predicts, the
/// probability it gives the true class, and how hard the image is among its partition's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PickVerdict {
    /// Index in the training partition.
    pub index: usize,
    pub label: usize,
    pub predicted: usize,
    pub p_true: f32,
    /// The image's cross-entropy loss.
    pub loss: f32,
    /// 1 for the image with the highest loss in the partition.
    pub rank: usize,
    /// Images in the partition.
    pub of: usize,
    /// `[h, w, c]` bytes, as [`Mistake::pixels`].
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "bytes_base64")]
    pub pixels: Vec<u8>,
}

impl PickVerdict {
    /// Each picked image's verdict from a partition's per-image losses `[n]`, class
    /// probabilities `[n, classes]`, predictions and labels.
    pub fn judge(losses: &[f32], probs: &[f32], predicted: &[usize], labels: &[usize], picks: &[usize]) -> Vec<Self> {
        let classes = probs.len() / losses.len().max(1);
        picks
            .iter()
            .filter(|&&i| i < losses.len())
            .map(|&index| PickVerdict {
                index,
                label: labels[index],
                predicted: predicted[index],
                p_true: probs[index * classes + labels[index]],
                loss: losses[index],
                // Harder images have higher losses; ties share the better rank.
                rank: 1 + losses.iter().filter(|&&l| l > losses[index]).count(),
                of: losses.len(),
                pixels: vec![],
            })
            .collect()
    }

    /// The share of the partition's images at least as hard as this one, in percent.
    pub fn top_percent(&self) -> f64 {
        100.0 * self.rank as f64 / self.of.max(1) as f64
    }
}

/// The `k` most probable classes, most probable first (lower class first on ties).
pub fn top_k(probs: &[f32], k: usize) -> Vec<(usize, f32)> {
    let mut order: Vec<usize> = (0..probs.len()).collect();
    order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]).then(a.cmp(&b)));
    order.into_iter().take(k).map(|i| (i, probs[i])).collect()
}

impl Evaluation {
    /// From the test set's class probabilities `[n, classes]` (row-major), the predicted class
    /// of each image (as the accuracy counted it), the labels `[n]` and the class names (numbers
    /// stand in for names missing).
    pub fn new(probs: &[f32], predicted: &[usize], labels: &[usize], names: &[String]) -> Self {
        // The model's outputs set the classes (a DogSet net has 10 whatever the set names).
        let classes = probs.len() / labels.len().max(1);
        let names: Vec<String> = (0..classes).map(|i| names.get(i).cloned().unwrap_or_else(|| i.to_string())).collect();
        let rows: Vec<&[f32]> = probs.chunks(classes.max(1)).collect();
        let confusion = Confusion::from_predictions(labels, predicted, classes);
        let mut mistakes: Vec<Mistake> = labels
            .iter()
            .zip(predicted)
            .enumerate()
            .filter(|(_, (t, p))| t != p)
            .map(|(index, (&label, &predicted))| Mistake {
                index,
                label,
                predicted,
                confidence: rows[index][predicted],
                top: top_k(rows[index], 3),
                pixels: vec![],
            })
            .collect();
        // Most confident first; the lower index first among equals, so the list is stable.
        mistakes.sort_by(|a, b| b.confidence.total_cmp(&a.confidence).then(a.index.cmp(&b.index)));
        mistakes.truncate(MISTAKES_KEPT);
        Self { held: Held::Test, names, confusion, mistakes, image_shape: [0; 3], picks: vec![] }
    }

    /// Each mistake with its picture: `pixels(index)` gives the `[h, w, c]` bytes of the
    /// evaluated image `index`.
    pub fn with_images(mut self, image_shape: [usize; 3], pixels: impl Fn(usize) -> Vec<u8>) -> Self {
        for m in &mut self.mistakes {
            m.pixels = pixels(m.index);
        }
        self.image_shape = image_shape;
        self
    }

    /// Class `i`'s name (its number where the run kept no names).
    pub fn name(&self, i: usize) -> String {
        self.names.get(i).cloned().unwrap_or_else(|| i.to_string())
    }

    /// The matrix in a sentence, under its chart: how to read it, the diagonal's share, and
    /// the confusion the model makes most. `what` names the model ("the CNN").
    pub fn caption(&self, what: &str) -> String {
        let c = &self.confusion;
        let worst = c.worst_confusion().map_or_else(
            || " Every test image was classed right.".to_string(),
            |(t, p, n)| {
                format!(" Its most common mistake: {} taken for {} ({}).", self.name(t), self.name(p), images(n))
            },
        );
        format!(
            "Confusion matrix of {what} on {}: rows are the true class, columns the prediction; {} of {} images on \
             the diagonal ({:.1}%).{worst}",
            self.held.words(),
            format_count(c.correct() as usize),
            format_count(c.total() as usize),
            c.accuracy()
        )
    }

    /// The answer to the homework's hard-images question from the trained model: whether it
    /// finds the student's picks hard, each with its verdict. `None` without picks.
    pub fn picks_answer(&self, what: &str) -> Option<String> {
        let first = self.picks.first()?;
        let wrong = self.picks.iter().filter(|p| p.predicted != p.label).count();
        let hard = self.picks.iter().filter(|p| p.top_percent() <= 25.0).count();
        let each: Vec<String> = self
            .picks
            .iter()
            .map(|p| {
                let verdict = if p.predicted == p.label {
                    format!("classed right as {}", self.name(p.label))
                } else {
                    format!("taken for {}", self.name(p.predicted))
                };
                format!(
                    "image {} (a {}) is {verdict}, with {:.1}% for its true class, and ranks {} of {} by loss (the top {:.0}%)",
                    format_count(p.index),
                    self.name(p.label),
                    100.0 * p.p_true,
                    format_count(p.rank),
                    format_count(p.of),
                    p.top_percent().max(1.0)
                )
            })
            .collect();
        let n = self.picks.len();
        let of = format_count(first.of);
        let chance = crate::verdict::chance_percent(self.confusion.classes());
        let summary = match (hard, wrong) {
            _ if crate::verdict::Verdict::of_accuracy(self.confusion.accuracy(), None, chance).at_chance() => format!(
                "{what} stayed at about chance on {} ({:.1}%; chance is {chance:.0}%), so its verdicts on your \
                 images say little: train it until it learns, then look again.",
                self.held.words(),
                self.confusion.accuracy()
            ),
            (0, 0) => format!(
                "{what} does not find your marked images hard: it classes all {n} right, and none is among the hardest \
                 quarter of the {of} training images by loss."
            ),
            (h, _) if h == n => format!(
                "{what} agrees that your marked images are hard: all {n} are among the hardest quarter of the {of} \
                 training images by loss, and it gets {wrong} of them wrong."
            ),
            _ => format!(
                "{what} finds {hard} of your {n} marked images hard (among the hardest quarter of the {of} training \
                 images by loss) and gets {wrong} of them wrong."
            ),
        };
        Some(format!("{summary} In detail: {}.", each.join("; ")))
    }

    /// The mistakes table's caption, after "the": "20 test images the CNN got wrong ...".
    pub fn mistakes_caption(&self, what: &str) -> String {
        let images = match self.held {
            Held::Test => "test images",
            Held::Valid => "validation images",
        };
        format!("{} {images} {what} got wrong with the highest confidence", self.mistakes.len())
    }

    /// The chart's accessible name.
    pub fn label(&self, what: &str) -> String {
        format!("Confusion matrix of {what} on {}", self.held.words())
    }

    /// The mistakes as table rows: test image, true class, predicted, confidence (%), top 3.
    pub fn mistake_rows(&self) -> Vec<Vec<String>> {
        self.mistakes
            .iter()
            .map(|m| {
                let top = m.top.iter().map(|(k, p)| format!("{} {:.1}%", self.name(*k), 100.0 * p)).collect::<Vec<_>>();
                vec![
                    format_count(m.index),
                    self.name(m.label),
                    self.name(m.predicted),
                    format!("{:.1}", 100.0 * m.confidence),
                    top.join(", "),
                ]
            })
            .collect()
    }

    /// The CLI's JSON fields: `"confusion"` (rows = true class), `"per_class_acc"` (percent,
    /// null for a class with no test image) and `"mistakes"` (`{index, label, predicted,
    /// confidence}`, most confident first).
    pub fn json_fields(&self) -> serde_json::Map<String, serde_json::Value> {
        let mistakes: Vec<serde_json::Value> = self
            .mistakes
            .iter()
            .map(|m| serde_json::json!({"index": m.index, "label": m.label, "predicted": m.predicted, "confidence": m.confidence}))
            .collect();
        let mut fields = serde_json::Map::new();
        fields.insert("confusion".into(), serde_json::json!(self.confusion.counts));
        fields.insert("per_class_acc".into(), serde_json::json!(self.confusion.per_class_percent()));
        fields.insert("mistakes".into(), mistakes.into());
        fields
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("c{i}")).collect()
    }

    #[test]
    fn the_matrix_counts_true_rows_against_predicted_columns() {
        // Worked by hand: classes 0..3, six images.
        let labels = [0, 0, 1, 1, 2, 2];
        let predicted = [0, 1, 1, 1, 0, 2];
        let c = Confusion::from_predictions(&labels, &predicted, 3);
        assert_eq!(c.counts, vec![vec![1, 1, 0], vec![0, 2, 0], vec![1, 0, 1]]);
        assert_eq!(c.total(), 6);
        assert_eq!(c.correct(), 4);
        assert!((c.accuracy() - 400.0 / 6.0).abs() < 1e-12);
        assert_eq!(c.per_class_percent(), vec![Some(50.0), Some(100.0), Some(50.0)]);
        assert_eq!(c.row_share(2, 0), 50.0);
        assert_eq!(c.worst_confusion(), Some((0, 1, 1)));
        let empty = Confusion::from_predictions(&[0], &[0], 2);
        assert_eq!(empty.per_class_percent(), vec![Some(100.0), None]);
        assert_eq!(empty.worst_confusion(), None);
    }

    #[test]
    fn mistakes_are_the_most_confident_wrong_predictions_with_their_top_three() {
        let probs = [
            0.7, 0.2, 0.1, // image 0, label 0: right
            0.6, 0.3, 0.1, // image 1, label 1: wrong, confidence 0.6
            0.1, 0.1, 0.8, // image 2, label 0: wrong, confidence 0.8
            0.2, 0.5, 0.3, // image 3, label 2: wrong, confidence 0.5
        ];
        let e = Evaluation::new(&probs, &[0, 0, 2, 1], &[0, 1, 0, 2], &names(3));
        assert_eq!(e.confusion.total(), 4);
        assert_eq!(e.confusion.correct(), 1);
        let order: Vec<usize> = e.mistakes.iter().map(|m| m.index).collect();
        assert_eq!(order, vec![2, 1, 3]);
        let top = vec![(2, 0.8), (0, 0.1), (1, 0.1)];
        assert_eq!(e.mistakes[0], Mistake { index: 2, label: 0, predicted: 2, confidence: 0.8, top, pixels: vec![] });
        let e = e.with_images([1, 2, 1], |i| vec![i as u8, 7]);
        assert_eq!(e.mistakes[0].pixels, [2, 7]);
        assert_eq!(e.image_shape, [1, 2, 1]);
        assert_eq!(top_k(&[0.25, 0.5, 0.25], 3), vec![(1, 0.5), (0, 0.25), (2, 0.25)]);
        assert_eq!(e.mistake_rows()[0], ["2", "c0", "c2", "80.0", "c2 80.0%, c0 10.0%, c1 10.0%"]);
        assert_eq!(
            e.caption("the CNN"),
            "Confusion matrix of the CNN on the test set: rows are the true class, columns the prediction; 1 of 4 images \
             on the diagonal (25.0%). Its most common mistake: c0 taken for c2 (1 image)."
        );
    }

    #[test]
    fn a_picked_image_is_ranked_by_its_loss_among_the_partition() {
        let losses = [0.1, 2.0, 0.5, 2.0, 0.05];
        let probs = [0.9, 0.1, 0.2, 0.8, 0.6, 0.4, 0.3, 0.7, 0.95, 0.05];
        let predicted = [0, 1, 0, 1, 0];
        let labels = [0, 0, 0, 0, 0];
        let v = PickVerdict::judge(&losses, &probs, &predicted, &labels, &[3, 4, 99]);
        assert_eq!(v.len(), 2, "an index outside the partition is left out");
        assert_eq!((v[0].rank, v[0].of, v[0].predicted, v[0].p_true), (1, 5, 1, 0.3), "ties share the better rank");
        assert_eq!(v[1].rank, 5);
        let e = Evaluation { names: names(2), picks: v, ..Evaluation::default() };
        let answer = e.picks_answer("The CNN").unwrap();
        assert!(answer.starts_with("The CNN finds 1 of your 2 marked images hard"), "{answer}");
        assert!(
            answer.contains(
                "image 3 (a c0) is taken for c1, with 30.0% for its true class, and ranks 1 of 5 by loss (the top 20%)"
            ),
            "{answer}"
        );
        assert_eq!(Evaluation::default().picks_answer("The CNN"), None);
        // A model at chance on the test set: its verdicts are not read as evidence.
        let chance = Evaluation { confusion: Confusion { counts: vec![vec![5, 5], vec![5, 5]] }, ..e };
        assert!(
            chance
                .picks_answer("The CNN")
                .unwrap()
                .starts_with("The CNN stayed at about chance on the test set (50.0%; chance is 50%)")
        );
    }

    #[test]
    fn at_most_twenty_mistakes_are_kept() {
        let probs: Vec<f32> = (0..50).flat_map(|i| [0.0, 0.5 + i as f32 / 200.0]).collect();
        let e = Evaluation::new(&probs, &[1; 50], &[0; 50], &names(2));
        assert_eq!(e.mistakes.len(), MISTAKES_KEPT);
        assert_eq!(e.mistakes[0].index, 49);
        assert_eq!(e.confusion.counts, vec![vec![0, 50], vec![0, 0]]);
    }
}
