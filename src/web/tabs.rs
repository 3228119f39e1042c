//! The page open in several tabs at once, sharing one IndexedDB of saved runs.
//!
//! - Each tab holds a Web Lock named after every run it trains, for as long as that run
//!   trains. The browser frees a lock when its tab closes or crashes, so a tab that finds a run
//!   marked running asks the locks, not the record, whether some tab still trains it.
//! - Each tab announces on a BroadcastChannel which saved run it wrote or deleted, and the
//!   other tabs read that run again, so every tab's list shows what is stored.
//!
//! web-sys types the Web Locks API only behind `web_sys_unstable_apis`, a compiler flag that
//! would rebuild every crate of the workers too, so its three calls are declared here. Where a
//! browser offers no Web Locks, every tab behaves as if it were alone (as before locks).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use js_sys::{Array, Function, Promise};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{BroadcastChannel, MessageEvent};

#[wasm_bindgen]
extern "C" {
    /// `navigator.locks`.
    type LockManager;
    /// `locks.request(name, callback)`: the lock is held until the promise `callback`
    /// returns settles.
    #[wasm_bindgen(method)]
    fn request(this: &LockManager, name: &str, callback: &Function) -> Promise;
    /// `locks.query()`: a snapshot `{held: [{name, ...}], pending: [...]}`.
    #[wasm_bindgen(method)]
    fn query(this: &LockManager) -> Promise;
    /// One lock of a snapshot.
    type LockInfo;
    #[wasm_bindgen(method, getter)]
    fn name(this: &LockInfo) -> Option<String>;
}

/// Lock names are this prefix and a saved run's key.
const LOCK_PREFIX: &str = "nnlab-run:";
/// The channel the tabs announce their writes on.
const CHANNEL: &str = "nnlab-runs";

thread_local! {
    /// The locks this tab holds: for each run key, the function that lets its lock go.
    static HELD: RefCell<HashMap<String, Function>> = RefCell::new(HashMap::new());
}

/// `navigator.locks`, read by name: an extern block cannot add a getter to web-sys's Navigator.
fn locks() -> Option<LockManager> {
    let locks = crate::web::js::get(&web_sys::window()?.navigator(), "locks");
    (!locks.is_undefined() && !locks.is_null()).then(|| locks.unchecked_into())
}

/// Marks run `key` as training in this tab, until [`release`].
pub fn hold(key: &str) {
    if HELD.with(|h| h.borrow().contains_key(key)) {
        return;
    }
    let Some(locks) = locks() else { return };
    let mut let_go = None;
    let held = Promise::new(&mut |resolve, _| let_go = Some(resolve));
    let Some(let_go) = let_go else { return };
    HELD.with(|h| h.borrow_mut().insert(key.to_string(), let_go));
    // The lock is held while the callback's promise is pending. The callback is `held.then`
    // bound to `held`: called with the lock (not a function, so `then` ignores it), it returns
    // a promise settled with `held`. A Rust closure returning the promise would do the same,
    // but its generated shim uses an opcode Debian's wasm-opt 108 cannot read.
    let then: Function = crate::web::js::get(&held, "then").unchecked_into();
    let _ = locks.request(&format!("{LOCK_PREFIX}{key}"), &then.bind0(&held));
}

/// Lets run `key`'s lock go (the run stopped training in this tab).
pub fn release(key: &str) {
    if let Some(let_go) = HELD.with(|h| h.borrow_mut().remove(key)) {
        let _ = let_go.call0(&JsValue::NULL);
    }
}

/// The keys of the runs other tabs train now (none where the browser has no Web Locks).
pub async fn training_elsewhere() -> HashSet<String> {
    let Some(locks) = locks() else { return HashSet::new() };
    let Ok(snapshot) = JsFuture::from(locks.query()).await else { return HashSet::new() };
    // Requested counts as held: a tab asks for its lock just before its first write, and the
    // grant may still be on its way.
    let list = |name| crate::web::js::get(&snapshot, name).dyn_into::<Array>().unwrap_or_default();
    let ours = HELD.with(|h| h.borrow().keys().cloned().collect::<HashSet<_>>());
    list("held")
        .iter()
        .chain(list("pending").iter())
        .filter_map(|lock| lock.unchecked_into::<LockInfo>().name())
        .filter_map(|name| name.strip_prefix(LOCK_PREFIX).map(str::to_string))
        .filter(|key| !ours.contains(key))
        .collect()
}

/// Calls `then` once no tab trains run `key` any more (it finished there, or that tab went
/// away), by waiting for its lock and letting it go at once.
pub fn when_free(key: &str, then: impl FnOnce() + 'static) {
    let Some(locks) = locks() else { return };
    let granted = Closure::once_into_js(move |_lock: JsValue| then());
    let _ = locks.request(&format!("{LOCK_PREFIX}{key}"), granted.unchecked_ref());
}

/// What one tab tells the others about the saved runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Announce {
    /// The run under this key was written: read it again.
    Saved(String),
    Deleted(String),
}

/// This tab's end of the channel, kept open while the page lives.
pub struct Channel {
    channel: BroadcastChannel,
    /// The listener. An owned closure set as `onmessage`, not a gloo-events listener: those
    /// take `&Event`, whose generated shim uses an opcode Debian's wasm-opt 108 cannot read.
    _heard: Closure<dyn FnMut(MessageEvent)>,
}

impl Channel {
    /// Opens the channel and calls `heard` with each announcement of another tab. `None`
    /// where the browser has no BroadcastChannel.
    pub fn open(mut heard: impl FnMut(Announce) + 'static) -> Option<Channel> {
        let channel = BroadcastChannel::new(CHANNEL).ok()?;
        let listener = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let Some(announce) = event.data().as_string().and_then(|t| crate::protocol::read_json(&t).ok()) {
                heard(announce);
            }
        });
        channel.set_onmessage(Some(listener.as_ref().unchecked_ref()));
        Some(Channel { channel, _heard: listener })
    }

    pub fn tell(&self, announce: &Announce) {
        if let Ok(text) = serde_json::to_string(announce) {
            let _ = self.channel.post_message(&text.into());
        }
    }
}

impl Drop for Channel {
    fn drop(&mut self) {
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}
