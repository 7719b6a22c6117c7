//! The proxy-wasm side of kdp-migrate, shared by every filter.
//!
//! A filter crate is one line: [`filter!`] with its name and [`Roles`]. Everything else — reading
//! the request the same way on every engine, asking the core, writing the answer the way each
//! engine needs it, never trapping — lives here once.

pub mod abi;
mod client;
mod context;
pub mod engine;
mod header_map;
mod metrics;
mod request;
mod roles;
mod root;

pub use proxy_wasm;
pub use roles::Roles;
pub use root::{root_context, start};

/// Declares a filter: `kdp_migrate_adapter::filter!("short_domain_router", Roles::ROUTER);`
#[macro_export]
macro_rules! filter {
    ($name:literal, $roles:expr) => {
        fn kdp_migrate_root(_context_id: u32) -> Box<dyn $crate::proxy_wasm::traits::RootContext> {
            $crate::root_context($name, $roles)
        }
        $crate::proxy_wasm::main! {{
            $crate::start(kdp_migrate_root);
        }}
    };
}
