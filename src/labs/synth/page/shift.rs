//! The shift demo: move a bar around a trained Synth CNN's input and watch its feature maps
//! move with it while the answer stays.

use leptos::prelude::*;

use crate::activations::Input;
use crate::data::synthetic::{self, Bar, Orientation, SIZE};
use crate::labs::synth::answers;
use crate::plot::{grey_rgba, heatmap_svg};
use crate::protocol::ToWorker;
use crate::session::Probe;
use crate::web::kit::Ctx;
use crate::web::kit::inside::InsideView;
use crate::web::kit::widgets::{PixelCanvas, Svg};

/// A sweep grid as a heatmap (blue 0, white 0.5, red 1), with the demo's bar marked.
fn sweep_svg(grid: &crate::run::SweepGrid, mark: Option<(usize, usize)>, label: &str) -> String {
    let mut s = heatmap_svg(&grid.p_true, grid.rows, grid.cols, 0.5, 0.5, label);
    if let Some((r, c)) = mark.filter(|&(r, c)| r < grid.rows && c < grid.cols) {
        // 24 units a cell, as heatmap_svg draws them.
        s.truncate(s.len() - "</svg>".len());
        s += &format!(
            r##"<rect x="{}" y="{}" width="24" height="24" fill="none" stroke="#000" stroke-width="5" data-testid="sweep-mark"/></svg>"##,
            c * 24,
            r * 24
        );
    }
    s
}

#[component]
pub(super) fn ShiftDemo() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let orientation = RwSignal::new(Orientation::Vertical);
    let centred = Bar::centred(Orientation::Vertical);
    let row = RwSignal::new(centred.row);
    let col = RwSignal::new(centred.col);
    let bar = Memo::new(move |_| Bar { orientation: orientation.get(), row: 0, col: 0 }.moved_to(row.get(), col.get()));
    let image = Memo::new(move |_| synthetic::render(bar.get(), synthetic::PROBE_NOISE_SEED));
    let trained = Memo::new(move |_| ctx.session.with(|s| s.trained().map(|r| r.id)));
    let max = move || Bar::max_position(orientation.get());

    // Ask the worker what the trained model sees whenever the image or the model changes.
    Effect::new(move |_| {
        if let Some(run) = trained.get() {
            ctx.probe(ToWorker::Probe { run, image: image.get() });
        }
    });
    let probe =
        Memo::new(move |_| ctx.session.with(|s| s.probe.clone().filter(|p| Some(p.run) == s.trained().map(|r| r.id))));
    let map = move |c: usize| {
        Signal::derive(move || {
            probe.with(|p| {
                p.as_ref()
                    .map(|p| {
                        let [_, h, w] = p.map_shape;
                        let top = p.maps.iter().cloned().fold(0f32, f32::max).max(1e-6);
                        grey_rgba(&p.maps[c * h * w..(c + 1) * h * w], 0.0, top)
                    })
                    .unwrap_or_default()
            })
        })
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let (max_r, max_c) = max();
        let (dr, dc): (i64, i64) = match ev.key().as_str() {
            "ArrowUp" => (-1, 0),
            "ArrowDown" => (1, 0),
            "ArrowLeft" => (0, -1),
            "ArrowRight" => (0, 1),
            _ => return,
        };
        ev.prevent_default();
        row.set((row.get_untracked() as i64 + dr).clamp(0, max_r as i64) as usize);
        col.set((col.get_untracked() as i64 + dc).clamp(0, max_c as i64) as usize);
    };
    let inside = Memo::new(move |_| ctx.session.with(|s| s.trained().and_then(|r| r.inside.clone())));
    view! {
        <section aria-labelledby="shift-title" class="shift">
            <h3 id="shift-title">"5. Shift invariance, live"</h3>
            {move || trained.get().is_none().then(|| view! { <p class="empty" data-testid="shift-needs-model">"Train a model first: this demo runs the model you trained."</p> })}
            <BarControls orientation=orientation row=row col=col/>
            <div class="shift-view" tabindex="0" on:keydown=on_key data-testid="shift-view" data-shortcut="arrows"
                aria-label="Shift demo: arrow keys move the bar">
                <figure>
                    <PixelCanvas rgba=Signal::derive(move || grey_rgba(&image.get(), 0.0, 1.0)) width=SIZE as u32 height=SIZE as u32 scale=6
                        label=Signal::derive(move || { let b = bar.get(); format!("input: {} bar at row {}, column {}", b.orientation.name(), b.row, b.col) })
                        testid="shift-input"/>
                    <figcaption>"input (arrow keys move the bar)"</figcaption>
                </figure>
                {(0..2).map(|c| view! {
                    <figure>
                        <PixelCanvas rgba=map(c) width=24 height=24 scale=7 label=format!("feature map of kernel {}", c + 1) testid=format!("feature-map-{c}")/>
                        <figcaption>{format!("kernel {} after ReLU", c + 1)}</figcaption>
                    </figure>
                }).collect_view()}
                <ClassProbabilities probe=probe/>
            </div>
            {move || trained.get().map(|run| view! {
                <p>
                    <button type="button" data-testid="inside-show"
                        on:click=move |_| ctx.send(&ToWorker::LookInside { run, input: Input::Pixels(image.get_untracked()) })>
                        "Look inside: every layer for this image"
                    </button>
                </p>
            })}
            {move || inside.get().map(|a| view! { <InsideView activations=a testid="synth-inside"/> })}
            <PositionSweep bar=bar/>
        </section>
    }
}

/// The bar's orientation, its row and column as sliders, and a button to centre it.
#[component]
fn BarControls(orientation: RwSignal<Orientation>, row: RwSignal<usize>, col: RwSignal<usize>) -> impl IntoView {
    let max = move || Bar::max_position(orientation.get());
    let set_orientation = move |o: Orientation| {
        orientation.set(o);
        let (max_r, max_c) = Bar::max_position(o);
        row.update(|r| *r = (*r).min(max_r));
        col.update(|c| *c = (*c).min(max_c));
    };
    let slider = move |label: &'static str, id: &'static str, value: RwSignal<usize>, max: Signal<usize>| {
        view! {
            <div class="field">
                <label for=id>{label} ": " {move || value.get()}</label>
                <input
                    id=id
                    type="range"
                    min="0"
                    max=move || max.get()
                    prop:value=move || value.get().to_string()
                    data-testid=id
                    on:input=move |ev| value.set(event_target_value(&ev).parse().unwrap_or(0))
                />
            </div>
        }
    };
    view! {
    <div class="shift-controls">
        <fieldset>
            <legend>"Bar"</legend>
            {[Orientation::Horizontal, Orientation::Vertical].into_iter().map(|o| view! {
                <label>
                    <input type="radio" name="orientation" data-testid=format!("orientation-{}", o.name())
                        prop:checked=move || orientation.get() == o
                        on:change=move |_| set_orientation(o)/>
                    {o.name()}
                </label>
            }).collect_view()}
        </fieldset>
        {slider("Row", "shift-row", row, Signal::derive(move || max().0))}
        {slider("Column", "shift-col", col, Signal::derive(move || max().1))}
        <button type="button" on:click=move |_| { let b = Bar::centred(orientation.get()); row.set(b.row); col.set(b.col); }>"Centre"</button>
    </div>
    }
}

/// The class probabilities of the probed image, the class picked marked.
#[component]
fn ClassProbabilities(probe: Memo<Option<Probe>>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let at_chance =
        Memo::new(move |_| ctx.session.with(|s| s.trained().is_some_and(|r| answers::verdict(&r.records).at_chance())));
    // The class the model picks: the larger probability, ties to the last class (the rule
    // `evaluate` uses).
    let predicted = Memo::new(move |_| {
        probe.with(|p| {
            p.as_ref().and_then(|p| {
                (0..p.probs.len()).rev().max_by(|&a, &b| p.probs[a].total_cmp(&p.probs[b]).then(b.cmp(&a)))
            })
        })
    });
    view! {
        <div class="probs" data-testid="probs">
            <h4>"Class probabilities"</h4>
            {move || probe.with(|p| p.as_ref().map(|p| {
                p.probs.iter().enumerate().map(|(i, &q)| {
                    let chosen = predicted.get() == Some(i);
                    view! {
                        <div class="prob" class:predicted=chosen>
                            <span class="name">{synthetic::CLASS_NAMES[i]}</span>
                            <meter min="0" max="1" value=q aria-label=format!("probability {}", synthetic::CLASS_NAMES[i])></meter>
                            <span class="value" data-testid=format!("prob-{}", synthetic::CLASS_NAMES[i])>{format!("{:.1}%", 100.0 * q)}</span>
                            {chosen.then(|| view! { <span class="badge" data-testid="predicted">"predicted"</span> })}
                        </div>
                    }
                }).collect_view()
            }))}
            {move || at_chance.get().then(|| view! {
                <p class="note" data-testid="probs-at-chance">"This model stayed at chance: its probabilities are a coin toss, not a judgement of the bar."</p>
            })}
        </div>
    }
}

/// The true class's probability at every position of the bar, the demo's bar marked.
#[component]
fn PositionSweep(bar: Memo<Bar>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let sweep = Memo::new(move |_| ctx.session.with(|s| s.trained().and_then(|r| r.sweep.clone())));
    view! {
    {move || sweep.get().map(|sweep| view! {
        <h4>"The true class's probability at every position"</h4>
        <p>"Each cell is one position of the bar's top-left corner (row down, column across); the black square marks the bar in the demo above."</p>
        <div class="colour-scale" data-testid="sweep-scale" aria-hidden="true">
            <span>"0: wrong"</span><span class="ramp"></span><span>"1: right"</span>
        </div>
        <p class="sr-only">"Colour scale: blue is probability 0 for the true class (wrong), white 0.5 (undecided), red 1 (right)."</p>
        <div class="sweeps" data-testid="sweep">
            {sweep.grids.iter().map(|g| {
                let name = Orientation::from_label(g.class).name();
                let grid = g.clone();
                let svg = Signal::derive(move || {
                    let b = bar.get();
                    let mark = (b.orientation.label() == grid.class).then_some((b.row, b.col));
                    sweep_svg(&grid, mark, &format!("{name} bars: the true class's probability at each corner position"))
                });
                view! {
                    // One size per cell, so both grids read alike.
                    <figure class="sweep" style=format!("width:{}rem", g.cols as f32 * 0.5 + 2.0)>
                        <div class="axis-x">{format!("column 0 to {} →", g.cols - 1)}</div>
                        <div class="sweep-body">
                            <div class="axis-y">{format!("row 0 to {} ↓", g.rows - 1)}</div>
                            <Svg svg=svg testid=format!("sweep-{name}")/>
                        </div>
                        <figcaption>{format!("{name} bars")}</figcaption>
                    </figure>
                }
            }).collect_view()}
        </div>
    })}
    }
}
