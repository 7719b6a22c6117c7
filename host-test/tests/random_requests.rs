//! Thousands of generated requests, weird ones on purpose, through the real filters in both
//! engines: no trap and no invalid answer, ever; the split chains and the combined filter agree
//! (`Gateway::both`); every request gets exactly one telemetry line, valid JSON, that names the
//! request as sent; forwarded paths never carry a dot segment out of their prefix.
//!
//! A fuzzer in miniature: the generator is seeded, so a failure names a request that fails again.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{API01_LEGACY, API01_LONG, API02_LEGACY, ENGINES, Gateway, SHORT, map_with};
use kdp_migrate_core::TelemetryRecord;
use kdp_migrate_host_test::{LogLevel, ObservedAction, Request, UpstreamResponse};
use serde_json::json;

/// xorshift64*: small, seeded, good enough to pick pieces.
struct Pick(u64);

impl Pick {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn one<'a>(&mut self, choices: &[&'a str]) -> &'a str {
        choices[(self.next() % choices.len() as u64) as usize]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const HOSTS: &[&str] = &[
    SHORT,
    "DEV-01.aliyun.cloud.cn.aibang:443",
    "dev-01.aliyun.cloud.cn.aibang.",
    API01_LONG,
    API01_LEGACY,
    "API02.source-team1.dev.aliyun.cloud.cn.aibang:8080",
    API02_LEGACY,
    "api03.source-team1.dev.aliyun.cloud.cn.aibang",
    "api01.target-team2.dev.aliyun.cloud.cn.aibang:99999",
    "",
    ":",
    "[::1]:443",
    "10.98.11.99",
    "dev-01.aliyun.cloud.cn.aibang:",
    "dév-01.aliyun.cloud.cn.aibang",
    "a..b",
    "evil\"host",
];

const SEGMENTS: &[&str] = &[
    "api01", "api02", "API01", "api03", "v1", "items", "", ".", "..", "%2e", "%2E%2e", "%2f",
    "%2F", "%5c", "%00", "%", "%zz", "a%20b", "é", "%C3%A9", ";x=1", "a;b", "~user", "*", "@",
    "\\", "a\\..",
];

const QUERIES: &[&str] = &[
    "",
    "?",
    "?id=7",
    "?a=1&a=2",
    "?next=/api02/x",
    "?%2e%2e=..",
    "?q=é",
    "??",
];

const LOCATIONS: &[&str] = &[
    "/v1/next",
    "https://api01.target-team2.dev.aliyun.cloud.cn.aibang/v1/next?x=1",
    "http://api01.target-team2.dev.aliyun.cloud.cn.aibang:8443/",
    "https://elsewhere.example/x",
    "//api01.target-team2.dev.aliyun.cloud.cn.aibang/v1",
    "relative/path",
    "",
    "https://",
];

const COOKIES: &[&str] = &[
    "sid=1; Path=/; Domain=api01.target-team2.dev.aliyun.cloud.cn.aibang",
    "sid=2; Path=/v1; HttpOnly",
    "bare",
    "a=b; Domain=.aliyun.cloud.cn.aibang; Path=/",
    "",
];

fn request(pick: &mut Pick) -> Request {
    let host = pick.one(HOSTS);
    let mut path = String::new();
    let segments = 1 + pick.next() % 5;
    for _ in 0..segments {
        path.push('/');
        path.push_str(pick.one(SEGMENTS));
    }
    if pick.chance(10) {
        path.insert(0, '/');
    }
    if pick.chance(5) {
        path.push_str(&"x".repeat(3000));
    }
    path.push_str(pick.one(QUERIES));
    let method = pick.one(&["GET", "POST", "HEAD", "OPTIONS", "PATCH"]);
    let mut request = Request::new(method, host, &path);
    if pick.chance(30) {
        let proto = pick.one(&["http", "https", "HTTP, https", "", "ftp"]);
        request = request.header("x-forwarded-proto", proto);
    }
    if pick.chance(30) {
        let chain = pick.one(&["10.0.0.1", "10.0.0.2, 10.0.0.1", " , ", "garbage", ""]);
        request = request.header("x-forwarded-for", chain);
    }
    if pick.chance(20) {
        let forced = pick.one(&["1", "0", " 1 ", "yes"]);
        request = request.header("x-kdp-redirect", forced);
    }
    request
}

fn upstream(pick: &mut Pick) -> UpstreamResponse {
    let status = [200u16, 201, 204, 301, 302, 404, 500][(pick.next() % 7) as usize];
    let mut response = UpstreamResponse::new(status);
    if pick.chance(40) {
        let name = pick.one(&["Location", "content-location", "REFRESH"]);
        let value = pick.one(LOCATIONS);
        let value = if name == "REFRESH" {
            format!("0; url={value}")
        } else {
            value.to_owned()
        };
        response.headers.push((name.to_owned(), value));
    }
    for _ in 0..pick.next() % 3 {
        response
            .headers
            .push(("Set-Cookie".to_owned(), pick.one(COOKIES).to_owned()));
    }
    response
}

fn maps() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("seed", common::seed_map()),
        (
            "canary with signals",
            map_with(json!({
                "legacy": {
                    "action": "redirect", "target": "long", "status": 301, "redirect_percent": 50,
                    "redirect_header": "x-kdp-redirect", "deprecation": "2026-01-01T00:00:00Z",
                    "sunset": "2030-01-01T00:00:00Z", "deprecation_link": "https://docs.example/move"
                },
                "unmatched": "pass",
                "trailing_slash": "redirect"
            })),
        ),
        (
            "observe",
            map_with(json!({ "legacy": { "action": "observe", "target": "short" } })),
        ),
        (
            "proxy",
            map_with(json!({ "legacy": { "action": "proxy" } })),
        ),
    ]
}

#[test]
fn generated_requests_never_trap_and_every_one_is_recorded() {
    for engine in ENGINES {
        for (name, map) in maps() {
            let mut gateway = Gateway::new(engine, &map);
            let mut pick = Pick(0x9e37_79b9_7f4a_7c15);
            for _ in 0..600 {
                let request = request(&mut pick);
                let upstream = upstream(&mut pick);
                let context = format!(
                    "{engine}, map {name}: {} {:?} {:?} {:?}",
                    request.method, request.host, request.path, request.headers
                );
                // A long host with a port: in Kong the combined filter sets the upstream Host to the
                // bare long host, the standard layout's telemetry-only chain leaves Kong's own; both
                // are fine, so the two layouts are compared everywhere else.
                let observation =
                    if request.host.contains(':') && request.host.contains("target-team2") {
                        let combined = gateway.combined(&request, &upstream);
                        assert_eq!(combined.error, None, "{context}");
                        gateway.split(&request, &upstream)
                    } else {
                        gateway.both(&request, &upstream)
                    };
                assert_ne!(
                    observation.action,
                    ObservedAction::Error,
                    "{context}: {:?}",
                    observation.error
                );
                assert_eq!(observation.error, None, "{context}");
                if let Some(local) = &observation.local_response
                    && &*local.responder == "nginx"
                {
                    // The engine refused the request line; no filter saw it.
                    continue;
                }
                let lines: Vec<&str> = observation
                    .filter_logs("migration_telemetry", LogLevel::Info)
                    .collect();
                assert_eq!(lines.len(), 1, "{context}: {lines:?}");
                let line: serde_json::Value = serde_json::from_str(lines[0])
                    .unwrap_or_else(|error| panic!("{context}: {error}: {}", lines[0]));
                assert!(
                    lines[0].len() <= TelemetryRecord::MAX_LINE_BYTES,
                    "{context}"
                );
                for (key, sent) in [("host", &request.host), ("path", &request.path)] {
                    // Texts over their bounds keep their beginning, marked.
                    let text = line[key].as_str().unwrap_or_default();
                    match text.strip_suffix('\u{2026}') {
                        Some(kept) if text != sent.as_str() => {
                            assert!(sent.starts_with(kept), "{context}: {key} {text}")
                        }
                        _ => assert_eq!(text, sent.as_str(), "{context}: {key}"),
                    }
                }
                assert_eq!(line["action"], observation.action.as_str(), "{context}");
                if let Some(upstream) = &observation.upstream {
                    let path = upstream.path.split('?').next().unwrap_or_default();
                    let dot_segment = path.split('/').any(|segment| {
                        matches!(
                            segment.to_ascii_lowercase().as_str(),
                            ".." | "%2e%2e" | ".%2e" | "%2e."
                        )
                    });
                    assert!(
                        !(observation.action == ObservedAction::Proxy && dot_segment),
                        "{context}: forwarded {:?}",
                        upstream.path
                    );
                }
            }
        }
    }
}
