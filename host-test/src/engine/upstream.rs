//! What the upstream receives when a request leaves the chain, in each engine: Kong builds the
//! request from its `$upstream_*` variables and overwrites the headers it manages; Envoy sends
//! `:authority`, `:path` and the request headers as the filters left them.

use super::Engine;
use super::headers::HeaderMap;
use super::kong::KONG_MANAGED_HEADERS;
use super::stream::Stream;
use crate::observation::UpstreamRequest;

/// What the upstream receives when the request leaves the chain now.
pub(crate) fn upstream_request(stream: &Stream) -> UpstreamRequest {
    let mut headers = HeaderMap::new();
    match stream.engine {
        Engine::Kong => {
            let vars = &stream.kong;
            headers.add("Host", vars.upstream_host.as_str());
            let managed = [
                ("X-Forwarded-For", &vars.x_forwarded_for),
                ("X-Forwarded-Proto", &vars.x_forwarded_proto),
                ("X-Forwarded-Host", &vars.x_forwarded_host),
                ("X-Forwarded-Port", &vars.x_forwarded_port),
                ("X-Forwarded-Path", &vars.x_forwarded_path),
                ("X-Forwarded-Prefix", &vars.x_forwarded_prefix),
                ("X-Real-IP", &stream.client_address),
            ];
            // nginx drops a proxy_set_header whose value is empty.
            for (name, value) in managed.into_iter().filter(|(_, value)| !value.is_empty()) {
                headers.add(name, value.as_str());
            }
            for (name, value) in stream.request_headers.iter() {
                let managed = KONG_MANAGED_HEADERS
                    .iter()
                    .any(|managed| managed.eq_ignore_ascii_case(name));
                if !name.starts_with(':') && !managed {
                    headers.add(name.to_owned(), value);
                }
            }
            UpstreamRequest {
                host: vars.upstream_host.clone(),
                path: vars.upstream_uri.clone(),
                headers,
            }
        }
        Engine::Envoy => {
            let host = stream
                .request_headers
                .get(":authority")
                .unwrap_or("")
                .to_owned();
            headers.add("host", host.as_str());
            for (name, value) in stream
                .request_headers
                .iter()
                .filter(|(name, _)| !name.starts_with(':'))
            {
                headers.add(name.to_owned(), value);
            }
            UpstreamRequest {
                host,
                path: stream.current_path().to_owned(),
                headers,
            }
        }
    }
}
