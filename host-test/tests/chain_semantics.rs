//! Chain semantics per engine with the real filters: a local response mid-chain, which response
//! and log callbacks still run and in which order, and a trapping filter among real ones.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{API01_LEGACY, ENGINES, SHORT, host_with, library, seed_map, telemetry};
use kdp_migrate_host_test::{Engine, FilterSpec, Host, LogLevel, ObservedAction, Phase, Request};

const LEGACY_CHAIN: [&str; 3] = ["migration_telemetry", "legacy_redirect", "host_rewrite"];

#[test]
fn a_local_response_skips_later_request_callbacks_in_both_engines() {
    for engine in ENGINES {
        let (mut host, chain) = host_with(engine, &LEGACY_CHAIN, &seed_map());
        let observation = host.run(chain, &Request::new("GET", API01_LEGACY, "/x"));
        assert_eq!(observation.action, ObservedAction::Redirect, "{engine}");
        assert_eq!(
            observation
                .local_response
                .as_ref()
                .unwrap()
                .responder
                .as_ref(),
            "legacy_redirect"
        );
        assert_eq!(
            observation.callback_order(Phase::RequestHeaders),
            ["migration_telemetry", "legacy_redirect"],
            "{engine}"
        );
        // on_log runs for every filter of the chain in both engines.
        assert_eq!(
            observation.callback_order(Phase::Log),
            LEGACY_CHAIN,
            "{engine}"
        );
        // The telemetry filter saw the local response's status in on_log.
        assert_eq!(
            telemetry(&observation, "migration_telemetry")["status"],
            308,
            "{engine}"
        );
    }
}

#[test]
fn after_a_local_response_kong_runs_every_response_callback_and_envoy_only_those_that_saw_the_request()
 {
    let (mut kong, chain) = host_with(Engine::Kong, &LEGACY_CHAIN, &seed_map());
    let observation = kong.run(chain, &Request::new("GET", API01_LEGACY, "/x"));
    assert_eq!(
        observation.callback_order(Phase::ResponseHeaders),
        LEGACY_CHAIN
    );

    let (mut envoy, chain) = host_with(Engine::Envoy, &LEGACY_CHAIN, &seed_map());
    let observation = envoy.run(chain, &Request::new("GET", API01_LEGACY, "/x"));
    assert_eq!(
        observation.callback_order(Phase::ResponseHeaders),
        ["legacy_redirect", "migration_telemetry"]
    );
}

#[test]
fn a_filter_after_the_answering_one_sees_the_local_response_only_in_kong() {
    let map = seed_map();
    for (engine, seen) in [(Engine::Kong, 2), (Engine::Envoy, 1)] {
        let mut host = Host::new(library(), engine);
        let chain = host
            .add_chain(&[
                FilterSpec::new("test_trap", ""),
                FilterSpec::new("legacy_redirect", map.as_slice()),
                FilterSpec::new("test_trap", ""),
            ])
            .unwrap();
        let observation = host.run(chain, &Request::new("GET", API01_LEGACY, "/x"));
        let lines: Vec<&str> = observation
            .filter_logs("test_trap", LogLevel::Info)
            .collect();
        let statuses = lines
            .iter()
            .filter(|line| **line == "test_trap: on_response_headers :status=308")
            .count();
        assert_eq!(statuses, seen, "{engine}: {lines:?}");
        assert_eq!(
            lines
                .iter()
                .filter(|line| **line == "test_trap: on_request_headers")
                .count(),
            1,
            "{engine}"
        );
        assert_eq!(
            lines
                .iter()
                .filter(|line| **line == "test_trap: on_log")
                .count(),
            2,
            "{engine}"
        );
    }
}

#[test]
fn upstream_responses_go_through_the_chain_in_order_in_kong_and_in_reverse_in_envoy() {
    let chain_names = ["migration_telemetry", "short_domain_router"];
    for (engine, order) in [
        (Engine::Kong, ["migration_telemetry", "short_domain_router"]),
        (
            Engine::Envoy,
            ["short_domain_router", "migration_telemetry"],
        ),
    ] {
        let (mut host, chain) = host_with(engine, &chain_names, &seed_map());
        let observation = host.run(chain, &Request::new("GET", SHORT, "/api01/x"));
        assert_eq!(observation.action, ObservedAction::Proxy, "{engine}");
        assert_eq!(
            observation.callback_order(Phase::ResponseHeaders),
            order,
            "{engine}"
        );
        assert_eq!(
            observation.callback_order(Phase::Log),
            chain_names,
            "{engine}"
        );
    }
}

#[test]
fn a_trapping_filter_among_real_ones_is_that_requests_error_and_the_chain_recovers() {
    let map = seed_map();
    for engine in ENGINES {
        let mut host = Host::new(library(), engine);
        let chain = host
            .add_chain(&[
                FilterSpec::new("migration_telemetry", map.as_slice()),
                FilterSpec::new("test_trap", ""),
                FilterSpec::new("short_domain_router", map.as_slice()),
            ])
            .unwrap();
        let trapped = host.run(
            chain,
            &Request::new("GET", SHORT, "/api01/x").header("x-test-trap", "request_headers"),
        );
        assert_eq!(trapped.action, ObservedAction::Error, "{engine}");
        assert!(trapped.upstream.is_none());
        assert!(
            trapped
                .error
                .as_deref()
                .unwrap()
                .starts_with("filter test_trap trapped in on_request_headers: wasm trap: wasm `unreachable` instruction executed"),
            "{engine}: {:?}",
            trapped.error
        );
        // The router never ran; nothing after the trap did.
        assert_eq!(
            trapped.callback_order(Phase::RequestHeaders),
            ["migration_telemetry", "test_trap"],
            "{engine}"
        );
        assert!(trapped.callback_order(Phase::Log).is_empty(), "{engine}");

        let next = host.run(chain, &Request::new("GET", SHORT, "/api01/x"));
        assert_eq!(
            next.action,
            ObservedAction::Proxy,
            "{engine}: {:?}",
            next.error
        );
        assert_eq!(next.upstream.as_ref().unwrap().path, "/x");
        assert_eq!(
            telemetry(&next, "migration_telemetry")["action"],
            "proxy",
            "{engine}"
        );
    }
}
