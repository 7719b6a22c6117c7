//! Kong's log serializer (the JSON the file-log and http-log plugins write).

use std::time::Duration;

use serde_json::Value;

use super::json::{check_target, header_object, optional_string, status, string};
use super::url;
use kdp_migrate_host_test::{Request, UpstreamResponse};

/// One serialized entry: `request.method`, `request.uri` (nginx's raw `$request_uri`),
/// `request.url`, `request.headers` (with `host`), `response.status` and `response.headers`,
/// `client_ip`, `latencies.request` (ms).
pub(super) fn entry(value: &Value) -> Result<(Request, UpstreamResponse), String> {
    let request = value.get("request").ok_or("request is missing")?;
    if !request.is_object() {
        return Err("request is not an object".to_owned());
    }
    let method = string(request, "method", "request.method")?;
    let recorded_url = optional_string(request, "url", "request.url")?;
    let parsed_url = recorded_url.and_then(url::split);
    let path = match optional_string(request, "uri", "request.uri")? {
        Some(uri) => uri.to_owned(),
        None => parsed_url
            .as_ref()
            .map(|url| url.target.clone())
            .ok_or("request.uri is missing")?,
    };
    check_target(&path, "request.uri")?;
    let mut headers = header_object(request.get("headers"), "request.headers")?;
    let host = match headers
        .iter()
        .position(|(name, _)| name.eq_ignore_ascii_case("host"))
    {
        Some(at) => headers.remove(at).1,
        None => parsed_url
            .as_ref()
            .map(|url| url.authority.to_owned())
            .ok_or("request.headers.host is missing")?,
    };
    let mut recorded = Request::new(method, &host, &path);
    recorded.headers = headers;
    if let Some(url) = &parsed_url {
        recorded.scheme = url.scheme.to_ascii_lowercase();
    }
    if let Some(client) = optional_string(value, "client_ip", "client_ip")? {
        client.clone_into(&mut recorded.client_address);
    }
    if let Some(millis) = value
        .get("latencies")
        .and_then(|latencies| latencies.get("request"))
        .and_then(Value::as_u64)
    {
        recorded.duration = Duration::from_millis(millis);
    }
    let mut response = UpstreamResponse::default();
    if let Some(recorded_response) = value.get("response") {
        if let Some(code) = status(recorded_response.get("status"), "response.status")? {
            response.status = code;
        }
        response.headers = header_object(recorded_response.get("headers"), "response.headers")?;
    }
    Ok((recorded, response))
}
