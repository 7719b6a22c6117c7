//! The migration with Kong's own entities and bundled plugins, for Kong without Wasm (OSS after
//! 3.9, Enterprise 3.11+): what the map can become without the filters, and what it cannot.
//!
//! - Short domain: the boundary regex route with `strip_path: true` (Kong removes the matched
//!   prefix, notes §1.1-1.2) and `request-transformer` replacing `host` with the long host (the
//!   one header Kong lets a plugin set upstream: `kong/pdk/service/request.lua` `set_headers`
//!   writes `ngx.var.upstream_host`, notes §5.2).
//! - Long host: passed as sent (`preserve_host: true`).
//! - Legacy hosts, by the API's policy: `redirect` plugin (Kong 3.9+, notes §5.1), or
//!   `request-transformer` for proxy, or nothing for observe.
//! - Short-domain paths no API owns: Kong's own 404 (`unmatched: reject`), or a catch-all route
//!   to the fail-closed service (`pass`).
//!
//! What it cannot do is listed by [`limits`] (written into the file's header and kong/README.md).

use kdp_migrate_core::{Api, Entry, LegacyAction, MigrationMap, RedirectTarget, TrailingSlash};
use serde_json::{Value, json};

use super::kit::{UNMATCHED_ROUTE, boundary_regex, short_regex_priority, tags};

/// The routes of `api` in the native layout.
pub fn routes(map: &MigrationMap, api: &Api) -> Vec<Value> {
    let name = api.name();
    let mut routes = vec![
        json!({
            "name": format!("{name}-short"),
            "hosts": [map.short_host()],
            "paths": [boundary_regex(api.prefix())],
            "regex_priority": short_regex_priority(api.prefix()),
            "strip_path": true,
            "preserve_host": false,
            "tags": tags(Some(Entry::Short), Some(name)),
            "plugins": [set_host(api.long_host())],
        }),
        json!({
            "name": format!("{name}-long"),
            "hosts": [api.long_host()],
            "strip_path": false,
            "preserve_host": true,
            "tags": tags(Some(Entry::Long), Some(name)),
        }),
    ];
    if api.legacy_hosts().is_empty() {
        return routes;
    }
    let legacy = |suffix: &str, plugins: Vec<Value>, headers: Option<Value>| {
        let mut route = json!({
            "name": format!("{name}-legacy{suffix}"),
            "hosts": api.legacy_hosts(),
            "strip_path": false,
            "preserve_host": true,
            "tags": tags(Some(Entry::Legacy), Some(name)),
        });
        if let Some(route) = route.as_object_mut() {
            if !plugins.is_empty() {
                route.insert("plugins".to_owned(), Value::Array(plugins));
            }
            if let Some(headers) = headers {
                route.insert("headers".to_owned(), headers);
            }
        }
        route
    };
    routes.push(legacy("", legacy_plugins(api), None));
    if let Some(header) = forced_redirect_header(api) {
        // Testers with the redirect header, on a route of its own: more fields, so it wins
        // (notes §2.5).
        routes.push(legacy(
            "-forced",
            vec![redirect(api)],
            Some(json!({ header: ["1"] })),
        ));
    }
    routes
}

/// The plugins of `api`'s legacy route: the `redirect` plugin (redirect), `request-transformer`
/// setting the long host (proxy, and a canary, which cannot split clients natively: nobody is
/// sent somewhere new), nothing (observe: forwarded as sent).
pub fn legacy_plugins(api: &Api) -> Vec<Value> {
    let policy = api.legacy();
    match policy.action {
        LegacyAction::Observe => Vec::new(),
        LegacyAction::Proxy => vec![set_host(api.long_host())],
        LegacyAction::Redirect if policy.redirect_percent >= 100 => vec![redirect(api)],
        LegacyAction::Redirect => vec![set_host(api.long_host())],
    }
}

/// The header that forces a redirect during a canary, which gets a route of its own.
pub fn forced_redirect_header(api: &Api) -> Option<&str> {
    let policy = api.legacy();
    (policy.action == LegacyAction::Redirect && policy.redirect_percent < 100)
        .then_some(policy.redirect_header.as_deref())
        .flatten()
}

/// The catch-all short-domain route of `unmatched: pass`: forwarded as sent, to the fail-closed
/// service.
pub fn unmatched_route(map: &MigrationMap) -> Value {
    json!({
        "name": UNMATCHED_ROUTE,
        "hosts": [map.short_host()],
        "strip_path": false,
        "preserve_host": true,
        "tags": tags(Some(Entry::Short), None),
    })
}

/// `request-transformer` replacing the upstream Host (`replace.headers` `host` is always set,
/// `kong/plugins/request-transformer/access.lua:196-201`, notes §5.2).
pub fn set_host(host: &str) -> Value {
    json!({
        "name": "request-transformer",
        "config": { "replace": { "headers": [format!("host:{host}")] } },
        "tags": tags(None, None),
    })
}

/// The `redirect` plugin for `api`'s legacy hosts. With `keep_incoming_path` it replaces the
/// location's path *and query* with the request's (`kong/plugins/redirect/handler.lua:17-23`),
/// so it cannot put a prefix in front: `target: short` is sent to the long host instead, with
/// the path, which serves the same API.
fn redirect(api: &Api) -> Value {
    let policy = api.legacy();
    let location = format!("{}://{}/", policy.scheme.as_str(), api.long_host());
    json!({
        "name": "redirect",
        "config": {
            "status_code": policy.status,
            "location": location,
            "keep_incoming_path": true,
        },
        "tags": tags(None, None),
    })
}

/// What the native layout does differently from the filters, for this map: the general limits
/// first, then what this map's settings lose. One line each, for the file's header.
pub fn limits(map: &MigrationMap) -> Vec<String> {
    let mut limits = vec![
        "no 400 for unsafe paths (dot segments, encoded slashes...): Kong normalises the path and routes it".to_owned(),
        "no response rewriting (Location, Content-Location, Refresh, Set-Cookie stay as the upstream wrote them)".to_owned(),
        "no canary: a legacy.redirect_percent below 100 proxies every client (testers with legacy.redirect_header are redirected)".to_owned(),
        "no Deprecation/Sunset/Link headers and no 410 after the sunset".to_owned(),
        "no Cache-Control on redirects (the redirect plugin sets none)".to_owned(),
        "no telemetry record or pw_* counters: use kong_http_requests_total{service,route} (route names say api and entry)".to_owned(),
        "X-Forwarded-Prefix is the matched path (/api01/ below the prefix), not the prefix; X-Forwarded-Host is not the short host".to_owned(),
        "the upstream path is Kong's (normalised, re-encoded), not the raw path; a redirect's Location too".to_owned(),
        "short-domain paths no API owns get Kong's 404 (\"no Route matched\"), not the filter's JSON".to_owned(),
    ];
    if map.trailing_slash() == TrailingSlash::Redirect {
        limits.push("trailing_slash: redirect is not done: /<prefix> is forwarded as /".to_owned());
    }
    for api in map.apis() {
        if api.legacy_hosts().is_empty() {
            continue;
        }
        let policy = api.legacy();
        if policy.action == LegacyAction::Redirect && policy.target == RedirectTarget::Short {
            limits.push(format!(
                "{}: legacy.target short cannot be expressed (the redirect plugin cannot add the prefix {}): redirects go to the long host {} with the path",
                api.name(),
                api.prefix(),
                api.long_host()
            ));
        }
        if policy.action == LegacyAction::Redirect && policy.redirect_percent < 100 {
            limits.push(format!(
                "{}: canary at {}% becomes proxy for everyone",
                api.name(),
                policy.redirect_percent
            ));
        }
        if policy.sunset.is_some() {
            limits.push(format!(
                "{}: the sunset is not enforced or announced",
                api.name()
            ));
        }
    }
    limits
}
