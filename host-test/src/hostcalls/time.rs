//! The clock a filter sees, and tick periods (the host never ticks).

use wasmtime::Result;

use super::{Ctx, OK};
use crate::engine::Engine;
use crate::engine::stream::Phase;
use crate::wasm::guest::{self, fault};

pub(super) fn proxy_get_current_time_nanoseconds(
    mut caller: Ctx<'_>,
    time_out: u32,
) -> Result<u32> {
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

pub(super) fn proxy_set_tick_period_milliseconds(caller: Ctx<'_>, _period: u32) -> Result<u32> {
    let state = caller.data();
    // The host never ticks; Kong refuses the call outside the root context.
    if state.engine == Engine::Kong && state.stream.phase != Phase::Configure {
        return Err(fault("can only set tick_period in root context"));
    }
    Ok(OK)
}
