//! Every rule of the foundation's decision table (issue 2), through the real `.wasm` filters, in
//! Kong mode and in Envoy mode, through the standard chains and through `kdp_migrate` alone.

// Test helpers outside #[test] functions: clippy.toml's allow-*-in-tests does not reach them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{
    API01_LEGACY, API01_LONG, API02_LEGACY, API02_LONG, Gateway, MODES, SHORT, map_with, seed_map,
};
use kdp_migrate_host_test::{Action, Mode, Outcome, Request, UpstreamResponse};
use serde_json::json;

fn assert_proxied(outcome: &Outcome, host: &str, path: &str, context: &str) {
    assert_eq!(
        outcome.action,
        Action::Proxy,
        "{context}: {:?}",
        outcome.error
    );
    let upstream = outcome.upstream.as_ref().unwrap();
    assert_eq!(upstream.host, host, "{context}");
    assert_eq!(upstream.path, path, "{context}");
    assert_eq!(upstream.headers.get("host"), Some(host), "{context}");
    assert!(outcome.local_response.is_none(), "{context}");
}

fn assert_passed(outcome: &Outcome, host: &str, path: &str, context: &str) {
    assert_eq!(
        outcome.action,
        Action::Pass,
        "{context}: {:?}",
        outcome.error
    );
    let upstream = outcome.upstream.as_ref().unwrap();
    assert_eq!(
        (upstream.host.as_str(), upstream.path.as_str()),
        (host, path),
        "{context}"
    );
}

/// The local response's status and its JSON body.
fn answered(outcome: &Outcome, context: &str) -> (u16, serde_json::Value) {
    let local = outcome
        .local_response
        .as_ref()
        .unwrap_or_else(|| panic!("{context}: no local response"));
    assert!(outcome.upstream.is_none(), "{context}");
    let body = if local.body.is_empty() {
        serde_json::Value::Null
    } else {
        assert_eq!(
            local.headers.get("content-type"),
            Some("application/json"),
            "{context}"
        );
        serde_json::from_slice(&local.body).unwrap()
    };
    (local.status, body)
}

#[test]
fn short_host_prefixes_match_on_segment_boundaries_and_are_stripped() {
    let rows = [
        ("/api01", "/"),
        ("/api01/", "/"),
        ("/api01/x", "/x"),
        ("/api01/x/y/", "/x/y/"),
        ("/api01?q=1", "/?q=1"),
        ("/api01/?q=1", "/?q=1"),
        ("/api02/orders/7?a=%20&b=1&&c=", "/orders/7?a=%20&b=1&&c="),
        ("/api01/caf%C3%A9", "/caf%C3%A9"),
    ];
    for mode in MODES {
        let mut gateway = Gateway::new(mode, &seed_map());
        for (path, upstream_path) in rows {
            let outcome = gateway.get(SHORT, path);
            let long = if path.starts_with("/api02") {
                API02_LONG
            } else {
                API01_LONG
            };
            assert_proxied(&outcome, long, upstream_path, &format!("{mode} {path}"));
        }
    }
}

#[test]
fn short_host_forwards_carry_x_forwarded_host_and_prefix() {
    for mode in MODES {
        let mut gateway = Gateway::new(mode, &seed_map());
        let outcome = gateway.get(SHORT, "/api02/x");
        let headers = &outcome.upstream.unwrap().headers;
        assert_eq!(headers.get("x-forwarded-host"), Some(SHORT), "{mode}");
        assert_eq!(headers.get("x-forwarded-prefix"), Some("/api02"), "{mode}");
    }
}

#[test]
fn short_host_is_recognised_with_port_case_and_trailing_dot() {
    for mode in MODES {
        let mut gateway = Gateway::new(mode, &seed_map());
        for host in [
            "DEV-01.Aliyun.Cloud.CN.aibang",
            "dev-01.aliyun.cloud.cn.aibang:8443",
            "dev-01.aliyun.cloud.cn.aibang.",
        ] {
            let outcome = gateway.get(host, "/api01/x");
            assert_proxied(&outcome, API01_LONG, "/x", &format!("{mode} {host}"));
        }
    }
}

#[test]
fn the_longest_multi_segment_prefix_wins() {
    let map = map_with(json!({
        "apis": [
            { "name": "api01" },
            { "name": "v2", "prefix": "/v2" },
            { "name": "api02", "prefix": "/v2/api02" }
        ]
    }));
    for mode in MODES {
        let mut gateway = Gateway::new(mode, &map);
        assert_proxied(
            &gateway.get(SHORT, "/v2/api02/x?y"),
            API02_LONG,
            "/x?y",
            &format!("{mode}"),
        );
        assert_proxied(
            &gateway.get(SHORT, "/v2/api020/x"),
            "v2.target-team2.dev.aliyun.cloud.cn.aibang",
            "/api020/x",
            &format!("{mode}"),
        );
        assert_proxied(
            &gateway.get(SHORT, "/v2"),
            "v2.target-team2.dev.aliyun.cloud.cn.aibang",
            "/",
            &format!("{mode}"),
        );
    }
}

#[test]
fn short_host_paths_no_api_owns_are_404_json_naming_host_and_path() {
    for mode in MODES {
        let mut gateway = Gateway::new(mode, &seed_map());
        for path in ["/api010", "/api01-x/y", "/api03/x", "/", "/API01/x"] {
            let outcome = gateway.get(SHORT, path);
            assert_eq!(outcome.action, Action::Reject, "{mode} {path}");
            let (status, body) = answered(&outcome, path);
            assert_eq!(status, 404, "{mode} {path}");
            assert_eq!(
                body,
                json!({ "error": "no_api", "message": "no API is served under this path", "host": SHORT, "path": path }),
                "{mode} {path}"
            );
        }
    }
}

#[test]
fn short_host_paths_no_api_owns_pass_with_unmatched_pass() {
    let map = map_with(json!({ "unmatched": "pass" }));
    for mode in MODES {
        let mut gateway = Gateway::new(mode, &map);
        assert_passed(
            &gateway.get(SHORT, "/api03/x?y=1"),
            SHORT,
            "/api03/x?y=1",
            &format!("{mode}"),
        );
    }
}

/// Unsafe forms on the short and legacy entries, with the reason code the JSON body names.
const UNSAFE: [(&str, &str); 12] = [
    ("/api01/./x", "dot_segment"),
    ("/api01/../api02/x", "dot_segment"),
    ("/api01/x/.", "dot_segment"),
    ("/api01/x/..", "dot_segment"),
    ("/api01/%2e%2e/x", "dot_segment"),
    ("/api01/%2E/x", "dot_segment"),
    ("/api01/.%2e/x", "dot_segment"),
    ("/api01/a%2Fb", "encoded_slash"),
    ("/api01/a%2fb", "encoded_slash"),
    ("/api01/a%5Cb", "encoded_backslash"),
    ("/api01/a%5cb", "encoded_backslash"),
    ("/api01/a\\b", "backslash"),
];

#[test]
fn unsafe_short_host_paths_are_400_json_with_the_reason() {
    for mode in MODES {
        let mut gateway = Gateway::new(mode, &seed_map());
        for (path, reason) in UNSAFE {
            let outcome = gateway.get(SHORT, path);
            assert_eq!(outcome.action, Action::Reject, "{mode} {path}");
            let (status, body) = answered(&outcome, path);
            assert_eq!(status, 400, "{mode} {path}");
            assert_eq!(body["error"], "unsafe_path", "{mode} {path}");
            assert_eq!(body["reason"], reason, "{mode} {path}");
            assert_eq!(body["host"], SHORT, "{mode} {path}");
            assert_eq!(body["path"], path, "{mode} {path}");
        }
    }
}

#[test]
fn unsafe_legacy_paths_are_400_too() {
    for mode in MODES {
        let mut gateway = Gateway::new(mode, &seed_map());
        for (path, reason) in UNSAFE {
            let path = path.replacen("/api01", "/v1", 1);
            let path = path.as_str();
            let outcome = gateway.get(API01_LEGACY, path);
            let (status, body) = answered(&outcome, path);
            assert_eq!(
                (status, outcome.action),
                (400, Action::Reject),
                "{mode} {path}"
            );
            assert_eq!(body["reason"], reason, "{mode} {path}");
        }
    }
}

#[test]
fn kong_mode_answers_400_itself_for_a_path_climbing_above_the_root() {
    // nginx refuses `/%2e%2e/x` before any filter; Envoy forwards it raw to the filters.
    let mut kong = Gateway::new(Mode::Kong, &seed_map());
    let outcome = kong.get(SHORT, "/%2e%2e/api01/x");
    let local = outcome.local_response.unwrap();
    assert_eq!((local.status, local.responder.as_ref()), (400, "nginx"));
    assert!(outcome.callbacks.is_empty());

    let mut envoy = Gateway::new(Mode::Envoy, &seed_map());
    let outcome = envoy.get(SHORT, "/%2e%2e/api01/x");
    let (status, body) = answered(&outcome, "envoy");
    assert_eq!((status, &body["reason"]), (400, &json!("dot_segment")));
}

#[test]
fn legacy_hosts_redirect_to_the_short_host_with_the_query_kept() {
    for mode in MODES {
        let mut gateway = Gateway::new(mode, &seed_map());
        let rows = [
            (
                API01_LEGACY,
                "/v1/orders?id=7&x=%20",
                "https://dev-01.aliyun.cloud.cn.aibang/api01/v1/orders?id=7&x=%20",
            ),
            (
                API02_LEGACY,
                "/",
                "https://dev-01.aliyun.cloud.cn.aibang/api02/",
            ),
            (
                "API01.source-team1.dev.aliyun.cloud.cn.aibang:443",
                "/x",
                "https://dev-01.aliyun.cloud.cn.aibang/api01/x",
            ),
        ];
        for (host, path, location) in rows {
            let outcome = gateway.get(host, path);
            assert_eq!(outcome.action, Action::Redirect, "{mode} {host}{path}");
            let local = outcome.local_response.unwrap();
            assert_eq!(local.status, 308, "{mode}");
            assert_eq!(local.location(), Some(location), "{mode} {host}{path}");
            assert_eq!(
                local.headers.get("cache-control"),
                Some("max-age=300"),
                "{mode}"
            );
            assert!(local.body.is_empty(), "{mode}");
        }
    }
}

#[test]
fn legacy_redirects_follow_target_status_and_scheme() {
    let map = map_with(json!({
        "legacy": { "action": "redirect", "target": "long", "status": 301, "scheme": "http" }
    }));
    for mode in MODES {
        let mut gateway = Gateway::new(mode, &map);
        let outcome = gateway.get(API01_LEGACY, "/v1/x?q=1");
        let local = outcome.local_response.unwrap();
        assert_eq!(local.status, 301, "{mode}");
        assert_eq!(
            local.location(),
            Some("http://api01.target-team2.dev.aliyun.cloud.cn.aibang/v1/x?q=1"),
            "{mode}"
        );
    }
    for status in [302, 303, 307] {
        let mut gateway = Gateway::new(
            Mode::Kong,
            &map_with(json!({ "legacy": { "status": status } })),
        );
        let outcome = gateway.get(API02_LEGACY, "/a");
        assert_eq!(outcome.local_response.unwrap().status, status);
        assert_eq!(outcome.action, Action::Redirect);
    }
}

#[test]
fn no_location_path_ever_starts_with_two_slashes() {
    let map = map_with(json!({ "legacy": { "target": "long" } }));
    for mode in MODES {
        let mut gateway = Gateway::new(mode, &map);
        let outcome = gateway.get(API01_LEGACY, "//evil.example/x");
        let location = outcome
            .local_response
            .unwrap()
            .location()
            .unwrap()
            .to_owned();
        assert_eq!(
            location, "https://api01.target-team2.dev.aliyun.cloud.cn.aibang/evil.example/x",
            "{mode}"
        );
        let mut short = Gateway::new(mode, &seed_map());
        let outcome = short.get(API01_LEGACY, "//evil.example/x");
        let location = outcome
            .local_response
            .unwrap()
            .location()
            .unwrap()
            .to_owned();
        assert_eq!(
            location, "https://dev-01.aliyun.cloud.cn.aibang/api01//evil.example/x",
            "{mode}"
        );
    }
}

#[test]
fn legacy_proxy_mode_forwards_to_the_long_host_with_the_path_unchanged() {
    let map = map_with(json!({ "legacy": { "action": "proxy" } }));
    for mode in MODES {
        let mut gateway = Gateway::new(mode, &map);
        assert_proxied(
            &gateway.get(API01_LEGACY, "/v1/x?q=%20"),
            API01_LONG,
            "/v1/x?q=%20",
            &format!("{mode}"),
        );
    }
}

#[test]
fn per_api_legacy_blocks_override_the_global_one() {
    let map = map_with(json!({
        "apis": [ { "name": "api01" }, { "name": "api02", "legacy": { "action": "proxy" } } ]
    }));
    for mode in MODES {
        let mut gateway = Gateway::new(mode, &map);
        assert_eq!(
            gateway.get(API01_LEGACY, "/x").action,
            Action::Redirect,
            "{mode}"
        );
        assert_proxied(
            &gateway.get(API02_LEGACY, "/x"),
            API02_LONG,
            "/x",
            &format!("{mode}"),
        );
    }
}

#[test]
fn long_hosts_and_unknown_hosts_pass_untouched() {
    for mode in MODES {
        let mut gateway = Gateway::new(mode, &seed_map());
        let rows = [
            (API01_LONG, "/v1/x?q=1"),
            (API02_LONG, "/api01/x"),
            ("www.example.org", "/api01/x"),
            ("api99.source-team1.dev.aliyun.cloud.cn.aibang", "/x"),
            ("dev-01.aliyun.cloud.cn.aibang.evil.example", "/api01/x"),
        ];
        for (host, path) in rows {
            assert_passed(
                &gateway.get(host, path),
                host,
                path,
                &format!("{mode} {host}{path}"),
            );
        }
    }
}

#[test]
fn what_the_upstream_receives_is_what_the_engine_would_send() {
    // Kong: Host and X-Forwarded-* come from Kong's variables; Envoy: the request's headers.
    let request = Request::new("GET", SHORT, "/api01/x")
        .header("X-Forwarded-Prefix", "/spoofed")
        .header("Accept", "*/*");
    let mut kong = Gateway::new(Mode::Kong, &seed_map());
    let upstream = kong
        .both(&request, &UpstreamResponse::default())
        .upstream
        .unwrap();
    let names: Vec<&str> = upstream.headers.iter().map(|(name, _)| name).collect();
    assert_eq!(
        names,
        [
            "Host",
            "X-Forwarded-For",
            "X-Forwarded-Proto",
            "X-Forwarded-Host",
            "X-Forwarded-Port",
            "X-Forwarded-Path",
            "X-Forwarded-Prefix",
            "X-Real-IP",
            "Accept"
        ]
    );
    assert_eq!(upstream.headers.get("x-forwarded-prefix"), Some("/api01"));
    assert_eq!(upstream.headers.get("x-forwarded-port"), Some("8000"));

    let mut envoy = Gateway::new(Mode::Envoy, &seed_map());
    let upstream = envoy
        .both(&request, &UpstreamResponse::default())
        .upstream
        .unwrap();
    assert_eq!(upstream.headers.get("host"), Some(API01_LONG));
    assert_eq!(upstream.headers.get("x-forwarded-prefix"), Some("/api01"));
    assert_eq!(upstream.headers.get_all("x-forwarded-prefix").count(), 1);
}
