//! Configuration through the real filters: a refused map names the filter and the field, and the
//! CLI reads the map as JSON or YAML.

// Test helpers outside #[test] functions: clippy.toml's allow-*-in-tests does not reach them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{FILTERS, MODES, library, seed_map};
use kdp_migrate_host_test::{FilterSpec, Host, LoadError, MapDocument};

#[test]
fn every_filter_refuses_a_bad_map_with_the_field_and_the_problem() {
    let rows = [
        (&br#"{"short_host":"dev-01.example","long_host":"{api}.x.example","apis":[{"name":"api01"}],"bogus":1}"#[..], "bogus: unknown field `bogus`, expected one of `short_host`, `long_host`, `legacy_hosts`, `apis`, `legacy`, `unmatched`, `rewrite_responses`, `trailing_slash`, `telemetry` at line 1 column 94"),
        (br#"{"short_host":"dev-01.example","long_host":"{api}.x.example","apis":[{"name":"api01"}],"legacy":{"status":200}}"#, "legacy.status: 200 is not an allowed redirect status (301, 302, 303, 307, 308)"),
        (b"", "the migration map is missing"),
    ];
    for mode in MODES {
        for filter in FILTERS {
            for (config, problem) in rows {
                let mut host = Host::new(library(), mode);
                let error = host
                    .add_chain(&[FilterSpec::new(filter, config)])
                    .unwrap_err();
                let LoadError::Refused {
                    filter: refused,
                    messages,
                } = &error
                else {
                    panic!("{mode} {filter}: {error}");
                };
                assert_eq!(refused, filter);
                let message = format!("{filter}: refused configuration: {problem}");
                assert_eq!(messages, std::slice::from_ref(&message), "{mode} {filter}");
                assert_eq!(
                    error.to_string(),
                    format!("filter {filter} refused its configuration: {message}")
                );
            }
        }
    }
}

#[test]
fn a_yaml_map_is_the_same_map_as_json() {
    let yaml = b"short_host: dev-01.aliyun.cloud.cn.aibang\nlong_host: \"{api}.target-team2.dev.aliyun.cloud.cn.aibang\"\nlegacy_hosts: [\"{api}.source-team1.dev.aliyun.cloud.cn.aibang\"]\napis:\n  - name: api01\n  - name: api02\nlegacy: { action: redirect, target: short, status: 308, scheme: https }\nunmatched: reject\n";
    let from_yaml = MapDocument::from_bytes(yaml, true).unwrap();
    let from_json = MapDocument::from_bytes(&seed_map(), false).unwrap();
    let as_value = |json: &[u8]| serde_json::from_slice::<serde_json::Value>(json).unwrap();
    assert_eq!(as_value(&from_yaml.json), as_value(&from_json.json));
    let mut host = Host::new(library(), kdp_migrate_host_test::Mode::Kong);
    host.add_chain(&[FilterSpec::new("kdp_migrate", from_yaml.json)])
        .unwrap();
}

#[test]
fn a_map_the_core_refuses_is_reported_with_its_field() {
    let error = MapDocument::from_bytes(
        br#"{"short_host":"dev-01.example","apis":[{"name":"Bad_Name"}]}"#,
        false,
    )
    .unwrap_err();
    assert!(error.starts_with("apis[0].name: "), "{error}");
    let error = MapDocument::from_bytes(b"short_host: [unclosed", true).unwrap_err();
    assert!(error.starts_with("not YAML: "), "{error}");
}
