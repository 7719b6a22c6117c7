//! The bundled plugins `replay --kong` models, in Kong's access phase before any filter runs
//! (plugins' `access` precedes `access.after`, which precedes the filters' request step in
//! 3.8+): exactly those the native layout writes.
//!
//! - `request-transformer` (priority 801): `replace.headers` `host:<h>` sets the upstream Host
//!   (always set, `kong/plugins/request-transformer/access.lua:196-201`; `set_headers` writes
//!   `ngx.var.upstream_host`, `kong/pdk/service/request.lua`), and `replace.uri` replaces the
//!   upstream path, query kept (`access.lua:488-504`; notes §5.2).
//! - `redirect` (priority 779): answers `status_code` with `Location`; `keep_incoming_path`
//!   replaces the location's path with the normalised request path and its query with the raw
//!   query (`kong/plugins/redirect/handler.lua:17-23`; notes §5.1). No filter runs after it.
//!
//! A plugin on the route wins over one of the same name on the service, which wins over a
//! global one; consumer-scoped plugins never apply (the replay authenticates nobody). Every other
//! plugin is listed by [`KongPlugins::unmodelled`] and does not change the replay.

use std::collections::BTreeSet;

use kdp_migrate_host_test::{HeaderMap, Observation, Request, Routing};
use serde_json::Value;

use super::deck::{label, list, refers_to, text};
use super::normalize::normalize;
use super::upstream_uri::upstream_uri;

/// Plugins that only observe a request (logging, metrics, tracing): not modelled, and nothing to
/// warn about.
const OBSERVERS: [&str; 12] = [
    "prometheus",
    "file-log",
    "http-log",
    "tcp-log",
    "udp-log",
    "syslog",
    "loggly",
    "statsd",
    "datadog",
    "zipkin",
    "opentelemetry",
    "correlation-id",
];

/// What a plugin does, as far as the replay models it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Effect {
    Redirect {
        status: u16,
        location: String,
        keep_incoming_path: bool,
    },
    RequestTransformer {
        host: Option<String>,
        uri: Option<String>,
    },
    Unmodelled,
}

/// One enabled plugin and what it is attached to.
#[derive(Clone, Debug)]
struct Plugin {
    name: String,
    effect: Effect,
    /// The route or service it is nested under or names (`None`: global).
    scope: Scope,
}

#[derive(Clone, Debug)]
enum Scope {
    Global,
    Route(Value),
    Service(Value),
    Consumer,
}

/// The plugins of a declarative configuration.
#[derive(Debug, Default)]
pub struct KongPlugins {
    plugins: Vec<Plugin>,
}

/// What the access phase did to a request.
#[derive(Debug)]
pub enum Access {
    /// A plugin answered (`redirect`); no filter runs.
    Exit(Box<Observation>),
    /// On to the filters, with what the plugins changed upstream.
    Continue(Routing),
}

impl KongPlugins {
    /// Reads the plugins of a declarative configuration file.
    pub fn load(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("{}: {error}", path.display()))?;
        let document = crate::yaml::parse_value(&text)
            .map_err(|error| format!("{}:{error}", path.display()))?;
        Ok(Self::from_document(&document))
    }

    /// The plugins of a parsed configuration (services, routes, consumers, top level).
    pub fn from_document(document: &Value) -> Self {
        let mut plugins = Vec::new();
        let mut add = |plugin: &Value, scope: Scope| {
            if plugin.get("enabled") == Some(&Value::Bool(false)) {
                return;
            }
            let Some(name) = text(plugin, "name") else {
                return;
            };
            let scope =
                if plugin.get("consumer").is_some() || plugin.get("consumer_group").is_some() {
                    Scope::Consumer
                } else {
                    scope
                };
            plugins.push(Plugin {
                name: name.to_owned(),
                effect: effect(name, plugin.get("config").unwrap_or(&Value::Null)),
                scope,
            });
        };
        for plugin in list(document, "plugins") {
            let scope = if let Some(route) = plugin.get("route") {
                Scope::Route(route.clone())
            } else if let Some(service) = plugin.get("service") {
                Scope::Service(service.clone())
            } else {
                Scope::Global
            };
            add(plugin, scope);
        }
        let mut routes: Vec<&Value> = list(document, "routes").iter().collect();
        for service in list(document, "services") {
            for plugin in list(service, "plugins") {
                add(plugin, Scope::Service(reference(service)));
            }
            routes.extend(list(service, "routes"));
        }
        for route in routes {
            for plugin in list(route, "plugins") {
                add(plugin, Scope::Route(reference(route)));
            }
        }
        for consumer in list(document, "consumers") {
            for plugin in list(consumer, "plugins") {
                add(plugin, Scope::Consumer);
            }
        }
        Self { plugins }
    }

    /// Names of the plugins present that the replay does not model (observers aside).
    pub fn unmodelled(&self) -> Vec<&str> {
        let names: BTreeSet<&str> = self
            .plugins
            .iter()
            .filter(|plugin| plugin.effect == Effect::Unmodelled)
            .map(|plugin| plugin.name.as_str())
            .filter(|name| !OBSERVERS.contains(name))
            .collect();
        names.into_iter().collect()
    }

    /// The access phase for a request Kong routed as `routing` says.
    pub fn access(&self, routing: &Routing, request: &Request) -> Access {
        let mut routing = routing.clone();
        // request-transformer runs before redirect (priority 801 > 779).
        if let Some(Effect::RequestTransformer { host, uri }) =
            self.applicable("request-transformer", &routing)
        {
            if let Some(host) = host {
                routing.upstream_host = Some(host.clone());
            }
            if let Some(uri) = uri {
                routing.upstream_uri = Some(upstream_uri(uri.as_bytes(), &request.path));
            }
        }
        if let Some(Effect::Redirect {
            status,
            location,
            keep_incoming_path,
        }) = self.applicable("redirect", &routing)
        {
            let location = if *keep_incoming_path {
                with_request_path(location, &request.path)
            } else {
                location.clone()
            };
            let mut observation =
                Observation::engine_response("redirect", *status, "redirecting".to_owned());
            if let Some(local) = observation.local_response.as_mut() {
                local.headers.add("location", location.clone());
            }
            let headers: &mut HeaderMap = &mut observation.response.headers;
            headers.add("location", location);
            return Access::Exit(Box::new(observation));
        }
        Access::Continue(routing)
    }

    /// The effect of the plugin `name` that applies to a request on `routing`'s route: the
    /// route's, else the service's, else the global one.
    fn applicable(&self, name: &str, routing: &Routing) -> Option<&Effect> {
        let route = keys(routing.route_name.as_deref(), routing.route_id.as_deref());
        let service = keys(
            routing.service_name.as_deref(),
            routing.service_id.as_deref(),
        );
        let of = |wanted: fn(&Scope, &Value) -> bool, entity: &Value| {
            self.plugins
                .iter()
                .find(|plugin| plugin.name == name && wanted(&plugin.scope, entity))
                .map(|plugin| &plugin.effect)
        };
        of(
            |scope, route| matches!(scope, Scope::Route(reference) if refers_to(reference, route)),
            &route,
        )
        .or_else(|| {
            of(
                |scope, service| {
                    matches!(scope, Scope::Service(reference) if refers_to(reference, service))
                },
                &service,
            )
        })
        .or_else(|| of(|scope, _| matches!(scope, Scope::Global), &Value::Null))
    }
}

/// A reference to an entity, by name and id.
fn reference(entity: &Value) -> Value {
    let mut reference = serde_json::Map::new();
    for key in ["name", "id"] {
        if let Some(value) = text(entity, key) {
            reference.insert(key.to_owned(), Value::from(value));
        }
    }
    if reference.is_empty()
        && let Some(label) = label(entity)
    {
        reference.insert("name".to_owned(), Value::from(label));
    }
    Value::Object(reference)
}

/// An entity standing for a matched route or service, to test references against.
fn keys(name: Option<&str>, id: Option<&str>) -> Value {
    let mut entity = serde_json::Map::new();
    if let Some(name) = name {
        entity.insert("name".to_owned(), Value::from(name));
    }
    if let Some(id) = id {
        entity.insert("id".to_owned(), Value::from(id));
    }
    Value::Object(entity)
}

fn effect(name: &str, config: &Value) -> Effect {
    match name {
        "redirect" => Effect::Redirect {
            status: config
                .get("status_code")
                .and_then(Value::as_u64)
                .and_then(|status| u16::try_from(status).ok())
                .unwrap_or(301),
            location: text(config, "location").unwrap_or_default().to_owned(),
            keep_incoming_path: config.get("keep_incoming_path") == Some(&Value::Bool(true)),
        },
        "request-transformer" => {
            let host = config
                .pointer("/replace/headers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .find_map(|entry| {
                    let (name, value) = entry.split_once(':')?;
                    name.eq_ignore_ascii_case("host").then(|| value.to_owned())
                });
            let uri = config
                .pointer("/replace/uri")
                .and_then(Value::as_str)
                .map(str::to_owned);
            Effect::RequestTransformer { host, uri }
        }
        _ => Effect::Unmodelled,
    }
}

fn split_query(target: &str) -> (&str, Option<&str>) {
    match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    }
}

/// `location` with its path replaced by the request's normalised path and its query by the
/// request's raw query (none when empty), fragment kept: `ada`'s `set_pathname` and
/// `set_search` percent-encode what the WHATWG URL standard says (path: C0, space `"` `#` `<`
/// `>` `?` `` ` `` `{` `}` and non-ASCII; special query: C0, space `"` `#` `<` `>` `'` and
/// non-ASCII).
fn with_request_path(location: &str, target: &str) -> String {
    let (base, fragment) = match location.split_once('#') {
        Some((base, fragment)) => (base, Some(fragment)),
        None => (location, None),
    };
    let base = base.split_once('?').map_or(base, |(base, _)| base);
    let origin = match base.find("://") {
        Some(scheme_end) => {
            let after = scheme_end + 3;
            let path_start = base
                .get(after..)
                .and_then(|rest| rest.find('/'))
                .map_or(base.len(), |at| after + at);
            base.get(..path_start).unwrap_or(base)
        }
        None => base,
    };
    let (path, query) = split_query(target);
    let normalised = normalize(path.as_bytes());
    let mut out = String::from(origin);
    out.push_str(&percent_encode(&normalised, b" \"#<>?`{}"));
    if let Some(query) = query.filter(|query| !query.is_empty()) {
        out.push('?');
        out.push_str(&percent_encode(query.as_bytes(), b" \"#<>'"));
    }
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

fn percent_encode(bytes: &[u8], set: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &byte in bytes {
        if !(0x21..0x7f).contains(&byte) || set.contains(&byte) {
            out.push_str(&format!("%{byte:02X}"));
        } else {
            out.push(char::from(byte));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn routing(route: &str, service: &str) -> Routing {
        Routing {
            route_name: Some(route.to_owned()),
            service_name: Some(service.to_owned()),
            upstream_host: Some("api01.internal:8080".to_owned()),
            upstream_uri: Some("/x".to_owned()),
            ..Routing::default()
        }
    }

    #[test]
    fn redirect_keeps_the_normalised_path_and_raw_query_and_exits() {
        let plugins = KongPlugins::from_document(&json!({
            "services": [{"name": "s", "routes": [{"name": "r", "plugins": [
                {"name": "redirect", "config": {"status_code": 308, "location": "https://long.example/ignored?x=1#top", "keep_incoming_path": true}}
            ]}]}]
        }));
        let request = Request::new("GET", "legacy.example", "/a/./b//c%7e d?q=1 2");
        let Access::Exit(observation) = plugins.access(&routing("r", "s"), &request) else {
            panic!("no exit")
        };
        let local = observation.local_response.unwrap();
        assert_eq!(local.status, 308);
        assert_eq!(
            local.location(),
            Some("https://long.example/a/b/c~%20d?q=1%202#top")
        );
        // Without keep_incoming_path the location is sent as configured.
        assert_eq!(
            with_request_path("https://l.example", "/?"),
            "https://l.example/"
        );
    }

    #[test]
    fn the_most_specific_request_transformer_sets_the_host() {
        let plugins = KongPlugins::from_document(&json!({
            "plugins": [
                {"name": "request-transformer", "config": {"replace": {"headers": ["host:global.example"]}}},
                {"name": "request-transformer", "service": "s", "config": {"replace": {"headers": ["x-a:1", "Host:service.example"], "uri": "/new path"}}},
                {"name": "request-transformer", "consumer": "c", "route": "r", "config": {"replace": {"headers": ["host:consumer.example"]}}},
                {"name": "key-auth"}, {"name": "prometheus"}
            ]
        }));
        let request = Request::new("GET", "short.example", "/api01/x?a=1");
        let Access::Continue(on_service) = plugins.access(&routing("r", "s"), &request) else {
            panic!("exit")
        };
        assert_eq!(on_service.upstream_host.as_deref(), Some("service.example"));
        assert_eq!(on_service.upstream_uri.as_deref(), Some("/new%20path?a=1"));
        let Access::Continue(global) = plugins.access(&routing("r", "other"), &request) else {
            panic!("exit")
        };
        assert_eq!(global.upstream_host.as_deref(), Some("global.example"));
        assert_eq!(global.upstream_uri.as_deref(), Some("/x"));
        assert_eq!(plugins.unmodelled(), ["key-auth"]);
    }
}
