//! The HTTP context: one request through the phases, carrying out the filter's [`Plan`].

use std::rc::Rc;

use kdp_migrate_core::host::{self, HostBuffer, MAX_HOST_LEN};
use kdp_migrate_core::{
    Api, Decision, Forward, LocalResponse, Measured, MigrationMap, Outcome, ResponseRewrite,
    TelemetryRecord, Timestamp, Verdict, client_key, deprecation_headers, numeric,
};
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::Action;

use crate::abi::{self, HostStatus, LogLevel, MapType};
use crate::engine::Slot;
use crate::header_map::HeaderMap;
use crate::plan::{
    self, DecisionShape, MapFlags, Plan, RecordSink, Rewrite, RewriteCounts, RewriteFor,
};
use crate::request::RequestFacts;
use crate::root::{Configured, Shared};

/// Where a rewriting filter leaves its counts for the telemetry of its chain, on engines where
/// that telemetry sees the response only after the rewrite (see
/// [`Engine::passes_rewrite_counts`](crate::engine::Engine::passes_rewrite_counts)): a property,
/// which Envoy keeps as per-request filter state that later filters read.
const REWRITES_PROPERTY: &str = "kdp_migrate.rewrites";

/// With the `filter_state` telemetry sink, the record's filter state in Envoy, which an access log
/// prints with `%FILTER_STATE(wasm.kdp_migrate.record:PLAIN)%` (Envoy stores a property `p` a filter
/// sets as the filter state `wasm.p`, and runs access logs after the filters' `on_log`).
const RECORD_PROPERTY: &str = "kdp_migrate.record";

/// With the `log_plugins` telemetry sink, where Kong's log plugins find the record:
/// `kong.ctx.shared.kdp_migrate`, which `custom_fields_by_lua` copies into each entry
/// (kong/README.md, "The record in Kong's log plugins").
const KONG_CTX_RECORD_PROPERTY: &str = "kong.ctx.shared.kdp_migrate";

/// Per-request state.
pub(crate) struct FilterContext {
    shared: Rc<Shared>,
    configured: Option<Rc<Configured>>,
    /// The request as the client sent it, read once: in the request phase, or in a later one when
    /// that phase did not run for this filter (another filter answered first).
    facts: Option<RequestFacts>,
    /// The decision on `facts`, made once, and this filter's plan for it: the response and log
    /// phases follow them instead of deciding again.
    decided: Option<(Verdict, Plan)>,
    /// The deprecation headers for this legacy request's response (legacy role), rendered with the
    /// decision, whose `Location` borrows the request.
    deprecation: Vec<(&'static str, String)>,
    /// The scheme the client used, taken in the request phase (Envoy refuses request-header reads
    /// in the response phase) for the forwards whose responses this filter rewrites.
    client_scheme: Option<&'static str>,
    /// This filter sent the local response (its own headers are already on it).
    answered: bool,
    /// The response status, seen in the response phase: a header read there is far cheaper than
    /// the `response.code` property in the log phase (in Envoy, ~0 against ~3 µs).
    status: Option<u16>,
    /// The clock when the request reached this recording filter: the record's `time`, and its
    /// latency's start where [`plan::measures_latency`].
    started_nanos: Option<u64>,
    /// The record was written (with the response, for Kong's log plugins; else in `on_log`).
    recorded: bool,
    /// `Location`-like and `Set-Cookie` headers rewritten (or, for a telemetry-only filter, that the
    /// rewriting filters will rewrite).
    rewritten: (u32, u32),
}

impl FilterContext {
    pub fn new(shared: Rc<Shared>, configured: Option<Rc<Configured>>) -> Self {
        FilterContext {
            shared,
            configured,
            facts: None,
            decided: None,
            deprecation: Vec::new(),
            client_scheme: None,
            answered: false,
            status: None,
            started_nanos: None,
            recorded: false,
            rewritten: (0, 0),
        }
    }

    fn warn(&self, what: &str, status: HostStatus) {
        abi::log(
            LogLevel::Warn,
            &format!("{}: {what}: host status {}", self.shared.name, status.0),
        );
    }

    /// Plans this filter's work on `decision` and keeps what the later phases need of both.
    fn remember(&mut self, map: &MigrationMap, decision: &Decision<'_, '_>) -> Plan {
        let plan = Plan::new(
            self.shared.roles,
            self.shared.engine(),
            DecisionShape::of(decision),
            MapFlags::of(map),
        );
        if plan.deprecation {
            self.deprecation = deprecation_headers(decision);
        }
        self.decided = Some((Verdict::of(map, decision), plan));
        plan
    }

    /// Decides on the request now if no earlier phase of this filter did.
    fn ensure_decided(&mut self, map: &MigrationMap) {
        if self.decided.is_some() {
            return;
        }
        let facts = self.take_facts();
        let decision = map.decide(facts.host(), facts.target(), &facts.client);
        self.remember(map, &decision);
        self.facts = Some(facts);
    }

    /// The request as the client sent it: the one an earlier phase read, or read now.
    fn take_facts(&mut self) -> RequestFacts {
        let engine = self.shared.engine();
        self.facts
            .take()
            .unwrap_or_else(|| RequestFacts::read(engine))
    }

    fn answer(&mut self, decision: &Decision<'_, '_>, response: &LocalResponse) -> Action {
        let headers: Vec<(&str, &str)> = response
            .headers
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        match abi::send_local_response(
            response.status,
            &headers,
            response.body.as_deref().map(str::as_bytes),
        ) {
            Ok(()) => {
                self.answered = true;
                self.status = Some(response.status);
                Action::Pause
            }
            Err(status) => {
                self.warn(
                    &format!(
                        "cannot send the {} answer for entry {}",
                        response.status,
                        decision.entry.as_str()
                    ),
                    status,
                );
                Action::Continue
            }
        }
    }

    /// Carries out the request-phase part of `plan`.
    fn act(&mut self, plan: Plan, decision: &Decision<'_, '_>, facts: &RequestFacts) -> Action {
        let forward = match decision.outcome {
            Outcome::Reply(reply) if plan.answers => {
                let response =
                    LocalResponse::render(decision, &reply, facts.host(), facts.target());
                return self.answer(decision, &response);
            }
            Outcome::Forward(forward) => Some(forward),
            Outcome::Pass | Outcome::Reply(_) => None,
        };
        if plan.client_scheme {
            self.client_scheme = Some(facts.client_scheme());
        }
        if let Some(slot) = plan.upstream_path
            && let Some(Forward {
                path: Some(path), ..
            }) = forward
            && let Err(status) = write(slot, path.render().as_bytes())
        {
            self.warn("cannot set the upstream path", status);
        }
        if let Some(slot) = plan.upstream_host {
            // The forward's Host, or for a long-host request its API's.
            let host = match forward {
                Some(forward) => Some(forward.host),
                None => decision.api.map(Api::long_host),
            };
            if let Some(host) = host
                && let Err(status) = write(slot, host.as_bytes())
            {
                self.warn("cannot set the upstream host", status);
            }
        }
        if let Some((host_slot, prefix_slot)) = plan.forwarded
            && let Some(Forward {
                forwarded: Some((host, prefix)),
                ..
            }) = forward
            && let Err(status) = write(host_slot, host.as_bytes())
                .and_then(|()| write(prefix_slot, prefix.as_bytes()))
        {
            self.warn("cannot set X-Forwarded-Host/-Prefix", status);
        }
        Action::Continue
    }

    /// Carries out `rewrite` on the response headers for the client's entry, with `host` the short
    /// host or the client's legacy host.
    fn rewrite_response(
        &mut self,
        headers: &HeaderMap,
        found: &ResponseHeaders<'_>,
        rewrite: Rewrite,
        api: &Api,
        host: &str,
        pass_counts: bool,
    ) {
        let url_headers = [
            ("location", found.location),
            ("content-location", found.content_location),
            ("refresh", found.refresh),
        ];
        if found.set_cookie.is_none() && url_headers.iter().all(|(_, value)| value.is_none()) {
            return;
        }
        // Taken in the request phase: Envoy refuses request-header reads here.
        let scheme = self.client_scheme.unwrap_or("https");
        let rewriter = match rewrite.entry {
            RewriteFor::Short => ResponseRewrite::short(api, host, scheme),
            RewriteFor::Legacy => ResponseRewrite::legacy(api, host, scheme),
        };
        let apply = rewrite.apply;
        let (mut urls, mut cookies) = (0u32, 0u32);
        for (name, value) in url_headers {
            let Some(text) = value.and_then(|bytes| std::str::from_utf8(bytes).ok()) else {
                continue;
            };
            let rewritten = if name == "refresh" {
                rewriter.refresh(text)
            } else {
                rewriter.url(text)
            };
            if let Some(new) = rewritten {
                urls += 1;
                if apply
                    && let Err(status) =
                        abi::replace_header(MapType::ResponseHeaders, name, new.as_bytes())
                {
                    self.warn(&format!("cannot rewrite {name}"), status);
                }
            }
        }
        let mut cookie_values: Vec<Vec<u8>> = Vec::new();
        for value in headers.all("set-cookie") {
            let new = std::str::from_utf8(value)
                .ok()
                .and_then(|text| rewriter.set_cookie(text));
            cookies += u32::from(new.is_some());
            cookie_values.push(new.map_or_else(|| value.to_vec(), String::into_bytes));
        }
        // Several Set-Cookie headers: the only portable way to change one is to remove them all and
        // add each back, in order (works in Kong's engine and in Envoy).
        if apply && cookies > 0 {
            let result =
                abi::remove_header(MapType::ResponseHeaders, "set-cookie").and_then(|()| {
                    cookie_values.iter().try_for_each(|value| {
                        abi::add_header(MapType::ResponseHeaders, "set-cookie", value)
                    })
                });
            if let Err(status) = result {
                self.warn("cannot rewrite set-cookie", status);
            }
        }
        self.rewritten = (urls, cookies);
        if pass_counts {
            let counts = format!("{urls},{cookies}");
            if let Err(status) = abi::set_property(REWRITES_PROPERTY, counts.as_bytes()) {
                self.warn("cannot record the rewrite counts", status);
            }
        }
    }

    /// Writes the telemetry record to `sink`; `with_response`: from the response phase (the only
    /// phase where Kong's log plugins can still be handed it).
    fn write_record(&self, sink: RecordSink, json: &str, with_response: bool) {
        match sink {
            RecordSink::Log => {}
            RecordSink::FilterState => match abi::set_property(RECORD_PROPERTY, json.as_bytes()) {
                Ok(()) => return,
                Err(status) => self.warn("cannot set the telemetry record's filter state", status),
            },
            // In `on_log` Kong has run its log plugins already and cleared `kong.ctx`: a write
            // there would reach no plugin and could leak into the worker's next request
            // (kong-3.9.3.md §7). The response phase never came: the log line it is.
            RecordSink::LogPlugins if !with_response => {}
            RecordSink::LogPlugins => {
                match abi::set_property(KONG_CTX_RECORD_PROPERTY, json.as_bytes()) {
                    Ok(()) => return,
                    Err(status) => self.warn("cannot set kong.ctx.shared.kdp_migrate", status),
                }
            }
            RecordSink::LogWithoutFilterState => self.say_fallback_once("filter_state", "Envoy's"),
            RecordSink::LogWithoutLogPlugins => self.say_fallback_once("log_plugins", "Kong's"),
        }
        abi::log(LogLevel::Info, json);
    }

    fn say_fallback_once(&self, sink: &str, whose: &str) {
        if !self.shared.sink_fallback_said.replace(true) {
            abi::log(
                LogLevel::Warn,
                &format!(
                    "{}: telemetry \"{sink}\" is {whose}: this engine gets the log line",
                    self.shared.name
                ),
            );
        }
    }

    /// Builds the request's record from what the phases so far saw and writes it to its sink,
    /// once.
    fn record(&mut self, map: &MigrationMap, with_response: bool) {
        if self.recorded {
            return;
        }
        let engine = self.shared.engine();
        let numbers = engine.numeric;
        let (Some((verdict, plan)), Some(facts)) = (&self.decided, &self.facts) else {
            return;
        };
        let Some(record) = plan.record else {
            return;
        };
        let method = facts.method();
        let status = self.status.map(u64::from).or_else(|| {
            abi::property("response\0code")
                .ok()
                .flatten()
                .and_then(|bytes| numbers.integer(&bytes))
        });
        let measured = self
            .started_nanos
            .filter(|_| plan::measures_latency(engine))
            .and_then(|start| {
                let now = abi::now_nanos().ok()?;
                numeric::elapsed_ms(start, now)
            });
        // Kong: `$request_time`, to the response headers when written with them.
        let latency_ms = measured.or_else(|| {
            abi::property("request\0duration")
                .ok()
                .flatten()
                .and_then(|bytes| numbers.duration_ms(&bytes))
        });
        let (location_rewritten, cookies_rewritten) = match record.rewrite_counts {
            RewriteCounts::FilterState => self.recorded_rewrites().unwrap_or(self.rewritten),
            RewriteCounts::Own => self.rewritten,
        };
        // The request phase did not run for this filter (another one answered): now is as close
        // as it gets.
        let time = self
            .started_nanos
            .or_else(|| abi::now_nanos().ok())
            .and_then(Timestamp::from_unix_nanos);
        let client = client_key(&facts.client);
        let headers = facts.client.headers();
        let user_agent = headers.get("user-agent").map(String::from_utf8_lossy);
        let request_id = headers
            .get("x-request-id")
            .or_else(|| headers.get("x-kong-request-id"))
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
            .or_else(|| {
                let property = abi::property(engine.request_id?).ok().flatten()?;
                Some(String::from_utf8_lossy(&property).into_owned())
            });
        let record_line = TelemetryRecord::new(
            verdict,
            map,
            Measured {
                method,
                host: facts.host(),
                path: facts.target(),
                status,
                latency_ms,
                location_rewritten,
                cookies_rewritten,
                time,
                client: Some(client.as_str()).filter(|client| !client.is_empty()),
                user_agent: user_agent.as_deref(),
                request_id: request_id.as_deref().filter(|id| !id.is_empty()),
            },
        );
        // One buffer for the VM's life, reused: a line is written whole before the next one.
        let mut line = self.shared.record_line.take();
        line.clear();
        record_line.write_json(&mut line);
        self.recorded = true;
        self.write_record(record.sink, &line, with_response);
        self.shared.record_line.replace(line);
    }

    /// The counts a rewriting filter of the same chain left (see [`REWRITES_PROPERTY`]).
    fn recorded_rewrites(&self) -> Option<(u32, u32)> {
        let bytes = abi::property(REWRITES_PROPERTY).ok().flatten()?;
        let text = std::str::from_utf8(&bytes).ok()?;
        let (urls, cookies) = text.split_once(',')?;
        Some((urls.parse().ok()?, cookies.parse().ok()?))
    }
}

/// The response headers the response phase looks at, found in one walk of the map.
struct ResponseHeaders<'a> {
    status: Option<&'a [u8]>,
    location: Option<&'a [u8]>,
    content_location: Option<&'a [u8]>,
    refresh: Option<&'a [u8]>,
    set_cookie: Option<&'a [u8]>,
}

impl<'a> ResponseHeaders<'a> {
    fn find(headers: &'a HeaderMap) -> Self {
        let [status, location, content_location, refresh, set_cookie] = headers.first_values([
            ":status",
            "location",
            "content-location",
            "refresh",
            "set-cookie",
        ]);
        ResponseHeaders {
            status,
            location,
            content_location,
            refresh,
            set_cookie,
        }
    }
}

/// Writes `value` into `slot` of the upstream request.
fn write(slot: Slot, value: &[u8]) -> Result<(), HostStatus> {
    match slot {
        Slot::Property(path) => abi::set_property(path, value),
        Slot::RequestHeader(name) => abi::replace_header(MapType::RequestHeaders, name, value),
    }
}

impl Context for FilterContext {}

impl HttpContext for FilterContext {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        let Some(configured) = self.configured.clone() else {
            return Action::Continue;
        };
        let map = &configured.map;
        if plan::starts_clock(self.shared.roles) {
            self.started_nanos = abi::now_nanos().ok();
        }
        // Decided on the request as the client sent it: in Envoy the filters after this one
        // rewrite `:authority` and `:path`, which `host` and `request.path` reflect.
        let facts = self.take_facts();
        let decision = map.decide(facts.host(), facts.target(), &facts.client);
        let plan = self.remember(map, &decision);
        let action = self.act(plan, &decision, &facts);
        self.facts = Some(facts);
        action
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        let Some(configured) = self.configured.clone() else {
            return Action::Continue;
        };
        let map = &configured.map;
        if !self.answered {
            self.on_response(map);
        }
        if let Some((_, plan)) = &self.decided
            && plan
                .record
                .is_some_and(|record| record.sink.with_response())
        {
            self.record(map, true);
        }
        Action::Continue
    }

    fn on_log(&mut self) {
        if !self.shared.roles.telemetry {
            return;
        }
        let Some(configured) = self.configured.clone() else {
            return;
        };
        let map = &configured.map;
        // After another filter's local response in Envoy, our earlier phases never ran: read now.
        self.ensure_decided(map);
        self.record(map, false);
        if let Some((verdict, _)) = &self.decided
            && self.shared.metrics_supported()
        {
            configured
                .counters
                .increment(self.shared.name, map, verdict);
        }
    }
}

impl FilterContext {
    /// The response phase of a response this filter did not send: the status for the record, the
    /// rewrite, the deprecation headers.
    fn on_response(&mut self, map: &MigrationMap) {
        // A filter that does not record, whose request phase did not run (another filter
        // answered), has nothing of its own on this response.
        if self.decided.is_none() && !self.shared.roles.telemetry {
            return;
        }
        self.ensure_decided(map);
        let Some((verdict, plan)) = &self.decided else {
            return;
        };
        let (plan, api) = (*plan, verdict.api(map));
        // The status and the headers to rewrite come from one read of the map.
        let headers = if plan.reads_response() {
            HeaderMap::read(MapType::ResponseHeaders).unwrap_or_default()
        } else {
            HeaderMap::default()
        };
        let found = ResponseHeaders::find(&headers);
        if plan.response_status {
            self.status = found
                .status
                .and_then(|bytes| std::str::from_utf8(bytes).ok()?.parse().ok());
        }
        if let Some(rewrite) = plan.rewrite
            && let Some(api) = api
        {
            let mut buffer: HostBuffer = [0; MAX_HOST_LEN];
            let host = match rewrite.entry {
                RewriteFor::Short => map.short_host(),
                RewriteFor::Legacy => self
                    .facts
                    .as_ref()
                    .and_then(|facts| host::normalize(facts.host(), &mut buffer))
                    .unwrap_or_default(),
            };
            self.rewrite_response(
                &headers,
                &found,
                rewrite,
                api,
                host,
                plan.passes_rewrite_counts,
            );
        }
        for (name, value) in std::mem::take(&mut self.deprecation) {
            if let Err(status) =
                abi::replace_header(MapType::ResponseHeaders, name, value.as_bytes())
            {
                self.warn(&format!("cannot add {name}"), status);
            }
        }
    }
}
