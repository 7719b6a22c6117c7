//! Route matching as Kong 3.9's default router (`traditional_compatible`, the ATC router) does it,
//! and what Kong sends upstream before any filter runs (kong-3.9.3.md §1–§2).
//!
//! - A route becomes one matcher per path group: all its regex paths, and one group per prefix
//!   length (`split_routes_and_services_by_path`, `kong/router/transform.lua:677-757`).
//! - A matcher's conditions are AND-ed, each field's values OR-ed in the order written
//!   (`transform.lua:334-453`): `methods` exact; `hosts` byte for byte, case-sensitive, with a
//!   leading or trailing `*` and an optional port ([`super::host_condition`]); `paths` as a byte
//!   prefix or a regex with `^` put in front of it as written (`transform.lua:322-331`), both on
//!   Kong's normalised path ([`super::normalize`]); `headers` lower-cased, any value matching,
//!   `~*` values as unanchored regexes; `snis` only on https.
//! - Matchers are tried by priority ([`super::priority`]), then by the greater route id
//!   ([`super::route_id`]): the first that matches wins (`atc@src/router.rs:10-11,56-68`).
//!   File order plays no part, except between routes without id or name (Kong draws their ids at
//!   random on every start; see [`KongRoutes::warnings`]).

use std::path::Path;

use kdp_migrate_host_test::{FilterSpec, Request, Routing};
use regex::Regex;
use serde_json::Value;

use super::declarative::{Declarative, Filter, FilterChain, Route, Service};
use super::flavor::RouterFlavor;
use super::host_condition::{HostCondition, split_host_port};
use super::normalize::router_path;
use super::priority::{PriorityInputs, priority};
use super::route_id::RouteId;
use super::service::Upstream;
use super::upstream_uri::{PathHandling, UpstreamPath, upstream_uri};

/// Kong's proxy listener ports: `net.dst.port` when the `Host` header has no port
/// (`kong/router/fields.lua:129-140`).
const HTTP_PORT: u32 = 8000;
const HTTPS_PORT: u32 = 8443;

#[derive(Debug)]
enum PathCondition {
    Prefix(String),
    Regex(Regex),
}

impl PathCondition {
    /// What the condition matched in the normalised path: the prefix itself, or group 0.
    fn matched<'p>(&self, path: &'p [u8]) -> Option<&'p [u8]> {
        match self {
            PathCondition::Prefix(prefix) => path
                .starts_with(prefix.as_bytes())
                .then(|| path.get(..prefix.len()))
                .flatten(),
            // `http.path` is a string to the ATC router: a path that is not UTF-8 after
            // decoding matches no path condition (inference: atc-router's context refuses the
            // value).
            PathCondition::Regex(regex) => {
                let text = std::str::from_utf8(path).ok()?;
                regex.find(text).map(|hit| hit.as_str().as_bytes())
            }
        }
    }
}

#[derive(Clone, Debug)]
enum HeaderValue {
    /// Compared with the lower-cased request value.
    Exact(String),
    /// `~*re`: the lower-cased regex, unanchored, on the lower-cased value.
    Regex(Regex),
}

#[derive(Clone, Debug)]
struct HeaderCondition {
    /// Lower-case, `_` for `-` (`replace_dashes_lower`, `transform.lua:430`).
    name: String,
    values: Vec<HeaderValue>,
}

impl HeaderCondition {
    fn matches(&self, request: &Request) -> bool {
        request
            .headers
            .iter()
            .filter(|(name, _)| header_key(name) == self.name)
            .any(|(_, value)| {
                let value = value.to_lowercase();
                self.values.iter().any(|wanted| match wanted {
                    HeaderValue::Exact(exact) => value == *exact,
                    HeaderValue::Regex(regex) => regex.is_match(&value),
                })
            })
    }
}

fn header_key(name: &str) -> String {
    name.to_ascii_lowercase().replace('-', "_")
}

/// One route, compiled: what the request gets once a matcher of it wins.
#[derive(Debug)]
struct CompiledRoute {
    route_name: Option<String>,
    route_id: Option<String>,
    service_name: Option<String>,
    service_id: Option<String>,
    strip_path: bool,
    preserve_host: bool,
    path_handling: PathHandling,
    upstream: Upstream,
    filters: Vec<FilterSpec>,
}

/// One ATC matcher: a route, or one path group of a route with several.
#[derive(Debug)]
struct Matcher {
    route: usize,
    methods: Vec<String>,
    hosts: Vec<HostCondition>,
    headers: Vec<HeaderCondition>,
    snis: Vec<HostCondition>,
    paths: Vec<PathCondition>,
    priority: u64,
    id: RouteId,
}

impl Matcher {
    /// `None` when the matcher does not take the request; else what its path condition matched
    /// (`None` inside for a matcher without paths).
    fn matches<'p>(
        &self,
        request: &Request,
        host: Option<(&str, u32)>,
        path: &'p [u8],
    ) -> Option<Option<&'p [u8]>> {
        if !self.methods.is_empty() && !self.methods.contains(&request.method) {
            return None;
        }
        if !self.hosts.is_empty() {
            // Without a Host header every `http.host` predicate fails.
            let (name, port) = host?;
            if !self.hosts.iter().any(|host| host.matches(name, port)) {
                return None;
            }
        }
        // `(net.protocol != "https" || tls.sni == …)` (`transform.lua:344-355`); the SNI is
        // taken to be the Host without its port, as browsers send it.
        if !self.snis.is_empty() && request.scheme.eq_ignore_ascii_case("https") {
            let (name, port) = host?;
            if !self.snis.iter().any(|sni| sni.matches(name, port)) {
                return None;
            }
        }
        let matched = if self.paths.is_empty() {
            None
        } else {
            // `||` short-circuits: the first path in the route's order that matches.
            Some(
                self.paths
                    .iter()
                    .find_map(|condition| condition.matched(path))?,
            )
        };
        if !self.headers.iter().all(|header| header.matches(request)) {
            return None;
        }
        Some(matched)
    }
}

/// The routes of a configuration, in the order Kong's router tries them.
#[derive(Debug)]
pub struct KongRoutes {
    routes: Vec<CompiledRoute>,
    matchers: Vec<Matcher>,
    flavor: RouterFlavor,
    warnings: Vec<String>,
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
    /// Reads a declarative configuration file (YAML or JSON) for a router flavor.
    pub fn load(path: &Path, flavor: RouterFlavor) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("{}: {error}", path.display()))?;
        Self::parse(&text, flavor).map_err(|error| format!("{}: {error}", path.display()))
    }

    /// Parses a configuration. Refuses a route whose order against others Kong 3.9 leaves
    /// undefined (see [`super::priority`]), naming it.
    pub fn parse(text: &str, flavor: RouterFlavor) -> Result<Self, String> {
        let value: Value =
            serde_yaml::from_str(text).map_err(|error| format!("not YAML: {error}"))?;
        let document: Declarative = serde_json::from_value(value)
            .map_err(|error| format!("not a Kong declarative configuration: {error}"))?;
        compile(document, flavor)
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

    /// What the configuration does that Kong's behaviour leaves to chance or ignores: routes
    /// without id or name (random ids, so ties between them may go either way after a restart)
    /// and `path_handling: v1` under `traditional_compatible`.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The route Kong would pick for a request, or `None` (Kong answers 404).
    pub fn route(&self, request: &Request) -> Option<RouteMatch<'_>> {
        let path = router_path(&request.path);
        // `http.host` and `net.dst.port`: the Host header split at its port
        // (`kong/router/atc.lua:447`, `fields.lua:129-140`); a missing Host matches no host.
        let default_port = if request.scheme.eq_ignore_ascii_case("https") {
            HTTPS_PORT
        } else {
            HTTP_PORT
        };
        let host = (!request.host.is_empty()).then(|| {
            let (name, port) = split_host_port(&request.host);
            (name, port.unwrap_or(default_port))
        });
        let (matcher, matched) = self.matchers.iter().find_map(|matcher| {
            matcher
                .matches(request, host, &path)
                .map(|matched| (matcher, matched))
        })?;
        let route = self.routes.get(matcher.route)?;
        Some(RouteMatch {
            index: matcher.route,
            filters: &route.filters,
            routing: route.routing(request, &path, matched, self.flavor),
        })
    }
}

impl CompiledRoute {
    /// The names the filters can read, and Kong's upstream Host and URI for this request.
    fn routing(
        &self,
        request: &Request,
        normalized: &[u8],
        matched: Option<&[u8]>,
        flavor: RouterFlavor,
    ) -> Routing {
        let handling = match flavor {
            RouterFlavor::Traditional => self.path_handling,
            RouterFlavor::TraditionalCompatible => PathHandling::V0,
        };
        let upstream_path = UpstreamPath {
            service_path: self.upstream.path.as_deref(),
            strip_path: self.strip_path,
            matched,
            normalized,
            handling,
        };
        // `X-Forwarded-Prefix`: the stripped prefix unless it is `/`
        // (`kong/runloop/handler.lua:1256-1258`).
        let forwarded_prefix = upstream_path
            .prefix()
            .filter(|prefix| *prefix != b"/")
            .map(|prefix| String::from_utf8_lossy(prefix).into_owned());
        Routing {
            route_id: self.route_id.clone(),
            route_name: self.route_name.clone(),
            service_id: self.service_id.clone(),
            service_name: self.service_name.clone(),
            // preserve_host: the raw Host header, port and all (`atc.lua:413`).
            upstream_host: Some(if self.preserve_host {
                request.host.clone()
            } else {
                self.upstream.host_header()
            }),
            upstream_uri: Some(upstream_uri(&upstream_path.path(), &request.path)),
            forwarded_prefix,
        }
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

/// A string config is handed to the filter as it is; any other value is JSON that Kong
/// re-encodes on its way to the filter (`kong/runloop/wasm.lua:381-397`), which the Kong engine
/// of host-test models.
fn spec(filter: &Filter) -> Result<FilterSpec, String> {
    Ok(match &filter.config {
        None | Some(Value::Null) => FilterSpec::new(&filter.name, Vec::new()),
        Some(Value::String(text)) => FilterSpec::new(&filter.name, text.clone().into_bytes()),
        Some(value) => FilterSpec::json(
            &filter.name,
            serde_json::to_vec(value).map_err(|error| error.to_string())?,
        ),
    })
}

fn compile(document: Declarative, flavor: RouterFlavor) -> Result<KongRoutes, String> {
    let Declarative {
        services,
        routes: top_routes,
        filter_chains: top_chains,
    } = document;
    let mut routes = Vec::new();
    let mut matchers = Vec::new();
    let mut warnings = Vec::new();
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
    for (position, (route, service)) in pairs.into_iter().enumerate() {
        // Routes of a disabled service leave the router (`kong/runloop/handler.lua:402-411`).
        if service.is_some_and(|service| !enabled(service.enabled)) {
            continue;
        }
        let label = match (&route.name, &route.id) {
            (Some(name), _) => format!("route {name:?}"),
            (None, Some(id)) => format!("route {id}"),
            (None, None) => format!("route #{} (unnamed)", position + 1),
        };
        let index = routes.len();
        let compiled = compile_route(route, service, &top_chains, &label)?;
        let id = RouteId::of(route.id.as_deref(), route.name.as_deref())
            .map_err(|error| format!("{label}: {error}"))?;
        if id == RouteId::Random {
            warnings.push(format!(
                "{label} has neither id nor name: Kong gives it a random id at every start, so where it ties with another route the winner can change between restarts (the replay takes the earlier in the file); give it a name"
            ));
        }
        if route.path_handling.as_deref() == Some("v1")
            && flavor == RouterFlavor::TraditionalCompatible
        {
            warnings.push(format!(
                "{label} sets path_handling v1, which router_flavor traditional_compatible ignores (kong/router/atc.lua:343): its upstream path follows v0"
            ));
        }
        matchers
            .extend(route_matchers(route, index, id).map_err(|error| format!("{label}: {error}"))?);
        routes.push(compiled);
    }
    // Greater priority first, then the greater id; file order for ids Kong draws at random.
    matchers.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then_with(|| b.id.stable().cmp(&a.id.stable()))
            .then_with(|| a.route.cmp(&b.route))
    });
    Ok(KongRoutes {
        routes,
        matchers,
        flavor,
        warnings,
    })
}

fn compile_route(
    route: &Route,
    service: Option<&Service>,
    top_chains: &[FilterChain],
    label: &str,
) -> Result<CompiledRoute, String> {
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
    // Kong runs the service's chain first, then the route's (`kong/runloop/wasm.lua:350-376`).
    let mut filters = specs(service_chain).map_err(|error| format!("{label}: {error}"))?;
    filters.extend(specs(route_chain).map_err(|error| format!("{label}: {error}"))?);
    let upstream = match service {
        Some(service) => {
            Upstream::from_service(service).map_err(|error| format!("{label}: {error}"))?
        }
        None => Upstream::default(),
    };
    let path_handling = match route.path_handling.as_deref() {
        None | Some("v0") => PathHandling::V0,
        Some("v1") => PathHandling::V1,
        Some(other) => {
            return Err(format!("{label}: path_handling {other:?} is not v0 or v1"));
        }
    };
    Ok(CompiledRoute {
        route_name: route.name.clone(),
        route_id: route.id.clone(),
        service_name: service.and_then(|service| service.name.clone()),
        service_id: service.and_then(|service| service.id.clone()),
        strip_path: route.strip_path.unwrap_or(true),
        preserve_host: route.preserve_host.unwrap_or(false),
        path_handling,
        upstream,
        filters,
    })
}

/// The route's paths grouped as `group_by_regex_or_length` does (`transform.lua:677-700`): all
/// regexes in one group, one group per prefix length, groups in order of first appearance.
fn path_groups(paths: &[String]) -> Vec<Vec<&str>> {
    let mut keys: Vec<Option<usize>> = Vec::new();
    let mut groups: Vec<Vec<&str>> = Vec::new();
    for path in paths {
        let key = (!path.starts_with('~')).then_some(path.len());
        match keys.iter().position(|existing| *existing == key) {
            Some(at) => {
                if let Some(group) = groups.get_mut(at) {
                    group.push(path);
                }
            }
            None => {
                keys.push(key);
                groups.push(vec![path]);
            }
        }
    }
    groups
}

fn route_matchers(route: &Route, index: usize, id: RouteId) -> Result<Vec<Matcher>, String> {
    let non_empty = |list: &Option<Vec<String>>| list.as_ref().is_some_and(|list| !list.is_empty());
    let headers = route
        .headers
        .iter()
        .flatten()
        .map(|(name, values)| {
            let values = values
                .iter()
                .map(|value| match value.strip_prefix("~*") {
                    Some(pattern) => Regex::new(&pattern.to_lowercase())
                        .map(HeaderValue::Regex)
                        .map_err(|error| format!("header {name} regex {value:?}: {error}")),
                    None => Ok(HeaderValue::Exact(value.to_lowercase())),
                })
                .collect::<Result<Vec<_>, String>>()?;
            Ok(HeaderCondition {
                name: header_key(name),
                values,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let hosts: Vec<HostCondition> = route
        .hosts
        .iter()
        .flatten()
        .map(|host| HostCondition::parse(host))
        .collect();
    let snis: Vec<HostCondition> = route
        .snis
        .iter()
        .flatten()
        .map(|sni| HostCondition::parse(sni.strip_suffix('.').unwrap_or(sni)))
        .collect();
    let fields = usize::from(non_empty(&route.methods))
        + usize::from(non_empty(&route.hosts))
        + usize::from(!headers.is_empty())
        + usize::from(non_empty(&route.snis))
        + usize::from(non_empty(&route.paths));
    let plain_hosts_only = route.hosts.is_some() && !hosts.iter().any(HostCondition::is_wildcard);
    let paths: &[String] = route.paths.as_deref().unwrap_or_default();
    let groups = if paths.is_empty() {
        vec![Vec::new()]
    } else {
        path_groups(paths)
    };
    let split = groups.len() > 1;
    let mut matchers = Vec::with_capacity(groups.len());
    for (group_index, group) in groups.into_iter().enumerate() {
        let regex = group.first().is_some_and(|path| path.starts_with('~'));
        let conditions = group
            .iter()
            .map(|path| match path.strip_prefix('~') {
                // `^` in front of the regex as written (`transform.lua:322-331`): a top-level
                // `|` leaves its later branches unanchored, as in Kong.
                Some(pattern) => Regex::new(&format!("^{pattern}"))
                    .map(PathCondition::Regex)
                    .map_err(|error| format!("path {path:?}: {error}")),
                None => Ok(PathCondition::Prefix((*path).to_owned())),
            })
            .collect::<Result<Vec<_>, String>>()?;
        let inputs = PriorityInputs {
            fields,
            plain_hosts_only,
            headers: headers.len(),
            regex,
            regex_priority: route.regex_priority.unwrap_or(0),
            prefix_len: if regex {
                0
            } else {
                group.first().map_or(0, |path| path.len())
            },
        };
        let priority = priority(&inputs).map_err(|error| error.to_string())?;
        matchers.push(Matcher {
            route: index,
            methods: route.methods.clone().unwrap_or_default(),
            hosts: hosts.clone(),
            headers: headers.clone(),
            snis: snis.clone(),
            paths: conditions,
            priority,
            id: if split { id.split(group_index + 1) } else { id },
        });
    }
    Ok(matchers)
}
