//! Kong without Wasm (`--native`): every request on which the native layout decides
//! differently from the filters, each with the reason (the limits listed in the generated
//! file's header and in kong/README.md, "Kong without Wasm").

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::proof::{deck_map_path, kdp_migrate, replay, scratch, traffic};
use common::workspace;
use kdp_migrate_cli::map_document::MapDocument;
use kdp_migrate_cli::replay::ReplayRecord;
use kdp_migrate_host_test::ObservedAction;

fn generate_native(dir: &Path, map: &Path) -> PathBuf {
    let out = dir.join("kong-native.yml");
    let output = kdp_migrate(&[
        "kong",
        "generate",
        "--native",
        "--map",
        map.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    out
}

/// Why the native layout decides `native` where the filters decide `filters`; `None` when the
/// decisions are the same.
fn reason(filters: &ReplayRecord, native: &ReplayRecord) -> Option<&'static str> {
    let same = (
        filters.action,
        filters.status,
        &filters.location,
        &filters.upstream_host,
        &filters.upstream_path,
    ) == (
        native.action,
        native.status,
        &native.location,
        &native.upstream_host,
        &native.upstream_path,
    );
    if same {
        return None;
    }
    if filters.host != filters.host.to_ascii_lowercase() {
        return Some("host not lower-case: Kong 3.9 matches route hosts case-sensitively");
    }
    Some(
        match (filters.entry.as_str(), filters.action, filters.status) {
            ("unknown", _, _) => "no route for a host the map does not name (Kong's 404)",
            (_, ObservedAction::Reject, Some(400)) => "no 400 for unsafe paths",
            ("legacy", ObservedAction::Reject, Some(410)) => "no 410 after the sunset",
            ("short", ObservedAction::Redirect, Some(308)) => {
                "trailing_slash: redirect is not done"
            }
            ("legacy", ObservedAction::Redirect, _) if native.action == ObservedAction::Proxy => {
                "no canary: proxied"
            }
            ("legacy", ObservedAction::Redirect, _)
                if native.action == ObservedAction::Redirect
                    && filters
                        .location
                        .as_deref()
                        .is_some_and(|location| location.contains("//dev-01.")) =>
            {
                "legacy.target short: redirected to the long host"
            }
            _ if kong_rewrites(&filters.path) => "path normalised and re-encoded by Kong",
            _ => "UNEXPLAINED",
        },
    )
}

/// Whether Kong's normalisation, re-encoding or query handling can change this target: a
/// percent-escape, a dot segment, `//`, or an empty query.
fn kong_rewrites(target: &str) -> bool {
    target.contains('%')
        || target.contains("//")
        || target.contains("/./")
        || target.contains("/../")
        || target.ends_with('?')
}

#[test]
fn on_the_sample_traffic_native_kong_differs_exactly_here() {
    let dir = scratch("native-samples");
    let map = workspace().join("kong/map.json");
    let kong = generate_native(&dir, &map);
    let traffic = workspace().join("kong/examples/traffic/kong-file-log.jsonl");
    let by_filters = replay(&map, &traffic, None);
    let by_native = replay(&map, &traffic, Some(&kong));
    let listed: Vec<(u64, &str, Option<&str>)> = by_filters
        .iter()
        .zip(&by_native)
        .filter_map(|(filters, native)| {
            reason(filters, native).map(|why| (filters.n, why, native.location.as_deref()))
        })
        .collect();
    assert_eq!(
        listed,
        [
            (
                1,
                "legacy.target short: redirected to the long host",
                Some("https://api01.target-team2.dev.aliyun.cloud.cn.aibang/v1/orders?id=7")
            ),
            (
                2,
                "legacy.target short: redirected to the long host",
                Some("https://api02.target-team2.dev.aliyun.cloud.cn.aibang/v1/payments")
            ),
            (
                3,
                "legacy.target short: redirected to the long host",
                Some("https://api02.target-team2.dev.aliyun.cloud.cn.aibang/")
            ),
            (
                4,
                "no 400 for unsafe paths",
                Some(
                    "https://api01.target-team2.dev.aliyun.cloud.cn.aibang/v1/files/..%2F..%2Fetc/passwd"
                )
            ),
            (
                6,
                "host not lower-case: Kong 3.9 matches route hosts case-sensitively",
                None,
            ),
            (11, "no 400 for unsafe paths", None),
            (12, "no 400 for unsafe paths", None),
            (
                15,
                "no route for a host the map does not name (Kong's 404)",
                None
            ),
            (
                16,
                "no route for a host the map does not name (Kong's 404)",
                None
            ),
        ]
    );
    // Everything else, the short-domain proxies (prefix stripped, Host = long host) and the
    // long hosts, is decided as the filters do.
    for n in [5, 7, 8, 9, 10, 13, 14] {
        let (filters, native) = (&by_filters[n - 1], &by_native[n - 1]);
        assert_eq!(
            reason(filters, native),
            None,
            "#{n}: {filters:?} {native:?}"
        );
    }
}

#[test]
fn on_1000_generated_requests_every_difference_is_a_listed_limit() {
    let dir = scratch("native-generated");
    let map = deck_map_path();
    let map_document = MapDocument::load(&map).unwrap();
    let traffic_path = dir.join("traffic.jsonl");
    std::fs::write(&traffic_path, traffic(&map_document.map, 1200)).unwrap();
    let kong = generate_native(&dir, &map);
    let header = std::fs::read_to_string(&kong).unwrap();
    let by_filters = replay(&map, &traffic_path, None);
    let by_native = replay(&map, &traffic_path, Some(&kong));
    let mut per_reason: BTreeMap<&str, usize> = BTreeMap::new();
    let mut same = 0;
    for (filters, native) in by_filters.iter().zip(&by_native) {
        match reason(filters, native) {
            Some(why) => {
                *per_reason.entry(why).or_default() += 1;
                println!(
                    "#{} {} {}{}: filters {} {:?} {:?} {:?}; native {} {:?} {:?} {:?} ({why})",
                    filters.n,
                    filters.method,
                    filters.host,
                    filters.path,
                    filters.action,
                    filters.status,
                    filters.location,
                    filters.upstream_path,
                    native.action,
                    native.status,
                    native.location,
                    native.upstream_path
                );
            }
            None => same += 1,
        }
    }
    println!("same: {same}; different: {per_reason:?}");
    assert!(!per_reason.contains_key("UNEXPLAINED"), "{per_reason:?}");
    // Every limit shows up, and the header names each.
    for (why, in_header) in [
        ("no 400 for unsafe paths", "no 400 for unsafe paths"),
        (
            "no 410 after the sunset",
            "no Deprecation/Sunset/Link headers and no 410",
        ),
        (
            "trailing_slash: redirect is not done",
            "trailing_slash: redirect is not done",
        ),
        ("no canary: proxied", "no canary"),
        (
            "legacy.target short: redirected to the long host",
            "legacy.target short cannot be expressed",
        ),
        ("no route for a host the map does not name (Kong's 404)", ""),
    ] {
        assert!(
            per_reason.contains_key(why),
            "{why} never happens: {per_reason:?}"
        );
        assert!(header.contains(in_header), "{in_header}");
    }
    // The rest, the short domain's proxies and the long hosts above all, is decided the same.
    assert!(same > 400, "only {same} of {} the same", by_filters.len());
    let short_proxies_same = by_filters
        .iter()
        .zip(&by_native)
        .filter(|(filters, native)| {
            filters.entry == "short"
                && filters.action == ObservedAction::Proxy
                && reason(filters, native).is_none()
        })
        .count();
    assert!(short_proxies_same > 100, "{short_proxies_same}");
}

#[test]
fn native_conversion_of_the_fixture_is_idempotent_and_uses_no_filter() {
    let dir = scratch("native-convert");
    let out = dir.join("native.yml");
    let output = kdp_migrate(&[
        "kong",
        "convert",
        "--native",
        "--dump",
        workspace()
            .join("kong/examples/deck/ccc-int-kdp.yaml")
            .to_str()
            .unwrap(),
        "--map",
        deck_map_path().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.contains("filter_chains"));
    assert!(text.contains("name: redirect"));
    assert!(text.contains("- host:api02.target-team2.dev.aliyun.cloud.cn.aibang"));
}
