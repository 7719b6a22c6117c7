//! Telemetry (architecture.md "Telemetry line"): one JSON line per request in the gateway's log (Envoy's
//! log, nginx's error log), with the contract's keys in the contract's order. Envoy only: the per-(api, entry,
//! action) counters in admin `/stats`, and with `"telemetry": "filter_state"` the same records in the access log
//! of `envoy/access-log.yaml` instead. What Kong's engine shows of the counters is in `kong_engine.rs`.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use kdp_migrate_core::TelemetryRecord;
use kdp_migrate_e2e::scenario::{LEGACY1, LONG1, OTHER, SHORT};
use kdp_migrate_e2e::{Engine, Harness, Request, paths, per_setup, per_variant};
use serde_json::{Value, json};

/// The keys of a telemetry line, in order (architecture.md).
const KEYS: [&str; 20] = TelemetryRecord::KEYS;

per_setup! {
    fn one_line_per_request(setup) {
        let h = Harness::seed(setup).expect("start");
        let second_protocol = setup.each_protocol(Request::get(SHORT, "/api02/h2?x=1")).pop().expect("a request");
        // (request, entry, api, action, status)
        let mut cases = vec![
            (Request::get(SHORT, "/api01/v1/items?id=7"), "short", json!("api01"), "proxy", 200),
            (second_protocol, "short", json!("api02"), "proxy", 200),
            (Request::get(SHORT, "/nope/x"), "short", Value::Null, "reject", 404),
            (Request::get(SHORT, "/api01/%2e%2e/x"), "short", json!("api01"), "reject", 400),
            (Request::get(LEGACY1, "/v1/x?y=2"), "legacy", json!("api01"), "redirect", 308),
            (Request::get(LONG1, "/v1/z").method("POST"), "long", json!("api01"), "pass", 200),
        ];
        // In Kong a Host no route names gets Kong's own 404 before any filter runs; passthrough.rs has the
        // unknown entry in both engines.
        if setup.engine == Engine::Envoy {
            cases.push((Request::get(OTHER, "/anything").method("POST"), "unknown", Value::Null, "pass", 200));
        }
        for (request, entry, api, action, status) in &cases {
            let r = h.send(request).expect("send");
            assert_eq!(r.status, *status, "{request:?}: {r:?}");
            let record = h.telemetry_for(&request.host, &request.path).expect("one telemetry line");
            let what = format!("{request:?} → {record}");
            assert_eq!(record["event"], "kdp_migrate", "{what}");
            assert_eq!(record["entry"], *entry, "{what}");
            // A 400 on the short host may or may not name the API the path pointed at.
            if *status != 400 {
                assert_eq!(record["api"], *api, "{what}");
            }
            assert_eq!(record["action"], *action, "{what}");
            assert_eq!(record["method"], request.method.as_str(), "{what}");
            assert_eq!(record["status"], *status, "{what}");
            assert!(record["latency_ms"].is_number(), "{what}");
        }
        let lines = h.gateway.telemetry_lines();
        assert_eq!(lines.len(), cases.len(), "one line per request: {lines:#?}");
        for line in lines {
            let mut last = 0;
            for key in KEYS {
                let at = line
                    .find(&format!("\"{key}\":"))
                    .unwrap_or_else(|| panic!("key {key} missing in {line}"));
                assert!(at >= last, "key {key} out of order in {line}");
                last = at;
            }
            let record: Value = serde_json::from_str(&line).expect("json");
            assert_eq!(record.as_object().map(|o| o.len()), Some(KEYS.len()), "exactly the contract's keys: {line}");
        }
    }
}

per_variant! {
    Envoy;
    fn counters_in_admin_stats(setup) {
        let h = Harness::seed(setup).expect("start");
        for _ in 0..3 {
            assert_eq!(h.get(SHORT, "/api01/x").expect("send").status, 200);
        }
        assert_eq!(h.get(LEGACY1, "/x").expect("send").status, 308);
        assert_eq!(h.get(SHORT, "/nope").expect("send").status, 404);
        assert_eq!(h.get(OTHER, "/").expect("send").status, 200);
        h.gateway.wait_telemetry(6, |_| true).expect("six telemetry lines");
        let stats = h.envoy().expect("Envoy").stats("requests_total").expect("stats");
        let value = |name: &str| {
            stats
                .iter()
                .find(|(n, _)| n.ends_with(name))
                .map(|(_, v)| *v)
                .unwrap_or_else(|| panic!("no counter {name} in {stats:?}"))
        };
        assert_eq!(value("requests_total_api=api01_entry=short_action=proxy"), 3, "{stats:?}");
        assert_eq!(value("requests_total_api=api01_entry=legacy_action=redirect"), 1, "{stats:?}");
        assert_eq!(value("requests_total_api=-_entry=short_action=reject"), 1, "{stats:?}");
        assert_eq!(value("requests_total_api=-_entry=unknown_action=pass"), 1, "{stats:?}");
    }

    fn filter_state_sink_puts_the_record_in_the_access_log(setup) {
        let mut map: Value = serde_json::from_str(&paths::seed_map().expect("seed map")).expect("json");
        map["telemetry"] = json!("filter_state");
        let h = Harness::start_with_access_log(setup, &map.to_string()).expect("start");
        // (request, entry, action, status), sent one after the other: the access log keeps that order.
        let cases = [
            (Request::get(SHORT, "/api01/v1/items?id=7"), "short", "proxy", 200),
            (Request::get(LEGACY1, "/v1/x?y=2"), "legacy", "redirect", 308),
            (Request::get(SHORT, "/nope/x").h2c(), "short", "reject", 404),
            (Request::get(LONG1, "/v1/z"), "long", "pass", 200),
        ];
        for (request, _, _, status) in &cases {
            let r = h.send(request).expect("send");
            assert_eq!(r.status, *status, "{request:?}: {r:?}");
        }
        let lines = h.wait_access_log(cases.len()).expect("access log");
        assert_eq!(lines.len(), cases.len(), "one access log line per request: {lines:#?}");
        for ((request, entry, action, status), line) in cases.iter().zip(&lines) {
            let record: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            let what = format!("{request:?} → {line}");
            assert_eq!(record.as_object().map(|o| o.len()), Some(KEYS.len()), "{what}");
            assert_eq!(record["event"], "kdp_migrate", "{what}");
            assert_eq!(record["entry"], *entry, "{what}");
            assert_eq!(record["action"], *action, "{what}");
            assert_eq!(record["host"], request.host.as_str(), "{what}");
            assert_eq!(record["path"], request.path.as_str(), "{what}");
            assert_eq!(record["status"], *status, "{what}");
            assert!(record["latency_ms"].is_number(), "{what}");
        }
        assert_eq!(h.gateway.telemetry_lines(), Vec::<String>::new(), "no record in Envoy's own log");
    }
}

per_setup! {
    fn a_long_request_keeps_one_whole_record(setup) {
        // nginx cuts an error-log line at 2,048 bytes: the record's texts are cut to their bounds instead
        // (a kept beginning and `…`), so the line still parses and the report still counts the request.
        let h = Harness::seed(setup).expect("start");
        let path = format!("/v1/{}?q={}", "a".repeat(1_500), "b".repeat(300));
        let agent = format!("agent/{}", "c".repeat(1_000));
        let r = h.send(&Request::get(LONG1, &path).header("user-agent", &agent)).expect("send");
        assert_eq!(r.status, 200, "{r:?}");
        let records = h.gateway.wait_telemetry(1, |r| r["host"] == LONG1).expect("the record");
        let [record] = records.as_slice() else { panic!("one record: {records:?}") };
        for (key, sent) in [("path", &path), ("user_agent", &agent)] {
            let text = record[key].as_str().unwrap_or_else(|| panic!("{key}: {record}"));
            let kept = text.strip_suffix('\u{2026}').unwrap_or_else(|| panic!("{key} cut and marked: {text}"));
            assert!(kept.len() > 100 && sent.starts_with(kept), "{key}: {text}");
        }
        let lines = h.gateway.telemetry_lines();
        assert!(lines.iter().all(|line| line.len() <= TelemetryRecord::MAX_LINE_BYTES), "{lines:?}");
    }
}
