//! Waiting in the worker without blocking its event loop (a turn between batches, so Pause
//! and Stop messages arrive, is `web::js::yield_now`, shared with the page).

use js_sys::Promise;
use wasm_bindgen_futures::JsFuture;

use super::scope;

/// Resolves after `ms` milliseconds.
pub async fn sleep_ms(ms: i32) {
    let promise = Promise::new(&mut |resolve, _reject| {
        let _ = scope().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = JsFuture::from(promise).await;
}
