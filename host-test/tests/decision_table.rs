//! Every rule of the decision table (README "What happens to a request"), through the real `.wasm` filters, in
//! Kong's engine model and in Envoy's, through the standard chains and through `kdp_migrate` alone.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{
    API01_LEGACY, API01_LONG, API02_LEGACY, API02_LONG, ENGINES, Gateway, SHORT, map_with, seed_map,
};
use kdp_migrate_host_test::{Engine, Observation, ObservedAction, Request, UpstreamResponse};
use serde_json::json;

fn assert_proxied(observation: &Observation, host: &str, path: &str, context: &str) {
    assert_eq!(
        observation.action,
        ObservedAction::Proxy,
        "{context}: {:?}",
        observation.error
    );
    let upstream = observation.upstream.as_ref().unwrap();
    assert_eq!(upstream.host, host, "{context}");
    assert_eq!(upstream.path, path, "{context}");
    assert_eq!(upstream.headers.get("host"), Some(host), "{context}");
    assert!(observation.local_response.is_none(), "{context}");
}

fn assert_passed(observation: &Observation, host: &str, path: &str, context: &str) {
    assert_eq!(
        observation.action,
        ObservedAction::Pass,
        "{context}: {:?}",
        observation.error
    );
    let upstream = observation.upstream.as_ref().unwrap();
    assert_eq!(
        (upstream.host.as_str(), upstream.path.as_str()),
        (host, path),
        "{context}"
    );
}

/// The local response's status and its JSON body.
fn answered(observation: &Observation, context: &str) -> (u16, serde_json::Value) {
    let local = observation
        .local_response
        .as_ref()
        .unwrap_or_else(|| panic!("{context}: no local response"));
    assert!(observation.upstream.is_none(), "{context}");
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
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &seed_map());
        for (path, upstream_path) in rows {
            let observation = gateway.get(SHORT, path);
            let long = if path.starts_with("/api02") {
                API02_LONG
            } else {
                API01_LONG
            };
            assert_proxied(
                &observation,
                long,
                upstream_path,
                &format!("{engine} {path}"),
            );
        }
    }
}

#[test]
fn short_host_forwards_carry_x_forwarded_host_and_prefix() {
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &seed_map());
        let observation = gateway.get(SHORT, "/api02/x");
        let headers = &observation.upstream.unwrap().headers;
        assert_eq!(headers.get("x-forwarded-host"), Some(SHORT), "{engine}");
        assert_eq!(
            headers.get("x-forwarded-prefix"),
            Some("/api02"),
            "{engine}"
        );
    }
}

#[test]
fn short_host_is_recognised_with_port_case_and_trailing_dot() {
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &seed_map());
        for host in [
            "DEV-01.Aliyun.Cloud.CN.aibang",
            "dev-01.aliyun.cloud.cn.aibang:8443",
            "dev-01.aliyun.cloud.cn.aibang.",
        ] {
            let observation = gateway.get(host, "/api01/x");
            assert_proxied(&observation, API01_LONG, "/x", &format!("{engine} {host}"));
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
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &map);
        assert_proxied(
            &gateway.get(SHORT, "/v2/api02/x?y"),
            API02_LONG,
            "/x?y",
            &format!("{engine}"),
        );
        assert_proxied(
            &gateway.get(SHORT, "/v2/api020/x"),
            "v2.target-team2.dev.aliyun.cloud.cn.aibang",
            "/api020/x",
            &format!("{engine}"),
        );
        assert_proxied(
            &gateway.get(SHORT, "/v2"),
            "v2.target-team2.dev.aliyun.cloud.cn.aibang",
            "/",
            &format!("{engine}"),
        );
    }
}

#[test]
fn short_host_paths_no_api_owns_are_404_json_naming_host_and_path() {
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &seed_map());
        for path in ["/api010", "/api01-x/y", "/api03/x", "/", "/API01/x"] {
            let observation = gateway.get(SHORT, path);
            assert_eq!(
                observation.action,
                ObservedAction::Reject,
                "{engine} {path}"
            );
            let (status, body) = answered(&observation, path);
            assert_eq!(status, 404, "{engine} {path}");
            assert_eq!(
                body,
                json!({ "error": "no_api", "message": "no API is served under this path", "host": SHORT, "path": path }),
                "{engine} {path}"
            );
        }
    }
}

#[test]
fn short_host_paths_no_api_owns_pass_with_unmatched_pass() {
    let map = map_with(json!({ "unmatched": "pass" }));
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &map);
        assert_passed(
            &gateway.get(SHORT, "/api03/x?y=1"),
            SHORT,
            "/api03/x?y=1",
            &format!("{engine}"),
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
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &seed_map());
        for (path, reason) in UNSAFE {
            let observation = gateway.get(SHORT, path);
            assert_eq!(
                observation.action,
                ObservedAction::Reject,
                "{engine} {path}"
            );
            let (status, body) = answered(&observation, path);
            assert_eq!(status, 400, "{engine} {path}");
            assert_eq!(body["error"], "unsafe_path", "{engine} {path}");
            assert_eq!(body["reason"], reason, "{engine} {path}");
            assert_eq!(body["host"], SHORT, "{engine} {path}");
            assert_eq!(body["path"], path, "{engine} {path}");
        }
    }
}

#[test]
fn unsafe_legacy_paths_are_400_too() {
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &seed_map());
        for (path, reason) in UNSAFE {
            let path = path.replacen("/api01", "/v1", 1);
            let path = path.as_str();
            let observation = gateway.get(API01_LEGACY, path);
            let (status, body) = answered(&observation, path);
            assert_eq!(
                (status, observation.action),
                (400, ObservedAction::Reject),
                "{engine} {path}"
            );
            assert_eq!(body["reason"], reason, "{engine} {path}");
        }
    }
}

#[test]
fn kong_mode_answers_400_itself_for_a_path_climbing_above_the_root() {
    // nginx refuses `/%2e%2e/x` before any filter; Envoy forwards it raw to the filters.
    let mut kong = Gateway::new(Engine::Kong, &seed_map());
    let observation = kong.get(SHORT, "/%2e%2e/api01/x");
    let local = observation.local_response.unwrap();
    assert_eq!((local.status, local.responder.as_ref()), (400, "nginx"));
    assert!(observation.callbacks.is_empty());

    let mut envoy = Gateway::new(Engine::Envoy, &seed_map());
    let observation = envoy.get(SHORT, "/%2e%2e/api01/x");
    let (status, body) = answered(&observation, "envoy");
    assert_eq!((status, &body["reason"]), (400, &json!("dot_segment")));
}

#[test]
fn legacy_hosts_redirect_to_the_short_host_with_the_query_kept() {
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &seed_map());
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
            let observation = gateway.get(host, path);
            assert_eq!(
                observation.action,
                ObservedAction::Redirect,
                "{engine} {host}{path}"
            );
            let local = observation.local_response.unwrap();
            assert_eq!(local.status, 308, "{engine}");
            assert_eq!(local.location(), Some(location), "{engine} {host}{path}");
            assert_eq!(
                local.headers.get("cache-control"),
                Some("max-age=300"),
                "{engine}"
            );
            assert!(local.body.is_empty(), "{engine}");
        }
    }
}

#[test]
fn legacy_redirects_follow_target_status_and_scheme() {
    let map = map_with(json!({
        "legacy": { "action": "redirect", "target": "long", "status": 301, "scheme": "http" }
    }));
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &map);
        let observation = gateway.get(API01_LEGACY, "/v1/x?q=1");
        let local = observation.local_response.unwrap();
        assert_eq!(local.status, 301, "{engine}");
        assert_eq!(
            local.location(),
            Some("http://api01.target-team2.dev.aliyun.cloud.cn.aibang/v1/x?q=1"),
            "{engine}"
        );
    }
    for status in [302, 303, 307] {
        let mut gateway = Gateway::new(
            Engine::Kong,
            &map_with(json!({ "legacy": { "status": status } })),
        );
        let observation = gateway.get(API02_LEGACY, "/a");
        assert_eq!(observation.local_response.unwrap().status, status);
        assert_eq!(observation.action, ObservedAction::Redirect);
    }
}

#[test]
fn no_location_path_ever_starts_with_two_slashes() {
    let map = map_with(json!({ "legacy": { "target": "long" } }));
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &map);
        let observation = gateway.get(API01_LEGACY, "//evil.example/x");
        let location = observation
            .local_response
            .unwrap()
            .location()
            .unwrap()
            .to_owned();
        assert_eq!(
            location, "https://api01.target-team2.dev.aliyun.cloud.cn.aibang/evil.example/x",
            "{engine}"
        );
        let mut short = Gateway::new(engine, &seed_map());
        let observation = short.get(API01_LEGACY, "//evil.example/x");
        let location = observation
            .local_response
            .unwrap()
            .location()
            .unwrap()
            .to_owned();
        assert_eq!(
            location, "https://dev-01.aliyun.cloud.cn.aibang/api01//evil.example/x",
            "{engine}"
        );
    }
}

#[test]
fn legacy_proxy_mode_forwards_to_the_long_host_with_the_path_unchanged() {
    let map = map_with(json!({ "legacy": { "action": "proxy" } }));
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &map);
        assert_proxied(
            &gateway.get(API01_LEGACY, "/v1/x?q=%20"),
            API01_LONG,
            "/v1/x?q=%20",
            &format!("{engine}"),
        );
    }
}

#[test]
fn per_api_legacy_blocks_override_the_global_one() {
    let map = map_with(json!({
        "apis": [ { "name": "api01" }, { "name": "api02", "legacy": { "action": "proxy" } } ]
    }));
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &map);
        assert_eq!(
            gateway.get(API01_LEGACY, "/x").action,
            ObservedAction::Redirect,
            "{engine}"
        );
        assert_proxied(
            &gateway.get(API02_LEGACY, "/x"),
            API02_LONG,
            "/x",
            &format!("{engine}"),
        );
    }
}

#[test]
fn long_hosts_and_unknown_hosts_pass_untouched() {
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &seed_map());
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
                &format!("{engine} {host}{path}"),
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
    let mut kong = Gateway::new(Engine::Kong, &seed_map());
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

    let mut envoy = Gateway::new(Engine::Envoy, &seed_map());
    let upstream = envoy
        .both(&request, &UpstreamResponse::default())
        .upstream
        .unwrap();
    assert_eq!(upstream.headers.get("host"), Some(API01_LONG));
    assert_eq!(upstream.headers.get("x-forwarded-prefix"), Some("/api01"));
    assert_eq!(upstream.headers.get_all("x-forwarded-prefix").count(), 1);
}
