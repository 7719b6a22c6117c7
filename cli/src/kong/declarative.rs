//! The subset of Kong's declarative format the replay reads. Unknown fields are ignored: the
//! file is Kong's, not ours.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Default, Deserialize)]
pub(super) struct Declarative {
    #[serde(default)]
    pub services: Vec<Service>,
    #[serde(default)]
    pub routes: Vec<Route>,
    #[serde(default)]
    pub filter_chains: Vec<FilterChain>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Service {
    pub name: Option<String>,
    pub id: Option<String>,
    pub url: Option<String>,
    pub protocol: Option<String>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub path: Option<String>,
    pub enabled: Option<bool>,
    #[serde(default)]
    pub routes: Vec<Route>,
    #[serde(default)]
    pub filter_chains: Vec<FilterChain>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Route {
    pub name: Option<String>,
    pub id: Option<String>,
    /// `None` when absent: an explicit empty list still counts as "plain hosts only" for the
    /// route's priority (`kong/router/transform.lua:609`).
    pub hosts: Option<Vec<String>>,
    pub paths: Option<Vec<String>>,
    pub methods: Option<Vec<String>>,
    /// Header name → values (`~*` in front of a value makes it a regex).
    pub headers: Option<BTreeMap<String, Vec<String>>>,
    pub snis: Option<Vec<String>>,
    pub path_handling: Option<String>,
    pub strip_path: Option<bool>,
    pub preserve_host: Option<bool>,
    pub regex_priority: Option<i64>,
    pub service: Option<Reference>,
    #[serde(default)]
    pub filter_chains: Vec<FilterChain>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct FilterChain {
    pub enabled: Option<bool>,
    #[serde(default)]
    pub filters: Vec<Filter>,
    pub route: Option<Reference>,
    pub service: Option<Reference>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Filter {
    pub name: String,
    pub enabled: Option<bool>,
    pub config: Option<Value>,
}

/// A foreign key: a name or id, or an object holding one.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum Reference {
    Key(String),
    Entity {
        name: Option<String>,
        id: Option<String>,
    },
}

impl Reference {
    pub(super) fn matches(&self, name: Option<&str>, id: Option<&str>) -> bool {
        let (wanted_name, wanted_id) = match self {
            Reference::Key(key) => (Some(key.as_str()), Some(key.as_str())),
            Reference::Entity { name, id } => (name.as_deref(), id.as_deref()),
        };
        (wanted_name.is_some() && wanted_name == name) || (wanted_id.is_some() && wanted_id == id)
    }
}
