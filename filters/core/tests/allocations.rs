//! Heap allocations on the per-request path, counted by a `#[global_allocator]` wrapper.
//!
//! The hot path's allocation budget: a long-host pass-through makes zero heap allocations, and so does
//! `classify`, which every filter of the chain calls on every request. The other decisions are
//! measured and printed (`cargo test -p kdp-migrate-core --test allocations -- --nocapture`).
//!
//! Counting is per thread (a const thread-local switched on around the measured section only), so
//! the test harness's other threads and the map's construction never count. This file is its own
//! test binary because the allocator is process-wide.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

use common::{BASE, Client, Silent, build, map_with};
use kdp_migrate_core::{MigrationMap, Outcome};

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn note_allocation() {
    // `try_with`: the allocator may be called while the thread's locals are being torn down.
    let _ = COUNTING.try_with(|counting| {
        if counting.get() {
            let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        }
    });
}

// SAFETY: every call is forwarded unchanged to the system allocator; counting touches only
// const-initialised thread-locals of plain `Cell`s, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        // SAFETY: as for `alloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as for `alloc`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const ROUNDS: u64 = 1_000;

/// Heap allocations per call of `f`, averaged over [`ROUNDS`] calls after one warm-up call.
fn allocations_per_call(f: impl FnMut()) -> f64 {
    allocations_per_call_over(ROUNDS, f)
}

/// Heap allocations per call of `f`, averaged over `rounds` calls after one warm-up call.
fn allocations_per_call_over(rounds: u64, mut f: impl FnMut()) -> f64 {
    f();
    ALLOCATIONS.with(|count| count.set(0));
    COUNTING.with(|counting| counting.set(true));
    for _ in 0..rounds {
        f();
    }
    COUNTING.with(|counting| counting.set(false));
    let total = ALLOCATIONS.with(Cell::get);
    total as f64 / rounds as f64
}

#[test]
fn the_counter_sees_allocations() {
    let per_call = allocations_per_call(|| {
        black_box(String::from("x").repeat(black_box(3)));
    });
    assert!(
        per_call >= 1.0,
        "the counting allocator is not in use: {per_call}"
    );
}

#[test]
fn long_host_pass_through_allocates_nothing() {
    let map = build(BASE);
    for (host, target) in [
        ("api01.long.test", "/x?q=1"),
        ("API01.Long.Test:8443", "/a/b/c?d=%20"),
        ("orders-admin.long.test.", "/"),
    ] {
        let per_call = allocations_per_call(|| {
            let decision = black_box(&map).decide(black_box(host), black_box(target), &Silent);
            assert_eq!(decision.outcome, Outcome::Pass);
            black_box(decision);
        });
        assert_eq!(per_call, 0.0, "decide({host:?}, {target:?})");
    }
}

#[test]
fn classify_allocates_nothing() {
    let map = build(BASE);
    for (host, target) in [
        ("dev-01.test", "/api01/x?q=1"),
        ("dev-01.test", "/v2/orders/admin/a/b/c/d/e/f/g/h/i/j?k"),
        ("dev-01.test", "/nothing"),
        ("api01.long.test", "/x"),
        ("api01.old.test:443", "/x"),
        ("other.test", "/x"),
        ("not a host", "/x"),
    ] {
        let per_call = allocations_per_call(|| {
            black_box(black_box(&map).classify(black_box(host), black_box(target)));
        });
        assert_eq!(per_call, 0.0, "classify({host:?}, {target:?})");
    }
}

/// The other decisions, measured and printed; asserted only where the design promises nothing
/// is built (borrowed outcomes) so that a regression shows.
#[test]
fn other_decisions_measured() {
    let map = build(BASE);
    let canary =
        map_with(r#""legacy": {"redirect_percent": 50, "redirect_header": "x-kdp-redirect"}"#);
    let plain = Client::at(0);
    let forwarded =
        Client::peer("10.0.0.1:4711").header("x-forwarded-for", "203.0.113.9, 10.0.0.1");
    let rows: [(
        &str,
        &MigrationMap,
        &str,
        &str,
        &dyn kdp_migrate_core::ClientFacts,
    ); 7] = [
        (
            "short-domain forward",
            &map,
            "dev-01.test",
            "/api01/orders/17?expand=items",
            &Silent,
        ),
        (
            "short-domain forward, 3-segment prefix",
            &map,
            "dev-01.test",
            "/v2/orders/admin/users?page=2",
            &Silent,
        ),
        ("short-domain 404", &map, "dev-01.test", "/nothing", &Silent),
        (
            "short-domain 400",
            &map,
            "dev-01.test",
            "/api01/%2e%2e/api02",
            &Silent,
        ),
        ("unknown host pass", &map, "other.test", "/x", &Silent),
        (
            "legacy redirect (decision only)",
            &map,
            "api01.old.test",
            "/x?q=1",
            &plain,
        ),
        (
            "legacy canary (X-Forwarded-For + forcing header)",
            &canary,
            "api01.old.test",
            "/x?q=1",
            &forwarded,
        ),
    ];
    let mut report = String::from("\nallocations per decision:\n");
    let mut measured = Vec::new();
    for (what, map, host, target, client) in rows {
        let per_call = allocations_per_call(|| {
            black_box(black_box(map).decide(black_box(host), black_box(target), client));
        });
        report.push_str(&format!("  {per_call:>5.2}  {what}: {host}{target}\n"));
        measured.push((what, per_call));
    }
    // Rendering a legacy redirect's Location: the one String a redirect needs.
    let decision = map.decide("api01.old.test", "/x?q=1", &plain);
    let Outcome::Reply(reply) = decision.outcome else {
        panic!("{:?}", decision.outcome)
    };
    let render = allocations_per_call(|| {
        if let kdp_migrate_core::ReplyKind::Redirect { location, .. } = black_box(&reply).kind {
            black_box(location.render());
        }
    });
    report.push_str(&format!(
        "  {render:>5.2}  legacy redirect Location::render\n"
    ));
    eprintln!("{report}");
    for (what, per_call) in measured {
        if !what.contains("canary") {
            assert_eq!(per_call, 0.0, "{what}");
        }
    }
}

/// Building a map: allocations per API, printed and bounded (configure time, not the request path;
/// the 10,000-API build target of issue 2 is measured in `benches/benches/build.rs`).
#[test]
fn map_building_measured() {
    let apis: Vec<String> = (0..1000)
        .map(|i| format!(r#"{{"name":"svc-{i:04}"}}"#))
        .collect();
    let plain = format!(
        r#"{{"short_host":"dev-01.aliyun.cloud.cn.aibang","long_host":"{{api}}.target-team2.dev.aliyun.cloud.cn.aibang","legacy_hosts":["{{api}}.source-team1.dev.aliyun.cloud.cn.aibang"],"apis":[{}]}}"#,
        apis.join(",")
    );
    let signals = plain.replacen(
        r#""apis":"#,
        r#""legacy":{"redirect_header":"x-kdp-redirect","deprecation":"2026-01-01T00:00:00Z","sunset":"2027-01-01T00:00:00Z","deprecation_link":"https://docs.example/migration"},"apis":"#,
        1,
    );
    let mut report = String::from("\nallocations per API when building a 1,000-API map:\n");
    let mut measured = Vec::new();
    for (what, document) in [
        ("no legacy block", &plain),
        ("legacy block with deprecation signals", &signals),
    ] {
        let mut apis_built = 0;
        let per_map = allocations_per_call_over(3, || {
            let map = MigrationMap::from_json(black_box(document.as_bytes()));
            apis_built = map.map(|map| map.apis().len()).unwrap_or(0);
        });
        assert_eq!(apis_built, 1000);
        report.push_str(&format!("  {:>6.1}  {what}\n", per_map / 1000.0));
        measured.push((what, per_map / 1000.0));
    }
    eprintln!("{report}");
    // 9 per API today: the name (serde's, ours), serde_path_to_error's two copies of the key, the
    // prefix, the long host, and the legacy host's list, copy and table key. 27 and 39 before error
    // paths became lazy and policies shared: a bound well under those catches their return.
    for (what, per_api) in measured {
        assert!(per_api <= 12.0, "{what}: {per_api} allocations per API");
    }
}
