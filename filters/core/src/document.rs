//! The migration map exactly as written (JSON), before validation.
//!
//! These types mirror the document field for field; `MigrationMap::from_json` turns them into the
//! validated, indexed map the decisions use. Unknown fields are refused everywhere.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{Error as _, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// The whole document.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a JSON object")]
pub(crate) struct MapDocument {
    #[serde(default, deserialize_with = "required")]
    pub short_host: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub long_host: Option<String>,
    #[serde(default)]
    pub legacy_hosts: Vec<String>,
    #[serde(default, deserialize_with = "objects")]
    pub apis: Option<Vec<ApiDocument>>,
    #[serde(default, deserialize_with = "object")]
    pub legacy: LegacyDocument,
    #[serde(default, deserialize_with = "not_null")]
    pub unmatched: Unmatched,
    #[serde(default = "yes", deserialize_with = "not_null")]
    pub rewrite_responses: bool,
    #[serde(default, deserialize_with = "not_null")]
    pub trailing_slash: TrailingSlash,
    #[serde(default, deserialize_with = "not_null")]
    pub telemetry: TelemetrySink,
}

fn yes() -> bool {
    true
}

/// A struct read only from a JSON object. serde's derive also builds structs from arrays (fields
/// by position), which would let the core accept maps that Kong's JSON schema refuses.
#[derive(Debug)]
pub(crate) struct Object<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = Object<T>;
            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(Object)
            }
        }
        deserializer.deserialize_map(ObjectVisitor(PhantomData))
    }
}

fn objects<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Vec<T>>, D::Error> {
    match Option::<Vec<Object<T>>>::deserialize(deserializer)? {
        Some(list) => Ok(Some(list.into_iter().map(|Object(item)| item).collect())),
        None => Err(D::Error::custom("is required and must not be null")),
    }
}

fn object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<T, D::Error> {
    Object::<T>::deserialize(deserializer).map(|Object(item)| item)
}

fn boxed_object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Box<T>>, D::Error> {
    object(deserializer).map(|item| Some(Box::new(item)))
}

/// A field with a default value that, when written, must hold a value.
fn not_null<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    present(deserializer)
        .and_then(|value| value.ok_or_else(|| D::Error::custom("must not be null")))
}

/// A required field: absent is reported by validation ("is required"), `null` here.
fn required<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    match Option::<T>::deserialize(deserializer)? {
        Some(value) => Ok(Some(value)),
        None => Err(D::Error::custom("is required and must not be null")),
    }
}

/// An optional field that, when written, must hold a value: `Option<T>`'s own `Deserialize` reads
/// `null` as absent, and a per-API `null` would then silently inherit the global value.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    match Option::<T>::deserialize(deserializer)? {
        Some(value) => Ok(Some(value)),
        None => Err(D::Error::custom(
            "must not be null (leave the field out for its default)",
        )),
    }
}

/// One entry of `apis`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a JSON object")]
pub(crate) struct ApiDocument {
    #[serde(default, deserialize_with = "required")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub prefix: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub long_host: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub legacy_hosts: Option<Vec<String>>,
    /// Boxed: few APIs have a block, and the list of 10,000 documents is moved around while it
    /// is read; inline, the block was more than half of each entry.
    #[serde(default, deserialize_with = "boxed_object")]
    pub legacy: Option<Box<LegacyDocument>>,
}

impl ApiDocument {
    /// The API's own `legacy` block; empty when it has none.
    pub fn legacy(&self) -> &LegacyDocument {
        self.legacy.as_deref().unwrap_or(&NO_OVERRIDES)
    }
}

static NO_OVERRIDES: LegacyDocument = LegacyDocument {
    action: None,
    target: None,
    status: None,
    scheme: None,
    redirect_percent: None,
    redirect_header: None,
    redirect_max_age: None,
    deprecation: None,
    sunset: None,
    deprecation_link: None,
    after_sunset: None,
};

/// `legacy`, globally or per API: every field optional so that a per-API block only overrides what it names.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a JSON object")]
pub(crate) struct LegacyDocument {
    #[serde(default, deserialize_with = "present")]
    pub action: Option<LegacyAction>,
    #[serde(default, deserialize_with = "present")]
    pub target: Option<RedirectTarget>,
    #[serde(default, deserialize_with = "present")]
    pub status: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    pub scheme: Option<Scheme>,
    #[serde(default, deserialize_with = "present")]
    pub redirect_percent: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    pub redirect_header: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub redirect_max_age: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    pub deprecation: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub sunset: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub deprecation_link: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub after_sunset: Option<AfterSunset>,
}

impl LegacyDocument {
    /// Whether the block sets no field, so that an API with it keeps the map's policy as is.
    pub fn overrides_nothing(&self) -> bool {
        // Destructured so that a new field cannot be forgotten here.
        let LegacyDocument {
            action,
            target,
            status,
            scheme,
            redirect_percent,
            redirect_header,
            redirect_max_age,
            deprecation,
            sunset,
            deprecation_link,
            after_sunset,
        } = self;
        action.is_none()
            && target.is_none()
            && status.is_none()
            && scheme.is_none()
            && redirect_percent.is_none()
            && redirect_header.is_none()
            && redirect_max_age.is_none()
            && deprecation.is_none()
            && sunset.is_none()
            && deprecation_link.is_none()
            && after_sunset.is_none()
    }
}

/// What happens to a request on a legacy host.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LegacyAction {
    /// Answer with a redirect to the new entry.
    #[default]
    Redirect,
    /// Forward to the API's long host.
    Proxy,
    /// Forward unchanged; telemetry records what redirect mode would have done.
    Observe,
}

/// Where a legacy redirect points.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RedirectTarget {
    /// `scheme://short_host/prefix/path`.
    #[default]
    Short,
    /// `scheme://long_host/path`.
    Long,
}

/// The scheme of a legacy redirect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// `https`.
    #[default]
    Https,
    /// `http`.
    Http,
}

impl Scheme {
    /// `https` or `http`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Https => "https",
            Scheme::Http => "http",
        }
    }
}

/// What legacy requests get once the sunset has passed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AfterSunset {
    /// Nothing changes.
    #[default]
    Keep,
    /// 410 Gone with the successor URL.
    Gone,
}

/// What the router does with a short-host path no API owns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unmatched {
    /// 404 with a JSON body.
    #[default]
    Reject,
    /// Forward unchanged.
    Pass,
}

/// Where the telemetry role writes its per-request record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TelemetrySink {
    /// One info-level line per request in the engine's log (Kong's error log, Envoy's log).
    #[default]
    Log,
    /// In Envoy, the filter state `kdp_migrate.record`, which an access log prints with
    /// `%FILTER_STATE(wasm.kdp_migrate.record:PLAIN)%`: Envoy writes access logs buffered, its own log
    /// line by line. Kong has no access log that reads it, so there the record stays a log line.
    FilterState,
    /// In Kong, `kong.ctx.shared.kdp_migrate`, which Kong's own log plugins (file-log, http-log,
    /// tcp-log, …) copy into their entries with `custom_fields_by_lua`. Kong runs those plugins
    /// before the filters' `on_log`, so the record is written with the response headers and its
    /// latency is the time to them. Envoy has no `kong.ctx`, so there it stays a log line.
    LogPlugins,
}

/// What the router does with a path that is exactly a prefix (`/api01`, no slash).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrailingSlash {
    /// Forward as `/`.
    #[default]
    Forward,
    /// 308 to `prefix/`, query kept.
    Redirect,
}
