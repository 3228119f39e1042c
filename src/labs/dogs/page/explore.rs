//! The DogSet lab's data half (HOMEWORK section 2): load a DogSet (a folder, a .zip, the hosted
//! one or the stand-in), explore it by class and mark the hard images.

use leptos::prelude::*;

use crate::data::dogs::DogSetInfo;
use crate::labs::dogs::DogsView;
use crate::metrics::format_count;
use crate::plot::rgb_to_rgba;
use crate::protocol::ToWorker;
use crate::run::{DataProgress, DogSource};
use crate::session::Engine;
use crate::web::kit::Ctx;
use crate::web::kit::widgets::ScrollBox;
use crate::web::kit::widgets::{DataTable, PixelCanvas, download_text};

/// Hard images a student marks (HOMEWORK section 2).
const PICKS: usize = 3;
const PICKS_KEY: &str = "nnlab-dogset-picks";

fn source_name(source: DogSource) -> &'static str {
    match source {
        DogSource::Auto => "automatic",
        DogSource::Uploaded => "your own DogSet (kept in this browser)",
        DogSource::Hosted => "the DogSet hosted with this page",
        DogSource::StandIn => "the stand-in (Fashion-MNIST, not dogs)",
    }
}

// web-sys has no binding for `File.webkitRelativePath` (the path inside a chosen folder).
#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    #[wasm_bindgen(extends = web_sys::File)]
    type FolderFile;
    #[wasm_bindgen(method, getter, js_name = webkitRelativePath)]
    fn webkit_relative_path(this: &FolderFile) -> String;
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

fn explore_rows(info: &DogSetInfo) -> Vec<Vec<String>> {
    info.class_names
        .iter()
        .zip(&info.class_counts)
        .enumerate()
        .map(|(i, (name, c))| {
            vec![i.to_string(), name.clone(), format_count(c[0]), format_count(c[1]), format_count(c[2])]
        })
        .collect()
}

/// The student's hard images: (class, index in the training partition), and why.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct Picks {
    set: String,
    images: Vec<(u8, usize)>,
    note: String,
}

/// This site's localStorage; `None` where the browser refuses it (some private modes).
fn local_storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

fn load_picks(set: &str) -> Picks {
    local_storage()
        .and_then(|s| s.get_item(PICKS_KEY).ok().flatten())
        .and_then(|text| serde_json::from_str::<Picks>(&text).ok())
        .filter(|p| p.set == set)
        .unwrap_or_else(|| Picks { set: set.into(), ..Picks::default() })
}

/// The training-partition indices of the images marked as hard in the set titled `set`.
pub(super) fn marked(set: &str) -> Vec<usize> {
    load_picks(set).images.into_iter().map(|(_, index)| index).collect()
}

fn save_picks(picks: &Picks) {
    if let Some(storage) = local_storage() {
        let text = serde_json::to_string(picks).expect("picks serialise");
        let _ = storage.set_item(PICKS_KEY, &text);
    }
}

#[component]
pub(super) fn ExploreSection() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let info = Memo::new(move |_| ctx.session.with(|s| s.dogs.info.clone()));
    let gallery = Memo::new(move |_| ctx.session.with(|s| s.dogs.gallery.clone()));
    let class = RwSignal::new(0u8);
    let page = RwSignal::new(0usize);
    let picks = RwSignal::new(Picks::default());
    Effect::new(move |_| {
        if let Some(i) = info.get() {
            picks.set(load_picks(&i.title));
            if class.get_untracked() as usize >= i.class_names.len() {
                class.set(0);
            }
        }
    });
    // Asks for the page on screen whenever it, or the set, changes.
    let wanted = Memo::new(move |_| {
        let set = info.with(|i| i.as_ref().map(|i| (i.source, i.title.clone(), i.counts)));
        set.map(|set| (set, class.get(), page.get()))
    });
    Effect::new(move |_| {
        if let Some((_, c, p)) = wanted.get() {
            ctx.send(&ToWorker::Gallery { class: c, page: p });
        }
    });
    let pages = move || gallery.with(|g| g.as_ref().map_or(1, |g| g.pages));
    let step = move |by: isize| {
        let next = (page.get_untracked() as isize + by).clamp(0, pages() as isize - 1) as usize;
        page.set(next);
    };
    // A mark past the homework's three is refused, and the page says why.
    let refused = RwSignal::new(false);
    let toggle = move |pick: (u8, usize)| {
        let full = picks.with_untracked(|p| p.images.len() >= PICKS && !p.images.contains(&pick));
        refused.set(full);
        if full {
            return;
        }
        picks.update(|p| {
            if let Some(i) = p.images.iter().position(|x| *x == pick) {
                p.images.remove(i);
            } else {
                p.images.push(pick);
            }
            save_picks(p);
        });
    };
    view! {
        <section aria-labelledby="dogs-explore-title">
            <h3 id="dogs-explore-title">"2. Explore"</h3>
            <SetFacts info=info/>
            <GalleryControls info=info class=class page=page pages=Signal::derive(pages)/>
            <div class="dog-gallery" tabindex="0" role="group" aria-label="Training images of the chosen class; left and right arrows change the page"
                data-testid="dog-gallery"
                on:keydown=move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
                    "ArrowRight" | "PageDown" => { ev.prevent_default(); step(1) }
                    "ArrowLeft" | "PageUp" => { ev.prevent_default(); step(-1) }
                    _ => {}
                }>
                {move || gallery.get().map(|g| {
                    let per = 64 * 64 * 3;
                    g.indices.iter().enumerate().map(|(k, &index)| {
                        let rgba = rgb_to_rgba(&g.images[k * per..(k + 1) * per]);
                        let pick = (g.class, index);
                        let picked = move || picks.with(|p| p.images.contains(&pick));
                        view! {
                            <button type="button" class="tile" class:picked=picked aria-pressed=move || picked().to_string()
                                data-testid=format!("dog-tile-{k}")
                                on:click=move |_| toggle(pick)>
                                <PixelCanvas rgba=rgba width=64 height=64 scale=2 label=format!("training image {index}")/>
                                <span>{format!("#{index}")}</span>
                            </button>
                        }
                    }).collect_view()
                })}
            </div>
            <MarkedImages info=info picks=picks refused=refused/>
        </section>
    }
}

/// The gallery's class and its pages.
#[component]
fn GalleryControls(
    info: Memo<Option<DogSetInfo>>,
    class: RwSignal<u8>,
    page: RwSignal<usize>,
    pages: Signal<usize>,
) -> impl IntoView {
    let step =
        move |by: isize| page.set((page.get_untracked() as isize + by).clamp(0, pages.get() as isize - 1) as usize);
    view! {
    <div class="gallery-controls">
        <label>
            "Class: "
            <select data-testid="gallery-class" on:change=move |ev| { class.set(event_target_value(&ev).parse().unwrap_or(0)); page.set(0); }>
                {move || info.with(|i| i.as_ref().map(|i| i.class_names.iter().enumerate().map(|(k, n)| {
                    view! { <option value=k.to_string() selected=move || class.get() as usize == k>{n.clone()}</option> }
                }).collect_view()))}
            </select>
        </label>
        <span class="pager">
            <button type="button" data-testid="gallery-prev" on:click=move |_| step(-1) disabled=move || { page.get() == 0 }>"Previous"</button>
            <span data-testid="gallery-page">{move || format!("page {} of {}", page.get() + 1, pages.get())}</span>
            <button type="button" data-testid="gallery-next" on:click=move |_| step(1) disabled=move || { page.get() + 1 >= pages.get() }>"Next"</button>
        </span>
    </div>
    }
}

/// The loaded set's numbers: its images, shape, palette, classes, standardisation, and the
/// images per class and partition.
#[component]
fn SetFacts(info: Memo<Option<DogSetInfo>>) -> impl IntoView {
    view! {
    {move || match info.get() {
        None => view! { <p class="empty">"The set's numbers appear here once it is loaded."</p> }.into_any(),
        Some(i) => {
            let [h, w, c] = i.image_shape;
            let s = &i.standardise;
            let fmt = |v: &[f32]| v.iter().map(|x| format!("{x:.4}")).collect::<Vec<_>>().join(", ");
            view! {
                <dl class="facts" data-testid="dog-facts">
                    <dt>"Images"</dt>
                    <dd data-testid="dog-counts">{format!("{} train, {} valid, {} test", format_count(i.counts[0]), format_count(i.counts[1]), format_count(i.counts[2]))}</dd>
                    <dt>"Image shape"</dt><dd>{format!("{h} x {w} pixels, {c} channels")}</dd>
                    <dt>"Colour palette (from the pixels)"</dt><dd data-testid="dog-palette">{i.palette.clone()}</dd>
                    <dt>"Classes"</dt><dd data-testid="dog-classes">{format!("{}: {}", i.class_names.len(), i.class_names.join(", "))}</dd>
                    <dt>"Standardisation (train statistics, on 0..1 pixels)"</dt>
                    <dd data-testid="dog-standardise">{format!("mean [{}], std [{}] per channel (R, G, B)", fmt(&s.mean), fmt(&s.std))}</dd>
                </dl>
                <ScrollBox label="Images per class and partition">
                    <DataTable caption="images per class and partition" headers=vec!["label", "class", "train", "valid", "test"] rows=explore_rows(&i) testid="dog-class-table"/>
                </ScrollBox>
            }.into_any()
        }
    }}
    }
}

/// The images marked as hard, why, and their export.
#[component]
fn MarkedImages(info: Memo<Option<DogSetInfo>>, picks: RwSignal<Picks>, refused: RwSignal<bool>) -> impl IntoView {
    let export = move |_| {
        let p = picks.get_untracked();
        let names = info.with_untracked(|i| i.as_ref().map(|i| i.class_names.clone()).unwrap_or_default());
        let images: Vec<_> = p
            .images
            .iter()
            .map(|(c, i)| serde_json::json!({"class": names.get(*c as usize), "label": c, "train_index": i}))
            .collect();
        let json = serde_json::json!({"dataset": p.set, "hard_images": images, "why": p.note});
        download_text(
            "nnlab-dogset-hard-images.json",
            "application/json",
            &serde_json::to_string_pretty(&json).unwrap_or_default(),
        );
    };
    view! {
    <div class="picks">
        <p data-testid="dog-picks">
            {move || {
                let names = info.with(|i| i.as_ref().map(|i| i.class_names.clone()).unwrap_or_default());
                let p = picks.get();
                let list: Vec<String> = p.images.iter().map(|(c, i)| format!("{} #{i}", names.get(*c as usize).map_or("?", |n| n.as_str()))).collect();
                format!("Marked as hard ({} of {PICKS}): {}", p.images.len(), if list.is_empty() { "none yet: click an image".into() } else { list.join(", ") })
            }}
        </p>
        <p class="refused" role="status" data-testid="dog-picks-refused">
            {move || refused.get().then(|| format!(
                "Not marked: the homework asks for {PICKS} hard images and {PICKS} are marked. Unmark one (click it again) to mark another."
            ))}
        </p>
        <label for="dog-note">"Why might a classifier find these hard?"</label>
        <textarea id="dog-note" data-testid="dog-note" rows="3"
            prop:value=move || picks.with(|p| p.note.clone())
            on:input=move |ev| picks.update(|p| { p.note = event_target_value(&ev); save_picks(p); })></textarea>
        <button type="button" data-testid="dog-picks-export" on:click=export>"Export the marked images and note (JSON)"</button>
    </div>
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
