//! The migration-grade behaviours (legacy stages, deprecation signals, response rewriting) through the real `.wasm` filters, in both engines:
//! response rewriting, trailing slash, observe mode, canary, the forcing header, redirect
//! caching, deprecation signals and 410 after the sunset.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{API01_LEGACY, API01_LONG, ENGINES, Gateway, SHORT, map_with, seed_map, telemetry};
use kdp_migrate_host_test::{
    Clock, Engine, Observation, ObservedAction, Request, UpstreamResponse,
};
use serde_json::json;

fn headers_of(observation: &Observation) -> Vec<(String, String)> {
    observation
        .response
        .headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
        .collect()
}

fn upstream_answer() -> UpstreamResponse {
    UpstreamResponse::new(302)
        .header(
            "Location",
            "https://api01.target-team2.dev.aliyun.cloud.cn.aibang:8443/login?next=/x",
        )
        .header("Content-Location", "/docs/1")
        .header(
            "Refresh",
            "5; url=https://api01.target-team2.dev.aliyun.cloud.cn.aibang/bye",
        )
        .header("Set-Cookie", "a=1; Path=/x; HttpOnly")
        .header("Set-Cookie", "b=2; Path=/")
        .header("Set-Cookie", "c=3")
        .header(
            "Set-Cookie",
            "d=4; Domain=api01.target-team2.dev.aliyun.cloud.cn.aibang; Secure; SameSite=Lax",
        )
}

#[test]
fn short_entry_responses_are_rewritten_onto_the_short_host_and_prefix() {
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &seed_map());
        let request = Request::new("GET", SHORT, "/api01/start").scheme("https");
        let observation = gateway.both(&request, &upstream_answer());
        assert_eq!(observation.action, ObservedAction::Proxy, "{engine}");
        assert_eq!(observation.response.status, 302);
        let expected = [
            (
                "location",
                "https://dev-01.aliyun.cloud.cn.aibang/api01/login?next=/x",
            ),
            ("content-location", "/api01/docs/1"),
            (
                "refresh",
                "5; url=https://dev-01.aliyun.cloud.cn.aibang/api01/bye",
            ),
            ("set-cookie", "a=1; Path=/api01/x; HttpOnly"),
            ("set-cookie", "b=2; Path=/api01"),
            ("set-cookie", "c=3; Path=/api01"),
            ("set-cookie", "d=4; Secure; SameSite=Lax; Path=/api01"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(headers_of(&observation), expected, "{engine}");
    }
}

#[test]
fn the_client_scheme_and_the_long_host_port_decide_the_rewritten_url() {
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &seed_map());
        let answer = UpstreamResponse::new(301).header(
            "Location",
            "http://API01.target-team2.dev.aliyun.cloud.cn.aibang:80/p",
        );
        let plain = gateway.both(&Request::new("GET", SHORT, "/api01/"), &answer);
        assert_eq!(
            plain.response.headers.get("location"),
            Some("http://dev-01.aliyun.cloud.cn.aibang/api01/p"),
            "{engine}"
        );
        let behind_tls = Request::new("GET", SHORT, "/api01/").header("X-Forwarded-Proto", "https");
        let observation = gateway.both(&behind_tls, &answer);
        assert_eq!(
            observation.response.headers.get("location"),
            Some("https://dev-01.aliyun.cloud.cn.aibang/api01/p"),
            "{engine}"
        );
    }
}

#[test]
fn relative_and_foreign_locations_are_left_alone() {
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &seed_map());
        for location in [
            "login",
            "https://other.example/x",
            "https://api01.target-team2.dev.aliyun.cloud.cn.aibang.evil/x",
        ] {
            let answer = UpstreamResponse::new(302).header("Location", location);
            let observation = gateway.both(&Request::new("GET", SHORT, "/api01/"), &answer);
            assert_eq!(
                observation.response.headers.get("location"),
                Some(location),
                "{engine} {location}"
            );
        }
    }
}

#[test]
fn rewrite_responses_false_leaves_responses_alone() {
    let map = map_with(json!({ "rewrite_responses": false }));
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &map);
        let observation = gateway.both(
            &Request::new("GET", SHORT, "/api01/start"),
            &upstream_answer(),
        );
        let original: Vec<(String, String)> = upstream_answer()
            .headers
            .into_iter()
            .map(|(name, value)| (name.to_ascii_lowercase(), value))
            .collect();
        assert_eq!(headers_of(&observation), original, "{engine}");
    }
}

/// The counts the telemetry line reports for the sample answer (3 URLs, 4 cookies).
fn rewrite_counts(
    observation: &Observation,
    filter: &str,
) -> (serde_json::Value, serde_json::Value) {
    let line = telemetry(observation, filter);
    (
        line["location_rewritten"].clone(),
        line["cookies_rewritten"].clone(),
    )
}

#[test]
fn telemetry_counts_the_rewrites() {
    let request = Request::new("GET", SHORT, "/api01/start").scheme("https");
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &seed_map());
        let combined = gateway.combined(&request, &upstream_answer());
        assert_eq!(
            rewrite_counts(&combined, "kdp_migrate"),
            (json!(3), json!(4)),
            "{engine}"
        );
    }
    let mut kong = Gateway::new(Engine::Kong, &seed_map());
    let split = kong.split(&request, &upstream_answer());
    assert_eq!(
        rewrite_counts(&split, "migration_telemetry"),
        (json!(3), json!(4))
    );
}

// Envoy runs response callbacks in reverse chain order, so migration_telemetry (first in the
// chain) sees the headers short_domain_router already rewrote, and counts what it would rewrite
// in *those*: 1 URL (`/api01/docs/1` again) instead of 3. Reported to the filters' owner.
#[test]
fn telemetry_counts_the_rewrites_in_envoy_split_chains() {
    let request = Request::new("GET", SHORT, "/api01/start").scheme("https");
    let mut envoy = Gateway::new(Engine::Envoy, &seed_map());
    let split = envoy.split(&request, &upstream_answer());
    assert_eq!(
        rewrite_counts(&split, "migration_telemetry"),
        (json!(3), json!(4))
    );
}

#[test]
fn proxied_legacy_responses_are_rewritten_onto_the_legacy_host() {
    let map = map_with(json!({ "legacy": { "action": "proxy" } }));
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &map);
        let answer = UpstreamResponse::new(302)
            .header(
                "Location",
                "https://api01.target-team2.dev.aliyun.cloud.cn.aibang/login",
            )
            .header(
                "Set-Cookie",
                "s=1; Domain=.api01.target-team2.dev.aliyun.cloud.cn.aibang; Path=/app",
            )
            .header("Set-Cookie", "t=2; Path=/");
        let request = Request::new("GET", "API01.source-team1.dev.aliyun.cloud.cn.aibang", "/x")
            .scheme("https");
        let observation = gateway.both(&request, &answer);
        assert_eq!(
            observation.upstream.as_ref().unwrap().host,
            API01_LONG,
            "{engine}"
        );
        let expected: Vec<(String, String)> = [
            (
                "location",
                "https://api01.source-team1.dev.aliyun.cloud.cn.aibang/login",
            ),
            ("set-cookie", "s=1; Path=/app"),
            ("set-cookie", "t=2; Path=/"),
        ]
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
        assert_eq!(headers_of(&observation), expected, "{engine}");
    }
}

#[test]
fn trailing_slash_redirect_sends_the_bare_prefix_to_prefix_slash() {
    let map = map_with(json!({ "trailing_slash": "redirect" }));
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &map);
        for (path, location) in [("/api01", "/api01/"), ("/api01?q=1&r", "/api01/?q=1&r")] {
            let observation = gateway.get(SHORT, path);
            assert_eq!(
                observation.action,
                ObservedAction::Redirect,
                "{engine} {path}"
            );
            let local = observation.local_response.unwrap();
            assert_eq!(
                (local.status, local.location()),
                (308, Some(location)),
                "{engine} {path}"
            );
        }
        let observation = gateway.get(SHORT, "/api01/");
        assert_eq!(observation.upstream.unwrap().path, "/", "{engine}");
    }
}

#[test]
fn observe_mode_passes_and_telemetry_records_what_would_have_happened() {
    let map = map_with(json!({ "legacy": { "action": "observe" } }));
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &map);
        let observation = gateway.get(API01_LEGACY, "/v1/x?q=1");
        assert_eq!(observation.action, ObservedAction::Pass, "{engine}");
        let upstream = observation.upstream.as_ref().unwrap();
        assert_eq!(
            (upstream.host.as_str(), upstream.path.as_str()),
            (API01_LEGACY, "/v1/x?q=1"),
            "{engine}"
        );
        let line = telemetry(&observation, "migration_telemetry");
        assert_eq!(line["action"], "pass", "{engine}");
        assert_eq!(line["redirect_stage"], "observe", "{engine}");
        assert_eq!(line["would_action"], "redirect", "{engine}");
        assert_eq!(line["would_status"], 308, "{engine}");
        assert_eq!(
            line["would_location"], "https://dev-01.aliyun.cloud.cn.aibang/api01/v1/x?q=1",
            "{engine}"
        );
    }
}

fn canary_answer(gateway: &mut Gateway, client: &str) -> ObservedAction {
    let request = Request::new("GET", API01_LEGACY, "/x").client(client, 50123);
    gateway.both(&request, &UpstreamResponse::default()).action
}

#[test]
fn canary_splits_clients_stably_and_the_same_way_on_both_engines() {
    let map = map_with(json!({ "legacy": { "redirect_percent": 30 } }));
    let mut kong = Gateway::new(Engine::Kong, &map);
    let mut envoy = Gateway::new(Engine::Envoy, &map);
    let mut redirected = 0;
    for client in 0..400 {
        let address = format!("10.7.{}.{}", client / 250, client % 250);
        let first = canary_answer(&mut kong, &address);
        assert!(
            matches!(first, ObservedAction::Redirect | ObservedAction::Proxy),
            "{address}: {first:?}"
        );
        // A client sees one behaviour, whatever the engine reports as its peer address.
        assert_eq!(canary_answer(&mut kong, &address), first, "{address}");
        assert_eq!(canary_answer(&mut envoy, &address), first, "{address}");
        redirected += usize::from(first == ObservedAction::Redirect);
    }
    assert!(
        (80..=160).contains(&redirected),
        "30% of 400 clients, got {redirected}"
    );
}

#[test]
fn canary_keys_on_the_first_forwarded_for_hop() {
    let map = map_with(json!({ "legacy": { "redirect_percent": 50 } }));
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &map);
        let by_hop = |gateway: &mut Gateway, hop: &str, peer: &str| {
            let request = Request::new("GET", API01_LEGACY, "/x")
                .header("X-Forwarded-For", &format!("{hop}, 192.0.2.1"))
                .client(peer, 1);
            gateway.both(&request, &UpstreamResponse::default()).action
        };
        for hop in [
            "198.51.100.1",
            "198.51.100.2",
            "198.51.100.3",
            "198.51.100.4",
        ] {
            assert_eq!(
                by_hop(&mut gateway, hop, "10.0.0.1"),
                by_hop(&mut gateway, hop, "10.0.0.2"),
                "{engine} {hop}"
            );
        }
        let line = telemetry(&gateway.get(API01_LEGACY, "/x"), "migration_telemetry");
        assert_eq!(line["redirect_stage"], "canary", "{engine}");
    }
}

#[test]
fn the_forcing_header_always_redirects() {
    let map = map_with(
        json!({ "legacy": { "redirect_percent": 0, "redirect_header": "X-KDP-Redirect" } }),
    );
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &map);
        let with =
            |value: &str| Request::new("GET", API01_LEGACY, "/x").header("x-kdp-redirect", value);
        let forced = gateway.both(&with("1"), &UpstreamResponse::default());
        assert_eq!(forced.action, ObservedAction::Redirect, "{engine}");
        assert_eq!(
            gateway
                .both(&with("0"), &UpstreamResponse::default())
                .action,
            ObservedAction::Proxy,
            "{engine}"
        );
        assert_eq!(
            gateway.get(API01_LEGACY, "/x").action,
            ObservedAction::Proxy,
            "{engine}"
        );
    }
}

#[test]
fn redirects_carry_cache_control_from_redirect_max_age() {
    for (max_age, expected) in [(60, "max-age=60"), (0, "no-store")] {
        let map = map_with(json!({ "legacy": { "redirect_max_age": max_age } }));
        for engine in ENGINES {
            let mut gateway = Gateway::new(engine, &map);
            let local = gateway.get(API01_LEGACY, "/x").local_response.unwrap();
            assert_eq!(
                local.headers.get("cache-control"),
                Some(expected),
                "{engine} {max_age}"
            );
        }
    }
}

fn deprecating(after_sunset: &str) -> Vec<u8> {
    map_with(json!({
        "legacy": {
            "action": "redirect",
            "deprecation": "2026-01-01T00:00:00Z",
            "sunset": "2027-01-01T00:00:00Z",
            "deprecation_link": "https://docs.example/migration",
            "after_sunset": after_sunset
        }
    }))
}

const LINK: &str = "<https://dev-01.aliyun.cloud.cn.aibang/api01/v1/x?q=1>; rel=\"successor-version\", <https://docs.example/migration>; rel=\"deprecation\"";

#[test]
fn legacy_responses_carry_deprecation_sunset_and_link() {
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &deprecating("keep"));
        gateway
            .host
            .set_clock(Clock::at_unix_seconds(1_780_000_000));
        let observation = gateway.get(API01_LEGACY, "/v1/x?q=1");
        let local = observation.local_response.unwrap();
        assert_eq!(local.status, 308, "{engine}");
        assert_eq!(
            local.headers.get("deprecation"),
            Some("@1767225600"),
            "{engine}"
        );
        assert_eq!(
            local.headers.get("sunset"),
            Some("Fri, 01 Jan 2027 00:00:00 GMT"),
            "{engine}"
        );
        assert_eq!(local.headers.get("link"), Some(LINK), "{engine}");
    }
    // Proxied legacy responses carry them too.
    let proxy =
        map_with(json!({ "legacy": { "action": "proxy", "deprecation": "2026-01-01T00:00:00Z" } }));
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &proxy);
        let observation = gateway.get(API01_LEGACY, "/v1/x?q=1");
        assert_eq!(observation.action, ObservedAction::Proxy, "{engine}");
        assert_eq!(
            observation.response.headers.get("deprecation"),
            Some("@1767225600"),
            "{engine}"
        );
        assert_eq!(
            observation.response.headers.get("link"),
            Some(
                "<https://dev-01.aliyun.cloud.cn.aibang/api01/v1/x?q=1>; rel=\"successor-version\""
            ),
            "{engine}"
        );
        assert_eq!(observation.response.headers.get("sunset"), None, "{engine}");
    }
}

#[test]
fn after_the_sunset_gone_answers_410_naming_the_successor() {
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &deprecating("gone"));
        gateway
            .host
            .set_clock(Clock::at_unix_seconds(1_780_000_000));
        assert_eq!(
            gateway.get(API01_LEGACY, "/v1/x?q=1").action,
            ObservedAction::Redirect,
            "{engine} before"
        );

        gateway
            .host
            .set_clock(Clock::at_unix_seconds(1_798_761_600));
        let observation = gateway.get(API01_LEGACY, "/v1/x?q=1");
        assert_eq!(observation.action, ObservedAction::Reject, "{engine}");
        let local = observation.local_response.unwrap();
        assert_eq!(local.status, 410, "{engine}");
        assert_eq!(local.headers.get("link"), Some(LINK), "{engine}");
        let body: serde_json::Value = serde_json::from_slice(&local.body).unwrap();
        assert_eq!(
            body,
            json!({
                "error": "gone",
                "message": "this entry is past its sunset; use the successor URL",
                "successor": "https://dev-01.aliyun.cloud.cn.aibang/api01/v1/x?q=1"
            }),
            "{engine}"
        );
    }
}
