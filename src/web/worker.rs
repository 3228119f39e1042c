//! The training worker: receives `ToWorker` messages, runs the core on WebGPU or the CPU
//! backend, and posts `FromWorker` messages back. It posts `Ready` first; the page queues
//! its messages until then.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use burn::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use super::fetch::FetchError;
use super::js::get;
use crate::activations::Input;
use crate::config::ConfigError;
use crate::data::manifest::ManifestError;
use crate::data::sample::SampleError;
use crate::data::shards::ShardError;
use crate::labs::dogs::engine::look_inside as dogs_inside;
use crate::labs::mnist::engine::MnistError;
use crate::labs::synth::engine::{look_inside as synth_inside, probe};
use crate::model::Net;
use crate::protocol::{FromWorker, ToWorker};
use crate::run::RunId;
use crate::train::{Driver, Event, Flow, TrainError};

mod concepts;
mod data;
mod device;
mod dogs;
mod event_loop;
mod jobs;
mod memory;
mod parallel;

use data::{load_manifest, load_mnist, load_split, start_progress};
use device::{GpuError, open_device, open_measured, probe_adapter};

use crate::web::js::yield_now;
use event_loop::sleep_ms;

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
    #[error("the other workers of this run could not be reached: train it again")]
    NoPorts,
    #[error("no trained model yet: train one first")]
    NotTrained,
    #[error("epsilons must be numbers from 0 to 1")]
    Epsilons,
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
    /// the wgpu device under it (to hear when it is lost). Only the WebGPU build has one.
    #[cfg(feature = "webgpu")]
    webgpu: Option<(Device, burn::tensor::wgpu::wgpu::Device)>,
    /// The adversarial lab's model and its 1,000 test images.
    adversary: Option<(Net, Rc<crate::data::Dataset>, Device)>,
    /// MNIST, once loaded: the MNIST lab's sizes (one job each) and the adversarial lab's
    /// model train on it without fetching and checking it again.
    mnist: Option<Rc<data::Mnist>>,
    /// The DogSet loaded last, kept between runs.
    dogs: Option<dogs::Loaded>,
    /// The last few CNNs this worker trained (Synth, DogSet), newest last, for the shift demo
    /// and the look inside them.
    trained: Vec<(RunId, Net, Device)>,
    /// The run this worker is training (one at a time); Pause and Stop name it.
    current: Option<RunId>,
    /// Ports to the other shares of a data-parallel run, handed over before its job.
    ports: Option<(RunId, Vec<web_sys::MessagePort>)>,
}

/// How many trained CNNs a worker keeps (442 parameters for a Synth CNN, 68,138 for the
/// homework's DogSet CNN).
const KEEP_TRAINED: usize = 4;

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
        // The ports of a data-parallel run come the same way, as `{ports, run}`.
        if let Some(ports) = parallel::take_ports(&data) {
            STATE.with_borrow_mut(|s| s.ports = Some(ports));
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
/// run ends, posts its error, if any, and then `Idle` (the pool's cue to send the next job).
fn start_run(run: RunId, job: impl Future<Output = Result<(), WorkerError>> + 'static) {
    if STATE.with_borrow(|s| s.current.is_some()) {
        return fail(Some(run), WorkerError::Busy);
    }
    STATE.with_borrow_mut(|s| {
        s.current = Some(run);
        s.flags.stop.set(false);
        s.flags.paused.set(false);
    });
    spawn_local(async move {
        let result = job.await;
        STATE.with_borrow_mut(|s| s.current = None);
        if let Err(error) = result {
            fail(Some(run), error);
        }
        post(&FromWorker::Idle);
    });
}

/// Whether `run` is the one this worker trains (Pause and Stop for another run are stale).
fn is_current(run: RunId) -> bool {
    STATE.with_borrow(|s| s.current == Some(run))
}

fn handle(message: ToWorker) {
    let flags = STATE.with_borrow(|s| s.flags.clone());
    match message {
        ToWorker::Start { run, backend, measured, job } => start_run(run, jobs::run(run, backend, measured, job)),
        ToWorker::LoadDogs { run, source } => spawn_local(async move {
            if let Err(error) = dogs::load(run, source).await {
                fail(Some(run), error);
            }
        }),
        ToWorker::Gallery { class, page } => dogs::gallery(class, page),
        ToWorker::ForgetDogs => spawn_local(dogs::forget()),
        ToWorker::Attack { run, image, epsilon, target } => spawn_local(concepts::attack(run, image, epsilon, target)),
        ToWorker::Pause { run } if is_current(run) => flags.paused.set(true),
        ToWorker::Resume { run } if is_current(run) => flags.paused.set(false),
        ToWorker::Stop { run } if is_current(run) => flags.stop.set(true),
        ToWorker::Pause { .. } | ToWorker::Resume { .. } | ToWorker::Stop { .. } => {}
        ToWorker::Probe { run, image } => spawn_local(probe_image(run, image)),
        ToWorker::LookInside { run, input } => spawn_local(look_inside(run, input)),
        ToWorker::Crash => panic!("test hook: the page asked this worker to crash"),
        ToWorker::LoseGpu => lose_gpu(),
        ToWorker::ExhaustMemory => memory::exhaust(),
    }
}

/// Test hook: destroys the WebGPU device, as a driver reset would.
fn lose_gpu() {
    #[cfg(feature = "webgpu")]
    if let Some((_, gpu)) = STATE.with_borrow(|s| s.webgpu.clone()) {
        return gpu.destroy();
    }
    fail(None, WorkerError::NoGpuToLose)
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
    /// The epoch being timed, its first batch seen and when (seconds since `start`).
    epoch_start: (usize, usize, f64),
}

impl Poster {
    fn new(run: RunId) -> Self {
        Self { run, start: web_time::Instant::now(), last: f64::NEG_INFINITY, epoch_start: (0, 0, 0.0) }
    }

    fn progress(&mut self, epoch: usize, batch: usize, batches: usize) {
        let now = self.start.elapsed().as_secs_f64();
        if self.epoch_start.0 != epoch {
            self.epoch_start = (epoch, batch, now);
        }
        if now - self.last >= PROGRESS_EVERY_S || batch == batches {
            self.last = now;
            let (_, first, since) = self.epoch_start;
            let batches_per_s = (batch > first && now > since).then(|| (batch - first) as f64 / (now - since));
            post(&FromWorker::Progress { run: self.run, epoch, batch, batches, batches_per_s });
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

/// Keeps run `run`'s trained CNN for the demos, dropping the oldest past [`KEEP_TRAINED`].
pub(crate) fn keep_trained(run: RunId, net: &Net, device: &Device) {
    STATE.with_borrow_mut(|s| {
        s.trained.push((run, net.clone(), device.clone()));
        let extra = s.trained.len().saturating_sub(KEEP_TRAINED);
        s.trained.drain(..extra);
    });
}

/// The CNN run `run` trained, if this worker keeps it.
fn trained_model(run: RunId) -> Option<(Net, Device)> {
    STATE.with_borrow(|s| s.trained.iter().find(|(r, ..)| *r == run).map(|(_, n, d)| (n.clone(), d.clone())))
}

/// Every layer's output for one image in run `run`'s trained CNN. A failure is the page's
/// notice, not the run's: the run itself finished.
async fn look_inside(run: RunId, input: Input) {
    let Some((net, device)) = trained_model(run) else {
        return fail(None, WorkerError::NotTrained);
    };
    let result = match input {
        Input::Pixels(image) => synth_inside(&net, image, &device).await,
        Input::DogTest(index) => match STATE.with_borrow(|s| s.dogs.clone()) {
            Some(loaded) => dogs_inside(&net, &loaded.splits, index, &device).await,
            None => return fail(None, WorkerError::NoDogsLoaded),
        },
    };
    match result {
        Ok(activations) => post(&FromWorker::Inside { run, activations }),
        Err(e) => fail(None, e.into()),
    }
}

async fn probe_image(run: RunId, image: Vec<f32>) {
    let Some((net, device)) = trained_model(run) else {
        return fail(Some(run), WorkerError::NotTrained);
    };
    match probe(&net, image, &device).await {
        Ok((maps, map_shape, probs)) => post(&FromWorker::Probe { run, maps, map_shape, probs }),
        Err(e) => fail(Some(run), e.into()),
    }
}
