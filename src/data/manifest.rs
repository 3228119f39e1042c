//! `data/manifest.json`: every dataset the page can fetch, its splits and their shards, with
//! sizes and sha256 so a page or a script can check what it downloaded.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::shards::{self, Shard, ShardError};

/// Bumped whenever the shard layout or the manifest's meaning changes.
pub const FORMAT_VERSION: u32 = 1;

/// Examples per shard at most: 10,000 MNIST images are 7.8 MB raw, about 1.6 MB gzip.
pub const SHARD_EXAMPLES: usize = 10_000;
/// Raw bytes per shard at most, so larger images (a DogSet's 12,288 bytes each) still come in
/// downloads of a few MB, each with its own progress and cache entry.
pub const SHARD_BYTES: usize = 8_000_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format_version: u32,
    pub datasets: BTreeMap<String, DatasetEntry>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatasetEntry {
    pub title: String,
    pub licence: String,
    pub provenance: String,
    pub class_names: Vec<String>,
    /// `[h, w, c]`
    pub image_shape: [usize; 3],
    pub splits: BTreeMap<String, SplitEntry>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SplitEntry {
    pub examples: usize,
    pub shards: Vec<ShardEntry>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardEntry {
    /// Path relative to the manifest.
    pub file: String,
    pub examples: usize,
    pub bytes: u64,
    pub sha256: String,
    /// Element type and shape of each tensor in the shard.
    pub tensors: BTreeMap<String, TensorEntry>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TensorEntry {
    pub dtype: String,
    pub shape: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ManifestError {
    #[error("manifest.json does not parse: {0}")]
    Parse(String),
    #[error(
        "manifest.json has format version {found}; this nnlab reads version {FORMAT_VERSION}. Reload the page to get the matching app, or rebuild data/ with `nnlab data build`"
    )]
    Version { found: u32 },
    #[error(
        "{file}: {bytes} bytes, but the manifest says {expected}: the download was cut short or the file was replaced"
    )]
    Size { file: String, bytes: u64, expected: u64 },
    #[error("{file}: sha256 {got} does not match the manifest's {expected}: the file is corrupted or out of date")]
    Checksum { file: String, got: String, expected: String },
    #[error("{file}: {source}")]
    Shard { file: String, source: ShardError },
    #[error(
        "{dataset}: image shape {shape:?} is impossible: one image must have at least one pixel and fit in a shard ({limit} bytes at most)"
    )]
    ImageShape { dataset: String, shape: [usize; 3], limit: usize },
    #[error("{file}: holds {got} examples of shape {shape:?}, but the manifest says {expected}")]
    Contents { file: String, got: usize, expected: usize, shape: [usize; 3] },
}

/// Hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

impl Manifest {
    pub fn parse(text: &str) -> Result<Self, ManifestError> {
        #[derive(Deserialize)]
        struct Version {
            format_version: u32,
        }
        let version: Version = serde_json::from_str(text).map_err(|e| ManifestError::Parse(e.to_string()))?;
        if version.format_version != FORMAT_VERSION {
            return Err(ManifestError::Version { found: version.format_version });
        }
        let manifest: Manifest = serde_json::from_str(text).map_err(|e| ManifestError::Parse(e.to_string()))?;
        // The page sizes models and views from a dataset's image shape before any shard
        // arrives, so a shape no shard could hold is refused here, not at the first product.
        for (name, dataset) in &manifest.datasets {
            shards::image_bytes(dataset.image_shape).map_err(|_| ManifestError::ImageShape {
                dataset: name.clone(),
                shape: dataset.image_shape,
                limit: shards::MAX_UNPACKED,
            })?;
        }
        Ok(manifest)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a manifest always serialises") + "\n"
    }
}

impl ShardEntry {
    /// Checks downloaded bytes against this entry (size, then sha256, then contents) and
    /// decodes them. Nothing half-checked is ever returned.
    pub fn check(&self, bytes: &[u8], image_shape: [usize; 3]) -> Result<Shard, ManifestError> {
        if bytes.len() as u64 != self.bytes {
            return Err(ManifestError::Size {
                file: self.file.clone(),
                bytes: bytes.len() as u64,
                expected: self.bytes,
            });
        }
        let got = sha256_hex(bytes);
        if got != self.sha256 {
            return Err(ManifestError::Checksum { file: self.file.clone(), got, expected: self.sha256.clone() });
        }
        let shard = shards::decode(bytes).map_err(|source| ManifestError::Shard { file: self.file.clone(), source })?;
        if shard.len() != self.examples || shard.image_shape != image_shape {
            return Err(ManifestError::Contents {
                file: self.file.clone(),
                got: shard.len(),
                expected: self.examples,
                shape: shard.image_shape,
            });
        }
        Ok(shard)
    }
}

/// Splits a labelled image set into shards of [`SHARD_EXAMPLES`] or [`SHARD_BYTES`],
/// whichever is fewer examples: the manifest entries and
/// the files' bytes, named `{dataset}/{split}-{index:02}.safetensors.gz`.
pub fn shard_split(
    dataset: &str,
    split: &str,
    images: &[u8],
    labels: &[u8],
    image_shape: [usize; 3],
) -> (SplitEntry, Vec<(String, Vec<u8>)>) {
    let per_image: usize = image_shape.iter().product();
    let per_shard = SHARD_EXAMPLES.min(SHARD_BYTES / per_image).max(1);
    let mut entries = vec![];
    let mut files = vec![];
    for (i, (imgs, labs)) in images.chunks(per_shard * per_image).zip(labels.chunks(per_shard)).enumerate() {
        let shard = Shard { images: imgs.to_vec(), labels: labs.to_vec(), image_shape };
        let bytes = shards::encode(&shard);
        let file = format!("{dataset}/{split}-{i:02}.safetensors.gz");
        let [h, w, c] = image_shape;
        let tensors = BTreeMap::from([
            ("images".to_string(), TensorEntry { dtype: "U8".into(), shape: vec![labs.len(), h, w, c] }),
            ("labels".to_string(), TensorEntry { dtype: "U8".into(), shape: vec![labs.len()] }),
        ]);
        entries.push(ShardEntry {
            file: file.clone(),
            examples: labs.len(),
            bytes: bytes.len() as u64,
            sha256: sha256_hex(&bytes),
            tensors,
        });
        files.push((file, bytes));
    }
    (SplitEntry { examples: labels.len(), shards: entries }, files)
}

/// Concatenates checked shards into one split.
pub fn join(shards: Vec<Shard>) -> Shard {
    let image_shape = shards.first().map_or([0; 3], |s| s.image_shape);
    let mut all = Shard { images: vec![], labels: vec![], image_shape };
    for s in shards {
        all.images.extend(s.images);
        all.labels.extend(s.labels);
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split() -> (SplitEntry, Vec<(String, Vec<u8>)>) {
        let n = SHARD_EXAMPLES + 5;
        let images: Vec<u8> = (0..n * 4).map(|i| (i % 251) as u8).collect();
        let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
        shard_split("toy", "train", &images, &labels, [2, 2, 1])
    }

    #[test]
    fn a_split_becomes_shards_that_check_and_join_back() {
        let (entry, files) = split();
        assert_eq!(entry.examples, SHARD_EXAMPLES + 5);
        assert_eq!(entry.shards.iter().map(|s| s.examples).collect::<Vec<_>>(), vec![SHARD_EXAMPLES, 5]);
        assert_eq!(entry.shards[1].file, "toy/train-01.safetensors.gz");
        let shards: Vec<Shard> =
            entry.shards.iter().zip(&files).map(|(e, (_, b))| e.check(b, [2, 2, 1]).unwrap()).collect();
        let all = join(shards);
        assert_eq!(all.len(), SHARD_EXAMPLES + 5);
        assert_eq!(all.labels[SHARD_EXAMPLES + 3], ((SHARD_EXAMPLES + 3) % 10) as u8);
        assert_eq!(split().1, files, "building twice gives the same bytes");
    }

    #[test]
    fn every_kind_of_bad_download_is_named() {
        let (entry, files) = split();
        let (e, bytes) = (&entry.shards[1], &files[1].1);
        let cut = e.check(&bytes[..bytes.len() - 1], [2, 2, 1]).unwrap_err();
        assert!(matches!(cut, ManifestError::Size { .. }) && cut.to_string().starts_with("toy/train-01"), "{cut}");
        let mut corrupt = bytes.clone();
        corrupt[20] ^= 1;
        let err = e.check(&corrupt, [2, 2, 1]).unwrap_err();
        assert!(matches!(err, ManifestError::Checksum { .. }), "{err}");
        let wrong_shape = e.check(bytes, [4, 1, 1]).unwrap_err();
        assert!(matches!(wrong_shape, ManifestError::Contents { .. }), "{wrong_shape}");
        let mut lying = e.clone();
        lying.bytes = 9;
        lying.sha256 = sha256_hex(b"not gzip!");
        assert!(matches!(lying.check(b"not gzip!", [2, 2, 1]), Err(ManifestError::Shard { .. })));
    }

    #[test]
    fn manifests_round_trip_and_unknown_versions_are_refused() {
        let (entry, _) = split();
        let manifest = Manifest {
            format_version: FORMAT_VERSION,
            datasets: BTreeMap::from([(
                "toy".to_string(),
                DatasetEntry {
                    title: "Toy".into(),
                    licence: "MIT".into(),
                    provenance: "made up".into(),
                    class_names: (0..10).map(|i| i.to_string()).collect(),
                    image_shape: [2, 2, 1],
                    splits: BTreeMap::from([("train".to_string(), entry)]),
                },
            )]),
        };
        assert_eq!(Manifest::parse(&manifest.to_json()).unwrap(), manifest);
        let future = manifest.to_json().replace("\"format_version\": 1", "\"format_version\": 2");
        assert!(Manifest::parse(&future).unwrap_err().to_string().contains("format version 2"));
        assert!(matches!(Manifest::parse("{ not json"), Err(ManifestError::Parse(_))));
        let huge = manifest.to_json().replacen(
            "\"image_shape\": [\n        2,",
            "\"image_shape\": [\n        100000000000,",
            1,
        );
        let err = Manifest::parse(&huge).unwrap_err();
        assert!(matches!(err, ManifestError::ImageShape { .. }) && err.to_string().contains("16000000 bytes"), "{err}");
    }
}
