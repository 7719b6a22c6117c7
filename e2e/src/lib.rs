//! End-to-end tests of the kdp-migrate filters in a real Envoy 1.40 (official build, V8 runtime).
//!
//! The library is the test support code; the tests are in `tests/`, one file per behaviour:
//!
//! - [`echo`]: a loopback HTTP/1.1 upstream that answers with what it received (Host, path+query,
//!   `X-Forwarded-*`) and, when asked through request headers, with given response headers.
//! - [`config`]: renders `envoy/envoy.yaml` (the file users start from) for a test: ports, filter paths, the map,
//!   and the filter layout (combined filter, chain of separate filters, none, or Envoy-native routes).
//! - [`envoy`]: starts Envoy on free loopback ports, waits for admin `/ready`, reads its log and stats, and kills it
//!   on drop (also when a test fails).
//! - [`client`]: a real HTTP client (curl) over HTTP/1.1 or h2c.
//! - [`harness`]: the echo server and an Envoy in front of it, for one test.
//!
//! Environment: `ENVOY_BIN` (required, the Envoy 1.40 binary; `scripts/setup-envoy.sh` prints it),
//! `KDP_FILTERS_DIR` (default `<workspace>/dist/kong-filters`, built by `scripts/build-filters.sh`),
//! `CURL` (default `/usr/bin/curl`).

pub mod client;
pub mod config;
pub mod echo;
pub mod envoy;
pub mod error;
pub mod harness;
pub mod paths;
pub mod scenario;

pub use client::{Request, Response};
pub use error::{Error, Result};
pub use harness::{Harness, Variant};

/// Defines one test per filter layout: `mod <name> { #[test] fn combined(); #[test] fn chain(); }`, with the
/// layout bound to the given identifier.
///
/// ```ignore
/// per_variant! {
///     fn short_host_rewrites(variant) {
///         let h = Harness::start(variant, SEED).expect("start");
///         // ...
///     }
/// }
/// ```
#[macro_export]
macro_rules! per_variant {
    ($( $(#[$meta:meta])* fn $name:ident($variant:ident) $body:block )*) => {
        $(
            $(#[$meta])*
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                /// With the combined `kdp_migrate` filter.
                #[test]
                fn combined() {
                    let $variant = $crate::Variant::Combined;
                    $body
                }
                /// With the chain of the four separate filters.
                #[test]
                fn chain() {
                    let $variant = $crate::Variant::Chain;
                    $body
                }
            }
        )*
    };
}
