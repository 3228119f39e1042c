//! Offline use: the service worker (public/sw.js) that keeps the app's files, and the header
//! line that says whether it is ready.

use leptos::prelude::*;

use super::context::{Ctx, Offline};

/// Registers the service worker (public/sw.js) and follows its state.
pub(crate) fn keep_offline(ctx: Ctx) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let navigator = window().navigator();
    // Feature detection: `navigator.serviceWorker` is missing outside secure contexts, and
    // web-sys's getter assumes it is there.
    if !js_sys::Reflect::has(&navigator, &"serviceWorker".into()).unwrap_or(false) {
        ctx.offline
            .set(Offline::Unavailable("this browser or address offers no service workers (they need https)".into()));
        return;
    }
    let container = navigator.service_worker();
    let controlled_at_start = container.controller().is_some();
    let on_change = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
        // A first visit's worker taking control is not an update; a later one is.
        if controlled_at_start {
            ctx.offline.set(Offline::UpdateReady);
        }
    });
    let _ = container.add_event_listener_with_callback("controllerchange", on_change.as_ref().unchecked_ref());
    on_change.forget();
    let registered = JsFuture::from(container.register("./sw.js"));
    let ready = container.ready().map(JsFuture::from);
    leptos::task::spawn_local(async move {
        if let Err(e) = registered.await {
            let why = crate::web::js::describe(&e);
            ctx.offline.set(Offline::Unavailable(format!("the offline copy could not be set up ({why})")));
            return;
        }
        if let Ok(ready) = ready
            && ready.await.is_ok()
        {
            ctx.offline.update(|o| {
                if *o == Offline::Pending {
                    *o = Offline::Ready;
                }
            });
        }
    });
}

#[component]
pub(crate) fn OfflineStatus() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    view! {
        {move || match ctx.offline.get() {
            Offline::Pending => view! { <p class="offline" data-testid="offline-pending">"Saving the app for offline use…"</p> }.into_any(),
            Offline::Ready => view! { <p class="offline" data-testid="offline-ready">"Available offline: this page and its engine open without a network."</p> }.into_any(),
            Offline::UpdateReady => view! {
                <p class="offline" data-testid="offline-update">
                    "A new version of nnlab is ready. "
                    <button type="button" on:click=move |_| { let _ = window().location().reload(); }>"Reload to update"</button>
                </p>
            }.into_any(),
            Offline::Unavailable(why) => view! { <p class="offline" data-testid="offline-unavailable">{format!("Not available offline: {why}.")}</p> }.into_any(),
        }}
    }
}
