//! A proxy-wasm ABI 0.2.1 host on wasmtime that runs the kdp-migrate filters — the real
//! `.wasm` files that ship — the way Kong 3.9 (ngx_wasm_module) or Envoy 1.40 would, and the
//! `kdp-migrate replay` tool that replays recorded traffic through them.
//!
//! The pieces:
//! - [`FilterLibrary`] compiles filters; [`Host`] runs [`FilterSpec`] chains of them in a
//!   [`Mode`] and reports an [`Outcome`] per [`Request`] (action, local response, what the
//!   upstream received, logs, callbacks), with shared [`Metrics`].
//! - [`traffic`] reads recorded traffic (Kong log serializer lines, HAR 1.2, JSONL);
//!   [`kong`] matches requests to the routes of a Kong declarative configuration;
//!   [`replay`] runs a whole file and writes one [`Decision`] per request.
//!
//! `host-test/README.md` lists what Kong mode emulates and what it does not.

mod abi;
mod chain;
mod clock;
mod decision;
mod entry_points;
mod error;
mod guest;
mod headers;
mod host;
mod host_state;
mod hostcalls;
pub mod kong;
mod library;
mod log_record;
mod map_document;
mod metrics;
mod mode;
mod outcome;
mod properties;
pub mod replay;
mod request;
mod routing;
mod stream;
mod summary;
pub mod traffic;
pub mod uri;
mod wasi;

pub use chain::FilterSpec;
pub use clock::Clock;
pub use decision::Decision;
pub use error::LoadError;
pub use headers::HeaderMap;
pub use host::{ChainId, Host};
pub use library::FilterLibrary;
pub use log_record::{LogLevel, LogRecord, LogSource};
pub use map_document::MapDocument;
pub use metrics::{Metric, MetricKind, Metrics};
pub use mode::Mode;
pub use outcome::{Action, Callback, LocalResponse, Outcome, Response, UpstreamRequest};
pub use request::{Request, UpstreamResponse};
pub use routing::Routing;
pub use stream::Phase;
pub use summary::Summary;
