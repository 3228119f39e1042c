//! HOMEWORK section 7, first question: a network of perceptrons for any truth table, built
//! and checked on every row as the student edits the table.

use leptos::prelude::*;

use crate::labs::perceptrons::perceptron_svg;
use crate::labs::perceptrons::{PerceptronNet, Preset, TruthTable};
use crate::web::kit::widgets::{LabArticle, Svg};

#[component]
pub fn PerceptronPanel() -> impl IntoView {
    let table = RwSignal::new(TruthTable::preset(Preset::Xor, 2, 0));
    let seed = RwSignal::new(0u64);
    let net = Memo::new(move |_| table.with(PerceptronNet::construct));
    let set_inputs = move |ev: leptos::ev::Event| {
        let inputs: usize = event_target_value(&ev).parse().unwrap_or(2);
        table.set(TruthTable::preset(Preset::Xor, inputs, 0));
    };
    let preset = move |preset: Preset| {
        move |_| {
            seed.update(|s| *s += 1);
            let inputs = table.with_untracked(|t| t.inputs);
            table.set(TruthTable::preset(preset, inputs, seed.get_untracked()));
        }
    };
    let rows = move || {
        let t = table.get();
        let net = net.get();
        (0..t.outputs.len())
            .map(|r| {
                let inputs = t.row(r);
                let (_, out) = net.evaluate(&inputs);
                let wanted = t.outputs[r];
                view! {
                    <tr data-testid=format!("row-{r}")>
                        {inputs.iter().map(|&b| view! { <td>{u8::from(b)}</td> }).collect_view()}
                        <td>
                            <input type="checkbox" prop:checked=wanted aria-label=format!("output of row {r}")
                                data-testid=format!("want-{r}")
                                on:change=move |_| table.update(|t| t.outputs[r] = !t.outputs[r])/>
                        </td>
                        <td data-testid=format!("net-{r}")>{u8::from(out)}</td>
                        <td>{if out == wanted { "✓ correct" } else { "✗ wrong" }}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    let summary = move || {
        let t = table.get();
        let net = net.get();
        let correct = (0..t.outputs.len()).filter(|&r| net.evaluate(&t.row(r)).1 == t.outputs[r]).count();
        format!(
            "{} hidden perceptrons (one per true row) and an OR unit compute this function: {correct} of {} rows correct.",
            net.hidden.len(),
            t.outputs.len()
        )
    };
    view! {
        <LabArticle id="logic" title="Perceptrons compute any boolean function" lead=concat!("Edit the truth table, or pick a preset. nnlab builds a network of perceptrons (step activations) that ", "computes it exactly: one hidden unit per true row, which fires on that row alone, and an output unit that ", "fires when any hidden unit does. Every row is checked.")>
            <div class="buttons">
                <label for="logic-inputs">"Inputs "</label>
                <select id="logic-inputs" data-testid="logic-inputs" on:change=set_inputs>
                    <option value="2" selected=true>"2"</option>
                    <option value="3">"3"</option>
                    <option value="4">"4"</option>
                </select>
                {Preset::ALL.map(|p| view! {
                    <button type="button" data-testid=format!("preset-{}", p.slug()) on:click=preset(p)>{p.label()}</button>
                })}
            </div>
            <div class="logic">
                <table class="truth" data-testid="truth-table">
                    <caption>"Truth table: tick the rows where the function is 1"</caption>
                    <thead>
                        <tr>
                            {move || (1..=table.with(|t| t.inputs)).map(|i| view! { <th scope="col">{format!("x{i}")}</th> }).collect_view()}
                            <th scope="col">"wanted"</th>
                            <th scope="col">"network"</th>
                            <th scope="col">"check"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
                <Svg svg=Signal::derive(move || table.with(|t| perceptron_svg(&net.get(), t))) testid="network"/>
            </div>
            <p class="answer" data-testid="logic-summary">{summary}</p>
        </LabArticle>
    }
}
