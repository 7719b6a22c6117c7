//! What the gateway's own configuration decided before the filters run: which route and service
//! matched (Kong's `kong.route_name` and friends) and where Kong would send the request.

/// Route and service facts for one request. All optional: without a Kong configuration there is
/// no route, and Kong engine starts the upstream from the client's request (`ngx.upstream_uri` =
/// the raw URI, `ngx.upstream_host` = the `Host` header).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Routing {
    /// `kong.route_id`
    pub route_id: Option<String>,
    /// `kong.route_name`
    pub route_name: Option<String>,
    /// `kong.service_id`
    pub service_id: Option<String>,
    /// `kong.service_name`
    pub service_name: Option<String>,
    /// The `Host` Kong would send upstream (service host, or the client's with `preserve_host`).
    pub upstream_host: Option<String>,
    /// The path and query Kong would send upstream (after `strip_path` and the service path).
    pub upstream_uri: Option<String>,
    /// The `X-Forwarded-Prefix` Kong would send (the prefix `strip_path` removed).
    pub forwarded_prefix: Option<String>,
}
