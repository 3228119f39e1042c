//! "Can linear layers learn XOR?" (HOMEWORK section 7): the same network trained with linear
//! and with ReLU activations, their decision regions, and the linear one multiplied out.

use leptos::prelude::*;

use crate::labs::LabId;
use crate::labs::xor::{
    Affine, Decision, POINTS, XorLab, XorRun, XorView, answer, decision_svg, field, is_constant, parse_truth,
    truth_text,
};
use crate::plot::{LineChart, Series, TRAIN_COLOUR, VALID_COLOUR, format_value};
use crate::protocol::Job;
use crate::session::Phase;
use crate::web::kit::Ctx;
use crate::web::kit::widgets::{DataTable, FormFields, LabArticle, ShareLink, Svg};

const PRESETS: [(&str, [bool; 4]); 5] = [
    ("XOR", [false, true, true, false]),
    ("XNOR", [true, false, false, true]),
    ("AND", [false, false, false, true]),
    ("OR", [false, true, true, true]),
    ("NAND", [true, true, true, false]),
];

fn matrix_rows(a: &Affine) -> Vec<Vec<String>> {
    (0..a.inputs)
        .map(|i| {
            let mut row = vec![format!("x{}", i + 1)];
            row.extend((0..a.outputs).map(|o| format_value(a.w[i * a.outputs + o] as f64)));
            row
        })
        .chain(std::iter::once(
            std::iter::once("bias".to_string()).chain(a.b.iter().map(|b| format_value(*b as f64))).collect(),
        ))
        .collect()
}

#[component]
fn NetResult(run: XorRun, truth: [bool; 4]) -> impl IntoView {
    let id = run.activation.name().to_lowercase();
    let constant = is_constant(&run);
    let svg = decision_svg(&run.grid, truth, &format!("Decision regions of the {} network", run.activation.name()));
    let rows: Vec<Vec<String>> = POINTS
        .iter()
        .zip(&run.outputs)
        .zip(truth)
        .map(|((p, o), t)| {
            vec![format!("({}, {})", p[0], p[1]), t.to_string(), format!("{o:.3}"), Decision::of(*o, t).name().into()]
        })
        .collect();
    view! {
        <figure class="xor-net" data-testid=format!("xor-{id}")>
            <h4>{format!("{} activations: ", run.activation.name())}<span data-testid=format!("xor-{id}-accuracy")>{format!("{:.0}%", run.accuracy)}</span>" of the four points"</h4>
            <Svg svg=svg testid=format!("xor-{id}-regions")/>
            <figcaption>"Probability of true over the input square: red 1, white 0.5, blue 0; filled dots should be true."
                {constant.then_some(" All white: this network says 0.5 everywhere, it drew no boundary.")}</figcaption>
            <table class="compare">
                <thead><tr>{["input", "target", "p(true)", ""].map(|h| view! { <th scope="col">{h}</th> }).collect_view()}</tr></thead>
                <tbody>{rows.into_iter().map(|r| view! { <tr>{r.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}</tr> }).collect_view()}</tbody>
            </table>
            {run.collapsed.map(|a| view! {
                <table class="compare" data-testid="xor-collapsed">
                    <caption>"The linear network multiplied out: one matrix W and bias b (logits = x W + b)"</caption>
                    <thead><tr><th scope="col"></th><th scope="col">"logit false"</th><th scope="col">"logit true"</th></tr></thead>
                    <tbody>{matrix_rows(&a).into_iter().map(|r| view! { <tr>{r.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}</tr> }).collect_view()}</tbody>
                </table>
            })}
        </figure>
    }
}

/// Section 2: what each network learned, the answer, and the losses.
#[component]
fn ResultSection(view_state: Memo<Option<XorView>>) -> impl IntoView {
    let loss_chart = move || {
        view_state.with(|v| {
            let (linear, relu) = v.as_ref()?.result.as_ref()?;
            let points = |r: &XorRun| r.losses.iter().enumerate().map(|(i, l)| ((i + 1) as f64, *l)).collect();
            Some(
                LineChart {
                    title: "Loss per step (cross-entropy, all four points)".into(),
                    x_label: "step".into(),
                    y_label: "loss".into(),
                    series: vec![
                        Series { name: "linear".into(), points: points(linear), colour: TRAIN_COLOUR, dashed: true },
                        Series { name: "ReLU".into(), points: points(relu), colour: VALID_COLOUR, dashed: false },
                    ],
                    y_range: None,
                    markers: vec![],
                }
                .to_svg(),
            )
        })
    };
    let loss_rows = Signal::derive(move || {
        view_state.with(|v| {
            v.as_ref()
                .and_then(|v| v.result.as_ref())
                .map(|(l, r)| {
                    l.losses
                        .iter()
                        .zip(&r.losses)
                        .enumerate()
                        .filter(|(i, _)| i % 20 == 0 || *i + 1 == l.losses.len())
                        .map(|(i, (a, b))| vec![(i + 1).to_string(), format_value(*a), format_value(*b)])
                        .collect()
                })
                .unwrap_or_default()
        })
    });
    view! {
    <section aria-labelledby="xor-result-title">
        <h3 id="xor-result-title">"2. What each network learned"</h3>
        {move || view_state.get().and_then(|v| v.result.map(|(l, r)| (v.lab, l, r))).map(|(lab, linear, relu)| {
            let text = answer(&lab, &linear, &relu);
            view! {
                <div class="xor-results">
                    <NetResult run=linear truth=lab.truth/>
                    <NetResult run=relu truth=lab.truth/>
                </div>
                <p class="answer" data-testid="xor-answer">{text}</p>
            }
        })}
        {move || loss_chart().map(|svg| view! { <div class="charts"><Svg svg=svg testid="xor-loss-chart"/></div> })}
        <DataTable caption="loss every 20 steps" headers=vec!["step", "linear", "ReLU"] rows=loss_rows testid="xor-loss-table"/>
    </section>
    }
}

/// Where the page keeps the lab's last result: it trains in a blink and is not a saved run,
/// but a reload should not empty the lab.
const LAST_KEY: &str = "nnlab-xor-last";

type LastResult = (XorLab, XorRun, XorRun);

fn load_last() -> Option<LastResult> {
    let text = window().local_storage().ok()??.get_item(LAST_KEY).ok()??;
    crate::protocol::read_json(&text).ok()
}

fn keep_last(last: &LastResult) {
    if let (Some(storage), Ok(text)) = (window().local_storage().ok().flatten(), serde_json::to_string(last)) {
        let _ = storage.set_item(LAST_KEY, &text);
    }
}

#[component]
pub fn XorPanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    if ctx.session.with_untracked(|s| s.xor.is_none())
        && let Some((lab, linear, relu)) = load_last()
    {
        ctx.session.update(|s| s.restore_xor(lab, linear, relu));
    }
    let form = ctx.lab_form(LabId::Xor, XorLab::xor().form());
    // The toggles show the table as typed so far (all false until it parses).
    let truth = Signal::derive(move || form.with(|f| parse_truth(f).unwrap_or_default()));
    let set_truth = move |t: [bool; 4]| {
        form.update(|f| {
            f.set(field::TRUTH.key, truth_text(t));
        })
    };
    let parsed = Memo::new(move |_| form.with(|f| XorLab::parse(f).map_err(|e| e.to_string())));
    let view_state = Memo::new(move |_| ctx.session.with(|s| s.xor.clone()));
    Effect::new(move |_| {
        view_state.with(|v| {
            if let Some(v) = v.as_ref().filter(|v| v.state.status.as_deref() != Some(crate::session::RESTORED))
                && let Some((linear, relu)) = &v.result
            {
                keep_last(&(v.lab.clone(), linear.clone(), relu.clone()));
            }
        })
    });
    let can_train = move || {
        parsed.with(|p| p.is_ok()) && !ctx.session.with(|s| s.xor.as_ref().is_some_and(|x| x.state.is_active()))
    };
    let train = move |_| {
        if let Ok(lab) = parsed.get_untracked() {
            ctx.start(Job::Xor { lab }, None);
        }
    };
    view! {
        <LabArticle id="xor" title="Linear layers cannot learn XOR" lead=concat!("Two networks of the same shape learn a 2-input function from its four points: one with linear ", "activations, one with ReLU. Stack as many linear layers as you like: their product is one matrix, so ", "the boundary stays a straight line.")>
            <section aria-labelledby="xor-setup-title">
                <h3 id="xor-setup-title">"1. The function and the network"</h3>
                <div class="buttons" role="group" aria-label="Presets">
                    {PRESETS.map(|(name, t)| view! {
                        <button type="button" data-testid=format!("xor-preset-{}", name.to_lowercase()) aria-pressed=move || (truth.get() == t).to_string() on:click=move |_| set_truth(t)>{name}</button>
                    }).collect_view()}
                </div>
                <table class="compare" data-testid="xor-truth">
                    <thead><tr><th scope="col">"x1"</th><th scope="col">"x2"</th><th scope="col">"output"</th></tr></thead>
                    <tbody>
                        {(0..4).map(|i| view! {
                            <tr>
                                <td>{POINTS[i][0]}</td><td>{POINTS[i][1]}</td>
                                <td><input type="checkbox" aria-label=format!("output for ({}, {})", POINTS[i][0], POINTS[i][1])
                                    prop:checked=move || truth.get()[i]
                                    on:change=move |ev| { let mut t = truth.get_untracked(); t[i] = event_target_checked(&ev); set_truth(t); }/></td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                <FormFields form=form legend="Network and training (Adam, full batch)" fields=&[field::HIDDEN, field::STEPS, field::LR, field::SEED] class="train-form"/>
                {move || parsed.get().err().map(|e| view! { <p class="error" role="alert">{format!("Cannot train: {e}.")}</p> })}
                <ShareLink lab=LabId::Xor form=form/>
                <div class="buttons">
                    <button type="button" data-testid="xor-train" data-shortcut="space" disabled=move || !can_train() on:click=train>"Train both networks"</button>
                </div>
                {move || view_state.get().map(|v| view! {
                    <p role="status" data-testid="xor-status" data-phase=v.state.phase.name()>
                        {match v.state.phase {
                            Phase::Finished if v.state.status.as_deref() == Some(crate::session::RESTORED) => {
                                format!("{}: both networks as last trained.", crate::session::RESTORED)
                            }
                            Phase::Finished => "Both networks trained.".to_string(),
                            Phase::Failed | Phase::Interrupted => v.state.error.unwrap_or_default(),
                            _ => "Training…".to_string(),
                        }}
                    </p>
                })}
            </section>
            <ResultSection view_state=view_state/>
        </LabArticle>
    }
}
