//! `kong/kong.conf`: the settings the Kong guide relies on, in kong.conf syntax.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

// Test-only crate target: helpers outside #[test] functions fail loudly on bad input, by design.

use std::collections::BTreeMap;
use std::fs;

use kdp_migrate_schema_check::kong_dir;

/// `key = value` lines; comments only on their own lines (kong.conf has no trailing comments).
fn settings() -> BTreeMap<String, String> {
    let text = fs::read_to_string(kong_dir().join("kong.conf")).unwrap();
    let mut settings = BTreeMap::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("line {}: {line}", number + 1));
        assert!(
            !value.contains('#'),
            "line {}: trailing comment in {line:?}",
            number + 1
        );
        let previous = settings.insert(key.trim().to_owned(), value.trim().to_owned());
        assert!(previous.is_none(), "line {}: {key} set twice", number + 1);
    }
    settings
}

#[test]
fn wasm_is_on_with_user_filters_from_the_mounted_folder() {
    let settings = settings();
    let expected: BTreeMap<String, String> = [
        ("wasm", "on"),
        ("wasm_filters_path", "/opt/kong/wasm"),
        ("wasm_filters", "user"),
        ("database", "off"),
        ("declarative_config", "/opt/kong/kong.yml"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(settings, expected);
}

#[test]
fn no_directive_kong_forbids_is_set() {
    // kong.conf.default (Wasm section): these conflict with Kong's own management of ngx_wasm_module.
    let text = fs::read_to_string(kong_dir().join("kong.conf")).unwrap();
    for line in text
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
    {
        for forbidden in [
            "wasm_call",
            "module",
            "proxy_wasm ",
            "resolver_add",
            "request_headers_in_access",
            "shm_queue",
        ] {
            assert!(!line.contains(forbidden), "{line}");
        }
    }
}
