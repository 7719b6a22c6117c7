//! The host's own behaviour, through the test-only filter: failures are a request's error and
//! the next request goes on; chain semantics per engine; refused configurations.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{ENGINES, trap_library};
use kdp_migrate_host_test::{
    Engine, FilterSpec, Host, LoadError, LogLevel, ObservedAction, Phase, Request,
};

fn trap_host(engine: Engine, instances: usize) -> (Host, kdp_migrate_host_test::ChainId) {
    let mut host = Host::new(trap_library(), engine);
    let specs = vec![FilterSpec::new("test_trap", ""); instances];
    let chain = host.add_chain(&specs).unwrap();
    (host, chain)
}

#[test]
fn a_trap_is_the_requests_error_and_the_next_request_runs() {
    for engine in ENGINES {
        let (mut host, chain) = trap_host(engine, 1);
        let trapped = host.run(
            chain,
            &Request::new("GET", "a.example", "/x").header("x-test-trap", "request_headers"),
        );
        assert_eq!(trapped.action, ObservedAction::Error, "{engine}");
        assert_eq!(trapped.response.status, 500);
        let error = trapped.error.unwrap();
        assert!(
            error.starts_with("filter test_trap trapped in on_request_headers: "),
            "{engine}: {error}"
        );
        assert!(
            error.contains("test_trap: trap requested in request_headers"),
            "{engine}: {error}"
        );

        let next = host.run(chain, &Request::new("GET", "a.example", "/x"));
        assert_eq!(next.action, ObservedAction::Pass, "{engine}");
        assert_eq!(next.error, None);
        assert_eq!(next.upstream.unwrap().path, "/x");
    }
}

#[test]
fn an_unsupported_hostcall_is_the_requests_error() {
    for engine in ENGINES {
        let (mut host, chain) = trap_host(engine, 1);
        let observation = host.run(
            chain,
            &Request::new("GET", "a.example", "/").header("x-test-trap", "hostcall"),
        );
        assert_eq!(observation.action, ObservedAction::Error);
        let error = observation.error.unwrap();
        assert!(
            error.starts_with("filter test_trap trapped in on_request_headers: "),
            "{error}"
        );
        assert!(
            error.contains("unsupported hostcall env.proxy_http_call"),
            "{error}"
        );
    }
}

#[test]
fn pausing_without_an_answer_is_the_requests_error() {
    for engine in ENGINES {
        let (mut host, chain) = trap_host(engine, 1);
        let observation = host.run(
            chain,
            &Request::new("GET", "a.example", "/").header("x-test-trap", "pause"),
        );
        assert_eq!(observation.action, ObservedAction::Error);
        assert_eq!(
            observation.error.as_deref(),
            Some(
                "filter test_trap paused in on_request_headers without sending a response (the request would hang)"
            )
        );
    }
}

#[test]
fn traps_in_later_phases_are_errors_too() {
    for engine in ENGINES {
        for phase in ["response_headers", "log"] {
            let (mut host, chain) = trap_host(engine, 2);
            let observation = host.run(
                chain,
                &Request::new("GET", "a.example", "/").header("x-test-trap", phase),
            );
            assert_eq!(
                observation.action,
                ObservedAction::Error,
                "{engine} {phase}"
            );
            let error = observation.error.unwrap();
            let callback = if phase == "log" {
                "on_log"
            } else {
                "on_response_headers"
            };
            assert!(
                error.starts_with(&format!("filter test_trap trapped in {callback}: ")),
                "{error}"
            );
            let again = host.run(chain, &Request::new("GET", "a.example", "/"));
            assert_eq!(again.action, ObservedAction::Pass, "{engine} {phase}");
        }
    }
}

#[test]
fn every_callback_runs_once_per_filter_phase_by_phase() {
    for engine in ENGINES {
        let (mut host, chain) = trap_host(engine, 2);
        let observation = host.run(chain, &Request::new("GET", "a.example", "/"));
        assert_eq!(observation.callbacks.len(), 12);
        let order: Vec<_> = observation
            .callbacks
            .iter()
            .map(|callback| callback.phase)
            .collect();
        assert_eq!(
            order,
            [
                Phase::Create,
                Phase::Create,
                Phase::RequestHeaders,
                Phase::RequestHeaders,
                Phase::ResponseHeaders,
                Phase::ResponseHeaders,
                Phase::Log,
                Phase::Log,
                Phase::Done,
                Phase::Done,
                Phase::Done,
                Phase::Done,
            ]
        );
        let seen: Vec<_> = observation
            .filter_logs("test_trap", LogLevel::Info)
            .collect();
        assert_eq!(
            seen,
            [
                "test_trap: on_request_headers",
                "test_trap: on_request_headers",
                "test_trap: on_response_headers :status=200",
                "test_trap: on_response_headers :status=200",
                "test_trap: on_log",
                "test_trap: on_log",
                "test_trap: on_done",
                "test_trap: on_done",
            ]
        );
    }
}

#[test]
fn a_refused_configuration_names_the_filter_and_its_message() {
    for engine in ENGINES {
        let mut host = Host::new(trap_library(), engine);
        let error = host
            .add_chain(&[FilterSpec::new("test_trap", "refuse")])
            .unwrap_err();
        assert_eq!(
            error,
            LoadError::Refused {
                filter: "test_trap".to_owned(),
                messages: vec!["test_trap: configuration refused".to_owned()],
            }
        );
        assert_eq!(
            error.to_string(),
            "filter test_trap refused its configuration: test_trap: configuration refused"
        );
    }
}

#[test]
fn a_chain_naming_an_unloaded_filter_is_refused() {
    let mut host = Host::new(trap_library(), Engine::Kong);
    let error = host.add_chain(&[FilterSpec::new("nope", "")]).unwrap_err();
    assert_eq!(error.to_string(), "filter nope: not loaded");
}
