//! Renders `envoy/envoy.yaml` — the bootstrap users start from — into the config one Envoy runs.
//!
//! The templating step is deliberately small, so that what the tests run is the shipped file. It changes only:
//!
//! 1. the socket addresses: admin, the listener, and the `upstream` cluster's one endpoint (all `127.0.0.1`, with
//!    the ports given);
//! 2. the `kdp_migrate` Wasm filter entry in `http_filters`: its `filename` (in [`Render::filters_dir`]) and its
//!    `configuration.value` (the map);
//! 3. the filter layout ([`Layout`]): keep that entry (combined), replace it by one copy per separate filter
//!    (chain; each copy gets the filter's name as `name`, `root_id`, `vm_id` and file), remove it (plain proxy), or
//!    remove it and replace the route table with Envoy-native routes doing the same job (benchmark baseline);
//! 4. on request ([`Render::access_log`]): the access log of `envoy/access-log.yaml` (the telemetry record's
//!    `filter_state` sink), appended to the connection manager's `access_log` list with its `path` changed.
//!
//! Anything else in the template that this step relies on and does not find is an error, so a change to
//! `envoy/envoy.yaml` that breaks the tests' assumptions fails loudly here.

use crate::error::{Context, Error, Result};
use crate::native_routes::{NativeLegacy, NativeRoutes};
use kdp_migrate_core::filters;
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

/// The separate filters, in chain order: telemetry first (it sees every request), then the legacy redirects,
/// the host rewrite, and the short-domain router.
pub const CHAIN: [&str; 4] = filters::SEPARATE;

/// The combined filter's name (its `.wasm` file name and its entry name in the template).
pub const COMBINED: &str = filters::KDP_MIGRATE;

/// Which filters sit in front of the router.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// The combined `kdp_migrate` filter, as in the template.
    Combined,
    /// These separate filters, in this order, each configured with the same map.
    Chain(Vec<String>),
    /// No Wasm filter: Envoy as a plain proxy.
    Plain,
    /// No Wasm filter; Envoy-native routes doing the routing job of the map (`prefix_rewrite` +
    /// `host_rewrite_literal` for the short host, `redirect` routes for legacy hosts).
    Native,
}

impl Layout {
    /// The four separate filters in [`CHAIN`] order.
    pub fn full_chain() -> Layout {
        Layout::Chain(CHAIN.iter().map(|f| (*f).to_string()).collect())
    }

    /// The `.wasm` files this layout loads (by filter name).
    pub fn filters(&self) -> Vec<String> {
        match self {
            Layout::Combined => vec![COMBINED.to_string()],
            Layout::Chain(filters) => filters.clone(),
            Layout::Plain | Layout::Native => Vec::new(),
        }
    }
}

/// What to put into the template.
#[derive(Debug, Clone)]
pub struct Render {
    /// Admin interface port (on 127.0.0.1).
    pub admin_port: u16,
    /// Listener port (on 127.0.0.1).
    pub listener_port: u16,
    /// The upstream endpoint's port (on 127.0.0.1).
    pub upstream_port: u16,
    /// Directory holding `<filter>.wasm`.
    pub filters_dir: PathBuf,
    /// The migration map (JSON text), put into each Wasm filter's `configuration.value`.
    pub map: String,
    /// The filter layout.
    pub layout: Layout,
    /// Add `envoy/access-log.yaml`'s access log, writing to this file.
    pub access_log: Option<PathBuf>,
}

/// Loads a YAML (or JSON) Envoy bootstrap as a JSON value.
pub fn load_template(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).context(path.display())?;
    let value: Value = serde_saphyr::from_str(&text).context(path.display())?;
    Ok(value)
}

/// The map embedded in the template's `kdp_migrate` entry (`configuration.value`).
pub fn template_map(template: &Value) -> Result<String> {
    let mut copy = template.clone();
    let entry = combined_entry(&mut copy)?;
    let value = at(entry, "/typed_config/config/configuration/value")?;
    value
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| Error::new("the kdp_migrate entry's configuration.value is not a string"))
}

/// Renders the template with these settings.
pub fn render(template: &Value, settings: &Render) -> Result<Value> {
    let mut config = template.clone();
    set_address(
        &mut config,
        "/admin/address/socket_address",
        settings.admin_port,
    )?;
    set_address(
        &mut config,
        "/static_resources/listeners/0/address/socket_address",
        settings.listener_port,
    )?;
    let endpoints = at(
        &mut config,
        "/static_resources/clusters/0/load_assignment/endpoints/0/lb_endpoints",
    )?;
    let endpoints = endpoints
        .as_array_mut()
        .ok_or_else(|| Error::new("the upstream cluster's lb_endpoints is not a list"))?;
    if endpoints.len() != 1 {
        return Err(Error::new(
            "the upstream cluster must have exactly one endpoint",
        ));
    }
    for endpoint in endpoints.iter_mut() {
        set_address(
            endpoint,
            "/endpoint/address/socket_address",
            settings.upstream_port,
        )?;
    }

    let hcm = at(
        &mut config,
        "/static_resources/listeners/0/filter_chains/0/filters/0/typed_config",
    )?;
    let filters = at(hcm, "/http_filters")?
        .as_array_mut()
        .ok_or_else(|| Error::new("http_filters is not a list"))?;
    let index = filters
        .iter()
        .position(is_combined_entry)
        .ok_or_else(|| Error::new("no `kdp_migrate` Wasm filter in http_filters"))?;
    let mut entry = filters.remove(index);
    *at(&mut entry, "/typed_config/config/configuration/value")? =
        Value::String(settings.map.clone());
    let replacement = match &settings.layout {
        Layout::Combined => vec![with_filter(&entry, COMBINED, &settings.filters_dir)?],
        Layout::Chain(names) => names
            .iter()
            .map(|name| with_filter(&entry, name, &settings.filters_dir))
            .collect::<Result<Vec<_>>>()?,
        Layout::Plain | Layout::Native => Vec::new(),
    };
    for (offset, filter) in replacement.into_iter().enumerate() {
        filters.insert(index + offset, filter);
    }

    if let Some(path) = &settings.access_log {
        let mut access_log = load_template(&crate::paths::envoy_access_log())?;
        *at(&mut access_log, "/typed_config/path")? = Value::String(path.display().to_string());
        let hcm = hcm
            .as_object_mut()
            .ok_or_else(|| Error::new("the http_connection_manager config is not an object"))?;
        let list = hcm.entry("access_log").or_insert_with(|| json!([]));
        list.as_array_mut()
            .ok_or_else(|| Error::new("access_log is not a list"))?
            .push(access_log);
    }

    if settings.layout == Layout::Native {
        let map: Value = serde_json::from_str(&settings.map).context("the map")?;
        let virtual_hosts = native_virtual_hosts(&map)?;
        *at(hcm, "/route_config/virtual_hosts")? = Value::Array(virtual_hosts);
    }
    Ok(config)
}

/// Envoy-native routes doing the routing job of a map, for the benchmark's baseline (b), from
/// [`NativeRoutes`].
///
/// Per API: on the short host, `prefix: "<prefix>/"` and `path: "<prefix>"` → `prefix_rewrite: "/"` +
/// `host_rewrite_literal: <long host>` + `X-Forwarded-Host`/`-Prefix`; a 404 for the rest of the short host; on
/// each legacy host a `redirect` route (status, scheme, target short or long, `Cache-Control` as the filter
/// sends it) or, for `action: proxy`, a route with `host_rewrite_literal`. Everything else is proxied unchanged.
pub fn native_virtual_hosts(map: &Value) -> Result<Vec<Value>> {
    let native = NativeRoutes::from_map(map)?;
    let short_host = native.short_host.as_str();
    let mut routes = Vec::new();
    // Longest prefix first, as the filter matches.
    for api in native.by_longest_prefix() {
        let forward = json!({
            "cluster": "upstream",
            "prefix_rewrite": "/",
            "host_rewrite_literal": api.long_host,
        });
        let add = json!([
            {"header": {"key": "x-forwarded-host", "value": short_host}, "append_action": "OVERWRITE_IF_EXISTS_OR_ADD"},
            {"header": {"key": "x-forwarded-prefix", "value": api.prefix}, "append_action": "OVERWRITE_IF_EXISTS_OR_ADD"},
        ]);
        routes.push(json!({"match": {"prefix": format!("{}/", api.prefix)}, "route": forward, "request_headers_to_add": add}));
        routes.push(
            json!({"match": {"path": api.prefix}, "route": forward, "request_headers_to_add": add}),
        );
    }
    routes.push(json!({
        "match": {"prefix": "/"},
        "direct_response": {"status": 404, "body": {"inline_string": "{\"error\":\"no api\"}"}},
    }));

    let mut vhosts = vec![json!({"name": "short", "domains": [short_host], "routes": routes})];
    for (i, api) in native.apis.iter().enumerate() {
        if api.legacy_hosts.is_empty() {
            continue;
        }
        let route = envoy_legacy_route(&api.legacy, &api.long_host)
            .map_err(|e| e.context(format!("apis[{i}].legacy")))?;
        vhosts.push(json!({
            "name": format!("legacy_{}", api.name),
            "domains": api.legacy_hosts,
            "routes": [route],
        }));
    }
    vhosts.push(json!({
        "name": "all",
        "domains": ["*"],
        "routes": [{"match": {"prefix": "/"}, "route": {"cluster": "upstream"}}],
    }));
    Ok(vhosts)
}

fn envoy_legacy_route(legacy: &NativeLegacy, long_host: &str) -> Result<Value> {
    match legacy {
        NativeLegacy::Proxy => Ok(json!({
            "match": {"prefix": "/"},
            "route": {"cluster": "upstream", "host_rewrite_literal": long_host},
        })),
        NativeLegacy::Redirect(redirect) => {
            let mut fields = Map::new();
            fields.insert("scheme_redirect".into(), json!(redirect.scheme));
            fields.insert("response_code".into(), json!(redirect.envoy_code()?));
            fields.insert("host_redirect".into(), json!(redirect.host));
            if !redirect.prefix.is_empty() {
                fields.insert(
                    "prefix_rewrite".into(),
                    json!(format!("{}/", redirect.prefix)),
                );
            }
            Ok(json!({
                "match": {"prefix": "/"},
                "redirect": fields,
                "response_headers_to_add": [
                    {"header": {"key": "cache-control", "value": redirect.cache_control},
                     "append_action": "OVERWRITE_IF_EXISTS_OR_ADD"},
                ],
            }))
        }
    }
}

fn is_combined_entry(filter: &Value) -> bool {
    filter.get("name").and_then(Value::as_str) == Some(COMBINED)
        && filter
            .pointer("/typed_config/@type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.ends_with("envoy.extensions.filters.http.wasm.v3.Wasm"))
}

fn combined_entry(config: &mut Value) -> Result<&mut Value> {
    let filters = at(
        config,
        "/static_resources/listeners/0/filter_chains/0/filters/0/typed_config/http_filters",
    )?
    .as_array_mut()
    .ok_or_else(|| Error::new("http_filters is not a list"))?;
    filters
        .iter_mut()
        .find(|f| is_combined_entry(f))
        .ok_or_else(|| Error::new("no `kdp_migrate` Wasm filter in http_filters"))
}

/// The template's filter entry, renamed to `name` and loading `<dir>/<name>.wasm`.
fn with_filter(entry: &Value, name: &str, dir: &Path) -> Result<Value> {
    let mut entry = entry.clone();
    let file = dir.join(format!("{name}.wasm"));
    let file = file
        .to_str()
        .ok_or_else(|| Error::new(format!("{}: not UTF-8", file.display())))?
        .to_string();
    *at(&mut entry, "/name")? = json!(name);
    *at(&mut entry, "/typed_config/config/name")? = json!(name);
    *at(&mut entry, "/typed_config/config/root_id")? = json!(name);
    *at(&mut entry, "/typed_config/config/vm_config/vm_id")? = json!(name);
    *at(
        &mut entry,
        "/typed_config/config/vm_config/code/local/filename",
    )? = json!(file);
    Ok(entry)
}

fn set_address(config: &mut Value, pointer: &str, port: u16) -> Result<()> {
    let socket = at(config, pointer)?;
    *at(socket, "/address")? = json!("127.0.0.1");
    *at(socket, "/port_value")? = json!(port);
    Ok(())
}

fn at<'a>(value: &'a mut Value, pointer: &str) -> Result<&'a mut Value> {
    value
        .pointer_mut(pointer)
        .ok_or_else(|| Error::new(format!("envoy/envoy.yaml: nothing at {pointer}")))
}
