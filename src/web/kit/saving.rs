//! How the page keeps runs in this browser: written after every epoch, read back on load,
//! shared with the page's other tabs, and never dropped silently when storage is full.

use std::cmp::Reverse;
use std::collections::HashSet;

use leptos::prelude::*;

use super::context::Ctx;
use crate::run::RunId;
use crate::runs::{RunStatus, SavedRun, Unreadable};
use crate::session::Kept;
use crate::web::store;
use crate::web::tabs::{self, Announce, Channel};

/// What the page knows of its storage beyond the runs themselves.
#[derive(Clone, Copy)]
pub struct Keeping {
    /// Records in this browser that this page cannot read: listed, kept, deleted only on request.
    pub unreadable: RwSignal<Vec<Unreadable>>,
    /// Keys of the saved runs another tab trains now.
    pub elsewhere: RwSignal<HashSet<String>>,
    /// Keys of runs the browser refused to store (storage full): kept on this page, and
    /// saved again after the student deletes something.
    pub unsaved: RwSignal<HashSet<String>>,
    /// Whether the browser keeps this site's storage until the student deletes it (`None`:
    /// not known, or not reported by this browser).
    pub persisted: RwSignal<Option<bool>>,
    /// Whether the saved runs were read (the list is complete).
    pub loaded: RwSignal<bool>,
    /// Whether this page asked for persistent storage already.
    asked: StoredValue<bool>,
    channel: StoredValue<Option<Channel>, LocalStorage>,
    /// This tab's mark in the keys of the runs it starts.
    pub tab: u16,
}

impl Keeping {
    pub fn new() -> Self {
        Keeping {
            unreadable: RwSignal::new(vec![]),
            elsewhere: RwSignal::new(HashSet::new()),
            unsaved: RwSignal::new(HashSet::new()),
            persisted: RwSignal::new(None),
            loaded: RwSignal::new(false),
            asked: StoredValue::new(false),
            channel: StoredValue::new_local(None),
            tab: (js_sys::Math::random() * 65536.0) as u16,
        }
    }
}

impl Ctx {
    /// Epochs of run `id` safely written to this browser so far.
    pub fn written_epochs(&self, id: RunId) -> Option<usize> {
        let key = self.tracked.with_value(|t| t.get(&id).map(|t| t.key.clone()))?;
        self.written.with(|w| w.get(&key).copied())
    }

    /// Saves the model of size `size` of the tracked MNIST run `id` (each model is a run).
    pub(crate) fn persist_mnist(&self, id: RunId, size: usize) {
        let Some(Kept { key, created, .. }) = self.tracked.with_value(|t| t.get(&id).cloned()) else { return };
        let key = format!("{key}-{size}");
        let run = self.session.with_untracked(|s| {
            [&s.mnist, &s.mnist_check]
                .into_iter()
                .flatten()
                .find(|m| m.id == id)
                .map(|m| SavedRun::of_mnist_model(m, size, &key, created))
        });
        if let Some(run) = run {
            self.save_as_named(run);
        }
    }

    /// Saves the tracked run `id` as it stands now.
    pub(crate) fn persist(&self, id: RunId) {
        let Some(kept) = self.tracked.with_value(|t| t.get(&id).cloned()) else { return };
        if let Some(run) = self.session.with_untracked(|s| s.saved(id, &kept)) {
            self.save_as_named(run);
        }
    }

    /// Saves `run` under the name the student may have given it in the runs list meanwhile
    /// (in this tab or another).
    fn save_as_named(&self, run: SavedRun) {
        let name = self.saved.with_untracked(|all| all.iter().find(|r| r.key == run.key).map(|r| r.name.clone()));
        self.save(SavedRun { name: name.unwrap_or(run.name.clone()), ..run });
    }

    /// Writes `run` to IndexedDB and the list. A run still training holds its lock (see
    /// [`tabs`]) until a save says it stopped. A write the browser refuses keeps the run on
    /// the page and says what to delete.
    pub fn save(&self, run: SavedRun) {
        self.take_in(run.clone());
        let training = run.status == RunStatus::Running;
        if training {
            tabs::hold(&run.key);
        }
        let ctx = *self;
        leptos::task::spawn_local(async move {
            let written = store::put(&run).await;
            // Let go only once the last record is written: a tab waiting for the lock reads it.
            if !training {
                tabs::release(&run.key);
            }
            match written {
                Ok(()) => {
                    let epochs = run.checkpoint.as_ref().map_or(run.epochs.len(), |c| c.epoch.min(run.epochs.len()));
                    ctx.written.update(|w| {
                        w.insert(run.key.clone(), epochs);
                    });
                    ctx.keeping.unsaved.update(|u| {
                        u.remove(&run.key);
                    });
                    if ctx.keeping.unsaved.with_untracked(HashSet::is_empty) {
                        ctx.storage_error.set(None);
                    }
                    ctx.tell(&Announce::Saved(run.key.clone()));
                    ctx.ask_to_persist();
                }
                Err(e) if e.is_quota() => {
                    ctx.keeping.unsaved.update(|u| {
                        u.insert(run.key.clone());
                    });
                    ctx.storage_error.set(Some(ctx.full_message(&run.name)));
                }
                Err(e) => ctx.storage_error.set(Some(format!(
                    "nnlab could not save \"{}\" in this browser ({e}). The run stays on this page while it is open: export it (Saved runs, JSON) to keep it",
                    run.name
                ))),
            }
        });
    }

    /// What to tell the student when storage is full: the run is kept here, and which saved
    /// runs take the most room.
    fn full_message(&self, name: &str) -> String {
        let unsaved = self.keeping.unsaved.get_untracked();
        let mut sizes: Vec<(String, usize)> = self.saved.with_untracked(|all| {
            all.iter()
                .filter(|r| !unsaved.contains(&r.key))
                .map(|r| (r.name.clone(), SavedRun::to_json(std::slice::from_ref(r)).len()))
                .collect()
        });
        sizes.sort_by_key(|(_, bytes)| Reverse(*bytes));
        let largest: Vec<String> = sizes
            .iter()
            .take(3)
            .map(|(name, bytes)| format!("\"{name}\" {}", crate::metrics::format_bytes(*bytes)))
            .collect();
        let delete = match largest.is_empty() {
            true => "Free space in this browser (other sites' data)".to_string(),
            false => format!("Delete runs you no longer need in Saved runs (the largest: {})", largest.join(", ")),
        };
        format!(
            "This browser's storage for nnlab is full, so \"{name}\" could not be saved. It stays on this page, with every epoch, while the page is open. {delete}, or export them first: it is saved again as soon as there is room."
        )
    }

    /// Saves again every run the browser refused (after the student freed room).
    pub fn retry_unsaved(&self) {
        let keys = self.keeping.unsaved.get_untracked();
        let runs: Vec<SavedRun> =
            self.saved.with_untracked(|all| all.iter().filter(|r| keys.contains(&r.key)).cloned().collect());
        for run in runs {
            self.save(run);
        }
    }

    /// Asks the browser, once per page, to keep this site's storage until the student
    /// deletes it (browsers evict other sites' storage when space runs short).
    fn ask_to_persist(&self) {
        if self.keeping.asked.get_value() || self.keeping.persisted.get_untracked() == Some(true) {
            return;
        }
        self.keeping.asked.set_value(true);
        let persisted = self.keeping.persisted;
        leptos::task::spawn_local(async move {
            if let Some(granted) = store::persist().await {
                persisted.set(Some(granted));
            }
        });
    }

    /// Tells the other tabs what this one wrote or deleted.
    pub fn tell(&self, announce: &Announce) {
        self.keeping.channel.with_value(|c| {
            if let Some(channel) = c {
                channel.tell(announce);
            }
        });
    }

    /// Whether this page trains (or trained) the run saved under `key`.
    fn is_ours(&self, key: &str) -> bool {
        self.tracked.with_value(|t| {
            t.values()
                .any(|t| key == t.key || key.strip_prefix(t.key.as_str()).is_some_and(|rest| rest.starts_with('-')))
        })
    }

    /// Shows run `key` as training in another tab until that tab lets it go; then reads it
    /// again (a tab that went away mid-run left it interrupted).
    fn watch_elsewhere(&self, key: String) {
        self.keeping.elsewhere.update(|e| {
            e.insert(key.clone());
        });
        let ctx = *self;
        let freed = key.clone();
        tabs::when_free(&key, move || {
            leptos::task::spawn_local(async move {
                ctx.keeping.elsewhere.update(|e| {
                    e.remove(&freed);
                });
                if let Ok(Some(Ok(run))) = store::get(&freed).await {
                    let found = run.clone().found_on_load();
                    if found != run {
                        ctx.save(found);
                    } else {
                        ctx.take_in(found);
                    }
                }
            });
        });
    }

    /// Puts `run` into this tab's list, in place of the one with its key.
    fn take_in(&self, run: SavedRun) {
        self.saved.update(|all| match all.iter_mut().find(|r| r.key == run.key) {
            Some(old) => *old = run,
            None => all.push(run),
        });
    }

    /// Follows what another tab announced.
    fn heard(&self, announce: Announce) {
        let ctx = *self;
        match announce {
            Announce::Deleted(key) => {
                ctx.saved.update(|all| all.retain(|r| r.key != key));
                ctx.keeping.unreadable.update(|u| u.retain(|r| r.key != key));
            }
            Announce::Saved(key) => leptos::task::spawn_local(async move {
                match store::get(&key).await {
                    // This tab writes its own runs: only a new name comes from elsewhere.
                    Ok(Some(Ok(run))) if ctx.is_ours(&key) => ctx.saved.update(|all| {
                        if let Some(mine) = all.iter_mut().find(|r| r.key == key) {
                            mine.name = run.name;
                        }
                    }),
                    Ok(Some(Ok(run))) => {
                        let training = run.status == RunStatus::Running;
                        ctx.take_in(run);
                        if training && !ctx.keeping.elsewhere.with_untracked(|e| e.contains(&key)) {
                            ctx.watch_elsewhere(key);
                        }
                    }
                    Ok(Some(Err(unreadable))) => ctx.keeping.unreadable.update(|u| {
                        u.retain(|r| r.key != unreadable.key);
                        u.push(unreadable);
                    }),
                    Ok(None) | Err(_) => {}
                }
            }),
        }
    }

    /// Loads the saved runs. A run still marked running was interrupted by the page going
    /// away, unless another tab still trains it.
    pub(crate) fn load_saved(&self) {
        let ctx = *self;
        self.keeping.channel.set_value(Channel::open(move |announce| ctx.heard(announce)));
        // A run the browser would not store exists only on this page: leaving asks first.
        let leaving = window_event_listener(leptos::ev::beforeunload, move |event| {
            if !ctx.keeping.unsaved.with_untracked(HashSet::is_empty) {
                event.prevent_default();
            }
        });
        on_cleanup(move || leaving.remove());
        leptos::task::spawn_local(async move {
            ctx.keeping.persisted.set(store::persisted().await);
            let read = store::all().await;
            // Asked after reading: a tab that saved a running record held its lock before.
            let elsewhere = tabs::training_elsewhere().await;
            match read {
                Ok((runs, unreadable)) => {
                    let runs: Vec<SavedRun> = runs
                        .into_iter()
                        .map(|r| {
                            if r.status == RunStatus::Running && elsewhere.contains(&r.key) {
                                ctx.watch_elsewhere(r.key.clone());
                                return r;
                            }
                            let found = r.clone().found_on_load();
                            if found != r {
                                ctx.save(found.clone());
                            }
                            found
                        })
                        .collect();
                    // Each lab's last run back on screen (not one another tab trains), and
                    // finished Synth models back in a worker.
                    let here: Vec<SavedRun> = runs.iter().filter(|r| !elsewhere.contains(&r.key)).cloned().collect();
                    let choice = ctx.choice.get_untracked();
                    let reload = ctx.session.try_update(|s| s.restore(&here, choice)).unwrap_or_default();
                    for message in &reload {
                        ctx.send(message);
                    }
                    ctx.saved.update(|all| {
                        for r in runs {
                            if !all.iter().any(|a| a.key == r.key) {
                                all.push(r);
                            }
                        }
                    });
                    ctx.keeping.unreadable.set(unreadable);
                    ctx.keeping.loaded.set(true);
                }
                Err(e) => ctx.storage_error.set(Some(format!("Saved runs are not available here: {e}"))),
            }
        });
    }
}
