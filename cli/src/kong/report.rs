//! The conversion report: per entity what `convert` did with it, and what needs a human.
//! JSON with `--report` (schema in cli/README.md), text on stderr.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

/// What `convert` did with an entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// An API's service or legacy route, now sending to the API's new upstream.
    Rehosted,
    /// Created: an API's short-domain and long-host routes, a service for an API the dump does
    /// not have, the catch-all, the Prometheus plugin.
    Added,
    /// Written as read.
    Carried,
    /// Left out (`--only-mapped`, or a `kdp-migrate` entity regenerated).
    Dropped,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Rehosted => "rehosted",
            Action::Added => "added",
            Action::Carried => "carried",
            Action::Dropped => "dropped",
        }
    }
}

/// Why an item needs a human. The names are a contract (`case` in the JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Case {
    /// A plugin's config names a legacy host (CORS `origins`, a header value...).
    PluginNamesLegacyHost,
    /// A `request-transformer` sets the upstream Host, which the filters set too.
    PluginSetsHost,
    /// A route's hosts are legacy hosts of two or more APIs.
    RouteHostsTwoApis,
    /// A route serves a legacy host and hosts that are not that API's legacy hosts.
    RouteMixedHosts,
    /// A wildcard host covers legacy hosts of the map.
    WildcardHost,
    /// A service's routes belong to two or more APIs: it cannot point to one upstream.
    ServiceSharedByApis,
    /// A service of an API also has routes the map does not name.
    ServiceSharedWithOtherRoutes,
    /// A service's path is not the new upstream's.
    ServicePath,
    /// A legacy route strips a path: behind the short-domain prefix the upstream path differs.
    StripPath,
    /// A legacy route's regex path, rewritten behind the short-domain prefix.
    RegexPath,
    /// A 1.1 path that Kong 3 would normalise, kept as written.
    PathNotNormalised,
    /// A legacy route matches on TLS SNIs, which the new entries do not carry.
    RouteSnis,
    /// A legacy route has no service.
    RouteWithoutService,
    /// A legacy route already has a filter chain; ours was put first in it.
    FilterChainExists,
    /// HTTPS is served for an API but no certificate's SNIs cover its short or long host.
    CertificateNotCovering,
    /// A name the kit needs is taken by an entity of the dump.
    NameCollision,
    /// A key decK writes that Kong 3.9 DB-less rejects (`deck gateway sync` reads it).
    DeckOnlyKey,
    /// Consumer groups: an Enterprise entity, which OSS 3.9 does not have.
    ConsumerGroups,
    /// A top-level key neither Kong nor decK defines, carried as read.
    UnknownKey,
    /// Native layout: something the legacy route or its plugins do cannot be kept.
    NativeConflict,
}

/// One entity and what happened to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntityEntry {
    /// `service`, `route`, `plugin`, `consumer`, `upstream`, `certificate`...
    pub kind: String,
    /// Its name (or id, username, or a description).
    pub name: String,
    /// What was done.
    pub action: Action,
    /// The API it belongs to, if any.
    pub api: Option<String>,
    /// `file:line:column` in the dump, when it came from there.
    pub at: Option<String>,
    /// What changed, one line each.
    pub details: Vec<String>,
}

/// One item that needs a human.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NeedsHuman {
    /// Why.
    pub case: Case,
    /// The entity's kind.
    pub kind: String,
    /// The entity's name.
    pub name: String,
    /// The API concerned, if any.
    pub api: Option<String>,
    /// `file:line:column` in the dump.
    pub at: Option<String>,
    /// What to look at, and why.
    pub message: String,
}

/// Everything `convert` reports.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// The dump, as given.
    pub dump: String,
    /// Its `_format_version`.
    pub source_format_version: String,
    /// `chains`, `combined` or `native`.
    pub layout: String,
    /// Every entity, in output order of kinds.
    pub entities: Vec<EntityEntry>,
    /// The items that need a human.
    pub needs_human: Vec<NeedsHuman>,
}

/// The JSON document: the report plus counts.
#[derive(Serialize)]
struct ReportJson<'r> {
    dump: &'r str,
    source_format_version: &'r str,
    layout: &'r str,
    counts: BTreeMap<&'static str, usize>,
    entities: &'r [EntityEntry],
    needs_human: &'r [NeedsHuman],
}

impl Report {
    /// Records an entity.
    pub fn entity(
        &mut self,
        kind: &str,
        name: &str,
        action: Action,
        api: Option<&str>,
        at: Option<String>,
        details: Vec<String>,
    ) {
        self.entities.push(EntityEntry {
            kind: kind.to_owned(),
            name: name.to_owned(),
            action,
            api: api.map(str::to_owned),
            at,
            details,
        });
    }

    /// Records an item that needs a human (once per case, entity and message).
    pub fn flag(
        &mut self,
        case: Case,
        kind: &str,
        name: &str,
        api: Option<&str>,
        at: Option<String>,
        message: String,
    ) {
        let item = NeedsHuman {
            case,
            kind: kind.to_owned(),
            name: name.to_owned(),
            api: api.map(str::to_owned),
            at,
            message,
        };
        if !self.needs_human.contains(&item) {
            self.needs_human.push(item);
        }
    }

    /// The items that need a human.
    pub fn needs_human(&self) -> &[NeedsHuman] {
        &self.needs_human
    }

    fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut counts: BTreeMap<&'static str, usize> = [
            Action::Rehosted,
            Action::Added,
            Action::Carried,
            Action::Dropped,
        ]
        .into_iter()
        .map(|action| (action.as_str(), 0))
        .collect();
        for entry in &self.entities {
            *counts.entry(entry.action.as_str()).or_default() += 1;
        }
        counts.insert("needs_human", self.needs_human.len());
        counts
    }

    /// The report as pretty JSON, ending with a newline.
    pub fn to_json(&self) -> String {
        let document = ReportJson {
            dump: &self.dump,
            source_format_version: &self.source_format_version,
            layout: &self.layout,
            counts: self.counts(),
            entities: &self.entities,
            needs_human: &self.needs_human,
        };
        let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The report for a person: counts, what was rehosted and added, carried and dropped per
    /// kind, then every item that needs a human.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let counts = self.counts();
        let count = |key: &str| counts.get(key).copied().unwrap_or_default();
        let _ = writeln!(
            out,
            "converted {} (_format_version {}, layout {}): {} rehosted, {} added, {} carried, {} dropped; {} need a human",
            self.dump,
            self.source_format_version,
            self.layout,
            count("rehosted"),
            count("added"),
            count("carried"),
            count("dropped"),
            count("needs_human"),
        );
        for action in [Action::Rehosted, Action::Added] {
            for entry in self.entities.iter().filter(|entry| entry.action == action) {
                let _ = write!(
                    out,
                    "  {:<8} {} {}",
                    action.as_str(),
                    entry.kind,
                    entry.name
                );
                if let Some(api) = &entry.api {
                    let _ = write!(out, " (api {api})");
                }
                out.push('\n');
                for detail in &entry.details {
                    let _ = writeln!(out, "             {detail}");
                }
            }
        }
        for action in [Action::Carried, Action::Dropped] {
            let mut per_kind: BTreeMap<&str, usize> = BTreeMap::new();
            for entry in self.entities.iter().filter(|entry| entry.action == action) {
                *per_kind.entry(entry.kind.as_str()).or_default() += 1;
            }
            if !per_kind.is_empty() {
                let kinds: Vec<String> = per_kind
                    .iter()
                    .map(|(kind, count)| format!("{count} {kind}"))
                    .collect();
                let _ = writeln!(out, "  {:<8} {}", action.as_str(), kinds.join(", "));
            }
        }
        if !self.needs_human.is_empty() {
            let _ = writeln!(out, "needs a human:");
            for item in &self.needs_human {
                let case = serde_json::to_value(item.case)
                    .ok()
                    .and_then(|value| value.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let _ = write!(out, "  [{case}] {} {}", item.kind, item.name);
                if let Some(at) = &item.at {
                    let _ = write!(out, " ({at})");
                }
                let _ = writeln!(out, ": {}", item.message);
            }
        }
        out
    }
}
