//! Logging: `proxy_log` lines become log records of the calling filter.

use std::sync::Arc;

use wasmtime::Result;

use super::{BAD_ARGUMENT, Ctx, OK};
use crate::log_record::{LogLevel, LogRecord, LogSource};
use crate::wasm::guest::{self};

pub(super) fn proxy_log(mut caller: Ctx<'_>, level: u32, ptr: u32, len: u32) -> Result<u32> {
    let (memory, state) = guest::split(&mut caller)?;
    let Some(level) = LogLevel::from_code(level) else {
        return Ok(BAD_ARGUMENT);
    };
    let bytes = guest::bytes(memory, ptr, len)?;
    // Validating first is much faster than the lossy path for the (usual) valid text.
    let message = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    };
    let slot = state.slot_mut()?;
    if level == LogLevel::Critical {
        slot.last_critical = Some(message.clone());
    }
    let filter = Arc::clone(&slot.name);
    state.stream.logs.push(LogRecord {
        filter,
        level,
        source: LogSource::Filter,
        message,
    });
    Ok(OK)
}

pub(super) fn proxy_get_log_level(mut caller: Ctx<'_>, level_out: u32) -> Result<u32> {
    let (memory, _) = guest::split(&mut caller)?;
    // Both engines run at info by default (Kong's `notice`, Envoy's `info`).
    guest::put_u32(memory, level_out, 2)?;
    Ok(OK)
}
