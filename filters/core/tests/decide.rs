//! `MigrationMap::decide`: the decision table (README "What happens to a request") and the legacy stages
//! (observe, canary, redirect, sunset).
//!
//! Each row is `(Host, raw target, expected decision)`, the decision written as one line by
//! `common::shape`: `<entry>/<api>: <outcome> [stage=…] [would=(…)]`.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{BASE, Client, Silent, build, check_invariants, map_with, shape};
use kdp_migrate_core::{ClientFacts, MigrationMap, Outcome, bucket, client_key};

/// Runs a table against one map and one client; the assertion message prints the input.
struct DecideTest<'a> {
    map: &'a MigrationMap,
    client: &'a dyn ClientFacts,
    cases: &'a [(&'a str, &'a str, &'a str)],
}

impl DecideTest<'_> {
    fn run(self) {
        for &(host, target, expected) in self.cases {
            let input = format!("Host: {host:?}, target: {target:?}");
            let decision = self.map.decide(host, target, self.client);
            check_invariants(&decision, &input);
            assert_eq!(shape(&decision), expected, "{input}");
        }
    }
}

fn base() -> MigrationMap {
    build(BASE)
}

#[test]
fn prefixes_match_on_a_segment_boundary() {
    let map = base();
    DecideTest {
        map: &map,
        client: &Silent,
        cases: &[
            (
                "dev-01.test",
                "/api01",
                "short/api01: proxy api01.long.test / xfh=dev-01.test xfp=/api01",
            ),
            (
                "dev-01.test",
                "/api01/",
                "short/api01: proxy api01.long.test / xfh=dev-01.test xfp=/api01",
            ),
            (
                "dev-01.test",
                "/api01/x",
                "short/api01: proxy api01.long.test /x xfh=dev-01.test xfp=/api01",
            ),
            (
                "dev-01.test",
                "/api01/x/y/",
                "short/api01: proxy api01.long.test /x/y/ xfh=dev-01.test xfp=/api01",
            ),
            (
                "dev-01.test",
                "/api01?q=1",
                "short/api01: proxy api01.long.test /?q=1 xfh=dev-01.test xfp=/api01",
            ),
            (
                "dev-01.test",
                "/api01//x",
                "short/api01: proxy api01.long.test //x xfh=dev-01.test xfp=/api01",
            ),
            (
                "dev-01.test",
                "/api02/x",
                "short/api02: proxy api02.long.test /x xfh=dev-01.test xfp=/api02",
            ),
            ("dev-01.test", "/api010", "short/-: 404 no_api"),
            ("dev-01.test", "/api010/x", "short/-: 404 no_api"),
            ("dev-01.test", "/api01-x", "short/-: 404 no_api"),
            ("dev-01.test", "/api01.x", "short/-: 404 no_api"),
            ("dev-01.test", "/api01%2Dx", "short/-: 404 no_api"),
            ("dev-01.test", "/api0", "short/-: 404 no_api"),
            ("dev-01.test", "/API01", "short/-: 404 no_api"),
            ("dev-01.test", "/x/api01", "short/-: 404 no_api"),
            ("dev-01.test", "//api01/x", "short/-: 404 no_api"),
            ("dev-01.test", "/", "short/-: 404 no_api"),
            ("dev-01.test", "/?api01", "short/-: 404 no_api"),
        ],
    }
    .run();

    // With `api010` served too, each request reaches exactly the API its first segment names.
    let both = build(
        r#"{"short_host": "dev-01.test", "long_host": "{api}.long.test",
        "apis": [{"name": "api01"}, {"name": "api010"}]}"#,
    );
    DecideTest {
        map: &both,
        client: &Silent,
        cases: &[
            (
                "dev-01.test",
                "/api010/x",
                "short/api010: proxy api010.long.test /x xfh=dev-01.test xfp=/api010",
            ),
            (
                "dev-01.test",
                "/api01/x",
                "short/api01: proxy api01.long.test /x xfh=dev-01.test xfp=/api01",
            ),
            (
                "dev-01.test",
                "/api01/api010",
                "short/api01: proxy api01.long.test /api010 xfh=dev-01.test xfp=/api01",
            ),
        ],
    }
    .run();
}

#[test]
fn the_longest_multi_segment_prefix_wins() {
    let map = base();
    DecideTest {
        map: &map,
        client: &Silent,
        cases: &[
            ("dev-01.test", "/v2", "short/v2: proxy v2.long.test / xfh=dev-01.test xfp=/v2"),
            ("dev-01.test", "/v2/x", "short/v2: proxy v2.long.test /x xfh=dev-01.test xfp=/v2"),
            ("dev-01.test", "/v2/ordersx", "short/v2: proxy v2.long.test /ordersx xfh=dev-01.test xfp=/v2"),
            ("dev-01.test", "/v2/orders-x/1", "short/v2: proxy v2.long.test /orders-x/1 xfh=dev-01.test xfp=/v2"),
            ("dev-01.test", "/v2/orders", "short/orders: proxy orders.long.test / xfh=dev-01.test xfp=/v2/orders"),
            ("dev-01.test", "/v2/orders/", "short/orders: proxy orders.long.test / xfh=dev-01.test xfp=/v2/orders"),
            ("dev-01.test", "/v2/orders/17", "short/orders: proxy orders.long.test /17 xfh=dev-01.test xfp=/v2/orders"),
            (
                "dev-01.test",
                "/v2/orders/17/admin",
                "short/orders: proxy orders.long.test /17/admin xfh=dev-01.test xfp=/v2/orders",
            ),
            (
                "dev-01.test",
                "/v2/orders/administrator",
                "short/orders: proxy orders.long.test /administrator xfh=dev-01.test xfp=/v2/orders",
            ),
            (
                "dev-01.test",
                "/v2/orders/admin",
                "short/orders-admin: proxy orders-admin.long.test / xfh=dev-01.test xfp=/v2/orders/admin",
            ),
            (
                "dev-01.test",
                "/v2/orders/admin/users?page=2",
                "short/orders-admin: proxy orders-admin.long.test /users?page=2 xfh=dev-01.test xfp=/v2/orders/admin",
            ),
            (
                "dev-01.test",
                "/v2/orders/admin/a/b/c/d/e/f/g/h/i",
                "short/orders-admin: proxy orders-admin.long.test /a/b/c/d/e/f/g/h/i xfh=dev-01.test xfp=/v2/orders/admin",
            ),
        ],
    }
    .run();

    // A deep prefix without its parents: the parents are not served.
    let deep = build(
        r#"{"short_host": "dev-01.test", "long_host": "{api}.long.test",
        "apis": [{"name": "deep", "prefix": "/a/b/c/d/e/f/g/h"}, {"name": "api01"}]}"#,
    );
    DecideTest {
        map: &deep,
        client: &Silent,
        cases: &[
            (
                "dev-01.test",
                "/a/b/c/d/e/f/g/h",
                "short/deep: proxy deep.long.test / xfh=dev-01.test xfp=/a/b/c/d/e/f/g/h",
            ),
            (
                "dev-01.test",
                "/a/b/c/d/e/f/g/h/i/j",
                "short/deep: proxy deep.long.test /i/j xfh=dev-01.test xfp=/a/b/c/d/e/f/g/h",
            ),
            ("dev-01.test", "/a/b/c/d/e/f/g", "short/-: 404 no_api"),
            ("dev-01.test", "/a/b/c/d/e/f/g/hh", "short/-: 404 no_api"),
            ("dev-01.test", "/a", "short/-: 404 no_api"),
            (
                "dev-01.test",
                "/api01/a/b/c/d/e/f/g/h",
                "short/api01: proxy api01.long.test /a/b/c/d/e/f/g/h xfh=dev-01.test xfp=/api01",
            ),
        ],
    }
    .run();
}

#[test]
fn the_query_is_kept_byte_for_byte() {
    let map = base();
    DecideTest {
        map: &map,
        client: &Client::default(),
        cases: &[
            ("dev-01.test", "/api01/x?a=%20b&c=%2F&&=", "short/api01: proxy api01.long.test /x?a=%20b&c=%2F&&= xfh=dev-01.test xfp=/api01"),
            ("dev-01.test", "/api01/x?", "short/api01: proxy api01.long.test /x? xfh=dev-01.test xfp=/api01"),
            ("dev-01.test", "/api01?", "short/api01: proxy api01.long.test /? xfh=dev-01.test xfp=/api01"),
            ("dev-01.test", "/api01/?", "short/api01: proxy api01.long.test /? xfh=dev-01.test xfp=/api01"),
            ("dev-01.test", "/api01/x?a=1?b=2", "short/api01: proxy api01.long.test /x?a=1?b=2 xfh=dev-01.test xfp=/api01"),
            ("dev-01.test", "/api01/x?q=../../etc", "short/api01: proxy api01.long.test /x?q=../../etc xfh=dev-01.test xfp=/api01"),
            ("dev-01.test", "/api01/x?q=%2e%2e%2f%5C", "short/api01: proxy api01.long.test /x?q=%2e%2e%2f%5C xfh=dev-01.test xfp=/api01"),
            ("dev-01.test", "/api01/x%20y?q=a+b;c=%7E", "short/api01: proxy api01.long.test /x%20y?q=a+b;c=%7E xfh=dev-01.test xfp=/api01"),
            ("dev-01.test", "/api01/%E4%BD%A0?%E5%A5%BD", "short/api01: proxy api01.long.test /%E4%BD%A0?%E5%A5%BD xfh=dev-01.test xfp=/api01"),
            ("dev-01.test", "/api01/x?q=/api02", "short/api01: proxy api01.long.test /x?q=/api02 xfh=dev-01.test xfp=/api01"),
            ("dev-01.test", "/api01?q=/api02/x", "short/api01: proxy api01.long.test /?q=/api02/x xfh=dev-01.test xfp=/api01"),
            ("api01.old.test", "/x?a=%20b&&c=", "legacy/api01: 308 https://dev-01.test/api01/x?a=%20b&&c= cache=max-age=300 stage=redirect"),
            ("api01.old.test", "/x?", "legacy/api01: 308 https://dev-01.test/api01/x? cache=max-age=300 stage=redirect"),
        ],
    }
    .run();
}

#[test]
fn hosts_compare_without_port_case_or_trailing_dot() {
    let map = base();
    DecideTest {
        map: &map,
        client: &Client::default(),
        cases: &[
            (
                "DEV-01.Test",
                "/api01/x",
                "short/api01: proxy api01.long.test /x xfh=dev-01.test xfp=/api01",
            ),
            (
                "dev-01.test:8443",
                "/api01/x",
                "short/api01: proxy api01.long.test /x xfh=dev-01.test xfp=/api01",
            ),
            (
                "dev-01.test.",
                "/api01/x",
                "short/api01: proxy api01.long.test /x xfh=dev-01.test xfp=/api01",
            ),
            (
                "DEV-01.TEST.:443",
                "/api01/x",
                "short/api01: proxy api01.long.test /x xfh=dev-01.test xfp=/api01",
            ),
            (
                "dev-01.test:",
                "/api01/x",
                "short/api01: proxy api01.long.test /x xfh=dev-01.test xfp=/api01",
            ),
            ("API01.Long.Test:8080", "/x", "long/api01: pass"),
            ("api01.long.test.", "/x", "long/api01: pass"),
            (
                "API01.OLD.test:80",
                "/x",
                "legacy/api01: 308 https://dev-01.test/api01/x cache=max-age=300 stage=redirect",
            ),
            (
                "api01.old.test.",
                "/x",
                "legacy/api01: 308 https://dev-01.test/api01/x cache=max-age=300 stage=redirect",
            ),
            ("dev-01.test:abc", "/api01/x", "unknown/-: pass"),
            ("dev-01.test:80:80", "/api01/x", "unknown/-: pass"),
            ("dev-01.test..", "/api01/x", "unknown/-: pass"),
            ("user@dev-01.test", "/api01/x", "unknown/-: pass"),
            (" dev-01.test", "/api01/x", "unknown/-: pass"),
            ("dev-01.test ", "/api01/x", "unknown/-: pass"),
            ("dev-01_test", "/api01/x", "unknown/-: pass"),
        ],
    }
    .run();
}

/// Every unsafe form, on the short host and on a legacy host in each mode.
const UNSAFE: &[(&str, &str)] = &[
    ("/api01/../api02", "dot_segment"),
    ("/api01/./x", "dot_segment"),
    ("/api01/.", "dot_segment"),
    ("/api01/..", "dot_segment"),
    ("/api01/x/..?q=1", "dot_segment"),
    ("/api01/%2e%2e/api02", "dot_segment"),
    ("/api01/%2E%2E/api02", "dot_segment"),
    ("/api01/%2e%2E/api02", "dot_segment"),
    ("/api01/.%2e/api02", "dot_segment"),
    ("/api01/%2E./api02", "dot_segment"),
    ("/api01/%2e", "dot_segment"),
    ("/api01/%2E/x", "dot_segment"),
    ("/api01/a%2fb", "encoded_slash"),
    ("/api01/a%2Fb", "encoded_slash"),
    ("/api01/..%2f", "encoded_slash"),
    ("/api01/a%5cb", "encoded_backslash"),
    ("/api01/a%5Cb", "encoded_backslash"),
    ("/api01/x\\..\\api02", "backslash"),
    ("/api01/a\\b", "backslash"),
    ("/api01/%00", "encoded_nul"),
    ("/api01/a b", "control_character"),
    ("/api01/a\tb", "control_character"),
    ("/api01/a\u{7f}", "control_character"),
    ("/api01/caf\u{e9}", "non_ascii"),
    ("/api01/\u{4f60}\u{597d}", "non_ascii"),
    ("/api01/x?q=\u{e9}", "non_ascii"),
    ("/api01/x?q=\r\nSet-Cookie:%20a=b", "control_character"),
    ("/api01/x?q=\0", "control_character"),
];

#[test]
fn unsafe_paths_are_answered_400_on_the_short_host() {
    let map = base();
    let mut cases: Vec<(String, String)> = UNSAFE
        .iter()
        .map(|(target, code)| (target.to_string(), format!("short/api01: 400 {code}")))
        .collect();
    // Unsafe beats unmatched: the 400 comes before any prefix lookup.
    for (target, expected) in [
        ("/../api01", "short/-: 400 dot_segment"),
        ("/nothing/../api01", "short/-: 400 dot_segment"),
        ("/api01%2f..%2fapi02", "short/-: 400 encoded_slash"),
        ("/api01\\..\\api02", "short/-: 400 backslash"),
        ("api01/x", "short/-: 400 not_origin_form"),
        ("*", "short/-: 400 not_origin_form"),
        ("", "short/-: 400 not_origin_form"),
        ("http://dev-01.test/api01/x", "short/-: 400 not_origin_form"),
    ] {
        cases.push((target.to_owned(), expected.to_owned()));
    }
    let rows: Vec<(&str, &str, &str)> = cases
        .iter()
        .map(|(target, expected)| ("dev-01.test", target.as_str(), expected.as_str()))
        .collect();
    DecideTest {
        map: &map,
        client: &Silent,
        cases: &rows,
    }
    .run();

    // `unmatched: pass` does not let unsafe paths through either.
    let pass = map_with(r#""unmatched": "pass""#);
    DecideTest {
        map: &pass,
        client: &Silent,
        cases: &[
            (
                "dev-01.test",
                "/nothing/../api01",
                "short/-: 400 dot_segment",
            ),
            (
                "dev-01.test",
                "/api01/%2e%2e/api02",
                "short/api01: 400 dot_segment",
            ),
        ],
    }
    .run();

    // Safe look-alikes still pass.
    DecideTest {
        map: &map,
        client: &Silent,
        cases: &[
            (
                "dev-01.test",
                "/api01/...",
                "short/api01: proxy api01.long.test /... xfh=dev-01.test xfp=/api01",
            ),
            (
                "dev-01.test",
                "/api01/..x",
                "short/api01: proxy api01.long.test /..x xfh=dev-01.test xfp=/api01",
            ),
            (
                "dev-01.test",
                "/api01/.well-known/x",
                "short/api01: proxy api01.long.test /.well-known/x xfh=dev-01.test xfp=/api01",
            ),
            (
                "dev-01.test",
                "/api01/%2e%2ex",
                "short/api01: proxy api01.long.test /%2e%2ex xfh=dev-01.test xfp=/api01",
            ),
            (
                "dev-01.test",
                "/api01/a%25%32%66b",
                "short/api01: proxy api01.long.test /a%25%32%66b xfh=dev-01.test xfp=/api01",
            ),
        ],
    }
    .run();
}

#[test]
fn unsafe_paths_are_answered_400_on_legacy_hosts_in_every_mode() {
    let redirect = base();
    let proxy = map_with(r#""legacy": {"action": "proxy"}"#);
    let observe = map_with(r#""legacy": {"action": "observe"}"#);
    for (target, code) in UNSAFE {
        let target = target.replacen("/api01", "", 1);
        let target = if target.starts_with('/') {
            target
        } else {
            format!("/{target}")
        };
        let client = Client::default();
        for (map, expected) in [
            (
                &redirect,
                format!("legacy/api01: 400 {code} stage=redirect"),
            ),
            (&proxy, format!("legacy/api01: 400 {code}")),
            // Observe forwards unchanged (as before the migration) and records the would-be 400.
            (
                &observe,
                format!("legacy/api01: pass stage=observe would=(400 {code})"),
            ),
        ] {
            DecideTest {
                map,
                client: &client,
                cases: &[("api01.old.test", &target, &expected)],
            }
            .run();
        }
    }
}

#[test]
fn no_location_path_starts_with_a_double_slash() {
    let to_long = map_with(r#""legacy": {"target": "long"}"#);
    DecideTest {
        map: &to_long,
        client: &Client::default(),
        cases: &[
            ("api01.old.test", "//evil.example/x", "legacy/api01: 308 https://api01.long.test/evil.example/x cache=max-age=300 stage=redirect"),
            ("api01.old.test", "///evil.example/x?q=1", "legacy/api01: 308 https://api01.long.test/evil.example/x?q=1 cache=max-age=300 stage=redirect"),
            ("api01.old.test", "//", "legacy/api01: 308 https://api01.long.test/ cache=max-age=300 stage=redirect"),
            ("api01.old.test", "/x//y", "legacy/api01: 308 https://api01.long.test/x//y cache=max-age=300 stage=redirect"),
            ("api01.old.test", "/", "legacy/api01: 308 https://api01.long.test/ cache=max-age=300 stage=redirect"),
            ("api01.old.test", "/\\evil.example", "legacy/api01: 400 backslash stage=redirect"),
            ("api01.old.test", "/%2f%2fevil.example", "legacy/api01: 400 encoded_slash stage=redirect"),
            ("api01.old.test", "/%5cevil.example", "legacy/api01: 400 encoded_backslash stage=redirect"),
        ],
    }
    .run();
    let to_short = base();
    DecideTest {
        map: &to_short,
        client: &Client::default(),
        cases: &[
            ("api01.old.test", "//evil.example/x", "legacy/api01: 308 https://dev-01.test/api01//evil.example/x cache=max-age=300 stage=redirect"),
            ("api01.old.test", "/", "legacy/api01: 308 https://dev-01.test/api01/ cache=max-age=300 stage=redirect"),
        ],
    }
    .run();
    let slash = map_with(r#""trailing_slash": "redirect""#);
    DecideTest {
        map: &slash,
        client: &Silent,
        cases: &[("dev-01.test", "/api01", "short/api01: 308 /api01/")],
    }
    .run();
}

#[test]
fn unknown_hosts_pass_untouched() {
    let map = base();
    DecideTest {
        map: &map,
        client: &Silent,
        cases: &[
            ("other.test", "/api01/x", "unknown/-: pass"),
            ("api03.long.test", "/x", "unknown/-: pass"),
            ("api03.old.test", "/../x", "unknown/-: pass"),
            ("long.test", "/x", "unknown/-: pass"),
            ("old.test", "/x", "unknown/-: pass"),
            ("api01.long.test.evil.example", "/x", "unknown/-: pass"),
            ("dev-01.test.evil.example", "/api01/x", "unknown/-: pass"),
            ("x.dev-01.test", "/api01/x", "unknown/-: pass"),
            ("{api}.long.test", "/x", "unknown/-: pass"),
            ("[::1]:443", "/api01/x", "unknown/-: pass"),
            ("10.0.0.1:80", "/api01/x", "unknown/-: pass"),
            ("", "/api01/x", "unknown/-: pass"),
            (":443", "/api01/x", "unknown/-: pass"),
            (&"a".repeat(254), "/api01/x", "unknown/-: pass"),
        ],
    }
    .run();
}

#[test]
fn long_hosts_pass_untouched() {
    let map = base();
    DecideTest {
        map: &map,
        client: &Silent,
        cases: &[
            ("api01.long.test", "/x?q=1", "long/api01: pass"),
            ("api01.long.test", "/api02/x", "long/api01: pass"),
            // Not ours to judge: the long host serves what it always served.
            ("api01.long.test", "/a/../b", "long/api01: pass"),
            ("api02.long.test", "/", "long/api02: pass"),
            (
                "orders-admin.long.test",
                "/v2/orders",
                "long/orders-admin: pass",
            ),
        ],
    }
    .run();
}

#[test]
fn unmatched_short_paths_reject_404_or_pass() {
    let reject = base();
    let pass = map_with(r#""unmatched": "pass""#);
    let explicit = map_with(r#""unmatched": "reject""#);
    for (map, expected) in [
        (&reject, "short/-: 404 no_api"),
        (&explicit, "short/-: 404 no_api"),
        (&pass, "short/-: pass"),
    ] {
        DecideTest {
            map,
            client: &Silent,
            cases: &[
                ("dev-01.test", "/nothing", expected),
                ("dev-01.test", "/", expected),
                ("dev-01.test", "/api010?q=1", expected),
            ],
        }
        .run();
        DecideTest {
            map,
            client: &Silent,
            cases: &[(
                "dev-01.test",
                "/api01/x",
                "short/api01: proxy api01.long.test /x xfh=dev-01.test xfp=/api01",
            )],
        }
        .run();
    }
}

#[test]
fn legacy_redirects_to_short_and_long_with_each_status_and_scheme() {
    for status in [301, 302, 303, 307, 308] {
        for scheme in ["https", "http"] {
            let to_short = map_with(&format!(
                r#""legacy": {{"status": {status}, "scheme": "{scheme}"}}"#
            ));
            let to_long = map_with(&format!(
                r#""legacy": {{"status": {status}, "scheme": "{scheme}", "target": "long"}}"#
            ));
            let cache = "cache=max-age=300 stage=redirect";
            DecideTest {
                map: &to_short,
                client: &Client::default(),
                cases: &[
                    ("api01.old.test", "/x/y?q=1", &format!("legacy/api01: {status} {scheme}://dev-01.test/api01/x/y?q=1 {cache}")),
                    ("api01.old.test", "/", &format!("legacy/api01: {status} {scheme}://dev-01.test/api01/ {cache}")),
                    ("orders-admin.old.test", "/users", &format!("legacy/orders-admin: {status} {scheme}://dev-01.test/v2/orders/admin/users {cache}")),
                ],
            }
            .run();
            DecideTest {
                map: &to_long,
                client: &Client::default(),
                cases: &[
                    ("api01.old.test", "/x/y?q=1", &format!("legacy/api01: {status} {scheme}://api01.long.test/x/y?q=1 {cache}")),
                    ("api01.old.test", "/", &format!("legacy/api01: {status} {scheme}://api01.long.test/ {cache}")),
                    ("orders-admin.old.test", "/users", &format!("legacy/orders-admin: {status} {scheme}://orders-admin.long.test/users {cache}")),
                ],
            }
            .run();
        }
    }
}

#[test]
fn redirect_max_age_sets_cache_control() {
    for (max_age, cache) in [
        ("0", "no-store"),
        ("1", "max-age=1"),
        ("86400", "max-age=86400"),
    ] {
        let map = map_with(&format!(r#""legacy": {{"redirect_max_age": {max_age}}}"#));
        DecideTest {
            map: &map,
            client: &Client::default(),
            cases: &[(
                "api01.old.test",
                "/x",
                &format!(
                    "legacy/api01: 308 https://dev-01.test/api01/x cache={cache} stage=redirect"
                ),
            )],
        }
        .run();
    }
}

#[test]
fn legacy_proxy_mode_forwards_to_the_long_host() {
    let map = map_with(r#""legacy": {"action": "proxy"}"#);
    DecideTest {
        map: &map,
        client: &Client::default(),
        cases: &[
            (
                "api01.old.test",
                "/x/y?q=%20",
                "legacy/api01: proxy api01.long.test",
            ),
            (
                "API02.old.test:8080",
                "/",
                "legacy/api02: proxy api02.long.test",
            ),
            (
                "orders.old.test",
                "/v2/orders",
                "legacy/orders: proxy orders.long.test",
            ),
        ],
    }
    .run();
}

#[test]
fn per_api_overrides_apply_to_their_api_only() {
    let map = build(
        r#"{
        "short_host": "dev-01.test",
        "long_host": "{api}.long.test",
        "legacy_hosts": ["{api}.old.test"],
        "apis": [
            { "name": "api01" },
            { "name": "api02", "prefix": "/v2/api02", "long_host": "x.example", "legacy_hosts": ["old.example", "{api}.older.example"],
              "legacy": { "action": "proxy" } },
            { "name": "api03", "legacy": { "status": 302, "target": "long" } }
        ],
        "legacy": { "status": 301, "scheme": "http" }
    }"#,
    );
    DecideTest {
        map: &map,
        client: &Client::default(),
        cases: &[
            (
                "api01.old.test",
                "/x",
                "legacy/api01: 301 http://dev-01.test/api01/x cache=max-age=300 stage=redirect",
            ),
            ("old.example", "/x", "legacy/api02: proxy x.example"),
            ("api02.older.example", "/x", "legacy/api02: proxy x.example"),
            ("api02.old.test", "/x", "unknown/-: pass"),
            ("x.example", "/x", "long/api02: pass"),
            ("api02.long.test", "/x", "unknown/-: pass"),
            (
                "dev-01.test",
                "/v2/api02/x",
                "short/api02: proxy x.example /x xfh=dev-01.test xfp=/v2/api02",
            ),
            ("dev-01.test", "/api02/x", "short/-: 404 no_api"),
            (
                "api03.old.test",
                "/x",
                "legacy/api03: 302 http://api03.long.test/x cache=max-age=300 stage=redirect",
            ),
        ],
    }
    .run();
}

#[test]
fn observe_mode_passes_and_records_the_would_be_outcome() {
    let map = map_with(r#""legacy": {"action": "observe", "status": 301, "redirect_max_age": 0}"#);
    DecideTest {
        map: &map,
        client: &Client::default(),
        cases: &[
            ("api01.old.test", "/x?q=1", "legacy/api01: pass stage=observe would=(301 https://dev-01.test/api01/x?q=1 cache=no-store)"),
            ("orders.old.test", "/", "legacy/orders: pass stage=observe would=(301 https://dev-01.test/v2/orders/ cache=no-store)"),
        ],
    }
    .run();
    // Observe over a canary: the would-be outcome is the client's side of the split.
    let none = map_with(r#""legacy": {"action": "observe", "redirect_percent": 0}"#);
    DecideTest {
        map: &none,
        client: &Client::default(),
        cases: &[(
            "api01.old.test",
            "/x",
            "legacy/api01: pass stage=observe would=(proxy api01.long.test)",
        )],
    }
    .run();
}

/// Two client addresses on each side of a 50 % split.
fn split_addresses() -> (String, String) {
    let addresses: Vec<String> = (1..=255).map(|i| format!("192.0.2.{i}")).collect();
    let inside = addresses.iter().find(|a| bucket(a) < 50).unwrap().clone();
    let outside = addresses.iter().find(|a| bucket(a) >= 50).unwrap().clone();
    (inside, outside)
}

#[test]
fn canary_is_stable_per_client() {
    let map = map_with(r#""legacy": {"redirect_percent": 50}"#);
    for i in 0..200 {
        let client = Client::peer(&format!("198.51.100.{i}:{}", 1000 + i));
        let first = shape(&map.decide("api01.old.test", "/x", &client));
        for _ in 0..5 {
            assert_eq!(
                shape(&map.decide("api01.old.test", "/x", &client)),
                first,
                "client {client:?}"
            );
        }
        // Another port, another path, another API of the same canary: the same side.
        let other_port = Client::peer(&format!("198.51.100.{i}:9"));
        let side = |shape: &str| shape.contains(": 308 ");
        assert_eq!(
            side(&shape(&map.decide("api02.old.test", "/y?z", &other_port))),
            side(&first),
            "client {i}"
        );
    }
}

#[test]
fn canary_share_is_close_to_the_percentage() {
    const CLIENTS: u32 = 20_000;
    for percent in [1u32, 10, 25, 50, 75, 90, 99] {
        let map = map_with(&format!(r#""legacy": {{"redirect_percent": {percent}}}"#));
        let mut redirected = 0u32;
        for i in 0..CLIENTS {
            let address = if i % 2 == 0 {
                format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255)
            } else {
                format!("2001:db8::{i:x}")
            };
            let client = Client::default().header("x-forwarded-for", &address);
            let decision = map.decide("api01.old.test", "/x", &client);
            match decision.outcome {
                Outcome::Reply(reply) if reply.status == 308 => redirected += 1,
                Outcome::Forward(_) => {}
                _ => panic!("{address}: {}", shape(&decision)),
            }
            assert_eq!(
                decision.stage.map(|s| s.as_str()),
                Some("canary"),
                "{address}"
            );
        }
        let share = f64::from(redirected) * 100.0 / f64::from(CLIENTS);
        assert!(
            (share - f64::from(percent)).abs() <= 1.0,
            "redirect_percent {percent}: {redirected} of {CLIENTS} clients redirected ({share:.2} %)"
        );
    }
    // The ends of the range are exact.
    for (percent, expected, stage) in [
        (0, "proxy api01.long.test", "canary"),
        (100, "308 https://dev-01.test/api01/x", "redirect"),
    ] {
        let map = map_with(&format!(r#""legacy": {{"redirect_percent": {percent}}}"#));
        for i in 0..1000 {
            let client = Client::peer(&format!("203.0.113.{}:{i}", i % 256));
            let decision = map.decide("api01.old.test", "/x", &client);
            let line = shape(&decision);
            assert!(
                line.contains(expected) && line.ends_with(&format!("stage={stage}")),
                "{percent} %: {line}"
            );
        }
    }
}

#[test]
fn canary_client_is_the_first_forwarded_hop_else_the_peer_without_port() {
    let (inside, outside) = split_addresses();
    let map = map_with(r#""legacy": {"redirect_percent": 50}"#);
    let redirect = "legacy/api01: 308 https://dev-01.test/api01/x cache=max-age=300 stage=canary";
    let proxy = "legacy/api01: proxy api01.long.test stage=canary";
    let cases: Vec<(Client, &str)> = vec![
        (
            Client::peer(&outside).header("x-forwarded-for", &inside),
            redirect,
        ),
        (
            Client::peer(&inside).header("x-forwarded-for", &outside),
            proxy,
        ),
        (
            Client::peer(&outside).header("x-forwarded-for", &format!("{inside}, {outside}")),
            redirect,
        ),
        (
            Client::peer(&outside).header("x-forwarded-for", &format!(" {inside} ,{outside}")),
            redirect,
        ),
        (
            Client::peer(&inside).header("x-forwarded-for", &format!("{outside},{inside}")),
            proxy,
        ),
        (Client::peer(&inside), redirect),
        (Client::peer(&format!("{inside}:4711")), redirect),
        (Client::peer(&outside), proxy),
        (Client::peer(&format!("{outside}:4711")), proxy),
        // An empty first hop does not count: the peer decides.
        (
            Client::peer(&format!("{inside}:1")).header("x-forwarded-for", ""),
            redirect,
        ),
        (
            Client::peer(&format!("{inside}:1")).header("x-forwarded-for", " , 1.2.3.4"),
            redirect,
        ),
    ];
    for (client, expected) in cases {
        let decision = map.decide("api01.old.test", "/x", &client);
        assert_eq!(shape(&decision), expected, "{client:?}");
    }

    for (client, key) in [
        (
            Client::peer("10.0.0.1:4711").header("x-forwarded-for", "203.0.113.9, 10.0.0.1"),
            "203.0.113.9",
        ),
        (Client::peer("10.0.0.1:4711"), "10.0.0.1"),
        (Client::peer("10.0.0.1"), "10.0.0.1"),
        (Client::peer("[2001:db8::1]:443"), "2001:db8::1"),
        (Client::peer("2001:db8::1"), "2001:db8::1"),
        (
            Client::peer("10.0.0.1:4711").header("x-forwarded-for", "2001:db8::7"),
            "2001:db8::7",
        ),
        (Client::default(), ""),
    ] {
        assert_eq!(client_key(&client), key, "{client:?}");
    }
    // An IPv6 peer with and without brackets and port is one client.
    let v6 = |peer: &str| shape(&map.decide("api01.old.test", "/x", &Client::peer(peer)));
    assert_eq!(v6("[2001:db8::1]:443"), v6("2001:db8::1"));
}

/// FNV-1a 64 written out again: a change of the bucket function moves every client of a running canary.
#[test]
fn canary_buckets_are_fnv1a_modulo_100() {
    fn reference(key: &str) -> u64 {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in key.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        hash % 100
    }
    for key in ["", "10.0.0.1", "192.0.2.77", "2001:db8::1", "a"] {
        assert_eq!(bucket(key), reference(key), "{key:?}");
    }
    assert_eq!(bucket(""), 37);
}

#[test]
fn the_forcing_header_always_redirects() {
    let (_, outside) = split_addresses();
    let map = map_with(r#""legacy": {"redirect_percent": 0, "redirect_header": "X-KDP-Redirect"}"#);
    let redirect = "legacy/api01: 308 https://dev-01.test/api01/x cache=max-age=300 stage=canary";
    let proxy = "legacy/api01: proxy api01.long.test stage=canary";
    for (value, expected) in [
        (Some("1"), redirect),
        (Some(" 1 "), redirect),
        (Some("0"), proxy),
        (Some("true"), proxy),
        (Some("11"), proxy),
        (Some(""), proxy),
        (None, proxy),
    ] {
        let mut client = Client::peer(&outside);
        if let Some(value) = value {
            client = client.header("x-kdp-redirect", value);
        }
        assert_eq!(
            shape(&map.decide("api01.old.test", "/x", &client)),
            expected,
            "x-kdp-redirect: {value:?}"
        );
    }
    // At 50 %, a client outside the share is pulled in by the header.
    let half =
        map_with(r#""legacy": {"redirect_percent": 50, "redirect_header": "x-kdp-redirect"}"#);
    let forced = Client::peer(&outside).header("x-kdp-redirect", "1");
    assert_eq!(
        shape(&half.decide("api01.old.test", "/x", &forced)),
        redirect
    );
    assert_eq!(
        shape(&half.decide("api01.old.test", "/x", &Client::peer(&outside))),
        proxy
    );
}

#[test]
fn after_sunset_gone_answers_410() {
    const SUNSET: i64 = 1_798_761_600; // 2027-01-01T00:00:00Z
    let sunset = r#""deprecation": "2026-01-01T00:00:00Z", "sunset": "2027-01-01T00:00:00Z""#;
    let gone = map_with(&format!(
        r#""legacy": {{{sunset}, "after_sunset": "gone"}}"#
    ));
    let keep = map_with(&format!(r#""legacy": {{{sunset}}}"#));
    let proxy_gone = map_with(&format!(
        r#""legacy": {{{sunset}, "after_sunset": "gone", "action": "proxy"}}"#
    ));
    let observe_gone = map_with(&format!(
        r#""legacy": {{{sunset}, "after_sunset": "gone", "action": "observe"}}"#
    ));
    let redirect = "legacy/api01: 308 https://dev-01.test/api01/x cache=max-age=300 stage=redirect";
    for (map, now, expected) in [
        (&gone, SUNSET - 1, redirect),
        (&gone, SUNSET, "legacy/api01: 410 gone stage=redirect"),
        (
            &gone,
            SUNSET + 86_400 * 365,
            "legacy/api01: 410 gone stage=redirect",
        ),
        (&keep, SUNSET - 1, redirect),
        (&keep, SUNSET + 1, redirect),
        (
            &proxy_gone,
            SUNSET - 1,
            "legacy/api01: proxy api01.long.test",
        ),
        (&proxy_gone, SUNSET, "legacy/api01: 410 gone"),
        (
            &observe_gone,
            SUNSET,
            "legacy/api01: pass stage=observe would=(410 gone)",
        ),
    ] {
        assert_eq!(
            shape(&map.decide("api01.old.test", "/x", &Client::at(now))),
            expected,
            "now = {now}"
        );
    }
    // An unsafe path is still a 400, sunset or not; the short and long hosts never expire.
    assert_eq!(
        shape(&gone.decide("api01.old.test", "/../x", &Client::at(SUNSET))),
        "legacy/api01: 400 dot_segment stage=redirect"
    );
    assert_eq!(
        shape(&gone.decide("api01.long.test", "/x", &Silent)),
        "long/api01: pass"
    );
    assert_eq!(
        shape(&gone.decide("dev-01.test", "/api01/x", &Silent)),
        "short/api01: proxy api01.long.test /x xfh=dev-01.test xfp=/api01"
    );
    // `after_sunset: gone` without a sunset never fires.
    let no_sunset = map_with(r#""legacy": {"after_sunset": "gone"}"#);
    assert_eq!(
        shape(&no_sunset.decide("api01.old.test", "/x", &Client::at(i64::MAX))),
        redirect
    );
}

#[test]
fn trailing_slash_redirect_keeps_the_query() {
    let map = map_with(r#""trailing_slash": "redirect""#);
    DecideTest {
        map: &map,
        client: &Client::default(),
        cases: &[
            ("dev-01.test", "/api01", "short/api01: 308 /api01/"),
            (
                "dev-01.test",
                "/api01?q=1&r=%20",
                "short/api01: 308 /api01/?q=1&r=%20",
            ),
            ("dev-01.test", "/api01?", "short/api01: 308 /api01/?"),
            ("dev-01.test", "/v2/orders", "short/orders: 308 /v2/orders/"),
            (
                "dev-01.test",
                "/v2/orders?x",
                "short/orders: 308 /v2/orders/?x",
            ),
            (
                "dev-01.test",
                "/api01/",
                "short/api01: proxy api01.long.test / xfh=dev-01.test xfp=/api01",
            ),
            (
                "dev-01.test",
                "/api01/?q=1",
                "short/api01: proxy api01.long.test /?q=1 xfh=dev-01.test xfp=/api01",
            ),
            (
                "dev-01.test",
                "/api01/x",
                "short/api01: proxy api01.long.test /x xfh=dev-01.test xfp=/api01",
            ),
            ("dev-01.test", "/nothing", "short/-: 404 no_api"),
            ("dev-01.test", "/api01/..", "short/api01: 400 dot_segment"),
            // Legacy hosts are not concerned.
            (
                "api01.old.test",
                "/",
                "legacy/api01: 308 https://dev-01.test/api01/ cache=max-age=300 stage=redirect",
            ),
        ],
    }
    .run();
    let forward = map_with(r#""trailing_slash": "forward""#);
    DecideTest {
        map: &forward,
        client: &Silent,
        cases: &[(
            "dev-01.test",
            "/api01?q=1",
            "short/api01: proxy api01.long.test /?q=1 xfh=dev-01.test xfp=/api01",
        )],
    }
    .run();
}

#[test]
fn the_client_is_asked_only_for_legacy_requests() {
    // `Silent` fails the test if asked; a canary with a forcing header and a sunset would ask
    // for everything on a legacy host.
    let map = map_with(
        r#""legacy": {"redirect_percent": 50, "redirect_header": "x-kdp-redirect", "sunset": "2027-01-01T00:00:00Z", "after_sunset": "gone"}"#,
    );
    for (host, target) in [
        ("dev-01.test", "/api01/x"),
        ("dev-01.test", "/nothing"),
        ("dev-01.test", "/api01/../x"),
        ("api01.long.test", "/x"),
        ("other.test", "/x"),
    ] {
        let _ = map.decide(host, target, &Silent);
    }
}

#[test]
fn legacy_decisions_name_their_successor() {
    let map = map_with(r#""legacy": {"action": "proxy", "target": "long", "scheme": "http"}"#);
    let decision = map.decide("api01.old.test", "/x?q=1", &Client::default());
    assert_eq!(
        decision.successor.map(|s| s.render()).as_deref(),
        Some("http://api01.long.test/x?q=1")
    );
    let short = base()
        .decide("orders.old.test", "/17", &Client::default())
        .successor
        .map(|s| s.render());
    assert_eq!(short.as_deref(), Some("https://dev-01.test/v2/orders/17"));
    // An unsafe target has no successor: it is never echoed into a header.
    for target in ["/a/../b", "/x?q=\r\n", "/a%2fb"] {
        let decision = map.decide("api01.old.test", target, &Client::default());
        assert_eq!(decision.successor, None, "{target:?}");
    }
    for (host, target) in [
        ("dev-01.test", "/api01/x"),
        ("api01.long.test", "/x"),
        ("other.test", "/x"),
    ] {
        assert_eq!(
            map.decide(host, target, &Silent).successor,
            None,
            "{host} {target}"
        );
    }
}

#[test]
fn actions_follow_the_outcome() {
    let map = base();
    for (host, target, action) in [
        ("dev-01.test", "/api01/x", "proxy"),
        ("dev-01.test", "/nothing", "reject"),
        ("dev-01.test", "/api01/..", "reject"),
        ("api01.old.test", "/x", "redirect"),
        ("api01.long.test", "/x", "pass"),
        ("other.test", "/x", "pass"),
    ] {
        assert_eq!(
            map.decide(host, target, &Client::default())
                .action()
                .as_str(),
            action,
            "{host} {target}"
        );
    }
}

/// A redirect's path and query are the request's, byte for byte: the bytes a URL parser would
/// percent-encode (WHATWG: `"`, `<`, `>`, `` ` ``, `{`, `}`, `^` in a path; `"`, `'`, `<`, `>` in
/// a query) stay as the client sent them. Every mismatch is listed, not only the first.
#[test]
fn redirects_keep_the_bytes_a_url_parser_would_encode() {
    let map = base();
    let slash = map_with(r#""trailing_slash": "redirect""#);
    let rows: &[(&MigrationMap, &str, &str, &str)] = &[
        (
            &map,
            "api01.old.test",
            "/x/{id}",
            "legacy/api01: 308 https://dev-01.test/api01/x/{id} cache=max-age=300 stage=redirect",
        ),
        (
            &map,
            "api01.old.test",
            "/x/\"q\"",
            "legacy/api01: 308 https://dev-01.test/api01/x/\"q\" cache=max-age=300 stage=redirect",
        ),
        (
            &map,
            "api01.old.test",
            "/x/<b>",
            "legacy/api01: 308 https://dev-01.test/api01/x/<b> cache=max-age=300 stage=redirect",
        ),
        (
            &map,
            "api01.old.test",
            "/x/`a`",
            "legacy/api01: 308 https://dev-01.test/api01/x/`a` cache=max-age=300 stage=redirect",
        ),
        (
            &map,
            "api01.old.test",
            "/x/a^b|c",
            "legacy/api01: 308 https://dev-01.test/api01/x/a^b|c cache=max-age=300 stage=redirect",
        ),
        (
            &map,
            "api01.old.test",
            "/x?q='a'",
            "legacy/api01: 308 https://dev-01.test/api01/x?q='a' cache=max-age=300 stage=redirect",
        ),
        (
            &map,
            "api01.old.test",
            "/x?q=\"a\"",
            "legacy/api01: 308 https://dev-01.test/api01/x?q=\"a\" cache=max-age=300 stage=redirect",
        ),
        (
            &map,
            "api01.old.test",
            "/x?q=<a>",
            "legacy/api01: 308 https://dev-01.test/api01/x?q=<a> cache=max-age=300 stage=redirect",
        ),
        (
            &map,
            "api01.old.test",
            "/x?q={a}&r=`b`",
            "legacy/api01: 308 https://dev-01.test/api01/x?q={a}&r=`b` cache=max-age=300 stage=redirect",
        ),
        (
            &map,
            "api01.old.test",
            "/x?q=%zz&r=%",
            "legacy/api01: 308 https://dev-01.test/api01/x?q=%zz&r=% cache=max-age=300 stage=redirect",
        ),
        (
            &slash,
            "dev-01.test",
            "/api01?q='a'\"b\"",
            "short/api01: 308 /api01/?q='a'\"b\"",
        ),
    ];
    let client = Client::default();
    let mismatches: Vec<String> = rows
        .iter()
        .filter_map(|&(map, host, target, expected)| {
            let got = shape(&map.decide(host, target, &client));
            (got != expected).then(|| format!("{host} {target:?}: got {got:?}"))
        })
        .collect();
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}
