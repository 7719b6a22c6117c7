//! JSON Lines of `{ "method", "host", "path", "headers" }`; `path` includes the query.

use serde_json::Value;

use super::json::{check_target, header_object, optional_string, status, string};
use kdp_migrate_host_test::{Request, UpstreamResponse};

/// One request. Optional extras: `scheme`, `client` (address), `status` (the upstream's).
pub(super) fn entry(value: &Value) -> Result<(Request, UpstreamResponse), String> {
    if !value.is_object() {
        return Err("not a JSON object".to_owned());
    }
    let method = string(value, "method", "method")?;
    let host = string(value, "host", "host")?;
    let path = string(value, "path", "path")?;
    check_target(path, "path")?;
    let mut request = Request::new(method, host, path);
    request.headers = header_object(value.get("headers"), "headers")?;
    request
        .headers
        .retain(|(name, _)| !name.eq_ignore_ascii_case("host"));
    if let Some(scheme) = optional_string(value, "scheme", "scheme")? {
        request.scheme = scheme.to_ascii_lowercase();
    }
    if let Some(client) = optional_string(value, "client", "client")? {
        client.clone_into(&mut request.client_address);
    }
    let mut response = UpstreamResponse::default();
    if let Some(code) = status(value.get("status"), "status")? {
        response.status = code;
    }
    Ok((request, response))
}
