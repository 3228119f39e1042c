//! The browser's side of data-parallel SGD (`train::parallel`): the shares of one run talk over
//! the MessageChannel ports the page handed them before the job, one channel per pair of
//! shares (each worker holds a port to every other share, in share order). Gradients travel
//! as Float32Arrays, worker to worker: the page's thread is not involved.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Array, Float32Array, Promise};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageEvent, MessagePort};

use super::{Flags, scope};
use crate::run::{RunId, Share};
use crate::train::parallel::Exchange;

/// What the leader sends instead of a sum when the run ended.
const END: &str = "end";
/// While waiting for another share, look at the Stop flag this often (a crashed share never
/// answers; the page then stops the run's other shares).
const POLL_MS: i32 = 100;

/// Messages arrived on one port, and the wait for the next.
struct Inbox {
    port: MessagePort,
    queue: Rc<RefCell<VecDeque<JsValue>>>,
    wake: Rc<RefCell<Option<js_sys::Function>>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl Inbox {
    fn new(port: MessagePort) -> Self {
        let queue: Rc<RefCell<VecDeque<JsValue>>> = Rc::default();
        let wake: Rc<RefCell<Option<js_sys::Function>>> = Rc::default();
        let (q, w) = (queue.clone(), wake.clone());
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            q.borrow_mut().push_back(event.data());
            if let Some(resolve) = w.borrow_mut().take() {
                let _ = resolve.call0(&JsValue::NULL);
            }
        });
        port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Self { port, queue, wake, _on_message: on_message }
    }

    /// The next message, or `None` once this worker is told to stop.
    async fn recv(&self, flags: &Flags) -> Option<JsValue> {
        loop {
            if let Some(message) = self.queue.borrow_mut().pop_front() {
                return Some(message);
            }
            if flags.stop.get() {
                return None;
            }
            let wake = self.wake.clone();
            let promise = Promise::new(&mut |resolve, _reject| {
                let _ = scope().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, POLL_MS);
                *wake.borrow_mut() = Some(resolve);
            });
            let _ = JsFuture::from(promise).await;
        }
    }

    fn send(&self, values: &[f32]) {
        let _ = self.port.post_message(&Float32Array::from(values));
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        self.port.set_onmessage(None);
        self.port.close();
    }
}

/// One share's ends of the run's channels.
pub struct PortExchange {
    share: Share,
    /// One per other share, in share order.
    inboxes: Vec<Inbox>,
    flags: Rc<Flags>,
    finished: bool,
}

impl PortExchange {
    pub fn new(share: Share, ports: Vec<MessagePort>, flags: Rc<Flags>) -> Self {
        Self { share, inboxes: ports.into_iter().map(Inbox::new).collect(), flags, finished: false }
    }
}

impl Exchange for PortExchange {
    fn share(&self) -> Share {
        self.share
    }

    async fn all_reduce(&mut self, values: Vec<f32>) -> Option<Vec<f32>> {
        // Every share sends its values to every other and adds all of them up itself, in
        // share order: one message hop per step instead of two through the leader.
        for inbox in &self.inboxes {
            inbox.send(&values);
        }
        // The other shares' values, in share order (the inboxes are), or END when the leader
        // stopped.
        let mut others = Vec::with_capacity(self.inboxes.len());
        for inbox in &self.inboxes {
            others.push(inbox.recv(&self.flags).await?.dyn_into::<Float32Array>().ok()?.to_vec());
        }
        let mut others = others.into_iter();
        let mut sum = vec![0f32; values.len()];
        for index in 0..self.share.count {
            let other;
            let part: &[f32] = if index == self.share.index {
                &values
            } else {
                other = others.next()?;
                &other
            };
            sum.iter_mut().zip(part).for_each(|(s, p)| *s += p);
        }
        Some(sum)
    }

    fn finish(&mut self) {
        if self.share.is_leader() && !self.finished {
            self.finished = true;
            for inbox in &self.inboxes {
                let _ = inbox.port.post_message(&JsValue::from_str(END));
            }
        }
    }
}

/// The ports the page handed this worker for run `run` (a plain `{ports, run}` object).
pub fn take_ports(message: &JsValue) -> Option<(RunId, Vec<MessagePort>)> {
    let ports = super::get(message, "ports").dyn_into::<Array>().ok()?;
    let run = super::get(message, "run").as_f64()? as RunId;
    Some((run, ports.iter().filter_map(|p| p.dyn_into::<MessagePort>().ok()).collect()))
}
