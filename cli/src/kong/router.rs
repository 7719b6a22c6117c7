//! Route matching as Kong's router does it, closely enough for a replay, and what Kong would
//! send upstream before any filter runs.
//!
//! Hosts: exact (case-insensitive, port ignored unless the route names one) or with a leading
//! (`*.example.com`) or trailing (`example.*`) wildcard. Paths: plain prefixes, or regexes
//! written `~…` anchored at the start, matched against the normalised path. Methods: exact.
//! Among matching routes the one with more kinds of conditions wins, then exact hosts over
//! wildcards, regex paths (by `regex_priority`) over prefixes, longer prefixes over shorter,
//! then the order of the file — an approximation of the `traditional_compatible` router.

use std::path::Path;

use regex::Regex;
use serde_json::Value;

use super::declarative::{Declarative, Filter, FilterChain, Route, Service};
use kdp_migrate_host_test::engine::uri::{self, host_without_port};
use kdp_migrate_host_test::{FilterSpec, Routing};

#[derive(Debug)]
enum HostPattern {
    Exact(String),
    /// `*.example.com`: the suffix `.example.com`.
    LeadingWildcard(String),
    /// `example.*`: the prefix `example.`.
    TrailingWildcard(String),
}

impl HostPattern {
    fn parse(host: &str) -> Self {
        let host = host.to_ascii_lowercase();
        if let Some(suffix) = host.strip_prefix('*') {
            HostPattern::LeadingWildcard(suffix.to_owned())
        } else if let Some(prefix) = host.strip_suffix('*') {
            HostPattern::TrailingWildcard(prefix.to_owned())
        } else {
            HostPattern::Exact(host)
        }
    }

    /// `host` is lowercased, with its port; a pattern without a port ignores it.
    fn matches(&self, host: &str) -> bool {
        match self {
            HostPattern::Exact(exact) if exact.contains(':') => host == exact,
            HostPattern::Exact(exact) => host_without_port(host) == exact,
            HostPattern::LeadingWildcard(suffix) => {
                let name = host_without_port(host);
                name.len() > suffix.len() && name.ends_with(suffix.as_str())
            }
            HostPattern::TrailingWildcard(prefix) => {
                host.len() > prefix.len() && host.starts_with(prefix.as_str())
            }
        }
    }
}

#[derive(Debug)]
enum PathPattern {
    Prefix(String),
    Regex(Regex),
}

/// Where a service sends requests.
#[derive(Debug, Default)]
struct Upstream {
    host: String,
    port: Option<u16>,
    protocol: String,
    path: String,
}

impl Upstream {
    fn from_service(service: &Service) -> Result<Self, String> {
        let mut upstream = Upstream {
            host: service.host.clone().unwrap_or_default(),
            port: service.port,
            protocol: service
                .protocol
                .clone()
                .unwrap_or_else(|| "http".to_owned()),
            path: service.path.clone().unwrap_or_default(),
        };
        if let Some(url) = &service.url {
            let (protocol, rest) = url
                .split_once("://")
                .ok_or_else(|| format!("service url {url:?} is not absolute"))?;
            let end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at(end);
            protocol.clone_into(&mut upstream.protocol);
            match authority.rsplit_once(':') {
                Some((host, port)) if !host.contains(']') || host.ends_with(']') => {
                    upstream.host = host.to_owned();
                    upstream.port = Some(
                        port.parse()
                            .map_err(|_| format!("service url {url:?} has a bad port"))?,
                    );
                }
                _ => authority.clone_into(&mut upstream.host),
            }
            path.clone_into(&mut upstream.path);
        }
        Ok(upstream)
    }

    /// The Host header Kong sends without `preserve_host`: the host, with the port when it is
    /// not the protocol's default.
    fn host_header(&self) -> String {
        let default = if self.protocol == "https" { 443 } else { 80 };
        match self.port {
            Some(port) if port != default => format!("{}:{port}", self.host),
            _ => self.host.clone(),
        }
    }
}

/// One route, compiled.
#[derive(Debug)]
struct CompiledRoute {
    route_name: Option<String>,
    route_id: Option<String>,
    service_name: Option<String>,
    service_id: Option<String>,
    hosts: Vec<HostPattern>,
    paths: Vec<PathPattern>,
    methods: Vec<String>,
    strip_path: bool,
    preserve_host: bool,
    regex_priority: i64,
    upstream: Upstream,
    filters: Vec<FilterSpec>,
}

/// The routes of a configuration.
#[derive(Debug)]
pub struct KongRoutes {
    routes: Vec<CompiledRoute>,
}

/// The route a request matched.
#[derive(Debug)]
pub struct RouteMatch<'r> {
    /// Index of the route, in file order (also the chain to run).
    pub index: usize,
    /// The route's filters: its service's chain, then its own.
    pub filters: &'r [FilterSpec],
    /// The facts the filters can read and the upstream Kong would use.
    pub routing: Routing,
}

impl KongRoutes {
    /// Reads a declarative configuration file (YAML or JSON).
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("{}: {error}", path.display()))?;
        Self::parse(&text).map_err(|error| format!("{}: {error}", path.display()))
    }

    /// Parses a configuration.
    pub fn parse(text: &str) -> Result<Self, String> {
        let value: Value = crate::yaml::parse_value(text).map_err(|error| error.to_string())?;
        let document: Declarative = serde_json::from_value(value)
            .map_err(|error| format!("not a Kong declarative configuration: {error}"))?;
        compile(document).map(|routes| Self { routes })
    }

    /// Every route's filters, in route order.
    pub fn chains(&self) -> impl Iterator<Item = &[FilterSpec]> {
        self.routes.iter().map(|route| route.filters.as_slice())
    }

    /// Every filter name used by a chain.
    pub fn filter_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .routes
            .iter()
            .flat_map(|route| route.filters.iter().map(|filter| filter.name.as_str()))
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// The route Kong would pick for a request, or `None` (Kong answers 404).
    pub fn route(&self, method: &str, host: &str, target: &str) -> Option<RouteMatch<'_>> {
        let host = host.to_ascii_lowercase();
        let host = host.strip_suffix('.').unwrap_or(&host);
        let (raw_path, query) = uri::split_target(target);
        let path = uri::normalize_path(raw_path).ok()?;
        let mut best: Option<(Priority, usize, Option<String>)> = None;
        for (index, route) in self.routes.iter().enumerate() {
            let Some((priority, matched)) = route.matches(method, host, &path) else {
                continue;
            };
            // Strictly greater: on a tie the earlier route in the file wins.
            if best
                .as_ref()
                .is_none_or(|(current, _, _)| priority > *current)
            {
                best = Some((priority, index, matched));
            }
        }
        let (_, index, matched) = best?;
        let route = self.routes.get(index)?;
        Some(RouteMatch {
            index,
            filters: &route.filters,
            routing: route.routing(target, raw_path, query, matched.as_deref()),
        })
    }
}

/// Ordering of matching routes (greater wins).
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Priority {
    categories: usize,
    /// Kong weighs a host condition above a path condition, and a path above a method.
    host: bool,
    path: bool,
    exact_host: bool,
    regex: bool,
    regex_priority: i64,
    prefix_len: usize,
}

impl CompiledRoute {
    /// Whether the route takes the request; with its priority and the path prefix it matched.
    fn matches(&self, method: &str, host: &str, path: &str) -> Option<(Priority, Option<String>)> {
        if !self.methods.is_empty()
            && !self
                .methods
                .iter()
                .any(|wanted| wanted.eq_ignore_ascii_case(method))
        {
            return None;
        }
        let mut exact_host = false;
        if !self.hosts.is_empty() {
            let hit = self.hosts.iter().find(|pattern| pattern.matches(host))?;
            exact_host = matches!(hit, HostPattern::Exact(_));
        }
        let mut regex = false;
        let mut matched = None;
        if !self.paths.is_empty() {
            let mut found = None;
            for pattern in &self.paths {
                let hit = match pattern {
                    PathPattern::Prefix(prefix) => path
                        .starts_with(prefix.as_str())
                        .then(|| (false, prefix.clone())),
                    PathPattern::Regex(regex) => {
                        regex.find(path).map(|hit| (true, hit.as_str().to_owned()))
                    }
                };
                // Regexes beat prefixes; among prefixes the longest wins.
                if let Some(hit) = hit
                    && found
                        .as_ref()
                        .is_none_or(|(is_regex, text): &(bool, String)| {
                            (hit.0, hit.1.len()) > (*is_regex, text.len())
                        })
                {
                    found = Some(hit);
                }
            }
            let (is_regex, text) = found?;
            regex = is_regex;
            matched = Some(text);
        }
        let categories = usize::from(!self.methods.is_empty())
            + usize::from(!self.hosts.is_empty())
            + usize::from(!self.paths.is_empty());
        let priority = Priority {
            categories,
            host: !self.hosts.is_empty(),
            path: !self.paths.is_empty(),
            exact_host,
            regex,
            regex_priority: if regex { self.regex_priority } else { 0 },
            prefix_len: if regex {
                0
            } else {
                matched.as_ref().map_or(0, String::len)
            },
        };
        Some((priority, matched))
    }

    /// The names the filters can read, and Kong's upstream Host and URI for this request.
    fn routing(
        &self,
        target: &str,
        raw_path: &str,
        query: Option<&str>,
        matched: Option<&str>,
    ) -> Routing {
        let host_header = self.upstream.host_header();
        let stripped = match matched.filter(|_| self.strip_path) {
            // Strip from the raw path when it starts with the same bytes; Kong strips what the
            // router matched on its normalised path, which is the same for sane paths.
            Some(prefix) => raw_path.strip_prefix(prefix).map(|rest| (prefix, rest)),
            None => None,
        };
        let rest = stripped.map_or(raw_path, |(_, rest)| rest);
        let mut upstream_uri = join_paths(&self.upstream.path, rest);
        if let Some(query) = query.filter(|query| !query.is_empty()) {
            upstream_uri.push('?');
            upstream_uri.push_str(query);
        }
        Routing {
            route_id: self.route_id.clone(),
            route_name: self.route_name.clone(),
            service_id: self.service_id.clone(),
            service_name: self.service_name.clone(),
            upstream_host: (!self.preserve_host).then_some(host_header),
            upstream_uri: if self.strip_path || !self.upstream.path.is_empty() {
                Some(upstream_uri)
            } else {
                Some(target.to_owned())
            },
            forwarded_prefix: stripped
                .map(|(prefix, _)| prefix.trim_end_matches('/').to_owned())
                .filter(|prefix| !prefix.is_empty()),
        }
    }
}

/// Kong's `path_handling: v0` join of the service path and what is left of the request path.
fn join_paths(base: &str, rest: &str) -> String {
    let base = if base.is_empty() { "/" } else { base };
    if rest.is_empty() {
        return base.to_owned();
    }
    match (base.ends_with('/'), rest.starts_with('/')) {
        (true, true) => format!("{}{rest}", base.trim_end_matches('/')),
        _ if base == "/" => format!("/{}", rest.trim_start_matches('/')),
        _ => format!("{base}{rest}"),
    }
}

fn enabled(flag: Option<bool>) -> bool {
    flag.unwrap_or(true)
}

fn specs(chain: Option<&FilterChain>) -> Result<Vec<FilterSpec>, String> {
    let Some(chain) = chain.filter(|chain| enabled(chain.enabled)) else {
        return Ok(Vec::new());
    };
    chain
        .filters
        .iter()
        .filter(|filter| enabled(filter.enabled))
        .map(spec)
        .collect()
}

/// Kong hands a filter its config as-is when it is a string, else JSON-encoded.
fn spec(filter: &Filter) -> Result<FilterSpec, String> {
    let config = match &filter.config {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(text)) => text.clone().into_bytes(),
        Some(value) => serde_json::to_vec(value).map_err(|error| error.to_string())?,
    };
    Ok(FilterSpec {
        name: filter.name.clone(),
        config,
    })
}

fn compile(document: Declarative) -> Result<Vec<CompiledRoute>, String> {
    let Declarative {
        services,
        routes: top_routes,
        filter_chains: top_chains,
    } = document;
    let mut compiled = Vec::new();
    // Routes nested under their service, then top-level routes pointing at one.
    let mut pairs: Vec<(&Route, Option<&Service>)> = Vec::new();
    for service in &services {
        for route in &service.routes {
            pairs.push((route, Some(service)));
        }
    }
    for route in &top_routes {
        let service = route.service.as_ref().and_then(|reference| {
            services
                .iter()
                .find(|service| reference.matches(service.name.as_deref(), service.id.as_deref()))
        });
        pairs.push((route, service));
    }
    for (route, service) in pairs {
        if service.is_some_and(|service| !enabled(service.enabled)) {
            continue;
        }
        let label = route
            .name
            .clone()
            .or_else(|| route.id.clone())
            .unwrap_or_else(|| "(unnamed)".to_owned());
        let service_chain = service.and_then(|service| {
            service.filter_chains.first().or_else(|| {
                top_chains.iter().find(|chain| {
                    chain.service.as_ref().is_some_and(|reference| {
                        reference.matches(service.name.as_deref(), service.id.as_deref())
                    })
                })
            })
        });
        let route_chain = route.filter_chains.first().or_else(|| {
            top_chains.iter().find(|chain| {
                chain.route.as_ref().is_some_and(|reference| {
                    reference.matches(route.name.as_deref(), route.id.as_deref())
                })
            })
        });
        // Kong runs the service's chain first, then the route's.
        let mut filters =
            specs(service_chain).map_err(|error| format!("route {label}: {error}"))?;
        filters.extend(specs(route_chain).map_err(|error| format!("route {label}: {error}"))?);
        let paths = route
            .paths
            .iter()
            .map(|path| match path.strip_prefix('~') {
                Some(pattern) => Regex::new(&format!("^(?:{pattern})"))
                    .map(PathPattern::Regex)
                    .map_err(|error| format!("route {label}: path {path:?}: {error}")),
                None => Ok(PathPattern::Prefix(path.clone())),
            })
            .collect::<Result<Vec<_>, String>>()?;
        let upstream = match service {
            Some(service) => Upstream::from_service(service)
                .map_err(|error| format!("route {label}: {error}"))?,
            None => Upstream::default(),
        };
        compiled.push(CompiledRoute {
            route_name: route.name.clone(),
            route_id: route.id.clone(),
            service_name: service.and_then(|service| service.name.clone()),
            service_id: service.and_then(|service| service.id.clone()),
            hosts: route
                .hosts
                .iter()
                .map(|host| HostPattern::parse(host))
                .collect(),
            paths,
            methods: route.methods.clone(),
            strip_path: route.strip_path.unwrap_or(true),
            preserve_host: route.preserve_host.unwrap_or(false),
            regex_priority: route.regex_priority.unwrap_or(0),
            upstream,
            filters,
        });
    }
    Ok(compiled)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"
_format_version: "3.0"
services:
- name: api01
  url: http://api01.internal:8080/base
  filter_chains:
  - filters:
    - name: migration_telemetry
      config: { short_host: s }
  routes:
  - name: api01-short
    hosts: ["dev-01.example"]
    paths: ["/api01"]
    strip_path: false
    preserve_host: true
    filter_chains:
    - filters:
      - name: short_domain_router
        config: '{"raw": true}'
      - name: disabled_one
        enabled: false
  - name: api01-legacy
    hosts: ["*.source.example"]
  - name: api01-regex
    hosts: ["dev-01.example"]
    paths: ["~/api01/v[0-9]+"]
- name: other
  host: other.internal
routes:
- name: catch-all
  service: other
  paths: ["/"]
"#;

    #[test]
    fn picks_routes_as_kong_would() {
        let routes = KongRoutes::parse(CONFIG).unwrap();
        let hit = routes
            .route("GET", "DEV-01.example:8000", "/api01/x?q=1")
            .unwrap();
        assert_eq!(hit.routing.route_name.as_deref(), Some("api01-short"));
        assert_eq!(hit.routing.service_name.as_deref(), Some("api01"));
        assert_eq!(hit.routing.upstream_host, None);
        assert_eq!(
            hit.routing.upstream_uri.as_deref(),
            Some("/base/api01/x?q=1")
        );
        let names: Vec<_> = hit
            .filters
            .iter()
            .map(|filter| filter.name.as_str())
            .collect();
        assert_eq!(names, ["migration_telemetry", "short_domain_router"]);
        assert_eq!(hit.filters[0].config, br#"{"short_host":"s"}"#);
        assert_eq!(hit.filters[1].config, br#"{"raw": true}"#);

        let regex = routes
            .route("GET", "dev-01.example", "/api01/v2/x")
            .unwrap();
        assert_eq!(regex.routing.route_name.as_deref(), Some("api01-regex"));
        assert_eq!(regex.routing.upstream_uri.as_deref(), Some("/base/x"));
        assert_eq!(
            regex.routing.upstream_host.as_deref(),
            Some("api01.internal:8080")
        );
        assert_eq!(regex.routing.forwarded_prefix.as_deref(), Some("/api01/v2"));

        let wildcard = routes.route("GET", "api01.source.example", "/x").unwrap();
        assert_eq!(wildcard.routing.route_name.as_deref(), Some("api01-legacy"));

        let fallback = routes.route("POST", "elsewhere.example", "/z").unwrap();
        assert_eq!(fallback.routing.route_name.as_deref(), Some("catch-all"));
        assert_eq!(
            fallback.routing.upstream_host.as_deref(),
            Some("other.internal")
        );
        assert_eq!(fallback.routing.upstream_uri.as_deref(), Some("/z"));
        assert_eq!(
            routes.filter_names(),
            ["migration_telemetry", "short_domain_router"]
        );
    }

    #[test]
    fn no_route_is_none() {
        let routes = KongRoutes::parse("_format_version: \"3.0\"\nservices: []\n").unwrap();
        assert!(routes.route("GET", "a", "/").is_none());
    }

    #[test]
    fn a_bad_regex_names_the_route() {
        let error = KongRoutes::parse("routes:\n- name: r\n  paths: [\"~/(\"]\n").unwrap_err();
        assert!(error.starts_with("route r: path \"~/(\": "), "{error}");
    }
}
