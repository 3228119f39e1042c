//! Presenter mode for class demos: larger type, essential controls, keyboard shortcuts.

use leptos::prelude::*;

use crate::web::kit::Ctx;

/// Presenter mode: a class on `<body>` (larger type, fewer controls) and, while it is on,
/// space for the lab's Train/Pause and the arrow keys for the shift demo, unless a form field
/// has the focus.
pub(super) fn presenter_mode(ctx: Ctx) {
    use wasm_bindgen::JsCast;
    use web_sys::{HtmlElement, KeyboardEvent, KeyboardEventInit};
    Effect::new(move |_| {
        let on = ctx.presenting.get();
        if let Some(body) = document().body() {
            let _ = body.class_list().toggle_with_force("present", on);
        }
    });
    let element = |selector: &str| {
        document().query_selector(selector).ok().flatten().and_then(|e| e.dyn_into::<HtmlElement>().ok())
    };
    let handle = window_event_listener(leptos::ev::keydown, move |ev: KeyboardEvent| {
        if !ctx.presenting.get_untracked() || ev.default_prevented() {
            return;
        }
        let tag = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).map(|e| e.tag_name());
        if matches!(tag.as_deref(), Some("INPUT" | "TEXTAREA" | "SELECT" | "BUTTON")) {
            return;
        }
        let key = ev.key();
        if key == " " {
            if let Some(button) = element("[data-shortcut=\"space\"]:not([disabled])") {
                ev.prevent_default();
                button.click();
            }
        } else if key.starts_with("Arrow")
            && let Some(view) = element("[data-shortcut=\"arrows\"]")
        {
            // Hand the key to the shift demo, as if it had been pressed there.
            ev.prevent_default();
            let _ = view.focus();
            let init = KeyboardEventInit::new();
            init.set_key(&key);
            init.set_bubbles(true);
            if let Ok(event) = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init) {
                let _ = view.dispatch_event(&event);
            }
        }
    });
    // The page lives as long as the tab: keep the listener.
    std::mem::forget(handle);
}

/// The class joins by QR code: the link to this lab and its settings, large enough to scan
/// from the back of a room, with the address under it for typing.
#[component]
pub(super) fn JoinCode() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let link = Memo::new(move |_| ctx.shared_link());
    view! {
        <aside class="join" data-testid="join" aria-label="Join this lab on your own device">
            {move || {
                let link = link.get();
                match crate::share::qr_svg(&link, "QR code of the link to this lab and its settings") {
                    Some(svg) => view! { <div class="qr-box" data-testid="qr" inner_html=svg></div> }.into_any(),
                    None => view! { <p class="note">"This link is too long for a QR code: share the address below."</p> }.into_any(),
                }
            }}
            <p class="join-url">"Scan to open this lab with these settings, or type: " <code data-testid="join-url">{move || link.get()}</code></p>
        </aside>
    }
}
