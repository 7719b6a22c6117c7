//! `kdp-migrate replay` end to end on the shipped samples (kong/examples/traffic/), through the
//! real filters: output objects, summary, malformed input, errors and exit codes.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{API01_LONG, API02_LONG, SHORT, filters_dir, trap_filters_dir, workspace};
use kdp_migrate_cli::replay::ReplayRecord;
use kdp_migrate_host_test::ObservedAction;

fn sample(name: &str) -> PathBuf {
    workspace().join("kong/examples/traffic").join(name)
}

fn seed_map_path() -> PathBuf {
    workspace().join("kong/map.json")
}

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn kdp_migrate(args: &[&str]) -> Output {
    let filters = filters_dir();
    Command::new(env!("CARGO_BIN_EXE_kdp-migrate"))
        .arg("replay")
        .arg("--filters")
        .arg(&filters)
        .args(args)
        .output()
        .unwrap()
}

fn replay(traffic: &Path, extra: &[&str]) -> Output {
    let map = seed_map_path();
    let mut args = vec![
        "--map",
        map.to_str().unwrap(),
        "--traffic",
        traffic.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    kdp_migrate(&args)
}

fn decisions(output: &Output) -> Vec<ReplayRecord> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|error| panic!("{line}: {error}")))
        .collect()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// (entry, api, action, status, location, upstream host, upstream path) of a decision.
type Row<'a> = (
    &'a str,
    Option<&'a str>,
    ObservedAction,
    Option<u16>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
);

fn row(decision: &ReplayRecord) -> Row<'_> {
    (
        decision.entry.as_str(),
        decision.api.as_deref(),
        decision.action,
        decision.status,
        decision.location.as_deref(),
        decision.upstream_host.as_deref(),
        decision.upstream_path.as_deref(),
    )
}

fn file_log_rows(kong_routes: bool) -> Vec<Row<'static>> {
    let unknown = |host: &'static str, path: &'static str| -> Row<'static> {
        if kong_routes {
            (
                "unknown",
                None,
                ObservedAction::Reject,
                Some(404),
                None,
                None,
                None,
            )
        } else {
            (
                "unknown",
                None,
                ObservedAction::Pass,
                None,
                None,
                Some(host),
                Some(path),
            )
        }
    };
    vec![
        (
            "legacy",
            Some("api01"),
            ObservedAction::Redirect,
            Some(308),
            Some("https://dev-01.aliyun.cloud.cn.aibang/api01/v1/orders?id=7"),
            None,
            None,
        ),
        (
            "legacy",
            Some("api02"),
            ObservedAction::Redirect,
            Some(308),
            Some("https://dev-01.aliyun.cloud.cn.aibang/api02/v1/payments"),
            None,
            None,
        ),
        (
            "legacy",
            Some("api02"),
            ObservedAction::Redirect,
            Some(308),
            Some("https://dev-01.aliyun.cloud.cn.aibang/api02/"),
            None,
            None,
        ),
        (
            "legacy",
            Some("api01"),
            ObservedAction::Reject,
            Some(400),
            None,
            None,
            None,
        ),
        (
            "short",
            Some("api01"),
            ObservedAction::Proxy,
            None,
            None,
            Some(API01_LONG),
            Some("/orders?id=7&sort=desc"),
        ),
        (
            "short",
            Some("api02"),
            ObservedAction::Proxy,
            None,
            None,
            Some(API02_LONG),
            Some("/v1/items?id=1"),
        ),
        (
            "short",
            Some("api02"),
            ObservedAction::Proxy,
            None,
            None,
            Some(API02_LONG),
            Some("/"),
        ),
        (
            "short",
            Some("api01"),
            ObservedAction::Proxy,
            None,
            None,
            Some(API01_LONG),
            Some("/"),
        ),
        (
            "short",
            None,
            ObservedAction::Reject,
            Some(404),
            None,
            None,
            None,
        ),
        (
            "short",
            None,
            ObservedAction::Reject,
            Some(404),
            None,
            None,
            None,
        ),
        (
            "short",
            Some("api01"),
            ObservedAction::Reject,
            Some(400),
            None,
            None,
            None,
        ),
        (
            "short",
            Some("api01"),
            ObservedAction::Reject,
            Some(400),
            None,
            None,
            None,
        ),
        (
            "long",
            Some("api01"),
            ObservedAction::Pass,
            None,
            None,
            Some(API01_LONG),
            Some("/v1/orders?id=8"),
        ),
        (
            "long",
            Some("api02"),
            ObservedAction::Pass,
            None,
            None,
            Some(API02_LONG),
            Some("/v1/items/3"),
        ),
        unknown("www.example.org", "/index.html"),
        unknown("api99.source-team1.dev.aliyun.cloud.cn.aibang", "/v1/x"),
    ]
}

#[test]
fn replays_the_kong_file_log_sample_in_both_modes() {
    for host in ["kong", "envoy"] {
        let output = replay(&sample("kong-file-log.jsonl"), &["--engine", host]);
        assert_eq!(output.status.code(), Some(0), "{host}: {}", stderr(&output));
        let decisions = decisions(&output);
        let rows: Vec<Row<'_>> = decisions.iter().map(row).collect();
        assert_eq!(rows, file_log_rows(false), "{host}");
        let numbers: Vec<u64> = decisions.iter().map(|decision| decision.n).collect();
        assert_eq!(numbers, (1..=16).collect::<Vec<_>>());
        // Host and path as recorded, not normalised.
        assert_eq!(decisions[5].host, "DEV-01.aliyun.cloud.cn.aibang:443");
        assert_eq!(decisions[10].path, "/api01/%2e%2e/admin");
        assert!(decisions.iter().all(|decision| decision.error.is_none()));
    }
}

#[test]
fn output_lines_have_exactly_the_contract_keys_in_order() {
    let output = replay(&sample("kong-file-log.jsonl"), &[]);
    let first = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        first,
        concat!(
            r#"{"n":1,"method":"GET","host":"api01.source-team1.dev.aliyun.cloud.cn.aibang","path":"/v1/orders?id=7","#,
            r#""entry":"legacy","api":"api01","action":"redirect","status":308,"#,
            r#""location":"https://dev-01.aliyun.cloud.cn.aibang/api01/v1/orders?id=7","#,
            r#""upstream_host":null,"upstream_path":null,"error":null}"#
        )
    );
}

#[test]
fn the_summary_counts_per_api_entry_and_action() {
    let output = replay(&sample("kong-file-log.jsonl"), &[]);
    assert_eq!(
        stderr(&output),
        concat!(
            "replayed 16 requests: 0 errors, 0 malformed entries skipped\n",
            "api    entry       proxy  redirect    reject      pass     error     total\n",
            "api01  short           2         0         2         0         0         4\n",
            "api01  long            0         0         0         1         0         1\n",
            "api01  legacy          0         1         1         0         0         2\n",
            "api02  short           2         0         0         0         0         2\n",
            "api02  long            0         0         0         1         0         1\n",
            "api02  legacy          0         2         0         0         0         2\n",
            "-      short           0         0         2         0         0         2\n",
            "-      unknown         0         0         0         2         0         2\n",
        )
    );
}

#[test]
fn kong_routing_runs_each_routes_chain_and_kong_answers_404_without_a_route() {
    // The same decisions with kdp_migrate alone on each route and with the split filters' chains.
    for file in ["kong/kong.yml", "kong/kong-chains.yml"] {
        let kong = workspace().join(file);
        let output = replay(
            &sample("kong-file-log.jsonl"),
            &["--kong", kong.to_str().unwrap()],
        );
        assert_eq!(output.status.code(), Some(0), "{file}: {}", stderr(&output));
        let decisions = decisions(&output);
        let mut expected = file_log_rows(true);
        // `Host: DEV-01.aliyun.cloud.cn.aibang:443`: Kong 3.9 compares hosts case-sensitively
        // (Kong/kong#14198), so no route takes it and Kong answers 404 itself, no filter running.
        assert_eq!(decisions[5].host, "DEV-01.aliyun.cloud.cn.aibang:443");
        expected[5] = (
            "short",
            Some("api02"),
            ObservedAction::Reject,
            Some(404),
            None,
            None,
            None,
        );
        assert_eq!(
            decisions.iter().map(row).collect::<Vec<_>>(),
            expected,
            "{file}"
        );
    }
}

#[test]
fn replays_http_log_batches_and_har() {
    let output = replay(&sample("kong-http-log.jsonl"), &["--format", "kong"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let rows: Vec<(String, ObservedAction)> = decisions(&output)
        .iter()
        .map(|d| (d.path.clone(), d.action))
        .collect();
    assert_eq!(
        rows,
        [
            ("/v2/orders".to_owned(), ObservedAction::Redirect),
            ("/api01/v2/orders".to_owned(), ObservedAction::Proxy),
            ("/api02/health".to_owned(), ObservedAction::Proxy)
        ]
    );

    for host in ["kong", "envoy"] {
        let output = replay(&sample("browser.har"), &["--engine", host]);
        assert_eq!(output.status.code(), Some(0), "{host}: {}", stderr(&output));
        let decisions = decisions(&output);
        let rows: Vec<Row<'_>> = decisions.iter().map(row).collect();
        assert_eq!(
            rows,
            vec![
                (
                    "legacy",
                    Some("api01"),
                    ObservedAction::Redirect,
                    Some(308),
                    Some("https://dev-01.aliyun.cloud.cn.aibang/api01/v1/orders?id=7"),
                    None,
                    None
                ),
                (
                    "legacy",
                    Some("api02"),
                    ObservedAction::Redirect,
                    Some(308),
                    Some("https://dev-01.aliyun.cloud.cn.aibang/api02/login"),
                    None,
                    None
                ),
                (
                    "short",
                    Some("api01"),
                    ObservedAction::Proxy,
                    None,
                    None,
                    Some(API01_LONG),
                    Some("/orders?id=7")
                ),
                (
                    "short",
                    Some("api02"),
                    ObservedAction::Proxy,
                    None,
                    None,
                    Some(API02_LONG),
                    Some("/")
                ),
                (
                    "short",
                    None,
                    ObservedAction::Reject,
                    Some(404),
                    None,
                    None,
                    None
                ),
                (
                    "short",
                    Some("api01"),
                    ObservedAction::Reject,
                    Some(400),
                    None,
                    None,
                    None
                ),
                (
                    "short",
                    Some("api02"),
                    ObservedAction::Reject,
                    Some(400),
                    None,
                    None,
                    None
                ),
                (
                    "long",
                    Some("api02"),
                    ObservedAction::Pass,
                    None,
                    None,
                    Some(API02_LONG),
                    Some("/v1/items?page=2")
                ),
                (
                    "unknown",
                    None,
                    ObservedAction::Pass,
                    None,
                    None,
                    Some("cdn.example.net"),
                    Some("/app.js")
                ),
            ],
            "{host}"
        );
        assert_eq!(decisions[2].host, SHORT);
        assert_eq!(decisions[8].method, "OPTIONS");
    }
}

#[test]
fn malformed_lines_are_reported_counted_skipped_and_exit_1() {
    let traffic = sample("malformed.jsonl");
    let output = replay(&traffic, &[]);
    assert_eq!(output.status.code(), Some(1));
    let file = traffic.display().to_string();
    let expected_reports = [
        "2: not JSON: expected ident at line 1 column 2",
        "3: request.method is missing",
        "4: neither a Kong log entry nor a JSONL request",
        "6: request.uri does not start with /",
        "7: entry 2: request.headers.host is missing",
        "8: response.status is not an HTTP status",
        "9: not JSON: EOF while parsing a value at line 1 column 56",
    ]
    .map(|report| format!("{file}:{report}"));
    let stderr = stderr(&output);
    let reports: Vec<&str> = stderr.lines().take(expected_reports.len()).collect();
    assert_eq!(reports, expected_reports);
    assert!(
        stderr.contains("\nreplayed 3 requests: 0 errors, 7 malformed entries skipped\n"),
        "{stderr}"
    );
    let decisions = decisions(&output);
    let rows: Vec<(u64, &str, ObservedAction)> = decisions
        .iter()
        .map(|d| (d.n, d.path.as_str(), d.action))
        .collect();
    assert_eq!(
        rows,
        [
            (1, "/api01/ok", ObservedAction::Proxy),
            (2, "/api02/in-batch", ObservedAction::Proxy),
            (3, "/ok", ObservedAction::Redirect)
        ]
    );
}

#[test]
fn a_trapping_filter_is_that_requests_error_and_the_replay_goes_on() {
    let dir = scratch("trap");
    let filters = dir.join("filters");
    std::fs::create_dir_all(&filters).unwrap();
    for name in ["migration_telemetry", "short_domain_router"] {
        std::fs::copy(
            filters_dir().join(format!("{name}.wasm")),
            filters.join(format!("{name}.wasm")),
        )
        .unwrap();
    }
    std::fs::copy(
        trap_filters_dir().join("test_trap.wasm"),
        filters.join("test_trap.wasm"),
    )
    .unwrap();
    let map = std::fs::read_to_string(seed_map_path()).unwrap();
    let kong = dir.join("kong.yml");
    std::fs::write(
        &kong,
        format!(
            "_format_version: \"3.0\"\nservices:\n- name: s\n  url: http://127.0.0.1:9\n  routes:\n  - name: short\n    hosts: [{SHORT}]\n    strip_path: false\n    preserve_host: true\n    filter_chains:\n    - filters:\n      - name: migration_telemetry\n        config: {map}\n      - name: test_trap\n      - name: short_domain_router\n        config: {map}\n",
            map = map.replace('\n', " ")
        ),
    )
    .unwrap();
    let traffic = dir.join("traffic.jsonl");
    std::fs::write(
        &traffic,
        format!(
            "{{\"method\":\"GET\",\"host\":\"{SHORT}\",\"path\":\"/api01/a\",\"headers\":{{}}}}\n\
             {{\"method\":\"GET\",\"host\":\"{SHORT}\",\"path\":\"/api01/b\",\"headers\":{{\"x-test-trap\":\"request_headers\"}}}}\n\
             {{\"method\":\"GET\",\"host\":\"{SHORT}\",\"path\":\"/api01/c\",\"headers\":{{}}}}\n"
        ),
    )
    .unwrap();
    let map_path = seed_map_path();
    let output = Command::new(env!("CARGO_BIN_EXE_kdp-migrate"))
        .args([
            "replay",
            "--filters",
            filters.to_str().unwrap(),
            "--kong",
            kong.to_str().unwrap(),
        ])
        .args([
            "--map",
            map_path.to_str().unwrap(),
            "--traffic",
            traffic.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let decisions = decisions(&output);
    let actions: Vec<ObservedAction> = decisions.iter().map(|decision| decision.action).collect();
    assert_eq!(
        actions,
        [
            ObservedAction::Proxy,
            ObservedAction::Error,
            ObservedAction::Proxy
        ]
    );
    let error = decisions[1].error.as_deref().unwrap();
    assert!(
        error.starts_with("filter test_trap trapped in on_request_headers: wasm trap: wasm `unreachable` instruction executed (panicked at "),
        "{error}"
    );
    assert!(
        error.ends_with(": test_trap: trap requested in request_headers)"),
        "{error}"
    );
    assert_eq!(
        (decisions[1].status, decisions[1].upstream_host.as_deref()),
        (None, None)
    );
    let stderr = stderr(&output);
    assert!(
        stderr.starts_with("replayed 3 requests: 1 errors, 0 malformed entries skipped\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("errors:\n  #2 GET {SHORT}/api01/b: {error}\n")),
        "{stderr}"
    );
}

#[test]
fn out_writes_the_decisions_to_a_file_and_yaml_maps_work() {
    let dir = scratch("out");
    let map = dir.join("map.yaml");
    std::fs::write(
        &map,
        "short_host: dev-01.aliyun.cloud.cn.aibang\nlong_host: \"{api}.target-team2.dev.aliyun.cloud.cn.aibang\"\nlegacy_hosts: [\"{api}.source-team1.dev.aliyun.cloud.cn.aibang\"]\napis: [{name: api01}, {name: api02}]\n",
    )
    .unwrap();
    let out = dir.join("decisions.jsonl");
    let traffic = sample("kong-file-log.jsonl");
    let output = kdp_migrate(&[
        "--map",
        map.to_str().unwrap(),
        "--traffic",
        traffic.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(written.lines().count(), 16);
    let first: ReplayRecord = serde_json::from_str(written.lines().next().unwrap()).unwrap();
    assert_eq!(first.action, ObservedAction::Redirect);
}

#[test]
fn unusable_input_exits_2_with_a_message() {
    let dir = scratch("unusable");
    let traffic = sample("kong-file-log.jsonl");
    let traffic = traffic.to_str().unwrap();

    let output = kdp_migrate(&["--map", "/nonexistent/map.json", "--traffic", traffic]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "kdp-migrate: --map /nonexistent/map.json: No such file or directory (os error 2)\n"
    );

    let refused = dir.join("refused.json");
    std::fs::write(
        &refused,
        r#"{"short_host":"dev-01.example","apis":[{"name":"api01"}],"legacy":{"status":200}}"#,
    )
    .unwrap();
    let output = kdp_migrate(&["--map", refused.to_str().unwrap(), "--traffic", traffic]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        format!(
            "kdp-migrate: --map {}: legacy.status: 200 is not an allowed redirect status (301, 302, 303, 307, 308)\n",
            refused.display()
        )
    );

    let empty = dir.join("no-filters");
    std::fs::create_dir_all(&empty).unwrap();
    let map = seed_map_path();
    let output = Command::new(env!("CARGO_BIN_EXE_kdp-migrate"))
        .args([
            "replay",
            "--filters",
            empty.to_str().unwrap(),
            "--map",
            map.to_str().unwrap(),
            "--traffic",
            traffic,
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        format!(
            "kdp-migrate: filter host_rewrite: {}/host_rewrite.wasm not found (run scripts/build-filters.sh to build the filters)\n",
            empty.display()
        )
    );

    let output = replay(&sample("kong-file-log.jsonl"), &["--format", "har"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        format!(
            "kdp-migrate: {traffic}:1: not a HAR document: missing field `log` at line 1 column 664\n"
        )
    );

    let output = replay(&sample("kong-file-log.jsonl"), &["--host", "nginx"]);
    assert_eq!(output.status.code(), Some(2));
}
