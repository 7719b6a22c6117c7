//! One test's world: the echo upstream and one gateway in front of it — Envoy rendered from `envoy/envoy.yaml`, or
//! Kong's engine rendered from `e2e/nginx/kong-proxy.conf` with the routes of `kong/kong-chains.yml` — with a given map
//! and filter layout. Dropping it stops the gateway, then the upstream, and removes the scratch directory.

use crate::client::{Request, Response};
use crate::config::{self, Layout, Render};
use crate::echo::{EchoServer, Received};
use crate::envoy::Envoy;
use crate::error::{Context, Error, Result};
use crate::gateway::{Engine, Gateway};
use crate::kong_config;
use crate::kong_routes;
use crate::nginx::Nginx;
use crate::paths;
use crate::ports::free_port;
use crate::work_dir::WorkDir;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How the filters are deployed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The combined `kdp_migrate` filter: Envoy's one filter; in Kong the only filter of every route.
    Combined,
    /// The separate filters. Envoy: all four in one chain (telemetry, legacy_redirect, host_rewrite,
    /// short_domain_router). Kong: the chain `kong/kong-chains.yml` attaches to the request's route.
    Chain,
}

impl Variant {
    /// Envoy's filter layout for this variant.
    pub fn layout(self) -> Layout {
        match self {
            Variant::Combined => Layout::Combined,
            Variant::Chain => Layout::full_chain(),
        }
    }

    /// Kong's filter layout for this variant.
    pub fn kong_layout(self) -> kong_config::Layout {
        match self {
            Variant::Combined => kong_config::Layout::Combined,
            Variant::Chain => kong_config::Layout::Routes,
        }
    }
}

/// What one test runs: an engine and a filter layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setup {
    /// The engine.
    pub engine: Engine,
    /// The filter layout.
    pub variant: Variant,
}

impl Setup {
    /// This engine with this layout.
    pub fn new(engine: Engine, variant: Variant) -> Setup {
        Setup { engine, variant }
    }

    /// The request as it is sent in each protocol the gateway's listener speaks: HTTP/1.1, and on Envoy also h2c.
    /// Kong's plain-text proxy listener speaks HTTP/1.1 only (HTTP/2 is on its TLS listener, not laid out here).
    pub fn each_protocol(self, request: Request) -> Vec<Request> {
        match self.engine {
            Engine::Envoy => vec![request.clone(), request.h2c()],
            Engine::Kong => vec![request],
        }
    }
}

/// The echo upstream and a gateway in front of it. Fields drop in order: the gateway first.
#[derive(Debug)]
pub struct Harness {
    /// The gateway under test.
    pub gateway: Gateway,
    /// The upstream (records every request).
    pub echo: EchoServer,
    /// Configs and logs (kept when the test fails).
    pub dir: WorkDir,
    /// The engine and filter layout.
    pub setup: Setup,
    /// The file of `envoy/access-log.yaml`'s access log, when the harness added it (Envoy only).
    pub access_log: Option<PathBuf>,
}

impl Harness {
    /// Starts the upstream and a gateway with `map` (JSON text).
    pub fn start(setup: Setup, map: &str) -> Result<Harness> {
        Harness::start_with(setup, map, false)
    }

    /// [`Harness::start`] on Envoy, plus the access log of `envoy/access-log.yaml` (the telemetry record's
    /// `filter_state` sink) writing to `access.log` in the scratch directory.
    pub fn start_with_access_log(setup: Setup, map: &str) -> Result<Harness> {
        if setup.engine != Engine::Envoy {
            return Err(Error::new("the access log sink is Envoy's"));
        }
        Harness::start_with(setup, map, true)
    }

    /// [`Harness::start`] with the seed scenario's map (`kong/map.json`).
    pub fn seed(setup: Setup) -> Result<Harness> {
        Harness::start(setup, &paths::seed_map()?)
    }

    fn start_with(setup: Setup, map: &str, access_log: bool) -> Result<Harness> {
        let dir = WorkDir::new(&test_label())?;
        let echo = EchoServer::start(0, true).context("starting the echo upstream")?;
        let access_log = access_log.then(|| dir.path().join("access.log"));
        let gateway = match setup.engine {
            Engine::Envoy => Gateway::Envoy(start_envoy(
                setup.variant,
                map,
                echo.port(),
                &dir,
                access_log.clone(),
            )?),
            Engine::Kong => Gateway::Kong(start_nginx(
                &paths::kong_template(),
                setup.variant.kong_layout(),
                map,
                echo.port(),
                &dir,
                "info",
            )?),
        };
        Ok(Harness {
            gateway,
            echo,
            dir,
            setup,
            access_log,
        })
    }

    /// Sends a request to the gateway's listener.
    pub fn send(&self, request: &Request) -> Result<Response> {
        request.send(self.gateway.listener_port())
    }

    /// A GET over HTTP/1.1.
    pub fn get(&self, host: &str, path: &str) -> Result<Response> {
        self.send(&Request::get(host, path))
    }

    /// Every request the upstream received so far.
    pub fn upstream_requests(&self) -> Vec<Received> {
        self.echo.received()
    }

    /// The Envoy under test (an error on another engine).
    pub fn envoy(&self) -> Result<&Envoy> {
        self.gateway
            .envoy()
            .ok_or_else(|| Error::new("this test needs Envoy"))
    }

    /// The one telemetry record for the request with this Host and path (waits for it; an error if there are
    /// none or several).
    pub fn telemetry_for(&self, host: &str, path: &str) -> Result<Value> {
        let records = self.gateway.wait_telemetry(1, |r| {
            r.get("host").and_then(Value::as_str) == Some(host)
                && r.get("path").and_then(Value::as_str) == Some(path)
        })?;
        match records.as_slice() {
            [one] => Ok(one.clone()),
            more => Err(Error::new(format!(
                "{} telemetry records for {host}{path}, wanted one: {more:?}",
                more.len()
            ))),
        }
    }

    /// Waits (up to 10 s: Envoy writes access logs buffered, the tests' Envoy flushes every 100 ms) until the
    /// access log holds at least `count` lines, and returns them all (after a short grace period, so an extra
    /// line would show too).
    pub fn wait_access_log(&self, count: usize) -> Result<Vec<String>> {
        let path = self
            .access_log
            .as_ref()
            .ok_or_else(|| Error::new("this harness has no access log"))?;
        let read = || {
            std::fs::read_to_string(path)
                .map(|text| text.lines().map(str::to_string).collect::<Vec<_>>())
                .unwrap_or_default()
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while read().len() < count {
            if Instant::now() > deadline {
                return Err(Error::new(format!(
                    "{} access log lines after 10 s, wanted {count}: {:?}",
                    read().len(),
                    read()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(300));
        Ok(read())
    }
}

/// Envoy rendered from `envoy/envoy.yaml`, in front of `upstream_port`.
fn start_envoy(
    variant: Variant,
    map: &str,
    upstream_port: u16,
    dir: &WorkDir,
    access_log: Option<PathBuf>,
) -> Result<Envoy> {
    let bin = paths::envoy_bin()?;
    for filter in variant.layout().filters() {
        paths::filter_wasm(&filter)?;
    }
    let template = config::load_template(&paths::envoy_template())?;
    let mut last = Error::new("not started");
    // A port found free may be taken by a parallel test before the gateway binds it: retry with new ports.
    for attempt in 0..5 {
        let rendered = render_with(&template, variant, map, upstream_port, access_log.clone())?;
        match Envoy::start(&bin, &rendered, dir.path(), &format!("envoy{attempt}")) {
            Ok(envoy) => return Ok(envoy),
            Err(e) if e.to_string().contains("ddress already in use") => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

/// Kong's engine on `template` (`e2e/nginx/kong-proxy.conf` for Kong's layout) with the routes of `kong/kong-chains.yml`,
/// in front of `upstream_port`, its error log at `log_level`.
pub fn start_nginx(
    template: &Path,
    layout: kong_config::Layout,
    map: &str,
    upstream_port: u16,
    dir: &WorkDir,
    log_level: &str,
) -> Result<Nginx> {
    let bin = paths::ngx_wasm_bin()?;
    let mut last = Error::new("not started");
    // A port found free may be taken by a parallel test before nginx binds it: retry with new ports.
    for attempt in 0..5 {
        let name = format!("nginx{attempt}");
        let mut settings = nginx_settings(layout.clone(), map, upstream_port, dir, &name)?;
        log_level.clone_into(&mut settings.log_level);
        let config = render_nginx(template, &settings)?;
        match Nginx::start(
            &bin,
            &config,
            dir.path(),
            &name,
            settings.listener_port,
            &settings.error_log,
        ) {
            Ok(nginx) => return Ok(nginx),
            Err(e) if e.to_string().contains("ddress already in use") => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

/// The settings of an nginx config in `dir`: a free listener port, the error log `<dir>/<name>.log` at `info` (the
/// telemetry lines), the shared Wasmtime cache (its config file written into `dir`). Checks that the layout's
/// filters are built.
pub fn nginx_settings(
    layout: kong_config::Layout,
    map: &str,
    upstream_port: u16,
    dir: &WorkDir,
    name: &str,
) -> Result<kong_config::Render> {
    let routes = kong_routes::load(&paths::kong_chains_yml())?;
    for route in &routes {
        for filter in layout.filters(route) {
            paths::filter_wasm(&filter)?;
        }
    }
    let cache_dir = paths::wasmtime_cache_dir();
    std::fs::create_dir_all(&cache_dir).context(cache_dir.display())?;
    let cache_config = dir.path().join("wasmtime-cache.toml");
    std::fs::write(
        &cache_config,
        kong_config::wasmtime_cache_config(&cache_dir)?,
    )
    .context(cache_config.display())?;
    Ok(kong_config::Render {
        listener_port: free_port()?,
        upstream_port,
        prefix: dir.path().to_path_buf(),
        error_log: dir.path().join(format!("{name}.log")),
        log_level: "info".into(),
        filters_dir: paths::filters_dir(),
        map: map.to_string(),
        layout,
        wasmtime_cache: Some(cache_config),
        wasmtime_flags: Vec::new(),
    })
}

/// `template` rendered with the routes of `kong/kong-chains.yml`.
pub fn render_nginx(template: &Path, settings: &kong_config::Render) -> Result<String> {
    let text = std::fs::read_to_string(template).context(template.display())?;
    let routes = kong_routes::load(&paths::kong_chains_yml())?;
    kong_config::render(&text, &routes, settings).map_err(|e| e.context(template.display()))
}

/// `envoy/envoy.yaml` rendered for this layout and map, with free admin and listener ports and the upstream on
/// `upstream_port`.
pub fn render(variant: Variant, map: &str, upstream_port: u16) -> Result<Value> {
    let template = config::load_template(&paths::envoy_template())?;
    render_with(&template, variant, map, upstream_port, None)
}

fn render_with(
    template: &Value,
    variant: Variant,
    map: &str,
    upstream_port: u16,
    access_log: Option<PathBuf>,
) -> Result<Value> {
    let settings = Render {
        admin_port: free_port()?,
        listener_port: free_port()?,
        upstream_port,
        filters_dir: paths::filters_dir(),
        map: map.to_string(),
        layout: variant.layout(),
        access_log,
    };
    config::render(template, &settings)
}

/// The current test's name (libtest names the thread after it), for the scratch directory.
fn test_label() -> String {
    let thread = std::thread::current();
    let name = thread.name().unwrap_or("e2e");
    if name == "main" {
        // nextest runs each test in its own process, on the main thread.
        std::env::args()
            .skip(1)
            .find(|a| !a.starts_with('-'))
            .unwrap_or_else(|| "e2e".into())
    } else {
        name.to_string()
    }
}
