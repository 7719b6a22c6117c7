//! One test's world: the echo upstream and one Envoy in front of it, rendered from `envoy/envoy.yaml` with a
//! given map and filter layout. Dropping it kills Envoy, stops the upstream and removes the scratch directory.

use crate::client::{Request, Response};
use crate::config::{self, Layout, Render};
use crate::echo::{EchoServer, Received};
use crate::envoy::{self, Envoy, WorkDir};
use crate::error::{Context, Error, Result};
use crate::paths;
use serde_json::Value;

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
}

impl Harness {
    /// Starts the upstream and an Envoy rendered from `envoy/envoy.yaml` with `map` (JSON text).
    pub fn start(variant: Variant, map: &str) -> Result<Harness> {
        let bin = paths::envoy_bin()?;
        for filter in variant.layout().filters() {
            paths::filter_wasm(&filter)?;
        }
        let dir = WorkDir::new(&test_label())?;
        let echo = EchoServer::start(0, true).context("starting the echo upstream")?;
        let template = config::load_template(&paths::envoy_template())?;
        let mut last = Error::new("not started");
        // A port found free may be taken by a parallel test before Envoy binds it: retry with new ports.
        for attempt in 0..5 {
            let rendered = render_with(&template, variant, map, echo.port())?;
            match Envoy::start(&bin, &rendered, dir.path(), &format!("envoy{attempt}")) {
                Ok(envoy) => {
                    return Ok(Harness {
                        envoy,
                        echo,
                        dir,
                        variant,
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

/// `envoy/envoy.yaml` rendered for this layout and map, with free admin and listener ports and the upstream on
/// `upstream_port`.
pub fn render(variant: Variant, map: &str, upstream_port: u16) -> Result<Value> {
    let template = config::load_template(&paths::envoy_template())?;
    render_with(&template, variant, map, upstream_port)
}

fn render_with(template: &Value, variant: Variant, map: &str, upstream_port: u16) -> Result<Value> {
    let settings = Render {
        admin_port: envoy::free_port()?,
        listener_port: envoy::free_port()?,
        upstream_port,
        filters_dir: paths::filters_dir(),
        map: map.to_string(),
        layout: variant.layout(),
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
