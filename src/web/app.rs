//! The page: header, backend choice, the lab list and the live lab. Components hold signals;
//! the state machine (`session`) and every number shown come from the core.

mod header;
mod pool;
mod presenter;
mod runs;

pub use super::kit::{Ctx, Keep, Offline};

use std::collections::HashMap;

use leptos::prelude::*;
use leptos::wasm_split::{SplitLoaderError, wasm_split};

use super::bridge::Workers;
use super::kit::keep_offline;
use super::kit::split::{DownloadFailed, at_once};
use super::kit::widgets::NextTurn;
use crate::labs::{LABS, LabId, adversarial, conv_size, dogs, mnist, perceptrons, rule, synth, xor};
use crate::run::BackendChoice;
use crate::session::{Engine, Session};
use crate::share;
use header::{EngineBanner, Header};
use presenter::presenter_mode;

/// The lab a URL fragment names (the first lab when it names none or an unknown one).
fn lab_of_fragment(fragment: &str) -> LabId {
    share::decode(fragment).lab.and_then(LabId::from_slug).unwrap_or(LABS[0].id)
}

fn query_has(key: &str) -> Option<String> {
    let search = window().location().search().unwrap_or_default();
    search.trim_start_matches('?').split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == key).then(|| v.to_string())
    })
}

/// Back, Forward and a typed fragment switch the lab (the browser changes only the URL): the
/// lab it names comes on screen, and settings it carries fill that lab's form.
fn follow_fragment(ctx: Ctx) {
    let handle = window_event_listener(leptos::ev::hashchange, move |_| {
        let hash = window().location().hash().unwrap_or_default();
        let shared = share::decode(&hash);
        let lab = lab_of_fragment(&hash);
        if !shared.fields.is_empty() {
            ctx.apply_shared(lab, shared.clone());
        }
        ctx.link_notice.set(shared.notice());
        if ctx.lab.get_untracked() != lab {
            ctx.lab.set(lab);
        }
    });
    // The app lives as long as the page: the listener with it.
    on_cleanup(move || handle.remove());
}

/// Mounts the app on `<body>`.
pub fn mount() {
    console_error_panic_hook::set_once();
    // The static shell of index.html painted while this wasm loaded: the app takes its place.
    if let Some(shell) = document().get_element_by_id("shell") {
        shell.remove();
    }
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    let ctx = new_context();
    provide_context(ctx);
    follow_fragment(ctx);
    focus_stop_on_start();
    presenter_mode(ctx);
    ctx.load_saved();
    ctx.keep_engines();
    ctx.start_pool();
    // The offline copy is fetched once the engine is here, so its download does not share a
    // slow link with the engine's and finds the files in the HTTP cache.
    Effect::new(move |registered: Option<bool>| {
        let ready = registered == Some(true) || ctx.session.with(|s| s.engine() == Engine::Ready);
        if ready && registered != Some(true) {
            keep_offline(ctx);
        }
        ready
    });
    view! {
        <a class="skip-link" href="#lab" data-testid="skip-link" on:click=move |ev| {
            // The fragment names labs: move focus to the lab without touching the URL.
            ev.prevent_default();
            focus_lab();
        }>"Skip to the lab"</a>
        <Header/>
        <EngineBanner/>
        {move || ctx.presenting.get().then(|| view! { <presenter::JoinCode/> })}
        <div class="layout">
            <LabList/>
            <main id="lab" tabindex="-1">
                // Built after the page's frame: two shorter tasks at start-up, not one long one.
                <NextTurn><LabPanel/></NextTurn>
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

/// The page's context, from its address: the backend asked for, the lab and settings of a
/// shared link, presenter mode, the test hooks.
fn new_context() -> Ctx {
    let choice = match query_has("backend").as_deref() {
        Some("cpu") => BackendChoice::Cpu,
        Some("webgpu") => BackendChoice::WebGpu,
        _ => BackendChoice::Auto,
    };
    let hash = window().location().hash().unwrap_or_default();
    let shared = share::decode(&hash);
    Ctx {
        session: RwSignal::new(Session::default()),
        choice: RwSignal::new(choice),
        workers: StoredValue::new_local(Workers::default()),
        probes: StoredValue::new_local(std::rc::Rc::default()),
        test_hooks: query_has("test-hooks").is_some(),
        lab: RwSignal::new(lab_of_fragment(&hash)),
        shared: StoredValue::new_local(Some(shared.clone())),
        presenting: RwSignal::new(share::presenter_requested(&window().location().search().unwrap_or_default())),
        offline: RwSignal::new(Offline::Pending),
        link_notice: RwSignal::new(shared.notice()),
        saved: RwSignal::new(vec![]),
        storage_error: RwSignal::new(None),
        keeping: super::kit::Keeping::new(),
        written: RwSignal::new(HashMap::new()),
        tracked: StoredValue::new_local(HashMap::new()),
        forms: StoredValue::new_local(HashMap::new()),
        forms_made: RwSignal::new(0),
        owner: StoredValue::new_local(Owner::current().expect("the app runs inside its reactive owner")),
    }
}

/// The lab on screen: the one place the labs' panels are named. Each panel is a split point:
/// `scripts/postbuild.py` puts its code in a file of its own (its pack), fetched the first time
/// its lab is opened, so the first download is only the page's frame and one lab.
#[component]
fn LabPanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    // The labs whose code is here, and the one whose download failed.
    let ready = RwSignal::new(Vec::<LabId>::new());
    let failed = RwSignal::new(None::<LabId>);
    move || {
        let lab = ctx.lab.get();
        // Built as it always was, in this closure (its owner is the lab's): the split function
        // returns at once when its code is here.
        if ready.with(|r| r.contains(&lab))
            && let Some(Ok(panel)) = at_once(panel(lab))
        {
            return panel;
        }
        if failed.get() == Some(lab) {
            let retry = Callback::new(move |()| failed.set(None));
            return view! { <DownloadFailed what="This lab's code" testid="lab-load-failed" retry=retry/> }.into_any();
        }
        leptos::task::spawn_local(async move {
            match preload(lab).await {
                Ok(()) => ready.update(|r| r.push(lab)),
                Err(_) => failed.set(Some(lab)),
            }
        });
        view! { <p class="loading" data-testid="lab-loading">"Loading the lab…"</p> }.into_any()
    }
}

/// One split point per lab (leptos's wasm_split, `fallible`: a failed download is an error to
/// show, not a panic that stops the page), each named `lab_` and its lab's slug:
/// public/early.js fetches the pack of the lab a link opens by that name. Each line: the lab,
/// its split's name, the function that builds its panel, the one that downloads its code, and
/// its panel component (called as a function: it takes no properties).
macro_rules! lab_panels {
    ($($lab:ident: $split:ident, $panel:ident, $preload:ident, $component:path;)*) => {
        $(
            #[wasm_split($split, wasm_split_path = ::leptos::wasm_split, fallible, preload($preload))]
            fn $panel() -> Result<AnyView, SplitLoaderError> {
                Ok($component().into_any())
            }
        )*

        /// Downloads lab `lab`'s code (once; a failed download is tried again next time).
        async fn preload(lab: LabId) -> Result<(), SplitLoaderError> {
            match lab {
                $(LabId::$lab => $preload().await,)*
            }
        }

        /// Lab `lab`'s panel; at once when its code is here ([`preload`]).
        async fn panel(lab: LabId) -> Result<AnyView, SplitLoaderError> {
            match lab {
                $(LabId::$lab => $panel().await,)*
            }
        }
    };
}

lab_panels! {
    Synth: lab_synth, synth_panel, preload_synth, synth::page::SynthLabPanel;
    Mnist: lab_mnist, mnist_panel, preload_mnist, mnist::page::MnistLabPanel;
    Dogs: lab_dogs, dogs_panel, preload_dogs, dogs::page::DogsLabPanel;
    ConvSize: lab_conv_size, conv_size_panel, preload_conv_size, conv_size::page::ConvSizePanel;
    Perceptrons: lab_perceptrons, perceptrons_panel, preload_perceptrons, perceptrons::page::PerceptronPanel;
    Rule: lab_perceptron_rule, rule_panel, preload_rule, rule::page::RulePanel;
    Xor: lab_linear_xor, xor_panel, preload_xor, xor::page::XorPanel;
    Adversarial: lab_adversarial, adversarial_panel, preload_adversarial, adversarial::page::AdversarialPanel;
    Runs: lab_runs, runs_panel, preload_runs, runs::RunsPanel;
}

fn starts_a_run(testid: &str) -> bool {
    testid.ends_with("train") || matches!(testid, "again" | "retrain-lr")
}

/// A Train button is disabled as its run starts, which would drop keyboard focus to the page's
/// body: focus moves to the lab's Stop button instead (or stays in the lab where it has none).
/// Enter in a form's field clicks its submit button, so one click listener covers both.
fn focus_stop_on_start() {
    let handle = window_event_listener(leptos::ev::click, move |ev| {
        use wasm_bindgen::JsCast;
        let Some(button) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return };
        let Some(button) = button.closest("button[data-testid]").ok().flatten() else { return };
        if !starts_a_run(&button.get_attribute("data-testid").unwrap_or_default()) {
            return;
        }
        // After the click's own handler and the view's update.
        set_timeout(
            move || {
                let article = button.closest("article").ok().flatten();
                let stop =
                    article.and_then(|a| a.query_selector("[data-testid$='stop']:not([disabled])").ok().flatten());
                match stop.and_then(|s| s.dyn_into::<web_sys::HtmlElement>().ok()) {
                    Some(stop) => {
                        let _ = stop.focus();
                    }
                    // No Stop (the XOR lab trains in a blink): back to the lab, not the body.
                    None if button.has_attribute("disabled") => focus_lab(),
                    None => {}
                }
            },
            std::time::Duration::ZERO,
        );
    });
    on_cleanup(move || handle.remove());
}

/// Moves keyboard focus to the lab on screen: its Train button where it has one, else the lab.
fn focus_lab() {
    let document = document();
    let target = document
        .query_selector("#lab [data-testid$='train']:not([disabled])")
        .ok()
        .flatten()
        .or_else(|| document.get_element_by_id("lab"));
    if let Some(el) = target.and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok()) {
        let _ = el.focus();
    }
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
