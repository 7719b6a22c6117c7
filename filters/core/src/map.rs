//! The validated migration map: every host and prefix indexed once, at configure time.

use std::collections::HashMap;
use std::sync::Arc;

use foldhash::fast::RandomState;

use crate::document::{ApiDocument, MapDocument, Object, TelemetrySink, TrailingSlash, Unmatched};
use crate::error::{ConfigError, FieldPath, Problem};
use crate::host::{self, ExpandBuffer, HostBuffer, MAX_HOST_LEN};
use crate::legacy::{self, LegacyPolicy, Policies};
use crate::path::Slashes;

/// Prefixes have at most this many segments; it bounds the lookups per request.
pub const MAX_PREFIX_SEGMENTS: usize = 8;

/// The longest prefix accepted.
const MAX_PREFIX_LEN: usize = 256;

/// One API of the map, with everything derived from the patterns resolved.
///
/// The prefix and long host are shared with the map's lookup tables, and the legacy policy with
/// every API that overrides none of it: one allocation each instead of a copy per use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Api {
    name: Box<str>,
    prefix: Arc<str>,
    long_host: Arc<str>,
    legacy_hosts: Vec<Box<str>>,
    legacy: Arc<LegacyPolicy>,
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

/// An entry of the prefix table. Each prefix has one, and so does each prefix's first segment (its
/// head): the match looks the head up first, and most requests are decided by that one lookup.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct PrefixSlot {
    /// The API whose prefix this is; `None` for a head that is no API's prefix.
    api: Option<usize>,
    /// For a head: the most segments of the prefixes that start with it.
    deepest: usize,
}

/// The migration map, validated and indexed. Build it with [`MigrationMap::from_json`].
#[derive(Debug)]
pub struct MigrationMap {
    short_host: Box<str>,
    apis: Vec<Api>,
    hosts: HashMap<Arc<str>, HostRole, RandomState>,
    prefixes: HashMap<Arc<str>, PrefixSlot, RandomState>,
    max_prefix_segments: usize,
    unmatched: Unmatched,
    rewrite_responses: bool,
    trailing_slash: TrailingSlash,
    telemetry: TelemetrySink,
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
        let short_host = required(document.short_host.as_deref(), FieldPath::top("short_host"))?;
        let short_host = host::validate(short_host).ok_or_else(|| {
            ConfigError::new("short_host", Problem::BadHost(short_host.to_owned()))
        })?;
        if let Some(pattern) = &document.long_host {
            check_pattern(pattern, FieldPath::top("long_host"))?;
        }
        for (index, pattern) in document.legacy_hosts.iter().enumerate() {
            check_pattern(pattern, FieldPath::top("legacy_hosts").item(index))?;
        }
        legacy::check_block(&document.legacy, FieldPath::top("legacy"))?;
        let api_documents = required(document.apis.as_deref(), FieldPath::top("apis"))?;
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
            telemetry: document.telemetry,
        };
        let mut names: HashMap<&str, usize> = HashMap::with_capacity(api_documents.len());
        let mut policies = Policies::new(&document.legacy);
        let patterns = MapPatterns {
            long_host: document.long_host.as_deref().map(HostPattern::cut),
            legacy_hosts: document
                .legacy_hosts
                .iter()
                .map(|pattern| HostPattern::cut(pattern))
                .collect(),
        };
        for (index, api_document) in api_documents.iter().enumerate() {
            let api = build_api(api_document, index, &patterns, &mut policies)?;
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
        let prefix = &api.prefix;
        let existing = self
            .prefixes
            .get(prefix.as_ref())
            .copied()
            .unwrap_or_default();
        if let Some(other) = existing.api {
            return Err(ConfigError::new(
                format!("apis[{index}].prefix"),
                Problem::DuplicatePrefix {
                    prefix: prefix.to_string(),
                    other: self.api_name(other).to_owned(),
                },
            ));
        }
        let segments = prefix.matches('/').count();
        // A one-segment prefix is its own head.
        let slot = PrefixSlot {
            api: Some(index),
            deepest: if segments == 1 {
                existing.deepest.max(1)
            } else {
                existing.deepest
            },
        };
        self.prefixes.insert(Arc::clone(prefix), slot);
        if segments > 1 {
            let head = head_of(prefix);
            match self.prefixes.get_mut(head) {
                Some(slot) => slot.deepest = slot.deepest.max(segments),
                None => {
                    let slot = PrefixSlot {
                        api: None,
                        deepest: segments,
                    };
                    self.prefixes.insert(Arc::from(head), slot);
                }
            }
        }
        self.max_prefix_segments = self.max_prefix_segments.max(segments);

        self.claim(
            Arc::clone(&api.long_host),
            HostRole::Long(index),
            &api.name,
            FieldPath::of_api(index, "long_host"),
        )?;
        for (position, legacy_host) in api.legacy_hosts.iter().enumerate() {
            self.claim(
                Arc::from(legacy_host.as_ref()),
                HostRole::Legacy(index),
                &api.name,
                FieldPath::of_api(index, "legacy_hosts").item(position),
            )?;
        }
        self.apis.push(api);
        Ok(())
    }

    /// Gives `host` to the API being added (`role` holds its index, `name` its name), unless the
    /// short host or an earlier claim has it.
    fn claim(
        &mut self,
        host: Arc<str>,
        role: HostRole,
        name: &str,
        path: FieldPath<'_>,
    ) -> Result<(), ConfigError> {
        let current = match role {
            HostRole::Long(index) | HostRole::Legacy(index) => index,
        };
        let holder = if *host == *self.short_host {
            Some("the short_host".to_owned())
        } else {
            self.hosts
                .get(host.as_ref())
                .map(|&held| self.describe(held, current, name))
        };
        match holder {
            None => {
                self.hosts.insert(host, role);
                Ok(())
            }
            Some(other) => Err(ConfigError::new(
                path.to_string(),
                Problem::DuplicateHost {
                    host: host.to_string(),
                    other,
                },
            )),
        }
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
        self.prefixes.get(api.prefix.as_ref())?.api
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

    /// Where the telemetry role writes its record.
    pub fn telemetry(&self) -> TelemetrySink {
        self.telemetry
    }

    /// Which entry a request came in on, and which API it belongs to. Never allocates.
    ///
    /// `host` is the client's `Host` value as sent (port, case and trailing dot allowed);
    /// `target` the raw request target (path and query).
    pub fn classify(&self, host: &str, target: &str) -> Classification<'_> {
        let (entry, api) = match self.host_kind(host) {
            HostKind::Short => {
                let (slashes, path_end) = Slashes::of_target(target);
                let path = target.get(..path_end).unwrap_or(target);
                let matched = self.match_slashes(path, &slashes);
                (Entry::Short, matched.map(|(api, _)| api))
            }
            HostKind::Long(api) => (Entry::Long, Some(api)),
            HostKind::Legacy(api) => (Entry::Legacy, Some(api)),
            HostKind::Unknown => (Entry::Unknown, None),
        };
        Classification { entry, api }
    }

    /// What a client `Host` value is to this map. Never allocates.
    pub(crate) fn host_kind(&self, host: &str) -> HostKind<'_> {
        // The short host as configured is what most short-domain clients send: normalising it
        // would change nothing.
        if host == self.short_host.as_ref() {
            return HostKind::Short;
        }
        let mut buffer: HostBuffer = [0; MAX_HOST_LEN];
        let Some(host) = host::normalize_borrowed(host, &mut buffer) else {
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
        self.match_slashes(path, &Slashes::of(path))
    }

    /// [`MigrationMap::match_prefix`] with the path's slashes already found.
    pub(crate) fn match_slashes<'p>(
        &self,
        path: &'p str,
        slashes: &Slashes,
    ) -> Option<(&Api, &'p str)> {
        // Candidate prefixes end at the first `max_prefix_segments` slashes, and at the path's
        // end when it has fewer.
        let mut ends = [0usize; MAX_PREFIX_SEGMENTS];
        let mut count = 0;
        for (slot, &at) in ends
            .iter_mut()
            .zip(slashes.as_slice())
            .take(self.max_prefix_segments)
        {
            *slot = at;
            count += 1;
        }
        if count < self.max_prefix_segments
            && let Some(slot) = ends.get_mut(count)
        {
            *slot = path.len();
            count += 1;
        }
        let (&head_end, deeper) = ends.get(..count)?.split_first()?;
        // Every prefix starts with its head: no head, no match.
        let head = self.prefixes.get(path.get(..head_end)?)?;
        let deeper = deeper
            .get(..head.deepest.saturating_sub(1))
            .unwrap_or(deeper);
        let api_at = |index: usize, end: usize| Some((self.apis.get(index)?, path.get(end..)?));
        deeper
            .iter()
            .rev()
            .find_map(|&end| api_at(self.prefixes.get(path.get(..end)?)?.api?, end))
            .or_else(|| api_at(head.api?, head_end))
    }
}

/// A prefix's first segment, e.g. `/v2` of `/v2/orders`.
fn head_of(prefix: &str) -> &str {
    let end = prefix
        .bytes()
        .skip(1)
        .position(|byte| byte == b'/')
        .map_or(prefix.len(), |at| at + 1);
    prefix.get(..end).unwrap_or(prefix)
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

fn required<'a, T: ?Sized>(
    value: Option<&'a T>,
    path: FieldPath<'_>,
) -> Result<&'a T, ConfigError> {
    value.ok_or_else(|| ConfigError::new(path.to_string(), Problem::Missing))
}

fn check_pattern(pattern: &str, path: FieldPath<'_>) -> Result<(), ConfigError> {
    if !host::is_pattern(pattern) {
        return Err(ConfigError::new(
            path.to_string(),
            Problem::BadPattern(pattern.to_owned()),
        ));
    }
    let mut buffer: ExpandBuffer = [0; MAX_HOST_LEN + 1];
    let parts = host::split_at_placeholder(pattern);
    match parts.and_then(|parts| host::expand_valid(parts, "api", &mut buffer)) {
        Some(_) => Ok(()),
        None => Err(ConfigError::new(
            path.to_string(),
            Problem::BadHost(pattern.to_owned()),
        )),
    }
}

/// A host or `{api}` pattern as written, and cut around its placeholder (`None`: more than one).
#[derive(Clone, Copy, Debug)]
struct HostPattern<'a> {
    text: &'a str,
    parts: Option<(&'a str, Option<&'a str>)>,
}

impl<'a> HostPattern<'a> {
    fn cut(text: &'a str) -> Self {
        HostPattern {
            text,
            parts: host::split_at_placeholder(text),
        }
    }
}

/// The map's `long_host` and `legacy_hosts` patterns, cut once for all its APIs.
#[derive(Debug)]
struct MapPatterns<'d> {
    long_host: Option<HostPattern<'d>>,
    legacy_hosts: Vec<HostPattern<'d>>,
}

fn build_api(
    api: &ApiDocument,
    index: usize,
    patterns: &MapPatterns<'_>,
    policies: &mut Policies<'_>,
) -> Result<Api, ConfigError> {
    let at = |field| FieldPath::of_api(index, field);
    let name = required(api.name.as_deref(), at("name"))?;
    if !is_api_name(name) {
        return Err(ConfigError::new(
            at("name").to_string(),
            Problem::BadApiName(name.to_owned()),
        ));
    }
    let prefix = match &api.prefix {
        Some(prefix) => {
            check_prefix(prefix).map_err(|why| {
                ConfigError::new(
                    at("prefix").to_string(),
                    Problem::BadPrefix {
                        prefix: prefix.clone(),
                        why,
                    },
                )
            })?;
            Arc::from(prefix.as_str())
        }
        None => default_prefix(name),
    };
    let mut buffer: ExpandBuffer = [0; MAX_HOST_LEN + 1];
    let long_host = match (&api.long_host, patterns.long_host) {
        (Some(own), _) => resolve_host(HostPattern::cut(own), name, at("long_host"), &mut buffer)?,
        (None, Some(pattern)) => {
            resolve_host(pattern, name, FieldPath::top("long_host"), &mut buffer)?
        }
        (None, None) => {
            return Err(ConfigError::new(
                at("long_host").to_string(),
                Problem::NoLongHost(name.to_owned()),
            ));
        }
    };
    let long_host = Arc::from(long_host);
    let count = api
        .legacy_hosts
        .as_ref()
        .map_or(patterns.legacy_hosts.len(), Vec::len);
    let mut legacy_hosts = Vec::with_capacity(count);
    let mut add_legacy_host = |pattern, path| -> Result<(), ConfigError> {
        let host = resolve_host(pattern, name, path, &mut buffer)?;
        legacy_hosts.push(Box::from(host));
        Ok(())
    };
    match &api.legacy_hosts {
        Some(own) => {
            for (position, text) in own.iter().enumerate() {
                let path = at("legacy_hosts").item(position);
                add_legacy_host(HostPattern::cut(text), path)?;
            }
        }
        None => {
            for (position, &pattern) in patterns.legacy_hosts.iter().enumerate() {
                add_legacy_host(pattern, FieldPath::top("legacy_hosts").item(position))?;
            }
        }
    }
    let own_legacy = api.legacy();
    legacy::check_block(own_legacy, at("legacy"))?;
    // Blame the field this API wrote: its own sunset, else its own deprecation, else the global sunset.
    let sunset_path = if own_legacy.sunset.is_some() {
        at("legacy.sunset")
    } else if own_legacy.deprecation.is_some() {
        at("legacy.deprecation")
    } else {
        FieldPath::top("legacy.sunset")
    };
    let legacy = policies.for_api(own_legacy, sunset_path)?;
    Ok(Api {
        name: name.into(),
        prefix,
        long_host,
        legacy_hosts,
        legacy,
    })
}

/// `/name`, put together on the stack: the prefix is allocated once, where it is kept.
fn default_prefix(name: &str) -> Arc<str> {
    let mut buffer = [0u8; MAX_PREFIX_LEN];
    let joined = buffer.split_first_mut().and_then(|(slash, rest)| {
        *slash = b'/';
        rest.get_mut(..name.len())?.copy_from_slice(name.as_bytes());
        Some(())
    });
    match joined
        .and_then(|()| buffer.get(..=name.len()))
        .and_then(|bytes| std::str::from_utf8(bytes).ok())
    {
        Some(prefix) => Arc::from(prefix),
        // Unreachable for a valid API name (at most 63 characters); kept panic-free.
        None => Arc::from(format!("/{name}")),
    }
}

/// The host `pattern` names for API `api`, lowercased, in `buffer`.
fn resolve_host<'b>(
    pattern: HostPattern<'_>,
    api: &str,
    path: FieldPath<'_>,
    buffer: &'b mut ExpandBuffer,
) -> Result<&'b str, ConfigError> {
    let Some(parts) = pattern.parts else {
        return Err(ConfigError::new(
            path.to_string(),
            Problem::BadPattern(pattern.text.to_owned()),
        ));
    };
    host::expand_valid(parts, api, buffer).ok_or_else(|| {
        ConfigError::new(path.to_string(), Problem::BadHost(pattern.text.to_owned()))
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_are_first_segments() {
        assert_eq!(head_of("/api01"), "/api01");
        assert_eq!(head_of("/v2/orders"), "/v2");
        assert_eq!(head_of("/v2/orders/admin"), "/v2");
    }
}
