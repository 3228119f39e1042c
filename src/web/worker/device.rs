//! The worker's compute device: WebGPU when the browser has it (probed once, opened once and
//! kept), burn's CPU backend otherwise, and why there is no WebGPU when there is none.

use burn::prelude::*;
#[cfg(feature = "webgpu")]
use burn::tensor::wgpu::WgpuBackend;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::{STATE, WorkerError, post, scope};
use crate::protocol::FromWorker;
use crate::run::{BackendChoice, BackendInfo, BackendKind, EngineMeasure, RunId};
use crate::train::TrainError;
use crate::web::js::{call, describe, get};

/// The CPU backend as the page names it: which SIMD this build's matrix product uses.
#[cfg(feature = "relaxed-simd")]
const CPU_NAME: &str = "CPU (burn flex, wasm relaxed SIMD)";
#[cfg(not(feature = "relaxed-simd"))]
const CPU_NAME: &str = "CPU (burn flex, wasm SIMD)";

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
    /// The loader found no adapter and started the CPU-only engine; one appeared since.
    #[error(
        "this worker runs the CPU-only engine (the browser offered no WebGPU adapter when it started, and now offers {0}); reload the page to train on WebGPU"
    )]
    CpuBuild(String),
}

/// `navigator.gpu.requestAdapter()`: the adapter's name, or why there is none.
///
/// web-sys types WebGPU (`Gpu`, `GpuAdapter`) only behind `--cfg web_sys_unstable_apis`,
/// which would change the RUSTFLAGS of the whole worker build (and rebuild burn), so the few
/// fields read here are read by name (`js::get`, `js::call`: Reflect).
pub(super) async fn probe_adapter() -> Result<String, GpuError> {
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
    let name = if fallback { format!("{name} (software fallback adapter)") } else { name };
    if cfg!(feature = "webgpu") { Ok(name) } else { Err(GpuError::CpuBuild(name)) }
}

/// The CPU engine's device and how the page names it.
fn cpu_device(note: Option<String>) -> (Device, BackendInfo) {
    (Device::flex().autodiff(), BackendInfo { kind: BackendKind::Cpu, name: CPU_NAME.into(), note, measured: None })
}

/// The device for a run, and what to tell the user about it.
pub(super) async fn pick_device(choice: BackendChoice) -> Result<(Device, BackendInfo), WorkerError> {
    if choice == BackendChoice::Cpu {
        return Ok(cpu_device(None));
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
        (Ok((device, name)), _) => Ok((
            device,
            BackendInfo { kind: BackendKind::WebGpu, name: format!("WebGPU on {name}"), note: None, measured: None },
        )),
        (Err(reason), BackendChoice::Auto) => Ok(cpu_device(Some(format!("WebGPU unavailable: {reason}")))),
        (Err(reason), _) => Err(WorkerError::NoWebGpu(reason)),
    }
}

/// The device for run `run`, announced to the page; whether it is WebGPU. For the labs whose
/// networks are too small for the choice to matter, or that Automatic does not measure.
pub(super) async fn open_device(run: RunId, choice: BackendChoice) -> Result<(Device, bool), WorkerError> {
    let (device, info) = pick_device(choice).await?;
    let gpu = info.kind == BackendKind::WebGpu;
    post(&FromWorker::Backend { run, info });
    Ok((device, gpu))
}

/// [`open_device`] for a lab Automatic measures: with a WebGPU adapter, the faster engine on
/// this machine, by `measured` (this browser's earlier measurement of the workload) or else by
/// timing both engines with `time` (examples per second on the run's first batches at rate 0;
/// `None` when stopped). The measurement is a phase of the run, shown as its status.
pub(super) async fn open_measured(
    run: RunId,
    choice: BackendChoice,
    measured: Option<EngineMeasure>,
    time: impl AsyncFn(&Device) -> Result<Option<f64>, TrainError>,
) -> Result<(Device, bool), WorkerError> {
    let (mut device, mut info) = pick_device(choice).await?;
    if choice == BackendChoice::Auto && info.kind == BackendKind::WebGpu {
        let measured = match measured {
            Some(m) => Some(m),
            None => measure(run, &device, time).await,
        };
        if let Some(m) = measured {
            if m.chosen == BackendKind::Cpu {
                (device, info) = cpu_device(None);
            }
            info.measured = Some(m);
        }
    }
    let gpu = info.kind == BackendKind::WebGpu;
    post(&FromWorker::Backend { run, info });
    Ok((device, gpu))
}

/// Both engines timed, WebGPU first (its kernels compile during its warm-up); `None` when the
/// run was stopped meanwhile. A failed measurement counts as the slower engine.
async fn measure(
    run: RunId,
    gpu: &Device,
    time: impl AsyncFn(&Device) -> Result<Option<f64>, TrainError>,
) -> Option<EngineMeasure> {
    let status = |text: &str| post(&FromWorker::Status { run, text: text.into() });
    status("Measuring which engine trains this network faster here: WebGPU (1 of 2; compiling its kernels first)…");
    let webgpu = time(gpu).await.unwrap_or(Some(f64::NAN))?;
    status("Measuring which engine trains this network faster here: the CPU engine (2 of 2)…");
    let cpu = time(&cpu_device(None).0).await.unwrap_or(Some(f64::NAN))?;
    let figure = |v: f64| v.is_finite().then_some(v);
    Some(EngineMeasure::new(figure(webgpu), figure(cpu)))
}

/// The CPU-only build has no WebGPU to open (its probe never finds an adapter).
#[cfg(not(feature = "webgpu"))]
pub(super) async fn init_webgpu() -> Result<Device, GpuError> {
    Err(GpuError::NoApi)
}

/// burn's WebGPU device (opened once per worker) and its lost-device handler.
#[cfg(feature = "webgpu")]
pub(super) async fn init_webgpu() -> Result<Device, GpuError> {
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
