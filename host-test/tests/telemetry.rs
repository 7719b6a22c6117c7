//! The telemetry line and the counters, observed through the host in both engines.

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
use kdp_migrate_host_test::{Engine, LogLevel, Request, UpstreamResponse};
use serde_json::json;

#[test]
fn one_line_per_request_with_the_contract_keys_in_order() {
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &seed_map());
        let observation = gateway.get(SHORT, "/api01/x?y=1");
        let lines: Vec<&str> = observation
            .filter_logs("migration_telemetry", LogLevel::Info)
            .collect();
        assert_eq!(
            lines,
            [concat!(
                r#"{"event":"kdp_migrate","entry":"short","api":"api01","action":"proxy","method":"GET","#,
                r#""host":"dev-01.aliyun.cloud.cn.aibang","path":"/api01/x?y=1","status":200,"latency_ms":2.0,"#,
                r#""redirect_stage":null,"location_rewritten":0,"cookies_rewritten":0,"reason":null,"#,
                r#""would_action":null,"would_status":null,"would_location":null}"#
            )],
            "{engine}"
        );
        // Only the telemetry role writes it.
        assert_eq!(
            observation
                .filter_logs("short_domain_router", LogLevel::Info)
                .count(),
            0,
            "{engine}"
        );
    }
}

#[test]
fn lines_report_status_latency_and_reason_as_the_engine_measured_them() {
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &seed_map());
        let request = Request::new("POST", SHORT, "/api03/x");
        let mut request = request;
        request.duration = std::time::Duration::from_millis(1234);
        let observation = gateway.both(&request, &UpstreamResponse::default());
        let line = telemetry(&observation, "migration_telemetry");
        assert_eq!(
            (
                &line["action"],
                &line["status"],
                &line["reason"],
                &line["latency_ms"],
                &line["method"]
            ),
            (
                &json!("reject"),
                &json!(404),
                &json!("no_api"),
                &json!(1234.0),
                &json!("POST")
            ),
            "{engine}"
        );
        let line = telemetry(&gateway.get(SHORT, "/api01/a%2Fb"), "migration_telemetry");
        assert_eq!(
            (&line["status"], &line["reason"]),
            (&json!(400), &json!("encoded_slash")),
            "{engine}"
        );
        let line = telemetry(&gateway.get(API01_LEGACY, "/x"), "migration_telemetry");
        assert_eq!(
            (
                &line["entry"],
                &line["action"],
                &line["status"],
                &line["redirect_stage"]
            ),
            (
                &json!("legacy"),
                &json!("redirect"),
                &json!(308),
                &json!("redirect")
            ),
            "{engine}"
        );
        let upstream = UpstreamResponse::new(503);
        let line = telemetry(
            &gateway.both(&Request::new("GET", API01_LONG, "/"), &upstream),
            "migration_telemetry",
        );
        assert_eq!(
            (&line["entry"], &line["action"], &line["status"]),
            (&json!("long"), &json!("pass"), &json!(503)),
            "{engine}"
        );
    }
}

#[test]
fn counters_count_per_api_entry_and_action_under_the_engines_names() {
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &seed_map());
        for _ in 0..3 {
            gateway.get(SHORT, "/api01/x");
        }
        gateway.get(SHORT, "/nope");
        gateway.get(API01_LEGACY, "/x");
        gateway.get("www.example.org", "/");
        let metrics = gateway.host.metrics();
        let expect = [
            ("requests_total_api=api01_entry=short_action=proxy", 3),
            ("requests_total_api=-_entry=short_action=reject", 1),
            ("requests_total_api=api01_entry=legacy_action=redirect", 1),
            ("requests_total_api=-_entry=unknown_action=pass", 1),
        ];
        for (counter, value) in expect {
            match engine {
                // Kong prefixes each filter's metrics with its name.
                Engine::Kong => {
                    for filter in ["migration_telemetry", "kdp_migrate"] {
                        let full = format!("pw:{filter}:{counter}");
                        assert_eq!(metrics.get(&full), Some(value), "{full}");
                    }
                }
                // Envoy keeps one stats namespace: the split chain's telemetry filter and the
                // combined filter (every request ran through both) add to the same counter.
                Engine::Envoy => assert_eq!(metrics.get(counter), Some(2 * value), "{counter}"),
            }
        }
        assert_eq!(
            metrics.iter().count(),
            if engine == Engine::Kong { 8 } else { 4 },
            "{engine}"
        );
    }
}

/// `"telemetry": "filter_state"`: in Envoy the record becomes the filter state an access log prints
/// (byte for byte the line the log sink writes), with no log line; Kong has no such access log, so
/// there the line stays, and each VM says so once.
#[test]
fn filter_state_sink_is_envoy_filter_state_and_a_log_line_in_kong() {
    let with_state = map_with(json!({"telemetry": "filter_state"}));
    for engine in ENGINES {
        let logged = Gateway::new(engine, &seed_map()).get(SHORT, "/api01/x?y=1");
        let line = logged
            .filter_logs("migration_telemetry", LogLevel::Info)
            .next()
            .unwrap()
            .to_owned();
        let mut gateway = Gateway::new(engine, &with_state);
        let first = gateway.get(SHORT, "/api01/x?y=1");
        let second = gateway.get(SHORT, "/api01/x?y=1");
        let infos: Vec<&str> = first
            .filter_logs("migration_telemetry", LogLevel::Info)
            .collect();
        let warnings = |observation: &kdp_migrate_host_test::Observation| {
            observation
                .filter_logs("migration_telemetry", LogLevel::Warn)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        match engine {
            Engine::Envoy => {
                assert_eq!(
                    first.filter_state("kdp_migrate.record"),
                    Some(line.as_str())
                );
                assert_eq!(infos, Vec::<&str>::new());
                assert_eq!(warnings(&first), Vec::<String>::new());
            }
            Engine::Kong => {
                assert_eq!(first.filter_state, Vec::new());
                assert_eq!(infos, [line.as_str()]);
                assert_eq!(
                    warnings(&first),
                    [
                        r#"migration_telemetry: telemetry "filter_state" is Envoy's: this engine gets the log line"#
                    ]
                );
                assert_eq!(warnings(&second), Vec::<String>::new());
            }
        }
        // The combined filter writes to the same sink.
        let combined = gateway.combined(
            &Request::new("GET", SHORT, "/api01/x?y=1"),
            &UpstreamResponse::default(),
        );
        let combined_infos = combined.filter_logs("kdp_migrate", LogLevel::Info).count();
        match engine {
            Engine::Envoy => {
                assert!(combined.filter_state("kdp_migrate.record").is_some());
                assert_eq!(combined_infos, 0);
            }
            Engine::Kong => assert_eq!(combined_infos, 1),
        }
    }
}
