//! The Kong entities of the kdp-migrate kit, built from the migration map: one service per API,
//! a route per entry (short domain, long host, legacy hosts), the catch-all for short-domain
//! paths no API owns, the filter chains, and the Prometheus plugin. `generate` writes them all;
//! `convert` uses the same pieces around what it carries from the source gateway.
//!
//! Every name and tag is derived from the map, so the same map always gives the same file.

use kdp_migrate_core::{Api, Entry, MigrationMap, Unmatched, filters};
use serde_json::{Map, Value, json};

use super::native;

/// The tag on every entity the kit owns (and `convert` regenerates).
pub const TAG: &str = "kdp-migrate";

/// The service of short-domain paths no API owns.
pub const UNMATCHED_SERVICE: &str = "kdp-short-unmatched";
/// Its route.
pub const UNMATCHED_ROUTE: &str = "short-unmatched";
/// A literal address Kong never has to resolve, refusing connections: with `unmatched: pass` a
/// request there fails closed (502) instead of reaching an API.
pub const UNMATCHED_URL: &str = "http://127.0.0.1:9";

/// How the routes do the migration's work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Separate filters per entry (`kdp_migrate_core::filters::chain`).
    Chains,
    /// `kdp_migrate` alone on every route.
    Combined,
    /// No Wasm: Kong's own routes and bundled plugins (`native.rs`).
    Native,
}

impl Layout {
    /// `chains`, `combined` or `native`.
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Chains => "chains",
            Layout::Combined => "combined",
            Layout::Native => "native",
        }
    }
}

/// `entry-short`, `entry-long`, `entry-legacy`.
pub fn entry_tag(entry: Entry) -> String {
    format!("entry-{}", entry.as_str())
}

/// `api-<name>`.
pub fn api_tag(api: &str) -> String {
    format!("api-{api}")
}

/// The kit's tags for an entity of `entry` (if any) of `api` (if any).
pub fn tags(entry: Option<Entry>, api: Option<&str>) -> Value {
    let mut tags = vec![Value::from(TAG)];
    tags.extend(entry.map(|entry| Value::from(entry_tag(entry))));
    tags.extend(api.map(|api| Value::from(api_tag(api))));
    Value::Array(tags)
}

/// The short-domain path of an API prefix on segment boundaries, as a Kong 3 regex path:
/// `~/api01(?:/|$)` matches `/api01`, `/api01/`, `/api01/x`, `/api01?q`, never `/api010`.
/// Kong anchors it at the start (`^` prepended, kong/router/transform.lua:322-331; notes §1.3).
pub fn boundary_regex(prefix: &str) -> String {
    format!("~{}(?:/|$)", regex::escape(prefix))
}

/// Room under each prefix depth for the order of converted routes within one API.
pub const PRIORITY_STEP: i64 = 64;

/// `regex_priority` of a short-domain route on `prefix`: 64 per segment, so that a longer
/// prefix wins as in the filter, with room below for `convert`'s order within an API. Kong
/// compares it in bits 19-31 of the route priority; values under 1024 keep their order there
/// (notes §2.5: 1024 collides with 0), and 8 segments give at most 575.
pub fn short_regex_priority(prefix: &str) -> i64 {
    i64::try_from(prefix.matches('/').count()).unwrap_or(8) * PRIORITY_STEP
}

/// Builds the kit's entities for one map and layout.
#[derive(Debug)]
pub struct Kit<'m> {
    /// The validated map.
    pub map: &'m MigrationMap,
    /// The map as the filters receive it (written once per file).
    pub map_value: &'m Value,
    /// The layout.
    pub layout: Layout,
}

impl Kit<'_> {
    /// The service of `api`, sending to `url`, without routes.
    pub fn service(&self, api: &Api, url: &str) -> Map<String, Value> {
        object(json!({
            "name": api.name(),
            "url": url,
            "tags": tags(None, Some(api.name())),
        }))
    }

    /// Every route of `api`: short domain, long host, legacy hosts.
    pub fn routes(&self, api: &Api) -> Vec<Value> {
        if self.layout == Layout::Native {
            return native::routes(self.map, api);
        }
        let mut routes = vec![
            self.route(
                format!("{}-short", api.name()),
                Entry::Short,
                Some(api.name()),
                json!({
                    "hosts": [self.map.short_host()],
                    "paths": [boundary_regex(api.prefix())],
                    "regex_priority": short_regex_priority(api.prefix()),
                }),
            ),
            self.route(
                format!("{}-long", api.name()),
                Entry::Long,
                Some(api.name()),
                json!({ "hosts": [api.long_host()] }),
            ),
        ];
        if !api.legacy_hosts().is_empty() {
            routes.push(self.route(
                format!("{}-legacy", api.name()),
                Entry::Legacy,
                Some(api.name()),
                json!({ "hosts": api.legacy_hosts() }),
            ));
        }
        routes
    }

    /// The service and route that take short-domain paths no API owns, if this layout needs one.
    /// With the filters, `short_domain_router` answers them (404 JSON, or forwards them with
    /// `unmatched: pass`); natively Kong's own 404 does, unless the map says `pass`.
    pub fn unmatched_service(&self) -> Option<Value> {
        let route = match self.layout {
            Layout::Native if self.map.unmatched() == Unmatched::Reject => return None,
            Layout::Native => native::unmatched_route(self.map),
            Layout::Chains | Layout::Combined => self.route(
                UNMATCHED_ROUTE.to_owned(),
                Entry::Short,
                None,
                json!({ "hosts": [self.map.short_host()] }),
            ),
        };
        Some(json!({
            "name": UNMATCHED_SERVICE,
            "url": UNMATCHED_URL,
            "tags": [TAG],
            "routes": [route],
        }))
    }

    /// A route of the filter layouts: `fields` plus the kit's flags, tags and chain.
    /// `strip_path: false`: `short_domain_router` strips the prefix itself, from the raw path.
    /// `preserve_host: true`: the filters set the upstream Host, and only then does Kong keep it
    /// on a balancer retry (notes §1.5, `kong/runloop/handler.lua:1406-1408`).
    fn route(&self, name: String, entry: Entry, api: Option<&str>, fields: Value) -> Value {
        let mut route = object(fields);
        route.insert("strip_path".to_owned(), Value::Bool(false));
        route.insert("preserve_host".to_owned(), Value::Bool(true));
        route.insert("tags".to_owned(), tags(Some(entry), api));
        route.insert(
            "filter_chains".to_owned(),
            Value::Array(vec![self.filter_chain(&name, entry)]),
        );
        route.insert("name".to_owned(), Value::String(name));
        Value::Object(route)
    }

    /// The one filter chain of a route of `entry`, named after the route, every filter
    /// configured with the map.
    pub fn filter_chain(&self, name: &str, entry: Entry) -> Value {
        let names: &[&str] = match self.layout {
            Layout::Combined => &[filters::KDP_MIGRATE],
            Layout::Chains | Layout::Native => filters::chain(entry),
        };
        let filters: Vec<Value> = names
            .iter()
            .map(|filter| json!({ "name": filter, "config": self.map_value }))
            .collect();
        json!({ "name": name, "filters": filters })
    }
}

/// The Prometheus plugin, global: Kong's own `kong_*` series, and with Wasm the filters'
/// counters as `pw_migration_telemetry_requests_total{api,entry,action}` (notes §8.1).
pub fn prometheus_plugin() -> Value {
    json!({ "name": "prometheus", "tags": [TAG] })
}

/// Where the file-log plugin writes the telemetry records of the `log_plugins` sink: Kong's
/// prefix's logs folder (`reopen` lets logrotate move the file).
pub const RECORD_LOG_PATH: &str = "/usr/local/kong/logs/kdp-migrate.jsonl";

/// The file-log plugin, global, for a map whose `telemetry` is `log_plugins`: each entry gets the
/// filters' record as the field `kdp_migrate`, copied by `custom_fields_by_lua` from
/// `kong.ctx.shared.kdp_migrate` (kong/README.md, "The record in Kong's log plugins"), which
/// `kdp-migrate report` reads.
pub fn record_log_plugin() -> Value {
    json!({
        "name": "file-log",
        "tags": [TAG],
        "config": {
            "path": RECORD_LOG_PATH,
            "reopen": true,
            "custom_fields_by_lua": { "kdp_migrate": "return kong.ctx.shared.kdp_migrate" }
        }
    })
}

/// A JSON object built with `json!` as a map (anything else is an empty map; not reached).
pub fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundary_regexes_escape_the_prefix_and_depth_counts_segments() {
        assert_eq!(boundary_regex("/api01"), "~/api01(?:/|$)");
        assert_eq!(boundary_regex("/v2.1/a~b"), "~/v2\\.1/a\\~b(?:/|$)");
        assert_eq!(short_regex_priority("/v2/orders"), 128);
        assert_eq!(
            tags(Some(Entry::Short), Some("api01")),
            json!(["kdp-migrate", "entry-short", "api-api01"])
        );
    }
}
