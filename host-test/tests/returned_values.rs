//! What the filters ask the host to return per request. In Envoy every returned value (a header,
//! a header map, a property) is one more call back into the VM to allocate it, the dearest part of
//! a hostcall there; the adapter reads each phase's header map once instead of header by header.
//! These counts are that design, held: a change that reads more shows here before it shows in
//! `benches/envoy-side-by-side.sh`.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{API01_LEGACY, API01_LONG, ENGINES, Gateway, SHORT, seed_map};
use kdp_migrate_host_test::{Engine, Request, UpstreamResponse};

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

/// (engine, combined filter or split chain, host, path, values returned during the request).
const EXPECTED: [(Engine, bool, &str, &str, u32); 12] = [
    // Envoy, kdp_migrate: the request's header map (Host, `:path`, method, scheme) and, when the
    // request is forwarded, the response's (`:status` for telemetry, the headers it may rewrite);
    // and the peer address for the record's `client`, as no `X-Forwarded-For` names one.
    (Engine::Envoy, true, SHORT, "/api01/x?y=1", 3),
    (Engine::Envoy, true, API01_LONG, "/x", 3),
    // Answered locally: the response phase has nothing to read.
    (Engine::Envoy, true, API01_LEGACY, "/x", 2),
    (Engine::Envoy, true, SHORT, "/nope", 2),
    // Envoy, separate filters: the same reads once per filter that needs them.
    (Engine::Envoy, false, SHORT, "/api01/x?y=1", 5),
    (Engine::Envoy, false, API01_LONG, "/x", 3),
    (Engine::Envoy, false, API01_LEGACY, "/x", 4),
    (Engine::Envoy, false, SHORT, "/nope", 4),
    // Kong, kdp_migrate: also the raw target (`request.path`; Kong's `:path` is normalised), the
    // latency (`request.duration`; Kong's clock is nginx's cached millisecond one) and the
    // request's id (`ngx.kong_request_id`, as no `X-Request-Id` names one).
    (Engine::Kong, true, SHORT, "/api01/x?y=1", 6),
    (Engine::Kong, true, API01_LONG, "/x", 6),
    (Engine::Kong, true, API01_LEGACY, "/x", 5),
    (Engine::Kong, true, SHORT, "/nope", 5),
];

#[test]
fn each_phase_reads_its_header_map_once() {
    for engine in ENGINES {
        let mut gateway = Gateway::new(engine, &seed_map());
        for (expected_mode, combined, host, path, expected) in EXPECTED {
            if expected_mode != engine {
                continue;
            }
            let counts = returned(&mut gateway, combined, host, path);
            assert_eq!(
                counts[1],
                expected,
                "{engine:?}, {}, {host}{path}: {counts:?}",
                if combined {
                    "kdp_migrate"
                } else {
                    "split chain"
                }
            );
        }
    }
}
