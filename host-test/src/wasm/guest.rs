//! Reading and writing the calling filter's linear memory.
//!
//! A bad pointer or length from the guest is a trap, as in both engines.

use wasmtime::{Caller, Error, Result};

use crate::chain::store::HostState;

/// A host error that traps the calling filter with `message`.
pub(crate) fn fault(message: impl Into<String>) -> Error {
    Error::msg(message.into())
}

fn out_of_bounds() -> Error {
    fault("filter passed a pointer outside its memory")
}

/// The calling filter's memory and the store data, borrowed together so a hostcall can read
/// arguments in place and update the state without copying.
pub(crate) fn split<'c>(
    caller: &'c mut Caller<'_, HostState>,
) -> Result<(&'c mut [u8], &'c mut HostState)> {
    let memory = caller
        .data()
        .slot()?
        .memory
        .ok_or_else(|| fault("filter exports no memory"))?;
    Ok(memory.data_and_store_mut(caller))
}

/// `len` bytes at `ptr`.
pub(crate) fn bytes(memory: &[u8], ptr: u32, len: u32) -> Result<&[u8]> {
    let start = usize::try_from(ptr).map_err(|_| out_of_bounds())?;
    let len = usize::try_from(len).map_err(|_| out_of_bounds())?;
    let end = start.checked_add(len).ok_or_else(out_of_bounds)?;
    memory.get(start..end).ok_or_else(out_of_bounds)
}

/// `len` bytes at `ptr` as text (invalid UTF-8 is a trap: names and keys are text).
pub(crate) fn text(memory: &[u8], ptr: u32, len: u32) -> Result<&str> {
    std::str::from_utf8(bytes(memory, ptr, len)?)
        .map_err(|_| fault("filter passed a string that is not UTF-8"))
}

/// Writes `value` at `ptr`.
pub(crate) fn put(memory: &mut [u8], ptr: u32, value: &[u8]) -> Result<()> {
    let start = usize::try_from(ptr).map_err(|_| out_of_bounds())?;
    let end = start.checked_add(value.len()).ok_or_else(out_of_bounds)?;
    memory
        .get_mut(start..end)
        .ok_or_else(out_of_bounds)?
        .copy_from_slice(value);
    Ok(())
}

/// Writes a little-endian `u32` at `ptr`.
pub(crate) fn put_u32(memory: &mut [u8], ptr: u32, value: u32) -> Result<()> {
    put(memory, ptr, &value.to_le_bytes())
}

/// Writes a little-endian `u64` at `ptr`.
pub(crate) fn put_u64(memory: &mut [u8], ptr: u32, value: u64) -> Result<()> {
    put(memory, ptr, &value.to_le_bytes())
}

/// Hands the store's scratch buffer to the guest: allocates it in guest memory with
/// `proxy_on_memory_allocate`, copies it there, and writes the pointer and length to the
/// guest's two out-parameters. The guest owns (and frees) the copy.
pub(crate) fn return_scratch(
    caller: &mut Caller<'_, HostState>,
    data_out: u32,
    size_out: u32,
) -> Result<()> {
    let data = std::mem::take(&mut caller.data_mut().scratch);
    let result = return_bytes(caller, &data, data_out, size_out);
    caller.data_mut().scratch = data;
    result
}

fn return_bytes(
    caller: &mut Caller<'_, HostState>,
    value: &[u8],
    data_out: u32,
    size_out: u32,
) -> Result<()> {
    // The allocator handle lives in the store data; take it out for the call (calling needs the
    // whole store) rather than clone it, and put it back whatever happens.
    let allocate = caller
        .data_mut()
        .slot_mut()?
        .allocate
        .take()
        .ok_or_else(|| fault("filter exports no proxy_on_memory_allocate"))?;
    let result = allocate_and_copy(caller, &allocate, value, data_out, size_out);
    caller.data_mut().stream.returned_values += 1;
    if let Ok(slot) = caller.data_mut().slot_mut() {
        slot.allocate = Some(allocate);
    }
    result
}

fn allocate_and_copy(
    caller: &mut Caller<'_, HostState>,
    allocate: &wasmtime::TypedFunc<u32, u32>,
    value: &[u8],
    data_out: u32,
    size_out: u32,
) -> Result<()> {
    let len = u32::try_from(value.len()).map_err(|_| fault("value too large for the guest"))?;
    let ptr = allocate.call(&mut *caller, len)?;
    if ptr == 0 {
        return Err(fault("proxy_on_memory_allocate returned null"));
    }
    let (memory, _) = split(caller)?;
    put(memory, ptr, value)?;
    put_u32(memory, data_out, ptr)?;
    put_u32(memory, size_out, len)
}
