//! HAR 1.2 (what browsers and proxies export): `log.entries[].request` / `.response`.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::json::{check_target, status, string};
use super::url;
use kdp_migrate_host_test::{Request, UpstreamResponse};

/// The document, with entries kept raw so each can be reported at its own line.
#[derive(Deserialize)]
pub(super) struct Document<'a> {
    #[serde(borrow)]
    pub log: Log<'a>,
}

#[derive(Deserialize)]
pub(super) struct Log<'a> {
    #[serde(borrow)]
    pub entries: Vec<&'a RawValue>,
}

/// `[{ "name", "value" }]` as pairs.
fn name_values(value: Option<&Value>, path: &str) -> Result<Vec<(String, String)>, String> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let Value::Array(items) = value else {
        return Err(format!("{path} is not a list"));
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let field = format!("{path}[{index}]");
            Ok((
                string(item, "name", &format!("{field}.name"))?.to_owned(),
                string(item, "value", &format!("{field}.value"))?.to_owned(),
            ))
        })
        .collect()
}

/// One entry. The Host comes from the `Host` header (or HTTP/2's `:authority`), else the URL;
/// the path from HTTP/2's `:path` when recorded (exactly as sent), else the URL.
pub(super) fn entry(text: &str) -> Result<(Request, UpstreamResponse), String> {
    let value: Value = serde_json::from_str(text).map_err(|error| format!("not JSON: {error}"))?;
    let request = value.get("request").ok_or("request is missing")?;
    let method = string(request, "method", "request.method")?;
    let recorded_url = string(request, "url", "request.url")?;
    let parsed = url::split(recorded_url).ok_or("request.url is not an absolute URL")?;
    let mut headers = name_values(request.get("headers"), "request.headers")?;
    let take = |headers: &mut Vec<(String, String)>, name: &str| {
        let at = headers
            .iter()
            .position(|(key, _)| key.eq_ignore_ascii_case(name))?;
        Some(headers.remove(at).1)
    };
    let authority = take(&mut headers, ":authority");
    let pseudo_path = take(&mut headers, ":path");
    let host = take(&mut headers, "host")
        .or(authority)
        .unwrap_or_else(|| parsed.authority.to_owned());
    headers.retain(|(name, _)| !name.starts_with(':'));
    let path = pseudo_path.unwrap_or(parsed.target);
    check_target(&path, "request.url")?;
    let mut recorded = Request::new(method, &host, &path);
    recorded.scheme = parsed.scheme.to_ascii_lowercase();
    recorded.headers = headers;
    if let Some(millis) = value
        .get("time")
        .and_then(Value::as_f64)
        .filter(|millis| *millis >= 0.0)
    {
        recorded.duration = Duration::from_secs_f64(millis / 1000.0);
    }
    let mut response = UpstreamResponse::default();
    if let Some(recorded_response) = value.get("response") {
        if let Some(code) = status(recorded_response.get("status"), "response.status")? {
            response.status = code;
        }
        response.headers = name_values(recorded_response.get("headers"), "response.headers")?;
    }
    Ok((recorded, response))
}
