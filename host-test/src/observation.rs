//! What became of one request: observed from the outside, the way a client and an upstream
//! would see it.

use std::fmt;
use std::sync::Arc;

use crate::engine::headers::HeaderMap;
use crate::engine::stream::Phase;
use crate::log_record::{LogLevel, LogRecord, LogSource};

/// The action observed for a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObservedAction {
    /// Forwarded with its Host or path changed.
    Proxy,
    /// Answered locally with a 3xx.
    Redirect,
    /// Answered locally with anything else.
    Reject,
    /// Forwarded unchanged.
    Pass,
    /// A filter trapped, called an unsupported hostcall or answered something invalid.
    Error,
}

impl ObservedAction {
    /// Every action, in output order.
    pub const ALL: [ObservedAction; 5] = [
        ObservedAction::Proxy,
        ObservedAction::Redirect,
        ObservedAction::Reject,
        ObservedAction::Pass,
        ObservedAction::Error,
    ];

    /// `proxy`, `redirect`, `reject`, `pass` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            ObservedAction::Proxy => "proxy",
            ObservedAction::Redirect => "redirect",
            ObservedAction::Reject => "reject",
            ObservedAction::Pass => "pass",
            ObservedAction::Error => "error",
        }
    }
}

impl fmt::Display for ObservedAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A response produced by the proxy rather than the upstream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalResponse {
    /// The filter that sent it, or the engine (`nginx` for a request line nginx refuses, `kong`
    /// for a request no route matches).
    pub responder: Arc<str>,
    /// Status code.
    pub status: u16,
    /// Headers as sent to the client (after every filter's response callbacks).
    pub headers: HeaderMap,
    /// Body.
    pub body: Vec<u8>,
}

impl LocalResponse {
    /// The `Location` header, if any.
    pub fn location(&self) -> Option<&str> {
        self.headers.get("location")
    }
}

/// The request the upstream receives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpstreamRequest {
    /// `Host` header value.
    pub host: String,
    /// Path and query.
    pub path: String,
    /// Every header sent, `Host` included.
    pub headers: HeaderMap,
}

/// The response the client receives.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers, without `:status`.
    pub headers: HeaderMap,
    /// Body.
    pub body: Vec<u8>,
}

/// A filter callback the host invoked, in invocation order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Callback {
    /// The filter.
    pub filter: Arc<str>,
    /// The callback.
    pub phase: Phase,
}

/// Everything observed about one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    /// The action observed.
    pub action: ObservedAction,
    /// The local response, if the proxy answered.
    pub local_response: Option<LocalResponse>,
    /// What the upstream received, if the request was forwarded.
    pub upstream: Option<UpstreamRequest>,
    /// What the client received.
    pub response: Response,
    /// Why the request failed, for [`ObservedAction::Error`].
    pub error: Option<String>,
    /// Log lines of every filter of the chain, in order.
    pub logs: Vec<LogRecord>,
    /// The callbacks invoked, in order.
    pub callbacks: Vec<Callback>,
    /// What the filters left as Envoy filter state (`set_property`), by key, in order of first
    /// write: what an Envoy access log could print with `%FILTER_STATE(wasm.<key>:PLAIN)%`. Always
    /// empty in Kong engine.
    pub filter_state: Vec<(String, Vec<u8>)>,
    /// Kong's `kong.ctx.shared` as Kong's log plugins see it (`custom_fields_by_lua`): what the
    /// filters wrote there before the log phase. `Kong.log` runs the log plugins before the
    /// filters' `on_log` and then clears `ngx.ctx` (kong-3.9.3.md §7), so nothing written in
    /// `on_log` reaches a plugin. Always empty in Envoy.
    pub kong_ctx_shared: Vec<(String, Vec<u8>)>,
    /// How many values the host returned to the filters (header values and maps, properties,
    /// buffers): each one costs a call back into the VM to allocate it, the most expensive part of
    /// a hostcall in Envoy.
    pub returned_values: u32,
}

impl Observation {
    /// The engine answered without any filter running (nginx refusing a request line, Kong finding
    /// no route).
    pub fn engine_response(responder: &str, status: u16, reason: String) -> Self {
        let headers: HeaderMap = [("content-length", "0")].into_iter().collect();
        Observation {
            action: if (300..400).contains(&status) {
                ObservedAction::Redirect
            } else {
                ObservedAction::Reject
            },
            local_response: Some(LocalResponse {
                responder: Arc::from(responder),
                status,
                headers: headers.clone(),
                body: Vec::new(),
            }),
            upstream: None,
            response: Response {
                status,
                headers,
                body: Vec::new(),
            },
            error: None,
            logs: vec![LogRecord {
                filter: Arc::from(responder),
                level: LogLevel::Info,
                source: LogSource::Host,
                message: reason,
            }],
            callbacks: Vec::new(),
            filter_state: Vec::new(),
            kong_ctx_shared: Vec::new(),
            returned_values: 0,
        }
    }

    /// A request the chain failed on: both engines answer 500.
    pub fn failed(error: String, logs: Vec<LogRecord>, callbacks: Vec<Callback>) -> Self {
        Observation {
            action: ObservedAction::Error,
            local_response: None,
            upstream: None,
            response: Response {
                status: 500,
                headers: HeaderMap::new(),
                body: Vec::new(),
            },
            error: Some(error),
            logs,
            callbacks,
            filter_state: Vec::new(),
            kong_ctx_shared: Vec::new(),
            returned_values: 0,
        }
    }

    /// The filter state `key`, as text.
    pub fn filter_state(&self, key: &str) -> Option<&str> {
        self.filter_state
            .iter()
            .find(|(known, _)| known == key)
            .and_then(|(_, value)| std::str::from_utf8(value).ok())
    }

    /// `kong.ctx.shared.<key>` as Kong's log plugins see it, as text.
    pub fn kong_ctx_shared(&self, key: &str) -> Option<&str> {
        self.kong_ctx_shared
            .iter()
            .find(|(known, _)| known == key)
            .and_then(|(_, value)| std::str::from_utf8(value).ok())
    }

    /// Lines `filter` logged through `proxy_log` at `level`.
    pub fn filter_logs<'a>(
        &'a self,
        filter: &'a str,
        level: LogLevel,
    ) -> impl Iterator<Item = &'a str> + 'a {
        self.logs
            .iter()
            .filter(move |record| {
                record.source == LogSource::Filter
                    && record.level == level
                    && record.filter.as_ref() == filter
            })
            .map(|record| record.message.as_str())
    }

    /// The filters whose `phase` callback ran, in order.
    pub fn callback_order(&self, phase: Phase) -> Vec<&str> {
        self.callbacks
            .iter()
            .filter(|callback| callback.phase == phase)
            .map(|callback| callback.filter.as_ref())
            .collect()
    }
}
