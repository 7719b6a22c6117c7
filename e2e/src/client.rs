//! A real HTTP client: curl, over HTTP/1.1 or h2c (`--http2-prior-knowledge`), with the path sent as is
//! (`--path-as-is`, so `/../` reaches Envoy) and no proxy from the environment.

use crate::error::{Context, Error, Result};
use serde_json::Value;
use std::process::{Command, Stdio};

/// One request to Envoy's listener on 127.0.0.1.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method (default GET).
    pub method: String,
    /// The Host header (`:authority` over h2c).
    pub host: String,
    /// The request target, path + query, sent byte for byte.
    pub path: String,
    /// More request headers.
    pub headers: Vec<(String, String)>,
    /// h2c with prior knowledge instead of HTTP/1.1.
    pub h2c: bool,
}

impl Request {
    /// A GET of `path` with this Host over HTTP/1.1.
    pub fn get(host: &str, path: &str) -> Request {
        Request {
            method: "GET".into(),
            host: host.into(),
            path: path.into(),
            headers: Vec::new(),
            h2c: false,
        }
    }

    /// The same request over h2c.
    #[must_use]
    pub fn h2c(mut self) -> Request {
        self.h2c = true;
        self
    }

    /// Adds a request header.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the method.
    #[must_use]
    pub fn method(mut self, method: &str) -> Request {
        self.method = method.into();
        self
    }

    /// Sends it to `127.0.0.1:<port>` with curl (10 s at most).
    pub fn send(&self, port: u16) -> Result<Response> {
        let curl = crate::paths::curl_bin();
        let mut command = Command::new(&curl);
        command.args([
            "--silent",
            "--show-error",
            "--include",
            "--path-as-is",
            "--noproxy",
            "*",
            "--max-time",
            "10",
            "--request",
            &self.method,
        ]);
        command.arg(if self.h2c {
            "--http2-prior-knowledge"
        } else {
            "--http1.1"
        });
        command.arg("--header").arg(format!("Host: {}", self.host));
        for (name, value) in &self.headers {
            command.arg("--header").arg(format!("{name}: {value}"));
        }
        command.arg(format!("http://127.0.0.1:{port}{}", self.path));
        let output = command
            .stdin(Stdio::null())
            .output()
            .context(format!("running {}", curl.display()))?;
        if !output.status.success() {
            return Err(Error::new(format!(
                "curl {} {}{} failed ({}): {}",
                self.method,
                self.host,
                self.path,
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        Response::parse(&output.stdout)
            .context(format!("{} {}{}", self.method, self.host, self.path))
    }
}

/// What curl got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// `HTTP/1.1` or `HTTP/2`.
    pub version: String,
    /// The status code.
    pub status: u16,
    /// Every response header, names lowercased, in order (several `set-cookie` stay separate).
    pub headers: Vec<(String, String)>,
    /// The body (lossy UTF-8).
    pub body: String,
}

impl Response {
    /// Parses curl's `--include` output.
    pub fn parse(raw: &[u8]) -> Result<Response> {
        let text = String::from_utf8_lossy(raw);
        let (head, body) = text
            .split_once("\r\n\r\n")
            .ok_or_else(|| Error::new(format!("no end of headers in {text:?}")))?;
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or("");
        let mut parts = status_line.split(' ');
        let version = parts.next().unwrap_or("").to_string();
        let status = parts
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| Error::new(format!("bad status line {status_line:?}")))?;
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        Ok(Response {
            version,
            status,
            headers,
            body: body.to_string(),
        })
    }

    /// The first value of a header (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header (any case), in order.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The body as JSON.
    pub fn json(&self) -> Result<Value> {
        serde_json::from_str(&self.body).context(format!("body {:?}", self.body))
    }
}
