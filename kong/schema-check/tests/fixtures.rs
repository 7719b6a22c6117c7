//! Schema and core agree: every fixture is checked against the `config_schema` of every
//! `kong/<filter>.meta.json` (draft 4, forced, as Kong does) and against the core.
//!
//! - `fixtures/valid/`: the schema accepts, the core accepts.
//! - `fixtures/invalid/`: the schema refuses, the core refuses with the message in `<name>.expected`.
//! - `fixtures/core-only-invalid/`: what JSON Schema cannot express (duplicates across APIs, sunset
//!   before deprecation, calendar dates...): the schema accepts, the core refuses with `<name>.expected`.
//!
//! Each fixture holds one idea; its file name says which.

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
use std::path::{Path, PathBuf};

use jsonschema::{PatternOptions, Validator};
use kdp_migrate_core::MigrationMap;
use kdp_migrate_schema_check::{
    FILTERS, as_lua_numbers, fixtures_dir, kong_accepts, kong_dir, kong_validator,
};
use serde_json::Value;

/// Fixtures in `invalid/` that the schema refuses but the core, today, accepts: gaps in the core,
/// reported to its owner. The test fails as soon as the core refuses one (then check the message
/// against its `.expected` and remove the entry), so this list cannot go stale.
const CORE_GAPS: &[(&str, &str)] = &[];

/// Fixtures the core refuses with a worse message than their `.expected` one (reported to its
/// owner): `(fixture, the core's message today)`. Same rule as [`CORE_GAPS`]: the test fails when
/// the core's message changes, so the entry is removed once the core says what `.expected` says.
const CORE_MESSAGE_GAPS: &[(&str, &str)] = &[];

/// Checks the core's verdict on a fixture it must refuse; `None` when all is as expected.
fn core_refusal_failure(fixture: &Fixture) -> Option<String> {
    let expected = expected_message(fixture);
    let name = fixture.name.as_str();
    let gap = CORE_GAPS.iter().any(|(gap, _)| *gap == name);
    let message_gap = CORE_MESSAGE_GAPS
        .iter()
        .find(|(gap, _)| *gap == name)
        .map(|(_, today)| *today);
    match core(fixture) {
        Ok(()) if gap => None,
        Ok(()) => Some(format!("{name}: core accepts it")),
        Err(message) if gap => Some(format!(
            "{name}: the core now refuses it ({message}); check it against {expected:?} and remove it from CORE_GAPS"
        )),
        Err(message) => match message_gap {
            Some(today) if message == today => None,
            Some(_) => Some(format!(
                "{name}: the core's message changed to {message:?}; if it is now {expected:?}, remove it from CORE_MESSAGE_GAPS"
            )),
            None if message == expected => None,
            None => Some(format!(
                "{name}: core message differs\n   core:     {message}\n   expected: {expected}"
            )),
        },
    }
}

struct Fixture {
    name: String,
    path: PathBuf,
    bytes: Vec<u8>,
    value: Value,
}

fn fixtures(kind: &str) -> Vec<Fixture> {
    let dir = fixtures_dir().join(kind);
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    paths.sort();
    for path in &paths {
        let extension = path.extension().and_then(|e| e.to_str());
        assert!(
            matches!(extension, Some("json" | "expected")),
            "unexpected file {}",
            path.display()
        );
        if extension == Some("expected") {
            assert!(
                path.with_extension("json").exists(),
                "{} has no fixture",
                path.display()
            );
        }
    }
    let fixtures: Vec<Fixture> = paths
        .into_iter()
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .map(|path| {
            let bytes = fs::read(&path).unwrap();
            let value = serde_json::from_slice(&bytes)
                .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            Fixture {
                name,
                path,
                bytes,
                value,
            }
        })
        .collect();
    assert!(!fixtures.is_empty(), "no fixtures in {}", dir.display());
    fixtures
}

fn expected_message(fixture: &Fixture) -> String {
    let path = fixture.path.with_extension("expected");
    let text = fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "{}: {error} (every refused fixture needs one)",
            path.display()
        )
    });
    text.strip_suffix('\n').unwrap_or(&text).to_owned()
}

/// One validator per filter and regex engine: Kong matches `pattern` with PCRE; fancy-regex (the
/// default) and Rust's `regex` both accepting the schema shows the patterns use nothing exotic,
/// and the third gives `$` PCRE's meaning ([`kong_validator`]). Every value is validated as Kong
/// sees it, with Lua numbers ([`as_lua_numbers`]: `308.0` is the integer 308).
fn validators() -> Vec<(String, Validator)> {
    let mut validators = Vec::new();
    for filter in FILTERS {
        let path = kong_dir().join(format!("{filter}.meta.json"));
        let meta: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        let schema = &meta["config_schema"];
        let fancy = jsonschema::draft4::options()
            .with_pattern_options(PatternOptions::fancy_regex())
            .build(schema)
            .unwrap_or_else(|error| panic!("{filter}: {error}"));
        let plain = jsonschema::draft4::options()
            .with_pattern_options(PatternOptions::regex())
            .build(schema)
            .unwrap_or_else(|error| panic!("{filter}: {error}"));
        validators.push((format!("{filter}.meta.json (fancy-regex)"), fancy));
        validators.push((format!("{filter}.meta.json (regex)"), plain));
        let kong = kong_validator(schema).unwrap_or_else(|error| panic!("{filter}: {error}"));
        validators.push((format!("{filter}.meta.json (PCRE's $)"), kong));
    }
    validators
}

fn schema_errors(validator: &Validator, value: &Value) -> Vec<String> {
    validator
        .iter_errors(&as_lua_numbers(value))
        .map(|error| format!("{}: {error}", error.instance_path()))
        .collect()
}

fn core(fixture: &Fixture) -> Result<(), String> {
    MigrationMap::from_json(&fixture.bytes)
        .map(drop)
        .map_err(|error| error.to_string())
}

fn report(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn valid_fixtures_are_accepted_by_every_schema_and_by_the_core() {
    let validators = validators();
    let mut failures = Vec::new();
    for fixture in fixtures("valid") {
        assert!(
            !fixture.path.with_extension("expected").exists(),
            "{}: valid fixtures have no .expected",
            fixture.name
        );
        for (which, validator) in &validators {
            let errors = schema_errors(validator, &fixture.value);
            if !errors.is_empty() {
                failures.push(format!("{}: {which} refuses: {errors:?}", fixture.name));
            }
        }
        if let Err(message) = core(&fixture) {
            failures.push(format!("{}: core refuses: {message}", fixture.name));
        }
    }
    report(&failures);
}

#[test]
fn invalid_fixtures_are_refused_by_every_schema_and_by_the_core_with_the_expected_message() {
    let validators = validators();
    let mut failures = Vec::new();
    let fixtures = fixtures("invalid");
    for fixture in &fixtures {
        for (which, validator) in &validators {
            if kong_accepts(validator, &fixture.value) {
                failures.push(format!("{}: {which} accepts it", fixture.name));
            }
        }
        failures.extend(core_refusal_failure(fixture));
    }
    report(&failures);
}

#[test]
fn core_only_invalid_fixtures_are_accepted_by_the_schema_and_refused_by_the_core() {
    let validators = validators();
    let mut failures = Vec::new();
    for fixture in fixtures("core-only-invalid") {
        for (which, validator) in &validators {
            let errors = schema_errors(validator, &fixture.value);
            if !errors.is_empty() {
                failures.push(format!(
                    "{}: {which} refuses it, so it belongs in invalid/: {errors:?}",
                    fixture.name
                ));
            }
        }
        failures.extend(core_refusal_failure(&fixture));
    }
    report(&failures);
}

/// The seed scenario (`kong/map.json`) and the example of `docs/architecture.md` are valid maps.
#[test]
fn seed_map_and_architecture_example_are_valid() {
    let validators = validators();
    let seed = fs::read(kong_dir().join("map.json")).unwrap();
    let doc = fs::read_to_string(kong_dir().join("../docs/architecture.md")).unwrap();
    let example = json_block_after(&doc, "## The migration map");
    for (name, bytes) in [
        ("kong/map.json", seed),
        ("docs/architecture.md", example.into_bytes()),
    ] {
        let value: Value = serde_json::from_slice(&bytes).unwrap();
        for (which, validator) in &validators {
            assert_eq!(
                schema_errors(validator, &value),
                Vec::<String>::new(),
                "{name}: {which}"
            );
        }
        if let Err(error) = MigrationMap::from_json(&bytes) {
            panic!("{name}: core refuses: {error}");
        }
    }
}

fn json_block_after(markdown: &str, heading: &str) -> String {
    let section = &markdown[markdown.find(heading).unwrap()..];
    let start = section.find("```json\n").unwrap() + "```json\n".len();
    let end = section[start..].find("```").unwrap();
    section[start..start + end].to_owned()
}

#[test]
fn fixture_names_say_what_they_test() {
    let name = regex::Regex::new("^[a-z0-9]+(-[a-z0-9]+)*$").unwrap();
    for kind in ["valid", "invalid", "core-only-invalid"] {
        for fixture in fixtures(kind) {
            assert!(
                name.is_match(&fixture.name),
                "{}",
                Path::new(&fixture.path).display()
            );
        }
    }
}

#[test]
fn gap_lists_name_existing_fixtures() {
    let invalid: Vec<String> = fixtures("invalid").into_iter().map(|f| f.name).collect();
    let core_only: Vec<String> = fixtures("core-only-invalid")
        .into_iter()
        .map(|f| f.name)
        .collect();
    for (name, _) in CORE_GAPS {
        assert!(
            invalid.iter().any(|f| f == name),
            "CORE_GAPS: no invalid/{name}.json"
        );
    }
    for (name, _) in CORE_MESSAGE_GAPS {
        assert!(
            invalid.iter().chain(&core_only).any(|f| f == name),
            "CORE_MESSAGE_GAPS: no fixture {name}"
        );
    }
}
