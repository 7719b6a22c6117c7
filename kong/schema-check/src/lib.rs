//! Checks for the Kong kit in `kong/`: the `<filter>.meta.json` files, the fixtures they are tested
//! with, the Prometheus label patterns, and the declarative `kong.yml`.
//!
//! The tests live in `tests/`; this library holds what they share:
//! - where the kit is ([`kong_dir`]) and which filters ship a `meta.json` ([`FILTERS`]);
//! - how a `meta.json` is rendered from its single source of truth, `kong/config_schema.json`
//!   (plus `kong/metrics.json` for the filters that count requests) — [`render_meta`];
//! - a model of how Kong 3.9's Prometheus plugin turns a Proxy-Wasm metric key into a series
//!   ([`kong_prometheus_series`]), so the label patterns are tested the way Kong applies them.
//!
//! - what Kong 3.9's own validator (lua-resty-ljsonschema) sees that a draft-04 validator does
//!   not: Lua numbers ([`as_lua_numbers`]) and PCRE's `$` ([`pcre_patterns`]); [`kong_validator`]
//!   puts both together.
//!
//! Regenerate the `meta.json` files after editing the schema or the label patterns with
//! `kong/gen-meta.sh` (it runs the `meta` test with `KDP_REGENERATE_META=1`).

use jsonschema::{PatternOptions, Validator};
use regex::Regex;
use serde_json::Value;
use std::path::PathBuf;

/// Every filter that ships in `dist/kong-filters/` with a `meta.json`.
pub const FILTERS: [&str; 5] = [
    "short_domain_router",
    "host_rewrite",
    "legacy_redirect",
    "migration_telemetry",
    "kdp_migrate",
];

/// The filters that carry the telemetry role, hence counters, hence `metrics.label_patterns`.
pub const TELEMETRY_FILTERS: [&str; 2] = ["migration_telemetry", "kdp_migrate"];

/// The `kong/` folder of the workspace.
pub fn kong_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The fixtures folder of this crate.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Whether `filter` counts requests and so gets `metrics.label_patterns`.
pub fn has_metrics(filter: &str) -> bool {
    TELEMETRY_FILTERS.contains(&filter)
}

/// The text of `kong/<filter>.meta.json`, built from the text of `kong/config_schema.json` and,
/// for telemetry filters, of `kong/metrics.json`.
///
/// The sources are embedded as written (re-indented), so the generated files read like them.
pub fn render_meta(config_schema: &str, metrics: Option<&str>) -> String {
    let mut out = String::from("{\n  \"config_schema\": ");
    out.push_str(&indent_tail(config_schema.trim()));
    if let Some(metrics) = metrics {
        out.push_str(",\n  \"metrics\": ");
        out.push_str(&indent_tail(metrics.trim()));
    }
    out.push_str("\n}\n");
    out
}

/// Indents every line but the first by two spaces (the first follows a key on the same line).
fn indent_tail(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for (index, line) in text.lines().enumerate() {
        if index > 0 {
            out.push('\n');
            if !line.is_empty() {
                out.push_str("  ");
            }
        }
        out.push_str(line);
    }
    out
}

/// A config value as Kong 3.9's validator sees it: numbers are Lua doubles, so a whole number is
/// an integer whatever its notation (`308.0`, `3e2`, `-0`; lua-resty-ljsonschema types integers
/// with `math.fmod(v, 1.0) == 0.0`), where a draft-04 validator takes only `308` as an integer.
/// Whole numbers within `i64`/`u64` become integers; everything else is unchanged.
pub fn as_lua_numbers(value: &Value) -> Value {
    match value {
        Value::Number(number) if number.is_f64() => {
            let float = number.as_f64().unwrap_or(f64::NAN);
            if float.fract() == 0.0 && (0.0..18_446_744_073_709_551_616.0).contains(&float) {
                Value::from(float as u64)
            } else if float.fract() == 0.0 && (-9_223_372_036_854_775_808.0..0.0).contains(&float) {
                Value::from(float as i64)
            } else {
                value.clone()
            }
        }
        Value::Array(items) => Value::Array(items.iter().map(as_lua_numbers).collect()),
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(name, member)| (name.clone(), as_lua_numbers(member)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A regex whose `$` means what it means in PCRE (Kong runs schema patterns with `ngx.re.find`,
/// lua-resty-ljsonschema `init.lua:46-50`): the end of the subject **or just before a final
/// newline**, written for Rust's `regex` as `(?:\n?\z)`. `$` inside a class or escaped is left
/// alone. (Python's `re` has the same `$`; `kong/README.md` says how it was cross-checked.)
pub fn pcre_dollar(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut in_class = false;
    let mut escaped = false;
    for c in pattern.chars() {
        match c {
            _ if escaped => {
                escaped = false;
                out.push(c);
            }
            '\\' => {
                escaped = true;
                out.push(c);
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '$' if !in_class => out.push_str("(?:\\n?$)"),
            _ => out.push(c),
        }
    }
    out
}

/// The schema with every `pattern` rewritten by [`pcre_dollar`].
pub fn pcre_patterns(schema: &Value) -> Value {
    match schema {
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(name, member)| {
                    let member = match (name.as_str(), member) {
                        ("pattern", Value::String(pattern)) => Value::String(pcre_dollar(pattern)),
                        _ => pcre_patterns(member),
                    };
                    (name.clone(), member)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(pcre_patterns).collect()),
        other => other.clone(),
    }
}

/// A draft-04 validator that judges like Kong 3.9's: PCRE's `$` in patterns; use it on
/// [`as_lua_numbers`] of the value. (Not modelled: that an empty table satisfies both
/// `"type": "object"` and `"type": "array"` in Kong, `ljs@init.lua:442-447`.)
pub fn kong_validator(config_schema: &Value) -> Result<Validator, String> {
    jsonschema::draft4::options()
        .with_pattern_options(PatternOptions::regex())
        .build(&pcre_patterns(config_schema))
        .map_err(|error| error.to_string())
}

/// Whether Kong 3.9 accepts `value` as the config of a filter with this validator.
pub fn kong_accepts(validator: &Validator, value: &Value) -> bool {
    validator.is_valid(&as_lua_numbers(value))
}

/// One entry of `metrics.label_patterns`, compiled.
#[derive(Debug)]
pub struct LabelPattern {
    /// The Prometheus label name.
    pub label: String,
    /// The pattern: capture 1 is the text cut from the metric name, capture 2 the label value.
    pub pattern: Regex,
}

/// A Prometheus series as Kong 3.9 exports a Proxy-Wasm metric.
#[derive(Debug, PartialEq, Eq)]
pub struct Series {
    /// The metric name, e.g. `pw_kdp_migrate_requests_total`.
    pub name: String,
    /// `(label, value)` in the order of the label patterns.
    pub labels: Vec<(String, String)>,
}

/// Models `parse_key`/`parse_pw_key` of Kong 3.9's `kong/plugins/prometheus/wasmx.lua` for a key
/// `pw:<filter>:<metric>` (ngx_wasm_module's storage name of a filter's metric):
///
/// - each label pattern is matched (`ngx.re.match`, unanchored) against the whole key; capture 2
///   is the label value;
/// - the label's position is `match end - len(capture 1)`, i.e. where capture 1 starts when it
///   ends the match; the key is cut at the smallest such position over all patterns;
/// - `:` becomes `_` in what is left.
///
/// Returns `None` for a key that is not `pw:<filter>:<metric>`.
pub fn kong_prometheus_series(key: &str, patterns: &[LabelPattern]) -> Option<Series> {
    let rest = key.strip_prefix("pw:")?;
    let (filter, metric) = rest.split_once(':')?;
    if filter.is_empty() || metric.is_empty() {
        return None;
    }
    let mut cut = key.len();
    let mut labels = Vec::new();
    for entry in patterns {
        let Some(captures) = entry.pattern.captures(key) else {
            continue;
        };
        let (Some(whole), Some(stripped), Some(value)) =
            (captures.get(0), captures.get(1), captures.get(2))
        else {
            continue;
        };
        // Kong: `l_pos = match_ctx.pos - #matches[1]` (1-based); here 0-based.
        let position = whole.end().saturating_sub(stripped.len());
        cut = cut.min(position);
        labels.push((entry.label.clone(), value.as_str().to_owned()));
    }
    let name = key.get(..cut)?.replace(':', "_");
    Some(Series { name, labels })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcre_dollar_also_matches_before_a_final_newline() {
        assert_eq!(pcre_dollar("^a$"), "^a(?:\\n?$)");
        assert_eq!(pcre_dollar("^[$]\\$$"), "^[$]\\$(?:\\n?$)");
        let pcre = Regex::new(&pcre_dollar("^[a-z]+$")).unwrap();
        assert!(pcre.is_match("abc") && pcre.is_match("abc\n"));
        assert!(!pcre.is_match("abc\n\n") && !pcre.is_match("abc\nd"));
    }

    #[test]
    fn whole_numbers_are_integers_to_lua() {
        let value: Value = serde_json::from_str(r#"{"a":[308.0,-0.0,3e2,1.5,-2.0,7]}"#).unwrap();
        assert_eq!(
            as_lua_numbers(&value).to_string(),
            r#"{"a":[308,0,300,1.5,-2,7]}"#
        );
    }

    #[test]
    fn render_meta_embeds_sources_reindented() {
        let text = render_meta("{\n  \"type\": \"object\"\n}\n", Some("{\n  \"a\": 1\n}"));
        assert_eq!(
            text,
            "{\n  \"config_schema\": {\n    \"type\": \"object\"\n  },\n  \"metrics\": {\n    \"a\": 1\n  }\n}\n"
        );
        assert_eq!(render_meta("{}", None), "{\n  \"config_schema\": {}\n}\n");
    }

    #[test]
    fn kong_series_model_matches_kongs_own_test() {
        // spec/03-plugins/26-prometheus/09-wasmx_spec.lua: `a_labeled_counter_s_id=<svc>_r_id=<route>`
        // with these two patterns becomes `pw_tests_a_labeled_counter{service="mock",route="mock-route"}`.
        let patterns = [
            LabelPattern {
                label: "service".into(),
                pattern: Regex::new("(_s_id=([0-9a-z%-]+))").unwrap(),
            },
            LabelPattern {
                label: "route".into(),
                pattern: Regex::new("(_r_id=([0-9a-z%-]+))").unwrap(),
            },
        ];
        let series = kong_prometheus_series(
            "pw:tests:a_labeled_counter_s_id=mock_r_id=mock-route",
            &patterns,
        )
        .unwrap();
        assert_eq!(series.name, "pw_tests_a_labeled_counter");
        assert_eq!(
            series.labels,
            vec![
                ("service".to_owned(), "mock".to_owned()),
                ("route".to_owned(), "mock-route".to_owned())
            ]
        );
        let plain = kong_prometheus_series("pw:tests:a_counter", &patterns).unwrap();
        assert_eq!(
            plain,
            Series {
                name: "pw_tests_a_counter".into(),
                labels: vec![]
            }
        );
        assert_eq!(kong_prometheus_series("wa:x:y", &patterns), None);
    }
}
