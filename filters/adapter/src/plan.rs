//! What one filter does with one request, phase by phase: a pure function of its [`Roles`], its
//! [`Engine`], what the core decided and two settings of the map. The HTTP context only carries
//! the plan out, so every policy of the adapter — who answers, who writes the forward and where,
//! who rewrites or only counts, where the record goes — is here, in one small `Copy` value, and
//! tested natively (`tests/plan.rs`).
//!
//! A plan names the work a filter does, so a filter skips every phase and hostcall its plan does
//! not ask for.

use kdp_migrate_core::{Decision, Entry, MigrationMap, Outcome, TelemetrySink};

use crate::engine::{Engine, LatencyClock, Slot};
use crate::roles::Roles;

/// What the core decided about a request, as far as a plan depends on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecisionShape {
    /// The entry the client used.
    pub entry: Entry,
    /// What happens to the request.
    pub outcome: OutcomeShape,
}

/// What happens to a request, without the details.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutcomeShape {
    /// Forwarded unchanged.
    Pass,
    /// Forwarded with a new Host, and with a new path and `X-Forwarded-*` when those are set.
    Forward {
        /// The forward has a new path.
        path: bool,
        /// The forward has `X-Forwarded-Host` and `X-Forwarded-Prefix`.
        forwarded: bool,
    },
    /// Answered locally.
    Reply,
}

impl DecisionShape {
    /// The shape of `decision`.
    pub fn of(decision: &Decision<'_, '_>) -> DecisionShape {
        DecisionShape {
            entry: decision.entry,
            outcome: match decision.outcome {
                Outcome::Pass => OutcomeShape::Pass,
                Outcome::Forward(forward) => OutcomeShape::Forward {
                    path: forward.path.is_some(),
                    forwarded: forward.forwarded.is_some(),
                },
                Outcome::Reply(_) => OutcomeShape::Reply,
            },
        }
    }
}

/// The settings of the map a plan depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapFlags {
    /// `rewrite_responses`.
    pub rewrite_responses: bool,
    /// `telemetry`.
    pub telemetry: TelemetrySink,
}

impl MapFlags {
    /// The flags of `map`.
    pub fn of(map: &MigrationMap) -> MapFlags {
        MapFlags {
            rewrite_responses: map.rewrite_responses(),
            telemetry: map.telemetry(),
        }
    }
}

/// One filter's work on one request. Everything `false` or `None`: the filter passes the request
/// through untouched.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    // Request phase.
    /// Sends the decision's local response.
    pub answers: bool,
    /// Writes the forward's new path and query there.
    pub upstream_path: Option<Slot>,
    /// Writes the upstream Host there: the forward's, or for a long-host request on an engine
    /// that does not keep the client's Host, the API's long host.
    pub upstream_host: Option<Slot>,
    /// Writes the forward's `X-Forwarded-Host` and `X-Forwarded-Prefix` there.
    pub forwarded: Option<(Slot, Slot)>,
    /// Takes the scheme the client used, which the response rewrite puts into URLs (Envoy refuses
    /// request-header reads in the response phase).
    pub client_scheme: bool,
    // Response phase.
    /// Takes the response's status for the record.
    pub response_status: bool,
    /// Rewrites, or only counts, the response's `Location`-like and `Set-Cookie` headers.
    pub rewrite: Option<Rewrite>,
    /// Leaves its rewrite counts in filter state for the chain's telemetry (see
    /// [`Engine::passes_rewrite_counts`]).
    pub passes_rewrite_counts: bool,
    /// Adds `Deprecation`, `Sunset` and `Link` (when the API signals them).
    pub deprecation: bool,
    // Log phase.
    /// Writes the request's record and counts it.
    pub record: Option<Record>,
}

/// The response rewrite of a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rewrite {
    /// For which entry the client used.
    pub entry: RewriteFor,
    /// `true`: rewrite the headers; `false`: only count what the rewriting filters of the chain
    /// will rewrite (a telemetry-only filter).
    pub apply: bool,
}

/// Whose entry a response is rewritten for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RewriteFor {
    /// The short host, with the API's prefix.
    Short,
    /// The legacy host the client used.
    Legacy,
}

/// The telemetry record of a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// Where the record goes.
    pub sink: RecordSink,
    /// Where the rewrite counts come from.
    pub rewrite_counts: RewriteCounts,
}

/// Where a record goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordSink {
    /// One info-level line in the engine's log.
    Log,
    /// The filter state `kdp_migrate.record` (the log line if setting it fails).
    FilterState,
    /// The log line, because the map asks for filter state and the engine has none; said once
    /// per VM.
    LogWithoutFilterState,
}

/// Where a record's rewrite counts come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RewriteCounts {
    /// This filter's response phase: what it rewrote, or what its dry run counted.
    Own,
    /// The filter state a rewriting filter of the chain left; this filter's own count when none
    /// did.
    FilterState,
}

impl Plan {
    /// The plan of a filter with `roles` on `engine` for a request decided as `shape` under a
    /// map with `flags`.
    pub fn new(roles: Roles, engine: &Engine, shape: DecisionShape, flags: MapFlags) -> Plan {
        let entry = shape.entry;
        let owns_forward = roles.owns_forward(entry);
        let (forwards, path, forwarded) = match shape.outcome {
            OutcomeShape::Forward { path, forwarded } => (true, path, forwarded),
            OutcomeShape::Pass | OutcomeShape::Reply => (false, false, false),
        };
        let writes_forward = forwards && owns_forward;
        // Kong sends the Service's host upstream unless told otherwise; elsewhere the long host
        // the client used already is the upstream Host.
        let writes_long_host =
            entry == Entry::Long && roles.host_rewrite && !engine.keeps_client_host;
        let rewrite_for = match entry {
            Entry::Short => Some(RewriteFor::Short),
            Entry::Legacy => Some(RewriteFor::Legacy),
            Entry::Long | Entry::Unknown => None,
        };
        // A telemetry-only filter counts what the rewriting filters do to the same headers.
        let rewrite = rewrite_for
            .filter(|_| forwards && flags.rewrite_responses && (owns_forward || roles.telemetry))
            .map(|entry| Rewrite {
                entry,
                apply: owns_forward,
            });
        let applies_rewrite = rewrite.is_some_and(|rewrite| rewrite.apply);
        let record = roles.telemetry.then(|| Record {
            sink: match flags.telemetry {
                TelemetrySink::Log => RecordSink::Log,
                TelemetrySink::FilterState if engine.filter_state => RecordSink::FilterState,
                TelemetrySink::FilterState => RecordSink::LogWithoutFilterState,
            },
            rewrite_counts: if !roles.rewrites_responses() && engine.passes_rewrite_counts() {
                RewriteCounts::FilterState
            } else {
                RewriteCounts::Own
            },
        });
        Plan {
            answers: shape.outcome == OutcomeShape::Reply && roles.owns_answer(entry),
            upstream_path: (writes_forward && path).then_some(engine.upstream_path),
            upstream_host: (writes_forward || writes_long_host).then_some(engine.upstream_host),
            forwarded: (writes_forward && forwarded).then_some(engine.forwarded),
            client_scheme: writes_forward && flags.rewrite_responses,
            response_status: roles.telemetry,
            rewrite,
            passes_rewrite_counts: applies_rewrite
                && !roles.telemetry
                && engine.passes_rewrite_counts(),
            deprecation: roles.legacy_redirect
                && entry == Entry::Legacy
                && shape.outcome != OutcomeShape::Reply,
            record,
        }
    }

    /// Whether the response phase reads the response's header map.
    pub fn reads_response(&self) -> bool {
        self.response_status || self.rewrite.is_some()
    }
}

/// Whether a filter with `roles` on `engine` reads the clock when a request reaches it, before it
/// decides: a recording filter on an engine whose filter clock is the precise one.
pub fn starts_clock(roles: Roles, engine: &Engine) -> bool {
    roles.telemetry && engine.latency == LatencyClock::Filter
}
