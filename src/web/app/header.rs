//! The page's header: the name and tagline, the settings (the backend, the workers,
//! presenter mode, the offline copy), and the banner while the training engine loads.

use leptos::prelude::*;

use super::pool::PoolPanel;
use crate::run::{BackendChoice, BackendKind};
use crate::session::{Engine, Session};
use crate::web::kit::{Ctx, OfflineStatus};

/// What the loading banner says: the engine's download in bytes once its loader reports them,
/// and, once a run started meanwhile went to the CPU stand-in, that runs train on it.
fn engine_download_text(session: &Session) -> String {
    use crate::metrics::format_bytes;
    match session.engine_download {
        Some((loaded, total)) if session.pool.stand_in().is_some() && loaded < total => format!(
            "Loading the WebGPU engine: {} of {} (once; it is kept for offline use). Runs started meanwhile train on the CPU engine, unless WebGPU is asked for.",
            format_bytes(loaded as usize),
            format_bytes(total as usize)
        ),
        None => "Loading the training engine (once; it is kept for offline use)…".into(),
        Some((loaded, total)) if loaded < total => format!(
            "Loading the training engine: {} of {} (once; it is kept for offline use). You can press Train now: the run starts when it is here.",
            format_bytes(loaded as usize),
            format_bytes(total as usize)
        ),
        Some((_, total)) => format!("Starting the training engine ({} downloaded)…", format_bytes(total as usize)),
    }
}

/// The name, the tagline and the settings: the backend, the workers, presenter mode and the
/// offline status.
#[component]
pub(super) fn Header() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let settings_badge = move || {
        let backend = match ctx.choice.get() {
            BackendChoice::Auto => "automatic",
            BackendChoice::WebGpu => "WebGPU",
            BackendChoice::Cpu => "CPU",
        };
        let n = ctx.session.with(|s| s.pool.size());
        format!("{backend}, {n} worker{}", if n == 1 { "" } else { "s" })
    };
    view! {
    <header class="top">
        <div class="brand">
            <h1>"nnlab"</h1>
            <p class="tagline">
                "Train real neural networks in your browser and see why they behave as they do. "
                "Every number on this page is computed by the run you make."
            </p>
        </div>
        // One compact bar: open on a wide screen, a summary with a badge on a phone.
        <details class="settings" data-testid="settings" prop:open=wide_screen()>
            <summary>"Settings " <span class="badge" data-testid="settings-badge">{settings_badge}</span></summary>
            <div class="header-controls">
                <BackendPanel/>
                <PoolPanel/>
                <button type="button" class="present-toggle" data-testid="present-toggle"
                    aria-pressed=move || ctx.presenting.get().to_string()
                    on:click=move |_| ctx.presenting.update(|p| *p = !*p)>
                    {move || if ctx.presenting.get() { "Leave presenter mode" } else { "Presenter mode" }}
                </button>
                <OfflineStatus/>
            </div>
        </details>
    </header>
    }
}

/// Whether the window is wide enough to show the settings bar open (the layout's breakpoint).
fn wide_screen() -> bool {
    window().inner_width().ok().and_then(|w| w.as_f64()).is_some_and(|w| w >= 900.0)
}

#[component]
fn BackendPanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let gpu_text = move || {
        ctx.session.with(|s| match &s.gpu {
            None => "Checking for WebGPU…".to_string(),
            Some(Ok(adapter)) => format!("WebGPU available: {adapter}"),
            Some(Err(reason)) => format!("No WebGPU: {reason}. Training uses the CPU backend."),
        })
    };
    let running = move || {
        ctx.session.with(|s| {
            s.current().and_then(|r| r.state.backend.clone()).map(|b| {
                let speed = s
                    .current()
                    .and_then(|r| r.examples_per_s())
                    .map(|v| format!(", {v:.0} examples/s"))
                    .unwrap_or_default();
                let note = b.note.map(|n| format!(" ({n})")).unwrap_or_default();
                format!("Last run: {}{speed}{note}", b.name)
            })
        })
    };
    // Automatic's last measurement: both engines' figures and the one that trained.
    let choice = move || ctx.session.with(|s| s.last_measure()).map(|m| m.text());
    let remembered = move || ctx.session.with(|s| !s.engines.is_empty());
    let on_change = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        ctx.choice.set(match value.as_str() {
            "cpu" => BackendChoice::Cpu,
            "webgpu" => BackendChoice::WebGpu,
            _ => BackendChoice::Auto,
        });
    };
    view! {
        <section class="backend" aria-label="Compute backend">
            <label for="backend-choice">"Compute backend"</label>
            // `prop:selected` per option: a `value` set on the select before its options
            // exist would be ignored.
            <select id="backend-choice" data-testid="backend-choice" on:change=on_change>
                <option value="auto" prop:selected=move || ctx.choice.get() == BackendChoice::Auto>
                    "Automatic (the faster, measured)"
                </option>
                <option value="webgpu" prop:selected=move || ctx.choice.get() == BackendChoice::WebGpu>
                    "WebGPU"
                </option>
                <option value="cpu" prop:selected=move || ctx.choice.get() == BackendChoice::Cpu>
                    "CPU"
                </option>
            </select>
            <p class="gpu" data-testid="gpu-status">{gpu_text}</p>
            <p class="running" data-testid="backend-status">{running}</p>
            <p class="engine-choice" data-testid="engine-choice" aria-live="polite">{choice}</p>
            // Shown while a measurement is kept: the next Automatic run of each network then
            // times both engines again.
            {move || remembered().then(|| view! {
                <button type="button" data-testid="measure-again" on:click=move |_| ctx.measure_again()
                    title="Time WebGPU and the CPU engine again on the next run of each network">
                    "Measure again"
                </button>
            })}
        </section>
    }
}

#[component]
pub(super) fn EngineBanner() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let engine = move || ctx.session.with(|s| s.engine());
    let crashed =
        move || ctx.session.with(|s| s.pool.crashed().map(|(w, why)| (w, why.to_string())).collect::<Vec<_>>());
    let pool_size = move || ctx.session.with(|s| s.pool.size());
    let was_gpu = move || {
        ctx.session.with(|s| {
            s.runs.iter().rev().find_map(|r| r.state.backend.as_ref()).is_some_and(|b| b.kind == BackendKind::WebGpu)
        })
    };
    let notice = move || ctx.session.with(|s| s.notice.clone());
    let link_notice = move || {
        ctx.link_notice.get().map(|n| {
            view! {
                <div class="banner warn" role="alert" data-testid="link-notice">
                    {n}
                    <button type="button" on:click=move |_| ctx.link_notice.set(None)>"Dismiss"</button>
                </div>
            }
        })
    };
    view! {
        {move || match engine() {
            Engine::Loading => {
                let download = move || ctx.session.with(|s| s.engine_download);
                view! {
                    <div class="banner loading" role="status" data-testid="engine-loading">
                        <span data-testid="engine-download">{move || ctx.session.with(engine_download_text)}</span>
                        // Indeterminate until the loader knows the size.
                        {move || match download() {
                            Some((loaded, total)) => view! { <progress aria-label="Loading the training engine" max=total as f64 value=loaded as f64></progress> }.into_any(),
                            None => view! { <progress aria-label="Loading the training engine"></progress> }.into_any(),
                        }}
                    </div>
                }
                    .into_any()
            }
            Engine::Ready => view! { <span data-testid="engine-ready" hidden=true></span> }.into_any(),
            // Every worker died: the banners below say so, one per worker.
            Engine::Crashed(_) => ().into_any(),
        }}
        {move || crashed().into_iter().map(|(w, message)| {
                view! {
                    <div class="banner error" role="alert" data-testid="worker-crashed">
                        <p>
                            <strong>{if pool_size() > 1 { format!("Training worker {} stopped: ", w + 1) } else { "The training worker stopped: ".to_string() }}</strong>
                            {message}
                            {if pool_size() > 1 { ". Only its runs stopped; finished runs and their curves are kept." } else { ". Finished runs and their curves are kept." }}
                        </p>
                        {move || {
                            was_gpu()
                                .then(|| {
                                    view! {
                                        <p>
                                            "It was using WebGPU: if the GPU device was lost, choose the CPU backend above before training again."
                                        </p>
                                    }
                                })
                        }}
                        <button data-testid="restart-worker" on:click=move |_| ctx.restart_worker(w)>
                            "Restart the training worker"
                        </button>
                    </div>
                }
        }).collect_view()}
        {move || {
            notice()
                .map(|n| {
                    view! {
                        <div class="banner warn" role="alert" data-testid="notice">
                            {n}
                        </div>
                    }
                })
        }}
        {link_notice}
        {move || ctx.storage_error.get().map(|e| view! { <div class="banner warn" role="alert" data-testid="storage-error">{e}</div> })}
    }
}
