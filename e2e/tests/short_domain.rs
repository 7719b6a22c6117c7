//! Short-domain entry (README "What happens to a request", short row): requests on the short host reach the API's long host
//! with the prefix stripped and the query intact, plus X-Forwarded-Host/-Prefix; unknown prefixes get 404 and
//! unsafe paths 400, neither reaching the upstream. In both engines.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use kdp_migrate_e2e::scenario::{LONG1, LONG2, SHORT};
use kdp_migrate_e2e::{Engine, Harness, Request, per_setup};
use serde_json::Value;

per_setup! {
    fn rewrites_host_and_strips_prefix(setup) {
        let h = Harness::seed(setup).expect("start");
        // (client path, upstream path, long host, prefix)
        let cases = [
            ("/api01/v1/items?id=7", "/v1/items?id=7", LONG1, "/api01"),
            ("/api01/v1/a%20b?x=%20&y=1&&z", "/v1/a%20b?x=%20&y=1&&z", LONG1, "/api01"),
            ("/api01/", "/", LONG1, "/api01"),
            ("/api01", "/", LONG1, "/api01"),
            ("/api01?q=1", "/?q=1", LONG1, "/api01"),
            ("/api02/x/y/", "/x/y/", LONG2, "/api02"),
        ];
        for (path, upstream_path, long, prefix) in cases {
            for request in setup.each_protocol(Request::get(SHORT, path)) {
                let r = h.send(&request).expect("send");
                assert_eq!(r.status, 200, "{request:?}: {r:?}");
                let body = r.json().expect("json");
                assert_eq!(body["host"], long, "{request:?}");
                assert_eq!(body["path"], upstream_path, "{request:?}");
                assert_eq!(body["x_forwarded_host"], SHORT, "{request:?}");
                assert_eq!(body["x_forwarded_prefix"], prefix, "{request:?}");
                if request.h2c {
                    assert_eq!(r.version, "HTTP/2", "{request:?}");
                }
            }
        }
    }

    fn host_compared_without_port_case_or_trailing_dot(setup) {
        let h = Harness::seed(setup).expect("start");
        let mut hosts = vec![format!("{SHORT}:{}", h.gateway.listener_port())];
        // Kong's router compares the Host as sent (port split off) before any filter runs, so in Kong an upper-case
        // or trailing-dot Host does not reach the short route's chain (e2e/README.md, "Kong's engine").
        if setup.engine == Engine::Envoy {
            hosts.extend(["DEV-01.Aliyun.Cloud.cn.aibang".to_string(), format!("{SHORT}.")]);
        }
        for host in hosts {
            let r = h.get(&host, "/api01/x?a=1").expect("send");
            assert_eq!(r.status, 200, "{host}: {r:?}");
            let body = r.json().expect("json");
            assert_eq!(body["host"], LONG1, "{host}");
            assert_eq!(body["path"], "/x?a=1", "{host}");
        }
    }

    fn prefix_matches_on_segment_boundary_only(setup) {
        let h = Harness::seed(setup).expect("start");
        for path in ["/api010", "/api010/x", "/api01-x/y", "/api01x?q=/api01/"] {
            let r = h.get(SHORT, path).expect("send");
            assert_eq!(r.status, 404, "{path} must not reach api01: {r:?}");
        }
        assert_eq!(h.upstream_requests(), vec![], "nothing may reach the upstream");
    }

    fn unknown_prefix_is_404_json(setup) {
        let h = Harness::seed(setup).expect("start");
        let mut requests = setup.each_protocol(Request::get(SHORT, "/nope/x?y=1"));
        requests.extend(setup.each_protocol(Request::get(SHORT, "/")));
        for request in requests {
            let r = h.send(&request).expect("send");
            assert_eq!(r.status, 404, "{request:?}: {r:?}");
            let body: Value = r.json().expect("the 404 body is JSON");
            assert!(r.body.contains(SHORT), "the 404 body names the host: {body}");
            let path = request.path.split('?').next().unwrap_or_default();
            assert!(r.body.contains(&format!("\"{path}")), "the 404 body names the path: {body}");
        }
        assert_eq!(h.upstream_requests(), vec![]);
    }

    fn unsafe_paths_are_400(setup) {
        let h = Harness::seed(setup).expect("start");
        let paths = [
            "/api01/../api02/x",
            "/api01/./x",
            "/api01/x/..",
            "/api01/x/.",
            "/api01/%2e%2e/api02/x",
            "/api01/%2E%2e/api02",
            "/api01/.%2e/x",
            "/api01/a%2fb",
            "/api01/a%2Fb",
            "/api01/a%5cb",
            "/api01/a%5Cb",
            "/api01/a\\b",
        ];
        for path in paths {
            for request in setup.each_protocol(Request::get(SHORT, path)) {
                let r = h.send(&request).expect("send");
                assert_eq!(r.status, 400, "{request:?}: {r:?}");
                // A raw backslash may already be refused by Envoy's HTTP/1 codec; everything else is ours.
                if !path.contains('\\') {
                    r.json().expect("the 400 body is the filter's JSON");
                }
            }
        }
        assert_eq!(h.upstream_requests(), vec![], "no unsafe path may reach the upstream");
    }
}
