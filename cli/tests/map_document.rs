//! The migration map as a file: YAML and JSON read to the same map, and a map the core refuses is
//! reported with its field.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{filters_dir, workspace};
use kdp_migrate_cli::map_document::MapDocument;
use kdp_migrate_core::filters::KDP_MIGRATE;
use kdp_migrate_host_test::{Engine, FilterLibrary, FilterSpec, Host};

fn seed_map() -> Vec<u8> {
    std::fs::read(workspace().join("kong/map.json")).unwrap()
}

#[test]
fn a_yaml_map_is_the_same_map_as_json() {
    let yaml = b"short_host: dev-01.aliyun.cloud.cn.aibang\nlong_host: \"{api}.target-team2.dev.aliyun.cloud.cn.aibang\"\nlegacy_hosts: [\"{api}.source-team1.dev.aliyun.cloud.cn.aibang\"]\napis:\n  - name: api01\n  - name: api02\nlegacy: { action: redirect, target: short, status: 308, scheme: https }\nunmatched: reject\n";
    let from_yaml = MapDocument::from_bytes(yaml, true).unwrap();
    let from_json = MapDocument::from_bytes(&seed_map(), false).unwrap();
    let as_value = |json: &[u8]| serde_json::from_slice::<serde_json::Value>(json).unwrap();
    assert_eq!(as_value(&from_yaml.json), as_value(&from_json.json));
    let mut library = FilterLibrary::new().unwrap();
    library.load_dir(&filters_dir(), &[KDP_MIGRATE]).unwrap();
    let mut host = Host::new(&library, Engine::Kong);
    host.add_chain(&[FilterSpec::new(KDP_MIGRATE, from_yaml.json)])
        .unwrap();
}

#[test]
fn a_map_the_core_refuses_is_reported_with_its_field() {
    let error = MapDocument::from_bytes(
        br#"{"short_host":"dev-01.example","apis":[{"name":"Bad_Name"}]}"#,
        false,
    )
    .unwrap_err();
    assert!(error.starts_with("apis[0].name: "), "{error}");
    let error = MapDocument::from_bytes(b"short_host: [unclosed", true).unwrap_err();
    assert!(error.starts_with("1:13: not YAML: "), "{error}");
}
