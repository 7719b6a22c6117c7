//! `kdp-migrate kong convert` on the fixture dump (kong/examples/deck/): what it rehosts, adds,
//! carries and drops, every "needs a human" case of the fixture, idempotence, JSON and 1.1
//! input, and unusable input.

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
use std::process::Output;

use common::proof::{deck_dump_path, deck_map_path, kdp_migrate, scratch};
use common::workspace;
use kdp_migrate_cli::yaml;
use serde_json::Value;

struct Conversion {
    output: Output,
    config: String,
    report: Value,
}

fn convert(dir: &Path, dump: &Path, map: &Path, extra: &[&str]) -> Conversion {
    let out = dir.join("converted.yml");
    let report = dir.join("report.json");
    let _ = std::fs::remove_file(&out);
    let mut args = vec![
        "kong",
        "convert",
        "--dump",
        dump.to_str().unwrap(),
        "--map",
        map.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let output = kdp_migrate(&args);
    let config = std::fs::read_to_string(&out).unwrap_or_default();
    let report = std::fs::read_to_string(&report)
        .map(|text| serde_json::from_str(&text).unwrap())
        .unwrap_or(Value::Null);
    Conversion {
        output,
        config,
        report,
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn fixture(dir: &Path) -> Conversion {
    convert(
        dir,
        &deck_dump_path(),
        &deck_map_path(),
        &["--layout", "chains"],
    )
}

fn entities<'r>(report: &'r Value, action: &str) -> Vec<(&'r str, &'r str)> {
    report["entities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entity| entity["action"] == action)
        .map(|entity| {
            (
                entity["kind"].as_str().unwrap(),
                entity["name"].as_str().unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_report_catches_every_case_of_the_fixture_that_needs_a_human() {
    let dir = scratch("convert-cases");
    let conversion = fixture(&dir);
    assert_eq!(
        conversion.output.status.code(),
        Some(1),
        "{}",
        stderr(&conversion.output)
    );
    let cases: BTreeSet<(String, String)> = conversion.report["needs_human"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            (
                item["case"].as_str().unwrap().to_owned(),
                item["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("deck_only_key", "_info"),
        ("deck_only_key", "file-log (global)"),
        ("consumer_groups", "consumer_groups"),
        ("plugin_names_legacy_host", "cors (service orders-svc)"),
        ("plugin_sets_host", "request-transformer (route payments)"),
        ("route_hosts_two_apis", "reports"),
        ("service_shared_by_apis", "reports-svc"),
        ("route_mixed_hosts", "inventory"),
        ("wildcard_host", "catch-all-source-team1"),
        ("strip_path", "payments"),
        ("regex_path", "orders-admin"),
        ("service_path", "catalog-svc"),
        ("name_collision", "catalog-short"),
        ("certificate_not_covering", "dev-01.aliyun.cloud.cn.aibang"),
        (
            "certificate_not_covering",
            "api01.target-team2.dev.aliyun.cloud.cn.aibang",
        ),
        (
            "certificate_not_covering",
            "api02.target-team2.dev.aliyun.cloud.cn.aibang",
        ),
        (
            "certificate_not_covering",
            "api03.target-team2.dev.aliyun.cloud.cn.aibang",
        ),
        (
            "certificate_not_covering",
            "api04.target-team2.dev.aliyun.cloud.cn.aibang",
        ),
        (
            "certificate_not_covering",
            "api05.target-team2.dev.aliyun.cloud.cn.aibang",
        ),
        (
            "certificate_not_covering",
            "api06.target-team2.dev.aliyun.cloud.cn.aibang",
        ),
        (
            "certificate_not_covering",
            "api07.target-team2.dev.aliyun.cloud.cn.aibang",
        ),
        (
            "certificate_not_covering",
            "api08.target-team2.dev.aliyun.cloud.cn.aibang",
        ),
        (
            "certificate_not_covering",
            "api09.target-team2.dev.aliyun.cloud.cn.aibang",
        ),
    ]
    .into_iter()
    .map(|(case, name)| (case.to_owned(), name.to_owned()))
    .collect();
    assert_eq!(cases, expected);
    // Each item points at the dump's line.
    let cors = conversion.report["needs_human"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["case"] == "plugin_names_legacy_host")
        .unwrap();
    let dump = deck_dump_path().display().to_string();
    assert_eq!(cors["at"], format!("{dump}:287:9"));
    assert_eq!(cors["api"], "api01");
    // The human text says the same on stderr.
    let text = stderr(&conversion.output);
    assert!(
        text.starts_with(&format!(
            "converted {dump} (_format_version 3.0, layout chains): "
        )),
        "{text}"
    );
    assert!(text.contains(&format!("  [regex_path] route orders-admin ({dump}:305:7): regex ~/v1/admin/\\d+ is written behind the prefix on the short domain as ~/api01(?:/v1/admin/\\d+)")), "{text}");
}

#[test]
fn apis_are_rehosted_mirrored_or_added_and_everything_else_is_carried() {
    let dir = scratch("convert-entities");
    let conversion = fixture(&dir);
    let rehosted: BTreeSet<(&str, &str)> = entities(&conversion.report, "rehosted")
        .into_iter()
        .collect();
    assert_eq!(
        rehosted,
        BTreeSet::from([
            ("service", "catalog-svc"),
            ("route", "catalog"),
            ("service", "inventory-svc"),
            ("route", "inventory"),
            ("service", "orders-svc"),
            ("route", "orders-admin"),
            ("route", "orders-public"),
            ("service", "payments-svc"),
            ("route", "payments"),
            ("service", "search-svc"),
            ("route", "search"),
        ])
    );
    let added: BTreeSet<(&str, &str)> = entities(&conversion.report, "added").into_iter().collect();
    for wanted in [
        ("route", "orders-public-short"),
        ("route", "orders-public-long"),
        ("route", "catalog-short-kdp-migrate"),
        ("service", "api08"),
        ("route", "api08-legacy"),
        ("service", "api09"),
        ("service", "kdp-short-unmatched"),
        ("plugin", "prometheus (global)"),
        (
            "plugin",
            "rate-limiting (route orders-public-short, consumer mobile-app)",
        ),
    ] {
        assert!(added.contains(&wanted), "{wanted:?} not added: {added:?}");
    }
    let carried: BTreeSet<(&str, &str)> = entities(&conversion.report, "carried")
        .into_iter()
        .collect();
    for wanted in [
        ("service", "reports-svc"),
        ("service", "sso"),
        ("consumer", "mobile-app"),
        ("consumer", "batch-jobs"),
        ("upstream", "payments-upstream"),
        ("certificate", "0c6a1f2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"),
        ("ca_certificate", "5b3f0c8e-6a2f-4c1e-9d1a-2f4b7c8e9a01"),
        ("vault", "env"),
        ("consumer_group", "gold-partners"),
        ("plugin", "correlation-id (global)"),
    ] {
        assert!(
            carried.contains(&wanted),
            "{wanted:?} not carried: {carried:?}"
        );
    }
    assert!(entities(&conversion.report, "dropped").is_empty());

    let config = yaml::parse_value(&conversion.config).unwrap();
    let source = yaml::parse_value(&std::fs::read_to_string(deck_dump_path()).unwrap()).unwrap();
    // Carried entities are byte-for-byte the source's.
    for key in [
        "consumers",
        "upstreams",
        "certificates",
        "ca_certificates",
        "vaults",
        "consumer_groups",
        "_info",
    ] {
        assert_eq!(config[key], source[key], "{key}");
    }
    let service = |name: &str| {
        config["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|service| service["name"] == name)
            .unwrap()
            .clone()
    };
    let orders = service("orders-svc");
    assert_eq!(orders["url"], "http://api01.team2.svc.cluster.local:8080");
    assert!(orders.get("host").is_none());
    assert_eq!(orders["retries"], 5);
    assert_eq!(orders["plugins"], source["services"][5]["plugins"]);
    let route = |name: &str| {
        orders["routes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|route| route["name"] == name)
            .unwrap()
            .clone()
    };
    let legacy = route("orders-public");
    assert_eq!(legacy["paths"], serde_json::json!(["/v1/orders"]));
    assert_eq!(legacy["preserve_host"], true);
    assert_eq!(
        legacy["filter_chains"][0]["filters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|filter| filter["name"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["migration_telemetry", "legacy_redirect", "host_rewrite"]
    );
    let short = route("orders-public-short");
    assert_eq!(
        short["hosts"],
        serde_json::json!(["dev-01.aliyun.cloud.cn.aibang"])
    );
    assert_eq!(short["paths"], serde_json::json!(["~/api01/v1/orders"]));
    assert_eq!(short["methods"], serde_json::json!(["GET", "POST"]));
    assert_eq!(short["strip_path"], false);
    // key-auth protects every entry; the path-limited rate limit counts the short-domain path.
    let plugin_names: Vec<&str> = short["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(plugin_names, ["key-auth", "rate-limiting"]);
    assert_eq!(short["plugins"][1]["config"]["path"], "/api01/v1/orders");
    let long = route("orders-public-long");
    assert_eq!(
        long["hosts"],
        serde_json::json!(["api01.target-team2.dev.aliyun.cloud.cn.aibang"])
    );
    assert_eq!(long["paths"], serde_json::json!(["/v1/orders"]));
    assert_eq!(long["plugins"][1]["config"]["path"], "/v1/orders");
    let admin_short = route("orders-admin-short");
    assert_eq!(
        admin_short["paths"],
        serde_json::json!(["~/api01(?:/v1/admin/\\d+)"])
    );
    // Inside one API the source's order (regex above prefix), under a deeper prefix.
    assert_eq!(admin_short["regex_priority"], 64 + 32 + 10);
    assert_eq!(short["regex_priority"], 64 + 10);
}

#[test]
fn converting_the_output_again_changes_nothing() {
    let dir = scratch("convert-idempotent");
    let first = fixture(&dir);
    let again_dir = scratch("convert-idempotent-again");
    let converted = dir.join("converted.yml");
    let second = convert(
        &again_dir,
        &converted,
        &deck_map_path(),
        &["--layout", "chains"],
    );
    assert_eq!(first.config, second.config);
    for layout in [["--layout", "combined"], ["--native", "--native"]] {
        let args: Vec<&str> = if layout[0] == "--native" {
            vec!["--native"]
        } else {
            layout.to_vec()
        };
        let one = convert(&dir, &deck_dump_path(), &deck_map_path(), &args);
        std::fs::copy(dir.join("converted.yml"), dir.join("once.yml")).unwrap();
        let two = convert(&again_dir, &dir.join("once.yml"), &deck_map_path(), &args);
        assert_eq!(one.config, two.config, "{args:?}");
    }
}

#[test]
fn only_mapped_drops_the_services_and_routes_of_other_apis() {
    let dir = scratch("convert-only-mapped");
    let conversion = convert(
        &dir,
        &deck_dump_path(),
        &deck_map_path(),
        &["--only-mapped"],
    );
    let dropped: BTreeSet<(&str, &str)> = entities(&conversion.report, "dropped")
        .into_iter()
        .collect();
    assert_eq!(
        dropped,
        BTreeSet::from([
            ("service", "health-svc"),
            ("service", "legacy-cms"),
            ("service", "old-billing"),
            ("service", "sso"),
        ])
    );
    let config = yaml::parse_value(&conversion.config).unwrap();
    let services: Vec<&str> = config["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(!services.contains(&"sso"));
    // Consumers and global plugins stay.
    assert_eq!(config["consumers"].as_array().unwrap().len(), 4);
}

#[test]
fn the_seed_map_converts_the_fixture_too() {
    let dir = scratch("convert-seed");
    let conversion = convert(
        &dir,
        &deck_dump_path(),
        &workspace().join("kong/map.json"),
        &[],
    );
    assert_eq!(
        conversion.output.status.code(),
        Some(1),
        "{}",
        stderr(&conversion.output)
    );
    let rehosted: BTreeSet<(&str, &str)> = entities(&conversion.report, "rehosted")
        .into_iter()
        .collect();
    assert_eq!(
        rehosted,
        BTreeSet::from([
            ("service", "orders-svc"),
            ("route", "orders-admin"),
            ("route", "orders-public"),
            ("service", "payments-svc"),
            ("route", "payments"),
        ])
    );
    let carried: BTreeSet<(&str, &str)> = entities(&conversion.report, "carried")
        .into_iter()
        .collect();
    assert!(carried.contains(&("service", "catalog-svc")));
    assert!(carried.contains(&("service", "reports-svc")));
}

#[test]
fn json_dumps_and_format_1_1_are_read() {
    let dir = scratch("convert-json");
    let source = yaml::parse_value(&std::fs::read_to_string(deck_dump_path()).unwrap()).unwrap();
    let json_dump = dir.join("ccc-int-kdp.json");
    std::fs::write(&json_dump, serde_json::to_string_pretty(&source).unwrap()).unwrap();
    let from_json = convert(&dir, &json_dump, &deck_map_path(), &["--layout", "chains"]);
    let yaml_dir = scratch("convert-json-yaml");
    let from_yaml = fixture(&yaml_dir);
    assert_eq!(from_json.config, from_yaml.config);
    let json_items = from_json.report["needs_human"].as_array().unwrap().len();
    assert_eq!(
        json_items,
        from_yaml.report["needs_human"].as_array().unwrap().len()
    );
    // JSON keeps positions too.
    assert!(
        from_json.report["needs_human"][0]["at"]
            .as_str()
            .unwrap()
            .contains("ccc-int-kdp.json:")
    );

    let old = dir.join("old.yaml");
    std::fs::write(
        &old,
        "_format_version: \"1.1\"\nservices:\n- name: legacy-api01\n  host: 10.0.0.1\n  routes:\n  - name: r\n    hosts: [api01.source-team1.dev.aliyun.cloud.cn.aibang]\n    paths: [/users/\\d+, /plain]\n    strip_path: false\n",
    )
    .unwrap();
    let conversion = convert(&dir, &old, &workspace().join("kong/map.json"), &[]);
    let config = yaml::parse_value(&conversion.config).unwrap();
    assert_eq!(config["_format_version"], "3.0");
    let service = config["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|service| service["name"] == "legacy-api01")
        .unwrap();
    let routes = service["routes"].as_array().unwrap();
    let legacy = routes.iter().find(|route| route["name"] == "r").unwrap();
    assert_eq!(
        legacy["paths"],
        serde_json::json!(["~/users/\\d+", "/plain"])
    );
    assert_eq!(conversion.report["source_format_version"], "1.1");
    let details = conversion.report["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entity| entity["name"] == "r")
        .unwrap()["details"]
        .clone();
    assert!(
        details
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == "path /users/\\d+ -> ~/users/\\d+ (_format_version 1.1 -> 3.0)"),
        "{details}"
    );
}

#[test]
fn unusable_input_exits_2_with_file_line_and_column() {
    let dir = scratch("convert-unusable");
    let cases: [(&str, &str); 4] = [
        ("not-deck.yaml", "services:\n- name: a\n"),
        ("version.yaml", "_format_version: \"2.5\"\n"),
        (
            "broken.yaml",
            "_format_version: \"3.0\"\nservices:\n- name: a\n  routes: [\n",
        ),
        (
            "broken.json",
            "{\"_format_version\": \"3.0\",\n \"services\": [}\n",
        ),
    ];
    let expected = [
        "1:1: not a decK file: no _format_version (deck gateway dump writes \"3.0\" or \"1.1\")",
        "1:18: unknown _format_version \"2.5\" (Kong 3.9 reads \"1.1\", \"2.1\" and \"3.0\")",
        "4:11: not YAML: unclosed bracket '['",
        "2:15: not JSON: expected value",
    ];
    for ((name, text), expected) in cases.iter().zip(expected) {
        let path: PathBuf = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let conversion = convert(&dir, &path, &deck_map_path(), &[]);
        assert_eq!(conversion.output.status.code(), Some(2), "{name}");
        assert_eq!(
            stderr(&conversion.output),
            format!("kdp-migrate: {}:{expected}\n", path.display()),
            "{name}"
        );
        assert!(conversion.config.is_empty());
    }
}
