//! Shared by the integration tests: where the built filters are, one compiled library per test
//! binary, and the seed map.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(dead_code)] // each test binary uses its own subset

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kdp_migrate_core::{Entry, filters};
use kdp_migrate_host_test::artifacts;
use kdp_migrate_host_test::{
    Engine, FilterLibrary, FilterSpec, Host, LogLevel, Observation, Request, Routing,
    UpstreamResponse,
};

/// The shipped filters.
pub use kdp_migrate_core::filters::SHIPPED as FILTERS;

pub use kdp_migrate_host_test::artifacts::{filters_dir, test_filters_dir, workspace};

/// A built filter, refused when missing or older than its sources.
fn wasm(dir: &Path, name: &str) -> PathBuf {
    artifacts::fresh_wasm(dir, name).unwrap_or_else(|error| panic!("{error}"))
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

/// A host in `engine` with one chain of `filters`, each configured with `config`.
pub fn host_with(
    engine: Engine,
    filters: &[&str],
    config: &[u8],
) -> (Host, kdp_migrate_host_test::ChainId) {
    let mut host = Host::new(library(), engine);
    let specs: Vec<FilterSpec> = filters
        .iter()
        .map(|name| FilterSpec::new(name, config))
        .collect();
    let chain = host.add_chain(&specs).unwrap();
    (host, chain)
}

pub const ENGINES: [Engine; 2] = [Engine::Kong, Engine::Envoy];

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

/// A gateway in one engine with the standard chains (by entry) and the combined `kdp_migrate`
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
    pub fn new(engine: Engine, map: &[u8]) -> Self {
        let mut host = Host::new(library(), engine);
        let mut chain = |names: &[&str]| {
            let specs: Vec<FilterSpec> = names
                .iter()
                .map(|name| FilterSpec::json(name, map))
                .collect();
            host.add_chain(&specs).unwrap()
        };
        let short = chain(filters::chain(Entry::Short));
        let legacy = chain(filters::chain(Entry::Legacy));
        let other = chain(filters::chain(Entry::Long));
        let combined = chain(&[filters::KDP_MIGRATE]);
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
    pub fn split(&mut self, request: &Request, upstream: &UpstreamResponse) -> Observation {
        let chain = match self.map.classify(&request.host, &request.path).entry {
            Entry::Short => self.short,
            Entry::Legacy => self.legacy,
            Entry::Long | Entry::Unknown => self.other,
        };
        self.host
            .run_with(chain, request, &Routing::default(), upstream)
    }

    /// Through the combined filter alone.
    pub fn combined(&mut self, request: &Request, upstream: &UpstreamResponse) -> Observation {
        self.host
            .run_with(self.combined, request, &Routing::default(), upstream)
    }

    /// Through both; what the client and the upstream see must be the same. Returns the split one.
    pub fn both(&mut self, request: &Request, upstream: &UpstreamResponse) -> Observation {
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

    pub fn get(&mut self, host: &str, path: &str) -> Observation {
        self.both(
            &Request::new("GET", host, path),
            &UpstreamResponse::default(),
        )
    }
}

/// The one telemetry line of a request, parsed.
pub fn telemetry(observation: &Observation, filter: &str) -> serde_json::Value {
    let lines: Vec<&str> = observation
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
