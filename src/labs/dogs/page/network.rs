//! One DogSet network's section (sections 4 and 5): its layers, Train, Pause and Stop, its
//! run's results, and for the CNN its kernels and a look inside.

use crate::activations::Input;
use crate::confusion::Evaluation;
use crate::form::FormText;
use crate::labs::RunKind;
use crate::labs::dogs::answers::Trained;
use crate::labs::dogs::{DogLab, field};
use crate::metrics::format_count;
use crate::net::LayerRow;
use crate::plot::{EPOCH_HEADERS, bytes_rgba, epoch_rows, kernel_rgba, run_charts};
use crate::protocol::{Job, ToWorker};
use crate::run::DogSource;
use crate::run_view::RunView;
use crate::session::Phase;
use crate::web::kit::inside::InsideView;
use crate::web::kit::widgets::{
    ChartExport, ConfusionView, DataTable, FormFields, PixelCanvas, RunProgress, ScrollBox, Svg, picture_scale,
};
use crate::web::kit::{Ctx, Keep};
use leptos::prelude::*;

/// Weights and biases of a layer table, summed.
fn totals(layers: &[LayerRow]) -> (usize, usize) {
    layers.iter().fold((0, 0), |(w, b), r| (w + r.weights, b + r.biases))
}

/// "Parameters: 1,581,898 (1,581,696 weights + 202 biases)".
pub(super) fn parameters_text(layers: &[LayerRow]) -> String {
    let (w, b) = totals(layers);
    format!("Parameters: {} ({} weights + {} biases)", format_count(w + b), format_count(w), format_count(b))
}

/// A layer table with its counts grouped and the total parameters in a row of its own.
#[component]
pub(super) fn LayerTable(#[prop(into)] caption: String, layers: Vec<LayerRow>, testid: String) -> impl IntoView {
    let total = parameters_text(&layers);
    let rows = layers
        .into_iter()
        .map(|r| {
            let shape = r.output_shape.iter().map(|d| format_count(*d)).collect::<Vec<_>>().join(" x ");
            view! {
                <tr><td>{r.layer}</td><td>{shape}</td><td>{format_count(r.weights)}</td><td>{format_count(r.biases)}</td></tr>
            }
        })
        .collect_view();
    view! {
        <ScrollBox label=caption.clone()>
            <table class="layers" data-testid=testid.clone()>
                <caption>{caption}</caption>
                <thead><tr><th scope="col">"layer"</th><th scope="col">"output shape"</th><th scope="col">"weights"</th><th scope="col">"biases"</th></tr></thead>
                <tbody>{rows}</tbody>
                <tfoot><tr><td colspan="4" data-testid=format!("{testid}-total")>{total}</td></tr></tfoot>
            </table>
        </ScrollBox>
    }
}

#[component]
pub(super) fn NetSection(cnn: bool, form: RwSignal<FormText>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let (id, title, name) = if cnn {
        ("cnn", "5. The convolutional network", "CNN")
    } else {
        ("mlp", "4. The fully connected network", "MLP")
    };
    let run = Memo::new(move |_| ctx.session.with(|s| if cnn { s.dogs.cnn.clone() } else { s.dogs.mlp.clone() }));
    let parsed = Memo::new(move |_| form.with(|f| DogLab::parse(f, cnn)));
    // Each network trains on its own: the MLP and the CNN can train side by side.
    let training = Signal::derive(move || run.with(|r| r.as_ref().is_some_and(|r| r.is_active())));
    // Why Train is disabled, shown beside it (none while this network trains: Stop is there).
    let refusal = Memo::new(move |_| {
        if training.get() {
            return None;
        }
        if let Err(e) = parsed.get() {
            return Some(format!("Cannot train: {e}."));
        }
        ctx.session.with(|s| match (&s.dogs.info, s.dogs.loading.is_some(), s.can_start()) {
            (_, _, false) => Some("Waiting for a training worker.".to_string()),
            (None, _, _) | (_, true, _) => Some("Waiting for the DogSet to load.".to_string()),
            _ => None,
        })
    });
    let can_train = move || !training.get() && refusal.with(|r| r.is_none());
    let train = move || {
        if let Ok(lab) = parsed.get_untracked() {
            start_network(ctx, lab, cnn);
        }
    };
    let mine = move || run.with(|r| r.as_ref().is_some_and(|r| r.is_active()));
    let paused = move || run.with(|r| r.as_ref().is_some_and(|r| r.state.phase == Phase::Paused));
    view! {
        <section aria-labelledby=format!("{id}-title")>
            <h3 id=format!("{id}-title")>{title}</h3>
            {if cnn {
                view! {
                    <p>"Conv(3→16) → ReLU → MaxPool 2 → Conv(16→32) → ReLU → MaxPool 2 → flatten → Linear(→10), no padding. Choose each conv's kernel size and stride; the table follows."</p>
                    <FormFields form=form legend="Convolutions" fields=&[field::K1, field::S1, field::K2, field::S2] class="train-form"/>
                }.into_any()
            } else {
                view! { <p>"The 64x64x3 image flattened to 12,288 inputs → 128 → ReLU → 64 → ReLU → 10."</p> }.into_any()
            }}
            <LayerTables cnn=cnn parsed=parsed run=run/>
            <div class="buttons">
                <button type="button" data-testid=format!("{id}-train") data-shortcut=(!cnn).then_some("space") disabled=move || !can_train() on:click=move |_| train()
                    aria-describedby=move || refusal.with(|r| r.is_some()).then(|| format!("{id}-train-reason"))>
                    {format!("Train the {name}")}
                </button>
                <button type="button" data-testid=format!("{id}-pause") data-shortcut="space" disabled=move || !mine()
                    on:click=move |_| if let Some(id) = run.with_untracked(|r| r.as_ref().map(|r| r.id)) {
                        ctx.send(&if paused() { ToWorker::Resume { run: id } } else { ToWorker::Pause { run: id } })
                    }>
                    {move || if paused() { "Resume" } else { "Pause" }}
                </button>
                <button type="button" data-testid=format!("{id}-stop") disabled=move || !mine()
                    on:click=move |_| if let Some(id) = run.with_untracked(|r| r.as_ref().map(|r| r.id)) {
                        ctx.send(&ToWorker::Stop { run: id })
                    }>"Stop"</button>
                <span class="train-reason" class:error=move || !training.get() && parsed.with(|p| p.is_err())
                    role="status" id=format!("{id}-train-reason")
                    data-testid=format!("{id}-form-error")>{move || refusal.get()}</span>
            </div>
            {move || (!training.get()).then(|| view! {
                <p class="note" data-testid=format!("{id}-expected")>{move || expected_duration(ctx, cnn, parsed.get().ok())}</p>
            })}
            <RunProgress current=run prefix=if cnn { "cnn-" } else { "mlp-" }/>
            {move || run.with(|r| r.as_ref().and_then(|r| Some((ctx.written_epochs(r.id)?, r.checkpoint_bytes()?)))).map(|(n, bytes)| view! {
                <p class="saved-note" data-testid=format!("{id}-saved-epochs") data-epochs=n.to_string()>
                    {format!("Kept in this browser after epoch {n}, with its {:.2} MB of parameters (saved every epoch): a reload loses nothing (see Saved runs).", bytes as f64 / 1e6)}
                </p>
            })}
            <NetResults cnn=cnn run=run/>
        </section>
    }
}

/// Trains a DogSet network on the set in use, with the images marked as hard.
fn start_network(ctx: Ctx, mut lab: DogLab, cnn: bool) {
    let info = ctx.session.with_untracked(|s| s.dogs.info.as_ref().map(|i| (i.source, i.title.clone())));
    let (source, set) = info.unwrap_or((DogSource::Auto, String::new()));
    lab.source = source;
    let name = format!("{} on {set}, seed {}", lab.net().name, lab.train.seed);
    let keep = Keep { kind: if cnn { RunKind::DogsCnn } else { RunKind::DogsMlp }, name, continues: None };
    let picks = super::explore::marked(&set);
    ctx.start(Job::Dogs { lab, resume: None, share: None, picks }, Some(keep));
}

/// The layers the form's settings build, as it is typed, and those of the last run's model.
#[component]
fn LayerTables(
    cnn: bool,
    parsed: Memo<Result<DogLab, crate::config::ConfigError>>,
    run: Memo<Option<RunView<DogLab>>>,
) -> impl IntoView {
    let (id, name) = if cnn { ("cnn", "CNN") } else { ("mlp", "MLP") };
    // The table follows the form as it is typed; the last run's model has a table of its own.
    let table = Memo::new(move |_| match parsed.get() {
        Ok(lab) => lab.net().shape_table().map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    });
    let built = Memo::new(move |_| run.with(|r| r.as_ref().map(|r| r.layers.clone()).filter(|l| !l.is_empty())));
    view! {
    {move || match table.get() {
        Ok(layers) => view! { <LayerTable caption=format!("Layers of the {name} the form's settings build") layers=layers testid=format!("{id}-layers")/> }.into_any(),
        Err(e) => view! { <p class="empty" data-testid=format!("{id}-layers-none")>{format!("No layer table: these settings build no network ({e}).")}</p> }.into_any(),
    }}
    {move || built.get().map(|layers| view! {
        <LayerTable caption=format!("Layers of the last run's {name} (traced from the network it built)") layers=layers testid=format!("{id}-run-layers")/>
    })}
    }
}

/// The first conv's 16 kernels as RGB images (mid-grey = 0).
#[component]
fn Kernels(run: Memo<Option<RunView<DogLab>>>) -> impl IntoView {
    let kernels = Memo::new(move |_| run.with(|r| r.as_ref().and_then(|r| r.kernels.clone())));
    view! {
        {move || kernels.get().map(|k| {
            let [out, _, kh, kw] = k.shape;
            let scale = (96 / kh.max(1)).max(2) as u32;
            view! {
                <figure class="dog-kernels" data-testid="cnn-kernels">
                    <div class="tiles">
                        {(0..out).map(|o| view! {
                            <PixelCanvas rgba=kernel_rgba(&k, o) width=kw as u32 height=kh as u32 scale=scale label=format!("kernel {} as RGB", o + 1)/>
                        }).collect_view()}
                    </div>
                    <figcaption>"First-layer kernels after the latest epoch, their R, G and B weights shown as colours (mid-grey = 0, each kernel scaled to its own largest weight)."</figcaption>
                </figure>
            }
        })}
    }
}

pub(super) fn trained<'a>(run: &'a RunView<DogLab>, name: &'a str) -> Option<Trained<'a>> {
    let s = run.summary.as_ref()?;
    Some(Trained {
        name,
        parameters: s.parameters,
        test_acc: run.test?.1,
        epochs: s.epochs_trained,
        seconds: s.train_seconds,
    })
}

/// The trained network's verdict on the images marked as hard when it started training, each
/// pictured, and the homework's hard-images answer computed from them.
#[component]
pub(super) fn PickVerdicts(evaluation: Evaluation, name: &'static str, testid: String) -> impl IntoView {
    let answer = evaluation.picks_answer(&format!("The {name}"))?;
    let [h, w, c] = evaluation.image_shape;
    let cards = evaluation
        .picks
        .iter()
        .map(|p| {
            let label = format!("training image {}, a {}", format_count(p.index), evaluation.name(p.label));
            let verdict = if p.predicted == p.label { "right".to_string() } else { format!("taken for {}", evaluation.name(p.predicted)) };
            view! {
                <figure class="mistake" data-rank=p.rank>
                    {(p.pixels.len() == h * w * c && h > 0).then(|| view! {
                        <PixelCanvas rgba=bytes_rgba(&p.pixels, c) width=w as u32 height=h as u32 scale=picture_scale(w) label=label.clone()/>
                    })}
                    <figcaption>
                        <span>{format!("image {}: {}", format_count(p.index), evaluation.name(p.label))}</span>
                        <strong class:guess=p.predicted != p.label>{verdict}</strong>
                        <span>{format!("{:.1}% for its class", 100.0 * p.p_true)}</span>
                        <span>{format!("hardest {} of {}", format_count(p.rank), format_count(p.of))}</span>
                    </figcaption>
                </figure>
            }
        })
        .collect_view();
    Some(view! {
        <h4>"Your hard images, as the trained network sees them"</h4>
        <div class="mistakes" data-testid=format!("{testid}-images")>{cards}</div>
        <p class="answer" data-testid=testid>{answer}</p>
    })
}

/// Every layer of the trained CNN for a test image the student picks (any of the test
/// partition's, or one of its surest mistakes by number).
#[component]
fn LookInside(run: Memo<Option<RunView<DogLab>>>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let index = RwSignal::new("0".to_string());
    // A tested model a worker of this page holds (a run restored after a reload is not loaded).
    let tested = Memo::new(move |_| {
        let id = run.with(|r| r.as_ref().filter(|r| r.evaluation.is_some()).map(|r| r.id))?;
        ctx.session.with(|s| s.pool.home_of(id).is_some()).then_some(id)
    });
    let test_images = move || ctx.session.with(|s| s.dogs.info.as_ref().map_or(0, |i| i.counts[2]));
    let parsed = Memo::new(move |_| index.with(|t| t.trim().parse::<usize>().ok().filter(|&i| i < test_images())));
    let show = move || {
        if let (Some(run), Some(i)) = (tested.get_untracked(), parsed.get_untracked()) {
            ctx.send(&ToWorker::LookInside { run, input: Input::DogTest(i) });
        }
    };
    let inside = Memo::new(move |_| run.with(|r| r.as_ref().and_then(|r| r.inside.clone())));
    move || {
        tested.get().map(|_| {
            view! {
                <h4>"Look inside the trained CNN"</h4>
                <form class="inline-form" on:submit=move |ev| { ev.prevent_default(); show(); }>
                    <label for="inside-index">{move || format!("Test image (0 to {})", test_images().saturating_sub(1))}</label>
                    <input id="inside-index" type="number" min="0" data-testid="inside-index" prop:value=move || index.get()
                        on:input=move |ev| index.set(event_target_value(&ev))/>
                    <button type="submit" data-testid="inside-show" disabled=move || parsed.get().is_none()>"Show every layer"</button>
                </form>
                {move || inside.get().map(|a| view! { <InsideView activations=a testid="cnn-inside"/> })}
            }
        })
    }
}

/// Before Train, how long this network's run should take here, from the speed this browser
/// last measured for the same network (this page's run, else the newest saved one).
fn expected_duration(ctx: Ctx, cnn: bool, lab: Option<DogLab>) -> String {
    let kind = if cnn { RunKind::DogsCnn } else { RunKind::DogsMlp };
    let measured = ctx.session.with(|s| {
        let run = if cnn { s.dogs.cnn.as_ref() } else { s.dogs.mlp.as_ref() }?;
        Some((run.records.last()?.examples_per_s, run.state.backend.clone()?.name))
    });
    let measured = measured.or_else(|| {
        ctx.saved.with(|all| {
            let run = all.iter().filter(|r| r.lab == kind).max_by(|a, b| a.created.total_cmp(&b.created))?;
            Some((run.epochs.last()?.examples_per_s, run.backend.clone()?.name))
        })
    });
    let images = ctx.session.with(|s| s.dogs.info.as_ref().map_or(0, |i| i.counts[0]));
    let epochs = lab.map_or(0, |l| l.train.epochs);
    crate::run_view::expected_text(measured.filter(|_| images > 0 && epochs > 0), images, epochs, true)
}

/// A network's last run: how it ended and its test accuracy, its curves and records, its
/// confusion and the marked images' verdicts, and for the CNN a look inside and its kernels.
#[component]
fn NetResults(cnn: bool, run: Memo<Option<RunView<DogLab>>>) -> impl IntoView {
    let (id, name) = if cnn { ("cnn", "CNN") } else { ("mlp", "MLP") };
    let charts = Memo::new(move |_| {
        run.with(|r| {
            r.as_ref().filter(|r| !r.records.is_empty()).map(|r| run_charts(&r.records, r.summary.as_ref(), name))
        })
    });
    let rows = Signal::derive(move || run.with(|r| r.as_ref().map(|r| epoch_rows(&r.records)).unwrap_or_default()));
    view! {
    {move || run.get().and_then(|r| r.summary.clone().map(|s| (r, s))).map(|(r, s)| view! {
        <p class="answer" data-testid=format!("{id}-result")>
            {format!("{} epochs, {}. ", s.epochs_trained, s.stop.describe())}
            {r.test.map(|(loss, acc)| format!("Test accuracy (evaluated once, after training): {acc:.1}% (loss {loss:.4})."))}
        </p>
    })}
    {move || charts.get().map(|(loss, acc)| view! {
        <div class="charts">
            <figure><Svg svg=loss.clone() testid=format!("{id}-loss-chart")/><ChartExport svg=loss name=if cnn { "dog-cnn-loss" } else { "dog-mlp-loss" }/></figure>
            <figure><Svg svg=acc.clone() testid=format!("{id}-acc-chart")/><ChartExport svg=acc name=if cnn { "dog-cnn-accuracy" } else { "dog-mlp-accuracy" }/></figure>
        </div>
    })}
    <ScrollBox label=format!("Per-epoch records of the {name}")>
        <DataTable caption=format!("per-epoch records of the {name}") headers=EPOCH_HEADERS.to_vec() rows=rows testid=format!("{id}-epochs")/>
    </ScrollBox>
    {move || run.with(|r| r.as_ref().and_then(|r| r.evaluation.clone())).map(|evaluation| view! {
        <ConfusionView evaluation=evaluation.clone() what=format!("the {name}") testid=format!("{id}-confusion")/>
        <PickVerdicts evaluation=evaluation name=name testid=format!("{id}-picks")/>
    })}
    {cnn.then(|| view! { <LookInside run=run/> })}
    {cnn.then(|| view! { <Kernels run=run/> })}
    }
}
