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
use crate::runs::SavedRun;

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

impl From<JsValue> for StoreError {
    fn from(error: JsValue) -> Self {
        StoreError::Js(describe(&error))
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
    Err(match req.error() {
        Ok(Some(e)) => StoreError::Request { name: e.name(), message: e.message() },
        _ => StoreError::Js("the request failed without an error".into()),
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

/// Every saved run, oldest first; unreadable entries are skipped and counted.
pub async fn all() -> Result<(Vec<SavedRun>, usize), StoreError> {
    let items: Array = request(&store(IdbTransactionMode::Readonly).await?.get_all()?).await?.unchecked_into();
    let mut runs = vec![];
    let mut unreadable = 0;
    for item in items.iter() {
        // The record's `json` field, by name, as written by `put`.
        let json = Reflect::get(&item, &"json".into()).ok().and_then(|j| j.as_string());
        match json.map(|t| SavedRun::parse_file(&t)) {
            Some(Ok(found)) => runs.extend(found),
            _ => unreadable += 1,
        }
    }
    runs.sort_by(|a, b| a.created.total_cmp(&b.created));
    Ok((runs, unreadable))
}

pub async fn delete(key: &str) -> Result<(), StoreError> {
    request(&store(IdbTransactionMode::Readwrite).await?.delete(&key.into())?).await.map(|_| ())
}

/// Bytes this site stores and may store (`navigator.storage.estimate()`).
pub async fn usage() -> Option<(f64, f64)> {
    let promise = web_sys::window()?.navigator().storage().estimate().ok()?;
    let estimate: web_sys::StorageEstimate = JsFuture::from(promise).await.ok()?.unchecked_into();
    Some((estimate.get_usage()?, estimate.get_quota()?))
}
