//! Counters, defined on first use and cached for the life of the VM.

use std::cell::RefCell;
use std::collections::HashMap;

use kdp_migrate_core::{Action, Entry, MigrationMap, Verdict, counter_name};

use crate::abi::{self, LogLevel};

/// What a counter counts: (API index, entry, action). Looked up by value so that the per-request
/// path formats no name; the name is rendered once, when the counter is defined.
type CounterKey = (Option<usize>, Entry, Action);

/// Counter ids by what they count.
#[derive(Debug, Default)]
pub struct Counters {
    ids: RefCell<HashMap<CounterKey, u32>>,
}

impl Counters {
    /// Adds one to the counter of `verdict`, defining it the first time. Failures are logged, never
    /// fatal: Kong before 3.8 does not implement metrics at all.
    pub fn increment(&self, filter: &str, map: &MigrationMap, verdict: &Verdict) {
        let key = (verdict.api, verdict.entry, verdict.action);
        let known = self.ids.borrow().get(&key).copied();
        let id = match known {
            Some(id) => id,
            None => {
                let name = counter_name(
                    verdict.api(map).map(|api| api.name()),
                    verdict.entry,
                    verdict.action,
                );
                match abi::define_counter(&name) {
                    Ok(id) => {
                        self.ids.borrow_mut().insert(key, id);
                        id
                    }
                    Err(status) => {
                        abi::log(
                            LogLevel::Warn,
                            &format!(
                                "{filter}: cannot define counter {name}: host status {}",
                                status.0
                            ),
                        );
                        return;
                    }
                }
            }
        };
        if let Err(status) = abi::increment(id, 1) {
            abi::log(
                LogLevel::Warn,
                &format!(
                    "{filter}: cannot increment counter {id}: host status {}",
                    status.0
                ),
            );
        }
    }
}
