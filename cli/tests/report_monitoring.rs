//! The dashboard (kong/grafana/kdp-migrate.json) and the alert rules
//! (kong/prometheus/kdp-migrate.rules.yml) query only series that exist: the filters' counters as
//! the real `.wasm` define them in host-test, named and labelled the way Kong 3.9's Prometheus plugin
//! (`kong/plugins/prometheus/wasmx.lua`, with `meta.json`'s label patterns) and Envoy 1.40 (with
//! envoy/envoy.yaml's tag extraction) export them, plus Kong's own series (kong-3.9.3.md §8.2).
//! And `promtool check rules` accepts the rules.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use common::{filters_dir, workspace};
use kdp_migrate_core::filters::{KDP_MIGRATE, MIGRATION_TELEMETRY};
use kdp_migrate_host_test::{Engine, FilterLibrary, FilterSpec, Host, Request};
use regex::Regex;
use serde_json::Value;

/// Series name → its labels.
type Series = BTreeMap<String, BTreeSet<String>>;

/// Requests that make the filters define their counters.
const REQUESTS: [(&str, &str); 4] = [
    ("dev-01.aliyun.cloud.cn.aibang", "/api01/x"),
    ("api01.source-team1.dev.aliyun.cloud.cn.aibang", "/x"),
    ("dev-01.aliyun.cloud.cn.aibang", "/nope"),
    ("www.example.org", "/"),
];

/// The metric names the real filters define in `engine`.
fn defined_metrics(engine: Engine) -> BTreeSet<String> {
    let dir = filters_dir();
    let map = std::fs::read(workspace().join("kong/map.json")).unwrap();
    let mut library = FilterLibrary::new().unwrap();
    for name in [MIGRATION_TELEMETRY, KDP_MIGRATE] {
        library
            .load(name, &dir.join(format!("{name}.wasm")))
            .unwrap();
    }
    let mut host = Host::new(&library, engine);
    let chains: Vec<_> = [MIGRATION_TELEMETRY, KDP_MIGRATE]
        .iter()
        .map(|name| {
            host.add_chain(&[FilterSpec::new(name, map.clone())])
                .unwrap()
        })
        .collect();
    for chain in chains {
        for (host_name, path) in REQUESTS {
            host.run(chain, &Request::new("GET", host_name, path));
        }
    }
    host.metrics()
        .iter()
        .map(|metric| metric.name.clone())
        .collect()
}

/// Kong 3.9's `wasmx.lua` `parse_pw_key`: the patterns applied in order, each search starting where
/// the previous match ended; capture 1 is cut, capture 2 is the label; the name ends where the
/// first cut starts; `:` becomes `_`.
fn kong_series(stored: &str, patterns: &[(String, Regex)]) -> (String, BTreeSet<String>) {
    let mut labels = BTreeSet::new();
    let mut from = 0;
    let mut name_end = stored.len();
    for (label, pattern) in patterns {
        if let Some(captures) = pattern.captures_at(stored, from) {
            let cut = captures.get(1).unwrap();
            name_end = name_end.min(cut.start());
            from = captures.get(0).unwrap().end();
            labels.insert(label.clone());
        }
    }
    (stored[..name_end].replace(':', "_"), labels)
}

/// Envoy 1.40: `wasmcustom.` + the name; each tag regex of envoy.yaml cuts its first group from the
/// name and names a label; the custom namespace is exported without `envoy_` and without itself.
fn envoy_series(defined: &str, tags: &[(String, Regex)]) -> (String, BTreeSet<String>) {
    let full = format!("wasmcustom.{defined}");
    let mut cuts = Vec::new();
    let mut labels = BTreeSet::new();
    for (tag, regex) in tags {
        if let Some(captures) = regex.captures(&full) {
            cuts.push(captures.get(1).unwrap().range());
            labels.insert(tag.clone());
        }
    }
    cuts.sort_by_key(|range| range.start);
    let mut name = String::new();
    let mut at = 0;
    for cut in cuts {
        name.push_str(&full[at..cut.start]);
        at = cut.end;
    }
    name.push_str(&full[at..]);
    let name = name.strip_prefix("wasmcustom.").unwrap().replace('.', "_");
    (name, labels)
}

fn emitted_series() -> Series {
    let mut series = Series::new();
    let meta: Value = serde_json::from_slice(
        &std::fs::read(workspace().join("kong/migration_telemetry.meta.json")).unwrap(),
    )
    .unwrap();
    let patterns: Vec<(String, Regex)> = meta["metrics"]["label_patterns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["label"].as_str().unwrap().to_owned(),
                Regex::new(p["pattern"].as_str().unwrap()).unwrap(),
            )
        })
        .collect();
    for stored in defined_metrics(Engine::Kong) {
        let (name, labels) = kong_series(&stored, &patterns);
        series.entry(name).or_default().extend(labels);
    }
    let envoy = yaml(&workspace().join("envoy/envoy.yaml"));
    let tags: Vec<(String, Regex)> = envoy["stats_config"]["stats_tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tag| {
            (
                tag["tag_name"].as_str().unwrap().to_owned(),
                Regex::new(tag["regex"].as_str().unwrap()).unwrap(),
            )
        })
        .collect();
    for defined in defined_metrics(Engine::Envoy) {
        let (name, labels) = envoy_series(&defined, &tags);
        series.entry(name).or_default().extend(labels);
    }
    // Kong's own (kong-3.9.3.md §8.2); histograms as _bucket (with le), _sum and _count.
    let kong_labels = |names: &[&str]| {
        names
            .iter()
            .map(|n| (*n).to_owned())
            .collect::<BTreeSet<_>>()
    };
    series.insert(
        "kong_http_requests_total".to_owned(),
        kong_labels(&[
            "service",
            "route",
            "code",
            "source",
            "workspace",
            "consumer",
        ]),
    );
    for histogram in [
        "kong_request_latency_ms",
        "kong_upstream_latency_ms",
        "kong_kong_latency_ms",
    ] {
        let labels = kong_labels(&["service", "route", "workspace"]);
        let mut bucket = labels.clone();
        bucket.insert("le".to_owned());
        series.insert(format!("{histogram}_bucket"), bucket);
        series.insert(format!("{histogram}_sum"), labels.clone());
        series.insert(format!("{histogram}_count"), labels);
    }
    series
}

/// The metric names and the label names a PromQL expression uses.
fn names_in(expr: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    const WORDS: [&str; 22] = [
        "sum",
        "by",
        "rate",
        "increase",
        "or",
        "and",
        "on",
        "histogram_quantile",
        "vector",
        "time",
        "bool",
        "without",
        "ignoring",
        "max",
        "min",
        "avg",
        "count",
        "unless",
        "group_left",
        "group_right",
        "label_values",
        "offset",
    ];
    let strings = Regex::new(r#""(?:[^"\\]|\\.)*""#).unwrap();
    let text = strings.replace_all(expr, "\"\"");
    let matchers = Regex::new(r"\{([^}]*)\}").unwrap();
    let label = Regex::new(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)").unwrap();
    let mut labels = BTreeSet::new();
    for captures in matchers.captures_iter(&text) {
        for l in label.captures_iter(&captures[1]) {
            labels.insert(l[1].to_owned());
        }
    }
    let text = matchers.replace_all(&text, " ");
    let grouping = Regex::new(r"\b(?:by|on|without|ignoring)\s*\(([^)]*)\)").unwrap();
    for captures in grouping.captures_iter(&text) {
        labels.extend(
            captures[1]
                .split(',')
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned),
        );
    }
    let text = grouping.replace_all(&text, " ");
    let text = Regex::new(r"\[[^\]]*\]|\$\w+|\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b")
        .unwrap()
        .replace_all(&text, " ");
    let identifier = Regex::new(r"[a-zA-Z_:][a-zA-Z0-9_:]*").unwrap();
    let metrics = identifier
        .find_iter(&text)
        .map(|m| m.as_str().to_owned())
        .filter(|word| !WORDS.contains(&word.as_str()))
        .collect();
    (metrics, labels)
}

fn yaml(path: &std::path::Path) -> Value {
    kdp_migrate_cli::yaml::parse(&std::fs::read_to_string(path).unwrap())
        .unwrap()
        .value
}

fn rules() -> Value {
    yaml(&workspace().join("kong/prometheus/kdp-migrate.rules.yml"))
}

/// (where, expression) of every rule, and the recorded series the rules define.
fn rule_expressions() -> (Vec<(String, String)>, BTreeSet<String>) {
    let mut expressions = Vec::new();
    let mut recorded = BTreeSet::new();
    for group in rules()["groups"].as_array().unwrap() {
        for rule in group["rules"].as_array().unwrap() {
            let name = rule["record"].as_str().or(rule["alert"].as_str()).unwrap();
            if rule["record"].is_string() {
                recorded.insert(name.to_owned());
            }
            expressions.push((
                format!("rule {name}"),
                rule["expr"].as_str().unwrap().to_owned(),
            ));
        }
    }
    (expressions, recorded)
}

fn dashboard() -> Value {
    serde_json::from_slice(
        &std::fs::read(workspace().join("kong/grafana/kdp-migrate.json")).unwrap(),
    )
    .unwrap()
}

fn dashboard_expressions() -> Vec<(String, String)> {
    let dashboard = dashboard();
    let mut expressions = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            expressions.push((
                format!("panel {:?}", panel["title"].as_str().unwrap()),
                target["expr"].as_str().unwrap().to_owned(),
            ));
        }
    }
    expressions
}

#[test]
fn the_filters_export_the_series_the_monitoring_expects() {
    let series = emitted_series();
    let names: BTreeSet<&str> = series.keys().map(String::as_str).collect();
    for name in [
        "pw_migration_telemetry_requests_total",
        "pw_kdp_migrate_requests_total",
        "requests_total",
    ] {
        assert!(names.contains(name), "{name} not in {names:?}");
        let labels: Vec<&str> = series[name].iter().map(String::as_str).collect();
        assert_eq!(labels, ["action", "api", "entry"], "{name}");
    }
}

#[test]
fn every_expression_names_series_and_labels_that_exist() {
    let series = emitted_series();
    let (rule_exprs, recorded) = rule_expressions();
    let mut checked = 0;
    for (place, expr) in rule_exprs.iter().chain(&dashboard_expressions()) {
        let (metrics, labels) = names_in(expr);
        assert!(!metrics.is_empty(), "{place}: no metric in {expr}");
        let mut known_labels: BTreeSet<&str> = BTreeSet::new();
        for metric in &metrics {
            if recorded.contains(metric) {
                known_labels.extend(["api", "entry", "action"]);
                continue;
            }
            let Some(its_labels) = series.get(metric) else {
                panic!("{place}: {metric} is not a series the filters or Kong export ({expr})");
            };
            known_labels.extend(its_labels.iter().map(String::as_str));
        }
        for label in &labels {
            assert!(
                known_labels.contains(label.as_str()),
                "{place}: label {label} is on none of {metrics:?}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 10, "{checked} expressions");
}

#[test]
fn the_dashboard_is_a_grafana_dashboard_over_a_chosen_prometheus() {
    let dashboard = dashboard();
    assert_eq!(dashboard["uid"], "kdp-migrate");
    let variables = dashboard["templating"]["list"].as_array().unwrap();
    assert_eq!(variables[0]["type"], "datasource");
    assert_eq!(variables[0]["query"], "prometheus");
    let mut ids = BTreeSet::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        assert!(
            ids.insert(panel["id"].as_u64().unwrap()),
            "panel ids are unique"
        );
        assert_eq!(panel["datasource"]["uid"], "${datasource}", "{panel}");
        let grid = &panel["gridPos"];
        assert!(
            grid["x"].as_u64().unwrap() + grid["w"].as_u64().unwrap() <= 24,
            "{panel}"
        );
        for target in panel["targets"].as_array().unwrap() {
            assert_eq!(target["datasource"]["uid"], "${datasource}");
        }
    }
}

#[test]
fn every_alert_has_a_summary_and_a_severity() {
    let mut alerts = Vec::new();
    for group in rules()["groups"].as_array().unwrap() {
        for rule in group["rules"].as_array().unwrap() {
            if let Some(alert) = rule["alert"].as_str() {
                assert!(rule["labels"]["severity"].is_string(), "{alert}");
                assert!(rule["annotations"]["summary"].is_string(), "{alert}");
                alerts.push(alert.to_owned());
            }
        }
    }
    assert_eq!(
        alerts,
        [
            "KdpMigrateLegacyTrafficAfterSunset",
            "KdpMigrateRejectSpike",
            "KdpMigrateShortEntry5xx"
        ]
    );
}

/// promtool from `PROMTOOL_BIN`, else what `scripts/setup-report-tools.sh` installed, else `PATH`.
fn promtool() -> PathBuf {
    if let Some(path) = std::env::var_os("PROMTOOL_BIN").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let installed = workspace().join("target/tools/prometheus/usr/bin/promtool");
    if installed.is_file() {
        return installed;
    }
    PathBuf::from("promtool")
}

#[test]
fn promtool_accepts_the_rules() {
    let bin = promtool();
    let output = Command::new(&bin)
        .args(["check", "rules"])
        .arg(workspace().join("kong/prometheus/kdp-migrate.rules.yml"))
        .output()
        .unwrap_or_else(|error| {
            panic!(
                "{}: {error}; install it with scripts/setup-report-tools.sh",
                bin.display()
            )
        });
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("SUCCESS: 5 rules found"), "{text}");
}
