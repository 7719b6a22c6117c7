//! Shared by the integration tests: a scripted client, map builders and a one-line shape of a
//! decision, so that each table row reads `host, target → what happens`.
//!
//! Each test binary uses only part of this module.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(dead_code)]

use kdp_migrate_core::{ClientFacts, Decision, MigrationMap, Outcome, ReplyKind};

/// The hosts of [`BASE`], spelled once.
pub const SHORT: &str = "dev-01.test";

/// A small map shaped like the seed scenario, extended by [`map_with`].
pub const BASE: &str = r#"{
    "short_host": "dev-01.test",
    "long_host": "{api}.long.test",
    "legacy_hosts": ["{api}.old.test"],
    "apis": [
        { "name": "api01" },
        { "name": "api02" },
        { "name": "v2", "prefix": "/v2" },
        { "name": "orders", "prefix": "/v2/orders" },
        { "name": "orders-admin", "prefix": "/v2/orders/admin" }
    ]
}"#;

/// Builds a map, failing the test with the refusal message.
pub fn build(json: &str) -> MigrationMap {
    match MigrationMap::from_json(json.as_bytes()) {
        Ok(map) => map,
        Err(error) => panic!("map refused: {error}\n{json}"),
    }
}

/// [`BASE`] with top-level fields replaced or added, e.g. `map_with(r#""legacy": {"status": 301}"#)`.
pub fn map_with(fields: &str) -> MigrationMap {
    let mut value: serde_json::Value = serde_json::from_str(BASE).unwrap();
    let extra: serde_json::Value = serde_json::from_str(&format!("{{{fields}}}")).unwrap();
    for (key, field) in extra.as_object().unwrap() {
        value[key] = field.clone();
    }
    build(&value.to_string())
}

/// A client with scripted headers, peer address and clock.
#[derive(Debug, Default, Clone)]
pub struct Client {
    pub headers: Vec<(&'static str, String)>,
    pub peer: Option<String>,
    pub now: i64,
}

impl Client {
    pub fn at(now: i64) -> Self {
        Client {
            now,
            ..Client::default()
        }
    }
    pub fn peer(peer: &str) -> Self {
        Client {
            peer: Some(peer.to_owned()),
            ..Client::default()
        }
    }
    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }
}

impl ClientFacts for Client {
    fn header(&self, name: &str) -> Option<String> {
        // Checked without allocating: the allocation test counts what the core makes a client do.
        assert!(
            !name.bytes().any(|b| b.is_ascii_uppercase()),
            "header names are asked lowercase: {name:?}"
        );
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    }
    fn peer_address(&self) -> Option<String> {
        self.peer.clone()
    }
    fn now_unix(&self) -> i64 {
        self.now
    }
}

/// A client that must not be asked anything: the core consults the client for legacy requests only.
#[derive(Debug)]
pub struct Silent;

impl ClientFacts for Silent {
    fn header(&self, name: &str) -> Option<String> {
        panic!("client asked for header {name:?} on a non-legacy request")
    }
    fn peer_address(&self) -> Option<String> {
        panic!("client asked for its peer address on a non-legacy request")
    }
    fn now_unix(&self) -> i64 {
        panic!("client asked for the clock on a non-legacy request")
    }
}

/// An outcome in one line: `pass`, `proxy <host> [<path>] [xfh=… xfp=…]`,
/// `<status> <location> [cache=…]`, `<status> <reason>`.
pub fn outcome(outcome: &Outcome<'_, '_>) -> String {
    match outcome {
        Outcome::Pass => "pass".to_owned(),
        Outcome::Forward(forward) => {
            let mut line = format!("proxy {}", forward.host);
            if let Some(path) = forward.path {
                line.push(' ');
                line.push_str(&path.render());
            }
            if let Some((host, prefix)) = forward.forwarded {
                line.push_str(&format!(" xfh={host} xfp={prefix}"));
            }
            line
        }
        Outcome::Reply(reply) => match reply.kind {
            ReplyKind::Redirect {
                location,
                cache_control,
            } => {
                let mut line = format!("{} {}", reply.status, location.render());
                if let Some(cache_control) = cache_control {
                    line.push_str(&format!(" cache={cache_control}"));
                }
                line
            }
            ReplyKind::UnsafePath(reason) => format!("{} {}", reply.status, reason.code()),
            ReplyKind::NoApi => format!("{} no_api", reply.status),
            ReplyKind::Gone => format!("{} gone", reply.status),
        },
    }
}

/// A decision in one line: `<entry>/<api or ->: <outcome> [stage=…] [would=(…)]`.
pub fn shape(decision: &Decision<'_, '_>) -> String {
    let mut line = format!(
        "{}/{}: {}",
        decision.entry.as_str(),
        decision.api.map_or("-", |api| api.name()),
        outcome(&decision.outcome)
    );
    if let Some(stage) = decision.stage {
        line.push_str(&format!(" stage={}", stage.as_str()));
    }
    if let Some(would) = &decision.would {
        line.push_str(&format!(" would=({})", outcome(would)));
    }
    line
}

/// The invariants every decision keeps, whatever the input: no `Location` path starts with `//`
/// or `\`, and nothing the filters would write carries CR, LF or NUL.
pub fn check_invariants(decision: &Decision<'_, '_>, input: &str) {
    let mut locations = Vec::new();
    for outcome in [Some(decision.outcome), decision.would]
        .into_iter()
        .flatten()
    {
        if let Outcome::Reply(reply) = outcome
            && let ReplyKind::Redirect { location, .. } = reply.kind
        {
            locations.push(location.render());
        }
    }
    for location in &locations {
        let path = location_path(location);
        assert!(
            !path.starts_with("//") && !path.starts_with('\\') && !path.starts_with("/\\"),
            "{input}: Location {location:?} has a path starting with // or \\"
        );
        assert_clean(location, input);
    }
    if let Outcome::Forward(forward) = decision.outcome {
        assert_clean(forward.host, input);
        if let Some(path) = forward.path {
            assert_clean(&path.render(), input);
        }
    }
}

/// The path of a `Location`: after `scheme://authority` when absolute, else the value itself.
pub fn location_path(location: &str) -> &str {
    match location.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("", |at| &rest[at..]),
        None => location,
    }
}

/// Fails when a header value carries CR, LF or NUL.
pub fn assert_clean(value: &str, input: &str) {
    assert!(
        !value.contains(['\r', '\n', '\0']),
        "{input}: header value {value:?} carries CR, LF or NUL"
    );
}
