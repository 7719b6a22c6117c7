//! Long-host and unknown-host entries (issue 2 rules 3 and 4): passed through untouched.

use kdp_migrate_e2e::scenario::{LONG1, OTHER};
use kdp_migrate_e2e::{Harness, Request, per_variant};

per_variant! {
    fn long_and_unknown_hosts_pass_untouched(variant) {
        let h = Harness::seed(variant).expect("start");
        for host in [LONG1, OTHER] {
            for path in ["/v1/x?y=1", "/api01/x", "/a/../b", "/a%2fb"] {
                for request in [Request::get(host, path), Request::get(host, path).h2c()] {
                    let r = h.send(&request).expect("send");
                    assert_eq!(r.status, 200, "{request:?}: {r:?}");
                    let body = r.json().expect("json");
                    assert_eq!(body["host"], host, "{request:?}");
                    assert_eq!(body["path"], path, "{request:?}");
                    assert_eq!(body["x_forwarded_host"], serde_json::Value::Null, "{request:?}");
                    assert_eq!(body["x_forwarded_prefix"], serde_json::Value::Null, "{request:?}");
                }
            }
        }
    }
}
