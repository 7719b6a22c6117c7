//! One telemetry record as the report reads it back: the keys it needs from the contract
//! (docs/architecture.md, "Telemetry line"), borrowed from the line where no escape forced a copy.
//! Records written before `time`, `client`, `user_agent` and `request_id` existed read too, with
//! those missing; keys the report does not know are ignored, so newer records read as well.

use std::borrow::Cow;

use kdp_migrate_core::{Action, Entry, Timestamp};
use serde::Deserialize;

/// The record's keys the report reads, as they are in the JSON.
#[derive(Debug, Deserialize)]
struct RecordFields<'a> {
    #[serde(borrow)]
    event: Cow<'a, str>,
    #[serde(borrow)]
    entry: Cow<'a, str>,
    #[serde(borrow, default)]
    api: Option<Cow<'a, str>>,
    #[serde(borrow)]
    action: Cow<'a, str>,
    #[serde(borrow, default)]
    path: Option<Cow<'a, str>>,
    #[serde(default)]
    status: Option<u64>,
    #[serde(default)]
    latency_ms: Option<f64>,
    #[serde(borrow, default)]
    time: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    client: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    user_agent: Option<Cow<'a, str>>,
}

/// One request, as a record reported it.
#[derive(Clone, Debug, PartialEq)]
pub struct Sighting<'a> {
    /// The API, if the map gave the request one.
    pub api: Option<Cow<'a, str>>,
    /// The entry it came in on.
    pub entry: Entry,
    /// What the filters did.
    pub action: Action,
    /// The raw request target (with its query).
    pub path: Option<Cow<'a, str>>,
    /// The response status.
    pub status: Option<u64>,
    /// The latency in milliseconds (Kong: to the response headers when the record comes from a
    /// log plugin; to the end of the request in the log line; see the README).
    pub latency_ms: Option<f64>,
    /// When the request arrived: the record's `time`, else the time of the log line it was in.
    pub time: Option<Timestamp>,
    /// The client (first `X-Forwarded-For` hop, else the peer address).
    pub client: Option<Cow<'a, str>>,
    /// The `User-Agent`.
    pub user_agent: Option<Cow<'a, str>>,
}

/// Parses one record from JSON text; `logged_at` is the time of the line it was found in, used when
/// the record has no `time` of its own (records written before the key existed).
pub fn parse(json: &str, logged_at: Option<Timestamp>) -> Result<Sighting<'_>, String> {
    let fields: RecordFields<'_> = serde_json::from_str(json).map_err(|error| error.to_string())?;
    from_fields(fields, logged_at)
}

/// Parses the first record at the start of `text`, ignoring what follows it (an error log's
/// `while logging request, client: …`).
pub fn parse_prefix(text: &str, logged_at: Option<Timestamp>) -> Result<Sighting<'_>, String> {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<RecordFields<'_>>();
    match stream.next() {
        Some(Ok(fields)) => from_fields(fields, logged_at),
        Some(Err(error)) => Err(error.to_string()),
        None => Err("no JSON object".to_owned()),
    }
}

fn from_fields(
    fields: RecordFields<'_>,
    logged_at: Option<Timestamp>,
) -> Result<Sighting<'_>, String> {
    if fields.event != "kdp_migrate" {
        return Err(format!("event {:?} is not \"kdp_migrate\"", fields.event));
    }
    let entry = match fields.entry.as_ref() {
        "short" => Entry::Short,
        "long" => Entry::Long,
        "legacy" => Entry::Legacy,
        "unknown" => Entry::Unknown,
        other => {
            return Err(format!(
                "entry {other:?} is not short, long, legacy or unknown"
            ));
        }
    };
    let action = match fields.action.as_ref() {
        "proxy" => Action::Proxy,
        "redirect" => Action::Redirect,
        "reject" => Action::Reject,
        "pass" => Action::Pass,
        other => {
            return Err(format!(
                "action {other:?} is not proxy, redirect, reject or pass"
            ));
        }
    };
    let time = match fields.time {
        Some(text) => {
            Some(Timestamp::parse(&text).ok_or_else(|| format!("time {text:?} is not RFC 3339"))?)
        }
        None => logged_at,
    };
    Ok(Sighting {
        api: fields.api,
        entry,
        action,
        path: fields.path,
        status: fields.status,
        latency_ms: fields
            .latency_ms
            .filter(|latency| latency.is_finite() && *latency >= 0.0),
        time,
        client: fields.client.filter(|client| !client.is_empty()),
        user_agent: fields.user_agent,
    })
}
