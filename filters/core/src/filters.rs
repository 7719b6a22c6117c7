//! The filters kdp-migrate ships, by the name Kong and Envoy load them under (the `.wasm` file
//! name and Kong's filter name), and the chain each entry gets when they are deployed separately.
//! Defined here once: the filters, the test host, the CLI, the Kong kit's tests and the e2e tests
//! all import these names.

use crate::map::Entry;

/// Short host: prefix routing, Host rewrite, 404/400, response rewriting.
pub const SHORT_DOMAIN_ROUTER: &str = "short_domain_router";
/// Upstream Host of legacy (and, in Kong, long-host) forwards; responses of proxied legacy requests.
pub const HOST_REWRITE: &str = "host_rewrite";
/// Redirects, 400 and 410 for legacy hosts; deprecation headers.
pub const LEGACY_REDIRECT: &str = "legacy_redirect";
/// The per-request record and counters.
pub const MIGRATION_TELEMETRY: &str = "migration_telemetry";
/// All four jobs in one filter.
pub const KDP_MIGRATE: &str = "kdp_migrate";

/// Every shipped filter.
pub const SHIPPED: [&str; 5] = [
    SHORT_DOMAIN_ROUTER,
    HOST_REWRITE,
    LEGACY_REDIRECT,
    MIGRATION_TELEMETRY,
    KDP_MIGRATE,
];

/// The four separate filters in the order one chain in front of every entry runs them (as Envoy's
/// listener does): telemetry first, then the legacy answers, the legacy Host, the short-domain router.
pub const SEPARATE: [&str; 4] = [
    MIGRATION_TELEMETRY,
    LEGACY_REDIRECT,
    HOST_REWRITE,
    SHORT_DOMAIN_ROUTER,
];

/// The chain of separate filters in front of requests of `entry`, in order: telemetry first, so
/// that it records the request as the client sent it before the others rewrite it.
pub fn chain(entry: Entry) -> &'static [&'static str] {
    match entry {
        Entry::Short => &[MIGRATION_TELEMETRY, SHORT_DOMAIN_ROUTER],
        Entry::Legacy => &[MIGRATION_TELEMETRY, LEGACY_REDIRECT, HOST_REWRITE],
        Entry::Long | Entry::Unknown => &[MIGRATION_TELEMETRY],
    }
}
