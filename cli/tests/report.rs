//! `kdp-migrate report` end to end: every log format the records land in (fixtures in
//! tests/fixtures/report/, one per sink), gzip, the window, the counts, the percentiles, the verdict
//! and `--gate`'s exit status, malformed lines named and never fatal.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod report_support;

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use report_support::{Rec, api, fixture, json_report, report, scratch, stderr, write_records};
use serde_json::{Value, json};

const FIXTURES: [&str; 5] = [
    "kong-error.log",
    "envoy.log",
    "envoy-access.log",
    "kong-file-log.jsonl",
    "kong-http-log.jsonl",
];

fn fixture_args() -> Vec<String> {
    let mut args = vec!["--from".to_owned()];
    args.extend(
        FIXTURES
            .iter()
            .map(|name| fixture(name).display().to_string()),
    );
    args
}

fn with_fixtures(extra: &[&str], code: i32) -> Value {
    let args = fixture_args();
    let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
    all.extend_from_slice(extra);
    json_report(&all, code)
}

#[test]
fn reads_records_from_every_sink_and_log() {
    let report = with_fixtures(&["--show-clients"], 0);
    let window = &report["window"];
    assert_eq!(
        (
            &window["lines"],
            &window["records"],
            &window["untimed"],
            &report["malformed"]
        ),
        (&json!(19), &json!(12), &json!(0), &json!(3)),
        "{window:#}"
    );
    assert_eq!(
        window["unattributed"],
        json!({"short": 1, "long": 0, "legacy": 0, "unknown": 0})
    );
    // Kong's error log gave its records the line's time (they predate the `time` key).
    assert_eq!(window["first"], "2026-12-01T09:00:01.000Z");
    assert_eq!(window["last"], "2026-12-03T08:00:01.000Z");
    assert_eq!(window["end"], "2026-12-03T08:00:01.000Z");

    let api01 = api(&report, "api01");
    assert_eq!(api01["requests"], 7);
    assert_eq!(
        api01["by_entry"],
        json!({"short": 3, "long": 0, "legacy": 4})
    );
    assert_eq!(
        api01["actions"]["legacy"],
        json!({"proxy": 0, "redirect": 4, "reject": 0, "pass": 0})
    );
    assert_eq!(api01["legacy_share"], json!(4.0 / 7.0));
    assert_eq!(api01["legacy_clients"], 2);
    assert_eq!(api01["last_legacy"], "2026-12-03T07:00:00.000Z");
    assert_eq!(
        api01["top_legacy_clients"],
        json!([
            {"value": "203.0.113.7", "requests": 2, "overcount": 0},
            {"value": "198.51.100.4", "requests": 1, "overcount": 0}
        ])
    );
    assert_eq!(
        api01["top_legacy_user_agents"],
        json!([
            {"value": "legacy-batch/1.0", "requests": 2, "overcount": 0},
            {"value": "Mozilla/5.0", "requests": 1, "overcount": 0}
        ])
    );
    // Paths without their query.
    assert_eq!(
        api01["top_legacy_paths"],
        json!([
            {"value": "/v1/orders", "requests": 3, "overcount": 0},
            {"value": "/v1/items", "requests": 1, "overcount": 0}
        ])
    );
    assert_eq!(
        api01["days"],
        json!([
            {"day": "2026-12-01", "by_entry": {"short": 1, "long": 0, "legacy": 1}, "legacy_share": 0.5, "4xx": 0, "5xx": 0},
            {"day": "2026-12-02", "by_entry": {"short": 1, "long": 0, "legacy": 2}, "legacy_share": 2.0 / 3.0, "4xx": 0, "5xx": 0},
            {"day": "2026-12-03", "by_entry": {"short": 1, "long": 0, "legacy": 1}, "legacy_share": 0.5, "4xx": 0, "5xx": 0}
        ])
    );
    assert_eq!(api01["first_seen"]["legacy"], "2026-12-01T09:00:01.000Z");
    assert_eq!(api01["last_seen"]["short"], "2026-12-03T07:00:01.000Z");
    assert_eq!(api01["ready"], false);

    let api02 = api(&report, "api02");
    assert_eq!(
        api02["by_entry"],
        json!({"short": 2, "long": 1, "legacy": 1})
    );
    assert_eq!(
        api02["errors"],
        json!({
            "short": {"4xx": 0, "5xx": 1, "4xx_rate": 0.0, "5xx_rate": 0.5},
            "long": {"4xx": 0, "5xx": 1, "4xx_rate": 0.0, "5xx_rate": 1.0},
            "legacy": {"4xx": 0, "5xx": 0, "4xx_rate": 0.0, "5xx_rate": 0.0}
        })
    );
    // Envoy's log line time, with its milliseconds.
    assert_eq!(api02["last_legacy"], "2026-12-01T10:00:00.250Z");
    // No client in an old record: none counted.
    assert_eq!(api02["legacy_clients"], 0);
}

#[test]
fn malformed_lines_are_named_and_the_rest_is_read() {
    let args = fixture_args();
    let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
    all.push("--format=json");
    let output = report(&all);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let named: Vec<String> = stderr(&output)
        .lines()
        .map(|line| {
            line.replace(
                &format!("{}/", fixture("").display()).replace("//", "/"),
                "",
            )
        })
        .collect();
    assert_eq!(
        named,
        [
            "kong-error.log:5: entry \"sideways\" is not short, long, legacy or unknown",
            "envoy.log:4: EOF while parsing a string at line 1 column 66",
            "kong-file-log.jsonl:4: kdp_migrate: EOF while parsing an object at line 1 column 38",
        ],
        "{}",
        stderr(&output)
    );
}

#[test]
fn gzip_reads_like_plain_text_also_in_several_members() {
    let dir = scratch("gzip");
    let plain = std::fs::read(fixture("envoy-access.log")).unwrap();
    let (first, second) = plain.split_at(plain.len() / 2);
    let gz = dir.join("access.log.1");
    let mut file = std::fs::File::create(&gz).unwrap();
    // Two members, as `cat a.gz b.gz` or a rotated log appended to makes them.
    for part in [first, second] {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(part).unwrap();
        file.write_all(&encoder.finish().unwrap()).unwrap();
    }
    drop(file);
    let from_gzip = json_report(&["--from", gz.to_str().unwrap()], 0);
    let from_plain = json_report(
        &["--from", fixture("envoy-access.log").to_str().unwrap()],
        0,
    );
    assert_eq!(from_gzip["apis"], from_plain["apis"]);
    assert_eq!(from_gzip["window"]["records"], 3);
}

/// api01 moved off its legacy host on day 1; api02 still has a legacy caller an hour before the end.
fn moving_apis() -> Vec<Rec> {
    vec![
        Rec::new("api01", "legacy", "2026-12-01T10:00:00.000Z"),
        Rec::new("api01", "short", "2026-12-03T10:00:00.000Z"),
        Rec::new("api02", "legacy", "2026-12-03T09:00:00.000Z"),
        Rec::new("api02", "short", "2026-12-03T10:00:00.000Z"),
    ]
}

#[test]
fn the_verdict_needs_a_small_legacy_share_and_quiet_hours() {
    let dir = scratch("verdict");
    let log = write_records(&dir, "records.jsonl", &moving_apis());
    let from = log.to_str().unwrap();

    let report = json_report(&["--from", from], 0);
    let api01 = api(&report, "api01");
    assert_eq!(api01["ready"], false);
    assert_eq!(
        api01["reasons"],
        json!([
            "legacy share 50 % (1 of 2) is above the allowed 0 %",
            "last legacy request at 2026-12-01T10:00:00.000Z, 48.0 h before the window's end 2026-12-03T10:00:00.000Z: quiet for the 24 hours asked"
        ])
    );

    // From day 2 on, api01 has no legacy traffic at all; api02 had a legacy request an hour ago.
    let report = json_report(&["--from", from, "--since", "2026-12-02"], 0);
    assert_eq!(api(&report, "api01")["ready"], true);
    assert_eq!(
        api(&report, "api01")["reasons"],
        json!([
            "legacy share 0 % (0 of 1) is within the allowed 0 %",
            "no legacy request in the window"
        ])
    );
    let api02 = api(&report, "api02");
    assert_eq!(api02["ready"], false);
    assert_eq!(
        api02["reasons"][1],
        "last legacy request at 2026-12-03T09:00:00.000Z, 1.0 h before the window's end 2026-12-03T10:00:00.000Z: within the 24 quiet hours"
    );

    // A tolerated share.
    let report = json_report(&["--from", from, "--max-legacy-share", "50%"], 0);
    assert_eq!(api(&report, "api01")["ready"], true);
    assert_eq!(report["window"]["max_legacy_share"], 0.5);
    let report = json_report(
        &[
            "--from",
            from,
            "--max-legacy-share",
            "0.5",
            "--quiet-hours",
            "72",
        ],
        0,
    );
    assert_eq!(api(&report, "api01")["ready"], false);

    // `--until` is the end the quiet hours count back from.
    let report = json_report(
        &[
            "--from",
            from,
            "--max-legacy-share",
            "1",
            "--until",
            "2026-12-03T09:30:00Z",
            "--quiet-hours",
            "0.25",
        ],
        0,
    );
    assert_eq!(report["window"]["end"], "2026-12-03T09:30:00.000Z");
    assert_eq!(api(&report, "api02")["ready"], true, "{report:#}");
    assert_eq!(api(&report, "api02")["by_entry"]["short"], 0);
}

#[test]
fn gate_exits_zero_only_when_every_api_is_ready() {
    let dir = scratch("gate");
    let log = write_records(&dir, "records.jsonl", &moving_apis());
    let from = log.to_str().unwrap();
    let code = |extra: &[&str]| {
        let mut args = vec!["--from", from, "--gate"];
        args.extend_from_slice(extra);
        report(&args).status.code()
    };
    assert_eq!(code(&[]), Some(1));
    assert_eq!(
        code(&["--since", "2026-12-02"]),
        Some(1),
        "api02 is not ready"
    );
    assert_eq!(code(&["--since", "2026-12-02", "--api", "api01"]), Some(0));
    assert_eq!(
        code(&["--max-legacy-share", "50%", "--api", "api01"]),
        Some(0)
    );
    // An API named but never seen proves nothing.
    assert_eq!(
        code(&["--since", "2026-12-02", "--api", "api01", "--api", "api03"]),
        Some(1)
    );
    let report = json_report(&["--from", from, "--api", "api03"], 0);
    assert_eq!(
        api(&report, "api03")["reasons"],
        json!(["no record of this API in the window"])
    );
    // Nothing in the window: nothing is ready.
    assert_eq!(code(&["--since", "2027-01-01"]), Some(1));
}

#[test]
fn unusable_input_exits_two() {
    let dir = scratch("unusable");
    let no_records = dir.join("nginx.log");
    std::fs::write(
        &no_records,
        "2026/12/01 09:00:00 [notice] 1#0: start worker process 31\n",
    )
    .unwrap();
    let output = report(&["--from", no_records.to_str().unwrap(), "--gate"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no kdp_migrate telemetry record in")
            && stderr(&output).contains("(1 lines read)"),
        "{}",
        stderr(&output)
    );
    let missing = dir.join("missing.log");
    let output = report(&["--from", missing.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("missing.log: No such file"),
        "{}",
        stderr(&output)
    );
    for bad in [["--since", "yesterday"], ["--max-legacy-share", "120%"]] {
        let output = report(&["--from", no_records.to_str().unwrap(), bad[0], bad[1]]);
        assert_eq!(output.status.code(), Some(2), "{bad:?}");
    }
}

#[test]
fn records_without_a_time_cannot_prove_quiet_hours() {
    let dir = scratch("untimed");
    let mut record: Value = serde_json::from_str(&Rec::new("api01", "legacy", "x").line()).unwrap();
    record.as_object_mut().unwrap().remove("time");
    let log = dir.join("records.jsonl");
    std::fs::write(&log, format!("{record}\n")).unwrap();
    let report = json_report(
        &["--from", log.to_str().unwrap(), "--max-legacy-share", "1"],
        0,
    );
    assert_eq!(report["window"]["untimed"], 1);
    let api01 = api(&report, "api01");
    assert_eq!(api01["ready"], false);
    assert_eq!(
        api01["reasons"][1],
        "1 legacy requests have no time: how recent they are is unknown"
    );
    // A bounded window cannot place it.
    let report = json_report(
        &["--from", log.to_str().unwrap(), "--since", "2026-01-01"],
        0,
    );
    assert_eq!(report["window"]["outside_window"], 1);
}

#[test]
fn latency_percentiles_per_entry_within_half_a_percent() {
    let dir = scratch("latency");
    let records: Vec<Rec> = (1..=1000)
        .map(|n| {
            let mut record = Rec::new("api01", "short", "2026-12-01T00:00:00.000Z");
            record.latency_ms = f64::from(n) / 10.0;
            record
        })
        .collect();
    let log = write_records(&dir, "records.jsonl", &records);
    let report = json_report(&["--from", log.to_str().unwrap()], 0);
    let latency = &api(&report, "api01")["latency_ms"];
    for (key, exact) in [("p50", 50.0), ("p95", 95.0), ("p99", 99.0)] {
        let reported = latency["short"][key].as_f64().unwrap();
        assert!(
            (reported - exact).abs() <= exact * 0.005 + 0.001,
            "{key}: {reported} vs {exact}"
        );
    }
    assert_eq!(latency["legacy"], Value::Null);
}

#[test]
fn clients_are_hashed_unless_shown_and_top_lists_are_bounded() {
    let dir = scratch("clients");
    let mut records = Vec::new();
    for n in 0..40 {
        let mut record = Rec::new("api01", "legacy", "2026-12-01T00:00:00.000Z");
        record.client = format!("10.0.0.{}", n % 8);
        record.path = format!("/v1/items/{}?page=2", n % 3);
        records.push(record);
    }
    let log = write_records(&dir, "records.jsonl", &records);
    let report = json_report(&["--from", log.to_str().unwrap(), "--top", "2"], 0);
    let api01 = api(&report, "api01");
    assert_eq!(api01["legacy_clients"], 8);
    let top = api01["top_legacy_clients"].as_array().unwrap();
    assert_eq!(top.len(), 2);
    for entry in top {
        let value = entry["value"].as_str().unwrap();
        assert!(
            value.starts_with("client-") && value.len() == 19 && !value.contains("10.0.0"),
            "{value}"
        );
        assert_eq!(entry["requests"], 5);
    }
    let shown = json_report(
        &[
            "--from",
            log.to_str().unwrap(),
            "--top",
            "2",
            "--show-clients",
        ],
        0,
    );
    assert_eq!(
        api(&shown, "api01")["top_legacy_clients"],
        json!([
            {"value": "10.0.0.0", "requests": 5, "overcount": 0},
            {"value": "10.0.0.1", "requests": 5, "overcount": 0}
        ])
    );
    assert_eq!(
        api(&shown, "api01")["top_legacy_paths"][0],
        json!({"value": "/v1/items/0", "requests": 14, "overcount": 0})
    );
}

#[test]
fn the_table_names_the_verdict_per_api() {
    let dir = scratch("table");
    let log = write_records(&dir, "records.jsonl", &moving_apis());
    let output = report(&["--from", log.to_str().unwrap(), "--since", "2026-12-02"]);
    assert_eq!(output.status.code(), Some(0));
    let table = String::from_utf8(output.stdout).unwrap();
    assert!(
        table.contains("\napi01: READY to retire the legacy host — legacy share 0 %"),
        "{table}"
    );
    assert!(
        table.contains("\napi02: NOT READY — legacy share 50 %, 1 distinct legacy clients"),
        "{table}"
    );
    assert!(
        table.contains("  top legacy user agents: curl/8.5.0 (1)"),
        "{table}"
    );
    assert!(table.contains("2026-12-03  api02"), "{table}");
}
