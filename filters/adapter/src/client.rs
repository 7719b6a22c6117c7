//! What the engine tells about the client: the request headers (read with the request), the peer
//! address and the clock (asked lazily and remembered), so that deciding the same request again
//! later (response phase, log phase) gives the same answer without asking again.

use std::cell::OnceCell;

use kdp_migrate_core::ClientFacts;

use crate::abi;
use crate::header_map::HeaderMap;

/// Client facts of one request.
#[derive(Debug)]
pub(crate) struct CachedClient {
    headers: HeaderMap,
    peer: OnceCell<Option<String>>,
    now_unix: OnceCell<i64>,
}

impl CachedClient {
    /// Facts for the request whose headers are `headers`; the rest is read on first use.
    pub fn new(headers: HeaderMap) -> Self {
        CachedClient {
            headers,
            peer: OnceCell::new(),
            now_unix: OnceCell::new(),
        }
    }

    /// The request headers as the client sent them.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }
}

impl ClientFacts for CachedClient {
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
    }

    fn peer_address(&self) -> Option<String> {
        self.peer
            .get_or_init(|| {
                abi::property("source\0address")
                    .ok()
                    .flatten()
                    .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            })
            .clone()
    }

    fn now_unix(&self) -> i64 {
        // Read once, and only for legacy requests (the sunset clock): one hostcall fewer elsewhere.
        *self.now_unix.get_or_init(|| {
            abi::now_nanos().map_or(0, |nanos| {
                i64::try_from(nanos / 1_000_000_000).unwrap_or(i64::MAX)
            })
        })
    }
}
