//! The proxy-wasm side of kdp-migrate, shared by every filter.
//!
//! A filter crate is one line: [`filter!`] with its name and [`Roles`]. Everything else — reading
//! the request the same way on every engine, asking the core, writing the answer the way each
//! engine needs it, never trapping — lives here once.
//!
//! Per request, the HTTP context reads the request, asks the core for a decision, and carries
//! out the [`Plan`](plan::Plan) that [`plan`] computes from the filter's roles, the
//! [`engine`]'s description and that decision. The policy is pure and tested natively
//! (`tests/plan.rs`, `tests/engine.rs`); the rest only talks to the host.
//!
//! | module | what | pure |
//! |---|---|---|
//! | [`engine`] | what each engine (Kong, plain ngx_wasm_module, Envoy) is and can do, and how it is told apart | yes |
//! | `roles` | a filter's jobs, and which entries' forwards and answers they own | yes |
//! | [`plan`] | what one filter does with one request, phase by phase | yes |
//! | `header_map` | a header map read in one hostcall, looked up in place | yes (the walk) |
//! | [`abi`] | the hostcalls, returning the host's status instead of panicking | no |
//! | `request`, `client` | the request's facts, read once, where the engine has them | no |
//! | `context` | the HTTP context: carries the plan out, phase by phase | no |
//! | `root`, `metrics` | configuration, per-VM state (the engine, detected once), counters | no |

pub mod abi;
mod client;
mod context;
pub mod engine;
mod header_map;
mod metrics;
pub mod plan;
mod request;
mod roles;
mod root;

pub use kdp_migrate_core::filters;
pub use proxy_wasm;
pub use roles::Roles;
pub use root::{root_context, start};

/// Declares a filter: `kdp_migrate_adapter::filter!(filters::SHORT_DOMAIN_ROUTER, Roles::ROUTER);` — the name is
/// the one in [`filters`], which Kong and Envoy load the filter under.
#[macro_export]
macro_rules! filter {
    ($name:expr, $roles:expr) => {
        fn kdp_migrate_root(_context_id: u32) -> Box<dyn $crate::proxy_wasm::traits::RootContext> {
            $crate::root_context($name, $roles)
        }
        $crate::proxy_wasm::main! {{
            $crate::start(kdp_migrate_root);
        }}
    };
}
