//! The worker's DogSet side: loading the user's own DogSet from File objects (a folder or a
//! .zip), decoding its images with the browser's decoder, keeping the checked set in Cache
//! Storage; loading the hosted set or the stand-in from data/; training the two networks.

use std::collections::BTreeMap;
use std::rc::Rc;

use burn::prelude::Device;
use js_sys::{Array, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    Blob, ColorSpaceConversion, ImageBitmap, ImageBitmapOptions, OffscreenCanvas, OffscreenCanvasRenderingContext2d,
    PremultiplyAlpha,
};

use super::parallel::PortExchange;
use super::{
    Poster, STATE, WorkerDriver, WorkerError, fail, load_manifest, load_split, open_measured, post, start_progress,
};
use crate::data::dogs::{
    self, Decoded, DogSetBuilder, DogSetInfo, DogSplits, DogsError, ImageError, LoadFailure, LoadReport, UnzipError,
};
use crate::data::shards;
use crate::labs::dogs::DogLab;
use crate::labs::dogs::engine::{judge_picks, run_dogs_shared, speed};
use crate::protocol::FromWorker;
use crate::run::{BackendChoice, Checkpoint, DogSource, EngineMeasure, EpochRecord, RunId, Share};
use crate::train::parallel::{Alone, Exchange};
use crate::web::fetch::{FetchError, cache_delete, cache_get, cache_put, resolve};
use crate::web::js::describe;

/// Cache keys of the user's own DogSet (one shard per partition, and what the checks found).
const UPLOAD_PREFIX: &str = "nnlab-dogset/";
const UPLOAD_META: &str = "nnlab-dogset/meta.json";

/// Why the user's DogSet was not loaded; `Display` is the sentence the page shows above the
/// report (posted as `FromWorker::DogLoadFailed`).
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("{path} cannot be read ({source})")]
    Read { path: String, source: FetchError },
    #[error("{path}: {source}")]
    Unzip { path: String, source: UnzipError },
    #[error(transparent)]
    Dogs(#[from] DogsError),
    /// Too large for the worker's memory, found before reading or decoding it.
    #[error(transparent)]
    TooLarge(#[from] dogs::budget::TooLarge),
    /// The checks left a partition empty: the report says which rows were refused.
    #[error(transparent)]
    Refused(Box<LoadFailure>),
}

impl UploadError {
    /// What the checks found before the load failed.
    fn report(&self) -> LoadReport {
        match self {
            UploadError::Refused(failure) => failure.report.clone(),
            _ => LoadReport::default(),
        }
    }
}

/// A set in memory, with what the page was told about it.
#[derive(Clone)]
pub struct Loaded {
    pub splits: Rc<DogSplits>,
    pub info: DogSetInfo,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct UploadMeta {
    class_names: Vec<String>,
    report: LoadReport,
}

fn upload_key(partition: &str) -> String {
    format!("{UPLOAD_PREFIX}{partition}.safetensors.gz")
}

/// The sources this browser can use now, in the order `Auto` prefers them.
async fn available(manifest: Option<&crate::data::manifest::Manifest>) -> Vec<DogSource> {
    let mut sources = vec![];
    if cache_get(UPLOAD_META).await.is_some() {
        sources.push(DogSource::Uploaded);
    }
    for (name, source) in [(dogs::DOGSET_NAME, DogSource::Hosted), (dogs::STAND_IN_NAME, DogSource::StandIn)] {
        if manifest.is_some_and(|m| m.datasets.contains_key(name)) {
            sources.push(source);
        }
    }
    sources
}

/// Loads `source` (or takes it from memory) and posts its description.
pub async fn load(run: RunId, source: DogSource) -> Result<Loaded, WorkerError> {
    if let Some(loaded) = STATE.with_borrow(|s| s.dogs.clone())
        && (source == DogSource::Auto || source == loaded.info.source)
    {
        post(&FromWorker::DogData { run, info: loaded.info.clone() });
        return Ok(loaded);
    }
    let manifest = load_manifest().await;
    let sources = available(manifest.as_ref().ok()).await;
    let source = match (source, sources.first()) {
        (DogSource::Auto, Some(first)) => *first,
        // Nothing to load: say why the manifest failed, if it did.
        (DogSource::Auto, None) => return Err(manifest.err().unwrap_or(WorkerError::NoDogSet)),
        (s, _) => s,
    };
    let (splits, mut info) = match source {
        DogSource::Uploaded => {
            let meta = cache_get(UPLOAD_META).await.ok_or(WorkerError::NoKeptDogSet)?;
            let meta: UploadMeta = serde_json::from_slice(&meta).map_err(WorkerError::KeptNotes)?;
            let mut parts = vec![];
            for partition in dogs::PARTITIONS {
                let bytes = cache_get(&upload_key(partition)).await.ok_or(WorkerError::KeptIncomplete)?;
                parts.push(shards::decode(&bytes).map_err(|source| WorkerError::KeptImages { partition, source })?);
            }
            let splits = DogSplits::from_shards(parts.try_into().expect("three partitions"), meta.class_names);
            let mut info = splits.info(source, "your DogSet", false);
            info.report = Some(meta.report);
            (splits, info)
        }
        DogSource::Hosted | DogSource::StandIn | DogSource::Auto => {
            let manifest = manifest?;
            let name = if source == DogSource::Hosted { dogs::DOGSET_NAME } else { dogs::STAND_IN_NAME };
            let mut progress = start_progress(run, &manifest, name);
            let mut parts = vec![];
            let mut names = vec![];
            for p in dogs::PARTITIONS {
                let (shard, class_names) = load_split(run, &manifest, name, p, &mut progress).await?;
                parts.push(shard);
                names = class_names;
            }
            let splits = DogSplits::from_shards(parts.try_into().expect("three partitions"), names);
            let title = manifest.datasets[name].title.clone();
            let info = splits.info(source, &title, source == DogSource::StandIn);
            (splits, info)
        }
    };
    info.available = sources;
    let loaded = Loaded { splits: Rc::new(splits), info };
    STATE.with_borrow_mut(|s| s.dogs = Some(loaded.clone()));
    post(&FromWorker::DogData { run, info: loaded.info.clone() });
    Ok(loaded)
}

/// Trains one DogSet network: the set (loaded if needed), then the run, then the test.
pub async fn train(
    run: RunId,
    lab: DogLab,
    choice: BackendChoice,
    measured: Option<EngineMeasure>,
    resume: Option<(Checkpoint, Vec<EpochRecord>)>,
    share: Option<Share>,
    picks: Vec<usize>,
) -> Result<(), WorkerError> {
    lab.validate()?;
    let loaded = load(run, lab.source).await?;
    let time = async |device: &Device| speed(&lab, &loaded.splits, device, &mut WorkerDriver::new(run)).await;
    let (device, gpu) = open_measured(run, choice, measured, time).await?;
    if gpu {
        post(&FromWorker::Status {
            run,
            text: "Compiling GPU kernels for this model before the first epoch (seconds, once per visit)".into(),
        });
    }
    match share.filter(|s| s.count > 1) {
        None => train_share(run, &lab, &loaded, resume, &picks, &mut Alone, &device).await,
        Some(share) => {
            // The page handed this worker its ports to the other shares just before the job.
            let ports = STATE.with_borrow_mut(|s| s.ports.take_if(|(r, _)| *r == run)).ok_or(WorkerError::NoPorts)?;
            let flags = STATE.with_borrow(|s| s.flags.clone());
            let mut exchange = PortExchange::new(share, ports.1, flags);
            train_share(run, &lab, &loaded, resume, &picks, &mut exchange, &device).await
        }
    }
}

/// Trains this worker's share of a DogSet run; only the leader (or a worker alone) reports.
async fn train_share(
    run: RunId,
    lab: &DogLab,
    loaded: &Loaded,
    resume: Option<(Checkpoint, Vec<EpochRecord>)>,
    picks: &[usize],
    exchange: &mut impl Exchange,
    device: &Device,
) -> Result<(), WorkerError> {
    let leader = exchange.share().is_leader();
    let mut poster = Poster::new(run);
    let result = run_dogs_shared(
        lab,
        &loaded.splits,
        resume,
        exchange,
        device,
        &mut WorkerDriver::new(run),
        |layers| {
            if leader {
                post(&FromWorker::Layers { run, layers })
            }
        },
        &mut |e| {
            if leader {
                poster.event(e)
            }
        },
    )
    .await?;
    if !leader {
        return Ok(());
    }
    if !result.net.convs.is_empty() && result.test.is_some() {
        super::keep_trained(run, &result.net, device);
    }
    if let Some((loss, accuracy)) = result.test {
        let mut evaluation = result.evaluation;
        if let Some(e) = evaluation.as_mut().filter(|_| !picks.is_empty()) {
            e.picks = judge_picks(&result.net, &loaded.splits, picks, device).await?;
        }
        post(&FromWorker::Tested { run, loss, accuracy, evaluation });
    }
    post(&FromWorker::Done { run, summary: result.record.summary });
    Ok(())
}

/// Posts one page of the loaded set's training images of `class`.
pub fn gallery(class: u8, page: usize) {
    let Some(loaded) = STATE.with_borrow(|s| s.dogs.clone()) else {
        return fail(None, WorkerError::NoDogsLoaded);
    };
    let (indices, images, pages) = loaded.splits.gallery(class, page, dogs::GALLERY_PAGE);
    post(&FromWorker::Gallery { class, page, pages, indices, images });
}

/// Deletes the user's DogSet from this browser and loads what is left.
pub async fn forget() {
    for p in dogs::PARTITIONS {
        cache_delete(&upload_key(p)).await;
    }
    cache_delete(UPLOAD_META).await;
    STATE.with_borrow_mut(|s| s.dogs = None);
    if let Err(error) = load(0, DogSource::Auto).await {
        fail(None, error);
    }
}

/// The files the user chose: File objects by path, or a .zip's contents.
enum Files {
    Blobs(BTreeMap<String, JsValue>),
    Unzipped(BTreeMap<String, Vec<u8>>),
}

impl Files {
    fn has(&self, path: &str) -> bool {
        match self {
            Files::Blobs(m) => m.contains_key(path),
            Files::Unzipped(m) => m.contains_key(path),
        }
    }

    /// Bytes the files take in memory now (the user's own files are read one at a time).
    fn bytes(&self) -> u64 {
        match self {
            Files::Blobs(_) => 0,
            Files::Unzipped(m) => m.values().map(|b| b.len() as u64).sum(),
        }
    }

    fn paths(&self) -> Vec<&str> {
        match self {
            Files::Blobs(m) => m.keys().map(String::as_str).collect(),
            Files::Unzipped(m) => m.keys().map(String::as_str).collect(),
        }
    }

    async fn read(&self, path: &str) -> Result<Vec<u8>, FetchError> {
        match self {
            Files::Blobs(m) => read_blob(&m[path]).await,
            Files::Unzipped(m) => Ok(m[path].clone()),
        }
    }
}

/// A File's bytes.
async fn read_blob(file: &JsValue) -> Result<Vec<u8>, FetchError> {
    let blob = file.dyn_ref::<Blob>().ok_or_else(|| FetchError::Js("not a file".into()))?;
    Ok(Uint8Array::new(&resolve(blob.array_buffer()).await?).to_vec())
}

/// Decodes image bytes with the browser's own decoder, as RGBA without colour management.
async fn decode(bytes: &[u8]) -> Result<Decoded, ImageError> {
    let host = |e: JsValue| ImageError::Host(describe(&e));
    // Feature detection: whether the global has the constructor at all (Safari before 16.4
    // has no OffscreenCanvas); calling a missing one through web-sys would only say "not
    // defined", and there is no typed way to ask.
    if !js_sys::Reflect::has(&js_sys::global(), &"OffscreenCanvas".into()).unwrap_or(false) {
        return Err(ImageError::Host("this browser has no OffscreenCanvas".into()));
    }
    let blob = Blob::new_with_u8_array_sequence(&Array::of1(&Uint8Array::from(bytes))).map_err(host)?;
    let options = ImageBitmapOptions::new();
    options.set_premultiply_alpha(PremultiplyAlpha::None);
    options.set_color_space_conversion(ColorSpaceConversion::None);
    let promise = super::scope()
        .create_image_bitmap_with_blob_and_image_bitmap_options(&blob, &options)
        .map_err(|e| ImageError::Undecodable(describe(&e)))?;
    // createImageBitmap() resolves to an ImageBitmap.
    let bitmap: ImageBitmap =
        resolve(promise).await.map_err(|e| ImageError::Undecodable(e.to_string()))?.unchecked_into();
    let (width, height) = (bitmap.width(), bitmap.height());
    // Its pixels are copied into the worker's memory next: refuse a giant before that.
    if let Err(e) = dogs::check_dimensions(width as usize, height as usize) {
        bitmap.close();
        return Err(e);
    }
    let canvas = OffscreenCanvas::new(width, height).map_err(host)?;
    let context: OffscreenCanvasRenderingContext2d = canvas
        .get_context("2d")
        .map_err(host)?
        .ok_or_else(|| ImageError::Host("this browser offers no 2d canvas".into()))?
        .unchecked_into(); // a "2d" context of an OffscreenCanvas
    context.draw_image_with_image_bitmap(&bitmap, 0.0, 0.0).map_err(host)?;
    let data = context.get_image_data(0.0, 0.0, width.into(), height.into()).map_err(host)?;
    bitmap.close();
    Ok(Decoded { width: width as usize, height: height as usize, rgba: data.data().0 })
}

/// `entries`: `[[path, File], ...]` from the page (a folder's files, or one .zip).
async fn read_upload(entries: &JsValue) -> Result<Files, UploadError> {
    let mut blobs = BTreeMap::new();
    for entry in Array::from(entries).iter() {
        let entry = Array::from(&entry);
        blobs.insert(entry.get(0).as_string().unwrap_or_default(), entry.get(1));
    }
    if let [(path, blob)] = blobs.iter().collect::<Vec<_>>()[..]
        && path.to_ascii_lowercase().ends_with(".zip")
    {
        // A folder's files are read one at a time; a zip is held whole, packed and unpacked.
        dogs::budget::check_files(blob.dyn_ref::<Blob>().map_or(0.0, Blob::size) as u64, true)?;
        let bytes = read_blob(blob).await.map_err(|source| UploadError::Read { path: path.clone(), source })?;
        return dogs::unzip(&bytes)
            .map(Files::Unzipped)
            .map_err(|source| UploadError::Unzip { path: path.clone(), source });
    }
    Ok(Files::Blobs(blobs))
}

/// Reads and checks the user's DogSet: its partitions and what the checks found.
async fn check_upload(entries: &JsValue) -> Result<(DogSplits, LoadReport), UploadError> {
    let files = read_upload(entries).await?;
    let root = dogs::find_root(files.paths())?;
    let bytes = files
        .read(&format!("{root}dogs.csv"))
        .await
        .map_err(|source| UploadError::Read { path: "dogs.csv".into(), source })?;
    let mut builder = DogSetBuilder::new(dogs::check_csv(&String::from_utf8_lossy(&bytes))?);
    let total = builder.rows().len();
    dogs::budget::check_images(total, files.bytes())?;
    let mut last = 0.0;
    for i in 0..total {
        let image = match dogs::resolve(&root, &builder.rows()[i].file, |p| files.has(p)) {
            Ok(path) => match files.read(&path).await {
                Ok(bytes) => decode(&bytes).await,
                Err(e) => Err(ImageError::Unreadable(e.to_string())),
            },
            Err(e) => Err(e),
        };
        builder.add_image(i, image);
        let now = js_sys::Date::now();
        if now - last > 100.0 || i + 1 == total {
            last = now;
            post(&FromWorker::DogsProgress { done: i + 1, total });
        }
    }
    builder.finish().map_err(UploadError::Refused)
}

/// Checks the user's DogSet, keeps it in Cache Storage, and makes it the loaded set.
pub async fn upload(entries: JsValue) {
    let (splits, report) = match check_upload(&entries).await {
        Ok(checked) => checked,
        Err(e) => return post(&FromWorker::DogLoadFailed { message: e.to_string(), report: e.report() }),
    };
    // Kept before it is used, so a reload finds exactly what the page shows.
    let meta = UploadMeta { class_names: splits.class_names.clone(), report: report.clone() };
    let mut stored = Ok(());
    for (p, shard) in dogs::PARTITIONS.iter().zip(&splits.splits) {
        stored = stored.and(cache_put(&upload_key(p), &shards::encode(shard)).await);
    }
    stored = stored.and(cache_put(UPLOAD_META, &serde_json::to_vec(&meta).expect("notes serialise")).await);
    let mut info = splits.info(DogSource::Uploaded, "your DogSet", false);
    info.report = Some(report);
    if let Err(e) = stored {
        for p in dogs::PARTITIONS {
            cache_delete(&upload_key(p)).await;
        }
        cache_delete(UPLOAD_META).await;
        fail(None, WorkerError::KeepDogSet(e));
    }
    let manifest = load_manifest().await.ok();
    info.available = available(manifest.as_ref()).await;
    if !info.available.contains(&DogSource::Uploaded) {
        info.available.insert(0, DogSource::Uploaded);
    }
    STATE.with_borrow_mut(|s| s.dogs = Some(Loaded { splits: Rc::new(splits), info: info.clone() }));
    post(&FromWorker::DogData { run: 0, info });
}
