//! YAML (and JSON) documents in and out, through one maintained crate (`serde-saphyr`): anchors,
//! aliases and merge keys (`<<`) on read, a line and column for every error and for every value,
//! and a writer whose output is deterministic: mapping keys sorted as decK sorts them, one shared
//! value written once under an anchor and referenced by aliases elsewhere.

mod locations;
mod read;
mod write;

pub use locations::{Locations, Position};
pub use read::{Parsed, YamlError, parse, parse_value};
pub use write::{WriteError, comment, to_yaml};
