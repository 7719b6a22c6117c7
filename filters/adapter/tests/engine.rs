//! `Engine`: how each engine is told apart, and what the descriptions say about the differences
//! measured in `shared/research/ngxwasm-behaviour.md` (the README's "How they read and write the
//! request on each engine" table).

use kdp_migrate_adapter::engine::{Engine, LatencyClock, Metrics, RawTarget, ResponseOrder, Slot};
use kdp_migrate_core::numeric::Encoding;

#[test]
fn engines_are_told_apart_by_the_properties_they_know() {
    let cases: [(&[&str], &str); 5] = [
        (&["ngx\0request_uri", "ngx\0upstream_uri"], "Kong"),
        (&["ngx\0request_uri"], "ngx_wasm_module"),
        (&[], "Envoy"),
        // Without `ngx.request_uri` nothing else is asked.
        (&["ngx\0upstream_uri"], "Envoy"),
        (&["request\0path"], "Envoy"),
    ];
    for (known, expected) in cases {
        let mut asked = Vec::new();
        let engine = Engine::detect(|property| {
            asked.push(property);
            known.contains(&property)
        });
        assert_eq!(engine.name, expected, "{known:?}");
        let expected_asks = if known.contains(&"ngx\0request_uri") {
            2
        } else {
            1
        };
        assert_eq!(asked.len(), expected_asks, "{known:?}: {asked:?}");
    }
}

#[test]
fn where_each_engine_reads_and_writes_the_request() {
    let cases = [
        (
            &Engine::KONG,
            RawTarget::PathProperty,
            Slot::Property("ngx\0upstream_uri"),
            Slot::Property("ngx\0upstream_host"),
            Slot::Property("ngx\0upstream_x_forwarded_host"),
            false,
        ),
        (
            &Engine::NGINX,
            RawTarget::PathProperty,
            Slot::RequestHeader(":path"),
            Slot::RequestHeader("host"),
            Slot::RequestHeader("x-forwarded-host"),
            true,
        ),
        (
            &Engine::ENVOY,
            RawTarget::PathHeader,
            Slot::RequestHeader(":path"),
            Slot::RequestHeader(":authority"),
            Slot::RequestHeader("x-forwarded-host"),
            true,
        ),
    ];
    for (engine, raw_target, path, host, forwarded_host, keeps_client_host) in cases {
        assert_eq!(engine.raw_target, raw_target, "{}", engine.name);
        assert_eq!(engine.upstream_path, path, "{}", engine.name);
        assert_eq!(engine.upstream_host, host, "{}", engine.name);
        assert_eq!(engine.forwarded.0, forwarded_host, "{}", engine.name);
        assert_eq!(
            engine.keeps_client_host, keeps_client_host,
            "{}",
            engine.name
        );
    }
}

#[test]
fn what_each_engine_measures_and_keeps() {
    let cases = [
        (
            &Engine::KONG,
            Encoding::Text,
            LatencyClock::RequestDuration,
            false,
            ResponseOrder::Chain,
            false,
        ),
        (
            &Engine::NGINX,
            Encoding::Text,
            LatencyClock::RequestDuration,
            false,
            ResponseOrder::Chain,
            false,
        ),
        (
            &Engine::ENVOY,
            Encoding::LittleEndian,
            LatencyClock::Filter,
            true,
            ResponseOrder::Reverse,
            true,
        ),
    ];
    for (engine, numeric, latency, filter_state, order, passes_counts) in cases {
        assert_eq!(engine.numeric, numeric, "{}", engine.name);
        assert_eq!(engine.latency, latency, "{}", engine.name);
        assert_eq!(engine.filter_state, filter_state, "{}", engine.name);
        assert_eq!(engine.response_order, order, "{}", engine.name);
        assert_eq!(
            engine.passes_rewrite_counts(),
            passes_counts,
            "{}",
            engine.name
        );
    }
}

#[test]
fn metrics_exist_in_kong_from_3_8_and_always_elsewhere() {
    let kong = Engine::KONG.metrics;
    assert_eq!(kong.version_property(), Some("kong\0version"));
    let cases: [(Option<&[u8]>, bool); 9] = [
        (Some(b"3.9.1"), true),
        (Some(b"3.8.0"), true),
        (Some(b"3.10.0.0"), true),
        (Some(b"4.0"), true),
        (Some(b"3.7.1"), false),
        (Some(b"2.8.4"), false),
        (Some(b"3"), false),
        (Some(b"x.y"), false),
        // `kong.version` exists from 3.6 on: unanswered means older.
        (None, false),
    ];
    for (version, expected) in cases {
        assert_eq!(kong.available(version), expected, "{version:?}");
    }
    for engine in [&Engine::NGINX, &Engine::ENVOY] {
        assert_eq!(engine.metrics, Metrics::Available, "{}", engine.name);
        assert_eq!(engine.metrics.version_property(), None, "{}", engine.name);
        assert!(engine.metrics.available(None), "{}", engine.name);
    }
}

#[test]
fn what_each_engine_hands_to_log_plugins_and_names_a_request_by() {
    for (engine, kong_ctx, request_id) in [
        (&Engine::KONG, true, Some("ngx\0kong_request_id")),
        (&Engine::NGINX, false, Some("ngx\0request_id")),
        (&Engine::ENVOY, false, None),
    ] {
        assert_eq!(engine.kong_ctx, kong_ctx, "{}", engine.name);
        assert_eq!(engine.request_id, request_id, "{}", engine.name);
    }
}
