//! The DogSet (HOMEWORK sections 2, 3, 5): reading a user's own copy (`dogs.csv` plus
//! `images/`), checking every row and image, and the Fashion-MNIST stand-in used when no
//! DogSet is loaded.
//!
//! Hosts do the IO: they read `dogs.csv`, decode each image it names to RGBA (the browser
//! with its own decoder, the CLI with the `image` crate) and feed them to a
//! [`DogSetBuilder`]. Every decision about what is kept, converted or refused is made here,
//! once, and tested natively.

use std::collections::BTreeMap;

use super::shards::Shard;

/// The DogSet's images are 64x64 RGB (HOMEWORK section 2).
pub const SIDE: usize = 64;
pub const CHANNELS: usize = 3;
pub const IMAGE_SHAPE: [usize; 3] = [SIDE, SIDE, CHANNELS];
/// The partitions `dogs.csv` may name, in the order the labs use them.
pub const PARTITIONS: [&str; 3] = ["train", "valid", "test"];
/// The columns `dogs.csv` must have.
pub const COLUMNS: [&str; 4] = ["filename", "numeric_label", "semantic_label", "partition"];
/// Problems listed one by one before "and N more".
pub const LISTED_PROBLEMS: usize = 20;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DogsError {
    #[error("no dogs.csv found: a DogSet folder holds dogs.csv and an images/ folder")]
    NoCsv,
    #[error(
        "dogs.csv has no `{missing}` column (its header is: {header}); a DogSet's dogs.csv has the columns filename, numeric_label, semantic_label, partition"
    )]
    MissingColumn { missing: &'static str, header: String },
    #[error("dogs.csv cannot be read as CSV: {0}")]
    Csv(String),
    #[error("no usable {partition} images: every row was refused (see the problem list) or none names that partition")]
    EmptyPartition { partition: &'static str },
}

/// Why a row's image is left out; its wording is the problem list's (after `line N, file: `).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImageError {
    #[error("the image is missing: no {root}images/{file} in the DogSet")]
    Missing { root: String, file: String },
    /// The host could not read the file (the browser's File API said why).
    #[error("the image cannot be read ({0})")]
    Unreadable(String),
    /// The host's decoder refused the bytes, in its own words.
    #[error("the image does not decode ({0})")]
    Undecodable(String),
    /// The host's decoding machinery failed before the image was looked at (a browser without
    /// OffscreenCanvas, say), in the host's words.
    #[error("{0}")]
    Host(String),
    #[error("decodes to a {width}x{height} image with no usable pixels")]
    Empty { width: usize, height: usize },
}

/// Why a .zip archive could not be unpacked.
#[cfg(feature = "engine")]
#[derive(Debug, thiserror::Error)]
pub enum UnzipError {
    #[error("the file is not a readable .zip ({0})")]
    Archive(#[source] zip::result::ZipError),
    #[error("entry {index} of the .zip cannot be read ({source})")]
    Entry { index: usize, source: zip::result::ZipError },
    #[error("{name}: cannot be unpacked ({source})")]
    Unpack { name: String, source: std::io::Error },
}

/// A DogSet that could not be loaded: why, and what the checks found up to then (the page and
/// the CLI show both).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{error}")]
pub struct LoadFailure {
    pub error: DogsError,
    pub report: LoadReport,
}

/// One row of `dogs.csv` that passed the row checks.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// 1-based line in dogs.csv (the header is line 1).
    pub line: usize,
    pub file: String,
    pub label: u8,
    /// Index into [`PARTITIONS`].
    pub partition: usize,
}

/// A refused row, named by its line and file so the user can find it.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub line: usize,
    pub file: String,
    pub message: String,
}

/// `dogs.csv` after the row checks: the rows to load and the rows refused.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckedCsv {
    pub rows: Vec<Row>,
    pub problems: Vec<Problem>,
    pub extra_columns: Vec<String>,
    /// Class names by numeric label.
    pub class_names: Vec<String>,
}

/// Reads `dogs.csv` and checks each row: a file name, a partition the labs know, an integer
/// label within the classes, and a label that agrees with its name (each label's name is the
/// one most of its rows give).
pub fn check_csv(text: &str) -> Result<CheckedCsv, DogsError> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(text.as_bytes());
    let header: Vec<String> =
        reader.headers().map_err(|e| DogsError::Csv(e.to_string()))?.iter().map(str::to_string).collect();
    let column = |name: &'static str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| DogsError::MissingColumn { missing: name, header: header.join(", ") })
    };
    let [file_col, label_col, name_col, part_col] =
        [column(COLUMNS[0])?, column(COLUMNS[1])?, column(COLUMNS[2])?, column(COLUMNS[3])?];
    let extra_columns = header.iter().filter(|h| !COLUMNS.contains(&h.as_str())).cloned().collect();

    struct Raw {
        line: usize,
        file: String,
        label: Result<u8, String>,
        name: String,
        partition: Option<usize>,
        partition_text: String,
    }
    let mut raws = vec![];
    let mut problems = vec![];
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| DogsError::Csv(e.to_string()))?;
        let line = record.position().map_or(i + 2, |p| p.line() as usize);
        let field = |c: usize| record.get(c).unwrap_or("").to_string();
        let file = field(file_col);
        if record.len() < header.len() {
            problems.push(Problem {
                line,
                file,
                message: format!("has {} fields, the header has {}", record.len(), header.len()),
            });
            continue;
        }
        let label_text = field(label_col);
        let label = label_text
            .parse::<i64>()
            .map_err(|_| format!("numeric_label `{label_text}` is not a whole number"))
            .and_then(|l| u8::try_from(l).map_err(|_| format!("numeric_label {l} is out of range")));
        let partition_text = field(part_col);
        let partition = PARTITIONS.iter().position(|p| *p == partition_text);
        raws.push(Raw { line, file, label, name: field(name_col), partition, partition_text });
    }

    // Each name's label and each label's name: the one most rows agree on.
    let mut pairs: BTreeMap<(u8, &str), usize> = BTreeMap::new();
    for r in &raws {
        if let Ok(l) = r.label
            && !r.name.is_empty()
        {
            *pairs.entry((l, r.name.as_str())).or_default() += 1;
        }
    }
    let majority = |keep: &dyn Fn(&(u8, &str)) -> bool| {
        pairs.iter().filter(|(k, _)| keep(k)).max_by_key(|(_, n)| **n).map(|(k, _)| (k.0, k.1.to_string()))
    };
    let names: BTreeMap<u8, String> =
        pairs.keys().map(|k| k.0).filter_map(|l| majority(&|k| k.0 == l).map(|(_, n)| (l, n))).collect();
    let classes = names.values().collect::<std::collections::BTreeSet<_>>().len();
    let class_names: Vec<String> =
        (0..classes).map(|l| names.get(&(l as u8)).cloned().unwrap_or_else(|| format!("class {l}"))).collect();

    let mut rows = vec![];
    for r in raws {
        let refuse = |message: String| Problem { line: r.line, file: r.file.clone(), message };
        let problem = if r.file.is_empty() {
            Some("has no filename".to_string())
        } else if r.partition.is_none() {
            Some(format!("partition `{}` is not one of train, valid, test", r.partition_text))
        } else {
            match &r.label {
                Err(e) => Some(e.clone()),
                Ok(l) if *l as usize >= classes => Some(format!(
                    "numeric_label {l} is out of range: the file names {classes} classes (0 to {})",
                    classes.saturating_sub(1)
                )),
                Ok(l) if names.get(l) != Some(&r.name) => Some(format!(
                    "numeric_label {l} is `{}` in most rows, but this row names it `{}`",
                    names.get(l).map_or("", String::as_str),
                    r.name
                )),
                Ok(_) => None,
            }
        };
        match problem {
            Some(message) => problems.push(refuse(message)),
            None => rows.push(Row {
                line: r.line,
                file: r.file,
                label: r.label.expect("checked above"),
                partition: r.partition.expect("checked above"),
            }),
        }
    }
    problems.sort_by_key(|p| p.line);
    Ok(CheckedCsv { rows, problems, extra_columns, class_names })
}

/// Where the folder or archive keeps its DogSet: the folder of the shallowest `dogs.csv`
/// among `paths` (a zip often wraps everything in one top folder), with a trailing `/`.
pub fn find_root<'a>(paths: impl IntoIterator<Item = &'a str>) -> Result<String, DogsError> {
    paths
        .into_iter()
        .filter(|p| *p == "dogs.csv" || p.ends_with("/dogs.csv"))
        .min_by_key(|p| (p.matches('/').count(), p.len()))
        .map(|p| p[..p.len() - "dogs.csv".len()].to_string())
        .ok_or(DogsError::NoCsv)
}

/// The paths, relative to the root, where the image of a row's `file` may be: under
/// `images/` as the DogSet keeps them, or as written when the CSV already includes a folder.
pub fn image_paths(file: &str) -> [String; 2] {
    [format!("images/{file}"), file.to_string()]
}

/// The path of row `file`'s image among the files a host has (`has` says whether a path
/// exists), or a problem naming where it was looked for.
pub fn resolve(root: &str, file: &str, has: impl Fn(&str) -> bool) -> Result<String, ImageError> {
    image_paths(file)
        .into_iter()
        .map(|p| format!("{root}{p}"))
        .find(|p| has(p))
        .ok_or_else(|| ImageError::Missing { root: root.to_string(), file: file.to_string() })
}

/// The files of a .zip archive by path (folders left out).
#[cfg(feature = "engine")]
pub fn unzip(bytes: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, UnzipError> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(UnzipError::Archive)?;
    let mut files = BTreeMap::new();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(|source| UnzipError::Entry { index, source })?;
        if entry.is_dir() {
            continue;
        }
        let mut data = Vec::with_capacity(entry.size() as usize);
        entry.read_to_end(&mut data).map_err(|source| UnzipError::Unpack { name: entry.name().to_string(), source })?;
        files.insert(entry.name().to_string(), data);
    }
    Ok(files)
}

/// Loads a DogSet from its files by path (a folder read into memory, or an unpacked .zip),
/// decoding images with the host's `decode` (whose error is shown as the decoder's words).
pub fn load<E: std::fmt::Display>(
    files: &BTreeMap<String, Vec<u8>>,
    mut decode: impl FnMut(&[u8]) -> Result<Decoded, E>,
) -> Result<(DogSplits, LoadReport), Box<LoadFailure>> {
    let fail = |error| Box::new(LoadFailure { error, report: LoadReport::default() });
    let root = find_root(files.keys().map(String::as_str)).map_err(fail)?;
    let csv = String::from_utf8_lossy(&files[&format!("{root}dogs.csv")]).into_owned();
    let mut builder = DogSetBuilder::new(check_csv(&csv).map_err(fail)?);
    for i in 0..builder.rows().len() {
        let image = resolve(&root, &builder.rows()[i].file, |p| files.contains_key(p)).and_then(|path| {
            // The decoder's own error types differ by host; the student reads its message.
            decode(&files[&path]).map_err(|e| ImageError::Undecodable(e.to_string()))
        });
        builder.add_image(i, image);
    }
    builder.finish()
}

/// An image as a host's decoder returns it: RGBA, 8 bits per channel, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    pub width: usize,
    pub height: usize,
    pub rgba: Vec<u8>,
}

/// What converting one image changed.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Conversion {
    /// Not 64x64: resized.
    pub resized: bool,
    /// Every pixel grey (R = G = B).
    pub greyscale: bool,
    /// Some pixel was not opaque: the alpha channel was dropped.
    pub alpha_dropped: bool,
}

/// An image as the labs use it: 64x64 RGB bytes, with what had to change.
pub fn to_dog_pixels(image: &Decoded) -> (Vec<u8>, Conversion) {
    let rgb: Vec<u8> = image.rgba.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
    let conversion = Conversion {
        resized: (image.width, image.height) != (SIDE, SIDE),
        greyscale: image.rgba.chunks_exact(4).all(|p| p[0] == p[1] && p[1] == p[2]),
        alpha_dropped: image.rgba.chunks_exact(4).any(|p| p[3] != 255),
    };
    let pixels =
        if conversion.resized { resize_bilinear(&rgb, [image.height, image.width, 3], SIDE, SIDE) } else { rgb };
    (pixels, conversion)
}

/// Bilinear resampling of `[h, w, c]` bytes to `[out_h, out_w, c]`, sampling at pixel centres
/// (PyTorch's `align_corners=False`, PIL's convention).
pub fn resize_bilinear(src: &[u8], [h, w, c]: [usize; 3], out_h: usize, out_w: usize) -> Vec<u8> {
    let axis = |out: usize, size: usize| -> Vec<(usize, usize, f32)> {
        (0..out)
            .map(|o| {
                let x = ((o as f32 + 0.5) * size as f32 / out as f32 - 0.5).clamp(0.0, (size - 1) as f32);
                let lo = x.floor() as usize;
                (lo, (lo + 1).min(size - 1), x - lo as f32)
            })
            .collect()
    };
    let (ys, xs) = (axis(out_h, h), axis(out_w, w));
    let at = |y: usize, x: usize, ch: usize| src[(y * w + x) * c + ch] as f32;
    let mut out = Vec::with_capacity(out_h * out_w * c);
    for &(y0, y1, fy) in &ys {
        for &(x0, x1, fx) in &xs {
            for ch in 0..c {
                let top = at(y0, x0, ch) * (1.0 - fx) + at(y0, x1, ch) * fx;
                let bottom = at(y1, x0, ch) * (1.0 - fx) + at(y1, x1, ch) * fx;
                out.push((top * (1.0 - fy) + bottom * fy).round() as u8);
            }
        }
    }
    out
}

/// Per-channel standardisation: `(pixel / 255 - mean) / std`, with the train partition's
/// statistics applied to every partition (HOMEWORK section 2).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Standardise {
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
}

impl Standardise {
    /// Plain scaling to 0..1 (what the MNIST labs use).
    pub fn unit(channels: usize) -> Self {
        Self { mean: vec![0.0; channels], std: vec![1.0; channels] }
    }

    /// Mean and (population) standard deviation of each channel of `[n, h, w, c]` bytes,
    /// on the 0..1 scale.
    pub fn fit(images: &[u8], channels: usize) -> Self {
        let mut sum = vec![0f64; channels];
        let mut sq = vec![0f64; channels];
        for px in images.chunks_exact(channels) {
            for (ch, &v) in px.iter().enumerate() {
                let v = v as f64 / 255.0;
                sum[ch] += v;
                sq[ch] += v * v;
            }
        }
        let n = (images.len() / channels).max(1) as f64;
        let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
        let std = sq.iter().zip(&mean).map(|(s, m)| ((s / n - m * m).max(0.0).sqrt().max(1e-6)) as f32).collect();
        Self { mean: mean.iter().map(|&m| m as f32).collect(), std }
    }

    pub fn apply(&self, pixel: u8, channel: usize) -> f32 {
        (pixel as f32 / 255.0 - self.mean[channel]) / self.std[channel]
    }
}

/// The three partitions as bytes, ready to shard or train on.
#[derive(Clone, Debug, PartialEq)]
pub struct DogSplits {
    /// In [`PARTITIONS`] order.
    pub splits: [Shard; 3],
    pub class_names: Vec<String>,
}

impl DogSplits {
    pub fn train(&self) -> &Shard {
        &self.splits[0]
    }

    /// The standardisation the labs apply: the train partition's statistics.
    pub fn standardise(&self) -> Standardise {
        Standardise::fit(&self.train().images, self.train().image_shape[2])
    }
}

/// What the explore view shows of a loaded set: all computed from its pixels and labels.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DogSetInfo {
    /// Which set this is.
    pub source: crate::run::DogSource,
    pub title: String,
    /// Whether this is the Fashion-MNIST stand-in rather than dogs.
    pub stand_in: bool,
    pub class_names: Vec<String>,
    /// Images per partition, in [`PARTITIONS`] order.
    pub counts: [usize; 3],
    /// Images per class and partition.
    pub class_counts: Vec<[usize; 3]>,
    /// `[h, w, c]` of the images the networks see.
    pub image_shape: [usize; 3],
    pub palette: String,
    /// The standardisation applied to every partition (the train partition's statistics).
    pub standardise: Standardise,
    /// What the checks found, for a set the user loaded.
    pub report: Option<LoadReport>,
    /// The other sources this browser can switch to.
    pub available: Vec<crate::run::DogSource>,
}

impl DogSplits {
    /// The explore view's numbers for this set.
    pub fn info(&self, source: crate::run::DogSource, title: &str, stand_in: bool) -> DogSetInfo {
        let mut class_counts = vec![[0; 3]; self.class_names.len()];
        for (p, split) in self.splits.iter().enumerate() {
            for &l in &split.labels {
                if let Some(c) = class_counts.get_mut(l as usize) {
                    c[p] += 1;
                }
            }
        }
        DogSetInfo {
            source,
            title: title.to_string(),
            stand_in,
            class_names: self.class_names.clone(),
            counts: std::array::from_fn(|p| self.splits[p].len()),
            class_counts,
            image_shape: self.train().image_shape,
            palette: palette(&self.splits.iter().flat_map(|s| s.images.iter().copied()).collect::<Vec<_>>()).into(),
            standardise: self.standardise(),
            report: None,
            available: vec![],
        }
    }

    /// Indices of the training images of `class`, in set order.
    pub fn class_indices(&self, class: u8) -> Vec<usize> {
        self.train().labels.iter().enumerate().filter(|(_, l)| **l == class).map(|(i, _)| i).collect()
    }

    /// Page `page` (from 0) of `per_page` training images of `class`: their indices and bytes,
    /// and the number of pages.
    pub fn gallery(&self, class: u8, page: usize, per_page: usize) -> (Vec<usize>, Vec<u8>, usize) {
        let all = self.class_indices(class);
        let pages = all.len().div_ceil(per_page).max(1);
        let per: usize = self.train().image_shape.iter().product();
        let indices: Vec<usize> = all.into_iter().skip(page * per_page).take(per_page).collect();
        let images =
            indices.iter().flat_map(|&i| self.train().images[i * per..(i + 1) * per].iter().copied()).collect();
        (indices, images, pages)
    }
}

/// Training images per gallery page.
pub const GALLERY_PAGE: usize = 12;

/// Fixtures for other modules' tests.
#[cfg(test)]
pub mod tests_support {
    use super::*;

    pub fn info() -> DogSetInfo {
        let shard = |labels: Vec<u8>| Shard {
            images: labels.iter().flat_map(|&l| [l * 100, 5, 9].repeat(64 * 64)).collect(),
            labels,
            image_shape: IMAGE_SHAPE,
        };
        let splits = DogSplits {
            splits: [shard(vec![0, 1, 1]), shard(vec![1]), shard(vec![0])],
            class_names: vec!["beagle".into(), "poodle".into()],
        };
        splits.info(crate::run::DogSource::Uploaded, "DogSet", false)
    }
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

/// The manifest's name for a course's own DogSet converted by `nnlab data dogs`.
pub const DOGSET_NAME: &str = "dogs";
/// The manifest's name for the Fashion-MNIST stand-in.
pub const STAND_IN_NAME: &str = "dogs-standin";

impl DogSplits {
    /// Partitions as read from shards (the stand-in's 28x28 grey ones made DogSet-shaped).
    pub fn from_shards(splits: [Shard; 3], class_names: Vec<String>) -> Self {
        Self { splits: splits.each_ref().map(to_dog_shard), class_names }
    }
}

/// Sizes of the stand-in's partitions: the DogSet's own (HOMEWORK section 2).
pub const STAND_IN_SIZES: [usize; 3] = [7_665, 2_000, 555];

/// Fashion-MNIST class names in label order (shared/data/README.md).
pub const FASHION_CLASSES: [&str; 10] =
    ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

/// The stand-in's partitions from Fashion-MNIST's train and test files (28x28 grey, as
/// shipped): train and valid are the first 7,665 and the next 2,000 training images in file
/// order, test the first 555 test images. [`to_dog_shard`] makes them DogSet-shaped.
pub fn stand_in(train: &Shard, test: &Shard) -> [Shard; 3] {
    let [train_n, valid_n, test_n] = STAND_IN_SIZES;
    let take = |s: &Shard, from: usize, n: usize| {
        let per: usize = s.image_shape.iter().product();
        Shard {
            images: s.images[from * per..(from + n) * per].to_vec(),
            labels: s.labels[from..from + n].to_vec(),
            image_shape: s.image_shape,
        }
    };
    [take(train, 0, train_n), take(train, train_n, valid_n), take(test, 0, test_n)]
}

/// A shard made DogSet-shaped: upscaled to 64x64 (bilinear) with a grey channel repeated as
/// R, G and B. DogSet shards pass through unchanged.
pub fn to_dog_shard(shard: &Shard) -> Shard {
    let [h, w, c] = shard.image_shape;
    if shard.image_shape == IMAGE_SHAPE {
        return shard.clone();
    }
    let per = h * w * c;
    let images = shard
        .images
        .chunks_exact(per)
        .flat_map(|img| {
            let big = resize_bilinear(img, [h, w, c], SIDE, SIDE);
            big.chunks_exact(c)
                .flat_map(|p| (0..CHANNELS).map(|ch| p[ch.min(c - 1)]).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        })
        .collect();
    Shard { images, labels: shard.labels.clone(), image_shape: IMAGE_SHAPE }
}

/// The colour palette, determined from the pixels: RGB unless every pixel is grey.
pub fn palette(images: &[u8]) -> &'static str {
    if images.chunks_exact(3).all(|p| p[0] == p[1] && p[1] == p[2]) {
        "greyscale (every pixel has R = G = B)"
    } else {
        "RGB (colour)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "filename,numeric_label,semantic_label,partition\n\
        a.jpg,0,beagle,train\nb.jpg,1,poodle,valid\nc.jpg,0,beagle,test\nd.jpg,1,poodle,train\n";

    fn image(w: usize, h: usize, rgba: [u8; 4]) -> Decoded {
        Decoded { width: w, height: h, rgba: rgba.repeat(w * h) }
    }

    #[test]
    fn a_good_csv_keeps_every_row_and_names_the_classes() {
        let csv = check_csv(GOOD).unwrap();
        assert_eq!(csv.rows.len(), 4);
        assert!(csv.problems.is_empty() && csv.extra_columns.is_empty());
        assert_eq!(csv.class_names, vec!["beagle", "poodle"]);
        assert_eq!(csv.rows[1], Row { line: 3, file: "b.jpg".into(), label: 1, partition: 1 });
    }

    #[test]
    fn missing_columns_are_named_and_extra_ones_reported() {
        let err = check_csv("filename,numeric_label,partition\na.jpg,0,train\n").unwrap_err();
        assert!(err.to_string().contains("no `semantic_label` column"), "{err}");
        assert!(err.to_string().contains("filename, numeric_label, partition"), "{err}");
        let csv =
            check_csv(&GOOD.replacen("partition\n", "partition,notes\n", 1).replace("train\n", "train,x\n")).unwrap();
        assert_eq!(csv.extra_columns, vec!["notes"]);
        assert_eq!(check_csv(""), Err(DogsError::MissingColumn { missing: "filename", header: String::new() }));
    }

    #[test]
    fn every_bad_row_is_refused_with_its_line_and_reason() {
        let text = format!(
            "{GOOD}e.jpg,0,beagle,holdout\nf.jpg,x,beagle,train\ng.jpg,7,beagle,train\nh.jpg,1,beagle,train\n,0,beagle,train\ni.jpg,0\nj.jpg,-1,beagle,test\n"
        );
        let csv = check_csv(&text).unwrap();
        assert_eq!(csv.rows.len(), 4);
        let messages: Vec<(usize, &str)> = csv.problems.iter().map(|p| (p.line, p.message.as_str())).collect();
        let expect = [
            (6, "partition `holdout`"),
            (7, "`x` is not a whole number"),
            (8, "numeric_label 7 is out of range"),
            (9, "numeric_label 1 is `poodle` in most rows, but this row names it `beagle`"),
            (10, "has no filename"),
            (11, "has 2 fields"),
            (12, "numeric_label -1 is out of range"),
        ];
        assert_eq!(messages.len(), expect.len(), "{messages:?}");
        for ((line, message), (want_line, want)) in messages.iter().zip(expect) {
            assert_eq!(*line, want_line);
            assert!(message.contains(want), "line {line}: {message}");
        }
    }

    #[test]
    fn the_root_is_the_shallowest_dogs_csv() {
        assert_eq!(find_root(["x/images/a.jpg", "x/dogs.csv"]).unwrap(), "x/");
        assert_eq!(find_root(["dogs.csv", "old/dogs.csv"]).unwrap(), "");
        assert_eq!(find_root(["images/a.jpg", "catdogs.csv"]), Err(DogsError::NoCsv));
        assert_eq!(image_paths("a.jpg"), ["images/a.jpg".to_string(), "a.jpg".to_string()]);
    }

    #[test]
    fn images_are_converted_and_counted_or_refused() {
        let csv = check_csv(GOOD).unwrap();
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
        let mut b = DogSetBuilder::new(check_csv(GOOD).unwrap());
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
    fn the_explore_numbers_and_gallery_pages_come_from_the_set() {
        let info = tests_support::info();
        assert_eq!(info.counts, [3, 1, 1]);
        assert_eq!(info.class_counts, vec![[1, 0, 1], [2, 1, 0]]);
        assert_eq!(info.palette, "RGB (colour)");
        let splits = DogSplits {
            splits: std::array::from_fn(|_| Shard {
                images: (0..30u32).flat_map(|i| [i as u8; 64 * 64 * 3]).collect(),
                labels: (0..30).map(|i| (i % 2) as u8).collect(),
                image_shape: IMAGE_SHAPE,
            }),
            class_names: vec!["a".into(), "b".into()],
        };
        let (indices, images, pages) = splits.gallery(1, 1, GALLERY_PAGE);
        assert_eq!(pages, 2, "15 images of class 1, 12 per page");
        assert_eq!(indices, vec![25, 27, 29]);
        assert_eq!((images.len(), images[0]), (3 * 64 * 64 * 3, 25));
        assert_eq!(splits.gallery(1, 5, GALLERY_PAGE).0, Vec::<usize>::new());
    }

    #[cfg(feature = "engine")]
    #[test]
    fn a_zipped_dogset_in_a_top_folder_loads_and_a_broken_zip_is_named() {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(vec![]));
        let deflated = zip::write::FileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.add_directory("DogSet/", deflated).unwrap();
        zip.start_file("DogSet/dogs.csv", deflated).unwrap();
        zip.write_all(GOOD.as_bytes()).unwrap();
        for name in ["a.jpg", "b.jpg", "c.jpg", "d.jpg"] {
            zip.start_file(format!("DogSet/images/{name}"), deflated).unwrap();
            zip.write_all(name.as_bytes()).unwrap();
        }
        let bytes = zip.finish().unwrap().into_inner();
        let files = unzip(&bytes).unwrap();
        assert_eq!(files.len(), 5, "folders are left out");
        let (sets, report) = load(&files, |b| {
            let grey = b[0];
            Ok::<_, String>(image(64, 64, [grey, grey, grey, 255]))
        })
        .unwrap();
        assert_eq!(report.kept, [2, 1, 1]);
        assert_eq!(report.greyscale, 4);
        assert_eq!(sets.train().images[0], b'a');
        assert!(unzip(&bytes[..bytes.len() / 2]).unwrap_err().to_string().contains("not a readable .zip"));
    }

    #[test]
    fn long_problem_lists_are_cut_at_twenty() {
        let report = LoadReport { problems: (0..25).map(|i| format!("line {i}")).collect(), ..LoadReport::default() };
        let lines = report.lines();
        assert_eq!(lines.last().unwrap(), "and 5 more");
        assert_eq!(lines.len(), 1 + 1 + LISTED_PROBLEMS + 1);
    }

    #[test]
    fn standardising_the_train_statistics_gives_zero_mean_unit_std() {
        let images: Vec<u8> = (0..300u32).map(|i| (i * 7 % 256) as u8).collect();
        let s = Standardise::fit(&images, 3);
        for ch in 0..3 {
            let values: Vec<f32> = images.iter().skip(ch).step_by(3).map(|&p| s.apply(p, ch)).collect();
            let mean = values.iter().sum::<f32>() / values.len() as f32;
            let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / values.len() as f32;
            assert!(mean.abs() < 1e-4 && (var - 1.0).abs() < 1e-3, "channel {ch}: {mean} {var}");
        }
    }

    #[test]
    fn bilinear_resizing_keeps_flat_images_flat_and_interpolates_edges() {
        assert_eq!(resize_bilinear(&[9; 12], [2, 2, 3], 5, 7), vec![9; 5 * 7 * 3]);
        // A 1x2 image [0, 255] doubled: centres at 0.25 and 0.75 of the way.
        assert_eq!(resize_bilinear(&[0, 255], [1, 2, 1], 1, 4), vec![0, 64, 191, 255]);
    }

    #[test]
    fn the_stand_in_has_the_dogsets_sizes_and_shape() {
        let grey = |n: usize| Shard {
            images: (0..n * 784).map(|i| (i % 256) as u8).collect(),
            labels: (0..n).map(|i| (i % 10) as u8).collect(),
            image_shape: [28, 28, 1],
        };
        let parts = stand_in(&grey(10_000), &grey(1_000));
        assert_eq!(parts.each_ref().map(Shard::len), STAND_IN_SIZES);
        assert_eq!(parts[1].labels[0], (7_665 % 10) as u8, "valid follows train in file order");
        let dog = to_dog_shard(&parts[2]);
        assert_eq!((dog.image_shape, dog.len()), (IMAGE_SHAPE, 555));
        assert_eq!(dog.images.len(), 555 * 64 * 64 * 3);
        assert_eq!(palette(&dog.images), "greyscale (every pixel has R = G = B)");
        assert_eq!(to_dog_shard(&dog), dog);
        assert_eq!(palette(&[1, 2, 3]), "RGB (colour)");
    }
}
