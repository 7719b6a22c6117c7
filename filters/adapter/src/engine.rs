//! What each engine is and can do: the one place where the engines differ.
//!
//! Three engines run the same `.wasm`: Kong (ngx_wasm_module with Kong's `$upstream_*`
//! variables), plain ngx_wasm_module, and Envoy. Each is described here as data — where the raw
//! target is read, where the upstream request's path, Host and `X-Forwarded-*` are written, how
//! numeric properties are encoded, which clock is precise, whether filter state exists, in which
//! order response callbacks run, whether metrics exist — and the rest of the adapter asks these
//! descriptions instead of matching on the engine. Pure: no hostcall here, so it is tested
//! natively.
//!
//! Reads are the same everywhere: the client Host from the `host` header, the raw target as
//! `request.path`. Writes differ: Kong builds the upstream request from `$upstream_uri` and
//! `$upstream_host` (computed before filters run, so `:path` and `host` writes are ignored);
//! plain ngx_wasm_module proxies `$uri` and `$host`; Envoy takes `:path` and `:authority`. The
//! measurements behind each line: `shared/research/ngxwasm-behaviour.md`.

use kdp_migrate_core::numeric::Encoding;

/// One engine, described.
#[derive(Debug, PartialEq, Eq)]
pub struct Engine {
    /// Its name, for messages.
    pub name: &'static str,
    /// Where the raw request target is read.
    pub raw_target: RawTarget,
    /// Where the path and query the upstream receives are written.
    pub upstream_path: Slot,
    /// Where the Host the upstream receives is written.
    pub upstream_host: Slot,
    /// Where `X-Forwarded-Host` and `X-Forwarded-Prefix` are written.
    pub forwarded: (Slot, Slot),
    /// Whether the upstream receives the client's Host unless a filter writes another. Kong sends
    /// the Service's host instead, so a long-host request needs its Host written there too.
    pub keeps_client_host: bool,
    /// How numeric properties (`response.code`, `request.duration`) are encoded.
    pub numeric: Encoding,
    /// Which clock measures a request's latency precisely.
    pub latency: LatencyClock,
    /// Whether a property a filter sets is per-request filter state that later filters (and the
    /// access log) can read.
    pub filter_state: bool,
    /// In which order the filters of a chain see the response.
    pub response_order: ResponseOrder,
    /// Whether the metric hostcalls exist.
    pub metrics: Metrics,
    /// Whether a filter can hand a value to the engine's Lua log plugins: Kong's
    /// `kong.ctx.shared.<key>` property, which `custom_fields_by_lua` reads (kong-3.9.3.md §5.5, §7).
    pub kong_ctx: bool,
    /// The id the engine gives every request, for a record whose request carries no
    /// `X-Request-Id`: a property in wire form (Envoy sets `x-request-id` itself).
    pub request_id: Option<&'static str>,
}

/// Where the raw request target (path and query, as sent) is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RawTarget {
    /// The `:path` of the request's header map, already read: there `request.path` is the same
    /// value, and a property read would cost one more hostcall.
    PathHeader,
    /// The `request.path` property, since `:path` is nginx's decoded, normalised `$uri` (which
    /// would hide `%2e%2e` and `%2F`); `:path` only when the property is missing.
    PathProperty,
}

/// A place a filter writes one part of the upstream request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// A property, its path in wire form (segments joined by NUL: `"ngx\0upstream_uri"`).
    Property(&'static str),
    /// A request header.
    RequestHeader(&'static str),
}

/// The clock a request's latency is measured with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LatencyClock {
    /// The filter's clock, from its request phase to `on_log` (a cheap hostcall; the
    /// `request.duration` property is the fallback when the request phase did not run).
    Filter,
    /// The `request.duration` property: the filter's clock is nginx's cached millisecond one.
    RequestDuration,
}

/// The order in which the filters of a chain see the response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseOrder {
    /// Chain order: a filter early in the chain sees the upstream's headers before the later
    /// filters rewrite them.
    Chain,
    /// Reverse order: a filter early in the chain sees the headers the later ones rewrote.
    Reverse,
}

/// Whether an engine implements the metric hostcalls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metrics {
    /// Always.
    Available,
    /// From a version on, read from `property` as `major.minor[.…]` text; before it the
    /// hostcalls trap ("not yet implemented").
    Since {
        /// The version property, in wire form.
        property: &'static str,
        /// The first version with metrics.
        version: (u32, u32),
        /// What an unanswered version property means, for messages.
        unanswered: &'static str,
    },
}

impl Metrics {
    /// Whether metrics exist, given the version property's value (`None`: not answered, which
    /// means a version too old to have it).
    pub fn available(self, version: Option<&[u8]>) -> bool {
        match self {
            Metrics::Available => true,
            Metrics::Since { version: since, .. } => {
                version.and_then(major_minor).is_some_and(|v| v >= since)
            }
        }
    }

    /// The version property to read, if availability depends on it.
    pub fn version_property(self) -> Option<&'static str> {
        match self {
            Metrics::Available => None,
            Metrics::Since { property, .. } => Some(property),
        }
    }
}

/// `3.9.1` (or `3.10.0.0`) → `(3, 9)`.
fn major_minor(version: &[u8]) -> Option<(u32, u32)> {
    let text = std::str::from_utf8(version).ok()?;
    let mut parts = text.split('.');
    let major = parts.next()?.trim().parse().ok()?;
    let minor = parts.next()?.trim().parse().ok()?;
    Some((major, minor))
}

impl Engine {
    /// Kong's ngx_wasm_module, with Kong's `$upstream_*` variables (declared with `set` in every
    /// Kong 3.x proxy location, so writable). Kong overwrites the `X-Forwarded-*` request headers
    /// from its variables, so the variables are what is written. `ngx.upstream_host` is also the
    /// TLS SNI (`proxy_ssl_name`).
    pub const KONG: Engine = Engine {
        name: "Kong",
        raw_target: RawTarget::PathProperty,
        upstream_path: Slot::Property("ngx\0upstream_uri"),
        upstream_host: Slot::Property("ngx\0upstream_host"),
        forwarded: (
            Slot::Property("ngx\0upstream_x_forwarded_host"),
            Slot::Property("ngx\0upstream_x_forwarded_prefix"),
        ),
        keeps_client_host: false,
        numeric: Encoding::Text,
        latency: LatencyClock::RequestDuration,
        filter_state: false,
        response_order: ResponseOrder::Chain,
        // Kong before 3.8 maps the metric hostcalls to a "not yet implemented" trap;
        // `kong.version` exists from 3.6.
        metrics: Metrics::Since {
            property: "kong\0version",
            version: (3, 8),
            unanswered: "before 3.6",
        },
        kong_ctx: true,
        // `$kong_request_id` (lua-kong-nginx-module): the `request.id` of Kong's log serializer.
        request_id: Some("ngx\0kong_request_id"),
    };

    /// ngx_wasm_module without Kong: nginx proxies `$uri` and `$host`, which `:path` and the
    /// `host` header set (`:authority` is read-only there).
    pub const NGINX: Engine = Engine {
        name: "ngx_wasm_module",
        raw_target: RawTarget::PathProperty,
        upstream_path: Slot::RequestHeader(":path"),
        upstream_host: Slot::RequestHeader("host"),
        forwarded: (
            Slot::RequestHeader("x-forwarded-host"),
            Slot::RequestHeader("x-forwarded-prefix"),
        ),
        keeps_client_host: true,
        numeric: Encoding::Text,
        latency: LatencyClock::RequestDuration,
        filter_state: false,
        response_order: ResponseOrder::Chain,
        metrics: Metrics::Available,
        kong_ctx: false,
        // nginx's `$request_id`.
        request_id: Some("ngx\0request_id"),
    };

    /// Envoy and the gateways built on it (Higress, MSE, Istio).
    pub const ENVOY: Engine = Engine {
        name: "Envoy",
        raw_target: RawTarget::PathHeader,
        upstream_path: Slot::RequestHeader(":path"),
        upstream_host: Slot::RequestHeader(":authority"),
        forwarded: (
            Slot::RequestHeader("x-forwarded-host"),
            Slot::RequestHeader("x-forwarded-prefix"),
        ),
        keeps_client_host: true,
        numeric: Encoding::LittleEndian,
        // The `request.duration` property costs ~3 µs per read in Envoy; the clock next to nothing.
        latency: LatencyClock::Filter,
        filter_state: true,
        response_order: ResponseOrder::Reverse,
        metrics: Metrics::Available,
        kong_ctx: false,
        request_id: None,
    };

    /// The engine that answers `known(property)` as it does: nginx knows `ngx.request_uri`, and
    /// Kong's nginx also `ngx.upstream_uri`; Envoy knows neither. Ask it once per VM, from an HTTP
    /// context: reading request properties from a root context segfaults Kong 3.9's pinned
    /// ngx_wasm_module.
    pub fn detect(mut known: impl FnMut(&'static str) -> bool) -> &'static Engine {
        if !known("ngx\0request_uri") {
            &Engine::ENVOY
        } else if known("ngx\0upstream_uri") {
            &Engine::KONG
        } else {
            &Engine::NGINX
        }
    }

    /// Whether a filter that rewrites responses must leave its counts in filter state for the
    /// telemetry of its chain: telemetry goes first in a chain, and in reverse response order it
    /// sees the headers only after they were rewritten.
    pub fn passes_rewrite_counts(&self) -> bool {
        self.response_order == ResponseOrder::Reverse && self.filter_state
    }
}
