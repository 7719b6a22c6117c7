//! A fixed loop of one core operation, for instruction counts under `valgrind --tool=callgrind`
//! (repeatable on a shared machine, where timings are not).
//!
//! `decision_loop <scenario> <count>` builds the 1,000-API map of `kdp_migrate_benches::map_json`
//! and runs the scenario `count` times, asserting each result. The instructions of one operation
//! are the difference between two counts divided by the difference of the loops
//! (`benches/compare.sh` does that), so the map build and the process start cancel out.
//! It uses only the public API of the core, so the same file measures any revision of it.

// A harness that asserts must stop on a wrong answer; these lints guard the filters' code.
#![allow(clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use kdp_migrate_benches::{SHORT_HOST, legacy_host, long_host, map_json};
use kdp_migrate_core::{ClientFacts, MigrationMap, Outcome, ReplyKind, ResponseRewrite};

/// An engine with no forwarding header, between the deprecation and the sunset.
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

const SCENARIOS: &str = "short-forward, short-forward-3, short-404, legacy-location, \
    response-rewrite, build-1k, build-10k";

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(scenario), Some(count)) = (args.next(), args.next()) else {
        panic!("usage: decision_loop <scenario> <count>; scenarios: {SCENARIOS}")
    };
    let count: usize = count.parse().expect("count is a number");
    let map = MigrationMap::from_json(map_json(1000).as_bytes()).expect("the map is valid");
    match scenario.as_str() {
        "short-forward" => short_forward(
            &map,
            count,
            "/svc-0421/orders/17?expand=items",
            "/orders/17",
        ),
        "short-forward-3" => short_forward(&map, count, "/v2/team-2/svc-0457/a/b?c=d", "/a/b"),
        "short-404" => {
            for _ in 0..count {
                let decision = black_box(&map).decide(
                    black_box(SHORT_HOST),
                    black_box("/no-such-api/x"),
                    &Engine,
                );
                assert!(matches!(decision.outcome, Outcome::Reply(r) if r.status == 404));
                black_box(decision);
            }
        }
        "legacy-location" => legacy_location(&map, count),
        "response-rewrite" => response_rewrite(&map, count),
        "build-1k" => build(count, 1_000),
        "build-10k" => build(count, 10_000),
        other => panic!("unknown scenario {other:?}; scenarios: {SCENARIOS}"),
    }
}

fn short_forward(map: &MigrationMap, count: usize, target: &str, rest: &str) {
    for _ in 0..count {
        let decision = black_box(map).decide(black_box(SHORT_HOST), black_box(target), &Engine);
        let Outcome::Forward(forward) = decision.outcome else {
            panic!("{decision:?}")
        };
        assert_eq!(forward.path.map(|path| path.rest), Some(rest));
        black_box(decision);
    }
}

/// A legacy redirect and its `Location` rendered: the redirect side of the URL handling.
fn legacy_location(map: &MigrationMap, count: usize) {
    let host = legacy_host("svc-0421");
    for _ in 0..count {
        let decision = black_box(map).decide(
            black_box(&host),
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
        black_box(location);
    }
}

/// An upstream response's `Location` and three `Set-Cookie` rewritten for the short entry.
fn response_rewrite(map: &MigrationMap, count: usize) {
    let api = map
        .apis()
        .iter()
        .find(|api| api.name() == "svc-0421")
        .expect("svc-0421 is in the map");
    assert_eq!(api.long_host(), long_host("svc-0421"));
    let location =
        "https://svc-0421.target-team2.dev.aliyun.cloud.cn.aibang:8443/login?next=%2Forders";
    let cookies = [
        "SESSION=8f14e45fceea167a5a36dedd4bea2543; Path=/; HttpOnly; Secure; SameSite=Lax",
        "csrf=1b2c3d; Domain=svc-0421.target-team2.dev.aliyun.cloud.cn.aibang; Path=/; Secure",
        "theme=dark; Max-Age=31536000",
    ];
    for _ in 0..count {
        let rewrite = ResponseRewrite::short(black_box(api), SHORT_HOST, "https");
        let new_location = rewrite.url(black_box(location));
        assert_eq!(
            new_location.as_deref(),
            Some("https://dev-01.aliyun.cloud.cn.aibang/svc-0421/login?next=%2Forders")
        );
        let new_cookies = black_box(cookies).map(|cookie| rewrite.set_cookie(cookie));
        assert!(new_cookies.iter().all(Option::is_some));
        black_box((new_location, new_cookies));
    }
}

fn build(count: usize, apis: usize) {
    let document = map_json(apis);
    for _ in 0..count {
        let map = MigrationMap::from_json(black_box(document.as_bytes())).expect("valid map");
        assert_eq!(map.apis().len(), apis);
        black_box(map);
    }
}
