//! Schema and core agree beyond the fixtures: thousands of generated values, one field at a time,
//! put into the seed map; the `config_schema` and the core must give the same verdict.
//!
//! The values come from small alphabets of the characters that matter (label separators, `{api}`,
//! ports, dots, percent signs...) with a fixed-seed generator, so a run is reproducible and a
//! disagreement prints the exact value. Known differences are excluded by rule, each named below:
//! what JSON Schema cannot express (hosts too long once `{api}` is replaced by a real name,
//! duplicates, calendar dates) and the gaps listed in `tests/fixtures.rs` (`CORE_GAPS`).

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

use jsonschema::Validator;
use kdp_migrate_core::MigrationMap;
use kdp_migrate_schema_check::{kong_accepts, kong_dir, kong_validator};
use serde_json::{Value, json};

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
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    /// A string of `0..=max` tokens drawn from `tokens`.
    fn string(&mut self, tokens: &[&str], max: usize) -> String {
        let len = self.below(max + 1);
        (0..len).map(|_| self.pick(tokens)).collect()
    }
}

/// The schema as Kong 3.9 judges with it: PCRE's `$`, values seen as Lua numbers ([`compare`]).
fn validator() -> Validator {
    let meta: Value =
        serde_json::from_slice(&fs::read(kong_dir().join("kdp_migrate.meta.json")).unwrap())
            .unwrap();
    kong_validator(&meta["config_schema"]).unwrap()
}

fn seed() -> Value {
    serde_json::from_slice(&fs::read(kong_dir().join("map.json")).unwrap()).unwrap()
}

/// Disagreements found, and how many cases the core accepted.
#[derive(Default)]
struct Tally {
    cases: usize,
    accepted_by_core: usize,
    disagreements: Vec<String>,
}

/// Compares the verdicts on `map`; `allowed` says whether a given disagreement is a known one.
fn compare(
    validator: &Validator,
    map: &Value,
    what: &str,
    tally: &mut Tally,
    allowed: impl Fn(bool, &Result<(), String>) -> bool,
) {
    let schema = kong_accepts(validator, map);
    let core = MigrationMap::from_json(&serde_json::to_vec(map).unwrap())
        .map(drop)
        .map_err(|e| e.to_string());
    tally.cases += 1;
    tally.accepted_by_core += usize::from(core.is_ok());
    if schema != core.is_ok() && !allowed(schema, &core) {
        tally
            .disagreements
            .push(format!("{what}: schema {schema}, core {core:?}"));
    }
}

/// No unexplained disagreement, and the generator exercised both verdicts (at least 5% each).
fn assert_agree(tally: Tally) {
    let Tally {
        cases,
        accepted_by_core,
        disagreements,
    } = tally;
    assert!(
        accepted_by_core * 20 >= cases && (cases - accepted_by_core) * 20 >= cases,
        "degenerate generator: the core accepted {accepted_by_core} of {cases}"
    );
    assert!(
        disagreements.is_empty(),
        "{} of {cases} disagree:\n{}",
        disagreements.len(),
        disagreements
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Puts a value into one field of the map.
type SetField = fn(&mut Value, &str);

const HOST_TOKENS: &[&str] = &[
    "a",
    "b",
    "z",
    "Q",
    "0",
    "9",
    "-",
    "-",
    ".",
    ".",
    "{api}",
    "{api}",
    "_",
    ":",
    ":80",
    "/",
    "{",
    "}",
    " ",
    "é",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "xn--",
    "*",
];

/// The core checks `{api}` hosts with the API's real name substituted; JSON Schema cannot, so a
/// schema-accepted value the core refuses *only* because substitution overflowed a label or the
/// whole name is a core-only refusal (see `core-only-invalid/api-name-overflows-host-label.json`).
fn refused_for_length_after_expansion(value: &str, name: &str) -> bool {
    let expanded = value.replace("{api}", name);
    let host = expanded.strip_suffix('.').unwrap_or(&expanded);
    host.len() > 253 || host.split('.').any(|label| label.len() > 63)
}

#[test]
fn hosts_and_host_patterns() {
    let validator = validator();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut tally = Tally::default();
    for _ in 0..3000 {
        let value = rng.string(HOST_TOKENS, 9);
        let fields: [(&str, SetField); 5] = [
            ("short_host", |m, v| m["short_host"] = json!(v)),
            ("long_host", |m, v| m["long_host"] = json!(v)),
            ("legacy_hosts[0]", |m, v| m["legacy_hosts"] = json!([v])),
            ("apis[0].long_host", |m, v| {
                m["apis"][0]["long_host"] = json!(v)
            }),
            ("apis[0].legacy_hosts[0]", |m, v| {
                m["apis"][0]["legacy_hosts"] = json!([v])
            }),
        ];
        for (field, set) in fields {
            let mut map = seed();
            set(&mut map, &value);
            compare(
                &validator,
                &map,
                &format!("{field} = {value:?}"),
                &mut tally,
                |schema, core| {
                    // Schema accepts, core refuses: a real name made the host too long, or the value
                    // collides with a host the seed already uses (duplicates are core-only).
                    schema
                        && core.as_ref().is_err_and(|message| {
                            message.contains("already claimed")
                                || (refused_for_length_after_expansion(&value, "api01")
                                    || refused_for_length_after_expansion(&value, "api02"))
                        })
                },
            );
        }
    }
    assert_agree(tally);
}

#[test]
fn api_names_and_prefixes() {
    let validator = validator();
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let mut tally = Tally::default();
    let name_tokens = [
        "a",
        "z",
        "0",
        "9",
        "-",
        "A",
        "_",
        ".",
        " ",
        "é",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ];
    let prefix_tokens = [
        "/", "/", "a", "Z", "0", ".", ".", "~", "_", "-", "%", "%2f", "?", "#", " ", "é", "/v1",
    ];
    for _ in 0..3000 {
        let name = rng.string(&name_tokens, 4);
        let mut map = seed();
        map["apis"] = json!([{ "name": name }]);
        compare(
            &validator,
            &map,
            &format!("apis[0].name = {name:?}"),
            &mut tally,
            |schema, core| {
                // A long name can overflow the seed's long host label or its length: core-only.
                schema
                    && core.is_err()
                    && (refused_for_length_after_expansion(
                        "{api}.target-team2.dev.aliyun.cloud.cn.aibang",
                        &name,
                    ) || refused_for_length_after_expansion(
                        "{api}.source-team1.dev.aliyun.cloud.cn.aibang",
                        &name,
                    ))
            },
        );

        let prefix = rng.string(&prefix_tokens, 12);
        let mut map = seed();
        map["apis"][1]["prefix"] = json!(prefix);
        compare(
            &validator,
            &map,
            &format!("apis[1].prefix = {prefix:?}"),
            &mut tally,
            |schema, core| {
                // "/api01" is api01's default prefix: a duplicate, core-only.
                schema
                    && core
                        .as_ref()
                        .is_err_and(|m| m.contains("already used by API"))
            },
        );
    }
    for len in [62, 63, 64, 65] {
        let mut map = seed();
        map["apis"] = json!([{ "name": "a".repeat(len), "long_host": "x.example" }]);
        map["legacy_hosts"] = json!([]);
        compare(
            &validator,
            &map,
            &format!("apis[0].name of {len} characters"),
            &mut tally,
            |_, _| false,
        );
    }
    assert_agree(tally);
}

#[test]
fn legacy_fields() {
    let validator = validator();
    let mut rng = Rng(0x1234_5678_9ABC_DEF1);
    let mut tally = Tally::default();
    let ascii: Vec<String> = (0x20u8..0x7f)
        .map(|b| (b as char).to_string())
        .chain(["é".to_owned()])
        .collect();
    let ascii: Vec<&str> = ascii.iter().map(String::as_str).collect();
    for _ in 0..3000 {
        // Header names: every printable ASCII character and one non-ASCII.
        let header = rng.string(&ascii, 4);
        let mut map = seed();
        map["legacy"]["redirect_header"] = json!(header);
        compare(
            &validator,
            &map,
            &format!("redirect_header = {header:?}"),
            &mut tally,
            |_, _| false,
        );

        // URLs: a scheme-ish start and printable ASCII after it.
        let start = rng.pick(&[
            "https://",
            "http://",
            "https://",
            "HTTPS://",
            "https:/",
            "ftp://",
            "",
            "https://docs.example",
        ]);
        let link = format!("{start}{}", rng.string(&ascii, 6));
        let mut map = seed();
        map["legacy"]["deprecation_link"] = json!(link);
        compare(
            &validator,
            &map,
            &format!("deprecation_link = {link:?}"),
            &mut tally,
            |schema, core| {
                // CORE_GAPS deprecation-link-without-host: the core takes `https://` + anything but '/'.
                let host_start = link
                    .split_once("://")
                    .and_then(|(_, rest)| rest.chars().next());
                !schema
                    && core.is_ok()
                    && !host_start.is_some_and(|c| c.is_ascii_alphanumeric() || c == '[')
            },
        );

        // Timestamps from a grammar; days stay <= 28 so calendar validity (core-only: February 30)
        // never decides, leaving the format to agree on. Second 60 (a leap second) is valid for both.
        let timestamp = format!(
            "{}-{}-{}{}{}:{}:{}{}{}",
            rng.pick(&["2026", "0000", "9999", "26", "20261"]),
            rng.pick(&["01", "12", "00", "13", "1"]),
            rng.pick(&["01", "28", "00", "1"]),
            rng.pick(&["T", "t", "T", " ", "X", "", "TT"]),
            rng.pick(&["00", "23", "24", "7"]),
            rng.pick(&["00", "59", "60", "5"]),
            rng.pick(&["00", "59", "60", "61", "5"]),
            rng.pick(&["", "", ".5", ".123456789123", ".", ",5"]),
            rng.pick(&[
                "Z", "z", "+08:00", "-00:00", "+23:59", "+24:00", "+08:60", "+0800", "", "GMT"
            ]),
        );
        let mut map = seed();
        map["legacy"]["deprecation"] = json!(timestamp);
        compare(
            &validator,
            &map,
            &format!("deprecation = {timestamp:?}"),
            &mut tally,
            |_, _| false,
        );
    }
    for (field, values) in [
        (
            "status",
            vec![
                json!(300),
                json!(301),
                json!(304),
                json!(308),
                json!(308.0),
                json!("308"),
                json!(-308),
            ],
        ),
        (
            "redirect_percent",
            vec![
                json!(0),
                json!(100),
                json!(101),
                json!(-1),
                json!(50.5),
                json!(1e2),
            ],
        ),
        (
            "redirect_max_age",
            vec![
                json!(0),
                json!(u64::MAX),
                json!(-1),
                json!(1.5),
                json!(18446744073709551616.0),
            ],
        ),
    ] {
        for value in values {
            let mut map = seed();
            map["legacy"][field] = value.clone();
            compare(
                &validator,
                &map,
                &format!("legacy.{field} = {value}"),
                &mut tally,
                |_, _| false,
            );
        }
    }
    assert_agree(tally);
}
