//! Legacy-host entry (issue 2 rule 2): redirect mode answers the configured status and Location without
//! contacting the upstream; proxy mode forwards with the API's long Host and the path unchanged.

use kdp_migrate_e2e::scenario::{LEGACY1, LEGACY2, LONG1, SHORT, seed_with};
use kdp_migrate_e2e::{Harness, Request, per_variant};
use serde_json::json;

per_variant! {
    fn redirects_to_short_domain(variant) {
        let h = Harness::seed(variant).expect("start");
        let cases = [
            ("/v1/items?id=7", format!("https://{SHORT}/api01/v1/items?id=7")),
            ("/", format!("https://{SHORT}/api01/")),
            ("/a%20b?x=%20", format!("https://{SHORT}/api01/a%20b?x=%20")),
        ];
        for (path, location) in cases {
            for request in [Request::get(LEGACY1, path), Request::get(LEGACY1, path).h2c()] {
                let r = h.send(&request).expect("send");
                assert_eq!(r.status, 308, "{request:?}: {r:?}");
                assert_eq!(r.header("location"), Some(location.as_str()), "{request:?}");
                assert_eq!(r.header("cache-control"), Some("max-age=300"), "{request:?}");
            }
        }
        let r = h.get(&LEGACY2.to_uppercase(), "/x").expect("send");
        assert_eq!(r.status, 308);
        assert_eq!(r.header("location"), Some(format!("https://{SHORT}/api02/x").as_str()));
        assert_eq!(h.upstream_requests(), vec![], "a redirect never reaches the upstream");
    }

    fn redirect_status_scheme_and_target_from_map(variant) {
        let map = seed_with(&json!({"legacy": {"status": 302, "scheme": "http", "target": "long"}})).expect("map");
        let h = Harness::start(variant, &map).expect("start");
        let r = h.get(LEGACY1, "/v1/x?y=1").expect("send");
        assert_eq!(r.status, 302, "{r:?}");
        assert_eq!(r.header("location"), Some(format!("http://{LONG1}/v1/x?y=1").as_str()));
    }

    fn proxy_mode_forwards_with_long_host(variant) {
        let map = seed_with(&json!({"legacy": {"action": "proxy"}})).expect("map");
        let h = Harness::start(variant, &map).expect("start");
        for request in [Request::get(LEGACY1, "/v1/x?y=1&z"), Request::get(LEGACY1, "/v1/x?y=1&z").h2c()] {
            let r = h.send(&request).expect("send");
            assert_eq!(r.status, 200, "{request:?}: {r:?}");
            let body = r.json().expect("json");
            assert_eq!(body["host"], LONG1, "{request:?}");
            assert_eq!(body["path"], "/v1/x?y=1&z", "{request:?}: the path is unchanged in proxy mode");
        }
    }

    fn per_api_legacy_override(variant) {
        let map = seed_with(&json!({"apis": [{"name": "api01"}, {"name": "api02", "legacy": {"action": "proxy"}}]}))
            .expect("map");
        let h = Harness::start(variant, &map).expect("start");
        assert_eq!(h.get(LEGACY1, "/x").expect("send").status, 308);
        let r = h.get(LEGACY2, "/x").expect("send");
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.json().expect("json")["host"], "api02.target-team2.dev.aliyun.cloud.cn.aibang");
    }

    fn unsafe_legacy_path_is_400(variant) {
        let map = seed_with(&json!({"legacy": {"action": "proxy"}})).expect("map");
        let h = Harness::start(variant, &map).expect("start");
        for path in ["/a/../b", "/a%2fb", "/%2e%2e/x"] {
            let r = h.get(LEGACY1, path).expect("send");
            assert_eq!(r.status, 400, "{path}: {r:?}");
        }
        assert_eq!(h.upstream_requests(), vec![]);
    }
}
