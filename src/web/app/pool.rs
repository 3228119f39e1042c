//! The pool panel: how many training workers the page runs (one run each, side by side),
//! what each is doing, and the control to change their number.

use leptos::prelude::*;

use crate::session::pool::MAX_WORKERS;
use crate::web::kit::Ctx;

#[component]
pub fn PoolPanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let cores = window().navigator().hardware_concurrency() as usize;
    let size = move || ctx.session.with(|s| s.pool.size());
    // Resizing ends workers: only while nothing trains or waits.
    let busy = move || ctx.session.with(|s| s.pool.is_busy());
    let on_change = move |ev: leptos::ev::Event| {
        if let Ok(n) = event_target_value(&ev).parse::<usize>() {
            ctx.resize_pool(n);
        }
    };
    let workers = move || {
        ctx.session.with(|s| {
            s.workers_text().into_iter().enumerate().map(|(w, text)| format!("{}: {text}", w + 1)).collect::<Vec<_>>()
        })
    };
    view! {
        <section class="pool" aria-label="Training workers">
            <label for="pool-size">"Training workers"</label>
            <select id="pool-size" data-testid="pool-size" on:change=on_change disabled=busy
                aria-describedby="pool-note">
                {(1..=MAX_WORKERS).map(|n| view! {
                    <option value=n.to_string() prop:selected=move || size() == n>{n.to_string()}</option>
                }).collect_view()}
            </select>
            <p class="pool-note" id="pool-note">
                {move || match size() {
                    1 => format!("One run trains at a time; more wait their turn (this device has {cores} cores)."),
                    n => format!("Up to {n} runs train side by side, one per worker; more wait their turn (this device has {cores} cores)."),
                }}
                {move || busy().then_some(" Change the number when nothing trains.")}
            </p>
            <ul class="pool-workers" data-testid="pool-workers">
                {move || workers().into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}
            </ul>
        </section>
    }
}
