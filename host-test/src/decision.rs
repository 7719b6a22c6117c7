//! One line of the replay's output: a contract, read by tools outside this repository.

use serde::{Deserialize, Serialize};

use crate::outcome::Action;

/// What became of one recorded request. Serialised as one JSON object with exactly these keys,
/// in this order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// 1-based position among the requests replayed.
    pub n: u64,
    /// The request method.
    pub method: String,
    /// The `Host` as recorded.
    pub host: String,
    /// Path and query as recorded.
    pub path: String,
    /// `short`, `long`, `legacy` or `unknown`.
    pub entry: String,
    /// The API the map assigns the request to.
    pub api: Option<String>,
    /// What happened to it.
    pub action: Action,
    /// Status of a local response.
    pub status: Option<u16>,
    /// `Location` of a local response.
    pub location: Option<String>,
    /// The Host the upstream receives, when forwarded.
    pub upstream_host: Option<String>,
    /// The path and query the upstream receives, when forwarded.
    pub upstream_path: Option<String>,
    /// Why the request failed, for `error`.
    pub error: Option<String>,
}

impl Serialize for Action {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Action::ALL
            .into_iter()
            .find(|action| action.as_str() == text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown action {text:?}")))
    }
}
