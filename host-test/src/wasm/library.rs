//! Compiled filters, ready to be instantiated into chains.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use wasmtime::{
    Config, Engine as WasmEngine, ExternType, InstancePre, Linker, Module, OptLevel, Store, ValType,
};

use crate::chain::store::HostState;
use crate::clock::Clock;
use crate::engine::Engine;
use crate::error::LoadError;
use crate::hostcalls;
use crate::metrics::SharedMetrics;
use crate::wasm::abi::errno;
use crate::wasm::wasi;

/// How often the epoch advances, and how many epochs one callback may run: a filter stuck in a
/// loop traps after about five seconds instead of hanging the replay.
const EPOCH_TICK: Duration = Duration::from_millis(10);
pub(crate) const CALLBACK_DEADLINE_TICKS: u64 = 500;

/// A compiled filter and the imports it is linked with.
#[derive(Clone)]
pub(crate) struct FilterModule {
    pub name: Arc<str>,
    pub pre: InstancePre<HostState>,
}

impl std::fmt::Debug for FilterModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilterModule")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The wasmtime engine and the filters compiled for it. Cloning is cheap (shared handles), so
/// one library compiled once can serve many hosts.
#[derive(Clone, Debug)]
pub struct FilterLibrary {
    engine: WasmEngine,
    linker: Linker<HostState>,
    modules: HashMap<String, FilterModule>,
}

impl FilterLibrary {
    /// A library with no filters yet.
    pub fn new() -> Result<Self, LoadError> {
        let start_error = |reason: wasmtime::Error| LoadError::Start {
            filter: "(host)".to_owned(),
            reason: reason.to_string(),
        };
        let mut config = Config::new();
        config
            .epoch_interruption(true)
            .cranelift_opt_level(OptLevel::Speed)
            // Traps are reported by message; a wasm backtrace would only add noise (and time).
            .wasm_backtrace_max_frames(None);
        // `perf record` can name the filters' functions (`perf report` reads /tmp/perf-<pid>.map).
        if std::env::var_os("KDP_PERF_MAP").is_some() {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let engine = WasmEngine::new(&config).map_err(start_error)?;
        start_epoch_ticker(&engine);
        let mut linker = Linker::new(&engine);
        hostcalls::define(&mut linker).map_err(start_error)?;
        wasi::define(&mut linker).map_err(start_error)?;
        Ok(Self {
            engine,
            linker,
            modules: HashMap::new(),
        })
    }

    /// Compiles `<dir>/<name>.wasm` for each name.
    pub fn load_dir(&mut self, dir: &Path, names: &[&str]) -> Result<(), LoadError> {
        for name in names {
            self.load(name, &dir.join(format!("{name}.wasm")))?;
        }
        Ok(())
    }

    /// Compiles the filter at `path` under `name` (a filter already loaded is kept).
    pub fn load(&mut self, name: &str, path: &Path) -> Result<(), LoadError> {
        if self.modules.contains_key(name) {
            return Ok(());
        }
        let bytes = std::fs::read(path).map_err(|error| {
            if error.kind() == std::io::ErrorKind::NotFound {
                LoadError::Missing {
                    filter: name.to_owned(),
                    path: PathBuf::from(path),
                }
            } else {
                LoadError::Unreadable {
                    filter: name.to_owned(),
                    path: PathBuf::from(path),
                    reason: error.to_string(),
                }
            }
        })?;
        self.load_bytes(name, &bytes)
    }

    /// Compiles a filter from its bytes.
    pub fn load_bytes(&mut self, name: &str, bytes: &[u8]) -> Result<(), LoadError> {
        let invalid = |reason: wasmtime::Error| LoadError::Invalid {
            filter: name.to_owned(),
            reason: reason.to_string(),
        };
        let module = Module::new(&self.engine, bytes).map_err(invalid)?;
        let speaks_abi = ["proxy_abi_version_0_2_1", "proxy_abi_version_0_2_0"]
            .iter()
            .any(|export| module.get_export(export).is_some());
        if !speaks_abi {
            return Err(LoadError::NotProxyWasm {
                filter: name.to_owned(),
                missing: "proxy_abi_version_0_2_1".to_owned(),
            });
        }
        let linker = self.linker_for(&module).map_err(invalid)?;
        let pre = linker
            .instantiate_pre(&module)
            .map_err(|error| LoadError::Start {
                filter: name.to_owned(),
                reason: error.to_string(),
            })?;
        self.modules.insert(
            name.to_owned(),
            FilterModule {
                name: Arc::from(name),
                pre,
            },
        );
        Ok(())
    }

    /// The base linker plus a definition for every import the host does not provide: WASI
    /// functions answer `ENOSYS` (std copes), `env.proxy_*` and anything else trap with the
    /// function's name, so a filter using an unsupported hostcall fails the request that used
    /// it, not its loading.
    fn linker_for(&self, module: &Module) -> wasmtime::Result<Linker<HostState>> {
        let mut linker = self.linker.clone();
        let mut store = Store::new(
            &self.engine,
            HostState::new(Engine::Kong, Clock::System, SharedMetrics::default()),
        );
        for import in module.imports() {
            let ExternType::Func(ty) = import.ty() else {
                continue;
            };
            if self.linker.get_by_import(&mut store, &import).is_some() {
                continue;
            }
            let name = format!("{}.{}", import.module(), import.name());
            let answers_errno = import.module() == wasi::MODULE
                && matches!(ty.results().collect::<Vec<_>>().as_slice(), [ValType::I32]);
            linker.func_new(
                import.module(),
                import.name(),
                ty,
                move |_, _, results| match results.first_mut() {
                    Some(slot) if answers_errno => {
                        *slot = wasmtime::Val::I32(errno::NOSYS as i32);
                        Ok(())
                    }
                    _ => Err(wasmtime::Error::msg(format!("unsupported hostcall {name}"))),
                },
            )?;
        }
        Ok(linker)
    }

    pub(crate) fn module(&self, name: &str) -> Result<&FilterModule, LoadError> {
        self.modules.get(name).ok_or_else(|| LoadError::Unknown {
            filter: name.to_owned(),
        })
    }

    pub(crate) fn wasm_engine(&self) -> &WasmEngine {
        &self.engine
    }

    /// Names of the loaded filters.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.modules.keys().map(String::as_str)
    }
}

/// Advances the engine's epoch until the engine is dropped.
fn start_epoch_ticker(engine: &WasmEngine) {
    let weak = engine.weak();
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(EPOCH_TICK);
            match weak.upgrade() {
                Some(engine) => engine.increment_epoch(),
                None => break,
            }
        }
    });
}
