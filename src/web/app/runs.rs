//! Saved runs: every run kept in this browser, to rename, delete, compare, resume after a
//! reload, export as a report (HTML, JSON, CSV) and import again.

use leptos::prelude::*;

use crate::data::synthetic::{SynthBuilder, Which};
use crate::labs::dogs::{DogLab, DogModel};
use crate::labs::synth::{SynthLab, answers};
use crate::labs::{LabId, RunKind};
use crate::plot::{LineChart, Series, TRAIN_COLOUR, VALID_COLOUR};
use crate::protocol::Job;
use crate::report::{DESCRIBED_IMAGES, Extras, lab_runs, report_html, sort_for_list, synth_data_seeds};
use crate::runs::{RunStatus, SavedRun, runs_csv};
use crate::web::kit::widgets::{LabArticle, Svg, download_text};
use crate::web::kit::{Ctx, Keep};
use crate::web::tabs::Announce;

/// Images generated between the browser's turns while the report describes a Synth data set.
const DESCRIBE_STEP: usize = 100;

/// What the report computes beyond the runs, a step at a time so no task holds the page.
async fn extras(runs: &[SavedRun]) -> Extras {
    let mut synth_data = vec![];
    for seed in synth_data_seeds(runs) {
        let mut builder = SynthBuilder::new(DESCRIBED_IMAGES, seed, Which::Train);
        while !builder.step(DESCRIBE_STEP) {
            crate::web::js::yield_now().await;
        }
        synth_data.push((seed, answers::data_answer(&builder.finish())));
    }
    Extras { synth_data }
}

/// Downloads the HTML report of `runs` as `{stem}.html`.
pub fn download_report(runs: Vec<SavedRun>, stem: String) {
    leptos::task::spawn_local(async move {
        let extras = extras(&runs).await;
        download_text(&format!("{stem}.html"), "text/html", &report_html(&runs, &extras));
    });
}

/// Downloads the report of `lab`'s saved runs (see [`lab_runs`]): what a lab panel's own
/// "Report" button does. Returns whether there was a run to report.
pub fn export_lab_report(ctx: Ctx, lab: LabId) -> bool {
    let runs = ctx.saved.with_untracked(|all| lab_runs(all, lab));
    if runs.is_empty() {
        return false;
    }
    download_report(runs, format!("nnlab-report-{}", lab.slug()));
    true
}

fn export(runs: &[SavedRun], what: &str) {
    let stem = if runs.len() == 1 { format!("nnlab-run-{}", runs[0].key) } else { "nnlab-runs".to_string() };
    match what {
        "html" => download_report(runs.to_vec(), stem),
        "json" => download_text(&format!("{stem}.json"), "application/json", &SavedRun::to_json(runs)),
        _ => download_text(&format!("{stem}.csv"), "text/csv", &runs_csv(runs)),
    }
}

/// The loss of two runs on one chart: validation loss where a run has it, training loss
/// where it has none (an MNIST model), each named so.
fn compare_svg(a: &SavedRun, b: &SavedRun) -> String {
    let series = |r: &SavedRun, colour, dashed| {
        let valid = r.epochs.iter().all(|e| e.valid_loss.is_some());
        let points = r
            .epochs
            .iter()
            .map(|e| (e.epoch as f64, if valid { e.valid_loss.unwrap_or(e.train_loss) } else { e.train_loss }));
        let which = if valid { "validation" } else { "training" };
        Series { name: format!("{} ({which} loss)", r.name), points: points.collect(), colour, dashed }
    };
    LineChart {
        title: "Loss per epoch, two runs".into(),
        x_label: "epoch".into(),
        y_label: "mean loss (cross-entropy)".into(),
        series: vec![series(a, TRAIN_COLOUR, false), series(b, VALID_COLOUR, true)],
        y_range: None,
        markers: vec![],
    }
    .to_svg()
}

/// Moves focus (and so the view) to the comparison chart once it is drawn.
fn show_comparison() {
    request_animation_frame(|| {
        use wasm_bindgen::JsCast;
        let chart =
            document().get_element_by_id("runs-compare").and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(chart) = chart {
            let _ = chart.focus();
        }
    });
}

/// Deletes the stored record under `key`, tells the other tabs, and saves again what the
/// browser refused for lack of room.
fn delete_record(ctx: Ctx, key: String) {
    leptos::task::spawn_local(async move {
        match crate::web::store::delete(&key).await {
            Ok(()) => {
                ctx.tell(&Announce::Deleted(key));
                ctx.retry_unsaved();
            }
            Err(e) => ctx.storage_error.set(Some(format!("could not delete the run: {e}"))),
        }
    });
}

/// A run's status in the list.
fn status_text(status: RunStatus, elsewhere: bool, unsaved: bool) -> String {
    let status = if elsewhere { "training in another tab" } else { status.name() };
    if unsaved { format!("{status}, not saved (storage full)") } else { status.to_string() }
}

/// What the browser answered when asked to keep this site's storage.
fn persist_text(kept: bool) -> &'static str {
    match kept {
        true => "This browser keeps these runs until you delete them (persistent storage granted).",
        false => {
            "This browser may delete these runs when it runs short of space (it did not grant persistent storage): export the runs you need to keep."
        }
    }
}

/// The records this page cannot read (saved by a newer nnlab, or damaged): named, with the
/// reason, to download as they are or delete after asking.
#[component]
fn UnreadableRecords() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let records = ctx.keeping.unreadable;
    let delete = move |key: String| {
        let asked = window().confirm_with_message(
            "Delete this record for good? This page cannot read it; a newer nnlab may. Download it first to keep it.",
        );
        if asked.unwrap_or(false) {
            records.update(|u| u.retain(|r| r.key != key));
            delete_record(ctx, key);
        }
    };
    move || {
        (!records.with(Vec::is_empty)).then(|| view! {
            <div role="group" aria-labelledby="runs-unreadable-title" data-testid="runs-unreadable">
                <h4 id="runs-unreadable-title">"Records this page cannot read"</h4>
                <p>"They stay in this browser as they are, until you delete them."</p>
                <ul>
                    {records.get().into_iter().map(|record| {
                        let name = record.name.clone().unwrap_or_else(|| format!("(no name, key {})", record.key));
                        let (key, text) = (record.key.clone(), record.text.clone());
                        view! {
                            <li data-testid="unreadable-record">
                                <strong>{name}</strong>": "{record.reason.to_string()}". "
                                <button type="button" on:click=move |_| download_text(&format!("nnlab-unreadable-{key}.json"), "application/json", &text)>"Download as is"</button>
                                <button type="button" data-testid="unreadable-delete" on:click={let key = record.key.clone(); move |_| delete(key.clone())}>"Delete…"</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </div>
        })
    }
}

/// One saved run in the list: tick to compare, its name to edit, its numbers, and what can be
/// done with it (resume, report, export, delete).
#[component]
fn RunRow(run: SavedRun, compare: RwSignal<Vec<String>>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let (elsewhere, unsaved) = (ctx.keeping.elsewhere, ctx.keeping.unsaved);
    let training = move || ctx.session.with(|s| s.is_training());
    let remove = move |key: String| {
        ctx.saved.update(|all| all.retain(|r| r.key != key));
        compare.update(|c| c.retain(|k| *k != key));
        delete_record(ctx, key);
    };
    let rename = move |key: String, name: String| {
        if let Some(run) = ctx.saved.with_untracked(|all| all.iter().find(|r| r.key == key).cloned()) {
            ctx.save(SavedRun { name, ..run });
        }
    };
    let key = run.key.clone();
    let (k1, k2, k3, k4) = (key.clone(), key.clone(), key.clone(), key.clone());
    let resumable = run.resumable() && matches!(run.lab, RunKind::Synth | RunKind::DogsMlp | RunKind::DogsCnn);
    let started = js_sys::Date::new(&run.created.into())
        .to_locale_string("en-GB", &wasm_bindgen::JsValue::UNDEFINED)
        .as_string()
        .unwrap_or_default();
    let single = run.clone();
    let for_resume = run.clone();
    let (k5, k6, k7) = (key.clone(), key.clone(), key.clone());
    let busy = Memo::new(move |_| elsewhere.with(|e| e.contains(&k5)));
    let status = run.status;
    view! {
        <tr data-testid="run-row" data-status=run.status.name() data-elsewhere=move || busy.get().to_string()>
            <td><input type="checkbox" aria-label=format!("compare {}", run.name)
                prop:checked=move || compare.with(|c| c.contains(&k1))
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    compare.update(|c| {
                        c.retain(|k| *k != k2);
                        if on { c.push(k2.clone()); if c.len() > 2 { c.remove(0); } }
                    });
                    if on && compare.with_untracked(|c| c.len()) == 2 {
                        show_comparison();
                    }
                }/></td>
            // As wide as the name (whole words shown, not cut at the box's edge).
            <td><input type="text" value=run.name.clone() aria-label="run name" data-testid="run-name"
                size=run.name.chars().count().clamp(12, 48) disabled=move || busy.get()
                on:change=move |ev| rename(k3.clone(), event_target_value(&ev))/></td>
            <td>{run.lab.name()}</td>
            <td data-testid="run-status">{move || status_text(status, elsewhere.with(|e| e.contains(&k6)), unsaved.with(|u| u.contains(&k7)))}</td>
            <td data-testid="run-epochs">{run.epochs.len()}</td>
            <td data-testid="run-seconds">{crate::metrics::format_duration(run.train_seconds())}</td>
            <td>{run.epochs.last().and_then(|e| e.valid_acc).map_or("-".into(), |a| format!("{a:.1}"))}</td>
            <td>{run.test.map_or("-".into(), |t| format!("{:.1}", t.1))}</td>
            <td>{started}</td>
            <td class="buttons">
                {resumable.then(|| view! {
                    <button type="button" data-testid="run-resume" disabled=training on:click=move |_| resume_saved(ctx, for_resume.clone())>"Resume"</button>
                })}
                <button type="button" data-testid="run-report" on:click=move |_| export(std::slice::from_ref(&single), "html")>"Report"</button>
                <button type="button" data-testid="run-json" on:click={let r = run.clone(); move |_| export(std::slice::from_ref(&r), "json")}>"JSON"</button>
                <button type="button" data-testid="run-delete" disabled=move || busy.get() on:click=move |_| remove(k4.clone())>"Delete"</button>
            </td>
        </tr>
    }
}

/// Continues saved run `run` from its last checkpoint in its lab, which is shown.
fn resume_saved(ctx: Ctx, run: SavedRun) {
    let Some(checkpoint) = run.checkpoint.clone() else { return };
    let resume = Some((checkpoint, run.epochs.clone()));
    let (job, lab_id, kind) = if run.lab == RunKind::Synth {
        let Ok(lab) = serde_json::from_value::<SynthLab>(run.config.clone()) else { return };
        (Job::Synth { lab, resume }, LabId::Synth, RunKind::Synth)
    } else {
        let Ok(lab) = serde_json::from_value::<DogLab>(run.config.clone()) else { return };
        let kind = if lab.model == DogModel::Mlp { RunKind::DogsMlp } else { RunKind::DogsCnn };
        (Job::Dogs { lab, resume, share: None, picks: vec![] }, LabId::Dogs, kind)
    };
    ctx.start(job, Some(Keep { kind, name: run.name.clone(), continues: Some((run.key.clone(), run.created)) }));
    let _ = window().location().set_hash(lab_id.slug());
    ctx.lab.set(lab_id);
}

/// Imports the runs of the JSON file chosen in `ev`'s input, saying how many (or why none) in
/// `note`.
fn import_runs(ctx: Ctx, ev: &leptos::ev::Event, note: RwSignal<Option<String>>) {
    let input = event_target::<web_sys::HtmlInputElement>(ev);
    let file = input.files().and_then(|files| files.get(0));
    input.set_value("");
    let Some(file) = file else { return };
    leptos::task::spawn_local(async move {
        let text = wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|t| t.as_string());
        match text.map(|t| SavedRun::parse_file(&t)) {
            Some(Ok(runs)) => {
                let n = runs.len();
                for run in runs {
                    ctx.save(run.found_on_load());
                }
                note.set(Some(format!("Imported {n} run{}.", if n == 1 { "" } else { "s" })));
            }
            Some(Err(e)) => note.set(Some(format!("Not imported: {e}."))),
            None => note.set(Some("Not imported: the file could not be read.".into())),
        }
    });
}

#[component]
pub fn RunsPanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let filter = RwSignal::new(None::<RunKind>);
    let compare = RwSignal::new(Vec::<String>::new());
    let import_note = RwSignal::new(None::<String>);
    let usage = RwSignal::new(None::<(f64, f64)>);
    Effect::new(move |_| {
        ctx.saved.track();
        leptos::task::spawn_local(async move { usage.set(crate::web::store::usage().await) });
    });
    let shown = Memo::new(move |_| {
        let f = filter.get();
        let mut runs =
            ctx.saved.with(|all| all.iter().filter(|r| f.is_none_or(|f| r.lab == f)).cloned().collect::<Vec<_>>());
        sort_for_list(&mut runs);
        runs
    });
    let compared = move || {
        let keys = compare.get();
        let pick = |k: &String| ctx.saved.with(|all| all.iter().find(|r| r.key == *k).cloned());
        match &keys[..] {
            [a, b] => Some(compare_svg(&pick(a)?, &pick(b)?)),
            _ => None,
        }
    };
    view! {
        <LabArticle id="runs" title="Saved runs" lead=concat!("Every run of the kinds the Show list names (each MNIST model as its own run) is kept in this ", "browser as it trains, after every epoch. A run cut short by a reload or a closed tab shows as interrupted; a Synth CNN or DogSet run resumes from its ", "last epoch with the very results it would have had. Export a run as a report to hand in.")>
            <section aria-labelledby="runs-list-title">
                <h3 id="runs-list-title">"Runs in this browser"</h3>
                <p data-testid="runs-usage">
                    {move || usage.get().map_or("Storage use is not reported by this browser.".to_string(), |(used, quota)| {
                        format!("This site stores {:.1} MB (runs, datasets and the offline app) of {:.0} MB the browser allows.", used / 1e6, quota / 1e6)
                    })}
                </p>
                {move || ctx.keeping.persisted.get().map(|kept| view! {
                    <p data-testid="runs-persist">{persist_text(kept)}</p>
                })}
                <ListControls shown=shown filter=filter import_note=import_note/>
                {move || import_note.get().map(|n| view! { <p role="status" data-testid="runs-import-note">{n}</p> })}
                // Above the list, where ticking a run's box brings it into view (and focus).
                {move || compared().map(|svg| view! {
                    <figure class="runs-compare" id="runs-compare" tabindex="-1" aria-label="Comparison of the two ticked runs">
                        <Svg svg=svg testid="runs-compare-chart"/>
                    </figure>
                })}
                {move || (compare.with(|c| c.len()) == 1).then(|| view! { <p class="empty">"Tick a second run to compare their curves."</p> })}
                <div class="table-scroll" data-testid="runs-table-box">
                <table class="compare runs" data-testid="runs-table" data-loaded=move || ctx.keeping.loaded.get().to_string()>
                    <thead><tr>
                        {["compare", "name", "lab", "status", "epochs", "training time", "last valid acc (%)", "test acc (%)", "started", "actions"].map(|h| view! { <th scope="col">{h}</th> }).collect_view()}
                    </tr></thead>
                    <tbody>
                        {move || shown.get().into_iter().map(|run| view! { <RunRow run=run compare=compare/> }).collect_view()}
                    </tbody>
                </table>
                </div>
                {move || shown.with(|s| s.is_empty()).then(|| view! { <p class="empty">"No runs yet: train one in a lab and it appears here."</p> })}
                <UnreadableRecords/>
            </section>
        </LabArticle>
    }
}

/// What to show, the exports and imports of the runs shown, and each lab's report to hand in.
#[component]
fn ListControls(
    shown: Memo<Vec<SavedRun>>,
    filter: RwSignal<Option<RunKind>>,
    import_note: RwSignal<Option<String>>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    view! {
    <div class="gallery-controls">
        <label>"Show: "
            <select data-testid="runs-filter" on:change=move |ev| filter.set(RunKind::from_name(&event_target_value(&ev)))>
                <option value="all">"all labs"</option>
                {RunKind::ALL.map(|k| view! { <option value=k.name()>{k.label()}</option> })}
            </select>
        </label>
        <button type="button" data-testid="runs-export-html" on:click=move |_| export(&shown.get_untracked(), "html")>"Report of these runs (HTML)"</button>
        <button type="button" on:click=move |_| export(&shown.get_untracked(), "json")>"JSON"</button>
        <button type="button" on:click=move |_| export(&shown.get_untracked(), "csv")>"CSV"</button>
        <label class="file-button">"Import runs (JSON)"
            <input type="file" accept=".json,application/json" data-testid="runs-import" on:change=move |ev| import_runs(ctx, &ev, import_note)/>
        </label>
    </div>
    <div class="gallery-controls" role="group" aria-labelledby="runs-lab-report-label">
        <span id="runs-lab-report-label">"A lab's report to hand in (its latest run): "</span>
        {[(LabId::Mnist, "MNIST"), (LabId::Dogs, "DogSet"), (LabId::Synth, "Synthetic edges")].map(|(lab, name)| {
            let none = move || ctx.saved.with(|all| !all.iter().any(|r| r.lab.lab() == lab));
            view! {
                <button type="button" data-testid=format!("runs-lab-report-{}", lab.slug()) disabled=none
                    on:click=move |_| { export_lab_report(ctx, lab); }>{name}</button>
            }
        }).collect_view()}
    </div>
    }
}
