//! Envoy refuses a map the filters refuse: `envoy --mode validate` fails with the filter's message, and
//! so does a real start. The shipped `envoy/envoy.yaml` validates as is and carries the seed map.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use kdp_migrate_e2e::config::{self, Layout, Render};
use kdp_migrate_e2e::envoy;
use kdp_migrate_e2e::scenario::seed_with;
use kdp_migrate_e2e::work_dir::WorkDir;
use kdp_migrate_e2e::{Harness, harness, paths, per_variant};
use serde_json::{Value, json};

/// (map patch, text the refusal must contain: the field path the message starts with)
fn refused() -> Vec<(Value, &'static str)> {
    vec![
        (json!({"legacy": {"status": 305}}), "legacy.status: "),
        (
            json!({"apis": [{"name": "api01"}, {"name": "api02", "prefix": "/api01"}]}),
            "apis[1].prefix: ",
        ),
        (json!({"short_host": "bad host!"}), "short_host: "),
        (
            json!({"legacy_hosts": ["no-placeholder.example"]}),
            "legacy_hosts[0]: ",
        ),
    ]
}

per_variant! {
    Envoy;
    fn refused_map_fails_validation_with_the_message(setup) {
        let bin = paths::envoy_bin().expect("ENVOY_BIN");
        let dir = WorkDir::new("validate").expect("dir");
        let ok = envoy::validate(&bin, &harness::render(setup.variant, &paths::seed_map().expect("seed"), 9).expect("render"), dir.path(), "seed")
            .expect("validate");
        assert!(ok.status.success(), "the seed map validates: {}", ok.output);
        for (i, (patch, message)) in refused().into_iter().enumerate() {
            let map = seed_with(&patch).expect("map");
            let out = envoy::validate(&bin, &harness::render(setup.variant, &map, 9).expect("render"), dir.path(), &format!("refused{i}")).expect("validate");
            assert!(!out.status.success(), "{patch} must be refused: {}", out.output);
            assert!(out.output.contains(message), "{patch}: want {message:?} in the output:\n{}", out.output);
        }
    }

    fn refused_map_stops_envoy_at_startup(setup) {
        let map = seed_with(&json!({"legacy": {"status": 305}})).expect("map");
        let err = Harness::start(setup, &map).expect_err("Envoy must refuse to start");
        let text = err.to_string();
        assert!(text.contains("exited before it was ready"), "{text}");
        assert!(text.contains("legacy.status: "), "{text}");
    }
}

/// `envoy/envoy.yaml` validates as shipped, from the workspace root (its filter path is relative to it).
#[test]
fn shipped_bootstrap_validates() {
    let bin = paths::envoy_bin().expect("ENVOY_BIN");
    let dir = WorkDir::new("shipped").expect("dir");
    let default_dir = paths::workspace_root().join("dist").join("kong-filters");
    let out = if paths::filters_dir() == default_dir {
        envoy::validate_file(&bin, &paths::envoy_template(), dir.path(), "shipped")
            .expect("validate")
    } else {
        // Filters elsewhere: change only the filter path.
        let mut config = config::load_template(&paths::envoy_template()).expect("template");
        let wasm = paths::filter_wasm("kdp_migrate").expect("filter");
        let pointer = "/static_resources/listeners/0/filter_chains/0/filters/0/typed_config/http_filters/0/\
                       typed_config/config/vm_config/code/local/filename";
        *config.pointer_mut(pointer).expect("filename") = json!(wasm);
        envoy::validate(&bin, &config, dir.path(), "shipped").expect("validate")
    };
    assert!(
        out.status.success(),
        "envoy/envoy.yaml must validate: {}",
        out.output
    );
}

/// The map in `envoy/envoy.yaml` is the seed map `kong/map.json`.
#[test]
fn shipped_bootstrap_carries_the_seed_map() {
    let template = config::load_template(&paths::envoy_template()).expect("template");
    let embedded: Value =
        serde_json::from_str(&config::template_map(&template).expect("map")).expect("json");
    let seed: Value = serde_json::from_str(&paths::seed_map().expect("seed")).expect("json");
    assert_eq!(
        embedded, seed,
        "envoy/envoy.yaml's configuration.value must equal kong/map.json"
    );
}

/// Rendering changes only what the templating step documents (envoy/README.md "Templating").
#[test]
fn rendering_changes_only_the_documented_fields() {
    let template = config::load_template(&paths::envoy_template()).expect("template");
    let settings = Render {
        admin_port: 1,
        listener_port: 2,
        upstream_port: 3,
        filters_dir: "/f".into(),
        map: "{}".into(),
        layout: Layout::Combined,
        access_log: None,
    };
    let rendered = config::render(&template, &settings).expect("render");
    let mut diffs = Vec::new();
    diff("", &template, &rendered, &mut diffs);
    diffs.sort();
    let hcm = "/static_resources/listeners/0/filter_chains/0/filters/0/typed_config";
    let wasm = format!("{hcm}/http_filters/0/typed_config/config");
    let mut expected = vec![
        "/admin/address/socket_address/port_value".to_string(),
        "/static_resources/listeners/0/address/socket_address/port_value".to_string(),
        "/static_resources/clusters/0/load_assignment/endpoints/0/lb_endpoints/0/endpoint/address/socket_address/port_value"
            .to_string(),
        format!("{wasm}/configuration/value"),
        format!("{wasm}/vm_config/code/local/filename"),
    ];
    expected.sort();
    assert_eq!(diffs, expected);
}

fn diff(at: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for key in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                match (x.get(key), y.get(key)) {
                    (Some(p), Some(q)) => diff(&format!("{at}/{key}"), p, q, out),
                    _ => out.push(format!("{at}/{key}")),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                diff(&format!("{at}/{i}"), p, q, out);
            }
        }
        _ if a != b => out.push(at.to_string()),
        _ => {}
    }
}
