//! Finding the records in a line, whichever sink or log wrote it:
//!
//! | line | looks like |
//! |---|---|
//! | JSONL, Envoy's access log (`envoy/access-log.yaml`) | the record alone: `{"event":"kdp_migrate",…}` |
//! | Kong's error log | `2026/12/06 07:01:39 [info] 1#0: *5 [proxy-wasm]["migration_telemetry" #1] {"event":"kdp_migrate",…} while logging request, …` |
//! | Envoy's log | `[2026-12-06 07:01:39.123][15][info][wasm] [source/…/context.cc:1195] wasm log kdp_migrate: {"event":"kdp_migrate",…}` |
//! | Kong log plugins (file-log line, http-log body) | `{…,"kdp_migrate":{…record…},…}`, the record also as a JSON string, or a JSON array of such entries |
//!
//! A line without the text `kdp_migrate` is not looked at further. A line that has the record's
//! start (or is JSON carrying the `kdp_migrate` field) but does not parse is malformed; any other
//! line (Kong's and Envoy's other messages) carries no record.

use std::borrow::Cow;

use kdp_migrate_core::Timestamp;
use memchr::memmem::Finder;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::record::{self, Sighting};

/// The start every record is written with (the filters write `event` first).
pub const RECORD_START: &str = r#"{"event":"kdp_migrate""#;

/// The log-plugin field that carries the record (`custom_fields_by_lua`, kong/README.md).
pub const LOG_PLUGIN_FIELD: &str = "kdp_migrate";

/// What one line held.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineOutcome {
    /// Records found (and handed on).
    pub records: usize,
    /// Why the line, which looked like it carried a record, could not be read.
    pub malformed: Option<String>,
}

/// Searches lines: keeps the substring searchers built once.
#[derive(Debug)]
pub struct LineReader {
    word: Finder<'static>,
    start: Finder<'static>,
}

impl Default for LineReader {
    fn default() -> Self {
        LineReader {
            word: Finder::new(LOG_PLUGIN_FIELD.as_bytes()),
            start: Finder::new(RECORD_START.as_bytes()),
        }
    }
}

/// A log-plugin entry (Kong's `kong.log.serialize()` plus our custom field); only what the report
/// needs is read, the rest skipped.
#[derive(Debug, Deserialize)]
struct LogPluginEntry<'a> {
    #[serde(borrow, default, rename = "kdp_migrate")]
    record: Option<&'a RawValue>,
    /// Set when the object is a record itself, with its keys in another order.
    #[serde(borrow, default)]
    event: Option<Cow<'a, str>>,
    /// `kong.request.get_start_time()`, milliseconds.
    #[serde(default)]
    started_at: Option<f64>,
}

impl LineReader {
    /// Hands every record in `line` to `each`.
    pub fn read(&self, line: &[u8], each: &mut dyn FnMut(Sighting<'_>)) -> LineOutcome {
        if self.word.find(line).is_none() {
            return LineOutcome::default();
        }
        let text = match std::str::from_utf8(line) {
            Ok(text) => Cow::Borrowed(text),
            // Kong's cjson copies bytes ≥ 0x80 as they came, valid UTF-8 or not.
            Err(_) => String::from_utf8_lossy(line),
        };
        let trimmed = text.trim_start();
        if trimmed.starts_with(RECORD_START) {
            return one(record::parse(trimmed, None), each);
        }
        // An http-log batch opens with `[{`; Envoy's log lines open with `[2026-…`.
        let batch = trimmed
            .strip_prefix('[')
            .is_some_and(|rest| rest.trim_start().starts_with(['{', ']']));
        if trimmed.starts_with('{') || batch {
            return log_plugin_entries(trimmed, each);
        }
        match self.start.find(trimmed.as_bytes()) {
            Some(at) => {
                let logged_at = logged_at(trimmed.as_bytes());
                one(
                    record::parse_prefix(trimmed.get(at..).unwrap_or_default(), logged_at),
                    each,
                )
            }
            None => LineOutcome::default(),
        }
    }
}

fn one(parsed: Result<Sighting<'_>, String>, each: &mut dyn FnMut(Sighting<'_>)) -> LineOutcome {
    match parsed {
        Ok(sighting) => {
            each(sighting);
            LineOutcome {
                records: 1,
                malformed: None,
            }
        }
        Err(reason) => LineOutcome {
            records: 0,
            malformed: Some(reason),
        },
    }
}

/// A file-log line (one entry) or an http-log body (an array of entries, or one entry).
fn log_plugin_entries(text: &str, each: &mut dyn FnMut(Sighting<'_>)) -> LineOutcome {
    let entries: Vec<LogPluginEntry<'_>> = if text.starts_with('[') {
        match serde_json::from_str(text) {
            Ok(entries) => entries,
            Err(error) => return malformed(format!("not a JSON array of log entries: {error}")),
        }
    } else {
        match serde_json::from_str(text) {
            Ok(entry) => vec![entry],
            Err(error) => return malformed(format!("not a JSON log entry: {error}")),
        }
    };
    let mut outcome = LineOutcome::default();
    let whole_line_is_one_entry = entries.len() == 1 && text.starts_with('{');
    for (index, entry) in entries.iter().enumerate() {
        let started_at = entry
            .started_at
            .filter(|millis| millis.is_finite())
            .and_then(|millis| Timestamp::from_unix_ms(millis as i64));
        let where_ = if whole_line_is_one_entry {
            String::new()
        } else {
            format!("[{index}].")
        };
        let parsed = match (entry.record, &entry.event) {
            (Some(raw), _) => match raw.get().as_bytes().first() {
                Some(b'{') => record::parse(raw.get(), started_at).map(owned),
                Some(b'"') => match serde_json::from_str::<Cow<'_, str>>(raw.get()) {
                    Ok(text) => record::parse(&text, started_at).map(owned),
                    Err(error) => Err(error.to_string()),
                },
                Some(b'n') => continue,
                _ => Err("not an object or a string".to_owned()),
            }
            .map_err(|reason| format!("{where_}{LOG_PLUGIN_FIELD}: {reason}")),
            (None, Some(event)) if event == "kdp_migrate" && whole_line_is_one_entry => {
                record::parse(text, None).map(owned)
            }
            (None, _) => continue,
        };
        match parsed {
            Ok(sighting) => {
                each(sighting);
                outcome.records += 1;
            }
            Err(reason) => {
                outcome.malformed.get_or_insert(reason);
            }
        }
    }
    outcome
}

/// Detaches a sighting from the text it was parsed from (a record decoded out of a JSON string
/// lives only as long as that decoding).
fn owned(sighting: Sighting<'_>) -> Sighting<'static> {
    let own = |text: Option<Cow<'_, str>>| text.map(|text| Cow::Owned(text.into_owned()));
    Sighting {
        api: own(sighting.api),
        path: own(sighting.path),
        client: own(sighting.client),
        user_agent: own(sighting.user_agent),
        entry: sighting.entry,
        action: sighting.action,
        status: sighting.status,
        latency_ms: sighting.latency_ms,
        time: sighting.time,
    }
}

fn malformed(reason: String) -> LineOutcome {
    LineOutcome {
        records: 0,
        malformed: Some(reason),
    }
}

/// The time an error log wrote the line, for records without their own `time`: nginx's
/// `2026/12/06 07:01:39 ` or Envoy's `[2026-12-06 07:01:39.123]`. Both are the server's local time;
/// the report takes them as UTC (containers run in UTC).
pub fn logged_at(line: &[u8]) -> Option<Timestamp> {
    let (date, rest) = match line.first()? {
        b'[' => (line.get(1..11)?, line.get(11..)?),
        _ => (line.get(..10)?, line.get(10..)?),
    };
    let separator = date.get(4).copied()?;
    if !matches!(separator, b'/' | b'-')
        || date.get(7) != Some(&separator)
        || rest.first() != Some(&b' ')
    {
        return None;
    }
    let clock = rest.get(1..9)?;
    let millis = match (rest.get(9), rest.get(10..13)) {
        (Some(b'.'), Some(digits)) if digits.iter().all(u8::is_ascii_digit) => digits,
        _ => b"000".as_slice(),
    };
    let mut text = String::with_capacity(24);
    for (part, after) in [
        (date.get(..4)?, "-"),
        (date.get(5..7)?, "-"),
        (date.get(8..10)?, "T"),
        (clock, "."),
        (millis, "Z"),
    ] {
        text.push_str(std::str::from_utf8(part).ok()?);
        text.push_str(after);
    }
    Timestamp::parse(&text)
}
