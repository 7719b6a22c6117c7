//! Reading a request the same way on every engine.

use crate::abi::{self, MapType};
use crate::client::CachedClient;

/// What a filter needs to know about one request, read once.
#[derive(Debug)]
pub(crate) struct RequestFacts {
    /// The client's Host as sent: the `host` header (Kong's `:authority` is `server_name:port`).
    pub host: String,
    /// The raw request target: the `request.path` property (Kong's `:path` is nginx's decoded,
    /// normalised `$uri`, which would hide `%2e%2e` and `%2F`). Bytes that are not UTF-8 become
    /// U+FFFD, which the core refuses as non-ASCII.
    pub target: String,
    /// Client facts for the canary split and the sunset clock, read lazily.
    pub client: CachedClient,
}

impl RequestFacts {
    /// Reads the current request.
    pub fn read() -> Self {
        let text = |bytes: Vec<u8>| {
            String::from_utf8(bytes)
                .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
        };
        let host = request_header("host")
            .or_else(|| request_header(":authority"))
            .map(text)
            .unwrap_or_default();
        let target = abi::property("request\0path")
            .ok()
            .flatten()
            .or_else(|| request_header(":path"))
            .map(text)
            .unwrap_or_default();
        RequestFacts {
            host,
            target,
            client: CachedClient::new(),
        }
    }

    /// The scheme the client used: the first `X-Forwarded-Proto` hop (behind a load balancer that
    /// terminates TLS), else `:scheme`, else `https`.
    pub fn client_scheme() -> String {
        let first_hop = request_header("x-forwarded-proto")
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|value| {
                value
                    .split(',')
                    .next()
                    .map(|hop| hop.trim().to_ascii_lowercase())
            });
        let scheme = first_hop.or_else(|| {
            request_header(":scheme")
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .map(|s| s.to_ascii_lowercase())
        });
        match scheme.as_deref() {
            Some("http") => "http".to_owned(),
            _ => "https".to_owned(),
        }
    }

    /// The request method, for telemetry.
    pub fn method() -> String {
        request_header(":method")
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }
}

fn request_header(name: &str) -> Option<Vec<u8>> {
    abi::header(MapType::RequestHeaders, name).ok().flatten()
}
