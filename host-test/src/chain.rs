//! A filter chain: instances of the filters in one wasmtime store, driven through a request
//! with each engine's chain semantics.
//!
//! | | Kong (ngx_wasm_module) | Envoy |
//! |---|---|---|
//! | a filter answers in `on_request_headers` | later filters' `on_request_headers` skipped | same |
//! | `on_response_headers` / `_body` | every filter, chain order | reverse order, only the filters whose `on_request_headers` ran |
//! | `on_log` | every filter, chain order | same |
//!
//! A trap (or an unsupported hostcall, or an invalid answer) stops the chain: the request is an
//! error (the engines answer 500), the remaining callbacks are skipped, the other filters'
//! contexts are closed, and the failed instance is replaced before the next request, as Kong
//! recycles a trapped instance.

use std::sync::Arc;

use wasmtime::{Engine, Store, TypedFunc, WasmParams, WasmResults};

use crate::abi::FilterAction;
use crate::clock::Clock;
use crate::entry_points::EntryPoints;
use crate::error::LoadError;
use crate::headers::HeaderMap;
use crate::host_state::{HostState, Slot};
use crate::library::{CALLBACK_DEADLINE_TICKS, FilterLibrary, FilterModule};
use crate::log_record::{LogLevel, LogRecord};
use crate::metrics::Metrics;
use crate::mode::Mode;
use crate::outcome::{Action, Callback, LocalResponse, Outcome, Response, UpstreamRequest};
use crate::request::{Request, UpstreamResponse};
use crate::routing::Routing;
use crate::stream::{PendingResponse, Phase, Stream};

/// The root context id every filter instance is configured under.
const ROOT_CONTEXT: u32 = 1;
/// Replaced instances stay in the store (wasmtime cannot drop one instance); past this many the
/// whole store is rebuilt.
const RETIRED_LIMIT: usize = 64;

/// One filter of a chain and its configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterSpec {
    /// The filter's name in the library (its `.wasm` file name).
    pub name: String,
    /// What `get_plugin_configuration` returns.
    pub config: Vec<u8>,
}

impl FilterSpec {
    /// A filter with this configuration.
    pub fn new(name: &str, config: impl Into<Vec<u8>>) -> Self {
        Self {
            name: name.to_owned(),
            config: config.into(),
        }
    }
}

#[derive(Debug)]
struct Member {
    module: FilterModule,
    configuration: Arc<[u8]>,
    entry: Option<EntryPoints>,
    /// Why the filter cannot run (it could not be restarted after a trap).
    unavailable: Option<String>,
}

/// What one request brings to a chain.
pub(crate) struct Exchange<'a> {
    pub request: &'a Request,
    pub routing: &'a Routing,
    pub upstream: &'a UpstreamResponse,
    pub context_id: u32,
}

#[derive(Debug)]
pub(crate) struct Chain {
    engine: Engine,
    store: Store<HostState>,
    members: Vec<Member>,
    retired: usize,
}

impl Chain {
    /// Instantiates and configures every filter. Metrics the filters define at configure time go
    /// into `metrics`; what they log goes into `logs`.
    pub(crate) fn build(
        library: &FilterLibrary,
        mode: Mode,
        clock: Clock,
        specs: &[FilterSpec],
        metrics: &mut Metrics,
        logs: &mut Vec<LogRecord>,
    ) -> Result<Self, LoadError> {
        let members = specs
            .iter()
            .map(|spec| {
                Ok(Member {
                    module: library.module(&spec.name)?.clone(),
                    configuration: Arc::from(spec.config.as_slice()),
                    entry: None,
                    unavailable: None,
                })
            })
            .collect::<Result<Vec<_>, LoadError>>()?;
        let engine = library.engine().clone();
        let store = new_store(&engine, mode, clock, &members);
        let mut chain = Self {
            engine,
            store,
            members,
            retired: 0,
        };
        chain.start_all(metrics, logs)?;
        Ok(chain)
    }

    pub(crate) fn set_clock(&mut self, clock: Clock) {
        self.store.data_mut().clock = clock;
    }

    fn start_all(
        &mut self,
        metrics: &mut Metrics,
        logs: &mut Vec<LogRecord>,
    ) -> Result<(), LoadError> {
        std::mem::swap(&mut self.store.data_mut().metrics, metrics);
        let mut result = Ok(());
        for index in 0..self.members.len() {
            result = self.start(index);
            logs.append(&mut self.store.data_mut().stream.logs);
            if result.is_err() {
                break;
            }
        }
        std::mem::swap(&mut self.store.data_mut().metrics, metrics);
        result
    }

    /// Instantiates member `index` and runs its root lifecycle: `_initialize`,
    /// `on_context_create`, `on_vm_start`, `on_configure`.
    fn start(&mut self, index: usize) -> Result<(), LoadError> {
        let Some(member) = self.members.get_mut(index) else {
            return Ok(());
        };
        let filter = member.module.name.to_string();
        let start_error = |reason: String| LoadError::Start {
            filter: filter.clone(),
            reason,
        };
        let store = &mut self.store;
        store.data_mut().current = index;
        store.data_mut().stream.phase = Phase::Configure;
        store.set_epoch_deadline(CALLBACK_DEADLINE_TICKS);
        let instance = member
            .module
            .pre
            .instantiate(&mut *store)
            .map_err(|error| start_error(error.to_string()))?;
        let entry = EntryPoints::find(&instance, &mut *store).map_err(|missing| {
            LoadError::NotProxyWasm {
                filter: filter.clone(),
                missing,
            }
        })?;
        let memory =
            instance
                .get_memory(&mut *store, "memory")
                .ok_or_else(|| LoadError::NotProxyWasm {
                    filter: filter.clone(),
                    missing: "memory".to_owned(),
                })?;
        if let Some(slot) = store.data_mut().slots.get_mut(index) {
            slot.memory = Some(memory);
            slot.allocate = Some(entry.allocate.clone());
        }
        if let Some(initialize) = &entry.initialize {
            invoke(store, index, Phase::Configure, initialize, ()).map_err(start_error)?;
        }
        invoke(
            store,
            index,
            Phase::Configure,
            &entry.on_context_create,
            (ROOT_CONTEXT, 0),
        )
        .map_err(start_error)?;
        if invoke(
            store,
            index,
            Phase::Configure,
            &entry.on_vm_start,
            (ROOT_CONTEXT, 0),
        )
        .map_err(start_error)?
            == 0
        {
            return Err(start_error("on_vm_start returned false".to_owned()));
        }
        let size = u32::try_from(member.configuration.len())
            .map_err(|_| start_error("configuration too large".to_owned()))?;
        if invoke(
            store,
            index,
            Phase::Configure,
            &entry.on_configure,
            (ROOT_CONTEXT, size),
        )
        .map_err(start_error)?
            == 0
        {
            let messages = store
                .data()
                .stream
                .logs
                .iter()
                .filter(|record| {
                    record.level >= LogLevel::Error && record.filter.as_ref() == filter
                })
                .map(|record| record.message.clone())
                .collect();
            return Err(LoadError::Refused { filter, messages });
        }
        member.entry = Some(entry);
        member.unavailable = None;
        Ok(())
    }

    /// Replaces a member whose instance trapped.
    fn restart(&mut self, index: usize, metrics: &mut Metrics, logs: &mut Vec<LogRecord>) {
        self.retired += 1;
        if let Some(member) = self.members.get_mut(index) {
            member.entry = None;
        }
        if self.retired > RETIRED_LIMIT {
            let state = self.store.data();
            let (mode, clock) = (state.mode, state.clock);
            self.store = new_store(&self.engine, mode, clock, &self.members);
            self.retired = 0;
            if let Err(error) = self.start_all(metrics, logs) {
                let reason = error.to_string();
                for member in &mut self.members {
                    member.unavailable = Some(reason.clone());
                }
            }
            return;
        }
        std::mem::swap(&mut self.store.data_mut().metrics, metrics);
        let result = self.start(index);
        std::mem::swap(&mut self.store.data_mut().metrics, metrics);
        logs.append(&mut self.store.data_mut().stream.logs);
        if let (Err(error), Some(member)) = (result, self.members.get_mut(index)) {
            member.unavailable = Some(error.to_string());
        }
    }

    /// Runs one request through the chain.
    pub(crate) fn run(
        &mut self,
        exchange: &Exchange<'_>,
        metrics: &mut Metrics,
        lifecycle: &mut Vec<LogRecord>,
    ) -> Outcome {
        if let Some(reason) = self
            .members
            .iter()
            .find_map(|member| member.unavailable.clone())
        {
            return failed(reason, Vec::new(), Vec::new());
        }
        std::mem::swap(&mut self.store.data_mut().metrics, metrics);
        let mut run = Run {
            chain: self,
            callbacks: Vec::new(),
            failure: None,
            broken: Vec::new(),
        };
        let outcome = run.execute(exchange);
        let broken = std::mem::take(&mut run.broken);
        std::mem::swap(&mut self.store.data_mut().metrics, metrics);
        for index in broken {
            self.restart(index, metrics, lifecycle);
        }
        outcome
    }
}

fn new_store(engine: &Engine, mode: Mode, clock: Clock, members: &[Member]) -> Store<HostState> {
    let mut state = HostState::new(mode, clock);
    state.slots = members
        .iter()
        .map(|member| Slot {
            name: Arc::clone(&member.module.name),
            configuration: Arc::clone(&member.configuration),
            memory: None,
            allocate: None,
            last_critical: None,
        })
        .collect();
    Store::new(engine, state)
}

/// Calls one filter callback with the phase set, and describes a failure.
fn invoke<P: WasmParams, R: WasmResults>(
    store: &mut Store<HostState>,
    index: usize,
    phase: Phase,
    func: &TypedFunc<P, R>,
    params: P,
) -> Result<R, String> {
    let state = store.data_mut();
    state.current = index;
    state.stream.phase = phase;
    if let Some(slot) = state.slots.get_mut(index) {
        slot.last_critical = None;
    }
    store.set_epoch_deadline(CALLBACK_DEADLINE_TICKS);
    func.call(&mut *store, params).map_err(|error| {
        let slot = store.data().slots.get(index);
        let name = slot.map_or("?", |slot| slot.name.as_ref());
        let mut message = format!("filter {name} trapped in {}: {error}", phase.callback());
        if let Some(critical) = slot.and_then(|slot| slot.last_critical.as_deref()) {
            message.push_str(" (");
            message.push_str(&critical.replace('\n', " "));
            message.push(')');
        }
        message
    })
}

/// The state of one request's pass through a chain.
struct Run<'c> {
    chain: &'c mut Chain,
    callbacks: Vec<Callback>,
    /// The request's error: the first failure.
    failure: Option<String>,
    /// Members whose instance failed and must be replaced.
    broken: Vec<usize>,
}

impl Run<'_> {
    fn stream(&mut self) -> &mut Stream {
        &mut self.chain.store.data_mut().stream
    }

    fn mode(&self) -> Mode {
        self.chain.store.data().mode
    }

    fn call<P: WasmParams, R: WasmResults>(
        &mut self,
        index: usize,
        phase: Phase,
        pick: impl Fn(&EntryPoints) -> &TypedFunc<P, R>,
        params: P,
    ) -> Option<R> {
        // Borrow the member and the store side by side: no handle is cloned per call.
        let chain = &mut *self.chain;
        let member = chain.members.get(index)?;
        self.callbacks.push(Callback {
            filter: Arc::clone(&member.module.name),
            phase,
        });
        let result = match &member.entry {
            Some(entry) => invoke(&mut chain.store, index, phase, pick(entry), params),
            None => Err(format!("filter {} is not running", member.module.name)),
        };
        match result {
            Ok(result) => Some(result),
            Err(message) => {
                self.fail(index, message);
                None
            }
        }
    }

    fn fail(&mut self, index: usize, message: String) {
        self.failure.get_or_insert(message);
        self.broken.push(index);
    }

    /// Checks the action a request or response callback returned.
    fn expect_continue(&mut self, index: usize, phase: Phase, code: u32, pause_allowed: bool) {
        let name = self
            .chain
            .members
            .get(index)
            .map_or_else(|| "?".to_owned(), |member| member.module.name.to_string());
        let problem = match FilterAction::from_code(code) {
            Some(FilterAction::Continue) => return,
            Some(FilterAction::Pause) if pause_allowed => return,
            Some(FilterAction::Pause) => format!(
                "filter {name} paused in {} without sending a response (the request would hang)",
                phase.callback()
            ),
            None => format!(
                "filter {name} returned invalid action {code} from {}",
                phase.callback()
            ),
        };
        self.fail(index, problem);
    }

    /// The whole request: contexts, request headers, the response (local or upstream), response
    /// steps, log, and closing the contexts.
    fn execute(&mut self, exchange: &Exchange<'_>) -> Outcome {
        let now = self.chain.store.data().clock.now_nanos();
        // The logs move into the outcome; start each request with room for a few lines.
        self.stream().logs = Vec::with_capacity(8);
        let begun =
            self.stream()
                .begin(exchange.request, exchange.routing, now, exchange.context_id);
        if let Err(invalid) = begun {
            // nginx refuses the request line itself: no filter ever sees it.
            return engine_response("nginx", 400, invalid.to_string());
        }
        let context = exchange.context_id;
        self.callbacks.reserve(self.chain.members.len() * 7);
        let created = self.create_contexts(context);
        let mut local = None;
        let mut upstream = None;
        if self.failure.is_none() {
            let (reached, answered) = self.request_headers(context);
            if self.failure.is_none() {
                if answered {
                    local = self.stream().local_response.take();
                    if let Some(pending) = &local {
                        self.respond_locally(pending);
                    }
                } else {
                    upstream = Some(upstream_request(self.stream()));
                    let answer = exchange.upstream;
                    self.stream()
                        .respond(answer.status, &answer.headers, answer.body.clone());
                }
                let order = self.response_order(reached);
                self.response_phases(&order, context, &mut local);
                self.log(context);
            }
        }
        self.close_contexts(created, context);
        self.finish(local, upstream)
    }

    /// `on_context_create` for every filter; how many succeeded.
    fn create_contexts(&mut self, context: u32) -> usize {
        let count = self.chain.members.len();
        for index in 0..count {
            let created = self.call(
                index,
                Phase::Create,
                |entry| &entry.on_context_create,
                (context, ROOT_CONTEXT),
            );
            if created.is_none() {
                return index;
            }
        }
        count
    }

    /// `on_request_headers` in chain order until a filter answers locally (or fails): how many
    /// filters it reached, and whether one answered.
    fn request_headers(&mut self, context: u32) -> (usize, bool) {
        // Kong's engine always says "more to come" in header steps; Envoy knows a GET has no body.
        let end_of_stream = u32::from(self.mode() == Mode::Envoy);
        let count = self.chain.members.len();
        for index in 0..count {
            let headers = wire_count(self.stream().request_headers.len());
            let Some(code) = self.call(
                index,
                Phase::RequestHeaders,
                |entry| &entry.on_request_headers,
                (context, headers, end_of_stream),
            ) else {
                return (index + 1, false);
            };
            if self.stream().local_response.is_some() {
                return (index + 1, true);
            }
            self.expect_continue(index, Phase::RequestHeaders, code, false);
            if self.failure.is_some() {
                return (index + 1, false);
            }
        }
        (count, false)
    }

    fn respond_locally(&mut self, pending: &PendingResponse) {
        let headers = local_headers(pending);
        self.stream()
            .respond(pending.status, &headers, pending.body.clone());
    }

    /// Kong runs every filter's response steps in chain order; Envoy encodes in reverse order
    /// through the filters whose request step ran.
    fn response_order(&self, reached: usize) -> Vec<usize> {
        match self.mode() {
            Mode::Kong => (0..self.chain.members.len()).collect(),
            Mode::Envoy => (0..reached).rev().collect(),
        }
    }

    /// `on_log` for every filter, in chain order, in both engines.
    fn log(&mut self, context: u32) {
        if self.failure.is_some() {
            return;
        }
        for index in 0..self.chain.members.len() {
            if self
                .call(index, Phase::Log, |entry| &entry.on_log, context)
                .is_none()
            {
                return;
            }
        }
    }

    /// Closes every context that was opened, except in instances that failed (they are
    /// replaced). A failure here is an error too; the first one is the request's.
    fn close_contexts(&mut self, created: usize, context: u32) {
        for index in 0..created {
            if self.broken.contains(&index) {
                continue;
            }
            if self
                .call(index, Phase::Done, |entry| &entry.on_done, context)
                .is_some()
            {
                let _ = self.call(index, Phase::Done, |entry| &entry.on_delete, context);
            }
        }
    }

    fn response_phases(
        &mut self,
        order: &[usize],
        context: u32,
        local: &mut Option<PendingResponse>,
    ) {
        let mode = self.mode();
        for &index in order {
            let stream = self.stream();
            let headers = wire_count(stream.response_headers.len());
            let end_of_stream = u32::from(mode == Mode::Envoy && stream.response_body.is_empty());
            let Some(code) = self.call(
                index,
                Phase::ResponseHeaders,
                |entry| &entry.on_response_headers,
                (context, headers, end_of_stream),
            ) else {
                return;
            };
            // A local response from a response step replaces the response (Kong turns a 406
            // from the upstream into the filter's 403).
            if let Some(pending) = self.stream().local_response.take() {
                self.respond_locally(&pending);
                *local = Some(pending);
            }
            self.expect_continue(index, Phase::ResponseHeaders, code, false);
            if self.failure.is_some() {
                return;
            }
        }
        if self.stream().response_body.is_empty() {
            return;
        }
        for &index in order {
            let size = wire_count(self.stream().response_body.len());
            let Some(code) = self.call(
                index,
                Phase::ResponseBody,
                |entry| &entry.on_response_body,
                (context, size, 1),
            ) else {
                return;
            };
            // The whole body is one chunk with end-of-stream set: pausing to buffer is fine.
            self.expect_continue(index, Phase::ResponseBody, code, true);
            if self.failure.is_some() {
                return;
            }
        }
    }

    fn finish(
        &mut self,
        local: Option<PendingResponse>,
        upstream: Option<UpstreamRequest>,
    ) -> Outcome {
        let callbacks = std::mem::take(&mut self.callbacks);
        let stream = self.stream();
        let logs = std::mem::take(&mut stream.logs);
        if let Some(error) = &self.failure {
            return failed(error.clone(), logs, callbacks);
        }
        let stream = self.stream();
        let status = stream.status.unwrap_or(200);
        let mut headers = std::mem::take(&mut stream.response_headers);
        headers.retain(|name, _| name != ":status");
        let body = std::mem::take(&mut stream.response_body);
        let filter_state = match stream.mode {
            Mode::Envoy => std::mem::take(&mut stream.state),
            Mode::Kong => Vec::new(),
        };
        let returned_values = stream.returned_values;
        let (original_host, original_path) = &stream.original_upstream;
        let action = match (&local, &upstream) {
            (Some(_), _) if (300..400).contains(&status) => Action::Redirect,
            (Some(_), _) => Action::Reject,
            (None, Some(sent)) if sent.host != *original_host || sent.path != *original_path => {
                Action::Proxy
            }
            (None, _) => Action::Pass,
        };
        Outcome {
            action,
            local_response: local.map(|pending| LocalResponse {
                responder: pending.filter,
                status,
                headers: headers.clone(),
                body: body.clone(),
            }),
            upstream,
            response: Response {
                status,
                headers,
                body,
            },
            error: None,
            logs,
            callbacks,
            filter_state,
            returned_values,
        }
    }
}

fn wire_count(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// A local response as both engines send it: the filter's headers, plus a `text/plain`
/// content type for a body sent without one, and the length.
fn local_headers(pending: &PendingResponse) -> Vec<(String, String)> {
    let mut headers = pending.headers.clone();
    let has = |name: &str| {
        pending
            .headers
            .iter()
            .any(|(key, _)| key.eq_ignore_ascii_case(name))
    };
    if !pending.body.is_empty() && !has("content-type") {
        headers.push(("content-type".to_owned(), "text/plain".to_owned()));
    }
    if !has("content-length") {
        headers.push(("content-length".to_owned(), pending.body.len().to_string()));
    }
    headers
}

/// Headers Kong's nginx template sets with `proxy_set_header` from its own variables: a filter
/// changing them as request headers changes nothing upstream.
const KONG_MANAGED_HEADERS: [&str; 8] = [
    "host",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-forwarded-port",
    "x-forwarded-path",
    "x-forwarded-prefix",
    "x-real-ip",
];

/// What the upstream receives when the request leaves the chain now.
fn upstream_request(stream: &Stream) -> UpstreamRequest {
    let mut headers = HeaderMap::new();
    match stream.mode {
        Mode::Kong => {
            let vars = &stream.kong;
            headers.add("Host", vars.upstream_host.as_str());
            let managed = [
                ("X-Forwarded-For", &vars.x_forwarded_for),
                ("X-Forwarded-Proto", &vars.x_forwarded_proto),
                ("X-Forwarded-Host", &vars.x_forwarded_host),
                ("X-Forwarded-Port", &vars.x_forwarded_port),
                ("X-Forwarded-Path", &vars.x_forwarded_path),
                ("X-Forwarded-Prefix", &vars.x_forwarded_prefix),
                ("X-Real-IP", &stream.client_address),
            ];
            // nginx drops a proxy_set_header whose value is empty.
            for (name, value) in managed.into_iter().filter(|(_, value)| !value.is_empty()) {
                headers.add(name, value.as_str());
            }
            for (name, value) in stream.request_headers.iter() {
                let managed = KONG_MANAGED_HEADERS
                    .iter()
                    .any(|managed| managed.eq_ignore_ascii_case(name));
                if !name.starts_with(':') && !managed {
                    headers.add(name.to_owned(), value);
                }
            }
            UpstreamRequest {
                host: vars.upstream_host.clone(),
                path: vars.upstream_uri.clone(),
                headers,
            }
        }
        Mode::Envoy => {
            let host = stream
                .request_headers
                .get(":authority")
                .unwrap_or("")
                .to_owned();
            headers.add("host", host.as_str());
            for (name, value) in stream
                .request_headers
                .iter()
                .filter(|(name, _)| !name.starts_with(':'))
            {
                headers.add(name.to_owned(), value);
            }
            UpstreamRequest {
                host,
                path: stream.current_path().to_owned(),
                headers,
            }
        }
    }
}

/// The engine answers without any filter running.
pub(crate) fn engine_response(responder: &str, status: u16, reason: String) -> Outcome {
    let headers: HeaderMap = [("content-length", "0")].into_iter().collect();
    Outcome {
        action: if (300..400).contains(&status) {
            Action::Redirect
        } else {
            Action::Reject
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
            source: crate::log_record::LogSource::Host,
            message: reason,
        }],
        callbacks: Vec::new(),
        filter_state: Vec::new(),
        returned_values: 0,
    }
}

/// A request the chain failed on: both engines answer 500.
pub(crate) fn failed(error: String, logs: Vec<LogRecord>, callbacks: Vec<Callback>) -> Outcome {
    Outcome {
        action: Action::Error,
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
        returned_values: 0,
    }
}
