//! Kong 3.9 around the filters: its proxy location ([`proxy_location`]: the `$upstream_*`
//! variables, the headers the template sets itself, the listener) and what it does to a filter's
//! configuration on the way from the declarative file to `on_configure` ([`filter_config`], with
//! the Lua values it holds in between, [`lua_value`], and the JSON encoder it uses, [`cjson`]).

pub mod cjson;
pub mod filter_config;
pub mod lua_value;
pub(crate) mod proxy_location;

pub use filter_config::{NotJson, filter_config, serialize_configuration};
pub use lua_value::{LuaKey, LuaValue};
pub(crate) use proxy_location::{
    KONG_HTTP_PORT, KONG_HTTPS_PORT, KONG_MANAGED_HEADERS, KONG_SERVER_NAME, KongVars,
    MACHINE_HOSTNAME,
};
