//! Dataset files over fetch, with progress, kept in Cache Storage once verified. Written with
//! js-sys and Reflect only (see `js.rs` for why the worker avoids web-sys).

use js_sys::{Promise, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::js::{call, describe, get};

use super::js::DATA_CACHE;

/// Why a download or a Cache Storage call failed; `Display` is the sentence the page shows.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    /// A browser call threw: its message.
    #[error("{0}")]
    Js(String),
    #[error("{name} did not return a promise")]
    NotPromise { name: String },
    #[error("{url}: the download failed ({source}); check the connection and Retry")]
    Download { url: String, source: Box<FetchError> },
    #[error(
        "{url}: the server answered {status} {text}; the dataset files may be missing from this copy of nnlab. Retry, or ask whoever hosts it to include data/"
    )]
    Status { url: String, status: f64, text: String },
    #[error("{url}: the response is not text")]
    NotText { url: String },
    #[error("{url}: {source}")]
    Body { url: String, source: Box<FetchError> },
    #[error("{url}: the download broke off ({source})")]
    BrokeOff { url: String, source: Box<FetchError> },
    #[error("this browser offers no Cache Storage here")]
    NoCache,
    #[error("no Response")]
    NoResponse,
}

impl FetchError {
    /// A thrown JS value, as its message.
    fn js(error: JsValue) -> Self {
        Self::Js(describe(&error))
    }
}

async fn await_call(target: &JsValue, name: &str, args: &[JsValue]) -> Result<JsValue, FetchError> {
    let promise: Promise = call(target, name, args)
        .map_err(FetchError::js)?
        .dyn_into()
        .map_err(|_| FetchError::NotPromise { name: name.to_string() })?;
    JsFuture::from(promise).await.map_err(FetchError::js)
}

/// GETs `url`; the response, or an error naming the file and the failure.
async fn get_ok(url: &str) -> Result<JsValue, FetchError> {
    let response = await_call(&js_sys::global(), "fetch", &[url.into()])
        .await
        .map_err(|e| FetchError::Download { url: url.to_string(), source: Box::new(e) })?;
    if get(&response, "ok").as_bool() != Some(true) {
        let status = get(&response, "status").as_f64().unwrap_or(0.0);
        let text = get(&response, "statusText").as_string().unwrap_or_default();
        return Err(FetchError::Status { url: url.to_string(), status, text });
    }
    Ok(response)
}

pub async fn fetch_text(url: &str) -> Result<String, FetchError> {
    let response = get_ok(url).await?;
    await_call(&response, "text", &[]).await?.as_string().ok_or_else(|| FetchError::NotText { url: url.to_string() })
}

/// Downloads `url`, reporting the bytes received so far.
pub async fn fetch_bytes(url: &str, on_progress: &mut dyn FnMut(u64)) -> Result<Vec<u8>, FetchError> {
    let response = get_ok(url).await?;
    let reader = call(&get(&response, "body"), "getReader", &[])
        .map_err(|e| FetchError::Body { url: url.to_string(), source: Box::new(FetchError::js(e)) })?;
    let mut bytes = vec![];
    loop {
        let chunk = await_call(&reader, "read", &[])
            .await
            .map_err(|e| FetchError::BrokeOff { url: url.to_string(), source: Box::new(e) })?;
        if get(&chunk, "done").as_bool() == Some(true) {
            return Ok(bytes);
        }
        bytes.extend(get(&chunk, "value").unchecked_into::<Uint8Array>().to_vec());
        on_progress(bytes.len() as u64);
    }
}

async fn cache() -> Option<JsValue> {
    let caches = get(&js_sys::global(), "caches");
    if caches.is_undefined() {
        return None; // not a secure context, or an old browser: work without the cache
    }
    await_call(&caches, "open", &[DATA_CACHE.into()]).await.ok()
}

/// The bytes stored under `key`, if any.
pub async fn cache_get(key: &str) -> Option<Vec<u8>> {
    let cache = cache().await?;
    let hit = await_call(&cache, "match", &[key.into()]).await.ok()?;
    if hit.is_undefined() || hit.is_null() {
        return None;
    }
    let buffer = await_call(&hit, "arrayBuffer", &[]).await.ok()?;
    Some(Uint8Array::new(&buffer).to_vec())
}

/// Stores verified bytes under `key`. For downloads a full quota or a missing cache only
/// costs a download next time, so callers may ignore the error.
pub async fn cache_put(key: &str, bytes: &[u8]) -> Result<(), FetchError> {
    let cache = cache().await.ok_or(FetchError::NoCache)?;
    let ctor = get(&js_sys::global(), "Response").dyn_into::<js_sys::Function>().map_err(|_| FetchError::NoResponse)?;
    let body = Uint8Array::from(bytes);
    let response = js_sys::Reflect::construct(&ctor, &js_sys::Array::of1(&body)).map_err(FetchError::js)?;
    await_call(&cache, "put", &[key.into(), response]).await.map(|_| ())
}

/// Awaits `target[name](args...)`, which returns a promise.
pub async fn call_async(target: &JsValue, name: &str, args: &[JsValue]) -> Result<JsValue, FetchError> {
    await_call(target, name, args).await
}

pub async fn cache_delete(key: &str) {
    if let Some(cache) = cache().await {
        let _ = await_call(&cache, "delete", &[key.into()]).await;
    }
}
