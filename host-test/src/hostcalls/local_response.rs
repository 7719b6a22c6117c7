//! Local responses: a filter answering the client itself.

use wasmtime::Result;

use super::header_maps::{HeaderEdit, check_header_text};
use super::{Ctx, OK};
use crate::engine::headers::deserialize_pairs;
use crate::engine::stream::{PendingResponse, Phase};
use crate::wasm::guest::{self, fault};

#[allow(clippy::too_many_arguments)] // the ABI's signature
pub(super) fn proxy_send_local_response(
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
