//! The state of one request while a chain runs: what every hostcall reads and writes.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use super::headers::HeaderMap;
use super::kong::request_path;
use super::kong::{KONG_HTTP_PORT, KONG_HTTPS_PORT, KONG_SERVER_NAME, KongVars};
use crate::engine::Engine;
use crate::engine::routing::Routing;
use crate::engine::uri::{self, host_without_port};
use crate::log_record::{LogLevel, LogRecord, LogSource};
use crate::request::Request;

/// Where the request is in its life; hostcalls check it the way the engines do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Root context: `_initialize`, `on_vm_start`, `on_configure`.
    Configure,
    /// Creating the HTTP context.
    Create,
    /// `on_http_request_headers`
    RequestHeaders,
    /// `on_http_response_headers`
    ResponseHeaders,
    /// `on_http_response_body`
    ResponseBody,
    /// `on_log`
    Log,
    /// `on_done` and `on_delete`
    Done,
}

impl Phase {
    /// The callback's name as the SDK spells it.
    pub fn callback(self) -> &'static str {
        match self {
            Phase::Configure => "on_configure",
            Phase::Create => "on_context_create",
            Phase::RequestHeaders => "on_request_headers",
            Phase::ResponseHeaders => "on_response_headers",
            Phase::ResponseBody => "on_response_body",
            Phase::Log => "on_log",
            Phase::Done => "on_done",
        }
    }

    /// Whether the request is still on its way in (request headers can change).
    pub(crate) fn before_forward(self) -> bool {
        matches!(self, Phase::Create | Phase::RequestHeaders)
    }
}

/// A local response a filter sent (`proxy_send_local_response`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PendingResponse {
    pub filter: Arc<str>,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Per-request state shared by the filters of a chain.
#[derive(Debug)]
pub(crate) struct Stream {
    pub phase: Phase,
    pub engine: Engine,
    pub method: String,
    pub scheme: String,
    /// The raw request target as the client sent it (`request.path` in Kong).
    pub raw_target: String,
    pub client_address: String,
    pub client_port: u16,
    pub duration: Duration,
    pub started_nanos: u64,
    /// The HTTP context id, also Kong's request id (`ngx.kong_request_id`).
    pub context_id: u32,
    pub routing: Routing,
    /// Host and path+query the upstream would get if no filter changed anything: Kong's
    /// initial `ngx.upstream_host` / `ngx.upstream_uri`, Envoy's `:authority` / `:path`.
    pub original_upstream: (String, String),
    pub request_headers: HeaderMap,
    /// Response status once a response exists.
    pub status: Option<u16>,
    pub response_headers: HeaderMap,
    pub response_body: Vec<u8>,
    pub kong: KongVars,
    /// Envoy filter state / Kong `kong.ctx.shared`, written with `set_property`.
    pub state: Vec<(String, Vec<u8>)>,
    /// Values the host returned to a filter: each one a call back into the VM
    /// (`proxy_on_memory_allocate`), which is what a data-returning hostcall costs most in Envoy.
    pub returned_values: u32,
    pub local_response: Option<PendingResponse>,
    pub logs: Vec<LogRecord>,
}

impl Stream {
    pub(crate) fn new(engine: Engine) -> Self {
        Self {
            phase: Phase::Configure,
            engine,
            method: String::new(),
            scheme: String::new(),
            raw_target: String::new(),
            client_address: String::new(),
            client_port: 0,
            duration: Duration::ZERO,
            started_nanos: 0,
            context_id: 0,
            routing: Routing::default(),
            original_upstream: (String::new(), String::new()),
            request_headers: HeaderMap::new(),
            status: None,
            response_headers: HeaderMap::new(),
            response_body: Vec::new(),
            kong: KongVars::default(),
            state: Vec::new(),
            returned_values: 0,
            local_response: None,
            logs: Vec::new(),
        }
    }

    /// Loads a request the way the engine presents it to the filters. `Err` when nginx itself
    /// would answer 400 (Kong engine only: Envoy forwards the path raw).
    pub(crate) fn begin(
        &mut self,
        request: &Request,
        routing: &Routing,
        started_nanos: u64,
        context_id: u32,
    ) -> Result<(), uri::InvalidUri> {
        self.phase = Phase::Create;
        request.method.clone_into(&mut self.method);
        request.scheme.clone_into(&mut self.scheme);
        request.path.clone_into(&mut self.raw_target);
        request.client_address.clone_into(&mut self.client_address);
        self.client_port = request.client_port;
        self.duration = request.duration;
        self.started_nanos = started_nanos;
        self.context_id = context_id;
        self.routing.clone_from(routing);
        self.status = None;
        self.response_headers.clear();
        self.response_body.clear();
        self.state.clear();
        self.returned_values = 0;
        self.local_response = None;
        self.request_headers.clear();
        match self.engine {
            Engine::Kong => self.begin_kong(request, routing),
            Engine::Envoy => {
                self.begin_envoy(request);
                Ok(())
            }
        }
    }

    fn begin_kong(&mut self, request: &Request, routing: &Routing) -> Result<(), uri::InvalidUri> {
        let path = uri::nginx_path(&request.path)?;
        let port = self.server_port();
        let headers = &mut self.request_headers;
        headers.add(":path", path);
        headers.add(":method", request.method.as_str());
        headers.add(":scheme", request.scheme.as_str());
        headers.add(":authority", format!("{KONG_SERVER_NAME}:{port}"));
        headers.add("Host", request.host.as_str());
        for (name, value) in request.other_headers() {
            headers.add(name.to_owned(), value);
        }
        let host = host_without_port(&request.host).to_ascii_lowercase();
        let (raw_path, _) = uri::split_target(&request.path);
        // Refill in place: the strings keep their capacity from one request to the next.
        let vars = &mut self.kong;
        // Without a route from the gateway's configuration, Kong's access phase for a route with
        // `strip_path: false` and no service path (as the kit's kong.yml): the path Kong's router
        // normalised, escaped, then `?` and the raw query (docs/kong-3.9.3.md §1.1).
        match routing.upstream_uri.as_deref() {
            Some(upstream_uri) => upstream_uri.clone_into(&mut vars.upstream_uri),
            None => {
                vars.upstream_uri = request_path::upstream_uri(
                    &request_path::router_path(&request.path),
                    &request.path,
                )
            }
        }
        routing
            .upstream_host
            .as_deref()
            .unwrap_or(&request.host)
            .clone_into(&mut vars.upstream_host);
        "http".clone_into(&mut vars.upstream_scheme);
        // proxy_add_x_forwarded_for: the client's list, then the peer.
        vars.x_forwarded_for.clear();
        if let Some((_, list)) = request
            .other_headers()
            .find(|(name, _)| name.eq_ignore_ascii_case("x-forwarded-for"))
        {
            vars.x_forwarded_for.push_str(list);
            vars.x_forwarded_for.push_str(", ");
        }
        vars.x_forwarded_for.push_str(&request.client_address);
        request.scheme.clone_into(&mut vars.x_forwarded_proto);
        vars.x_forwarded_host = host;
        vars.x_forwarded_port.clear();
        let _ = write!(vars.x_forwarded_port, "{port}");
        raw_path.clone_into(&mut vars.x_forwarded_path);
        routing
            .forwarded_prefix
            .as_deref()
            .unwrap_or_default()
            .clone_into(&mut vars.x_forwarded_prefix);
        self.kong
            .upstream_host
            .clone_into(&mut self.original_upstream.0);
        self.kong
            .upstream_uri
            .clone_into(&mut self.original_upstream.1);
        Ok(())
    }

    fn begin_envoy(&mut self, request: &Request) {
        // Envoy's HTTP/1 codec turns Host into `:authority` and lowercases every name.
        let headers = &mut self.request_headers;
        headers.add(":authority", request.host.as_str());
        headers.add(":path", request.path.as_str());
        headers.add(":method", request.method.as_str());
        headers.add(":scheme", request.scheme.as_str());
        for (name, value) in request.other_headers() {
            headers.add(name.to_ascii_lowercase(), value);
        }
        request.host.clone_into(&mut self.original_upstream.0);
        request.path.clone_into(&mut self.original_upstream.1);
    }

    /// The Kong listener port for this request's scheme.
    pub(crate) fn server_port(&self) -> u16 {
        if self.scheme.eq_ignore_ascii_case("https") {
            KONG_HTTPS_PORT
        } else {
            KONG_HTTP_PORT
        }
    }

    /// The current `:path` (nginx's `$uri?$args` in Kong, the request target in Envoy).
    pub(crate) fn current_path(&self) -> &str {
        self.request_headers.get(":path").unwrap_or("")
    }

    /// Moves to the response: `:status` first, then the headers.
    pub(crate) fn respond(&mut self, status: u16, headers: &[(String, String)], body: Vec<u8>) {
        self.status = Some(status);
        self.response_headers.clear();
        self.response_headers.add(":status", status.to_string());
        for (name, value) in headers {
            let name = match self.engine {
                Engine::Envoy => name.to_ascii_lowercase(),
                Engine::Kong => name.clone(),
            };
            self.response_headers.add(name, value.as_str());
        }
        self.response_body = body;
    }

    /// Records a line the host writes about what a filter did.
    pub(crate) fn host_log(&mut self, filter: &Arc<str>, level: LogLevel, message: String) {
        self.logs.push(LogRecord {
            filter: Arc::clone(filter),
            level,
            source: LogSource::Host,
            message,
        });
    }

    /// A value from the filter-state store.
    pub(crate) fn state_get(&self, key: &str) -> Option<&[u8]> {
        self.state
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_slice())
    }

    pub(crate) fn state_set(&mut self, key: &str, value: &[u8]) {
        match self.state.iter_mut().find(|(name, _)| name == key) {
            Some((_, existing)) => value.clone_into(existing),
            None => self.state.push((key.to_owned(), value.to_vec())),
        }
    }
}
