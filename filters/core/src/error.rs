//! Why a migration map is refused.

use std::fmt;

/// A refused migration map: where in the document, and what is wrong there.
///
/// Displays as `<path>: <problem>`, e.g. `apis[1].prefix: "/api01/" must not end with "/"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The field path in the document, e.g. `apis[1].prefix`; `$` for the document itself.
    pub path: String,
    /// What is wrong with the value found there.
    pub problem: Problem,
}

impl ConfigError {
    pub(crate) fn new(path: impl Into<String>, problem: Problem) -> Self {
        Self {
            path: path.into(),
            problem,
        }
    }
}

/// Where a field sits in the document, e.g. `apis[3].legacy_hosts[1]`. Spelled out only when an
/// error names it: maps are built far more often than they are refused, and a 10,000-API map
/// would otherwise format tens of thousands of paths for nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FieldPath<'a> {
    /// The API the field belongs to: `apis[N].` in front.
    api: Option<usize>,
    /// The field, e.g. `prefix` or `legacy.sunset`.
    field: &'a str,
    /// The list item: `[N]` behind.
    item: Option<usize>,
}

impl<'a> FieldPath<'a> {
    /// A field of the document itself.
    pub(crate) fn top(field: &'a str) -> Self {
        FieldPath {
            api: None,
            field,
            item: None,
        }
    }

    /// A field of `apis[api]`.
    pub(crate) fn of_api(api: usize, field: &'a str) -> Self {
        FieldPath {
            api: Some(api),
            field,
            item: None,
        }
    }

    /// Item `item` of this list field.
    pub(crate) fn item(self, item: usize) -> Self {
        FieldPath {
            item: Some(item),
            ..self
        }
    }
}

impl fmt::Display for FieldPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(api) = self.api {
            write!(f, "apis[{api}].")?;
        }
        f.write_str(self.field)?;
        if let Some(item) = self.item {
            write!(f, "[{item}]")?;
        }
        Ok(())
    }
}

/// Each way a map can be wrong. Variants carry the offending value.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The document is not valid JSON, or a value has the wrong type or an unknown field (serde's own words).
    Syntax(String),
    /// A required field is absent.
    Missing,
    /// A host is empty, too long, has a port, or characters a DNS name cannot have.
    BadHost(String),
    /// A host pattern lacks the `{api}` placeholder (or has it more than once).
    BadPattern(String),
    /// An API name that is not a DNS label.
    BadApiName(String),
    /// A path prefix that is not `/segment[/segment...]` of safe characters.
    BadPrefix {
        /// The prefix.
        prefix: String,
        /// What rule it breaks.
        why: &'static str,
    },
    /// Two APIs with the same name.
    DuplicateName(String),
    /// Two APIs with the same prefix.
    DuplicatePrefix {
        /// The prefix.
        prefix: String,
        /// The API that has it already.
        other: String,
    },
    /// One host claimed twice (by two APIs, or by an API and the short host).
    DuplicateHost {
        /// The host.
        host: String,
        /// Who claims it already.
        other: String,
    },
    /// No long host for an API: neither the global pattern nor the API's own.
    NoLongHost(String),
    /// A redirect status outside 301, 302, 303, 307, 308.
    BadStatus(u64),
    /// A percentage above 100.
    BadPercent(u64),
    /// A `redirect_max_age` above 2^53 − 1, which Kong 3.9 would not hand the filter exactly.
    BadMaxAge(u64),
    /// Not an RFC 3339 timestamp.
    BadTimestamp(String),
    /// The sunset comes before the deprecation.
    SunsetBeforeDeprecation {
        /// The sunset as written.
        sunset: String,
        /// The deprecation as written.
        deprecation: String,
    },
    /// Not an HTTP header name (RFC 9110 token).
    BadHeaderName(String),
    /// Not an absolute http(s) URL usable in a `Link` header.
    BadUrl(String),
    /// No APIs at all.
    NoApis,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.problem)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Syntax(message) => write!(f, "{message}"),
            Problem::Missing => write!(f, "is required"),
            Problem::BadHost(host) => write!(
                f,
                "{host:?} is not a host name (letters, digits, '-' and '.', no port, at most 253 characters)"
            ),
            Problem::BadPattern(pattern) => {
                write!(
                    f,
                    "{pattern:?} must contain the placeholder {{api}} exactly once"
                )
            }
            Problem::BadApiName(name) => write!(
                f,
                "{name:?} is not a valid API name (lowercase letters, digits and '-', 1 to 63 characters, no leading or trailing '-')"
            ),
            Problem::BadPrefix { prefix, why } => write!(f, "{prefix:?} {why}"),
            Problem::DuplicateName(name) => write!(f, "API name {name:?} is used twice"),
            Problem::DuplicatePrefix { prefix, other } => {
                write!(f, "prefix {prefix:?} is already used by API {other:?}")
            }
            Problem::DuplicateHost { host, other } => {
                write!(f, "host {host:?} is already claimed by {other}")
            }
            Problem::NoLongHost(name) => write!(
                f,
                "API {name:?} has no long host: set the top-level long_host pattern or apis[].long_host"
            ),
            Problem::BadStatus(status) => write!(
                f,
                "{status} is not an allowed redirect status (301, 302, 303, 307, 308)"
            ),
            Problem::BadPercent(percent) => write!(f, "{percent} is not a percentage (0 to 100)"),
            Problem::BadMaxAge(max_age) => write!(
                f,
                "{max_age} is above 9007199254740991 (2^53 - 1), the largest number of seconds Kong passes on exactly"
            ),
            Problem::BadTimestamp(value) => write!(
                f,
                "{value:?} is not an RFC 3339 timestamp (e.g. 2026-12-31T00:00:00Z)"
            ),
            Problem::SunsetBeforeDeprecation {
                sunset,
                deprecation,
            } => write!(
                f,
                "sunset {sunset:?} is before the deprecation {deprecation:?}"
            ),
            Problem::BadHeaderName(name) => write!(f, "{name:?} is not an HTTP header name"),
            Problem::BadUrl(url) => write!(
                f,
                "{url:?} is not an absolute http:// or https:// URL without spaces, quotes or angle brackets"
            ),
            Problem::NoApis => write!(f, "must list at least one API"),
        }
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_paths_spell_like_the_document() {
        assert_eq!(FieldPath::top("short_host").to_string(), "short_host");
        assert_eq!(
            FieldPath::top("legacy_hosts").item(2).to_string(),
            "legacy_hosts[2]"
        );
        assert_eq!(
            FieldPath::of_api(3, "legacy.sunset").to_string(),
            "apis[3].legacy.sunset"
        );
        assert_eq!(
            FieldPath::of_api(0, "legacy_hosts").item(1).to_string(),
            "apis[0].legacy_hosts[1]"
        );
    }
}
