//! Replaying recorded requests through the filter chains a gateway would run for them.

mod record;
mod summary;

pub use record::ReplayRecord;
pub use summary::Summary;

use kdp_migrate_core::{Classification, Entry, filters};
use kdp_migrate_host_test::{
    ChainId, Engine, FilterLibrary, FilterSpec, Host, LoadError, Observation, Routing,
};

use crate::kong::KongRoutes;
use crate::map_document::MapDocument;
use crate::traffic::Recorded;

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
                let mut names: Vec<&str> = [Entry::Short, Entry::Legacy, Entry::Long]
                    .into_iter()
                    .flat_map(filters::chain)
                    .copied()
                    .collect();
                names.sort_unstable();
                names.dedup();
                names
            }
        }
    }

    /// Builds the chains. Without a Kong configuration every filter gets the map as its
    /// configuration, as a declarative file would hold it (so the Kong engine hands it over as
    /// Kong does, after its round trip); with one, the configuration each filter entry carries.
    pub fn new(
        library: &FilterLibrary,
        engine: Engine,
        map: MapDocument,
        kong: Option<KongRoutes>,
    ) -> Result<Self, LoadError> {
        let mut host = Host::new(library, engine);
        let layout = match kong {
            None => {
                let mut chain = |names: &[&str]| {
                    let specs: Vec<FilterSpec> = names
                        .iter()
                        .map(|name| FilterSpec::json(name, map.json.clone()))
                        .collect();
                    host.add_chain(&specs)
                };
                Layout::Standard {
                    short: chain(filters::chain(Entry::Short))?,
                    legacy: chain(filters::chain(Entry::Legacy))?,
                    other: chain(filters::chain(Entry::Long))?,
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
    pub fn replay(&mut self, n: u64, recorded: &Recorded) -> ReplayRecord {
        let request = &recorded.request;
        let observation = self.observation(recorded);
        let Classification { entry, api } = self.map.map.classify(&request.host, &request.path);
        let local = observation.local_response.as_ref();
        ReplayRecord {
            n,
            method: request.method.clone(),
            host: request.host.clone(),
            path: request.path.clone(),
            entry: entry.as_str().to_owned(),
            api: api.map(|api| api.name().to_owned()),
            action: observation.action,
            status: local.map(|local| local.status),
            location: local.and_then(|local| local.location()).map(str::to_owned),
            upstream_host: observation
                .upstream
                .as_ref()
                .map(|upstream| upstream.host.clone()),
            upstream_path: observation
                .upstream
                .as_ref()
                .map(|upstream| upstream.path.clone()),
            error: observation.error,
        }
    }

    fn observation(&mut self, recorded: &Recorded) -> Observation {
        let request = &recorded.request;
        match &self.layout {
            Layout::Standard {
                short,
                legacy,
                other,
            } => {
                let chain = match self.map.map.classify(&request.host, &request.path).entry {
                    Entry::Short => *short,
                    Entry::Legacy => *legacy,
                    Entry::Long | Entry::Unknown => *other,
                };
                self.host
                    .run_with(chain, request, &Routing::default(), &recorded.response)
            }
            Layout::Kong { routes, chains } => {
                match routes.route(request) {
                    Some(hit) => match chains.get(hit.index) {
                        Some(&chain) => {
                            self.host
                                .run_with(chain, request, &hit.routing, &recorded.response)
                        }
                        None => Observation::failed(
                            "no chain for the route".to_owned(),
                            Vec::new(),
                            Vec::new(),
                        ),
                    },
                    // Kong answers 404 itself; no filter runs.
                    None => Observation::engine_response(
                        "kong",
                        404,
                        "no Route matched with those values".to_owned(),
                    ),
                }
            }
        }
    }
}
