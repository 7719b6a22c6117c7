//! `kdp-migrate kong generate`: kong/kong.yml (the default, combined layout) and kong/kong-chains.yml
//! (`--layout chains`) are its output for the seed map (regenerate with `KDP_REGENERATE=1`), the
//! layouts, determinism, and refused input.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::process::{Command, Output};

use common::workspace;
use kdp_migrate_cli::yaml;
use serde_json::Value;

fn kdp_migrate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kdp-migrate"))
        .args(args)
        .current_dir(workspace())
        .output()
        .unwrap()
}

fn generate(extra: &[&str]) -> String {
    let mut args = vec!["kong", "generate", "--map", "kong/map.json"];
    args.extend_from_slice(extra);
    let output = kdp_migrate(&args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// `file` (under kong/) is what `kong generate --map kong/map.json` writes with `extra` arguments.
fn committed_is_generated(file: &str, extra: &[&str]) -> String {
    let generated = generate(extra);
    let path = workspace().join("kong").join(file);
    if std::env::var_os("KDP_REGENERATE").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap();
    let command = format!(
        "kong generate --map kong/map.json {} --out kong/{file}",
        extra.join(" ")
    );
    assert!(
        committed == generated,
        "kong/{file} is not `kdp-migrate {command}`: run `cargo run -p kdp-migrate-cli -- {command}` \
         (or this test with KDP_REGENERATE=1)"
    );
    generated
}

/// The map written once (`&migration_map`) and referenced by every other filter.
fn map_references(generated: &str) -> (usize, usize) {
    let body: String = generated
        .lines()
        .filter(|line| !line.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    (
        body.matches("&migration_map").count(),
        body.matches("*migration_map").count(),
    )
}

#[test]
fn kong_yml_is_the_generated_configuration_of_the_seed_map() {
    // The recommended layout, kdp_migrate alone on each of the 7 routes, is the default.
    let combined = committed_is_generated("kong.yml", &[]);
    assert!(
        combined.contains("generate --layout combined"),
        "{combined}"
    );
    assert_eq!(map_references(&combined), (1, 6));
    // The split filters, chained per entry: migration_telemetry on every route, two more on short and
    // legacy routes.
    let chains = committed_is_generated("kong-chains.yml", &["--layout", "chains"]);
    assert_eq!(map_references(&chains), (1, 13));
}

fn routes(document: &Value) -> Vec<&Value> {
    document["services"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|service| service["routes"].as_array().unwrap())
        .collect()
}

#[test]
fn combined_layout_runs_kdp_migrate_alone_and_names_and_tags_are_the_maps() {
    let document = yaml::parse_value(&generate(&["--layout", "combined"])).unwrap();
    let seed: Value =
        serde_json::from_slice(&std::fs::read(workspace().join("kong/map.json")).unwrap()).unwrap();
    let mut names = Vec::new();
    for route in routes(&document) {
        let chain = &route["filter_chains"][0]["filters"];
        assert_eq!(chain.as_array().unwrap().len(), 1);
        assert_eq!(chain[0]["name"], "kdp_migrate");
        assert_eq!(chain[0]["config"], seed);
        names.push((
            route["name"].as_str().unwrap(),
            route["tags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|tag| tag.as_str().unwrap())
                .collect::<Vec<_>>(),
        ));
    }
    assert_eq!(
        names,
        [
            (
                "api01-legacy",
                vec!["kdp-migrate", "entry-legacy", "api-api01"]
            ),
            ("api01-long", vec!["kdp-migrate", "entry-long", "api-api01"]),
            (
                "api01-short",
                vec!["kdp-migrate", "entry-short", "api-api01"]
            ),
            (
                "api02-legacy",
                vec!["kdp-migrate", "entry-legacy", "api-api02"]
            ),
            ("api02-long", vec!["kdp-migrate", "entry-long", "api-api02"]),
            (
                "api02-short",
                vec!["kdp-migrate", "entry-short", "api-api02"]
            ),
            ("short-unmatched", vec!["kdp-migrate", "entry-short"]),
        ]
    );
}

#[test]
fn service_urls_follow_the_template_and_output_is_deterministic() {
    let first = generate(&["--service-url", "https://{api}.backend.internal:8443"]);
    assert_eq!(
        first,
        generate(&["--service-url", "https://{api}.backend.internal:8443"])
    );
    let document = yaml::parse_value(&first).unwrap();
    let urls: Vec<&str> = document["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|service| service["url"].as_str().unwrap())
        .collect();
    assert_eq!(
        urls,
        [
            "https://api01.backend.internal:8443",
            "https://api02.backend.internal:8443",
            "http://127.0.0.1:9"
        ]
    );
    assert!(first.contains("--service-url https://{api}.backend.internal:8443"));
}

#[test]
fn refused_input_exits_2_naming_the_problem() {
    let output = kdp_migrate(&[
        "kong",
        "generate",
        "--map",
        "kong/map.json",
        "--service-url",
        "http://{api}.internal/base",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        "kdp-migrate: --service-url \"http://{api}.internal/base\": a path is only possible with --native: short_domain_router sets the upstream path of short-domain requests itself, so the service path would apply to some entries only\n"
    );
    let output = kdp_migrate(&["kong", "generate", "--map", "/nonexistent.json"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        "kdp-migrate: --map /nonexistent.json: No such file or directory (os error 2)\n"
    );
}
