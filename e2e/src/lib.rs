//! End-to-end tests of the kdp-migrate filters in real gateways: Envoy 1.40 (official build, V8 runtime) and Kong
//! 3.9's Wasm engine (nginx 1.25.3 + ngx_wasm_module 9136e46 + Wasmtime 26, built from `../shared/kong-engine`)
//! laid out as Kong's proxy location, with the routes and chains of `kong/kong-chains.yml`.
//!
//! The library is the test support code; the tests are in `tests/`, one file per behaviour. A behaviour both
//! engines share is written once ([`per_setup!`]) and runs in four setups; what only one engine has
//! ([`per_variant!`], or a plain `#[test]`) stays with that engine. The name of every test that runs Kong's engine
//! contains `kong_`, and no other test's does: `scripts/test.sh` leaves them out by that name (and says so) when
//! the engine cannot be had outside CI.
//!
//! - [`echo`]: a loopback HTTP/1.1 upstream that answers with what it received (Host, path+query,
//!   `X-Forwarded-*`) and, when asked through request headers, with given response headers.
//! - [`config`]: renders `envoy/envoy.yaml` (the file users start from) for a test: ports, filter paths, the map,
//!   and the filter layout (combined filter, chain of separate filters, none, or Envoy-native routes).
//! - [`envoy`]: starts Envoy on free loopback ports, waits for admin `/ready`, reads its log and stats, and kills it
//!   on drop (also when a test fails).
//! - [`kong_routes`], [`kong_config`]: read the routes and chains of `kong/kong-chains.yml` and render
//!   `e2e/nginx/kong-proxy.conf` (Kong's proxy server, with what Kong's access phase computes modelled in nginx).
//! - [`native_routes`]: a map's routing job as the gateways' own routes would do it, the benchmarks' native
//!   baseline, rendered for Envoy by [`config`] and for Kong's engine by [`kong_config`].
//! - [`nginx`]: starts Kong's engine on a rendered config, waits until it answers, kills it on drop.
//! - [`gateway`]: either of the two, as the behaviour tests see it: the listener, the log, the telemetry records.
//! - [`client`]: a real HTTP client (curl) over HTTP/1.1 or h2c.
//! - [`harness`]: the echo server and a gateway in front of it, for one test.
//!
//! Environment: `ENVOY_BIN` (the Envoy 1.40 binary; `scripts/setup-envoy.sh` prints it), `KDP_NGX_WASM` (Kong's
//! engine, the nginx binary; `scripts/setup-kong-engine.sh` prints it) — each required by the tests of its
//! engine, never a silent skip — `KDP_FILTERS_DIR` (default `<workspace>/dist/kong-filters`, built by
//! `scripts/build-filters.sh`), `CURL` (default `/usr/bin/curl`).

pub mod client;
pub mod config;
pub mod echo;
pub mod envoy;
pub mod error;
pub mod gateway;
pub mod harness;
pub mod kong_config;
pub mod kong_routes;
pub mod log_file;
pub mod native_routes;
pub mod nginx;
pub mod paths;
pub mod plain_http;
pub mod ports;
pub mod process;
pub mod scenario;
pub mod telemetry;
pub mod work_dir;

pub use client::{Request, Response};
pub use error::{Error, Result};
pub use gateway::{Engine, Gateway};
pub use harness::{Harness, Setup, Variant};

/// Defines one test per engine and filter layout: `mod <name> { envoy_combined, envoy_chain, kong_combined,
/// kong_chain }`, with the [`Setup`] bound to the given identifier. For behaviours both engines share.
///
/// ```ignore
/// per_setup! {
///     fn short_host_rewrites(setup) {
///         let h = Harness::seed(setup).expect("start");
///         // ...
///     }
/// }
/// ```
#[macro_export]
macro_rules! per_setup {
    ($( $(#[$meta:meta])* fn $name:ident($setup:ident) $body:block )*) => {
        $(
            $(#[$meta])*
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                /// Envoy, the combined `kdp_migrate` filter.
                #[test]
                fn envoy_combined() {
                    let $setup = $crate::Setup::new($crate::Engine::Envoy, $crate::Variant::Combined);
                    $body
                }
                /// Envoy, the four separate filters in one chain.
                #[test]
                fn envoy_chain() {
                    let $setup = $crate::Setup::new($crate::Engine::Envoy, $crate::Variant::Chain);
                    $body
                }
                /// Kong's engine, `kdp_migrate` alone on every route.
                #[test]
                fn kong_combined() {
                    let $setup = $crate::Setup::new($crate::Engine::Kong, $crate::Variant::Combined);
                    $body
                }
                /// Kong's engine, the chains of `kong/kong-chains.yml`.
                #[test]
                fn kong_chain() {
                    let $setup = $crate::Setup::new($crate::Engine::Kong, $crate::Variant::Chain);
                    $body
                }
            }
        )*
    };
}

/// Defines one test per filter layout on one engine: `per_variant!(Envoy; fn …)` gives `mod <name> {
/// envoy_combined, envoy_chain }`, `per_variant!(Kong; fn …)` gives `mod <name> { kong_combined, kong_chain }`, with
/// the [`Setup`] bound to the given identifier. For what only that engine does.
#[macro_export]
macro_rules! per_variant {
    (Envoy; $( $(#[$meta:meta])* fn $name:ident($setup:ident) $body:block )*) => {
        $(
            $(#[$meta])*
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                /// Envoy, the combined `kdp_migrate` filter.
                #[test]
                fn envoy_combined() {
                    let $setup = $crate::Setup::new($crate::Engine::Envoy, $crate::Variant::Combined);
                    $body
                }
                /// Envoy, the four separate filters in one chain.
                #[test]
                fn envoy_chain() {
                    let $setup = $crate::Setup::new($crate::Engine::Envoy, $crate::Variant::Chain);
                    $body
                }
            }
        )*
    };
    (Kong; $( $(#[$meta:meta])* fn $name:ident($setup:ident) $body:block )*) => {
        $(
            $(#[$meta])*
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                /// Kong's engine, `kdp_migrate` alone on every route.
                #[test]
                fn kong_combined() {
                    let $setup = $crate::Setup::new($crate::Engine::Kong, $crate::Variant::Combined);
                    $body
                }
                /// Kong's engine, the chains of `kong/kong-chains.yml`.
                #[test]
                fn kong_chain() {
                    let $setup = $crate::Setup::new($crate::Engine::Kong, $crate::Variant::Chain);
                    $body
                }
            }
        )*
    };
}
