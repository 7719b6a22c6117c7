//! Legacy-host entry (README "What happens to a request", legacy row): redirect mode answers the configured status and Location without
//! contacting the upstream; proxy mode forwards with the API's long Host and the path unchanged. In both engines.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use kdp_migrate_e2e::scenario::{LEGACY1, LEGACY2, LONG1, SHORT, seed_with};
use kdp_migrate_e2e::{Engine, Harness, Request, per_setup};
use serde_json::json;

per_setup! {
    fn redirects_to_short_domain(setup) {
        let h = Harness::seed(setup).expect("start");
        let cases = [
            ("/v1/items?id=7", format!("https://{SHORT}/api01/v1/items?id=7")),
            ("/", format!("https://{SHORT}/api01/")),
            ("/a%20b?x=%20", format!("https://{SHORT}/api01/a%20b?x=%20")),
        ];
        for (path, location) in cases {
            for request in setup.each_protocol(Request::get(LEGACY1, path)) {
                let r = h.send(&request).expect("send");
                assert_eq!(r.status, 308, "{request:?}: {r:?}");
                assert_eq!(r.header("location"), Some(location.as_str()), "{request:?}");
                assert_eq!(r.header("cache-control"), Some("max-age=300"), "{request:?}");
            }
        }
        // Kong's router compares the Host as sent: an upper-case one never reaches the legacy route's chain there.
        let legacy2 = if setup.engine == Engine::Envoy { LEGACY2.to_uppercase() } else { LEGACY2.to_string() };
        let r = h.get(&legacy2, "/x").expect("send");
        assert_eq!(r.status, 308);
        assert_eq!(r.header("location"), Some(format!("https://{SHORT}/api02/x").as_str()));
        assert_eq!(h.upstream_requests(), vec![], "a redirect never reaches the upstream");
    }

    fn redirect_status_scheme_and_target_from_map(setup) {
        let map = seed_with(&json!({"legacy": {"status": 302, "scheme": "http", "target": "long"}})).expect("map");
        let h = Harness::start(setup, &map).expect("start");
        let r = h.get(LEGACY1, "/v1/x?y=1").expect("send");
        assert_eq!(r.status, 302, "{r:?}");
        assert_eq!(r.header("location"), Some(format!("http://{LONG1}/v1/x?y=1").as_str()));
    }

    fn proxy_mode_forwards_with_long_host(setup) {
        let map = seed_with(&json!({"legacy": {"action": "proxy"}})).expect("map");
        let h = Harness::start(setup, &map).expect("start");
        for request in setup.each_protocol(Request::get(LEGACY1, "/v1/x?y=1&z")) {
            let r = h.send(&request).expect("send");
            assert_eq!(r.status, 200, "{request:?}: {r:?}");
            let body = r.json().expect("json");
            assert_eq!(body["host"], LONG1, "{request:?}");
            assert_eq!(body["path"], "/v1/x?y=1&z", "{request:?}: the path is unchanged in proxy mode");
        }
    }

    fn per_api_legacy_override(setup) {
        let map = seed_with(&json!({"apis": [{"name": "api01"}, {"name": "api02", "legacy": {"action": "proxy"}}]}))
            .expect("map");
        let h = Harness::start(setup, &map).expect("start");
        assert_eq!(h.get(LEGACY1, "/x").expect("send").status, 308);
        let r = h.get(LEGACY2, "/x").expect("send");
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.json().expect("json")["host"], "api02.target-team2.dev.aliyun.cloud.cn.aibang");
    }

    fn unsafe_legacy_path_is_400(setup) {
        let map = seed_with(&json!({"legacy": {"action": "proxy"}})).expect("map");
        let h = Harness::start(setup, &map).expect("start");
        for path in ["/a/../b", "/a%2fb", "/%2e%2e/x"] {
            let r = h.get(LEGACY1, path).expect("send");
            assert_eq!(r.status, 400, "{path}: {r:?}");
        }
        assert_eq!(h.upstream_requests(), vec![]);
    }
}
