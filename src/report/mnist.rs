//! Section 1 in the report: the models of one scaling run together (each model is saved as its
//! own run), with the time-vs-N chart and its least-squares fit, accuracy vs N, every size's
//! loss curve, the results table and the lab's answers.

use super::{figure, qa, run_block, settings, table};
use crate::labs::RunKind;
use crate::labs::mnist::MnistLab;
use crate::labs::mnist::scaling::{FULL_TRAIN_SIZE, ScalingSummary, SizeResult, answers, check_text, summarise};
use crate::metrics::{format_count, format_duration};
use crate::plot::{LineChart, Series, TRAIN_COLOUR, VALID_COLOUR, escape, format_value};
use crate::runs::SavedRun;

/// One colour per model, distinct and readable on white (as the lab's panel).
const PALETTE: [&str; 6] = ["#1f6fb2", "#d9480f", "#2b8a3e", "#862e9c", "#e67700", "#495057"];

pub(super) fn config(run: &SavedRun) -> Option<MnistLab> {
    (run.lab == RunKind::Mnist).then(|| serde_json::from_value(run.config.clone()).ok()).flatten()
}

/// The training-set size of an MNIST model (each saved model's config holds its one size).
pub(super) fn size(run: &SavedRun) -> Option<usize> {
    config(run)?.sizes.first().copied()
}

/// What the models of one scaling run share: their key without the size (`{time}-{run}-{size}`,
/// see the page's saving of MNIST runs), or a run's whole key for any other lab.
pub(super) fn group_key(run: &SavedRun) -> &str {
    match (run.lab, run.key.rsplit_once('-')) {
        (RunKind::Mnist, Some((stem, _))) => stem,
        _ => &run.key,
    }
}

/// The one-epoch run on all 60,000 examples that checks a fit (the lab's third step).
fn is_check(models: &[&SavedRun]) -> bool {
    matches!(models, [one] if size(one) == Some(FULL_TRAIN_SIZE) && config(one).is_some_and(|c| c.train.epochs == 1))
}

/// `runs` (MNIST models, in list order) as scaling runs, in order: each the models of one run.
fn groups<'a>(runs: &[&'a SavedRun]) -> Vec<Vec<&'a SavedRun>> {
    let mut groups: Vec<Vec<&SavedRun>> = vec![];
    for &run in runs {
        match groups.iter_mut().find(|g| group_key(g[0]) == group_key(run)) {
            Some(g) => g.push(run),
            None => groups.push(vec![run]),
        }
    }
    groups
}

/// The latest scaling run among `all`, with its full-set check if one followed it.
pub(super) fn latest_with_check(all: &[SavedRun]) -> Vec<SavedRun> {
    let mnist: Vec<&SavedRun> = all.iter().filter(|r| r.lab == RunKind::Mnist).collect();
    let groups = groups(&mnist);
    let by_start = |a: &&Vec<&SavedRun>, b: &&Vec<&SavedRun>| a[0].created.total_cmp(&b[0].created);
    let owned = |g: &Vec<&SavedRun>| g.iter().map(|r| (*r).clone()).collect::<Vec<_>>();
    let Some(scaling) = groups.iter().filter(|g| !is_check(g)).max_by(by_start) else {
        // Only checks: the latest of them.
        return groups.iter().max_by(by_start).map(owned).unwrap_or_default();
    };
    let check = groups.iter().filter(|g| is_check(g) && g[0].created > scaling[0].created).max_by(by_start);
    owned(scaling).into_iter().chain(check.map(owned).into_iter().flatten()).collect()
}

/// A finished model's result, as the lab's table and fit take it.
fn result(run: &SavedRun) -> Option<SizeResult> {
    run.mnist_result(size(run)?)
}

/// Every scaling run among `runs`, each with its check (if the report has one after it).
pub(super) fn section(runs: &[&SavedRun]) -> String {
    let groups = groups(runs);
    let mut html = String::new();
    for (i, models) in groups.iter().enumerate() {
        if is_check(models) {
            // Reported with the scaling run before it; alone when there is none.
            if i == 0 || is_check(&groups[i - 1]) {
                html += &run_block(models[0], &[], String::new(), String::new());
            }
            continue;
        }
        let check = groups.get(i + 1).filter(|g| is_check(g)).map(|g| g[0]);
        html += &scaling_run(models, check);
    }
    html
}

/// One scaling run: its models in size order, charts, table and answers.
fn scaling_run(models: &[&SavedRun], check: Option<&SavedRun>) -> String {
    let mut results: Vec<SizeResult> = models.iter().filter_map(|r| result(r)).collect();
    results.sort_by_key(|r| r.size);
    let fit = summarise(&results);
    let mut lab = config(models[0]).unwrap_or_else(MnistLab::homework);
    let mut sizes: Vec<usize> = models.iter().filter_map(|r| size(r)).collect();
    sizes.sort_unstable();
    lab.sizes = sizes;
    let title = format!(
        "Scaling run, seed {}: {} model{} ({} finished)",
        lab.seed,
        models.len(),
        if models.len() == 1 { "" } else { "s" },
        results.len()
    );
    let mut html = format!("<article class=\"run scaling\"><h3>{}</h3>", escape(&title));
    html += &models_list(models);
    html += &super::settings_table(&settings::mnist_rows(&lab));
    html += "<div class=\"charts\">";
    if !results.is_empty() {
        let (time, acc) = result_charts(&results, fit.as_ref());
        html += &figure(&time, &fit.as_ref().map(fit_caption).unwrap_or_default());
        html += &figure(&acc, "One point per model: its accuracy on the test images after training.");
    }
    html += &figure(&loss_chart(models), "Mean training loss of every epoch, one line per training-set size.");
    html += "</div>";
    html += &results_table(&results);
    // The largest model's matrix: what the digits are still taken for with the most data.
    if let Some(r) = results.iter().rev().find(|r| r.evaluation.is_some()) {
        let what = format!("the model trained on N = {}", format_count(r.size));
        html += &super::evaluation_block(r.evaluation.as_ref().expect("found with an evaluation"), &what);
    }
    html += &models.iter().map(|r| super::epochs_table(r)).collect::<String>();
    let (time_answer, acc_answer) = answers(&results, fit.as_ref());
    let check_answer = check.and_then(|c| {
        let measured = result(c)?;
        let largest = results.iter().max_by_key(|r| r.size);
        Some(format!(" {}", check_text(fit.as_ref()?, lab.train.epochs, lab.test_size, &measured, largest)))
    });
    html += &qa(
        "How does time grow with N, and how long would the full 60,000 take on this hardware?",
        &format!("{time_answer}{}", check_answer.unwrap_or_default()),
    );
    html += &qa("How does accuracy change with N?", &acc_answer);
    html += "</article>";
    html
}

/// Each model with its status, start and backend: the details a scaling run's block leaves out.
fn models_list(models: &[&SavedRun]) -> String {
    let rows: Vec<Vec<String>> = models
        .iter()
        .map(|r| {
            vec![
                r.name.clone(),
                r.status.name().to_string(),
                super::utc_date(r.created),
                r.backend.as_ref().map_or("-".to_string(), |b| b.name.clone()),
                super::outcome(r),
            ]
        })
        .collect();
    table("models", "The models of this run", &["model", "status", "started", "backend", "outcome"], &rows)
}

/// "Least-squares fit: t = ... s × N + ... s, so all 60,000 examples would take about ...".
fn fit_caption(fit: &ScalingSummary) -> String {
    let extrapolated = match fit.full_prediction() {
        Some(t) => format!("extrapolated to N = {}: about {}", format_count(fit.full_size), format_duration(t)),
        None => {
            format!("the line does not rise with N, so it predicts nothing for N = {}", format_count(fit.full_size))
        }
    };
    format!(
        "Least-squares fit: t = {:.3e} s × N {} {:.2} s; {extrapolated}.",
        fit.slope,
        if fit.intercept < 0.0 { "−" } else { "+" },
        fit.intercept.abs(),
    )
}

/// Training time and test accuracy against N, with the least-squares line through the times.
fn result_charts(results: &[SizeResult], fit: Option<&ScalingSummary>) -> (String, String) {
    let points = |f: fn(&SizeResult) -> f64| results.iter().map(|r| (r.size as f64, f(r))).collect::<Vec<_>>();
    let mut time_series = vec![Series {
        name: "measured".into(),
        points: points(|r| r.train_seconds),
        colour: TRAIN_COLOUR,
        dashed: false,
    }];
    if let (Some(s), Some(lo), Some(hi)) = (fit, results.first(), results.last()) {
        let (lo, hi) = (lo.size as f64, hi.size as f64);
        time_series.push(Series {
            name: format!(
                "least-squares fit: t = {:.2e} N {} {:.2}",
                s.slope,
                if s.intercept < 0.0 { "−" } else { "+" },
                s.intercept.abs()
            ),
            points: vec![(lo, s.slope * lo + s.intercept), (hi, s.slope * hi + s.intercept)],
            colour: VALID_COLOUR,
            dashed: true,
        });
    }
    let chart = |title: &str, y_label: &str, series| LineChart {
        title: title.into(),
        x_label: "training examples N".into(),
        y_label: y_label.into(),
        series,
        y_range: None,
        markers: vec![],
    };
    let acc = vec![Series {
        name: "test accuracy".into(),
        points: points(|r| r.test_acc),
        colour: TRAIN_COLOUR,
        dashed: false,
    }];
    (
        chart("Training time vs training-set size", "training time (s)", time_series).to_svg(),
        chart("Test accuracy vs training-set size", "test accuracy (%)", acc).to_svg(),
    )
}

/// Training loss per epoch, one line per model, in size order.
fn loss_chart(models: &[&SavedRun]) -> String {
    let series = models
        .iter()
        .filter(|r| !r.epochs.is_empty())
        .enumerate()
        .map(|(i, r)| Series {
            name: size(r).map_or(r.name.clone(), |n| format!("N = {}", format_count(n))),
            points: r.epochs.iter().map(|e| (e.epoch as f64, e.train_loss)).collect(),
            colour: PALETTE[i % PALETTE.len()],
            dashed: false,
        })
        .collect();
    LineChart {
        title: "Training loss per epoch, one model per size".into(),
        x_label: "epoch".into(),
        y_label: "mean loss (cross-entropy)".into(),
        series,
        y_range: None,
        markers: vec![],
    }
    .to_svg()
}

/// One row per finished model: the data behind the time and accuracy charts.
fn results_table(results: &[SizeResult]) -> String {
    let rows: Vec<Vec<String>> = results
        .iter()
        .map(|r| {
            vec![
                format_count(r.size),
                r.epochs_trained.to_string(),
                format!("{:.2}", r.train_seconds),
                r.losses.last().map_or("-".into(), |l| format_value(*l)),
                format!("{:.1}", r.test_acc),
                format_value(r.test_loss),
            ]
        })
        .collect();
    table(
        "results",
        "One row per model",
        &["training examples", "epochs", "training time (s)", "last training loss", "test accuracy (%)", "test loss"],
        &rows,
    )
}
