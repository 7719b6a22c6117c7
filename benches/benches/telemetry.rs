//! The telemetry record per request: built from the verdict and what the engine measured, and
//! written as one JSON line (`TelemetryRecord::to_json`), with the arrival fields (`time`, `client`,
//! `user_agent`, `request_id`) null and set, side by side in one run. The record's added cost against
//! the revision before those fields is measured in instructions with `examples/decision_loop.rs`
//! (scenario `telemetry-line`; figures in `benches/README.md`).
//!
//! Run: `cargo bench -p kdp-migrate-benches --bench telemetry`.

// A benchmark whose fixture cannot be built must stop; these lints guard the filters' code, and
// this harness is not shipped.
#![allow(clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kdp_migrate_benches::{SHORT_HOST, map_json};
use kdp_migrate_core::{ClientFacts, Measured, MigrationMap, TelemetryRecord, Timestamp, Verdict};

struct Engine;

impl ClientFacts for Engine {
    fn header(&self, _: &str) -> Option<String> {
        None
    }
    fn peer_address(&self) -> Option<String> {
        Some("10.20.30.40:51234".to_owned())
    }
    fn now_unix(&self) -> i64 {
        1_780_000_000
    }
}

fn telemetry(c: &mut Criterion) {
    let map =
        MigrationMap::from_json(map_json(1000).as_bytes()).expect("the generated map is valid");
    let target = "/svc-0421/orders/17?expand=items";
    let decision = map.decide(SHORT_HOST, target, &Engine);
    let verdict = Verdict::of(&map, &decision);
    let base = Measured {
        method: "GET",
        host: SHORT_HOST,
        path: target,
        status: Some(200),
        latency_ms: Some(2.75),
        location_rewritten: 0,
        cookies_rewritten: 1,
        ..Measured::default()
    };
    let full = Measured {
        time: Timestamp::from_unix_ms(1_796_540_499_123),
        client: Some("203.0.113.7"),
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"),
        request_id: Some("3f1c2a9e55b14c4e9d1e2a7e0f0c1b2d"),
        ..base
    };
    let mut group = c.benchmark_group("telemetry record (short-domain forward)");
    for (name, measured) in [("arrival fields null", base), ("arrival fields set", full)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let line =
                    TelemetryRecord::new(black_box(&verdict), &map, black_box(measured)).to_json();
                assert!(line.ends_with('}'));
                line
            })
        });
    }
    group.finish();
}

criterion_group!(benches, telemetry);
criterion_main!(benches);
