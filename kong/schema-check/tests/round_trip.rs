//! Schema and core agree on what the filter **receives**, not only on the file as written: Kong
//! 3.9 re-encodes a filter's `config` between the declarative file and `on_configure`
//! (kong-3.9.3.md §6; the model is host-test's `engine::kong::filter_config`). No map Kong's
//! schema accepts may make a filter refuse its configuration:
//!
//! - every valid fixture, and ≥ 1,000 generated maps Kong's validator accepts (with notations,
//!   empty lists and member orders a declarative file may hold), pass the core after the round
//!   trip, and the core builds the same map from both;
//! - a table of the known round-trip cases, byte for byte;
//! - the core does not depend on member order (Kong's order changes between restarts).

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fs;

use jsonschema::Validator;
use kdp_migrate_core::MigrationMap;
use kdp_migrate_host_test::engine::kong::filter_config;
use kdp_migrate_schema_check::{fixtures_dir, kong_accepts, kong_dir, kong_validator};
use serde_json::{Map, Value, json};

fn validator() -> Validator {
    let meta: Value =
        serde_json::from_slice(&fs::read(kong_dir().join("kdp_migrate.meta.json")).unwrap())
            .unwrap();
    kong_validator(&meta["config_schema"]).unwrap()
}

/// What the filter receives for a config written as `value`.
fn delivered(value: &Value) -> Vec<u8> {
    filter_config(&serde_json::to_vec(value).unwrap()).unwrap()
}

/// The APIs the core builds, for comparing two maps (the map's own tables are hash maps).
fn core(bytes: &[u8]) -> Result<(String, Vec<kdp_migrate_core::Api>), String> {
    MigrationMap::from_json(bytes)
        .map(|map| (map.short_host().to_owned(), map.apis().to_vec()))
        .map_err(|error| error.to_string())
}

/// xorshift64*: deterministic, good enough to spread choices.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick(&mut self, items: &[Value]) -> Value {
        items[self.below(items.len())].clone()
    }
}

/// The same value with every object's members in another order.
fn reordered(value: &Value, rng: &mut Rng) -> Value {
    match value {
        Value::Object(members) => {
            let mut entries: Vec<(String, Value)> = members
                .iter()
                .map(|(name, member)| (name.clone(), reordered(member, rng)))
                .collect();
            for i in (1..entries.len()).rev() {
                entries.swap(i, rng.below(i + 1));
            }
            let mut map = Map::new();
            for (name, member) in entries {
                map.insert(name, member);
            }
            Value::Object(map)
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|item| reordered(item, rng)).collect())
        }
        other => other.clone(),
    }
}

#[test]
fn every_valid_fixture_passes_the_core_after_kongs_round_trip() {
    let validator = validator();
    let mut failures = Vec::new();
    let mut paths: Vec<_> = fs::read_dir(fixtures_dir().join("valid"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    paths.sort();
    assert!(paths.len() > 30);
    for path in paths {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let value: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        assert!(
            kong_accepts(&validator, &value),
            "{name}: Kong's schema refuses it"
        );
        let after = delivered(&value);
        match (core(&after), core(&serde_json::to_vec(&value).unwrap())) {
            (Ok(received), Ok(written)) if received == written => {}
            (Ok(_), Ok(_)) => failures.push(format!("{name}: the core builds another map")),
            (received, written) => failures.push(format!(
                "{name}: after the round trip {received:?}, as written {written:?}\n  received: {}",
                String::from_utf8_lossy(&after)
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Maps built from what a declarative file may hold: optional fields in or out, empty lists,
/// whole numbers in every notation Kong calls an integer, strings with `/`, members in any order.
fn generated_map(rng: &mut Rng) -> Value {
    let mut map = Map::new();
    map.insert(
        "short_host".into(),
        rng.pick(&[
            json!("dev-01.aliyun.cloud.cn.aibang"),
            json!("S.example."),
            json!("x"),
        ]),
    );
    if rng.chance(80) {
        map.insert(
            "long_host".into(),
            rng.pick(&[
                json!("{api}.long.example"),
                json!("svc-{api}.a.b"),
                json!("{api}"),
            ]),
        );
    }
    if rng.chance(70) {
        let hosts = match rng.below(3) {
            0 => json!([]),
            1 => json!(["{api}.old.example"]),
            _ => json!(["{api}.old.example", "old-{api}.example."]),
        };
        map.insert("legacy_hosts".into(), hosts);
    }
    let mut apis = Vec::new();
    for index in 0..=rng.below(3) {
        let mut api = Map::new();
        api.insert("name".into(), json!(format!("api{index:02}")));
        if rng.chance(40) {
            api.insert(
                "prefix".into(),
                json!(format!("/v{}/api{index:02}", rng.below(3))),
            );
        }
        if rng.chance(30) {
            api.insert("long_host".into(), json!(format!("a{index}.example")));
        }
        if rng.chance(30) {
            let hosts = if rng.chance(50) {
                json!([])
            } else {
                json!([format!("legacy{index}.example")])
            };
            api.insert("legacy_hosts".into(), hosts);
        }
        if rng.chance(30) {
            api.insert("legacy".into(), legacy_block(rng));
        }
        apis.push(Value::Object(api));
    }
    map.insert("apis".into(), Value::Array(apis));
    if rng.chance(60) {
        map.insert("legacy".into(), legacy_block(rng));
    }
    for (field, values) in [
        ("unmatched", [json!("reject"), json!("pass")]),
        ("rewrite_responses", [json!(true), json!(false)]),
        ("trailing_slash", [json!("forward"), json!("redirect")]),
        ("telemetry", [json!("log"), json!("filter_state")]),
    ] {
        if rng.chance(30) {
            map.insert(field.into(), rng.pick(&values));
        }
    }
    reordered(&Value::Object(map), rng)
}

fn legacy_block(rng: &mut Rng) -> Value {
    let mut block = Map::new();
    let numbers = |values: &[&str]| -> Vec<Value> {
        values
            .iter()
            .map(|text| serde_json::from_str(text).unwrap())
            .collect()
    };
    let fields: [(&str, Vec<Value>); 9] = [
        (
            "action",
            vec![json!("redirect"), json!("proxy"), json!("observe")],
        ),
        (
            "status",
            numbers(&["301", "308", "308.0", "3.07e2", "302.0", "303"]),
        ),
        (
            "redirect_percent",
            numbers(&["0", "-0", "-0.0", "100", "1e2", "50.0", "5e1", "1"]),
        ),
        (
            "redirect_max_age",
            numbers(&[
                "0",
                "-0",
                "300",
                "3e2",
                "1e15",
                "9007199254740991",
                "9.007199254740991e15",
                "1000000000000000.0",
                "86400.0",
            ]),
        ),
        (
            "redirect_header",
            vec![json!("x-kdp-redirect"), json!("X_A|b~"), json!("a")],
        ),
        (
            "deprecation_link",
            vec![
                json!("https://docs.example/migration"),
                json!("http://a.example:8080/x/y?q=1#f"),
                json!("https://[::1]/p"),
            ],
        ),
        (
            "deprecation",
            vec![
                json!("2026-01-01T00:00:00Z"),
                json!("2026-01-01t00:00:00.5+08:00"),
            ],
        ),
        ("target", vec![json!("short"), json!("long")]),
        ("after_sunset", vec![json!("keep"), json!("gone")]),
    ];
    for (field, values) in fields {
        if rng.chance(40) {
            block.insert(field.into(), rng.pick(&values));
        }
    }
    if rng.chance(20) {
        block.insert("sunset".into(), json!("2027-06-30T12:00:00Z"));
    }
    Value::Object(block)
}

#[test]
fn generated_maps_kong_accepts_pass_the_core_after_the_round_trip() {
    let validator = validator();
    let mut rng = Rng(0x5DEE_CE66_D1CE_4E5B);
    let mut accepted = 0;
    let mut refused_by_kong = 0;
    let mut failures = Vec::new();
    for case in 0..2000 {
        let map = generated_map(&mut rng);
        if !kong_accepts(&validator, &map) {
            refused_by_kong += 1;
            continue;
        }
        let bytes = delivered(&map);
        match core(&bytes) {
            Ok(received) => {
                accepted += 1;
                // Another member order, as after a Kong restart: the same map.
                let shuffled = delivered(&reordered(&map, &mut rng));
                let again = core(&serde_json::to_vec(&reordered(&map, &mut rng)).unwrap());
                if core(&shuffled).as_ref() != Ok(&received) || again.as_ref() != Ok(&received) {
                    failures.push(format!(
                        "case {case}: the member order changes the map: {map}"
                    ));
                }
            }
            // The core's own rules that JSON Schema cannot state (here: duplicate hosts).
            Err(message) if message.contains("already claimed") => {}
            Err(message) => failures.push(format!(
                "case {case}: {message}\n  written:  {map}\n  received: {}",
                String::from_utf8_lossy(&bytes)
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        accepted >= 1000,
        "only {accepted} generated maps passed ({refused_by_kong} refused by Kong's schema)"
    );
}

/// What Kong 3.9 hands the filter for each known case, byte for byte, and the core's verdict.
#[test]
fn known_round_trip_cases() {
    let validator = validator();
    let base = r#""short_host":"s.example","long_host":"{api}.l.example","apis":[{"name":"a"}]"#;
    for (written, received) in [
        // `[]` loses its array-ness in Kong's storage and arrives as `{}` (issue #13).
        (
            r#"{"legacy_hosts":[],BASE}"#,
            r#"{"apis":[{"name":"a"}],"legacy_hosts":{},"long_host":"{api}.l.example","short_host":"s.example"}"#,
        ),
        (
            r#"{BASE,"legacy":{}}"#,
            r#"{"apis":[{"name":"a"}],"legacy":{},"long_host":"{api}.l.example","short_host":"s.example"}"#,
        ),
        // 16 significant digits: whole numbers lose their notation.
        (
            r#"{BASE,"legacy":{"status":308.0,"redirect_percent":-0,"redirect_max_age":1e15}}"#,
            r#"{"apis":[{"name":"a"}],"legacy":{"redirect_max_age":1000000000000000,"redirect_percent":-0,"status":308},"long_host":"{api}.l.example","short_host":"s.example"}"#,
        ),
        // `/` is escaped.
        (
            r#"{BASE,"legacy":{"deprecation_link":"https://d.example/x"}}"#,
            r#"{"apis":[{"name":"a"}],"legacy":{"deprecation_link":"https:\/\/d.example\/x"},"long_host":"{api}.l.example","short_host":"s.example"}"#,
        ),
    ] {
        let written = written.replace("BASE", base);
        let value: Value = serde_json::from_str(&written).unwrap();
        assert!(kong_accepts(&validator, &value), "{written}");
        let bytes = delivered(&value);
        assert_eq!(String::from_utf8_lossy(&bytes), received, "{written}");
        core(&bytes).unwrap_or_else(|error| panic!("{written}: {error}"));
    }
    // Above 2^53 - 1, Kong would change the number (10^16 + 1 arrives as `1e+16`): the schema
    // refuses first, and the core refuses what would arrive.
    let big: Value = serde_json::from_str(&format!(
        r#"{{{base},"legacy":{{"redirect_max_age":10000000000000001}}}}"#
    ))
    .unwrap();
    assert!(!kong_accepts(&validator, &big));
    assert!(String::from_utf8_lossy(&delivered(&big)).contains(r#""redirect_max_age":1e+16"#));
    assert_eq!(
        core(&delivered(&big)).unwrap_err(),
        "legacy.redirect_max_age: 10000000000000000 is above 9007199254740991 (2^53 - 1), the largest number of seconds Kong passes on exactly"
    );
}

/// `{}` where a list is expected is what Kong's validator accepts (an empty table is both an
/// object and an array to lua-resty-ljsonschema, `init.lua:442-447`) and what arrives.
#[test]
fn an_empty_object_for_a_list_is_an_empty_list() {
    let map = br#"{"short_host":"s.example","long_host":"{api}.l.example","legacy_hosts":{},"apis":[{"name":"a","legacy_hosts":{}}]}"#;
    let (_, apis) = core(map).unwrap();
    assert!(apis[0].legacy_hosts().is_empty());
    assert_eq!(
        core(br#"{"short_host":"s.example","long_host":"{api}.l.example","legacy_hosts":{"0":"{api}.x"},"apis":[{"name":"a"}]}"#)
            .unwrap_err(),
        "legacy_hosts: invalid type: map, expected a sequence at line 1 column 75"
    );
}

/// Without the `"not": {"pattern": "\n"}` guards, Kong (PCRE: `$` matches before a final
/// newline) would accept `api01\n` as a name, and the core would refuse it: every pattern needs
/// its guard.
#[test]
fn pattern_guards_refuse_a_trailing_newline_that_pcre_lets_through() {
    let meta: Value =
        serde_json::from_slice(&fs::read(kong_dir().join("kdp_migrate.meta.json")).unwrap())
            .unwrap();
    let guarded = kong_validator(&meta["config_schema"]).unwrap();
    let unguarded = kong_validator(&without_guards(&meta["config_schema"])).unwrap();
    let seed: Value =
        serde_json::from_slice(&fs::read(kong_dir().join("map.json")).unwrap()).unwrap();
    let cases: [(&str, SetField); 6] = [
        ("short_host", |m| {
            m["short_host"] = json!("dev-01.example\n")
        }),
        ("long_host", |m| m["long_host"] = json!("{api}.example\n")),
        ("apis[0].name", |m| m["apis"][0]["name"] = json!("api01\n")),
        ("apis[0].prefix", |m| m["apis"][0]["prefix"] = json!("/p\n")),
        ("legacy.redirect_header", |m| {
            m["legacy"]["redirect_header"] = json!("x-a\n")
        }),
        ("legacy.deprecation", |m| {
            m["legacy"]["deprecation"] = json!("2026-01-01T00:00:00Z\n")
        }),
    ];
    for (field, set) in cases {
        let mut map = seed.clone();
        set(&mut map);
        assert!(
            kong_accepts(&unguarded, &map),
            "{field}: PCRE's $ takes the newline"
        );
        assert!(
            !kong_accepts(&guarded, &map),
            "{field}: the guard refuses it"
        );
        assert!(
            core(&delivered(&map)).is_err(),
            "{field}: the core refuses it"
        );
    }
}

/// Puts a value into one field of the map.
type SetField = fn(&mut Value);

fn without_guards(schema: &Value) -> Value {
    match schema {
        Value::Object(members) => Value::Object(
            members
                .iter()
                .filter(|(name, member)| !(*name == "not" && member.get("pattern").is_some()))
                .map(|(name, member)| (name.clone(), without_guards(member)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_guards).collect()),
        other => other.clone(),
    }
}
