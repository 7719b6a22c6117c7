//! `kong/kong.yml` (kdp_migrate alone on every route, the recommended layout) and
//! `kong/kong-chains.yml` (the split filters chained per entry): standard Kong 3.x declarative
//! syntax, every filter config accepted by the meta.json schema and by the core, the chains of the
//! Kong guide, and routes that send each request to the service of the API the core picks for it.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

// Test-only crate target: helpers outside #[test] functions fail loudly on bad fixtures, by design.

use std::collections::BTreeSet;
use std::fs;

use kdp_migrate_core::{Entry, MigrationMap};
use kdp_migrate_schema_check::{FILTERS, kong_dir};
use regex::Regex;
use serde_json::Value;

struct Route {
    name: String,
    service: String,
    service_url: String,
    hosts: Vec<String>,
    /// Regexes as Kong's `traditional_compatible` router runs them: `~` dropped, `^` prepended
    /// (kong/router/transform.lua `path_val_transform`); the router is Rust's `regex` (atc-router).
    regex_paths: Vec<Regex>,
    regex_priority: i64,
    raw: Value,
}

/// The two layouts `kdp-migrate kong generate` writes for the seed map.
const LAYOUT_FILES: [&str; 2] = ["kong.yml", "kong-chains.yml"];

fn kong_config(file: &str) -> Value {
    let text = fs::read_to_string(kong_dir().join(file)).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|error| panic!("kong/{file}: {error}"))
}

fn seed_map() -> (Value, MigrationMap) {
    let bytes = fs::read(kong_dir().join("map.json")).unwrap();
    (
        serde_json::from_slice(&bytes).unwrap(),
        MigrationMap::from_json(&bytes).unwrap(),
    )
}

fn routes(config: &Value) -> Vec<Route> {
    let mut routes = Vec::new();
    for service in config["services"].as_array().unwrap() {
        for route in service["routes"].as_array().unwrap() {
            let strings = |key: &str| -> Vec<String> {
                route[key]
                    .as_array()
                    .map(|items| {
                        items
                            .iter()
                            .map(|v| v.as_str().unwrap().to_owned())
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let regex_paths = strings("paths")
                .iter()
                .map(|path| {
                    let pattern = path.strip_prefix('~').unwrap_or_else(|| {
                        panic!("{path}: use a regex path (\"~...\"): plain prefixes match /api010 for /api01")
                    });
                    Regex::new(&format!("^{pattern}")).unwrap()
                })
                .collect();
            routes.push(Route {
                name: route["name"].as_str().unwrap().to_owned(),
                service: service["name"].as_str().unwrap().to_owned(),
                service_url: service["url"].as_str().unwrap().to_owned(),
                hosts: strings("hosts"),
                regex_paths,
                regex_priority: route["regex_priority"].as_i64().unwrap_or(0),
                raw: route.clone(),
            });
        }
    }
    routes
}

/// The route Kong picks for `host` + `path` among these routes: hosts match exactly and
/// case-sensitively, as Kong 3.9 compares them (Kong/kong#14198; no wildcard
/// is used in kong.yml, checked below), regex paths as Kong runs them; a route with more criteria
/// (hosts + paths) wins over hosts alone, then the higher `regex_priority`. `None` = Kong's own 404.
fn kong_route<'r>(routes: &'r [Route], host: &str, path: &str) -> Option<&'r Route> {
    let path = path.split_once('?').map_or(path, |(path, _)| path);
    let mut matching: Vec<&Route> = routes
        .iter()
        .filter(|r| r.hosts.iter().any(|h| h == host))
        .filter(|r| r.regex_paths.is_empty() || r.regex_paths.iter().any(|re| re.is_match(path)))
        .collect();
    let rank = |r: &Route| (usize::from(!r.regex_paths.is_empty()), r.regex_priority);
    matching.sort_by_key(|r| std::cmp::Reverse(rank(r)));
    if let [first, second, ..] = matching.as_slice() {
        assert_ne!(
            rank(first),
            rank(second),
            "{host}{path}: {} and {} tie",
            first.name,
            second.name
        );
    }
    matching.first().copied()
}

fn chain(route: &Route) -> Vec<(String, Value)> {
    let chains = route.raw["filter_chains"].as_array().unwrap_or_else(|| {
        panic!("{}: no filter_chains", route.name);
    });
    assert_eq!(
        chains.len(),
        1,
        "{}: a route has at most one filter chain",
        route.name
    );
    chains[0]["filters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["name"].as_str().unwrap().to_owned(), f["config"].clone()))
        .collect()
}

#[test]
fn declarative_format_3_0_with_route_filter_chains() {
    for file in LAYOUT_FILES {
        declarative_format_3_0(&kong_config(file));
    }
}

fn declarative_format_3_0(config: &Value) {
    assert_eq!(config["_format_version"], "3.0");
    let top: BTreeSet<&str> = config
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        top,
        BTreeSet::from(["_format_version", "services", "plugins"])
    );
    let mut names = BTreeSet::new();
    for route in routes(config) {
        assert!(
            names.insert(route.name.clone()),
            "duplicate route name {}",
            route.name
        );
        assert_eq!(
            route.raw["strip_path"], false,
            "{}: the filter strips the prefix",
            route.name
        );
        assert_eq!(
            route.raw["preserve_host"], true,
            "{}: the filters decide Host",
            route.name
        );
        assert!(
            !route.hosts.is_empty(),
            "{}: routes are per host",
            route.name
        );
        for host in &route.hosts {
            assert!(
                !host.contains('*'),
                "{}: no wildcard host, every API is listed",
                route.name
            );
        }
        for filter in &route.raw["filter_chains"][0]["filters"]
            .as_array()
            .unwrap()
            .clone()
        {
            let name = filter["name"].as_str().unwrap();
            assert!(
                FILTERS.contains(&name),
                "{}: unknown filter {name}",
                route.name
            );
        }
    }
    let plugins: Vec<&str> = config["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(plugins, ["prometheus"]);
}

/// Every filter config in kong.yml is the seed map, accepted by each meta.json schema and the core.
#[test]
fn every_filter_config_is_the_seed_map_and_is_accepted() {
    // 7 routes: kdp_migrate alone on each; 3 short routes x 2 filters + 2 legacy x 3 + 2 long x 1.
    for (file, filters) in [("kong.yml", 7), ("kong-chains.yml", 14)] {
        assert_eq!(
            filter_configs_checked(&kong_config(file)),
            filters,
            "{file}"
        );
    }
}

fn filter_configs_checked(config: &Value) -> usize {
    let (seed, _) = seed_map();
    let mut checked = 0;
    for route in routes(config) {
        for (filter, filter_config) in chain(&route) {
            let meta: Value = serde_json::from_slice(
                &fs::read(kong_dir().join(format!("{filter}.meta.json"))).unwrap(),
            )
            .unwrap();
            let validator = jsonschema::draft4::new(&meta["config_schema"]).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(&filter_config)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{} {filter}: {errors:?}", route.name);
            if let Err(error) =
                MigrationMap::from_json(&serde_json::to_vec(&filter_config).unwrap())
            {
                panic!("{} {filter}: core refuses: {error}", route.name);
            }
            assert_eq!(
                filter_config, seed,
                "{} {filter}: not the seed map (kong/map.json)",
                route.name
            );
            checked += 1;
        }
    }
    checked
}

/// The chains of the Kong guide, by the entry the core says each route's host is; kdp_migrate
/// alone everywhere in the recommended layout.
#[test]
fn chains_follow_the_entry_of_each_route() {
    let (_, map) = seed_map();
    for route in routes(&kong_config("kong.yml")) {
        let names: Vec<String> = chain(&route).into_iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["kdp_migrate"], "{}", route.name);
    }
    for route in routes(&kong_config("kong-chains.yml")) {
        let entry = map.classify(&route.hosts[0], "/").entry;
        let expected: &[&str] = match entry {
            Entry::Short => &["migration_telemetry", "short_domain_router"],
            Entry::Legacy => &["migration_telemetry", "legacy_redirect", "host_rewrite"],
            Entry::Long => &["migration_telemetry"],
            Entry::Unknown => panic!("{}: host {} is not in the map", route.name, route.hosts[0]),
        };
        let names: Vec<String> = chain(&route).into_iter().map(|(name, _)| name).collect();
        assert_eq!(names, expected, "{} ({entry:?})", route.name);
        for host in &route.hosts {
            assert_eq!(
                map.classify(host, "/").entry,
                entry,
                "{}: hosts of one entry",
                route.name
            );
        }
    }
}

/// Each API's entries all reach that API's service and no other; every host of the map is routed.
#[test]
fn every_entry_of_every_api_routes_to_its_service() {
    for file in LAYOUT_FILES {
        entries_route_to_their_service(&routes(&kong_config(file)));
    }
}

fn entries_route_to_their_service(routes: &[Route]) {
    let (_, map) = seed_map();
    for api in map.apis() {
        let service = |host: &str, path: &str| {
            kong_route(routes, host, path)
                .unwrap_or_else(|| panic!("no route for {host}{path}"))
                .service
                .clone()
        };
        assert_eq!(service(api.long_host(), "/x"), api.name(), "long host");
        for legacy in api.legacy_hosts() {
            assert_eq!(
                service(legacy, "/x?y=1"),
                api.name(),
                "legacy host {legacy}"
            );
        }
        let prefix = api.prefix();
        for path in [
            prefix.to_owned(),
            format!("{prefix}/"),
            format!("{prefix}/a/b?q=1"),
            format!("{prefix}?q"),
        ] {
            assert_eq!(service(map.short_host(), &path), api.name(), "short {path}");
        }
        let url = routes
            .iter()
            .find(|r| r.service == api.name())
            .unwrap()
            .service_url
            .clone();
        assert_eq!(
            url,
            format!("http://{}.team2.svc.cluster.local:8080", api.name())
        );
    }
    assert!(kong_route(routes, "api03.target-team2.dev.aliyun.cloud.cn.aibang", "/").is_none());
}

/// On the short host, Kong's route and the core's prefix match agree on every path: the API's
/// service when the core finds that API, the unmatched catch-all when it finds none.
#[test]
fn short_host_routes_match_on_segment_boundaries_like_the_core() {
    for file in LAYOUT_FILES {
        short_routes_match_like_the_core(&routes(&kong_config(file)));
    }
}

fn short_routes_match_like_the_core(routes: &[Route]) {
    let (_, map) = seed_map();
    let segments = [
        "api01", "api02", "api010", "api01-x", "api0", "API01", "x", "", "api01.", "v2",
    ];
    let mut paths = vec!["/".to_owned()];
    for first in segments {
        paths.push(format!("/{first}"));
        for second in ["", "x", "api01"] {
            paths.push(format!("/{first}/{second}"));
            paths.push(format!("/{first}/{second}?q=/api02"));
        }
    }
    for path in &paths {
        let route = kong_route(routes, map.short_host(), path).unwrap_or_else(|| panic!("{path}"));
        let core_path = path.split_once('?').map_or(path.as_str(), |(p, _)| p);
        match map.match_prefix(core_path) {
            Some((api, _)) => assert_eq!(route.service, api.name(), "{path}"),
            None => assert_eq!(route.name, "short-unmatched", "{path}"),
        }
    }
}
