//! Saved runs in IndexedDB (database `nnlab`, store `runs`, one JSON text per run), through
//! web-sys's typed IndexedDB API. The database is opened once per page and kept; a handle the
//! browser closed (storage cleared, another tab upgrading) is reopened on the next call.

use std::cell::RefCell;

use js_sys::{Array, Object, Promise, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbObjectStore, IdbObjectStoreParameters, IdbRequest, IdbTransactionMode};

use super::js::describe;
use crate::runs::{RunFileError, SavedRun, Unreadable};

const DB: &str = "nnlab";
const VERSION: u32 = 1;
const STORE: &str = "runs";

thread_local! {
    /// The open database, once opened.
    static OPEN: RefCell<Option<IdbDatabase>> = const { RefCell::new(None) };
}

/// Why saved runs could not be read or written, worded for the banner.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    #[error("this browser offers no IndexedDB here (private browsing?)")]
    Unavailable,
    /// A failed request, with the browser's error name (e.g. QuotaExceededError).
    #[error("{name}: {message}")]
    Request { name: String, message: String },
    #[error("{0}")]
    Js(String),
}

impl StoreError {
    /// Whether the browser refused the write for lack of room.
    pub fn is_quota(&self) -> bool {
        matches!(self, StoreError::Request { name, .. } if name == "QuotaExceededError")
    }
}

impl From<JsValue> for StoreError {
    fn from(error: JsValue) -> Self {
        // A call that throws (as a put over quota may) throws a DOMException: keep its name.
        match error.dyn_into::<web_sys::DomException>() {
            Ok(e) => StoreError::Request { name: e.name(), message: e.message() },
            Err(error) => StoreError::Js(describe(&error)),
        }
    }
}

/// Resolves when `req` succeeds (with its result) or fails (with its error).
async fn request(req: &IdbRequest) -> Result<JsValue, StoreError> {
    let promise = Promise::new(&mut |resolve: js_sys::Function, reject: js_sys::Function| {
        let on_ok = Closure::once_into_js(move || {
            let _ = resolve.call0(&JsValue::NULL);
        });
        let on_err = Closure::once_into_js(move || {
            let _ = reject.call0(&JsValue::NULL);
        });
        req.set_onsuccess(Some(on_ok.unchecked_ref()));
        req.set_onerror(Some(on_err.unchecked_ref()));
    });
    if JsFuture::from(promise).await.is_ok() {
        return Ok(req.result()?);
    }
    // A write over quota aborts its transaction: the request says AbortError, the
    // transaction says why.
    let why = req.transaction().and_then(|tx| tx.error()).or_else(|| req.error().ok().flatten());
    Err(match why {
        Some(e) => StoreError::Request { name: e.name(), message: e.message() },
        None => StoreError::Js("the request failed without an error".into()),
    })
}

async fn open() -> Result<IdbDatabase, StoreError> {
    let factory = web_sys::window().and_then(|w| w.indexed_db().ok().flatten()).ok_or(StoreError::Unavailable)?;
    let req = factory.open_with_u32(DB, VERSION)?;
    let upgrading = req.clone();
    let on_upgrade = Closure::once_into_js(move || {
        if let Ok(db) = upgrading.result().map(JsCast::unchecked_into::<IdbDatabase>) {
            let params = IdbObjectStoreParameters::new();
            params.set_key_path(&"key".into());
            let _ = db.create_object_store_with_optional_parameters(STORE, &params);
        }
    });
    req.set_onupgradeneeded(Some(on_upgrade.unchecked_ref()));
    let db: IdbDatabase = request(&req).await?.unchecked_into();
    // Let another tab upgrade the schema: close, and reopen on the next call.
    let closing = db.clone();
    let on_version_change = Closure::once_into_js(move || {
        closing.close();
        OPEN.with(|o| o.borrow_mut().take());
    });
    db.set_onversionchange(Some(on_version_change.unchecked_ref()));
    Ok(db)
}

/// The runs store in a new transaction, opening the database when no handle is kept.
async fn store(mode: IdbTransactionMode) -> Result<IdbObjectStore, StoreError> {
    for _ in 0..2 {
        let db = match OPEN.with(|o| o.borrow().clone()) {
            Some(db) => db,
            None => {
                let db = open().await?;
                OPEN.with(|o| *o.borrow_mut() = Some(db.clone()));
                db
            }
        };
        match db.transaction_with_str_and_mode(STORE, mode) {
            Ok(tx) => return Ok(tx.object_store(STORE)?),
            // Closed under us (InvalidStateError): forget it and open again, once.
            Err(_) => OPEN.with(|o| o.borrow_mut().take()),
        };
    }
    Err(StoreError::Js("the saved-runs database could not be opened".into()))
}

/// Saves (or replaces) one run.
pub async fn put(run: &SavedRun) -> Result<(), StoreError> {
    // A plain `{key, json}` record (the store's key path is `key`); js-sys has no typed
    // object literal, so its two fields are set by name.
    let record = Object::new();
    Reflect::set(&record, &"key".into(), &run.key.clone().into())?;
    Reflect::set(&record, &"json".into(), &SavedRun::to_json(std::slice::from_ref(run)).into())?;
    request(&store(IdbTransactionMode::Readwrite).await?.put(&record)?).await.map(|_| ())
}

/// Reads one stored `{key, json}` record.
fn read(item: &JsValue) -> Result<SavedRun, Unreadable> {
    // The record's two fields, by name, as written by `put`.
    let key = Reflect::get(item, &"key".into()).ok().and_then(|k| k.as_string()).unwrap_or_default();
    let Some(json) = Reflect::get(item, &"json".into()).ok().and_then(|j| j.as_string()) else {
        return Err(Unreadable::new(key, String::new(), RunFileError::Parse("the record holds no run".into())));
    };
    match SavedRun::parse_file(&json) {
        Ok(runs) if runs.len() == 1 => Ok(runs.into_iter().next().expect("one run")),
        Ok(runs) => {
            let why = RunFileError::Parse(format!("the record holds {} runs, not one", runs.len()));
            Err(Unreadable::new(key, json, why))
        }
        Err(e) => Err(Unreadable::new(key, json, e)),
    }
}

/// Every saved run, oldest first, and the records this page cannot read (kept as they are).
pub async fn all() -> Result<(Vec<SavedRun>, Vec<Unreadable>), StoreError> {
    let items: Array = request(&store(IdbTransactionMode::Readonly).await?.get_all()?).await?.unchecked_into();
    let mut runs = vec![];
    let mut unreadable = vec![];
    for item in items.iter() {
        match read(&item) {
            Ok(run) => runs.push(run),
            Err(u) => unreadable.push(u),
        }
    }
    runs.sort_by(|a, b| a.created.total_cmp(&b.created));
    Ok((runs, unreadable))
}

/// The run stored under `key` now (another tab may have written it), if any.
pub async fn get(key: &str) -> Result<Option<Result<SavedRun, Unreadable>>, StoreError> {
    let item = request(&store(IdbTransactionMode::Readonly).await?.get(&key.into())?).await?;
    Ok((!item.is_undefined()).then(|| read(&item)))
}

pub async fn delete(key: &str) -> Result<(), StoreError> {
    request(&store(IdbTransactionMode::Readwrite).await?.delete(&key.into())?).await.map(|_| ())
}

/// Whether the browser keeps this site's storage until the user deletes it
/// (`navigator.storage.persisted()`); `None` where it does not say.
pub async fn persisted() -> Option<bool> {
    let promise = web_sys::window()?.navigator().storage().persisted().ok()?;
    JsFuture::from(promise).await.ok()?.as_bool()
}

/// Asks the browser to keep this site's storage until the user deletes it, and returns its
/// answer (`navigator.storage.persist()`).
pub async fn persist() -> Option<bool> {
    let promise = web_sys::window()?.navigator().storage().persist().ok()?;
    JsFuture::from(promise).await.ok()?.as_bool()
}

/// Bytes this site stores and may store (`navigator.storage.estimate()`).
pub async fn usage() -> Option<(f64, f64)> {
    let promise = web_sys::window()?.navigator().storage().estimate().ok()?;
    let estimate: web_sys::StorageEstimate = JsFuture::from(promise).await.ok()?.unchecked_into();
    Some((estimate.get_usage()?, estimate.get_quota()?))
}
