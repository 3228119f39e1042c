//! The training worker: receives `ToWorker` messages, runs the core on WebGPU or the CPU
//! backend, and posts `FromWorker` messages back. It posts `Ready` first; the page queues
//! its messages until then.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use burn::prelude::*;
use burn::tensor::wgpu::WgpuBackend;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use super::fetch::FetchError;
use super::js::{call, describe, get};
use crate::config::ConfigError;
use crate::data::manifest::{self, Manifest, ManifestError};
use crate::data::sample::SampleError;
use crate::data::shards::{Shard, ShardError};
use crate::labs::mnist::engine::{MnistError, run_scaling};
use crate::labs::synth::engine::{probe, run_synth, shift_sweep};
use crate::labs::{mnist::MnistLab, synth::SynthLab};
use crate::model::Net;
use crate::protocol::{FromWorker, ToWorker};
use crate::run::{BackendChoice, BackendInfo, BackendKind, Checkpoint, EpochRecord, RunId, RunSummary, StopReason};
use crate::train::{Driver, Event, Flow, TrainError};

mod concepts;
mod dogs;
mod event_loop;

use event_loop::{sleep_ms, yield_now};

/// Yield to the event loop after this much uninterrupted work, so Stop/Pause arrive fast
/// without paying a yield per batch.
const YIELD_EVERY_S: f64 = 0.02;
/// Post batch progress at most this often.
const PROGRESS_EVERY_S: f64 = 0.1;

/// Why a worker job failed. Its `Display` is the sentence the page shows: errors become text
/// only where the worker posts `FromWorker::Error` (see [`fail`]).
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("unreadable message from the page: {0}")]
    Message(#[source] serde_json::Error),
    #[error("a run is already training; stop it first")]
    Busy,
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error(transparent)]
    Sample(#[from] SampleError),
    #[error(transparent)]
    Mnist(#[from] MnistError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("WebGPU is not available: {0}. Choose the CPU backend and train again.")]
    NoWebGpu(#[source] GpuError),
    #[error("no WebGPU device to lose")]
    NoGpuToLose,
    #[error("{url}: {source}")]
    Manifest { url: &'static str, source: ManifestError },
    #[error("data/manifest.json lists no `{dataset}` dataset")]
    NoDataset { dataset: String },
    #[error("data/manifest.json: {dataset} has no `{split}` split")]
    NoSplit { dataset: String, split: String },
    #[error("data/{0}. Retry; if it fails again the hosted copy is damaged")]
    Shard(#[source] ManifestError),
    #[error("no trained model yet: train one first")]
    NotTrained,
    #[error("epsilons must be numbers from 0 to 1")]
    Epsilons,
    #[error("the MNIST lab has not trained a model in this worker yet: train it first, or attack a quick model")]
    NoLabModel,
    #[error("no model to attack yet: prepare one first")]
    NoAdversary,
    #[error("that image, epsilon or target is out of range")]
    AttackRange,
    #[error("data/manifest.json lists no DogSet or stand-in")]
    NoDogSet,
    #[error("no DogSet is loaded yet")]
    NoDogsLoaded,
    #[error("no DogSet of yours is kept in this browser: load it again")]
    NoKeptDogSet,
    #[error("the kept DogSet's notes: {0}")]
    KeptNotes(#[source] serde_json::Error),
    #[error("the kept DogSet is incomplete: load it again")]
    KeptIncomplete,
    #[error("the kept DogSet's {partition} images: {source}")]
    KeptImages { partition: &'static str, source: ShardError },
    #[error(
        "could not keep your DogSet in this browser ({0}); it is loaded until you reload the page. Free some site storage (or leave private browsing) to keep it"
    )]
    KeepDogSet(#[source] FetchError),
}

/// Why there is no WebGPU device: what the page shows beside the backend choice.
#[derive(Debug, Clone, thiserror::Error)]
pub enum GpuError {
    #[error("this browser has no WebGPU (navigator.gpu is missing)")]
    NoApi,
    /// `requestAdapter` threw: its message.
    #[error("{0}")]
    Js(String),
    #[error("requestAdapter did not return a promise")]
    NotPromise,
    #[error("requestAdapter failed: {0}")]
    Request(String),
    #[error("the browser offers no WebGPU adapter (requestAdapter returned null)")]
    NoAdapter,
    /// burn could not open the device: its error as burn prints it.
    #[error("could not open the WebGPU device: {0}")]
    Open(String),
}

/// Tells the page that `run` (or the worker, for `None`) failed: where errors become text.
fn fail(run: Option<RunId>, error: WorkerError) {
    post(&FromWorker::Error { run, message: error.to_string() });
}

#[derive(Default)]
struct Flags {
    stop: Cell<bool>,
    paused: Cell<bool>,
}

#[derive(Default)]
struct State {
    flags: Rc<Flags>,
    /// Whether the browser offers a WebGPU adapter, probed once at start.
    adapter: Option<Result<String, GpuError>>,
    /// burn's WebGPU device, initialised on first use (it can be initialised only once), and
    /// the wgpu device under it (to hear when it is lost).
    webgpu: Option<(Device, burn::tensor::wgpu::wgpu::Device)>,
    /// The MNIST lab's largest trained model: its training-set size and weights.
    mnist_model: Option<(usize, Checkpoint)>,
    /// The adversarial lab's model and its 1,000 test images.
    adversary: Option<(Net, Rc<crate::data::Dataset>, Device)>,
    /// The DogSet loaded last, kept between runs.
    dogs: Option<dogs::Loaded>,
    /// The last trained model, for the shift demo.
    trained: Option<(RunId, Net, Device)>,
    busy: bool,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::default();
}

/// The worker's global scope (this module runs only in a dedicated worker).
fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Worker entry point: installs the message handler, posts `Ready`, probes WebGPU.
pub fn start() {
    console_error_panic_hook::set_once();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
        let data = event.data();
        // A user's DogSet arrives as File objects, which only travel outside JSON, in the
        // page's own `{upload: entries}` object: a plain object, read by name.
        let upload = get(&data, "upload");
        if upload.is_object() {
            spawn_local(dogs::upload(upload));
            return;
        }
        let data = data.as_string().unwrap_or_default();
        match ToWorker::from_json(&data) {
            Ok(message) => handle(message),
            Err(e) => fail(None, WorkerError::Message(e)),
        }
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(&FromWorker::Ready);
    spawn_local(async {
        let adapter = probe_adapter().await;
        let (name, reason) = match &adapter {
            Ok(name) => (Some(name.clone()), None),
            Err(reason) => (None, Some(reason.to_string())),
        };
        STATE.with_borrow_mut(|s| s.adapter = Some(adapter));
        post(&FromWorker::Gpu { adapter: name, reason });
    });
}

fn post(message: &FromWorker) {
    let _ = scope().post_message(&JsValue::from_str(&message.to_json()));
}

/// Starts a run unless one is training: clears Stop and Pause, keeps the worker busy until the
/// run ends, and posts its error, if any.
fn start_run(run: RunId, job: impl Future<Output = Result<(), WorkerError>> + 'static) {
    if STATE.with_borrow(|s| s.busy) {
        return fail(Some(run), WorkerError::Busy);
    }
    STATE.with_borrow_mut(|s| {
        s.busy = true;
        s.flags.stop.set(false);
        s.flags.paused.set(false);
    });
    spawn_local(async move {
        let result = job.await;
        STATE.with_borrow_mut(|s| s.busy = false);
        if let Err(error) = result {
            fail(Some(run), error);
        }
    });
}

fn handle(message: ToWorker) {
    let flags = STATE.with_borrow(|s| s.flags.clone());
    match message {
        ToWorker::Train { run, lab, backend, resume } => start_run(run, train_inner(run, lab, backend, resume)),
        ToWorker::TrainMnist { run, lab, backend } => start_run(run, train_mnist_inner(run, lab, backend)),
        ToWorker::LoadDogs { run, source } => spawn_local(async move {
            if let Err(error) = dogs::load(run, source).await {
                fail(Some(run), error);
            }
        }),
        ToWorker::TrainDogs { run, lab, backend, resume } => start_run(run, dogs::train(run, lab, backend, resume)),
        ToWorker::Gallery { class, page } => dogs::gallery(class, page),
        ToWorker::ForgetDogs => spawn_local(dogs::forget()),
        ToWorker::TrainXor { run, lab, backend } => start_run(run, concepts::xor(run, lab, backend)),
        ToWorker::PrepareAttacks { run, epsilons, backend, lab_model } => {
            start_run(run, concepts::prepare(run, epsilons, backend, lab_model))
        }
        ToWorker::Attack { run, image, epsilon, target } => spawn_local(concepts::attack(run, image, epsilon, target)),
        ToWorker::Pause => flags.paused.set(true),
        ToWorker::Resume => flags.paused.set(false),
        ToWorker::Stop => flags.stop.set(true),
        ToWorker::Probe { run, image } => spawn_local(probe_image(run, image)),
        ToWorker::Crash => panic!("test hook: the page asked this worker to crash"),
        ToWorker::LoseGpu => match STATE.with_borrow(|s| s.webgpu.clone()) {
            Some((_, gpu)) => gpu.destroy(),
            None => fail(None, WorkerError::NoGpuToLose),
        },
    }
}

/// `navigator.gpu.requestAdapter()`: the adapter's name, or why there is none.
///
/// web-sys types WebGPU (`Gpu`, `GpuAdapter`) only behind `--cfg web_sys_unstable_apis`,
/// which would change the RUSTFLAGS of the whole worker build (and rebuild burn), so the few
/// fields read here are read by name (`js::get`, `js::call`: Reflect).
async fn probe_adapter() -> Result<String, GpuError> {
    let gpu = get(&scope().navigator(), "gpu");
    if gpu.is_undefined() || gpu.is_null() {
        return Err(GpuError::NoApi);
    }
    let promise: js_sys::Promise = call(&gpu, "requestAdapter", &[])
        .map_err(|e| GpuError::Js(describe(&e)))?
        .dyn_into()
        .map_err(|_| GpuError::NotPromise)?;
    let adapter = JsFuture::from(promise).await.map_err(|e| GpuError::Request(describe(&e)))?;
    if adapter.is_null() || adapter.is_undefined() {
        return Err(GpuError::NoAdapter);
    }
    let info = get(&adapter, "info");
    let field = |name| get(&info, name).as_string().filter(|s| !s.is_empty());
    let name = [field("vendor"), field("architecture"), field("description")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let fallback = get(&adapter, "isFallbackAdapter").as_bool() == Some(true)
        || get(&info, "isFallbackAdapter").as_bool() == Some(true);
    let name = if name.is_empty() { "unnamed adapter".to_string() } else { name };
    Ok(if fallback { format!("{name} (software fallback adapter)") } else { name })
}

/// The device for a run, and what to tell the user about it.
async fn pick_device(choice: BackendChoice) -> Result<(Device, BackendInfo), WorkerError> {
    let cpu = |note: Option<String>| {
        (
            Device::flex().autodiff(),
            BackendInfo { kind: BackendKind::Cpu, name: "CPU (burn flex, wasm SIMD)".into(), note },
        )
    };
    if choice == BackendChoice::Cpu {
        return Ok(cpu(None));
    }
    let adapter = STATE.with_borrow(|s| s.adapter.clone());
    let adapter = match adapter {
        Some(a) => a,
        None => probe_adapter().await,
    };
    let gpu = match adapter {
        Ok(name) => init_webgpu().await.map(|d| (d, name)),
        Err(reason) => Err(reason),
    };
    match (gpu, choice) {
        (Ok((device, name)), _) => {
            Ok((device, BackendInfo { kind: BackendKind::WebGpu, name: format!("WebGPU on {name}"), note: None }))
        }
        (Err(reason), BackendChoice::Auto) => Ok(cpu(Some(format!("WebGPU unavailable: {reason}")))),
        (Err(reason), _) => Err(WorkerError::NoWebGpu(reason)),
    }
}

/// The device for run `run`, announced to the page; whether it is WebGPU.
async fn open_device(run: RunId, choice: BackendChoice) -> Result<(Device, bool), WorkerError> {
    let (device, info) = pick_device(choice).await?;
    let gpu = info.kind == BackendKind::WebGpu;
    post(&FromWorker::Backend { run, info });
    Ok((device, gpu))
}

async fn init_webgpu() -> Result<Device, GpuError> {
    if let Some((device, _)) = STATE.with_borrow(|s| s.webgpu.clone()) {
        return Ok(device);
    }
    let (device, setup) = Device::wgpu_options()
        .graphics_api(WgpuBackend::WebGpu)
        .init_with_setup_async()
        .await
        // burn's error has no Display; its Debug form is what the page has always shown.
        .map_err(|e| GpuError::Open(format!("{e:?}")))?;
    // A lost device (driver reset, GPU removed, tab in the background too long) cannot be
    // reopened in this worker: stop the run and tell the page, which offers a restart.
    setup.device.set_device_lost_callback(|reason, message| {
        STATE.with_borrow(|s| s.flags.stop.set(true));
        post(&FromWorker::Crashed { message: format!("the GPU device was lost ({reason:?}: {message})") });
    });
    let device = device.autodiff();
    STATE.with_borrow_mut(|s| s.webgpu = Some((device.clone(), setup.device)));
    Ok(device)
}

/// Yields to the event loop between batches and honours Pause and Stop.
struct WorkerDriver {
    run: RunId,
    flags: Rc<Flags>,
    start: web_time::Instant,
    last_yield: f64,
}

impl WorkerDriver {
    /// A driver for run `run`, its clock starting now.
    fn new(run: RunId) -> Self {
        let flags = STATE.with_borrow(|s| s.flags.clone());
        Self { run, flags, start: web_time::Instant::now(), last_yield: 0.0 }
    }
}

/// Forwards a run's events to the page: batch progress at most every [`PROGRESS_EVERY_S`]
/// (and at the end of each epoch), every epoch and checkpoint as they come.
struct Poster {
    run: RunId,
    start: web_time::Instant,
    last: f64,
}

impl Poster {
    fn new(run: RunId) -> Self {
        Self { run, start: web_time::Instant::now(), last: f64::NEG_INFINITY }
    }

    fn progress(&mut self, epoch: usize, batch: usize, batches: usize) {
        let now = self.start.elapsed().as_secs_f64();
        if now - self.last >= PROGRESS_EVERY_S || batch == batches {
            self.last = now;
            post(&FromWorker::Progress { run: self.run, epoch, batch, batches });
        }
    }

    fn event(&mut self, event: Event) {
        let run = self.run;
        match event {
            Event::Progress { epoch, batch, batches } => self.progress(epoch, batch, batches),
            Event::Epoch { record, kernels } => {
                post(&FromWorker::Epoch { run, record, kernels: kernels.unwrap_or_default() })
            }
            Event::Checkpoint(checkpoint) => post(&FromWorker::Checkpoint { run, checkpoint }),
        }
    }
}

impl Driver for WorkerDriver {
    async fn checkpoint(&mut self) -> Flow {
        if self.now() - self.last_yield >= YIELD_EVERY_S {
            yield_now().await;
            self.last_yield = self.now();
        }
        if self.flags.paused.get() && !self.flags.stop.get() {
            post(&FromWorker::Paused { run: self.run, paused: true });
            while self.flags.paused.get() && !self.flags.stop.get() {
                sleep_ms(50).await;
            }
            self.last_yield = self.now();
            post(&FromWorker::Paused { run: self.run, paused: false });
        }
        if self.flags.stop.get() { Flow::Stop } else { Flow::Continue }
    }

    fn now(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }
}

async fn train_inner(
    run: RunId,
    lab: SynthLab,
    choice: BackendChoice,
    resume: Option<(Checkpoint, Vec<EpochRecord>)>,
) -> Result<(), WorkerError> {
    lab.validate()?;
    let (device, gpu) = open_device(run, choice).await?;
    post(&FromWorker::Status {
        run,
        text: if gpu {
            "Generating the images, then compiling GPU kernels: the first batches take seconds each".into()
        } else {
            "Generating the images".into()
        },
    });
    let mut poster = Poster::new(run);
    let (net, record) = run_synth(&lab, resume, &device, &mut WorkerDriver::new(run), &mut |e| poster.event(e)).await?;
    let trained = !record.epochs.is_empty();
    if trained {
        STATE.with_borrow_mut(|s| s.trained = Some((run, net.clone(), device.clone())));
    }
    post(&FromWorker::Done { run, summary: record.summary });
    if trained {
        let sweep = shift_sweep(&net, &device).await?;
        post(&FromWorker::Sweep { run, sweep });
    }
    Ok(())
}

async fn probe_image(run: RunId, image: Vec<f32>) {
    let Some((trained_run, net, device)) = STATE.with_borrow(|s| s.trained.clone()) else {
        return fail(Some(run), WorkerError::NotTrained);
    };
    match probe(&net, image, &device).await {
        Ok((maps, map_shape, probs)) => post(&FromWorker::Probe { run: trained_run, maps, map_shape, probs }),
        Err(e) => fail(Some(run), e.into()),
    }
}

/// The manifest from the network, or from the cache when the network fails (offline reload).
async fn load_manifest() -> Result<Manifest, WorkerError> {
    const URL: &str = "data/manifest.json";
    let text = match super::fetch::fetch_text(URL).await {
        Ok(text) => {
            let _ = super::fetch::cache_put(URL, text.as_bytes()).await;
            text
        }
        // Offline: the cached copy, or the download's error when there is none to read.
        Err(e) => match super::fetch::cache_get(URL).await.map(String::from_utf8) {
            Some(Ok(text)) => text,
            _ => return Err(e.into()),
        },
    };
    Manifest::parse(&text).map_err(|source| WorkerError::Manifest { url: URL, source })
}

/// Fetches (or takes from the cache) and checks every shard of `split`; nothing unverified
/// is ever used or cached.
async fn load_split(
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
        let checked = match super::fetch::cache_get(&key).await.map(|b| shard.check(&b, entry.image_shape)) {
            Some(Ok(s)) => {
                progress.2 += 1;
                s
            }
            stale => {
                if stale.is_some() {
                    super::fetch::cache_delete(&key).await;
                }
                let (base, total, cached, files) = *progress;
                let mut last = 0.0;
                let bytes = super::fetch::fetch_bytes(&url, &mut |n| {
                    let now = js_sys::Date::now();
                    if now - last > 100.0 {
                        last = now;
                        post(&FromWorker::DataProgress { run, loaded: base + n, total, cached_files: cached, files });
                    }
                })
                .await?;
                let s = shard.check(&bytes, entry.image_shape).map_err(WorkerError::Shard)?;
                let _ = super::fetch::cache_put(&key, &bytes).await;
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
fn start_progress(run: RunId, manifest: &Manifest, dataset: &str) -> (u64, u64, usize, usize) {
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
async fn load_mnist(run: RunId) -> Result<(Shard, Vec<String>, Shard), WorkerError> {
    let manifest = load_manifest().await?;
    let mut progress = start_progress(run, &manifest, "mnist");
    let (train, names) = load_split(run, &manifest, "mnist", "train", &mut progress).await?;
    let (test, _) = load_split(run, &manifest, "mnist", "test", &mut progress).await?;
    Ok((train, names, test))
}

async fn train_mnist_inner(run: RunId, lab: MnistLab, choice: BackendChoice) -> Result<(), WorkerError> {
    lab.validate()?;
    let (device, _) = open_device(run, choice).await?;
    let (train, names, test) = load_mnist(run).await?;
    let mut driver = WorkerDriver::new(run);
    let flags = driver.flags.clone();
    let mut poster = Poster::new(run);
    let mut weights = std::collections::HashMap::new();
    let results = run_scaling(&lab, &train, &test, &names, &device, &mut driver, &mut |size, event| match event {
        Event::Progress { epoch, batch, batches } => poster.progress(epoch, batch, batches),
        Event::Epoch { record, .. } => post(&FromWorker::SizeEpoch { run, size, record }),
        Event::Checkpoint(checkpoint) => {
            weights.insert(size, checkpoint);
        }
    })
    .await?;
    if let Some(largest) = results.iter().map(|r| r.size).max()
        && let Some(c) = weights.get(&largest)
    {
        STATE.with_borrow_mut(|s| s.mnist_model = Some((largest, c.clone())));
    }
    for result in &results {
        post(&FromWorker::SizeDone { run, result: result.clone(), checkpoint: weights.remove(&result.size) });
    }
    let stop = if flags.stop.get() { StopReason::Cancelled } else { StopReason::Completed };
    let summary = RunSummary {
        epochs_trained: results.iter().map(|r| r.epochs_trained).sum(),
        stop,
        train_seconds: results.iter().map(|r| r.train_seconds).sum(),
        parameters: crate::net::NetConfig::mnist_mlp().parameter_count().unwrap_or(0),
    };
    post(&FromWorker::Done { run, summary });
    Ok(())
}
