//! Reading a YAML or JSON document into a JSON value, with the position of every value.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_saphyr::{MessageFormatter, Spanned, UserMessageFormatter};

use super::locations::{Locations, Position, pointer_token};

/// A document read from text: its value and where each part of it was written.
#[derive(Clone, Debug)]
pub struct Parsed {
    /// The document, with aliases and merge keys resolved.
    pub value: Value,
    /// The position of every value (empty for JSON that only `serde_json` could read).
    pub locations: Locations,
}

/// A document that is not YAML (or not JSON, when it looks like JSON).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    /// Where the parser stopped, when it knows.
    pub position: Option<Position>,
    /// What is wrong, without the position.
    pub message: String,
}

impl fmt::Display for YamlError {
    /// `line:column: message`, to follow a file name and a colon.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(position) => write!(f, "{position}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Parses `text`. A document whose first character is `{` or `[` must be strict JSON (a YAML
/// parser would accept some broken JSON, e.g. a missing value); anything else is YAML, with
/// anchors, aliases and merge keys (`<<`).
pub fn parse(text: &str) -> Result<Parsed, YamlError> {
    let looks_like_json = matches!(text.trim_start().bytes().next(), Some(b'{' | b'['));
    if looks_like_json {
        let value: Value = serde_json::from_str(text).map_err(|error| YamlError {
            position: Some(Position {
                line: u32::try_from(error.line()).unwrap_or(u32::MAX),
                column: u32::try_from(error.column()).unwrap_or(u32::MAX),
            }),
            message: format!("not JSON: {}", json_message(&error)),
        })?;
        // Valid JSON is YAML too; read it again for the positions, keeping the JSON reading if
        // the YAML parser disagrees.
        return Ok(parse_yaml(text).unwrap_or(Parsed {
            value,
            locations: Locations::default(),
        }));
    }
    parse_yaml(text)
}

/// Parses `text` for its value only.
pub fn parse_value(text: &str) -> Result<Value, YamlError> {
    parse(text).map(|parsed| parsed.value)
}

fn parse_yaml(text: &str) -> Result<Parsed, YamlError> {
    let options = serde_saphyr::options! {
        // A gateway's dump can hold tens of thousands of consumers and credentials; the
        // crate's defaults (250,000 nodes) are for hand-written configuration. These still
        // stop a runaway document.
        budget: serde_saphyr::budget! {
            max_events: 50_000_000,
            max_nodes: 20_000_000,
            max_total_scalar_bytes: 1 << 30,
            max_reader_input_bytes: Some(1 << 30),
            // A generated kong.yml references its one anchor (the migration map) from every
            // filter of every route: hundreds of aliases for one anchor is normal here.
            enforce_alias_anchor_ratio: false,
        },
    };
    let root: Spanned<Node> =
        serde_saphyr::from_str_with_options(text, options).map_err(|error| {
            let position = error.location().and_then(|location| {
                (location.line() > 0).then(|| Position {
                    line: u32::try_from(location.line()).unwrap_or(u32::MAX),
                    column: u32::try_from(location.column()).unwrap_or(u32::MAX),
                })
            });
            YamlError {
                position,
                message: format!(
                    "not YAML: {}",
                    UserMessageFormatter.format_message(error.without_snippet())
                ),
            }
        })?;
    let mut locations = Locations::default();
    let mut pointer = String::new();
    let value = into_value(root, &mut pointer, &mut locations);
    Ok(Parsed { value, locations })
}

/// serde_json's message without its " at line L column C" suffix (the position is kept apart).
fn json_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text.get(..at).unwrap_or(&text).to_owned(),
        None => text,
    }
}

/// A YAML node with the position of each child, as the parser saw it.
#[derive(Debug)]
enum Node {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Sequence(Vec<Spanned<Node>>),
    Mapping(Vec<(String, Spanned<Node>)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }

    fn visit_bool<E>(self, value: bool) -> Result<Node, E> {
        Ok(Node::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Node, E> {
        Ok(Node::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Node, E> {
        Ok(Node::Number(value.into()))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Node, E> {
        Number::from_f64(value)
            .map(Node::Number)
            .ok_or_else(|| E::custom(format!("{value} is not a JSON number")))
    }

    fn visit_str<E>(self, value: &str) -> Result<Node, E> {
        Ok(Node::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Node, E> {
        Ok(Node::String(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut sequence: A) -> Result<Node, A::Error> {
        let mut items = Vec::with_capacity(sequence.size_hint().unwrap_or(0));
        while let Some(item) = sequence.next_element()? {
            items.push(item);
        }
        Ok(Node::Sequence(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut mapping: A) -> Result<Node, A::Error> {
        let mut entries = Vec::with_capacity(mapping.size_hint().unwrap_or(0));
        while let Some(entry) = mapping.next_entry::<String, Spanned<Node>>()? {
            entries.push(entry);
        }
        Ok(Node::Mapping(entries))
    }
}

/// The JSON value of a node; records its position and its children's under `pointer`.
fn into_value(node: Spanned<Node>, pointer: &mut String, locations: &mut Locations) -> Value {
    let line = node.referenced.line();
    if line > 0 {
        locations.insert(
            pointer.clone(),
            Position {
                line: u32::try_from(line).unwrap_or(u32::MAX),
                column: u32::try_from(node.referenced.column()).unwrap_or(u32::MAX),
            },
        );
    }
    match node.value {
        Node::Null => Value::Null,
        Node::Bool(value) => Value::Bool(value),
        Node::Number(value) => Value::Number(value),
        Node::String(value) => Value::String(value),
        Node::Sequence(items) => {
            let mut values = Vec::with_capacity(items.len());
            for (index, item) in items.into_iter().enumerate() {
                let length = pointer.len();
                pointer.push('/');
                pointer.push_str(&index.to_string());
                values.push(into_value(item, pointer, locations));
                pointer.truncate(length);
            }
            Value::Array(values)
        }
        Node::Mapping(entries) => {
            let mut map = Map::new();
            for (key, item) in entries {
                let length = pointer.len();
                pointer.push('/');
                pointer.push_str(&pointer_token(&key));
                let value = into_value(item, pointer, locations);
                pointer.truncate(length);
                map.insert(key, value);
            }
            Value::Object(map)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resolves_anchors_aliases_and_merge_keys_with_positions() {
        let text = "base: &base\n  port: 80\n  host: a\nservices:\n- <<: *base\n  name: s\n  host: b\n- *base\n";
        let parsed = parse(text).unwrap();
        assert_eq!(
            parsed.value,
            json!({
                "base": {"port": 80, "host": "a"},
                "services": [{"port": 80, "host": "b", "name": "s"}, {"port": 80, "host": "a"}]
            })
        );
        assert_eq!(
            parsed.locations.find("/services/0/name"),
            Some(Position { line: 6, column: 9 })
        );
        // A merged value is where the merge is written.
        assert_eq!(
            parsed.locations.find("/services/0/port").map(|p| p.line),
            Some(5)
        );
    }

    #[test]
    fn errors_carry_line_and_column() {
        let error = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert_eq!(error.position, Some(Position { line: 2, column: 2 }));
        assert_eq!(
            error.to_string(),
            "2:2: not YAML: illegal placement of ':' indicator"
        );
        let error = parse("a: 1\na: 2\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "2:1: not YAML: duplicate mapping key `a` is not allowed here"
        );
        let error = parse("x: *nope\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "1:4: not YAML: reference to unknown value"
        );
    }

    #[test]
    fn json_is_strict_json_with_positions() {
        let error = parse("{\"a\": 1,\n \"b\": }").unwrap_err();
        assert_eq!(error.to_string(), "2:7: not JSON: expected value");
        let parsed = parse("{\n\t\"a\": [1, {\"b\": true}]\n}\n").unwrap();
        assert_eq!(parsed.value, json!({"a": [1, {"b": true}]}));
        assert_eq!(
            parsed.locations.find("/a/1/b"),
            Some(Position {
                line: 2,
                column: 17
            })
        );
    }
}
