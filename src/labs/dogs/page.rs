//! The DogSet labs (HOMEWORK sections 2, 3 and 5): load a DogSet (or use the stand-in),
//! explore it, train the fully connected and the convolutional network with early stopping,
//! compare them, and answer the questions from the runs.

use leptos::prelude::*;

use crate::data::dogs::{DogSetInfo, PARTITIONS};
use crate::form::FormText;
use crate::labs::LabId;
use crate::labs::dogs::DogLab;
use crate::labs::dogs::answers::{Trained, best_epoch, comparison_answer, curve_answer};
use crate::net::LayerRow;
use crate::plot::{EPOCH_HEADERS, epoch_rows, kernel_rgba, rgb_to_rgba, run_charts};
use crate::protocol::ToWorker;
use crate::run::{DataProgress, DogSource};
use crate::run_view::RunView;
use crate::session::{Engine, Phase};
use crate::web::app::Ctx;
use crate::web::app::widgets::{
    ChartExport, DataTable, FormField, LabArticle, PixelCanvas, RunProgress, ShareLink, Svg, download_text,
};

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

#[component]
pub fn DogsLabPanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let dogs = Memo::new(move |_| ctx.session.with(|s| s.dogs.clone()));
    // Load the set once the engine is up (and again after a restart).
    Effect::new(move |_| {
        let ready = ctx.session.with(|s| s.engine == Engine::Ready);
        let idle =
            dogs.with(|d| d.info.is_none() && d.loading.is_none() && d.load_error.is_none() && d.checking.is_none());
        if ready && idle {
            let mut run = 0;
            ctx.session.update(|s| run = s.load_dogs());
            ctx.send(&ToWorker::LoadDogs { run, source: DogSource::Auto });
        }
    });
    let form = ctx.lab_form(LabId::Dogs, DogLab::homework_cnn().form());
    view! {
        <LabArticle id="dogs" title="DogSet: explore, then a fully connected and a convolutional network" lead=concat!("Ten dog breeds in 64x64 colour pictures. Look at the data first, then train a fully connected net and ", "a convolutional one with the homework's settings, both stopped early when the validation loss stops ", "improving, and compare what each learned.")>
            <DataSection/>
            <ExploreSection/>
            <SettingsSection form=form/>
            <NetSection cnn=false form=form/>
            <NetSection cnn=true form=form/>
            <CompareSection/>
        </LabArticle>
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
fn DataSection() -> impl IntoView {
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
    let ready = move || ctx.session.with(|s| s.engine == Engine::Ready) && !ctx.session.with(|s| s.is_training());
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
            {move || dogs.with(|d| d.checking).map(|(done, total)| view! {
                <label class="progress" data-testid="dog-checking">
                    "Checking your DogSet: "
                    <progress max=total.max(1) value=done aria-label="Checking the DogSet"></progress>
                    {format!("{done} of {total} images")}
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
        </section>
    }
}

fn explore_rows(info: &DogSetInfo) -> Vec<Vec<String>> {
    info.class_names
        .iter()
        .zip(&info.class_counts)
        .enumerate()
        .map(|(i, (name, c))| vec![i.to_string(), name.clone(), c[0].to_string(), c[1].to_string(), c[2].to_string()])
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

fn save_picks(picks: &Picks) {
    if let Some(storage) = local_storage() {
        let text = serde_json::to_string(picks).expect("picks serialise");
        let _ = storage.set_item(PICKS_KEY, &text);
    }
}

#[component]
fn ExploreSection() -> impl IntoView {
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
    let toggle = move |pick: (u8, usize)| {
        picks.update(|p| {
            if let Some(i) = p.images.iter().position(|x| *x == pick) {
                p.images.remove(i);
            } else if p.images.len() < PICKS {
                p.images.push(pick);
            }
            save_picks(p);
        });
    };
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
        <section aria-labelledby="dogs-explore-title">
            <h3 id="dogs-explore-title">"2. Explore"</h3>
            {move || match info.get() {
                None => view! { <p class="empty">"The set's numbers appear here once it is loaded."</p> }.into_any(),
                Some(i) => {
                    let [h, w, c] = i.image_shape;
                    let s = &i.standardise;
                    let fmt = |v: &[f32]| v.iter().map(|x| format!("{x:.4}")).collect::<Vec<_>>().join(", ");
                    view! {
                        <dl class="facts" data-testid="dog-facts">
                            <dt>"Images"</dt>
                            <dd data-testid="dog-counts">{format!("{} train, {} valid, {} test", i.counts[0], i.counts[1], i.counts[2])}</dd>
                            <dt>"Image shape"</dt><dd>{format!("{h} x {w} pixels, {c} channels")}</dd>
                            <dt>"Colour palette (from the pixels)"</dt><dd data-testid="dog-palette">{i.palette.clone()}</dd>
                            <dt>"Classes"</dt><dd data-testid="dog-classes">{format!("{}: {}", i.class_names.len(), i.class_names.join(", "))}</dd>
                            <dt>"Standardisation (train statistics, on 0..1 pixels)"</dt>
                            <dd data-testid="dog-standardise">{format!("mean [{}], std [{}] per channel (R, G, B)", fmt(&s.mean), fmt(&s.std))}</dd>
                        </dl>
                        <DataTable caption="images per class and partition" headers=vec!["label", "class", "train", "valid", "test"] rows=explore_rows(&i) testid="dog-class-table"/>
                    }.into_any()
                }
            }}
            <div class="gallery-controls">
                <label>
                    "Class: "
                    <select data-testid="gallery-class" on:change=move |ev| { class.set(event_target_value(&ev).parse().unwrap_or(0)); page.set(0); }>
                        {move || info.with(|i| i.as_ref().map(|i| i.class_names.iter().enumerate().map(|(k, n)| {
                            view! { <option value=k.to_string() selected=move || class.get() as usize == k>{n.clone()}</option> }
                        }).collect_view()))}
                    </select>
                </label>
                <button type="button" data-testid="gallery-prev" on:click=move |_| step(-1) disabled=move || page.get() == 0>"Previous"</button>
                <span data-testid="gallery-page">{move || format!("page {} of {}", page.get() + 1, pages())}</span>
                <button type="button" data-testid="gallery-next" on:click=move |_| step(1) disabled=move || page.get() + 1 >= pages()>"Next"</button>
            </div>
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
            <div class="picks">
                <p data-testid="dog-picks">
                    {move || {
                        let names = info.with(|i| i.as_ref().map(|i| i.class_names.clone()).unwrap_or_default());
                        let p = picks.get();
                        let list: Vec<String> = p.images.iter().map(|(c, i)| format!("{} #{i}", names.get(*c as usize).map_or("?", |n| n.as_str()))).collect();
                        format!("Marked as hard ({} of {PICKS}): {}", p.images.len(), if list.is_empty() { "none yet: click an image".into() } else { list.join(", ") })
                    }}
                </p>
                <label for="dog-note">"Why might a classifier find these hard?"</label>
                <textarea id="dog-note" data-testid="dog-note" rows="3"
                    prop:value=move || picks.with(|p| p.note.clone())
                    on:input=move |ev| picks.update(|p| { p.note = event_target_value(&ev); save_picks(p); })></textarea>
                <button type="button" data-testid="dog-picks-export" on:click=export>"Export the marked images and note (JSON)"</button>
            </div>
        </section>
    }
}

#[component]
fn SettingsSection(form: RwSignal<FormText>) -> impl IntoView {
    view! {
        <section aria-labelledby="dogs-settings-title">
            <h3 id="dogs-settings-title">"3. Training settings (both networks; defaults: the homework's)"</h3>
            <fieldset class="train-form">
                <legend>"SGD, batch 10, cross-entropy"</legend>
                <FormField form=form key="lr"/>
                <FormField form=form key="epochs"/>
                <FormField form=form key="stop"/>
                <FormField form=form key="seed"/>
            </fieldset>
            <ShareLink lab=LabId::Dogs form=form/>
        </section>
    }
}

fn layer_rows(layers: &[LayerRow]) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = layers
        .iter()
        .map(|r| {
            let shape = r.output_shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(" x ");
            vec![r.layer.clone(), shape, r.weights.to_string(), r.biases.to_string()]
        })
        .collect();
    let (w, b): (usize, usize) = layers.iter().fold((0, 0), |(w, b), r| (w + r.weights, b + r.biases));
    rows.push(vec!["total".into(), String::new(), w.to_string(), format!("{b} (parameters: {})", w + b)]);
    rows
}

#[component]
fn NetSection(cnn: bool, form: RwSignal<FormText>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let (id, title, name) = if cnn {
        ("cnn", "5. The convolutional network", "CNN")
    } else {
        ("mlp", "4. The fully connected network", "MLP")
    };
    let run = Memo::new(move |_| ctx.session.with(|s| if cnn { s.dogs.cnn.clone() } else { s.dogs.mlp.clone() }));
    let parsed = Memo::new(move |_| form.with(|f| DogLab::parse(f, cnn)));
    // While editing: the table worked out from the shapes; after a run: the built model's own.
    let table = Memo::new(move |_| match parsed.get() {
        Ok(lab) => lab.net().shape_table(),
        Err(e) => Err(e.to_string()),
    });
    let training = Signal::derive(move || ctx.session.with(|s| s.is_training()));
    let can_train = move || {
        !training.get()
            && parsed.with(|p| p.is_ok())
            && ctx.session.with(|s| s.dogs.info.is_some() && !matches!(s.engine, Engine::Crashed(_)))
    };
    let source = move || ctx.session.with(|s| s.dogs.info.as_ref().map_or(DogSource::Auto, |i| i.source));
    let train = move || {
        if let Ok(mut lab) = parsed.get_untracked() {
            lab.source = source();
            let mut id = 0;
            ctx.session.update(|s| id = s.start_dogs(lab.clone()));
            let set = ctx.session.with_untracked(|s| s.dogs.info.as_ref().map(|i| i.title.clone()).unwrap_or_default());
            let name = format!("{} on {set}, seed {}", lab.net().name, lab.train.seed);
            ctx.track(id, if cnn { "dogs-cnn" } else { "dogs-mlp" }, name, None);
            ctx.send(&ToWorker::TrainDogs { run: id, lab, backend: ctx.choice.get_untracked(), resume: None });
        }
    };
    let mine = move || run.with(|r| r.as_ref().is_some_and(|r| r.is_active()));
    let paused = move || run.with(|r| r.as_ref().is_some_and(|r| r.state.phase == Phase::Paused));
    let charts = Memo::new(move |_| {
        run.with(|r| {
            r.as_ref().filter(|r| !r.records.is_empty()).map(|r| run_charts(&r.records, r.summary.as_ref(), name))
        })
    });
    let rows = Signal::derive(move || run.with(|r| r.as_ref().map(|r| epoch_rows(&r.records)).unwrap_or_default()));
    let layer_table = Signal::derive(move || table.with(|t| t.as_ref().map(|t| layer_rows(t)).unwrap_or_default()));
    let built_rows = Signal::derive(move || {
        run.with(|r| r.as_ref().filter(|r| !r.layers.is_empty()).map(|r| layer_rows(&r.layers)))
    });
    view! {
        <section aria-labelledby=format!("{id}-title")>
            <h3 id=format!("{id}-title")>{title}</h3>
            {if cnn {
                view! {
                    <p>"Conv(3→16) → ReLU → MaxPool 2 → Conv(16→32) → ReLU → MaxPool 2 → flatten → Linear(→10), no padding. Choose each conv's kernel size and stride; the table follows."</p>
                    <fieldset class="train-form">
                        <legend>"Convolutions"</legend>
                        <FormField form=form key="k1"/>
                        <FormField form=form key="s1"/>
                        <FormField form=form key="k2"/>
                        <FormField form=form key="s2"/>
                    </fieldset>
                }.into_any()
            } else {
                view! { <p>"The 64x64x3 image flattened to 12,288 inputs → 128 → ReLU → 64 → ReLU → 10."</p> }.into_any()
            }}
            <table class="layers" data-testid=format!("{id}-layers")>
                <caption>{move || if built_rows.with(|b| b.is_some()) { "Layers of the model the last run built" } else { "Layers (worked out from the settings)" }}</caption>
                <thead><tr><th scope="col">"layer"</th><th scope="col">"output shape"</th><th scope="col">"weights"</th><th scope="col">"biases"</th></tr></thead>
                <tbody>
                    {move || built_rows.get().unwrap_or_else(|| layer_table.get()).into_iter().map(|row| view! {
                        <tr>{row.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}</tr>
                    }).collect_view()}
                </tbody>
            </table>
            {move || parsed.get().err().map(|e| view! { <p class="error" role="alert" data-testid=format!("{id}-form-error")>{format!("Cannot train: {e}.")}</p> })}
            <div class="buttons">
                <button type="button" data-testid=format!("{id}-train") data-shortcut=(!cnn).then_some("space") disabled=move || !can_train() on:click=move |_| train()>
                    {format!("Train the {name}")}
                </button>
                <button type="button" data-testid=format!("{id}-pause") data-shortcut="space" disabled=move || !mine()
                    on:click=move |_| ctx.send(if paused() { &ToWorker::Resume } else { &ToWorker::Pause })>
                    {move || if paused() { "Resume" } else { "Pause" }}
                </button>
                <button type="button" data-testid=format!("{id}-stop") disabled=move || !mine() on:click=move |_| ctx.send(&ToWorker::Stop)>"Stop"</button>
            </div>
            <RunProgress current=run prefix=if cnn { "cnn-" } else { "mlp-" }/>
            {move || run.with(|r| r.as_ref().and_then(|r| Some((ctx.written_epochs(r.id)?, r.checkpoint_bytes()?)))).map(|(n, bytes)| view! {
                <p class="saved-note" data-testid=format!("{id}-saved-epochs") data-epochs=n.to_string()>
                    {format!("Kept in this browser after epoch {n}, with its {:.2} MB of parameters (saved every epoch): a reload loses nothing (see Saved runs).", bytes as f64 / 1e6)}
                </p>
            })}
            {move || run.get().and_then(|r| r.summary.clone().map(|s| (r, s))).map(|(r, s)| view! {
                <p class="answer" data-testid=format!("{id}-result")>
                    {format!("{} epochs, {}. ", s.epochs_trained, s.stop.describe())}
                    {r.test.map(|(loss, acc)| format!("Test accuracy (evaluated once, after training): {acc:.1}% (loss {loss:.4})."))}
                </p>
            })}
            {move || charts.get().map(|(loss, acc)| view! {
                <div class="charts">
                    <figure><Svg svg=loss.clone() testid=format!("{id}-loss-chart")/><ChartExport svg=loss name=if cnn { "dog-cnn-loss" } else { "dog-mlp-loss" }/></figure>
                    <figure><Svg svg=acc.clone() testid=format!("{id}-acc-chart")/><ChartExport svg=acc name=if cnn { "dog-cnn-accuracy" } else { "dog-mlp-accuracy" }/></figure>
                </div>
            })}
            <DataTable caption=format!("per-epoch records of the {name}") headers=EPOCH_HEADERS.to_vec() rows=rows testid=format!("{id}-epochs")/>
            {cnn.then(|| view! { <Kernels run=run/> })}
        </section>
    }
}

/// The first conv's 16 kernels as RGB images (mid-grey = 0).
#[component]
fn Kernels(run: Memo<Option<RunView<DogLab>>>) -> impl IntoView {
    let kernels = Memo::new(move |_| run.with(|r| r.as_ref().and_then(|r| r.kernels.clone())));
    view! {
        {move || kernels.get().map(|k| {
            let [out, _, kh, kw] = k.shape;
            let scale = (96 / kh.max(1)).max(2) as u32;
            view! {
                <figure class="dog-kernels" data-testid="cnn-kernels">
                    <div class="tiles">
                        {(0..out).map(|o| view! {
                            <PixelCanvas rgba=kernel_rgba(&k, o) width=kw as u32 height=kh as u32 scale=scale label=format!("kernel {} as RGB", o + 1)/>
                        }).collect_view()}
                    </div>
                    <figcaption>"First-layer kernels after the latest epoch, their R, G and B weights shown as colours (mid-grey = 0, each kernel scaled to its own largest weight)."</figcaption>
                </figure>
            }
        })}
    }
}

fn trained<'a>(run: &'a RunView<DogLab>, name: &'a str) -> Option<Trained<'a>> {
    let s = run.summary.as_ref()?;
    Some(Trained {
        name,
        parameters: s.parameters,
        test_acc: run.test?.1,
        epochs: s.epochs_trained,
        seconds: s.train_seconds,
    })
}

#[component]
fn CompareSection() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let dogs = Memo::new(move |_| ctx.session.with(|s| (s.dogs.mlp.clone(), s.dogs.cnn.clone())));
    let rows = Signal::derive(move || -> Vec<Vec<String>> {
        dogs.with(|(mlp, cnn)| {
            [(mlp, "fully connected"), (cnn, "convolutional")]
                .into_iter()
                .filter_map(|(r, name)| {
                    let r = r.as_ref()?;
                    let s = r.summary.as_ref()?;
                    Some(vec![
                        name.to_string(),
                        r.test.map_or("-".into(), |t| format!("{:.1}", t.1)),
                        s.epochs_trained.to_string(),
                        best_epoch(&r.records).map_or("-".into(), |b| b.0.to_string()),
                        format!("{:.1}", s.train_seconds),
                        s.parameters.to_string(),
                    ])
                })
                .collect()
        })
    });
    let answer = |cnn: bool| {
        move || {
            dogs.with(|(mlp, c)| {
                let r = if cnn { c } else { mlp };
                r.as_ref()
                    .filter(|r| r.summary.is_some())
                    .map(|r| curve_answer(&r.records, r.summary.as_ref().expect("filtered"), r.test.map(|t| t.1)))
            })
            .unwrap_or_else(|| "Train this network to answer from your run.".into())
        }
    };
    let comparison = move || {
        dogs.with(|(mlp, cnn)| {
            let m = mlp.as_ref().and_then(|r| trained(r, "fully connected net"))?;
            let c = cnn.as_ref().and_then(|r| trained(r, "convolutional net"))?;
            Some(comparison_answer(&m, &c))
        })
        .unwrap_or_else(|| "Train both networks to compare them.".into())
    };
    view! {
        <section aria-labelledby="dogs-compare-title">
            <h3 id="dogs-compare-title">"6. Compare, and the homework's questions"</h3>
            <table class="compare" data-testid="dog-compare">
                <thead><tr>
                    {["network", "test accuracy (%)", "epochs", "lowest validation loss at epoch", "training time (s)", "parameters"].map(|h| view! { <th scope="col">{h}</th> }).collect_view()}
                </tr></thead>
                <tbody>{move || rows.get().into_iter().map(|row| view! { <tr>{row.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}</tr> }).collect_view()}</tbody>
            </table>
            <ol class="answers">
                <li>
                    <p class="question">"Fully connected net: how do training loss, validation loss and validation accuracy interact, and when did it stop learning something meaningful?"</p>
                    <p class="answer" data-testid="mlp-answer">{answer(false)}</p>
                </li>
                <li>
                    <p class="question">"The same for the convolutional net."</p>
                    <p class="answer" data-testid="cnn-answer">{answer(true)}</p>
                </li>
                <li>
                    <p class="question">"How does the convolutional net compare with the fully connected one?"</p>
                    <p class="answer" data-testid="compare-answer">{comparison}</p>
                </li>
            </ol>
            <p class="note">{PARTITIONS.join(", ")}" partitions are used as the course splits them: train to fit, valid to stop early, test once at the end."</p>
        </section>
    }
}
