//! What the engine tells about the client, asked lazily and remembered, so that deciding the same
//! request again later (response phase, log phase) gives the same answer without asking again.

use std::cell::{OnceCell, RefCell};

use kdp_migrate_core::ClientFacts;

use crate::abi::{self, MapType};

/// Lazily read, memoised client facts of one request.
#[derive(Debug)]
pub(crate) struct CachedClient {
    headers: RefCell<Vec<(String, Option<String>)>>,
    peer: OnceCell<Option<String>>,
    now_unix: OnceCell<i64>,
}

impl CachedClient {
    /// Facts for the current request, read on first use.
    pub fn new() -> Self {
        CachedClient {
            headers: RefCell::new(Vec::new()),
            peer: OnceCell::new(),
            now_unix: OnceCell::new(),
        }
    }
}

impl ClientFacts for CachedClient {
    fn header(&self, name: &str) -> Option<String> {
        if let Some((_, value)) = self
            .headers
            .borrow()
            .iter()
            .find(|(known, _)| known == name)
        {
            return value.clone();
        }
        let value = abi::header(MapType::RequestHeaders, name)
            .ok()
            .flatten()
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
        self.headers
            .borrow_mut()
            .push((name.to_owned(), value.clone()));
        value
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
