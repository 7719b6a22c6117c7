//! Counters, defined on first use and cached by name for the life of the VM.

use std::cell::RefCell;
use std::collections::HashMap;

use crate::abi::{self, LogLevel};

/// Counter ids by name.
#[derive(Debug, Default)]
pub struct Counters {
    ids: RefCell<HashMap<String, u32>>,
}

impl Counters {
    /// Adds one to the counter `name`, defining it the first time. Failures are logged, never fatal:
    /// Kong before 3.8 does not implement metrics at all.
    pub fn increment(&self, filter: &str, name: String) {
        let known = self.ids.borrow().get(&name).copied();
        let id = match known {
            Some(id) => id,
            None => match abi::define_counter(&name) {
                Ok(id) => {
                    self.ids.borrow_mut().insert(name, id);
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
            },
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
