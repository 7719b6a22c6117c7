//! The host: chains of filters run in one engine, with shared metrics.

use std::cell::Ref;

use crate::chain::{Chain, Exchange, FilterSpec};
use crate::clock::Clock;
use crate::engine::{Engine, Routing};
use crate::error::LoadError;
use crate::log_record::LogRecord;
use crate::metrics::{Metrics, SharedMetrics};
use crate::observation::Observation;
use crate::request::{Request, UpstreamResponse};
use crate::wasm::library::FilterLibrary;

/// A chain added to a [`Host`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChainId(usize);

/// A proxy-wasm host emulating one engine.
///
/// ```no_run
/// use kdp_migrate_host_test::{FilterLibrary, FilterSpec, Host, Engine, Request};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut library = FilterLibrary::new()?;
/// library.load_dir("dist/kong-filters".as_ref(), &["short_domain_router"])?;
/// let map = std::fs::read("kong/map.json")?;
/// let mut host = Host::new(&library, Engine::Kong);
/// let chain = host.add_chain(&[FilterSpec::new("short_domain_router", map)])?;
/// let observation = host.run(chain, &Request::new("GET", "dev-01.aliyun.cloud.cn.aibang", "/api01/x"));
/// println!("{} {:?}", observation.action, observation.upstream);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Host {
    library: FilterLibrary,
    engine: Engine,
    clock: Clock,
    chains: Vec<Chain>,
    metrics: SharedMetrics,
    lifecycle_logs: Vec<LogRecord>,
    next_context: u32,
}

impl Host {
    /// A host with no chains, on the system clock.
    pub fn new(library: &FilterLibrary, engine: Engine) -> Self {
        Self {
            library: library.clone(),
            engine,
            clock: Clock::System,
            chains: Vec::new(),
            metrics: SharedMetrics::default(),
            lifecycle_logs: Vec::new(),
            // Context 1 is every instance's root context.
            next_context: 2,
        }
    }

    /// The engine emulated.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Sets the clock the filters see, for every chain.
    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
        for chain in &mut self.chains {
            chain.set_clock(clock);
        }
    }

    /// Instantiates and configures a chain. A filter that refuses its configuration, or fails
    /// to start, is an error naming it.
    pub fn add_chain(&mut self, filters: &[FilterSpec]) -> Result<ChainId, LoadError> {
        let chain = Chain::build(
            &self.library,
            self.engine,
            self.clock,
            filters,
            &self.metrics,
            &mut self.lifecycle_logs,
        )?;
        self.chains.push(chain);
        Ok(ChainId(self.chains.len() - 1))
    }

    /// Runs a request through a chain, the upstream answering `200` with nothing else.
    pub fn run(&mut self, chain: ChainId, request: &Request) -> Observation {
        self.run_with(
            chain,
            request,
            &Routing::default(),
            &UpstreamResponse::default(),
        )
    }

    /// Runs a request through a chain with the gateway's routing facts and the upstream's answer.
    pub fn run_with(
        &mut self,
        chain: ChainId,
        request: &Request,
        routing: &Routing,
        upstream: &UpstreamResponse,
    ) -> Observation {
        let context_id = self.next_context;
        // Context ids only need to be unique among live contexts; wrap far from the root id.
        self.next_context = self.next_context.checked_add(1).unwrap_or(2);
        let exchange = Exchange {
            request,
            routing,
            upstream,
            context_id,
        };
        match self.chains.get_mut(chain.0) {
            Some(chain) => chain.run(&exchange, &mut self.lifecycle_logs),
            None => Observation::failed(
                format!("no chain {} in this host", chain.0),
                Vec::new(),
                Vec::new(),
            ),
        }
    }

    /// Every metric the filters defined.
    pub fn metrics(&self) -> Ref<'_, Metrics> {
        self.metrics.borrow()
    }

    /// What the filters logged outside requests (starting, configuring, restarting after a trap).
    pub fn lifecycle_logs(&self) -> &[LogRecord] {
        &self.lifecycle_logs
    }
}
