//! Renders `e2e/nginx/kong-proxy.conf` — Kong 3.9.3's proxy server as ngx_wasm_module runs it — into the nginx
//! config one test (or one benchmark run) uses.
//!
//! Like the Envoy rendering ([`crate::config`]) the step is small and checked: it fills the template's
//! placeholders (ports, paths, log level, the `wasm{}` modules, the router's Host → route map) and writes the
//! template's route block once per filter chain, with one `proxy_wasm <filter> '<map>'` line per filter. Which
//! filters: [`Layout`] — the chains `kong/kong-chains.yml` attaches to its routes ([`crate::kong_routes`]), or
//! `kdp_migrate` alone on every route, or a given chain, or none. Every filter gets the given map (in `kong-chains.yml`
//! each one carries the seed map). A placeholder the template lacks, or one left over, is an error.

use crate::error::{Context, Error, Result};
use crate::kong_routes::KongRoute;
use crate::native_routes::{NativeLegacy, NativeRoutes};
use kdp_migrate_core::filters;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The combined filter.
pub const COMBINED: &str = filters::KDP_MIGRATE;

const BLOCK_BEGIN: &str = "#>route\n";
const BLOCK_END: &str = "#<route\n";

/// Which filters each route runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// Each route's chain, as `kong/kong-chains.yml` attaches it.
    Routes,
    /// `kdp_migrate` alone on every route.
    Combined,
    /// These filters, in this order, on every route.
    Chain(Vec<String>),
    /// No filter: Kong's proxy path alone.
    Plain,
    /// No filter; nginx itself doing the routing job of the map (the benchmarks' native baseline,
    /// [`NativeRoutes`]): on the short host the prefix is stripped and `$upstream_host`,
    /// `$upstream_uri` and `$upstream_x_forwarded_host/_prefix` are set, an unknown prefix gets a 404; a
    /// legacy host answers `return 308` with `Cache-Control` (or, for `action: proxy`, sets the long host);
    /// long hosts pass.
    Native,
}

impl Layout {
    /// The filters this layout runs on `route`.
    pub fn filters(&self, route: &KongRoute) -> Vec<String> {
        match self {
            Layout::Routes => route.filters.clone(),
            Layout::Combined => vec![COMBINED.to_string()],
            Layout::Chain(filters) => filters.clone(),
            Layout::Plain | Layout::Native => Vec::new(),
        }
    }
}

/// What to put into the template.
#[derive(Debug, Clone)]
pub struct Render {
    /// The proxy listener's port (on 127.0.0.1).
    pub listener_port: u16,
    /// The upstream's port (on 127.0.0.1): every service of `kong-chains.yml` is sent there.
    pub upstream_port: u16,
    /// nginx's working folder: pid file and temporary files (it must exist).
    pub prefix: PathBuf,
    /// The error log, where the telemetry lines go.
    pub error_log: PathBuf,
    /// The error log's level (`info` shows the telemetry lines).
    pub log_level: String,
    /// Directory holding `<filter>.wasm`.
    pub filters_dir: PathBuf,
    /// The migration map (JSON text), given to every filter.
    pub map: String,
    /// Which filters run.
    pub layout: Layout,
    /// A Wasmtime cache config file (TOML, [`wasmtime_cache_config`]); `None` compiles every module at start-up.
    pub wasmtime_cache: Option<PathBuf>,
    /// Wasmtime config flags, (name, value) as ngx_wasm_module's `flag` directive takes them (e.g. `profiler`,
    /// `perfmap` for profiling with `perf`).
    pub wasmtime_flags: Vec<(String, String)>,
}

/// A Wasmtime cache config (TOML) keeping compiled modules in `dir`, as Kong 3.8+ writes one.
pub fn wasmtime_cache_config(dir: &Path) -> Result<String> {
    let dir = dir
        .to_str()
        .filter(|d| !d.contains('\''))
        .ok_or_else(|| Error::new(format!("{}: not a plain UTF-8 path", dir.display())))?;
    Ok(format!("[cache]\nenabled = true\ndirectory = '{dir}'\n"))
}

/// Renders `template` for `routes` with these settings.
pub fn render(template: &str, routes: &[KongRoute], settings: &Render) -> Result<String> {
    let log_levels = [
        "debug", "info", "notice", "warn", "error", "crit", "alert", "emerg",
    ];
    if !log_levels.contains(&settings.log_level.as_str()) {
        return Err(Error::new(format!(
            "log level {:?} is not an nginx level",
            settings.log_level
        )));
    }
    let (head, rest) = template
        .split_once(BLOCK_BEGIN)
        .ok_or_else(|| Error::new("the template has no `#>route` line"))?;
    let (block, tail) = rest
        .split_once(BLOCK_END)
        .ok_or_else(|| Error::new("the template has no `#<route` line"))?;

    let native = match settings.layout {
        Layout::Native => {
            let map: serde_json::Value = serde_json::from_str(&settings.map).context("the map")?;
            Some(NativeRoutes::from_map(&map)?)
        }
        _ => None,
    };
    // One location per distinct body (a filter chain, or the native directives), in the order routes first use
    // it; each host goes to its route's location.
    let mut chains: Vec<(Body, Vec<&str>)> = Vec::new();
    let mut hosts: Vec<(&str, usize, &str)> = Vec::new();
    for route in routes {
        let body = match &native {
            Some(native) => Body::Native(native_directives(native, route)?),
            None => Body::Filters(settings.layout.filters(route)),
        };
        let index = match chains.iter().position(|(b, _)| *b == body) {
            Some(index) => index,
            None => {
                chains.push((body, Vec::new()));
                chains.len() - 1
            }
        };
        if let Some((_, names)) = chains.get_mut(index) {
            names.push(&route.name);
        }
        for host in &route.hosts {
            match hosts.iter().find(|(h, _, _)| h == host) {
                Some((_, other, other_route)) if *other != index => {
                    return Err(Error::new(format!(
                        "routes {other_route} and {} share host {host} with different filter chains; the nginx \
                         layout routes by Host only",
                        route.name
                    )));
                }
                Some(_) => {}
                None => hosts.push((host, index, &route.name)),
            }
        }
    }

    let mut modules: Vec<&str> = Vec::new();
    for filter in chains.iter().flat_map(|(body, _)| body.filters()) {
        if !modules.contains(&filter.as_str()) {
            modules.push(filter);
        }
    }
    let mut wasm = String::new();
    for module in &modules {
        let file = settings.filters_dir.join(format!("{module}.wasm"));
        let _ = writeln!(wasm, "    module {module} {};", quote_path(&file)?);
    }
    let mut wasmtime = Vec::new();
    if let Some(file) = &settings.wasmtime_cache {
        wasmtime.push(format!("cache_config {};", quote_path(file)?));
    }
    for (name, value) in &settings.wasmtime_flags {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(Error::new(format!(
                "Wasmtime flag {name:?}: not a flag name"
            )));
        }
        wasmtime.push(format!("flag {name} {};", quote(value)));
    }
    if wasmtime.is_empty() {
        wasm.push_str("    # no Wasmtime cache");
    } else {
        let _ = write!(wasm, "    wasmtime {{ {} }}", wasmtime.join(" "));
    }
    let wasm = wasm.trim_end().to_string();

    let mut router = String::new();
    for (host, index, _) in &hosts {
        if host.is_empty()
            || !host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        {
            return Err(Error::new(format!("host {host:?}: not a plain DNS name")));
        }
        // Kong compares the Host header as sent, port split off (Kong/kong#14198: not case-insensitive).
        let _ = writeln!(
            router,
            "        \"~^{}(?::[0-9]+)?$\" {};",
            host.replace('.', "\\."),
            location(*index)
        );
    }
    let router = router.trim_end().to_string();

    let outer = format!("{head}{tail}");
    for name in [
        "@PREFIX@",
        "@ERROR_LOG@",
        "@LOG_LEVEL@",
        "@WASM@",
        "@ROUTER@",
        "@UPSTREAM_PORT@",
        "@LISTEN_PORT@",
    ] {
        if !outer.contains(name) {
            return Err(Error::new(format!("the template has no {name}")));
        }
    }
    for name in ["@ABOUT@", "@LOCATION@", "@FILTERS@"] {
        if !block.contains(name) {
            return Err(Error::new(format!(
                "the template's route block has no {name}"
            )));
        }
    }
    let fill = |text: &str| -> Result<String> {
        let mut out = text.to_string();
        for (name, value) in [
            ("@PREFIX@", plain_path(&settings.prefix)?),
            ("@ERROR_LOG@", quote_path(&settings.error_log)?),
            ("@LOG_LEVEL@", settings.log_level.clone()),
            ("@WASM@", wasm.clone()),
            ("@ROUTER@", router.clone()),
            ("@UPSTREAM_PORT@", settings.upstream_port.to_string()),
            ("@LISTEN_PORT@", settings.listener_port.to_string()),
        ] {
            out = out.replace(name, &value);
        }
        leftover(&out)?;
        Ok(out)
    };
    let head = fill(head)?;
    let tail = fill(tail)?;

    let mut out = head;
    for (index, (body, route_names)) in chains.iter().enumerate() {
        let about = format!(
            "Routes {}: {}.",
            route_names.join(", "),
            match body {
                Body::Filters(filters) if filters.is_empty() => "no filter".to_string(),
                Body::Filters(filters) => format!("filters {}", filters.join(", ")),
                Body::Native(_) => "no filter, nginx does the job (native baseline)".to_string(),
            }
        );
        let text = block
            .replace("@ABOUT@", &about)
            .replace("@LOCATION@", &location(index));
        leftover(&text.replace("@FILTERS@", ""))?;
        let lines = match body {
            Body::Filters(filters) => filters
                .iter()
                .map(|f| format!("            proxy_wasm {f} {};", quote(&settings.map)))
                .collect::<Vec<_>>()
                .join("\n"),
            Body::Native(directives) => directives.trim_end().to_string(),
        };
        out.push_str(&text.replace("@FILTERS@", &lines));
    }
    out.push_str(&tail);
    Ok(out)
}

/// What a route's location runs where the template says `@FILTERS@`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Body {
    /// These filters, one `proxy_wasm` line each.
    Filters(Vec<String>),
    /// nginx directives doing the route's job ([`Layout::Native`]).
    Native(String),
}

impl Body {
    fn filters(&self) -> &[String] {
        match self {
            Body::Filters(filters) => filters,
            Body::Native(_) => &[],
        }
    }
}

/// The nginx directives doing `route`'s job under `native`, by the entry its hosts are: the short host strips the
/// API's prefix (longest first, on a segment boundary) and sets Kong's upstream variables, or answers 404; a
/// legacy host redirects (or sets the long host); any other host passes. They follow the template's `set
/// $upstream_*` lines, so they override what Kong's access phase put there.
fn native_directives(native: &NativeRoutes, route: &KongRoute) -> Result<String> {
    let short = route.hosts.contains(&native.short_host);
    let legacy = route.hosts.iter().find_map(|h| native.legacy_api(h));
    let mut out = String::new();
    match (short, legacy) {
        (true, None) => {
            let _ = writeln!(out, "            set $kong_native_api '';");
            for api in native.by_longest_prefix() {
                let prefix = plain_value(&api.prefix)?;
                // `/api01`, `/api01/…` and `/api01?…`, never `/api010`: the rest of the path is $1, the query $2.
                let _ = writeln!(
                    out,
                    "            if ($request_uri ~ \"^{}(?:/([^?]*))?(\\?.*)?$\") {{",
                    regex_escape(prefix)
                );
                let _ = writeln!(
                    out,
                    "                set $kong_native_api {};",
                    plain_value(&api.name)?
                );
                let _ = writeln!(out, "                set $upstream_uri /$1$2;");
                let _ = writeln!(
                    out,
                    "                set $upstream_host {};",
                    plain_value(&api.long_host)?
                );
                let _ = writeln!(
                    out,
                    "                set $upstream_x_forwarded_host {};",
                    plain_value(&native.short_host)?
                );
                let _ = writeln!(
                    out,
                    "                set $upstream_x_forwarded_prefix {prefix};"
                );
                let _ = writeln!(out, "            }}");
            }
            let _ = writeln!(out, "            if ($kong_native_api = '') {{");
            let _ = writeln!(
                out,
                "                return 404 '{{\"error\":\"no_api\"}}';"
            );
            let _ = writeln!(out, "            }}");
        }
        (false, Some(api)) => match &api.legacy {
            NativeLegacy::Redirect(redirect) => {
                let _ = writeln!(
                    out,
                    "            add_header Cache-Control {} always;",
                    plain_value(&redirect.cache_control)?
                );
                let _ = writeln!(
                    out,
                    "            return {} {}://{}{}$request_uri;",
                    redirect.status,
                    plain_value(&redirect.scheme)?,
                    plain_value(&redirect.host)?,
                    plain_value(&redirect.prefix)?
                );
            }
            NativeLegacy::Proxy => {
                let _ = writeln!(
                    out,
                    "            set $upstream_host {};",
                    plain_value(&api.long_host)?
                );
            }
        },
        (false, None) => {}
        (true, Some(api)) => {
            return Err(Error::new(format!(
                "route {}: names the short host and a legacy host of {}",
                route.name, api.name
            )));
        }
    }
    Ok(out)
}

/// `text` as an unquoted nginx value: only characters that need no quoting or escaping.
fn plain_value(text: &str) -> Result<&str> {
    if text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~/=".contains(&b))
    {
        Ok(text)
    } else {
        Err(Error::new(format!("{text:?}: not a plain nginx value")))
    }
}

/// `text` (a [`plain_value`]) as a literal in a PCRE pattern.
fn regex_escape(text: &str) -> String {
    text.replace('.', "\\.")
}

/// The named location of chain `index`.
fn location(index: usize) -> String {
    format!("kong_chain_{}", index + 1)
}

/// An error naming any `@NAME@` placeholder left in `text`.
fn leftover(text: &str) -> Result<()> {
    let mut rest = text;
    while let Some(at) = rest.find('@') {
        let after = rest.get(at + 1..).unwrap_or("");
        let name_len = after
            .bytes()
            .take_while(|b| b.is_ascii_uppercase() || *b == b'_')
            .count();
        if name_len > 0 && after.as_bytes().get(name_len) == Some(&b'@') {
            return Err(Error::new(format!(
                "the template's placeholder @{}@ is not rendered",
                after.get(..name_len).unwrap_or("")
            )));
        }
        rest = after;
    }
    Ok(())
}

/// `text` as one nginx token in single quotes (nginx unescapes `\\` and `\'` there).
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A path the template joins with more text (`@PREFIX@/nginx.pid`), so it cannot be quoted: it must not need to be.
fn plain_path(path: &Path) -> Result<String> {
    path.to_str()
        .filter(|p| {
            !p.is_empty()
                && !p.contains(|c: char| {
                    c.is_whitespace()
                        || matches!(c, '\'' | '"' | ';' | '{' | '}' | '$' | '#' | '\\')
                })
        })
        .map(str::to_string)
        .ok_or_else(|| {
            Error::new(format!(
                "{}: nginx's prefix must be a plain path",
                path.display()
            ))
        })
}

fn quote_path(path: &Path) -> Result<String> {
    path.to_str()
        .map(quote)
        .ok_or_else(|| Error::new(format!("{}: not UTF-8", path.display())))
}
