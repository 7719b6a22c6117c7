//! The data a chain's wasmtime store carries: what hostcalls see when a filter calls the host.

use std::sync::Arc;

use wasmtime::{Memory, TypedFunc};

use crate::clock::Clock;
use crate::engine::Engine;
use crate::engine::properties::PropertyPath;
use crate::engine::stream::Stream;
use crate::metrics::SharedMetrics;

/// One filter instance's handles, indexed like the chain.
pub(crate) struct Slot {
    pub name: Arc<str>,
    pub configuration: Arc<[u8]>,
    pub memory: Option<Memory>,
    /// `proxy_on_memory_allocate`: where the host puts what it returns to the guest.
    pub allocate: Option<TypedFunc<u32, u32>>,
    /// The last critical line the filter logged: the SDK logs its panic message there just
    /// before the trap, and the host adds it to the error.
    pub last_critical: Option<String>,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Store data of a chain. Every filter of the chain lives in the same store, so a hostcall
/// reaches the shared request state directly; `current` says which filter is calling.
#[derive(Debug)]
pub(crate) struct HostState {
    pub engine: Engine,
    pub clock: Clock,
    pub slots: Vec<Slot>,
    pub current: usize,
    pub stream: Stream,
    /// Every filter's metrics, shared by the host's chains.
    pub metrics: SharedMetrics,
    /// Reused for values returned to the guest, to keep hostcalls allocation-free.
    pub scratch: Vec<u8>,
    /// Reused for property paths.
    pub property_path: PropertyPath,
    /// xorshift state for WASI `random_get`: deterministic, so replays are reproducible.
    pub random: u64,
}

impl HostState {
    pub(crate) fn new(engine: Engine, clock: Clock, metrics: SharedMetrics) -> Self {
        Self {
            engine,
            clock,
            slots: Vec::new(),
            current: 0,
            stream: Stream::new(engine),
            metrics,
            scratch: Vec::new(),
            property_path: PropertyPath::default(),
            random: 0x9E37_79B9_7F4A_7C15,
        }
    }

    pub(crate) fn slot(&self) -> wasmtime::Result<&Slot> {
        self.slots
            .get(self.current)
            .ok_or_else(|| wasmtime::Error::msg("host-test: no filter is running"))
    }

    pub(crate) fn slot_mut(&mut self) -> wasmtime::Result<&mut Slot> {
        self.slots
            .get_mut(self.current)
            .ok_or_else(|| wasmtime::Error::msg("host-test: no filter is running"))
    }

    /// The calling filter's name.
    pub(crate) fn filter(&self) -> wasmtime::Result<Arc<str>> {
        Ok(Arc::clone(&self.slot()?.name))
    }
}
