//! A Kong 3.9 declarative configuration (`_format_version: "3.0"`), read for what the replay
//! needs, and Kong's router over it: which route takes a request (hosts, paths, methods,
//! headers, priority), what path and Host Kong sends upstream, and each route's filter chains.
//! Every rule cites Kong 3.9.3's source (`/work/notes/kong-3.9.3.md` has them all).

mod declarative;
mod flavor;
mod host_condition;
pub mod normalize;
mod priority;
mod route_id;
mod router;
mod service;
pub mod upstream_uri;

pub use flavor::RouterFlavor;
pub use router::{KongRoutes, RouteMatch};
