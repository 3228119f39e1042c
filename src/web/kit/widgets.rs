//! Small drawing components: pixels on a canvas, SVG from the core's chart code, data tables.

use leptos::html::Canvas;
use leptos::prelude::*;

use crate::confusion::{Evaluation, MISTAKE_HEADERS};
use crate::form::{Field, FormText};
use crate::labs::LabId;
use crate::metrics::format_count;
use crate::plot::{bytes_rgba, confusion_headers, confusion_rows, confusion_svg};
use crate::run::Phase;
use crate::run_view::{LabConfig, RunView};
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, ImageData};

pub use super::export::{ChartExport, download_png, download_text};

/// An image from RGBA bytes, drawn pixel-exact and scaled up by CSS.
#[component]
pub fn PixelCanvas(
    #[prop(into)] rgba: Signal<Vec<u8>>,
    width: u32,
    height: u32,
    /// Displayed pixels per image pixel.
    scale: u32,
    #[prop(into)] label: Signal<String>,
    #[prop(optional, into)] testid: String,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        let data = rgba.get();
        let Some(canvas) = canvas.get() else { return };
        if data.len() != (width * height * 4) as usize {
            return;
        }
        let context =
            canvas.get_context("2d").ok().flatten().and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok());
        if let (Some(context), Ok(image)) =
            (context, ImageData::new_with_u8_clamped_array_and_sh(Clamped(&data), width, height))
        {
            let _ = context.put_image_data(&image, 0.0, 0.0);
        }
    });
    view! {
        <canvas
            node_ref=canvas
            class="pixels"
            width=width
            height=height
            style=format!("width:{}px;height:{}px", width * scale, height * scale)
            role="img"
            aria-label=move || label.get()
            data-testid=testid
        ></canvas>
    }
}

/// Its children, built one turn of the event loop later than the view around it: a page or a
/// lab whose whole first build would hold the main thread for a long task is built as two
/// shorter ones, with the first part painted in between.
#[component]
pub fn NextTurn(children: ChildrenFn) -> impl IntoView {
    let shown = RwSignal::new(false);
    leptos::task::spawn_local(async move {
        crate::web::js::yield_now().await;
        // The view may be gone by then (another lab chosen): nothing to show.
        let _ = shown.try_set(true);
    });
    move || shown.get().then(|| children())
}

/// A lab's frame: heading, one-paragraph introduction, then the lab itself.
#[component]
pub fn LabArticle(id: &'static str, title: &'static str, lead: &'static str, children: Children) -> impl IntoView {
    view! {
        <article class="lab" aria-labelledby=format!("{id}-title")>
            <h2 id=format!("{id}-title")>{title}</h2>
            <p class="lead">{lead}</p>
            {children()}
        </article>
    }
}

/// Markup made by the core's SVG code (charts, heatmaps).
#[component]
pub fn Svg(#[prop(into)] svg: Signal<String>, #[prop(optional, into)] testid: String) -> impl IntoView {
    view! { <div class="svg" data-testid=testid inner_html=move || svg.get()></div> }
}

/// A table behind a chart, collapsed by default, for screen readers and exact values.
#[component]
pub fn DataTable(
    #[prop(into)] caption: String,
    headers: Vec<&'static str>,
    #[prop(into)] rows: Signal<Vec<Vec<String>>>,
    #[prop(optional, into)] testid: String,
) -> impl IntoView {
    data_table(caption, headers.into_iter().map(String::from).collect(), rows, testid)
}

/// [`DataTable`] with headers made at run time (a column per class).
fn data_table(caption: String, headers: Vec<String>, rows: Signal<Vec<Vec<String>>>, testid: String) -> impl IntoView {
    view! {
        <details class="data-table">
            <summary>"Data table: " {caption.clone()}</summary>
            <table data-testid=testid>
                <caption>{caption}</caption>
                <thead>
                    <tr>{headers.into_iter().map(|h| view! { <th scope="col">{h}</th> }).collect_view()}</tr>
                </thead>
                <tbody>
                    {move || {
                        rows.get()
                            .into_iter()
                            .map(|row| view! { <tr>{row.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}</tr> })
                            .collect_view()
                    }}
                </tbody>
            </table>
        </details>
    }
}

/// A table that may be wider than a phone scrolls inside its own box, not the page sideways;
/// the box takes focus so that arrow keys scroll it too.
#[component]
pub fn ScrollBox(#[prop(into)] label: String, children: Children) -> impl IntoView {
    view! { <div class="table-scroll" tabindex="0" role="region" aria-label=label>{children()}</div> }
}

/// A test evaluation of a trained model: its confusion matrix as a heatmap with counts (rows
/// the true class, columns the prediction; each cell focusable with its count and share), the
/// matrix with per-class accuracy as a table behind it, and the most confident mistakes.
/// `what` names the model in captions ("the DogSet CNN"); `testid` prefixes the test ids.
#[component]
pub fn ConfusionView(
    evaluation: Evaluation,
    #[prop(into)] what: String,
    #[prop(into)] testid: String,
) -> impl IntoView {
    let c = &evaluation.confusion;
    let svg = confusion_svg(c, &evaluation.names, &evaluation.label(&what));
    let rows = confusion_rows(c, &evaluation.names);
    let headers = confusion_headers(&evaluation.names, c.classes());
    let mistakes = evaluation.mistake_rows();
    let n_mistakes = mistakes.len();
    // The hovered or focused cell in words under the matrix (screen readers read its label).
    let detail = RwSignal::new("Hover over or tab to a cell for its count and share.".to_string());
    let show = move |target: Option<web_sys::EventTarget>| {
        let cell =
            target.and_then(|t| t.dyn_into::<web_sys::Element>().ok()).and_then(|e| e.closest(".cell").ok().flatten());
        if let Some(text) = cell.and_then(|e| e.get_attribute("aria-label")) {
            detail.set(text);
        }
    };
    let (chart_id, cell_id, caption_id) =
        (format!("{testid}-chart"), format!("{testid}-cell"), format!("{testid}-caption"));
    let (gallery_id, mistakes_id) = (format!("{testid}-gallery"), format!("{testid}-mistakes"));
    let caption = evaluation.caption(&what);
    let table = data_table(
        format!("confusion matrix of {what} with per-class accuracy"),
        headers,
        Signal::stored(rows),
        format!("{testid}-table"),
    );
    let mistakes_table = (n_mistakes > 0).then(|| {
        let table = data_table(
            format!("the {}", evaluation.mistakes_caption(&what)),
            MISTAKE_HEADERS.map(String::from).to_vec(),
            Signal::stored(mistakes),
            mistakes_id,
        );
        view! { <ScrollBox label=format!("The most confident mistakes of {what}")>{table}</ScrollBox> }
    });
    view! {
        <div class="confusion-view" data-testid=testid data-total=c.total() data-correct=c.correct()>
            <figure class="confusion-figure" on:focusin=move |e| show(e.target()) on:mouseover=move |e| show(e.target())>
                <Svg svg=svg testid=chart_id/>
                <p class="cell-detail" aria-hidden="true" data-testid=cell_id>{detail}</p>
                <figcaption data-testid=caption_id>{caption}</figcaption>
            </figure>
            <ScrollBox label=format!("Confusion matrix of {what}, as a table")>{table}</ScrollBox>
            <MistakesGallery evaluation=evaluation.clone() testid=gallery_id/>
            {mistakes_table}
        </div>
    }
}

/// The most confident mistakes as pictures: each image with its true and predicted class and
/// the model's three most probable classes.
#[component]
fn MistakesGallery(evaluation: Evaluation, testid: String) -> impl IntoView {
    let [h, w, c] = evaluation.image_shape;
    let pictured: Vec<_> =
        evaluation.mistakes.iter().filter(|m| h > 0 && m.pixels.len() == h * w * c).cloned().collect();
    if pictured.is_empty() {
        return None;
    }
    let scale = picture_scale(w);
    let cards = pictured
        .into_iter()
        .map(|m| {
            let (truth, guess) = (evaluation.name(m.label), evaluation.name(m.predicted));
            let label = format!(
                "test image {}: a {truth}, taken for a {guess} with {:.1}% confidence",
                format_count(m.index),
                100.0 * m.confidence
            );
            let top = m
                .top
                .iter()
                .map(|(k, p)| view! { <li>{format!("{} {:.1}%", evaluation.name(*k), 100.0 * p)}</li> })
                .collect_view();
            view! {
                <figure class="mistake">
                    <PixelCanvas rgba=bytes_rgba(&m.pixels, c) width=w as u32 height=h as u32 scale=scale label=label/>
                    <figcaption>
                        <span class="truth">{format!("true: {truth}")}</span>
                        <strong class="guess">{format!("predicted: {guess}")}</strong>
                        <ol class="top">{top}</ol>
                    </figcaption>
                </figure>
            }
        })
        .collect_view();
    Some(view! {
        <details class="mistakes-box" open>
            <summary>{format!("The {} mistakes it was surest of", evaluation.mistakes.len())}</summary>
            <div class="mistakes" data-testid=testid>{cards}</div>
        </details>
    })
}

/// Canvas pixels per image pixel for a picture about 100 px wide: 4 for MNIST's 28, 2 for 64.
pub fn picture_scale(width: usize) -> u32 {
    ((100.0 / width.max(1) as f64).round() as u32).max(1)
}

/// A labelled text input bound to a signal.
#[component]
pub fn Field(
    label: &'static str,
    id: &'static str,
    value: RwSignal<String>,
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] disabled: Option<Signal<bool>>,
) -> impl IntoView {
    text_input(id, label, hint, move || value.get(), move |text| value.set(text), disabled)
}

/// The input of `field` of a lab's form (one of the lab's `field::` constants: its label, id
/// and hint).
#[component]
pub fn FormField(
    form: RwSignal<FormText>,
    field: Field,
    #[prop(optional)] disabled: Option<Signal<bool>>,
) -> impl IntoView {
    let key = field.key;
    let read = move || form.with(|f| f.get(key).to_string());
    let write = move |text: String| {
        form.update(|f| {
            f.set(key, text);
        })
    };
    text_input(field.id, field.label, field.hint, read, write, disabled)
}

/// A fieldset of the inputs of `fields` of a lab's form.
#[component]
pub fn FormFields(
    form: RwSignal<FormText>,
    legend: &'static str,
    fields: &'static [Field],
    /// A class for the fieldset (`train-form` where it stands outside a form).
    #[prop(optional)]
    class: &'static str,
) -> impl IntoView {
    view! {
        <fieldset class=(!class.is_empty()).then_some(class)>
            <legend>{legend}</legend>
            {fields.iter().map(|&field| view! { <FormField form=form field=field/> }).collect_view()}
        </fieldset>
    }
}

fn text_input(
    id: &'static str,
    label: &'static str,
    hint: &'static str,
    read: impl Fn() -> String + Send + Sync + 'static,
    write: impl Fn(String) + 'static,
    disabled: Option<Signal<bool>>,
) -> impl IntoView {
    let disabled = move || disabled.is_some_and(|d| d.get());
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                type="text"
                inputmode="decimal"
                autocomplete="off"
                data-testid=id
                prop:value=read
                on:input=move |ev| write(event_target_value(&ev))
                disabled=disabled
                aria-describedby=(!hint.is_empty()).then(|| format!("{id}-hint"))
            />
            {(!hint.is_empty()).then(|| view! { <small id=format!("{id}-hint")>{hint}</small> })}
        </div>
    }
}

/// A run's progress bar, speed, status and error. `prefix` keeps test ids apart when one lab
/// shows several runs.
#[component]
pub fn RunProgress<L>(current: Memo<Option<RunView<L>>>, prefix: &'static str) -> impl IntoView
where
    L: LabConfig + Clone + PartialEq + Send + Sync + 'static,
{
    let text = move || current.with(|r| r.as_ref().map(|r| r.progress_text()));
    view! {
        {move || {
            current
                .with(|r| r.is_some())
                .then(|| {
                    view! {
                        <div class="progress" data-testid=format!("{prefix}{}", "progress")
                            data-phase=move || current.with(|r| r.as_ref().map(|r| r.state.phase.name()))>
                            <progress
                                max="1"
                                value=move || current.with(|r| r.as_ref().map_or(0.0, |r| r.fraction_done()))
                                aria-label="Training progress"
                                data-testid=format!("{prefix}{}", "progress-bar")
                            ></progress>
                            <span data-testid=format!("{prefix}{}", "progress-text")>{text}</span>
                            <span class="speed" data-testid=format!("{prefix}{}", "speed")>
                                {move || current.with(|r| {
                                    r.as_ref()
                                        .and_then(|r| r.examples_per_s().map(|v| format!("{v:.0} examples/s on {}", r.state.backend.as_ref().map_or("?", |b| b.name.as_str()))))
                                })}
                            </span>
                            // A queued run's status is its progress text already.
                            {move || current.with(|r| r.as_ref().filter(|r| r.state.phase != Phase::Queued).and_then(|r| r.state.status.clone())).map(|s| view! { <p class="status" role="status">{s}</p> })}
                            {move || current.with(|r| r.as_ref().and_then(|r| r.state.error.clone())).map(|e| view! { <p class="error" role="alert" data-testid=format!("{prefix}{}", "run-error")>{e}</p> })}
                        </div>
                    }
                })
        }}
    }
}

/// "Copy a link to these settings": puts the lab and its form in the URL fragment, copies the
/// address (where the browser allows) and shows it for copying by hand.
#[component]
pub fn ShareLink(lab: LabId, form: RwSignal<FormText>) -> impl IntoView {
    let lab = lab.slug();
    let url = RwSignal::new(None::<String>);
    let copy = move |_| {
        let fragment = crate::share::encode(lab, &form.with_untracked(FormText::pairs));
        let location = window().location();
        // Setting the fragment of this URL (not navigating to "#..." against <base>).
        let _ = location.set_hash(&fragment);
        let href = crate::share::link(&location.href().unwrap_or_default(), &fragment);
        let navigator = window().navigator();
        // Feature detection: `navigator.clipboard` is missing outside secure contexts, and
        // web-sys's getter assumes it is there.
        if js_sys::Reflect::has(&navigator, &"clipboard".into()).unwrap_or(false) {
            let _ = navigator.clipboard().write_text(&href);
        }
        url.set(Some(href));
    };
    view! {
        <div class="share">
            <button type="button" data-testid=format!("{lab}-share") on:click=copy>"Copy a link to these settings"</button>
            {move || url.get().map(|u| view! {
                <label>"Link (opens this lab with these settings; nothing runs until Train): "
                    <input type="text" readonly=true value=u size="60" data-testid=format!("{lab}-share-url")/>
                </label>
            })}
        </div>
    }
}
