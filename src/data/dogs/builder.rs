//! The checked rows and their images built into the three partitions, with the load report.

use super::pixels::{Decoded, to_dog_pixels};
use super::rows::{CheckedCsv, Problem, Row};
use super::{DogSplits, DogsError, IMAGE_SHAPE, ImageError, LISTED_PROBLEMS, PARTITIONS};
use crate::data::shards::Shard;

/// A DogSet that could not be loaded: why, and what the checks found up to then (the page and
/// the CLI show both).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{error}")]
pub struct LoadFailure {
    pub error: DogsError,
    pub report: LoadReport,
}

/// What loading a DogSet kept, converted and refused.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LoadReport {
    /// Images kept per partition, in [`PARTITIONS`] order.
    pub kept: [usize; 3],
    /// Refused rows as `line N, file: message`, in line order.
    pub problems: Vec<String>,
    pub extra_columns: Vec<String>,
    pub resized: usize,
    pub greyscale: usize,
    pub alpha_dropped: usize,
}

impl LoadReport {
    /// The report as sentences: counts, notices, then the first [`LISTED_PROBLEMS`] problems
    /// and how many more there are.
    pub fn lines(&self) -> Vec<String> {
        let [train, valid, test] = self.kept;
        let mut lines = vec![format!("kept {train} train, {valid} valid and {test} test images")];
        if !self.extra_columns.is_empty() {
            lines.push(format!("ignored the extra columns: {}", self.extra_columns.join(", ")));
        }
        for (n, what) in [
            (self.resized, "were not 64x64 and were resized (bilinear)"),
            (self.greyscale, "were greyscale; their grey channel is repeated as R, G and B"),
            (self.alpha_dropped, "had transparency, which was dropped"),
        ] {
            if n > 0 {
                lines.push(format!("{n} images {what}"));
            }
        }
        if !self.problems.is_empty() {
            lines.push(format!("refused {} rows:", self.problems.len()));
            lines.extend(self.problems.iter().take(LISTED_PROBLEMS).cloned());
            if self.problems.len() > LISTED_PROBLEMS {
                lines.push(format!("and {} more", self.problems.len() - LISTED_PROBLEMS));
            }
        }
        lines
    }
}

/// Collects the images of checked rows and builds the partitions.
pub struct DogSetBuilder {
    csv: CheckedCsv,
    images: Vec<Option<Vec<u8>>>,
    report: LoadReport,
}

impl DogSetBuilder {
    pub fn new(csv: CheckedCsv) -> Self {
        let images = vec![None; csv.rows.len()];
        let report = LoadReport { extra_columns: csv.extra_columns.clone(), ..LoadReport::default() };
        Self { csv, images, report }
    }

    /// The rows whose images the host must provide, by index.
    pub fn rows(&self) -> &[Row] {
        &self.csv.rows
    }

    /// Row `i`'s image, or why there is none (missing file, does not decode).
    pub fn add_image(&mut self, i: usize, image: Result<Decoded, ImageError>) {
        match image {
            Ok(image)
                if image.width == 0 || image.height == 0 || image.rgba.len() != image.width * image.height * 4 =>
            {
                self.refuse(i, ImageError::Empty { width: image.width, height: image.height })
            }
            Ok(image) => {
                let (pixels, c) = to_dog_pixels(&image);
                self.report.resized += c.resized as usize;
                self.report.greyscale += c.greyscale as usize;
                self.report.alpha_dropped += c.alpha_dropped as usize;
                self.images[i] = Some(pixels);
            }
            Err(error) => self.refuse(i, error),
        }
    }

    fn refuse(&mut self, i: usize, error: ImageError) {
        let row = &self.csv.rows[i];
        self.csv.problems.push(Problem { line: row.line, file: row.file.clone(), message: error.to_string() });
    }

    /// The partitions and the report; an error when a partition ends up empty.
    pub fn finish(mut self) -> Result<(DogSplits, LoadReport), Box<LoadFailure>> {
        let mut splits: [Shard; 3] =
            std::array::from_fn(|_| Shard { images: vec![], labels: vec![], image_shape: IMAGE_SHAPE });
        for (row, image) in self.csv.rows.iter().zip(self.images) {
            if let Some(pixels) = image {
                splits[row.partition].images.extend(pixels);
                splits[row.partition].labels.push(row.label);
            }
        }
        self.csv.problems.sort_by_key(|p| p.line);
        self.report.kept = std::array::from_fn(|p| splits[p].len());
        self.report.problems =
            self.csv.problems.iter().map(|p| format!("line {}, {}: {}", p.line, p.file, p.message)).collect();
        if let Some(p) = splits.iter().position(Shard::is_empty) {
            let error = DogsError::EmptyPartition { partition: PARTITIONS[p] };
            return Err(Box::new(LoadFailure { error, report: self.report }));
        }
        Ok((DogSplits { splits, class_names: self.csv.class_names }, self.report))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::dogs::check_csv;
    use crate::data::dogs::tests_support::{GOOD_CSV, image};

    #[test]
    fn images_are_converted_and_counted_or_refused() {
        let csv = check_csv(GOOD_CSV).unwrap();
        let mut b = DogSetBuilder::new(csv);
        b.add_image(0, Ok(image(64, 64, [10, 20, 30, 255])));
        b.add_image(1, Ok(image(32, 48, [50, 50, 50, 128])));
        b.add_image(2, Err(ImageError::Missing { root: String::new(), file: "c.jpg".into() }));
        b.add_image(3, Ok(Decoded { width: 64, height: 64, rgba: vec![0; 10] }));
        let LoadFailure { error, report } = *b.finish().unwrap_err();
        assert_eq!(error, DogsError::EmptyPartition { partition: "test" });
        assert_eq!(report.kept, [1, 1, 0]);
        assert_eq!((report.resized, report.greyscale, report.alpha_dropped), (1, 1, 1));
        assert_eq!(report.problems.len(), 2);
        assert_eq!(report.problems[0], "line 4, c.jpg: the image is missing: no images/c.jpg in the DogSet");
        assert!(report.problems[1].contains("no usable pixels"));
    }

    #[test]
    fn a_complete_set_builds_its_partitions() {
        let mut b = DogSetBuilder::new(check_csv(GOOD_CSV).unwrap());
        for i in 0..4 {
            b.add_image(i, Ok(image(64, 64, [i as u8, 0, 255, 255])));
        }
        let (sets, report) = b.finish().unwrap();
        assert_eq!(report.kept, [2, 1, 1]);
        assert_eq!(sets.train().labels, vec![0, 1]);
        assert_eq!(sets.train().images.len(), 2 * 64 * 64 * 3);
        assert_eq!(&sets.splits[2].images[..3], &[2, 0, 255]);
        assert_eq!(report.lines(), vec!["kept 2 train, 1 valid and 1 test images"]);
        let s = sets.standardise();
        assert!((s.mean[2] - 1.0).abs() < 1e-6 && (s.mean[0] - 1.5 / 255.0).abs() < 1e-6);
        assert!((s.std[0] - 1.5 / 255.0).abs() < 1e-6, "population std of the values 0 and 3 is 1.5");
    }

    #[test]
    fn long_problem_lists_are_cut_at_twenty() {
        let report = LoadReport { problems: (0..25).map(|i| format!("line {i}")).collect(), ..LoadReport::default() };
        let lines = report.lines();
        assert_eq!(lines.last().unwrap(), "and 5 more");
        assert_eq!(lines.len(), 1 + 1 + LISTED_PROBLEMS + 1);
    }
}
