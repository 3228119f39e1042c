//! The page's shared context: the session signal, the training workers, the saved runs and
//! how each run is kept in this browser as it trains.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use leptos::prelude::*;

use crate::form::FormText;
use crate::labs::{LabId, RunKind};
use crate::protocol::{FromWorker, Job, ToWorker};
use crate::run::{BackendChoice, RunId};
use crate::runs::SavedRun;
use crate::session::pool::{MAX_WORKERS, Outbox, WorkerId, default_size};
use crate::session::{Kept, Session};
use crate::share::Shared;
use crate::web::bridge::{EngineBuild, OnMessage, Workers};

/// Where the page keeps each lab's form as last typed (`-<lab slug>` appended).
const FORM_KEY: &str = "nnlab-form";
/// Where the page keeps the pool size the user chose.
const POOL_SIZE_KEY: &str = "nnlab-workers";

/// Shared by every component (all fields are cheap handles).
#[derive(Clone, Copy)]
pub struct Ctx {
    pub session: RwSignal<Session>,
    pub choice: RwSignal<BackendChoice>,
    pub(crate) workers: StoredValue<Workers, LocalStorage>,
    pub(crate) probes: StoredValue<Rc<RefCell<ProbeQueue>>, LocalStorage>,
    /// `?test-hooks` in the URL shows controls that only end-to-end tests need.
    pub test_hooks: bool,
    /// Settings from the URL fragment, handed once to the lab they name.
    pub(crate) shared: StoredValue<Option<Shared>, LocalStorage>,
    /// The lab on screen.
    pub lab: RwSignal<LabId>,
    /// Presenter mode: larger type, essential controls, keyboard shortcuts.
    pub presenting: RwSignal<bool>,
    /// Whether the app is kept for offline use.
    pub offline: RwSignal<Offline>,
    /// What a shared link's fragment had that was ignored.
    pub(crate) link_notice: RwSignal<Option<String>>,
    /// Every run kept in this browser, oldest first.
    pub saved: RwSignal<Vec<SavedRun>>,
    /// For each saved run's key, the epochs its last completed write holds (with a checkpoint
    /// of the same epoch where the run has one).
    pub written: RwSignal<HashMap<String, usize>>,
    /// Why the last save failed (a full quota), for the banner.
    pub storage_error: RwSignal<Option<String>>,
    /// The other tabs, storage that lasts, and runs the browser would not store.
    pub keeping: super::saving::Keeping,
    /// Each lab's form once shown, kept while the student visits other labs.
    pub(crate) forms: StoredValue<HashMap<LabId, RwSignal<FormText>>, LocalStorage>,
    /// How many forms `forms` holds: what depends on a lab's form (the class-join link) hears
    /// when the form it waits for is made.
    pub(crate) forms_made: RwSignal<usize>,
    /// The app's reactive owner: the forms belong to it, not to the panel that first showed
    /// them (a panel is dropped when the student switches labs).
    pub(crate) owner: StoredValue<Owner, LocalStorage>,
    /// Which saved run each of this page's runs writes to: key, name, lab, start time.
    pub(crate) tracked: StoredValue<HashMap<RunId, Kept>, LocalStorage>,
}

/// The offline state shown in the header.
#[derive(Clone, Debug, PartialEq)]
pub enum Offline {
    /// Registering the service worker, which keeps the app's files.
    Pending,
    /// Every file of the app is kept: it opens without a network.
    Ready,
    /// A newer version was fetched and takes over on reload.
    UpdateReady,
    /// Not available here, and why.
    Unavailable(String),
}

/// How a run is kept in this browser as it trains.
pub struct Keep {
    /// What it is a run of.
    pub kind: RunKind,
    pub name: String,
    /// The key and start time of the saved run it continues.
    pub continues: Option<(String, f64)>,
}

/// At most one probe in flight; while one is, only the newest request waits.
#[derive(Default)]
pub(crate) struct ProbeQueue {
    in_flight: bool,
    pending: Option<ToWorker>,
}

impl Ctx {
    /// Sends a message to the pool: the session decides which worker gets it (or that it
    /// waits for a free one).
    pub fn send(&self, message: &ToWorker) {
        let out = self.session.try_update(|s| s.send(message.clone())).unwrap_or_default();
        self.post(out);
    }

    /// Starts a run of `job` on the backend chosen on the page: the one verb every lab's Train
    /// goes through. The session registers its view and routes it to the pool; `keep` saves it
    /// in this browser as it trains (as what, under which name, and under a saved run's key
    /// when it continues one). Returns the run's id.
    pub fn start(&self, job: Job, keep: Option<Keep>) -> RunId {
        let backend = self.choice.get_untracked();
        let Some((run, out)) = self.session.try_update(|s| s.start(job, backend)) else { return 0 };
        if let Some(Keep { kind, name, continues }) = keep {
            self.track(run, kind, name, continues);
        }
        self.post(out);
        run
    }

    /// Sends a message to worker `w` itself (test hooks only: everything else is routed).
    pub fn send_to(&self, w: WorkerId, message: &ToWorker) {
        self.workers.with_value(|workers| workers.send(w, message));
    }

    fn post(&self, out: Outbox) {
        // A worker the session added while routing (the CPU stand-in) starts before anything
        // is posted to it.
        let (slots, started) =
            (self.session.with_untracked(|s| s.pool.slots().len()), self.workers.with_value(Workers::started));
        for w in started..slots {
            self.start_worker(w);
        }
        self.workers.with_value(|workers| {
            // The shares of a data-parallel run are connected before their jobs go out.
            let mut shares: Vec<(RunId, Vec<WorkerId>)> = vec![];
            for (w, message) in &out {
                if let ToWorker::Start { run, job: Job::Dogs { share: Some(share), .. }, .. } = message
                    && share.count > 1
                {
                    match shares.iter_mut().find(|(r, _)| r == run) {
                        Some((_, ws)) => ws.push(*w),
                        None => shares.push((*run, vec![*w])),
                    }
                }
            }
            for (run, ws) in &shares {
                if let Err(e) = workers.connect(*run, ws) {
                    leptos::logging::error!(
                        "could not connect the shares of run {run}: {}",
                        crate::web::js::describe(&e)
                    );
                }
            }
            for (w, message) in &out {
                workers.send(*w, message);
            }
        });
    }

    /// Keeps run `id` in this browser as it goes (under `key`, or a new one).
    fn track(&self, id: RunId, kind: RunKind, name: String, key: Option<(String, f64)>) {
        let now = js_sys::Date::now();
        // The tab's mark keeps two tabs' runs apart even when both start run 1 in one millisecond.
        let tab = self.keeping.tab;
        let (key, created) = key.unwrap_or_else(|| (format!("{now:.0}-{id}-{tab}"), now));
        self.tracked.update_value(|t| {
            t.insert(id, Kept { key, name, kind, created });
        });
    }

    /// The form of `lab`, starting from `defaults` with what a shared link set, else what the
    /// student last typed in this browser (kept across reloads), once (later visits to the lab
    /// keep what the user typed).
    pub fn lab_form(&self, lab: LabId, mut defaults: FormText) -> RwSignal<FormText> {
        if let Some(form) = self.forms.with_value(|f| f.get(&lab).copied()) {
            return form;
        }
        let mut from_link = false;
        self.shared.update_value(|s| {
            if s.as_ref().is_some_and(|s| s.lab == Some(lab.slug()) && !s.fields.is_empty())
                && let Some(shared) = s.take()
            {
                from_link = true;
                for (key, value) in shared.fields {
                    defaults.set(key, value);
                }
            }
        });
        let storage = window().local_storage().ok().flatten();
        let key = format!("{FORM_KEY}-{}", lab.slug());
        if !from_link && let Some(kept) = storage.as_ref().and_then(|s| s.get_item(&key).ok().flatten()) {
            // Kept as a shared link's fragment: read back through the same checked parser.
            for (field, value) in crate::share::decode(&kept).fields {
                defaults.set(field, value);
            }
        }
        let form = self.owner.with_value(|owner| {
            owner.with(|| {
                let form = RwSignal::new(defaults);
                Effect::new(move |_| {
                    let text = form.with(|f| crate::share::encode(lab.slug(), &f.pairs()));
                    if let Some(storage) = &storage {
                        let _ = storage.set_item(&key, &text);
                    }
                });
                form
            })
        });
        self.forms.update_value(|f| {
            f.insert(lab, form);
        });
        self.forms_made.update(|n| *n += 1);
        form
    }

    /// The link "Copy a link to these settings" makes for the lab on screen: this page's
    /// address with the lab and its form in the fragment.
    pub fn shared_link(&self) -> String {
        self.forms_made.track();
        let lab = self.lab.get();
        let form = self.forms.with_value(|f| f.get(&lab).copied());
        let fragment = match form {
            Some(form) => form.with(|f| crate::share::encode(lab.slug(), &f.pairs())),
            None => lab.slug().to_string(),
        };
        crate::share::link(&window().location().href().unwrap_or_default(), &fragment)
    }

    /// Settings a fragment typed later carries: into the lab's form if it was shown, else kept
    /// for its first showing.
    pub fn apply_shared(&self, lab: LabId, shared: Shared) {
        match self.forms.with_value(|f| f.get(&lab).copied()) {
            Some(form) => form.update(|f| {
                for (key, value) in &shared.fields {
                    f.set(key, value.clone());
                }
            }),
            None => self.shared.set_value(Some(shared)),
        }
    }

    /// Hands the user's DogSet files (`[[path, File], ...]`) to the worker; false when it is
    /// not ready to take them.
    pub fn upload(&self, entries: wasm_bindgen::JsValue) -> bool {
        let Some(w) = self.session.try_update(|s| s.pool.upload_worker()).flatten() else { return false };
        self.workers.with_value(|workers| workers.send_upload(w, &entries))
    }

    /// Sends a probe now, or after the one in flight answers.
    pub fn probe(&self, message: ToWorker) {
        let queue = self.probes.get_value();
        let mut q = queue.borrow_mut();
        if q.in_flight {
            q.pending = Some(message);
        } else {
            q.in_flight = true;
            drop(q);
            self.send(&message);
        }
    }

    fn probe_answered(&self) {
        let queue = self.probes.get_value();
        let next = {
            let mut q = queue.borrow_mut();
            q.in_flight = q.pending.is_some();
            q.pending.take()
        };
        if let Some(message) = next {
            self.send(&message);
        }
    }

    /// The pool size: the user's choice kept in this browser, else one worker per core but
    /// the page's.
    pub(crate) fn pool_size() -> usize {
        let stored = window().local_storage().ok().flatten().and_then(|s| s.get_item(POOL_SIZE_KEY).ok().flatten());
        stored
            .and_then(|v| v.parse::<usize>().ok())
            .map(|n| n.clamp(1, MAX_WORKERS))
            .unwrap_or_else(|| default_size(window().navigator().hardware_concurrency() as usize))
    }

    /// Starts the pool's workers.
    pub(crate) fn start_pool(&self) {
        let size = Self::pool_size();
        self.session.update(|s| {
            s.pool.resize(size);
        });
        for w in 0..size {
            self.start_worker(w);
        }
    }

    /// Changes the pool's size (only while nothing trains or waits); kept in this browser.
    pub fn resize_pool(&self, size: usize) {
        let old = self.session.with_untracked(|s| s.pool.size());
        if !self.session.try_update(|s| s.pool.resize(size)).unwrap_or(false) {
            return;
        }
        let size = self.session.with_untracked(|s| s.pool.size());
        if let Some(storage) = window().local_storage().ok().flatten() {
            let _ = storage.set_item(POOL_SIZE_KEY, &size.to_string());
        }
        self.workers.with_value(|workers| workers.truncate(size));
        for w in old..size {
            self.start_worker(w);
        }
    }

    /// Starts a fresh worker `w` after a crash; it takes the next waiting job.
    pub fn restart_worker(&self, w: WorkerId) {
        *self.probes.get_value().borrow_mut() = ProbeQueue::default();
        let out = self.session.try_update(|s| s.pool.restarted(w)).unwrap_or_default();
        self.start_worker(w);
        self.post(out);
    }

    /// Starts worker `w` of the pool.
    fn start_worker(&self, w: WorkerId) {
        let ctx = *self;
        let on_message: OnMessage = Rc::new(move |w: WorkerId, message: FromWorker| {
            let answers_probe = matches!(message, FromWorker::Probe { .. } | FromWorker::Error { .. });
            let save = match &message {
                FromWorker::Epoch { run, .. }
                | FromWorker::Checkpoint { run, .. }
                | FromWorker::Done { run, .. }
                | FromWorker::Tested { run, .. }
                | FromWorker::Evaluated { run, .. }
                | FromWorker::Error { run: Some(run), .. } => vec![*run],
                FromWorker::Crashed { .. } => ctx.tracked.with_value(|t| t.keys().copied().collect()),
                _ => vec![],
            };
            let mnist = match &message {
                FromWorker::SizeEpoch { run, size, .. } => Some((*run, *size)),
                FromWorker::SizeDone { run, result, .. } => Some((*run, result.size)),
                _ => None,
            };
            let out = ctx.session.try_update(|s| s.apply_from(w, message)).unwrap_or_default();
            ctx.post(out);
            for run in save {
                ctx.persist(run);
            }
            if let Some((run, size)) = mnist {
                ctx.persist_mnist(run, size);
            }
            if answers_probe {
                ctx.probe_answered();
            }
        });
        let engine = match self.session.with_untracked(|s| s.pool.is_stand_in(w)) {
            true => EngineBuild::CpuOnly,
            false => EngineBuild::Browsers,
        };
        if let Err(message) = self.workers.with_value(|workers| workers.start(w, engine, on_message)) {
            let out = self.session.try_update(|s| s.apply_from(w, FromWorker::Crashed { message })).unwrap_or_default();
            self.post(out);
        }
    }
}
