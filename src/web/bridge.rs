//! The page's side of the worker: spawns it, queues messages until it says `Ready`, reports
//! a crash, and can start a fresh one.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, MessageEvent, Worker, WorkerOptions, WorkerType};

use crate::protocol::{FromWorker, ToWorker};

/// The worker script, next to index.html (resolved against `<base>`, so any sub-path works).
const WORKER_URL: &str = "./worker_loader.js";

#[derive(Default)]
struct Inner {
    worker: Option<Worker>,
    ready: bool,
    queue: Vec<String>,
    /// Keeps the event handlers alive as long as their worker.
    handlers: Vec<Closure<dyn FnMut(JsValue)>>,
}

/// A handle to the training worker; clones share one worker.
#[derive(Clone, Default)]
pub struct Bridge {
    inner: Rc<RefCell<Inner>>,
}

impl Bridge {
    /// Starts a worker (ending any previous one). Every message it posts goes to `on_message`;
    /// an uncaught error in it goes to `on_message` as `FromWorker::Crashed`.
    pub fn start(&self, on_message: Rc<dyn Fn(FromWorker)>) -> Result<(), String> {
        self.terminate();
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Classic);
        let worker = Worker::new_with_options(WORKER_URL, &options)
            .map_err(|e| format!("the browser refused to start the training worker: {}", super::js::describe(&e)))?;

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
            deliver(message);
        });
        let on_err = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let event = event.unchecked_into::<ErrorEvent>();
            event.prevent_default();
            let message = if event.message().is_empty() { "an uncaught error".to_string() } else { event.message() };
            on_message(FromWorker::Crashed { message });
        });
        worker.set_onmessage(Some(on_msg.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_err.as_ref().unchecked_ref()));
        let mut inner = self.inner.borrow_mut();
        inner.worker = Some(worker);
        inner.handlers = vec![on_msg, on_err];
        Ok(())
    }

    /// Sends now if the worker is ready, else when it is.
    pub fn send(&self, message: &ToWorker) {
        let text = message.to_json();
        let mut inner = self.inner.borrow_mut();
        match (&inner.worker, inner.ready) {
            (Some(worker), true) => {
                let _ = worker.post_message(&JsValue::from_str(&text));
            }
            _ => inner.queue.push(text),
        }
    }

    /// Posts File objects (which cannot travel as JSON) as `{upload: entries}`, if the worker
    /// is ready.
    pub fn send_upload(&self, entries: &JsValue) -> bool {
        let inner = self.inner.borrow();
        let (Some(worker), true) = (&inner.worker, inner.ready) else { return false };
        // A plain `{upload}` object (js-sys has no typed object literal): the worker tells it
        // from the JSON text of every other message by its type.
        let message = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&message, &"upload".into(), entries);
        worker.post_message(&message).is_ok()
    }

    pub fn terminate(&self) {
        let mut inner = self.inner.borrow_mut();
        if let Some(worker) = inner.worker.take() {
            worker.terminate();
        }
        inner.ready = false;
        inner.queue.clear();
        inner.handlers.clear();
    }
}
