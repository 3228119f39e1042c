//! Reading and calling JS values by name (Reflect), shared by the page and the worker, for the
//! few values no typed API describes: plain objects of our own, WebGPU (web-sys types it only
//! behind `web_sys_unstable_apis`), and thrown values that need not be `Error`s. Everything
//! with a web-sys or js-sys type goes through that type instead.

use js_sys::{Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// The Cache Storage bucket of verified dataset files: the worker fills it, the page's
/// "clear cached data" deletes it.
pub const DATA_CACHE: &str = "nnlab-data-v1";

/// `target[name]`, or `undefined`.
pub fn get(target: &JsValue, name: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// Calls `target[name](args...)`.
pub fn call(target: &JsValue, name: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let f: Function =
        get(target, name).dyn_into().map_err(|_| JsValue::from_str(&format!("{name} is not a function")))?;
    f.apply(target, &args.iter().collect())
}

/// A readable message from a thrown JS value. Its `message` is read by name: a thrown value
/// may be a string, an `Error`, a `DOMException` or any object.
pub fn describe(error: &JsValue) -> String {
    error.as_string().or_else(|| get(error, "message").as_string()).unwrap_or_else(|| format!("{error:?}"))
}

/// Lets the event loop run (queued messages, input, rendering) and resumes at once: a
/// MessageChannel round trip, which, unlike `setTimeout(0)`, is not clamped to 4 ms. The worker
/// takes one between batches so Pause and Stop arrive; the page between steps of a long
/// computation so no task holds the main thread.
#[cfg(any(feature = "csr", feature = "engine"))]
pub async fn yield_now() {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| match web_sys::MessageChannel::new() {
        Ok(channel) => {
            channel.port1().set_onmessage(Some(&resolve));
            let _ = channel.port2().post_message(&JsValue::NULL);
        }
        // No channel (never seen): a timer, read from whichever global this is (page or worker).
        Err(_) => {
            let _ = call(&js_sys::global(), "setTimeout", &[resolve.into()]);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
