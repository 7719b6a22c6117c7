//! Production-shaped migration maps for the benchmarks in `benches/`.
//!
//! The shape follows the seed scenario (`kong/map.json`) scaled up: API names like `svc-0421`, a
//! long-host pattern and a legacy-host pattern under the `aliyun.cloud.cn.aibang` zone, and the
//! variety a real map accumulates: some two- and three-segment prefixes, some APIs with their own
//! long host, an extra legacy host or a proxied legacy entry, and the deprecation signals on.

/// The short host of every generated map.
pub const SHORT_HOST: &str = "dev-01.aliyun.cloud.cn.aibang";

/// The long host of API `name` when it keeps the pattern.
pub fn long_host(name: &str) -> String {
    format!("{name}.target-team2.dev.aliyun.cloud.cn.aibang")
}

/// The legacy host of API `name` from the pattern.
pub fn legacy_host(name: &str) -> String {
    format!("{name}.source-team1.dev.aliyun.cloud.cn.aibang")
}

/// The name of the `index`-th API: `svc-0000`, `svc-0001`, …
pub fn api_name(index: usize) -> String {
    format!("svc-{index:04}")
}

/// The prefix of the `index`-th API: `/svc-0421`, or for one API in ten `/team-<n>/svc-…`, and
/// for one in fifty `/v2/team-<n>/svc-…`.
pub fn prefix(index: usize) -> String {
    let name = api_name(index);
    match (index % 10, index % 50) {
        (_, 7) => format!("/v2/team-{}/{name}", index % 7),
        (3, _) => format!("/team-{}/{name}", index % 7),
        _ => format!("/{name}"),
    }
}

/// A migration map document with `apis` APIs.
pub fn map_json(apis: usize) -> String {
    let mut out = String::with_capacity(160 * apis + 1024);
    out.push_str(&format!(
        r#"{{"short_host":"{SHORT_HOST}","long_host":"{{api}}.target-team2.dev.aliyun.cloud.cn.aibang","legacy_hosts":["{{api}}.source-team1.dev.aliyun.cloud.cn.aibang"],"apis":["#
    ));
    for index in 0..apis {
        if index > 0 {
            out.push(',');
        }
        let name = api_name(index);
        out.push_str(&format!(r#"{{"name":"{name}""#));
        if prefix(index) != format!("/{name}") {
            out.push_str(&format!(r#","prefix":"{}""#, prefix(index)));
        }
        if index % 40 == 19 {
            out.push_str(&format!(r#","long_host":"{name}.internal.aibang""#));
        }
        if index % 100 == 23 {
            out.push_str(&format!(
                r#","legacy_hosts":["{{api}}.source-team1.dev.aliyun.cloud.cn.aibang","{name}.old-dc.aibang"]"#
            ));
        }
        if index % 25 == 11 {
            out.push_str(r#","legacy":{"action":"proxy"}"#);
        }
        out.push('}');
    }
    out.push_str(
        r#"],"legacy":{"action":"redirect","target":"short","status":308,"scheme":"https","redirect_max_age":300,"redirect_header":"x-kdp-redirect","deprecation":"2026-01-01T00:00:00Z","sunset":"2027-01-01T00:00:00Z","deprecation_link":"https://docs.example/migration"},"unmatched":"reject","rewrite_responses":true,"trailing_slash":"forward"}"#,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use kdp_migrate_core::MigrationMap;

    #[test]
    fn generated_maps_are_accepted() {
        for apis in [1, 100, 1000] {
            let map = MigrationMap::from_json(map_json(apis).as_bytes());
            let map = map.unwrap_or_else(|error| panic!("{apis} APIs: {error}"));
            assert_eq!(map.apis().len(), apis);
        }
    }

    #[test]
    fn prefixes_have_one_to_three_segments() {
        assert_eq!(prefix(421), "/svc-0421");
        assert_eq!(prefix(413), "/team-0/svc-0413");
        assert_eq!(prefix(457), "/v2/team-2/svc-0457");
    }
}
