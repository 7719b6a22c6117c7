//! The per-request migration record and the counter names, shared by every engine.

use serde::Serialize;

use crate::decision::{Action, RedirectStage};
use crate::json;
use crate::map::{Api, Entry, MigrationMap};
use crate::record_text::RecordText;
use crate::timestamp::Timestamp;
use crate::verdict::Verdict;

/// One request, as the telemetry line reports it. Field order is the contract's order. Its texts are
/// bounded ([`TelemetryRecord::MAX_LINE_BYTES`]) so that a line is never cut by a log.
///
/// `Serialize` is the reference [`TelemetryRecord::write_json`] is tested against; the filters write
/// the line by hand.
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
    pub method: RecordText<'a>,
    /// The client's Host, as sent.
    pub host: RecordText<'a>,
    /// The raw request target, as sent.
    pub path: RecordText<'a>,
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
    pub would_location: Option<RecordText<'a>>,
    /// When the request arrived (RFC 3339, UTC, milliseconds), when the engine's clock answered.
    pub time: Option<Timestamp>,
    /// Who sent it: the first `X-Forwarded-For` hop, else the peer address without its port.
    pub client: Option<RecordText<'a>>,
    /// The `User-Agent` header.
    pub user_agent: Option<RecordText<'a>>,
    /// The request's id: `X-Request-Id`, else Kong's `Kong-Request-ID`.
    pub request_id: Option<RecordText<'a>>,
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
    /// When the request arrived.
    pub time: Option<Timestamp>,
    /// The client: first `X-Forwarded-For` hop, else the peer address without its port.
    pub client: Option<&'a str>,
    /// The `User-Agent` header.
    pub user_agent: Option<&'a str>,
    /// `X-Request-Id`, else `Kong-Request-ID`.
    pub request_id: Option<&'a str>,
}

impl<'a> TelemetryRecord<'a> {
    /// The record's keys, in the order every line carries them: the contract log pipelines, the
    /// e2e tests and `kdp-migrate report` read (tests check that the hand-written line and
    /// serde's agree with it).
    pub const KEYS: [&'static str; 20] = [
        "event",
        "entry",
        "api",
        "action",
        "method",
        "host",
        "path",
        "status",
        "latency_ms",
        "redirect_stage",
        "location_rewritten",
        "cookies_rewritten",
        "reason",
        "would_action",
        "would_status",
        "would_location",
        "time",
        "client",
        "user_agent",
        "request_id",
    ];

    /// The most bytes a line takes, whatever the request: a Kong error-log line holds 2,048 bytes,
    /// of which nginx's and ngx_wasm_module's prefix (time, level, process, connection, filter)
    /// takes about 100; every text of the record is cut to its bound to stay under this.
    pub const MAX_LINE_BYTES: usize = 1_900;

    /// The record of a request decided as `verdict` by `map`, with what the engine measured; texts
    /// over their bounds are cut ([`RecordText`]).
    pub fn new(verdict: &'a Verdict, map: &'a MigrationMap, measured: Measured<'a>) -> Self {
        let would = verdict.would.as_ref();
        TelemetryRecord {
            event: "kdp_migrate",
            entry: verdict.entry.as_str(),
            api: verdict.api(map).map(Api::name),
            action: verdict.action.as_str(),
            method: RecordText::new(measured.method, bound::METHOD),
            host: RecordText::new(measured.host, bound::HOST),
            path: RecordText::new(measured.path, bound::PATH),
            status: measured.status,
            latency_ms: measured.latency_ms,
            redirect_stage: verdict.stage.map(RedirectStage::as_str),
            location_rewritten: measured.location_rewritten,
            cookies_rewritten: measured.cookies_rewritten,
            reason: verdict.reason,
            would_action: would.map(|would| would.action.as_str()),
            would_status: would.and_then(|would| would.status),
            would_location: would
                .and_then(|would| would.location.as_deref())
                .map(|location| RecordText::new(location, bound::WOULD_LOCATION)),
            time: measured.time,
            client: measured
                .client
                .map(|client| RecordText::new(client, bound::CLIENT)),
            user_agent: measured
                .user_agent
                .map(|agent| RecordText::new(agent, bound::USER_AGENT)),
            request_id: measured
                .request_id
                .map(|id| RecordText::new(id, bound::REQUEST_ID)),
        }
    }

    /// The record as one JSON line (no trailing newline).
    pub fn to_json(&self) -> String {
        let texts = [self.client, self.user_agent, self.request_id];
        let mut line = String::with_capacity(
            448 + self.host.kept().len()
                + self.path.kept().len()
                + texts
                    .iter()
                    .flatten()
                    .map(|text| text.kept().len())
                    .sum::<usize>(),
        );
        self.write_json(&mut line);
        line
    }

    /// Appends the record as one JSON line (no trailing newline), byte for byte what
    /// `serde_json::to_string` writes for it: written by hand because serde's generic serializer
    /// was a third of the telemetry filter's per-request time.
    pub fn write_json(&self, out: &mut String) {
        out.push_str(r#"{"event":"#);
        json::string(out, self.event);
        out.push_str(r#","entry":"#);
        json::string(out, self.entry);
        out.push_str(r#","api":"#);
        json::optional_string(out, self.api);
        out.push_str(r#","action":"#);
        json::string(out, self.action);
        out.push_str(r#","method":"#);
        json::text(out, self.method);
        out.push_str(r#","host":"#);
        json::text(out, self.host);
        out.push_str(r#","path":"#);
        json::text(out, self.path);
        out.push_str(r#","status":"#);
        json::optional_integer(out, self.status);
        out.push_str(r#","latency_ms":"#);
        json::optional_float(out, self.latency_ms);
        out.push_str(r#","redirect_stage":"#);
        json::optional_string(out, self.redirect_stage);
        out.push_str(r#","location_rewritten":"#);
        json::optional_integer(out, Some(self.location_rewritten));
        out.push_str(r#","cookies_rewritten":"#);
        json::optional_integer(out, Some(self.cookies_rewritten));
        out.push_str(r#","reason":"#);
        json::optional_string(out, self.reason);
        out.push_str(r#","would_action":"#);
        json::optional_string(out, self.would_action);
        out.push_str(r#","would_status":"#);
        json::optional_integer(out, self.would_status);
        out.push_str(r#","would_location":"#);
        json::optional_text(out, self.would_location);
        out.push_str(r#","time":"#);
        match self.time {
            Some(time) => {
                out.push('"');
                time.write(out);
                out.push('"');
            }
            None => out.push_str("null"),
        }
        out.push_str(r#","client":"#);
        json::optional_text(out, self.client);
        out.push_str(r#","user_agent":"#);
        json::optional_text(out, self.user_agent);
        out.push_str(r#","request_id":"#);
        json::optional_text(out, self.request_id);
        out.push('}');
    }
}

/// The bounds of the record's texts, in bytes of their JSON strings: together with the rest of a
/// record (at most about 480 bytes) they stay under [`TelemetryRecord::MAX_LINE_BYTES`]. A path
/// keeps far more than any API's routing needs; a Location the more of what differs from the path.
mod bound {
    pub const METHOD: usize = 24;
    pub const HOST: usize = 192;
    pub const PATH: usize = 512;
    pub const WOULD_LOCATION: usize = 320;
    pub const CLIENT: usize = 64;
    pub const USER_AGENT: usize = 160;
    pub const REQUEST_ID: usize = 64;
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
