//! Configure time and response time: building a production-shaped map from JSON, and rewriting
//! an upstream response's `Location` and three `Set-Cookie` headers for the short entry.
//!
//! Target (issue 2): building a 10,000-API map ≤ 20 ms on the project machine. Each iteration
//! asserts its result.
//!
//! Run: `cargo bench -p kdp-migrate-benches --bench build` (figures in `benches/README.md`).

// A benchmark whose fixture cannot be built must stop; these lints guard the filters' code, and
// this harness is not shipped.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use kdp_migrate_benches::{SHORT_HOST, map_json};
use kdp_migrate_core::{MigrationMap, ResponseRewrite};

fn build(c: &mut Criterion) {
    let mut group = c.benchmark_group("build");
    group.sample_size(20);
    for apis in [1_000, 10_000] {
        let document = map_json(apis);
        group.bench_function(
            format!("map from JSON, {apis} APIs ({} KiB)", document.len() / 1024),
            |b| {
                // The map is dropped outside the timing: the target is the build (a reconfigure
                // drops the old map whether or not the new one builds).
                b.iter_with_large_drop(|| {
                    let map =
                        MigrationMap::from_json(black_box(document.as_bytes())).expect("valid map");
                    assert_eq!(map.apis().len(), apis);
                    map
                })
            },
        );
    }
    group.finish();
}

fn rewrite(c: &mut Criterion) {
    let map = MigrationMap::from_json(map_json(1000).as_bytes()).expect("valid map");
    let api = map
        .apis()
        .iter()
        .find(|api| api.name() == "svc-0421")
        .expect("svc-0421 is in the map");
    let location =
        "https://svc-0421.target-team2.dev.aliyun.cloud.cn.aibang:8443/login?next=%2Forders";
    let cookies = [
        "SESSION=8f14e45fceea167a5a36dedd4bea2543; Path=/; HttpOnly; Secure; SameSite=Lax",
        "csrf=1b2c3d; Domain=svc-0421.target-team2.dev.aliyun.cloud.cn.aibang; Path=/; Secure",
        "theme=dark; Max-Age=31536000",
    ];
    let mut group = c.benchmark_group("response rewrite");
    group.bench_function("Location + 3 Set-Cookie (short entry)", |b| {
        b.iter(|| {
            let rewrite = ResponseRewrite::short(black_box(api), SHORT_HOST, "https");
            let new_location = rewrite.url(black_box(location));
            assert_eq!(
                new_location.as_deref(),
                Some("https://dev-01.aliyun.cloud.cn.aibang/svc-0421/login?next=%2Forders")
            );
            let new_cookies = black_box(cookies).map(|cookie| rewrite.set_cookie(cookie));
            assert_eq!(
                new_cookies,
                [
                    Some("SESSION=8f14e45fceea167a5a36dedd4bea2543; Path=/svc-0421; HttpOnly; Secure; SameSite=Lax".to_owned()),
                    Some("csrf=1b2c3d; Path=/svc-0421; Secure".to_owned()),
                    Some("theme=dark; Max-Age=31536000; Path=/svc-0421".to_owned()),
                ]
            );
            (new_location, new_cookies)
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    // Short runs: the machine is shared (2 vCPU). `--warm-up-time`/`--measurement-time` override.
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = build, rewrite
}
criterion_main!(benches);
