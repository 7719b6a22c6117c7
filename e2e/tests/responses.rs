//! Migration-grade HTTP semantics, in both engines: response rewriting on the short entry and on the
//! legacy entry in proxy mode, trailing-slash redirects, observe mode, the canary share and its forcing header,
//! redirect caching, deprecation signals and 410 after sunset. The echo upstream answers the `Location` /
//! `Set-Cookie` it is told to through `x-echo-respond-*` request headers.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use kdp_migrate_e2e::scenario::{LEGACY1, LONG1, SHORT, seed_with};
use kdp_migrate_e2e::{Harness, Request, per_setup};
use serde_json::{Value, json};

/// A GET on the short host whose upstream answer carries `header: value` (status 302 when it is a Location).
fn answering(host: &str, path: &str, headers: &[(&str, &str)]) -> Request {
    let mut request = Request::get(host, path).header("x-echo-status", "302");
    for (name, value) in headers {
        request = request.header(&format!("x-echo-respond-{name}"), value);
    }
    request
}

per_setup! {
    fn short_entry_rewrites_location(setup) {
        let h = Harness::seed(setup).expect("start");
        let cases = [
            ("/login", "/api01/login".to_string()),
            ("/", "/api01/".to_string()),
            (&*format!("https://{LONG1}/y?z=1"), format!("http://{SHORT}/api01/y?z=1")),
            (&*format!("http://{LONG1}:8443/y"), format!("http://{SHORT}/api01/y")),
            ("https://elsewhere.example/x", "https://elsewhere.example/x".to_string()),
            ("relative/x", "relative/x".to_string()),
        ];
        for (given, want) in &cases {
            for request in setup.each_protocol(answering(SHORT, "/api01/a", &[("location", given)])) {
                let r = h.send(&request).expect("send");
                assert_eq!(r.status, 302, "{given}: {r:?}");
                assert_eq!(r.header("location"), Some(want.as_str()), "Location {given}");
            }
        }
        let r = h.send(&answering(SHORT, "/api01/a", &[("content-location", "/c"), ("refresh", &format!("5; url=https://{LONG1}/r"))])).expect("send");
        assert_eq!(r.header("content-location"), Some("/api01/c"), "{r:?}");
        assert_eq!(r.header("refresh"), Some(format!("5; url=http://{SHORT}/api01/r").as_str()), "{r:?}");
        let sent = cases.len() * setup.each_protocol(Request::get(SHORT, "/")).len() + 1;
        let rewritten: Vec<Value> = h.gateway.wait_telemetry(sent, |r| r["path"] == "/api01/a").expect("telemetry");
        assert_eq!(rewritten.len(), sent, "one record per request: {rewritten:?}");
        assert!(rewritten.iter().any(|r| r["location_rewritten"].as_u64() >= Some(1)), "{rewritten:?}");
    }

    fn short_entry_rewrites_set_cookie(setup) {
        let h = Harness::seed(setup).expect("start");
        let long_domain = format!("Domain={LONG1}");
        let given = [
            "a=1; Path=/; HttpOnly".to_string(),
            format!("b=2; Path=/x; {long_domain}; Secure"),
            "c=3".to_string(),
            "d=4; Domain=other.example; Path=/p; SameSite=Lax".to_string(),
        ];
        let mut request = Request::get(SHORT, "/api01/cookies");
        for cookie in &given {
            request = request.header("x-echo-respond-set-cookie", cookie);
        }
        let r = h.send(&request).expect("send");
        assert_eq!(r.status, 200, "{r:?}");
        let cookies = r.header_all("set-cookie");
        assert_eq!(cookies.len(), 4, "each Set-Cookie is kept separate: {cookies:?}");
        assert_eq!(cookies.first().copied(), Some("a=1; Path=/api01; HttpOnly"), "{cookies:?}");
        let b = cookies.get(1).copied().unwrap_or_default();
        assert!(b.starts_with("b=2; Path=/api01/x"), "{b}");
        assert!(!b.contains("Domain="), "the long host's Domain is removed: {b}");
        assert!(b.contains("Secure"), "{b}");
        assert!(cookies.get(2).is_some_and(|c| c.starts_with("c=3") && c.contains("Path=/api01")), "{cookies:?}");
        let d = cookies.get(3).copied().unwrap_or_default();
        assert!(d.contains("Domain=other.example") && d.contains("Path=/api01/p") && d.contains("SameSite=Lax"), "{d}");
        let record = h.telemetry_for(SHORT, "/api01/cookies").expect("telemetry");
        assert_eq!(record["cookies_rewritten"], 4, "{record}");
    }

    fn legacy_proxy_entry_rewrites_to_the_legacy_host(setup) {
        let map = seed_with(&json!({"legacy": {"action": "proxy"}})).expect("map");
        let h = Harness::start(setup, &map).expect("start");
        let r = h
            .send(&answering(LEGACY1, "/v1/x", &[("location", &format!("https://{LONG1}/y?z=1")), ("set-cookie", &format!("s=1; Path=/; Domain={LONG1}"))]))
            .expect("send");
        assert_eq!(r.status, 302, "{r:?}");
        let location = r.header("location").unwrap_or_default();
        assert!(location.contains(&format!("//{LEGACY1}/y?z=1")), "Location on the legacy host: {location}");
        let cookie = r.header("set-cookie").unwrap_or_default();
        assert!(cookie.starts_with("s=1") && !cookie.contains("Domain="), "{cookie}");
    }

    fn rewrite_responses_false_leaves_them(setup) {
        let map = seed_with(&json!({"rewrite_responses": false})).expect("map");
        let h = Harness::start(setup, &map).expect("start");
        let r = h.send(&answering(SHORT, "/api01/a", &[("location", "/login"), ("set-cookie", "a=1; Path=/")])).expect("send");
        assert_eq!(r.header("location"), Some("/login"));
        assert_eq!(r.header("set-cookie"), Some("a=1; Path=/"));
    }

    fn trailing_slash_redirect(setup) {
        let map = seed_with(&json!({"trailing_slash": "redirect"})).expect("map");
        let h = Harness::start(setup, &map).expect("start");
        for (path, want) in [("/api01", "/api01/"), ("/api01?q=1&r", "/api01/?q=1&r")] {
            let r = h.get(SHORT, path).expect("send");
            assert_eq!(r.status, 308, "{path}: {r:?}");
            let location = r.header("location").unwrap_or_default();
            assert!(location == want || location.ends_with(&format!("{SHORT}{want}")), "{path}: Location {location}");
        }
        assert_eq!(h.upstream_requests(), vec![]);
        let r = h.get(SHORT, "/api01/?q=1").expect("send");
        assert_eq!(r.status, 200);
        assert_eq!(r.json().expect("json")["path"], "/?q=1");
    }

    fn observe_mode_forwards_and_records_the_would_be_outcome(setup) {
        let map = seed_with(&json!({"legacy": {"action": "observe"}})).expect("map");
        let h = Harness::start(setup, &map).expect("start");
        let r = h.get(LEGACY1, "/v1/x?y=1").expect("send");
        assert_eq!(r.status, 200, "{r:?}");
        let body = r.json().expect("json");
        assert_eq!(body["host"], LEGACY1, "observe forwards unchanged");
        assert_eq!(body["path"], "/v1/x?y=1");
        let record = h.telemetry_for(LEGACY1, "/v1/x?y=1").expect("telemetry");
        assert_eq!(record["action"], "pass", "{record}");
        assert_eq!(record["redirect_stage"], "observe", "{record}");
        assert_eq!(record["would_action"], "redirect", "{record}");
        assert_eq!(record["would_status"], 308, "{record}");
        assert_eq!(record["would_location"], format!("https://{SHORT}/api01/v1/x?y=1"), "{record}");
    }

    fn canary_forcing_header_and_stable_share(setup) {
        let map = seed_with(&json!({"legacy": {"redirect_percent": 0, "redirect_header": "x-kdp-redirect"}})).expect("map");
        let h = Harness::start(setup, &map).expect("start");
        let r = h.get(LEGACY1, "/c").expect("send");
        assert_eq!(r.status, 200, "0% redirected: proxied to the long host: {r:?}");
        assert_eq!(r.json().expect("json")["host"], LONG1);
        let r = h.send(&Request::get(LEGACY1, "/c").header("x-kdp-redirect", "1")).expect("send");
        assert_eq!(r.status, 308, "the forcing header redirects: {r:?}");
        let r = h.send(&Request::get(LEGACY1, "/c").header("x-kdp-redirect", "0")).expect("send");
        assert_eq!(r.status, 200, "only the value 1 forces: {r:?}");

        let map = seed_with(&json!({"legacy": {"redirect_percent": 50}})).expect("map");
        let h = Harness::start(setup, &map).expect("start");
        let mut redirected = 0;
        for client in 0..20 {
            let xff = format!("203.0.113.{client}, 127.0.0.1");
            let first = h.send(&Request::get(LEGACY1, "/c").header("x-forwarded-for", &xff)).expect("send").status;
            for _ in 0..2 {
                let again = h.send(&Request::get(LEGACY1, "/c").header("x-forwarded-for", &xff)).expect("send").status;
                assert_eq!(again, first, "client {xff} always gets the same answer");
            }
            assert!(first == 308 || first == 200, "{first}");
            redirected += usize::from(first == 308);
        }
        assert!((2..=18).contains(&redirected), "50% of 20 clients redirected, got {redirected}");
    }

    fn redirect_cache_control(setup) {
        for (max_age, want) in [(0, "no-store"), (120, "max-age=120")] {
            let map = seed_with(&json!({"legacy": {"redirect_max_age": max_age}})).expect("map");
            let h = Harness::start(setup, &map).expect("start");
            let r = h.get(LEGACY1, "/x").expect("send");
            assert_eq!(r.status, 308);
            assert_eq!(r.header("cache-control"), Some(want), "redirect_max_age {max_age}");
        }
    }

    fn deprecation_sunset_and_link_headers(setup) {
        let legacy = json!({
            "deprecation": "2026-01-01T00:00:00Z",
            "sunset": "2099-01-01T00:00:00Z",
            "deprecation_link": "https://docs.example/migration",
        });
        for action in ["proxy", "redirect"] {
            let mut legacy = legacy.clone();
            legacy["action"] = json!(action);
            let map = seed_with(&json!({"legacy": legacy})).expect("map");
            let h = Harness::start(setup, &map).expect("start");
            let r = h.get(LEGACY1, "/v1/x?y=1").expect("send");
            assert_eq!(r.status, if action == "proxy" { 200 } else { 308 }, "{r:?}");
            assert_eq!(r.header("deprecation"), Some("@1767225600"), "{action}: {r:?}");
            assert_eq!(r.header("sunset"), Some("Thu, 01 Jan 2099 00:00:00 GMT"), "{action}: {r:?}");
            let links = r.header_all("link").join(", ");
            let successor = format!("<https://{SHORT}/api01/v1/x?y=1>; rel=\"successor-version\"");
            assert!(links.contains(&successor), "{action}: want {successor} in {links}");
            assert!(links.contains("<https://docs.example/migration>; rel=\"deprecation\""), "{action}: {links}");
        }
        // Not on other entries.
        let map = seed_with(&json!({"legacy": legacy})).expect("map");
        let h = Harness::start(setup, &map).expect("start");
        let r = h.get(SHORT, "/api01/x").expect("send");
        assert_eq!(r.status, 200);
        assert_eq!(r.header("deprecation"), None, "{r:?}");
    }

    fn gone_after_sunset(setup) {
        let map = seed_with(&json!({"legacy": {
            "deprecation": "2020-01-01T00:00:00Z",
            "sunset": "2021-01-01T00:00:00Z",
            "after_sunset": "gone",
        }}))
        .expect("map");
        let h = Harness::start(setup, &map).expect("start");
        for request in setup.each_protocol(Request::get(LEGACY1, "/v1/x?y=1")) {
            let r = h.send(&request).expect("send");
            assert_eq!(r.status, 410, "{r:?}");
            let successor = format!("https://{SHORT}/api01/v1/x?y=1");
            r.json().expect("the 410 body is JSON");
            assert!(r.body.contains(&successor), "the body names the successor: {}", r.body);
            let links = r.header_all("link").join(", ");
            assert!(links.contains(&format!("<{successor}>; rel=\"successor-version\"")), "{links}");
        }
        assert_eq!(h.upstream_requests(), vec![]);
    }
}
