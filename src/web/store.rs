//! Saved runs in IndexedDB (database `nnlab`, store `runs`, one JSON text per run), written
//! with js-sys and Reflect like the rest of the browser glue.

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::js::{call, describe, get};
use crate::runs::SavedRun;

const DB: &str = "nnlab";
const STORE: &str = "runs";

/// Resolves when an IDBRequest succeeds (with its result) or fails (with its error's name
/// and message, e.g. QuotaExceededError).
async fn request(req: JsValue) -> Result<JsValue, String> {
    let promise = Promise::new(&mut |resolve: Function, reject: Function| {
        let ok = req.clone();
        let on_ok = Closure::once_into_js(move || {
            let _ = resolve.call1(&JsValue::NULL, &get(&ok, "result"));
        });
        let bad = req.clone();
        let on_err = Closure::once_into_js(move || {
            let error = get(&bad, "error");
            let text = format!("{}: {}", get(&error, "name").as_string().unwrap_or_default(), describe(&error));
            let _ = reject.call1(&JsValue::NULL, &text.into());
        });
        let _ = Reflect::set(&req, &"onsuccess".into(), &on_ok);
        let _ = Reflect::set(&req, &"onerror".into(), &on_err);
    });
    JsFuture::from(promise).await.map_err(|e| describe(&e))
}

async fn open() -> Result<JsValue, String> {
    let factory = get(&js_sys::global(), "indexedDB");
    if factory.is_undefined() || factory.is_null() {
        return Err("this browser offers no IndexedDB here (private browsing?)".into());
    }
    let req = call(&factory, "open", &[DB.into(), 1.into()]).map_err(|e| describe(&e))?;
    let upgrade_req = req.clone();
    let on_upgrade = Closure::once_into_js(move || {
        let db = get(&upgrade_req, "result");
        let options = Object::new();
        let _ = Reflect::set(&options, &"keyPath".into(), &"key".into());
        let _ = call(&db, "createObjectStore", &[STORE.into(), options.into()]);
    });
    let _ = Reflect::set(&req, &"onupgradeneeded".into(), &on_upgrade);
    request(req).await
}

async fn store(mode: &str) -> Result<JsValue, String> {
    let db = open().await?;
    let tx = call(&db, "transaction", &[STORE.into(), mode.into()]).map_err(|e| describe(&e))?;
    call(&tx, "objectStore", &[STORE.into()]).map_err(|e| describe(&e))
}

/// Saves (or replaces) one run.
pub async fn put(run: &SavedRun) -> Result<(), String> {
    let record = Object::new();
    let _ = Reflect::set(&record, &"key".into(), &run.key.clone().into());
    let _ = Reflect::set(&record, &"json".into(), &SavedRun::to_json(std::slice::from_ref(run)).into());
    let req = call(&store("readwrite").await?, "put", &[record.into()]).map_err(|e| describe(&e))?;
    request(req).await.map(|_| ())
}

/// Every saved run, oldest first; unreadable entries are skipped and counted.
pub async fn all() -> Result<(Vec<SavedRun>, usize), String> {
    let req = call(&store("readonly").await?, "getAll", &[]).map_err(|e| describe(&e))?;
    let items: Array = request(req).await?.dyn_into().map_err(|_| "getAll did not return a list")?;
    let mut runs = vec![];
    let mut unreadable = 0;
    for item in items.iter() {
        match get(&item, "json").as_string().map(|t| SavedRun::parse_file(&t)) {
            Some(Ok(found)) => runs.extend(found),
            _ => unreadable += 1,
        }
    }
    runs.sort_by(|a, b| a.created.total_cmp(&b.created));
    Ok((runs, unreadable))
}

pub async fn delete(key: &str) -> Result<(), String> {
    let req = call(&store("readwrite").await?, "delete", &[key.into()]).map_err(|e| describe(&e))?;
    request(req).await.map(|_| ())
}

/// Bytes this site stores and may store (`navigator.storage.estimate()`).
pub async fn usage() -> Option<(f64, f64)> {
    let storage = get(&get(&js_sys::global(), "navigator"), "storage");
    let promise: Promise = call(&storage, "estimate", &[]).ok()?.dyn_into().ok()?;
    let estimate = JsFuture::from(promise).await.ok()?;
    Some((get(&estimate, "usage").as_f64()?, get(&estimate, "quota").as_f64()?))
}
