//! Bytes curl will not send: header values that are not UTF-8, sent over a raw socket. Both engines pass obs-text
//! (0x80–0xFF) in header values to the filters; whatever they pass, the answer must be deliberate (the filter's
//! or the engine's own 4xx, Kong's no-route 404, or the normal routing), never a 5xx from a trapped VM, and the
//! gateway must go on serving.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use kdp_migrate_e2e::scenario::{LEGACY1, LONG1, SHORT};
use kdp_migrate_e2e::{Engine, Harness, per_setup};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Sends `head` (request line and headers, CRLF-separated, without the final blank line) with
/// `Connection: close` and returns the status code.
fn status_of(port: u16, head: &[u8]) -> u16 {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut request = head.to_vec();
    request.extend_from_slice(b"\r\nConnection: close\r\n\r\n");
    stream.write_all(&request).expect("write");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    text.split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "no status in {text:?} for {:?}",
                String::from_utf8_lossy(head)
            )
        })
}

per_setup! {
    fn non_utf8_header_values_get_deliberate_answers(setup) {
        let h = Harness::seed(setup).expect("start");
        let port = h.gateway.listener_port();
        // A Host nginx takes as it is names no route: Kong's own 404.
        let odd_host: &[u16] = match setup.engine {
            Engine::Envoy => &[200, 400],
            Engine::Kong => &[400, 404],
        };
        let host = |name: &str| format!("Host: {name}").into_bytes();
        let join = |parts: &[&[u8]]| parts.join(&b"\r\n"[..]);
        // (request head, the statuses that are a deliberate answer)
        let cases: Vec<(Vec<u8>, &[u16])> = vec![
            // Scheme and client headers the filter reads: junk there changes nothing about routing.
            (join(&[b"GET /api01/v1/x HTTP/1.1", &host(SHORT), b"X-Forwarded-Proto: \xff\xfe"]), &[200]),
            (join(&[b"GET /v1/x HTTP/1.1", &host(LEGACY1), b"X-Forwarded-For: \xff, 10.0.0.1"]), &[308]),
            (join(&[b"GET /v1/x HTTP/1.1", &host(LONG1), b"X-Anything: \x80\x81\xfe"]), &[200]),
            // In the Host: the engine refuses it, or the filter sees U+FFFD and passes it as an unknown host.
            (join(&[b"GET /api01/v1/x HTTP/1.1", b"Host: dev-01\xff.aliyun.cloud.cn.aibang"]), odd_host),
            // In the path: the engine refuses it, or the filter answers 400 for a non-ASCII target.
            (join(&[b"GET /api01/\xff\xfe HTTP/1.1", &host(SHORT)]), &[400]),
        ];
        for (head, deliberate) in &cases {
            let status = status_of(port, head);
            assert!(
                deliberate.contains(&status),
                "{:?}: {status}, wanted one of {deliberate:?}; {}",
                String::from_utf8_lossy(head),
                h.gateway.log_tail(20)
            );
        }
        // Still serving, and no VM failed on the way.
        assert_eq!(status_of(port, &join(&[b"GET /api01/v1/x HTTP/1.1", &host(SHORT)])), 200);
        let log = h.gateway.log();
        let signs: &[&str] = match setup.engine {
            Engine::Envoy => &["panicked", "Function: proxy_on", "wasm trap", "VM failed"],
            Engine::Kong => &["panicked", "trap", "[crit]", "[alert]", "[emerg]"],
        };
        for sign in signs {
            assert!(!log.contains(sign), "{sign:?} in the log: {}", h.gateway.log_tail(30));
        }
    }
}
