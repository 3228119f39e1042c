//! Dataset files over fetch, with progress, kept in Cache Storage once verified (the worker's
//! side; web-sys's typed Fetch, Streams and Cache APIs).

use js_sys::{Promise, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Cache, ReadableStreamDefaultReader, ReadableStreamReadResult, Response, WorkerGlobalScope};

use super::js::{DATA_CACHE, describe};

/// Why a download or a Cache Storage call failed; `Display` is the sentence the page shows.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    /// A browser call threw or its promise was rejected: its message.
    #[error("{0}")]
    Js(String),
    #[error("{url}: the download failed ({source}); check the connection and Retry")]
    Download { url: String, source: Box<FetchError> },
    #[error(
        "{url}: the server answered {status} {text}; the dataset files may be missing from this copy of nnlab. Retry, or ask whoever hosts it to include data/"
    )]
    Status { url: String, status: u16, text: String },
    #[error("{url}: the response is not text")]
    NotText { url: String },
    #[error("{url}: the response has no body")]
    NoBody { url: String },
    #[error("{url}: the download broke off ({source})")]
    BrokeOff { url: String, source: Box<FetchError> },
    #[error("this browser offers no Cache Storage here")]
    NoCache,
}

impl FetchError {
    /// A thrown JS value, as its message.
    pub fn js(error: JsValue) -> Self {
        Self::Js(describe(&error))
    }
}

/// The worker's global scope (this module runs only in the worker).
fn scope() -> WorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// The value `promise` resolves to, or its rejection's message.
pub async fn resolve(promise: Promise) -> Result<JsValue, FetchError> {
    JsFuture::from(promise).await.map_err(FetchError::js)
}

/// GETs `url`; the response, or an error naming the file and the failure.
async fn get_ok(url: &str) -> Result<Response, FetchError> {
    let response: Response = resolve(scope().fetch_with_str(url))
        .await
        .map_err(|e| FetchError::Download { url: url.to_string(), source: Box::new(e) })?
        .unchecked_into(); // fetch() resolves to a Response
    if !response.ok() {
        return Err(FetchError::Status {
            url: url.to_string(),
            status: response.status(),
            text: response.status_text(),
        });
    }
    Ok(response)
}

pub async fn fetch_text(url: &str) -> Result<String, FetchError> {
    let response = get_ok(url).await?;
    let text = response.text().map_err(FetchError::js)?;
    resolve(text).await?.as_string().ok_or_else(|| FetchError::NotText { url: url.to_string() })
}

/// Downloads `url`, reporting the bytes received so far.
pub async fn fetch_bytes(url: &str, on_progress: &mut dyn FnMut(u64)) -> Result<Vec<u8>, FetchError> {
    let response = get_ok(url).await?;
    let body = response.body().ok_or_else(|| FetchError::NoBody { url: url.to_string() })?;
    // getReader() without a mode gives a default reader (web-sys types it as any Object).
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut bytes = vec![];
    loop {
        let chunk: ReadableStreamReadResult = resolve(reader.read())
            .await
            .map_err(|e| FetchError::BrokeOff { url: url.to_string(), source: Box::new(e) })?
            .unchecked_into();
        if chunk.get_done() == Some(true) {
            return Ok(bytes);
        }
        // A fetch body's chunks are Uint8Arrays.
        bytes.extend(chunk.get_value().unchecked_into::<Uint8Array>().to_vec());
        on_progress(bytes.len() as u64);
    }
}

/// nnlab's bucket in Cache Storage, or `None` where there is none (not a secure context, an
/// old browser, storage blocked): the worker then works without the cache.
async fn cache() -> Option<Cache> {
    let caches = scope().caches().ok().filter(|c| !c.is_undefined())?;
    resolve(caches.open(DATA_CACHE)).await.ok().map(JsCast::unchecked_into)
}

/// The bytes stored under `key`, if any.
pub async fn cache_get(key: &str) -> Option<Vec<u8>> {
    let cache = cache().await?;
    let hit = resolve(cache.match_with_str(key)).await.ok()?;
    if hit.is_undefined() || hit.is_null() {
        return None;
    }
    let buffer = hit.unchecked_into::<Response>().array_buffer().ok()?;
    Some(Uint8Array::new(&resolve(buffer).await.ok()?).to_vec())
}

/// Stores verified bytes under `key`. For downloads a full quota or a missing cache only
/// costs a download next time, so callers may ignore the error.
pub async fn cache_put(key: &str, bytes: &[u8]) -> Result<(), FetchError> {
    let cache = cache().await.ok_or(FetchError::NoCache)?;
    let response = Response::new_with_opt_js_u8_array(Some(&Uint8Array::from(bytes))).map_err(FetchError::js)?;
    resolve(cache.put_with_str(key, &response)).await.map(|_| ())
}

pub async fn cache_delete(key: &str) {
    if let Some(cache) = cache().await {
        let _ = resolve(cache.delete_with_str(key)).await;
    }
}
