//! A proxy-wasm ABI 0.2.1 host on wasmtime that runs the kdp-migrate filters — the real `.wasm`
//! files that ship — the way Kong 3.9 (ngx_wasm_module) or Envoy 1.40 would.
//!
//! What tests and tools embed: [`FilterLibrary`] compiles filters; a [`Host`] runs
//! [`FilterSpec`] chains of them as one [`Engine`] would and reports an [`Observation`] per
//! [`Request`] (what the client and the upstream saw, logs, callbacks), with shared [`Metrics`].
//! [`artifacts`] finds the built filters and refuses stale ones.
//!
//! The modules: [`wasm`] is the wasmtime plumbing, `hostcalls` the `env.proxy_*` functions,
//! [`engine`] the engines' semantics (how each presents a request, answers properties, builds
//! the upstream request), `chain` the per-request driver. This crate must not depend on the
//! `kdp-migrate` CLI: the CLI is built on it, never the other way round. `host-test/README.md`
//! lists what each engine model emulates and what it does not.

pub mod artifacts;
mod chain;
mod clock;
pub mod engine;
mod error;
mod host;
mod hostcalls;
mod log_record;
mod metrics;
mod observation;
mod request;
pub mod wasm;

pub use chain::{ConfigForm, FilterSpec};
pub use clock::Clock;
pub use engine::{Engine, HeaderMap, Phase, Routing};
pub use error::LoadError;
pub use host::{ChainId, Host};
pub use log_record::{LogLevel, LogRecord, LogSource};
pub use metrics::{Metric, MetricKind, Metrics};
pub use observation::{
    Callback, LocalResponse, Observation, ObservedAction, Response, UpstreamRequest,
};
pub use request::{Request, UpstreamResponse};
pub use wasm::library::FilterLibrary;
