//! The telemetry records in a gateway's log: one JSON object per request, written at info level by the filters'
//! telemetry role (`docs/architecture.md`, "Telemetry line").
//!
//! Envoy ends the log line with the object; nginx (Kong's engine) appends the request's context after it
//! (`, client: …, server: kong, request: "…"`), so a record is read as the one JSON value that starts at the
//! marker, whatever follows.

use crate::error::{Error, Result};
use serde_json::Value;
use std::time::{Duration, Instant};

/// The marker that starts a telemetry record (the JSON object) in a log line.
pub const MARKER: &str = "{\"event\":\"kdp_migrate\"";

/// How long a record may take to appear: gateways log it in `on_log`, after the client got its answer.
pub const WAIT: Duration = Duration::from_secs(10);

/// The record's JSON text in one log line, exactly as the filter wrote it; `None` if the line has none or it
/// does not parse.
pub fn record_text(line: &str) -> Option<&str> {
    let at = line.find(MARKER)?;
    let rest = line.get(at..)?;
    let mut values = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
    match values.next() {
        Some(Ok(Value::Object(_))) => rest.get(..values.byte_offset()),
        _ => None,
    }
}

/// Every record's text in a log, in order.
pub fn lines(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(record_text)
        .map(str::to_string)
        .collect()
}

/// Every record in a log, parsed, in order.
pub fn records(log: &str) -> Vec<Value> {
    log.lines()
        .filter_map(record_text)
        .filter_map(|text| serde_json::from_str(text).ok())
        .collect()
}

/// Waits (up to [`WAIT`]) until `log()` holds at least `count` records matching `matches`, and returns all the
/// matching records after a short grace period, so that an extra record would show too.
pub fn wait(
    log: impl Fn() -> String,
    count: usize,
    matches: impl Fn(&Value) -> bool,
) -> Result<Vec<Value>> {
    let matching =
        || -> Vec<Value> { records(&log()).into_iter().filter(|r| matches(r)).collect() };
    let deadline = Instant::now() + WAIT;
    loop {
        let found = matching();
        if found.len() >= count {
            std::thread::sleep(Duration::from_millis(100));
            return Ok(matching());
        }
        if Instant::now() > deadline {
            return Err(Error::new(format!(
                "{} matching telemetry record(s) after {WAIT:?}, wanted {count}; all records: {:?}",
                found.len(),
                records(&log())
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
