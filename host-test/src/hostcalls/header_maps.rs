//! Header maps: reading and editing request and response headers, with each engine's rules.

use std::sync::Arc;

use wasmtime::Result;

use super::{BAD_ARGUMENT, Ctx, NOT_FOUND, OK};
use crate::chain::store::HostState;
use crate::engine::Engine;
use crate::engine::headers::{HeaderMap, deserialize_pairs};
use crate::engine::stream::{Phase, Stream};
use crate::log_record::LogLevel;
use crate::wasm::abi::MapKind;
use crate::wasm::guest::{self, fault};

/// The map a filter addresses, if this phase has it.
fn map_of(stream: &Stream, kind: MapKind) -> Option<&HeaderMap> {
    match kind {
        MapKind::RequestHeaders => Some(&stream.request_headers),
        MapKind::ResponseHeaders if stream.status.is_some() => Some(&stream.response_headers),
        MapKind::ResponseHeaders | MapKind::RequestTrailers | MapKind::ResponseTrailers => None,
    }
}

pub(super) fn proxy_get_header_map_pairs(
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

pub(super) fn proxy_get_header_map_value(
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
    let name = canonical_name(state.engine, kind, name);
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
fn canonical_name(engine: Engine, kind: MapKind, name: &str) -> &str {
    if engine == Engine::Envoy
        && kind == MapKind::RequestHeaders
        && name.eq_ignore_ascii_case("host")
    {
        ":authority"
    } else {
        name
    }
}

/// A change a filter asks for.
pub(super) enum HeaderEdit<'a> {
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

pub(super) fn proxy_replace_header_map_value(
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

pub(super) fn proxy_add_header_map_value(
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

pub(super) fn proxy_remove_header_map_value(
    mut caller: Ctx<'_>,
    kind: u32,
    key: u32,
    key_len: u32,
) -> Result<u32> {
    let (memory, state) = guest::split(&mut caller)?;
    let name = guest::text(memory, key, key_len)?;
    edit_headers(state, kind, HeaderEdit::Remove(name))
}

pub(super) fn proxy_set_header_map_pairs(
    mut caller: Ctx<'_>,
    kind: u32,
    data: u32,
    len: u32,
) -> Result<u32> {
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
    let engine = state.engine;
    let stream = &mut state.stream;
    match kind {
        MapKind::RequestTrailers | MapKind::ResponseTrailers => Ok(OK),
        MapKind::RequestHeaders => edit_request_headers(stream, engine, &filter, edit),
        MapKind::ResponseHeaders => edit_response_headers(stream, engine, edit),
    }
}

/// Neither engine may put CR, LF or NUL on the wire; the host traps rather than let a filter
/// smuggle a header through a test.
pub(super) fn check_header_text(edit: &HeaderEdit<'_>) -> Result<()> {
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
    engine: Engine,
    filter: &Arc<str>,
    edit: HeaderEdit<'_>,
) -> Result<u32> {
    match engine {
        Engine::Kong => {
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
        Engine::Envoy => {
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

fn edit_response_headers(stream: &mut Stream, engine: Engine, edit: HeaderEdit<'_>) -> Result<u32> {
    match stream.phase {
        Phase::ResponseHeaders => {}
        Phase::ResponseBody | Phase::Log | Phase::Done => {
            return Err(fault(match engine {
                Engine::Kong => "can only set response headers before \"on_response_body\"",
                Engine::Envoy => "response headers were already sent",
            }));
        }
        Phase::Configure | Phase::Create | Phase::RequestHeaders => {
            return Err(fault("no response headers before the response"));
        }
    }
    let rename = |name: &str| match engine {
        Engine::Kong => name.to_owned(),
        Engine::Envoy => name.to_ascii_lowercase(),
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
