//! Small drawing components: pixels on a canvas, SVG from the core's chart code, data tables.

use leptos::html::Canvas;
use leptos::prelude::*;
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
                bind:value=value
                disabled=disabled
                aria-describedby=(!hint.is_empty()).then(|| format!("{id}-hint"))
            />
            {(!hint.is_empty()).then(|| view! { <small id=format!("{id}-hint")>{hint}</small> })}
        </div>
    }
}
