//! What a request came to, as a client and an upstream would see it.

use crate::engine::{Engine, PendingResponse, Stream};
use crate::observation::{
    Callback, LocalResponse, Observation, ObservedAction, Response, UpstreamRequest,
};

/// What the client and the upstream saw of a request that completed.
pub(super) fn observe(
    stream: &mut Stream,
    callbacks: Vec<Callback>,
    local: Option<PendingResponse>,
    upstream: Option<UpstreamRequest>,
) -> Observation {
    let logs = std::mem::take(&mut stream.logs);
    let status = stream.status.unwrap_or(200);
    let mut headers = std::mem::take(&mut stream.response_headers);
    headers.retain(|name, _| name != ":status");
    let body = std::mem::take(&mut stream.response_body);
    let filter_state = match stream.engine {
        Engine::Envoy => std::mem::take(&mut stream.state),
        Engine::Kong => Vec::new(),
    };
    let returned_values = stream.returned_values;
    let (original_host, original_path) = &stream.original_upstream;
    let action = match (&local, &upstream) {
        (Some(_), _) if (300..400).contains(&status) => ObservedAction::Redirect,
        (Some(_), _) => ObservedAction::Reject,
        (None, Some(sent)) if sent.host != *original_host || sent.path != *original_path => {
            ObservedAction::Proxy
        }
        (None, _) => ObservedAction::Pass,
    };
    Observation {
        action,
        local_response: local.map(|pending| LocalResponse {
            responder: pending.filter,
            status,
            headers: headers.clone(),
            body: body.clone(),
        }),
        upstream,
        response: Response {
            status,
            headers,
            body,
        },
        error: None,
        logs,
        callbacks,
        filter_state,
        returned_values,
    }
}

pub(super) fn wire_count(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// A local response as both engines send it: the filter's headers, plus a `text/plain`
/// content type for a body sent without one, and the length.
pub(super) fn local_headers(pending: &PendingResponse, body_len: usize) -> Vec<(String, String)> {
    let mut headers = pending.headers.clone();
    let has = |name: &str| {
        pending
            .headers
            .iter()
            .any(|(key, _)| key.eq_ignore_ascii_case(name))
    };
    if !pending.body.is_empty() && !has("content-type") {
        headers.push(("content-type".to_owned(), "text/plain".to_owned()));
    }
    if !has("content-length") {
        headers.push(("content-length".to_owned(), body_len.to_string()));
    }
    headers
}
