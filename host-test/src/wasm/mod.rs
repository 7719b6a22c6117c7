//! wasmtime plumbing: compiled filters and their linker ([`library`]), the ABI's numbers
//! ([`abi`]), a filter's exports ([`entry_points`]) and memory ([`guest`]), and the WASI calls a
//! Rust filter's std imports ([`wasi`]).

pub(crate) mod abi;
pub(crate) mod entry_points;
pub(crate) mod guest;
pub(crate) mod library;
pub(crate) mod wasi;
