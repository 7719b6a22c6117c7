//! `MigrationMap::from_json`: one row per refusal with the exact message, and the
//! maps that must be accepted (the seed map, the documented example, every edge of every rule).

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use kdp_migrate_core::{
    AfterSunset, LegacyAction, MigrationMap, RedirectTarget, Scheme, TelemetrySink, TrailingSlash,
    Unmatched,
};

/// A compact one-line document with a valid short host and long-host pattern, then `fields`.
/// One line, so serde_json's `at line 1 column N` is stable.
macro_rules! doc {
    ($fields:literal) => {
        concat!(
            r#"{"short_host":"dev-01.test","long_host":"{api}.long.test","#,
            $fields,
            "}"
        )
    };
}

/// Each document must be refused by `from_json` with exactly this message.
struct RefuseTest(&'static [(&'static str, &'static str)]);

impl RefuseTest {
    /// Checks every row, then fails with all the rows that differ (input, expected, got).
    fn run(self) {
        let mut failures = Vec::new();
        for &(document, expected) in self.0 {
            let got = match MigrationMap::from_json(document.as_bytes()) {
                Ok(_) => "(accepted)".to_owned(),
                Err(error) => error.to_string(),
            };
            if got != expected {
                failures.push(format!(
                    "input:    {document}\nexpected: {expected}\ngot:      {got}"
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {} rows differ:\n\n{}",
            failures.len(),
            self.0.len(),
            failures.join("\n\n")
        );
    }
}

const HOST_RULE: &str =
    "is not a host name (letters, digits, '-' and '.', no port, at most 253 characters)";

fn bad_host(path: &str, host: &str) -> String {
    format!("{path}: {host:?} {HOST_RULE}")
}

/// Like [`RefuseTest`] for documents built at run time.
fn refuses(document: &str, expected: &str) {
    match MigrationMap::from_json(document.as_bytes()) {
        Ok(_) => panic!("accepted, expected {expected:?}: {document}"),
        Err(error) => assert_eq!(error.to_string(), expected, "{document}"),
    }
}

fn accepts(document: &str) -> MigrationMap {
    match MigrationMap::from_json(document.as_bytes()) {
        Ok(map) => map,
        Err(error) => panic!("refused: {error}\n{document}"),
    }
}

#[test]
fn unknown_fields_are_refused_everywhere() {
    RefuseTest(&[
        (
            doc!(r#""apis":[{"name":"a"}],"bogus":1"#),
            "bogus: unknown field `bogus`, expected one of `short_host`, `long_host`, `legacy_hosts`, `apis`, `legacy`, `unmatched`, `rewrite_responses`, `trailing_slash`, `telemetry` at line 1 column 87",
        ),
        (
            doc!(r#""apis":[{"name":"a","prefx":"/a"}]"#),
            "apis[0].prefx: unknown field `prefx`, expected one of `name`, `prefix`, `long_host`, `legacy_hosts`, `legacy` at line 1 column 85",
        ),
        (
            doc!(r#""apis":[{"name":"a"},{"name":"b","Legacy":{}}]"#),
            "apis[1].Legacy: unknown field `Legacy`, expected one of `name`, `prefix`, `long_host`, `legacy_hosts`, `legacy` at line 1 column 99",
        ),
        (
            doc!(r#""apis":[{"name":"a"}],"legacy":{"stauts":301}"#),
            "legacy.stauts: unknown field `stauts`, expected one of `action`, `target`, `status`, `scheme`, `redirect_percent`, `redirect_header`, `redirect_max_age`, `deprecation`, `sunset`, `deprecation_link`, `after_sunset` at line 1 column 98",
        ),
        (
            doc!(r#""apis":[{"name":"a","legacy":{"percent":5}}]"#),
            "apis[0].legacy.percent: unknown field `percent`, expected one of `action`, `target`, `status`, `scheme`, `redirect_percent`, `redirect_header`, `redirect_max_age`, `deprecation`, `sunset`, `deprecation_link`, `after_sunset` at line 1 column 97",
        ),
    ])
    .run();
}

#[test]
fn values_of_the_wrong_type_or_variant_are_refused() {
    RefuseTest(&[
        (
            doc!(r#""apis":[{"name":"a"}],"legacy":{"status":"308"}"#),
            r#"legacy.status: invalid type: string "308", expected u64 at line 1 column 104"#,
        ),
        (
            doc!(r#""apis":[{"name":"a"}],"legacy":{"redirect_percent":-1}"#),
            "legacy.redirect_percent: invalid value: integer `-1`, expected u64 at line 1 column 111",
        ),
        (
            doc!(r#""apis":[{"name":"a"}],"legacy":{"redirect_percent":50.5}"#),
            "legacy.redirect_percent: invalid type: floating point `50.5`, expected u64 at line 1 column 113",
        ),
        (
            doc!(r#""apis":[{"name":"a"}],"legacy":{"action":"bounce"}"#),
            "legacy.action: unknown variant `bounce`, expected one of `redirect`, `proxy`, `observe` at line 1 column 107",
        ),
        (
            doc!(r#""apis":[{"name":"a"}],"legacy":{"target":"medium"}"#),
            "legacy.target: unknown variant `medium`, expected `short` or `long` at line 1 column 107",
        ),
        (
            doc!(r#""apis":[{"name":"a"}],"legacy":{"scheme":"ftp"}"#),
            "legacy.scheme: unknown variant `ftp`, expected `https` or `http` at line 1 column 104",
        ),
        (
            doc!(r#""apis":[{"name":"a"}],"legacy":{"after_sunset":"delete"}"#),
            "legacy.after_sunset: unknown variant `delete`, expected `keep` or `gone` at line 1 column 113",
        ),
        (
            doc!(r#""apis":[{"name":"a"}],"unmatched":"drop""#),
            "unmatched: unknown variant `drop`, expected `reject` or `pass` at line 1 column 98",
        ),
        (
            doc!(r#""apis":[{"name":"a"}],"trailing_slash":"add""#),
            "trailing_slash: unknown variant `add`, expected `forward` or `redirect` at line 1 column 102",
        ),
        (
            doc!(r#""apis":[{"name":"a"}],"telemetry":"file""#),
            "telemetry: unknown variant `file`, expected `log` or `filter_state` at line 1 column 98",
        ),
        (
            doc!(r#""apis":[{"name":"a"}],"rewrite_responses":"yes""#),
            r#"rewrite_responses: invalid type: string "yes", expected a boolean at line 1 column 105"#,
        ),
        (
            doc!(r#""apis":[{"name":"a"}],"legacy_hosts":"{api}.old.test""#),
            r#"legacy_hosts: invalid type: string "{api}.old.test", expected a sequence at line 1 column 111"#,
        ),
        (doc!(r#""apis":{}"#), "apis: invalid type: map, expected a sequence at line 1 column 65"),
        (
            doc!(r#""apis":[{"name":"a","legacy_hosts":{"0":"x.test"}}]"#),
            "apis[0].legacy_hosts: invalid type: map, expected a sequence at line 1 column 97",
        ),
        (
            doc!(r#""apis":[{"name":"a"}],"legacy":{"redirect_max_age":1.5}"#),
            "legacy.redirect_max_age: invalid type: floating point `1.5`, expected u64 at line 1 column 112",
        ),
        (
            doc!(r#""apis":[{"name":"a"}],"legacy":{"redirect_percent":-0.5}"#),
            "legacy.redirect_percent: invalid type: floating point `-0.5`, expected u64 at line 1 column 113",
        ),
        (
            doc!(r#""apis":[{"name":7}]"#),
            "apis[0].name: invalid type: integer `7`, expected a string at line 1 column 75",
        ),
    ])
    .run();
}

#[test]
fn documents_that_are_not_json_are_refused() {
    RefuseTest(&[
        ("", "$: EOF while parsing a value at line 1 column 0"),
        (
            concat!(r#"{"short_host":"dev-01.test","long_host":"{api}.long.test","apis":[{"name":"a"}]}"#, " x"),
            "$: trailing characters at line 1 column 82",
        ),
        (r#"{"short_host":"#, "short_host: EOF while parsing a value at line 1 column 14"),
        (
            r#"{"a""#,
            "a: unknown field `a`, expected one of `short_host`, `long_host`, `legacy_hosts`, `apis`, `legacy`, `unmatched`, `rewrite_responses`, `trailing_slash`, `telemetry` at line 1 column 4",
        ),
        (r#"{"short_host":"a.test","short_host":"b.test"}"#, "$: duplicate field `short_host` at line 1 column 35"),
    ])
    .run();
}

/// A document cut short after `{` or after a `,` is reported at serde_path_to_error's `?`
/// (no key read yet); the contract's name for the document itself is `$`.
#[test]
fn truncated_documents_are_blamed_on_the_document() {
    RefuseTest(&[
        ("{", "$: EOF while parsing an object at line 1 column 1"),
        (
            r#"{"short_host":"dev-01.test","#,
            "$: EOF while parsing a value at line 1 column 28",
        ),
    ])
    .run();
}

/// serde's derive also accepts a struct written as a JSON array of its fields in declaration
/// order, so `[short_host, long_host, legacy_hosts, apis, legacy, unmatched, rewrite_responses,
/// trailing_slash]` passes as a map, and `kong/*.meta.json` (`"type": "object"`) disagrees with
/// the core. A map, an API and a `legacy` block must each be JSON objects.
#[test]
fn positional_arrays_are_not_maps() {
    let mut failures = Vec::new();
    for (document, path) in [
        (
            r#"["dev-01.test","{api}.long.test",[],[{"name":"a"}],{},"reject",true,"forward"]"#,
            "$",
        ),
        (doc!(r#""apis":[["a",null,null,null,{}]]"#), "apis[0]"),
        (
            doc!(
                r#""apis":[{"name":"a"}],"legacy":[null,null,301,null,null,null,null,null,null,null,null]"#
            ),
            "legacy",
        ),
    ] {
        let expected = format!("{path}: invalid type: sequence, expected ");
        match MigrationMap::from_json(document.as_bytes()) {
            Ok(_) => failures.push(format!(
                "input: {document}\nexpected: {expected}...\ngot:   (accepted)"
            )),
            Err(error) if !error.to_string().starts_with(&expected) => failures.push(format!(
                "input: {document}\nexpected: {expected}...\ngot:   {error}"
            )),
            Err(_) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "JSON arrays taken for objects:\n\n{}",
        failures.join("\n\n")
    );
}

/// serde's derive names the Rust type in `invalid type` messages; a map author does not know
/// `MapDocument` or `ApiDocument` and should read what was expected in the map's own words
/// (`#[serde(expecting = "...")]`).
#[test]
fn type_errors_do_not_name_rust_types() {
    let mut failures = Vec::new();
    for document in [
        "null",
        r#""dev-01.test""#,
        doc!(r#""apis":["a"]"#),
        doc!(r#""apis":[{"name":"a"}],"legacy":"redirect""#),
        doc!(r#""apis":[{"name":"a","legacy":7}]"#),
    ] {
        let message = MigrationMap::from_json(document.as_bytes())
            .err()
            .map(|error| error.to_string());
        let message = message.unwrap_or_else(|| panic!("accepted: {document}"));
        if ["MapDocument", "ApiDocument", "LegacyDocument", "struct "]
            .iter()
            .any(|name| message.contains(name))
        {
            failures.push(format!("input: {document}\ngot:   {message}"));
        }
    }
    assert!(
        failures.is_empty(),
        "messages name Rust types:\n\n{}",
        failures.join("\n\n")
    );
}

/// `null` is not "absent": a per-API `null` would otherwise silently inherit the global value.
#[test]
fn nulls_are_refused_not_taken_for_defaults() {
    RefuseTest(&[
        (
            doc!(r#""apis":[{"name":"a"}],"legacy":{"status":null}"#),
            "legacy.status: must not be null (leave the field out for its default) at line 1 column 104",
        ),
        (
            doc!(r#""apis":[{"name":"a"}],"legacy":{"redirect_header":null,"sunset":null}"#),
            "legacy.redirect_header: must not be null (leave the field out for its default) at line 1 column 112",
        ),
        (
            doc!(r#""apis":[{"name":"a","legacy":{"action":null}}]"#),
            "apis[0].legacy.action: must not be null (leave the field out for its default) at line 1 column 102",
        ),
        (
            doc!(r#""apis":[{"name":"a","prefix":null}]"#),
            "apis[0].prefix: must not be null (leave the field out for its default) at line 1 column 92",
        ),
        (
            doc!(r#""apis":[{"name":"a","long_host":null}]"#),
            "apis[0].long_host: must not be null (leave the field out for its default) at line 1 column 95",
        ),
        (
            doc!(r#""apis":[{"name":"a","legacy_hosts":null}]"#),
            "apis[0].legacy_hosts: must not be null (leave the field out for its default) at line 1 column 98",
        ),
        (
            doc!(r#""apis":[{"name":null}]"#),
            "apis[0].name: is required and must not be null at line 1 column 79",
        ),
        (
            r#"{"short_host":"dev-01.test","long_host":null,"apis":[{"name":"a","long_host":"a.test"}]}"#,
            "long_host: must not be null (leave the field out for its default) at line 1 column 44",
        ),
        (
            doc!(r#""apis":[{"name":"a","legacy":null}]"#),
            "apis[0].legacy: invalid type: null, expected a JSON object at line 1 column 91",
        ),
        (
            doc!(r#""apis":[{"name":"a"}],"legacy":null"#),
            "legacy: invalid type: null, expected a JSON object at line 1 column 93",
        ),
        (
            doc!(r#""apis":[null]"#),
            "apis[0]: invalid type: null, expected a JSON object at line 1 column 70",
        ),
        (
            doc!(r#""apis":[{"name":"a"}],"legacy_hosts":null"#),
            "legacy_hosts: invalid type: null, expected a sequence at line 1 column 99",
        ),
        (
            doc!(r#""apis":[{"name":"a"}],"rewrite_responses":null"#),
            "rewrite_responses: must not be null (leave the field out for its default) at line 1 column 105",
        ),
    ])
    .run();
}

/// `"unmatched": null` and `"trailing_slash": null` once read "expected value", which was wrong
/// (there is a value, `null`) and unlike every other null in the map.
#[test]
fn null_top_level_choices_say_null() {
    RefuseTest(&[
        (
            doc!(r#""apis":[{"name":"a"}],"unmatched":null"#),
            "unmatched: must not be null (leave the field out for its default) at line 1 column 97",
        ),
        (
            doc!(r#""apis":[{"name":"a"}],"trailing_slash":null"#),
            "trailing_slash: must not be null (leave the field out for its default) at line 1 column 102",
        ),
        (
            doc!(r#""apis":[{"name":"a"}],"telemetry":null"#),
            "telemetry: must not be null (leave the field out for its default) at line 1 column 97",
        ),
    ])
    .run();
}

#[test]
fn required_fields_and_an_empty_api_list_are_refused() {
    RefuseTest(&[
        ("{}", "short_host: is required"),
        (
            r#"{"short_host":null,"apis":[{"name":"a"}]}"#,
            "short_host: is required and must not be null at line 1 column 18",
        ),
        (r#"{"apis":[{"name":"a"}],"long_host":"{api}.long.test"}"#, "short_host: is required"),
        (doc!(r#""legacy":{}"#), "apis: is required"),
        (
            doc!(r#""apis":null"#),
            "apis: is required and must not be null at line 1 column 70",
        ),
        (doc!(r#""apis":[]"#), "apis: must list at least one API"),
        (doc!(r#""apis":[{}]"#), "apis[0].name: is required"),
        (doc!(r#""apis":[{"name":"a"},{"prefix":"/b"}]"#), "apis[1].name: is required"),
        (
            r#"{"short_host":"dev-01.test","apis":[{"name":"a"}]}"#,
            r#"apis[0].long_host: API "a" has no long host: set the top-level long_host pattern or apis[].long_host"#,
        ),
        (
            r#"{"short_host":"dev-01.test","apis":[{"name":"a","long_host":"a.test"},{"name":"b"}]}"#,
            r#"apis[1].long_host: API "b" has no long host: set the top-level long_host pattern or apis[].long_host"#,
        ),
    ])
    .run();
}

#[test]
fn api_names_must_be_dns_labels() {
    let rule = "is not a valid API name (lowercase letters, digits and '-', 1 to 63 characters, no leading or trailing '-')";
    for name in [
        "",
        "API01",
        "api_01",
        "-api",
        "api-",
        "api.01",
        "api 01",
        "ápi",
        "{api}",
        &"a".repeat(64),
    ] {
        let document = format!(
            r#"{{"short_host":"dev-01.test","long_host":"{{api}}.long.test","apis":[{{"name":{}}}]}}"#,
            serde_json::to_string(name).unwrap()
        );
        refuses(&document, &format!("apis[0].name: {name:?} {rule}"));
    }
    for name in ["a", "0", "api-01", "a--b", &"a".repeat(63)] {
        let document = format!(
            r#"{{"short_host":"dev-01.test","long_host":"{{api}}.long.test","apis":[{{"name":"{name}"}}]}}"#
        );
        assert_eq!(accepts(&document).apis()[0].name(), name);
    }
}

#[test]
fn duplicate_names_prefixes_and_hosts_are_refused() {
    RefuseTest(&[
        (doc!(r#""apis":[{"name":"a"},{"name":"a"}]"#), r#"apis[1].name: API name "a" is used twice"#),
        (
            doc!(r#""apis":[{"name":"a"},{"name":"b"},{"name":"a","prefix":"/other","long_host":"other.test"}]"#),
            r#"apis[2].name: API name "a" is used twice"#,
        ),
        (
            doc!(r#""apis":[{"name":"a","prefix":"/x"},{"name":"b","prefix":"/x"}]"#),
            r#"apis[1].prefix: prefix "/x" is already used by API "a""#,
        ),
        (
            doc!(r#""apis":[{"name":"a"},{"name":"b","prefix":"/a"}]"#),
            r#"apis[1].prefix: prefix "/a" is already used by API "a""#,
        ),
        (
            doc!(r#""apis":[{"name":"a","prefix":"/v2/x"},{"name":"b","prefix":"/v2/x"}]"#),
            r#"apis[1].prefix: prefix "/v2/x" is already used by API "a""#,
        ),
        (
            doc!(r#""apis":[{"name":"a","long_host":"same.test"},{"name":"b","long_host":"SAME.test."}]"#),
            r#"apis[1].long_host: host "same.test" is already claimed by API "a" as its long host"#,
        ),
        (
            doc!(r#""apis":[{"name":"a","long_host":"b.long.test"},{"name":"b"}]"#),
            r#"apis[1].long_host: host "b.long.test" is already claimed by API "a" as its long host"#,
        ),
        (
            doc!(r#""apis":[{"name":"a","legacy_hosts":["shared.test"]},{"name":"b","legacy_hosts":["shared.test"]}]"#),
            r#"apis[1].legacy_hosts[0]: host "shared.test" is already claimed by API "a" as a legacy host"#,
        ),
        (
            doc!(r#""apis":[{"name":"a"},{"name":"b","legacy_hosts":["old-b.test","a.long.test"]}]"#),
            r#"apis[1].legacy_hosts[1]: host "a.long.test" is already claimed by API "a" as its long host"#,
        ),
        (
            doc!(r#""apis":[{"name":"a","legacy_hosts":["old.test"]},{"name":"b","long_host":"old.test"}]"#),
            r#"apis[1].long_host: host "old.test" is already claimed by API "a" as a legacy host"#,
        ),
    ])
    .run();
}

/// The host an API claims twice for itself: the message must still name the API.
#[test]
fn a_host_claimed_twice_by_one_api_names_that_api() {
    RefuseTest(&[
        (
            doc!(r#""apis":[{"name":"a","legacy_hosts":["a.long.test"]}]"#),
            r#"apis[0].legacy_hosts[0]: host "a.long.test" is already claimed by API "a" as its long host"#,
        ),
        (
            doc!(r#""apis":[{"name":"a","legacy_hosts":["old.test","OLD.test"]}]"#),
            r#"apis[0].legacy_hosts[1]: host "old.test" is already claimed by API "a" as a legacy host"#,
        ),
    ])
    .run();
}

#[test]
fn the_short_host_cannot_be_claimed_by_an_api() {
    RefuseTest(&[
        (
            doc!(r#""apis":[{"name":"a","long_host":"dev-01.test"}]"#),
            r#"apis[0].long_host: host "dev-01.test" is already claimed by the short_host"#,
        ),
        (
            doc!(r#""apis":[{"name":"a","legacy_hosts":["DEV-01.test."]}]"#),
            r#"apis[0].legacy_hosts[0]: host "dev-01.test" is already claimed by the short_host"#,
        ),
        (
            r#"{"short_host":"api01.long.test","long_host":"{api}.long.test","apis":[{"name":"api00"},{"name":"api01"}]}"#,
            r#"apis[1].long_host: host "api01.long.test" is already claimed by the short_host"#,
        ),
    ])
    .run();
}

#[test]
fn patterns_need_the_api_placeholder_exactly_once() {
    RefuseTest(&[
        (
            r#"{"short_host":"dev-01.test","long_host":"long.test","apis":[{"name":"a"}]}"#,
            r#"long_host: "long.test" must contain the placeholder {api} exactly once"#,
        ),
        (
            r#"{"short_host":"dev-01.test","long_host":"{api}.{api}.test","apis":[{"name":"a"}]}"#,
            r#"long_host: "{api}.{api}.test" must contain the placeholder {api} exactly once"#,
        ),
        (
            r#"{"short_host":"dev-01.test","long_host":"{API}.long.test","apis":[{"name":"a"}]}"#,
            r#"long_host: "{API}.long.test" must contain the placeholder {api} exactly once"#,
        ),
        (
            r#"{"short_host":"dev-01.test","long_host":"","apis":[{"name":"a"}]}"#,
            r#"long_host: "" must contain the placeholder {api} exactly once"#,
        ),
        (
            doc!(r#""legacy_hosts":["{api}.old.test","old.test"],"apis":[{"name":"a"}]"#),
            r#"legacy_hosts[1]: "old.test" must contain the placeholder {api} exactly once"#,
        ),
        (
            doc!(r#""apis":[{"name":"a","long_host":"{api}.{api}.test"}]"#),
            r#"apis[0].long_host: "{api}.{api}.test" must contain the placeholder {api} exactly once"#,
        ),
        (
            doc!(r#""apis":[{"name":"a","legacy_hosts":["{api}{api}.test"]}]"#),
            r#"apis[0].legacy_hosts[0]: "{api}{api}.test" must contain the placeholder {api} exactly once"#,
        ),
    ])
    .run();
}

#[test]
fn empty_or_malformed_hosts_are_refused() {
    let long_label = "a".repeat(64);
    let long_name = format!("{}.test", "a.".repeat(125));
    let cases: Vec<(String, String)> = vec![
        (r#"{"short_host":"","long_host":"{api}.long.test","apis":[{"name":"a"}]}"#.into(), bad_host("short_host", "")),
        (
            r#"{"short_host":"dev-01.test:8080","long_host":"{api}.long.test","apis":[{"name":"a"}]}"#.into(),
            bad_host("short_host", "dev-01.test:8080"),
        ),
        (
            r#"{"short_host":"https://dev-01.test","long_host":"{api}.long.test","apis":[{"name":"a"}]}"#.into(),
            bad_host("short_host", "https://dev-01.test"),
        ),
        (r#"{"short_host":"dev 01.test","long_host":"{api}.long.test","apis":[{"name":"a"}]}"#.into(), bad_host("short_host", "dev 01.test")),
        (r#"{"short_host":"dev..test","long_host":"{api}.long.test","apis":[{"name":"a"}]}"#.into(), bad_host("short_host", "dev..test")),
        (r#"{"short_host":"-dev.test","long_host":"{api}.long.test","apis":[{"name":"a"}]}"#.into(), bad_host("short_host", "-dev.test")),
        (r#"{"short_host":"dev_01.test","long_host":"{api}.long.test","apis":[{"name":"a"}]}"#.into(), bad_host("short_host", "dev_01.test")),
        (r#"{"short_host":".","long_host":"{api}.long.test","apis":[{"name":"a"}]}"#.into(), bad_host("short_host", ".")),
        (
            format!(r#"{{"short_host":"{long_label}.test","long_host":"{{api}}.long.test","apis":[{{"name":"a"}}]}}"#),
            bad_host("short_host", &format!("{long_label}.test")),
        ),
        (
            format!(r#"{{"short_host":"{long_name}","long_host":"{{api}}.long.test","apis":[{{"name":"a"}}]}}"#),
            bad_host("short_host", &long_name),
        ),
        (
            r#"{"short_host":"dev-01.test","long_host":"{api}..long.test","apis":[{"name":"a"}]}"#.into(),
            bad_host("long_host", "{api}..long.test"),
        ),
        (
            r#"{"short_host":"dev-01.test","long_host":"{api}.long.test:8443","apis":[{"name":"a"}]}"#.into(),
            bad_host("long_host", "{api}.long.test:8443"),
        ),
        (
            r#"{"short_host":"dev-01.test","long_host":"{api}.long.test","legacy_hosts":["{api}.old_test"],"apis":[{"name":"a"}]}"#.into(),
            bad_host("legacy_hosts[0]", "{api}.old_test"),
        ),
        (
            r#"{"short_host":"dev-01.test","long_host":"{api}.long.test","apis":[{"name":"a","long_host":""}]}"#.into(),
            bad_host("apis[0].long_host", ""),
        ),
        (
            r#"{"short_host":"dev-01.test","long_host":"{api}.long.test","apis":[{"name":"a","long_host":"a.test/x"}]}"#.into(),
            bad_host("apis[0].long_host", "a.test/x"),
        ),
        (
            r#"{"short_host":"dev-01.test","long_host":"{api}.long.test","apis":[{"name":"a","legacy_hosts":["ok.test","bad host"]}]}"#.into(),
            bad_host("apis[0].legacy_hosts[1]", "bad host"),
        ),
        // The pattern is fine for a short name and too long once a 63-character name is put in.
        (
            format!(
                r#"{{"short_host":"dev-01.test","long_host":"{{api}}.{}","apis":[{{"name":"a"}},{{"name":"{}"}}]}}"#,
                "b.".repeat(95) + "test",
                "c".repeat(63)
            ),
            bad_host("long_host", &format!("{{api}}.{}", "b.".repeat(95) + "test")),
        ),
    ];
    for (document, expected) in &cases {
        refuses(document, expected);
    }
}

#[test]
fn each_prefix_rule_is_refused_with_its_reason() {
    let cases: Vec<(String, &str)> = vec![
        ("".into(), r#"must start with "/""#),
        ("api01".into(), r#"must start with "/""#),
        (
            "/".into(),
            r#"must name at least one segment ("/" alone would capture every path)"#,
        ),
        (
            format!("/{}", "a".repeat(256)),
            "is longer than 256 characters",
        ),
        ("/api01/".into(), r#"must not end with "/""#),
        ("/v2/api01/".into(), r#"must not end with "/""#),
        ("/a/b/c/d/e/f/g/h/i".into(), "has more than 8 segments"),
        ("/a//b".into(), "must not have an empty segment"),
        ("//a".into(), "must not have an empty segment"),
        ("/.".into(), r#"must not have a "." or ".." segment"#),
        ("/a/../b".into(), r#"must not have a "." or ".." segment"#),
        ("/a/./b".into(), r#"must not have a "." or ".." segment"#),
        (
            "/a b".into(),
            r#"may only use letters, digits and "-._~" in its segments"#,
        ),
        (
            "/a%2fb".into(),
            r#"may only use letters, digits and "-._~" in its segments"#,
        ),
        (
            "/a?x".into(),
            r#"may only use letters, digits and "-._~" in its segments"#,
        ),
        (
            "/a\\b".into(),
            r#"may only use letters, digits and "-._~" in its segments"#,
        ),
        (
            "/äpi".into(),
            r#"may only use letters, digits and "-._~" in its segments"#,
        ),
        (
            "/{api}".into(),
            r#"may only use letters, digits and "-._~" in its segments"#,
        ),
    ];
    for (prefix, why) in &cases {
        let document = format!(
            r#"{{"short_host":"dev-01.test","long_host":"{{api}}.long.test","apis":[{{"name":"ok"}},{{"name":"a","prefix":{}}}]}}"#,
            serde_json::to_string(prefix).unwrap()
        );
        refuses(&document, &format!("apis[1].prefix: {prefix:?} {why}"));
    }
    // The edges that are allowed.
    for prefix in [
        "/a".to_owned(),
        "/a/b/c/d/e/f/g/h".to_owned(),
        format!("/{}", "a".repeat(255)),
        "/V2/Api-01_x.y~z".to_owned(),
        "/.well-known".to_owned(),
        "/...".to_owned(),
    ] {
        let document = format!(
            r#"{{"short_host":"dev-01.test","long_host":"{{api}}.long.test","apis":[{{"name":"a","prefix":"{prefix}"}}]}}"#
        );
        assert_eq!(accepts(&document).apis()[0].prefix(), prefix);
    }
}

#[test]
fn redirect_status_percent_and_header_name_are_checked() {
    RefuseTest(&[
        (
            doc!(r#""apis":[{"name":"a"}],"legacy":{"status":300}"#),
            "legacy.status: 300 is not an allowed redirect status (301, 302, 303, 307, 308)",
        ),
        (
            doc!(r#""apis":[{"name":"a"}],"legacy":{"status":200}"#),
            "legacy.status: 200 is not an allowed redirect status (301, 302, 303, 307, 308)",
        ),
        (
            doc!(r#""apis":[{"name":"a"}],"legacy":{"status":65844}"#),
            "legacy.status: 65844 is not an allowed redirect status (301, 302, 303, 307, 308)",
        ),
        (
            doc!(r#""apis":[{"name":"a"},{"name":"b","legacy":{"status":304}}]"#),
            "apis[1].legacy.status: 304 is not an allowed redirect status (301, 302, 303, 307, 308)",
        ),
        (
            doc!(r#""apis":[{"name":"a"}],"legacy":{"redirect_percent":101}"#),
            "legacy.redirect_percent: 101 is not a percentage (0 to 100)",
        ),
        (
            doc!(r#""apis":[{"name":"a"}],"legacy":{"redirect_percent":18446744073709551615}"#),
            "legacy.redirect_percent: 18446744073709551615 is not a percentage (0 to 100)",
        ),
        (
            doc!(r#""apis":[{"name":"a","legacy":{"redirect_percent":1000}}]"#),
            "apis[0].legacy.redirect_percent: 1000 is not a percentage (0 to 100)",
        ),
        (
            doc!(r#""apis":[{"name":"a"}],"legacy":{"redirect_header":"x kdp"}"#),
            r#"legacy.redirect_header: "x kdp" is not an HTTP header name"#,
        ),
        (
            doc!(r#""apis":[{"name":"a"}],"legacy":{"redirect_header":""}"#),
            r#"legacy.redirect_header: "" is not an HTTP header name"#,
        ),
        (
            doc!(r#""apis":[{"name":"a"}],"legacy":{"redirect_header":"x-kdp:"}"#),
            r#"legacy.redirect_header: "x-kdp:" is not an HTTP header name"#,
        ),
        (
            doc!(r#""apis":[{"name":"a","legacy":{"redirect_header":"x-kdp\r\nx"}}]"#),
            r#"apis[0].legacy.redirect_header: "x-kdp\r\nx" is not an HTTP header name"#,
        ),
    ])
    .run();
}

#[test]
fn timestamps_must_be_rfc3339_and_in_order() {
    let rule = "is not an RFC 3339 timestamp (e.g. 2026-12-31T00:00:00Z)";
    for (field, value) in [
        ("deprecation", "2026-01-01"),
        ("deprecation", "2026-01-01T00:00:00"),
        ("sunset", "tomorrow"),
        ("sunset", "2027-13-01T00:00:00Z"),
        ("sunset", "1798761600"),
        ("sunset", ""),
        ("sunset", "2027-02-29T00:00:00Z"),
        ("sunset", "1900-02-29T00:00:00Z"),
        ("sunset", "2026-04-31T00:00:00Z"),
        ("sunset", "2026-01-00T00:00:00Z"),
        ("sunset", "2026-1-01T00:00:00Z"),
        ("sunset", "2026-01-01T24:00:00Z"),
        ("sunset", "2026-01-01T00:60:00Z"),
        ("sunset", "2026-01-01T00:00:61Z"),
        ("sunset", "2026-01-01T00:00:00+0800"),
        ("sunset", "2026-01-01T00:00:00+24:00"),
        ("sunset", "2026-01-01T00:00:00+08:60"),
        ("sunset", "2026-01-01T00:00:00.Z"),
        ("sunset", "2026-01-01T00:00:00Zjunk"),
        ("sunset", " 2026-01-01T00:00:00Z"),
        ("sunset", "2026-01-01 00:00:00Z"),
        ("sunset", "+2026-01-01T00:00:00Z"),
        ("sunset", "２０２６-01-01T00:00:00Z"),
    ] {
        refuses(
            &format!(
                r#"{{"short_host":"dev-01.test","long_host":"{{api}}.long.test","apis":[{{"name":"a"}}],"legacy":{{"{field}":"{value}"}}}}"#
            ),
            &format!("legacy.{field}: {value:?} {rule}"),
        );
        refuses(
            &format!(
                r#"{{"short_host":"dev-01.test","long_host":"{{api}}.long.test","apis":[{{"name":"a","legacy":{{"{field}":"{value}"}}}}]}}"#
            ),
            &format!("apis[0].legacy.{field}: {value:?} {rule}"),
        );
    }
    RefuseTest(&[
        (
            doc!(r#""apis":[{"name":"a"}],"legacy":{"deprecation":"2026-01-01T00:00:00Z","sunset":"2025-12-31T23:59:59Z"}"#),
            r#"legacy.sunset: sunset "2025-12-31T23:59:59Z" is before the deprecation "2026-01-01T00:00:00Z""#,
        ),
        // Compared as instants, not as text.
        (
            doc!(r#""apis":[{"name":"a"}],"legacy":{"deprecation":"2026-01-01T00:00:00Z","sunset":"2026-01-01T07:00:00+08:00"}"#),
            r#"legacy.sunset: sunset "2026-01-01T07:00:00+08:00" is before the deprecation "2026-01-01T00:00:00Z""#,
        ),
        // Per API: the API's own sunset against the global deprecation.
        (
            doc!(r#""apis":[{"name":"a"},{"name":"b","legacy":{"sunset":"2025-06-01T00:00:00Z"}}],"legacy":{"deprecation":"2026-01-01T00:00:00Z"}"#),
            r#"apis[1].legacy.sunset: sunset "2025-06-01T00:00:00Z" is before the deprecation "2026-01-01T00:00:00Z""#,
        ),
        (
            doc!(r#""apis":[{"name":"a","legacy":{"deprecation":"2026-01-01T00:00:00Z","sunset":"2025-01-01T00:00:00Z"}}]"#),
            r#"apis[0].legacy.sunset: sunset "2025-01-01T00:00:00Z" is before the deprecation "2026-01-01T00:00:00Z""#,
        ),
    ])
    .run();
}

/// An API that sets only its `deprecation`, later than the global sunset: the message should
/// name the field the API wrote (`apis[0].legacy.deprecation`), not one it does not have.
#[test]
fn a_per_api_deprecation_after_the_global_sunset_names_the_deprecation() {
    RefuseTest(&[(
        doc!(r#""apis":[{"name":"a","legacy":{"deprecation":"2028-01-01T00:00:00Z"}}],"legacy":{"sunset":"2027-01-01T00:00:00Z"}"#),
        r#"apis[0].legacy.deprecation: sunset "2027-01-01T00:00:00Z" is before the deprecation "2028-01-01T00:00:00Z""#,
    )])
    .run();
}

#[test]
fn deprecation_links_must_be_absolute_http_urls() {
    let rule =
        "is not an absolute http:// or https:// URL without spaces, quotes or angle brackets";
    for url in [
        "ftp://docs.test/x",
        "docs.test/migration",
        "/migration",
        "https://",
        "https:///x",
        "https://docs.test/a b",
        "https://docs.test/<x>",
        "https://docs.test/\"x\"",
        "https://docs.test/x\r\nLink: y",
        "",
    ] {
        refuses(
            &format!(
                r#"{{"short_host":"dev-01.test","long_host":"{{api}}.long.test","apis":[{{"name":"a"}}],"legacy":{{"deprecation_link":{}}}}}"#,
                serde_json::to_string(url).unwrap()
            ),
            &format!("legacy.deprecation_link: {url:?} {rule}"),
        );
    }
    RefuseTest(&[(
        doc!(r#""apis":[{"name":"a","legacy":{"deprecation_link":"mailto:x@docs.test"}}]"#),
        r#"apis[0].legacy.deprecation_link: "mailto:x@docs.test" is not an absolute http:// or https:// URL without spaces, quotes or angle brackets"#,
    )])
    .run();
}

#[test]
fn the_seed_map_and_the_documented_example_are_accepted() {
    let seed = accepts(include_str!("../../../kong/map.json"));
    assert_eq!(seed.short_host(), "dev-01.aliyun.cloud.cn.aibang");
    let apis: Vec<(&str, &str, &str, Vec<&str>)> = seed
        .apis()
        .iter()
        .map(|api| {
            (
                api.name(),
                api.prefix(),
                api.long_host(),
                api.legacy_hosts().iter().map(|h| &**h).collect(),
            )
        })
        .collect();
    assert_eq!(
        apis,
        [
            (
                "api01",
                "/api01",
                "api01.target-team2.dev.aliyun.cloud.cn.aibang",
                vec!["api01.source-team1.dev.aliyun.cloud.cn.aibang"]
            ),
            (
                "api02",
                "/api02",
                "api02.target-team2.dev.aliyun.cloud.cn.aibang",
                vec!["api02.source-team1.dev.aliyun.cloud.cn.aibang"]
            ),
        ]
    );

    // docs/architecture.md, "The migration map".
    let example = accepts(
        r#"{
          "short_host": "dev-01.aliyun.cloud.cn.aibang",
          "long_host": "{api}.target-team2.dev.aliyun.cloud.cn.aibang",
          "legacy_hosts": ["{api}.source-team1.dev.aliyun.cloud.cn.aibang"],
          "apis": [ { "name": "api01" }, { "name": "api02", "prefix": "/v2/api02", "long_host": "x.example", "legacy_hosts": ["old.example"], "legacy": { "action": "proxy" } } ],
          "legacy": {
            "action": "redirect", "target": "short", "status": 308, "scheme": "https",
            "redirect_percent": 100, "redirect_header": "x-kdp-redirect", "redirect_max_age": 300,
            "deprecation": "2026-01-01T00:00:00Z", "sunset": "2027-01-01T00:00:00Z",
            "deprecation_link": "https://docs.example/migration", "after_sunset": "keep"
          },
          "unmatched": "reject",
          "rewrite_responses": true,
          "trailing_slash": "forward"
        }"#,
    );
    let api02 = &example.apis()[1];
    assert_eq!(
        (api02.prefix(), api02.long_host()),
        ("/v2/api02", "x.example")
    );
    assert_eq!(
        api02
            .legacy_hosts()
            .iter()
            .map(|h| &**h)
            .collect::<Vec<_>>(),
        ["old.example"]
    );
    assert_eq!(api02.legacy().action, LegacyAction::Proxy);
    assert_eq!(example.apis()[0].legacy().action, LegacyAction::Redirect);
}

#[test]
fn defaults_are_the_documented_ones() {
    let map = accepts(doc!(r#""apis":[{"name":"api01"}]"#));
    assert_eq!(map.unmatched(), Unmatched::Reject);
    assert!(map.rewrite_responses());
    assert_eq!(map.trailing_slash(), TrailingSlash::Forward);
    let api = &map.apis()[0];
    assert_eq!(
        (api.prefix(), api.long_host(), api.legacy_hosts().len()),
        ("/api01", "api01.long.test", 0)
    );
    let policy = api.legacy();
    assert_eq!(policy.action, LegacyAction::Redirect);
    assert_eq!(policy.target, RedirectTarget::Short);
    assert_eq!(policy.status, 308);
    assert_eq!(policy.scheme, Scheme::Https);
    assert_eq!(policy.redirect_percent, 100);
    assert_eq!(policy.redirect_header, None);
    assert_eq!(&*policy.cache_control, "max-age=300");
    assert_eq!(
        (
            policy.deprecation.clone(),
            policy.sunset.clone(),
            policy.deprecation_link.clone()
        ),
        (None, None, None)
    );
    assert_eq!(policy.after_sunset, AfterSunset::Keep);
}

#[test]
fn accepted_edges() {
    for timestamp in [
        "2028-02-29T00:00:00Z",
        "2000-02-29T00:00:00Z",
        "2026-12-31T23:59:60Z",
        "2026-01-01T00:00:00.123456789+08:00",
        "2026-01-01T00:00:00-00:00",
        "2026-01-01t00:00:00z",
        "0001-01-01T00:00:00Z",
    ] {
        accepts(&format!(
            r#"{{"short_host":"dev-01.test","long_host":"{{api}}.long.test","apis":[{{"name":"a"}}],"legacy":{{"sunset":"{timestamp}"}}}}"#
        ));
    }
    for document in [
        doc!(
            r#""apis":[{"name":"a"}],"legacy":{"status":301,"redirect_percent":0,"redirect_max_age":0}"#
        ),
        doc!(
            r#""apis":[{"name":"a"}],"legacy":{"deprecation":"2026-01-01T00:00:00Z","sunset":"2026-01-01T00:00:00Z"}"#
        ),
        doc!(
            r#""apis":[{"name":"a"}],"legacy":{"deprecation":"2026-01-01T08:00:00+08:00","sunset":"2026-01-01T00:00:00Z"}"#
        ),
        doc!(r#""apis":[{"name":"a"}],"legacy":{"redirect_header":"X-Kdp_Redirect!#$%&'*+.^`|~"}"#),
        doc!(r#""apis":[{"name":"a"}],"legacy":{"deprecation_link":"http://docs.test"}"#),
        doc!(r#""apis":[{"name":"a","legacy_hosts":[]}],"legacy_hosts":["{api}.old.test"]"#),
        doc!(r#""apis":[{"name":"a","long_host":"A.Example."}]"#),
        r#"{"short_host":"DEV-01.Test.","long_host":"{api}","apis":[{"name":"a"}]}"#,
        r#"{"short_host":"dev-01.test","apis":[{"name":"a","long_host":"a.test"}]}"#,
    ] {
        accepts(document);
    }
    let map = accepts(
        r#"{"short_host":"DEV-01.Test.","long_host":"{api}","apis":[{"name":"a","long_host":"A.Example."}]}"#,
    );
    assert_eq!(
        (map.short_host(), map.apis()[0].long_host()),
        ("dev-01.test", "a.example")
    );
}

#[test]
fn per_api_legacy_blocks_override_field_by_field() {
    let map = accepts(doc!(
        r#""apis":[{"name":"a"},{"name":"b","legacy":{"action":"proxy","status":307,"redirect_header":"X-Canary"}},{"name":"c","legacy":{"sunset":"2028-01-01T00:00:00Z","redirect_max_age":60}}],"legacy":{"status":301,"scheme":"http","redirect_max_age":0,"redirect_percent":40,"deprecation":"2026-01-01T00:00:00Z","sunset":"2027-01-01T00:00:00Z","deprecation_link":"https://docs.test/m","after_sunset":"gone"}"#
    ));
    let [a, b, c] = [0, 1, 2].map(|index| map.apis()[index].legacy().clone());
    // a: the global block as written.
    assert_eq!(
        (a.action, a.status, a.scheme, a.redirect_percent),
        (LegacyAction::Redirect, 301, Scheme::Http, 40)
    );
    assert_eq!(
        (&*a.cache_control, a.redirect_header.as_deref()),
        ("no-store", None)
    );
    assert_eq!(a.sunset.as_ref().map(|s| s.unix), Some(1_798_761_600));
    // b: its own action, status and header; everything else inherited.
    assert_eq!(
        (b.action, b.status, b.scheme, b.redirect_percent),
        (LegacyAction::Proxy, 307, Scheme::Http, 40)
    );
    assert_eq!(
        (&*b.cache_control, b.redirect_header.as_deref()),
        ("no-store", Some("x-canary"))
    );
    assert_eq!(b.deprecation_link.as_deref(), Some("https://docs.test/m"));
    assert_eq!(b.after_sunset, AfterSunset::Gone);
    // c: its own sunset and max-age, the global deprecation.
    assert_eq!(
        (c.action, c.status, &*c.cache_control),
        (LegacyAction::Redirect, 301, "max-age=60")
    );
    assert_eq!(
        c.sunset.as_ref().map(|s| &*s.header),
        Some("Sat, 01 Jan 2028 00:00:00 GMT")
    );
    assert_eq!(
        c.deprecation.as_ref().map(|d| &*d.header),
        Some("@1767225600")
    );
}

#[test]
fn telemetry_sink_defaults_to_the_log_and_takes_filter_state() {
    let default = accepts(doc!(r#""apis":[{"name":"a"}]"#));
    assert_eq!(default.telemetry(), TelemetrySink::Log);
    let log = accepts(doc!(r#""apis":[{"name":"a"}],"telemetry":"log""#));
    assert_eq!(log.telemetry(), TelemetrySink::Log);
    let state = accepts(doc!(r#""apis":[{"name":"a"}],"telemetry":"filter_state""#));
    assert_eq!(state.telemetry(), TelemetrySink::FilterState);
}

/// What Kong 3.9 hands a filter for a map its schema accepted (kong-3.9.3.md §6): an empty list
/// arrives as `{}`, whole numbers may arrive as `-0` or in exponent form, `/` as `\/`, and
/// members in another order. The core reads them as the map that was written.
#[test]
fn maps_as_kong_delivers_them_are_accepted() {
    let written = accepts(doc!(
        r#""legacy_hosts":[],"apis":[{"name":"a","legacy_hosts":[],"prefix":"/a/b"}],"legacy":{"redirect_percent":0,"redirect_max_age":9007199254740991,"deprecation_link":"https://docs.test/x"}"#
    ));
    let delivered = accepts(
        r#"{"apis":[{"legacy_hosts":{},"name":"a","prefix":"\/a\/b"}],"legacy":{"deprecation_link":"https:\/\/docs.test\/x","redirect_max_age":9007199254740991,"redirect_percent":-0},"legacy_hosts":{},"long_host":"{api}.long.test","short_host":"dev-01.test"}"#,
    );
    assert_eq!(written.apis(), delivered.apis());
    assert_eq!(written.short_host(), delivered.short_host());
    // Whole numbers in any notation, as Kong's validator calls them integers.
    let map = accepts(doc!(
        r#""apis":[{"name":"a"}],"legacy":{"status":3.07e2,"redirect_percent":5e1,"redirect_max_age":1e+15}"#
    ));
    let policy = map.apis()[0].legacy();
    assert_eq!(
        (
            policy.status,
            policy.redirect_percent,
            &*policy.cache_control
        ),
        (307, 50, "max-age=1000000000000000")
    );
}

/// `redirect_max_age` stops at 2^53 - 1: above it Kong would hand the filter another number.
#[test]
fn redirect_max_age_stays_where_kong_keeps_it_exact() {
    accepts(doc!(
        r#""apis":[{"name":"a"}],"legacy":{"redirect_max_age":9007199254740991}"#
    ));
    refuses(
        doc!(r#""apis":[{"name":"a"}],"legacy":{"redirect_max_age":9007199254740992}"#),
        "legacy.redirect_max_age: 9007199254740992 is above 9007199254740991 (2^53 - 1), the largest number of seconds Kong passes on exactly",
    );
    refuses(
        doc!(r#""apis":[{"name":"a","legacy":{"redirect_max_age":1e+16}}]"#),
        "apis[0].legacy.redirect_max_age: 10000000000000000 is above 9007199254740991 (2^53 - 1), the largest number of seconds Kong passes on exactly",
    );
}
