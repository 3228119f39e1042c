//! Charts as SVG text, and colour scales for weights and images. One chart code serves the
//! page (inserted as markup), exported reports and the CLI.
//!
//! Hand-written rather than plotters' SVG backend: every point carries a `<title>` (value on
//! hover, read by screen readers) and the chart carries ARIA attributes, which plotters'
//! backend cannot emit; the whole job is ~150 lines of straightforward geometry. Over 400 lines
//! with its tests, and kept whole: one chart model, its axes, and the colour scales it shares.

use std::fmt::Write;

use crate::run::{EpochRecord, Kernels, RunSummary, StopReason};

/// One line on a chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub colour: &'static str,
    pub dashed: bool,
}

/// A vertical marker line, e.g. "early stop".
#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    pub x: f64,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LineChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    /// Fixed y range (e.g. 0..100 for accuracy); fitted to the data when `None`.
    pub y_range: Option<(f64, f64)>,
    pub markers: Vec<Marker>,
}

/// Colours with enough contrast on white, told apart by dash pattern too.
pub const TRAIN_COLOUR: &str = "#1f6fb2";
pub const VALID_COLOUR: &str = "#d9480f";

const W: f64 = 480.0;
const H: f64 = 280.0;
const LEFT: f64 = 62.0;
const RIGHT: f64 = 14.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 46.0;

impl LineChart {
    /// The chart as a standalone `<svg>` element.
    pub fn to_svg(&self) -> String {
        let xs = self.series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
        let (x0, x1) = padded_range(xs.chain(self.markers.iter().map(|m| m.x)), 0.0);
        let ys = self.series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
        let (y0, y1) = self.y_range.unwrap_or_else(|| padded_range(ys, 0.05));
        let px = |x: f64| LEFT + (x - x0) / (x1 - x0) * (W - LEFT - RIGHT);
        let py = |y: f64| H - BOTTOM - (y - y0) / (y1 - y0) * (H - TOP - BOTTOM);

        let mut s = String::new();
        let _ = write!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" aria-label="{}" class="chart" font-family="system-ui, sans-serif" font-size="11">"#,
            escape(&self.title)
        );
        let _ = write!(s, r##"<title>{}</title><rect width="{W}" height="{H}" fill="#fff"/>"##, escape(&self.title));
        let _ = write!(s, r#"<text x="{LEFT}" y="18" font-size="13" font-weight="600">{}</text>"#, escape(&self.title));
        for t in nice_ticks(y0, y1, 5) {
            let y = py(t);
            let _ = write!(
                s,
                r##"<line x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="#e3e3e3"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#444">{}</text>"##,
                W - RIGHT,
                LEFT - 6.0,
                y + 4.0,
                format_tick(t)
            );
        }
        // Epochs and counts are whole numbers: no "1.5" ticks between them.
        let whole_x = self.series.iter().flat_map(|s| &s.points).all(|p| p.0.fract() == 0.0);
        for t in nice_ticks(x0, x1, 6).into_iter().filter(|t| !whole_x || t.fract() == 0.0) {
            let x = px(t);
            let _ = write!(
                s,
                r##"<line x1="{x:.1}" x2="{x:.1}" y1="{:.1}" y2="{:.1}" stroke="#888"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="#444">{}</text>"##,
                H - BOTTOM,
                H - BOTTOM + 4.0,
                H - BOTTOM + 16.0,
                format_tick(t)
            );
        }
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#888"/><line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{:.1}" stroke="#888"/>"##,
            W - RIGHT,
            H - BOTTOM,
            H - BOTTOM,
            H - BOTTOM
        );
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#222">{}</text><text transform="translate(14 {:.1}) rotate(-90)" text-anchor="middle" fill="#222">{}</text>"##,
            (LEFT + W - RIGHT) / 2.0,
            H - 8.0,
            escape(&self.x_label),
            (TOP + H - BOTTOM) / 2.0,
            escape(&self.y_label)
        );
        for m in &self.markers {
            let x = px(m.x);
            let _ = write!(
                s,
                r##"<g class="marker"><line x1="{x:.1}" x2="{x:.1}" y1="{TOP}" y2="{:.1}" stroke="#555" stroke-dasharray="2 3"/><text x="{:.1}" y="{:.1}" fill="#333">{}</text></g>"##,
                H - BOTTOM,
                x + 3.0,
                TOP + 10.0,
                escape(&m.label)
            );
        }
        for series in &self.series {
            let path: Vec<String> = series.points.iter().map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y))).collect();
            let dash = if series.dashed { r#" stroke-dasharray="6 3""# } else { "" };
            let _ = write!(
                s,
                r#"<g class="series" data-series="{}"><polyline points="{}" fill="none" stroke="{}" stroke-width="2"{dash}/>"#,
                escape(&series.name),
                path.join(" "),
                series.colour
            );
            for &(x, y) in &series.points {
                let _ = write!(
                    s,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{}"><title>{}: {} = {}, {} = {}</title></circle>"#,
                    px(x),
                    py(y),
                    series.colour,
                    escape(&series.name),
                    escape(&self.x_label),
                    format_tick(x),
                    escape(&self.y_label),
                    format_value(y)
                );
            }
            s.push_str("</g>");
        }
        // Legend, top right.
        for (i, series) in self.series.iter().enumerate() {
            let x = W - RIGHT - 190.0;
            let y = TOP + 4.0 + 16.0 * i as f64;
            let dash = if series.dashed { r#" stroke-dasharray="6 3""# } else { "" };
            let _ = write!(
                s,
                r##"<line x1="{x}" x2="{:.1}" y1="{y}" y2="{y}" stroke="{}" stroke-width="2"{dash}/><text x="{:.1}" y="{:.1}" fill="#222">{}</text>"##,
                x + 22.0,
                series.colour,
                x + 28.0,
                y + 4.0,
                escape(&series.name)
            );
        }
        s.push_str("</svg>");
        s
    }
}

/// min..max of the values, widened by `pad` of the span; a usable range even for no or one value.
fn padded_range(values: impl Iterator<Item = f64>, pad: f64) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        return (lo - d, hi + d);
    }
    let d = (hi - lo) * pad;
    (lo - d, hi + d)
}

/// Round tick values (1, 2, 5 times a power of ten) inside [lo, hi].
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let raw = (hi - lo) / target.max(1) as f64;
    if raw <= 0.0 || !raw.is_finite() {
        return vec![lo];
    }
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    // Round away float noise (3 * 0.2 = 0.6000000000000001) at the step's precision.
    let scale = 10f64.powi((-step.log10().floor()).max(0.0) as i32);
    (first..=last).map(|i| (i as f64 * step * scale).round() / scale).collect()
}

fn format_tick(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v.abs() >= 1e4 || v.abs() < 1e-3 {
        format!("{v:.0e}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A data value with 4 significant digits.
pub fn format_value(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = (3 - v.abs().log10().floor() as i32).clamp(0, 8) as usize;
    format!("{v:.digits$}")
}

/// Escapes text for SVG/HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

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

/// Loss and accuracy charts of one run's per-epoch records, with the stop marked on both
/// (epoch and reason) when the run ended before its last epoch.
pub fn run_charts(records: &[EpochRecord], summary: Option<&RunSummary>, name: &str) -> (String, String) {
    let pick = |f: fn(&EpochRecord) -> Option<f64>| -> Vec<(f64, f64)> {
        records.iter().filter_map(|r| f(r).map(|v| (r.epoch as f64, v))).collect()
    };
    let curve = |name: &str, colour, dashed, points| Series { name: name.into(), points, colour, dashed };
    let markers = match summary {
        Some(s) if s.stop != StopReason::Completed => {
            vec![Marker {
                x: s.epochs_trained as f64,
                label: format!("{} (epoch {})", s.stop.label(), s.epochs_trained),
            }]
        }
        _ => vec![],
    };
    let loss = LineChart {
        title: format!("{name}: loss per epoch (cross-entropy)"),
        x_label: "epoch".into(),
        y_label: "mean loss".into(),
        series: vec![
            curve("training", TRAIN_COLOUR, false, pick(|r| Some(r.train_loss))),
            curve("validation", VALID_COLOUR, true, pick(|r| r.valid_loss)),
        ],
        y_range: None,
        markers: markers.clone(),
    };
    let acc = LineChart {
        title: format!("{name}: accuracy per epoch"),
        x_label: "epoch".into(),
        y_label: "accuracy (%)".into(),
        series: vec![
            curve("training", TRAIN_COLOUR, false, pick(|r| Some(r.train_acc))),
            curve("validation", VALID_COLOUR, true, pick(|r| r.valid_acc)),
        ],
        y_range: Some((0.0, 100.0)),
        markers,
    };
    (loss.to_svg(), acc.to_svg())
}

/// The per-epoch records as table rows: epoch, train loss, train acc, valid loss, valid acc,
/// seconds.
pub fn epoch_rows(records: &[EpochRecord]) -> Vec<Vec<String>> {
    let opt =
        |v: Option<f64>, pct: bool| v.map_or("-".into(), |v| if pct { format!("{v:.1}") } else { format_value(v) });
    records
        .iter()
        .map(|e| {
            vec![
                e.epoch.to_string(),
                format_value(e.train_loss),
                format!("{:.1}", e.train_acc),
                opt(e.valid_loss, false),
                opt(e.valid_acc, true),
                format!("{:.2}", e.seconds),
            ]
        })
        .collect()
}

/// Headers of [`epoch_rows`].
pub const EPOCH_HEADERS: [&str; 6] = ["epoch", "train loss", "train acc (%)", "valid loss", "valid acc (%)", "seconds"];

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

/// RGB bytes (`[n, 3]`) as RGBA.
pub fn rgb_to_rgba(rgb: &[u8]) -> Vec<u8> {
    rgb.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rgb_kernels_map_zero_to_grey_and_the_extremes_to_the_ends() {
        let k = Kernels { shape: [1, 3, 1, 2], weights: vec![1.0, 0.0, -0.5, 0.25, 0.0, -1.0], biases: vec![0.0] };
        assert_eq!(kernel_rgba(&k, 0), vec![255, 64, 128, 255, 128, 159, 0, 255]);
        assert_eq!(rgb_to_rgba(&[1, 2, 3]), vec![1, 2, 3, 255]);
    }

    #[test]
    fn an_early_stop_is_marked_with_its_epoch_and_reason() {
        let record = |epoch| EpochRecord {
            epoch,
            train_loss: 1.0,
            train_acc: 50.0,
            valid_loss: Some(1.1),
            valid_acc: Some(45.0),
            seconds: 1.0,
            examples_per_s: 10.0,
        };
        let summary = RunSummary {
            epochs_trained: 2,
            stop: StopReason::EarlyStop { improvement: 1e-5, stop_thr: 1e-4 },
            train_seconds: 2.0,
            parameters: 1,
        };
        let (loss, acc) = run_charts(&[record(1), record(2)], Some(&summary), "MLP");
        for svg in [loss, acc] {
            assert!(svg.contains("early stop (epoch 2)"), "{svg}");
        }
        assert_eq!(epoch_rows(&[record(1)])[0], vec!["1", "1.000", "50.0", "1.100", "45.0", "1.00"]);
    }

    fn chart() -> LineChart {
        LineChart {
            title: "Loss <per epoch>".into(),
            x_label: "epoch".into(),
            y_label: "loss".into(),
            series: vec![Series {
                name: "train".into(),
                points: vec![(1.0, 0.7), (2.0, 0.5), (3.0, 0.4)],
                colour: TRAIN_COLOUR,
                dashed: false,
            }],
            y_range: None,
            markers: vec![Marker { x: 2.0, label: "stop".into() }],
        }
    }

    #[test]
    fn a_chart_has_one_point_per_record_with_its_value_and_escaped_text() {
        let svg = chart().to_svg();
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains("<title>train: epoch = 2, loss = 0.5000</title>"), "{svg}");
        assert!(svg.contains("Loss &lt;per epoch&gt;"));
        assert!(!svg.contains("<per epoch>"));
        assert!(svg.contains(r#"class="marker""#));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        // x ticks of whole-number data are whole numbers.
        assert!(svg.contains(">2</text>") && !svg.contains(">1.5</text>"), "{svg}");
    }

    #[test]
    fn higher_values_are_drawn_higher() {
        let svg = chart().to_svg();
        let ys: Vec<f64> = svg
            .split("<circle ")
            .skip(1)
            .map(|c| c.split("cy=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap())
            .collect();
        assert!(ys[0] < ys[1] && ys[1] < ys[2], "loss falls, so the points go down: {ys:?}");
    }

    #[test]
    fn ticks_are_round_and_inside_the_range() {
        assert_eq!(nice_ticks(0.0, 100.0, 5), vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        assert_eq!(nice_ticks(0.31, 0.74, 4), vec![0.4, 0.6]);
        assert_eq!(nice_ticks(0.0, 0.3, 3), vec![0.0, 0.1, 0.2, 0.3]);
        assert_eq!(format_tick(0.25), "0.25");
        assert_eq!(format_value(0.512345), "0.5123");
        assert_eq!(format_value(1234.56), "1235");
    }

    #[test]
    fn colour_scales_put_zero_in_the_middle() {
        assert_eq!(diverging(0.0, 1.0), [255, 255, 255]);
        assert_eq!(diverging(1.0, 1.0), [178, 24, 43]);
        assert_eq!(diverging(-2.0, 1.0), [33, 102, 172]);
        assert_eq!(grey_rgba(&[0.0, 1.0], 0.0, 1.0), vec![0, 0, 0, 255, 255, 255, 255, 255]);
        let heat = heatmap_svg(&[0.5, -0.5], 1, 2, 0.0, 0.5, "k");
        assert!(heat.contains("<title>row 1, col 2: -0.5000</title>"), "{heat}");
    }
}
