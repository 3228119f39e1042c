//! The page: header, backend choice, the lab list and the live lab. Components hold signals;
//! the state machine (`session`) and every number shown come from the core.

mod runs;
pub mod widgets;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use leptos::prelude::*;

use super::bridge::Bridge;
use crate::form::FormText;
use crate::labs::{LABS, LabId, adversarial, conv_size, dogs, mnist, perceptrons, synth, xor};
use crate::protocol::{FromWorker, ToWorker};
use crate::run::{BackendChoice, BackendKind, RunId};
use crate::runs::SavedRun;
use crate::session::{Engine, Session};
use crate::share::{self, Shared};

/// Shared by every component (all fields are cheap handles).
#[derive(Clone, Copy)]
pub struct Ctx {
    pub session: RwSignal<Session>,
    pub choice: RwSignal<BackendChoice>,
    bridge: StoredValue<Bridge, LocalStorage>,
    probes: StoredValue<Rc<RefCell<ProbeQueue>>, LocalStorage>,
    /// `?test-hooks` in the URL shows controls that only end-to-end tests need.
    pub test_hooks: bool,
    /// Settings from the URL fragment, handed once to the lab they name.
    shared: StoredValue<Option<Shared>, LocalStorage>,
    /// The lab on screen.
    pub lab: RwSignal<LabId>,
    /// Presenter mode: larger type, essential controls, keyboard shortcuts.
    pub presenting: RwSignal<bool>,
    /// Whether the app is kept for offline use.
    pub offline: RwSignal<Offline>,
    /// What a shared link's fragment had that was ignored.
    link_notice: RwSignal<Option<String>>,
    /// Every run kept in this browser, oldest first.
    pub saved: RwSignal<Vec<SavedRun>>,
    /// For each saved run's key, the epochs its last completed write holds (with a checkpoint
    /// of the same epoch where the run has one).
    pub written: RwSignal<HashMap<String, usize>>,
    /// Why the last save failed (a full quota), for the banner.
    pub storage_error: RwSignal<Option<String>>,
    /// Which saved run each of this page's runs writes to: key, name, lab, start time.
    tracked: StoredValue<HashMap<RunId, Tracked>, LocalStorage>,
}

/// Where one of this page's runs is saved.
#[derive(Clone)]
struct Tracked {
    key: String,
    name: String,
    /// The saved run's lab name: `synth`, `mnist`, `dogs-mlp`, `dogs-cnn`.
    lab: &'static str,
    /// When the run started (ms since the epoch), kept across resumes.
    created: f64,
}

/// The lab a URL fragment names (the first lab when it names none or an unknown one).
fn lab_of_fragment(fragment: &str) -> LabId {
    share::decode(fragment).lab.and_then(LabId::from_slug).unwrap_or(LABS[0].id)
}

/// At most one probe in flight; while one is, only the newest request waits.
#[derive(Default)]
struct ProbeQueue {
    in_flight: bool,
    pending: Option<ToWorker>,
}

impl Ctx {
    pub fn send(&self, message: &ToWorker) {
        self.bridge.with_value(|b| b.send(message));
    }

    /// Keeps run `id` in this browser as it goes (under `key`, or a new one).
    pub fn track(&self, id: RunId, lab: &'static str, name: String, key: Option<(String, f64)>) {
        let now = js_sys::Date::now();
        let (key, created) = key.unwrap_or_else(|| (format!("{now:.0}-{id}"), now));
        self.tracked.update_value(|t| {
            t.insert(id, Tracked { key, name, lab, created });
        });
    }

    /// Epochs of run `id` safely written to this browser so far.
    pub fn written_epochs(&self, id: RunId) -> Option<usize> {
        let key = self.tracked.with_value(|t| t.get(&id).map(|t| t.key.clone()))?;
        self.written.with(|w| w.get(&key).copied())
    }

    /// Saves the model of size `size` of the tracked MNIST run `id` (each model is a run).
    fn persist_mnist(&self, id: RunId, size: usize) {
        let Some(Tracked { key, created, .. }) = self.tracked.with_value(|t| t.get(&id).cloned()) else { return };
        let key = format!("{key}-{size}");
        let run = self.session.with_untracked(|s| {
            [&s.mnist, &s.mnist_check].into_iter().flatten().find(|m| m.id == id).map(|m| m.saved(size, &key, created))
        });
        if let Some(run) = run {
            let name = self.saved.with_untracked(|all| all.iter().find(|r| r.key == key).map(|r| r.name.clone()));
            self.save(SavedRun { name: name.unwrap_or(run.name.clone()), ..run });
        }
    }

    /// Saves the tracked run `id` as it stands now.
    fn persist(&self, id: RunId) {
        let Some(Tracked { key, name, lab, created }) = self.tracked.with_value(|t| t.get(&id).cloned()) else {
            return;
        };
        let run = self.session.with_untracked(|s| {
            s.runs
                .iter()
                .find(|r| r.id == id)
                .map(|r| r.saved(&key, &name, lab, created))
                .or_else(|| s.dogs.runs().find(|r| r.id == id).map(|r| r.saved(&key, &name, lab, created)))
        });
        let Some(run) = run else { return };
        // The user may have renamed it in the runs list meanwhile.
        let name = self.saved.with_untracked(|all| all.iter().find(|r| r.key == key).map(|r| r.name.clone()));
        let run = SavedRun { name: name.unwrap_or(run.name.clone()), ..run };
        self.save(run);
    }

    /// Writes `run` to IndexedDB and the list; a failure (a full quota) goes to the banner.
    pub fn save(&self, run: SavedRun) {
        self.saved.update(|all| match all.iter_mut().find(|r| r.key == run.key) {
            Some(old) => *old = run.clone(),
            None => all.push(run.clone()),
        });
        let ctx = *self;
        leptos::task::spawn_local(async move {
            match crate::web::store::put(&run).await {
                Ok(()) => {
                    let epochs = run.checkpoint.as_ref().map_or(run.epochs.len(), |c| c.epoch.min(run.epochs.len()));
                    ctx.written.update(|w| {
                        w.insert(run.key.clone(), epochs);
                    });
                    ctx.storage_error.set(None)
                }
                Err(e) => ctx.storage_error.set(Some(format!(
                    "nnlab could not save \"{}\" in this browser ({e}). Storage may be full: delete runs you no longer need in Saved runs, or export them first",
                    run.name
                ))),
            }
        });
    }

    /// Loads the saved runs; a run still marked running was interrupted by the page going away.
    fn load_saved(&self) {
        let ctx = *self;
        leptos::task::spawn_local(async move {
            match crate::web::store::all().await {
                Ok((runs, unreadable)) => {
                    let runs: Vec<SavedRun> = runs
                        .into_iter()
                        .map(|r| {
                            let found = r.clone().found_on_load();
                            if found != r {
                                ctx.save(found.clone());
                            }
                            found
                        })
                        .collect();
                    ctx.saved.update(|all| {
                        for r in runs {
                            if !all.iter().any(|a| a.key == r.key) {
                                all.push(r);
                            }
                        }
                    });
                    if unreadable > 0 {
                        ctx.storage_error
                            .set(Some(format!("{unreadable} saved runs could not be read and are not shown")));
                    }
                }
                Err(e) => ctx.storage_error.set(Some(format!("Saved runs are not available here: {e}"))),
            }
        });
    }

    /// The form of `lab`, starting from `defaults` with what a shared link set, once (later
    /// visits to the lab keep what the user typed).
    pub fn lab_form(&self, lab: LabId, mut defaults: FormText) -> RwSignal<FormText> {
        self.shared.update_value(|s| {
            if s.as_ref().is_some_and(|s| s.lab == Some(lab.slug()) && !s.fields.is_empty())
                && let Some(shared) = s.take()
            {
                for (key, value) in shared.fields {
                    defaults.set(key, value);
                }
            }
        });
        RwSignal::new(defaults)
    }

    /// Hands the user's DogSet files (`[[path, File], ...]`) to the worker; false when it is
    /// not ready to take them.
    pub fn upload(&self, entries: wasm_bindgen::JsValue) -> bool {
        self.bridge.with_value(|b| b.send_upload(&entries))
    }

    /// Sends a probe now, or after the one in flight answers.
    pub fn probe(&self, message: ToWorker) {
        let queue = self.probes.get_value();
        let mut q = queue.borrow_mut();
        if q.in_flight {
            q.pending = Some(message);
        } else {
            q.in_flight = true;
            drop(q);
            self.send(&message);
        }
    }

    fn probe_answered(&self) {
        let queue = self.probes.get_value();
        let next = {
            let mut q = queue.borrow_mut();
            q.in_flight = q.pending.is_some();
            q.pending.take()
        };
        if let Some(message) = next {
            self.send(&message);
        }
    }

    /// Starts (or restarts) the training worker.
    pub fn start_worker(&self) {
        let ctx = *self;
        *self.probes.get_value().borrow_mut() = ProbeQueue::default();
        let on_message: Rc<dyn Fn(FromWorker)> = Rc::new(move |message: FromWorker| {
            let answers_probe = matches!(message, FromWorker::Probe { .. } | FromWorker::Error { .. });
            let save = match &message {
                FromWorker::Epoch { run, .. }
                | FromWorker::Checkpoint { run, .. }
                | FromWorker::Done { run, .. }
                | FromWorker::Tested { run, .. }
                | FromWorker::Error { run: Some(run), .. } => vec![*run],
                FromWorker::Crashed { .. } => ctx.tracked.with_value(|t| t.keys().copied().collect()),
                _ => vec![],
            };
            let mnist = match &message {
                FromWorker::SizeEpoch { run, size, .. } => Some((*run, *size)),
                FromWorker::SizeDone { run, result, .. } => Some((*run, result.size)),
                _ => None,
            };
            ctx.session.update(|s| s.apply(message));
            for run in save {
                ctx.persist(run);
            }
            if let Some((run, size)) = mnist {
                ctx.persist_mnist(run, size);
            }
            if answers_probe {
                ctx.probe_answered();
            }
        });
        self.session.update(|s| s.engine = Engine::Loading);
        if let Err(message) = self.bridge.with_value(|b| b.start(on_message)) {
            self.session.update(|s| s.engine = Engine::Crashed(message));
        }
    }
}

fn query_has(key: &str) -> Option<String> {
    let search = window().location().search().unwrap_or_default();
    search.trim_start_matches('?').split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == key).then(|| v.to_string())
    })
}

/// Mounts the app on `<body>`.
pub fn mount() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    let choice = match query_has("backend").as_deref() {
        Some("cpu") => BackendChoice::Cpu,
        Some("webgpu") => BackendChoice::WebGpu,
        _ => BackendChoice::Auto,
    };
    let hash = window().location().hash().unwrap_or_default();
    let shared = share::decode(&hash);
    let ctx = Ctx {
        session: RwSignal::new(Session::default()),
        choice: RwSignal::new(choice),
        bridge: StoredValue::new_local(Bridge::default()),
        probes: StoredValue::new_local(Rc::default()),
        test_hooks: query_has("test-hooks").is_some(),
        lab: RwSignal::new(lab_of_fragment(&hash)),
        shared: StoredValue::new_local(Some(shared.clone())),
        presenting: RwSignal::new(share::presenter_requested(&window().location().search().unwrap_or_default())),
        offline: RwSignal::new(Offline::Pending),
        link_notice: RwSignal::new(shared.notice()),
        saved: RwSignal::new(vec![]),
        storage_error: RwSignal::new(None),
        written: RwSignal::new(HashMap::new()),
        tracked: StoredValue::new_local(HashMap::new()),
    };
    provide_context(ctx);
    presenter_mode(ctx);
    ctx.load_saved();
    keep_offline(ctx);
    ctx.start_worker();
    view! {
        <header class="top">
            <div class="brand">
                <h1>"nnlab"</h1>
                <p class="tagline">
                    "Train real neural networks in your browser and see why they behave as they do. "
                    "Every number on this page is computed by the run you make."
                </p>
            </div>
            <div class="header-controls">
                <BackendPanel/>
                <button type="button" class="present-toggle" data-testid="present-toggle"
                    aria-pressed=move || ctx.presenting.get().to_string()
                    on:click=move |_| ctx.presenting.update(|p| *p = !*p)>
                    {move || if ctx.presenting.get() { "Leave presenter mode" } else { "Presenter mode" }}
                </button>
                <OfflineStatus/>
            </div>
        </header>
        <EngineBanner/>
        <div class="layout">
            <LabList/>
            <main id="lab">
                {move || match ctx.lab.get() {
                    LabId::Synth => view! { <synth::page::SynthLabPanel/> }.into_any(),
                    LabId::Mnist => view! { <mnist::page::MnistLabPanel/> }.into_any(),
                    LabId::Dogs => view! { <dogs::page::DogsLabPanel/> }.into_any(),
                    LabId::ConvSize => view! { <conv_size::page::ConvSizePanel/> }.into_any(),
                    LabId::Perceptrons => view! { <perceptrons::page::PerceptronPanel/> }.into_any(),
                    LabId::Xor => view! { <xor::page::XorPanel/> }.into_any(),
                    LabId::Adversarial => view! { <adversarial::page::AdversarialPanel/> }.into_any(),
                    LabId::Runs => view! { <runs::RunsPanel/> }.into_any(),
                }}
            </main>
        </div>
        <footer>
            <p>
                "nnlab runs entirely in this page: models train in a web worker with "
                <a href="https://burn.dev">"burn"</a>
                ", on WebGPU where the browser offers it and on the CPU otherwise. Nothing leaves your machine. "
                "The synthetic images are generated here from a seed."
            </p>
        </footer>
    }
}

/// The offline state shown in the header.
#[derive(Clone, Debug, PartialEq)]
pub enum Offline {
    /// Registering the service worker, which keeps the app's files.
    Pending,
    /// Every file of the app is kept: it opens without a network.
    Ready,
    /// A newer version was fetched and takes over on reload.
    UpdateReady,
    /// Not available here, and why.
    Unavailable(String),
}

/// Registers the service worker (public/sw.js) and follows its state.
fn keep_offline(ctx: Ctx) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let navigator = window().navigator();
    // Feature detection: `navigator.serviceWorker` is missing outside secure contexts, and
    // web-sys's getter assumes it is there.
    if !js_sys::Reflect::has(&navigator, &"serviceWorker".into()).unwrap_or(false) {
        ctx.offline
            .set(Offline::Unavailable("this browser or address offers no service workers (they need https)".into()));
        return;
    }
    let container = navigator.service_worker();
    let controlled_at_start = container.controller().is_some();
    let on_change = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
        // A first visit's worker taking control is not an update; a later one is.
        if controlled_at_start {
            ctx.offline.set(Offline::UpdateReady);
        }
    });
    let _ = container.add_event_listener_with_callback("controllerchange", on_change.as_ref().unchecked_ref());
    on_change.forget();
    let registered = JsFuture::from(container.register("./sw.js"));
    let ready = container.ready().map(JsFuture::from);
    leptos::task::spawn_local(async move {
        if let Err(e) = registered.await {
            let why = crate::web::js::describe(&e);
            ctx.offline.set(Offline::Unavailable(format!("the offline copy could not be set up ({why})")));
            return;
        }
        if let Ok(ready) = ready
            && ready.await.is_ok()
        {
            ctx.offline.update(|o| {
                if *o == Offline::Pending {
                    *o = Offline::Ready;
                }
            });
        }
    });
}

#[component]
fn OfflineStatus() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    view! {
        {move || match ctx.offline.get() {
            Offline::Pending => view! { <p class="offline" data-testid="offline-pending">"Saving the app for offline use…"</p> }.into_any(),
            Offline::Ready => view! { <p class="offline" data-testid="offline-ready">"Available offline: this page and its engine open without a network."</p> }.into_any(),
            Offline::UpdateReady => view! {
                <p class="offline" data-testid="offline-update">
                    "A new version of nnlab is ready. "
                    <button type="button" on:click=move |_| { let _ = window().location().reload(); }>"Reload to update"</button>
                </p>
            }.into_any(),
            Offline::Unavailable(why) => view! { <p class="offline" data-testid="offline-unavailable">{format!("Not available offline: {why}.")}</p> }.into_any(),
        }}
    }
}

/// Presenter mode: a class on `<body>` (larger type, fewer controls) and, while it is on,
/// space for the lab's Train/Pause and the arrow keys for the shift demo, unless a form field
/// has the focus.
fn presenter_mode(ctx: Ctx) {
    use wasm_bindgen::JsCast;
    use web_sys::{HtmlElement, KeyboardEvent, KeyboardEventInit};
    Effect::new(move |_| {
        let on = ctx.presenting.get();
        if let Some(body) = document().body() {
            let _ = body.class_list().toggle_with_force("present", on);
        }
    });
    let element = |selector: &str| {
        document().query_selector(selector).ok().flatten().and_then(|e| e.dyn_into::<HtmlElement>().ok())
    };
    let handle = window_event_listener(leptos::ev::keydown, move |ev: KeyboardEvent| {
        if !ctx.presenting.get_untracked() || ev.default_prevented() {
            return;
        }
        let tag = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).map(|e| e.tag_name());
        if matches!(tag.as_deref(), Some("INPUT" | "TEXTAREA" | "SELECT" | "BUTTON")) {
            return;
        }
        let key = ev.key();
        if key == " " {
            if let Some(button) = element("[data-shortcut=\"space\"]:not([disabled])") {
                ev.prevent_default();
                button.click();
            }
        } else if key.starts_with("Arrow")
            && let Some(view) = element("[data-shortcut=\"arrows\"]")
        {
            // Hand the key to the shift demo, as if it had been pressed there.
            ev.prevent_default();
            let _ = view.focus();
            let init = KeyboardEventInit::new();
            init.set_key(&key);
            init.set_bubbles(true);
            if let Ok(event) = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init) {
                let _ = view.dispatch_event(&event);
            }
        }
    });
    // The page lives as long as the tab: keep the listener.
    std::mem::forget(handle);
}

#[component]
fn LabList() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    view! {
        <nav class="labs" aria-label="Labs">
            <h2>"Labs"</h2>
            <ol>
                {LABS
                    .iter()
                    .map(|&crate::labs::LabInfo { id, title, section, .. }| {
                        let current = move || ctx.lab.get() == id;
                        view! {
                            <li class:current=current>
                                <a
                                    href=format!("#{}", id.slug())
                                    aria-current=move || current().then_some("page")
                                    data-testid=format!("lab-{}", id.slug())
                                    on:click=move |ev| {
                                        // With <base href="./">, "#mnist" would resolve against the
                                        // base and reload the page without its query: set the
                                        // fragment of the current URL instead.
                                        ev.prevent_default();
                                        let _ = window().location().set_hash(id.slug());
                                        ctx.lab.set(id);
                                    }
                                >
                                    {title}
                                </a>
                                <span class="section">{section}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </nav>
    }
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
                    "Automatic (WebGPU if available)"
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
        </section>
    }
}

#[component]
fn EngineBanner() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let engine = move || ctx.session.with(|s| s.engine.clone());
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
                view! {
                    <div class="banner loading" role="status" data-testid="engine-loading">
                        <span>"Loading the training engine (about 5 MB, once)…"</span>
                        <progress aria-label="Loading the training engine"></progress>
                    </div>
                }
                    .into_any()
            }
            Engine::Ready => view! { <span data-testid="engine-ready" hidden=true></span> }.into_any(),
            Engine::Crashed(message) => {
                view! {
                    <div class="banner error" role="alert" data-testid="worker-crashed">
                        <p>
                            <strong>"The training worker stopped: "</strong>
                            {message}
                            ". Finished runs and their curves are kept."
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
                        <button data-testid="restart-worker" on:click=move |_| ctx.start_worker()>
                            "Restart the training worker"
                        </button>
                    </div>
                }
                    .into_any()
            }
        }}
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
