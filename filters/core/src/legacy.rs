//! The validated legacy policy of one API: redirect or proxy, staged canary, deprecation signals.

use std::sync::Arc;

use crate::document::{AfterSunset, LegacyAction, LegacyDocument, RedirectTarget, Scheme, Whole};
use crate::error::{ConfigError, FieldPath, Problem};
use crate::timestamp;

/// Redirect statuses a legacy rule may use.
pub const REDIRECT_STATUSES: [u16; 5] = [301, 302, 303, 307, 308];

/// The largest `legacy.redirect_max_age`: 2^53 − 1, the largest integer Kong 3.9 hands a filter
/// exactly (its Lua numbers are doubles, and cjson writes 16 significant digits: from 10^16 on a
/// value arrives rounded, in exponent form). The schema has the same `maximum`.
pub const MAX_REDIRECT_MAX_AGE: u64 = 9_007_199_254_740_991;

/// Default `legacy.redirect_max_age` in seconds.
pub const DEFAULT_MAX_AGE: u64 = 300;

/// How one API treats requests on its legacy hosts. Header values are rendered once, here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegacyPolicy {
    /// Redirect, proxy or observe.
    pub action: LegacyAction,
    /// Short or long entry as the redirect target.
    pub target: RedirectTarget,
    /// The redirect status.
    pub status: u16,
    /// The redirect scheme.
    pub scheme: Scheme,
    /// Share of legacy requests redirected (the rest proxied), 0–100.
    pub redirect_percent: u8,
    /// Lowercased name of the header that forces a redirect when its value is `1`.
    pub redirect_header: Option<Box<str>>,
    /// The `Cache-Control` value of redirects: `max-age=N` or `no-store`.
    pub cache_control: Box<str>,
    /// `Deprecation` (RFC 9745), if configured.
    pub deprecation: Option<Instant>,
    /// `Sunset` (RFC 8594), if configured.
    pub sunset: Option<Instant>,
    /// `Link: <url>; rel="deprecation"`, if configured.
    pub deprecation_link: Option<Box<str>>,
    /// What happens after the sunset.
    pub after_sunset: AfterSunset,
}

/// A configured point in time, with its header rendering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instant {
    /// Seconds since the Unix epoch.
    pub unix: i64,
    /// The header value: `@<unix>` for `Deprecation`, an IMF-fixdate for `Sunset`.
    pub header: Box<str>,
}

impl LegacyPolicy {
    /// Whether deprecation signals (`Deprecation`, `Sunset`, successor `Link`) go on legacy responses.
    pub fn signals_deprecation(&self) -> bool {
        self.deprecation.is_some() || self.sunset.is_some()
    }

    /// Whether the sunset has passed at `now_unix` and legacy requests are answered 410.
    pub fn is_gone(&self, now_unix: i64) -> bool {
        self.after_sunset == AfterSunset::Gone
            && self
                .sunset
                .as_ref()
                .is_some_and(|sunset| now_unix >= sunset.unix)
    }
}

/// Checks the fields present in one `legacy` block; `path` is where the block sits (`legacy`, `apis[2].legacy`).
pub(crate) fn check_block(block: &LegacyDocument, path: FieldPath<'_>) -> Result<(), ConfigError> {
    if let Some(Whole(status)) = block.status
        && !REDIRECT_STATUSES
            .iter()
            .any(|&allowed| u64::from(allowed) == status)
    {
        return Err(ConfigError::new(
            format!("{path}.status"),
            Problem::BadStatus(status),
        ));
    }
    if let Some(Whole(percent)) = block.redirect_percent
        && percent > 100
    {
        return Err(ConfigError::new(
            format!("{path}.redirect_percent"),
            Problem::BadPercent(percent),
        ));
    }
    if let Some(Whole(max_age)) = block.redirect_max_age
        && max_age > MAX_REDIRECT_MAX_AGE
    {
        return Err(ConfigError::new(
            format!("{path}.redirect_max_age"),
            Problem::BadMaxAge(max_age),
        ));
    }
    if let Some(name) = &block.redirect_header
        && !is_header_name(name)
    {
        return Err(ConfigError::new(
            format!("{path}.redirect_header"),
            Problem::BadHeaderName(name.clone()),
        ));
    }
    for (field, value) in [
        ("deprecation", &block.deprecation),
        ("sunset", &block.sunset),
    ] {
        if let Some(value) = value {
            timestamp::parse_rfc3339(value).ok_or_else(|| {
                ConfigError::new(
                    format!("{path}.{field}"),
                    Problem::BadTimestamp(value.clone()),
                )
            })?;
        }
    }
    if let Some(url) = &block.deprecation_link
        && !is_link_url(url)
    {
        return Err(ConfigError::new(
            format!("{path}.deprecation_link"),
            Problem::BadUrl(url.clone()),
        ));
    }
    Ok(())
}

/// The legacy policies of a map's APIs. An API whose `legacy` block sets nothing shares the map's
/// policy, built once: rendering the same header values for each of 10,000 APIs was a good part
/// of building a map.
#[derive(Debug)]
pub(crate) struct Policies<'d> {
    global: &'d LegacyDocument,
    shared: Option<Arc<LegacyPolicy>>,
}

impl<'d> Policies<'d> {
    /// Policies under the map's `legacy` block (checked by [`check_block`]).
    pub(crate) fn new(global: &'d LegacyDocument) -> Self {
        Policies {
            global,
            shared: None,
        }
    }

    /// The policy of an API whose own block (checked by [`check_block`]) is `own`; `sunset_path`
    /// names the field blamed when the sunset precedes the deprecation.
    pub(crate) fn for_api(
        &mut self,
        own: &LegacyDocument,
        sunset_path: FieldPath<'_>,
    ) -> Result<Arc<LegacyPolicy>, ConfigError> {
        if !own.overrides_nothing() {
            return build(own, self.global, sunset_path).map(Arc::new);
        }
        if let Some(shared) = &self.shared {
            return Ok(Arc::clone(shared));
        }
        let shared = Arc::new(build(own, self.global, sunset_path)?);
        self.shared = Some(Arc::clone(&shared));
        Ok(shared)
    }
}

/// Builds the policy from `own`'s fields where set and `inherited`'s elsewhere, each checked by
/// [`check_block`]. `sunset_path` names the field blamed when the sunset precedes the deprecation.
fn build(
    own: &LegacyDocument,
    inherited: &LegacyDocument,
    sunset_path: FieldPath<'_>,
) -> Result<LegacyPolicy, ConfigError> {
    let text = |field: fn(&LegacyDocument) -> &Option<String>| {
        field(own).as_deref().or(field(inherited).as_deref())
    };
    let deprecation_text = text(|block| &block.deprecation);
    let sunset_text = text(|block| &block.sunset);
    let deprecation = deprecation_text.and_then(timestamp::parse_rfc3339);
    let sunset = sunset_text.and_then(timestamp::parse_rfc3339);
    if let (Some(deprecation_at), Some(sunset_at)) = (deprecation, sunset)
        && sunset_at < deprecation_at
    {
        return Err(ConfigError::new(
            sunset_path.to_string(),
            Problem::SunsetBeforeDeprecation {
                sunset: sunset_text.unwrap_or_default().to_owned(),
                deprecation: deprecation_text.unwrap_or_default().to_owned(),
            },
        ));
    }
    let max_age = own
        .redirect_max_age
        .or(inherited.redirect_max_age)
        .map(|Whole(max_age)| max_age)
        .unwrap_or(DEFAULT_MAX_AGE);
    Ok(LegacyPolicy {
        action: own.action.or(inherited.action).unwrap_or_default(),
        target: own.target.or(inherited.target).unwrap_or_default(),
        status: own
            .status
            .or(inherited.status)
            .and_then(|Whole(status)| u16::try_from(status).ok())
            .unwrap_or(308),
        scheme: own.scheme.or(inherited.scheme).unwrap_or_default(),
        redirect_percent: own
            .redirect_percent
            .or(inherited.redirect_percent)
            .and_then(|Whole(percent)| u8::try_from(percent).ok())
            .unwrap_or(100),
        redirect_header: text(|block| &block.redirect_header)
            .map(|name| name.to_ascii_lowercase().into_boxed_str()),
        cache_control: if max_age == 0 {
            "no-store".into()
        } else {
            format!("max-age={max_age}").into_boxed_str()
        },
        deprecation: deprecation.map(|unix| Instant {
            unix,
            header: format!("@{unix}").into_boxed_str(),
        }),
        sunset: sunset.map(|unix| Instant {
            unix,
            header: timestamp::imf_fixdate(unix).into_boxed_str(),
        }),
        deprecation_link: text(|block| &block.deprecation_link).map(Into::into),
        after_sunset: own
            .after_sunset
            .or(inherited.after_sunset)
            .unwrap_or_default(),
    })
}

/// RFC 9110 token.
fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// An absolute http(s) URL that can sit inside `<...>` of a `Link` header unescaped.
fn is_link_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|rest| {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        !authority.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b"<>\"\\^`{|}".contains(&b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_render_as_rfc_headers() {
        let block = LegacyDocument {
            deprecation: Some("2026-01-01T00:00:00Z".into()),
            sunset: Some("2027-01-01T08:00:00+08:00".into()),
            ..LegacyDocument::default()
        };
        let policy = build(&block, &LegacyDocument::default(), FieldPath::top("x")).unwrap();
        assert_eq!(policy.deprecation.unwrap().header.as_ref(), "@1767225600");
        let sunset = policy.sunset.unwrap();
        assert_eq!(sunset.header.as_ref(), "Fri, 01 Jan 2027 00:00:00 GMT");
        assert_eq!(sunset.unix, 1798761600);
    }

    #[test]
    fn apis_that_override_nothing_share_the_maps_policy() {
        let global = LegacyDocument {
            deprecation: Some("2026-01-01T00:00:00Z".into()),
            redirect_max_age: Some(Whole(60)),
            ..LegacyDocument::default()
        };
        let own = LegacyDocument {
            action: Some(LegacyAction::Proxy),
            ..LegacyDocument::default()
        };
        let mut policies = Policies::new(&global);
        let path = FieldPath::top("legacy.sunset");
        let first = policies.for_api(&LegacyDocument::default(), path).unwrap();
        let second = policies.for_api(&LegacyDocument::default(), path).unwrap();
        let overriding = policies.for_api(&own, path).unwrap();
        assert!(Arc::ptr_eq(&first, &second));
        assert_eq!(
            *first,
            build(&global, &LegacyDocument::default(), path).unwrap()
        );
        assert_eq!(overriding.action, LegacyAction::Proxy);
        assert_eq!(
            (&*overriding.cache_control, overriding.deprecation.as_ref()),
            (&*first.cache_control, first.deprecation.as_ref())
        );
    }

    #[test]
    fn max_age_zero_means_no_store() {
        let zero = LegacyDocument {
            redirect_max_age: Some(Whole(0)),
            ..LegacyDocument::default()
        };
        assert_eq!(
            build(&zero, &LegacyDocument::default(), FieldPath::top("x"))
                .unwrap()
                .cache_control
                .as_ref(),
            "no-store"
        );
        assert_eq!(
            build(
                &LegacyDocument::default(),
                &LegacyDocument::default(),
                FieldPath::top("x")
            )
            .unwrap()
            .cache_control
            .as_ref(),
            "max-age=300"
        );
    }

    #[test]
    fn header_names_and_urls() {
        assert!(is_header_name("x-kdp-redirect"));
        assert!(!is_header_name("x kdp"));
        assert!(!is_header_name(""));
        assert!(is_link_url("https://docs.example/migration?x=1"));
        for bad in [
            "ftp://x",
            "https://",
            "https:///x",
            "https://?from=legacy",
            "https://#x",
            "https://a b",
            "https://x/<y>",
            "/relative",
        ] {
            assert!(!is_link_url(bad), "{bad}");
        }
    }
}
