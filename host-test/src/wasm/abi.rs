//! The numbers of the proxy-wasm ABI 0.2.1 that cross the host/guest boundary.

/// Status codes a hostcall returns to the guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Status {
    Ok = 0,
    NotFound = 1,
    BadArgument = 2,
}

/// What a filter answers from a request or response callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FilterAction {
    Continue,
    Pause,
}

impl FilterAction {
    /// `None` for a value outside the ABI: the host reports it as the request's error.
    pub(crate) fn from_code(code: u32) -> Option<Self> {
        match code {
            0 => Some(FilterAction::Continue),
            1 => Some(FilterAction::Pause),
            _ => None,
        }
    }
}

/// The header maps a filter can address (`MapType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MapKind {
    RequestHeaders,
    RequestTrailers,
    ResponseHeaders,
    ResponseTrailers,
}

impl MapKind {
    /// `None` for gRPC metadata and HTTP-call maps, which this host does not have.
    pub(crate) fn from_code(code: u32) -> Option<Self> {
        match code {
            0 => Some(MapKind::RequestHeaders),
            1 => Some(MapKind::RequestTrailers),
            2 => Some(MapKind::ResponseHeaders),
            3 => Some(MapKind::ResponseTrailers),
            _ => None,
        }
    }
}

/// The buffers a filter can address (`BufferType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BufferKind {
    RequestBody,
    ResponseBody,
    VmConfiguration,
    PluginConfiguration,
}

impl BufferKind {
    pub(crate) fn from_code(code: u32) -> Option<Self> {
        match code {
            0 => Some(BufferKind::RequestBody),
            1 => Some(BufferKind::ResponseBody),
            6 => Some(BufferKind::VmConfiguration),
            7 => Some(BufferKind::PluginConfiguration),
            _ => None,
        }
    }
}

/// WASI errno values the host answers with.
pub(crate) mod errno {
    pub(crate) const SUCCESS: u32 = 0;
    pub(crate) const BADF: u32 = 8;
    pub(crate) const INVAL: u32 = 28;
    pub(crate) const NOSYS: u32 = 52;
}
