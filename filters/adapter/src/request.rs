//! Reading a request the same way on every engine.

use crate::abi::{self, MapType};
use crate::client::CachedClient;
use crate::engine::{Engine, RawTarget};
use crate::header_map::HeaderMap;

/// What a filter needs to know about one request, read once.
#[derive(Debug)]
pub(crate) struct RequestFacts {
    /// The client's Host as sent: the `host` header (Kong's `:authority` is `server_name:port`).
    pub host: String,
    /// The raw request target: the `request.path` property (Kong's `:path` is nginx's decoded,
    /// normalised `$uri`, which would hide `%2e%2e` and `%2F`). Bytes that are not UTF-8 become
    /// U+FFFD, which the core refuses as non-ASCII.
    pub target: String,
    /// Client facts for the canary split and the sunset clock; holds the request headers.
    pub client: CachedClient,
}

impl RequestFacts {
    /// Reads the current request: its header map in one hostcall, and the raw target where
    /// `engine` has it.
    pub fn read(engine: &Engine) -> Self {
        let headers = HeaderMap::read(MapType::RequestHeaders).unwrap_or_default();
        let host = headers
            .get("host")
            .or_else(|| headers.get(":authority"))
            .map(lossy)
            .unwrap_or_default();
        let target = match engine.raw_target {
            RawTarget::PathHeader => headers.get(":path").map(lossy),
            RawTarget::PathProperty => abi::property("request\0path")
                .ok()
                .flatten()
                .map(|bytes| lossy(&bytes))
                .or_else(|| headers.get(":path").map(lossy)),
        }
        .unwrap_or_default();
        RequestFacts {
            host,
            target,
            client: CachedClient::new(headers),
        }
    }

    /// The scheme the client used: the first `X-Forwarded-Proto` hop (behind a load balancer that
    /// terminates TLS), else `:scheme`, else `https`.
    pub fn client_scheme(&self) -> &'static str {
        let headers = self.client.headers();
        let first_hop = headers
            .get("x-forwarded-proto")
            .and_then(|value| value.split(|&byte| byte == b',').next())
            .map(<[u8]>::trim_ascii);
        match first_hop.or_else(|| headers.get(":scheme")) {
            Some(scheme) if scheme.eq_ignore_ascii_case(b"http") => "http",
            _ => "https",
        }
    }

    /// The request method, for telemetry.
    pub fn method(&self) -> String {
        self.client
            .headers()
            .get(":method")
            .map(lossy)
            .unwrap_or_default()
    }
}

/// Header and property bytes as text; bytes that are not UTF-8 become U+FFFD.
fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
