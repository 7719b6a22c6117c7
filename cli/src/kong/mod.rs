//! Kong's side of a migration. A Kong 3.9 declarative configuration (`_format_version: "3.0"`),
//! read for what the replay needs, and Kong's router over it: which route takes a request
//! (hosts, paths, methods, headers, priority), what path and Host Kong sends upstream, and each
//! route's filter chains; the bundled plugins the replay models (`plugins.rs`). The decK document
//! model (`deck/`), the kit's entities (`kit.rs`, `native.rs` without Wasm), `generate` and
//! `convert` with its report. Every rule cites Kong 3.9.3's source (`docs/kong-3.9.3.md`
//! has them all).

pub mod convert;
pub mod deck;
mod declarative;
mod flavor;
pub mod generate;
mod host_condition;
pub mod kit;
pub mod native;
pub mod plugins;
mod priority;
pub mod report;
mod route_id;
mod router;
mod service;
pub mod service_url;
pub mod upstream_uri;

pub use flavor::RouterFlavor;
pub use plugins::{Access, KongPlugins};
pub use router::{KongRoutes, RouteMatch};
