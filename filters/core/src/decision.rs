//! What happens to one request: the decision table of the migration.

use crate::document::{LegacyAction, RedirectTarget, TrailingSlash, Unmatched};
use crate::legacy::LegacyPolicy;
use crate::map::{Api, Entry, HostKind, MigrationMap};
use crate::path::{self, ScannedTarget, UnsafePath};

/// What the engine can tell about the client, asked only for legacy requests (canary split,
/// forcing header, sunset clock) so that other requests pay nothing for it.
pub trait ClientFacts {
    /// The value of a request header (`name` lowercase), if present.
    fn header(&self, name: &str) -> Option<String>;
    /// The peer address as the engine reports it (`10.0.0.1`, `10.0.0.1:4711` or `[::1]:4711`).
    fn peer_address(&self) -> Option<String>;
    /// Now, in seconds since the Unix epoch.
    fn now_unix(&self) -> i64;
}

/// What the filter chain does with the request, as telemetry names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Forwarded with a new Host and/or path.
    Proxy,
    /// Answered with a redirect.
    Redirect,
    /// Answered with an error (400, 404, 410).
    Reject,
    /// Forwarded unchanged.
    Pass,
}

impl Action {
    /// `proxy`, `redirect`, `reject` or `pass`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Proxy => "proxy",
            Action::Redirect => "redirect",
            Action::Reject => "reject",
            Action::Pass => "pass",
        }
    }
}

/// Where a legacy API stands in its move: only watched, partly redirected, or redirected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedirectStage {
    /// `legacy.action: observe`.
    Observe,
    /// `legacy.action: redirect` with `redirect_percent` below 100.
    Canary,
    /// `legacy.action: redirect` for everyone.
    Redirect,
}

impl RedirectStage {
    /// `observe`, `canary` or `redirect`.
    pub fn as_str(self) -> &'static str {
        match self {
            RedirectStage::Observe => "observe",
            RedirectStage::Canary => "canary",
            RedirectStage::Redirect => "redirect",
        }
    }
}

/// A redirect target built from borrowed parts; rendered only when a response is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location<'m, 'r> {
    /// `(scheme, host)` for an absolute URL; `None` for a path-absolute one.
    pub origin: Option<(&'static str, &'m str)>,
    /// The API prefix put in front of the path (`""` for none).
    pub prefix: &'m str,
    /// The path (raw, already checked safe).
    pub path: &'r str,
    /// The query, byte for byte, without `?`.
    pub query: Option<&'r str>,
}

impl Location<'_, '_> {
    /// Appends the URL to `out`. The path never starts with `//`.
    pub fn write_to(&self, out: &mut String) {
        if let Some((scheme, host)) = self.origin {
            out.push_str(scheme);
            out.push_str("://");
            out.push_str(host);
        }
        out.push_str(self.prefix);
        if self.prefix.is_empty() {
            out.push_str(path::collapse_leading_slashes(self.path));
        } else {
            out.push_str(self.path);
        }
        if let Some(query) = self.query {
            out.push('?');
            out.push_str(query);
        }
    }

    /// The URL as a new string.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(64);
        self.write_to(&mut out);
        out
    }
}

/// The path and query the upstream receives: what follows the prefix, and the query untouched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UpstreamPath<'r> {
    /// What follows the prefix: `""` or starting with `/`.
    pub rest: &'r str,
    /// The query, byte for byte, without `?`.
    pub query: Option<&'r str>,
}

impl UpstreamPath<'_> {
    /// Appends `rest` (or `/` when nothing is left) and `?query`.
    pub fn write_to(&self, out: &mut String) {
        out.push_str(if self.rest.is_empty() { "/" } else { self.rest });
        if let Some(query) = self.query {
            out.push('?');
            out.push_str(query);
        }
    }

    /// The path and query as a new string.
    pub fn render(&self) -> String {
        let mut out =
            String::with_capacity(self.rest.len() + 1 + self.query.map_or(0, |q| q.len() + 1));
        self.write_to(&mut out);
        out
    }
}

/// A request forwarded upstream with changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Forward<'m, 'r> {
    /// The upstream `Host`.
    pub host: &'m str,
    /// The new path and query; `None` keeps the request's.
    pub path: Option<UpstreamPath<'r>>,
    /// `X-Forwarded-Host` and `X-Forwarded-Prefix` (short entry).
    pub forwarded: Option<(&'m str, &'m str)>,
}

/// What kind of reply the filter sends instead of forwarding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyKind<'m, 'r> {
    /// A redirect; `cache_control` for legacy redirects.
    Redirect {
        /// Where to.
        location: Location<'m, 'r>,
        /// The `Cache-Control` value, if any.
        cache_control: Option<&'m str>,
    },
    /// 400: the path could escape its prefix.
    UnsafePath(UnsafePath),
    /// 404: no API is served under this short-host path.
    NoApi,
    /// 410: the legacy entry is past its sunset.
    Gone,
}

/// The filter answers the client itself (a local response): status and kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply<'m, 'r> {
    /// The HTTP status.
    pub status: u16,
    /// Why.
    pub kind: ReplyKind<'m, 'r>,
}

/// What happens to the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome<'m, 'r> {
    /// Forwarded unchanged.
    Pass,
    /// Forwarded with changes.
    Forward(Forward<'m, 'r>),
    /// Answered by the filter.
    Reply(Reply<'m, 'r>),
}

impl Outcome<'_, '_> {
    /// The telemetry action of this outcome.
    pub fn action(&self) -> Action {
        match self {
            Outcome::Pass => Action::Pass,
            Outcome::Forward(_) => Action::Proxy,
            Outcome::Reply(reply) if (300..400).contains(&reply.status) => Action::Redirect,
            Outcome::Reply(_) => Action::Reject,
        }
    }
}

/// The whole decision for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision<'m, 'r> {
    /// The entry used.
    pub entry: Entry,
    /// The API, if any.
    pub api: Option<&'m Api>,
    /// What happens.
    pub outcome: Outcome<'m, 'r>,
    /// The redirect stage of a legacy request.
    pub stage: Option<RedirectStage>,
    /// In observe mode: what redirect mode would have done.
    pub would: Option<Outcome<'m, 'r>>,
    /// For a legacy request with a safe target: where it would be redirected (the `successor-version`).
    pub successor: Option<Location<'m, 'r>>,
}

impl<'m, 'r> Decision<'m, 'r> {
    fn pass(entry: Entry, api: Option<&'m Api>) -> Self {
        Decision {
            entry,
            api,
            outcome: Outcome::Pass,
            stage: None,
            would: None,
            successor: None,
        }
    }

    /// The telemetry action.
    pub fn action(&self) -> Action {
        self.outcome.action()
    }

    /// The legacy policy, for a legacy request.
    pub fn legacy_policy(&self) -> Option<&'m LegacyPolicy> {
        match self.entry {
            Entry::Legacy => self.api.map(Api::legacy),
            _ => None,
        }
    }
}

impl MigrationMap {
    /// Decides what happens to a request.
    ///
    /// `host` is the client's `Host` as sent and `target` the raw request target (path and query,
    /// still percent-encoded). `client` is asked only for legacy requests.
    pub fn decide<'m, 'r>(
        &'m self,
        host: &str,
        target: &'r str,
        client: &dyn ClientFacts,
    ) -> Decision<'m, 'r> {
        // The target is read only for the entries that use it.
        match self.host_kind(host) {
            HostKind::Short => self.decide_short(ScannedTarget::scan(target)),
            HostKind::Legacy(api) => decide_legacy(self, api, ScannedTarget::scan(target), client),
            HostKind::Long(api) => Decision::pass(Entry::Long, Some(api)),
            HostKind::Unknown => Decision::pass(Entry::Unknown, None),
        }
    }

    fn decide_short<'m, 'r>(&'m self, target: ScannedTarget<'r>) -> Decision<'m, 'r> {
        let reply = |status, kind| Outcome::Reply(Reply { status, kind });
        let raw = target.raw;
        // One prefix match: the API (also for telemetry on a refused path) and what follows it.
        let matched = self.match_slashes(raw.path, &target.slashes);
        let api = matched.map(|(api, _)| api);
        let outcome = if let Err(reason) = target.safety {
            reply(400, ReplyKind::UnsafePath(reason))
        } else {
            match matched {
                None if self.unmatched() == Unmatched::Pass => Outcome::Pass,
                None => reply(404, ReplyKind::NoApi),
                Some((api, "")) if self.trailing_slash() == TrailingSlash::Redirect => reply(
                    308,
                    ReplyKind::Redirect {
                        location: Location {
                            origin: None,
                            prefix: api.prefix(),
                            path: "/",
                            query: raw.query,
                        },
                        cache_control: None,
                    },
                ),
                Some((api, rest)) => Outcome::Forward(Forward {
                    host: api.long_host(),
                    path: Some(UpstreamPath {
                        rest,
                        query: raw.query,
                    }),
                    forwarded: Some((self.short_host(), api.prefix())),
                }),
            }
        };
        Decision {
            entry: Entry::Short,
            api,
            outcome,
            stage: None,
            would: None,
            successor: None,
        }
    }
}

fn decide_legacy<'m, 'r>(
    map: &'m MigrationMap,
    api: &'m Api,
    target: ScannedTarget<'r>,
    client: &dyn ClientFacts,
) -> Decision<'m, 'r> {
    let raw = target.raw;
    let policy = api.legacy();
    let successor = match policy.target {
        RedirectTarget::Short => Location {
            origin: Some((policy.scheme.as_str(), map.short_host())),
            prefix: api.prefix(),
            path: raw.path,
            query: raw.query,
        },
        RedirectTarget::Long => Location {
            origin: Some((policy.scheme.as_str(), api.long_host())),
            prefix: "",
            path: raw.path,
            query: raw.query,
        },
    };
    let reply = |status, kind| Outcome::Reply(Reply { status, kind });
    let proxy = Outcome::Forward(Forward {
        host: api.long_host(),
        path: None,
        forwarded: None,
    });
    let guarded = if let Err(reason) = target.safety {
        Some(reply(400, ReplyKind::UnsafePath(reason)))
    } else if policy.is_gone(client.now_unix()) {
        Some(reply(410, ReplyKind::Gone))
    } else {
        None
    };
    let redirect_or_canary = || {
        guarded.unwrap_or_else(|| {
            if redirects_client(policy, client) {
                reply(
                    policy.status,
                    ReplyKind::Redirect {
                        location: successor,
                        cache_control: Some(&policy.cache_control),
                    },
                )
            } else {
                proxy
            }
        })
    };
    let (outcome, stage, would) = match policy.action {
        LegacyAction::Observe => (
            Outcome::Pass,
            Some(RedirectStage::Observe),
            Some(redirect_or_canary()),
        ),
        LegacyAction::Proxy => (guarded.unwrap_or(proxy), None, None),
        LegacyAction::Redirect => {
            let stage = if policy.redirect_percent < 100 {
                RedirectStage::Canary
            } else {
                RedirectStage::Redirect
            };
            (redirect_or_canary(), Some(stage), None)
        }
    };
    Decision {
        entry: Entry::Legacy,
        api: Some(api),
        outcome,
        stage,
        would,
        // An unsafe target never goes into a header, not even the successor `Link` of its 400.
        successor: target.safety.is_ok().then_some(successor),
    }
}

/// Whether this client is in the redirected share: forced by the tester header, or by a stable
/// hash of the client so that one client always sees one behaviour.
fn redirects_client(policy: &LegacyPolicy, client: &dyn ClientFacts) -> bool {
    if policy.redirect_percent >= 100 {
        return true;
    }
    if let Some(name) = &policy.redirect_header
        && client.header(name).is_some_and(|value| value.trim() == "1")
    {
        return true;
    }
    if policy.redirect_percent == 0 {
        return false;
    }
    let key = client_key(client);
    bucket(&key) < u64::from(policy.redirect_percent)
}

/// The client's identity for the canary split: the first `X-Forwarded-For` hop, else the peer
/// address without its port.
pub fn client_key(client: &dyn ClientFacts) -> String {
    if let Some(forwarded) = client.header("x-forwarded-for")
        && let Some(first) = forwarded
            .split(',')
            .next()
            .map(str::trim)
            .filter(|hop| !hop.is_empty())
    {
        return first.to_owned();
    }
    client
        .peer_address()
        .map(|peer| strip_port(&peer).to_owned())
        .unwrap_or_default()
}

fn strip_port(peer: &str) -> &str {
    if let Some(rest) = peer.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match peer.split_once(':') {
        Some((address, port)) if !port.contains(':') => address,
        _ => peer,
    }
}

/// A client's bucket, 0–99: FNV-1a, chosen because it is stable across engines, builds and restarts
/// (std's hasher is randomly seeded per process).
pub fn bucket(key: &str) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let hash = key.bytes().fold(OFFSET, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    });
    hash % 100
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_stripped_from_peers() {
        assert_eq!(strip_port("10.0.0.1:4711"), "10.0.0.1");
        assert_eq!(strip_port("10.0.0.1"), "10.0.0.1");
        assert_eq!(strip_port("[::1]:4711"), "::1");
        assert_eq!(strip_port("::1"), "::1");
    }

    #[test]
    fn buckets_are_fnv1a_and_fixed() {
        // FNV-1a 64 of the key, mod 100, computed independently: a change here moves every
        // client of a running canary to another bucket.
        for (key, expected) in [
            ("", 37),
            ("10.0.0.1", 37),
            ("203.0.113.7", 68),
            ("2001:db8::1", 27),
            ("client-a", 24),
        ] {
            assert_eq!(bucket(key), expected, "{key:?}");
        }
    }
}
