//! Adversarial examples (HOMEWORK section 7): step an MNIST digit along the sign of the loss
//! gradient with respect to the input, and watch a confident model change its mind.

use leptos::prelude::*;

use crate::labs::adversarial::{AttackView, Attacked, LabModel, Sample};
use crate::plot::{LineChart, Series, TRAIN_COLOUR, diverging, grey_rgba};
use crate::protocol::{Job, ToWorker};
use crate::run::{Attack, DataProgress};
use crate::session::Phase;
use crate::web::kit::Ctx;
use crate::web::kit::widgets::{DataTable, LabArticle, PixelCanvas, Svg};

/// The sweep the page asks for: 0 to 0.3 in steps of 0.025.
fn sweep_epsilons() -> Vec<f64> {
    (0..=12).map(|k| k as f64 * 0.025).collect()
}

fn perturbation_rgba(delta: &[f32]) -> Vec<u8> {
    let max_abs = delta.iter().fold(0f32, |m, d| m.max(d.abs())).max(1e-6);
    delta
        .iter()
        .flat_map(|&d| {
            let [r, g, b] = diverging(d, max_abs);
            [r, g, b, 255]
        })
        .collect()
}

#[component]
fn Probabilities(before: Vec<f32>, after: Vec<f32>) -> impl IntoView {
    let (b, a) = (Attack::predicted(&before), Attack::predicted(&after));
    view! {
        <table class="compare" data-testid="adv-probs">
            <thead><tr><th scope="col">"digit"</th><th scope="col">"before"</th><th scope="col">"after"</th></tr></thead>
            <tbody>
                {(0..before.len()).map(|d| view! {
                    <tr class:top=d == b || d == a>
                        <td>{d}</td>
                        <td><meter min="0" max="1" value=before[d]></meter>{format!(" {:.3}", before[d])}</td>
                        <td><meter min="0" max="1" value=after[d]></meter>{format!(" {:.3}", after[d])}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
pub fn AdversarialPanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let state = Memo::new(move |_| ctx.session.with(|s| s.attacks.clone()));
    let image = RwSignal::new(None::<usize>);
    let epsilon = RwSignal::new(0.1f64);
    let target = RwSignal::new(None::<u8>);
    let ready = move || state.with(|s| s.as_ref().is_some_and(|s| s.state.phase == Phase::Finished));
    let prepare = move |lab_model: Option<crate::labs::adversarial::LabModel>| {
        image.set(None);
        ctx.start(Job::Attacks { epsilons: sweep_epsilons(), lab_model }, None);
    };
    let attack = move || {
        let Some(run) = state.with_untracked(|s| s.as_ref().filter(|s| s.state.phase == Phase::Finished).map(|s| s.id))
        else {
            return;
        };
        let Some(i) = image.get_untracked() else { return };
        ctx.session.update(|s| {
            if let Some(a) = s.attacks.as_mut() {
                a.attacking = true;
                a.state.error = None;
            }
        });
        ctx.send(&ToWorker::Attack { run, image: i, epsilon: epsilon.get_untracked(), target: target.get_untracked() });
    };
    // The first digit is picked once the model is ready.
    Effect::new(move |_| {
        if image.get_untracked().is_none()
            && let Some(first) = state.with(|s| s.as_ref().and_then(|s| s.samples.first().map(|x| x.index)))
        {
            image.set(Some(first));
            attack();
        }
    });
    view! {
        <LabArticle id="adversarial" title="Adversarial examples" lead=concat!("Take the gradient of the loss with respect to the image instead of the weights, and nudge every pixel ", "a little in the direction that hurts most. The digit looks the same to you; the model changes its mind.")>
            <ModelSection state=state prepare=Callback::new(prepare)/>
            <section aria-labelledby="adv-attack-title">
                <h3 id="adv-attack-title">"2. Attack one digit"</h3>
                <div class="tiles" role="group" aria-label="Test images, one per digit">
                    {move || state.get().map(|s| s.samples.into_iter().map(|Sample { index: i, label, pixels }| view! {
                        <button type="button" class="tile" aria-label=format!("Attack the test image of a {label}")
                            aria-pressed=move || (image.get() == Some(i)).to_string()
                            data-testid=format!("adv-sample-{label}") on:click=move |_| { image.set(Some(i)); attack(); }>
                            <PixelCanvas rgba=grey_rgba(&pixels, 0.0, 1.0) width=28 height=28 scale=2 label=format!("test image of a {label}")/>
                        </button>
                    }).collect_view())}
                </div>
                <div class="shift-controls">
                    <label>
                        {move || format!("Epsilon: {:.2}", epsilon.get())}
                        <input type="range" min="0" max="0.5" step="0.01" data-testid="adv-epsilon" aria-label="Epsilon"
                            prop:value=move || epsilon.get().to_string()
                            on:input=move |ev| epsilon.set(event_target_value(&ev).parse().unwrap_or(0.1))
                            on:change=move |_| attack() disabled=move || !ready()/>
                    </label>
                    <label>
                        "Attack: "
                        <select data-testid="adv-target" disabled=move || !ready() on:change=move |ev| {
                            target.set(event_target_value(&ev).parse().ok());
                            attack();
                        }>
                            <option value="none">"untargeted (fast gradient sign)"</option>
                            {(0..10u8).map(|d| view! { <option value=d.to_string()>{format!("targeted: make it a {d}")}</option> }).collect_view()}
                        </select>
                    </label>
                </div>
                <AttackResult state=state/>
            </section>
        </LabArticle>
    }
}

/// Section 1: the model to attack (a quick one, or the MNIST lab's) and its accuracy under
/// attacks of growing strength.
#[component]
fn ModelSection(state: Memo<Option<AttackView>>, prepare: Callback<Option<LabModel>>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let ready = move || state.with(|s| s.as_ref().is_some_and(|s| s.state.phase == Phase::Finished));
    // The MNIST lab's largest model, once that lab has tested one: the page keeps its weights
    // and sends them, so any worker of the pool can attack it.
    let has_lab_model =
        move || ctx.session.with(|s| [&s.mnist, &s.mnist_check].into_iter().flatten().any(|m| !m.weights.is_empty()));
    // The lab's own model is being prepared (other labs may train meanwhile).
    let busy = |s: &crate::session::Session| s.attacks.as_ref().is_some_and(|a| a.state.is_active());
    let sweep_chart = move || {
        state.with(|s| {
            let s = s.as_ref().filter(|s| !s.sweep.is_empty())?;
            Some(
                LineChart {
                    title: "Test accuracy under the fast gradient sign attack".into(),
                    x_label: "epsilon (pixels in 0..1)".into(),
                    y_label: "accuracy (%)".into(),
                    series: vec![Series {
                        name: "1,000 test images".into(),
                        points: s.sweep.clone(),
                        colour: TRAIN_COLOUR,
                        dashed: false,
                    }],
                    y_range: Some((0.0, 100.0)),
                    markers: vec![],
                }
                .to_svg(),
            )
        })
    };
    let sweep_rows = Signal::derive(move || {
        state.with(|s| {
            s.as_ref()
                .map(|s| s.sweep.iter().map(|(e, a)| vec![format!("{e:.3}"), format!("{a:.1}")]).collect())
                .unwrap_or_default()
        })
    });
    view! {
    <section aria-labelledby="adv-model-title">
        <h3 id="adv-model-title">"1. A model to attack"</h3>
        <p>"A quick MNIST model (784-128-64-10, trained here on 2,000 balanced images for 15 epochs), then its accuracy on 1,000 balanced test images under attacks of growing strength."</p>
        <div class="buttons">
            <button type="button" data-testid="adv-prepare" on:click=move |_| prepare.run(None)
                disabled=move || ctx.session.with(|s| busy(s) || s.engine() != crate::session::Engine::Ready)>
                {move || if ready() { "Train a new quick model" } else { "Train a quick MNIST model" }}
            </button>
            <button type="button" data-testid="adv-lab-model" on:click=move |_| prepare.run(ctx.session.with_untracked(|s| s.mnist_lab_model()))
                title="Available after a run of the MNIST lab"
                disabled=move || !has_lab_model() || ctx.session.with(busy)>
                "Attack the MNIST lab's model"
            </button>
        </div>
        {move || state.get().map(|s| {
            let DataProgress { loaded_bytes: loaded, total_bytes: total, .. } = s.state.data.unwrap_or_default();
            view! {
                <div class="progress" data-testid="adv-progress" data-phase=s.state.phase.name()>
                    <progress max=total.max(1) value=loaded aria-label="MNIST download"></progress>
                    <span>{match s.state.phase {
                        Phase::Finished => format!("Ready: {}, {:.1}% clean test accuracy.", s.model, s.sweep.first().map_or(0.0, |x| x.1)),
                        Phase::Failed | Phase::Interrupted => s.state.phase.name().to_string(),
                        _ if loaded < total || total == 0 => format!("Loading MNIST: {:.1} of {:.1} MB", loaded as f64 / 1e6, total as f64 / 1e6),
                        _ => "Training the model and sweeping epsilon…".to_string(),
                    }}</span>
                    {s.state.error.map(|e| view! { <p class="error" role="alert" data-testid="adv-error">{e}</p> })}
                </div>
            }
        })}
        {move || sweep_chart().map(|svg| view! { <div class="charts"><Svg svg=svg testid="adv-sweep-chart"/></div> })}
        <DataTable caption="accuracy per epsilon" headers=vec!["epsilon", "accuracy (%)"] rows=sweep_rows testid="adv-sweep-table"/>
    </section>
    }
}

/// The latest attack: the original, the perturbation, the adversarial image, the probabilities
/// before and after, and what it took.
#[component]
fn AttackResult(state: Memo<Option<AttackView>>) -> impl IntoView {
    move || {
        state.get().and_then(|s| s.attack.map(|a| (a, s.attacking))).map(|(Attacked { label, target, epsilon: eps, result: a, .. }, busy)| {
            let (before, after) = (Attack::predicted(&a.before), Attack::predicted(&a.after));
            let how = match target {
                Some(t) if after == t as usize => format!("Targeted: the model says {t} after {} steps of 0.01.", a.steps),
                Some(t) => format!("Targeted: {t} not reached within {} steps.", a.steps),
                None => format!("One fast gradient sign step of epsilon {eps:.2}."),
            };
            let max_change = a.perturbation.iter().fold(0f32, |m, d| m.max(d.abs()));
            view! {
                <div class="shift-view" data-testid="adv-result" aria-busy=busy.to_string()>
                    <figure><PixelCanvas rgba=grey_rgba(&a.original, 0.0, 1.0) width=28 height=28 scale=5 label=format!("original: a {label}")/><figcaption>{format!("original (label {label}): model says {before}")}</figcaption></figure>
                    <figure><PixelCanvas rgba=perturbation_rgba(&a.perturbation) width=28 height=28 scale=5 label="the perturbation, amplified"/><figcaption>{format!("perturbation, amplified (largest change {max_change:.3}; red brighter, blue darker)")}</figcaption></figure>
                    <figure><PixelCanvas rgba=grey_rgba(&a.adversarial, 0.0, 1.0) width=28 height=28 scale=5 label="the adversarial image"/><figcaption data-testid="adv-after">{format!("adversarial: model says {after}")}</figcaption></figure>
                    <Probabilities before=a.before.clone() after=a.after.clone()/>
                    <p class="answer" data-testid="adv-answer">
                        {how}" "
                        // The flip scan belongs to the untargeted attack only.
                        {target.is_none().then(|| a.flips_at.map_or_else(
                            || "No epsilon up to 0.5 changes this prediction.".to_string(),
                            |e| format!("The smallest epsilon that changes this prediction is {e:.3}."),
                        ))}
                    </p>
                </div>
            }
        })
    }
}
