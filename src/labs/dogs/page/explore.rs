//! The DogSet lab's data, explored (HOMEWORK section 2): its numbers, a gallery by class, and
//! the hard images the student marks (loading it is `data.rs`).

use leptos::prelude::*;

use crate::data::dogs::DogSetInfo;
use crate::metrics::format_count;
use crate::plot::rgb_to_rgba;
use crate::protocol::ToWorker;
use crate::web::kit::Ctx;
use crate::web::kit::widgets::ScrollBox;
use crate::web::kit::widgets::{DataTable, PixelCanvas, download_text};

/// Hard images a student marks (HOMEWORK section 2).
const PICKS: usize = 3;
const PICKS_KEY: &str = "nnlab-dogset-picks";

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
        .and_then(|text| crate::protocol::read_json::<Picks>(&text).ok())
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
