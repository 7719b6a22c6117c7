//! `proxy_get_property` / `proxy_set_property`: the properties each engine answers, in each
//! engine's encoding.
//!
//! Kong (ngx_wasm_module) answers everything as text (`response.code` = `"308"`,
//! `request.duration` = seconds, `"0.002"`) and exposes nginx variables as `ngx.<var>` and Kong's
//! own values as `kong.<name>`. Envoy answers numbers as 8-byte little-endian integers
//! (durations in nanoseconds) and knows nothing of `ngx.*` or `kong.*`.

use std::io::Write as _;
use std::sync::Arc;

use super::kong::{KONG_SERVER_NAME, MACHINE_HOSTNAME};
use super::stream::{Phase, Stream};
use super::uri::host_without_port;
use crate::engine::Engine;
use crate::log_record::LogLevel;

/// Envoy's listener address as `destination.address` reports it.
pub(crate) const ENVOY_LISTENER: (&str, u16) = ("127.0.0.1", 10000);

/// Kong version `kong.version` reports.
const KONG_VERSION: &str = "3.9.1";

/// A property path as the guest sent it: segments separated by NUL (the SDK serialises
/// `vec!["request", "path"]` as `request\0path`). Kept in the store and refilled per call, so a
/// lookup allocates nothing.
#[derive(Debug, Default)]
pub(crate) struct PropertyPath {
    /// Segments joined with `.`, the way ngx_wasm_module reads any path.
    pub dotted: String,
    /// Whether a single segment contains a `.` (`vec!["request.path"]`). Envoy looks up the
    /// first segment as an attribute name, so such a path finds nothing there.
    pub dotted_segment: bool,
}

impl PropertyPath {
    /// Refills the path from the guest's bytes.
    pub(crate) fn load(&mut self, bytes: &[u8]) {
        let bytes = bytes.strip_suffix(b"\0").unwrap_or(bytes);
        self.dotted.clear();
        self.dotted_segment = false;
        for &byte in bytes {
            match byte {
                0 => self.dotted.push('.'),
                b'.' => {
                    self.dotted_segment = true;
                    self.dotted.push('.');
                }
                byte if byte.is_ascii() => self.dotted.push(char::from(byte)),
                _ => self.dotted.push(char::REPLACEMENT_CHARACTER),
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn parse(bytes: &[u8]) -> Self {
        let mut path = Self::default();
        path.load(bytes);
        path
    }
}

/// Why a write was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SetError {
    /// Answer the guest with `NotFound` / `BadArgument` (the Rust SDK panics on either).
    NotFound,
    BadArgument,
    /// The engine traps the filter with this message.
    Trap(String),
}

/// Writes the value of `path` into `out`; `false` when the engine has no such property.
pub(crate) fn get(stream: &Stream, filter: &str, path: &PropertyPath, out: &mut Vec<u8>) -> bool {
    out.clear();
    match stream.engine {
        Engine::Kong => kong_get(stream, filter, &path.dotted, out),
        Engine::Envoy if path.dotted_segment => envoy_state(stream, &path.dotted, out),
        Engine::Envoy => {
            envoy_get(stream, filter, &path.dotted, out) || envoy_state(stream, &path.dotted, out)
        }
    }
}

/// Applies a write, or says how the engine refuses it.
pub(crate) fn set(
    stream: &mut Stream,
    filter: &Arc<str>,
    path: &PropertyPath,
    value: &[u8],
) -> Result<(), SetError> {
    match stream.engine {
        Engine::Kong => kong_set(stream, filter, &path.dotted, value),
        // Envoy keeps any written property as filter state, readable by later filters.
        Engine::Envoy => {
            stream.state_set(&path.dotted, value);
            Ok(())
        }
    }
}

fn put(out: &mut Vec<u8>, text: &str) -> bool {
    out.extend_from_slice(text.as_bytes());
    true
}

fn put_opt(out: &mut Vec<u8>, text: Option<&str>) -> bool {
    text.is_some_and(|text| put(out, text))
}

fn put_integer(engine: Engine, out: &mut Vec<u8>, value: u64) -> bool {
    match engine {
        Engine::Kong => {
            let _ = write!(out, "{value}");
        }
        Engine::Envoy => out.extend_from_slice(&value.to_le_bytes()),
    }
    true
}

/// Whether a request-scoped property can be read now. Kong 3.9's engine crashes reading them
/// from a root context (fixed later upstream); Envoy has no request there. Both: not found.
fn in_request(stream: &Stream) -> bool {
    stream.phase != Phase::Configure
}

fn header_value<'s>(stream: &'s Stream, name: &str) -> Option<&'s str> {
    stream.request_headers.get(name)
}

fn split_path(target: &str) -> (&str, &str) {
    target.split_once('?').unwrap_or((target, ""))
}

fn kong_get(stream: &Stream, filter: &str, name: &str, out: &mut Vec<u8>) -> bool {
    match name {
        "plugin_name" | "plugin_root_id" => return put(out, filter),
        _ if !in_request(stream) => return false,
        _ => {}
    }
    if let Some(var) = name.strip_prefix("ngx.") {
        return ngx_var(stream, var, out);
    }
    if let Some(key) = name.strip_prefix("kong.") {
        return kong_property(stream, key, out);
    }
    if let Some(header) = name.strip_prefix("request.headers.") {
        return put_opt(out, header_value(stream, header));
    }
    if let Some(header) = name.strip_prefix("response.headers.") {
        return stream.status.is_some() && put_opt(out, stream.response_headers.get(header));
    }
    let (uri, args) = split_path(stream.current_path());
    match name {
        "request.path" => put(out, &stream.raw_target),
        "request.url_path" => put(out, uri),
        "request.query" => put(out, args),
        "request.host" => put(out, MACHINE_HOSTNAME),
        "request.scheme" => put(out, &stream.scheme),
        "request.method" => put_opt(out, header_value(stream, ":method")),
        "request.protocol" => put(out, "HTTP/1.1"),
        "request.id" => put_opt(out, header_value(stream, "x-request-id")),
        "request.useragent" => put_opt(out, header_value(stream, "user-agent")),
        "request.referer" => put_opt(out, header_value(stream, "referer")),
        "request.size" => put_opt(out, header_value(stream, "content-length")),
        "request.time" => put_seconds(out, stream.started_nanos),
        "request.duration" => put_seconds(out, duration_nanos(stream)),
        "response.code" => stream
            .status
            .is_some_and(|status| put_integer(Engine::Kong, out, u64::from(status))),
        "response.size" => {
            stream.status.is_some() && put_integer(Engine::Kong, out, body_len(stream))
        }
        "source.address" => put(out, &stream.client_address),
        "source.port" => put_integer(Engine::Kong, out, u64::from(stream.client_port)),
        _ => false,
    }
}

/// nginx's `$request_time` format: seconds with milliseconds.
fn put_seconds(out: &mut Vec<u8>, nanos: u64) -> bool {
    let millis = nanos / 1_000_000;
    let _ = write!(out, "{}.{:03}", millis / 1000, millis % 1000);
    true
}

fn duration_nanos(stream: &Stream) -> u64 {
    u64::try_from(stream.duration.as_nanos()).unwrap_or(u64::MAX)
}

fn body_len(stream: &Stream) -> u64 {
    u64::try_from(stream.response_body.len()).unwrap_or(u64::MAX)
}

/// The nginx variables a filter can read in Kong (`ngx.<var>`); unknown ones are not found.
fn ngx_var(stream: &Stream, var: &str, out: &mut Vec<u8>) -> bool {
    if let Some(value) = stream.kong.get(var) {
        return put(out, value);
    }
    if let Some(header) = var.strip_prefix("http_") {
        let name = header.replace('_', "-");
        return put_opt(out, header_value(stream, &name));
    }
    let (uri, args) = split_path(stream.current_path());
    match var {
        "request_uri" => put(out, &stream.raw_target),
        "uri" => put(out, uri),
        "args" | "query_string" => put(out, args),
        "is_args" => put(out, if args.is_empty() { "" } else { "?" }),
        "host" => {
            let host = header_value(stream, "host").map_or(KONG_SERVER_NAME.to_owned(), |host| {
                host_without_port(host).to_ascii_lowercase()
            });
            put(out, &host)
        }
        "scheme" => put(out, &stream.scheme),
        "request_method" => put_opt(out, header_value(stream, ":method")),
        "remote_addr" | "realip_remote_addr" => put(out, &stream.client_address),
        "remote_port" => put_integer(Engine::Kong, out, u64::from(stream.client_port)),
        "server_name" => put(out, KONG_SERVER_NAME),
        "server_port" => put_integer(Engine::Kong, out, u64::from(stream.server_port())),
        "server_addr" => put(out, "127.0.0.1"),
        "server_protocol" => put(out, "HTTP/1.1"),
        "hostname" => put(out, MACHINE_HOSTNAME),
        "request_time" => put_seconds(out, duration_nanos(stream)),
        "status" => put_integer(Engine::Kong, out, u64::from(stream.status.unwrap_or(0))),
        "kong_request_id" => {
            let _ = write!(out, "{:032x}", stream.context_id);
            true
        }
        "content_type" => put_opt(out, header_value(stream, "content-type")),
        "content_length" => put_opt(out, header_value(stream, "content-length")),
        _ => false,
    }
}

/// Kong's `kong.*` getters (kong/runloop/wasm.lua in 3.9).
fn kong_property(stream: &Stream, key: &str, out: &mut Vec<u8>) -> bool {
    if let Some(shared) = key.strip_prefix("ctx.shared.") {
        return stream.state_get(shared).is_some_and(|value| {
            out.extend_from_slice(value);
            true
        });
    }
    let routing = &stream.routing;
    match key {
        "route_id" => put_opt(out, routing.route_id.as_deref()),
        "route_name" => put_opt(out, routing.route_name.as_deref()),
        "service_id" => put_opt(out, routing.service_id.as_deref()),
        "service_name" => put_opt(out, routing.service_name.as_deref()),
        "version" => put(out, KONG_VERSION),
        "nginx.subsystem" => put(out, "http"),
        "client.protocol" => put(out, &stream.scheme),
        "request.forwarded_scheme" => put(out, &stream.scheme),
        "request.forwarded_host" => put(out, &stream.kong.x_forwarded_host),
        "request.forwarded_port" | "request.port" => {
            put_integer(Engine::Kong, out, u64::from(stream.server_port()))
        }
        _ => false,
    }
}

fn kong_set(
    stream: &mut Stream,
    filter: &Arc<str>,
    name: &str,
    value: &[u8],
) -> Result<(), SetError> {
    let text = String::from_utf8_lossy(value).into_owned();
    if let Some(var) = name.strip_prefix("ngx.") {
        if !stream.phase.before_forward() && var.starts_with("upstream_") {
            // Kong has already built the upstream request: the write lands but changes nothing.
            stream.host_log(
                filter,
                LogLevel::Warn,
                format!("ngx.{var} written after the request was forwarded"),
            );
        }
        return match stream.kong.get_mut(var) {
            Some(slot) => {
                *slot = text;
                Ok(())
            }
            None => {
                // ngx_wasm_module: set_property fails for variables not declared with `set`.
                stream.host_log(
                    filter,
                    LogLevel::Error,
                    format!("variable \"{var}\" is not changeable"),
                );
                Err(SetError::BadArgument)
            }
        };
    }
    if let Some(key) = name.strip_prefix("kong.") {
        if let Some(shared) = key.strip_prefix("ctx.shared.") {
            stream.state_set(shared, value);
            return Ok(());
        }
        return match key {
            "service.request.scheme" => {
                stream.kong.upstream_scheme = text;
                Ok(())
            }
            "service.target" | "service.upstream" | "response.status" => {
                stream.host_log(
                    filter,
                    LogLevel::Warn,
                    format!("kong.{key} accepted but not emulated by host-test"),
                );
                Ok(())
            }
            _ => Err(SetError::Trap(format!(
                "could not set \"kong.{key}\": unknown error"
            ))),
        };
    }
    if name == "request.query" {
        // Writes `$args`; Kong's `$upstream_uri` was computed before, so the upstream is unchanged.
        let (uri, _) = split_path(stream.current_path());
        let mut path = uri.to_owned();
        if !text.is_empty() {
            path.push('?');
            path.push_str(&text);
        }
        stream.request_headers.replace(":path", &path);
        return Ok(());
    }
    Err(SetError::NotFound)
}

fn envoy_get(stream: &Stream, filter: &str, name: &str, out: &mut Vec<u8>) -> bool {
    match name {
        "plugin_name" => return put(out, filter),
        "plugin_root_id" | "plugin_vm_id" => return put(out, ""),
        _ if !in_request(stream) => return false,
        _ => {}
    }
    if let Some(header) = name.strip_prefix("request.headers.") {
        return put_opt(out, envoy_request_header(stream, header));
    }
    if let Some(header) = name.strip_prefix("response.headers.") {
        return stream.status.is_some() && put_opt(out, stream.response_headers.get(header));
    }
    let engine = Engine::Envoy;
    match name {
        // Envoy reads attributes from the live header map: after a filter rewrites `:path`,
        // `request.path` is the new value.
        "request.path" => put(out, stream.current_path()),
        "request.url_path" => put(out, split_path(stream.current_path()).0),
        "request.query" => put(out, split_path(stream.current_path()).1),
        "request.host" => put_opt(out, header_value(stream, ":authority")),
        "request.scheme" => put_opt(out, header_value(stream, ":scheme")),
        "request.method" => put_opt(out, header_value(stream, ":method")),
        "request.protocol" => put(out, "HTTP/1.1"),
        "request.id" => put_opt(out, header_value(stream, "x-request-id")),
        "request.useragent" => put_opt(out, header_value(stream, "user-agent")),
        "request.referer" => put_opt(out, header_value(stream, "referer")),
        "request.size" => header_value(stream, "content-length")
            .and_then(|length| length.parse::<u64>().ok())
            .is_some_and(|length| put_integer(engine, out, length)),
        "request.time" => put_integer(engine, out, stream.started_nanos),
        "request.duration" => put_integer(engine, out, duration_nanos(stream)),
        "response.code" => stream
            .status
            .is_some_and(|status| put_integer(engine, out, u64::from(status))),
        "response.size" => stream.status.is_some() && put_integer(engine, out, body_len(stream)),
        "response.flags" => stream.status.is_some() && put_integer(engine, out, 0),
        "source.address" => {
            let _ = write!(out, "{}:{}", stream.client_address, stream.client_port);
            true
        }
        "source.port" => put_integer(engine, out, u64::from(stream.client_port)),
        "destination.address" => {
            let _ = write!(out, "{}:{}", ENVOY_LISTENER.0, ENVOY_LISTENER.1);
            true
        }
        "destination.port" => put_integer(engine, out, u64::from(ENVOY_LISTENER.1)),
        _ => false,
    }
}

fn envoy_request_header<'s>(stream: &'s Stream, name: &str) -> Option<&'s str> {
    if name.eq_ignore_ascii_case("host") {
        return header_value(stream, ":authority");
    }
    header_value(stream, name)
}

fn envoy_state(stream: &Stream, name: &str, out: &mut Vec<u8>) -> bool {
    stream.state_get(name).is_some_and(|value| {
        out.extend_from_slice(value);
        true
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::routing::Routing;
    use crate::request::Request;
    use std::time::Duration;

    fn stream(engine: Engine) -> Stream {
        let mut stream = Stream::new(engine);
        let request =
            Request::new("GET", "Api01.Example:8080", "/a/%2e%2e/b?x=1").header("X-Thing", "v");
        stream
            .begin(&request, &Routing::default(), 1_000_000_000, 7)
            .unwrap();
        stream.phase = Phase::RequestHeaders;
        stream.duration = Duration::from_millis(2);
        stream
    }

    fn read(stream: &Stream, path: &[u8]) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        get(stream, "f", &PropertyPath::parse(path), &mut out).then_some(out)
    }

    #[test]
    fn kong_answers_text_and_nginx_variables() {
        let stream = stream(Engine::Kong);
        assert_eq!(read(&stream, b"request\0path").unwrap(), b"/a/%2e%2e/b?x=1");
        assert_eq!(read(&stream, b"request.path").unwrap(), b"/a/%2e%2e/b?x=1");
        assert_eq!(read(&stream, b"request\0url_path").unwrap(), b"/b");
        assert_eq!(read(&stream, b"request\0duration").unwrap(), b"0.002");
        assert_eq!(read(&stream, b"source\0address").unwrap(), b"127.0.0.1");
        assert_eq!(read(&stream, b"source\0port").unwrap(), b"44248");
        assert_eq!(
            read(&stream, b"ngx\0request_uri").unwrap(),
            b"/a/%2e%2e/b?x=1"
        );
        assert_eq!(
            read(&stream, b"ngx\0upstream_host").unwrap(),
            b"Api01.Example:8080"
        );
        assert_eq!(read(&stream, b"ngx\0host").unwrap(), b"api01.example");
        assert_eq!(read(&stream, b"ngx\0http_x_thing").unwrap(), b"v");
        assert_eq!(read(&stream, b"ngx\0no_such_var"), None);
        assert_eq!(read(&stream, b"response\0code"), None);
        assert_eq!(read(&stream, b"kong\0route_name"), None);
    }

    #[test]
    fn kong_answers_route_and_service_names_from_the_routing() {
        let mut stream = Stream::new(Engine::Kong);
        let routing = Routing {
            route_name: Some("api01-short".to_owned()),
            service_name: Some("api01".to_owned()),
            upstream_host: Some("api01.internal".to_owned()),
            ..Routing::default()
        };
        stream
            .begin(&Request::new("GET", "h", "/x"), &routing, 0, 255)
            .unwrap();
        stream.phase = Phase::RequestHeaders;
        assert_eq!(read(&stream, b"kong\0route_name").unwrap(), b"api01-short");
        assert_eq!(read(&stream, b"kong\0service_name").unwrap(), b"api01");
        assert_eq!(read(&stream, b"kong\0route_id"), None);
        assert_eq!(
            read(&stream, b"ngx\0upstream_host").unwrap(),
            b"api01.internal"
        );
        assert_eq!(
            read(&stream, b"ngx\0kong_request_id").unwrap(),
            b"000000000000000000000000000000ff"
        );
        stream.phase = Phase::Configure;
        assert_eq!(read(&stream, b"kong\0route_name"), None);
        assert_eq!(read(&stream, b"plugin_name").unwrap(), b"f");
    }

    #[test]
    fn envoy_answers_integers_and_no_ngx() {
        let stream = stream(Engine::Envoy);
        assert_eq!(read(&stream, b"request\0path").unwrap(), b"/a/%2e%2e/b?x=1");
        // One segment holding a dot is not an attribute name in Envoy.
        assert_eq!(read(&stream, b"request.path"), None);
        assert_eq!(
            read(&stream, b"request\0duration").unwrap(),
            2_000_000u64.to_le_bytes()
        );
        assert_eq!(
            read(&stream, b"source\0address").unwrap(),
            b"127.0.0.1:44248"
        );
        assert_eq!(
            read(&stream, b"source\0port").unwrap(),
            44248u64.to_le_bytes()
        );
        assert_eq!(read(&stream, b"ngx\0request_uri"), None);
        assert_eq!(
            read(&stream, b"request\0headers\0host").unwrap(),
            b"Api01.Example:8080"
        );
    }

    #[test]
    fn kong_refuses_unchangeable_variables_and_unknown_kong_setters() {
        let mut stream = stream(Engine::Kong);
        let filter: Arc<str> = Arc::from("f");
        let path = PropertyPath::parse(b"ngx\0upstream_uri");
        assert_eq!(set(&mut stream, &filter, &path, b"/x"), Ok(()));
        assert_eq!(stream.kong.upstream_uri, "/x");
        let path = PropertyPath::parse(b"ngx\0request_uri");
        assert_eq!(
            set(&mut stream, &filter, &path, b"/x"),
            Err(SetError::BadArgument)
        );
        assert_eq!(
            stream.logs.last().unwrap().message,
            "variable \"request_uri\" is not changeable"
        );
        let path = PropertyPath::parse(b"kong\0nope");
        assert_eq!(
            set(&mut stream, &filter, &path, b"1"),
            Err(SetError::Trap(
                "could not set \"kong.nope\": unknown error".to_owned()
            ))
        );
    }
}
