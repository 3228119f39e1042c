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

use super::js::{call, describe, get, sleep_ms, yield_now};
use crate::config::SynthLab;
use crate::labs::synth::{probe, run_synth, shift_sweep};
use crate::model::Net;
use crate::protocol::{BackendChoice, BackendInfo, BackendKind, FromWorker, RunId, ToWorker};
use crate::train::{Driver, Event, Flow};

/// Yield to the event loop after this much uninterrupted work, so Stop/Pause arrive fast
/// without paying a yield per batch.
const YIELD_EVERY_S: f64 = 0.02;
/// Post batch progress at most this often.
const PROGRESS_EVERY_S: f64 = 0.1;

#[derive(Default)]
struct Flags {
    stop: Cell<bool>,
    paused: Cell<bool>,
}

#[derive(Default)]
struct State {
    flags: Rc<Flags>,
    /// Whether the browser offers a WebGPU adapter, probed once at start.
    adapter: Option<Result<String, String>>,
    /// burn's WebGPU device, initialised on first use (it can be initialised only once).
    webgpu: Option<Device>,
    /// The last trained model, for the shift demo.
    trained: Option<(RunId, Net, Device)>,
    busy: bool,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::default();
}

/// Worker entry point: installs the message handler, posts `Ready`, probes WebGPU.
pub fn start() {
    console_error_panic_hook::set_once();
    let on_message = Closure::<dyn FnMut(JsValue)>::new(|event: JsValue| {
        let data = get(&event, "data").as_string().unwrap_or_default();
        match ToWorker::from_json(&data) {
            Ok(message) => handle(message),
            Err(e) => post(&FromWorker::Error { run: None, message: format!("unreadable message from the page: {e}") }),
        }
    });
    let _ = js_sys::Reflect::set(&js_sys::global(), &"onmessage".into(), on_message.as_ref());
    on_message.forget();
    post(&FromWorker::Ready);
    spawn_local(async {
        let adapter = probe_adapter().await;
        let (name, reason) = match &adapter {
            Ok(name) => (Some(name.clone()), None),
            Err(reason) => (None, Some(reason.clone())),
        };
        STATE.with_borrow_mut(|s| s.adapter = Some(adapter));
        post(&FromWorker::Gpu { adapter: name, reason });
    });
}

fn post(message: &FromWorker) {
    let _ = call(&js_sys::global(), "postMessage", &[JsValue::from_str(&message.to_json())]);
}

fn handle(message: ToWorker) {
    let flags = STATE.with_borrow(|s| s.flags.clone());
    match message {
        ToWorker::Train { run, lab, backend } => {
            if STATE.with_borrow(|s| s.busy) {
                post(&FromWorker::Error { run: Some(run), message: "a run is already training; stop it first".into() });
                return;
            }
            flags.stop.set(false);
            flags.paused.set(false);
            spawn_local(train(run, lab, backend));
        }
        ToWorker::Pause => flags.paused.set(true),
        ToWorker::Resume => flags.paused.set(false),
        ToWorker::Stop => flags.stop.set(true),
        ToWorker::Probe { run, image } => spawn_local(probe_image(run, image)),
        ToWorker::Crash => panic!("test hook: the page asked this worker to crash"),
    }
}

/// `navigator.gpu.requestAdapter()`: the adapter's name, or why there is none.
async fn probe_adapter() -> Result<String, String> {
    let gpu = get(&get(&js_sys::global(), "navigator"), "gpu");
    if gpu.is_undefined() || gpu.is_null() {
        return Err("this browser has no WebGPU (navigator.gpu is missing)".into());
    }
    let promise: js_sys::Promise = call(&gpu, "requestAdapter", &[])
        .map_err(|e| describe(&e))?
        .dyn_into()
        .map_err(|_| "requestAdapter did not return a promise")?;
    let adapter = JsFuture::from(promise).await.map_err(|e| format!("requestAdapter failed: {}", describe(&e)))?;
    if adapter.is_null() || adapter.is_undefined() {
        return Err("the browser offers no WebGPU adapter (requestAdapter returned null)".into());
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
async fn pick_device(choice: BackendChoice) -> Result<(Device, BackendInfo), String> {
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
        (Err(reason), _) => Err(format!("WebGPU is not available: {reason}. Choose the CPU backend and train again.")),
    }
}

async fn init_webgpu() -> Result<Device, String> {
    if let Some(device) = STATE.with_borrow(|s| s.webgpu.clone()) {
        return Ok(device);
    }
    let device = Device::wgpu_options()
        .graphics_api(WgpuBackend::WebGpu)
        .init_async()
        .await
        .map_err(|e| format!("could not open the WebGPU device: {e:?}"))?
        .autodiff();
    STATE.with_borrow_mut(|s| s.webgpu = Some(device.clone()));
    Ok(device)
}

/// Yields to the event loop between batches and honours Pause and Stop.
struct WorkerDriver {
    flags: Rc<Flags>,
    start: web_time::Instant,
    last_yield: f64,
}

impl Driver for WorkerDriver {
    async fn checkpoint(&mut self) -> Flow {
        if self.now() - self.last_yield >= YIELD_EVERY_S {
            yield_now().await;
            self.last_yield = self.now();
        }
        while self.flags.paused.get() && !self.flags.stop.get() {
            sleep_ms(50).await;
            self.last_yield = self.now();
        }
        if self.flags.stop.get() { Flow::Stop } else { Flow::Continue }
    }

    fn now(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }
}

async fn train(run: RunId, lab: SynthLab, choice: BackendChoice) {
    STATE.with_borrow_mut(|s| s.busy = true);
    let result = train_inner(run, lab, choice).await;
    STATE.with_borrow_mut(|s| s.busy = false);
    if let Err(message) = result {
        post(&FromWorker::Error { run: Some(run), message });
    }
}

async fn train_inner(run: RunId, lab: SynthLab, choice: BackendChoice) -> Result<(), String> {
    lab.validate().map_err(|e| e.to_string())?;
    let (device, info) = pick_device(choice).await?;
    let gpu = info.kind == BackendKind::WebGpu;
    post(&FromWorker::Backend { run, info });
    post(&FromWorker::Status {
        run,
        text: if gpu {
            "Generating the images, then compiling GPU kernels: the first batches take seconds each".into()
        } else {
            "Generating the images".into()
        },
    });
    let flags = STATE.with_borrow(|s| s.flags.clone());
    let mut driver = WorkerDriver { flags, start: web_time::Instant::now(), last_yield: 0.0 };
    let clock = driver.start;
    let mut last_progress = f64::NEG_INFINITY;
    let (net, record) = run_synth(&lab, &device, &mut driver, &mut |event| match event {
        Event::Progress { epoch, batch, batches } => {
            let now = clock.elapsed().as_secs_f64();
            if now - last_progress >= PROGRESS_EVERY_S || batch == batches {
                last_progress = now;
                post(&FromWorker::Progress { run, epoch, batch, batches });
            }
        }
        Event::Epoch { record, kernels } => {
            post(&FromWorker::Epoch { run, record, kernels: kernels.unwrap_or_default() });
        }
    })
    .await
    .map_err(|e| e.to_string())?;
    let trained = !record.epochs.is_empty();
    if trained {
        STATE.with_borrow_mut(|s| s.trained = Some((run, net.clone(), device.clone())));
    }
    post(&FromWorker::Done { run, summary: record.summary });
    if trained {
        let sweep = shift_sweep(&net, &device).await.map_err(|e| e.to_string())?;
        post(&FromWorker::Sweep { run, sweep });
    }
    Ok(())
}

async fn probe_image(run: RunId, image: Vec<f32>) {
    let Some((trained_run, net, device)) = STATE.with_borrow(|s| s.trained.clone()) else {
        post(&FromWorker::Error { run: Some(run), message: "no trained model yet: train one first".into() });
        return;
    };
    match probe(&net, image, &device).await {
        Ok((maps, map_shape, probs)) => post(&FromWorker::Probe { run: trained_run, maps, map_shape, probs }),
        Err(e) => post(&FromWorker::Error { run: Some(run), message: e.to_string() }),
    }
}
