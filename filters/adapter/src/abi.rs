//! The proxy-wasm hostcalls this project uses, declared against the ABI (0.2.1) directly.
//!
//! The SDK's `hostcalls` wrappers panic on any status they do not expect (by design: it catches
//! host bugs), and its trait helpers `unwrap` on top of that. A panic is a trap, a trap is a 500 in
//! Kong, and after a local response it can crash the worker (Kong/ngx_wasm_module#696). So every
//! call here returns the host's status as an error and never panics; callers decide to fail open.

use std::ptr::{null, null_mut};

/// A non-OK status from the host (the raw ABI value: 1 NotFound, 2 BadArgument, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostStatus(pub u32);

const OK: u32 = 0;
const NOT_FOUND: u32 = 1;

/// Header maps of the ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum MapType {
    /// Request headers, pseudo-headers included.
    RequestHeaders = 0,
    /// Response headers.
    ResponseHeaders = 2,
}

/// Log levels of the ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum LogLevel {
    /// Info.
    Info = 2,
    /// Warn.
    Warn = 3,
    /// Error.
    Error = 4,
}

const BUFFER_PLUGIN_CONFIGURATION: u32 = 7;
const METRIC_COUNTER: u32 = 0;

#[link(wasm_import_module = "env")]
unsafe extern "C" {
    fn proxy_log(level: u32, message_data: *const u8, message_size: usize) -> u32;
    fn proxy_get_current_time_nanoseconds(return_time: *mut u64) -> u32;
    fn proxy_get_buffer_bytes(
        buffer_type: u32,
        start: usize,
        max_size: usize,
        return_buffer_data: *mut *mut u8,
        return_buffer_size: *mut usize,
    ) -> u32;
    fn proxy_get_header_map_pairs(
        map_type: u32,
        return_map_data: *mut *mut u8,
        return_map_size: *mut usize,
    ) -> u32;
    fn proxy_get_header_map_value(
        map_type: u32,
        key_data: *const u8,
        key_size: usize,
        return_value_data: *mut *mut u8,
        return_value_size: *mut usize,
    ) -> u32;
    fn proxy_replace_header_map_value(
        map_type: u32,
        key_data: *const u8,
        key_size: usize,
        value_data: *const u8,
        value_size: usize,
    ) -> u32;
    fn proxy_add_header_map_value(
        map_type: u32,
        key_data: *const u8,
        key_size: usize,
        value_data: *const u8,
        value_size: usize,
    ) -> u32;
    fn proxy_remove_header_map_value(map_type: u32, key_data: *const u8, key_size: usize) -> u32;
    fn proxy_get_property(
        path_data: *const u8,
        path_size: usize,
        return_value_data: *mut *mut u8,
        return_value_size: *mut usize,
    ) -> u32;
    fn proxy_set_property(
        path_data: *const u8,
        path_size: usize,
        value_data: *const u8,
        value_size: usize,
    ) -> u32;
    fn proxy_send_local_response(
        status_code: u32,
        status_code_details_data: *const u8,
        status_code_details_size: usize,
        body_data: *const u8,
        body_size: usize,
        headers_data: *const u8,
        headers_size: usize,
        grpc_status: i32,
    ) -> u32;
    fn proxy_define_metric(
        metric_type: u32,
        name_data: *const u8,
        name_size: usize,
        return_id: *mut u32,
    ) -> u32;
    fn proxy_increment_metric(metric_id: u32, offset: i64) -> u32;
}

fn check(status: u32) -> Result<(), HostStatus> {
    if status == OK {
        Ok(())
    } else {
        Err(HostStatus(status))
    }
}

/// Takes ownership of a buffer the host filled through `proxy_on_memory_allocate`.
///
/// # Safety
/// `data` must be null or a buffer of exactly `size` bytes allocated by the SDK's
/// `proxy_on_memory_allocate` (a `Vec<u8>` of that capacity), handed to us by the host.
unsafe fn take_buffer(data: *mut u8, size: usize) -> Vec<u8> {
    if data.is_null() {
        Vec::new()
    } else {
        // Safety: per the contract above, this is the Vec the SDK's allocator leaked for the host.
        unsafe { Vec::from_raw_parts(data, size, size) }
    }
}

/// Writes a log line at `level`.
pub fn log(level: LogLevel, message: &str) {
    // Safety: pointer and length describe `message`, valid for the call.
    // A failed log has nowhere to be reported; dropping it is the only non-trapping choice.
    let _ = unsafe { proxy_log(level as u32, message.as_ptr(), message.len()) };
}

/// The host's wall clock, in nanoseconds since the Unix epoch.
pub fn now_nanos() -> Result<u64, HostStatus> {
    let mut nanos = 0u64;
    // Safety: `nanos` is a valid out-pointer for the call.
    check(unsafe { proxy_get_current_time_nanoseconds(&mut nanos) })?;
    Ok(nanos)
}

/// The plugin configuration bytes (`None` when there is none).
pub fn plugin_configuration() -> Result<Option<Vec<u8>>, HostStatus> {
    let (mut data, mut size) = (null_mut(), 0usize);
    // Safety: out-pointers valid for the call; the host returns an SDK-allocated buffer.
    let status = unsafe {
        proxy_get_buffer_bytes(
            BUFFER_PLUGIN_CONFIGURATION,
            0,
            usize::MAX,
            &mut data,
            &mut size,
        )
    };
    // Safety: the buffer (if any) is ours now, per the ABI.
    let bytes = unsafe { take_buffer(data, size) };
    match status {
        OK if bytes.is_empty() => Ok(None),
        OK => Ok(Some(bytes)),
        NOT_FOUND => Ok(None),
        other => Err(HostStatus(other)),
    }
}

/// One header's value as bytes; `None` when absent.
pub fn header(map: MapType, name: &str) -> Result<Option<Vec<u8>>, HostStatus> {
    let (mut data, mut size) = (null_mut(), 0usize);
    // Safety: `name` valid for the call, out-pointers valid.
    let status = unsafe {
        proxy_get_header_map_value(map as u32, name.as_ptr(), name.len(), &mut data, &mut size)
    };
    // Safety: the buffer (if any) is ours now, per the ABI.
    let bytes = unsafe { take_buffer(data, size) };
    match status {
        OK => Ok(Some(bytes)),
        NOT_FOUND => Ok(None),
        other => Err(HostStatus(other)),
    }
}

/// Sets (replaces) a header.
pub fn replace_header(map: MapType, name: &str, value: &[u8]) -> Result<(), HostStatus> {
    // Safety: both slices valid for the call.
    check(unsafe {
        proxy_replace_header_map_value(
            map as u32,
            name.as_ptr(),
            name.len(),
            value.as_ptr(),
            value.len(),
        )
    })
}

/// Adds one more value of a header.
pub fn add_header(map: MapType, name: &str, value: &[u8]) -> Result<(), HostStatus> {
    // Safety: both slices valid for the call.
    check(unsafe {
        proxy_add_header_map_value(
            map as u32,
            name.as_ptr(),
            name.len(),
            value.as_ptr(),
            value.len(),
        )
    })
}

/// Removes every value of a header.
pub fn remove_header(map: MapType, name: &str) -> Result<(), HostStatus> {
    // Safety: `name` valid for the call.
    check(unsafe { proxy_remove_header_map_value(map as u32, name.as_ptr(), name.len()) })
}

/// A whole header map in the ABI's encoding (see [`HeaderMap`](crate::header_map::HeaderMap)).
pub fn header_map_bytes(map: MapType) -> Result<Vec<u8>, HostStatus> {
    let (mut data, mut size) = (null_mut(), 0usize);
    // Safety: out-pointers valid for the call.
    let status = unsafe { proxy_get_header_map_pairs(map as u32, &mut data, &mut size) };
    // Safety: the buffer (if any) is ours now, per the ABI.
    let bytes = unsafe { take_buffer(data, size) };
    check(status)?;
    Ok(bytes)
}

/// A property's bytes; `None` when the host does not know it (how Envoy answers `ngx.*`).
///
/// `path` is in its wire form, the segments joined by NUL (`"request\0path"`): written as a
/// literal, it costs no joining per request.
pub fn property(path: &str) -> Result<Option<Vec<u8>>, HostStatus> {
    let (mut data, mut size) = (null_mut(), 0usize);
    // Safety: `path` valid for the call, out-pointers valid.
    let status = unsafe { proxy_get_property(path.as_ptr(), path.len(), &mut data, &mut size) };
    // Safety: the buffer (if any) is ours now, per the ABI.
    let bytes = unsafe { take_buffer(data, size) };
    match status {
        OK if data.is_null() => Ok(None),
        OK => Ok(Some(bytes)),
        NOT_FOUND => Ok(None),
        other => Err(HostStatus(other)),
    }
}

/// Sets a property. Only call it for properties known to be writable: ngx_wasm_module traps on an
/// nginx variable that is not changeable, whatever we do with the status.
/// `path` as in [`property`].
pub fn set_property(path: &str, value: &[u8]) -> Result<(), HostStatus> {
    // Safety: both buffers valid for the call.
    check(unsafe { proxy_set_property(path.as_ptr(), path.len(), value.as_ptr(), value.len()) })
}

/// Answers the request from the filter.
pub fn send_local_response(
    status: u16,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Result<(), HostStatus> {
    let serialized = serialize_pairs(headers);
    let (body_data, body_size) = body.map_or((null(), 0), |body| (body.as_ptr(), body.len()));
    // Safety: all buffers valid for the call.
    check(unsafe {
        proxy_send_local_response(
            u32::from(status),
            null(),
            0,
            body_data,
            body_size,
            serialized.as_ptr(),
            serialized.len(),
            -1,
        )
    })
}

/// Defines a counter and returns its id.
pub fn define_counter(name: &str) -> Result<u32, HostStatus> {
    let mut id = 0u32;
    // Safety: `name` valid for the call, `id` a valid out-pointer.
    check(unsafe { proxy_define_metric(METRIC_COUNTER, name.as_ptr(), name.len(), &mut id) })?;
    Ok(id)
}

/// Adds `offset` to a counter.
pub fn increment(id: u32, offset: i64) -> Result<(), HostStatus> {
    // Safety: plain values.
    check(unsafe { proxy_increment_metric(id, offset) })
}

/// The ABI's map encoding: count, then (key length, value length) pairs, then NUL-terminated data.
pub(crate) fn serialize_pairs(pairs: &[(&str, &str)]) -> Vec<u8> {
    let data: usize = pairs.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
    let mut out = Vec::with_capacity(4 + pairs.len() * 8 + data);
    out.extend_from_slice(&u32::try_from(pairs.len()).unwrap_or(0).to_le_bytes());
    for (key, value) in pairs {
        out.extend_from_slice(&u32::try_from(key.len()).unwrap_or(0).to_le_bytes());
        out.extend_from_slice(&u32::try_from(value.len()).unwrap_or(0).to_le_bytes());
    }
    for (key, value) in pairs {
        out.extend_from_slice(key.as_bytes());
        out.push(0);
        out.extend_from_slice(value.as_bytes());
        out.push(0);
    }
    out
}
