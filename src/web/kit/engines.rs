//! Automatic's engine measurements ([`EngineMeasure`]), kept in this browser's localStorage by
//! workload, so that later runs of the same network and batch size train on the faster engine
//! without timing both again; "Measure again" forgets them. localStorage is per browser
//! profile on one machine: a measurement is the device's.

use std::collections::HashMap;

use leptos::prelude::*;

use super::Ctx;
use crate::run::EngineMeasure;

const ENGINES_KEY: &str = "nnlab-engines";

impl Ctx {
    /// Loads the kept measurements into the session, and keeps them whenever they change.
    pub(crate) fn keep_engines(&self) {
        let storage = window().local_storage().ok().flatten();
        let kept = storage.as_ref().and_then(|s| s.get_item(ENGINES_KEY).ok().flatten());
        // Unreadable (edited by hand, an older format): measured again, as on a first visit.
        if let Some(engines) = kept.and_then(|k| crate::protocol::read_json::<HashMap<String, EngineMeasure>>(&k).ok())
        {
            self.session.update_untracked(|s| s.engines = engines);
        }
        let session = self.session;
        let engines = Memo::new(move |_| session.with(|s| s.engines.clone()));
        Effect::new(move |_| {
            let text = engines.with(|e| serde_json::to_string(e).unwrap_or_default());
            if let Some(storage) = &storage {
                let _ = storage.set_item(ENGINES_KEY, &text);
            }
        });
    }

    /// Forgets every measurement: each workload's next Automatic run times both engines again.
    pub fn measure_again(&self) {
        self.session.update(|s| s.forget_engines());
    }
}
