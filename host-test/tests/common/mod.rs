//! Shared by the integration tests: where the built filters are, one compiled library per test
//! binary, and the seed map.
#![allow(dead_code)] // each test binary uses its own subset
// Test helpers outside #[test] functions: clippy.toml's allow-*-in-tests does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kdp_migrate_host_test::{FilterLibrary, FilterSpec, Host, Mode};

/// The shipped filters.
pub const FILTERS: [&str; 5] = [
    "short_domain_router",
    "host_rewrite",
    "legacy_redirect",
    "migration_telemetry",
    "kdp_migrate",
];

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host-test sits in the workspace")
        .to_path_buf()
}

fn dir_from(variable: &str, default: &str) -> PathBuf {
    std::env::var_os(variable)
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join(default))
}

/// `KDP_FILTERS_DIR`, default `<workspace>/dist/kong-filters`.
pub fn filters_dir() -> PathBuf {
    dir_from("KDP_FILTERS_DIR", "dist/kong-filters")
}

/// `KDP_TEST_FILTERS_DIR`, default `<workspace>/dist/test-filters`.
pub fn test_filters_dir() -> PathBuf {
    dir_from("KDP_TEST_FILTERS_DIR", "dist/test-filters")
}

fn wasm(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(format!("{name}.wasm"));
    assert!(
        path.is_file(),
        "{} is missing: run scripts/build-filters.sh to build the filters",
        path.display()
    );
    path
}

/// Every filter, shipped and test-only, compiled once per test binary.
pub fn library() -> &'static FilterLibrary {
    static LIBRARY: OnceLock<FilterLibrary> = OnceLock::new();
    LIBRARY.get_or_init(|| {
        let mut library = FilterLibrary::new().unwrap();
        for name in FILTERS {
            library.load(name, &wasm(&filters_dir(), name)).unwrap();
        }
        library.load("test_trap", &wasm(&test_filters_dir(), "test_trap")).unwrap();
        library
    })
}

/// Only the test filter, for tests of the host itself.
pub fn trap_library() -> &'static FilterLibrary {
    static LIBRARY: OnceLock<FilterLibrary> = OnceLock::new();
    LIBRARY.get_or_init(|| {
        let mut library = FilterLibrary::new().unwrap();
        library.load("test_trap", &wasm(&test_filters_dir(), "test_trap")).unwrap();
        library
    })
}

/// The seed migration map, `kong/map.json`.
pub fn seed_map() -> Vec<u8> {
    std::fs::read(workspace().join("kong/map.json")).unwrap()
}

/// A host in `mode` with one chain of `filters`, each configured with `config`.
pub fn host_with(mode: Mode, filters: &[&str], config: &[u8]) -> (Host, kdp_migrate_host_test::ChainId) {
    let mut host = Host::new(library(), mode);
    let specs: Vec<FilterSpec> = filters.iter().map(|name| FilterSpec::new(name, config)).collect();
    let chain = host.add_chain(&specs).unwrap();
    (host, chain)
}

pub const MODES: [Mode; 2] = [Mode::Kong, Mode::Envoy];
