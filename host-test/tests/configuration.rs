//! Configuration through the real filters: a refused map names the filter and the field, and the
//! CLI reads the map as JSON or YAML.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{ENGINES, FILTERS, library};
use kdp_migrate_host_test::{FilterSpec, Host, LoadError};

#[test]
fn every_filter_refuses_a_bad_map_with_the_field_and_the_problem() {
    let rows = [
        (&br#"{"short_host":"dev-01.example","long_host":"{api}.x.example","apis":[{"name":"api01"}],"bogus":1}"#[..], "bogus: unknown field `bogus`, expected one of `short_host`, `long_host`, `legacy_hosts`, `apis`, `legacy`, `unmatched`, `rewrite_responses`, `trailing_slash`, `telemetry` at line 1 column 94"),
        (br#"{"short_host":"dev-01.example","long_host":"{api}.x.example","apis":[{"name":"api01"}],"legacy":{"status":200}}"#, "legacy.status: 200 is not an allowed redirect status (301, 302, 303, 307, 308)"),
        (b"", "the migration map is missing"),
    ];
    for engine in ENGINES {
        for filter in FILTERS {
            for (config, problem) in rows {
                let mut host = Host::new(library(), engine);
                let error = host
                    .add_chain(&[FilterSpec::new(filter, config)])
                    .unwrap_err();
                let LoadError::Refused {
                    filter: refused,
                    messages,
                } = &error
                else {
                    panic!("{engine} {filter}: {error}");
                };
                assert_eq!(refused, filter);
                let message = format!("{filter}: refused configuration: {problem}");
                assert_eq!(
                    messages,
                    std::slice::from_ref(&message),
                    "{engine} {filter}"
                );
                assert_eq!(
                    error.to_string(),
                    format!("filter {filter} refused its configuration: {message}")
                );
            }
        }
    }
}

/// Issue #13: Kong 3.9 hands a filter `"legacy_hosts": []` as `"legacy_hosts": {}` (its storage
/// drops array-ness, `kong/runloop/wasm.lua:381-397` re-encodes with cjson). The Kong engine
/// models that round trip for a config written as a value; every filter accepts what arrives.
#[test]
fn every_filter_accepts_a_map_with_empty_lists_as_kong_delivers_it() {
    let map = br#"{"short_host":"s.example","long_host":"{api}.l.example","legacy_hosts":[],"apis":[{"name":"api01","legacy_hosts":[]}],"legacy":{"redirect_max_age":1e3,"deprecation_link":"https://d.example/x"}}"#;
    assert_eq!(
        String::from_utf8(kdp_migrate_host_test::engine::kong::filter_config(map).unwrap())
            .unwrap(),
        r#"{"apis":[{"legacy_hosts":{},"name":"api01"}],"legacy":{"deprecation_link":"https:\/\/d.example\/x","redirect_max_age":1000},"legacy_hosts":{},"long_host":"{api}.l.example","short_host":"s.example"}"#
    );
    for engine in ENGINES {
        for filter in FILTERS {
            let mut host = Host::new(library(), engine);
            host.add_chain(&[FilterSpec::json(filter, &map[..])])
                .unwrap_or_else(|error| panic!("{engine} {filter}: {error}"));
        }
    }
    // A config that is not JSON cannot have been written as a value.
    let error = Host::new(library(), kdp_migrate_host_test::Engine::Kong)
        .add_chain(&[FilterSpec::json(FILTERS[0], "{")])
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "filter {}: configuration is not JSON: EOF while parsing an object at line 1 column 1",
            FILTERS[0]
        )
    );
}
