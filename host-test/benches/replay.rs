//! Requests replayed per second through two real filters (`migration_telemetry`,
//! `short_domain_router`) on one core; the target is at least 100,000/s.
//!
//! Needs the built filters (`scripts/build-filters.sh`); `KDP_FILTERS_DIR` and
//! `KDP_TEST_FILTERS_DIR` override where.

// A benchmark harness, not library code: failing loudly is what it should do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kdp_migrate_host_test::{Engine, FilterLibrary, FilterSpec, Host, ObservedAction, Request};

fn dir(variable: &str, default: &str) -> PathBuf {
    std::env::var_os(variable).map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(default),
        PathBuf::from,
    )
}

fn replay(c: &mut Criterion) {
    let mut library = FilterLibrary::new().unwrap();
    library
        .load_dir(
            &dir("KDP_FILTERS_DIR", "../dist/kong-filters"),
            &["migration_telemetry", "short_domain_router"],
        )
        .unwrap_or_else(|error| panic!("{error}"));
    library
        .load_dir(
            &dir("KDP_TEST_FILTERS_DIR", "../dist/test-filters"),
            &["test_trap"],
        )
        .unwrap_or_else(|error| panic!("{error}"));
    let map =
        std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../kong/map.json")).unwrap();
    let cases = [
        (
            "proxy",
            Request::new("GET", "dev-01.aliyun.cloud.cn.aibang", "/api01/orders?id=7"),
            ObservedAction::Proxy,
        ),
        (
            "reject",
            Request::new("GET", "dev-01.aliyun.cloud.cn.aibang", "/api03/orders"),
            ObservedAction::Reject,
        ),
    ];
    let mut group = c.benchmark_group("replay_two_filters");
    group.throughput(Throughput::Elements(1));
    for engine in [Engine::Kong, Engine::Envoy] {
        let mut host = Host::new(&library, engine);
        let chain = host
            .add_chain(&[
                FilterSpec::new("migration_telemetry", map.as_slice()),
                FilterSpec::new("short_domain_router", map.as_slice()),
            ])
            .unwrap();
        for (name, request, action) in &cases {
            group.bench_function(format!("{engine}/{name}"), |b| {
                b.iter(|| {
                    let observation = host.run(chain, black_box(request));
                    assert_eq!(observation.action, *action);
                    observation
                });
            });
        }
    }
    group.finish();

    // The host's own share: the same request through two instances of the test filter, which
    // only logs a line per callback. What the real filters take beyond this is their own work.
    let mut group = c.benchmark_group("replay_two_test_filters");
    group.throughput(Throughput::Elements(1));
    for engine in [Engine::Kong, Engine::Envoy] {
        let mut host = Host::new(&library, engine);
        let chain = host
            .add_chain(&[
                FilterSpec::new("test_trap", ""),
                FilterSpec::new("test_trap", ""),
            ])
            .unwrap();
        let (_, request, _) = &cases[0];
        group.bench_function(format!("{engine}/pass"), |b| {
            b.iter(|| {
                let observation = host.run(chain, black_box(request));
                assert_eq!(observation.action, ObservedAction::Pass);
                observation
            });
        });
    }
    group.finish();
}

criterion_group!(benches, replay);
criterion_main!(benches);
