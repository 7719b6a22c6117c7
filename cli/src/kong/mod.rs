//! A Kong declarative configuration (`_format_version: "3.0"`), read for what the replay needs:
//! routes (hosts, paths, methods), their services, and the filter chains attached to both.

mod declarative;
mod router;

pub use router::{KongRoutes, RouteMatch};
