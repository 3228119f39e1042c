//! The synthetic-edges lab (HOMEWORK section 6): data, training, kernels, repeats, the shift
//! demo and the answers.

mod controls;
mod shift;

use leptos::prelude::*;
use leptos::wasm_split::{SplitLoaderError, wasm_split};

use crate::data::synthetic::{self, Orientation, SIZE, SynthBuilder, Which};
use crate::labs::synth::{LEARNING_LR, SynthLab, SynthRun};
use crate::labs::synth::{answers, field};
use crate::labs::{LabId, RunKind};
use crate::metrics::format_count;
use crate::plot::{EPOCH_HEADERS, epoch_rows, grey_rgba, heatmap_svg, run_charts};
use crate::protocol::Job;
use crate::run::Kernels;
use crate::web::kit::split::SplitPart;
use crate::web::kit::widgets::{
    ConfusionView, DataTable, FormFields, LabArticle, NextTurn, PixelCanvas, ShareLink, Svg,
};
use crate::web::kit::{Ctx, Keep};

/// Images shown per class in the gallery.
const GALLERY_PER_CLASS: usize = 6;
/// Images measured for the "what varies" answer: enough to cover every position.
const DESCRIBED_IMAGES: usize = 1_000;
/// Images generated per turn of the page's event loop: a few milliseconds each.
const DESCRIBE_STEP: usize = 100;
use controls::{KeptNote, RunBar, SlowLrNote, TestHooks, expected_duration};
use shift::ShiftDemo;

#[component]
pub fn SynthLabPanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let form = ctx.lab_form(LabId::Synth, SynthLab::homework().form());
    // The images shown follow the data seed as it is typed (`None` while it is not a number).
    let data_seed = Memo::new(move |_| form.with(|f| f.get(field::DATA_SEED.key).trim().parse::<u64>().ok()));
    let form_error = RwSignal::new(None::<String>);
    let current = Memo::new(move |_| ctx.session.with(|s| s.current().cloned()));
    // The lab's active runs: a repeat with a new seed trains beside the run before it.
    let active = Memo::new(move |_| ctx.session.with(|s| s.active_synth_runs()));
    let training = Signal::derive(move || active.with(|a| !a.is_empty()));

    let train = move || match form.with_untracked(SynthLab::parse) {
        Ok(lab) => {
            form_error.set(None);
            let name = format!("Synth CNN, lr {}, seed {}, {} epochs", lab.train.lr, lab.train.seed, lab.train.epochs);
            ctx.start(Job::Synth { lab, resume: None }, Some(Keep { kind: RunKind::Synth, name, continues: None }));
        }
        Err(e) => form_error.set(Some(format!("Not sent: {e}."))),
    };
    let again = move |_| {
        let next = form.with_untracked(|f| f.parse::<u64>(field::SEED.key)).map_or(1, |s| s.wrapping_add(1));
        form.update(|f| {
            f.set(field::SEED.key, next.to_string());
        });
        train();
    };
    let can_start = move || ctx.session.with(|s| s.can_start());
    let can_train = move || !training.get() && can_start();
    let retrain = Callback::new(move |()| {
        form.update(|f| _ = f.set(field::LR.key, LEARNING_LR.to_string()));
        if can_train() {
            train();
        }
    });
    provide_context(Later { current, data_seed, retrain });

    view! {
        <LabArticle id="synth" title="Shift invariance: a CNN on synthetic edges" lead=concat!("Each image holds one bright bar, horizontal or vertical, somewhere in a 28x28 frame. A tiny convolutional ", "net (442 parameters) learns to tell the orientation wherever the bar is. Train it, look at what its ", "first-layer kernels learned, then move a bar around and watch the answer stay put.")>
            // Train, Pause, Stop and the progress stay in sight as the student scrolls the lab
            // (the form they submit is section 2's).
            <RunBar current=current active=active can_train=Signal::derive(can_train)/>
            <DataSection seed=data_seed/>
            <section aria-labelledby="train-title">
                <h3 id="train-title">"2. Train"</h3>
                <form
                    id="synth-form"
                    class="train-form"
                    on:submit=move |ev| {
                        ev.prevent_default();
                        if can_train() {
                            train();
                        }
                    }
                >
                    <FormFields form=form legend="Hyper-parameters (defaults: the homework's)" fields=&[field::LR, field::BATCH, field::EPOCHS, field::SEED, field::TRAIN, field::VALID, field::DATA_SEED, field::STOP]/>
                    <SlowLrNote form=form/>
                    <div class="buttons">
                        <button type="button" data-testid="again" disabled=move || !can_start() on:click=again
                            title="Trains beside a run still training, on another worker where the pool has one">
                            "Run again with a new seed"
                        </button>
                        <button type="button" data-testid="defaults" on:click=move |_| { form.set(SynthLab::homework().form()); form_error.set(None); }>
                            "Homework defaults"
                        </button>
                        {ctx.test_hooks.then(|| view! { <TestHooks/> })}
                    </div>
                    {move || form_error.get().map(|e| view! { <p class="error" role="alert" data-testid="form-error">{e}</p> })}
                </form>
                <KeptNote current=current/>
                <p class="note" data-testid="expected-duration">{move || expected_duration(ctx, form)}</p>
                <ShareLink lab=LabId::Synth form=form/>
            </section>
            // The rest a turn later, from code of its own: Train waits only for the form's.
            <NextTurn>
                <SplitPart preload=preload_results part=results loading="Loading the charts, kernels and answers…"/>
            </NextTurn>
        </LabArticle>
    }
}

/// What the lab's later sections read from the panel around them: their split function takes
/// no arguments (a split function's arguments cross an `extern "C"` call).
#[derive(Clone, Copy)]
struct Later {
    current: Memo<Option<SynthRun>>,
    data_seed: Memo<Option<u64>>,
    /// Sets the learning rate the answers suggest and trains.
    retrain: Callback<()>,
}

/// The curves, kernels, shift demo and answers: a split point of their own (named after the
/// lab's, `more_` before it: scripts/postbuild.py packs it without the lab's own parts).
#[wasm_split(more_lab_synth, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_results))]
fn results() -> Result<AnyView, SplitLoaderError> {
    let Later { current, data_seed, retrain } = expect_context::<Later>();
    Ok(view! {
        <CurvesSection current=current/>
        <KernelsSection current=current/>
        <ShiftDemo/>
        <AnswersSection seed=data_seed retrain=retrain/>
    }
    .into_any())
}

#[component]
fn DataSection(seed: Memo<Option<u64>>) -> impl IntoView {
    // The first images of the training set itself (generation is a prefix: image i does not
    // depend on how many follow).
    let gallery = Memo::new(move |_| seed.get().map(|s| synthetic::generate(2 * GALLERY_PER_CLASS, s, Which::Train)));
    let tile = move |i: usize| {
        view! {
            <figure>
                <PixelCanvas
                    rgba=Signal::derive(move || gallery.with(|g| g.as_ref().map(|g| grey_rgba(g.data.image(i), 0.0, 1.0)).unwrap_or_default()))
                    width=SIZE as u32
                    height=SIZE as u32
                    scale=3
                    label=Signal::derive(move || gallery.with(|g| g.as_ref().map(|g| {
                        let b = g.bars[i];
                        format!("{} bar at row {}, column {}", b.orientation.name(), b.row, b.col)
                    }).unwrap_or_default()))
                    testid=format!("gallery-{i}")
                />
                <figcaption>
                    {move || gallery.with(|g| g.as_ref().map(|g| format!("row {}, col {}", g.bars[i].row, g.bars[i].col)))}
                </figcaption>
            </figure>
        }
    };
    view! {
        <section aria-labelledby="data-title">
            <h3 id="data-title">"1. The data"</h3>
            <p>
                "The first training images for data seed "
                <strong data-testid="gallery-seed">{move || seed.get().map_or("?".to_string(), |s| s.to_string())}</strong>
                " (change the seed in the form below; the same seed always gives the same images)."
            </p>
            {move || seed.get().is_none().then(|| view! { <p class="error">"The data seed must be a whole number."</p> })}
            <div class="gallery" data-testid="gallery">
                {[Orientation::Horizontal, Orientation::Vertical]
                    .into_iter()
                    .map(|o| {
                        view! {
                            <div class="gallery-row">
                                <h4>{o.name()}</h4>
                                <div class="tiles">
                                    {(0..GALLERY_PER_CLASS).map(|k| tile(2 * k + o.label() as usize)).collect_view()}
                                </div>
                            </div>
                        }
                    })
                    .collect_view()}
            </div>
        </section>
    }
}

#[component]
fn CurvesSection(current: Memo<Option<SynthRun>>) -> impl IntoView {
    let svgs = Memo::new(move |_| {
        current.with(|r| {
            r.as_ref()
                .filter(|r| !r.records.is_empty())
                .map(|r| run_charts(&r.records, r.summary.as_ref(), "Synth CNN"))
        })
    });
    let rows = Signal::derive(move || current.with(|r| r.as_ref().map(|r| epoch_rows(&r.records)).unwrap_or_default()));
    view! {
        <section aria-labelledby="curves-title">
            <h3 id="curves-title">"3. Loss and accuracy"</h3>
            {move || match svgs.get() {
                None => view! { <p class="empty">"Curves appear here after the first epoch."</p> }.into_any(),
                Some((loss, acc)) => view! {
                    <div class="charts">
                        <Svg svg=loss testid="loss-chart"/>
                        <Svg svg=acc testid="acc-chart"/>
                    </div>
                }.into_any(),
            }}
            <DataTable
                caption="per-epoch records of the current run"
                headers=EPOCH_HEADERS.to_vec()
                rows=rows
                testid="epoch-table"
            />
            {move || current.with(|r| r.as_ref().and_then(|r| r.evaluation.clone())).map(|evaluation| view! {
                <ConfusionView evaluation=evaluation what="the trained CNN" testid="synth-confusion"/>
            })}
        </section>
    }
}

/// Both first-layer kernels as heatmaps on one colour scale (white = 0).
fn kernel_svgs(kernels: &Kernels) -> Vec<String> {
    let max_abs = kernels.weights.iter().fold(0f32, |m, w| m.max(w.abs()));
    let [out, _, k, _] = kernels.shape;
    (0..out).map(|o| heatmap_svg(kernels.kernel(o, 0), k, k, 0.0, max_abs, &format!("kernel {}", o + 1))).collect()
}

#[component]
fn KernelsSection(current: Memo<Option<SynthRun>>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let kernels = Memo::new(move |_| current.with(|r| r.as_ref().and_then(|r| r.kernels.clone())));
    let at_chance =
        Memo::new(move |_| current.with(|r| r.as_ref().is_some_and(|r| answers::verdict(&r.records).at_chance())));
    let runs = Memo::new(move |_| {
        ctx.session.with(|s| {
            s.finished_runs()
                .into_iter()
                .map(|r| {
                    (
                        r.id,
                        r.lab.train.seed,
                        r.records.last().and_then(|e| e.valid_acc),
                        r.kernels.clone().unwrap_or_default(),
                    )
                })
                .collect::<Vec<_>>()
        })
    });
    view! {
        <section aria-labelledby="kernels-title">
            <h3 id="kernels-title">"4. What the first layer learned"</h3>
            <p>"The two 5x5 kernels of the first convolution, redrawn after every epoch. Red is positive, blue negative, white zero; hover a cell for its value."</p>
            {move || match kernels.get() {
                None => view! { <p class="empty">"Kernels appear here after the first epoch."</p> }.into_any(),
                Some(k) => {
                    let tunings = answers::tunings(&k);
                    view! {
                        <div class="kernels" data-testid="kernels">
                            {kernel_svgs(&k).into_iter().zip(tunings).enumerate().map(|(i, (svg, t))| view! {
                                <figure class="kernel">
                                    <Svg svg=svg testid=format!("kernel-{i}")/>
                                    <figcaption>{if at_chance.get() {
                                        format!("Kernel {}: still near its random start (the model is at chance)", i + 1)
                                    } else {
                                        format!("Kernel {}: {}", i + 1, t.describe())
                                    }}</figcaption>
                                </figure>
                            }).collect_view()}
                        </div>
                    }.into_any()
                }
            }}
            <h4>"Every run, side by side"</h4>
            <p>"Press \"Run again with a new seed\" a few times: what stays the same across runs?"</p>
            <div class="runs" data-testid="runs">
                {move || runs.get().into_iter().map(|(id, seed, acc, k)| view! {
                    <figure class="run">
                        <div class="kernels">{kernel_svgs(&k).into_iter().map(|svg| view! { <Svg svg=svg/> }).collect_view()}</div>
                        <figcaption>{format!("run {id}, seed {seed}{}", acc.map(|a| format!(", validation {a:.1}%")).unwrap_or_default())}</figcaption>
                    </figure>
                }).collect_view()}
            </div>
        </section>
    }
}

#[component]
fn AnswersSection(seed: Memo<Option<u64>>, retrain: Callback<()>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    // The images are generated a step at a time with the browser getting a turn in between:
    // all at once they held the main thread for a long task as the page opened.
    let data = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        data.set(None);
        let Some(s) = seed.get() else { return };
        leptos::task::spawn_local(async move {
            let mut builder = SynthBuilder::new(DESCRIBED_IMAGES, s, Which::Train);
            while !builder.step(DESCRIBE_STEP) {
                crate::web::js::yield_now().await;
                // Another seed typed, or the lab closed: a newer task describes it, or no one.
                if seed.try_get_untracked() != Some(Some(s)) {
                    return;
                }
            }
            let _ = data.try_set(Some(answers::data_answer(&builder.finish())));
        });
    });
    let measuring = Signal::derive(move || {
        data.get()
            .or_else(|| seed.get().map(|_| format!("Measuring the first {} images...", format_count(DESCRIBED_IMAGES))))
    });
    let answers = Memo::new(move |_| {
        ctx.session.with(|s| {
            let run = s.trained();
            let verdict = run.map(|r| answers::verdict(&r.records)).unwrap_or(crate::verdict::Verdict::Unknown);
            let all: Vec<(Kernels, crate::verdict::Verdict)> = s
                .finished_runs()
                .iter()
                .filter_map(|r| Some((r.kernels.clone()?, answers::verdict(&r.records))))
                .collect();
            (
                run.map(|r| answers::training_answer(&r.records, &r.lab)),
                run.and_then(|r| r.kernels.as_ref()).map(|k| answers::kernels_answer(k, verdict)),
                (!all.is_empty()).then(|| answers::repeats_answer(&all)),
                run.and_then(|r| r.sweep.as_ref()).map(|sw| answers::shift_answer(sw, verdict)),
                verdict.at_chance(),
            )
        })
    });
    let pending = "Train a model to answer this from your run.";
    let item = move |q: &'static str, testid: &'static str, a: Signal<Option<String>>| {
        view! {
            <li>
                <p class="question">{q}</p>
                <p class="answer" data-testid=testid>{move || a.get().unwrap_or_else(|| pending.to_string())}</p>
            </li>
        }
    };
    let invalid_seed = "Enter a whole-number data seed to describe its images.";
    view! {
        <section aria-labelledby="answers-title">
            <h3 id="answers-title">"6. The homework's questions, answered from your run"</h3>
            <ol class="answers">
                <li>
                    <p class="question">"What is common within a class, and what varies?"</p>
                    <p class="answer" data-testid="answer-data" data-done=move || data.with(Option::is_some).to_string()>
                        {move || measuring.get().unwrap_or_else(|| invalid_seed.to_string())}
                    </p>
                </li>
                <li>
                    <p class="question">"What did training do?"</p>
                    <p class="answer" data-testid="answer-training">{move || answers.get().0.unwrap_or_else(|| pending.to_string())}</p>
                    {move || answers.get().4.then(|| view! {
                        <p>
                            <button type="button" data-testid="retrain-lr" on:click=move |_| retrain.run(())>
                                {format!("Train again with learning rate {LEARNING_LR}")}
                            </button>
                        </p>
                    })}
                </li>
                {item("What do the two first-layer kernels respond to?", "answer-kernels", Signal::derive(move || answers.get().1))}
                {item("Repeat with other seeds: what stays the same?", "answer-repeats", Signal::derive(move || answers.get().2))}
                {item("Is the classification shift invariant?", "answer-shift", Signal::derive(move || answers.get().3))}
            </ol>
        </section>
    }
}
