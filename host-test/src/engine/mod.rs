//! The engines the host behaves like, and what each does to a request: how it presents the
//! request to the filters ([`stream`]), what properties it answers ([`properties`]), how Kong's
//! proxy location works and what Kong does to a filter's configuration ([`kong`]), nginx's URI normalisation ([`uri`]), and what the upstream
//! receives ([`upstream`]).

pub(crate) mod headers;
pub mod kong;
pub(crate) mod properties;
pub(crate) mod routing;
pub(crate) mod stream;
pub(crate) mod upstream;
pub mod uri;

pub use headers::HeaderMap;
pub use routing::Routing;
pub use stream::Phase;
pub(crate) use stream::{PendingResponse, Stream};

use std::fmt;
use std::str::FromStr;

/// The engine the host emulates. The filters must be right in both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Engine {
    /// Kong 3.9's ngx_wasm_module: `:authority` is `kong:8000`, `:path` is nginx's normalised
    /// URI, the upstream is decided by `ngx.upstream_uri` / `ngx.upstream_host`, numeric
    /// properties are text, metrics are named `pw:<filter>:<metric>`, and every filter's response
    /// callbacks run in chain order.
    Kong,
    /// Envoy 1.40: `:authority` and `:path` are the request and what the upstream receives,
    /// numeric properties are 8-byte little-endian integers, `ngx.*` does not exist, and response
    /// callbacks run in reverse chain order.
    Envoy,
}

impl Engine {
    /// The body a client receives for a local response a filter sent with `body`: Kong's engine
    /// appends a newline to a non-empty one, and `Content-Length` counts it (ngx_wasm_module 9136e46,
    /// `src/http/ngx_http_wasm_local_response.c:141`, seen by the Kong-engine e2e test
    /// `local_response_bodies_end_with_a_newline`); Envoy sends it as it is.
    pub(crate) fn local_response_body(self, body: &[u8]) -> Vec<u8> {
        let mut sent = body.to_vec();
        if self == Engine::Kong && !body.is_empty() {
            sent.push(b'\n');
        }
        sent
    }

    /// `kong` or `envoy`.
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Kong => "kong",
            Engine::Envoy => "envoy",
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Engine {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "kong" => Ok(Engine::Kong),
            "envoy" => Ok(Engine::Envoy),
            other => Err(format!("unknown engine {other:?} (expected kong or envoy)")),
        }
    }
}
