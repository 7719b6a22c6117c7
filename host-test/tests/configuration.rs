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
