//! Files the student takes away: text (CSV, JSON, HTML), a chart as SVG and as PNG.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::CanvasRenderingContext2d;

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
