//! The decision for one request against a production-shaped 1,000-API map.
//!
//! Target (issue 2): the short-domain decision's median ≤ 200 ns on the project machine. Each
//! iteration asserts the decision, so a change that gets faster by deciding wrongly fails here.
//!
//! Run: `cargo bench -p kdp-migrate-benches --bench decision` (figures in `benches/README.md`).

// A benchmark whose fixture cannot be built must stop; these lints guard the filters' code, and
// this harness is not shipped.
#![allow(clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use kdp_migrate_benches::{SHORT_HOST, legacy_host, long_host, map_json};
use kdp_migrate_core::{ClientFacts, LocalResponse, MigrationMap, Outcome, ReplyKind};

/// A client that answers like an engine with no forwarding header: the clock is read for the
/// sunset check, nothing else is present.
struct Engine;

impl ClientFacts for Engine {
    fn header(&self, _: &str) -> Option<String> {
        None
    }
    fn peer_address(&self) -> Option<String> {
        Some("10.20.30.40:51234".to_owned())
    }
    fn now_unix(&self) -> i64 {
        1_780_000_000 // 2026-05-28: after the deprecation, before the sunset.
    }
}

fn decision(c: &mut Criterion) {
    let map =
        MigrationMap::from_json(map_json(1000).as_bytes()).expect("the generated map is valid");
    let svc_0421_long = long_host("svc-0421");
    let svc_0457_long = long_host("svc-0457");
    let svc_0421_legacy = legacy_host("svc-0421");

    let mut group = c.benchmark_group("decision (1,000 APIs)");

    group.bench_function(
        "short-domain forward /svc-0421/orders/17?expand=items",
        |b| {
            b.iter(|| {
                let decision = black_box(&map).decide(
                    black_box(SHORT_HOST),
                    black_box("/svc-0421/orders/17?expand=items"),
                    &Engine,
                );
                let Outcome::Forward(forward) = decision.outcome else {
                    panic!("{decision:?}")
                };
                assert_eq!(forward.host, svc_0421_long);
                assert_eq!(forward.path.map(|p| p.rest), Some("/orders/17"));
                decision
            })
        },
    );

    // What every filter of a chain asks first; `decide` on the short host includes it.
    group.bench_function(
        "classify only, short domain /svc-0421/orders/17?expand=items",
        |b| {
            b.iter(|| {
                let classification = black_box(&map).classify(
                    black_box(SHORT_HOST),
                    black_box("/svc-0421/orders/17?expand=items"),
                );
                assert_eq!(classification.api.map(|api| api.name()), Some("svc-0421"));
                classification
            })
        },
    );

    group.bench_function(
        "short-domain forward, 3-segment prefix /v2/team-2/svc-0457/a/b",
        |b| {
            b.iter(|| {
                let decision = black_box(&map).decide(
                    black_box(SHORT_HOST),
                    black_box("/v2/team-2/svc-0457/a/b?c=d"),
                    &Engine,
                );
                let Outcome::Forward(forward) = decision.outcome else {
                    panic!("{decision:?}")
                };
                assert_eq!(forward.host, svc_0457_long);
                assert_eq!(forward.path.map(|p| p.rest), Some("/a/b"));
                decision
            })
        },
    );

    group.bench_function("short-domain 404 /no-such-api/x", |b| {
        b.iter(|| {
            let decision =
                black_box(&map).decide(black_box(SHORT_HOST), black_box("/no-such-api/x"), &Engine);
            assert!(
                matches!(decision.outcome, Outcome::Reply(r) if r.status == 404),
                "{decision:?}"
            );
            decision
        })
    });

    group.bench_function("long-host pass-through", |b| {
        b.iter(|| {
            let decision = black_box(&map).decide(
                black_box(&svc_0421_long),
                black_box("/orders/17?expand=items"),
                &Engine,
            );
            assert_eq!(decision.outcome, Outcome::Pass);
            assert_eq!(decision.api.map(|api| api.name()), Some("svc-0421"));
            decision
        })
    });

    group.bench_function("legacy redirect + Location rendering", |b| {
        b.iter(|| {
            let decision = black_box(&map).decide(
                black_box(&svc_0421_legacy),
                black_box("/orders/17?expand=items"),
                &Engine,
            );
            let Outcome::Reply(reply) = decision.outcome else {
                panic!("{decision:?}")
            };
            let ReplyKind::Redirect { location, .. } = reply.kind else {
                panic!("{reply:?}")
            };
            let location = location.render();
            assert_eq!(
                location,
                "https://dev-01.aliyun.cloud.cn.aibang/svc-0421/orders/17?expand=items"
            );
            location
        })
    });

    group.bench_function("legacy redirect, whole local response (5 headers)", |b| {
        b.iter(|| {
            let target = black_box("/orders/17?expand=items");
            let decision = black_box(&map).decide(black_box(&svc_0421_legacy), target, &Engine);
            let Outcome::Reply(reply) = decision.outcome else {
                panic!("{decision:?}")
            };
            let response = LocalResponse::render(&decision, &reply, &svc_0421_legacy, target);
            assert_eq!(
                (response.status, response.headers.len()),
                (308, 5),
                "{response:?}"
            );
            response
        })
    });

    group.bench_function("unknown host pass-through", |b| {
        b.iter(|| {
            let decision = black_box(&map).decide(
                black_box("www.example.com"),
                black_box("/index.html"),
                &Engine,
            );
            assert_eq!((decision.outcome, decision.api), (Outcome::Pass, None));
            decision
        })
    });

    group.finish();
}

criterion_group! {
    name = benches;
    // Short runs: the machine is shared (2 vCPU). `--warm-up-time`/`--measurement-time` override.
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = decision
}
criterion_main!(benches);
