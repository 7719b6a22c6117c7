//! What a decision came to, kept for the later phases of the same request.
//!
//! A [`Decision`] borrows the request it was made for, so a filter cannot keep it between
//! callbacks; deciding again in the response and log phases would triple the per-request work. A
//! verdict owns everything those phases need and costs nothing to build for a forward or a pass.

use crate::decision::{Action, Decision, Outcome, RedirectStage, ReplyKind};
use crate::map::{Api, Entry, MigrationMap};

/// The part of a [`Decision`] that outlives the request's borrowed text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The entry used.
    pub entry: Entry,
    /// The API, by its index in [`MigrationMap::apis`].
    pub api: Option<usize>,
    /// What happens, as telemetry names it.
    pub action: Action,
    /// The redirect stage of a legacy request.
    pub stage: Option<RedirectStage>,
    /// Why the request is refused (`unsafe_path` reason code, `no_api`, `gone`).
    pub reason: Option<&'static str>,
    /// In observe mode: what redirect mode would have done.
    pub would: Option<Would>,
}

/// What redirect mode would have done to an observed legacy request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Would {
    /// The action.
    pub action: Action,
    /// The status it would have answered.
    pub status: Option<u16>,
    /// The `Location` it would have sent.
    pub location: Option<String>,
}

impl Verdict {
    /// The verdict of `decision`, made by `map`.
    pub fn of(map: &MigrationMap, decision: &Decision<'_, '_>) -> Self {
        Verdict {
            entry: decision.entry,
            api: decision.api.and_then(|api| map.index_of(api)),
            action: decision.action(),
            stage: decision.stage,
            reason: reason_of(&decision.outcome),
            would: decision.would.map(|would| Would {
                action: would.action(),
                status: match would {
                    Outcome::Reply(reply) => Some(reply.status),
                    Outcome::Pass | Outcome::Forward(_) => None,
                },
                location: match would {
                    Outcome::Reply(reply) => match reply.kind {
                        ReplyKind::Redirect { location, .. } => Some(location.render()),
                        _ => None,
                    },
                    Outcome::Pass | Outcome::Forward(_) => None,
                },
            }),
        }
    }

    /// The API in `map` (the map the verdict was made by).
    pub fn api<'m>(&self, map: &'m MigrationMap) -> Option<&'m Api> {
        self.api.and_then(|index| map.api(index))
    }

    /// Whether the request is forwarded upstream with changes.
    pub fn forwards(&self) -> bool {
        self.action == Action::Proxy
    }

    /// Whether a filter answers the request itself.
    pub fn responds(&self) -> bool {
        matches!(self.action, Action::Redirect | Action::Reject)
    }
}

fn reason_of(outcome: &Outcome<'_, '_>) -> Option<&'static str> {
    match outcome {
        Outcome::Reply(reply) => match reply.kind {
            ReplyKind::UnsafePath(reason) => Some(reason.code()),
            ReplyKind::NoApi => Some("no_api"),
            ReplyKind::Gone => Some("gone"),
            ReplyKind::Redirect { .. } => None,
        },
        Outcome::Pass | Outcome::Forward(_) => None,
    }
}
