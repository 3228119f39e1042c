//! Section 1 of the DogSet lab: the data. The student's own DogSet (a folder or a .zip,
//! checked in the worker), a hosted one or the stand-in; the load's progress and what the
//! checks found.

use crate::labs::dogs::DogsView;
use crate::metrics::format_count;
use crate::protocol::ToWorker;
use crate::run::{DataProgress, DogSource};
use crate::session::Engine;
use crate::web::kit::Ctx;
use leptos::prelude::*;

// web-sys has no binding for `File.webkitRelativePath` (the path inside a chosen folder).
#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    #[wasm_bindgen(extends = web_sys::File)]
    type FolderFile;
    #[wasm_bindgen(method, getter, js_name = webkitRelativePath)]
    fn webkit_relative_path(this: &FolderFile) -> String;
}

fn source_name(source: DogSource) -> &'static str {
    match source {
        DogSource::Auto => "automatic",
        DogSource::Uploaded => "your own DogSet (kept in this browser)",
        DogSource::Hosted => "the DogSet hosted with this page",
        DogSource::StandIn => "the stand-in (Fashion-MNIST, not dogs)",
    }
}

/// `[[path, File], ...]` of an `<input type=file>`'s or a drop's files.
fn file_entries(files: &web_sys::FileList) -> js_sys::Array {
    let entries = js_sys::Array::new();
    for file in (0..files.length()).filter_map(|i| files.get(i)) {
        let relative = Some(wasm_bindgen::JsCast::unchecked_ref::<FolderFile>(&file).webkit_relative_path());
        let relative = relative.filter(|p| !p.is_empty());
        let path = relative.unwrap_or_else(|| file.name());
        entries.push(&js_sys::Array::of2(&path.into(), &file));
    }
    entries
}

#[component]
pub(super) fn DataSection() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let dogs = Memo::new(move |_| ctx.session.with(|s| s.dogs.clone()));
    let drop_note = RwSignal::new(None::<String>);
    // `webkitdirectory` (choose a whole folder) is not in leptos's attribute list.
    let folder_input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = folder_input.get() {
            let _ = input.set_attribute("webkitdirectory", "");
        }
    });
    // A new set replaces the one a DogSet network may be training on: not while one trains.
    let ready = move || ctx.session.with(|s| s.engine() == Engine::Ready && !s.dogs.is_training());
    let send_files = move |files: Option<web_sys::FileList>| {
        let Some(entries) = files.map(|f| file_entries(&f)) else { return };
        if entries.length() == 0 {
            return;
        }
        drop_note.set(None);
        ctx.session.update(|s| {
            s.dogs.checking = Some((0, 0));
            s.dogs.load_error = None;
        });
        if !ctx.upload(entries.into()) {
            ctx.session.update(|s| s.dogs.checking = None);
            drop_note.set(Some("The training engine is not ready yet: try again in a moment.".into()));
        }
    };
    let on_input = move |ev: leptos::ev::Event| {
        let input = event_target::<web_sys::HtmlInputElement>(&ev);
        send_files(input.files());
        input.set_value("");
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        let Some(transfer) = ev.data_transfer() else { return };
        let items = transfer.items();
        let folder = (0..items.length())
            .filter_map(|i| items.get(i))
            .any(|item| item.webkit_get_as_entry().ok().flatten().is_some_and(|entry| entry.is_directory()));
        if folder {
            drop_note.set(Some("A dropped folder cannot be read here: choose it with \"Choose a DogSet folder\", or drop a .zip of it.".into()));
        } else {
            send_files(transfer.files());
        }
    };
    view! {
        <section aria-labelledby="dogs-data-title">
            <h3 id="dogs-data-title">"1. The data"</h3>
            <p>
                "The course's DogSet cannot be published with this page. Load your own copy (the folder with "
                <code>"dogs.csv"</code> " and " <code>"images/"</code> ", or a .zip of it): it is checked and decoded in this "
                "browser, nothing leaves your machine, and it is kept here for your next visit. Without it, the labs run on a "
                "clearly labelled stand-in of the same shape built from Fashion-MNIST."
            </p>
            <div class="dropzone" data-testid="dog-dropzone"
                on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default()
                on:drop=on_drop>
                <label class="file-button">
                    "Choose a DogSet folder"
                    <input type="file" node_ref=folder_input multiple=true data-testid="dog-folder" on:change=on_input disabled=move || !ready()/>
                </label>
                <label class="file-button">
                    "Choose a .zip or files"
                    <input type="file" accept=".zip,.csv,image/*" multiple=true data-testid="dog-zip" on:change=on_input disabled=move || !ready()/>
                </label>
                <span>"or drop a .zip here"</span>
            </div>
            {move || drop_note.get().map(|n| view! { <p class="error" role="alert">{n}</p> })}
            <LoadProgress dogs=dogs/>
            <SetInUse dogs=dogs/>
        </section>
    }
}

/// The user's DogSet being checked, a hosted set downloading, and why a set was refused.
#[component]
fn LoadProgress(dogs: Memo<DogsView>) -> impl IntoView {
    view! {
    {move || dogs.with(|d| d.checking).map(|(done, total)| view! {
        <label class="progress" data-testid="dog-checking">
            "Checking your DogSet: "
            <progress max=total.max(1) value=done aria-label="Checking the DogSet"></progress>
            {format!("{} of {} images", format_count(done), format_count(total))}
        </label>
    })}
    {move || dogs.with(|d| d.loading.and(d.data)).map(|DataProgress { loaded_bytes: loaded, total_bytes: total, cached_files: cached, files }| view! {
        <label class="progress" data-testid="dog-download">
            "Downloading the set: "
            <progress max=total.max(1) value=loaded aria-label="Dataset download"></progress>
            {format!("{:.1} of {:.1} MB, {cached} of {files} files from the cache", loaded as f64 / 1e6, total as f64 / 1e6)}
        </label>
    })}
    {move || dogs.with(|d| d.load_error.clone()).map(|(message, report)| view! {
        <div class="error" role="alert" data-testid="dog-load-error">
            <p><strong>"This DogSet could not be used: "</strong>{message}</p>
            {report.map(|r| view! { <ul>{r.lines().into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul> })}
        </div>
    })}
    }
}

/// The set in use, the others to switch to, and removing the user's own from this browser.
#[component]
fn SetInUse(dogs: Memo<DogsView>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let ready = move || ctx.session.with(|s| s.engine() == Engine::Ready && !s.dogs.is_training());
    let switch = move |ev: leptos::ev::Event| {
        let source = match event_target_value(&ev).as_str() {
            "Uploaded" => DogSource::Uploaded,
            "Hosted" => DogSource::Hosted,
            _ => DogSource::StandIn,
        };
        let mut run = 0;
        ctx.session.update(|s| run = s.load_dogs());
        ctx.send(&ToWorker::LoadDogs { run, source });
    };
    let forget = move |_| {
        ctx.session.update(|s| s.dogs.info = None);
        ctx.send(&ToWorker::ForgetDogs);
    };
    view! {
    {move || dogs.with(|d| d.info.clone()).map(|info| {
        let available = info.available.clone();
        view! {
            <div class="dog-source" data-testid="dog-source" data-source=format!("{:?}", info.source)>
                <p>
                    "In use: " <strong data-testid="dog-title">{info.title.clone()}</strong>
                    {info.stand_in.then(|| view! { <span class="badge" data-testid="stand-in-badge">"stand-in: clothing, not dogs"</span> })}
                </p>
                {(available.len() > 1).then(|| view! {
                    <label>
                        "Use: "
                        <select data-testid="dog-source-choice" on:change=switch disabled=move || !ready()>
                            {available.iter().map(|&s| view! {
                                <option value=format!("{s:?}") selected=s == info.source>{source_name(s)}</option>
                            }).collect_view()}
                        </select>
                    </label>
                })}
                {(info.source == DogSource::Uploaded).then(|| view! {
                    <button type="button" data-testid="dog-forget" on:click=forget disabled=move || !ready()>
                        "Remove my DogSet from this browser"
                    </button>
                })}
                {info.report.clone().map(|r| view! {
                    <details open=!r.problems.is_empty() data-testid="dog-report">
                        <summary>"What the checks found"</summary>
                        <ul>{r.lines().into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
                    </details>
                })}
            </div>
        }
    })}
    }
}
