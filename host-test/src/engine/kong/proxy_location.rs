//! Kong's proxy location as a filter meets it: the listener, the `$upstream_*` variables Kong's
//! access phase computes and its template proxies with, and the headers the template sets itself
//! (kong/templates/nginx_kong.lua at 3.9.3).

/// The Kong variables that decide what the upstream receives. Kong's nginx template declares
/// them with `set`, so they are the only `ngx.*` a filter may write; `proxy_set_header` then
/// takes Host and the X-Forwarded-* headers from them, whatever the request headers say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct KongVars {
    pub upstream_uri: String,
    pub upstream_host: String,
    pub upstream_scheme: String,
    pub x_forwarded_for: String,
    pub x_forwarded_proto: String,
    pub x_forwarded_host: String,
    pub x_forwarded_port: String,
    pub x_forwarded_path: String,
    pub x_forwarded_prefix: String,
}

impl KongVars {
    /// The variable named `name` (without `ngx.`), if it is one of the changeable ones.
    pub(crate) fn get_mut(&mut self, name: &str) -> Option<&mut String> {
        Some(match name {
            "upstream_uri" => &mut self.upstream_uri,
            "upstream_host" => &mut self.upstream_host,
            "upstream_scheme" => &mut self.upstream_scheme,
            "upstream_x_forwarded_for" => &mut self.x_forwarded_for,
            "upstream_x_forwarded_proto" => &mut self.x_forwarded_proto,
            "upstream_x_forwarded_host" => &mut self.x_forwarded_host,
            "upstream_x_forwarded_port" => &mut self.x_forwarded_port,
            "upstream_x_forwarded_path" => &mut self.x_forwarded_path,
            "upstream_x_forwarded_prefix" => &mut self.x_forwarded_prefix,
            _ => return None,
        })
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        Some(match name {
            "upstream_uri" => &self.upstream_uri,
            "upstream_host" => &self.upstream_host,
            "upstream_scheme" => &self.upstream_scheme,
            "upstream_x_forwarded_for" => &self.x_forwarded_for,
            "upstream_x_forwarded_proto" => &self.x_forwarded_proto,
            "upstream_x_forwarded_host" => &self.x_forwarded_host,
            "upstream_x_forwarded_port" => &self.x_forwarded_port,
            "upstream_x_forwarded_path" => &self.x_forwarded_path,
            "upstream_x_forwarded_prefix" => &self.x_forwarded_prefix,
            _ => return None,
        })
    }
}

/// The Kong proxy listener the emulation pretends to be (`server_name kong;`, ports 8000/8443).
pub(crate) const KONG_SERVER_NAME: &str = "kong";
pub(crate) const KONG_HTTP_PORT: u16 = 8000;
pub(crate) const KONG_HTTPS_PORT: u16 = 8443;
/// `$hostname` / `request.host` in Kong: the machine's name, never the client's Host.
pub(crate) const MACHINE_HOSTNAME: &str = "host-test";

/// Headers Kong's nginx template sets with `proxy_set_header` from its own variables: a filter
/// changing them as request headers changes nothing upstream.
pub(crate) const KONG_MANAGED_HEADERS: [&str; 8] = [
    "host",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-forwarded-port",
    "x-forwarded-path",
    "x-forwarded-prefix",
    "x-real-ip",
];
