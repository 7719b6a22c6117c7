//! A decK file (`deck gateway dump`, or any Kong declarative configuration), read as a JSON tree
//! that keeps every entity and field, understood or not, with the position of each value for
//! error messages.
//!
//! Format (notes §4): `_format_version` `"1.1"`, `"2.1"` or `"3.0"` (decK writes `"3.0"` for
//! Kong 3 and `"1.1"` before); one top-level list per entity kind; children nested under their
//! parent (`services[].routes[]`, `services[].plugins[]`, `consumers[].keyauth_credentials[]`,
//! `upstreams[].targets[]`, `certificates[].snis[]`...) or at the top level with a reference by
//! name or id. A 1.1/2.1 file is migrated to 3.0 on read as Kong does it (`path_migration.rs`).

mod path_migration;

use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};

use crate::yaml::{self, Locations, Position};

pub use path_migration::PathMigration;

/// The format versions Kong 3.9 reads (`kong/db/schema/others/declarative_config.lua:254`).
pub const FORMAT_VERSIONS: [&str; 3] = ["1.1", "2.1", "3.0"];

/// Top-level keys decK writes and Kong 3.9 OSS DB-less rejects as "unknown field" (notes §4.5).
/// `deck gateway sync` understands them.
pub const DECK_ONLY_KEYS: [&str; 12] = [
    "_info",
    "_konnect",
    "_workspace",
    "_plugin_configs",
    "consumer_groups",
    "rbac_roles",
    "service_packages",
    "licenses",
    "custom_entities",
    "partials",
    "cloned_plugins",
    "custom_plugins",
];

/// Top-level keys Kong 3.9 reads: meta keys and entity lists (notes §4.1).
pub const KONG_KEYS: [&str; 27] = [
    "_format_version",
    "_transform",
    "_comment",
    "_ignore",
    "workspaces",
    "consumers",
    "certificates",
    "services",
    "routes",
    "snis",
    "upstreams",
    "targets",
    "plugins",
    "ca_certificates",
    "clustering_data_planes",
    "parameters",
    "vaults",
    "key_sets",
    "keys",
    "filter_chains",
    "keyauth_credentials",
    "basicauth_credentials",
    "hmacauth_credentials",
    "jwt_secrets",
    "acls",
    "oauth2_credentials",
    "oauth2_authorization_codes",
];

/// A file that cannot be used: named, with the position of the problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeckError {
    /// The file as given.
    pub file: String,
    /// Where, when known.
    pub position: Option<Position>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for DeckError {
    /// `file:line:column: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(position) => write!(f, "{}:{position}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// A decK file, migrated to `_format_version: "3.0"`.
#[derive(Clone, Debug)]
pub struct DeckFile {
    /// The file as given, for messages.
    pub file: String,
    /// The `_format_version` the file had.
    pub source_format: String,
    /// The top-level mapping, after migration.
    pub document: Map<String, Value>,
    /// Where each value was written.
    pub locations: Locations,
    /// Route paths the 1.1 → 3.0 migration changed or could not change.
    pub migrations: Vec<PathMigration>,
}

impl DeckFile {
    /// Reads and checks a file.
    pub fn load(path: &Path) -> Result<Self, DeckError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| DeckError {
            file: file.clone(),
            position: None,
            message: error.to_string(),
        })?;
        Self::parse(&text, &file)
    }

    /// Parses and checks a file's text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self, DeckError> {
        let error = |position, message: String| DeckError {
            file: file.to_owned(),
            position,
            message,
        };
        let parsed =
            yaml::parse(text).map_err(|problem| error(problem.position, problem.message))?;
        let locations = parsed.locations;
        let at = |pointer: &str| locations.find(pointer);
        let Value::Object(mut document) = parsed.value else {
            return Err(error(
                at(""),
                "not a decK file: the document is not a mapping of entity lists".to_owned(),
            ));
        };
        let source_format = match document.get("_format_version") {
            None => {
                return Err(error(
                    at(""),
                    "not a decK file: no _format_version (deck gateway dump writes \"3.0\" or \"1.1\")"
                        .to_owned(),
                ));
            }
            Some(Value::String(version)) if FORMAT_VERSIONS.contains(&version.as_str()) => {
                version.clone()
            }
            Some(Value::String(version)) => {
                return Err(error(
                    at("/_format_version"),
                    format!(
                        "unknown _format_version {version:?} (Kong 3.9 reads \"1.1\", \"2.1\" and \"3.0\")"
                    ),
                ));
            }
            Some(other) => {
                return Err(error(
                    at("/_format_version"),
                    format!(
                        "_format_version must be a string such as \"3.0\" (quoted), not {other}"
                    ),
                ));
            }
        };
        for (key, value) in &document {
            let is_list = KONG_KEYS.contains(&key.as_str()) && !key.starts_with('_')
                || key == "consumer_groups";
            if !is_list {
                continue;
            }
            let pointer = format!("/{key}");
            let Value::Array(items) = value else {
                return Err(error(
                    at(&pointer),
                    format!("{key}: expected a list of entities"),
                ));
            };
            for (index, item) in items.iter().enumerate() {
                if !item.is_object() {
                    return Err(error(
                        at(&format!("{pointer}/{index}")),
                        format!("{key}[{index}]: expected an entity (a mapping), found {item}"),
                    ));
                }
            }
        }
        let migrations = if source_format == "3.0" {
            Vec::new()
        } else {
            path_migration::migrate(&mut document)
        };
        document.insert("_format_version".to_owned(), Value::from("3.0"));
        Ok(Self {
            file: file.to_owned(),
            source_format,
            document,
            locations,
            migrations,
        })
    }

    /// `file:line:column` of the value at `pointer` (or of its nearest ancestor).
    pub fn at(&self, pointer: &str) -> String {
        match self.locations.find(pointer) {
            Some(position) => format!("{}:{position}", self.file),
            None => self.file.clone(),
        }
    }
}

/// A string field of an entity.
pub fn text<'e>(entity: &'e Value, key: &str) -> Option<&'e str> {
    entity.get(key).and_then(Value::as_str)
}

/// A list-of-strings field of an entity (missing or not a list: empty).
pub fn texts<'e>(entity: &'e Value, key: &str) -> Vec<&'e str> {
    entity
        .get(key)
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The list `key` of an entity or document (missing or not a list: empty).
pub fn list<'e>(entity: &'e Value, key: &str) -> &'e [Value] {
    entity
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// How decK and Kong name an entity in a reference: its name, else its id.
pub fn label(entity: &Value) -> Option<&str> {
    text(entity, "name")
        .or_else(|| text(entity, "username"))
        .or_else(|| text(entity, "id"))
}

/// Whether a reference (`service: name-or-id`, or `{name: …}` / `{id: …}`) points at `entity`.
pub fn refers_to(reference: &Value, entity: &Value) -> bool {
    let wanted: Vec<&str> = match reference {
        Value::String(key) => vec![key.as_str()],
        Value::Object(_) => [
            text(reference, "name"),
            text(reference, "id"),
            text(reference, "username"),
        ]
        .into_iter()
        .flatten()
        .collect(),
        _ => Vec::new(),
    };
    let keys = [
        text(entity, "name"),
        text(entity, "id"),
        text(entity, "username"),
    ];
    wanted
        .iter()
        .any(|wanted| keys.iter().flatten().any(|key| key == wanted))
}

/// The tags of an entity.
pub fn has_tag(entity: &Value, tag: &str) -> bool {
    texts(entity, "tags").contains(&tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_error(text: &str) -> String {
        DeckFile::parse(text, "dump.yaml").unwrap_err().to_string()
    }

    #[test]
    fn refuses_what_is_not_a_deck_file_with_file_line_and_column() {
        assert_eq!(
            parse_error("services: []\n"),
            "dump.yaml:1:1: not a decK file: no _format_version (deck gateway dump writes \"3.0\" or \"1.1\")"
        );
        assert_eq!(
            parse_error("_format_version: \"2.5\"\nservices: []\n"),
            "dump.yaml:1:18: unknown _format_version \"2.5\" (Kong 3.9 reads \"1.1\", \"2.1\" and \"3.0\")"
        );
        assert_eq!(
            parse_error("_format_version: 3.0\n"),
            "dump.yaml:1:18: _format_version must be a string such as \"3.0\" (quoted), not 3.0"
        );
        assert_eq!(
            parse_error("- a\n- b\n"),
            "dump.yaml:1:1: not a decK file: the document is not a mapping of entity lists"
        );
        assert_eq!(
            parse_error("_format_version: \"3.0\"\nservices:\n  name: a\n"),
            "dump.yaml:3:3: services: expected a list of entities"
        );
        assert_eq!(
            parse_error("_format_version: \"3.0\"\nservices:\n- a\n"),
            "dump.yaml:3:3: services[0]: expected an entity (a mapping), found \"a\""
        );
        assert_eq!(
            parse_error("_format_version: \"3.0\"\nservices: [\n"),
            "dump.yaml:2:11: not YAML: unclosed bracket '['"
        );
    }

    #[test]
    fn references_match_by_name_id_or_username() {
        let service = serde_json::json!({"name": "s", "id": "1"});
        assert!(refers_to(&Value::from("s"), &service));
        assert!(refers_to(&serde_json::json!({"id": "1"}), &service));
        assert!(!refers_to(&Value::from("t"), &service));
    }
}
