//! A data folder on disk (manifest.json and the shards): reading and checking splits, writing
//! built datasets.

use std::path::Path;

use nnlab::data::build::{self, BuiltDataset};
use nnlab::data::manifest::{self, Manifest};
use nnlab::data::shards::Shard;

use crate::CliError;

/// The folder's manifest.json, parsed.
pub fn read_manifest(dir: &Path) -> Result<Manifest, CliError> {
    let path = dir.join("manifest.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(source) => return Err(CliError::NoManifest { path, source }),
    };
    Ok(Manifest::parse(&text)?)
}

/// Reads and checks one split of one dataset from a data folder: its images and the
/// dataset's class names.
pub fn load_split(
    dir: &Path,
    manifest: &Manifest,
    dataset: &str,
    split: &str,
) -> Result<(Shard, Vec<String>), CliError> {
    let entry = manifest
        .datasets
        .get(dataset)
        .ok_or_else(|| CliError::NoDataset { dir: dir.into(), dataset: dataset.to_string() })?;
    let split_entry = entry
        .splits
        .get(split)
        .ok_or_else(|| CliError::NoSplit { dataset: dataset.to_string(), split: split.to_string() })?;
    let shards = split_entry
        .shards
        .iter()
        .map(|s| {
            let path = dir.join(&s.file);
            let bytes = std::fs::read(&path).map_err(CliError::io(path))?;
            Ok(s.check(&bytes, entry.image_shape)?)
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    Ok((manifest::join(shards), entry.class_names.clone()))
}

/// Writes the datasets' shard files (replacing each dataset's folder) and merges them into
/// `out/manifest.json`, keeping the other datasets it lists.
pub fn write_datasets(out: &Path, datasets: &[BuiltDataset]) -> Result<(), CliError> {
    let manifest = build::merge(read_manifest(out).ok(), datasets);
    let mut total = (0, 0);
    for dataset in datasets {
        let folder = out.join(&dataset.name);
        if folder.exists() {
            std::fs::remove_dir_all(&folder).map_err(CliError::io(&folder))?;
        }
        for (file, bytes) in &dataset.files {
            let path = out.join(file);
            std::fs::create_dir_all(path.parent().expect("shard paths have a folder"))?;
            std::fs::write(&path, bytes).map_err(CliError::io(&path))?;
            total = (total.0 + 1, total.1 + bytes.len());
        }
    }
    std::fs::write(out.join("manifest.json"), manifest.to_json())?;
    outln!("wrote {} shards ({:.1} MB) and manifest.json to {}", total.0, total.1 as f64 / 1e6, out.display());
    Ok(())
}
