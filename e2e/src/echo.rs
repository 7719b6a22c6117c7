//! A loopback HTTP/1.1 upstream that echoes what it received.
//!
//! Every request is answered `200` (or the status in `x-echo-status`) with a JSON body
//! `{"method", "path", "host", "x_forwarded_host", "x_forwarded_prefix", "headers": [[name, value], ...]}` — `path`
//! is the request target byte for byte (path + query) — and the same facts in response headers: `x-echo-host`,
//! `x-echo-path`, `x-echo-forwarded-host`, `x-echo-forwarded-prefix`.
//!
//! A request header `x-echo-respond-<name>: <value>` makes the answer carry `<name>: <value>` (each such header
//! gives one response header, so several `x-echo-respond-set-cookie` give several `Set-Cookie`). This is how the
//! response-rewriting tests make the upstream answer a given `Location` or `Set-Cookie` through Envoy.
//!
//! Keep-alive, `Content-Length` and chunked request bodies (read and dropped); one thread per connection. Every
//! connection is shut down when the server is dropped.

use serde_json::json;
use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

/// Request headers bigger than this (in total) close the connection.
const MAX_HEAD: usize = 64 * 1024;

/// A request as the upstream received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The method.
    pub method: String,
    /// The request target as sent: path + query.
    pub target: String,
    /// The `Host` header.
    pub host: Option<String>,
    /// Every header, names lowercased, in order.
    pub headers: Vec<(String, String)>,
}

impl Received {
    /// The first value of a header (name in lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Default)]
struct Shared {
    stop: AtomicBool,
    record: bool,
    next_id: AtomicU64,
    connections: Mutex<HashMap<u64, TcpStream>>,
    received: Mutex<Vec<Received>>,
}

/// The running echo server; dropping it stops it.
#[derive(Debug)]
pub struct EchoServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl EchoServer {
    /// Starts on `127.0.0.1:<port>` (0: a free port). With `record`, every request is kept for
    /// [`EchoServer::received`] (tests); without, nothing grows (benchmark).
    pub fn start(port: u16, record: bool) -> io::Result<EchoServer> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            record,
            ..Shared::default()
        });
        let for_thread = Arc::clone(&shared);
        let acceptor = std::thread::Builder::new()
            .name("echo-accept".into())
            .spawn(move || accept_loop(&listener, &for_thread))?;
        Ok(EchoServer {
            addr,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// The port it listens on (on 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Every request received so far (only when started with `record`).
    pub fn received(&self) -> Vec<Received> {
        self.shared
            .received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the acceptor; it sees `stop` and returns.
        let _ = TcpStream::connect(self.addr);
        for stream in self
            .shared
            .connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
        {
            let _ = stream.shutdown(Shutdown::Both);
        }
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let _ = stream.set_nodelay(true);
        let id = shared.next_id.fetch_add(1, Ordering::SeqCst);
        if let Ok(clone) = stream.try_clone() {
            shared
                .connections
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(id, clone);
        }
        let for_thread = Arc::clone(shared);
        let spawned = std::thread::Builder::new()
            .name("echo-conn".into())
            .spawn(move || {
                let _ = serve(stream, &for_thread);
                for_thread
                    .connections
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&id);
            });
        if spawned.is_err() {
            shared
                .connections
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&id);
        }
    }
}

/// Serves one connection until the peer closes it, asks to, or sends something this server does not speak.
fn serve(stream: TcpStream, shared: &Shared) -> io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    loop {
        let Some(request) = read_request(&mut reader)? else {
            return Ok(());
        };
        if shared.stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        let close = request
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let response = respond(&request);
        // Recorded before answering, so a test that got the answer sees the request.
        if shared.record {
            shared
                .received
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(request);
        }
        writer.write_all(&response)?;
        if close {
            return Ok(());
        }
    }
}

/// Reads one line of a request head into `line` (cleared first). Header values may carry bytes that are not
/// UTF-8 (obs-text, which Envoy forwards): they become U+FFFD instead of failing the request.
fn read_head_line(reader: &mut BufReader<TcpStream>, line: &mut String) -> io::Result<usize> {
    let mut bytes = Vec::new();
    let n = reader.read_until(b'\n', &mut bytes)?;
    line.clear();
    line.push_str(&String::from_utf8_lossy(&bytes));
    Ok(n)
}

/// Reads one request (head, then the body, dropped). `None` at a clean end of the connection.
fn read_request(reader: &mut BufReader<TcpStream>) -> io::Result<Option<Received>> {
    let mut line = String::new();
    let mut head = 0usize;
    // Request line (tolerating empty lines before it, as RFC 9112 asks).
    loop {
        let n = read_head_line(reader, &mut line)?;
        if n == 0 {
            return Ok(None);
        }
        head += n;
        if !line.trim().is_empty() {
            break;
        }
        if head > MAX_HEAD {
            return Err(io::Error::other("head too big"));
        }
    }
    let mut parts = line.trim_end().splitn(3, ' ');
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Err(io::Error::other("bad request line"));
    };
    let (method, target) = (method.to_string(), target.to_string());
    let mut headers = Vec::new();
    loop {
        let n = read_head_line(reader, &mut line)?;
        head += n;
        if n == 0 || head > MAX_HEAD {
            return Err(io::Error::other("truncated or oversized head"));
        }
        let l = line.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            break;
        }
        if let Some((name, value)) = l.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let request = Received {
        method,
        target,
        host: headers
            .iter()
            .find(|(n, _)| n == "host")
            .map(|(_, v)| v.clone()),
        headers,
    };
    let chunked = request
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        skip_chunked(reader)?;
    } else if let Some(length) = request.header("content-length") {
        let length: u64 = length
            .parse()
            .map_err(|_| io::Error::other("bad content-length"))?;
        io::copy(&mut reader.by_ref().take(length), &mut io::sink())?;
    }
    Ok(Some(request))
}

fn skip_chunked(reader: &mut BufReader<TcpStream>) -> io::Result<()> {
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let size = line.trim().split(';').next().unwrap_or("");
        let size = u64::from_str_radix(size, 16).map_err(|_| io::Error::other("bad chunk size"))?;
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                line.clear();
                if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
                    return Ok(());
                }
            }
        }
        io::copy(&mut reader.by_ref().take(size), &mut io::sink())?;
        line.clear();
        reader.read_line(&mut line)?;
    }
}

fn respond(request: &Received) -> Vec<u8> {
    let forwarded_host = request.header("x-forwarded-host");
    let forwarded_prefix = request.header("x-forwarded-prefix");
    let body = json!({
        "method": request.method,
        "path": request.target,
        "host": request.host,
        "x_forwarded_host": forwarded_host,
        "x_forwarded_prefix": forwarded_prefix,
        "headers": request.headers,
    })
    .to_string();
    let status: u16 = request
        .header("x-echo-status")
        .and_then(|s| s.parse().ok())
        .filter(|s| (200..600).contains(s))
        .unwrap_or(200);
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        reason(status),
        body.len()
    );
    let mut add = |name: &str, value: &str| {
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value);
        head.push_str("\r\n");
    };
    add("x-echo-host", request.host.as_deref().unwrap_or(""));
    add("x-echo-path", &request.target);
    if let Some(v) = forwarded_host {
        add("x-echo-forwarded-host", v);
    }
    if let Some(v) = forwarded_prefix {
        add("x-echo-forwarded-prefix", v);
    }
    for (name, value) in &request.headers {
        if let Some(wanted) = name.strip_prefix("x-echo-respond-")
            && !wanted.is_empty()
        {
            add(wanted, value);
        }
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        404 => "Not Found",
        _ => "Other",
    }
}
