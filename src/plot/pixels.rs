//! Pictures as pixels: diverging and grey colour scales, heatmaps as SVG, RGBA bytes for a
//! canvas (images, kernels), and pixels as an SVG image for reports.

use std::fmt::Write;

use super::{escape, format_value};
use crate::run::Kernels;

/// Diverging colour for a weight: blue for negative, white at zero, red for positive, full
/// colour at `|v| = max_abs`.
pub fn diverging(v: f32, max_abs: f32) -> [u8; 3] {
    let t = if max_abs > 0.0 { (v / max_abs).clamp(-1.0, 1.0) } else { 0.0 };
    let (end, a) = if t >= 0.0 { ([178.0, 24.0, 43.0], t) } else { ([33.0, 102.0, 172.0], -t) };
    let mix = |e: f32| (255.0 + (e - 255.0) * a).round() as u8;
    [mix(end[0]), mix(end[1]), mix(end[2])]
}

/// A kernel (or any small matrix) as an SVG heatmap on the diverging scale around `centre`
/// (white), full colour at `centre +- max_abs`, each cell with its value as a tooltip.
pub fn heatmap_svg(values: &[f32], rows: usize, cols: usize, centre: f32, max_abs: f32, label: &str) -> String {
    let cell = 24.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" aria-label="{}" class="heatmap">"#,
        cols as f64 * cell,
        rows as f64 * cell,
        escape(label)
    );
    for r in 0..rows {
        for c in 0..cols {
            let v = values[r * cols + c];
            let [red, green, blue] = diverging(v - centre, max_abs);
            let _ = write!(
                s,
                r#"<rect x="{}" y="{}" width="{cell}" height="{cell}" fill="rgb({red},{green},{blue})"><title>row {}, col {}: {}</title></rect>"#,
                c as f64 * cell,
                r as f64 * cell,
                r + 1,
                c + 1,
                format_value(v as f64)
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// Pixels as RGBA bytes (for a canvas), grey from `lo` (black) to `hi` (white).
pub fn grey_rgba(values: &[f32], lo: f32, hi: f32) -> Vec<u8> {
    let span = if hi > lo { hi - lo } else { 1.0 };
    values
        .iter()
        .flat_map(|&v| {
            let g = (((v - lo) / span).clamp(0.0, 1.0) * 255.0).round() as u8;
            [g, g, g, 255]
        })
        .collect()
}

/// Kernel `o` of a first layer with 3 input channels as an RGBA image: the weights for R, G
/// and B as colours, scaled together so the kernel's largest magnitude spans 0..255 around
/// mid-grey (mid-grey = 0).
pub fn kernel_rgba(kernels: &Kernels, o: usize) -> Vec<u8> {
    let [_, cin, kh, kw] = kernels.shape;
    let channels: Vec<&[f32]> = (0..cin).map(|i| kernels.kernel(o, i)).collect();
    let max_abs = channels.iter().flat_map(|c| c.iter()).fold(0f32, |m, w| m.max(w.abs())).max(1e-12);
    (0..kh * kw)
        .flat_map(|p| {
            let v = |i: usize| channels.get(i.min(cin - 1)).map_or(0.0, |c| c[p]);
            let byte = |w: f32| (127.5 + 127.5 * w / max_abs).round().clamp(0.0, 255.0) as u8;
            [byte(v(0)), byte(v(1)), byte(v(2)), 255]
        })
        .collect()
}

/// Image bytes of 1 (grey) or 3 (RGB) channels as RGBA.
pub fn bytes_rgba(bytes: &[u8], channels: usize) -> Vec<u8> {
    if channels == 3 { rgb_to_rgba(bytes) } else { bytes.iter().flat_map(|&g| [g, g, g, 255]).collect() }
}

/// RGB bytes (`[n, 3]`) as RGBA.
pub fn rgb_to_rgba(rgb: &[u8]) -> Vec<u8> {
    rgb.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect()
}

/// RGBA pixels as an SVG of square cells: a picture that needs no canvas or script (the
/// exported report draws the DogSet CNN's kernels with it).
pub fn pixels_svg(rgba: &[u8], width: usize, height: usize, label: &str) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-label="{}" class="pixels" shape-rendering="crispEdges">"#,
        escape(label)
    );
    for (i, p) in rgba.chunks_exact(4).take(width * height).enumerate() {
        let _ = write!(
            s,
            r#"<rect x="{}" y="{}" width="1" height="1" fill="rgb({},{},{})"/>"#,
            i % width,
            i / width,
            p[0],
            p[1],
            p[2]
        );
    }
    s.push_str("</svg>");
    s
}
