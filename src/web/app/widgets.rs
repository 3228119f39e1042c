//! Small drawing components: pixels on a canvas, SVG from the core's chart code, data tables.

use leptos::html::Canvas;
use leptos::prelude::*;

use crate::form::FormText;
use crate::labs::LabId;
use crate::run_view::{LabConfig, RunView};
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, ImageData};

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

/// The input of field `key` of a lab's form (label, id and hint from the lab's `FIELDS`).
#[component]
pub fn FormField(
    form: RwSignal<FormText>,
    key: &'static str,
    #[prop(optional)] disabled: Option<Signal<bool>>,
) -> impl IntoView {
    let field = form.with_untracked(|f| f.fields().iter().find(|f| f.key == key).copied());
    let field = field.unwrap_or_else(|| panic!("the form has no field {key}"));
    let read = move || form.with(|f| f.get(key).to_string());
    let write = move |text: String| {
        form.update(|f| {
            f.set(key, text);
        })
    };
    text_input(field.id, field.label, field.hint, read, write, disabled)
}

/// A fieldset of the inputs of fields `keys` of a lab's form.
#[component]
pub fn FormFields(
    form: RwSignal<FormText>,
    legend: &'static str,
    keys: &'static [&'static str],
    /// A class for the fieldset (`train-form` where it stands outside a form).
    #[prop(optional)]
    class: &'static str,
) -> impl IntoView {
    view! {
        <fieldset class=(!class.is_empty()).then_some(class)>
            <legend>{legend}</legend>
            {keys.iter().map(|&key| view! { <FormField form=form key=key/> }).collect_view()}
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

/// Saves `content` as a file through a temporary object URL and a download link.
pub fn download_text(filename: &str, mime: &str, content: &str) {
    let bag = web_sys::BlobPropertyBag::new();
    bag.set_type(mime);
    let parts = js_sys::Array::of1(&content.into());
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &bag) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    click_link(filename, &url);
    let _ = web_sys::Url::revoke_object_url(&url);
}

fn click_link(filename: &str, href: &str) {
    let document = document();
    if let Some(a) = document.create_element("a").ok().and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok()) {
        a.set_href(href);
        a.set_download(filename);
        a.click();
    }
}

/// Renders an SVG chart to a PNG at twice its size and saves it.
pub fn download_png(filename: String, svg: String) {
    let Ok(image) = web_sys::HtmlImageElement::new() else { return };
    let source = format!("data:image/svg+xml;charset=utf-8,{}", js_sys::encode_uri_component(&svg));
    let loaded = image.clone();
    let on_load = wasm_bindgen::closure::Closure::once_into_js(move || {
        let (w, h) = (loaded.natural_width() * 2, loaded.natural_height() * 2);
        let Some(canvas) =
            document().create_element("canvas").ok().and_then(|e| e.dyn_into::<web_sys::HtmlCanvasElement>().ok())
        else {
            return;
        };
        canvas.set_width(w);
        canvas.set_height(h);
        let context =
            canvas.get_context("2d").ok().flatten().and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok());
        if let Some(context) = context {
            let _ = context.draw_image_with_html_image_element_and_dw_and_dh(&loaded, 0.0, 0.0, w as f64, h as f64);
            if let Ok(png) = canvas.to_data_url_with_type("image/png") {
                click_link(&filename, &png);
            }
        }
    });
    image.set_onload(Some(on_load.unchecked_ref()));
    image.set_src(&source);
}

/// "SVG" and "PNG" download buttons for a chart.
#[component]
pub fn ChartExport(#[prop(into)] svg: Signal<String>, name: &'static str) -> impl IntoView {
    view! {
        <span class="export">
            <button type="button" data-testid=format!("{name}-svg") aria-label=format!("Download the {name} chart as SVG")
                on:click=move |_| download_text(&format!("nnlab-{name}.svg"), "image/svg+xml", &svg.get_untracked())>"SVG"</button>
            <button type="button" data-testid=format!("{name}-png") aria-label=format!("Download the {name} chart as PNG")
                on:click=move |_| download_png(format!("nnlab-{name}.png"), svg.get_untracked())>"PNG"</button>
        </span>
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
                            {move || current.with(|r| r.as_ref().and_then(|r| r.state.status.clone())).map(|s| view! { <p class="status" role="status">{s}</p> })}
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
        let href = location.href().unwrap_or_default();
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
