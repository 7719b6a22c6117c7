//! `replay --kong`'s router against Kong 3.9's default router (`traditional_compatible`,
//! kong-3.9.3.md §2): which route takes a request, in which order routes are tried, what it
//! refuses, and the Host sent upstream (§1.5).

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use kdp_migrate_cli::kong::{KongRoutes, RouterFlavor};
use kdp_migrate_host_test::Request;

fn routes(routes_yaml: &str) -> KongRoutes {
    KongRoutes::parse(&config(routes_yaml), RouterFlavor::TraditionalCompatible)
        .unwrap_or_else(|error| panic!("{error}"))
}

/// One service `svc` at `http://upstream.internal:8080` with these routes (YAML list items,
/// indented by four).
fn config(routes_yaml: &str) -> String {
    format!(
        "_format_version: \"3.0\"\nservices:\n- name: svc\n  url: http://upstream.internal:8080\n  routes:\n{routes_yaml}"
    )
}

/// The name of the route Kong picks, `None` for Kong's own 404.
fn picked(routes: &KongRoutes, request: &Request) -> Option<String> {
    routes
        .route(request)
        .map(|hit| hit.routing.route_name.unwrap_or_default())
}

fn get(host: &str, path: &str) -> Request {
    Request::new("GET", host, path)
}

#[test]
fn hosts_match_case_sensitively_as_in_kong_3_9() {
    // Kong/kong#14198: nothing lowercases the Host header or `hosts` in 3.9.
    let routes = routes("  - name: r\n    hosts: [api.example.com]\n");
    assert_eq!(
        picked(&routes, &get("api.example.com", "/")),
        Some("r".into())
    );
    assert_eq!(
        picked(&routes, &get("api.example.com:8000", "/")),
        Some("r".into())
    );
    assert_eq!(picked(&routes, &get("API.example.com", "/")), None);
    assert_eq!(picked(&routes, &get("api.example.com.", "/")), None);
    assert_eq!(picked(&routes, &get("", "/")), None);
}

#[test]
fn wildcards_and_ports() {
    let routes = routes(
        "  - name: suffix\n    hosts: ['*.example.com']\n  - name: prefix\n    hosts: ['api.*']\n  - name: port\n    hosts: ['a.test:8443']\n",
    );
    assert_eq!(
        picked(&routes, &get("x.y.example.com", "/")),
        Some("suffix".into())
    );
    assert_eq!(picked(&routes, &get("example.com", "/")), None);
    assert_eq!(
        picked(&routes, &get("api.other", "/")),
        Some("prefix".into())
    );
    // `net.dst.port` is the Host header's port, else Kong's listener port (8000, 8443 for https).
    assert_eq!(
        picked(&routes, &get("a.test:8443", "/")),
        Some("port".into())
    );
    assert_eq!(picked(&routes, &get("a.test", "/")), None);
    assert_eq!(
        picked(&routes, &get("a.test", "/").scheme("https")),
        Some("port".into())
    );
}

#[test]
fn prefixes_and_regexes_match_the_normalised_path() {
    let routes = routes(
        "  - name: prefix\n    paths: [/api01]\n  - name: regex\n    paths: ['~/v\\d+/items$']\n",
    );
    // A prefix is a byte prefix: /api01x matches too.
    assert_eq!(picked(&routes, &get("h", "/api01x")), Some("prefix".into()));
    assert_eq!(
        picked(&routes, &get("h", "/x/../api01/y")),
        Some("prefix".into())
    );
    assert_eq!(
        picked(&routes, &get("h", "/%61pi01")),
        Some("prefix".into())
    );
    assert_eq!(
        picked(&routes, &get("h", "/api%30%31")),
        Some("prefix".into())
    );
    assert_eq!(
        picked(&routes, &get("h", "//v2//items?x")),
        Some("regex".into())
    );
    // %2F stays encoded for Kong's router: not a path separator.
    assert_eq!(picked(&routes, &get("h", "/v2%2Fitems")), None);
}

/// Kong puts `^` in front of the regex as written (`kong/router/transform.lua:322-331`), not
/// `^(?:…)`: a top-level `|` leaves the later branch unanchored. The old model wrapped the
/// regex, and would have said no route here.
#[test]
fn regexes_are_anchored_as_kong_writes_them() {
    let routes =
        routes("  - name: alternation\n    paths: ['~/api01|/admin']\n    strip_path: true\n");
    let hit = routes.route(&get("h", "/x/admin/y")).unwrap();
    assert_eq!(hit.routing.route_name.as_deref(), Some("alternation"));
    // Group 0 is `/admin`, and strip_path cuts as many bytes (6) off the start: `/x/adm` + `in/y`.
    assert_eq!(hit.routing.forwarded_prefix.as_deref(), Some("/admin"));
    assert_eq!(hit.routing.upstream_uri.as_deref(), Some("/in/y"));
    assert_eq!(picked(&routes, &get("h", "/x/api01")), None);
}

#[test]
fn methods_are_exact_and_headers_lowercased() {
    let routes = routes(
        "  - name: post\n    methods: [POST]\n    paths: [/]\n  - name: header\n    headers: {X-Version: ['v2', '~*^beta-\\d']}\n    paths: [/]\n",
    );
    assert_eq!(
        picked(&routes, &Request::new("POST", "h", "/")),
        Some("post".into())
    );
    assert_eq!(picked(&routes, &Request::new("post", "h", "/")), None);
    assert_eq!(
        picked(&routes, &get("h", "/").header("x-version", "V2")),
        Some("header".into())
    );
    assert_eq!(
        picked(&routes, &get("h", "/").header("X-VERSION", "Beta-7")),
        Some("header".into())
    );
    assert_eq!(
        picked(&routes, &get("h", "/").header("x-version", "v3")),
        None
    );
}

#[test]
fn exact_hosts_beat_everything_and_regexes_beat_prefixes_with_more_fields() {
    // §2.5: bit 60 (plain hosts) over bit 51 (regex) over the field count.
    let routes = routes(
        "  - name: wildcard-methods-prefix\n    hosts: ['*.example.com']\n    methods: [GET]\n    paths: [/api]\n  - name: regex\n    paths: ['~/api/.*']\n  - name: exact-host\n    hosts: [a.example.com]\n",
    );
    assert_eq!(
        picked(&routes, &get("a.example.com", "/api/x")),
        Some("exact-host".into())
    );
    assert_eq!(
        picked(&routes, &get("b.example.com", "/api/x")),
        Some("regex".into())
    );
    assert_eq!(
        picked(&routes, &get("b.example.com", "/api")),
        Some("wildcard-methods-prefix".into())
    );
}

#[test]
fn longer_prefixes_first_and_regex_priority_only_among_regexes() {
    let routes = routes(
        "  - name: short\n    paths: [/a]\n  - name: long\n    paths: [/a/b]\n  - name: re-low\n    paths: ['~/r']\n    regex_priority: 1\n  - name: re-high\n    paths: ['~/r/s']\n    regex_priority: 2\n",
    );
    assert_eq!(picked(&routes, &get("h", "/a/b/c")), Some("long".into()));
    assert_eq!(picked(&routes, &get("h", "/a/c")), Some("short".into()));
    assert_eq!(picked(&routes, &get("h", "/r/s")), Some("re-high".into()));
    assert_eq!(picked(&routes, &get("h", "/r/t")), Some("re-low".into()));
}

#[test]
fn ties_go_to_the_greater_route_id_not_the_file_order() {
    // api01 → 212117b8-…, api02 → 78317d20-…: on equal priority api02 is tried first
    // (kong-3.9.3.md §2.4), wherever it is in the file.
    let routes =
        routes("  - name: api01\n    paths: [/same]\n  - name: api02\n    paths: [/same]\n");
    assert_eq!(picked(&routes, &get("h", "/same")), Some("api02".into()));
    // An explicit id wins by its own value.
    let routes = routes_with_ids();
    assert_eq!(picked(&routes, &get("h", "/same")), Some("first".into()));
}

fn routes_with_ids() -> KongRoutes {
    routes(
        "  - name: first\n    id: ffffffff-0000-4000-8000-000000000000\n    paths: [/same]\n  - name: api02\n    paths: [/same]\n",
    )
}

#[test]
fn a_route_with_paths_of_several_lengths_is_split() {
    // /a/b and /x/y/z are two matchers; /a/b ties with `other` (same length), and the split
    // matcher's id is v5(route id + "#1").
    let routes =
        routes("  - name: split\n    paths: [/a/b, /x/y/z]\n  - name: other\n    paths: [/x/y]\n");
    assert_eq!(picked(&routes, &get("h", "/x/y/z")), Some("split".into()));
    assert_eq!(picked(&routes, &get("h", "/x/y/q")), Some("other".into()));
    assert_eq!(picked(&routes, &get("h", "/a/b")), Some("split".into()));
}

#[test]
fn routes_whose_order_kong_leaves_undefined_are_refused_by_name() {
    let error = KongRoutes::parse(
        &config("  - name: busy\n    hosts: [h]\n    methods: [GET]\n    headers: {x-a: ['1']}\n    paths: [/]\n"),
        RouterFlavor::TraditionalCompatible,
    )
    .unwrap_err();
    assert!(
        error.starts_with("route \"busy\": it sets 4 of methods, hosts, headers, snis and paths; Kong 3.9 orders routes with more than 3 by a priority that depends on whether LuaJIT compiled"),
        "{error}"
    );
    let error = KongRoutes::parse(
        &config("  - name: negative\n    paths: ['~/x']\n    regex_priority: -1\n"),
        RouterFlavor::TraditionalCompatible,
    )
    .unwrap_err();
    assert!(
        error.starts_with("route \"negative\": regex_priority -1 is outside 0..=4095"),
        "{error}"
    );
    // A prefix route's regex_priority is never used: accepted.
    routes("  - name: prefix\n    paths: [/x]\n    regex_priority: -1\n");
}

#[test]
fn warnings_name_unnamed_routes_and_ignored_path_handling() {
    let routes = routes("  - paths: [/a]\n  - name: old\n    paths: [/b]\n    path_handling: v1\n");
    assert_eq!(
        routes.warnings(),
        [
            "route #1 (unnamed) has neither id nor name: Kong gives it a random id at every start, so where it ties with another route the winner can change between restarts (the replay takes the earlier in the file); give it a name",
            "route \"old\" sets path_handling v1, which router_flavor traditional_compatible ignores (kong/router/atc.lua:343): its upstream path follows v0",
        ]
    );
}

#[test]
fn upstream_host_is_the_service_or_the_raw_host_header() {
    // §1.5: preserve_host → the Host header as sent, port included; else the service host with
    // its port unless it is the scheme's default.
    let routes = routes(
        "  - name: keep\n    hosts: ['Keep.example:9000']\n    preserve_host: true\n  - name: service\n    hosts: [svc.example]\n",
    );
    let keep = routes.route(&get("Keep.example:9000", "/")).unwrap();
    assert_eq!(
        keep.routing.upstream_host.as_deref(),
        Some("Keep.example:9000")
    );
    let service = routes.route(&get("svc.example", "/")).unwrap();
    assert_eq!(
        service.routing.upstream_host.as_deref(),
        Some("upstream.internal:8080")
    );
}

#[test]
fn expressions_flavor_is_refused() {
    assert_eq!(
        "expressions".parse::<RouterFlavor>(),
        Err(
            "router_flavor \"expressions\" is not modelled (routes written as ATC expressions)"
                .to_owned()
        )
    );
    assert_eq!(
        "traditional".parse::<RouterFlavor>(),
        Ok(RouterFlavor::Traditional)
    );
}
