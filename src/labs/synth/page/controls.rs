//! The Synth lab's run controls: the run bar (Train, Pause, Stop, progress), the note on a
//! learning rate too small to leave chance, how much of the run is kept, how long a run should
//! take here, and the test hooks.

use leptos::prelude::*;

use crate::labs::RunKind;
use crate::labs::synth::{LEARNING_EPOCHS, LEARNING_LR, SynthLab, SynthRun, field};
use crate::protocol::ToWorker;
use crate::run::RunId;
use crate::session::Phase;
use crate::web::kit::Ctx;
use crate::web::kit::widgets::RunProgress;

/// Train, Pause, Stop and the progress, in sight as the student scrolls the lab (the form they
/// submit is section 2's). Pause and Stop act on every active run of the lab.
#[component]
pub(super) fn RunBar(
    current: Memo<Option<SynthRun>>,
    active: Memo<Vec<RunId>>,
    can_train: Signal<bool>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let training = Signal::derive(move || active.with(|a| !a.is_empty()));
    let paused = move || current.with(|r| r.as_ref().is_some_and(|r| r.state.phase == Phase::Paused));
    let toggle_pause = move |_| {
        let pause = !paused();
        // The page shows "paused" when the worker confirms it (FromWorker::Paused). Pause and
        // Stop act on every active run of the lab.
        for run in active.get_untracked() {
            ctx.send(&if pause { ToWorker::Pause { run } } else { ToWorker::Resume { run } });
        }
    };
    let stop = move |_| {
        for run in active.get_untracked() {
            ctx.send(&ToWorker::Stop { run });
        }
    };
    view! {
        <div class="run-bar" role="group" aria-label="Run controls">
            <div class="buttons">
                <button type="submit" form="synth-form" data-testid="train" data-shortcut="space" disabled=move || !can_train.get()>"Train"</button>
                <button type="button" data-testid="pause" data-shortcut="space" disabled=move || !training.get() on:click=toggle_pause>
                    {move || if paused() { "Resume" } else { "Pause" }}
                </button>
                <button type="button" data-testid="stop" disabled=move || !training.get() on:click=stop>
                    "Stop"
                </button>
                <span class="run-bar-note">"with the settings in section 2"</span>
            </div>
            <RunProgress current=current prefix=""/>
        </div>
    }
}

/// How much of the run on screen is kept in this browser.
#[component]
pub(super) fn KeptNote(current: Memo<Option<SynthRun>>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    move || {
        current.with(|r| r.as_ref().map(|r| r.id)).and_then(|id| ctx.written_epochs(id)).map(|n| {
            view! {
                <p class="saved-note" data-testid="saved-epochs" data-epochs=n.to_string()>
                    {format!("Kept in this browser after epoch {n}: a reload loses nothing (see Saved runs).")}
                </p>
            }
        })
    }
}

/// The hook buttons only end-to-end tests need (`?test-hooks`).
#[component]
pub(super) fn TestHooks() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    view! {
        <button type="button" data-testid="crash-worker" on:click=move |_| ctx.send(&ToWorker::Crash)>
            "Crash the worker (test hook)"
        </button>
        <button type="button" data-testid="lose-gpu" on:click=move |_| ctx.send(&ToWorker::LoseGpu)>
            "Lose the GPU device (test hook)"
        </button>
        <button type="button" data-testid="exhaust-memory" on:click=move |_| ctx.send(&ToWorker::ExhaustMemory)>
            "Run the worker out of memory (test hook)"
        </button>
    }
}

/// A note, with a button, where the learning rate is too small for the epochs to leave chance.
#[component]
pub(super) fn SlowLrNote(form: RwSignal<crate::form::FormText>) -> impl IntoView {
    move || {
        slow_lr(form).then(|| {
            view! {
                <p class="note" data-testid="lr-note">
                    {format!("At learning rate {} this net needs far more epochs than the homework's 50 to leave chance (50%). At {LEARNING_LR} it leaves chance within about {LEARNING_EPOCHS} epochs and passes 90% within 50 (measured over three seeds). ", form.with(|f| f.get(field::LR.key).to_string()))}
                    <button type="button" class="link" data-testid="use-learning-lr" on:click=move |_| { form.update(|f| { f.set(field::LR.key, LEARNING_LR.to_string()); }); }>
                        {format!("Use learning rate {LEARNING_LR}")}
                    </button>
                </p>
            }
        })
    }
}

/// How long the form's run should take here, from the speed this browser last measured for
/// the lab (this page's runs first, then the saved ones).
pub(super) fn expected_duration(ctx: Ctx, form: RwSignal<crate::form::FormText>) -> String {
    let measured = ctx.session.with(|s| {
        s.runs.iter().rev().find_map(|r| Some((r.records.last()?.examples_per_s, r.state.backend.clone()?.name)))
    });
    let measured = measured.or_else(|| {
        ctx.saved.with(|all| {
            let run = all.iter().filter(|r| r.lab == RunKind::Synth).max_by(|a, b| a.created.total_cmp(&b.created))?;
            Some((run.epochs.last()?.examples_per_s, run.backend.clone()?.name))
        })
    });
    match form.with(SynthLab::parse) {
        Ok(lab) => crate::run_view::expected_text(measured, lab.train_size, lab.train.epochs, false),
        Err(_) => crate::run_view::expected_text(None, 0, 0, false),
    }
}

/// Whether the form's learning rate is below the one that learns in the homework's epochs.
fn slow_lr(form: RwSignal<crate::form::FormText>) -> bool {
    form.with(|f| f.get(field::LR.key).trim().parse::<f64>().is_ok_and(|lr| lr > 0.0 && lr < LEARNING_LR))
}
