//! Metrics: counters, gauges and histograms in the host's shared store.

use wasmtime::Result;

use super::{BAD_ARGUMENT, Ctx, NOT_FOUND, OK};
use crate::engine::Engine;
use crate::log_record::LogLevel;
use crate::metrics::{KONG_MAX_NAME, MetricError, MetricKind};
use crate::wasm::guest::{self};

pub(super) fn proxy_define_metric(
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
    let stored = match state.engine {
        Engine::Kong => format!("pw:{}:{name}", state.slot()?.name),
        Engine::Envoy => name.to_owned(),
    };
    if state.engine == Engine::Kong && stored.len() > KONG_MAX_NAME {
        let filter = state.filter()?;
        state.stream.host_log(
            &filter,
            LogLevel::Error,
            format!("metric name too long: {stored}"),
        );
        return Ok(BAD_ARGUMENT);
    }
    match state.metrics.borrow_mut().define(kind, stored) {
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

pub(super) fn proxy_increment_metric(caller: Ctx<'_>, id: u32, offset: i64) -> Result<u32> {
    Ok(metric_status(
        caller.data().metrics.borrow_mut().increment(id, offset),
    ))
}

pub(super) fn proxy_record_metric(caller: Ctx<'_>, id: u32, value: u64) -> Result<u32> {
    Ok(metric_status(
        caller.data().metrics.borrow_mut().record(id, value),
    ))
}

pub(super) fn proxy_get_metric(mut caller: Ctx<'_>, id: u32, value_out: u32) -> Result<u32> {
    let (memory, state) = guest::split(&mut caller)?;
    match state.metrics.borrow().get_by_id(id) {
        Some(value) => {
            guest::put_u64(memory, value_out, value)?;
            Ok(OK)
        }
        None => Ok(NOT_FOUND),
    }
}
