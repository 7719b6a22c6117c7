//! Recorded traffic: Kong's log serializer output (file-log lines, http-log arrays), HAR 1.2,
//! and JSON Lines of `{ "method", "host", "path", "headers" }`.
//!
//! A malformed line or entry is reported with its line number and skipped; it never stops the
//! rest of the file from being read.

mod har;
mod json;
mod jsonl;
mod kong_log;
mod url;

use std::fmt;
use std::str::FromStr;

use serde_json::Value;
use serde_json::value::RawValue;

use kdp_migrate_host_test::{Request, UpstreamResponse};

/// Which recorder wrote the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Detect per file (HAR) and per line (Kong entry, http-log array, JSONL request).
    Auto,
    /// Kong log serializer: one entry per line, or JSON arrays of entries (http-log batches).
    Kong,
    /// A HAR 1.2 document.
    Har,
    /// One `{ "method", "host", "path", "headers" }` object per line.
    Jsonl,
}

impl FromStr for Format {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "auto" => Ok(Format::Auto),
            "kong" => Ok(Format::Kong),
            "har" => Ok(Format::Har),
            "jsonl" => Ok(Format::Jsonl),
            other => Err(format!(
                "unknown traffic format {other:?} (expected auto, kong, har or jsonl)"
            )),
        }
    }
}

/// One recorded exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// The 1-based line the entry starts on.
    pub line: usize,
    /// The request as the client sent it.
    pub request: Request,
    /// The response that was recorded, used as the upstream's answer.
    pub response: UpstreamResponse,
}

/// A line or entry that could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Malformed {
    /// The 1-based line it is on.
    pub line: usize,
    /// Why.
    pub reason: String,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.line, self.reason)
    }
}

/// Everything read from one file, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// The usable entries.
    pub entries: Vec<Recorded>,
    /// The skipped ones.
    pub malformed: Vec<Malformed>,
}

/// A file that cannot be read as traffic at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unusable {
    /// The 1-based line where reading stopped.
    pub line: usize,
    /// Why.
    pub reason: String,
}

impl fmt::Display for Unusable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.line, self.reason)
    }
}

/// Which kind of object an entry is, for a line read in a given format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EntryKind {
    Kong,
    Jsonl,
}

/// Reads traffic in `format`. Only a document that must be one JSON value (HAR) and cannot be
/// parsed is unusable; everything else is read entry by entry.
pub fn parse(bytes: &[u8], format: Format) -> Result<Traffic, Unusable> {
    let text = String::from_utf8_lossy(bytes);
    let mut traffic = Traffic::default();
    match format {
        Format::Har => parse_document(&text, &mut traffic, format)?,
        Format::Kong | Format::Jsonl => parse_lines(bytes, &mut traffic, format),
        Format::Auto => {
            if looks_like_document(&text) {
                if parse_document(&text, &mut traffic, format).is_err() {
                    traffic = Traffic::default();
                    parse_lines(bytes, &mut traffic, format);
                }
            } else {
                parse_lines(bytes, &mut traffic, format);
            }
        }
    }
    Ok(traffic)
}

/// A file is one JSON document (HAR, or an http-log array spread over lines) when its first
/// non-blank line is not a complete JSON value by itself, or is a HAR object.
fn looks_like_document(text: &str) -> bool {
    let Some(first) = text.lines().map(str::trim).find(|line| !line.is_empty()) else {
        return false;
    };
    match serde_json::from_str::<Value>(first) {
        Ok(value) => value.get("log").is_some(),
        Err(_) => first.starts_with('{') || first.starts_with('['),
    }
}

fn line_of(text: &str, raw: &RawValue) -> usize {
    let offset = (raw.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
    let before = text.get(..offset).unwrap_or(text);
    before.bytes().filter(|&byte| byte == b'\n').count() + 1
}

fn parse_document(text: &str, traffic: &mut Traffic, format: Format) -> Result<(), Unusable> {
    let unusable = |error: serde_json::Error| Unusable {
        line: error.line().max(1),
        reason: format!("not a JSON document: {error}"),
    };
    if text.trim_start().starts_with('[') && format != Format::Har {
        // An http-log batch written over several lines.
        let entries: Vec<&RawValue> = serde_json::from_str(text).map_err(unusable)?;
        for (index, raw) in entries.into_iter().enumerate() {
            let line = line_of(text, raw);
            read_entry(raw.get(), line, traffic, Some(index + 1), None);
        }
        return Ok(());
    }
    let document: har::Document<'_> = serde_json::from_str(text).map_err(|error| {
        if error.is_data() {
            Unusable {
                line: error.line().max(1),
                reason: format!("not a HAR document: {error}"),
            }
        } else {
            unusable(error)
        }
    })?;
    for raw in document.log.entries {
        let line = line_of(text, raw);
        match har::entry(raw.get()) {
            Ok((request, response)) => traffic.entries.push(Recorded {
                line,
                request,
                response,
            }),
            Err(reason) => traffic.malformed.push(Malformed { line, reason }),
        }
    }
    Ok(())
}

fn parse_lines(bytes: &[u8], traffic: &mut Traffic, format: Format) {
    let only = match format {
        Format::Kong => Some(EntryKind::Kong),
        Format::Jsonl => Some(EntryKind::Jsonl),
        Format::Auto | Format::Har => None,
    };
    for (index, line) in bytes.split(|&byte| byte == b'\n').enumerate() {
        let number = index + 1;
        let Ok(line) = std::str::from_utf8(line) else {
            traffic.malformed.push(Malformed {
                line: number,
                reason: "not UTF-8".to_owned(),
            });
            continue;
        };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('[') {
            match serde_json::from_str::<Vec<&RawValue>>(line) {
                Ok(entries) => {
                    for (position, raw) in entries.into_iter().enumerate() {
                        read_entry(
                            raw.get(),
                            number,
                            traffic,
                            Some(position + 1),
                            only.or(Some(EntryKind::Kong)),
                        );
                    }
                }
                Err(error) => traffic.malformed.push(Malformed {
                    line: number,
                    reason: format!("not JSON: {error}"),
                }),
            }
            continue;
        }
        read_entry(line, number, traffic, None, only);
    }
}

/// Reads one JSON object as a Kong entry or a JSONL request (`kind` forces one).
fn read_entry(
    text: &str,
    line: usize,
    traffic: &mut Traffic,
    position: Option<usize>,
    kind: Option<EntryKind>,
) {
    let prefix = |reason: String| match position {
        Some(position) => format!("entry {position}: {reason}"),
        None => reason,
    };
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(error) => {
            traffic.malformed.push(Malformed {
                line,
                reason: prefix(format!("not JSON: {error}")),
            });
            return;
        }
    };
    let kind = kind.or_else(|| {
        if value.get("request").is_some_and(Value::is_object) {
            Some(EntryKind::Kong)
        } else if value.get("method").is_some() || value.get("path").is_some() {
            Some(EntryKind::Jsonl)
        } else {
            None
        }
    });
    let result = match kind {
        Some(EntryKind::Kong) => kong_log::entry(&value),
        Some(EntryKind::Jsonl) => jsonl::entry(&value),
        None => Err("neither a Kong log entry nor a JSONL request".to_owned()),
    };
    match result {
        Ok((request, response)) => traffic.entries.push(Recorded {
            line,
            request,
            response,
        }),
        Err(reason) => traffic.malformed.push(Malformed {
            line,
            reason: prefix(reason),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KONG_LINE: &str = r#"{"request":{"method":"GET","uri":"/api01/x?q=1","url":"https://dev-01.example:8443/api01/x?q=1","headers":{"host":"dev-01.example","cookie":["a=1","b=2"]}},"response":{"status":201,"headers":{"location":"/y"}},"latencies":{"request":7},"client_ip":"10.0.0.9"}"#;

    #[test]
    fn reads_kong_log_entries() {
        let traffic = parse(KONG_LINE.as_bytes(), Format::Auto).unwrap();
        assert_eq!(traffic.malformed, []);
        let entry = &traffic.entries[0];
        assert_eq!(entry.line, 1);
        let request = &entry.request;
        assert_eq!(
            (
                request.method.as_str(),
                request.host.as_str(),
                request.path.as_str()
            ),
            ("GET", "dev-01.example", "/api01/x?q=1")
        );
        assert_eq!(request.scheme, "https");
        assert_eq!(request.client_address, "10.0.0.9");
        assert_eq!(request.duration, std::time::Duration::from_millis(7));
        assert_eq!(
            request.headers,
            [
                ("cookie".to_owned(), "a=1".to_owned()),
                ("cookie".to_owned(), "b=2".to_owned())
            ]
        );
        assert_eq!(entry.response.status, 201);
        assert_eq!(
            entry.response.headers,
            [("location".to_owned(), "/y".to_owned())]
        );
    }

    #[test]
    fn reads_jsonl_requests_and_http_log_batches_line_by_line() {
        let text = format!(
            "{}\n\n[{KONG_LINE},{{\"request\":{{}}}}]\n{{\"method\":\"POST\",\"host\":\"h\",\"path\":\"/p?x\",\"headers\":{{\"a\":\"1\"}}}}\n",
            KONG_LINE
        );
        let traffic = parse(text.as_bytes(), Format::Auto).unwrap();
        let lines: Vec<usize> = traffic.entries.iter().map(|entry| entry.line).collect();
        assert_eq!(lines, [1, 3, 4]);
        assert_eq!(
            traffic.malformed,
            [Malformed {
                line: 3,
                reason: "entry 2: request.method is missing".to_owned()
            }]
        );
        assert_eq!(traffic.entries[2].request.method, "POST");
    }

    #[test]
    fn a_forced_format_refuses_the_other_kind() {
        let traffic = parse(
            b"{\"method\":\"GET\",\"host\":\"h\",\"path\":\"/\"}\n",
            Format::Kong,
        )
        .unwrap();
        assert_eq!(traffic.malformed[0].reason, "request is missing");
        let traffic = parse(KONG_LINE.as_bytes(), Format::Jsonl).unwrap();
        assert_eq!(traffic.malformed[0].reason, "method is missing");
    }

    #[test]
    fn reads_har_documents_reporting_entries_at_their_lines() {
        let har = r#"{
  "log": {
    "entries": [
      {
        "request": {"method": "GET", "url": "https://Dev-01.example/api01/a%2Fb?x=1#frag", "headers": [{"name": "Cookie", "value": "a=1"}]},
        "response": {"status": 302, "headers": [{"name": "Location", "value": "/z"}]},
        "time": 12.5
      },
      {
        "request": {"method": "GET"}
      },
      {
        "request": {"method": "GET", "url": "https://h2.example/ignored", "headers": [{"name": ":authority", "value": "h2.example:443"}, {"name": ":path", "value": "/raw/%2e?q"}]}
      }
    ]
  }
}"#;
        let traffic = parse(har.as_bytes(), Format::Auto).unwrap();
        assert_eq!(
            traffic.malformed,
            [Malformed {
                line: 9,
                reason: "request.url is missing".to_owned()
            }]
        );
        let first = &traffic.entries[0];
        assert_eq!(first.line, 4);
        assert_eq!(
            (first.request.host.as_str(), first.request.path.as_str()),
            ("Dev-01.example", "/api01/a%2Fb?x=1")
        );
        assert_eq!(
            first.request.headers,
            [("Cookie".to_owned(), "a=1".to_owned())]
        );
        assert_eq!(
            first.request.duration,
            std::time::Duration::from_micros(12_500)
        );
        assert_eq!(first.response.status, 302);
        let second = &traffic.entries[1];
        assert_eq!(second.line, 12);
        assert_eq!(
            (second.request.host.as_str(), second.request.path.as_str()),
            ("h2.example:443", "/raw/%2e?q")
        );
        assert!(second.request.headers.is_empty());
    }

    #[test]
    fn a_broken_har_is_unusable_but_broken_lines_are_not() {
        let error = parse(b"{\"log\": {\"entries\": [}", Format::Har).unwrap_err();
        assert_eq!(error.line, 1);
        assert!(
            error.reason.starts_with("not a JSON document: "),
            "{}",
            error.reason
        );
        let traffic = parse(b"{\"log\": \nnot json\n", Format::Auto).unwrap();
        let lines: Vec<usize> = traffic
            .malformed
            .iter()
            .map(|malformed| malformed.line)
            .collect();
        assert_eq!(lines, [1, 2]);
    }

    #[test]
    fn reads_a_pretty_printed_http_log_batch() {
        let text = format!("[\n  {KONG_LINE},\n  {KONG_LINE}\n]\n");
        let traffic = parse(text.as_bytes(), Format::Auto).unwrap();
        let lines: Vec<usize> = traffic.entries.iter().map(|entry| entry.line).collect();
        assert_eq!(lines, [2, 3]);
    }

    #[test]
    fn refuses_unusable_targets() {
        let line = |path: &str| {
            format!(
                "{{\"method\":\"GET\",\"host\":\"h\",\"path\":{}}}",
                serde_json::to_string(path).unwrap()
            )
        };
        for (path, reason) in [
            ("", "path is empty"),
            ("x", "path does not start with /"),
            ("/a b", "path contains a space or a control character"),
        ] {
            let traffic = parse(line(path).as_bytes(), Format::Jsonl).unwrap();
            assert_eq!(traffic.malformed[0].reason, reason, "{path:?}");
        }
        let traffic = parse(b"\xff\xfe\n", Format::Auto).unwrap();
        assert_eq!(traffic.malformed[0].reason, "not UTF-8");
    }
}
