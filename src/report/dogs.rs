//! Sections 3 and 5 in the report: each DogSet network's runs with their curves, layer table
//! and the curve answer; the CNN's first-layer kernels; and the comparison of the two networks.

use super::{epochs_table, evaluation_block, figure, qa, run_block, settings, table};
use crate::labs::dogs::DogLab;
use crate::labs::dogs::answers::{Trained, best_epoch, comparison_answer, curve_answer};
use crate::metrics::format_count;
use crate::net::LayerRow;
use crate::plot::{kernel_rgba, pixels_svg, run_charts};
use crate::runs::SavedRun;

/// HOMEWORK section 3's question (section 5 asks the same of the CNN).
const CURVE_QUESTION: &str = "Describe the interaction of training loss, validation loss and validation accuracy, \
                              and when the network stopped learning something meaningful.";

fn config(run: &SavedRun) -> Option<DogLab> {
    serde_json::from_value(run.config.clone()).ok()
}

pub(super) fn mlp_section(runs: &[&SavedRun]) -> String {
    runs.iter().map(|r| net_run(r, false)).collect()
}

pub(super) fn cnn_section(cnns: &[&SavedRun], mlps: &[&SavedRun]) -> String {
    let mut html: String = cnns.iter().map(|r| net_run(r, true)).collect();
    html += &comparison(cnns, mlps);
    html
}

/// HOMEWORK section 2's hard-images task, answered from a trained network's verdicts.
const PICKS_QUESTION: &str = "Browse one breed and pick 3 images a classifier may find hard.";

/// One network's run: settings, curves, layer table, epochs, kernels (CNN) and its answer.
fn net_run(run: &SavedRun, cnn: bool) -> String {
    let lab = config(run);
    let mut body = String::new();
    if !run.epochs.is_empty() {
        let (loss, acc) = run_charts(&run.epochs, run.summary.as_ref(), &run.name);
        body += &format!(
            "<div class=\"charts\">{}{}</div>",
            figure(&loss, "Mean cross-entropy loss per epoch on the training and the validation images."),
            figure(&acc, "Accuracy per epoch on the training and the validation images.")
        );
    }
    if let Some(layers) = lab.as_ref().and_then(|l| l.net().shape_table().ok()) {
        body += &layer_table(&layers);
    }
    body += &epochs_table(run);
    if let Some(e) = &run.evaluation {
        body += &evaluation_block(e, if cnn { "the CNN" } else { "the MLP" });
    }
    if cnn {
        body += &kernels(run);
    }
    let answer = match &run.summary {
        Some(summary) => curve_answer(&run.epochs, summary, run.test.map(|t| t.1)),
        None => format!(
            "Not answered: this run is {} after {} epochs. Resume it (Saved runs) or train again, and report the \
             finished run.",
            run.status.name(),
            run.epochs.len()
        ),
    };
    let settings = lab.as_ref().map(settings::dogs_rows).unwrap_or_default();
    let mut answers = qa(CURVE_QUESTION, &answer);
    let picks = run.evaluation.as_ref().and_then(|e| e.picks_answer(if cnn { "The CNN" } else { "The MLP" }));
    if let Some(picks) = picks {
        answers += &qa(PICKS_QUESTION, &picks);
    }
    run_block(run, &settings, body, answers)
}

/// The layer table of the network the run trained: shapes, weights and biases per layer, and
/// the totals.
fn layer_table(layers: &[LayerRow]) -> String {
    let mut rows: Vec<Vec<String>> = layers
        .iter()
        .map(|r| {
            let shape = r.output_shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(" x ");
            vec![
                r.layer.clone(),
                shape,
                format_count(r.weights),
                format_count(r.biases),
                format_count(r.weights + r.biases),
            ]
        })
        .collect();
    let (w, b) = layers.iter().fold((0, 0), |(w, b), r| (w + r.weights, b + r.biases));
    rows.push(vec!["total".into(), String::new(), format_count(w), format_count(b), format_count(w + b)]);
    table(
        "layers",
        "Layers of the network (one example's output shape)",
        &["layer", "output shape", "weights", "biases", "parameters"],
        &rows,
    )
}

/// The first convolution's kernels as RGB pictures, from the run's saved parameters.
fn kernels(run: &SavedRun) -> String {
    let Some((epoch, k)) = run.first_kernels() else {
        return "<p class=\"note\">No first-layer kernels: this run saved no parameters.</p>".into();
    };
    let [out, _, kh, kw] = k.shape;
    let tiles: String = (0..out)
        .map(|o| {
            let label = format!("kernel {}", o + 1);
            format!(
                "<figure>{}<figcaption>{label}</figcaption></figure>",
                pixels_svg(&kernel_rgba(&k, o), kw, kh, &label)
            )
        })
        .collect();
    format!(
        "<h4>First-layer kernels after epoch {epoch}</h4><div class=\"kernels\">{tiles}</div><p class=\"note\">Each \
         kernel's R, G and B weights shown as colours: mid-grey is 0, each kernel scaled to its own largest weight.</p>"
    )
}

/// A finished run of a network, for the comparison.
fn trained<'a>(run: &'a SavedRun, name: &'a str) -> Option<Trained<'a>> {
    let s = run.summary.as_ref()?;
    Some(Trained {
        name,
        parameters: s.parameters,
        test_acc: run.test?.1,
        epochs: s.epochs_trained,
        seconds: s.train_seconds,
    })
}

/// The latest run among `runs` that finished and was tested.
fn latest<'a>(runs: &[&'a SavedRun], name: &'static str) -> Option<(&'a SavedRun, Trained<'a>)> {
    runs.iter().rev().find_map(|&r| trained(r, name).map(|t| (r, t)))
}

/// The latest tested run of each network side by side, and the comparison answer.
fn comparison(cnns: &[&SavedRun], mlps: &[&SavedRun]) -> String {
    let (mlp, cnn) = (latest(mlps, "fully connected net"), latest(cnns, "convolutional net"));
    let rows: Vec<Vec<String>> = [&mlp, &cnn]
        .into_iter()
        .flatten()
        .map(|(run, t)| {
            vec![
                t.name.to_string(),
                run.name.clone(),
                format!("{:.1}", t.test_acc),
                t.epochs.to_string(),
                best_epoch(&run.epochs).map_or("-".into(), |b| b.0.to_string()),
                format!("{:.1}", t.seconds),
                format_count(t.parameters),
            ]
        })
        .collect();
    let answer = match (&mlp, &cnn) {
        (Some((_, m)), Some((_, c))) => comparison_answer(m, c),
        (None, _) => "Not answered: the report holds no finished, tested run of the fully connected net. Train it \
                      (section 3) and report both."
            .into(),
        _ => "Not answered: the report holds no finished, tested run of the convolutional net.".into(),
    };
    let headers = [
        "network",
        "run",
        "test accuracy (%)",
        "epochs",
        "lowest validation loss at epoch",
        "training time (s)",
        "parameters",
    ];
    format!(
        "<h3>Compared with the fully connected net</h3>{}{}",
        table("compare", "The latest finished run of each network", &headers, &rows),
        qa("Compare with the fully connected net.", &answer)
    )
}
