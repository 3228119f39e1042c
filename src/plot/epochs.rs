//! A run's epochs as the labs and reports show them: its loss and accuracy charts, and its
//! records as a table.

use super::{LineChart, Marker, Series, TRAIN_COLOUR, VALID_COLOUR, format_value};
use crate::run::{EpochRecord, RunSummary, StopReason};

/// Loss and accuracy charts of one run's per-epoch records, with the stop marked on both
/// (epoch and reason) when the run ended before its last epoch.
pub fn run_charts(records: &[EpochRecord], summary: Option<&RunSummary>, name: &str) -> (String, String) {
    let pick = |f: fn(&EpochRecord) -> Option<f64>| -> Vec<(f64, f64)> {
        records.iter().filter_map(|r| f(r).map(|v| (r.epoch as f64, v))).collect()
    };
    let curve = |name: &str, colour, dashed, points| Series { name: name.into(), points, colour, dashed };
    // A run without a validation set (an MNIST model) gets no empty "validation" legend entry.
    let drawn = |series: Vec<Series>| series.into_iter().filter(|s| !s.points.is_empty()).collect::<Vec<_>>();
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
        series: drawn(vec![
            curve("training", TRAIN_COLOUR, false, pick(|r| Some(r.train_loss))),
            curve("validation", VALID_COLOUR, true, pick(|r| r.valid_loss)),
        ]),
        y_range: None,
        markers: markers.clone(),
    };
    let acc = LineChart {
        title: format!("{name}: accuracy per epoch"),
        x_label: "epoch".into(),
        y_label: "accuracy (%)".into(),
        series: drawn(vec![
            curve("training", TRAIN_COLOUR, false, pick(|r| Some(r.train_acc))),
            curve("validation", VALID_COLOUR, true, pick(|r| r.valid_acc)),
        ]),
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
