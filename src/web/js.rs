//! Small helpers over the JS global scope, shared by the page and the worker. Written with
//! js-sys and Reflect only, so the worker needs no web-sys features (which would change the
//! features wgpu's web-sys is built with and rebuild all of burn).

use js_sys::{Function, Promise, Reflect};

/// The Cache Storage bucket of verified dataset files: the worker fills it, the page's
/// "clear cached data" deletes it.
pub const DATA_CACHE: &str = "nnlab-data-v1";
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// `global[name]`, or `undefined`.
pub fn get(target: &JsValue, name: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// Calls `target[name](args...)`.
pub fn call(target: &JsValue, name: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let f: Function =
        get(target, name).dyn_into().map_err(|_| JsValue::from_str(&format!("{name} is not a function")))?;
    f.apply(target, &args.iter().collect())
}

/// Lets the event loop run (so queued messages are handled) and resumes at once: a
/// MessageChannel round trip, which, unlike `setTimeout(0)`, is not clamped to 4 ms.
pub async fn yield_now() {
    let promise = Promise::new(&mut |resolve, _reject| {
        let global = js_sys::global();
        let made = get(&global, "MessageChannel")
            .dyn_into::<Function>()
            .and_then(|ctor| Reflect::construct(&ctor, &js_sys::Array::new()));
        match made {
            Ok(channel) => {
                let _ = Reflect::set(&get(&channel, "port1"), &"onmessage".into(), &resolve);
                let _ = call(&get(&channel, "port2"), "postMessage", &[JsValue::NULL]);
            }
            Err(_) => {
                let _ = call(&global, "setTimeout", &[resolve.into(), 0.into()]);
            }
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Resolves after `ms` milliseconds.
pub async fn sleep_ms(ms: i32) {
    let promise = Promise::new(&mut |resolve, _reject| {
        let _ = call(&js_sys::global(), "setTimeout", &[resolve.into(), ms.into()]);
    });
    let _ = JsFuture::from(promise).await;
}

/// A readable message from a thrown JS value.
pub fn describe(error: &JsValue) -> String {
    error.as_string().or_else(|| get(error, "message").as_string()).unwrap_or_else(|| format!("{error:?}"))
}
