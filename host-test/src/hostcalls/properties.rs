//! Properties: the calls; what each engine answers is in `crate::engine::properties`.

use wasmtime::Result;

use super::{BAD_ARGUMENT, Ctx, NOT_FOUND, OK};
use crate::engine::properties::{self, SetError};
use crate::wasm::guest::{self, fault};

pub(super) fn proxy_get_property(
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

pub(super) fn proxy_set_property(
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
