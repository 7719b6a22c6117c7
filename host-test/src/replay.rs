//! Replaying recorded requests through the filter chains a gateway would run for them.

use kdp_migrate_core::Classification;

use crate::chain::{FilterSpec, engine_response, failed};
use crate::decision::Decision;
use crate::error::LoadError;
use crate::host::{ChainId, Host};
use crate::kong::KongRoutes;
use crate::library::FilterLibrary;
use crate::map_document::MapDocument;
use crate::mode::Mode;
use crate::outcome::Outcome;
use crate::routing::Routing;
use crate::traffic::Recorded;

/// The chain in front of the short host, without a Kong configuration.
pub const SHORT_CHAIN: [&str; 2] = ["migration_telemetry", "short_domain_router"];
/// The chain in front of legacy hosts.
pub const LEGACY_CHAIN: [&str; 3] = ["migration_telemetry", "legacy_redirect", "host_rewrite"];
/// The chain in front of long and other hosts.
pub const OTHER_CHAIN: [&str; 1] = ["migration_telemetry"];

/// Which chain a request runs through.
#[derive(Debug)]
enum Layout {
    /// Chains by entry, every filter configured with the map.
    Standard {
        short: ChainId,
        legacy: ChainId,
        other: ChainId,
    },
    /// Chains by Kong route, each filter configured as the configuration says.
    Kong {
        routes: KongRoutes,
        chains: Vec<ChainId>,
    },
}

/// Runs recorded requests and says what each becomes.
#[derive(Debug)]
pub struct Replayer {
    host: Host,
    map: MapDocument,
    layout: Layout,
}

impl Replayer {
    /// The filters a replay needs compiled.
    pub fn filters_needed(kong: Option<&KongRoutes>) -> Vec<&str> {
        match kong {
            Some(routes) => routes.filter_names(),
            None => {
                let mut names: Vec<&str> =
                    SHORT_CHAIN.iter().chain(&LEGACY_CHAIN).copied().collect();
                names.sort_unstable();
                names.dedup();
                names
            }
        }
    }

    /// Builds the chains. Without a Kong configuration every filter gets the map as its
    /// configuration; with one, the configuration each filter entry carries.
    pub fn new(
        library: &FilterLibrary,
        mode: Mode,
        map: MapDocument,
        kong: Option<KongRoutes>,
    ) -> Result<Self, LoadError> {
        let mut host = Host::new(library, mode);
        let layout = match kong {
            None => {
                let mut chain = |names: &[&str]| {
                    let specs: Vec<FilterSpec> = names
                        .iter()
                        .map(|name| FilterSpec::new(name, map.json.clone()))
                        .collect();
                    host.add_chain(&specs)
                };
                Layout::Standard {
                    short: chain(&SHORT_CHAIN)?,
                    legacy: chain(&LEGACY_CHAIN)?,
                    other: chain(&OTHER_CHAIN)?,
                }
            }
            Some(routes) => {
                let chains = routes
                    .chains()
                    .map(|specs| host.add_chain(specs))
                    .collect::<Result<Vec<_>, LoadError>>()?;
                Layout::Kong { routes, chains }
            }
        };
        Ok(Self { host, map, layout })
    }

    /// The host, for its metrics and logs.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// Replays one request; `n` is its 1-based position.
    pub fn replay(&mut self, n: u64, recorded: &Recorded) -> Decision {
        let request = &recorded.request;
        let outcome = self.outcome(recorded);
        let Classification { entry, api } = self.map.map.classify(&request.host, &request.path);
        let local = outcome.local_response.as_ref();
        Decision {
            n,
            method: request.method.clone(),
            host: request.host.clone(),
            path: request.path.clone(),
            entry: entry.as_str().to_owned(),
            api: api.map(|api| api.name().to_owned()),
            action: outcome.action,
            status: local.map(|local| local.status),
            location: local.and_then(|local| local.location()).map(str::to_owned),
            upstream_host: outcome
                .upstream
                .as_ref()
                .map(|upstream| upstream.host.clone()),
            upstream_path: outcome
                .upstream
                .as_ref()
                .map(|upstream| upstream.path.clone()),
            error: outcome.error,
        }
    }

    fn outcome(&mut self, recorded: &Recorded) -> Outcome {
        let request = &recorded.request;
        match &self.layout {
            Layout::Standard {
                short,
                legacy,
                other,
            } => {
                let chain = match self.map.map.classify(&request.host, &request.path).entry {
                    kdp_migrate_core::Entry::Short => *short,
                    kdp_migrate_core::Entry::Legacy => *legacy,
                    kdp_migrate_core::Entry::Long | kdp_migrate_core::Entry::Unknown => *other,
                };
                self.host
                    .run_with(chain, request, &Routing::default(), &recorded.response)
            }
            Layout::Kong { routes, chains } => {
                match routes.route(&request.method, &request.host, &request.path) {
                    Some(hit) => match chains.get(hit.index) {
                        Some(&chain) => {
                            self.host
                                .run_with(chain, request, &hit.routing, &recorded.response)
                        }
                        None => failed("no chain for the route".to_owned(), Vec::new(), Vec::new()),
                    },
                    // Kong answers 404 itself; no filter runs.
                    None => engine_response(
                        "kong",
                        404,
                        "no Route matched with those values".to_owned(),
                    ),
                }
            }
        }
    }
}
