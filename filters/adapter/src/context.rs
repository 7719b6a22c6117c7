//! The HTTP context: one request through the phases, acting only on what the filter's roles own.

use std::rc::Rc;

use kdp_migrate_core::host::{self, HostBuffer, MAX_HOST_LEN};
use kdp_migrate_core::{
    Api, Decision, Entry, LocalResponse, Measured, MigrationMap, Outcome, ResponseRewrite,
    TelemetryRecord, counter_name, deprecation_headers, numeric,
};
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::Action;

use crate::abi::{self, LogLevel, MapType};
use crate::engine::Engine;
use crate::request::RequestFacts;
use crate::root::Shared;

/// Envoy keeps properties a filter sets as per-request filter state that later filters can read;
/// the rewriting filters leave their counts there for `migration_telemetry`, which runs after them
/// in Envoy's reversed response order and would otherwise see only already-rewritten headers.
const REWRITES_PROPERTY: &str = "kdp_migrate.rewrites";

/// Whose entry a response is rewritten for: the short host (with the API), or the legacy host the
/// client used.
#[derive(Clone, Copy)]
enum RewriteFor<'a> {
    Short(&'a Api, &'a str),
    Legacy(&'a Api, &'a str),
}

/// Per-request state.
pub(crate) struct FilterContext {
    shared: Rc<Shared>,
    map: Option<Rc<MigrationMap>>,
    /// Read in the request phase; read later only when that phase did not run for this filter
    /// (another filter answered first).
    facts: Option<RequestFacts>,
    /// The scheme the client used, read in the request phase (Envoy refuses request-header reads
    /// in the response phase) for the forwards whose responses this filter rewrites.
    client_scheme: Option<String>,
    /// This filter sent the local response (its own headers are already on it).
    answered: bool,
    /// `Location`-like and `Set-Cookie` headers rewritten (or, for a telemetry-only filter, that the
    /// rewriting filters will rewrite).
    rewritten: (u32, u32),
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
        }
    }

    fn warn(&self, what: &str, status: abi::HostStatus) {
        abi::log(
            LogLevel::Warn,
            &format!("{}: {what}: host status {}", self.shared.name, status.0),
        );
    }

    /// The request's facts, read from the engine the first time they are needed.
    fn take_facts(&mut self) -> RequestFacts {
        self.facts.take().unwrap_or_else(RequestFacts::read)
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
    fn rewrite_response(&mut self, target: RewriteFor<'_>, apply: bool) {
        let Ok(headers) = abi::headers(MapType::ResponseHeaders) else {
            return;
        };
        let has_url = headers.iter().any(|(name, _)| {
            ["location", "content-location", "refresh"]
                .iter()
                .any(|url| name.eq_ignore_ascii_case(url))
        });
        let has_cookie = headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("set-cookie"));
        if !has_url && !has_cookie {
            return;
        }
        // Read in the request phase: Envoy refuses request-header reads here.
        let scheme = self
            .client_scheme
            .clone()
            .unwrap_or_else(|| "https".to_owned());
        let rewrite = match target {
            RewriteFor::Short(api, short_host) => ResponseRewrite::short(api, short_host, &scheme),
            RewriteFor::Legacy(api, legacy_host) => {
                ResponseRewrite::legacy(api, legacy_host, &scheme)
            }
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
        if apply && self.shared.engine() == Engine::Envoy && !self.shared.roles.telemetry {
            let counts = format!("{urls},{cookies}");
            if let Err(status) = abi::set_property(&[REWRITES_PROPERTY], counts.as_bytes()) {
                self.warn("cannot record the rewrite counts", status);
            }
        }
    }

    /// In Envoy, the counts a rewriting filter of the same chain recorded (see [`REWRITES_PROPERTY`]).
    fn recorded_rewrites(&self) -> Option<(u32, u32)> {
        if self.shared.roles.rewrites_responses() || self.shared.engine() != Engine::Envoy {
            return None;
        }
        let bytes = abi::property(&[REWRITES_PROPERTY]).ok().flatten()?;
        let text = std::str::from_utf8(&bytes).ok()?;
        let (urls, cookies) = text.split_once(',')?;
        Some((urls.parse().ok()?, cookies.parse().ok()?))
    }
}

impl Context for FilterContext {}

impl HttpContext for FilterContext {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        let roles = self.shared.roles;
        // A telemetry-only filter only remembers the request as the client sent it: in Envoy the
        // filters after it rewrite `:authority` and `:path`, which `host` and `request.path` reflect.
        if !(roles.router || roles.legacy_redirect || roles.host_rewrite) {
            if self.map.is_some() {
                self.facts = Some(RequestFacts::read());
            }
            return Action::Continue;
        }
        let Some(map) = self.map.clone() else {
            return Action::Continue;
        };
        let engine = self.shared.engine();
        let facts = self.take_facts();
        let decision = map.decide(&facts.host, &facts.target, &facts.client);
        let mut action = Action::Continue;
        match decision.outcome {
            Outcome::Respond(respond) if self.owns_answer(decision.entry) => {
                let response =
                    LocalResponse::render(&decision, &respond, &facts.host, &facts.target);
                action = self.answer(&decision, &response);
            }
            Outcome::Forward(_) => {
                let rewrites = match decision.entry {
                    Entry::Short => roles.router,
                    Entry::Legacy => roles.host_rewrite,
                    Entry::Long | Entry::Unknown => false,
                };
                if rewrites && map.rewrite_responses() {
                    self.client_scheme = Some(RequestFacts::client_scheme());
                }
                self.forward(engine, &decision);
            }
            Outcome::Pass | Outcome::Respond(_) => {}
        }
        // Kong sends the Service's host upstream unless told otherwise; elsewhere the long host the
        // client used already is the upstream Host.
        if decision.entry == Entry::Long
            && roles.host_rewrite
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
        let roles = self.shared.roles;
        let Some(map) = self.map.clone() else {
            return Action::Continue;
        };
        // A rewriting filter whose request phase did not run (another filter answered) has nothing
        // of its own on this response.
        if self.facts.is_none() && !roles.telemetry {
            return Action::Continue;
        }
        let facts = self.take_facts();
        let decision = map.decide(&facts.host, &facts.target, &facts.client);
        let mut buffer: HostBuffer = [0; MAX_HOST_LEN];
        let client_host = host::normalize(&facts.host, &mut buffer).unwrap_or_default();
        if let (Outcome::Forward(_), Some(api), true) =
            (decision.outcome, decision.api, map.rewrite_responses())
        {
            let mine = match decision.entry {
                Entry::Short => roles.router,
                Entry::Legacy => roles.host_rewrite,
                Entry::Long | Entry::Unknown => false,
            };
            // A telemetry-only filter counts what the rewriting filters do to the same headers.
            if mine || roles.telemetry {
                match decision.entry {
                    Entry::Short => {
                        self.rewrite_response(RewriteFor::Short(api, map.short_host()), mine)
                    }
                    Entry::Legacy => {
                        self.rewrite_response(RewriteFor::Legacy(api, client_host), mine)
                    }
                    Entry::Long | Entry::Unknown => {}
                }
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
        // After another filter's local response in Envoy, our earlier phases never ran: read now.
        let facts = self.take_facts();
        let decision = map.decide(&facts.host, &facts.target, &facts.client);
        let method = RequestFacts::method();
        let status = abi::property(&["response", "code"])
            .ok()
            .flatten()
            .and_then(|bytes| numeric::integer(&bytes));
        let latency_ms = abi::property(&["request", "duration"])
            .ok()
            .flatten()
            .and_then(|bytes| numeric::duration_ms(&bytes));
        let (location_rewritten, cookies_rewritten) =
            self.recorded_rewrites().unwrap_or(self.rewritten);
        let record = TelemetryRecord::new(
            &decision,
            Measured {
                method: &method,
                host: &facts.host,
                path: &facts.target,
                status,
                latency_ms,
                location_rewritten,
                cookies_rewritten,
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
