//! The gateway a test runs the filters in: Envoy 1.40, or Kong 3.9's Wasm engine (nginx + ngx_wasm_module) laid out
//! as Kong's proxy location. What the behaviour tests need from either: the listener, the log, the telemetry records.

use crate::envoy::Envoy;
use crate::error::Result;
use crate::nginx::Nginx;
use crate::telemetry;
use serde_json::Value;

/// Which engine runs the filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Envoy 1.40 (V8), from `envoy/envoy.yaml`.
    Envoy,
    /// Kong 3.9's engine: nginx 1.25.3 + ngx_wasm_module 9136e46 + Wasmtime 26, from `e2e/nginx/kong-proxy.conf`
    /// with the routes of `kong/kong-chains.yml`.
    Kong,
}

/// A running gateway.
#[derive(Debug)]
pub enum Gateway {
    /// An Envoy.
    Envoy(Envoy),
    /// An nginx running Kong's engine.
    Kong(Nginx),
}

impl Gateway {
    /// Which engine this is.
    pub fn engine(&self) -> Engine {
        match self {
            Gateway::Envoy(_) => Engine::Envoy,
            Gateway::Kong(_) => Engine::Kong,
        }
    }

    /// The listener the requests under test go to (HTTP/1.1; Envoy's also speaks h2c).
    pub fn listener_port(&self) -> u16 {
        match self {
            Gateway::Envoy(envoy) => envoy.listener_port(),
            Gateway::Kong(nginx) => nginx.listener_port(),
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        match self {
            Gateway::Envoy(envoy) => envoy.pid(),
            Gateway::Kong(nginx) => nginx.pid(),
        }
    }

    /// The whole log so far (Envoy's log; nginx's error log).
    pub fn log(&self) -> String {
        match self {
            Gateway::Envoy(envoy) => envoy.log(),
            Gateway::Kong(nginx) => nginx.log(),
        }
    }

    /// The last `lines` lines of the log, labelled with its path.
    pub fn log_tail(&self, lines: usize) -> String {
        match self {
            Gateway::Envoy(envoy) => envoy.log_tail(lines),
            Gateway::Kong(nginx) => nginx.log_tail(lines),
        }
    }

    /// Every telemetry record in the log so far, as the filter wrote it.
    pub fn telemetry_lines(&self) -> Vec<String> {
        telemetry::lines(&self.log())
    }

    /// Every telemetry record in the log so far, parsed.
    pub fn telemetry(&self) -> Vec<Value> {
        telemetry::records(&self.log())
    }

    /// Waits until the log holds at least `count` telemetry records matching `matches` and returns all matching
    /// records ([`telemetry::wait`]).
    pub fn wait_telemetry(
        &self,
        count: usize,
        matches: impl Fn(&Value) -> bool,
    ) -> Result<Vec<Value>> {
        telemetry::wait(|| self.log(), count, matches)
    }

    /// The Envoy, when this is one.
    pub fn envoy(&self) -> Option<&Envoy> {
        match self {
            Gateway::Envoy(envoy) => Some(envoy),
            Gateway::Kong(_) => None,
        }
    }

    /// The nginx, when this is Kong's engine.
    pub fn nginx(&self) -> Option<&Nginx> {
        match self {
            Gateway::Envoy(_) => None,
            Gateway::Kong(nginx) => Some(nginx),
        }
    }
}
