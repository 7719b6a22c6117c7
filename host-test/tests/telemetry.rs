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
use kdp_migrate_host_test::{Clock, Engine, LogLevel, Request, UpstreamResponse};
use serde_json::json;

/// 2026-12-06T00:00:00Z.
const DEC_6: u64 = 1_796_515_200;

/// A gateway whose clock is stopped at [`DEC_6`].
fn stopped(engine: Engine, map: &[u8]) -> Gateway {
    let mut gateway = Gateway::new(engine, map);
    gateway.host.set_clock(Clock::at_unix_seconds(DEC_6));
    gateway
}

#[test]
fn one_line_per_request_with_the_contract_keys_in_order() {
    for engine in ENGINES {
        let mut gateway = stopped(engine, &seed_map());
        let observation = gateway.get(SHORT, "/api01/x?y=1");
        // Kong names every request (`$kong_request_id`); Envoy sets `x-request-id` itself, which
        // this request does not carry.
        let request_id = match engine {
            Engine::Kong => r#""00000000000000000000000000000002""#,
            Engine::Envoy => "null",
        };
        let lines: Vec<&str> = observation
            .filter_logs("migration_telemetry", LogLevel::Info)
            .collect();
        assert_eq!(
            lines,
            [concat!(
                r#"{"event":"kdp_migrate","entry":"short","api":"api01","action":"proxy","method":"GET","#,
                r#""host":"dev-01.aliyun.cloud.cn.aibang","path":"/api01/x?y=1","status":200,"latency_ms":2.0,"#,
                r#""redirect_stage":null,"location_rewritten":0,"cookies_rewritten":0,"reason":null,"#,
                r#""would_action":null,"would_status":null,"would_location":null,"#,
                r#""time":"2026-12-06T00:00:00.000Z","client":"127.0.0.1","user_agent":null,"#
            )
            .to_owned()
                + &format!(r#""request_id":{request_id}}}"#)],
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
        let logged = stopped(engine, &seed_map()).get(SHORT, "/api01/x?y=1");
        let line = logged
            .filter_logs("migration_telemetry", LogLevel::Info)
            .next()
            .unwrap()
            .to_owned();
        let mut gateway = stopped(engine, &with_state);
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

/// `"telemetry": "log_plugins"`: in Kong the record is `kong.ctx.shared.kdp_migrate` when the log
/// plugins run (written with the response headers: they run before the filters' `on_log`), byte for
/// byte the line the log sink writes, also for local responses, and no log line; Envoy has no
/// `kong.ctx`, so there the line stays, and each VM says so once.
#[test]
fn log_plugins_sink_is_kong_ctx_shared_before_the_log_phase_and_a_log_line_in_envoy() {
    let with_plugins = map_with(json!({"telemetry": "log_plugins"}));
    for engine in ENGINES {
        for (host, path) in [
            (SHORT, "/api01/x?y=1"),
            (API01_LEGACY, "/x"),
            (SHORT, "/nope"),
            (API01_LONG, "/v1"),
        ] {
            let logged = stopped(engine, &seed_map()).get(host, path);
            let line = logged
                .filter_logs("migration_telemetry", LogLevel::Info)
                .next()
                .unwrap()
                .to_owned();
            let mut gateway = stopped(engine, &with_plugins);
            let first = gateway.get(host, path);
            let infos: Vec<&str> = first
                .filter_logs("migration_telemetry", LogLevel::Info)
                .collect();
            let warnings: Vec<&str> = first
                .filter_logs("migration_telemetry", LogLevel::Warn)
                .collect();
            let what = format!("{engine} {host}{path}");
            match engine {
                Engine::Kong => {
                    assert_eq!(
                        first.kong_ctx_shared("kdp_migrate"),
                        Some(line.as_str()),
                        "{what}"
                    );
                    assert_eq!(infos, Vec::<&str>::new(), "{what}");
                    assert_eq!(warnings, Vec::<&str>::new(), "{what}");
                }
                Engine::Envoy => {
                    assert_eq!(first.kong_ctx_shared, Vec::new(), "{what}");
                    assert_eq!(infos, [line.as_str()], "{what}");
                    assert_eq!(
                        warnings,
                        [
                            r#"migration_telemetry: telemetry "log_plugins" is Kong's: this engine gets the log line"#
                        ],
                        "{what}"
                    );
                    let second = gateway.get(host, path);
                    assert_eq!(
                        second
                            .filter_logs("migration_telemetry", LogLevel::Warn)
                            .count(),
                        0,
                        "{what}: said once per VM"
                    );
                }
            }
            let combined = gateway.combined(
                &Request::new("GET", host, path),
                &UpstreamResponse::default(),
            );
            match engine {
                Engine::Kong => {
                    assert!(combined.kong_ctx_shared("kdp_migrate").is_some(), "{what}");
                    assert_eq!(
                        combined.filter_logs("kdp_migrate", LogLevel::Info).count(),
                        0
                    );
                }
                Engine::Envoy => {
                    assert_eq!(
                        combined.filter_logs("kdp_migrate", LogLevel::Info).count(),
                        1
                    );
                }
            }
        }
    }
}

/// The arrival fields: the time the request reached the filter, the first `X-Forwarded-For` hop
/// (else the peer address), the `User-Agent`, and `X-Request-Id` (else Kong's own id).
#[test]
fn records_say_when_who_with_what_and_which_request() {
    for engine in ENGINES {
        let mut gateway = stopped(engine, &seed_map());
        let mut request = Request::new("GET", API01_LEGACY, "/v1/orders?id=7");
        request.headers = vec![
            (
                "x-forwarded-for".to_owned(),
                " 203.0.113.7 , 10.0.0.1".to_owned(),
            ),
            (
                "user-agent".to_owned(),
                "legacy-batch/1.0 (\"nightly\")".to_owned(),
            ),
            ("x-request-id".to_owned(), "5c2f-0001".to_owned()),
        ];
        let line = telemetry(
            &gateway.both(&request, &UpstreamResponse::default()),
            "migration_telemetry",
        );
        assert_eq!(
            (
                &line["time"],
                &line["client"],
                &line["user_agent"],
                &line["request_id"]
            ),
            (
                &json!("2026-12-06T00:00:00.000Z"),
                &json!("203.0.113.7"),
                &json!("legacy-batch/1.0 (\"nightly\")"),
                &json!("5c2f-0001")
            ),
            "{engine}"
        );
        let mut bare = Request::new("GET", SHORT, "/api01/x");
        bare.client_address = "198.51.100.4".to_owned();
        let line = telemetry(
            &gateway.both(&bare, &UpstreamResponse::default()),
            "migration_telemetry",
        );
        assert_eq!(line["client"], "198.51.100.4", "{engine}");
        assert_eq!(line["user_agent"], json!(null), "{engine}");
        assert_eq!(
            line["request_id"].is_string(),
            engine == Engine::Kong,
            "{engine}"
        );
    }
}
