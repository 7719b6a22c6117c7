//! The `env.proxy_*` functions of proxy-wasm ABI 0.2.1, as each engine answers them.
//!
//! A hostcall answers the guest with a [`Status`]; where the real engine traps the filter (a
//! local response after the response was sent, an unknown `kong.*` setter, …) it returns an
//! error, which wasmtime turns into a trap of the calling filter. Imports this host does not
//! provide (HTTP and gRPC calls, shared data and queues, foreign functions) are defined by
//! [`crate::library`] as functions that trap with `unsupported hostcall <name>`.

use std::sync::Arc;

use wasmtime::{Caller, Linker, Result};

use crate::abi::{BufferKind, MapKind, Status};
use crate::guest::{self, fault};
use crate::headers::{HeaderMap, deserialize_pairs};
use crate::host_state::HostState;
use crate::log_record::{LogLevel, LogRecord, LogSource};
use crate::metrics::{KONG_MAX_NAME, MetricError, MetricKind};
use crate::mode::Mode;
use crate::properties::{self, SetError};
use crate::stream::{PendingResponse, Phase, Stream};

type Ctx<'a> = Caller<'a, HostState>;

const OK: u32 = Status::Ok as u32;
const NOT_FOUND: u32 = Status::NotFound as u32;
const BAD_ARGUMENT: u32 = Status::BadArgument as u32;

/// Adds every supported `env.proxy_*` function to the linker.
pub(crate) fn define(linker: &mut Linker<HostState>) -> Result<()> {
    linker.func_wrap("env", "proxy_log", proxy_log)?;
    linker.func_wrap("env", "proxy_get_log_level", proxy_get_log_level)?;
    linker.func_wrap(
        "env",
        "proxy_get_current_time_nanoseconds",
        proxy_get_current_time_nanoseconds,
    )?;
    linker.func_wrap(
        "env",
        "proxy_set_tick_period_milliseconds",
        proxy_set_tick_period_milliseconds,
    )?;
    linker.func_wrap("env", "proxy_get_buffer_bytes", proxy_get_buffer_bytes)?;
    linker.func_wrap("env", "proxy_set_buffer_bytes", proxy_set_buffer_bytes)?;
    linker.func_wrap(
        "env",
        "proxy_get_header_map_pairs",
        proxy_get_header_map_pairs,
    )?;
    linker.func_wrap(
        "env",
        "proxy_set_header_map_pairs",
        proxy_set_header_map_pairs,
    )?;
    linker.func_wrap(
        "env",
        "proxy_get_header_map_value",
        proxy_get_header_map_value,
    )?;
    linker.func_wrap(
        "env",
        "proxy_replace_header_map_value",
        proxy_replace_header_map_value,
    )?;
    linker.func_wrap(
        "env",
        "proxy_add_header_map_value",
        proxy_add_header_map_value,
    )?;
    linker.func_wrap(
        "env",
        "proxy_remove_header_map_value",
        proxy_remove_header_map_value,
    )?;
    linker.func_wrap("env", "proxy_get_property", proxy_get_property)?;
    linker.func_wrap("env", "proxy_set_property", proxy_set_property)?;
    linker.func_wrap(
        "env",
        "proxy_send_local_response",
        proxy_send_local_response,
    )?;
    linker.func_wrap(
        "env",
        "proxy_continue_stream",
        |_: Ctx<'_>, _stream: u32| OK,
    )?;
    linker.func_wrap("env", "proxy_close_stream", |_: Ctx<'_>, _stream: u32| OK)?;
    linker.func_wrap(
        "env",
        "proxy_set_effective_context",
        |_: Ctx<'_>, _context: u32| OK,
    )?;
    linker.func_wrap("env", "proxy_done", |_: Ctx<'_>| OK)?;
    linker.func_wrap("env", "proxy_define_metric", proxy_define_metric)?;
    linker.func_wrap("env", "proxy_increment_metric", proxy_increment_metric)?;
    linker.func_wrap("env", "proxy_record_metric", proxy_record_metric)?;
    linker.func_wrap("env", "proxy_get_metric", proxy_get_metric)?;
    Ok(())
}

fn proxy_log(mut caller: Ctx<'_>, level: u32, ptr: u32, len: u32) -> Result<u32> {
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

fn proxy_get_log_level(mut caller: Ctx<'_>, level_out: u32) -> Result<u32> {
    let (memory, _) = guest::split(&mut caller)?;
    // Both engines run at info by default (Kong's `notice`, Envoy's `info`).
    guest::put_u32(memory, level_out, 2)?;
    Ok(OK)
}

fn proxy_get_current_time_nanoseconds(mut caller: Ctx<'_>, time_out: u32) -> Result<u32> {
    let (memory, state) = guest::split(&mut caller)?;
    let stream = &state.stream;
    // A replayed request takes the time it took when it was recorded: the clock stands at its
    // start until its response is done, and has moved on by its duration when it is logged.
    let now = match stream.phase {
        Phase::Configure => state.clock.now_nanos(),
        Phase::Log | Phase::Done => stream
            .started_nanos
            .saturating_add(u64::try_from(stream.duration.as_nanos()).unwrap_or(u64::MAX)),
        _ => stream.started_nanos,
    };
    guest::put_u64(memory, time_out, now)?;
    Ok(OK)
}

fn proxy_set_tick_period_milliseconds(caller: Ctx<'_>, _period: u32) -> Result<u32> {
    let state = caller.data();
    // The host never ticks; Kong refuses the call outside the root context.
    if state.mode == Mode::Kong && state.stream.phase != Phase::Configure {
        return Err(fault("can only set tick_period in root context"));
    }
    Ok(OK)
}

fn proxy_get_buffer_bytes(
    mut caller: Ctx<'_>,
    kind: u32,
    start: u32,
    max: u32,
    data_out: u32,
    size_out: u32,
) -> Result<u32> {
    let state = caller.data_mut();
    let Some(kind) = BufferKind::from_code(kind) else {
        return Ok(BAD_ARGUMENT);
    };
    let mut scratch = std::mem::take(&mut state.scratch);
    scratch.clear();
    let source: &[u8] = match kind {
        BufferKind::PluginConfiguration => &state.slot()?.configuration,
        BufferKind::ResponseBody if state.stream.status.is_some() => &state.stream.response_body,
        BufferKind::ResponseBody | BufferKind::RequestBody | BufferKind::VmConfiguration => &[],
    };
    let start = usize::try_from(start).unwrap_or(usize::MAX);
    let end = start
        .saturating_add(usize::try_from(max).unwrap_or(usize::MAX))
        .min(source.len());
    let found = source.get(start..end).filter(|slice| !slice.is_empty());
    if let Some(slice) = found {
        scratch.extend_from_slice(slice);
    }
    let found = found.is_some();
    state.scratch = scratch;
    if !found {
        return Ok(NOT_FOUND);
    }
    guest::return_scratch(&mut caller, data_out, size_out)?;
    Ok(OK)
}

fn proxy_set_buffer_bytes(
    mut caller: Ctx<'_>,
    kind: u32,
    start: u32,
    size: u32,
    data: u32,
    len: u32,
) -> Result<u32> {
    let (memory, state) = guest::split(&mut caller)?;
    if BufferKind::from_code(kind) != Some(BufferKind::ResponseBody)
        || state.stream.phase != Phase::ResponseBody
    {
        return Ok(BAD_ARGUMENT);
    }
    let value = guest::bytes(memory, data, len)?;
    let body = &mut state.stream.response_body;
    let start = usize::try_from(start).unwrap_or(usize::MAX).min(body.len());
    let end = start
        .saturating_add(usize::try_from(size).unwrap_or(usize::MAX))
        .min(body.len());
    body.splice(start..end, value.iter().copied());
    Ok(OK)
}

/// The map a filter addresses, if this phase has it.
fn map_of(stream: &Stream, kind: MapKind) -> Option<&HeaderMap> {
    match kind {
        MapKind::RequestHeaders => Some(&stream.request_headers),
        MapKind::ResponseHeaders if stream.status.is_some() => Some(&stream.response_headers),
        MapKind::ResponseHeaders | MapKind::RequestTrailers | MapKind::ResponseTrailers => None,
    }
}

fn proxy_get_header_map_pairs(
    mut caller: Ctx<'_>,
    kind: u32,
    data_out: u32,
    size_out: u32,
) -> Result<u32> {
    let Some(kind) = MapKind::from_code(kind) else {
        return Ok(BAD_ARGUMENT);
    };
    let state = caller.data_mut();
    let mut scratch = std::mem::take(&mut state.scratch);
    match map_of(&state.stream, kind) {
        Some(map) => map.serialize_into(&mut scratch),
        None => HeaderMap::new().serialize_into(&mut scratch),
    }
    state.scratch = scratch;
    guest::return_scratch(&mut caller, data_out, size_out)?;
    Ok(OK)
}

fn proxy_get_header_map_value(
    mut caller: Ctx<'_>,
    kind: u32,
    key: u32,
    key_len: u32,
    data_out: u32,
    size_out: u32,
) -> Result<u32> {
    let Some(kind) = MapKind::from_code(kind) else {
        return Ok(BAD_ARGUMENT);
    };
    let (memory, state) = guest::split(&mut caller)?;
    let name = guest::text(memory, key, key_len)?;
    let name = canonical_name(state.mode, kind, name);
    let value = map_of(&state.stream, kind).and_then(|map| map.get(name));
    let Some(value) = value else {
        return Ok(NOT_FOUND);
    };
    state.scratch.clear();
    state.scratch.extend_from_slice(value.as_bytes());
    guest::return_scratch(&mut caller, data_out, size_out)?;
    Ok(OK)
}

/// Envoy has no `host` header: it is `:authority`, for reads and writes alike.
fn canonical_name(mode: Mode, kind: MapKind, name: &str) -> &str {
    if mode == Mode::Envoy && kind == MapKind::RequestHeaders && name.eq_ignore_ascii_case("host") {
        ":authority"
    } else {
        name
    }
}

/// A change a filter asks for.
enum HeaderEdit<'a> {
    Replace(&'a str, &'a str),
    Add(&'a str, &'a str),
    Remove(&'a str),
    SetAll(Vec<(String, String)>),
}

impl HeaderEdit<'_> {
    fn names(&self) -> Vec<&str> {
        match self {
            HeaderEdit::Replace(name, _) | HeaderEdit::Add(name, _) | HeaderEdit::Remove(name) => {
                vec![name]
            }
            HeaderEdit::SetAll(pairs) => pairs.iter().map(|(name, _)| name.as_str()).collect(),
        }
    }
}

fn proxy_replace_header_map_value(
    mut caller: Ctx<'_>,
    kind: u32,
    key: u32,
    key_len: u32,
    value: u32,
    value_len: u32,
) -> Result<u32> {
    let (memory, state) = guest::split(&mut caller)?;
    let name = guest::text(memory, key, key_len)?;
    let value = guest::text(memory, value, value_len)?;
    edit_headers(state, kind, HeaderEdit::Replace(name, value))
}

fn proxy_add_header_map_value(
    mut caller: Ctx<'_>,
    kind: u32,
    key: u32,
    key_len: u32,
    value: u32,
    value_len: u32,
) -> Result<u32> {
    let (memory, state) = guest::split(&mut caller)?;
    let name = guest::text(memory, key, key_len)?;
    let value = guest::text(memory, value, value_len)?;
    edit_headers(state, kind, HeaderEdit::Add(name, value))
}

fn proxy_remove_header_map_value(
    mut caller: Ctx<'_>,
    kind: u32,
    key: u32,
    key_len: u32,
) -> Result<u32> {
    let (memory, state) = guest::split(&mut caller)?;
    let name = guest::text(memory, key, key_len)?;
    edit_headers(state, kind, HeaderEdit::Remove(name))
}

fn proxy_set_header_map_pairs(mut caller: Ctx<'_>, kind: u32, data: u32, len: u32) -> Result<u32> {
    let (memory, state) = guest::split(&mut caller)?;
    let Ok(pairs) = deserialize_pairs(guest::bytes(memory, data, len)?) else {
        return Ok(BAD_ARGUMENT);
    };
    edit_headers(state, kind, HeaderEdit::SetAll(pairs))
}

fn edit_headers(state: &mut HostState, kind: u32, edit: HeaderEdit<'_>) -> Result<u32> {
    let Some(kind) = MapKind::from_code(kind) else {
        return Ok(BAD_ARGUMENT);
    };
    check_header_text(&edit)?;
    let filter = state.filter()?;
    let mode = state.mode;
    let stream = &mut state.stream;
    match kind {
        MapKind::RequestTrailers | MapKind::ResponseTrailers => Ok(OK),
        MapKind::RequestHeaders => edit_request_headers(stream, mode, &filter, edit),
        MapKind::ResponseHeaders => edit_response_headers(stream, mode, edit),
    }
}

/// Neither engine may put CR, LF or NUL on the wire; the host traps rather than let a filter
/// smuggle a header through a test.
fn check_header_text(edit: &HeaderEdit<'_>) -> Result<()> {
    let bad = |text: &str| text.bytes().any(|byte| matches!(byte, b'\r' | b'\n' | 0));
    let (name, value) = match edit {
        HeaderEdit::Replace(name, value) | HeaderEdit::Add(name, value) => (*name, Some(*value)),
        HeaderEdit::Remove(name) => (*name, None),
        HeaderEdit::SetAll(pairs) => {
            return match pairs.iter().find(|(name, value)| bad(name) || bad(value)) {
                Some((name, _)) => Err(fault(format!("header {name:?} contains CR, LF or NUL"))),
                None => Ok(()),
            };
        }
    };
    if bad(name) || value.is_some_and(bad) {
        return Err(fault(format!("header {name:?} contains CR, LF or NUL")));
    }
    Ok(())
}

fn edit_request_headers(
    stream: &mut Stream,
    mode: Mode,
    filter: &Arc<str>,
    edit: HeaderEdit<'_>,
) -> Result<u32> {
    match mode {
        Mode::Kong => {
            if !stream.phase.before_forward() {
                return Err(fault(
                    "can only set request headers before response is produced",
                ));
            }
            // ngx_wasm_module: `:authority` and `:scheme` are read-only; the write is logged and
            // answered Ok, so the Rust SDK does not panic, and they do not change.
            let read_only = |name: &str| {
                name.eq_ignore_ascii_case(":authority") || name.eq_ignore_ascii_case(":scheme")
            };
            for name in edit.names().into_iter().filter(|name| read_only(name)) {
                let message = format!(
                    "cannot set read-only \"{}\" header",
                    name.to_ascii_lowercase()
                );
                stream.host_log(filter, LogLevel::Error, message);
            }
            let edit = match edit {
                HeaderEdit::SetAll(pairs) => {
                    // The other pairs are set; the read-only pseudo-headers keep their values.
                    let mut kept: Vec<(String, String)> = stream
                        .request_headers
                        .iter()
                        .filter(|(name, _)| read_only(name))
                        .map(|(name, value)| (name.to_owned(), value.to_owned()))
                        .collect();
                    kept.extend(pairs.into_iter().filter(|(name, _)| !read_only(name)));
                    HeaderEdit::SetAll(kept)
                }
                single if single.names().into_iter().any(read_only) => return Ok(OK),
                single => single,
            };
            apply(&mut stream.request_headers, edit, |name| name.to_owned());
        }
        Mode::Envoy => {
            let rename = |name: &str| {
                if name.eq_ignore_ascii_case("host") {
                    ":authority".to_owned()
                } else {
                    name.to_ascii_lowercase()
                }
            };
            apply(&mut stream.request_headers, edit, rename);
        }
    }
    Ok(OK)
}

fn edit_response_headers(stream: &mut Stream, mode: Mode, edit: HeaderEdit<'_>) -> Result<u32> {
    match stream.phase {
        Phase::ResponseHeaders => {}
        Phase::ResponseBody | Phase::Log | Phase::Done => {
            return Err(fault(match mode {
                Mode::Kong => "can only set response headers before \"on_response_body\"",
                Mode::Envoy => "response headers were already sent",
            }));
        }
        Phase::Configure | Phase::Create | Phase::RequestHeaders => {
            return Err(fault("no response headers before the response"));
        }
    }
    let rename = |name: &str| match mode {
        Mode::Kong => name.to_owned(),
        Mode::Envoy => name.to_ascii_lowercase(),
    };
    apply(&mut stream.response_headers, edit, rename);
    // `:status` is writable in response steps in both engines.
    match stream
        .response_headers
        .get(":status")
        .map(str::parse::<u16>)
    {
        Some(Ok(status)) if (100..=999).contains(&status) => stream.status = Some(status),
        _ => return Err(fault("invalid :status response header")),
    }
    Ok(OK)
}

fn apply(map: &mut HeaderMap, edit: HeaderEdit<'_>, rename: impl Fn(&str) -> String) {
    match edit {
        HeaderEdit::Replace(name, value) => map.replace(&rename(name), value),
        HeaderEdit::Add(name, value) => map.add(rename(name), value),
        HeaderEdit::Remove(name) => map.remove(&rename(name)),
        HeaderEdit::SetAll(pairs) => map.set_all(
            pairs
                .into_iter()
                .map(|(name, value)| (rename(&name), value))
                .collect(),
        ),
    }
}

fn proxy_get_property(
    mut caller: Ctx<'_>,
    path: u32,
    path_len: u32,
    data_out: u32,
    size_out: u32,
) -> Result<u32> {
    let (memory, state) = guest::split(&mut caller)?;
    state
        .property_path
        .load(guest::bytes(memory, path, path_len)?);
    let mut scratch = std::mem::take(&mut state.scratch);
    let filter = state
        .slots
        .get(state.current)
        .map_or("", |slot| slot.name.as_ref());
    let found = properties::get(&state.stream, filter, &state.property_path, &mut scratch);
    state.scratch = scratch;
    if !found {
        return Ok(NOT_FOUND);
    }
    guest::return_scratch(&mut caller, data_out, size_out)?;
    Ok(OK)
}

fn proxy_set_property(
    mut caller: Ctx<'_>,
    path: u32,
    path_len: u32,
    value: u32,
    value_len: u32,
) -> Result<u32> {
    let (memory, state) = guest::split(&mut caller)?;
    state
        .property_path
        .load(guest::bytes(memory, path, path_len)?);
    // The SDK passes a null pointer and length 0 for `None`.
    let value = if value_len == 0 {
        &[][..]
    } else {
        guest::bytes(memory, value, value_len)?
    };
    let filter = state.filter()?;
    match properties::set(&mut state.stream, &filter, &state.property_path, value) {
        Ok(()) => Ok(OK),
        Err(SetError::NotFound) => Ok(NOT_FOUND),
        Err(SetError::BadArgument) => Ok(BAD_ARGUMENT),
        Err(SetError::Trap(message)) => Err(fault(message)),
    }
}

#[allow(clippy::too_many_arguments)] // the ABI's signature
fn proxy_send_local_response(
    mut caller: Ctx<'_>,
    status: u32,
    _details: u32,
    _details_len: u32,
    body: u32,
    body_len: u32,
    headers: u32,
    headers_len: u32,
    _grpc_status: i32,
) -> Result<u32> {
    let (memory, state) = guest::split(&mut caller)?;
    match state.stream.phase {
        Phase::RequestHeaders | Phase::ResponseHeaders | Phase::Create => {}
        Phase::ResponseBody | Phase::Log | Phase::Done => {
            return Err(fault("response already sent"));
        }
        Phase::Configure => return Err(fault("local response outside of a request")),
    }
    if state.stream.local_response.is_some() {
        return Err(fault("local response already stashed"));
    }
    let status = u16::try_from(status)
        .ok()
        .filter(|status| (100..=599).contains(status))
        .ok_or_else(|| fault(format!("invalid local response status {status}")))?;
    let pairs = deserialize_pairs(guest::bytes(memory, headers, headers_len)?).map_err(fault)?;
    check_header_text(&HeaderEdit::SetAll(pairs.clone()))?;
    let body = if body_len == 0 {
        Vec::new()
    } else {
        guest::bytes(memory, body, body_len)?.to_vec()
    };
    let filter = state.filter()?;
    state.stream.local_response = Some(PendingResponse {
        filter,
        status,
        headers: pairs,
        body,
    });
    Ok(OK)
}

fn proxy_define_metric(
    mut caller: Ctx<'_>,
    kind: u32,
    name: u32,
    name_len: u32,
    id_out: u32,
) -> Result<u32> {
    let (memory, state) = guest::split(&mut caller)?;
    let Some(kind) = MetricKind::from_code(kind) else {
        return Ok(BAD_ARGUMENT);
    };
    let name = guest::text(memory, name, name_len)?;
    let stored = match state.mode {
        Mode::Kong => format!("pw:{}:{name}", state.slot()?.name),
        Mode::Envoy => name.to_owned(),
    };
    if state.mode == Mode::Kong && stored.len() > KONG_MAX_NAME {
        let filter = state.filter()?;
        state.stream.host_log(
            &filter,
            LogLevel::Error,
            format!("metric name too long: {stored}"),
        );
        return Ok(BAD_ARGUMENT);
    }
    match state.metrics.define(kind, stored) {
        Ok(id) => {
            guest::put_u32(memory, id_out, id)?;
            Ok(OK)
        }
        Err(_) => Ok(BAD_ARGUMENT),
    }
}

fn metric_status(result: std::result::Result<(), MetricError>) -> u32 {
    match result {
        Ok(()) => OK,
        Err(MetricError::Unknown) => NOT_FOUND,
        Err(MetricError::Invalid) => BAD_ARGUMENT,
    }
}

fn proxy_increment_metric(mut caller: Ctx<'_>, id: u32, offset: i64) -> Result<u32> {
    Ok(metric_status(
        caller.data_mut().metrics.increment(id, offset),
    ))
}

fn proxy_record_metric(mut caller: Ctx<'_>, id: u32, value: u64) -> Result<u32> {
    Ok(metric_status(caller.data_mut().metrics.record(id, value)))
}

fn proxy_get_metric(mut caller: Ctx<'_>, id: u32, value_out: u32) -> Result<u32> {
    let (memory, state) = guest::split(&mut caller)?;
    match state.metrics.get_by_id(id) {
        Some(value) => {
            guest::put_u64(memory, value_out, value)?;
            Ok(OK)
        }
        None => Ok(NOT_FOUND),
    }
}
