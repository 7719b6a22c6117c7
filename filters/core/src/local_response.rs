//! The responses the filters send themselves: redirects, 400, 404 and 410, with small JSON bodies
//! that say what happened, so that a client developer can act on them without reading our logs.

use crate::decision::{Decision, Reply, ReplyKind};
use crate::signal;

/// A local response ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalResponse {
    /// The HTTP status.
    pub status: u16,
    /// Header names (lowercase) and values.
    pub headers: Vec<(&'static str, String)>,
    /// The body; `None` for redirects.
    pub body: Option<String>,
}

impl LocalResponse {
    /// Renders `reply`, a decision's answer for the request to `host` + `target` (as sent).
    pub fn render(
        decision: &Decision<'_, '_>,
        reply: &Reply<'_, '_>,
        host: &str,
        target: &str,
    ) -> Self {
        let mut headers = Vec::with_capacity(5);
        let body = match reply.kind {
            ReplyKind::Redirect {
                location,
                cache_control,
            } => {
                headers.push(("location", location.render()));
                if let Some(cache_control) = cache_control {
                    headers.push(("cache-control", cache_control.to_owned()));
                }
                None
            }
            ReplyKind::UnsafePath(reason) => Some(serde_json::json!({
                "error": "unsafe_path",
                "reason": reason.code(),
                "message": reason.to_string(),
                "host": host,
                "path": target,
            })),
            ReplyKind::NoApi => Some(serde_json::json!({
                "error": "no_api",
                "message": "no API is served under this path",
                "host": host,
                "path": target,
            })),
            ReplyKind::Gone => Some(serde_json::json!({
                "error": "gone",
                "message": "this entry is past its sunset; use the successor URL",
                "successor": decision.successor.map(|successor| successor.render()),
            })),
        };
        if decision.legacy_policy().is_some() {
            headers.extend(signal::deprecation_headers(decision));
        }
        let body = body.map(|json| {
            headers.push(("content-type", "application/json".to_owned()));
            json.to_string()
        });
        LocalResponse {
            status: reply.status,
            headers,
            body,
        }
    }
}
