//! The migration map as the CLI reads it: JSON, or YAML converted to JSON (the filters only
//! read JSON).

use std::path::Path;

use kdp_migrate_core::MigrationMap;

/// A map, validated by the core, with the JSON the filters are configured with.
#[derive(Debug)]
pub struct MapDocument {
    /// The JSON text handed to every filter as its configuration.
    pub json: Vec<u8>,
    /// The validated map, for classifying requests (entry and API).
    pub map: MigrationMap,
}

impl MapDocument {
    /// Reads `path`: YAML when it ends in `.yaml`/`.yml` or is not a JSON object, else JSON.
    pub fn load(path: &Path) -> Result<Self, String> {
        let bytes = std::fs::read(path).map_err(|error| format!("{}: {error}", path.display()))?;
        Self::from_bytes(&bytes, is_yaml_name(path)).map_err(|error| {
            // `line:column: …` follows the file name as `file:line:column: …`.
            if error.starts_with(|c: char| c.is_ascii_digit()) {
                format!("{}:{error}", path.display())
            } else {
                format!("{}: {error}", path.display())
            }
        })
    }

    /// Parses a map from bytes (`yaml` forces YAML).
    pub fn from_bytes(bytes: &[u8], yaml: bool) -> Result<Self, String> {
        let text = String::from_utf8_lossy(bytes);
        let json = if yaml || !text.trim_start().starts_with('{') {
            let value = crate::yaml::parse_value(&text).map_err(|error| error.to_string())?;
            serde_json::to_vec(&value).map_err(|error| error.to_string())?
        } else {
            bytes.to_vec()
        };
        let map = MigrationMap::from_json(&json).map_err(|error| error.to_string())?;
        Ok(Self { json, map })
    }
}

fn is_yaml_name(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|extension| extension.to_str()),
        Some("yaml" | "yml")
    )
}
