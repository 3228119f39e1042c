//! The page's side of the training workers: spawns them, queues messages for a worker until it
//! says `Ready`, reports a crash, and can start a fresh one. Which worker gets what is decided
//! in the core (`session::pool`); this only posts.
//!
//! The first worker is started by public/early.js as soon as the page's wasm has arrived, and
//! adopted here with what it posted meanwhile. Each worker fetches and compiles the engine
//! itself, on its own thread. Compiling it once on
//! the page (`WebAssembly.compileStreaming`) and handing the module to each worker was tried:
//! it added two or three main-thread tasks of 51-124 ms at start-up (measured with
//! `scripts/startup-bench.mjs`), against the page's 50 ms budget, so it was taken out.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Array;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, MessageChannel, MessageEvent, MessagePort, Worker, WorkerOptions, WorkerType};

use crate::protocol::{FromWorker, ToWorker};
use crate::run::RunId;
use crate::session::pool::WorkerId;

/// The worker script, next to index.html (resolved against `<base>`, so any sub-path works).
const WORKER_URL: &str = "./worker_loader.js";

/// Which build of the engine a worker loads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineBuild {
    /// The one public/engine.js picks for this browser (WebGPU where it has an adapter).
    Browsers,
    /// A CPU-only one whatever the browser offers: the pool's stand-in.
    CpuOnly,
}

impl EngineBuild {
    fn url(self) -> &'static str {
        match self {
            EngineBuild::Browsers => WORKER_URL,
            // worker_loader.js reads it.
            EngineBuild::CpuOnly => "./worker_loader.js?engine=cpu",
        }
    }
}

/// Where each message of worker `w` goes.
pub type OnMessage = Rc<dyn Fn(WorkerId, FromWorker)>;

#[derive(Default)]
struct Inner {
    worker: Option<Worker>,
    ready: bool,
    queue: Vec<String>,
    /// Keeps the event handlers alive as long as their worker.
    handlers: Vec<Closure<dyn FnMut(JsValue)>>,
}

/// The first worker, started by public/early.js while the page's wasm downloaded (so the
/// engine's download starts with the page's), with the events it posted meanwhile; `None` for
/// any other worker, or where early.js started none. Marks the pool as started, so a late
/// early.js starts nothing.
fn adopt_early_worker(w: WorkerId) -> Option<(Worker, Array)> {
    let global = js_sys::global();
    let _ = js_sys::Reflect::set(&global, &"nnlabPoolStarted".into(), &JsValue::TRUE);
    if w != 0 {
        return None;
    }
    // A plain `{worker, events}` object of early.js's own, read by name.
    let early = super::js::get(&global, "nnlabEarlyWorker");
    let worker = super::js::get(&early, "worker").dyn_into::<Worker>().ok()?;
    let events = super::js::get(&early, "events").dyn_into::<Array>().unwrap_or_default();
    let _ = js_sys::Reflect::set(&global, &"nnlabEarlyWorker".into(), &JsValue::UNDEFINED);
    Some((worker, events))
}

/// One training worker.
#[derive(Default)]
struct Bridge {
    inner: Rc<RefCell<Inner>>,
}

impl Bridge {
    /// Starts worker `w` (ending any previous one there). Every message it posts goes to
    /// `on_message`; an uncaught error in it arrives as `FromWorker::Crashed`.
    fn start(&self, w: WorkerId, engine: EngineBuild, on_message: OnMessage) -> Result<(), String> {
        self.terminate();
        let early = match engine {
            EngineBuild::Browsers => adopt_early_worker(w),
            EngineBuild::CpuOnly => None,
        };
        let (worker, early) = match early {
            Some(adopted) => adopted,
            None => {
                let options = WorkerOptions::new();
                options.set_type(WorkerType::Classic);
                let worker = Worker::new_with_options(engine.url(), &options).map_err(|e| {
                    format!("the browser refused to start the training worker: {}", super::js::describe(&e))
                })?;
                (worker, Array::new())
            }
        };

        let inner = self.inner.clone();
        let deliver = on_message.clone();
        let on_msg = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let text = event.unchecked_into::<MessageEvent>().data().as_string().unwrap_or_default();
            let message = FromWorker::from_json(&text).unwrap_or_else(|e| FromWorker::Error {
                run: None,
                message: format!("unreadable message from the worker: {e}"),
            });
            if message == FromWorker::Ready {
                let mut inner = inner.borrow_mut();
                inner.ready = true;
                let queued = std::mem::take(&mut inner.queue);
                if let Some(worker) = &inner.worker {
                    for text in queued {
                        let _ = worker.post_message(&JsValue::from_str(&text));
                    }
                }
            }
            deliver(w, message);
        });
        let on_err = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let event = event.unchecked_into::<ErrorEvent>();
            event.prevent_default();
            let message = if event.message().is_empty() { "an uncaught error".to_string() } else { event.message() };
            on_message(w, FromWorker::Crashed { message });
        });
        // What an early worker said before the app was here, in order, then the rest.
        for event in early.iter() {
            let handler: &js_sys::Function = match event.is_instance_of::<ErrorEvent>() {
                true => on_err.as_ref().unchecked_ref(),
                false => on_msg.as_ref().unchecked_ref(),
            };
            let _ = handler.call1(&JsValue::NULL, &event);
        }
        worker.set_onmessage(Some(on_msg.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_err.as_ref().unchecked_ref()));
        let mut inner = self.inner.borrow_mut();
        inner.worker = Some(worker);
        inner.handlers = vec![on_msg, on_err];
        Ok(())
    }

    /// Sends now if the worker is ready, else when it is.
    fn send(&self, message: &ToWorker) {
        let text = message.to_json();
        let mut inner = self.inner.borrow_mut();
        match (&inner.worker, inner.ready) {
            (Some(worker), true) => {
                let _ = worker.post_message(&JsValue::from_str(&text));
            }
            _ => inner.queue.push(text),
        }
    }

    /// Hands the worker its ends of a data-parallel run's channels, as a plain `{ports, run}`
    /// object with the ports transferred (they cannot travel as JSON); before the run's job,
    /// which the worker reads them for. Shares go only to ready workers.
    fn send_ports(&self, run: RunId, ports: &[MessagePort]) {
        let inner = self.inner.borrow();
        let Some(worker) = &inner.worker else { return };
        let list: Array = ports.iter().collect();
        let message = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&message, &"ports".into(), &list);
        let _ = js_sys::Reflect::set(&message, &"run".into(), &JsValue::from_f64(run as f64));
        let _ = worker.post_message_with_transfer(&message, &list);
    }

    /// Posts File objects (which cannot travel as JSON) as `{upload: entries}`, if the worker
    /// is ready.
    fn send_upload(&self, entries: &JsValue) -> bool {
        let inner = self.inner.borrow();
        let (Some(worker), true) = (&inner.worker, inner.ready) else { return false };
        // A plain `{upload}` object (js-sys has no typed object literal): the worker tells it
        // from the JSON text of every other message by its type.
        let message = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&message, &"upload".into(), entries);
        worker.post_message(&message).is_ok()
    }

    fn terminate(&self) {
        let mut inner = self.inner.borrow_mut();
        if let Some(worker) = inner.worker.take() {
            worker.terminate();
        }
        inner.ready = false;
        inner.queue.clear();
        inner.handlers.clear();
    }
}

/// The pool's workers, by index; clones share them.
#[derive(Clone, Default)]
pub struct Workers {
    bridges: Rc<RefCell<Vec<Bridge>>>,
}

impl Workers {
    /// Starts (or restarts) worker `w` on `engine`, growing the list as needed.
    pub fn start(&self, w: WorkerId, engine: EngineBuild, on_message: OnMessage) -> Result<(), String> {
        let mut bridges = self.bridges.borrow_mut();
        while bridges.len() <= w {
            bridges.push(Bridge::default());
        }
        bridges[w].start(w, engine, on_message)
    }

    /// How many workers were started.
    pub fn started(&self) -> usize {
        self.bridges.borrow().len()
    }

    /// Ends the workers from `size` on.
    pub fn truncate(&self, size: usize) {
        let mut bridges = self.bridges.borrow_mut();
        for bridge in bridges.iter().skip(size) {
            bridge.terminate();
        }
        bridges.truncate(size);
    }

    pub fn send(&self, w: WorkerId, message: &ToWorker) {
        if let Some(bridge) = self.bridges.borrow().get(w) {
            bridge.send(message);
        }
    }

    /// Connects the shares of data-parallel run `run`, on `workers` in share order: one
    /// channel for each pair of shares, each worker getting its ports in share order.
    pub fn connect(&self, run: RunId, workers: &[WorkerId]) -> Result<(), JsValue> {
        let mut ends: Vec<Vec<MessagePort>> = vec![vec![]; workers.len()];
        for i in 0..workers.len() {
            for j in i + 1..workers.len() {
                let channel = MessageChannel::new()?;
                ends[i].push(channel.port1());
                ends[j].push(channel.port2());
            }
        }
        let bridges = self.bridges.borrow();
        for (w, ports) in workers.iter().zip(&ends) {
            if let Some(bridge) = bridges.get(*w) {
                bridge.send_ports(run, ports);
            }
        }
        Ok(())
    }

    pub fn send_upload(&self, w: WorkerId, entries: &JsValue) -> bool {
        self.bridges.borrow().get(w).is_some_and(|b| b.send_upload(entries))
    }
}
