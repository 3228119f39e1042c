//! `nnlab data build|dogs|verify`: the dataset shards of data/, built from the source files
//! and checked against data/manifest.json.

use std::collections::BTreeMap;
use std::path::Path;

use nnlab::data::build::{self, idx_names, matches_sums};
use nnlab::data::dogs;
use nnlab::data::idx::{self, Idx};
use nnlab::data::manifest::Manifest;
use nnlab::data::shards::Shard;

use crate::CliError;
use crate::data_dir::{load_split, read_manifest, write_datasets};

/// `nnlab data build`: MNIST and the DogSet stand-in (from Fashion-MNIST) as shards under
/// `out`, from the IDX files under `source` (same bytes every run).
pub fn build(source: &Path, out: &Path) -> Result<(), CliError> {
    let [train, test] = read_idx_shards(&source.join("mnist"))?;
    let mnist = build::mnist(&train, &test);
    let [train, test] = read_idx_shards(&source.join("fashion-mnist"))?;
    let stand_in = build::stand_in(&train, &test);
    write_datasets(out, &[mnist, stand_in])
}

/// `nnlab data verify`: every shard of every split in `dir` against its manifest.
pub fn verify(dir: &Path) -> Result<Manifest, CliError> {
    let manifest = read_manifest(dir)?;
    for (name, entry) in &manifest.datasets {
        for split in entry.splits.keys() {
            let (shard, _) = load_split(dir, &manifest, name, split)?;
            outln!(
                "{name}/{split}: {} examples of {:?}, all shards match the manifest",
                shard.len(),
                shard.image_shape
            );
        }
    }
    Ok(manifest)
}

/// `nnlab data dogs`: converts a DogSet folder or .zip into shards under `out` (dataset
/// `dogs`), reporting every refused row by line and file name.
pub fn dogs(path: &Path, out: &Path) -> Result<(), CliError> {
    let files = if path.is_dir() {
        read_folder(path)?
    } else {
        let bytes = std::fs::read(path).map_err(CliError::io(path))?;
        dogs::unzip(&bytes).map_err(|source| CliError::Unzip { path: path.into(), source })?
    };
    let (splits, report) = match dogs::load(&files, dogs::decode_image) {
        Ok(loaded) => loaded,
        Err(failure) => {
            for line in failure.report.lines() {
                outln!("{line}");
            }
            return Err(CliError::DogSet { path: path.into(), source: failure.error });
        }
    };
    for line in report.lines() {
        outln!("{line}");
    }
    write_datasets(out, &[build::dogset(&splits, &path.display().to_string())])
}

/// One IDX dataset's train and test files (in `folder`, checked against its SHA256SUMS when
/// present) as shards.
fn read_idx_shards(folder: &Path) -> Result<[Shard; 2], CliError> {
    let sums = std::fs::read_to_string(folder.join("SHA256SUMS")).unwrap_or_default();
    let read = |name: &str| -> Result<Idx, CliError> {
        let path = folder.join(name);
        let bytes = std::fs::read(&path).map_err(CliError::io(&path))?;
        if !matches_sums(&sums, name, &bytes) {
            return Err(CliError::Checksum { path });
        }
        idx::parse_gz(&bytes).map_err(|source| CliError::Idx { path, source })
    };
    let shard = |prefix: &str| -> Result<Shard, CliError> {
        let [images, labels] = idx_names(prefix);
        let (images, labels) = (read(&images)?, read(&labels)?);
        build::idx_shard(images, labels).map_err(|source| CliError::IdxShapes {
            folder: folder.into(),
            prefix: prefix.to_string(),
            source,
        })
    };
    Ok([shard("train")?, shard("t10k")?])
}

/// Every file under `dir`, by path relative to it with `/` separators.
fn read_folder(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>, CliError> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).map_err(CliError::io(&folder))? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).expect("walked from dir");
                let key = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
                files.insert(key, std::fs::read(&path).map_err(CliError::io(&path))?);
            }
        }
    }
    Ok(files)
}
