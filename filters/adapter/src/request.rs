//! Reading a request the same way on every engine.

use std::ops::Range;

use crate::abi::{self, MapType};
use crate::client::CachedClient;
use crate::engine::{Engine, RawTarget};
use crate::header_map::HeaderMap;

/// What a filter needs to know about one request, read once: the request header map (in one
/// hostcall, walked once), and the raw target where the engine keeps it apart. The Host, target and
/// method are borrowed from those bytes, copied only when they are not UTF-8.
#[derive(Debug)]
pub(crate) struct RequestFacts {
    /// The client's Host as sent: the `host` header (Kong's `:authority` is `server_name:port`).
    host: Text,
    /// The raw request target: the `request.path` property (Kong's `:path` is nginx's decoded,
    /// normalised `$uri`, which would hide `%2e%2e` and `%2F`). Bytes that are not UTF-8 become
    /// U+FFFD, which the core refuses as non-ASCII.
    target: Text,
    /// The request method, for telemetry.
    method: Text,
    /// The scheme the client used (see [`RequestFacts::client_scheme`]).
    client_scheme: &'static str,
    /// Client facts for the canary split and the sunset clock; holds the request headers.
    pub client: CachedClient,
}

/// A text of the request: where it lies in the request header map, or the text itself when it came
/// from elsewhere (a property) or had to be made UTF-8.
#[derive(Debug)]
enum Text {
    InHeaders(Range<usize>),
    Owned(String),
}

impl Text {
    /// `bytes` (a slice of `headers`) as text: a position when it is UTF-8, else a lossy copy.
    fn of(headers: &HeaderMap, bytes: Option<&[u8]>) -> Text {
        let Some(bytes) = bytes else {
            return Text::Owned(String::new());
        };
        match (std::str::from_utf8(bytes), headers.span(bytes)) {
            (Ok(_), Some(span)) => Text::InHeaders(span),
            _ => Text::Owned(lossy(bytes.to_vec())),
        }
    }

    fn get<'a>(&'a self, headers: &'a HeaderMap) -> &'a str {
        match self {
            // UTF-8 when it was made a position; checked again rather than trusted.
            Text::InHeaders(span) => std::str::from_utf8(headers.at(span.clone())).unwrap_or(""),
            Text::Owned(text) => text,
        }
    }
}

impl RequestFacts {
    /// Reads the current request: its header map in one hostcall, and the raw target where
    /// `engine` has it.
    pub fn read(engine: &Engine) -> Self {
        let headers = HeaderMap::read(MapType::RequestHeaders).unwrap_or_default();
        let [host, authority, path, method, forwarded_proto, scheme] = headers.first_values([
            "host",
            ":authority",
            ":path",
            ":method",
            "x-forwarded-proto",
            ":scheme",
        ]);
        let target = match engine.raw_target {
            RawTarget::PathHeader => Text::of(&headers, path),
            RawTarget::PathProperty => match abi::property("request\0path").ok().flatten() {
                Some(bytes) => Text::Owned(lossy(bytes)),
                None => Text::of(&headers, path),
            },
        };
        RequestFacts {
            host: Text::of(&headers, host.or(authority)),
            target,
            method: Text::of(&headers, method),
            client_scheme: client_scheme(forwarded_proto, scheme),
            client: CachedClient::new(headers),
        }
    }

    /// The client's Host as sent.
    pub fn host(&self) -> &str {
        self.host.get(self.client.headers())
    }

    /// The raw request target.
    pub fn target(&self) -> &str {
        self.target.get(self.client.headers())
    }

    /// The request method, for telemetry.
    pub fn method(&self) -> &str {
        self.method.get(self.client.headers())
    }

    /// The scheme the client used: the first `X-Forwarded-Proto` hop (behind a load balancer that
    /// terminates TLS), else `:scheme`, else `https`.
    pub fn client_scheme(&self) -> &'static str {
        self.client_scheme
    }
}

fn client_scheme(forwarded_proto: Option<&[u8]>, scheme: Option<&[u8]>) -> &'static str {
    let first_hop = forwarded_proto
        .and_then(|value| value.split(|&byte| byte == b',').next())
        .map(<[u8]>::trim_ascii);
    match first_hop.or(scheme) {
        Some(scheme) if scheme.eq_ignore_ascii_case(b"http") => "http",
        _ => "https",
    }
}

/// Bytes as text, without a copy when they are UTF-8; other bytes become U+FFFD.
fn lossy(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}
