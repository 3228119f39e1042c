//! The confusion matrix as an SVG heatmap: rows are the true class, columns the predicted one,
//! each cell with its count, shaded by its share of the true class's images. Every cell is
//! focusable and says its count and share, so the matrix reads by keyboard and screen reader.

use std::fmt::Write;

use super::{escape, text_width};
use crate::confusion::{Confusion, images};
use crate::metrics::format_count;

const CELL: f64 = 40.0;
const FONT: f64 = 13.0;

/// Light to dark blue by `share` (0..1), and the text colour that reads on it.
fn shade(share: f64) -> ([u8; 3], &'static str) {
    let t = share.clamp(0.0, 1.0);
    let mix = |from: f64, to: f64| (from + (to - from) * t).round() as u8;
    ([mix(247.0, 8.0), mix(251.0, 69.0), mix(255.0, 148.0)], if t > 0.5 { "#fff" } else { "#111" })
}

/// `names[i]` labels class `i`; `label` is the chart's accessible name.
pub fn confusion_svg(confusion: &Confusion, names: &[String], label: &str) -> String {
    let n = confusion.classes();
    let name = |i: usize| names.get(i).cloned().unwrap_or_else(|| i.to_string());
    let widest = (0..n).map(|i| text_width(&name(i), FONT)).fold(0.0, f64::max);
    // Room for the row names and the axis title on the left, the column names above.
    let left = widest + 2.0 * FONT + 8.0;
    let top = 2.0 * FONT + 8.0 + if widest > CELL { widest } else { FONT };
    let (width, height) = (left + n as f64 * CELL + 4.0, top + n as f64 * CELL + 4.0);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="group" aria-label="{}" class="confusion" font-size="{FONT}" font-family="sans-serif">"#,
        escape(label)
    );
    let _ = write!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle" font-weight="bold">predicted class</text>"#,
        left + n as f64 * CELL / 2.0,
        FONT
    );
    let _ = write!(
        s,
        r#"<text transform="translate({} {}) rotate(-90)" text-anchor="middle" font-weight="bold">true class</text>"#,
        FONT,
        top + n as f64 * CELL / 2.0
    );
    for i in 0..n {
        let centre = left + (i as f64 + 0.5) * CELL;
        let y = top - 6.0;
        let text = escape(&name(i));
        // Column names stand upright when they fit a cell, else they are turned to read upwards.
        if text_width(&name(i), FONT) <= CELL - 4.0 {
            let _ = write!(s, r#"<text x="{centre}" y="{y}" text-anchor="middle">{text}</text>"#);
        } else {
            let _ = write!(s, r#"<text transform="translate({} {y}) rotate(-90)">{text}</text>"#, centre + FONT / 3.0);
        }
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="end">{text}</text>"#,
            left - 6.0,
            top + (i as f64 + 0.5) * CELL + FONT / 3.0
        );
    }
    for (t, row) in confusion.counts.iter().enumerate() {
        for (p, &count) in row.iter().enumerate() {
            let share = confusion.row_share(t, p);
            let ([r, g, b], ink) = shade(share / 100.0);
            let (x, y) = (left + p as f64 * CELL, top + t as f64 * CELL);
            let words = format!(
                "true {}, predicted {}: {}, {share:.1}% of the true {}",
                name(t),
                name(p),
                images(count),
                name(t)
            );
            let diagonal = if t == p { r##" stroke="#111" stroke-width="2""## } else { r##" stroke="#fff""## };
            let _ = write!(
                s,
                r#"<g class="cell" tabindex="0" role="img" aria-label="{words}" data-true="{t}" data-predicted="{p}" data-count="{count}"><title>{words}</title><rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" fill="rgb({r},{g},{b})"{diagonal}/><text x="{}" y="{}" text-anchor="middle" fill="{ink}">{}</text></g>"#,
                x + CELL / 2.0,
                y + CELL / 2.0 + FONT / 3.0,
                format_count(count as usize),
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// The matrix as table rows behind the chart: the true class, a count per predicted class,
/// the class's images and its accuracy.
pub fn confusion_rows(confusion: &Confusion, names: &[String]) -> Vec<Vec<String>> {
    let name = |i: usize| names.get(i).cloned().unwrap_or_else(|| i.to_string());
    confusion
        .counts
        .iter()
        .zip(confusion.per_class())
        .enumerate()
        .map(|(t, (row, class))| {
            let mut cells = vec![name(t)];
            cells.extend(row.iter().map(|&c| format_count(c as usize)));
            cells.push(format_count(class.images as usize));
            cells.push(class.percent().map_or("no images".into(), |p| format!("{p:.1}")));
            cells
        })
        .collect()
}

/// The table's headers: "true \\ predicted", a class name per column, "images", "accuracy (%)".
pub fn confusion_headers(names: &[String], classes: usize) -> Vec<String> {
    let name = |i: usize| names.get(i).cloned().unwrap_or_else(|| i.to_string());
    let mut headers = vec!["true \\ predicted".to_string()];
    headers.extend((0..classes).map(name));
    headers.extend(["images".to_string(), "accuracy (%)".to_string()]);
    headers
}

/// Per true class: its name, test images, how many were right and the accuracy: the matrix's
/// summary where its counts are drawn already (the printed report).
pub fn per_class_rows(confusion: &Confusion, names: &[String]) -> Vec<Vec<String>> {
    let name = |i: usize| names.get(i).cloned().unwrap_or_else(|| i.to_string());
    let per_class = confusion.per_class();
    let cells = |(t, class): (usize, &crate::confusion::ClassAccuracy)| {
        let accuracy = class.percent().map_or("no images".into(), |p| format!("{p:.1}"));
        vec![name(t), format_count(class.images as usize), format_count(class.correct as usize), accuracy]
    };
    per_class.iter().enumerate().map(cells).collect()
}

/// The headers of [`per_class_rows`].
pub const PER_CLASS_HEADERS: [&str; 4] = ["true class", "images", "right", "accuracy (%)"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cell_is_drawn_with_its_count_and_share() {
        let c = Confusion { counts: vec![vec![3, 1], vec![0, 4]] };
        let names = vec!["horizontal".to_string(), "vertical".to_string()];
        let svg = confusion_svg(&c, &names, "Confusion matrix");
        assert_eq!(svg.matches(r#"class="cell""#).count(), 4);
        assert!(
            svg.contains(r#"aria-label="true horizontal, predicted vertical: 1 image, 25.0% of the true horizontal""#)
        );
        assert!(svg.contains(r#"data-count="4""#));
        let rows = confusion_rows(&c, &names);
        assert_eq!(rows[0], ["horizontal", "3", "1", "4", "75.0"]);
        assert_eq!(rows[1], ["vertical", "0", "4", "4", "100.0"]);
        assert_eq!(
            confusion_headers(&names, 2),
            ["true \\ predicted", "horizontal", "vertical", "images", "accuracy (%)"]
        );
        assert_eq!(per_class_rows(&c, &names)[0], ["horizontal", "4", "3", "75.0"]);
    }
}
