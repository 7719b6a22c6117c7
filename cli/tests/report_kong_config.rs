//! The Kong side of the `log_plugins` sink: `kdp-migrate kong generate` adds the file-log plugin
//! that copies `kong.ctx.shared.kdp_migrate` into each entry when the map asks for that sink (and
//! only then), and the report reads what that plugin writes.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod report_support;

use std::process::Command;

use common::workspace;
use kdp_migrate_cli::report::line::LOG_PLUGIN_FIELD;
use report_support::scratch;
use serde_json::{Value, json};

fn generate(map: &Value) -> Value {
    let dir = scratch(&format!(
        "kong-config-{}",
        map["telemetry"].as_str().unwrap_or("default")
    ));
    let map_path = dir.join("map.json");
    std::fs::write(&map_path, map.to_string()).unwrap();
    let out = dir.join("kong.yml");
    let output = Command::new(env!("CARGO_BIN_EXE_kdp-migrate"))
        .args(["kong", "generate", "--map"])
        .arg(&map_path)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    kdp_migrate_cli::yaml::parse(&std::fs::read_to_string(&out).unwrap())
        .unwrap()
        .value
}

fn seed_map() -> Value {
    serde_json::from_slice(&std::fs::read(workspace().join("kong/map.json")).unwrap()).unwrap()
}

#[test]
fn generate_adds_the_file_log_plugin_for_the_log_plugins_sink_only() {
    let mut map = seed_map();
    map["telemetry"] = json!("log_plugins");
    let config = generate(&map);
    let plugins = config["plugins"].as_array().unwrap();
    let file_log = plugins
        .iter()
        .find(|plugin| plugin["name"] == "file-log")
        .unwrap_or_else(|| panic!("no file-log in {plugins:#?}"));
    assert_eq!(
        file_log["config"]["custom_fields_by_lua"],
        json!({ LOG_PLUGIN_FIELD: "return kong.ctx.shared.kdp_migrate" })
    );
    assert_eq!(file_log["config"]["reopen"], true);
    assert!(
        file_log["config"]["path"]
            .as_str()
            .unwrap()
            .ends_with(".jsonl")
    );

    let default = generate(&seed_map());
    assert!(
        default["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .all(|plugin| plugin["name"] != "file-log"),
        "{:#?}",
        default["plugins"]
    );
}
