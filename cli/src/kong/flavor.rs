//! `router_flavor` of kong.conf: which of Kong 3.9's routers runs.

use std::fmt;
use std::str::FromStr;

/// The router Kong runs (`router_flavor`, `kong/templates/kong_defaults.lua:189`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RouterFlavor {
    /// The default: the ATC router fed with expressions built from the traditional route fields
    /// (`kong/router/compat.lua`). A route's `path_handling` is ignored: the upstream path is
    /// always `get_upstream_uri_v0` (`kong/router/atc.lua:343`).
    #[default]
    TraditionalCompatible,
    /// The old Lua router (`kong/router/traditional.lua`). Here only its upstream path is modelled
    /// (`path_handling: v1` counts, `traditional.lua:1285-1301`); matching and route order are
    /// modelled as for `traditional_compatible`.
    Traditional,
}

impl RouterFlavor {
    /// The kong.conf spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RouterFlavor::TraditionalCompatible => "traditional_compatible",
            RouterFlavor::Traditional => "traditional",
        }
    }
}

impl fmt::Display for RouterFlavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RouterFlavor {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "traditional_compatible" => Ok(RouterFlavor::TraditionalCompatible),
            "traditional" => Ok(RouterFlavor::Traditional),
            "expressions" => Err(
                "router_flavor \"expressions\" is not modelled (routes written as ATC expressions)"
                    .to_owned(),
            ),
            other => Err(format!(
                "unknown router_flavor {other:?} (expected traditional_compatible or traditional)"
            )),
        }
    }
}
