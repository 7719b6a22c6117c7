//! Which proxy runs us, and how each one is told where the request goes upstream.
//!
//! Reads are the same everywhere: the client Host from the `host` header, the raw target from the
//! `request.path` property. Writes differ: Kong builds the upstream request from `$upstream_uri`
//! and `$upstream_host` (computed before filters run, so `:path` and `host` writes are ignored);
//! plain ngx_wasm_module proxies `$uri` and `$host`; Envoy takes `:path` and `:authority`.

use crate::abi::{self, HostStatus, MapType};

/// The engine, told apart by what it answers: nginx answers `ngx.*` properties, Envoy does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// Kong's ngx_wasm_module with Kong's `$upstream_*` variables.
    Kong,
    /// ngx_wasm_module without Kong.
    Nginx,
    /// Envoy (and Envoy-based gateways: Higress, MSE, Istio).
    Envoy,
}

impl Engine {
    /// Asks the host. Call it from an HTTP context only: reading request properties from a root
    /// context segfaults Kong 3.9's pinned ngx_wasm_module.
    pub fn detect() -> Engine {
        match abi::property("ngx\0request_uri") {
            Ok(Some(_)) => match abi::property("ngx\0upstream_uri") {
                Ok(Some(_)) => Engine::Kong,
                _ => Engine::Nginx,
            },
            _ => Engine::Envoy,
        }
    }

    /// Sets the path and query the upstream receives.
    pub fn set_upstream_path(self, path_and_query: &str) -> Result<(), HostStatus> {
        match self {
            Engine::Kong => abi::set_property("ngx\0upstream_uri", path_and_query.as_bytes()),
            Engine::Nginx | Engine::Envoy => {
                abi::replace_header(MapType::RequestHeaders, ":path", path_and_query.as_bytes())
            }
        }
    }

    /// Sets the Host the upstream receives (in Kong also the TLS SNI, through `proxy_ssl_name`).
    pub fn set_upstream_host(self, host: &str) -> Result<(), HostStatus> {
        match self {
            Engine::Kong => abi::set_property("ngx\0upstream_host", host.as_bytes()),
            Engine::Nginx => abi::replace_header(MapType::RequestHeaders, "host", host.as_bytes()),
            Engine::Envoy => {
                abi::replace_header(MapType::RequestHeaders, ":authority", host.as_bytes())
            }
        }
    }

    /// Sets `X-Forwarded-Host` and `X-Forwarded-Prefix`. Kong overwrites those request headers from
    /// its own `$upstream_x_forwarded_*` variables (declared with `set` in every Kong 3.x proxy
    /// location, so writable), so there the variables are what we set.
    pub fn set_forwarded(self, host: &str, prefix: &str) -> Result<(), HostStatus> {
        match self {
            Engine::Kong => {
                abi::set_property("ngx\0upstream_x_forwarded_host", host.as_bytes())?;
                abi::set_property("ngx\0upstream_x_forwarded_prefix", prefix.as_bytes())
            }
            Engine::Nginx | Engine::Envoy => {
                abi::replace_header(MapType::RequestHeaders, "x-forwarded-host", host.as_bytes())?;
                abi::replace_header(
                    MapType::RequestHeaders,
                    "x-forwarded-prefix",
                    prefix.as_bytes(),
                )
            }
        }
    }
}
