//! `MigrationMap::classify` and `match_prefix`: which entry and API a request belongs to, the
//! lookup every filter of the chain makes before deciding whether the request is its own.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{BASE, build};

#[test]
fn classify_names_the_entry_and_the_api() {
    let map = build(BASE);
    for (host, target, entry, api) in [
        ("dev-01.test", "/api01/x?q=1", "short", Some("api01")),
        (
            "DEV-01.test.:443",
            "/v2/orders/admin",
            "short",
            Some("orders-admin"),
        ),
        (
            "dev-01.test",
            "/v2/orders?x=/v2/orders/admin",
            "short",
            Some("orders"),
        ),
        ("dev-01.test", "/nothing", "short", None),
        ("dev-01.test", "/api01/../api02", "short", Some("api01")),
        ("dev-01.test", "", "short", None),
        ("api02.long.test", "/anything", "long", Some("api02")),
        ("Orders.Long.Test:80", "/", "long", Some("orders")),
        ("api01.old.test", "/x", "legacy", Some("api01")),
        ("v2.old.test.", "/x", "legacy", Some("v2")),
        ("api03.old.test", "/x", "unknown", None),
        ("other.test", "/api01/x", "unknown", None),
        ("", "/api01/x", "unknown", None),
        ("[::1]", "/api01/x", "unknown", None),
    ] {
        let classification = map.classify(host, target);
        assert_eq!(
            (
                classification.entry.as_str(),
                classification.api.map(|api| api.name())
            ),
            (entry, api),
            "Host: {host:?}, target: {target:?}"
        );
    }
}

#[test]
fn match_prefix_returns_the_api_and_the_rest() {
    let map = build(BASE);
    for (path, expected) in [
        ("/api01", Some(("api01", ""))),
        ("/api01/", Some(("api01", "/"))),
        ("/api01/x/y", Some(("api01", "/x/y"))),
        ("/api01//x", Some(("api01", "//x"))),
        ("/api010", None),
        ("/api01-x", None),
        ("/v2", Some(("v2", ""))),
        ("/v2/orders", Some(("orders", ""))),
        ("/v2/orders/admin/x", Some(("orders-admin", "/x"))),
        ("/v2/orders/adminx", Some(("orders", "/adminx"))),
        ("/v2/x/orders/admin", Some(("v2", "/x/orders/admin"))),
        ("/", None),
        ("", None),
        ("api01", None),
    ] {
        let got = map.match_prefix(path).map(|(api, rest)| (api.name(), rest));
        assert_eq!(got, expected, "{path:?}");
    }
}
