//! A look inside a trained CNN for one image: every conv block's feature maps after ReLU and
//! after pooling, the flattened vector's largest units and the class probabilities. A map
//! clicked (or chosen with Enter) is shown large beside the kernel that made it.

use std::sync::Arc;

use leptos::prelude::*;

use super::widgets::{PixelCanvas, Svg, picture_scale};
use crate::activations::Activations;
use crate::plot::{grey_rgba, heatmap_svg};

/// Largest units of the flattened vector listed.
const TOP_UNITS: usize = 10;

/// Displayed pixels per map pixel for small maps: about 48 px a map.
fn map_scale(width: usize) -> u32 {
    ((48.0 / width.max(1) as f64).round() as u32).max(1)
}

#[component]
pub fn InsideView(activations: Arc<Activations>, #[prop(into)] testid: String) -> impl IntoView {
    let a = activations;
    // (layer, channel) shown large.
    let chosen = RwSignal::new((0usize, 0usize));
    let [h, w] = a.image_size;
    let predicted = a.predicted();
    let probs = a
        .probs
        .iter()
        .enumerate()
        .map(|(i, &q)| {
            let name = a.names.get(i).cloned().unwrap_or_else(|| i.to_string());
            view! {
                <div class="prob" class:predicted=i == predicted>
                    <span class="name">{name.clone()}</span>
                    <meter min="0" max="1" value=q aria-label=format!("probability {name}")></meter>
                    <span class="value">{format!("{:.1}%", 100.0 * q)}</span>
                </div>
            }
        })
        .collect_view();
    let layers = (0..a.layers.len()).map(|l| layer_grid(&a, l, chosen)).collect_view();
    let units = a
        .top_units(TOP_UNITS)
        .into_iter()
        .map(|(i, v)| view! { <tr><td>{i.to_string()}</td><td>{format!("{v:.3}")}</td></tr> })
        .collect_view();
    let large = {
        let a = a.clone();
        move || chosen_view(&a, chosen.get())
    };
    view! {
        <div class="inside" data-testid=testid.clone()>
            <div class="inside-head">
                <figure>
                    <PixelCanvas rgba=a.rgba.clone() width=w as u32 height=h as u32 scale=picture_scale(w) label=a.title.clone()/>
                    <figcaption>{a.title.clone()}</figcaption>
                </figure>
                <div class="probs" data-testid=format!("{testid}-probs")>
                    <h4>"Class probabilities"</h4>
                    {probs}
                </div>
            </div>
            {layers}
            <div class="inside-chosen" data-testid=format!("{testid}-chosen") aria-live="polite">{large}</div>
            <table class="units" data-testid=format!("{testid}-units")>
                <caption>{units_caption(a.flat.len())}</caption>
                <thead><tr><th scope="col">"unit"</th><th scope="col">"value"</th></tr></thead>
                <tbody>{units}</tbody>
            </table>
        </div>
    }
}

/// "The flattened vector (5,408 numbers): its 10 largest units".
fn units_caption(n: usize) -> String {
    if n <= TOP_UNITS {
        format!("The flattened vector ({n} numbers), largest first")
    } else {
        format!("The flattened vector ({} numbers): its {TOP_UNITS} largest units", crate::metrics::format_count(n))
    }
}

/// One layer's maps, each a button that shows it large.
fn layer_grid(a: &Activations, l: usize, chosen: RwSignal<(usize, usize)>) -> impl IntoView + use<> {
    let [c, h, w] = a.shape(l);
    let top = a.layer_max(l).max(1e-6);
    let name = a.layers[l].0.clone();
    let maps = (0..c)
        .map(|k| {
            let label = format!("{name}, map {} of {c}: show it large with its kernel", k + 1);
            let canvas_label = format!("{name}, map {}", k + 1);
            view! {
                <button type="button" class="map" aria-label=label aria-pressed=move || (chosen.get() == (l, k)).to_string()
                    on:click=move |_| chosen.set((l, k))>
                    <PixelCanvas rgba=grey_rgba(a.map(l, k), 0.0, top) width=w as u32 height=h as u32 scale=map_scale(w) label=canvas_label/>
                </button>
            }
        })
        .collect_view();
    view! {
        <figure class="layer-maps" data-layer=name.clone() data-maps=c>
            <figcaption>{format!("{name}: {c} maps of {h}x{w} (black 0, white {})", crate::plot::format_value(top as f64))}</figcaption>
            <div class="maps">{maps}</div>
        </figure>
    }
}

/// The chosen map large, with the kernel that made it: one heatmap per input channel.
fn chosen_view(a: &Activations, (l, k): (usize, usize)) -> impl IntoView + use<> {
    let [_, h, w] = a.shape(l);
    let name = a.layers[l].0.clone();
    let top = a.layer_max(l).max(1e-6);
    let kernel = a.kernel_of(l, k).map(|(slices, size)| {
        let max_abs = slices.iter().flat_map(|s| s.iter()).fold(0f32, |m, v| m.max(v.abs())).max(1e-6);
        let n = slices.len();
        let svgs = slices
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let svg = heatmap_svg(s, size, size, 0.0, max_abs, &format!("kernel of map {}, input channel {}", k + 1, i + 1));
                view! { <div class="kernel-slice"><Svg svg=svg/><span>{format!("in {}", i + 1)}</span></div> }
            })
            .collect_view();
        view! {
            <div class="kernel-slices">
                <p>{format!("The kernel that made it: {n} slice{} of {size}x{size}, one per input channel (blue negative, white 0, red positive).", if n == 1 { "" } else { "s" })}</p>
                <div class="slices">{svgs}</div>
            </div>
        }
    });
    view! {
        <figure class="map-large">
            <PixelCanvas rgba=grey_rgba(a.map(l, k), 0.0, top) width=w as u32 height=h as u32 scale=((240 / w.max(1)).max(1)) as u32
                label=format!("{name}, map {} large", k + 1)/>
            <figcaption>{format!("{name}, map {} ({h}x{w})", k + 1)}</figcaption>
        </figure>
        {kernel}
    }
}
