//! Why a filter could not be put in a chain.

use std::fmt;
use std::path::PathBuf;

/// A filter that cannot be loaded, instantiated or configured. Every message names the filter.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoadError {
    /// The `.wasm` file does not exist.
    Missing {
        /// Filter name.
        filter: String,
        /// Where it was looked for.
        path: PathBuf,
    },
    /// The file could not be read.
    Unreadable {
        /// Filter name.
        filter: String,
        /// Where it was read from.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },
    /// wasmtime refused the module.
    Invalid {
        /// Filter name.
        filter: String,
        /// wasmtime's message.
        reason: String,
    },
    /// The module is not a proxy-wasm ABI 0.2.x filter.
    NotProxyWasm {
        /// Filter name.
        filter: String,
        /// The export it lacks.
        missing: String,
    },
    /// A chain names a filter the library has not loaded.
    Unknown {
        /// Filter name.
        filter: String,
    },
    /// The configuration cannot be handed over as the chain says (a [`crate::ConfigForm::Json`]
    /// configuration that is not JSON).
    Config {
        /// Filter name.
        filter: String,
        /// What is wrong.
        reason: String,
    },
    /// Instantiating, starting or configuring the filter trapped or failed.
    Start {
        /// Filter name.
        filter: String,
        /// What happened.
        reason: String,
    },
    /// `on_configure` returned false: the filter refused its configuration.
    Refused {
        /// Filter name.
        filter: String,
        /// What the filter logged at error level or above while refusing.
        messages: Vec<String>,
    },
}

impl LoadError {
    /// The filter the error is about.
    pub fn filter(&self) -> &str {
        match self {
            LoadError::Missing { filter, .. }
            | LoadError::Unreadable { filter, .. }
            | LoadError::Invalid { filter, .. }
            | LoadError::NotProxyWasm { filter, .. }
            | LoadError::Unknown { filter }
            | LoadError::Config { filter, .. }
            | LoadError::Start { filter, .. }
            | LoadError::Refused { filter, .. } => filter,
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Missing { filter, path } => write!(
                f,
                "filter {filter}: {} not found (run scripts/build-filters.sh to build the filters)",
                path.display()
            ),
            LoadError::Unreadable {
                filter,
                path,
                reason,
            } => {
                write!(
                    f,
                    "filter {filter}: cannot read {}: {reason}",
                    path.display()
                )
            }
            LoadError::Invalid { filter, reason } => {
                write!(f, "filter {filter}: not a valid wasm module: {reason}")
            }
            LoadError::NotProxyWasm { filter, missing } => {
                write!(
                    f,
                    "filter {filter}: not a proxy-wasm 0.2 filter (no export {missing})"
                )
            }
            LoadError::Unknown { filter } => write!(f, "filter {filter}: not loaded"),
            LoadError::Config { filter, reason } => write!(f, "filter {filter}: {reason}"),
            LoadError::Start { filter, reason } => {
                write!(f, "filter {filter}: failed to start: {reason}")
            }
            LoadError::Refused { filter, messages } if messages.is_empty() => {
                write!(f, "filter {filter} refused its configuration")
            }
            LoadError::Refused { filter, messages } => {
                write!(
                    f,
                    "filter {filter} refused its configuration: {}",
                    messages.join("; ")
                )
            }
        }
    }
}

impl std::error::Error for LoadError {}
