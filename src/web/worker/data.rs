//! The worker's datasets: the manifest and the MNIST shards, fetched with progress, checked
//! and cached (see `web/fetch.rs`).

use std::rc::Rc;

use super::{STATE, WorkerError, post};
use crate::data::manifest::{self, Manifest};
use crate::data::shards::Shard;
use crate::protocol::FromWorker;
use crate::run::RunId;

/// The manifest from the network, or from the cache when the network fails (offline reload).
pub(super) async fn load_manifest() -> Result<Manifest, WorkerError> {
    const URL: &str = "data/manifest.json";
    let text = match crate::web::fetch::fetch_text(URL).await {
        Ok(text) => {
            let _ = crate::web::fetch::cache_put(URL, text.as_bytes()).await;
            text
        }
        // Offline: the cached copy, or the download's error when there is none to read.
        Err(e) => match crate::web::fetch::cache_get(URL).await.map(String::from_utf8) {
            Some(Ok(text)) => text,
            _ => return Err(e.into()),
        },
    };
    Manifest::parse(&text).map_err(|source| WorkerError::Manifest { url: URL, source })
}

/// Fetches (or takes from the cache) and checks every shard of `split`; nothing unverified
/// is ever used or cached.
pub(super) async fn load_split(
    run: RunId,
    manifest: &Manifest,
    dataset: &str,
    split: &str,
    progress: &mut (u64, u64, usize, usize),
) -> Result<(Shard, Vec<String>), WorkerError> {
    let entry =
        manifest.datasets.get(dataset).ok_or_else(|| WorkerError::NoDataset { dataset: dataset.to_string() })?;
    let split_entry = entry
        .splits
        .get(split)
        .ok_or_else(|| WorkerError::NoSplit { dataset: dataset.to_string(), split: split.to_string() })?;
    let mut shards = vec![];
    for shard in &split_entry.shards {
        let url = format!("data/{}", shard.file);
        // The checksum in the key: a rebuilt shard never meets a stale cached copy.
        let key = format!("{url}?sha256={}", shard.sha256);
        let checked = match crate::web::fetch::cache_get(&key).await.map(|b| shard.check(&b, entry.image_shape)) {
            Some(Ok(s)) => {
                progress.2 += 1;
                s
            }
            stale => {
                if stale.is_some() {
                    crate::web::fetch::cache_delete(&key).await;
                }
                let (base, total, cached, files) = *progress;
                let mut last = 0.0;
                let bytes = crate::web::fetch::fetch_bytes(&url, &mut |n| {
                    let now = js_sys::Date::now();
                    if now - last > 100.0 {
                        last = now;
                        post(&FromWorker::DataProgress { run, loaded: base + n, total, cached_files: cached, files });
                    }
                })
                .await?;
                let s = shard.check(&bytes, entry.image_shape).map_err(WorkerError::Shard)?;
                let _ = crate::web::fetch::cache_put(&key, &bytes).await;
                s
            }
        };
        progress.0 += shard.bytes;
        let (loaded, total, cached_files, files) = *progress;
        post(&FromWorker::DataProgress { run, loaded, total, cached_files, files });
        shards.push(checked);
    }
    Ok((manifest::join(shards), entry.class_names.clone()))
}

/// The download progress of all of `dataset`'s shards, posted at zero.
pub(super) fn start_progress(run: RunId, manifest: &Manifest, dataset: &str) -> (u64, u64, usize, usize) {
    let shards: Vec<_> = manifest
        .datasets
        .get(dataset)
        .map(|d| d.splits.values().flat_map(|s| s.shards.iter()).collect())
        .unwrap_or_default();
    let progress = (0, shards.iter().map(|s| s.bytes).sum(), 0, shards.len());
    post(&FromWorker::DataProgress { run, loaded: 0, total: progress.1, cached_files: 0, files: progress.3 });
    progress
}

/// MNIST's train split, class names and test split, fetched or cached, checked.
pub(super) async fn load_mnist(run: RunId) -> Result<Rc<Mnist>, WorkerError> {
    if let Some(mnist) = STATE.with_borrow(|s| s.mnist.clone()) {
        return Ok(mnist);
    }
    let manifest = load_manifest().await?;
    let mut progress = start_progress(run, &manifest, "mnist");
    let (train, names) = load_split(run, &manifest, "mnist", "train", &mut progress).await?;
    let (test, _) = load_split(run, &manifest, "mnist", "test", &mut progress).await?;
    let mnist = Rc::new((train, names, test));
    STATE.with_borrow_mut(|s| s.mnist = Some(mnist.clone()));
    Ok(mnist)
}

/// MNIST's training split, its class names and its test split, as loaded and checked.
pub(super) type Mnist = (Shard, Vec<String>, Shard);
