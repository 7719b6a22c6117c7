//! What the filters ask the host to return per request. In Envoy every returned value (a header,
//! a header map, a property) is one more call back into the VM to allocate it, the dearest part of
//! a hostcall there; the adapter reads each phase's header map once instead of header by header.
//! These counts are that design, held: a change that reads more shows here before it shows in
//! `benches/envoy-side-by-side.sh`.

// Test helpers outside #[test] functions: clippy.toml's allow-*-in-tests does not reach them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{API01_LEGACY, API01_LONG, Gateway, MODES, SHORT, seed_map};
use kdp_migrate_host_test::{Mode, Request, UpstreamResponse};

/// The values returned during the second such request (the first also detects the engine).
fn returned(gateway: &mut Gateway, combined: bool, host: &str, path: &str) -> Vec<u32> {
    let request = Request::new("GET", host, path);
    let upstream = UpstreamResponse::default();
    (0..2)
        .map(|_| {
            let outcome = if combined {
                gateway.combined(&request, &upstream)
            } else {
                gateway.split(&request, &upstream)
            };
            outcome.returned_values
        })
        .collect()
}

/// (mode, combined filter or split chain, host, path, values returned during the request).
const EXPECTED: [(Mode, bool, &str, &str, u32); 12] = [
    // Envoy, kdp_migrate: the request's header map (Host, `:path`, method, scheme) and, when the
    // request is forwarded, the response's (`:status` for telemetry, the headers it may rewrite).
    (Mode::Envoy, true, SHORT, "/api01/x?y=1", 2),
    (Mode::Envoy, true, API01_LONG, "/x", 2),
    // Answered locally: the response phase has nothing to read.
    (Mode::Envoy, true, API01_LEGACY, "/x", 1),
    (Mode::Envoy, true, SHORT, "/nope", 1),
    // Envoy, separate filters: the same reads once per filter that needs them.
    (Mode::Envoy, false, SHORT, "/api01/x?y=1", 4),
    (Mode::Envoy, false, API01_LONG, "/x", 2),
    (Mode::Envoy, false, API01_LEGACY, "/x", 3),
    (Mode::Envoy, false, SHORT, "/nope", 3),
    // Kong, kdp_migrate: also the raw target (`request.path`; Kong's `:path` is normalised) and
    // the latency (`request.duration`; Kong's clock is nginx's cached millisecond one).
    (Mode::Kong, true, SHORT, "/api01/x?y=1", 4),
    (Mode::Kong, true, API01_LONG, "/x", 4),
    (Mode::Kong, true, API01_LEGACY, "/x", 3),
    (Mode::Kong, true, SHORT, "/nope", 3),
];

#[test]
fn each_phase_reads_its_header_map_once() {
    for mode in MODES {
        let mut gateway = Gateway::new(mode, &seed_map());
        for (expected_mode, combined, host, path, expected) in EXPECTED {
            if expected_mode != mode {
                continue;
            }
            let counts = returned(&mut gateway, combined, host, path);
            assert_eq!(
                counts[1],
                expected,
                "{mode:?}, {}, {host}{path}: {counts:?}",
                if combined {
                    "kdp_migrate"
                } else {
                    "split chain"
                }
            );
        }
    }
}
