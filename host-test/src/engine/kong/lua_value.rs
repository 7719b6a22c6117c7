//! A filter's `config` as Kong 3.9's Lua holds it once the declarative file is loaded and stored
//! (kong-3.9.3.md §6.2): JSON is decoded by `cjson.safe.decode` (YAML by `lyaml`, the same shapes),
//! and every entity goes through LuaJIT's `string.buffer` into LMDB and back, which keeps no
//! metatable — so nothing says any more that a table was a JSON array.

use serde_json::Value;

/// A Lua value of a decoded configuration.
#[derive(Clone, Debug, PartialEq)]
pub enum LuaValue {
    /// JSON or YAML `null`: the `NULL` light userdata, which survives storage
    /// (`luajit2@src/lj_serialize.c:307-311`).
    Null,
    /// `true` / `false`.
    Boolean(bool),
    /// Every number is a double: integers above 2^53 are already rounded here.
    Number(f64),
    /// A string.
    String(String),
    /// A table: a JSON array has keys `1..n`, an object string keys; an empty array and an empty
    /// object are the same empty table. A YAML mapping may have number keys. Entries keep the
    /// order they were read in; [`super::cjson`] decides the order they are written in.
    Table(Vec<(LuaKey, LuaValue)>),
}

/// A table key.
#[derive(Clone, Debug, PartialEq)]
pub enum LuaKey {
    /// An array index, or a YAML integer key.
    Number(f64),
    /// An object member name.
    String(String),
}

impl LuaValue {
    /// What `cjson.safe.decode` makes of a JSON value, after storage.
    pub fn from_json(value: &Value) -> Self {
        match value {
            Value::Null => LuaValue::Null,
            Value::Bool(flag) => LuaValue::Boolean(*flag),
            // Integers are exact in serde_json; `as f64` rounds them to the nearest double, as
            // strtod does with their text.
            Value::Number(number) => LuaValue::Number(
                number
                    .as_u64()
                    .map(|n| n as f64)
                    .or_else(|| number.as_i64().map(|n| n as f64))
                    .or_else(|| number.as_f64())
                    .unwrap_or(f64::NAN),
            ),
            Value::String(text) => LuaValue::String(text.clone()),
            Value::Array(items) => LuaValue::Table(
                items
                    .iter()
                    .enumerate()
                    .map(|(index, item)| {
                        (LuaKey::Number((index + 1) as f64), Self::from_json(item))
                    })
                    .collect(),
            ),
            Value::Object(members) => LuaValue::Table(
                members
                    .iter()
                    .map(|(name, member)| (LuaKey::String(name.clone()), Self::from_json(member)))
                    .collect(),
            ),
        }
    }
}
