//! `TelemetryRecord` and `counter_name`: the JSON line's exact keys, their order and values (the
//! contract in docs/architecture.md, "Telemetry line"), and the counter names Kong's Prometheus
//! plugin cuts labels out of.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{BASE, Client, Silent, build, map_with};
use kdp_migrate_core::{
    Action, ClientFacts, Entry, Measured, MigrationMap, TelemetryRecord, Timestamp, Verdict,
    counter_name,
};

const KEYS: [&str; 20] = TelemetryRecord::KEYS;

/// `(host, target, client, status, latency_ms, expected line)`.
type Row<'a> = (
    &'a str,
    &'a str,
    &'a dyn ClientFacts,
    Option<u64>,
    Option<f64>,
    &'a str,
);

/// Rows for one map; the engine's measurements besides status and latency are fixed: `GET`, one
/// Location and two cookies rewritten.
struct LineTest<'a> {
    map: &'a MigrationMap,
    cases: Vec<Row<'a>>,
}

impl LineTest<'_> {
    fn run(self) {
        for (host, target, client, status, latency_ms, expected) in self.cases {
            let decision = self.map.decide(host, target, client);
            let measured = Measured {
                method: "GET",
                host,
                path: target,
                status,
                latency_ms,
                location_rewritten: 1,
                cookies_rewritten: 2,
                ..Measured::default()
            };
            let verdict = Verdict::of(self.map, &decision);
            let line = TelemetryRecord::new(&verdict, self.map, measured).to_json();
            let by_serde =
                serde_json::to_string(&TelemetryRecord::new(&verdict, self.map, measured)).unwrap();
            assert_eq!(line, by_serde, "the hand-written line is serde_json's");
            assert_eq!(line, expected, "Host: {host:?}, target: {target:?}");
            assert_eq!(keys_in_order(&line), KEYS, "{line}");
        }
    }
}

/// The top-level keys of a flat JSON object, in the order written.
fn keys_in_order(line: &str) -> Vec<String> {
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(line).unwrap_or_default();
    // serde_json's Map is sorted (no `preserve_order`): order the keys by where they are written.
    let mut positions: Vec<(usize, String)> = object
        .keys()
        .map(|key| {
            (
                line.find(&format!("\"{key}\":")).unwrap_or(usize::MAX),
                key.clone(),
            )
        })
        .collect();
    positions.sort();
    positions.into_iter().map(|(_, key)| key).collect()
}
#[test]
fn lines_have_the_contract_keys_in_order() {
    let map = build(BASE);
    let client = Client::default();
    LineTest {
        map: &map,
        cases: vec![
            (
                "dev-01.test",
                "/api01/x?q=1",
                &Silent,
                Some(200),
                Some(2.5),
                r#"{"event":"kdp_migrate","entry":"short","api":"api01","action":"proxy","method":"GET","host":"dev-01.test","path":"/api01/x?q=1","status":200,"latency_ms":2.5,"redirect_stage":null,"location_rewritten":1,"cookies_rewritten":2,"reason":null,"would_action":null,"would_status":null,"would_location":null,"time":null,"client":null,"user_agent":null,"request_id":null}"#,
            ),
            (
                "other.test",
                "/x",
                &Silent,
                None,
                None,
                r#"{"event":"kdp_migrate","entry":"unknown","api":null,"action":"pass","method":"GET","host":"other.test","path":"/x","status":null,"latency_ms":null,"redirect_stage":null,"location_rewritten":1,"cookies_rewritten":2,"reason":null,"would_action":null,"would_status":null,"would_location":null,"time":null,"client":null,"user_agent":null,"request_id":null}"#,
            ),
            (
                "API01.long.test:8443",
                "/x",
                &Silent,
                Some(204),
                Some(0.0),
                r#"{"event":"kdp_migrate","entry":"long","api":"api01","action":"pass","method":"GET","host":"API01.long.test:8443","path":"/x","status":204,"latency_ms":0.0,"redirect_stage":null,"location_rewritten":1,"cookies_rewritten":2,"reason":null,"would_action":null,"would_status":null,"would_location":null,"time":null,"client":null,"user_agent":null,"request_id":null}"#,
            ),
            (
                "dev-01.test",
                "/nothing",
                &Silent,
                Some(404),
                Some(0.001),
                r#"{"event":"kdp_migrate","entry":"short","api":null,"action":"reject","method":"GET","host":"dev-01.test","path":"/nothing","status":404,"latency_ms":0.001,"redirect_stage":null,"location_rewritten":1,"cookies_rewritten":2,"reason":"no_api","would_action":null,"would_status":null,"would_location":null,"time":null,"client":null,"user_agent":null,"request_id":null}"#,
            ),
            (
                "dev-01.test",
                "/api01/%2e%2e/api02",
                &Silent,
                Some(400),
                None,
                r#"{"event":"kdp_migrate","entry":"short","api":"api01","action":"reject","method":"GET","host":"dev-01.test","path":"/api01/%2e%2e/api02","status":400,"latency_ms":null,"redirect_stage":null,"location_rewritten":1,"cookies_rewritten":2,"reason":"dot_segment","would_action":null,"would_status":null,"would_location":null,"time":null,"client":null,"user_agent":null,"request_id":null}"#,
            ),
            (
                "api01.old.test",
                "/x",
                &client,
                Some(308),
                Some(1.25),
                r#"{"event":"kdp_migrate","entry":"legacy","api":"api01","action":"redirect","method":"GET","host":"api01.old.test","path":"/x","status":308,"latency_ms":1.25,"redirect_stage":"redirect","location_rewritten":1,"cookies_rewritten":2,"reason":null,"would_action":null,"would_status":null,"would_location":null,"time":null,"client":null,"user_agent":null,"request_id":null}"#,
            ),
        ],
    }
    .run();
}

#[test]
fn legacy_stages_and_would_be_outcomes_are_recorded() {
    let observe = map_with(r#""legacy": {"action": "observe", "status": 301}"#);
    let observe_none = map_with(r#""legacy": {"action": "observe", "redirect_percent": 0}"#);
    let canary_none = map_with(r#""legacy": {"redirect_percent": 0}"#);
    let gone = map_with(r#""legacy": {"sunset": "2027-01-01T00:00:00Z", "after_sunset": "gone"}"#);
    let client = Client::at(1_798_761_600);
    LineTest {
        map: &observe,
        cases: vec![
            (
                "api01.old.test",
                "/x?q=1",
                &client,
                Some(200),
                Some(3.0),
                r#"{"event":"kdp_migrate","entry":"legacy","api":"api01","action":"pass","method":"GET","host":"api01.old.test","path":"/x?q=1","status":200,"latency_ms":3.0,"redirect_stage":"observe","location_rewritten":1,"cookies_rewritten":2,"reason":null,"would_action":"redirect","would_status":301,"would_location":"https://dev-01.test/api01/x?q=1","time":null,"client":null,"user_agent":null,"request_id":null}"#,
            ),
            (
                "api01.old.test",
                "/a/../b",
                &client,
                Some(200),
                None,
                r#"{"event":"kdp_migrate","entry":"legacy","api":"api01","action":"pass","method":"GET","host":"api01.old.test","path":"/a/../b","status":200,"latency_ms":null,"redirect_stage":"observe","location_rewritten":1,"cookies_rewritten":2,"reason":null,"would_action":"reject","would_status":400,"would_location":null,"time":null,"client":null,"user_agent":null,"request_id":null}"#,
            ),
        ],
    }
    .run();
    LineTest {
        map: &observe_none,
        cases: vec![(
            "api01.old.test",
            "/x",
            &client,
            Some(200),
            None,
            r#"{"event":"kdp_migrate","entry":"legacy","api":"api01","action":"pass","method":"GET","host":"api01.old.test","path":"/x","status":200,"latency_ms":null,"redirect_stage":"observe","location_rewritten":1,"cookies_rewritten":2,"reason":null,"would_action":"proxy","would_status":null,"would_location":null,"time":null,"client":null,"user_agent":null,"request_id":null}"#,
        )],
    }
    .run();
    LineTest {
        map: &canary_none,
        cases: vec![(
            "api01.old.test",
            "/x",
            &client,
            Some(200),
            None,
            r#"{"event":"kdp_migrate","entry":"legacy","api":"api01","action":"proxy","method":"GET","host":"api01.old.test","path":"/x","status":200,"latency_ms":null,"redirect_stage":"canary","location_rewritten":1,"cookies_rewritten":2,"reason":null,"would_action":null,"would_status":null,"would_location":null,"time":null,"client":null,"user_agent":null,"request_id":null}"#,
        )],
    }
    .run();
    LineTest {
        map: &gone,
        cases: vec![(
            "api01.old.test",
            "/x",
            &client,
            Some(410),
            None,
            r#"{"event":"kdp_migrate","entry":"legacy","api":"api01","action":"reject","method":"GET","host":"api01.old.test","path":"/x","status":410,"latency_ms":null,"redirect_stage":"redirect","location_rewritten":1,"cookies_rewritten":2,"reason":"gone","would_action":null,"would_status":null,"would_location":null,"time":null,"client":null,"user_agent":null,"request_id":null}"#,
        )],
    }
    .run();
}

#[test]
fn arrival_time_client_user_agent_and_request_id_close_the_line() {
    let map = build(BASE);
    let client = Client::default();
    let verdict_for = |host, target| Verdict::of(&map, &map.decide(host, target, &client));
    let short = verdict_for("dev-01.test", "/api01/x");
    let legacy = verdict_for("api01.old.test", "/x");
    for (verdict, measured, expected_tail) in [
        (
            &short,
            Measured {
                time: Timestamp::from_unix_ms(1_798_761_600_123),
                client: Some("203.0.113.7"),
                user_agent: Some("curl/8.5.0"),
                request_id: Some("3f1c2a9e-55b1-4c4e-9d1e-2a7e0f0c1b2d"),
                ..Measured::default()
            },
            r#""time":"2027-01-01T00:00:00.123Z","client":"203.0.113.7","user_agent":"curl/8.5.0","request_id":"3f1c2a9e-55b1-4c4e-9d1e-2a7e0f0c1b2d"}"#,
        ),
        (
            &legacy,
            Measured {
                time: Timestamp::from_unix_ms(0),
                client: Some("2001:db8::1"),
                user_agent: Some("Mozilla/5.0 (\"quoted\")\u{1}"),
                request_id: None,
                ..Measured::default()
            },
            r#""time":"1970-01-01T00:00:00.000Z","client":"2001:db8::1","user_agent":"Mozilla/5.0 (\"quoted\")\u0001","request_id":null}"#,
        ),
        (
            &legacy,
            Measured::default(),
            r#""time":null,"client":null,"user_agent":null,"request_id":null}"#,
        ),
    ] {
        let record = TelemetryRecord::new(verdict, &map, measured);
        let line = record.to_json();
        assert_eq!(line, serde_json::to_string(&record).unwrap());
        assert!(line.ends_with(expected_tail), "{line}");
        assert_eq!(keys_in_order(&line), KEYS, "{line}");
    }
}

#[test]
fn lines_stay_one_line_of_valid_json_whatever_the_client_sent() {
    let map = build(BASE);
    for (method, host, path, latency_ms) in [
        ("GET", "evil\"host", "/a\"b\\c", Some(1.0)),
        ("G\nET", "x\r\ny", "/x?q=\n\0\u{7f}\u{2028}", None),
        ("PÖST", "dev-01.test", "/api01/é", Some(f64::NAN)),
        ("GET", "dev-01.test", "/api01/x", Some(f64::INFINITY)),
    ] {
        let decision = map.decide(host, path, &Silent);
        let measured = Measured {
            method,
            host,
            path,
            status: None,
            latency_ms,
            user_agent: Some(path),
            ..Measured::default()
        };
        let verdict = Verdict::of(&map, &decision);
        let line = TelemetryRecord::new(&verdict, &map, measured).to_json();
        assert_eq!(
            line,
            serde_json::to_string(&TelemetryRecord::new(&verdict, &map, measured)).unwrap()
        );
        assert!(!line.contains(['\n', '\r', '\0']), "{line:?}");
        let value: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(
            (
                value["method"].as_str(),
                value["host"].as_str(),
                value["path"].as_str()
            ),
            (Some(method), Some(host), Some(path))
        );
        if latency_ms.is_some_and(|latency| !latency.is_finite()) {
            assert!(
                value["latency_ms"].is_null(),
                "non-finite latency is null: {line}"
            );
        }
        assert_eq!(keys_in_order(&line), KEYS, "{line}");
    }
}

#[test]
fn counter_names_carry_api_entry_and_action() {
    for (api, entry, action, expected) in [
        (
            Some("api01"),
            Entry::Short,
            Action::Proxy,
            "requests_total_api=api01_entry=short_action=proxy",
        ),
        (
            Some("api01"),
            Entry::Legacy,
            Action::Redirect,
            "requests_total_api=api01_entry=legacy_action=redirect",
        ),
        (
            Some("orders-admin"),
            Entry::Long,
            Action::Pass,
            "requests_total_api=orders-admin_entry=long_action=pass",
        ),
        (
            None,
            Entry::Short,
            Action::Reject,
            "requests_total_api=-_entry=short_action=reject",
        ),
        (
            None,
            Entry::Unknown,
            Action::Pass,
            "requests_total_api=-_entry=unknown_action=pass",
        ),
    ] {
        assert_eq!(
            counter_name(api, entry, action),
            expected,
            "{api:?} {entry:?} {action:?}"
        );
    }
    // From a decision, as the telemetry role does it.
    let map = build(BASE);
    let decision = map.decide("api02.old.test", "/x", &Client::default());
    assert_eq!(
        counter_name(
            decision.api.map(|api| api.name()),
            decision.entry,
            decision.action()
        ),
        "requests_total_api=api02_entry=legacy_action=redirect"
    );
    // Kong's label_patterns cut at `_entry=` and `_action=`: a name (a DNS label) never has `_`.
    for api in map.apis() {
        assert!(!api.name().contains('_'), "{}", api.name());
    }
}

#[test]
fn a_record_fits_one_kong_error_log_line_whatever_the_request() {
    // nginx cuts an error-log line at 2,048 bytes; a cut record would not parse. The longest record:
    // a legacy request in observe mode (its would-be Location too), every text far over its bound,
    // in each kind of character (plain, escaped twice or six times over, multi-byte), the widest
    // numbers and the longest API name: 1,811 bytes at most.
    let api = "a".repeat(63);
    let map = map_with(&format!(
        r#""legacy": {{"action": "observe"}}, "apis": [{{"name": "{api}"}}]"#
    ));
    let legacy_host = format!("{api}.old.test");
    let decided_path = format!("/{}", "p".repeat(2_000));
    let decision = map.decide(&legacy_host, &decided_path, &Client::default());
    let verdict = Verdict::of(&map, &decision);
    for filler in ["x", "\"", "\u{1}", "é", "\u{1F600}"] {
        let long = filler.repeat(4_000);
        let measured = Measured {
            method: &long,
            host: &long,
            path: &long,
            status: Some(u64::MAX),
            latency_ms: Some(-1.234_567_890_123_456_7e-300),
            location_rewritten: u32::MAX,
            cookies_rewritten: u32::MAX,
            time: Timestamp::from_unix_ms(Timestamp::MAX_UNIX_MS),
            client: Some(&long),
            user_agent: Some(&long),
            request_id: Some(&long),
        };
        let record = TelemetryRecord::new(&verdict, &map, measured);
        let line = record.to_json();
        assert_eq!(line, serde_json::to_string(&record).unwrap());
        assert!(
            line.len() <= TelemetryRecord::MAX_LINE_BYTES,
            "{filler:?}: {} bytes",
            line.len()
        );
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        for (key, sent) in [
            ("method", long.as_str()),
            ("host", &long),
            ("path", &long),
            ("client", &long),
            ("user_agent", &long),
            ("request_id", &long),
            (
                "would_location",
                &format!("https://dev-01.test/{api}{decided_path}"),
            ),
        ] {
            let text = value[key]
                .as_str()
                .unwrap_or_else(|| panic!("{key}: {line}"));
            let kept = text
                .strip_suffix('\u{2026}')
                .unwrap_or_else(|| panic!("{key} is cut and marked: {text}"));
            assert!(!kept.is_empty() && sent.starts_with(kept), "{key}: {text}");
        }
    }
}
