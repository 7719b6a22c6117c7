//! The few WASI preview1 functions a Rust proxy-wasm filter imports (its std needs them).
//!
//! stdout and stderr become log lines of the filter; randomness is deterministic so a replay
//! is reproducible; the environment is empty; `proc_exit` traps. Other WASI functions answer
//! `ENOSYS` (see [`crate::wasm::library`]).

use std::sync::Arc;

use wasmtime::{Caller, Linker, Result};

use crate::chain::store::HostState;
use crate::log_record::{LogLevel, LogRecord, LogSource};
use crate::wasm::abi::errno;
use crate::wasm::guest::{self, fault};

type Ctx<'a> = Caller<'a, HostState>;

/// The WASI module name.
pub(crate) const MODULE: &str = "wasi_snapshot_preview1";

/// Adds the supported WASI functions to the linker.
pub(crate) fn define(linker: &mut Linker<HostState>) -> Result<()> {
    linker.func_wrap(MODULE, "fd_write", fd_write)?;
    linker.func_wrap(MODULE, "random_get", random_get)?;
    linker.func_wrap(MODULE, "clock_time_get", clock_time_get)?;
    linker.func_wrap(MODULE, "environ_sizes_get", sizes_get)?;
    linker.func_wrap(MODULE, "args_sizes_get", sizes_get)?;
    linker.func_wrap(MODULE, "environ_get", |_: Ctx<'_>, _: u32, _: u32| {
        errno::SUCCESS
    })?;
    linker.func_wrap(MODULE, "args_get", |_: Ctx<'_>, _: u32, _: u32| {
        errno::SUCCESS
    })?;
    linker.func_wrap(MODULE, "proc_exit", |_: Ctx<'_>, code: u32| -> Result<()> {
        Err(fault(format!("proc_exit({code})")))
    })?;
    Ok(())
}

fn fd_write(
    mut caller: Ctx<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    written_out: u32,
) -> Result<u32> {
    let (memory, state) = guest::split(&mut caller)?;
    let level = match fd {
        1 => LogLevel::Info,
        2 => LogLevel::Error,
        _ => return Ok(errno::BADF),
    };
    let mut text = Vec::new();
    for index in 0..iovs_len {
        let entry = index
            .checked_mul(8)
            .and_then(|offset| iovs.checked_add(offset))
            .ok_or_else(|| fault("iovec array out of bounds"))?;
        let descriptor = guest::bytes(memory, entry, 8)?;
        let word = |at: usize| -> Result<u32> {
            let bytes: [u8; 4] = descriptor
                .get(at..at + 4)
                .and_then(|bytes| bytes.try_into().ok())
                .ok_or_else(|| fault("iovec out of bounds"))?;
            Ok(u32::from_le_bytes(bytes))
        };
        text.extend_from_slice(guest::bytes(memory, word(0)?, word(4)?)?);
    }
    let written = u32::try_from(text.len()).map_err(|_| fault("write too large"))?;
    guest::put_u32(memory, written_out, written)?;
    let message = String::from_utf8_lossy(&text)
        .trim_end_matches('\n')
        .to_owned();
    if !message.is_empty() {
        let filter = Arc::clone(&state.slot()?.name);
        state.stream.logs.push(LogRecord {
            filter,
            level,
            source: LogSource::Stdio,
            message,
        });
    }
    Ok(errno::SUCCESS)
}

fn random_get(mut caller: Ctx<'_>, buffer: u32, len: u32) -> Result<u32> {
    let (memory, state) = guest::split(&mut caller)?;
    let start = usize::try_from(buffer).map_err(|_| fault("random_get out of bounds"))?;
    let end = start
        .checked_add(usize::try_from(len).map_err(|_| fault("random_get out of bounds"))?)
        .ok_or_else(|| fault("random_get out of bounds"))?;
    let target = memory
        .get_mut(start..end)
        .ok_or_else(|| fault("random_get out of bounds"))?;
    for byte in target {
        // xorshift64: enough to seed the guest's HashMaps, and the same on every run.
        state.random ^= state.random << 13;
        state.random ^= state.random >> 7;
        state.random ^= state.random << 17;
        *byte = state.random.to_le_bytes()[0];
    }
    Ok(errno::SUCCESS)
}

fn clock_time_get(mut caller: Ctx<'_>, clock: u32, _precision: u64, time_out: u32) -> Result<u32> {
    let (memory, state) = guest::split(&mut caller)?;
    // 0 realtime, 1 monotonic, 2/3 CPU time: all answered from the host clock.
    if clock > 3 {
        return Ok(errno::INVAL);
    }
    guest::put_u64(memory, time_out, state.clock.now_nanos())?;
    Ok(errno::SUCCESS)
}

fn sizes_get(mut caller: Ctx<'_>, count_out: u32, size_out: u32) -> Result<u32> {
    let (memory, _) = guest::split(&mut caller)?;
    guest::put_u32(memory, count_out, 0)?;
    guest::put_u32(memory, size_out, 0)?;
    Ok(errno::SUCCESS)
}
