//! The functions a proxy-wasm 0.2.1 filter exports, looked up once per instance.

use wasmtime::{AsContextMut, Instance, TypedFunc};

/// Typed handles to a filter instance's callbacks.
#[derive(Clone)]
pub(crate) struct EntryPoints {
    pub initialize: Option<TypedFunc<(), ()>>,
    pub allocate: TypedFunc<u32, u32>,
    pub on_context_create: TypedFunc<(u32, u32), ()>,
    pub on_vm_start: TypedFunc<(u32, u32), u32>,
    pub on_configure: TypedFunc<(u32, u32), u32>,
    pub on_request_headers: TypedFunc<(u32, u32, u32), u32>,
    pub on_response_headers: TypedFunc<(u32, u32, u32), u32>,
    pub on_response_body: TypedFunc<(u32, u32, u32), u32>,
    pub on_log: TypedFunc<u32, ()>,
    pub on_done: TypedFunc<u32, u32>,
    pub on_delete: TypedFunc<u32, ()>,
}

impl EntryPoints {
    /// Looks every export up; `Err` names the first one missing or mistyped.
    pub(crate) fn find(instance: &Instance, mut store: impl AsContextMut) -> Result<Self, String> {
        let mut store = store.as_context_mut();
        macro_rules! export {
            ($name:literal) => {
                instance
                    .get_typed_func(&mut store, $name)
                    .map_err(|error| format!("{}: {error}", $name))?
            };
        }
        Ok(Self {
            initialize: instance.get_typed_func(&mut store, "_initialize").ok(),
            allocate: export!("proxy_on_memory_allocate"),
            on_context_create: export!("proxy_on_context_create"),
            on_vm_start: export!("proxy_on_vm_start"),
            on_configure: export!("proxy_on_configure"),
            on_request_headers: export!("proxy_on_request_headers"),
            on_response_headers: export!("proxy_on_response_headers"),
            on_response_body: export!("proxy_on_response_body"),
            on_log: export!("proxy_on_log"),
            on_done: export!("proxy_on_done"),
            on_delete: export!("proxy_on_delete"),
        })
    }
}

impl std::fmt::Debug for EntryPoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntryPoints").finish_non_exhaustive()
    }
}
