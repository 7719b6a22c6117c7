//! A filter chain: instances of the filters in one wasmtime store, driven through a request
//! with each engine's chain semantics.
//!
//! | | Kong (ngx_wasm_module) | Envoy |
//! |---|---|---|
//! | a filter answers in `on_request_headers` | later filters' `on_request_headers` skipped | same |
//! | `on_response_headers` / `_body` | every filter, chain order | reverse order, only the filters whose `on_request_headers` ran |
//! | `on_log` | every filter, chain order | same |
//!
//! A trap (or an unsupported hostcall, or an invalid answer) stops the chain: the request is an
//! error (the engines answer 500), the remaining callbacks are skipped, the other filters'
//! contexts are closed, and the failed instance is replaced before the next request, as Kong
//! recycles a trapped instance.
//!
//! The parts: [`lifecycle`] starts and restarts instances, [`run`] drives one request through the
//! callbacks, [`observe`] turns what happened into an [`Observation`](crate::Observation), and
//! [`store`] is the state every hostcall of the chain reaches.

mod lifecycle;
mod observe;
mod run;
pub(crate) mod store;

use std::sync::Arc;

use store::HostState;
use wasmtime::{Engine as WasmEngine, Store};

use crate::clock::Clock;
use crate::engine::{Engine, Routing, kong};
use crate::error::LoadError;
use crate::log_record::LogRecord;
use crate::metrics::SharedMetrics;
use crate::observation::Observation;
use crate::request::{Request, UpstreamResponse};
use crate::wasm::entry_points::EntryPoints;
use crate::wasm::library::{FilterLibrary, FilterModule};

/// The root context id every filter instance is configured under.
const ROOT_CONTEXT: u32 = 1;

/// One filter of a chain and its configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterSpec {
    /// The filter's name in the library (its `.wasm` file name).
    pub name: String,
    /// The configuration as the gateway's configuration holds it.
    pub config: Vec<u8>,
    /// How the engine hands `config` to the filter.
    pub form: ConfigForm,
}

/// How a filter's configuration is written in the gateway's configuration, which decides what
/// `get_plugin_configuration` returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ConfigForm {
    /// Bytes handed over as they are: a string `config` in Kong (`kong/runloop/wasm.lua:384-391`),
    /// and any configuration in Envoy.
    #[default]
    Raw,
    /// The JSON text of a `config` written as a value (an object…) in Kong's declarative file. The
    /// Kong engine hands the filter what Kong 3.9 makes of it on the way
    /// ([`crate::engine::kong::filter_config`]): empty lists become `{}`, numbers get 16
    /// significant digits, `/` is escaped, keys come in another order. Envoy: as written.
    Json,
}

impl FilterSpec {
    /// A filter whose configuration is handed over byte for byte ([`ConfigForm::Raw`]).
    pub fn new(name: &str, config: impl Into<Vec<u8>>) -> Self {
        Self {
            name: name.to_owned(),
            config: config.into(),
            form: ConfigForm::Raw,
        }
    }

    /// A filter configured with a JSON value written in Kong's declarative file
    /// ([`ConfigForm::Json`]): in the Kong engine it goes through Kong's round trip.
    pub fn json(name: &str, config: impl Into<Vec<u8>>) -> Self {
        Self {
            form: ConfigForm::Json,
            ..Self::new(name, config)
        }
    }
}

/// One filter instance of a chain.
#[derive(Debug)]
struct Member {
    module: FilterModule,
    configuration: Arc<[u8]>,
    entry: Option<EntryPoints>,
    /// Why the filter cannot run (it could not be restarted after a trap).
    unavailable: Option<String>,
}

/// What one request brings to a chain.
pub(crate) struct Exchange<'a> {
    pub request: &'a Request,
    pub routing: &'a Routing,
    pub upstream: &'a UpstreamResponse,
    pub context_id: u32,
}

#[derive(Debug)]
pub(crate) struct Chain {
    wasm_engine: WasmEngine,
    store: Store<HostState>,
    members: Vec<Member>,
    /// Instances replaced after a failure but still in the store (see [`lifecycle`]).
    retired: usize,
    /// Every filter's metrics, shared with the host and the other chains.
    metrics: SharedMetrics,
}

/// What `get_plugin_configuration` returns to the filter in this engine.
fn configuration(engine: Engine, spec: &FilterSpec) -> Result<Vec<u8>, LoadError> {
    match (engine, spec.form) {
        (Engine::Kong, ConfigForm::Json) => {
            kong::filter_config(&spec.config).map_err(|reason| LoadError::Config {
                filter: spec.name.clone(),
                reason: reason.to_string(),
            })
        }
        (Engine::Kong | Engine::Envoy, ConfigForm::Raw | ConfigForm::Json) => {
            Ok(spec.config.clone())
        }
    }
}

impl Chain {
    /// Instantiates and configures every filter. Metrics go into the shared `metrics`; what the
    /// filters log while starting goes into `logs`.
    pub(crate) fn build(
        library: &FilterLibrary,
        engine: Engine,
        clock: Clock,
        specs: &[FilterSpec],
        metrics: &SharedMetrics,
        logs: &mut Vec<LogRecord>,
    ) -> Result<Self, LoadError> {
        let members = specs
            .iter()
            .map(|spec| {
                Ok(Member {
                    module: library.module(&spec.name)?.clone(),
                    configuration: Arc::from(configuration(engine, spec)?),
                    entry: None,
                    unavailable: None,
                })
            })
            .collect::<Result<Vec<_>, LoadError>>()?;
        let wasm_engine = library.wasm_engine().clone();
        let store = lifecycle::new_store(&wasm_engine, engine, clock, &members, metrics);
        let mut chain = Self {
            wasm_engine,
            store,
            members,
            retired: 0,
            metrics: SharedMetrics::clone(metrics),
        };
        chain.start_all(logs)?;
        Ok(chain)
    }

    pub(crate) fn set_clock(&mut self, clock: Clock) {
        self.store.data_mut().clock = clock;
    }

    /// Runs one request through the chain; filters whose instance failed are replaced afterwards
    /// (what they log while restarting goes into `lifecycle_logs`).
    pub(crate) fn run(
        &mut self,
        exchange: &Exchange<'_>,
        lifecycle_logs: &mut Vec<LogRecord>,
    ) -> Observation {
        if let Some(reason) = self
            .members
            .iter()
            .find_map(|member| member.unavailable.clone())
        {
            return Observation::failed(reason, Vec::new(), Vec::new());
        }
        let (observation, broken) = run::Run::new(self).execute(exchange);
        for index in broken {
            self.restart(index, lifecycle_logs);
        }
        observation
    }
}
