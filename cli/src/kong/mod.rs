//! Kong's side of a migration: its declarative configuration as the replay reads it
//! (`declarative.rs`, `router.rs`), the decK document model (`deck/`), the kit's entities
//! (`kit.rs`, `native.rs` without Wasm), `generate` and `convert` with its report, and the
//! bundled plugins the replay models (`plugins.rs`).

pub mod convert;
pub mod deck;
mod declarative;
pub mod generate;
pub mod kit;
pub mod native;
pub mod plugins;
pub mod report;
mod router;
pub mod service_url;

pub use plugins::{Access, KongPlugins};
pub use router::{KongRoutes, RouteMatch};

/// The request path as Kong normalises it for `kong.request.get_path()` and its router
/// (`normalize(path, true)`, notes §1.1). Uses the test host's path normalisation for now: it
/// differs from Kong's only on percent-encoded reserved characters (`%2F` stays encoded in Kong).
fn normalized_request_path(path: &str) -> Vec<u8> {
    kdp_migrate_host_test::engine::uri::normalize_path(path)
        .map_or_else(|_| b"/".to_vec(), String::into_bytes)
}
