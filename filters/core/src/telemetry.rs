//! The per-request migration record and the counter names, shared by every engine.

use serde::Serialize;

use crate::decision::{Action, Decision, Outcome};
use crate::map::Entry;

/// One request, as the telemetry line reports it. Field order is the contract's order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TelemetryRecord<'a> {
    /// Always `kdp_migrate`, so log pipelines can pick the lines out.
    pub event: &'static str,
    /// `short`, `long`, `legacy` or `unknown`.
    pub entry: &'static str,
    /// The API name, if any.
    pub api: Option<&'a str>,
    /// `proxy`, `redirect`, `reject` or `pass`.
    pub action: &'static str,
    /// The request method.
    pub method: &'a str,
    /// The client's Host, as sent.
    pub host: &'a str,
    /// The raw request target, as sent.
    pub path: &'a str,
    /// The response status, when the engine knows it.
    pub status: Option<u64>,
    /// The request's duration in milliseconds, when the engine knows it.
    pub latency_ms: Option<f64>,
    /// `observe`, `canary` or `redirect` for legacy requests.
    pub redirect_stage: Option<&'static str>,
    /// How many `Location`/`Content-Location`/`Refresh` headers were rewritten.
    pub location_rewritten: u32,
    /// How many `Set-Cookie` headers were rewritten.
    pub cookies_rewritten: u32,
    /// Why the request was rejected (`unsafe_path` reason code, `no_api`, `gone`).
    pub reason: Option<&'static str>,
    /// Observe mode: the action redirect mode would have taken.
    pub would_action: Option<&'static str>,
    /// Observe mode: the status it would have answered.
    pub would_status: Option<u16>,
    /// Observe mode: the `Location` it would have sent.
    pub would_location: Option<String>,
}

/// What the engine measured about the request, beyond the decision.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Measured<'a> {
    /// The request method.
    pub method: &'a str,
    /// The client's Host, as sent.
    pub host: &'a str,
    /// The raw request target.
    pub path: &'a str,
    /// The response status.
    pub status: Option<u64>,
    /// The duration in milliseconds.
    pub latency_ms: Option<f64>,
    /// Rewritten `Location`-like headers.
    pub location_rewritten: u32,
    /// Rewritten `Set-Cookie` headers.
    pub cookies_rewritten: u32,
}

impl<'a> TelemetryRecord<'a> {
    /// The record of `decision` with what the engine measured.
    pub fn new(decision: &Decision<'a, '_>, measured: Measured<'a>) -> Self {
        let (would_action, would_status, would_location) = match decision.would {
            Some(would) => (
                Some(would.action().as_str()),
                status_of(&would),
                location_of(&would),
            ),
            None => (None, None, None),
        };
        TelemetryRecord {
            event: "kdp_migrate",
            entry: decision.entry.as_str(),
            api: decision.api.map(|api| api.name()),
            action: decision.action().as_str(),
            method: measured.method,
            host: measured.host,
            path: measured.path,
            status: measured.status,
            latency_ms: measured.latency_ms,
            redirect_stage: decision.stage.map(|stage| stage.as_str()),
            location_rewritten: measured.location_rewritten,
            cookies_rewritten: measured.cookies_rewritten,
            reason: reason_of(&decision.outcome),
            would_action,
            would_status,
            would_location,
        }
    }

    /// The record as one JSON line (no trailing newline).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

fn status_of(outcome: &Outcome<'_, '_>) -> Option<u16> {
    match outcome {
        Outcome::Respond(respond) => Some(respond.status),
        _ => None,
    }
}

fn location_of(outcome: &Outcome<'_, '_>) -> Option<String> {
    match outcome {
        Outcome::Respond(respond) => match respond.answer {
            crate::decision::Answer::Redirect { location, .. } => Some(location.render()),
            _ => None,
        },
        _ => None,
    }
}

fn reason_of(outcome: &Outcome<'_, '_>) -> Option<&'static str> {
    match outcome {
        Outcome::Respond(respond) => match respond.answer {
            crate::decision::Answer::UnsafePath(reason) => Some(reason.code()),
            crate::decision::Answer::NoApi => Some("no_api"),
            crate::decision::Answer::Gone => Some("gone"),
            crate::decision::Answer::Redirect { .. } => None,
        },
        _ => None,
    }
}

/// The counter for one (api, entry, action): `requests_total_api=<api or ->_entry=<entry>_action=<action>`.
///
/// API names are DNS labels (no `_`), so Kong's Prometheus `label_patterns` can cut the labels out
/// at the underscores.
pub fn counter_name(api: Option<&str>, entry: Entry, action: Action) -> String {
    format!(
        "requests_total_api={}_entry={}_action={}",
        api.unwrap_or("-"),
        entry.as_str(),
        action.as_str()
    )
}
