//! The routes of `kong/kong-chains.yml` (the declarative config users load into Kong) and the filter chain Kong attaches to
//! each: what the Kong-engine layout runs.
//!
//! Read as Kong 3.9 reads it: a route's chain is its service's `filter_chains` filters, then its own (Kong runs
//! service chains before route chains), without the chains or filters marked `enabled: false`. The nginx layout
//! (`e2e/nginx/kong-proxy.conf`) models what Kong's access phase computes for one kind of route only, so anything
//! else in the file is an error here rather than something silently run differently: a route must name hosts
//! (exact names, no wildcard, no port), have `strip_path: false` and `preserve_host: true`, and its service URL
//! must have no path.

use crate::error::{Context, Error, Result};
use serde_json::Value;
use std::path::Path;

/// One route and the filters Kong runs on its requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KongRoute {
    /// The route's `name`.
    pub name: String,
    /// Its `hosts`, as written (Kong's router compares them with the Host header byte for byte).
    pub hosts: Vec<String>,
    /// The enabled filters, in the order Kong runs them.
    pub filters: Vec<String>,
}

/// Reads the routes of a Kong declarative config (YAML, anchors and aliases resolved).
pub fn load(path: &Path) -> Result<Vec<KongRoute>> {
    let text = std::fs::read_to_string(path).context(path.display())?;
    let config: Value = serde_saphyr::from_str(&text).context(path.display())?;
    routes(&config).map_err(|e| e.context(path.display()))
}

/// The routes of a declarative config already parsed.
pub fn routes(config: &Value) -> Result<Vec<KongRoute>> {
    let mut out = Vec::new();
    for (s, service) in list(config, "services")?.iter().enumerate() {
        let service_name = text(service, "name")?.unwrap_or("?");
        let at = format!("services[{s}] ({service_name})");
        if let Some(url) = text(service, "url")? {
            let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
            if rest.trim_end_matches('/').contains('/') {
                return Err(Error::new(format!(
                    "{at}: url {url:?} has a path; the nginx layout models services without one"
                )));
            }
        }
        if service.get("path").is_some_and(|p| !p.is_null()) {
            return Err(Error::new(format!(
                "{at}: a service path is not modelled by the nginx layout"
            )));
        }
        let service_filters = chain_filters(service).map_err(|e| e.context(&at))?;
        for (r, route) in list(service, "routes")?.iter().enumerate() {
            let name = text(route, "name")?.unwrap_or("?").to_string();
            let at = format!("{at}.routes[{r}] ({name})");
            let hosts: Vec<String> = list(route, "hosts")?
                .iter()
                .map(|h| {
                    h.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| Error::new(format!("{at}: a host is not a string")))
                })
                .collect::<Result<_>>()?;
            if hosts.is_empty() {
                return Err(Error::new(format!(
                    "{at}: no hosts; the nginx layout routes by Host only"
                )));
            }
            if let Some(host) = hosts.iter().find(|h| h.contains(['*', ':'])) {
                return Err(Error::new(format!(
                    "{at}: host {host:?} has a wildcard or a port, which the nginx layout does not route"
                )));
            }
            if route.get("strip_path") != Some(&Value::Bool(false)) {
                return Err(Error::new(format!(
                    "{at}: the nginx layout models strip_path: false only"
                )));
            }
            if route.get("preserve_host") != Some(&Value::Bool(true)) {
                return Err(Error::new(format!(
                    "{at}: the nginx layout models preserve_host: true only"
                )));
            }
            let mut filters = service_filters.clone();
            filters.extend(chain_filters(route).map_err(|e| e.context(&at))?);
            out.push(KongRoute {
                name,
                hosts,
                filters,
            });
        }
    }
    Ok(out)
}

/// The enabled filters of an entity's `filter_chains` (Kong allows one chain per route or service).
fn chain_filters(entity: &Value) -> Result<Vec<String>> {
    let chains = list(entity, "filter_chains")?;
    if chains.len() > 1 {
        return Err(Error::new("more than one filter chain"));
    }
    let mut names = Vec::new();
    for chain in chains.iter().filter(|c| enabled(c)) {
        for (i, filter) in list(chain, "filters")?.iter().enumerate() {
            let name = text(filter, "name")?
                .ok_or_else(|| Error::new(format!("filter_chains[0].filters[{i}]: no name")))?;
            if enabled(filter) {
                names.push(name.to_string());
            }
        }
    }
    Ok(names)
}

fn enabled(entity: &Value) -> bool {
    entity.get("enabled") != Some(&Value::Bool(false))
}

fn list<'a>(value: &'a Value, key: &str) -> Result<&'a [Value]> {
    match value.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(Error::new(format!("{key} is not a list"))),
    }
}

fn text<'a>(value: &'a Value, key: &str) -> Result<Option<&'a str>> {
    match value.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Error::new(format!("{key} is not a string"))),
    }
}
