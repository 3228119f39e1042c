//! The MNIST lab (HOMEWORK section 1): training time and test accuracy against the size of the
//! training set, with the time extrapolated to all 60,000 examples.

use leptos::prelude::*;

use crate::config::TrainConfig;
use crate::labs::mnist::MnistView;
use crate::labs::mnist::scaling::{FULL_TRAIN_SIZE, SizeResult, answers, check_text, epochs_csv, summarise};
use crate::labs::mnist::{MnistLab, field};
use crate::labs::{LabId, RunKind};
use crate::metrics::{format_count, format_duration};
use crate::plot::{LineChart, Series, TRAIN_COLOUR, VALID_COLOUR, format_value};
use crate::protocol::{Job, ToWorker};
use crate::run::{DataProgress, RunId};
use crate::session::Phase;
use crate::web::kit::widgets::{
    ChartExport, ConfusionView, DataTable, FormFields, LabArticle, ShareLink, Svg, download_text,
};
use crate::web::kit::{Ctx, Keep};

/// One colour per model, distinct and readable on white.
const PALETTE: [&str; 6] = ["#1f6fb2", "#d9480f", "#2b8a3e", "#862e9c", "#e67700", "#495057"];

/// Loss per epoch, one line per training-set size.
fn loss_chart(view: &MnistView) -> String {
    let series = view
        .lab
        .sizes
        .iter()
        .enumerate()
        .map(|(i, &size)| Series {
            name: format!("N = {}", format_count(size)),
            points: view
                .epochs
                .iter()
                .filter(|(s, _)| *s == size)
                .map(|(_, r)| (r.epoch as f64, r.train_loss))
                .collect(),
            colour: PALETTE[i % PALETTE.len()],
            dashed: false,
        })
        .filter(|s| !s.points.is_empty())
        .collect();
    LineChart {
        title: "Training loss per epoch, one model per size".into(),
        x_label: "epoch".into(),
        y_label: "mean loss".into(),
        series,
        y_range: None,
        markers: vec![],
    }
    .to_svg()
}

/// Training time and test accuracy against N, with the least-squares line through the times.
fn result_charts(results: &[SizeResult]) -> (String, String) {
    let points = |f: fn(&SizeResult) -> f64| results.iter().map(|r| (r.size as f64, f(r))).collect::<Vec<_>>();
    let mut time_series = vec![Series {
        name: "measured".into(),
        points: points(|r| r.train_seconds),
        colour: TRAIN_COLOUR,
        dashed: false,
    }];
    if let Some(s) = summarise(results) {
        let xs = results.iter().map(|r| r.size as f64);
        let (lo, hi) = (xs.clone().fold(f64::INFINITY, f64::min), xs.fold(0.0, f64::max));
        time_series.push(Series {
            name: format!(
                "fit: t = {:.2e} N {} {:.2}",
                s.slope,
                if s.intercept < 0.0 { "-" } else { "+" },
                s.intercept.abs()
            ),
            points: vec![(lo, s.slope * lo + s.intercept), (hi, s.slope * hi + s.intercept)],
            colour: VALID_COLOUR,
            dashed: true,
        });
    }
    let time = LineChart {
        title: "Training time vs training-set size".into(),
        x_label: "training examples N".into(),
        y_label: "training time (s)".into(),
        series: time_series,
        y_range: None,
        markers: vec![],
    };
    let acc = LineChart {
        title: "Test accuracy vs training-set size".into(),
        x_label: "training examples N".into(),
        y_label: "test accuracy (%)".into(),
        series: vec![Series {
            name: "test accuracy".into(),
            points: points(|r| r.test_acc),
            colour: TRAIN_COLOUR,
            dashed: false,
        }],
        y_range: None,
        markers: vec![],
    };
    (time.to_svg(), acc.to_svg())
}

/// One row per model: its time beside the fitted line's, and what the line misses.
fn result_rows(results: &[SizeResult]) -> Vec<Vec<String>> {
    let fit = summarise(results);
    results
        .iter()
        .map(|r| {
            let residual = fit.as_ref().and_then(|f| f.residuals.iter().find(|x| x.0 == r.size)).map(|x| x.1);
            vec![
                format_count(r.size),
                format!("{:.2}", r.train_seconds),
                residual.map_or("-".into(), |res| format!("{:.2}", r.train_seconds - res)),
                residual.map_or("-".into(), |res| format!("{res:+.3}")),
                r.losses.last().map_or("-".into(), |l| format_value(*l)),
                format!("{:.1}", r.test_acc),
            ]
        })
        .collect()
}

#[component]
pub fn MnistLabPanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let view_state = Memo::new(move |_| ctx.session.with(|s| s.mnist.clone()));
    // The scaling run and the full-set check, while they train (other labs may train too).
    let active = Memo::new(move |_| {
        ctx.session.with(|s| {
            [&s.mnist, &s.mnist_check]
                .into_iter()
                .flatten()
                .filter(|m| m.state.is_active())
                .map(|m| m.id)
                .collect::<Vec<_>>()
        })
    });
    let training = Signal::derive(move || active.with(|a| !a.is_empty()));
    view! {
        <LabArticle id="mnist" title="MNIST: training time and accuracy vs training-set size" lead=concat!("One fresh 784-128-64-10 network per training-set size, each set balanced over the ten digits, ", "trained with the homework's settings (SGD, lr 0.01, batch 10, shuffled every epoch) and tested on ", "1,000 balanced test images. How does training time grow with the data, and what does more data buy?")>
            <TrainSection view_state=view_state active=active training=training/>
            <ResultsSection view_state=view_state/>
            <CheckSection view_state=view_state training=training/>
            <AnswersSection view_state=view_state/>
        </LabArticle>
    }
}

/// Section 1: the form, Train, Stop, the cache and the run's progress.
#[component]
fn TrainSection(
    view_state: Memo<Option<MnistView>>,
    active: Memo<Vec<RunId>>,
    training: Signal<bool>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let form = ctx.lab_form(LabId::Mnist, MnistLab::homework().form());
    let form_error = RwSignal::new(None::<String>);
    let can_train = move || !training.get() && ctx.session.with(|s| s.can_start());
    let failed = move || {
        view_state.with(|v| v.as_ref().is_some_and(|v| matches!(v.state.phase, Phase::Failed | Phase::Interrupted)))
    };
    let train = move || match form.with_untracked(MnistLab::parse) {
        Ok(lab) => {
            form_error.set(None);
            ctx.start(
                Job::Mnist { lab, check: false },
                Some(Keep { kind: RunKind::Mnist, name: String::new(), continues: None }),
            );
        }
        Err(e) => form_error.set(Some(format!("Not sent: {e}."))),
    };
    let cache_note = RwSignal::new(None::<String>);
    let clear_cache = move |_| {
        // `caches` exists only in secure contexts (elsewhere the getter gives undefined).
        let caches = window().caches().ok().filter(|c| !c.is_undefined());
        let done = match caches {
            None => "This browser keeps no dataset cache here.".to_string(),
            Some(caches) => {
                let _ = caches.delete(crate::web::js::DATA_CACHE);
                "Cached datasets deleted: the next run downloads them again.".to_string()
            }
        };
        cache_note.set(Some(done));
    };
    view! {
    <section aria-labelledby="mnist-train-title">
        <h3 id="mnist-train-title">"1. Train"</h3>
        <form class="train-form" on:submit=move |ev| { ev.prevent_default(); if can_train() { train(); } }>
            <FormFields form=form legend="Settings (defaults: the homework's)" fields=&[field::SIZES, field::EPOCHS, field::SEED]/>
            <div class="buttons">
                <button type="submit" data-testid="mnist-train" data-shortcut="space" disabled=move || !can_train()>
                    {move || if failed() { "Retry" } else { "Train" }}
                </button>
                <button type="button" data-testid="mnist-stop" disabled=move || !training.get() on:click=move |_| {
                    for run in active.get_untracked() {
                        ctx.send(&ToWorker::Stop { run });
                    }
                }>"Stop"</button>
                <button type="button" data-testid="clear-cache" on:click=clear_cache>"Clear cached data"</button>
            </div>
            {move || form_error.get().map(|e| view! { <p class="error" role="alert" data-testid="mnist-form-error">{e}</p> })}
            {move || cache_note.get().map(|n| view! { <p role="status" data-testid="cache-note">{n}</p> })}
        </form>
        <ShareLink lab=LabId::Mnist form=form/>
        {move || view_state.get().map(|v| {
            let DataProgress { loaded_bytes: loaded, total_bytes: total, cached_files: cached, files } = v.state.data.unwrap_or_default();
            view! {
                <div class="progress" data-testid="mnist-progress" data-phase=v.state.phase.name()>
                    <label>
                        "MNIST data: "
                        <progress max=total.max(1) value=loaded aria-label="Dataset download" data-testid="data-bar"></progress>
                        <span data-testid="data-text">
                            {format!("{:.1} of {:.1} MB, {cached} of {files} files from the cache", loaded as f64 / 1e6, total as f64 / 1e6)}
                        </span>
                    </label>
                    <label>
                        "Training: "
                        <progress max="1" value=v.fraction_done() aria-label="Training progress"></progress>
                        <span data-testid="mnist-progress-text">{v.progress_text()}</span>
                    </label>
                    {v.state.error.clone().map(|e| view! { <p class="error" role="alert" data-testid="mnist-error">{e}</p> })}
                </div>
            }
        })}
    </section>
    }
}

/// Section 2: the loss, time and accuracy charts, the table of models and their confusion.
#[component]
fn ResultsSection(view_state: Memo<Option<MnistView>>) -> impl IntoView {
    let charts = Memo::new(move |_| {
        view_state.with(|v| {
            v.as_ref().map(|v| {
                let results = (!v.results.is_empty()).then(|| result_charts(&v.results));
                ((!v.epochs.is_empty()).then(|| loss_chart(v)), results)
            })
        })
    });
    let rows =
        Signal::derive(move || view_state.with(|v| v.as_ref().map(|v| result_rows(&v.results)).unwrap_or_default()));
    view! {
    <section aria-labelledby="mnist-curves-title">
        <h3 id="mnist-curves-title">"2. Results"</h3>
        <p>"Training time counts the training epochs only (not loading, sampling or testing)."</p>
        {move || match charts.get() {
            Some((Some(loss), results)) => view! {
                <div class="charts">
                    <figure>
                        <Svg svg=loss.clone() testid="mnist-loss-chart"/>
                        <ChartExport svg=loss name="mnist-loss"/>
                    </figure>
                    {results.map(|(time, acc)| view! {
                        <figure>
                            <Svg svg=time.clone() testid="time-chart"/>
                            <ChartExport svg=time name="mnist-time"/>
                        </figure>
                        <figure>
                            <Svg svg=acc.clone() testid="accuracy-chart"/>
                            <ChartExport svg=acc name="mnist-accuracy"/>
                        </figure>
                    })}
                </div>
                <p>
                    <button type="button" data-testid="mnist-csv"
                        on:click=move |_| {
                            let csv = view_state.with_untracked(|v| v.as_ref().map(|v| epochs_csv(&v.epochs)).unwrap_or_default());
                            download_text("nnlab-mnist-epochs.csv", "text/csv", &csv);
                        }>
                        "Download every epoch as CSV"
                    </button>
                </p>
            }.into_any(),
            _ => view! { <p class="empty">"Curves appear here as the models train."</p> }.into_any(),
        }}
        <div class="table-scroll" tabindex="0" role="region" aria-label="One row per model">
            <DataTable caption="one row per model" headers=vec!["training examples", "training time (s)", "the line's time (s)", "measured minus line (s)", "last loss", "test accuracy (%)"] rows=rows testid="mnist-table"/>
        </div>
        <ConfusionSection view_state=view_state/>
    </section>
    }
}

/// Section 3: one epoch on all 60,000 examples against the fit's prediction.
#[component]
fn CheckSection(view_state: Memo<Option<MnistView>>, training: Signal<bool>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let check = Memo::new(move |_| ctx.session.with(|s| s.mnist_check.clone()));
    let run_check = move |_| {
        let Some(lab) = view_state.with_untracked(|v| v.as_ref().map(|v| v.lab.clone())) else { return };
        let lab =
            MnistLab { sizes: vec![FULL_TRAIN_SIZE], train: TrainConfig { epochs: 1, ..lab.train.clone() }, ..lab };
        ctx.start(
            Job::Mnist { lab, check: true },
            Some(Keep { kind: RunKind::Mnist, name: String::new(), continues: None }),
        );
    };
    // The 60,000 check beside the fit: its time, the fit's prediction and its test accuracy.
    let check_result = Memo::new(move |_| {
        let (summary, epochs, largest) = view_state.with(|v| {
            v.as_ref().and_then(|v| summarise(&v.results).map(|s| (s, v.lab.train.epochs, v.results.last().cloned())))
        })?;
        let (measured, test_size) =
            check.with(|c| c.as_ref().and_then(|c| c.results.first().cloned().map(|r| (r, c.lab.test_size))))?;
        let predicted = summary.per_epoch_prediction(epochs);
        let text = check_text(&summary, epochs, test_size, &measured, largest.as_ref());
        Some((text, measured, predicted))
    });
    let can_check = move || {
        !training.get()
            && view_state.with(|v| {
                v.as_ref().is_some_and(|v| v.state.phase == Phase::Finished && summarise(&v.results).is_some())
            })
    };
    view! {
    <section aria-labelledby="mnist-check-title">
        <h3 id="mnist-check-title">"3. Check the extrapolation"</h3>
        <p>"Train one epoch on all 60,000 training images and compare its time with what the fit predicts for one epoch."</p>
        <button type="button" data-testid="mnist-check" disabled=move || !can_check() on:click=run_check>
            "Train one epoch on all 60,000 examples"
        </button>
        {move || check.get().map(|c| view! {
            <p data-testid="mnist-check-progress" data-phase=c.state.phase.name()>{c.progress_text()}</p>
            {c.state.error.map(|e| view! { <p class="error" role="alert">{e}</p> })}
        })}
        {move || check_result.get().map(|(text, measured, predicted)| view! {
            <dl class="facts" data-testid="mnist-check-facts">
                <dt>"One epoch on all 60,000, measured"</dt>
                <dd data-testid="mnist-check-time">{format_duration(measured.train_seconds)}</dd>
                <dt>"The fit's prediction for one epoch"</dt>
                <dd data-testid="mnist-check-predicted">
                    {predicted.map_or_else(|| "none: the line does not rise with N".into(), format_duration)}
                </dd>
                <dt>"Test accuracy after that epoch"</dt>
                <dd data-testid="mnist-check-accuracy">{format!("{:.1}%", measured.test_acc)}</dd>
            </dl>
            <p class="answer" data-testid="mnist-check-result">{text}</p>
        })}
    </section>
    }
}

/// Section 4: the homework's questions, answered from the run.
#[component]
fn AnswersSection(view_state: Memo<Option<MnistView>>) -> impl IntoView {
    let answer = Memo::new(move |_| {
        view_state.with(|v| v.as_ref().map(|v| answers(&v.results, summarise(&v.results).as_ref())))
    });
    view! {
    <section aria-labelledby="mnist-answers-title">
        <h3 id="mnist-answers-title">"4. The homework's questions, answered from your run"</h3>
        <ol class="answers">
            <li>
                <p class="question">"How does training time grow with N, and how long would all 60,000 examples take here?"</p>
                <p class="answer" data-testid="mnist-answer-time">{move || answer.get().map_or("Train to answer this from your run.".into(), |a| a.0)}</p>
            </li>
            <li>
                <p class="question">"How does test accuracy change with N?"</p>
                <p class="answer" data-testid="mnist-answer-accuracy">{move || answer.get().map_or("Train to answer this from your run.".into(), |a| a.1)}</p>
            </li>
        </ol>
    </section>
    }
}

/// Each tested model's confusion matrix, the largest training set's open: what the digits
/// are taken for, and how that changes with N.
#[component]
fn ConfusionSection(view_state: Memo<Option<MnistView>>) -> impl IntoView {
    let tested = Memo::new(move |_| {
        view_state.with(|v| {
            let results = v.as_ref().map(|v| v.results.as_slice()).unwrap_or_default();
            results.iter().rev().filter_map(|r| Some((r.size, r.evaluation.clone()?))).collect::<Vec<_>>()
        })
    });
    view! {
        {move || {
            tested.get().into_iter().enumerate().map(move |(i, (size, evaluation))| view! {
                <details class="confusion-size" open=i == 0 data-testid=format!("mnist-confusion-{size}")>
                    <summary>{format!("What the model trained on N = {} gets wrong: confusion matrix and mistakes", format_count(size))}</summary>
                    <ConfusionView evaluation=evaluation what=format!("the model trained on N = {}", format_count(size)) testid=format!("mnist-confusion-{size}-view")/>
                </details>
            }).collect_view()
        }}
    }
}
