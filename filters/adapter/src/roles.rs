//! Which jobs a filter does, and so which requests' forwards and answers it owns. Every shipped
//! filter is the same adapter with different roles, so a behaviour is written once and the
//! combined filter cannot drift from the four separate ones.

use kdp_migrate_core::Entry;

/// The jobs of one filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Roles {
    /// Short-host requests: prefix routing, strip, Host, 404/400, trailing-slash redirect, and
    /// rewriting their responses.
    pub router: bool,
    /// Local responses for legacy-host requests (redirect, 400, 410) and deprecation headers on
    /// every legacy response.
    pub legacy_redirect: bool,
    /// Upstream Host for legacy forwards (and long hosts in Kong), and rewriting the responses of
    /// proxied legacy requests.
    pub host_rewrite: bool,
    /// The per-request record and counters.
    pub telemetry: bool,
}

impl Roles {
    /// `short_domain_router`.
    pub const ROUTER: Roles = Roles {
        router: true,
        legacy_redirect: false,
        host_rewrite: false,
        telemetry: false,
    };
    /// `legacy_redirect`.
    pub const LEGACY_REDIRECT: Roles = Roles {
        router: false,
        legacy_redirect: true,
        host_rewrite: false,
        telemetry: false,
    };
    /// `host_rewrite`.
    pub const HOST_REWRITE: Roles = Roles {
        router: false,
        legacy_redirect: false,
        host_rewrite: true,
        telemetry: false,
    };
    /// `migration_telemetry`.
    pub const TELEMETRY: Roles = Roles {
        router: false,
        legacy_redirect: false,
        host_rewrite: false,
        telemetry: true,
    };
    /// `kdp_migrate`: all four jobs in one filter, one VM crossing per callback instead of four.
    pub const ALL: Roles = Roles {
        router: true,
        legacy_redirect: true,
        host_rewrite: true,
        telemetry: true,
    };

    /// Whether this filter writes the forwards of `entry` (upstream path, Host, `X-Forwarded-*`)
    /// and rewrites their responses.
    pub fn owns_forward(self, entry: Entry) -> bool {
        match entry {
            Entry::Short => self.router,
            Entry::Legacy => self.host_rewrite,
            Entry::Long | Entry::Unknown => false,
        }
    }

    /// Whether this filter sends the local responses of `entry`.
    pub fn owns_answer(self, entry: Entry) -> bool {
        match entry {
            Entry::Short => self.router,
            Entry::Legacy => self.legacy_redirect,
            Entry::Long | Entry::Unknown => false,
        }
    }

    /// Whether this filter rewrites responses itself (then its telemetry counts real rewrites).
    pub fn rewrites_responses(self) -> bool {
        self.router || self.host_rewrite
    }
}
