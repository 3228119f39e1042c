//! The perceptron learning rule's panel: pick a truth table, train one perceptron by the rule
//! in the worker, and read every pass, how the run ended and why.

use leptos::prelude::*;

use crate::labs::perceptrons::{Preset, TruthTable};
use crate::labs::rule::{RuleLab, RuleView, answer, field, weights_text};
use crate::labs::{LabId, RunKind};
use crate::plot::{LineChart, Series, TRAIN_COLOUR};
use crate::protocol::{Job, ToWorker};
use crate::session::Phase;
use crate::web::kit::widgets::{DataTable, FormFields, LabArticle, ShareLink, Svg};
use crate::web::kit::{Ctx, Keep};

/// The tables offered in one click: a random one could be either kind, so it is left out.
const PRESETS: [Preset; 4] = [Preset::And, Preset::Or, Preset::Majority, Preset::Xor];

#[component]
pub fn RulePanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let form = ctx.lab_form(LabId::Rule, RuleLab::and().form());
    let parsed = Memo::new(move |_| form.with(|f| RuleLab::parse(f).map_err(|e| e.to_string())));
    let inputs = move || parsed.with(|p| p.as_ref().map_or(2, |l| l.table.inputs));
    let set_table = move |table: TruthTable| {
        let bits: Vec<String> = table.outputs.iter().map(|&b| u8::from(b).to_string()).collect();
        form.update(|f| {
            f.set(field::TRUTH.key, bits.join(","));
        });
    };
    let view_state = Memo::new(move |_| ctx.session.with(|s| s.rule.clone()));
    let active = move || view_state.with(|v| v.as_ref().is_some_and(|v| v.run.is_active()));
    let can_train = move || parsed.with(Result::is_ok) && !active() && ctx.session.with(|s| s.can_start());
    let train = move |_| {
        if let Ok(lab) = parsed.get_untracked() {
            let bits: Vec<String> = lab.table.outputs.iter().map(|&b| u8::from(b).to_string()).collect();
            let name = format!("Perceptron rule on {}, η {}, seed {}", bits.join(""), lab.train.lr, lab.train.seed);
            ctx.start(Job::Rule { lab }, Some(Keep { kind: RunKind::PerceptronRule, name, continues: None }));
        }
    };
    let stop = move |_| {
        if let Some(run) = view_state.with_untracked(|v| v.as_ref().map(|v| v.run.id)) {
            ctx.send(&ToWorker::Stop { run });
        }
    };
    view! {
        <LabArticle id="rule" title="The perceptron learning rule" lead=concat!("One perceptron, y = step(w·x + b), learns a truth table by the classic rule: on each row it gets ", "wrong, w ← w + η (t − y) x and b ← b + η (t − y). Where a line separates the true rows from the false ", "it stops making mistakes; on XOR it cannot, and its weights go round in a cycle.")>
            <section aria-labelledby="rule-setup-title">
                <h3 id="rule-setup-title">"1. The table and the rule"</h3>
                <div class="buttons" role="group" aria-label="Truth tables">
                    <label for="rule-inputs">"Inputs "</label>
                    <select id="rule-inputs" data-testid="rule-inputs"
                        on:change=move |ev| set_table(TruthTable::preset(Preset::And, event_target_value(&ev).parse().unwrap_or(2), 0))>
                        <option value="2" selected=move || inputs() == 2>"2"</option>
                        <option value="3" selected=move || inputs() == 3>"3"</option>
                    </select>
                    {PRESETS.map(|p| view! {
                        <button type="button" data-testid=format!("rule-preset-{}", p.slug())
                            on:click=move |_| set_table(TruthTable::preset(p, inputs(), 0))>{p.label()}</button>
                    })}
                </div>
                <FormFields form=form legend="Table and rule" fields=&[field::TRUTH, field::LR, field::PASSES, field::SEED] class="train-form"/>
                {move || parsed.get().err().map(|e| view! { <p class="error" role="alert">{format!("Cannot train: {e}.")}</p> })}
                <ShareLink lab=LabId::Rule form=form/>
                <div class="buttons">
                    <button type="button" data-testid="rule-train" data-shortcut="space" disabled=move || !can_train() on:click=train>"Train the perceptron"</button>
                    <button type="button" data-testid="rule-stop" disabled=move || !active() on:click=stop>"Stop"</button>
                </div>
                {move || view_state.get().map(|v| view! {
                    <p role="status" data-testid="rule-status" data-phase=v.run.state.phase.name()>{status(&v)}</p>
                })}
            </section>
            <ResultSection view_state=view_state/>
        </LabArticle>
    }
}

/// Section 2: how the run ended and why, the last weights on every row, every pass.
#[component]
fn ResultSection(view_state: Memo<Option<RuleView>>) -> impl IntoView {
    view! {
    <section aria-labelledby="rule-result-title">
        <h3 id="rule-result-title">"2. Every pass, and how it ended"</h3>
        {move || view_state.get().and_then(|v| Some((v.run.lab.clone(), v.result?))).map(|(lab, run)| {
            let chart = LineChart {
                title: "Mistakes per pass over the table".into(),
                x_label: "pass".into(),
                y_label: "mistakes".into(),
                series: vec![Series {
                    name: "mistakes".into(),
                    points: run.passes.iter().enumerate().map(|(i, p)| ((i + 1) as f64, p.mistakes as f64)).collect(),
                    colour: TRAIN_COLOUR,
                    dashed: false,
                }],
                y_range: Some((0.0, lab.table.outputs.len() as f64)),
                markers: vec![],
            }
            .to_svg();
            let rows = Signal::stored(
                run.passes.iter().enumerate().map(|(i, p)| vec![(i + 1).to_string(), p.mistakes.to_string(), weights_text(&p.weights)]).collect(),
            );
            let outputs = Signal::stored(
                (0..lab.table.outputs.len())
                    .map(|r| {
                        let x: Vec<String> = lab.table.row(r).iter().map(|&b| u8::from(b).to_string()).collect();
                        let (t, y) = (lab.table.outputs[r], run.outputs[r]);
                        vec![x.join(" "), u8::from(t).to_string(), u8::from(y).to_string(), (if t == y { "right" } else { "wrong" }).to_string()]
                    })
                    .collect(),
            );
            view! {
                <p class="answer" data-testid="rule-answer">{answer(&lab, &run)}</p>
                <div class="charts"><Svg svg=chart testid="rule-chart"/></div>
                <DataTable caption="the last weights on every row" headers=vec!["inputs", "wanted", "perceptron", ""] rows=outputs testid="rule-outputs"/>
                <DataTable caption="one row per pass" headers=vec!["pass", "mistakes (updates)", "weights after it"] rows=rows testid="rule-passes"/>
            }
        })}
    </section>
    }
}

/// The run's state in words.
fn status(v: &RuleView) -> String {
    match v.run.state.phase {
        Phase::Finished => match v.run.records.len() {
            1 => "Finished after 1 pass.".to_string(),
            n => format!("Finished after {n} passes."),
        },
        Phase::Failed | Phase::Interrupted => v.run.state.error.clone().unwrap_or_default(),
        _ => format!("Training: pass {}…", v.run.records.len() + 1),
    }
}
