//! The HTTP context: one request through the phases, acting only on what the filter's roles own.

use std::rc::Rc;

use kdp_migrate_core::host::{self, HostBuffer, MAX_HOST_LEN};
use kdp_migrate_core::{
    Decision, Entry, LocalResponse, Measured, MigrationMap, Outcome, ResponseRewrite,
    TelemetryRecord, counter_name, deprecation_headers, numeric,
};
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::Action;

use crate::abi::{self, LogLevel, MapType};
use crate::engine::Engine;
use crate::request::RequestFacts;
use crate::root::Shared;

/// Per-request state.
pub(crate) struct FilterContext {
    shared: Rc<Shared>,
    map: Option<Rc<MigrationMap>>,
    /// Read in the request phase; `None` when that phase did not run for this filter (another
    /// filter answered first).
    facts: Option<RequestFacts>,
    /// The scheme the client used, kept for rewriting the responses of forwarded requests.
    client_scheme: Option<String>,
    /// This filter sent the local response (its own headers are already on it).
    answered: bool,
    /// `Location`-like and `Set-Cookie` headers rewritten (or, for a telemetry-only filter, that the
    /// rewriting filters will rewrite).
    rewritten: (u32, u32),
    started_nanos: Option<u64>,
}

impl FilterContext {
    pub fn new(shared: Rc<Shared>, map: Option<Rc<MigrationMap>>) -> Self {
        FilterContext {
            shared,
            map,
            facts: None,
            client_scheme: None,
            answered: false,
            rewritten: (0, 0),
            started_nanos: None,
        }
    }

    fn warn(&self, what: &str, status: abi::HostStatus) {
        abi::log(
            LogLevel::Warn,
            &format!("{}: {what}: host status {}", self.shared.name, status.0),
        );
    }

    /// Whether this filter answers the request's local responses.
    fn owns_answer(&self, entry: Entry) -> bool {
        match entry {
            Entry::Short => self.shared.roles.router,
            Entry::Legacy => self.shared.roles.legacy_redirect,
            Entry::Long | Entry::Unknown => false,
        }
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

    fn forward(&mut self, engine: Engine, decision: &Decision<'_, '_>) {
        let Outcome::Forward(forward) = decision.outcome else {
            return;
        };
        let owned = match decision.entry {
            Entry::Short => self.shared.roles.router,
            Entry::Legacy => self.shared.roles.host_rewrite,
            Entry::Long | Entry::Unknown => false,
        };
        if !owned {
            return;
        }
        if let Some(path) = forward.path
            && let Err(status) = engine.set_upstream_path(&path.render())
        {
            self.warn("cannot set the upstream path", status);
        }
        if let Err(status) = engine.set_upstream_host(forward.host) {
            self.warn("cannot set the upstream host", status);
        }
        if let Some((forwarded_host, forwarded_prefix)) = forward.forwarded
            && let Err(status) = engine.set_forwarded(forwarded_host, forwarded_prefix)
        {
            self.warn("cannot set X-Forwarded-Host/-Prefix", status);
        }
    }

    /// Rewrites (or, with `apply` false, only counts) the response headers for the client's entry.
    fn rewrite_response(&mut self, rewrite: &ResponseRewrite<'_>, apply: bool) {
        let Ok(headers) = abi::headers(MapType::ResponseHeaders) else {
            return;
        };
        let (mut urls, mut cookies) = (0u32, 0u32);
        let mut cookie_values: Vec<Vec<u8>> = Vec::new();
        for (name, value) in headers {
            let name = name.to_ascii_lowercase();
            let text = std::str::from_utf8(&value).ok();
            let rewritten = match (name.as_str(), text) {
                ("location" | "content-location", Some(text)) => rewrite.url(text),
                ("refresh", Some(text)) => rewrite.refresh(text),
                ("set-cookie", Some(text)) => {
                    let new = rewrite.set_cookie(text);
                    cookies += u32::from(new.is_some());
                    cookie_values.push(new.map_or(value, String::into_bytes));
                    continue;
                }
                ("set-cookie", None) => {
                    cookie_values.push(value);
                    continue;
                }
                _ => None,
            };
            if let Some(new) = rewritten {
                urls += 1;
                if apply
                    && let Err(status) =
                        abi::replace_header(MapType::ResponseHeaders, &name, new.as_bytes())
                {
                    self.warn(&format!("cannot rewrite {name}"), status);
                }
            }
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
    }
}

impl Context for FilterContext {}

impl HttpContext for FilterContext {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        let Some(map) = self.map.clone() else {
            return Action::Continue;
        };
        self.started_nanos = abi::now_nanos().ok();
        let engine = self.shared.engine();
        let facts = RequestFacts::read();
        let decision = map.decide(&facts.host, &facts.target, &facts.client);
        let mut action = Action::Continue;
        match decision.outcome {
            Outcome::Respond(respond) if self.owns_answer(decision.entry) => {
                let response =
                    LocalResponse::render(&decision, &respond, &facts.host, &facts.target);
                action = self.answer(&decision, &response);
            }
            Outcome::Forward(_) => {
                self.forward(engine, &decision);
                if map.rewrite_responses() {
                    self.client_scheme = Some(RequestFacts::client_scheme());
                }
            }
            Outcome::Pass | Outcome::Respond(_) => {}
        }
        // Kong sends the Service's host upstream unless told otherwise; elsewhere the long host the
        // client used already is the upstream Host.
        if decision.entry == Entry::Long
            && self.shared.roles.host_rewrite
            && engine == Engine::Kong
            && let Some(api) = decision.api
            && let Err(status) = engine.set_upstream_host(api.long_host())
        {
            self.warn("cannot set the upstream host", status);
        }
        self.facts = Some(facts);
        action
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        if self.answered {
            return Action::Continue;
        }
        let (Some(map), Some(facts)) = (self.map.clone(), self.facts.take()) else {
            return Action::Continue;
        };
        let roles = self.shared.roles;
        let decision = map.decide(&facts.host, &facts.target, &facts.client);
        let scheme = self
            .client_scheme
            .clone()
            .unwrap_or_else(|| "https".to_owned());
        let mut buffer: HostBuffer = [0; MAX_HOST_LEN];
        let client_host = host::normalize(&facts.host, &mut buffer).unwrap_or_default();
        if let (Outcome::Forward(_), Some(api), true) =
            (decision.outcome, decision.api, map.rewrite_responses())
        {
            let (rewrite, mine) = match decision.entry {
                Entry::Short => (
                    Some(ResponseRewrite::short(api, map.short_host(), &scheme)),
                    roles.router,
                ),
                Entry::Legacy => (
                    Some(ResponseRewrite::legacy(api, client_host, &scheme)),
                    roles.host_rewrite,
                ),
                Entry::Long | Entry::Unknown => (None, false),
            };
            // A telemetry-only filter counts what the rewriting filters do to the same headers.
            if let Some(rewrite) = rewrite
                && (mine || roles.telemetry)
            {
                self.rewrite_response(&rewrite, mine);
            }
        }
        if roles.legacy_redirect && !matches!(decision.outcome, Outcome::Respond(_)) {
            for (name, value) in deprecation_headers(&decision) {
                if let Err(status) =
                    abi::replace_header(MapType::ResponseHeaders, name, value.as_bytes())
                {
                    self.warn(&format!("cannot add {name}"), status);
                }
            }
        }
        self.facts = Some(facts);
        Action::Continue
    }

    fn on_log(&mut self) {
        if !self.shared.roles.telemetry {
            return;
        }
        let Some(map) = self.map.clone() else { return };
        // After another filter's local response in Envoy, our request phase never ran: read now.
        let facts = self.facts.take().unwrap_or_else(RequestFacts::read);
        let decision = map.decide(&facts.host, &facts.target, &facts.client);
        let method = RequestFacts::method();
        let status = abi::property(&["response", "code"])
            .ok()
            .flatten()
            .and_then(|bytes| numeric::integer(&bytes));
        let latency_ms = abi::property(&["request", "duration"])
            .ok()
            .flatten()
            .and_then(|bytes| numeric::duration_ms(&bytes))
            .or_else(|| {
                let (start, end) = (self.started_nanos?, abi::now_nanos().ok()?);
                #[allow(clippy::cast_precision_loss)]
                Some(end.saturating_sub(start) as f64 / 1_000_000.0)
            });
        let record = TelemetryRecord::new(
            &decision,
            Measured {
                method: &method,
                host: &facts.host,
                path: &facts.target,
                status,
                latency_ms,
                location_rewritten: self.rewritten.0,
                cookies_rewritten: self.rewritten.1,
            },
        );
        abi::log(LogLevel::Info, &record.to_json());
        if self.shared.metrics_supported() {
            let counter = counter_name(
                decision.api.map(|api| api.name()),
                decision.entry,
                decision.action(),
            );
            self.shared.counters.increment(self.shared.name, counter);
        }
    }
}
