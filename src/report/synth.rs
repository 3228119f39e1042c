//! Section 6 in the report: the Synth CNN's runs with their curves and first-layer kernels,
//! the lab's answers for each, the repeats question over all of them, and what the data holds.

use super::{DESCRIBED_IMAGES, Extras, epochs_table, evaluation_block, figure, qa, run_block, settings};
use crate::data::synthetic::{Which, generate};
use crate::labs::RunKind;
use crate::labs::synth::{SynthLab, answers};
use crate::plot::{escape, heatmap_svg, run_charts};
use crate::run::Kernels;
use crate::runs::SavedRun;

pub(super) fn config(run: &SavedRun) -> Option<SynthLab> {
    (run.lab == RunKind::Synth).then(|| serde_json::from_value(run.config.clone()).ok()).flatten()
}

/// Section 6's data answer for the first [`DESCRIBED_IMAGES`] training images of `seed`.
pub(super) fn data_answer_for(seed: u64) -> String {
    answers::data_answer(&generate(DESCRIBED_IMAGES, seed, Which::Train))
}

pub(super) fn section(runs: &[&SavedRun], extras: &Extras) -> String {
    let mut html = String::new();
    for (seed, answer) in &extras.synth_data {
        html += &qa(&format!("Say what is common within a class and what varies (data seed {seed})."), answer);
    }
    html += &runs.iter().map(|r| run(r)).collect::<String>();
    let all: Vec<(Kernels, crate::verdict::Verdict)> =
        runs.iter().filter_map(|r| Some((r.first_kernels()?.1, answers::verdict(&r.epochs)))).collect();
    html +=
        &qa("Repeat a few times (different seeds) and describe what stays the same.", &answers::repeats_answer(&all));
    html += "<p class=\"note\">The shift demo's sweep is not kept with a saved run: see the lab's panel for \
             \"is the classification shift invariant?\".</p>";
    html
}

fn run(run: &SavedRun) -> String {
    let lab = config(run);
    let mut body = String::new();
    if !run.epochs.is_empty() {
        let (loss, acc) = run_charts(&run.epochs, run.summary.as_ref(), &run.name);
        body += &format!("<div class=\"charts\">{}{}</div>", figure(&loss, ""), figure(&acc, ""));
    }
    body += &epochs_table(run);
    if let Some(e) = &run.evaluation {
        body += &evaluation_block(e, "the trained CNN");
    }
    let kernels = run.first_kernels();
    let verdict = answers::verdict(&run.epochs);
    let training = lab.as_ref().map_or_else(String::new, |lab| answers::training_answer(&run.epochs, lab));
    let mut answers_html = qa("What did training do?", &training);
    match &kernels {
        Some((epoch, k)) => {
            body += &kernel_figures(*epoch, k);
            answers_html +=
                &qa("Plot the two first-layer kernels: what do they respond to?", &answers::kernels_answer(k, verdict));
        }
        None => body += "<p class=\"note\">No first-layer kernels: this run saved no parameters.</p>",
    }
    let settings = lab.as_ref().map(settings::synth_rows).unwrap_or_default();
    run_block(run, &settings, body, answers_html)
}

/// Both kernels as heatmaps on one colour scale (white = 0), as the lab's panel draws them.
fn kernel_figures(epoch: usize, kernels: &Kernels) -> String {
    let max_abs = kernels.weights.iter().fold(0f32, |m, w| m.max(w.abs()));
    let [out, _, k, _] = kernels.shape;
    let tiles: String = (0..out)
        .map(|o| {
            let label = format!("kernel {}", o + 1);
            format!(
                "<figure>{}<figcaption>{}</figcaption></figure>",
                heatmap_svg(kernels.kernel(o, 0), k, k, 0.0, max_abs, &label),
                escape(&label)
            )
        })
        .collect();
    format!(
        "<h4>First-layer kernels after epoch {epoch}</h4><div class=\"kernels\">{tiles}</div><p class=\"note\">Red \
         is positive, blue negative, white zero; both kernels on one scale.</p>"
    )
}
