//! Deprecation signals on legacy responses: `Deprecation` (RFC 9745), `Sunset` (RFC 8594) and
//! `Link` with the `successor-version` relation (RFC 5829).

use crate::decision::Decision;

/// The deprecation headers for a legacy request's response; empty when the API signals nothing.
pub fn deprecation_headers(decision: &Decision<'_, '_>) -> Vec<(&'static str, String)> {
    let Some(policy) = decision.legacy_policy() else {
        return Vec::new();
    };
    if !policy.signals_deprecation() {
        return Vec::new();
    }
    let mut headers = Vec::with_capacity(3);
    if let Some(deprecation) = &policy.deprecation {
        headers.push(("deprecation", deprecation.header.to_string()));
    }
    if let Some(sunset) = &policy.sunset {
        headers.push(("sunset", sunset.header.to_string()));
    }
    // No successor for an unsafe target (it is answered 400 and never echoed into a header).
    let mut links = Vec::with_capacity(2);
    if let Some(successor) = decision.successor {
        links.push(format!(
            "<{}>; rel=\"successor-version\"",
            successor.render()
        ));
    }
    if let Some(url) = &policy.deprecation_link {
        links.push(format!("<{url}>; rel=\"deprecation\""));
    }
    if !links.is_empty() {
        headers.push(("link", links.join(", ")));
    }
    headers
}
