//! A test-only proxy-wasm filter that fails on demand, so host-test can show that a failing
//! filter is reported as that request's error and the replay goes on. Never shipped.
//!
//! The request header `x-test-trap` says what to do:
//! - `request_headers`, `response_headers`, `log`: panic in that callback (a panic is a trap:
//!   the SDK logs the message at critical level, then the instance hits `unreachable`);
//! - `hostcall`: call `proxy_http_call`, a hostcall host-test does not provide;
//! - `pause`: return `Pause` from `on_http_request_headers` without answering;
//! - `authority`: set `:authority` to `elsewhere.example` (read-only in Kong, the upstream Host in
//!   Envoy);
//! - `probe`: log what the engine shows: pseudo-headers and properties in
//!   `on_http_request_headers`, `response.code` (hex bytes) in `on_log`.
//!
//! Every callback logs `test_trap: <callback>` at info level (with the status it sees in
//! `on_http_response_headers`), so tests can see which callbacks ran. The configuration
//! `refuse` makes `on_configure` log an error and return false.

use std::time::Duration;

use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel, MapType};

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Trace);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(TrapRoot) });
}}

struct TrapRoot;

impl Context for TrapRoot {}

impl RootContext for TrapRoot {
    fn on_configure(&mut self, _size: usize) -> bool {
        let config = hostcalls::get_buffer(
            proxy_wasm::types::BufferType::PluginConfiguration,
            0,
            usize::MAX,
        );
        if matches!(config, Ok(Some(bytes)) if bytes == b"refuse") {
            note(LogLevel::Error, "test_trap: configuration refused");
            return false;
        }
        true
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(TrapHttp))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct TrapHttp;

/// What the request asked for, read through the non-panicking hostcall.
fn requested() -> Option<String> {
    hostcalls::get_map_value(MapType::HttpRequestHeaders, "x-test-trap").unwrap_or_default()
}

fn note(level: LogLevel, message: &str) {
    // A failing log call has nowhere to report to; ignoring it is the only option.
    let _ = hostcalls::log(level, message);
}

/// A property as text, `-` when the engine has none.
fn property(path: &[&str]) -> String {
    match hostcalls::get_property(path.to_vec()) {
        Ok(Some(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
        _ => "-".to_owned(),
    }
}

/// Traps the instance when the request asked for a trap in `phase`.
#[allow(clippy::panic)] // trapping on request is this filter's purpose
fn trap_if_asked(phase: &str) {
    if requested().as_deref() == Some(phase) {
        panic!("test_trap: trap requested in {phase}");
    }
}

impl Context for TrapHttp {
    fn on_done(&mut self) -> bool {
        note(LogLevel::Info, "test_trap: on_done");
        true
    }
}

impl HttpContext for TrapHttp {
    fn on_http_request_headers(&mut self, _headers: usize, _end_of_stream: bool) -> Action {
        note(LogLevel::Info, "test_trap: on_request_headers");
        trap_if_asked("request_headers");
        match requested().as_deref() {
            Some("hostcall") => {
                let _ = hostcalls::dispatch_http_call(
                    "upstream",
                    vec![],
                    None,
                    vec![],
                    Duration::from_secs(1),
                );
                Action::Continue
            }
            Some("pause") => Action::Pause,
            Some("authority") => {
                let _ = hostcalls::set_map_value(
                    MapType::HttpRequestHeaders,
                    ":authority",
                    Some("elsewhere.example"),
                );
                Action::Continue
            }
            Some("probe") => {
                let header = |name: &str| {
                    hostcalls::get_map_value(MapType::HttpRequestHeaders, name)
                        .ok()
                        .flatten()
                        .unwrap_or_else(|| "-".to_owned())
                };
                note(
                    LogLevel::Info,
                    &format!(
                        "test_trap: probe :authority={} :path={} host={} request.path={} ngx.request_uri={} source.address={}",
                        header(":authority"),
                        header(":path"),
                        header("host"),
                        property(&["request", "path"]),
                        property(&["ngx", "request_uri"]),
                        property(&["source", "address"]),
                    ),
                );
                Action::Continue
            }
            _ => Action::Continue,
        }
    }

    fn on_http_response_headers(&mut self, _headers: usize, _end_of_stream: bool) -> Action {
        let status = hostcalls::get_map_value(MapType::HttpResponseHeaders, ":status")
            .ok()
            .flatten()
            .unwrap_or_default();
        note(
            LogLevel::Info,
            &format!("test_trap: on_response_headers :status={status}"),
        );
        trap_if_asked("response_headers");
        Action::Continue
    }

    fn on_log(&mut self) {
        note(LogLevel::Info, "test_trap: on_log");
        if requested().as_deref() == Some("probe") {
            let code = hostcalls::get_property(vec!["response", "code"])
                .ok()
                .flatten()
                .unwrap_or_default();
            let hex: String = code.iter().map(|byte| format!("{byte:02x}")).collect();
            note(
                LogLevel::Info,
                &format!("test_trap: probe response.code={hex}"),
            );
        }
        trap_if_asked("log");
    }
}
