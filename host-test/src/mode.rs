//! Which proxy the host behaves like.

use std::fmt;
use std::str::FromStr;

/// The engine the host emulates. The filters must be right in both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
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

impl Mode {
    /// `kong` or `envoy`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Kong => "kong",
            Mode::Envoy => "envoy",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Mode {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "kong" => Ok(Mode::Kong),
            "envoy" => Ok(Mode::Envoy),
            other => Err(format!(
                "unknown host mode {other:?} (expected kong or envoy)"
            )),
        }
    }
}
