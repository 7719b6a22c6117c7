//! The migration map exactly as written (JSON), before validation.
//!
//! These types mirror the document field for field; `MigrationMap::from_json` turns them into the
//! validated, indexed map the decisions use. Unknown fields are refused everywhere.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{Error as _, MapAccess, SeqAccess, Unexpected, Visitor};
use serde::{Deserialize, Deserializer};

/// The whole document.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a JSON object")]
pub(crate) struct MapDocument {
    #[serde(default, deserialize_with = "required")]
    pub short_host: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub long_host: Option<String>,
    #[serde(default, deserialize_with = "list")]
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

/// A JSON list, or `{}` read as the empty list: Kong 3.9 stores a declarative file's `[]` without
/// its array-ness and hands it to the filter as `{}` (kong/runloop/wasm.lua:381-397, after
/// kong/db/declarative/marshaller.lua). An object with members is still refused:
/// `invalid type: map, expected a sequence`.
#[derive(Debug)]
pub(crate) struct List<T>(pub Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
            type Value = List<T>;
            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(List(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                match map.next_key::<serde::de::IgnoredAny>()? {
                    None => Ok(List(Vec::new())),
                    Some(_) => Err(A::Error::invalid_type(Unexpected::Map, &self)),
                }
            }
        }
        // serde_json's `deserialize_struct` takes a list or an object and names anything else as
        // not "a sequence" (the visitor's words); `deserialize_any` would do too, for 2 KB more
        // of the filter.
        deserializer.deserialize_struct("List", &[], ListVisitor(PhantomData))
    }
}

fn list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Vec<T>, D::Error> {
    List::deserialize(deserializer).map(|List(items)| items)
}

/// [`present`] for a [`List`].
fn present_list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Vec<T>>, D::Error> {
    present::<D, List<T>>(deserializer).map(|list| list.map(|List(items)| items))
}

fn objects<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Vec<T>>, D::Error> {
    // `apis` keeps serde's list: Kong's schema refuses an empty `apis` (`minItems: 1`), so `{}`
    // never reaches the filter here.
    match Option::<Vec<Object<T>>>::deserialize(deserializer)? {
        Some(list) => Ok(Some(list.into_iter().map(|Object(item)| item).collect())),
        None => Err(D::Error::custom("is required and must not be null")),
    }
}

/// A non-negative integer in any JSON notation: `300`, `300.0`, `3e2`, `-0`. Kong's schema
/// validator calls any whole number an integer (lua-resty-ljsonschema: `fmod(v, 1.0) == 0.0`),
/// and Kong re-encodes numbers on their way to the filter with 16 significant digits (`1e2` →
/// `100`, `-0.0` → `-0`, 10^16 → `1e+16`). Anything else keeps serde's message for a `u64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Whole(pub u64);

impl<'de> Deserialize<'de> for Whole {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct WholeVisitor;
        impl Visitor<'_> for WholeVisitor {
            type Value = Whole;
            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("u64")
            }
            fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Whole, E> {
                Ok(Whole(value))
            }
            fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<Whole, E> {
                u64::try_from(value)
                    .map(Whole)
                    .map_err(|_| E::invalid_value(Unexpected::Signed(value), &self))
            }
            fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<Whole, E> {
                // 2^64 is the first whole number above u64::MAX; -0.0 is zero.
                if value.fract() == 0.0 && value > -1.0 && value < 18_446_744_073_709_551_616.0 {
                    Ok(Whole(value as u64))
                } else {
                    Err(E::invalid_type(Unexpected::Float(value), &self))
                }
            }
        }
        // serde_json's `deserialize_u64` parses any number and hands it to visit_u64, visit_i64
        // or visit_f64 as written; other types get its "expected u64" message.
        deserializer.deserialize_u64(WholeVisitor)
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
    #[serde(default, deserialize_with = "present_list")]
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
    pub status: Option<Whole>,
    #[serde(default, deserialize_with = "present")]
    pub scheme: Option<Scheme>,
    #[serde(default, deserialize_with = "present")]
    pub redirect_percent: Option<Whole>,
    #[serde(default, deserialize_with = "present")]
    pub redirect_header: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub redirect_max_age: Option<Whole>,
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
