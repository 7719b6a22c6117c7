//! What a filter sees of a request in each engine, observed from inside a real `.wasm` (the test
//! filter's `probe` mode logs it): Kong's normalised `:path` and `kong:8000` `:authority` against
//! Envoy's raw request, text against binary numbers, and the read-only `:authority` in Kong.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::trap_library;
use kdp_migrate_host_test::{
    Engine, FilterSpec, Host, LogLevel, LogSource, ObservedAction, Request,
};

fn probe(engine: Engine, request: &Request) -> kdp_migrate_host_test::Observation {
    let mut host = Host::new(trap_library(), engine);
    let chain = host.add_chain(&[FilterSpec::new("test_trap", "")]).unwrap();
    host.run(chain, request)
}

fn probed(observation: &kdp_migrate_host_test::Observation) -> Vec<&str> {
    observation
        .filter_logs("test_trap", LogLevel::Info)
        .filter_map(|line| line.strip_prefix("test_trap: probe "))
        .collect()
}

const TARGET: &str = "/orders/a%2Fb/../x//y?q=%20";

#[test]
fn kong_shows_nginxs_normalised_path_and_its_own_authority() {
    let request = Request::new("GET", "Shop.example:8080", TARGET).header("x-test-trap", "probe");
    let observation = probe(Engine::Kong, &request);
    assert_eq!(
        probed(&observation),
        [
            ":authority=kong:8000 :path=/orders/a/x/y?q=%20 host=Shop.example:8080 request.path=/orders/a%2Fb/../x//y?q=%20 ngx.request_uri=/orders/a%2Fb/../x//y?q=%20 source.address=127.0.0.1",
            // "200" as text
            "response.code=323030",
        ]
    );
    // Before any filter, Kong's access phase gives the upstream its router's normalised path, escaped,
    // plus the raw query: `%2F` stays encoded and is no separator, `..` and `//` go (docs/kong-3.9.3.md §1.1;
    // the Kong-engine e2e test `upstream_gets_what_kongs_access_phase_sets`).
    let upstream = observation.upstream.unwrap();
    assert_eq!(
        (upstream.host.as_str(), upstream.path.as_str()),
        ("Shop.example:8080", "/orders/x/y?q=%20")
    );
    let https = probe(Engine::Kong, &request.clone().scheme("https"));
    assert!(
        probed(&https)[0].starts_with(":authority=kong:8443 "),
        "{:?}",
        probed(&https)
    );
}

#[test]
fn envoy_shows_the_request_as_sent_and_binary_numbers() {
    let request = Request::new("GET", "Shop.example:8080", TARGET).header("x-test-trap", "probe");
    let observation = probe(Engine::Envoy, &request);
    assert_eq!(
        probed(&observation),
        [
            ":authority=Shop.example:8080 :path=/orders/a%2Fb/../x//y?q=%20 host=Shop.example:8080 request.path=/orders/a%2Fb/../x//y?q=%20 ngx.request_uri=- source.address=127.0.0.1:44248",
            // 200 as an 8-byte little-endian integer
            "response.code=c800000000000000",
        ]
    );
}

#[test]
fn writing_authority_changes_nothing_in_kong_and_the_upstream_host_in_envoy() {
    let request = Request::new("GET", "shop.example", "/x").header("x-test-trap", "authority");
    let kong = probe(Engine::Kong, &request);
    assert_eq!(kong.action, ObservedAction::Pass);
    assert_eq!(kong.upstream.as_ref().unwrap().host, "shop.example");
    let host_lines: Vec<_> = kong
        .logs
        .iter()
        .filter(|record| record.source == LogSource::Host)
        .map(|record| (record.level, record.message.as_str()))
        .collect();
    assert_eq!(
        host_lines,
        [(
            LogLevel::Error,
            "cannot set read-only \":authority\" header"
        )]
    );

    let envoy = probe(Engine::Envoy, &request);
    assert_eq!(envoy.action, ObservedAction::Proxy);
    assert_eq!(envoy.upstream.as_ref().unwrap().host, "elsewhere.example");
    assert_eq!(
        envoy.upstream.unwrap().headers.get("host"),
        Some("elsewhere.example")
    );
}

/// Kong's engine appends a newline to a local response's body and counts it in `Content-Length`
/// (ngx_wasm_module `ngx_http_wasm_local_response.c:141`; the Kong-engine e2e test
/// `local_response_bodies_end_with_a_newline` sees it); Envoy sends the body as the filter gave it.
#[test]
fn kong_appends_a_newline_to_local_response_bodies() {
    for engine in common::ENGINES {
        let mut gateway = common::Gateway::new(engine, &common::seed_map());
        let observation = gateway.get(common::SHORT, "/nope");
        let local = observation.local_response.as_ref().unwrap();
        assert_eq!(local.status, 404, "{engine}");
        let body = std::str::from_utf8(&local.body).unwrap();
        let json_end = body.rfind('}').unwrap() + 1;
        let expected_tail = match engine {
            Engine::Kong => "\n",
            Engine::Envoy => "",
        };
        assert_eq!(&body[json_end..], expected_tail, "{engine}");
        assert_eq!(
            local.headers.get("content-length"),
            Some(body.len().to_string().as_str()),
            "{engine}"
        );
    }
}
