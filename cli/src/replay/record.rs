//! One line of the replay's output: a contract, read by tools outside this repository.

use serde::{Deserialize, Serialize};

use kdp_migrate_host_test::ObservedAction;

/// What became of one recorded request. Serialised as one JSON object with exactly these keys,
/// in this order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayRecord {
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
    #[serde(with = "action_text")]
    pub action: ObservedAction,
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

/// The action as its name (`proxy`, `redirect`, `reject`, `pass`, `error`).
mod action_text {
    use kdp_migrate_host_test::ObservedAction;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        action: &ObservedAction,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(action.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<ObservedAction, D::Error> {
        let text = String::deserialize(deserializer)?;
        ObservedAction::ALL
            .into_iter()
            .find(|action| action.as_str() == text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown action {text:?}")))
    }
}
