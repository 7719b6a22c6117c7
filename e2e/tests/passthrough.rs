//! Long-host and unknown-host entries (README "What happens to a request"): passed through untouched, and recorded.
//!
//! "Unknown" needs a request that reaches the filters with a Host the map does not know. In Kong only hosts that
//! `kong/kong-chains.yml` routes reach a chain (any other gets Kong's own 404), so the shared test removes api02 from the
//! map while its routes stay — an API taken out of the migration — and api02's hosts become unknown to the
//! filters in both engines.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use kdp_migrate_e2e::scenario::{LEGACY2, LONG1, LONG2, OTHER, seed_with};
use kdp_migrate_e2e::{Engine, Harness, Request, per_setup, per_variant};
use serde_json::{Value, json};

per_setup! {
    fn long_and_unknown_hosts_pass_untouched(setup) {
        let map = seed_with(&json!({"apis": [{"name": "api01"}]})).expect("map");
        let h = Harness::start(setup, &map).expect("start");
        // Paths Kong's router forwards byte for byte too (e2e/README.md: what Kong sends for other paths).
        let paths = ["/v1/x?y=1", "/api01/x", "/x?a=%20&b=", "/a%20b/c/"];
        for (host, entry) in [(LONG1, "long"), (LONG2, "unknown"), (LEGACY2, "unknown")] {
            for path in paths {
                let requests = setup.each_protocol(Request::get(host, path));
                for request in &requests {
                    let r = h.send(request).expect("send");
                    assert_eq!(r.status, 200, "{request:?}: {r:?}");
                    let body = r.json().expect("json");
                    assert_eq!(body["host"], host, "{request:?}");
                    assert_eq!(body["path"], path, "{request:?}");
                    assert_eq!(body["x_forwarded_prefix"], Value::Null, "{request:?}");
                    // Kong sends every proxied request X-Forwarded-Host = nginx's $host (handler.lua:1244); Envoy
                    // adds none.
                    let forwarded_host = match setup.engine {
                        Engine::Envoy => Value::Null,
                        Engine::Kong => json!(host),
                    };
                    assert_eq!(body["x_forwarded_host"], forwarded_host, "{request:?}");
                }
                let records = h
                    .gateway
                    .wait_telemetry(requests.len(), |r| r["host"] == host && r["path"] == path)
                    .expect("telemetry");
                assert_eq!(records.len(), requests.len(), "one record per request: {records:?}");
                for record in records {
                    assert_eq!(record["entry"], entry, "{host}{path}: {record}");
                    assert_eq!(record["action"], "pass", "{host}{path}: {record}");
                }
            }
        }
    }
}

per_variant! {
    Envoy;
    fn other_hosts_and_odd_paths_pass_byte_for_byte(setup) {
        let h = Harness::seed(setup).expect("start");
        for host in [LONG1, OTHER] {
            for path in ["/v1/x?y=1", "/api01/x", "/a/../b", "/a%2fb"] {
                for request in setup.each_protocol(Request::get(host, path)) {
                    let r = h.send(&request).expect("send");
                    assert_eq!(r.status, 200, "{request:?}: {r:?}");
                    let body = r.json().expect("json");
                    assert_eq!(body["host"], host, "{request:?}");
                    assert_eq!(body["path"], path, "{request:?}");
                    assert_eq!(body["x_forwarded_host"], Value::Null, "{request:?}");
                    assert_eq!(body["x_forwarded_prefix"], Value::Null, "{request:?}");
                }
            }
        }
    }
}
