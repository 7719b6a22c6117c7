//! `kdp-migrate kong convert`: a decK dump of the source gateway (ccc-int-kdp) in, ddd-int-kdp's
//! configuration out, with a report.
//!
//! - A route whose hosts are legacy hosts of one API of the map is that API's **legacy route**:
//!   kept as it is (paths, methods, plugins, `strip_path`), with the legacy filter chain and
//!   `preserve_host: true` (the filters set the Host). Its service is **rehosted**: the API's
//!   new upstream (`--service-url`), every other field kept.
//! - Each legacy route gets two **mirrors** on the same service, with copies of its plugins (so
//!   key-auth protects every entry): `<route>-short` on the short domain, its paths behind the
//!   API prefix on a segment boundary, and `<route>-long` on the long host, its paths as they
//!   are.
//! - APIs of the map the dump does not have are **added** as `generate` writes them.
//! - Everything else is **carried** as read (consumers, credentials, consumer groups, global
//!   and consumer plugins, upstreams, certificates, vaults, other services), or **dropped**
//!   with `--only-mapped` (services and routes of APIs the map does not name).
//! - Entities tagged `kdp-migrate` belong to the kit: they are regenerated, so converting the
//!   output again gives the same file.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use kdp_migrate_core::{Api, Entry, MigrationMap, filters};
use serde_json::{Map, Value, json};

use super::deck::{
    DECK_ONLY_KEYS, DeckFile, KONG_KEYS, has_tag, label, list, refers_to, text, texts,
};
use super::generate::sort_by_name;
use super::kit::{
    Kit, Layout, TAG, UNMATCHED_ROUTE, UNMATCHED_SERVICE, boundary_regex, prometheus_plugin,
    short_regex_priority, tags,
};
use super::native;
use super::report::{Action, Case, Report};
use super::service_url::ServiceUrl;
use crate::map_document::MapDocument;
use crate::yaml;

/// How to convert.
#[derive(Debug)]
pub struct ConvertOptions {
    /// The layout of the new entries.
    pub layout: Layout,
    /// Each API's new upstream.
    pub service_url: ServiceUrl,
    /// Drop services and routes of APIs the map does not name.
    pub only_mapped: bool,
}

/// A converted configuration and its report.
#[derive(Debug)]
pub struct Converted {
    /// The declarative document (`_format_version: "3.0"`).
    pub document: Value,
    /// The map, written once in the file.
    pub map_value: Value,
    /// The header comment, without `#`.
    pub header: Vec<String>,
    /// What was done.
    pub report: Report,
}

/// Which API a route belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Owner {
    /// None of the map's.
    Unmapped,
    /// One API (index in the map).
    Api(usize),
    /// Legacy hosts of several APIs.
    Conflict(Vec<usize>),
}

/// A route of the dump and where it is.
#[derive(Clone, Debug)]
struct RouteAt {
    /// `Some((service, index))` nested; `None` with the top-level index.
    nested: Option<(usize, usize)>,
    top: usize,
    /// The service it sends to (index), if any.
    service: Option<usize>,
    pointer: String,
    owner: Owner,
}

/// Converts `dump` for `map`.
pub fn convert(
    dump: &DeckFile,
    map: &MapDocument,
    options: &ConvertOptions,
) -> Result<Converted, String> {
    let map_value: Value = serde_json::from_slice(&map.json)
        .map_err(|error| format!("the map is not JSON: {error}"))?;
    let kit = Kit {
        map: &map.map,
        map_value: &map_value,
        layout: options.layout,
    };
    let mut converter = Converter {
        dump,
        map: &map.map,
        kit: &kit,
        options,
        report: Report {
            dump: dump.file.clone(),
            source_format_version: dump.source_format.clone(),
            layout: options.layout.as_str().to_owned(),
            ..Report::default()
        },
        taken: HashSet::new(),
    };
    let document = converter.run();
    let report = converter.report;
    let header = header(options);
    Ok(Converted {
        document,
        map_value,
        header,
        report,
    })
}

/// The file: a header comment, then the document (YAML, or JSON when `json`).
pub fn render(converted: &Converted, json: bool) -> Result<String, String> {
    if json {
        let mut text =
            serde_json::to_string_pretty(&converted.document).map_err(|error| error.to_string())?;
        text.push('\n');
        return Ok(text);
    }
    let mut text = yaml::comment(&converted.header);
    text.push_str(
        &yaml::to_yaml(&converted.document, Some(&converted.map_value))
            .map_err(|error| error.to_string())?,
    );
    Ok(text)
}

/// The header: the same for every dump, so that converting the output again changes nothing.
fn header(options: &ConvertOptions) -> Vec<String> {
    let mut lines = vec![
        "ddd-int-kdp's Kong configuration, converted from a decK dump by `kdp-migrate kong convert`.".to_owned(),
        format!(
            "Layout {}. Legacy routes keep their paths and plugins and get the migration's {};",
            options.layout.as_str(),
            if options.layout == Layout::Native { "plugins" } else { "filter chain" }
        ),
        "each has a <route>-short and a <route>-long mirror on its service, with copies of its plugins.".to_owned(),
        "Entities tagged kdp-migrate are the converter's: it regenerates them. Read the conversion".to_owned(),
        "report (what needs a human) before loading this (kong/README.md, \"From ccc-int-kdp to ddd-int-kdp\").".to_owned(),
    ];
    if options.layout == Layout::Native {
        lines.push(
            "What native Kong cannot do (the filters do): kong/README.md, \"Kong without Wasm\"."
                .to_owned(),
        );
    }
    lines
}

struct Converter<'c> {
    dump: &'c DeckFile,
    map: &'c MigrationMap,
    kit: &'c Kit<'c>,
    options: &'c ConvertOptions,
    report: Report,
    /// Names of services and routes the dump uses (outside the kit).
    taken: HashSet<String>,
}

/// Whether an entity belongs to the kit (and is regenerated).
fn is_kit(entity: &Value) -> bool {
    has_tag(entity, TAG)
}

/// Whether a filter chain is the kit's: only shipped filters.
fn is_kit_chain(chain: &Value) -> bool {
    let filters = list(chain, "filters");
    !filters.is_empty()
        && filters
            .iter()
            .all(|filter| text(filter, "name").is_some_and(|name| filters::SHIPPED.contains(&name)))
}

impl<'c> Converter<'c> {
    fn at(&self, pointer: &str) -> Option<String> {
        Some(self.dump.at(pointer))
    }

    fn run(&mut self) -> Value {
        let source = &self.dump.document;
        self.check_top_level_keys();
        let services: Vec<Value> = list_of(source, "services");
        let top_routes: Vec<Value> = list_of(source, "routes");
        let top_plugins: Vec<Value> = list_of(source, "plugins");
        for entity in services.iter().chain(&top_routes).filter(|e| !is_kit(e)) {
            if let Some(name) = text(entity, "name") {
                self.taken.insert(name.to_owned());
            }
        }
        for service in services.iter().filter(|s| !is_kit(s)) {
            for route in list(service, "routes").iter().filter(|r| !is_kit(r)) {
                if let Some(name) = text(route, "name") {
                    self.taken.insert(name.to_owned());
                }
            }
        }

        // Every route of the dump, with its owner.
        let mut routes: Vec<RouteAt> = Vec::new();
        for (s, service) in services.iter().enumerate() {
            if is_kit(service) {
                continue;
            }
            for (r, route) in list(service, "routes").iter().enumerate() {
                if is_kit(route) {
                    continue;
                }
                let pointer = format!("/services/{s}/routes/{r}");
                let owner = self.owner(route, &pointer);
                routes.push(RouteAt {
                    nested: Some((s, r)),
                    top: 0,
                    service: Some(s),
                    pointer,
                    owner,
                });
            }
        }
        for (r, route) in top_routes.iter().enumerate() {
            if is_kit(route) {
                continue;
            }
            let pointer = format!("/routes/{r}");
            let owner = self.owner(route, &pointer);
            let service = route.get("service").and_then(|reference| {
                services
                    .iter()
                    .position(|service| !is_kit(service) && refers_to(reference, service))
            });
            routes.push(RouteAt {
                nested: None,
                top: r,
                service,
                pointer,
                owner,
            });
        }

        // Services: the APIs of their routes.
        let mut service_api: HashMap<usize, usize> = HashMap::new();
        let mut blocked_apis: BTreeSet<usize> = BTreeSet::new();
        let mut blocked_services: BTreeSet<usize> = BTreeSet::new();
        for (s, service) in services.iter().enumerate() {
            if is_kit(service) {
                continue;
            }
            let mine: Vec<&RouteAt> = routes.iter().filter(|r| r.service == Some(s)).collect();
            let apis: BTreeSet<usize> = mine
                .iter()
                .flat_map(|r| match &r.owner {
                    Owner::Api(api) => vec![*api],
                    Owner::Conflict(apis) => apis.clone(),
                    Owner::Unmapped => Vec::new(),
                })
                .collect();
            let name = label(service).unwrap_or("(unnamed)").to_owned();
            let pointer = format!("/services/{s}");
            let conflicting = mine.iter().any(|r| matches!(r.owner, Owner::Conflict(_)));
            if apis.len() > 1 || conflicting {
                let names: Vec<&str> = apis.iter().filter_map(|&a| self.api_name(a)).collect();
                self.report.flag(
                    Case::ServiceSharedByApis,
                    "service",
                    &name,
                    None,
                    self.at(&pointer),
                    format!(
                        "its routes serve legacy hosts of {}: one service cannot point to both new upstreams; split it (a service per API) and convert again. Carried as read; these APIs are not converted",
                        names.join(" and ")
                    ),
                );
                blocked_apis.extend(apis);
                blocked_services.insert(s);
                continue;
            }
            if let Some(&api) = apis.first() {
                let others: Vec<String> = mine
                    .iter()
                    .filter(|r| r.owner == Owner::Unmapped)
                    .map(|r| route_label(&self.route_value(r, &services, &top_routes)).to_owned())
                    .collect();
                if !others.is_empty() {
                    self.report.flag(
                        Case::ServiceSharedWithOtherRoutes,
                        "service",
                        &name,
                        self.api_name(api),
                        self.at(&pointer),
                        format!(
                            "also has routes the map does not name ({}); they now reach the new upstream too",
                            others.join(", ")
                        ),
                    );
                }
                service_api.insert(s, api);
            }
        }
        for r in &routes {
            if let (Owner::Api(api), None) = (&r.owner, r.service) {
                let route = self.route_value(r, &services, &top_routes);
                self.report.flag(
                    Case::RouteWithoutService,
                    "route",
                    route_label(&route),
                    self.api_name(*api),
                    self.at(&r.pointer),
                    "a legacy route without a service: Kong answers it 503; not converted"
                        .to_owned(),
                );
            }
        }

        // The output, entity list by entity list.
        let mut out_services: Vec<Value> = Vec::new();
        let mut out_top_routes: Vec<Value> = Vec::new();
        let mut extra_plugins: Vec<Value> = Vec::new();
        let mut found_apis: BTreeSet<usize> = BTreeSet::new();
        let mut dropped_services: Vec<&Value> = Vec::new();
        let mut dropped_routes: Vec<Value> = Vec::new();

        for (s, service) in services.iter().enumerate() {
            if is_kit(service) {
                continue;
            }
            let pointer = format!("/services/{s}");
            let name = label(service).unwrap_or("(unnamed)").to_owned();
            let api = service_api.get(&s).copied();
            let mut service_out = service.clone();
            let nested: Vec<(usize, &Value)> = list(service, "routes")
                .iter()
                .enumerate()
                .filter(|(_, route)| !is_kit(route))
                .collect();
            if api.is_none() && self.options.only_mapped && !blocked_services.contains(&s) {
                self.report.entity(
                    "service",
                    &name,
                    Action::Dropped,
                    None,
                    self.at(&pointer),
                    vec!["not an API of the map (--only-mapped)".to_owned()],
                );
                dropped_services.push(service);
                for (_, route) in nested {
                    dropped_routes.push(route.clone());
                }
                continue;
            }
            let mut routes_out: Vec<Value> = Vec::new();
            match api.and_then(|api| self.map.api(api).map(|a| (api, a))) {
                Some((index, api)) => {
                    found_apis.insert(index);
                    let details = self.rehost(&mut service_out, api, &pointer);
                    self.report.entity(
                        "service",
                        &name,
                        Action::Rehosted,
                        Some(api.name()),
                        self.at(&pointer),
                        details,
                    );
                    self.carry_nested_plugins(service, &pointer, "service", &name);
                    for (r, route) in nested {
                        let route_pointer = format!("{pointer}/routes/{r}");
                        let at = routes.iter().find(|x| x.pointer == route_pointer);
                        if at.is_some_and(|x| x.owner == Owner::Api(index)) {
                            let (legacy, mirrors, plugins) =
                                self.legacy_route(route, &route_pointer, api, &name, &top_plugins);
                            routes_out.push(legacy);
                            routes_out.extend(mirrors);
                            extra_plugins.extend(plugins);
                        } else {
                            routes_out.push(self.carried_route(route, &route_pointer));
                        }
                    }
                }
                None => {
                    self.report.entity(
                        "service",
                        &name,
                        Action::Carried,
                        None,
                        self.at(&pointer),
                        Vec::new(),
                    );
                    self.carry_nested_plugins(service, &pointer, "service", &name);
                    for (r, route) in nested {
                        routes_out
                            .push(self.carried_route(route, &format!("{pointer}/routes/{r}")));
                    }
                }
            }
            if let Some(object) = service_out.as_object_mut() {
                if routes_out.is_empty() {
                    object.remove("routes");
                } else {
                    sort_by_name(&mut routes_out);
                    object.insert("routes".to_owned(), Value::Array(routes_out));
                }
                if let Some(Value::Array(plugins)) = object.get_mut("plugins") {
                    plugins.retain(|plugin| !is_kit(plugin));
                }
            }
            out_services.push(service_out);
        }

        for r in routes.iter().filter(|r| r.nested.is_none()) {
            let Some(route) = top_routes.get(r.top) else {
                continue;
            };
            let service_api_index = r.service.and_then(|s| service_api.get(&s).copied());
            let mapped = match (&r.owner, service_api_index) {
                (Owner::Api(api), Some(service_api)) if *api == service_api => Some(*api),
                _ => None,
            };
            let service_dropped = r.service.is_some_and(|s| {
                services.get(s).is_some_and(|service| {
                    dropped_services.iter().any(|d| std::ptr::eq(*d, service))
                })
            });
            if mapped.is_none()
                && (self.options.only_mapped && (r.owner == Owner::Unmapped || service_dropped))
            {
                self.report.entity(
                    "route",
                    route_label(route),
                    Action::Dropped,
                    None,
                    self.at(&r.pointer),
                    vec!["not an API of the map (--only-mapped)".to_owned()],
                );
                dropped_routes.push(route.clone());
                continue;
            }
            match mapped.and_then(|api| self.map.api(api)) {
                Some(api) => {
                    let service_name = r
                        .service
                        .and_then(|s| services.get(s))
                        .and_then(label)
                        .unwrap_or_default()
                        .to_owned();
                    let (legacy, mirrors, plugins) =
                        self.legacy_route(route, &r.pointer, api, &service_name, &top_plugins);
                    out_top_routes.push(legacy);
                    for mut mirror in mirrors {
                        if let (Some(object), Some(reference)) =
                            (mirror.as_object_mut(), route.get("service"))
                        {
                            object.insert("service".to_owned(), reference.clone());
                        }
                        out_top_routes.push(mirror);
                    }
                    extra_plugins.extend(plugins);
                }
                None => out_top_routes.push(self.carried_route(route, &r.pointer)),
            }
        }

        // APIs of the map the dump does not have.
        for (index, api) in self.map.apis().iter().enumerate() {
            if found_apis.contains(&index) {
                continue;
            }
            if blocked_apis.contains(&index) {
                continue;
            }
            let service_name = self.free_name(api.name(), "service", Some(api.name()));
            let mut service = self
                .kit
                .service(api, &self.options.service_url.for_api(api.name()));
            service.insert("name".to_owned(), Value::String(service_name.clone()));
            let mut kit_routes = self.kit.routes(api);
            for route in &mut kit_routes {
                self.rename_free(route, Some(api.name()));
                let route_name = text(route, "name").unwrap_or_default().to_owned();
                self.report.entity(
                    "route",
                    &route_name,
                    Action::Added,
                    Some(api.name()),
                    None,
                    vec!["not in the dump: as `kdp-migrate kong generate` writes it".to_owned()],
                );
            }
            service.insert("routes".to_owned(), Value::Array(kit_routes));
            self.report.entity(
                "service",
                &service_name,
                Action::Added,
                Some(api.name()),
                None,
                vec![format!(
                    "not in the dump: url {}",
                    self.options.service_url.for_api(api.name())
                )],
            );
            out_services.push(Value::Object(service));
        }
        if let Some(mut unmatched) = self.kit.unmatched_service() {
            let name = self.free_name(UNMATCHED_SERVICE, "service", None);
            if let Some(object) = unmatched.as_object_mut() {
                object.insert("name".to_owned(), Value::String(name.clone()));
                if let Some(Value::Array(routes)) = object.get_mut("routes") {
                    for route in routes {
                        self.rename_free(route, None);
                        let route_name = text(route, "name").unwrap_or(UNMATCHED_ROUTE).to_owned();
                        self.report.entity(
                            "route",
                            &route_name,
                            Action::Added,
                            None,
                            None,
                            vec!["short-domain paths no API owns".to_owned()],
                        );
                    }
                }
            }
            self.report
                .entity("service", &name, Action::Added, None, None, Vec::new());
            out_services.push(unmatched);
        }
        sort_by_name(&mut out_services);
        sort_by_name(&mut out_top_routes);

        // Top-level plugins: carried (or dropped with their entity), the mirrors' copies, and
        // Prometheus if the source has no global one.
        let mut out_plugins: Vec<Value> = Vec::new();
        for (p, plugin) in top_plugins.iter().enumerate() {
            if is_kit(plugin) {
                continue;
            }
            let pointer = format!("/plugins/{p}");
            let name = describe_plugin(plugin);
            let orphaned = plugin.get("service").is_some_and(|reference| {
                dropped_services
                    .iter()
                    .any(|service| refers_to(reference, service))
            }) || plugin.get("route").is_some_and(|reference| {
                dropped_routes
                    .iter()
                    .any(|route| refers_to(reference, route))
            });
            if orphaned {
                self.report.entity(
                    "plugin",
                    &name,
                    Action::Dropped,
                    None,
                    self.at(&pointer),
                    vec!["its service or route was dropped".to_owned()],
                );
                continue;
            }
            self.report.entity(
                "plugin",
                &name,
                Action::Carried,
                None,
                self.at(&pointer),
                Vec::new(),
            );
            out_plugins.push(plugin.clone());
        }
        for plugin in &extra_plugins {
            self.report.entity(
                "plugin",
                &describe_plugin(plugin),
                Action::Added,
                None,
                None,
                vec!["copy for a mirror route".to_owned()],
            );
        }
        out_plugins.extend(extra_plugins);
        let has_global_prometheus = out_plugins.iter().any(|plugin| {
            text(plugin, "name") == Some("prometheus")
                && ["service", "route", "consumer"]
                    .iter()
                    .all(|key| plugin.get(key).is_none())
        });
        if !has_global_prometheus {
            self.report.entity(
                "plugin",
                "prometheus (global)",
                Action::Added,
                None,
                None,
                vec!["Kong's kong_* series and the filters' pw_* counters at /metrics".to_owned()],
            );
            out_plugins.push(prometheus_plugin());
        }

        self.check_plugins(&services, &top_routes, &top_plugins);
        self.check_certificates();
        self.report_other_entities();

        let mut document: Map<String, Value> = source.clone();
        document.insert("_format_version".to_owned(), Value::from("3.0"));
        put_list(&mut document, "services", out_services);
        put_list(&mut document, "routes", out_top_routes);
        put_list(&mut document, "plugins", out_plugins);
        Value::Object(document)
    }

    fn api_name(&self, index: usize) -> Option<&'c str> {
        self.map.api(index).map(Api::name)
    }

    fn route_value(&self, r: &RouteAt, services: &[Value], top_routes: &[Value]) -> Value {
        match r.nested {
            Some((s, i)) => services
                .get(s)
                .and_then(|service| list(service, "routes").get(i))
                .cloned()
                .unwrap_or(Value::Null),
            None => top_routes.get(r.top).cloned().unwrap_or(Value::Null),
        }
    }

    /// The API whose legacy hosts a route serves; flags what is ambiguous.
    fn owner(&mut self, route: &Value, pointer: &str) -> Owner {
        let name = route_label(route).to_owned();
        let mut apis: BTreeSet<usize> = BTreeSet::new();
        let mut others: Vec<&str> = Vec::new();
        for host in texts(route, "hosts") {
            let lower = host.to_ascii_lowercase();
            if lower.contains('*') {
                let covered: Vec<&str> = self
                    .map
                    .apis()
                    .iter()
                    .flat_map(|api| api.legacy_hosts().iter().map(move |legacy| (api, legacy)))
                    .filter(|(_, legacy)| wildcard_covers(&lower, legacy))
                    .map(|(api, _)| api.name())
                    .collect();
                if !covered.is_empty() {
                    self.report.flag(
                        Case::WildcardHost,
                        "route",
                        &name,
                        None,
                        self.at(&format!("{pointer}/hosts")),
                        format!(
                            "host {host} covers legacy hosts of {}: carried as read; give each API's legacy host its own route to convert it",
                            covered.join(", ")
                        ),
                    );
                }
                others.push(host);
                continue;
            }
            let classification = self.map.classify(&lower, "/");
            match (classification.entry, classification.api) {
                (Entry::Legacy, Some(api)) => {
                    if let Some(index) = self.map.index_of(api) {
                        apis.insert(index);
                    }
                }
                _ => others.push(host),
            }
        }
        match apis.len() {
            0 => Owner::Unmapped,
            1 => {
                let api = apis.first().copied().unwrap_or_default();
                if !others.is_empty() {
                    self.report.flag(
                        Case::RouteMixedHosts,
                        "route",
                        &name,
                        self.api_name(api),
                        self.at(&format!("{pointer}/hosts")),
                        format!(
                            "also serves {}, which are not this API's legacy hosts: they move to the new upstream with it",
                            others.join(", ")
                        ),
                    );
                }
                Owner::Api(api)
            }
            _ => {
                let names: Vec<&str> = apis.iter().filter_map(|&a| self.api_name(a)).collect();
                self.report.flag(
                    Case::RouteHostsTwoApis,
                    "route",
                    &name,
                    None,
                    self.at(&format!("{pointer}/hosts")),
                    format!(
                        "its hosts are legacy hosts of {}: split it into a route per API and convert again; carried as read",
                        names.join(" and ")
                    ),
                );
                Owner::Conflict(apis.into_iter().collect())
            }
        }
    }

    /// Points a service at the API's new upstream; returns what changed.
    fn rehost(&mut self, service: &mut Value, api: &Api, pointer: &str) -> Vec<String> {
        let name = label(service).unwrap_or("(unnamed)").to_owned();
        let new_url = self.options.service_url.for_api(api.name());
        let old_url = service_url_of(service);
        let mut details = Vec::new();
        if old_url != new_url {
            details.push(format!("url {old_url} -> {new_url}"));
        }
        let old_path = text(service, "path")
            .filter(|path| *path != "/")
            .map(str::to_owned);
        if let Some(object) = service.as_object_mut() {
            for key in ["protocol", "host", "port", "path"] {
                object.remove(key);
            }
            object.insert("url".to_owned(), Value::String(new_url));
        }
        if let Some(path) = old_path
            && !self
                .options
                .service_url
                .for_api(api.name())
                .ends_with(&path)
        {
            self.report.flag(
                Case::ServicePath,
                "service",
                &name,
                Some(api.name()),
                self.at(&format!("{pointer}/path")),
                format!(
                    "the source upstream was reached under {path}; the new upstream is {} — check the API's paths there",
                    self.options.service_url.for_api(api.name())
                ),
            );
        }
        if let Some(host) = old_url
            .split("://")
            .nth(1)
            .map(|rest| rest.split([':', '/']).next().unwrap_or_default())
        {
            let upstreams = list_of(&self.dump.document, "upstreams");
            if upstreams
                .iter()
                .any(|upstream| text(upstream, "name") == Some(host))
            {
                details.push(format!(
                    "upstream {host} (carried) is no longer used by this service"
                ));
            }
        }
        details
    }

    /// A legacy route: kept, with the kit's chain (or native plugins); its mirrors; the copies
    /// of its top-level plugins for the mirrors.
    fn legacy_route(
        &mut self,
        route: &Value,
        pointer: &str,
        api: &Api,
        service_name: &str,
        top_plugins: &[Value],
    ) -> (Value, Vec<Value>, Vec<Value>) {
        let name = route_label(route).to_owned();
        let mut legacy = route.clone();
        let mut details = Vec::new();
        for migration in self
            .dump
            .migrations
            .iter()
            .filter(|m| m.pointer.starts_with(&format!("{pointer}/")))
        {
            match &migration.to {
                Some(to) => details.push(format!("path {} -> {to} (_format_version 1.1 -> 3.0)", migration.from)),
                None => self.report.flag(
                    Case::PathNotNormalised,
                    "route",
                    &name,
                    Some(api.name()),
                    self.at(&migration.pointer),
                    format!("path {:?} is not normalised as Kong 3 requires (percent-encoding, // or dot segments): write it normalised", migration.from),
                ),
            }
        }
        if legacy.get("preserve_host") != Some(&Value::Bool(true)) {
            details.push("preserve_host -> true (the filters set the Host; Kong keeps it on retries only then)".to_owned());
        }
        let paths: Vec<String> = texts(route, "paths")
            .into_iter()
            .map(str::to_owned)
            .collect();
        let strips = route
            .get("strip_path")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        if strips && paths.iter().any(|path| path != "/") {
            self.report.flag(
                Case::StripPath,
                "route",
                &name,
                Some(api.name()),
                self.at(&format!("{pointer}/strip_path")),
                format!(
                    "strip_path: true removes {} before the upstream on the legacy and long hosts; on the short domain the filter only removes {}: the upstream sees different paths per entry",
                    paths.join(", "),
                    api.prefix()
                ),
            );
        }
        for path in paths.iter().filter(|path| path.starts_with('~')) {
            self.report.flag(
                Case::RegexPath,
                "route",
                &name,
                Some(api.name()),
                self.at(&format!("{pointer}/paths")),
                format!(
                    "regex {path} is written behind the prefix on the short domain as {}: check anchors (^, $) and what it matches there",
                    short_path(api.prefix(), path)
                ),
            );
        }
        if !texts(route, "snis").is_empty() {
            self.report.flag(
                Case::RouteSnis,
                "route",
                &name,
                Some(api.name()),
                self.at(&format!("{pointer}/snis")),
                "matches on TLS SNIs of the legacy hosts; the mirrors do not (they have other hosts)".to_owned(),
            );
        }
        let route_name = text(route, "name").unwrap_or(api.name()).to_owned();
        if let Some(object) = legacy.as_object_mut() {
            object.insert("preserve_host".to_owned(), Value::Bool(true));
            match self.options.layout {
                Layout::Native => {
                    let mut plugins: Vec<Value> = object
                        .get("plugins")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    plugins.retain(|plugin| !is_kit(plugin));
                    for plugin in native::legacy_plugins(api) {
                        let plugin_name = text(&plugin, "name").unwrap_or_default().to_owned();
                        if plugins
                            .iter()
                            .any(|p| text(p, "name") == Some(plugin_name.as_str()))
                        {
                            self.report.flag(Case::NativeConflict, "route", &name, Some(api.name()), self.at(pointer), format!("already has a {plugin_name} plugin; the native layout needs its own: the migration's was not added"));
                        } else {
                            details.push(format!("+ plugin {plugin_name}"));
                            plugins.push(plugin);
                        }
                    }
                    if !plugins.is_empty() {
                        object.insert("plugins".to_owned(), Value::Array(plugins));
                    }
                }
                Layout::Chains | Layout::Combined => {
                    let chain = self.kit.filter_chain(&route_name, Entry::Legacy);
                    let existing: Vec<Value> = object
                        .get("filter_chains")
                        .and_then(Value::as_array)
                        .map(|chains| {
                            chains
                                .iter()
                                .filter(|c| !is_kit_chain(c))
                                .cloned()
                                .collect()
                        })
                        .unwrap_or_default();
                    let merged = match existing.first() {
                        Some(theirs) => {
                            self.report.flag(Case::FilterChainExists, "route", &name, Some(api.name()), self.at(&format!("{pointer}/filter_chains")), "already has a filter chain (Kong allows one per route): the migration's filters were put in front of its filters".to_owned());
                            let mut merged = theirs.clone();
                            let mut filters: Vec<Value> = list(&chain, "filters").to_vec();
                            filters.extend(list(theirs, "filters").iter().cloned());
                            if let Some(merged) = merged.as_object_mut() {
                                merged.insert("filters".to_owned(), Value::Array(filters));
                            }
                            merged
                        }
                        None => chain,
                    };
                    details.push(format!("+ filter chain {}", chain_names(&merged)));
                    object.insert("filter_chains".to_owned(), Value::Array(vec![merged]));
                }
            }
        }
        self.report.entity(
            "route",
            &name,
            Action::Rehosted,
            Some(api.name()),
            self.at(pointer),
            details,
        );

        // The route's own plugins: nested, and top-level ones that name it.
        let nested_plugins: Vec<Value> = list(route, "plugins")
            .iter()
            .filter(|p| !is_kit(p))
            .cloned()
            .collect();
        let top_level: Vec<&Value> = top_plugins
            .iter()
            .filter(|plugin| {
                !is_kit(plugin)
                    && plugin
                        .get("route")
                        .is_some_and(|reference| refers_to(reference, route))
            })
            .collect();

        let mut mirrors = Vec::new();
        let mut copies = Vec::new();
        for entry in [Entry::Short, Entry::Long] {
            let wanted = format!("{route_name}-{}", entry.as_str());
            let mut mirror = self.mirror(route, api, entry, &wanted, pointer, &name);
            self.rename_free(&mut mirror, Some(api.name()));
            let mirror_name = text(&mirror, "name").unwrap_or_default().to_owned();
            let mut plugins: Vec<Value> = nested_plugins
                .iter()
                .map(|plugin| self.plugin_copy(plugin, api, entry))
                .collect();
            plugins.extend(
                mirror
                    .get("plugins")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
            );
            if let Some(object) = mirror.as_object_mut() {
                if plugins.is_empty() {
                    object.remove("plugins");
                } else {
                    object.insert("plugins".to_owned(), Value::Array(plugins));
                }
            }
            for plugin in &top_level {
                let mut copy = self.plugin_copy(plugin, api, entry);
                if let Some(object) = copy.as_object_mut() {
                    object.insert("route".to_owned(), Value::String(mirror_name.clone()));
                }
                copies.push(copy);
            }
            self.report.entity(
                "route",
                &mirror_name,
                Action::Added,
                Some(api.name()),
                None,
                vec![format!(
                    "{} mirror of {name} (service {service_name})",
                    entry.as_str()
                )],
            );
            mirrors.push(mirror);
        }
        (legacy, mirrors, copies)
    }

    /// The short-domain or long-host mirror of a legacy route.
    fn mirror(
        &mut self,
        route: &Value,
        api: &Api,
        entry: Entry,
        name: &str,
        pointer: &str,
        label: &str,
    ) -> Value {
        let mut mirror = Map::new();
        // What routing and proxying fields the legacy route has, the mirror keeps.
        for key in [
            "methods",
            "headers",
            "protocols",
            "https_redirect_status_code",
            "request_buffering",
            "response_buffering",
            "path_handling",
        ] {
            if let Some(value) = route.get(key) {
                mirror.insert(key.to_owned(), value.clone());
            }
        }
        let paths: Vec<&str> = texts(route, "paths");
        let base = short_regex_priority(api.prefix());
        let native = self.options.layout == Layout::Native;
        match entry {
            Entry::Short => {
                mirror.insert("hosts".to_owned(), json!([self.map.short_host()]));
                let (short_paths, order) = if paths.is_empty() || paths.iter().all(|p| *p == "/") {
                    (vec![boundary_regex(api.prefix())], 0)
                } else {
                    let regex = paths.iter().any(|p| p.starts_with('~'));
                    let longest = paths.iter().map(|p| p.len()).max().unwrap_or(0);
                    let source_priority = route
                        .get("regex_priority")
                        .and_then(Value::as_i64)
                        .unwrap_or(0);
                    // Within one API: regex paths above prefix paths, longer prefixes above
                    // shorter (Kong's order on the legacy host, notes §2.5), all below a deeper
                    // API prefix.
                    let order = if regex {
                        32 + source_priority.clamp(0, 31)
                    } else {
                        i64::try_from(longest.min(31)).unwrap_or(31)
                    };
                    (
                        paths.iter().map(|p| short_path(api.prefix(), p)).collect(),
                        order,
                    )
                };
                if native && order != 0 {
                    self.report.flag(Case::NativeConflict, "route", label, Some(api.name()), self.at(&format!("{pointer}/paths")), "native layout: strip_path on the short-domain mirror removes the whole matched path, not just the prefix; the upstream path is wrong for these paths".to_owned());
                }
                mirror.insert("paths".to_owned(), json!(short_paths));
                mirror.insert("regex_priority".to_owned(), json!(base + order));
                mirror.insert("strip_path".to_owned(), Value::Bool(native));
                mirror.insert("preserve_host".to_owned(), Value::Bool(!native));
                if native {
                    mirror.insert(
                        "plugins".to_owned(),
                        json!([native::set_host(api.long_host())]),
                    );
                }
            }
            _ => {
                mirror.insert("hosts".to_owned(), json!([api.long_host()]));
                for key in ["paths", "regex_priority", "strip_path"] {
                    if let Some(value) = route.get(key) {
                        mirror.insert(key.to_owned(), value.clone());
                    }
                }
                mirror.insert("preserve_host".to_owned(), Value::Bool(true));
            }
        }
        mirror.insert("name".to_owned(), Value::String(name.to_owned()));
        mirror.insert("tags".to_owned(), tags(Some(entry), Some(api.name())));
        if !native {
            mirror.insert(
                "filter_chains".to_owned(),
                json!([self.kit.filter_chain(name, entry)]),
            );
        }
        Value::Object(mirror)
    }

    /// A plugin copied for a mirror: no id, no nesting key; on the short domain a path-limited
    /// rate limit counts the path behind the prefix (the client path there,
    /// `kong/plugins/rate-limiting/handler.lua:78-81`, notes §5.4).
    fn plugin_copy(&self, plugin: &Value, api: &Api, entry: Entry) -> Value {
        let mut copy = plugin.clone();
        if let Some(object) = copy.as_object_mut() {
            for key in ["id", "created_at", "updated_at", "route"] {
                object.remove(key);
            }
            let mut plugin_tags: Vec<Value> =
                texts(plugin, "tags").into_iter().map(Value::from).collect();
            plugin_tags.push(Value::from(TAG));
            object.insert("tags".to_owned(), Value::Array(plugin_tags));
            if entry == Entry::Short
                && text(plugin, "name") == Some("rate-limiting")
                && plugin.pointer("/config/limit_by").and_then(Value::as_str) == Some("path")
                && let Some(path) = plugin.pointer("/config/path").and_then(Value::as_str)
                && let Some(config) = object.get_mut("config").and_then(Value::as_object_mut)
            {
                config.insert(
                    "path".to_owned(),
                    Value::String(format!("{}{path}", api.prefix())),
                );
            }
        }
        copy
    }

    fn carried_route(&mut self, route: &Value, pointer: &str) -> Value {
        let name = route_label(route).to_owned();
        self.report.entity(
            "route",
            &name,
            Action::Carried,
            None,
            self.at(pointer),
            Vec::new(),
        );
        self.carry_nested_plugins(route, pointer, "route", &name);
        route.clone()
    }

    fn carry_nested_plugins(&mut self, parent: &Value, pointer: &str, kind: &str, name: &str) {
        for (p, plugin) in list(parent, "plugins").iter().enumerate() {
            if is_kit(plugin) {
                continue;
            }
            self.report.entity(
                "plugin",
                &format!("{} on {kind} {name}", describe_plugin(plugin)),
                Action::Carried,
                None,
                self.at(&format!("{pointer}/plugins/{p}")),
                Vec::new(),
            );
        }
    }

    /// `wanted`, or with `-kdp-migrate` appended when the dump already has that name.
    fn free_name(&mut self, wanted: &str, kind: &str, api: Option<&str>) -> String {
        if !self.taken.contains(wanted) {
            self.taken.insert(wanted.to_owned());
            return wanted.to_owned();
        }
        let renamed = format!("{wanted}-kdp-migrate");
        self.report.flag(
            Case::NameCollision,
            kind,
            wanted,
            api,
            None,
            format!(
                "the dump already has a {kind} named {wanted}; the migration's is named {renamed}"
            ),
        );
        self.taken.insert(renamed.clone());
        renamed
    }

    /// Renames a kit route (and its chain) if its name is taken.
    fn rename_free(&mut self, route: &mut Value, api: Option<&str>) {
        let Some(wanted) = text(route, "name").map(str::to_owned) else {
            return;
        };
        let name = self.free_name(&wanted, "route", api);
        if name == wanted {
            return;
        }
        if let Some(object) = route.as_object_mut() {
            object.insert("name".to_owned(), Value::String(name.clone()));
            if let Some(Value::Array(chains)) = object.get_mut("filter_chains") {
                for chain in chains {
                    if let Some(chain) = chain.as_object_mut() {
                        chain.insert("name".to_owned(), Value::String(name.clone()));
                    }
                }
            }
        }
    }

    fn check_top_level_keys(&mut self) {
        let keys: Vec<String> = self.dump.document.keys().cloned().collect();
        for key in keys {
            let pointer = format!("/{key}");
            if key == "consumer_groups" {
                self.report.flag(
                    Case::ConsumerGroups,
                    "consumer_groups",
                    &key,
                    None,
                    self.at(&pointer),
                    "carried for deck gateway sync to an Enterprise gateway; Kong OSS 3.9 has no consumer_groups entity (kong/db/schema/entities/ has none) and DB-less refuses the key".to_owned(),
                );
            } else if DECK_ONLY_KEYS.contains(&key.as_str()) {
                self.report.flag(
                    Case::DeckOnlyKey,
                    "key",
                    &key,
                    None,
                    self.at(&pointer),
                    format!("{key} is read by deck gateway sync but refused by Kong DB-less (kong config db_import, KONG_DECLARATIVE_CONFIG): remove it for those"),
                );
            } else if !KONG_KEYS.contains(&key.as_str()) {
                self.report.flag(
                    Case::UnknownKey,
                    "key",
                    &key,
                    None,
                    self.at(&pointer),
                    format!("{key} is neither a Kong nor a decK key: carried as read"),
                );
            }
        }
        for (s, service) in list_of(&self.dump.document, "services").iter().enumerate() {
            if service.get("tls_sans").is_some() {
                self.report.flag(
                    Case::DeckOnlyKey,
                    "service",
                    label(service).unwrap_or("(unnamed)"),
                    None,
                    self.at(&format!("/services/{s}/tls_sans")),
                    "service tls_sans is Enterprise only: Kong OSS DB-less refuses it".to_owned(),
                );
            }
        }
        for (c, consumer) in list_of(&self.dump.document, "consumers").iter().enumerate() {
            for key in ["groups", "mtls_auth_credentials"] {
                if consumer.get(key).is_some() {
                    self.report.flag(
                        Case::DeckOnlyKey,
                        "consumer",
                        label(consumer).unwrap_or("(unnamed)"),
                        None,
                        self.at(&format!("/consumers/{c}/{key}")),
                        format!(
                            "consumer {key} is Enterprise/decK only: Kong OSS DB-less refuses it"
                        ),
                    );
                }
            }
        }
    }

    /// Plugins whose config names a legacy host, or sets the upstream Host.
    fn check_plugins(&mut self, services: &[Value], top_routes: &[Value], top_plugins: &[Value]) {
        let legacy_hosts: Vec<(String, String)> = self
            .map
            .apis()
            .iter()
            .flat_map(|api| {
                api.legacy_hosts()
                    .iter()
                    .map(move |host| (host.to_string(), api.name().to_owned()))
            })
            .collect();
        let mut located: Vec<(Value, String, String)> = Vec::new();
        for (p, plugin) in top_plugins.iter().enumerate() {
            let scope = ["route", "service", "consumer"]
                .iter()
                .find_map(|key| {
                    plugin
                        .get(*key)
                        .map(|r| format!("{key} {}", reference_text(r)))
                })
                .unwrap_or_else(|| "global".to_owned());
            located.push((plugin.clone(), format!("/plugins/{p}"), scope));
        }
        for (s, service) in services.iter().enumerate() {
            let service_name = label(service).unwrap_or("(unnamed)");
            for (p, plugin) in list(service, "plugins").iter().enumerate() {
                located.push((
                    plugin.clone(),
                    format!("/services/{s}/plugins/{p}"),
                    format!("service {service_name}"),
                ));
            }
            for (r, route) in list(service, "routes").iter().enumerate() {
                for (p, plugin) in list(route, "plugins").iter().enumerate() {
                    located.push((
                        plugin.clone(),
                        format!("/services/{s}/routes/{r}/plugins/{p}"),
                        format!("route {}", route_label(route)),
                    ));
                }
            }
        }
        for (r, route) in top_routes.iter().enumerate() {
            for (p, plugin) in list(route, "plugins").iter().enumerate() {
                located.push((
                    plugin.clone(),
                    format!("/routes/{r}/plugins/{p}"),
                    format!("route {}", route_label(route)),
                ));
            }
        }
        for (c, consumer) in list_of(&self.dump.document, "consumers").iter().enumerate() {
            for (p, plugin) in list(consumer, "plugins").iter().enumerate() {
                located.push((
                    plugin.clone(),
                    format!("/consumers/{c}/plugins/{p}"),
                    format!("consumer {}", label(consumer).unwrap_or("(unnamed)")),
                ));
            }
        }
        for (plugin, pointer, scope) in located {
            if is_kit(&plugin) {
                continue;
            }
            let name = format!("{} ({scope})", text(&plugin, "name").unwrap_or("(unnamed)"));
            for key in DECK_ONLY_PLUGIN_KEYS {
                if plugin.get(key).is_some() {
                    self.report.flag(
                        Case::DeckOnlyKey,
                        "plugin",
                        &name,
                        None,
                        self.at(&format!("{pointer}/{key}")),
                        format!("plugin {key} is decK/Enterprise only: Kong OSS DB-less refuses it (kong/db/schema/entities/plugins.lua has no such field)"),
                    );
                }
            }
            let mut hits: Vec<(String, String, String)> = Vec::new();
            if let Some(config) = plugin.get("config") {
                strings_in(config, "config", &mut |field, value| {
                    let plain = value.to_ascii_lowercase().replace("\\.", ".");
                    for (host, api) in &legacy_hosts {
                        if plain.contains(host.as_str()) {
                            hits.push((field.to_owned(), host.clone(), api.clone()));
                        }
                    }
                });
            }
            for (field, host, api) in hits {
                self.report.flag(
                    Case::PluginNamesLegacyHost,
                    "plugin",
                    &name,
                    Some(&api),
                    self.at(&format!("{pointer}/{}", field.replace('.', "/"))),
                    format!(
                        "{field} names the legacy host {host}: the same plugin now also runs on the short domain and the long host (add those, e.g. to CORS origins), and after the move clients come from there"
                    ),
                );
            }
            if text(&plugin, "name") == Some("request-transformer") {
                for op in ["add", "replace", "append", "rename"] {
                    let headers = plugin
                        .pointer(&format!("/config/{op}/headers"))
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    for header in headers.iter().filter_map(Value::as_str) {
                        if header.to_ascii_lowercase().starts_with("host:") {
                            self.report.flag(
                                Case::PluginSetsHost,
                                "plugin",
                                &name,
                                None,
                                self.at(&format!("{pointer}/config/{op}/headers")),
                                format!("{op}.headers {header:?} sets the upstream Host (also the TLS SNI); the filters set it to the long host too, and whichever runs last wins: remove it or check the new upstream expects it"),
                            );
                        }
                    }
                }
            }
        }
    }

    /// HTTPS for an API whose short or long host no certificate covers.
    fn check_certificates(&mut self) {
        let mut snis: Vec<String> = Vec::new();
        for certificate in list_of(&self.dump.document, "certificates") {
            for sni in list(&certificate, "snis") {
                match sni {
                    Value::String(name) => snis.push(name.to_ascii_lowercase()),
                    other => snis.extend(text(other, "name").map(str::to_ascii_lowercase)),
                }
            }
        }
        for sni in list_of(&self.dump.document, "snis") {
            snis.extend(text(&sni, "name").map(str::to_ascii_lowercase));
        }
        if snis.is_empty() {
            return;
        }
        let covers = |host: &str| {
            snis.iter()
                .any(|sni| sni == host || wildcard_covers_one_label(sni, host))
        };
        // Host -> the APIs whose legacy hosts have a certificate, but not this new host.
        let mut uncovered: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for api in self.map.apis() {
            if !api.legacy_hosts().iter().any(|legacy| covers(legacy)) {
                continue;
            }
            for host in [self.map.short_host(), api.long_host()] {
                if !covers(host) {
                    uncovered
                        .entry(host.to_owned())
                        .or_default()
                        .push(api.name());
                }
            }
        }
        for (host, apis) in uncovered {
            let api = (apis.len() == 1).then(|| apis.first().copied()).flatten();
            self.report.flag(
                Case::CertificateNotCovering,
                "certificate",
                &host,
                api,
                self.at("/certificates"),
                format!("the legacy hosts of {} are served over HTTPS with a certificate of the dump, but no certificate's SNIs cover {host}: HTTPS clients there get Kong's default certificate; add a certificate (or an SNI) for it", apis.join(", ")),
            );
        }
    }

    /// Consumers, upstreams, certificates and every other list: carried as read.
    fn report_other_entities(&mut self) {
        let document = self.dump.document.clone();
        for (key, value) in &document {
            if matches!(key.as_str(), "services" | "routes" | "plugins") || key.starts_with('_') {
                continue;
            }
            let Value::Array(items) = value else { continue };
            let kind = key.strip_suffix('s').unwrap_or(key);
            for (index, item) in items.iter().enumerate() {
                let name = label(item)
                    .or_else(|| text(item, "target"))
                    .map_or_else(|| format!("{key}[{index}]"), str::to_owned);
                let details: Vec<String> = item
                    .as_object()
                    .map(|object| {
                        object
                            .iter()
                            .filter_map(|(child, value)| {
                                value
                                    .as_array()
                                    .filter(|items| {
                                        !items.is_empty() && items.iter().all(Value::is_object)
                                    })
                                    .map(|items| format!("{} {child}", items.len()))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                self.report.entity(
                    kind,
                    &name,
                    Action::Carried,
                    None,
                    self.at(&format!("/{key}/{index}")),
                    details,
                );
            }
        }
    }
}

/// Plugin keys decK writes that Kong 3.9 OSS refuses (notes §4.5).
const DECK_ONLY_PLUGIN_KEYS: [&str; 6] = [
    "_config",
    "consumer_group",
    "ordering",
    "partials",
    "condition",
    "run_on",
];

/// The short-domain path of a legacy path, behind the API prefix: a prefix path keeps its
/// prefix semantics as an unanchored-at-the-end regex (Kong anchors the start), a regex is
/// wrapped in a group (`~/api01(?:<regex>)`).
fn short_path(prefix: &str, path: &str) -> String {
    match path.strip_prefix('~') {
        Some(regex) => format!("~{}(?:{regex})", regex::escape(prefix)),
        None => format!("~{}{}", regex::escape(prefix), regex::escape(path)),
    }
}

/// Whether a route's wildcard host (`*.example.com`, `example.*`) matches `host` as Kong does
/// (notes §2.2: `*.a.com` is `ends_with(".a.com")`).
fn wildcard_covers(pattern: &str, host: &str) -> bool {
    if let Some(suffix) = pattern.strip_prefix('*') {
        host.len() > suffix.len() && host.ends_with(suffix)
    } else if let Some(prefix) = pattern.strip_suffix('*') {
        host.len() > prefix.len() && host.starts_with(prefix)
    } else {
        false
    }
}

/// Whether a certificate SNI covers `host`: exact, or a wildcard for one label.
fn wildcard_covers_one_label(sni: &str, host: &str) -> bool {
    if let Some(suffix) = sni.strip_prefix("*.") {
        host.split_once('.').is_some_and(|(_, rest)| rest == suffix)
    } else if let Some(prefix) = sni.strip_suffix(".*") {
        host.rsplit_once('.')
            .is_some_and(|(rest, _)| rest == prefix)
    } else {
        false
    }
}

fn list_of(document: &Map<String, Value>, key: &str) -> Vec<Value> {
    document
        .get(key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn put_list(document: &mut Map<String, Value>, key: &str, items: Vec<Value>) {
    if items.is_empty() {
        document.remove(key);
    } else {
        document.insert(key.to_owned(), Value::Array(items));
    }
}

fn route_label(route: &Value) -> &str {
    label(route).unwrap_or("(unnamed route)")
}

fn reference_text(reference: &Value) -> String {
    match reference {
        Value::String(text) => text.clone(),
        other => label(other).unwrap_or("?").to_owned(),
    }
}

fn describe_plugin(plugin: &Value) -> String {
    let name = text(plugin, "name").unwrap_or("(unnamed)");
    let scope: Vec<String> = ["service", "route", "consumer"]
        .iter()
        .filter_map(|key| {
            plugin
                .get(*key)
                .map(|r| format!("{key} {}", reference_text(r)))
        })
        .collect();
    if scope.is_empty() {
        format!("{name} (global)")
    } else {
        format!("{name} ({})", scope.join(", "))
    }
}

fn chain_names(chain: &Value) -> String {
    list(chain, "filters")
        .iter()
        .filter_map(|filter| text(filter, "name"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The URL a service sends to, from `url` or its parts.
fn service_url_of(service: &Value) -> String {
    if let Some(url) = text(service, "url") {
        return url.to_owned();
    }
    let protocol = text(service, "protocol").unwrap_or("http");
    let host = text(service, "host").unwrap_or_default();
    let port = service.get("port").and_then(Value::as_u64);
    let path = text(service, "path").unwrap_or_default();
    let default_port = if protocol == "https" { 443 } else { 80 };
    match port {
        Some(port) if port != default_port => format!("{protocol}://{host}:{port}{path}"),
        _ => format!("{protocol}://{host}{path}"),
    }
}

/// Calls `visit(field path, string)` for every string under `value`.
fn strings_in(value: &Value, path: &str, visit: &mut dyn FnMut(&str, &str)) {
    match value {
        Value::String(text) => visit(path, text),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                strings_in(item, &format!("{path}.{index}"), visit);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                strings_in(item, &format!("{path}.{key}"), visit);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_paths_keep_prefix_and_regex_semantics_behind_the_api_prefix() {
        assert_eq!(short_path("/api01", "/v1"), "~/api01/v1");
        assert_eq!(short_path("/api01", "/v1.0/x"), "~/api01/v1\\.0/x");
        assert_eq!(
            short_path("/api01", "~/users/\\d+|/u"),
            "~/api01(?:/users/\\d+|/u)"
        );
        assert!(wildcard_covers("*.source.example", "api01.source.example"));
        assert!(!wildcard_covers("*.source.example", "source.example"));
        assert!(wildcard_covers_one_label("*.example.com", "a.example.com"));
        assert!(!wildcard_covers_one_label(
            "*.example.com",
            "a.b.example.com"
        ));
    }
}
