//! What the host is asked to proxy: a recorded request and the upstream's answer to it.

use std::time::Duration;

/// A client request as the proxy received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// `http` or `https`: the scheme the client used.
    pub scheme: String,
    /// The client's `Host` header as sent (port, case, trailing dot and all).
    pub host: String,
    /// The raw request target: path and query, exactly as sent.
    pub path: String,
    /// Every other request header, in order, names as sent. A `Host` entry here is ignored:
    /// [`Request::host`] is the one that counts.
    pub headers: Vec<(String, String)>,
    /// The client's address, without port.
    pub client_address: String,
    /// The client's port.
    pub client_port: u16,
    /// How long the request took, as the engine reports it in `request.duration`.
    pub duration: Duration,
}

impl Request {
    /// A request from `127.0.0.1:44248` over `http`, taking 2 ms.
    pub fn new(method: &str, host: &str, path: &str) -> Self {
        Self {
            method: method.to_owned(),
            scheme: "http".to_owned(),
            host: host.to_owned(),
            path: path.to_owned(),
            headers: Vec::new(),
            client_address: "127.0.0.1".to_owned(),
            client_port: 44248,
            duration: Duration::from_millis(2),
        }
    }

    /// Adds a header.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the scheme the client used.
    #[must_use]
    pub fn scheme(mut self, scheme: &str) -> Self {
        scheme.clone_into(&mut self.scheme);
        self
    }

    /// Sets the client's address.
    #[must_use]
    pub fn client(mut self, address: &str, port: u16) -> Self {
        address.clone_into(&mut self.client_address);
        self.client_port = port;
        self
    }

    /// Headers other than `Host`, in order.
    pub(crate) fn other_headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers
            .iter()
            .filter(|(name, _)| !name.eq_ignore_ascii_case("host"))
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }
}

/// The upstream's answer, used when the chain forwards the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpstreamResponse {
    /// Status code.
    pub status: u16,
    /// Response headers, in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl UpstreamResponse {
    /// A response with this status, no headers and no body.
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

impl Default for UpstreamResponse {
    /// `200 OK` with nothing else.
    fn default() -> Self {
        Self::new(200)
    }
}
