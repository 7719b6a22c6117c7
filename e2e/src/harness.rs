//! One test's world: the echo upstream and one Envoy in front of it, rendered from `envoy/envoy.yaml` with a
//! given map and filter layout. Dropping it kills Envoy, stops the upstream and removes the scratch directory.

use crate::client::{Request, Response};
use crate::config::{self, Layout, Render};
use crate::echo::{EchoServer, Received};
use crate::envoy::{self, Envoy, WorkDir};
use crate::error::{Context, Error, Result};
use crate::paths;
use serde_json::Value;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How the filters are deployed in Envoy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The combined `kdp_migrate` filter (the recommended deployment on Envoy).
    Combined,
    /// The four separate filters in one chain: telemetry, legacy_redirect, host_rewrite, short_domain_router.
    Chain,
}

impl Variant {
    /// The filter layout in the rendered config.
    pub fn layout(self) -> Layout {
        match self {
            Variant::Combined => Layout::Combined,
            Variant::Chain => Layout::full_chain(),
        }
    }
}

/// The echo upstream and an Envoy in front of it. Fields drop in order: Envoy first.
#[derive(Debug)]
pub struct Harness {
    /// The Envoy under test.
    pub envoy: Envoy,
    /// The upstream (records every request).
    pub echo: EchoServer,
    /// Configs and logs (kept when the test fails).
    pub dir: WorkDir,
    /// The filter layout.
    pub variant: Variant,
    /// The file of `envoy/access-log.yaml`'s access log, when the harness added it.
    pub access_log: Option<PathBuf>,
}

impl Harness {
    /// Starts the upstream and an Envoy rendered from `envoy/envoy.yaml` with `map` (JSON text).
    pub fn start(variant: Variant, map: &str) -> Result<Harness> {
        Harness::start_with(variant, map, false)
    }

    /// [`Harness::start`], plus the access log of `envoy/access-log.yaml` (the telemetry record's
    /// `filter_state` sink) writing to `access.log` in the scratch directory.
    pub fn start_with_access_log(variant: Variant, map: &str) -> Result<Harness> {
        Harness::start_with(variant, map, true)
    }

    fn start_with(variant: Variant, map: &str, access_log: bool) -> Result<Harness> {
        let bin = paths::envoy_bin()?;
        for filter in variant.layout().filters() {
            paths::filter_wasm(&filter)?;
        }
        let dir = WorkDir::new(&test_label())?;
        let echo = EchoServer::start(0, true).context("starting the echo upstream")?;
        let template = config::load_template(&paths::envoy_template())?;
        let access_log = access_log.then(|| dir.path().join("access.log"));
        let mut last = Error::new("not started");
        // A port found free may be taken by a parallel test before Envoy binds it: retry with new ports.
        for attempt in 0..5 {
            let rendered = render_with(&template, variant, map, echo.port(), access_log.clone())?;
            match Envoy::start(&bin, &rendered, dir.path(), &format!("envoy{attempt}")) {
                Ok(envoy) => {
                    return Ok(Harness {
                        envoy,
                        echo,
                        dir,
                        variant,
                        access_log,
                    });
                }
                Err(e) if e.to_string().contains("ddress already in use") => last = e,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    /// [`Harness::start`] with the seed scenario's map (`kong/map.json`).
    pub fn seed(variant: Variant) -> Result<Harness> {
        Harness::start(variant, &paths::seed_map()?)
    }

    /// Sends a request to Envoy's listener.
    pub fn send(&self, request: &Request) -> Result<Response> {
        request.send(self.envoy.listener_port())
    }

    /// A GET over HTTP/1.1.
    pub fn get(&self, host: &str, path: &str) -> Result<Response> {
        self.send(&Request::get(host, path))
    }

    /// Every request the upstream received so far.
    pub fn upstream_requests(&self) -> Vec<Received> {
        self.echo.received()
    }

    /// The one telemetry record for the request with this Host and path (waits for it; an error if there are
    /// none or several).
    pub fn telemetry_for(&self, host: &str, path: &str) -> Result<Value> {
        let records = self.envoy.wait_telemetry(1, |r| {
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
}

impl Harness {
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
        admin_port: envoy::free_port()?,
        listener_port: envoy::free_port()?,
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
