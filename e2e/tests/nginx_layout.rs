//! The rendering of `e2e/nginx/kong-proxy.conf` from `kong/kong-chains.yml`, without running nginx: each Host goes to the
//! chain the declarative config attaches to its route, every filter gets the map as one nginx token, and what the
//! layout cannot model is refused. (No test here needs Kong's engine, so none has the engine marker in its name.)

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use kdp_migrate_core::{Entry, filters};
use kdp_migrate_e2e::kong_config::{self, Layout, Render};
use kdp_migrate_e2e::kong_routes::{self, KongRoute};
use kdp_migrate_e2e::paths;
use kdp_migrate_e2e::scenario::{LEGACY1, LEGACY2, LONG1, LONG2, SHORT, seed_with};
use serde_json::json;

fn settings(layout: Layout, map: &str) -> Render {
    Render {
        listener_port: 8000,
        upstream_port: 9000,
        prefix: "/tmp/prefix".into(),
        error_log: "/tmp/prefix/error.log".into(),
        log_level: "info".into(),
        filters_dir: "/filters".into(),
        map: map.into(),
        layout,
        wasmtime_cache: None,
        wasmtime_flags: Vec::new(),
    }
}

fn shipped_routes() -> Vec<KongRoute> {
    kong_routes::load(&paths::kong_chains_yml()).expect("kong/kong-chains.yml")
}

fn render(layout: Layout, map: &str) -> String {
    let template = std::fs::read_to_string(paths::kong_template()).expect("template");
    kong_config::render(&template, &shipped_routes(), &settings(layout, map)).expect("render")
}

/// The filters that run for `host`: the router map's location for it, then that location's `proxy_wasm` lines.
fn chain_for(config: &str, host: &str) -> Vec<String> {
    let pattern = format!("\"~^{}(?::[0-9]+)?$\" ", host.replace('.', "\\."));
    let location = config
        .lines()
        .find_map(|l| l.trim().strip_prefix(&pattern))
        .and_then(|rest| rest.strip_suffix(';'))
        .unwrap_or_else(|| panic!("no route for {host}"));
    let block = config
        .split(&format!("location @{location} {{"))
        .nth(1)
        .and_then(|rest| rest.split("\n        }\n").next())
        .unwrap_or_else(|| panic!("no location {location}"));
    block
        .lines()
        .filter_map(|l| l.trim().strip_prefix("proxy_wasm "))
        .filter_map(|l| l.split(' ').next())
        .map(str::to_string)
        .collect()
}

/// The inverse of nginx's single-quoted token: `\\` → `\`, `\'` → `'`.
fn unquote(token: &str) -> String {
    let inner = token
        .strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
        .expect("quoted");
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.push(chars.next().expect("escaped char"));
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn routes_layout_gives_each_host_the_chain_its_route_has() {
    let config = render(Layout::Routes, "{}");
    for (host, chain) in [
        (SHORT, filters::chain(Entry::Short)),
        (LEGACY1, filters::chain(Entry::Legacy)),
        (LEGACY2, filters::chain(Entry::Legacy)),
        (LONG1, filters::chain(Entry::Long)),
        (LONG2, filters::chain(Entry::Long)),
    ] {
        assert_eq!(chain_for(&config, host), chain, "{host}");
    }
    assert_eq!(
        config.matches("\n        location @").count(),
        4,
        "three chains and the no-route location"
    );
    for module in filters::SEPARATE {
        assert!(
            config.contains(&format!("module {module} '/filters/{module}.wasm';")),
            "{module}"
        );
    }
    assert!(
        !config.contains("module kdp_migrate"),
        "only used modules load"
    );
}

#[test]
fn combined_layout_runs_kdp_migrate_alone_on_every_route() {
    let config = render(Layout::Combined, "{}");
    for host in [SHORT, LEGACY1, LEGACY2, LONG1, LONG2] {
        assert_eq!(chain_for(&config, host), [filters::KDP_MIGRATE], "{host}");
    }
    assert_eq!(config.matches("\n        location @").count(), 2);
    let plain = render(Layout::Plain, "{}");
    assert!(
        !plain.contains("proxy_wasm "),
        "no filter in the plain layout"
    );
    assert!(
        !plain.lines().any(|l| l.trim_start().starts_with("module ")),
        "and no module"
    );
}

/// The lines of the location `host` is routed to.
fn location_for(config: &str, host: &str) -> Vec<String> {
    let pattern = format!("\"~^{}(?::[0-9]+)?$\" ", host.replace('.', "\\."));
    let location = config
        .lines()
        .find_map(|l| l.trim().strip_prefix(&pattern))
        .and_then(|rest| rest.strip_suffix(';'))
        .unwrap_or_else(|| panic!("no route for {host}"));
    config
        .split(&format!("location @{location} {{"))
        .nth(1)
        .and_then(|rest| rest.split("\n        }\n").next())
        .unwrap_or_else(|| panic!("no location {location}"))
        .lines()
        .map(|l| l.trim().to_string())
        .collect()
}

#[test]
fn native_layout_has_nginx_do_the_routing_job_without_filters() {
    let seed = paths::seed_map().expect("seed map");
    let config = render(Layout::Native, &seed);
    assert!(!config.contains("proxy_wasm "), "no filter");
    assert!(
        !config
            .lines()
            .any(|l| l.trim_start().starts_with("module ")),
        "and no module"
    );
    let short = location_for(&config, SHORT);
    for expected in [
        r#"if ($request_uri ~ "^/api01(?:/([^?]*))?(\?.*)?$") {"#,
        "set $upstream_uri /$1$2;",
        "set $upstream_host api01.target-team2.dev.aliyun.cloud.cn.aibang;",
        "set $upstream_x_forwarded_host dev-01.aliyun.cloud.cn.aibang;",
        "set $upstream_x_forwarded_prefix /api01;",
        "set $upstream_host api02.target-team2.dev.aliyun.cloud.cn.aibang;",
        r#"return 404 '{"error":"no_api"}';"#,
    ] {
        assert!(
            short.iter().any(|l| l == expected),
            "{expected}: {short:#?}"
        );
    }
    let at = |start: &str| {
        short
            .iter()
            .position(|l| l.starts_with(start))
            .expect(start)
    };
    assert!(
        at("set $upstream_host api01.") > at("set $upstream_host               $http_host;"),
        "the job overrides what Kong's access phase set"
    );
    for (host, api) in [(LEGACY1, "api01"), (LEGACY2, "api02")] {
        let legacy = location_for(&config, host);
        assert!(
            legacy.contains(&format!(
                "return 308 https://dev-01.aliyun.cloud.cn.aibang/{api}$request_uri;"
            )),
            "{legacy:#?}"
        );
        assert!(legacy.contains(&"add_header Cache-Control max-age=300 always;".to_string()));
    }
    for host in [LONG1, LONG2] {
        let long = location_for(&config, host);
        assert!(
            !long
                .iter()
                .any(|l| l.starts_with("return ") || l.starts_with("if ")),
            "{host} passes: {long:#?}"
        );
    }
    // A map field nginx cannot do natively is refused, not dropped.
    let canary = seed_with(&json!({"legacy": {"redirect_percent": 10}})).expect("map");
    let template = std::fs::read_to_string(paths::kong_template()).expect("template");
    let err = kong_config::render(
        &template,
        &shipped_routes(),
        &settings(Layout::Native, &canary),
    )
    .expect_err("refused");
    assert_eq!(
        err.to_string(),
        "apis[0].legacy: redirect_percent has no native equivalent here"
    );
}

#[test]
fn every_filter_gets_the_map_as_one_nginx_token() {
    let map = json!({"short_host": "it's\\odd;{x} $y # z", "apis": []}).to_string();
    let config = render(Layout::Routes, &map);
    let tokens: Vec<&str> = config
        .lines()
        .filter_map(|l| l.trim().strip_prefix("proxy_wasm "))
        .map(|l| {
            l.split_once(' ')
                .and_then(|(_, rest)| rest.strip_suffix(';'))
                .expect("token")
        })
        .collect();
    assert_eq!(tokens.len(), 6, "{tokens:?}");
    for token in tokens {
        assert_eq!(unquote(token), map);
    }
}

#[test]
fn every_placeholder_is_filled_and_a_missing_one_is_an_error() {
    let config = render(Layout::Routes, "{}");
    for (name, value) in [
        ("pid", "pid /tmp/prefix/nginx.pid;"),
        ("error_log", "error_log '/tmp/prefix/error.log' info;"),
        ("upstream", "server 127.0.0.1:9000;"),
        ("listen", "listen 127.0.0.1:8000;"),
        ("cache", "# no Wasmtime cache"),
    ] {
        assert!(config.contains(value), "{name}: {value}");
    }
    assert!(
        !config.lines().any(|l| l == "#>route" || l == "#<route"),
        "the route block's markers are gone"
    );
    let template = std::fs::read_to_string(paths::kong_template()).expect("template");
    let broken = template.replace("@UPSTREAM_PORT@", "9");
    let err = kong_config::render(&broken, &shipped_routes(), &settings(Layout::Routes, "{}"))
        .expect_err("a placeholder is missing");
    assert_eq!(err.to_string(), "the template has no @UPSTREAM_PORT@");
    let mut bad_level = settings(Layout::Routes, "{}");
    bad_level.log_level = "verbose".into();
    let err = kong_config::render(&template, &shipped_routes(), &bad_level).expect_err("level");
    assert_eq!(
        err.to_string(),
        "log level \"verbose\" is not an nginx level"
    );
}

#[test]
fn wasmtime_gets_the_cache_and_the_flags_in_one_block() {
    let template = std::fs::read_to_string(paths::kong_template()).expect("template");
    let mut with_flags = settings(Layout::Combined, "{}");
    with_flags.wasmtime_cache = Some("/tmp/cache.toml".into());
    with_flags.wasmtime_flags = vec![("profiler".into(), "perfmap".into())];
    let config = kong_config::render(&template, &shipped_routes(), &with_flags).expect("render");
    assert!(
        config.contains(
            "    wasmtime { cache_config '/tmp/cache.toml'; flag profiler 'perfmap'; }\n"
        ),
        "{config}"
    );
    with_flags.wasmtime_flags = vec![("profiler; evil".into(), "x".into())];
    let err = kong_config::render(&template, &shipped_routes(), &with_flags).expect_err("name");
    assert_eq!(
        err.to_string(),
        "Wasmtime flag \"profiler; evil\": not a flag name"
    );
}

#[test]
fn routes_the_layout_cannot_model_are_refused() {
    let route = |extra: serde_json::Value| {
        let mut route = json!({"name": "r", "hosts": ["a.example"], "strip_path": false, "preserve_host": true});
        if let (Some(r), Some(e)) = (route.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                r.insert(k.clone(), v.clone());
            }
        }
        json!({"services": [{"name": "s", "url": "http://up:8080", "routes": [route]}]})
    };
    for (extra, message) in [
        (
            json!({"strip_path": true}),
            "services[0] (s).routes[0] (r): the nginx layout models strip_path: false only",
        ),
        (
            json!({"preserve_host": false}),
            "services[0] (s).routes[0] (r): the nginx layout models preserve_host: true only",
        ),
        (
            json!({"hosts": ["*.a.example"]}),
            "services[0] (s).routes[0] (r): host \"*.a.example\" has a wildcard or a port, which the nginx layout \
             does not route",
        ),
        (
            json!({"hosts": []}),
            "services[0] (s).routes[0] (r): no hosts; the nginx layout routes by Host only",
        ),
    ] {
        let err = kong_routes::routes(&route(extra.clone())).expect_err("refused");
        assert_eq!(err.to_string(), message, "{extra}");
    }
    let with_path =
        json!({"services": [{"name": "s", "url": "http://up:8080/base", "routes": []}]});
    assert_eq!(
        kong_routes::routes(&with_path)
            .expect_err("path")
            .to_string(),
        "services[0] (s): url \"http://up:8080/base\" has a path; the nginx layout models services without one"
    );
}

#[test]
fn chains_are_the_services_then_the_routes_enabled_filters() {
    let config = json!({"services": [{
        "name": "s",
        "url": "http://up:8080",
        "filter_chains": [{"filters": [{"name": "migration_telemetry"}]}],
        "routes": [
            {"name": "a", "hosts": ["a.example"], "strip_path": false, "preserve_host": true,
             "filter_chains": [{"filters": [{"name": "legacy_redirect", "enabled": false}, {"name": "host_rewrite"}]}]},
            {"name": "b", "hosts": ["a.example"], "strip_path": false, "preserve_host": true,
             "filter_chains": [{"enabled": false, "filters": [{"name": "host_rewrite"}]}]},
        ],
    }]});
    let routes = kong_routes::routes(&config).expect("routes");
    assert_eq!(
        routes,
        vec![
            KongRoute {
                name: "a".into(),
                hosts: vec!["a.example".into()],
                filters: vec!["migration_telemetry".into(), "host_rewrite".into()],
            },
            KongRoute {
                name: "b".into(),
                hosts: vec!["a.example".into()],
                filters: vec!["migration_telemetry".into()],
            },
        ]
    );
    // Two routes of one Host with different chains: the Host-only router cannot tell them apart.
    let template = std::fs::read_to_string(paths::kong_template()).expect("template");
    let err = kong_config::render(&template, &routes, &settings(Layout::Routes, "{}"))
        .expect_err("ambiguous");
    assert_eq!(
        err.to_string(),
        "routes a and b share host a.example with different filter chains; the nginx layout routes by Host only"
    );
}
