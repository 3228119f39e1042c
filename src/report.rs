//! The report a student hands in: saved runs as one self-contained HTML page (inline SVG
//! charts, no scripts) that prints to PDF from the browser on A4 or Letter.
//!
//! Ordered and titled by the homework's sections (HOMEWORK.md's headings), each lab's runs
//! with their settings as a table, every chart the lab draws, the layer and comparison tables,
//! and the lab's own answers (the functions the lab's panel calls) under the question each
//! answers. Built from [`SavedRun`]s alone, so a report of imported runs is the same report.

mod dogs;
mod mnist;
mod settings;
mod synth;

use crate::confusion::{Evaluation, MISTAKE_HEADERS};
use crate::labs::{LabId, RunKind};
use crate::metrics::format_duration;
use crate::plot::{EPOCH_HEADERS, PER_CLASS_HEADERS, confusion_svg, epoch_rows, escape, per_class_rows};
use crate::runs::SavedRun;

pub use settings::{describe_layers, describe_source};

/// What the report needs beyond the runs that takes a while to compute, so the page can work
/// it out a step at a time before it builds the report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Extras {
    /// The answer to section 6's "what is common within a class, and what varies?" for each
    /// data seed of the Synth runs ([`synth::data_answer_for`]).
    pub synth_data: Vec<(u64, String)>,
}

impl Extras {
    /// Everything, computed at once (the CLI and the tests; the page steps through
    /// [`crate::data::synthetic::SynthBuilder`] instead).
    pub fn computed(runs: &[SavedRun]) -> Self {
        let synth_data = synth_data_seeds(runs).into_iter().map(|s| (s, synth::data_answer_for(s))).collect();
        Self { synth_data }
    }
}

/// The data seeds of the Synth runs among `runs`, each once: the sets [`Extras`] describes.
pub fn synth_data_seeds(runs: &[SavedRun]) -> Vec<u64> {
    let mut seeds: Vec<u64> = runs.iter().filter_map(synth::config).map(|lab| lab.data_seed).collect();
    seeds.sort_unstable();
    seeds.dedup();
    seeds
}

/// How many images [`Extras::synth_data`] describes (as the Synth lab's panel does).
pub const DESCRIBED_IMAGES: usize = 1_000;

/// The saved runs a lab's own "Report" button reports: the MNIST lab's latest scaling run
/// (with the full-set check that followed it), the DogSet lab's latest run of each network,
/// every Synth run (its repeats question compares them all).
pub fn lab_runs(all: &[SavedRun], lab: LabId) -> Vec<SavedRun> {
    let latest =
        |kind: RunKind| all.iter().filter(|r| r.lab == kind).max_by(|a, b| a.created.total_cmp(&b.created)).cloned();
    let mut runs = match lab {
        LabId::Mnist => mnist::latest_with_check(all),
        LabId::Dogs => latest(RunKind::DogsMlp).into_iter().chain(latest(RunKind::DogsCnn)).collect(),
        LabId::Synth => all.iter().filter(|r| r.lab == RunKind::Synth).cloned().collect(),
        _ => vec![],
    };
    sort_for_list(&mut runs);
    runs
}

/// The order of the runs list and of a report: oldest first, and the models of one MNIST run
/// by training-set size (500 before 1,000), whatever order their results came in.
pub fn sort_for_list(runs: &mut [SavedRun]) {
    runs.sort_by(list_order);
}

fn list_order(a: &SavedRun, b: &SavedRun) -> std::cmp::Ordering {
    a.created
        .total_cmp(&b.created)
        .then_with(|| mnist::group_key(a).cmp(mnist::group_key(b)))
        .then_with(|| mnist::size(a).cmp(&mnist::size(b)))
        .then_with(|| a.key.cmp(&b.key))
}

/// HOMEWORK.md's section headings, quoted: each lab's runs go under the one they answer.
const SECTION_1: &str = "1. MNIST: training time and accuracy against training-set size";
const SECTION_3: &str = "3. DogSet: fully connected network with early stopping";
const SECTION_5: &str = "5. DogSet: convolutional network";
const SECTION_6: &str = "6. Synthetic images and shift invariance";

/// A self-contained HTML report of `runs`, by homework section.
pub fn report_html(runs: &[SavedRun], extras: &Extras) -> String {
    // References, not copies: a DogSet MLP's saved parameters are megabytes.
    let mut runs: Vec<&SavedRun> = runs.iter().collect();
    runs.sort_by(|a, b| list_order(a, b));
    let of = |kind: RunKind| runs.iter().copied().filter(|r| r.lab == kind).collect::<Vec<_>>();
    let (mlp, cnn) = (of(RunKind::DogsMlp), of(RunKind::DogsCnn));
    let mut sections = vec![];
    if !of(RunKind::Mnist).is_empty() {
        sections.push((SECTION_1, mnist::section(&of(RunKind::Mnist))));
    }
    if !mlp.is_empty() {
        sections.push((SECTION_3, dogs::mlp_section(&mlp)));
    }
    if !cnn.is_empty() {
        sections.push((SECTION_5, dogs::cnn_section(&cnn, &mlp)));
    }
    if !of(RunKind::Synth).is_empty() {
        sections.push((SECTION_6, synth::section(&of(RunKind::Synth), extras)));
    }
    // Runs of the labs without a section of their own (the perceptron learning rule).
    let known = [RunKind::Mnist, RunKind::DogsMlp, RunKind::DogsCnn, RunKind::Synth];
    let others: Vec<&SavedRun> = runs.iter().copied().filter(|r| !known.contains(&r.lab)).collect();
    if !others.is_empty() {
        let blocks: String = others.iter().map(|r| run_block(r, &[], String::new(), String::new())).collect();
        sections.push(("Other runs", blocks));
    }
    let contents: String =
        sections.iter().map(|(title, _)| format!("<li>Section {}</li>", escape(title))).collect::<String>();
    let body: String = sections
        .iter()
        .map(|(title, html)| format!("<section class=\"homework\"><h2>Section {}</h2>{html}</section>", escape(title)))
        .collect();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>nnlab report</title><style>{STYLE}</style></head><body>\
         <header><h1>nnlab report</h1><p>{} saved run{} of the neural-network homework. Every number, chart and answer \
         below was computed from these runs by nnlab; the questions are the homework's.</p><ol class=\"contents\">{contents}</ol></header>\
         {body}</body></html>",
        runs.len(),
        if runs.len() == 1 { "" } else { "s" },
    )
}

/// The report's style: readable on screen, and on paper whole charts, titles kept with what
/// follows them, and charts no wider than the page (A4 or Letter, whichever prints).
const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem;color:#1d2330;line-height:1.45}\
h1{margin:0 0 .3rem}h2{margin:2rem 0 .5rem;padding-top:.5rem;border-top:2px solid #1d2330}\
h3{margin:1.2rem 0 .3rem}h4{margin:1rem 0 .3rem}\
article.run{border-top:1px solid #d9dde5;margin-top:1rem;padding-top:.2rem}\
.meta{color:#5b6475;margin:.1rem 0}\
table{border-collapse:collapse;margin:.5rem 0;font-variant-numeric:tabular-nums}\
caption{text-align:left;font-weight:600;padding-bottom:.2rem}\
td,th{border-bottom:1px solid #d9dde5;padding:2px 8px;text-align:right;vertical-align:top}\
thead th{border-bottom:2px solid #aab1bf}\
table.settings th,table.settings td,td:first-child,th:first-child{text-align:left}\
.l2 :is(td,th):nth-child(2),.l3 :is(td,th):nth-child(3),.l4 :is(td,th):nth-child(4),.l5 :is(td,th):nth-child(5),\
.l6 :is(td,th):nth-child(6),.l7 :is(td,th):nth-child(7),.l8 :is(td,th):nth-child(8){text-align:left}\
table.settings th{font-weight:600;white-space:nowrap}\
.scroll{overflow-x:auto;max-width:100%}\
.charts{display:flex;flex-wrap:wrap;gap:1rem;margin:.6rem 0}\
figure{margin:0}.charts figure{flex:1 1 24rem;max-width:31rem}\
figure svg.chart{display:block;width:100%;height:auto}\
figcaption{font-size:.85rem;color:#5b6475}\
.kernels{display:flex;flex-wrap:wrap;gap:.6rem;align-items:flex-start;margin:.5rem 0}\
.kernels figure{text-align:center}.kernels svg{width:4.5rem;height:4.5rem;border:1px solid #d9dde5;display:block}\
.qa{margin:.8rem 0;padding:.4rem .8rem;border-left:3px solid #1f6fb2;background:#f6f7fa}\
.question{font-weight:600;margin:0 0 .2rem}.answer{margin:0}\
.note{color:#5b6475;font-style:italic}\
@page{margin:14mm 12mm}\
@media print{\
body{max-width:none;margin:0;padding:0;font-size:10pt}\
h2{break-before:page}header+section.homework h2{break-before:auto}\
h2,h3,h4,caption,.question{break-after:avoid}\
figure,.qa,.kernels,table.settings,table.layers,table.compare,tr{break-inside:avoid}\
.charts{display:block}.charts figure{max-width:150mm;margin:0 auto 5mm}\
figure svg.chart{width:100%;max-height:115mm}\
.scroll{overflow:visible}\
.qa{background:none}\
}";

/// A table with a caption, a header row and `rows`, in a box that scrolls sideways on a phone.
/// Numbers align right, words left: a column of text (any cell that is not a number or "-")
/// gets class `l{n}` on its table, which [`STYLE`] aligns left.
fn table(class: &str, caption: &str, headers: &[&str], rows: &[Vec<String>]) -> String {
    let number = |c: &str| c.is_empty() || c == "-" || c.replace(',', "").parse::<f64>().is_ok();
    let text_columns: String = (0..headers.len())
        .filter(|&i| rows.iter().any(|r| r.get(i).is_some_and(|c| !number(c))))
        .map(|i| format!(" l{}", i + 1))
        .collect();
    let class = format!("{class}{text_columns}");
    let head: String = headers.iter().map(|h| format!("<th scope=\"col\">{}</th>", escape(h))).collect();
    let body: String = rows
        .iter()
        .map(|row| format!("<tr>{}</tr>", row.iter().map(|c| format!("<td>{}</td>", escape(c))).collect::<String>()))
        .collect();
    format!(
        "<div class=\"scroll\"><table class=\"{class}\"><caption>{}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>",
        escape(caption)
    )
}

/// A run's settings: one row per setting, its label as a row header.
fn settings_table(rows: &[settings::Row]) -> String {
    let body: String = rows
        .iter()
        .map(|(label, value)| format!("<tr><th scope=\"row\">{}</th><td>{}</td></tr>", escape(label), escape(value)))
        .collect();
    format!(
        "<div class=\"scroll\"><table class=\"settings\"><caption>Settings</caption><tbody>{body}</tbody></table></div>"
    )
}

/// A chart with its caption (empty for none).
fn figure(svg: &str, caption: &str) -> String {
    let caption =
        if caption.is_empty() { String::new() } else { format!("<figcaption>{}</figcaption>", escape(caption)) };
    format!("<figure>{svg}{caption}</figure>")
}

/// A test evaluation: the confusion matrix with its caption, the matrix and per-class accuracy
/// as a table, and the most confident mistakes. `what` names the model ("the CNN").
fn evaluation_block(e: &Evaluation, what: &str) -> String {
    let svg = confusion_svg(&e.confusion, &e.names, &e.label(what));
    let mut html = figure(&svg, &e.caption(what));
    // The counts are in the drawn matrix; a table of every cell would not fit a printed page.
    html += &table(
        "per-class",
        &format!("Per-class accuracy of {what}"),
        &PER_CLASS_HEADERS,
        &per_class_rows(&e.confusion, &e.names),
    );
    if !e.mistakes.is_empty() {
        html += &table("mistakes", &format!("The {}", e.mistakes_caption(what)), &MISTAKE_HEADERS, &e.mistake_rows());
    }
    html
}

/// A homework question, quoted, with the answer computed from the runs.
fn qa(question: &str, answer: &str) -> String {
    format!(
        "<div class=\"qa\"><p class=\"question\">“{}”</p><p class=\"answer\">{}</p></div>",
        escape(question),
        escape(answer)
    )
}

/// The per-epoch records of a run as a data table (open when short enough to print).
fn epochs_table(run: &SavedRun) -> String {
    if run.epochs.is_empty() {
        return String::new();
    }
    let open = if run.epochs.len() <= 25 { " open" } else { "" };
    let n = run.epochs.len();
    // No validation set (an MNIST model): no columns of dashes.
    let keep: Vec<usize> =
        if run.epochs.iter().any(|e| e.valid_loss.is_some()) { vec![0, 1, 2, 3, 4, 5] } else { vec![0, 1, 2, 5] };
    let headers: Vec<&str> = keep.iter().map(|&i| EPOCH_HEADERS[i]).collect();
    let rows: Vec<Vec<String>> =
        epoch_rows(&run.epochs).into_iter().map(|row| keep.iter().map(|&i| row[i].clone()).collect()).collect();
    format!(
        "<details{open}><summary>Every epoch ({n} row{})</summary>{}</details>",
        if n == 1 { "" } else { "s" },
        table("epochs", &format!("Per-epoch records of {}", run.name), &headers, &rows)
    )
}

/// One run: its name, where and when it ran, its settings, then `body` (charts and tables) and
/// `answers`.
fn run_block(run: &SavedRun, settings: &[settings::Row], body: String, answers: String) -> String {
    let backend = run.backend.as_ref().map_or("backend not recorded".to_string(), |b| {
        format!("on {}{}", b.name, b.note.as_ref().map(|n| format!(" ({n})")).unwrap_or_default())
    });
    let error = run.error.as_ref().map(|e| format!("<p class=\"note\">Error: {}</p>", escape(e))).unwrap_or_default();
    format!(
        "<article class=\"run\"><h3>{}</h3><p class=\"meta\">{}, started {}, {}</p><p><strong>Outcome:</strong> {}</p>\
         {error}{}{body}{answers}</article>",
        escape(&run.name),
        run.status.name(),
        utc_date(run.created),
        escape(&backend),
        escape(&outcome(run)),
        if settings.is_empty() { String::new() } else { settings_table(settings) },
    )
}

/// How a run ended, in a sentence that is true of it: epochs, the stop, the time it trained,
/// and its test result where it has one.
fn outcome(run: &SavedRun) -> String {
    let test =
        run.test.map(|(loss, acc)| format!("; test accuracy {acc:.1}% (test loss {loss:.4})")).unwrap_or_default();
    match &run.summary {
        Some(s) => format!(
            "{} epoch{}, {}, training took {}{test}.",
            s.epochs_trained,
            if s.epochs_trained == 1 { "" } else { "s" },
            s.stop.describe(),
            format_duration(s.train_seconds)
        ),
        None => format!(
            "{} after {} epoch{} ({} of training){test}.",
            run.status.name(),
            run.epochs.len(),
            if run.epochs.len() == 1 { "" } else { "s" },
            format_duration(run.epochs.iter().map(|e| e.seconds).sum())
        ),
    }
}

/// Milliseconds since 1970 as "2025-03-14 09:26 UTC" (the core reads no clock or time zone).
fn utc_date(ms: f64) -> String {
    let minutes = (ms / 60_000.0).floor() as i64;
    let (days, minute) = (minutes.div_euclid(1440), minutes.rem_euclid(1440));
    // Civil date from days since 1970-01-01 (Howard Hinnant's days_from_civil, inverted).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year}-{month:02}-{day:02} {:02}:{:02} UTC", minute / 60, minute % 60)
}

#[cfg(test)]
mod tests;
