//! Giving the worker's event loop a turn between batches, so Pause and Stop messages arrive.

use js_sys::Promise;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use web_sys::MessageChannel;

use super::scope;

/// Lets the event loop run (so queued messages are handled) and resumes at once: a
/// MessageChannel round trip, which, unlike `setTimeout(0)`, is not clamped to 4 ms.
pub async fn yield_now() {
    let promise = Promise::new(&mut |resolve, _reject| match MessageChannel::new() {
        Ok(channel) => {
            channel.port1().set_onmessage(Some(&resolve));
            let _ = channel.port2().post_message(&JsValue::NULL);
        }
        Err(_) => {
            let _ = scope().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Resolves after `ms` milliseconds.
pub async fn sleep_ms(ms: i32) {
    let promise = Promise::new(&mut |resolve, _reject| {
        let _ = scope().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = JsFuture::from(promise).await;
}
