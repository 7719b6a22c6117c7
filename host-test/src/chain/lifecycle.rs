//! Starting a chain's filter instances, and replacing one that failed.

use std::sync::Arc;

use wasmtime::{Engine as WasmEngine, Store, TypedFunc, WasmParams, WasmResults};

use super::store::{HostState, Slot};
use super::{Chain, Member, ROOT_CONTEXT};
use crate::clock::Clock;
use crate::engine::{Engine, Phase};
use crate::error::LoadError;
use crate::log_record::{LogLevel, LogRecord};
use crate::metrics::SharedMetrics;
use crate::wasm::entry_points::EntryPoints;
use crate::wasm::library::CALLBACK_DEADLINE_TICKS;

/// Replaced instances stay in the store (wasmtime cannot drop one instance); past this many the
/// whole store is rebuilt.
const RETIRED_LIMIT: usize = 64;

impl Chain {
    /// Starts every member in order; stops at the first that fails.
    pub(super) fn start_all(&mut self, logs: &mut Vec<LogRecord>) -> Result<(), LoadError> {
        for index in 0..self.members.len() {
            let result = self.start(index);
            logs.append(&mut self.store.data_mut().stream.logs);
            result?;
        }
        Ok(())
    }

    /// Instantiates member `index` and runs its root lifecycle: `_initialize`,
    /// `on_context_create`, `on_vm_start`, `on_configure`.
    fn start(&mut self, index: usize) -> Result<(), LoadError> {
        let Some(member) = self.members.get_mut(index) else {
            return Ok(());
        };
        let filter = member.module.name.to_string();
        let start_error = |reason: String| LoadError::Start {
            filter: filter.clone(),
            reason,
        };
        let store = &mut self.store;
        store.data_mut().current = index;
        store.data_mut().stream.phase = Phase::Configure;
        store.set_epoch_deadline(CALLBACK_DEADLINE_TICKS);
        let instance = member
            .module
            .pre
            .instantiate(&mut *store)
            .map_err(|error| start_error(error.to_string()))?;
        let entry = EntryPoints::find(&instance, &mut *store).map_err(|missing| {
            LoadError::NotProxyWasm {
                filter: filter.clone(),
                missing,
            }
        })?;
        let memory =
            instance
                .get_memory(&mut *store, "memory")
                .ok_or_else(|| LoadError::NotProxyWasm {
                    filter: filter.clone(),
                    missing: "memory".to_owned(),
                })?;
        if let Some(slot) = store.data_mut().slots.get_mut(index) {
            slot.memory = Some(memory);
            slot.allocate = Some(entry.allocate.clone());
        }
        let configure = |store: &mut Store<HostState>, func: &TypedFunc<(u32, u32), u32>, arg| {
            invoke(store, index, Phase::Configure, func, (ROOT_CONTEXT, arg))
        };
        if let Some(initialize) = &entry.initialize {
            invoke(store, index, Phase::Configure, initialize, ()).map_err(start_error)?;
        }
        invoke(
            store,
            index,
            Phase::Configure,
            &entry.on_context_create,
            (ROOT_CONTEXT, 0),
        )
        .map_err(start_error)?;
        if configure(store, &entry.on_vm_start, 0).map_err(start_error)? == 0 {
            return Err(start_error("on_vm_start returned false".to_owned()));
        }
        let size = u32::try_from(member.configuration.len())
            .map_err(|_| start_error("configuration too large".to_owned()))?;
        if configure(store, &entry.on_configure, size).map_err(start_error)? == 0 {
            let messages = store
                .data()
                .stream
                .logs
                .iter()
                .filter(|record| {
                    record.level >= LogLevel::Error && record.filter.as_ref() == filter
                })
                .map(|record| record.message.clone())
                .collect();
            return Err(LoadError::Refused { filter, messages });
        }
        member.entry = Some(entry);
        member.unavailable = None;
        Ok(())
    }

    /// Replaces a member whose instance failed.
    pub(super) fn restart(&mut self, index: usize, logs: &mut Vec<LogRecord>) {
        self.retired += 1;
        if let Some(member) = self.members.get_mut(index) {
            member.entry = None;
        }
        if self.retired > RETIRED_LIMIT {
            let state = self.store.data();
            let (engine, clock) = (state.engine, state.clock);
            self.store = new_store(
                &self.wasm_engine,
                engine,
                clock,
                &self.members,
                &self.metrics,
            );
            self.retired = 0;
            if let Err(error) = self.start_all(logs) {
                let reason = error.to_string();
                for member in &mut self.members {
                    member.unavailable = Some(reason.clone());
                }
            }
            return;
        }
        let result = self.start(index);
        logs.append(&mut self.store.data_mut().stream.logs);
        if let (Err(error), Some(member)) = (result, self.members.get_mut(index)) {
            member.unavailable = Some(error.to_string());
        }
    }
}

/// A store for `members`, their slots empty until each is started.
pub(super) fn new_store(
    wasm_engine: &WasmEngine,
    engine: Engine,
    clock: Clock,
    members: &[Member],
    metrics: &SharedMetrics,
) -> Store<HostState> {
    let mut state = HostState::new(engine, clock, SharedMetrics::clone(metrics));
    state.slots = members
        .iter()
        .map(|member| Slot {
            name: Arc::clone(&member.module.name),
            configuration: Arc::clone(&member.configuration),
            memory: None,
            allocate: None,
            last_critical: None,
        })
        .collect();
    Store::new(wasm_engine, state)
}

/// Calls one filter callback with the phase set, and describes a failure.
pub(super) fn invoke<P: WasmParams, R: WasmResults>(
    store: &mut Store<HostState>,
    index: usize,
    phase: Phase,
    func: &TypedFunc<P, R>,
    params: P,
) -> Result<R, String> {
    let state = store.data_mut();
    state.current = index;
    state.stream.phase = phase;
    if let Some(slot) = state.slots.get_mut(index) {
        slot.last_critical = None;
    }
    store.set_epoch_deadline(CALLBACK_DEADLINE_TICKS);
    func.call(&mut *store, params).map_err(|error| {
        let slot = store.data().slots.get(index);
        let name = slot.map_or("?", |slot| slot.name.as_ref());
        let mut message = format!("filter {name} trapped in {}: {error}", phase.callback());
        if let Some(critical) = slot.and_then(|slot| slot.last_critical.as_deref()) {
            message.push_str(" (");
            message.push_str(&critical.replace('\n', " "));
            message.push(')');
        }
        message
    })
}
