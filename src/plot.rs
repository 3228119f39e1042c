//! Charts as SVG text, and colour scales for weights and images. One chart code serves the
//! page (inserted as markup), exported reports and the CLI.
//!
//! Hand-written rather than plotters' SVG backend: every point carries a `<title>` (value on
//! hover, read by screen readers) and the chart carries ARIA attributes, which plotters'
//! backend cannot emit; the whole job is ~150 lines of straightforward geometry. Over 400 lines
//! with its tests, and kept whole: one chart model, its axes, and the colour scales it shares.

use std::fmt::Write;

mod confusion;
mod epochs;
mod pixels;
pub use confusion::{PER_CLASS_HEADERS, confusion_headers, confusion_rows, confusion_svg, per_class_rows};
pub use epochs::{EPOCH_HEADERS, epoch_rows, run_charts};
pub use pixels::{bytes_rgba, diverging, grey_rgba, heatmap_svg, kernel_rgba, pixels_svg, rgb_to_rgba};

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

/// The chart's width; its height follows from the title's lines and the legend's rows.
const W: f64 = 480.0;
/// The plot area's height, whatever the text around it.
const PLOT_H: f64 = 204.0;
const LEFT: f64 = 62.0;
const RIGHT: f64 = 14.0;
/// Space around the text blocks.
const PAD: f64 = 8.0;
const TITLE_SIZE: f64 = 13.0;
const TITLE_LINE: f64 = 17.0;
const TEXT_SIZE: f64 = 11.0;
const LEGEND_ROW: f64 = 16.0;
/// A legend entry's line sample and the gap before its name.
const SAMPLE: f64 = 28.0;

/// An upper estimate of `text`'s width in pixels at `size`, for a sans-serif face: SVG text
/// does not wrap or report its width before it is drawn, so titles and legends are laid out
/// from this. Generous per class of character, so an estimate errs on the side of room.
pub fn text_width(text: &str, size: f64) -> f64 {
    let em: f64 =
        text.chars()
            .map(|c| match c {
                'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' | '(' | ')' | ' ' | 'I' | 'f' | 't'
                | 'r' => 0.36,
                'm' | 'w' | 'M' | 'W' | '%' | '@' => 0.92,
                c if c.is_ascii_uppercase() => 0.72,
                _ => 0.6,
            })
            .sum();
    em * size
}

/// `text` broken at spaces into lines no wider than `width` at `size` (a word wider than a
/// line gets a line of its own rather than being cut).
pub fn wrap_text(text: &str, size: f64, width: f64) -> Vec<String> {
    let mut lines: Vec<String> = vec![];
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if text_width(&format!("{line} {word}"), size) <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

/// Where a chart's parts go: worked out from its text before anything is drawn.
struct Layout {
    title: Vec<String>,
    /// Top of the plot area.
    top: f64,
    /// Each legend entry's name lines and its top-left corner.
    legend: Vec<(Vec<String>, f64, f64)>,
    height: f64,
}

impl Layout {
    fn of(chart: &LineChart) -> Self {
        let title = wrap_text(&chart.title, TITLE_SIZE * 1.05, W - 2.0 * PAD);
        // Marker labels get a band of their own above the plot, clear of the curves.
        let marker_band = if chart.markers.is_empty() { 0.0 } else { TEXT_SIZE + 4.0 };
        let top = PAD + TITLE_LINE * title.len() as f64 + marker_band + 6.0;
        let bottom = top + PLOT_H;
        // The legend sits below the x axis's label, never over the curves: entries flow left
        // to right and wrap into rows.
        let row_width = W - RIGHT - LEFT;
        let (mut x, mut y) = (LEFT, bottom + 44.0);
        let mut row_height: f64 = 0.0;
        let mut legend = vec![];
        for series in &chart.series {
            let lines = wrap_text(&series.name, TEXT_SIZE, row_width - SAMPLE);
            let width = SAMPLE + lines.iter().map(|l| text_width(l, TEXT_SIZE)).fold(0.0, f64::max);
            if x > LEFT && x + width > W - RIGHT {
                (x, y) = (LEFT, y + row_height);
                row_height = 0.0;
            }
            row_height = row_height.max(LEGEND_ROW * lines.len() as f64);
            legend.push((lines, x, y));
            x += width + 18.0;
        }
        let height = if legend.is_empty() { bottom + 44.0 } else { y + row_height + PAD };
        Self { title, top, legend, height }
    }
}

impl LineChart {
    /// The chart as a standalone `<svg>` element, as tall as its title and legend need.
    pub fn to_svg(&self) -> String {
        let layout = Layout::of(self);
        let xs = self.series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
        let (x0, x1) = padded_range(xs.chain(self.markers.iter().map(|m| m.x)), 0.0);
        let ys = self.series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
        let (y0, y1) = self.y_range.unwrap_or_else(|| padded_range(ys, 0.05));
        let (top, bottom) = (layout.top, layout.top + PLOT_H);
        let frame = Frame { x0, x1, y0, y1, top };
        let height = layout.height;

        let mut s = String::new();
        let _ = write!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {height}" role="img" aria-label="{}" class="chart" font-family="system-ui, sans-serif" font-size="{TEXT_SIZE}">"#,
            escape(&self.title)
        );
        let _ =
            write!(s, r##"<title>{}</title><rect width="{W}" height="{height}" fill="#fff"/>"##, escape(&self.title));
        let _ = write!(s, r#"<text class="chart-title" x="{PAD}" font-size="{TITLE_SIZE}" font-weight="600">"#);
        for (i, line) in layout.title.iter().enumerate() {
            let _ =
                write!(s, r#"<tspan x="{PAD}" y="{:.1}">{}</tspan>"#, PAD + 12.0 + TITLE_LINE * i as f64, escape(line));
        }
        s.push_str("</text>");
        self.axes(&mut s, &frame);
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#222">{}</text><text transform="translate(14 {:.1}) rotate(-90)" text-anchor="middle" fill="#222">{}</text>"##,
            (LEFT + W - RIGHT) / 2.0,
            bottom + 32.0,
            escape(&self.x_label),
            top + PLOT_H / 2.0,
            escape(&self.y_label)
        );
        for m in &self.markers {
            let x = frame.px(m.x);
            // The label beside its line, turned to the left where it would run off the chart.
            let (tx, anchor) =
                if x + 3.0 + text_width(&m.label, TEXT_SIZE) > W { (x - 3.0, "end") } else { (x + 3.0, "start") };
            let _ = write!(
                s,
                r##"<g class="marker"><line x1="{x:.1}" x2="{x:.1}" y1="{:.1}" y2="{bottom:.1}" stroke="#555" stroke-dasharray="2 3"/><text x="{tx:.1}" y="{:.1}" text-anchor="{anchor}" fill="#333">{}</text></g>"##,
                top - TEXT_SIZE - 2.0,
                top - 4.0,
                escape(&m.label)
            );
        }
        for series in &self.series {
            self.series_svg(&mut s, series, &frame);
        }
        legend_svg(&mut s, &self.series, &layout);
        s.push_str("</svg>");
        s
    }

    /// Grid lines, ticks and their labels, and the two axes.
    fn axes(&self, s: &mut String, f: &Frame) {
        let bottom = f.top + PLOT_H;
        for t in nice_ticks(f.y0, f.y1, 5) {
            let y = f.py(t);
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
        for t in nice_ticks(f.x0, f.x1, 6).into_iter().filter(|t| !whole_x || t.fract() == 0.0) {
            let x = f.px(t);
            let _ = write!(
                s,
                r##"<line x1="{x:.1}" x2="{x:.1}" y1="{bottom:.1}" y2="{:.1}" stroke="#888"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="#444">{}</text>"##,
                bottom + 4.0,
                bottom + 16.0,
                format_tick(t)
            );
        }
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{bottom:.1}" y2="{bottom:.1}" stroke="#888"/><line x1="{LEFT}" x2="{LEFT}" y1="{:.1}" y2="{bottom:.1}" stroke="#888"/>"##,
            W - RIGHT,
            f.top,
        );
    }

    /// One series: its line, and a point with its value as a tooltip per record.
    fn series_svg(&self, s: &mut String, series: &Series, f: &Frame) {
        let path: Vec<String> = series.points.iter().map(|&(x, y)| format!("{:.1},{:.1}", f.px(x), f.py(y))).collect();
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
                f.px(x),
                f.py(y),
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
}

/// The data ranges and where the plot area starts: data to pixels.
struct Frame {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
    top: f64,
}

impl Frame {
    fn px(&self, x: f64) -> f64 {
        LEFT + (x - self.x0) / (self.x1 - self.x0) * (W - LEFT - RIGHT)
    }

    fn py(&self, y: f64) -> f64 {
        self.top + PLOT_H - (y - self.y0) / (self.y1 - self.y0) * PLOT_H
    }
}

/// The legend below the plot: a line sample (dashed like its series) and the name.
fn legend_svg(s: &mut String, series: &[Series], layout: &Layout) {
    s.push_str(r#"<g class="legend">"#);
    for (series, (lines, x, y)) in series.iter().zip(&layout.legend) {
        let dash = if series.dashed { r#" stroke-dasharray="6 3""# } else { "" };
        let mid = y + 8.0;
        let _ = write!(
            s,
            r##"<line x1="{x:.1}" x2="{:.1}" y1="{mid:.1}" y2="{mid:.1}" stroke="{}" stroke-width="2"{dash}/><text fill="#222">"##,
            x + 22.0,
            series.colour,
        );
        for (i, line) in lines.iter().enumerate() {
            let _ = write!(
                s,
                r#"<tspan x="{:.1}" y="{:.1}">{}</tspan>"#,
                x + SAMPLE,
                mid + 4.0 + LEGEND_ROW * i as f64,
                escape(line)
            );
        }
        s.push_str("</text>");
    }
    s.push_str("</g>");
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::{EpochRecord, Kernels, RunSummary, StopReason};

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

    /// The numbers of an SVG attribute on every element of `tag` that has it.
    fn attr_values(svg: &str, tag: &str, attr: &str) -> Vec<f64> {
        svg.split(&format!("<{tag} "))
            .skip(1)
            .filter_map(|t| t.split('>').next()?.split(&format!(" {attr}=\"")).nth(1)?.split('"').next()?.parse().ok())
            .collect()
    }

    #[test]
    fn a_long_title_wraps_whole_and_the_chart_grows_to_hold_it() {
        let short = chart().to_svg();
        let mut long = chart();
        long.title = "DogSet CNN (5x5, stride 1) on the stand-in, seed 12: loss per epoch (cross-entropy)".into();
        let svg = long.to_svg();
        let title = svg.split(r#"<text class="chart-title""#).nth(1).unwrap().split("</text>").next().unwrap();
        let lines: Vec<&str> =
            title.split("<tspan ").skip(1).map(|t| t.split('>').nth(1).unwrap().split('<').next().unwrap()).collect();
        assert!(lines.len() >= 2, "{lines:?}");
        assert_eq!(lines.join(" "), long.title, "every word of the title is drawn, none cut");
        for line in &lines {
            assert!(text_width(line, TITLE_SIZE * 1.05) <= W - 2.0 * PAD, "{line:?} fits the chart's width");
        }
        let height = |svg: &str| attr_values(svg, "rect", "height")[0];
        assert!(height(&svg) > height(&short), "the chart grew for its second title line");
        assert!(svg.contains(r#"aria-label="DogSet CNN (5x5, stride 1) on the stand-in, seed 12: loss"#));
    }

    #[test]
    fn the_legend_sits_below_the_plot_area_never_over_the_curves() {
        let mut c = chart();
        c.series.push(Series {
            name: "validation".into(),
            points: vec![(1.0, 0.8)],
            colour: VALID_COLOUR,
            dashed: true,
        });
        let svg = c.to_svg();
        let legend = svg.split(r#"<g class="legend">"#).nth(1).unwrap();
        let lowest_point = attr_values(&svg, "circle", "cy").into_iter().fold(0.0, f64::max);
        let axis_labels = attr_values(&svg, "text", "y").into_iter().fold(0.0, f64::max);
        let legend_ys = attr_values(legend, "tspan", "y");
        assert_eq!(legend_ys.len(), 2, "one entry per series");
        for y in legend_ys {
            assert!(y > lowest_point + 30.0, "legend text at {y} is below every point ({lowest_point})");
        }
        assert!(axis_labels <= attr_values(&svg, "rect", "height")[0], "all text inside the chart");
        // Legend names that do not fit one row go to the next, inside the chart's width.
        c.series = (0..6)
            .map(|i| Series {
                name: format!("MNIST MLP, N = {}", 500 * i),
                points: vec![],
                colour: TRAIN_COLOUR,
                dashed: false,
            })
            .collect();
        let svg = c.to_svg();
        let legend = svg.split(r#"<g class="legend">"#).nth(1).unwrap();
        let xs = attr_values(legend, "tspan", "x");
        let names: Vec<String> = (0..6).map(|i| format!("MNIST MLP, N = {}", 500 * i)).collect();
        for (x, name) in xs.iter().zip(&names) {
            assert!(x + text_width(name, TEXT_SIZE) <= W, "{name} at {x} ends inside the chart");
        }
        assert!(attr_values(legend, "tspan", "y").windows(2).any(|w| w[1] > w[0]), "entries wrapped to a second row");
    }

    #[test]
    fn marker_labels_stay_inside_the_chart_above_the_plot() {
        let mut c = chart();
        c.markers = vec![Marker { x: 3.0, label: "early stop (epoch 3)".into() }];
        let svg = c.to_svg();
        let marker = svg.split(r#"<g class="marker">"#).nth(1).unwrap();
        assert!(marker.contains(r#"text-anchor="end""#), "a stop at the last epoch is labelled to its left");
        let label_y = attr_values(marker, "text", "y")[0];
        let plot_top = attr_values(&svg, "circle", "cy").into_iter().fold(f64::INFINITY, f64::min);
        assert!(label_y < plot_top, "the label is above the highest point");
        let pixels = pixels_svg(&[255, 0, 0, 255, 0, 0, 255, 255], 2, 1, "kernel 1");
        assert!(pixels.contains(r#"fill="rgb(255,0,0)""#) && pixels.contains(r#"x="1" y="0""#), "{pixels}");
    }
}
