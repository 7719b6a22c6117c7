//! Deprecation signals on legacy responses: `Deprecation` (RFC 9745), `Sunset` (RFC 8594) and
//! `Link` with the `successor-version` relation (RFC 5829).

use crate::decision::Decision;

/// The deprecation headers for a legacy request's response; empty when the API signals nothing.
pub fn deprecation_headers(decision: &Decision<'_, '_>) -> Vec<(&'static str, String)> {
    let (Some(policy), Some(successor)) = (decision.legacy_policy(), decision.successor) else {
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
    let mut link = String::with_capacity(128);
    link.push('<');
    successor.write_to(&mut link);
    link.push_str(">; rel=\"successor-version\"");
    if let Some(url) = &policy.deprecation_link {
        link.push_str(", <");
        link.push_str(url);
        link.push_str(">; rel=\"deprecation\"");
    }
    headers.push(("link", link));
    headers
}
