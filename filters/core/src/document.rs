//! The migration map exactly as written (JSON), before validation.
//!
//! These types mirror the document field for field; `MigrationMap::from_json` turns them into the
//! validated, indexed map the decisions use. Unknown fields are refused everywhere.

use serde::Deserialize;

/// The whole document.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MapDocument {
    pub short_host: Option<String>,
    pub long_host: Option<String>,
    #[serde(default)]
    pub legacy_hosts: Vec<String>,
    pub apis: Option<Vec<ApiDocument>>,
    #[serde(default)]
    pub legacy: LegacyDocument,
    #[serde(default)]
    pub unmatched: Unmatched,
    #[serde(default = "yes")]
    pub rewrite_responses: bool,
    #[serde(default)]
    pub trailing_slash: TrailingSlash,
}

fn yes() -> bool {
    true
}

/// One entry of `apis`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApiDocument {
    pub name: Option<String>,
    pub prefix: Option<String>,
    pub long_host: Option<String>,
    pub legacy_hosts: Option<Vec<String>>,
    #[serde(default)]
    pub legacy: LegacyDocument,
}

/// `legacy`, globally or per API: every field optional so that a per-API block only overrides what it names.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LegacyDocument {
    pub action: Option<LegacyAction>,
    pub target: Option<RedirectTarget>,
    pub status: Option<u64>,
    pub scheme: Option<Scheme>,
    pub redirect_percent: Option<u64>,
    pub redirect_header: Option<String>,
    pub redirect_max_age: Option<u64>,
    pub deprecation: Option<String>,
    pub sunset: Option<String>,
    pub deprecation_link: Option<String>,
    pub after_sunset: Option<AfterSunset>,
}

impl LegacyDocument {
    /// This block's fields where set, the fallback's elsewhere.
    pub fn over(&self, fallback: &LegacyDocument) -> LegacyDocument {
        LegacyDocument {
            action: self.action.or(fallback.action),
            target: self.target.or(fallback.target),
            status: self.status.or(fallback.status),
            scheme: self.scheme.or(fallback.scheme),
            redirect_percent: self.redirect_percent.or(fallback.redirect_percent),
            redirect_header: self.redirect_header.clone().or_else(|| fallback.redirect_header.clone()),
            redirect_max_age: self.redirect_max_age.or(fallback.redirect_max_age),
            deprecation: self.deprecation.clone().or_else(|| fallback.deprecation.clone()),
            sunset: self.sunset.clone().or_else(|| fallback.sunset.clone()),
            deprecation_link: self
                .deprecation_link
                .clone()
                .or_else(|| fallback.deprecation_link.clone()),
            after_sunset: self.after_sunset.or(fallback.after_sunset),
        }
    }
}

/// What happens to a request on a legacy host.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LegacyAction {
    /// Answer with a redirect to the new entry.
    #[default]
    Redirect,
    /// Forward to the API's long host.
    Proxy,
    /// Forward unchanged; telemetry records what redirect mode would have done.
    Observe,
}

/// Where a legacy redirect points.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RedirectTarget {
    /// `scheme://short_host/prefix/path`.
    #[default]
    Short,
    /// `scheme://long_host/path`.
    Long,
}

/// The scheme of a legacy redirect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// `https`.
    #[default]
    Https,
    /// `http`.
    Http,
}

impl Scheme {
    /// `https` or `http`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Https => "https",
            Scheme::Http => "http",
        }
    }
}

/// What legacy requests get once the sunset has passed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AfterSunset {
    /// Nothing changes.
    #[default]
    Keep,
    /// 410 Gone with the successor URL.
    Gone,
}

/// What the router does with a short-host path no API owns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unmatched {
    /// 404 with a JSON body.
    #[default]
    Reject,
    /// Forward unchanged.
    Pass,
}

/// What the router does with a path that is exactly a prefix (`/api01`, no slash).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrailingSlash {
    /// Forward as `/`.
    #[default]
    Forward,
    /// 308 to `prefix/`, query kept.
    Redirect,
}
