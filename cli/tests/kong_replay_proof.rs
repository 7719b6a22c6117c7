//! Proof by replay: the generated and the converted Kong configurations decide every request as
//! the map alone does (`replay` without `--kong`), over the sample traffic and over more than
//! 1,000 generated requests covering every entry and outcome.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::proof::{deck_dump_path, deck_map_path, kdp_migrate, replay, scratch, traffic};
use common::workspace;
use kdp_migrate_cli::map_document::MapDocument;
use kdp_migrate_cli::replay::ReplayRecord;
use kdp_migrate_host_test::ObservedAction;
use kdp_migrate_host_test::engine::kong::request_path::{router_path, upstream_uri};

/// What the filters decide for a request, as the replay prints it.
type Decision = (
    String,
    Option<String>,
    ObservedAction,
    Option<u16>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn decision(record: &ReplayRecord) -> Decision {
    // On a long host, `kdp_migrate` (combined layout) sets the Host to the long host, dropping
    // the port the client sent, where the chain of separate filters (telemetry alone) leaves it:
    // the same host either way.
    let long_host_only = record.entry == "long"
        && record.action == ObservedAction::Proxy
        && record.upstream_path.as_deref() == Some(record.path.as_str());
    (
        record.entry.clone(),
        record.api.clone(),
        if long_host_only {
            ObservedAction::Pass
        } else {
            record.action
        },
        record.status,
        record.location.clone(),
        if record.entry == "long" {
            record
                .upstream_host
                .as_deref()
                .map(|host| kdp_migrate_host_test::engine::uri::host_without_port(host).to_owned())
        } else {
            record.upstream_host.clone()
        },
        record.upstream_path.clone(),
    )
}

fn write_traffic(dir: &Path, map: &Path, count: usize) -> PathBuf {
    let map = MapDocument::load(map).unwrap();
    let path = dir.join("traffic.jsonl");
    std::fs::write(&path, traffic(&map.map, count)).unwrap();
    path
}

fn kong_generate(dir: &Path, map: &Path, layout: &str) -> PathBuf {
    let out = dir.join(format!("kong-{layout}.yml"));
    let output = kdp_migrate(&[
        "kong",
        "generate",
        "--map",
        map.to_str().unwrap(),
        "--layout",
        layout,
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

/// Every (entry, outcome) the proof traffic must reach, from the map's own replay.
fn outcomes(records: &[ReplayRecord]) -> BTreeSet<(String, ObservedAction, Option<u16>)> {
    records
        .iter()
        .map(|record| (record.entry.clone(), record.action, record.status))
        .collect()
}

/// What the map decides, as Kong with the generated configuration carries it out:
/// - Kong has no route for hosts the map does not name, and Kong 3.9 matches route hosts
///   case-sensitively (notes §2.2, Kong/kong#14198): both are Kong's 404;
/// - where the filters forward without setting the path (long hosts, legacy proxy and observe),
///   Kong sends its own upstream path: the normalised, re-encoded path with the raw query
///   (`kong/router/utils.lua` `get_upstream_uri_v0`, notes §1.1-1.2).
fn as_kong_carries_it_out(record: &ReplayRecord) -> Decision {
    let mut expected = decision(record);
    if record.entry == "unknown" || record.host != record.host.to_ascii_lowercase() {
        return (
            record.entry.clone(),
            record.api.clone(),
            ObservedAction::Reject,
            Some(404),
            None,
            None,
            None,
        );
    }
    if record.entry != "short" && matches!(expected.2, ObservedAction::Pass | ObservedAction::Proxy)
    {
        let path = upstream_uri(&router_path(&record.path), &record.path);
        let host_changed = expected.5.as_deref() != Some(record.host.as_str())
            && !(record.entry == "long" && expected.2 == ObservedAction::Pass);
        expected.2 = if host_changed || path != record.path {
            ObservedAction::Proxy
        } else {
            ObservedAction::Pass
        };
        expected.6 = Some(path);
    }
    expected
}

/// Compares a Kong replay with the map's own, request by request.
fn assert_same_decisions(map_records: &[ReplayRecord], kong_records: &[ReplayRecord], label: &str) {
    assert_eq!(map_records.len(), kong_records.len());
    let mut differences = Vec::new();
    for (map_record, kong_record) in map_records.iter().zip(kong_records) {
        let expected = as_kong_carries_it_out(map_record);
        if decision(kong_record) != expected {
            differences.push(format!(
                "#{} {} {}{}: map {:?}, kong {:?}",
                map_record.n,
                map_record.method,
                map_record.host,
                map_record.path,
                expected,
                decision(kong_record)
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "{label}: {} of {} requests decided differently:\n{}",
        differences.len(),
        map_records.len(),
        differences.join("\n")
    );
}

#[test]
fn generated_configurations_decide_the_sample_traffic_as_the_map_does() {
    let dir = scratch("proof-samples");
    let map = workspace().join("kong/map.json");
    for layout in ["chains", "combined"] {
        let kong = kong_generate(&dir, &map, layout);
        for sample in ["kong-file-log.jsonl", "browser.har", "kong-http-log.jsonl"] {
            let traffic = workspace().join("kong/examples/traffic").join(sample);
            let by_map = replay(&map, &traffic, None);
            let by_kong = replay(&map, &traffic, Some(&kong));
            assert!(!by_map.is_empty());
            assert_same_decisions(&by_map, &by_kong, &format!("{layout} {sample}"));
        }
    }
}

#[test]
fn generated_configurations_decide_1000_generated_requests_as_the_map_does() {
    let dir = scratch("proof-generated");
    let map = deck_map_path();
    let traffic = write_traffic(&dir, &map, 1200);
    let by_map = replay(&map, &traffic, None);
    assert!(by_map.len() >= 1200);
    // Every entry and outcome is reached.
    let reached = outcomes(&by_map);
    for wanted in [
        ("short", ObservedAction::Proxy, None),
        ("short", ObservedAction::Reject, Some(404)),
        ("short", ObservedAction::Reject, Some(400)),
        ("short", ObservedAction::Redirect, Some(308)),
        ("legacy", ObservedAction::Redirect, Some(308)),
        ("legacy", ObservedAction::Redirect, Some(301)),
        ("legacy", ObservedAction::Proxy, None),
        ("legacy", ObservedAction::Pass, None),
        ("legacy", ObservedAction::Reject, Some(400)),
        ("legacy", ObservedAction::Reject, Some(410)),
        ("long", ObservedAction::Pass, None),
        ("unknown", ObservedAction::Pass, None),
    ] {
        assert!(
            reached.contains(&(wanted.0.to_owned(), wanted.1, wanted.2)),
            "{wanted:?} not reached: {reached:?}"
        );
    }
    // The canary both redirects and proxies api04's legacy clients.
    let api04: BTreeSet<ObservedAction> = by_map
        .iter()
        .filter(|r| {
            r.entry == "legacy" && r.api.as_deref() == Some("api04") && r.status != Some(400)
        })
        .map(|r| r.action)
        .collect();
    assert_eq!(
        api04,
        BTreeSet::from([ObservedAction::Proxy, ObservedAction::Redirect])
    );
    // Every API on every entry.
    let map_document = MapDocument::load(&map).unwrap();
    for api in map_document.map.apis() {
        for entry in ["short", "long", "legacy"] {
            assert!(
                by_map
                    .iter()
                    .any(|r| r.entry == entry && r.api.as_deref() == Some(api.name())),
                "{} {entry}",
                api.name()
            );
        }
    }
    for layout in ["chains", "combined"] {
        let kong = kong_generate(&dir, &map, layout);
        let by_kong = replay(&map, &traffic, Some(&kong));
        assert_same_decisions(&by_map, &by_kong, layout);
    }
}

/// What the converted configuration decides where the source's routes take the request: the
/// same as the map, for everything the filters decide. The source's routes stay in charge of
/// which requests are routed at all (a legacy route exposing `/v1/orders` only still answers
/// `/admin` with Kong's 404), and of the upstream path on the legacy and long hosts
/// (`strip_path`): the filters set it on the short domain only.
#[test]
fn the_converted_fixture_decides_as_the_map_where_its_routes_take_the_request() {
    let dir = scratch("proof-converted");
    let map = deck_map_path();
    let converted = dir.join("converted.yml");
    let report = dir.join("report.json");
    let output = kdp_migrate(&[
        "kong",
        "convert",
        "--dump",
        deck_dump_path().to_str().unwrap(),
        "--map",
        map.to_str().unwrap(),
        "--out",
        converted.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        // Without the services the map does not name: the source's wildcard route on
        // `*.source-team1…` (legacy-cms) would otherwise take the legacy paths its API routes
        // do not expose, and no filter would run on them.
        "--only-mapped",
    ]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let traffic = write_traffic(&dir, &map, 1200);
    let by_map = replay(&map, &traffic, None);
    let by_kong = replay(&map, &traffic, Some(&converted));
    // api05 and api06 share the source's service `reports-svc`: not converted (the report
    // says so), their requests go where the source sent them.
    let not_converted = ["api05", "api06"];
    let mut compared = 0;
    let mut kong_404 = BTreeSet::new();
    let mut differences = Vec::new();
    for (map_record, kong_record) in by_map.iter().zip(&by_kong) {
        let api = map_record.api.as_deref().unwrap_or("-");
        if map_record.entry == "unknown" || not_converted.contains(&api) {
            continue;
        }
        if kong_record.status == Some(404) && kong_record.entry != "short" {
            // Not routed by the source's routes (paths or methods it did not expose).
            kong_404.insert((map_record.entry.clone(), api.to_owned()));
            continue;
        }
        compared += 1;
        let mut expected = decision(map_record);
        let mut actual = decision(kong_record);
        if map_record.entry != "short" {
            // The source's routes decide the path on the legacy and long hosts (`strip_path`,
            // the service): forwarded is forwarded, to the Host the filters chose.
            expected.6 = None;
            actual.6 = None;
            for decision in [&mut expected, &mut actual] {
                if decision.2 == ObservedAction::Proxy {
                    decision.2 = ObservedAction::Pass;
                }
            }
        }
        if expected != actual {
            differences.push(format!(
                "#{} {} {}{}: map {expected:?}, kong {actual:?}",
                map_record.n, map_record.method, map_record.host, map_record.path
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {compared} decided differently:\n{}",
        differences.len(),
        differences.join("\n")
    );
    assert!(compared > 600, "only {compared} requests compared");
    // Kong's 404s are exactly where the source's routes restrict paths or methods.
    let restricted: BTreeSet<(String, String)> = kong_404.into_iter().collect();
    for (entry, api) in &restricted {
        assert!(
            ["api01", "api02", "api07"].contains(&api.as_str()),
            "{entry} {api}: Kong's 404 on an API whose source routes take every path"
        );
    }
}
