//! What a filter receives from Kong 3.9 as its configuration (`get_plugin_configuration`) when
//! the declarative file writes `config` as a value — the round trip of kong-3.9.3.md §6,
//! `../shared/research/kong-wasm.md` §8.1:
//!
//! 1. the file is decoded to Lua values (`kong/db/declarative/init.lua:106-131`) and the config
//!    checked against the filter's `meta.json` schema;
//! 2. stored in LMDB and read back, which drops every array marker
//!    (`kong/db/declarative/marshaller.lua:11-31`) — [`LuaValue`];
//! 3. re-encoded for the filter by `serialize_configuration` with `cjson.safe`
//!    (`kong/runloop/wasm.lua:381-397,478`) — [`super::cjson`].
//!
//! So, for the JSON the filter gets:
//! - an empty array `[]` arrives as `{}` (so does `{}`); a non-empty array stays an array;
//! - numbers have 16 significant digits: integers below 10^16 exact up to 2^53, larger ones in
//!   exponent form (`1e+16`); `1.0` arrives as `1`;
//! - `/` arrives as `\/`, controls and DEL as `\u00xx`, non-ASCII raw;
//! - object members come in an order that Kong does not fix (the Lua hash order, reseeded at every
//!   start); the model writes them in byte order;
//! - when cjson cannot encode the value, the filter gets no configuration (empty bytes).
//!
//! Not modelled: that a YAML mapping with integer keys is a table with number keys (the caller
//! can build such a [`LuaValue`] itself and use [`super::cjson::encode`]).

use super::cjson;
use super::lua_value::LuaValue;

/// Why a configuration cannot go through the round trip: it is not JSON, so the declarative file
/// could not have held it as a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotJson(pub String);

impl std::fmt::Display for NotJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "configuration is not JSON: {}", self.0)
    }
}

/// The bytes Kong 3.9 hands a filter whose `config` is this JSON value in the declarative file.
pub fn filter_config(json: &[u8]) -> Result<Vec<u8>, NotJson> {
    let value: serde_json::Value =
        serde_json::from_slice(json).map_err(|error| NotJson(error.to_string()))?;
    Ok(serialize_configuration(&LuaValue::from_json(&value)))
}

/// `serialize_configuration` (`kong/runloop/wasm.lua:381-397`): `cjson.safe.encode`, whose error
/// becomes `nil` — no configuration at all.
pub fn serialize_configuration(config: &LuaValue) -> Vec<u8> {
    cjson::encode(config).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(json: &str) -> String {
        String::from_utf8(filter_config(json.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn kong_reencodes_what_it_stored() {
        assert_eq!(
            round_trip(r#"{"legacy_hosts": []}"#),
            r#"{"legacy_hosts":{}}"#
        );
        assert_eq!(
            round_trip(r#"{"a": {}, "b": [[]]}"#),
            r#"{"a":{},"b":[{}]}"#
        );
        assert_eq!(round_trip(r#"["x", null, 1.0]"#), r#"["x",null,1]"#);
        assert_eq!(
            round_trip(r#"{"max": 10000000000000001, "n": 1e2, "u": 18446744073709551615}"#),
            r#"{"max":1e+16,"n":100,"u":1.844674407370955e+19}"#
        );
        assert_eq!(
            round_trip(r#"{"z": "https://a/b", "a": "\u0001"}"#),
            r#"{"a":"\u0001","z":"https:\/\/a\/b"}"#
        );
        assert_eq!(round_trip("[]"), "{}");
        assert!(
            serialize_configuration(&LuaValue::Number(f64::INFINITY)).is_empty(),
            "cjson refuses Infinity: no config"
        );
        assert!(filter_config(b"{").is_err());
    }
}
