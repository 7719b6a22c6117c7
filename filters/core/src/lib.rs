//! The pure core of kdp-migrate: everything that decides, nothing that talks to a proxy.
//!
//! One document, the [migration map](MigrationMap), drives four jobs: route the short domain by
//! path prefix, rewrite the upstream Host, redirect (or proxy) legacy hosts, and record each
//! request. The filters in `filters/*` are thin adapters that read the request from the engine,
//! ask [`MigrationMap::decide`], and write the answer back.
//!
//! ```
//! use kdp_migrate_core::{ClientFacts, MigrationMap, Outcome};
//!
//! struct NoClient;
//! impl ClientFacts for NoClient {
//!     fn header(&self, _: &str) -> Option<String> { None }
//!     fn peer_address(&self) -> Option<String> { None }
//!     fn now_unix(&self) -> i64 { 0 }
//! }
//!
//! let map = MigrationMap::from_json(br#"{
//!     "short_host": "dev-01.example",
//!     "long_host": "{api}.target.example",
//!     "apis": [{ "name": "api01" }]
//! }"#).unwrap();
//! let decision = map.decide("DEV-01.example:443", "/api01/orders?id=7", &NoClient);
//! let Outcome::Forward(forward) = decision.outcome else { panic!() };
//! assert_eq!(forward.host, "api01.target.example");
//! assert_eq!(forward.path.unwrap().render(), "/orders?id=7");
//! ```
#![deny(missing_docs)]

mod decision;
mod document;
mod error;
pub mod filters;
pub mod host;
mod json;
mod legacy;
mod local_response;
mod map;
pub mod numeric;
pub mod path;
mod record_text;
mod response_rewrite;
mod signal;
mod telemetry;
mod timestamp;
mod verdict;

pub use decision::{
    Action, ClientFacts, Decision, Forward, Location, Outcome, RedirectStage, Reply, ReplyKind,
    UpstreamPath, bucket, client_key,
};
pub use document::{
    AfterSunset, LegacyAction, RedirectTarget, Scheme, TelemetrySink, TrailingSlash, Unmatched,
};
pub use error::{ConfigError, Problem};
pub use legacy::{Instant, LegacyPolicy};
pub use local_response::LocalResponse;
pub use map::{Api, Classification, Entry, MAX_PREFIX_SEGMENTS, MigrationMap};
pub use record_text::RecordText;
pub use response_rewrite::ResponseRewrite;
pub use signal::deprecation_headers;
pub use telemetry::{Measured, TelemetryRecord, counter_name};
pub use timestamp::Timestamp;
pub use verdict::{Verdict, Would};
