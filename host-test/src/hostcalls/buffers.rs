//! Buffers: the plugin configuration and the response body.

use wasmtime::Result;

use super::{BAD_ARGUMENT, Ctx, NOT_FOUND, OK};
use crate::engine::stream::Phase;
use crate::wasm::abi::BufferKind;
use crate::wasm::guest::{self};

pub(super) fn proxy_get_buffer_bytes(
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

pub(super) fn proxy_set_buffer_bytes(
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
