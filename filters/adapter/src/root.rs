//! The root context: configuration, shared per-VM state, and HTTP context creation.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use kdp_migrate_core::MigrationMap;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::ContextType;

use crate::abi::{self, LogLevel};
use crate::context::FilterContext;
use crate::engine::{Engine, Metrics};
use crate::metrics::Counters;
use crate::roles::Roles;

/// Registers `root` (see [`filter!`](crate::filter)) as the module's root context factory.
pub fn start(root: fn(u32) -> Box<dyn RootContext>) {
    // Installs the SDK's panic hook, which logs a panic at critical level before the trap: the
    // last-resort diagnostic for a bug we did not foresee.
    proxy_wasm::set_log_level(proxy_wasm::types::LogLevel::Info);
    proxy_wasm::set_root_context(root);
}

/// The root context of the filter `name` with `roles`.
pub fn root_context(name: &'static str, roles: Roles) -> Box<dyn RootContext> {
    Box::new(FilterRoot::new(name, roles))
}

/// State shared by the root and every HTTP context of one VM.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The filter's name, for logs.
    pub name: &'static str,
    /// Its jobs.
    pub roles: Roles,
    engine: Cell<Option<&'static Engine>>,
    metrics: Cell<Option<bool>>,
    /// Whether this VM already said that its engine writes `filter_state` telemetry as log lines.
    pub sink_fallback_said: Cell<bool>,
    /// The telemetry line being written: one buffer for the VM's life instead of one per request.
    pub record_line: RefCell<String>,
}

impl Shared {
    /// The engine, detected on the first request and remembered (it cannot change under a VM).
    pub fn engine(&self) -> &'static Engine {
        if let Some(engine) = self.engine.get() {
            return engine;
        }
        let engine = Engine::detect(|property| matches!(abi::property(property), Ok(Some(_))));
        self.engine.set(Some(engine));
        engine
    }

    /// Whether the engine implements the metric hostcalls (where it does not, they trap, so the
    /// counters stay off; the record is still written).
    pub fn metrics_supported(&self) -> bool {
        if let Some(supported) = self.metrics.get() {
            return supported;
        }
        let engine = self.engine();
        let version = engine
            .metrics
            .version_property()
            .and_then(|property| abi::property(property).ok().flatten());
        let supported = engine.metrics.available(version.as_deref());
        if let Metrics::Since {
            version: (major, minor),
            unanswered,
            ..
        } = engine.metrics
            && !supported
        {
            let shown = version.map(|v| String::from_utf8_lossy(&v).into_owned());
            abi::log(
                LogLevel::Warn,
                &format!(
                    "{}: counters off: {} {} has no proxy-wasm metrics ({major}.{minor}+ needed)",
                    self.name,
                    engine.name,
                    shown.as_deref().unwrap_or(unanswered),
                ),
            );
        }
        self.metrics.set(Some(supported));
        supported
    }
}

/// The configuration in force: the map, and the counters whose keys are its API indexes (a new map
/// starts with new keys; in-flight requests keep the map they started with).
#[derive(Debug)]
pub(crate) struct Configured {
    /// The migration map.
    pub map: MigrationMap,
    /// Counter ids.
    pub counters: Counters,
}

struct FilterRoot {
    shared: Rc<Shared>,
    configured: Option<Rc<Configured>>,
}

impl FilterRoot {
    fn new(name: &'static str, roles: Roles) -> Self {
        FilterRoot {
            shared: Rc::new(Shared {
                name,
                roles,
                engine: Cell::new(None),
                metrics: Cell::new(None),
                sink_fallback_said: Cell::new(false),
                record_line: RefCell::new(String::new()),
            }),
            configured: None,
        }
    }
}

impl Context for FilterRoot {}

impl RootContext for FilterRoot {
    fn on_configure(&mut self, _plugin_configuration_size: usize) -> bool {
        let name = self.shared.name;
        let bytes = match abi::plugin_configuration() {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                abi::log(
                    LogLevel::Error,
                    &format!("{name}: refused configuration: the migration map is missing"),
                );
                return false;
            }
            Err(status) => {
                abi::log(
                    LogLevel::Error,
                    &format!(
                        "{name}: cannot read the configuration: host status {}",
                        status.0
                    ),
                );
                return false;
            }
        };
        match MigrationMap::from_json(&bytes) {
            Ok(map) => {
                abi::log(
                    LogLevel::Info,
                    &format!(
                        "{name}: configured {} APIs on short host {}",
                        map.apis().len(),
                        map.short_host()
                    ),
                );
                self.configured = Some(Rc::new(Configured {
                    map,
                    counters: Counters::default(),
                }));
                true
            }
            Err(error) => {
                abi::log(
                    LogLevel::Error,
                    &format!("{name}: refused configuration: {error}"),
                );
                false
            }
        }
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(FilterContext::new(
            Rc::clone(&self.shared),
            self.configured.clone(),
        )))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}
