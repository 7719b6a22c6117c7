//! The `env.proxy_*` functions of proxy-wasm ABI 0.2.1, as each engine answers them.
//!
//! A hostcall answers the guest with a [`Status`]; where the real engine traps the filter (a
//! local response after the response was sent, an unknown `kong.*` setter, …) it returns an
//! error, which wasmtime turns into a trap of the calling filter. Imports this host does not
//! provide (HTTP and gRPC calls, shared data and queues, foreign functions) are defined by
//! [`crate::wasm::library`] as functions that trap with `unsupported hostcall <name>`.

mod buffers;
mod header_maps;
mod local_response;
mod logging;
mod metrics;
mod properties;
mod time;

use wasmtime::{Caller, Linker, Result};

use crate::chain::store::HostState;
use crate::wasm::abi::Status;

type Ctx<'a> = Caller<'a, HostState>;

const OK: u32 = Status::Ok as u32;
const NOT_FOUND: u32 = Status::NotFound as u32;
const BAD_ARGUMENT: u32 = Status::BadArgument as u32;

/// Adds every supported `env.proxy_*` function to the linker.
pub(crate) fn define(linker: &mut Linker<HostState>) -> Result<()> {
    linker.func_wrap("env", "proxy_log", logging::proxy_log)?;
    linker.func_wrap("env", "proxy_get_log_level", logging::proxy_get_log_level)?;
    linker.func_wrap(
        "env",
        "proxy_get_current_time_nanoseconds",
        time::proxy_get_current_time_nanoseconds,
    )?;
    linker.func_wrap(
        "env",
        "proxy_set_tick_period_milliseconds",
        time::proxy_set_tick_period_milliseconds,
    )?;
    linker.func_wrap(
        "env",
        "proxy_get_buffer_bytes",
        buffers::proxy_get_buffer_bytes,
    )?;
    linker.func_wrap(
        "env",
        "proxy_set_buffer_bytes",
        buffers::proxy_set_buffer_bytes,
    )?;
    linker.func_wrap(
        "env",
        "proxy_get_header_map_pairs",
        header_maps::proxy_get_header_map_pairs,
    )?;
    linker.func_wrap(
        "env",
        "proxy_set_header_map_pairs",
        header_maps::proxy_set_header_map_pairs,
    )?;
    linker.func_wrap(
        "env",
        "proxy_get_header_map_value",
        header_maps::proxy_get_header_map_value,
    )?;
    linker.func_wrap(
        "env",
        "proxy_replace_header_map_value",
        header_maps::proxy_replace_header_map_value,
    )?;
    linker.func_wrap(
        "env",
        "proxy_add_header_map_value",
        header_maps::proxy_add_header_map_value,
    )?;
    linker.func_wrap(
        "env",
        "proxy_remove_header_map_value",
        header_maps::proxy_remove_header_map_value,
    )?;
    linker.func_wrap("env", "proxy_get_property", properties::proxy_get_property)?;
    linker.func_wrap("env", "proxy_set_property", properties::proxy_set_property)?;
    linker.func_wrap(
        "env",
        "proxy_send_local_response",
        local_response::proxy_send_local_response,
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
    linker.func_wrap("env", "proxy_define_metric", metrics::proxy_define_metric)?;
    linker.func_wrap(
        "env",
        "proxy_increment_metric",
        metrics::proxy_increment_metric,
    )?;
    linker.func_wrap("env", "proxy_record_metric", metrics::proxy_record_metric)?;
    linker.func_wrap("env", "proxy_get_metric", metrics::proxy_get_metric)?;
    Ok(())
}
