//! Writing a JSON value as YAML, deterministically.
//!
//! Mapping keys come out sorted (serde_json's map is ordered by key), as decK writes its dumps
//! (`sigs.k8s.io/yaml` goes through JSON: docs/kong-3.9.3.md §4.5), so a file written here
//! and a `deck gateway dump` of the same gateway differ only where the gateway does. A value
//! passed as `shared` is written once, under the anchor `&migration_map`, at its first
//! occurrence, and as the alias `*migration_map` at every other.

use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

use serde::{Serialize, Serializer};
use serde_json::Value;
use serde_saphyr::RcAnchor;

/// The anchor name of the shared value.
const ANCHOR: &str = "migration_map";

/// The value could not be written (an option the crate refused; not expected).
#[derive(Debug)]
pub struct WriteError(String);

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "writing YAML: {}", self.0)
    }
}

/// `lines` as a YAML comment block: `# ` before each line, a bare `#` for an empty one.
pub fn comment(lines: &[String]) -> String {
    let mut text = String::new();
    for line in lines {
        if line.is_empty() {
            text.push_str("#\n");
        } else {
            text.push_str("# ");
            text.push_str(line);
            text.push('\n');
        }
    }
    text
}

/// `value` as YAML text; every object equal to `shared` is written once and aliased after.
pub fn to_yaml(value: &Value, shared: Option<&Value>) -> Result<String, WriteError> {
    let shared = shared.map(|shared| (shared, Rc::new(Plain(shared.clone()))));
    let tree = Tree::of(value, shared.as_ref());
    let options = serde_saphyr::ser_options! {
        indent_step: 2,
        anchor_generator: Some(|_| ANCHOR.to_owned()),
    };
    serde_saphyr::to_string_with_options(&tree, options)
        .map_err(|error| WriteError(error.to_string()))
}

/// A value to write: JSON, with the shared value replaced by an anchored reference.
enum Tree<'v> {
    Scalar(&'v Value),
    Sequence(Vec<Tree<'v>>),
    Mapping(BTreeMap<&'v str, Tree<'v>>),
    Shared(RcAnchor<Plain>),
}

/// The shared value, written as plain JSON-shaped YAML.
struct Plain(Value);

impl Serialize for Plain {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Tree::of(&self.0, None).serialize(serializer)
    }
}

impl<'v> Tree<'v> {
    fn of(value: &'v Value, shared: Option<&(&Value, Rc<Plain>)>) -> Self {
        match value {
            Value::Object(map) => {
                if let Some((wanted, anchor)) = shared
                    && value == *wanted
                {
                    return Tree::Shared(RcAnchor(Rc::clone(anchor)));
                }
                Tree::Mapping(
                    map.iter()
                        .map(|(key, value)| (key.as_str(), Tree::of(value, shared)))
                        .collect(),
                )
            }
            Value::Array(items) => {
                Tree::Sequence(items.iter().map(|item| Tree::of(item, shared)).collect())
            }
            scalar => Tree::Scalar(scalar),
        }
    }
}

impl Serialize for Tree<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Tree::Scalar(value) => value.serialize(serializer),
            Tree::Sequence(items) => items.serialize(serializer),
            Tree::Mapping(map) => map.serialize(serializer),
            Tree::Shared(anchor) => anchor.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_value;
    use serde_json::json;

    #[test]
    fn sorts_keys_and_writes_the_shared_value_once() {
        let map = json!({"short_host": "dev-01.example", "apis": [{"name": "api01"}]});
        let document = json!({
            "services": [
                {"name": "b", "config": map, "paths": ["~/api01(?:/|$)"]},
                {"name": "a", "config": map, "tags": []}
            ],
            "_format_version": "3.0"
        });
        let text = to_yaml(&document, Some(&map)).unwrap();
        assert_eq!(
            text,
            concat!(
                "_format_version: \"3.0\"\n",
                "services:\n",
                "- config: &migration_map\n",
                "    apis:\n",
                "    - name: api01\n",
                "    short_host: dev-01.example\n",
                "  name: b\n",
                "  paths:\n",
                "  - ~/api01(?:/|$)\n",
                "- config: *migration_map\n",
                "  name: a\n",
                "  tags: []\n",
            )
        );
        assert_eq!(parse_value(&text).unwrap(), document);
    }

    #[test]
    fn strings_that_read_as_something_else_are_quoted() {
        let document = json!({
            "a": ["yes", "no", "on", "off", "y", "n", "true", "null", "~", "", "123", "1.5",
                  "0x10", "#x", "a: b", "- x", "{api}.x", "*.example", "&x", "!x", "line\nbreak",
                  " lead", "trail ", "é", "\u{7}"],
            "n": 1, "t": true, "z": null, "f": 1.5
        });
        let text = to_yaml(&document, None).unwrap();
        assert_eq!(parse_value(&text).unwrap(), document, "{text}");
        assert!(text.contains("- \"yes\"\n"), "{text}");
        assert!(text.contains("- \"123\"\n"), "{text}");
    }
}
