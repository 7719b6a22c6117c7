//! What a filter (or the host on its behalf) logged.

use std::fmt;
use std::sync::Arc;

/// proxy-wasm log levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// `trace`
    Trace,
    /// `debug`
    Debug,
    /// `info`
    Info,
    /// `warn`
    Warn,
    /// `error`
    Error,
    /// `critical`: the SDK logs panics at this level just before the trap.
    Critical,
}

impl LogLevel {
    pub(crate) fn from_code(code: u32) -> Option<Self> {
        match code {
            0 => Some(LogLevel::Trace),
            1 => Some(LogLevel::Debug),
            2 => Some(LogLevel::Info),
            3 => Some(LogLevel::Warn),
            4 => Some(LogLevel::Error),
            5 => Some(LogLevel::Critical),
            _ => None,
        }
    }

    /// `trace` … `critical`.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
            LogLevel::Critical => "critical",
        }
    }
}

/// Who wrote a log line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LogSource {
    /// The filter, through `proxy_log`.
    Filter,
    /// The filter's WASI stdout or stderr.
    Stdio,
    /// The host, about something the filter did (as ngx_wasm_module logs
    /// `cannot set read-only ":authority" header`).
    Host,
}

/// One captured log line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRecord {
    /// The filter it belongs to.
    pub filter: Arc<str>,
    /// Its level.
    pub level: LogLevel,
    /// Who wrote it.
    pub source: LogSource,
    /// The text.
    pub message: String,
}

impl fmt::Display for LogRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let origin = match self.source {
            LogSource::Filter => "",
            LogSource::Stdio => " (stdio)",
            LogSource::Host => " (host)",
        };
        write!(
            f,
            "[{}] {}{}: {}",
            self.level.as_str(),
            self.filter,
            origin,
            self.message
        )
    }
}
