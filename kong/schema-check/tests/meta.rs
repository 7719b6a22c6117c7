//! The `kong/<filter>.meta.json` files: generated from one source, valid for Kong 3.9, and their
//! Prometheus label patterns right.
//!
//! Regenerate the files with `kong/gen-meta.sh` (this test with `KDP_REGENERATE_META=1`).

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

// Test-only crate target: helpers outside #[test] functions fail loudly on bad fixtures, by design.

use std::fs;

use kdp_migrate_core::{Action, Entry, counter_name};
use kdp_migrate_schema_check::{
    FILTERS, LabelPattern, Series, TELEMETRY_FILTERS, has_metrics, kong_dir,
    kong_prometheus_series, render_meta,
};
use regex::Regex;
use serde_json::{Value, json};

fn read(path: &std::path::Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn meta(filter: &str) -> Value {
    let path = kong_dir().join(format!("{filter}.meta.json"));
    serde_json::from_str(&read(&path)).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn label_patterns(filter: &str) -> Vec<LabelPattern> {
    let meta = meta(filter);
    let entries = meta["metrics"]["label_patterns"]
        .as_array()
        .unwrap_or_else(|| {
            panic!("{filter}.meta.json has no metrics.label_patterns");
        });
    entries
        .iter()
        .map(|entry| LabelPattern {
            label: entry["label"].as_str().unwrap().to_owned(),
            pattern: Regex::new(entry["pattern"].as_str().unwrap()).unwrap(),
        })
        .collect()
}

/// Each file is exactly what `config_schema.json` (+ `metrics.json`) renders to: one source of truth.
#[test]
fn meta_json_files_are_generated_from_config_schema() {
    let schema = read(&kong_dir().join("config_schema.json"));
    let metrics = read(&kong_dir().join("metrics.json"));
    let regenerate = std::env::var_os("KDP_REGENERATE_META").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    for filter in FILTERS {
        let path = kong_dir().join(format!("{filter}.meta.json"));
        let expected = render_meta(&schema, has_metrics(filter).then_some(metrics.as_str()));
        if regenerate {
            fs::write(&path, &expected).unwrap();
        } else if fs::read_to_string(&path).ok().as_deref() != Some(expected.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "out of date (run kong/gen-meta.sh after editing kong/config_schema.json or kong/metrics.json): {stale:?}"
    );
}

/// The five filters take the same map, so they carry the same schema, byte for byte.
#[test]
fn config_schema_is_identical_across_filters() {
    let source: Value =
        serde_json::from_str(&read(&kong_dir().join("config_schema.json"))).unwrap();
    for filter in FILTERS {
        assert_eq!(meta(filter)["config_schema"], source, "{filter}");
    }
}

/// Kong forces draft 4 (`json_schema.DRAFT_4`); the schema must be a valid draft-04 document and say so.
#[test]
fn config_schema_is_a_valid_draft_04_schema() {
    for filter in FILTERS {
        let schema = &meta(filter)["config_schema"];
        assert_eq!(
            schema["$schema"], "http://json-schema.org/draft-04/schema#",
            "{filter}"
        );
        if let Err(error) = jsonschema::draft4::meta::validate(schema) {
            panic!("{filter}: not a draft-04 schema: {error}");
        }
        jsonschema::draft4::new(schema).unwrap_or_else(|error| panic!("{filter}: {error}"));
    }
}

/// Kong 3.9 validates each meta.json at start-up (kong/runloop/wasm.lua `FILTER_META_SCHEMA`) and
/// refuses to start on a bad one; this is that schema, with `config_schema` checked above.
#[test]
fn meta_json_matches_kongs_filter_meta_schema() {
    let filter_meta_schema = json!({
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "properties": {
            "config_schema": { "type": "object" },
            "metrics": {
                "type": "object",
                "properties": {
                    "label_patterns": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["label", "pattern"],
                            "properties": {
                                "label": { "type": "string" },
                                "pattern": { "type": "string" }
                            }
                        }
                    }
                }
            }
        }
    });
    let validator = jsonschema::draft4::new(&filter_meta_schema).unwrap();
    for filter in FILTERS {
        let meta = meta(filter);
        let errors: Vec<String> = validator
            .iter_errors(&meta)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{filter}: {errors:?}");
        let keys: Vec<&str> = meta
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let expected: &[&str] = if has_metrics(filter) {
            &["config_schema", "metrics"]
        } else {
            &["config_schema"]
        };
        assert_eq!(
            keys, expected,
            "{filter}: telemetry filters only carry metrics"
        );
    }
}

/// Each pattern is a regex with exactly 2 groups, and group 1 ends where the match ends: Kong cuts the
/// metric name at `match end - len(group 1)` (wasmx.lua `parse_pw_key`), so group 1 must be the tail.
///
/// PCRE (Kong's `ngx.re.match`) and Rust's `regex` agree on these patterns: they only use literals,
/// ASCII classes, `+` and groups — no look-around, back-references, `\w`/`\d` (Unicode-aware in
/// Rust, ASCII in PCRE without `u`) or lazy quantifiers, where the two engines differ.
#[test]
fn label_patterns_have_two_groups_and_group_one_is_the_tail() {
    let label_name = Regex::new("^[a-zA-Z_][a-zA-Z0-9_]*$").unwrap();
    for filter in TELEMETRY_FILTERS {
        let patterns = label_patterns(filter);
        let labels: Vec<&str> = patterns.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["api", "entry", "action"], "{filter}");
        let sample = format!("pw:{filter}:requests_total_api=api01_entry=short_action=proxy");
        for entry in &patterns {
            assert_eq!(
                entry.pattern.captures_len(),
                3,
                "{filter} {}: 2 groups",
                entry.label
            );
            let captures = entry.pattern.captures(&sample).unwrap();
            let (whole, tail) = (captures.get(0).unwrap(), captures.get(1).unwrap());
            assert_eq!(
                tail.end(),
                whole.end(),
                "{filter} {}: group 1 must end the match",
                entry.label
            );
            assert!(!captures[2].is_empty(), "{filter} {}", entry.label);
            assert!(
                label_name.is_match(&entry.label),
                "Prometheus label name {}",
                entry.label
            );
        }
    }
}

/// Every counter the core can name turns into `pw_<filter>_requests_total{api,entry,action}`.
#[test]
fn every_counter_the_core_names_gets_its_three_labels() {
    let apis = [
        Some("api01"),
        Some("a"),
        Some("x-1-y"),
        Some("0123456789-abcdefghijklmnopqrstuvwxyz-0123456789-abcdefghijklm"),
        None,
    ];
    let entries = [Entry::Short, Entry::Long, Entry::Legacy, Entry::Unknown];
    let actions = [
        Action::Proxy,
        Action::Redirect,
        Action::Reject,
        Action::Pass,
    ];
    for filter in TELEMETRY_FILTERS {
        let patterns = label_patterns(filter);
        for api in apis {
            for entry in entries {
                for action in actions {
                    let key = format!("pw:{filter}:{}", counter_name(api, entry, action));
                    // ngx_wasm_module's max_metric_name_length (256) counts the `pw:<filter>:` prefix.
                    assert!(key.len() <= 256, "{key} is {} bytes", key.len());
                    let series = kong_prometheus_series(&key, &patterns).unwrap();
                    let expected = Series {
                        name: format!("pw_{filter}_requests_total"),
                        labels: vec![
                            ("api".into(), api.unwrap_or("-").into()),
                            ("entry".into(), entry.as_str().into()),
                            ("action".into(), action.as_str().into()),
                        ],
                    };
                    assert_eq!(series, expected, "{key}");
                }
            }
        }
    }
}

/// The exact names from the architecture contract, end to end.
#[test]
fn contract_examples_become_labelled_series() {
    let patterns = label_patterns("kdp_migrate");
    let series = kong_prometheus_series(
        "pw:kdp_migrate:requests_total_api=api01_entry=short_action=proxy",
        &patterns,
    )
    .unwrap();
    assert_eq!(series.name, "pw_kdp_migrate_requests_total");
    assert_eq!(
        series.labels,
        [("api", "api01"), ("entry", "short"), ("action", "proxy")]
            .map(|(l, v)| (l.to_owned(), v.to_owned()))
    );
    let unknown = kong_prometheus_series(
        "pw:migration_telemetry:requests_total_api=-_entry=unknown_action=pass",
        &label_patterns("migration_telemetry"),
    )
    .unwrap();
    assert_eq!(unknown.name, "pw_migration_telemetry_requests_total");
    assert_eq!(unknown.labels[0], ("api".to_owned(), "-".to_owned()));
    assert_eq!(
        counter_name(Some("api01"), Entry::Short, Action::Proxy),
        "requests_total_api=api01_entry=short_action=proxy"
    );
}
