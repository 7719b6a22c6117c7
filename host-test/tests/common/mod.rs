//! Shared by the integration tests: where the built filters are, one compiled library per test
//! binary, and the seed map.
#![allow(dead_code)]
// each test binary uses its own subset
// Test helpers outside #[test] functions: clippy.toml's allow-*-in-tests does not reach them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kdp_migrate_host_test::{
    FilterLibrary, FilterSpec, Host, LogLevel, Mode, Outcome, Request, Routing, UpstreamResponse,
};

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
        library
            .load("test_trap", &wasm(&test_filters_dir(), "test_trap"))
            .unwrap();
        library
    })
}

/// Only the test filter, for tests of the host itself.
pub fn trap_library() -> &'static FilterLibrary {
    static LIBRARY: OnceLock<FilterLibrary> = OnceLock::new();
    LIBRARY.get_or_init(|| {
        let mut library = FilterLibrary::new().unwrap();
        library
            .load("test_trap", &wasm(&test_filters_dir(), "test_trap"))
            .unwrap();
        library
    })
}

/// The seed migration map, `kong/map.json`.
pub fn seed_map() -> Vec<u8> {
    std::fs::read(workspace().join("kong/map.json")).unwrap()
}

/// A host in `mode` with one chain of `filters`, each configured with `config`.
pub fn host_with(
    mode: Mode,
    filters: &[&str],
    config: &[u8],
) -> (Host, kdp_migrate_host_test::ChainId) {
    let mut host = Host::new(library(), mode);
    let specs: Vec<FilterSpec> = filters
        .iter()
        .map(|name| FilterSpec::new(name, config))
        .collect();
    let chain = host.add_chain(&specs).unwrap();
    (host, chain)
}

pub const MODES: [Mode; 2] = [Mode::Kong, Mode::Envoy];

/// The seed map with top-level fields replaced by `patch`'s.
pub fn map_with(patch: serde_json::Value) -> Vec<u8> {
    let mut map: serde_json::Value = serde_json::from_slice(&seed_map()).unwrap();
    let (Some(map_fields), serde_json::Value::Object(patch)) = (map.as_object_mut(), patch) else {
        panic!("maps and patches are objects");
    };
    for (key, value) in patch {
        map_fields.insert(key, value);
    }
    serde_json::to_vec(&map).unwrap()
}

pub const SHORT: &str = "dev-01.aliyun.cloud.cn.aibang";
pub const API01_LONG: &str = "api01.target-team2.dev.aliyun.cloud.cn.aibang";
pub const API02_LONG: &str = "api02.target-team2.dev.aliyun.cloud.cn.aibang";
pub const API01_LEGACY: &str = "api01.source-team1.dev.aliyun.cloud.cn.aibang";
pub const API02_LEGACY: &str = "api02.source-team1.dev.aliyun.cloud.cn.aibang";

/// A gateway in one mode with the standard chains (by entry) and the combined `kdp_migrate`
/// filter, every filter configured with the same map.
pub struct Gateway {
    pub host: Host,
    map: kdp_migrate_core::MigrationMap,
    short: kdp_migrate_host_test::ChainId,
    legacy: kdp_migrate_host_test::ChainId,
    other: kdp_migrate_host_test::ChainId,
    combined: kdp_migrate_host_test::ChainId,
}

impl Gateway {
    pub fn new(mode: Mode, map: &[u8]) -> Self {
        let mut host = Host::new(library(), mode);
        let mut chain = |names: &[&str]| {
            let specs: Vec<FilterSpec> = names
                .iter()
                .map(|name| FilterSpec::new(name, map))
                .collect();
            host.add_chain(&specs).unwrap()
        };
        let short = chain(&["migration_telemetry", "short_domain_router"]);
        let legacy = chain(&["migration_telemetry", "legacy_redirect", "host_rewrite"]);
        let other = chain(&["migration_telemetry"]);
        let combined = chain(&["kdp_migrate"]);
        Self {
            host,
            map: kdp_migrate_core::MigrationMap::from_json(map).unwrap(),
            short,
            legacy,
            other,
            combined,
        }
    }

    /// Through the chain the standard layout puts in front of the request's entry.
    pub fn split(&mut self, request: &Request, upstream: &UpstreamResponse) -> Outcome {
        let chain = match self.map.classify(&request.host, &request.path).entry {
            kdp_migrate_core::Entry::Short => self.short,
            kdp_migrate_core::Entry::Legacy => self.legacy,
            kdp_migrate_core::Entry::Long | kdp_migrate_core::Entry::Unknown => self.other,
        };
        self.host
            .run_with(chain, request, &Routing::default(), upstream)
    }

    /// Through the combined filter alone.
    pub fn combined(&mut self, request: &Request, upstream: &UpstreamResponse) -> Outcome {
        self.host
            .run_with(self.combined, request, &Routing::default(), upstream)
    }

    /// Through both; what the client and the upstream see must be the same. Returns the split one.
    pub fn both(&mut self, request: &Request, upstream: &UpstreamResponse) -> Outcome {
        let split = self.split(request, upstream);
        let combined = self.combined(request, upstream);
        let context = format!("{} {}{}", request.method, request.host, request.path);
        assert_eq!(split.action, combined.action, "{context}");
        assert_eq!(split.error, combined.error, "{context}");
        assert_eq!(split.upstream, combined.upstream, "{context}");
        assert_eq!(
            client_view(&split.response),
            client_view(&combined.response),
            "{context}"
        );
        split
    }

    pub fn get(&mut self, host: &str, path: &str) -> Outcome {
        self.both(
            &Request::new("GET", host, path),
            &UpstreamResponse::default(),
        )
    }
}

/// The one telemetry line of a request, parsed.
pub fn telemetry(outcome: &Outcome, filter: &str) -> serde_json::Value {
    let lines: Vec<&str> = outcome
        .filter_logs(filter, LogLevel::Info)
        .filter(|line| line.starts_with('{'))
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "one telemetry line from {filter}: {lines:?}"
    );
    serde_json::from_str(lines[0]).unwrap()
}

/// A response as HTTP defines its meaning: the order of fields with different names is not part
/// of it (the chains add and rewrite headers in different orders), the order of same-name fields is.
pub fn client_view(
    response: &kdp_migrate_host_test::Response,
) -> (u16, Vec<(String, String)>, &[u8]) {
    let mut headers: Vec<(String, String)> = response
        .headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
        .collect();
    headers.sort_by(|a, b| a.0.cmp(&b.0));
    (response.status, headers, &response.body)
}
