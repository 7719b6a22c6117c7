//! The validated migration map: every host and prefix indexed once, at configure time.

use std::collections::HashMap;

use foldhash::fast::RandomState;

use crate::document::{ApiDocument, LegacyDocument, MapDocument, Object, TrailingSlash, Unmatched};
use crate::error::{ConfigError, Problem};
use crate::host::{self, HostBuffer, MAX_HOST_LEN};
use crate::legacy::{self, LegacyPolicy};

/// Prefixes have at most this many segments; it bounds the lookups per request.
pub const MAX_PREFIX_SEGMENTS: usize = 8;

/// The longest prefix accepted.
const MAX_PREFIX_LEN: usize = 256;

/// One API of the map, with everything derived from the patterns resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Api {
    name: Box<str>,
    prefix: Box<str>,
    long_host: Box<str>,
    legacy_hosts: Vec<Box<str>>,
    legacy: LegacyPolicy,
}

impl Api {
    /// The API's name, e.g. `api01`.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Its path prefix on the short host, e.g. `/api01` (never ends with `/`).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
    /// Its long host, lowercased.
    pub fn long_host(&self) -> &str {
        &self.long_host
    }
    /// Its legacy hosts, lowercased.
    pub fn legacy_hosts(&self) -> &[Box<str>] {
        &self.legacy_hosts
    }
    /// How its legacy hosts are treated.
    pub fn legacy(&self) -> &LegacyPolicy {
        &self.legacy
    }
}

/// Which entry a request came in on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Entry {
    /// The short host, `dev-01…/api01/…`.
    Short,
    /// An API's long host.
    Long,
    /// One of an API's legacy hosts.
    Legacy,
    /// None of ours.
    Unknown,
}

impl Entry {
    /// `short`, `long`, `legacy` or `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Entry::Short => "short",
            Entry::Long => "long",
            Entry::Legacy => "legacy",
            Entry::Unknown => "unknown",
        }
    }
}

/// The entry a request came in on and the API it belongs to, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Classification<'m> {
    /// The entry.
    pub entry: Entry,
    /// The API; `None` for unknown hosts and short-host paths no API owns.
    pub api: Option<&'m Api>,
}

/// What a host is to the map.
#[derive(Clone, Copy, Debug)]
pub(crate) enum HostKind<'m> {
    Short,
    Long(&'m Api),
    Legacy(&'m Api),
    Unknown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HostRole {
    Long(usize),
    Legacy(usize),
}

/// The migration map, validated and indexed. Build it with [`MigrationMap::from_json`].
#[derive(Debug)]
pub struct MigrationMap {
    short_host: Box<str>,
    apis: Vec<Api>,
    hosts: HashMap<Box<str>, HostRole, RandomState>,
    prefixes: HashMap<Box<str>, usize, RandomState>,
    max_prefix_segments: usize,
    unmatched: Unmatched,
    rewrite_responses: bool,
    trailing_slash: TrailingSlash,
}

impl MigrationMap {
    /// Parses and validates a map document. The error names the field and the problem.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ConfigError> {
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let Object(document): Object<MapDocument> =
            serde_path_to_error::deserialize(&mut deserializer).map_err(syntax_error)?;
        deserializer
            .end()
            .map_err(|error| ConfigError::new("$", Problem::Syntax(error.to_string())))?;
        Self::from_document(document)
    }

    fn from_document(document: MapDocument) -> Result<Self, ConfigError> {
        let short_host = required(document.short_host.as_deref(), "short_host")?;
        let short_host = host::validate(short_host).ok_or_else(|| {
            ConfigError::new("short_host", Problem::BadHost(short_host.to_owned()))
        })?;
        if let Some(pattern) = &document.long_host {
            check_pattern(pattern, "long_host")?;
        }
        for (index, pattern) in document.legacy_hosts.iter().enumerate() {
            check_pattern(pattern, &format!("legacy_hosts[{index}]"))?;
        }
        legacy::check_block(&document.legacy, "legacy")?;
        let api_documents = required(document.apis.as_deref(), "apis")?;
        if api_documents.is_empty() {
            return Err(ConfigError::new("apis", Problem::NoApis));
        }

        let mut map = MigrationMap {
            hosts: HashMap::with_capacity_and_hasher(
                api_documents.len() * (1 + document.legacy_hosts.len()),
                RandomState::default(),
            ),
            prefixes: HashMap::with_capacity_and_hasher(
                api_documents.len(),
                RandomState::default(),
            ),
            apis: Vec::with_capacity(api_documents.len()),
            short_host: short_host.into_boxed_str(),
            max_prefix_segments: 0,
            unmatched: document.unmatched,
            rewrite_responses: document.rewrite_responses,
            trailing_slash: document.trailing_slash,
        };
        let mut names: HashMap<&str, usize> = HashMap::with_capacity(api_documents.len());
        for (index, api_document) in api_documents.iter().enumerate() {
            let api = build_api(api_document, index, &document)?;
            if names
                .insert(api_document.name.as_deref().unwrap_or_default(), index)
                .is_some()
            {
                return Err(ConfigError::new(
                    format!("apis[{index}].name"),
                    Problem::DuplicateName(api.name.to_string()),
                ));
            }
            map.add(api, index)?;
        }
        Ok(map)
    }

    /// Indexes one API's prefix and hosts, refusing anything already claimed.
    fn add(&mut self, api: Api, index: usize) -> Result<(), ConfigError> {
        if let Some(&other) = self.prefixes.get(api.prefix.as_ref()) {
            return Err(ConfigError::new(
                format!("apis[{index}].prefix"),
                Problem::DuplicatePrefix {
                    prefix: api.prefix.to_string(),
                    other: self.api_name(other).to_owned(),
                },
            ));
        }
        let segments = api.prefix.matches('/').count();
        self.max_prefix_segments = self.max_prefix_segments.max(segments);
        self.prefixes.insert(api.prefix.clone(), index);

        let mut claims = vec![(
            api.long_host.clone(),
            HostRole::Long(index),
            format!("apis[{index}].long_host"),
        )];
        for (position, legacy_host) in api.legacy_hosts.iter().enumerate() {
            claims.push((
                legacy_host.clone(),
                HostRole::Legacy(index),
                format!("apis[{index}].legacy_hosts[{position}]"),
            ));
        }
        for (claimed, role, path) in claims {
            let holder = if claimed == self.short_host {
                Some("the short_host".to_owned())
            } else {
                self.hosts
                    .get(&claimed)
                    .map(|&held| self.describe(held, index, &api.name))
            };
            if let Some(other) = holder {
                return Err(ConfigError::new(
                    path,
                    Problem::DuplicateHost {
                        host: claimed.to_string(),
                        other,
                    },
                ));
            }
            self.hosts.insert(claimed, role);
        }
        self.apis.push(api);
        Ok(())
    }

    fn api_name(&self, index: usize) -> &str {
        self.apis.get(index).map_or("?", Api::name)
    }

    /// Who holds a host; `current` is the API being added (not in `self.apis` yet).
    fn describe(&self, role: HostRole, current: usize, current_name: &str) -> String {
        let name = |index: usize| {
            if index == current {
                current_name
            } else {
                self.api_name(index)
            }
        };
        match role {
            HostRole::Long(index) => format!("API {:?} as its long host", name(index)),
            HostRole::Legacy(index) => format!("API {:?} as a legacy host", name(index)),
        }
    }

    /// The short host, lowercased.
    pub fn short_host(&self) -> &str {
        &self.short_host
    }

    /// All APIs, in document order.
    pub fn apis(&self) -> &[Api] {
        &self.apis
    }

    /// The API at `index` (as in [`MigrationMap::apis`]).
    pub fn api(&self, index: usize) -> Option<&Api> {
        self.apis.get(index)
    }

    /// The index of an API of this map.
    pub fn index_of(&self, api: &Api) -> Option<usize> {
        self.prefixes.get(api.prefix.as_ref()).copied()
    }

    /// What the router does with unowned short-host paths.
    pub fn unmatched(&self) -> Unmatched {
        self.unmatched
    }

    /// Whether response headers are rewritten for the entry the client used.
    pub fn rewrite_responses(&self) -> bool {
        self.rewrite_responses
    }

    /// What the router does with a path that is exactly a prefix.
    pub fn trailing_slash(&self) -> TrailingSlash {
        self.trailing_slash
    }

    /// Which entry a request came in on, and which API it belongs to. Never allocates.
    ///
    /// `host` is the client's `Host` value as sent (port, case and trailing dot allowed);
    /// `target` the raw request target (path and query).
    pub fn classify(&self, host: &str, target: &str) -> Classification<'_> {
        let (entry, api) = match self.host_kind(host) {
            HostKind::Short => {
                let path = target.split_once('?').map_or(target, |(path, _)| path);
                (Entry::Short, self.match_prefix(path).map(|(api, _)| api))
            }
            HostKind::Long(api) => (Entry::Long, Some(api)),
            HostKind::Legacy(api) => (Entry::Legacy, Some(api)),
            HostKind::Unknown => (Entry::Unknown, None),
        };
        Classification { entry, api }
    }

    /// What a client `Host` value is to this map. Never allocates.
    pub(crate) fn host_kind(&self, host: &str) -> HostKind<'_> {
        let mut buffer: HostBuffer = [0; MAX_HOST_LEN];
        let Some(host) = host::normalize(host, &mut buffer) else {
            return HostKind::Unknown;
        };
        if host == self.short_host.as_ref() {
            return HostKind::Short;
        }
        match self.hosts.get(host) {
            Some(&HostRole::Long(index)) => self
                .apis
                .get(index)
                .map_or(HostKind::Unknown, HostKind::Long),
            Some(&HostRole::Legacy(index)) => self
                .apis
                .get(index)
                .map_or(HostKind::Unknown, HostKind::Legacy),
            None => HostKind::Unknown,
        }
    }

    /// The API whose prefix is the longest one ending on a segment boundary of `path`, and what
    /// remains of the path after it (`""` or starting with `/`).
    pub fn match_prefix<'p>(&self, path: &'p str) -> Option<(&Api, &'p str)> {
        let mut ends = [0usize; MAX_PREFIX_SEGMENTS];
        let mut count = 0;
        for (at, byte) in path.bytes().enumerate().skip(1) {
            if count == self.max_prefix_segments {
                break;
            }
            if byte == b'/'
                && let Some(slot) = ends.get_mut(count)
            {
                *slot = at;
                count += 1;
            }
        }
        if count < self.max_prefix_segments
            && let Some(slot) = ends.get_mut(count)
        {
            *slot = path.len();
            count += 1;
        }
        ends.get(..count)?.iter().rev().find_map(|&end| {
            let candidate = path.get(..end)?;
            let index = *self.prefixes.get(candidate)?;
            Some((self.apis.get(index)?, path.get(end..)?))
        })
    }
}

fn syntax_error<E: std::fmt::Display>(error: serde_path_to_error::Error<E>) -> ConfigError {
    let path = error.path().to_string();
    // serde_path_to_error says `.` for the document itself and `?` where it has no path.
    let path = if path == "." || path == "?" {
        "$".to_owned()
    } else {
        path
    };
    ConfigError::new(path, Problem::Syntax(error.inner().to_string()))
}

fn required<'a, T: ?Sized>(value: Option<&'a T>, path: &str) -> Result<&'a T, ConfigError> {
    value.ok_or_else(|| ConfigError::new(path, Problem::Missing))
}

fn check_pattern(pattern: &str, path: &str) -> Result<(), ConfigError> {
    if !host::is_pattern(pattern) {
        return Err(ConfigError::new(
            path,
            Problem::BadPattern(pattern.to_owned()),
        ));
    }
    match host::validate(&host::expand(pattern, "api")) {
        Some(_) => Ok(()),
        None => Err(ConfigError::new(path, Problem::BadHost(pattern.to_owned()))),
    }
}

fn build_api(api: &ApiDocument, index: usize, document: &MapDocument) -> Result<Api, ConfigError> {
    let at = |field: &str| format!("apis[{index}].{field}");
    let name = required(api.name.as_deref(), &at("name"))?;
    if !is_api_name(name) {
        return Err(ConfigError::new(
            at("name"),
            Problem::BadApiName(name.to_owned()),
        ));
    }
    let prefix = match &api.prefix {
        Some(prefix) => {
            check_prefix(prefix).map_err(|why| {
                ConfigError::new(
                    at("prefix"),
                    Problem::BadPrefix {
                        prefix: prefix.clone(),
                        why,
                    },
                )
            })?;
            prefix.clone()
        }
        None => format!("/{name}"),
    };
    let long_host = match (&api.long_host, &document.long_host) {
        (Some(own), _) => resolve_host(own, name, &at("long_host"))?,
        (None, Some(pattern)) => resolve_host(pattern, name, "long_host")?,
        (None, None) => {
            return Err(ConfigError::new(
                at("long_host"),
                Problem::NoLongHost(name.to_owned()),
            ));
        }
    };
    let legacy_hosts = match &api.legacy_hosts {
        Some(own) => own
            .iter()
            .enumerate()
            .map(|(position, host)| {
                resolve_host(host, name, &at(&format!("legacy_hosts[{position}]")))
            })
            .collect::<Result<Vec<_>, _>>()?,
        None => document
            .legacy_hosts
            .iter()
            .enumerate()
            .map(|(position, pattern)| {
                resolve_host(pattern, name, &format!("legacy_hosts[{position}]"))
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    legacy::check_block(&api.legacy, &at("legacy"))?;
    let merged: LegacyDocument = api.legacy.over(&document.legacy);
    // Blame the field this API wrote: its own sunset, else its own deprecation, else the global sunset.
    let sunset_path = if api.legacy.sunset.is_some() {
        at("legacy.sunset")
    } else if api.legacy.deprecation.is_some() {
        at("legacy.deprecation")
    } else {
        "legacy.sunset".to_owned()
    };
    let legacy = legacy::build(&merged, &sunset_path)?;
    Ok(Api {
        name: name.into(),
        prefix: prefix.into_boxed_str(),
        long_host: long_host.into_boxed_str(),
        legacy_hosts: legacy_hosts
            .into_iter()
            .map(String::into_boxed_str)
            .collect(),
        legacy,
    })
}

fn resolve_host(host_or_pattern: &str, api: &str, path: &str) -> Result<String, ConfigError> {
    if host_or_pattern.matches(host::API_PLACEHOLDER).count() > 1 {
        return Err(ConfigError::new(
            path,
            Problem::BadPattern(host_or_pattern.to_owned()),
        ));
    }
    host::validate(&host::expand(host_or_pattern, api))
        .ok_or_else(|| ConfigError::new(path, Problem::BadHost(host_or_pattern.to_owned())))
}

/// A DNS label: it is substituted into host patterns.
fn is_api_name(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && !name.starts_with('-')
        && !name.ends_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn check_prefix(prefix: &str) -> Result<(), &'static str> {
    let Some(rest) = prefix.strip_prefix('/') else {
        return Err("must start with \"/\"");
    };
    if rest.is_empty() {
        return Err("must name at least one segment (\"/\" alone would capture every path)");
    }
    if prefix.len() > MAX_PREFIX_LEN {
        return Err("is longer than 256 characters");
    }
    if rest.ends_with('/') {
        return Err("must not end with \"/\"");
    }
    let segments: Vec<&str> = rest.split('/').collect();
    if segments.len() > MAX_PREFIX_SEGMENTS {
        return Err("has more than 8 segments");
    }
    for segment in segments {
        if segment.is_empty() {
            return Err("must not have an empty segment");
        }
        if segment == "." || segment == ".." {
            return Err("must not have a \".\" or \"..\" segment");
        }
        if !segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
        {
            return Err("may only use letters, digits and \"-._~\" in its segments");
        }
    }
    Ok(())
}
