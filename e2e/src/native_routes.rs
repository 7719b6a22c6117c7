//! The routing job of a migration map as a gateway's own routes would do it: the benchmarks' native baseline (b),
//! rendered for Envoy by [`crate::config`] and for Kong's engine by [`crate::kong_config`].
//!
//! Per API: on the short host, the API's prefix on a segment boundary is forwarded with the prefix stripped, the
//! API's long host and `X-Forwarded-Host`/`-Prefix`; any other short-host path gets a 404; each legacy host gets
//! the redirect (status, scheme, target short or long, `Cache-Control` as the filters send it) or, for
//! `action: proxy`, a forward with the long host. Everything else passes unchanged. Only what the seed scenario
//! and the benchmarks use: fields with no native equivalent (observe mode, canary share, deprecation headers) are
//! refused rather than silently dropped, so a baseline never does less than the filters it is compared with.

use crate::error::{Context, Error, Result};
use serde_json::Value;

/// A map's routing job, per API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeRoutes {
    /// The short host.
    pub short_host: String,
    /// Every API, in the map's order.
    pub apis: Vec<NativeApi>,
}

/// One API's routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeApi {
    /// Its name.
    pub name: String,
    /// Its prefix on the short host (`/seg[/seg…]`).
    pub prefix: String,
    /// Its long host.
    pub long_host: String,
    /// Its legacy hosts.
    pub legacy_hosts: Vec<String>,
    /// What its legacy hosts do.
    pub legacy: NativeLegacy,
}

/// What a legacy host does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NativeLegacy {
    /// Answers a redirect.
    Redirect(NativeRedirect),
    /// Forwards with the API's long host.
    Proxy,
}

/// A legacy redirect: `Location` = `<scheme>://<host><prefix><the request target as sent>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeRedirect {
    /// 301, 302, 303, 307 or 308.
    pub status: u16,
    /// `https` or `http`.
    pub scheme: String,
    /// The short host (`target: short`) or the API's long host (`target: long`).
    pub host: String,
    /// The API's prefix (`target: short`), or empty.
    pub prefix: String,
    /// The `Cache-Control` value the filters send with it.
    pub cache_control: String,
}

impl NativeRoutes {
    /// The routing job of `map` (the migration map as JSON).
    pub fn from_map(map: &Value) -> Result<NativeRoutes> {
        let short_host = str_field(map, "short_host")?
            .ok_or_else(|| Error::new("map: no short_host"))?
            .to_string();
        let long_pattern = str_field(map, "long_host")?;
        let legacy_patterns = str_list(map, "legacy_hosts")?;
        let global_legacy = map
            .get("legacy")
            .cloned()
            .unwrap_or_else(|| Value::Object(serde_json::Map::new()));
        let apis = map
            .get("apis")
            .and_then(Value::as_array)
            .ok_or_else(|| Error::new("map: no apis"))?;
        let mut out = Vec::new();
        for (i, api) in apis.iter().enumerate() {
            let name =
                str_field(api, "name")?.ok_or_else(|| Error::new(format!("apis[{i}]: no name")))?;
            let prefix =
                str_field(api, "prefix")?.map_or_else(|| format!("/{name}"), str::to_string);
            let long_host = match (str_field(api, "long_host")?, long_pattern) {
                (Some(host), _) | (None, Some(host)) => host.replace("{api}", name),
                (None, None) => return Err(Error::new(format!("apis[{i}]: no long_host"))),
            };
            let legacy_hosts: Vec<String> = match api.get("legacy_hosts") {
                Some(_) => str_list(api, "legacy_hosts")?,
                None => legacy_patterns.clone(),
            }
            .iter()
            .map(|h| h.replace("{api}", name))
            .collect();
            let mut legacy = global_legacy.clone();
            if let (Some(over), Some(base)) = (
                api.get("legacy").and_then(Value::as_object),
                legacy.as_object_mut(),
            ) {
                for (k, v) in over {
                    base.insert(k.clone(), v.clone());
                }
            }
            let legacy = native_legacy(&legacy, &short_host, &prefix, &long_host)
                .context(format!("apis[{i}].legacy"))?;
            out.push(NativeApi {
                name: name.to_string(),
                prefix,
                long_host,
                legacy_hosts,
                legacy,
            });
        }
        Ok(NativeRoutes {
            short_host,
            apis: out,
        })
    }

    /// The APIs, longest prefix first (the order the filters match in).
    pub fn by_longest_prefix(&self) -> Vec<&NativeApi> {
        let mut apis: Vec<&NativeApi> = self.apis.iter().collect();
        apis.sort_by_key(|api| std::cmp::Reverse(api.prefix.len()));
        apis
    }

    /// The API whose legacy host `host` is.
    pub fn legacy_api(&self, host: &str) -> Option<&NativeApi> {
        self.apis
            .iter()
            .find(|api| api.legacy_hosts.iter().any(|h| h == host))
    }
}

impl NativeRedirect {
    /// The redirect status's name in Envoy's `RedirectResponseCode`.
    pub fn envoy_code(&self) -> Result<&'static str> {
        Ok(match self.status {
            301 => "MOVED_PERMANENTLY",
            302 => "FOUND",
            303 => "SEE_OTHER",
            307 => "TEMPORARY_REDIRECT",
            308 => "PERMANENT_REDIRECT",
            other => return Err(Error::new(format!("status {other}"))),
        })
    }
}

fn native_legacy(
    legacy: &Value,
    short_host: &str,
    prefix: &str,
    long_host: &str,
) -> Result<NativeLegacy> {
    for unsupported in [
        "redirect_percent",
        "redirect_header",
        "deprecation",
        "sunset",
        "deprecation_link",
    ] {
        if legacy.get(unsupported).is_some() {
            return Err(Error::new(format!(
                "{unsupported} has no native equivalent here"
            )));
        }
    }
    match str_field(legacy, "action")?.unwrap_or("redirect") {
        "proxy" => Ok(NativeLegacy::Proxy),
        "redirect" => {
            let status = match legacy.get("status").map(Value::as_u64) {
                None => 308,
                Some(Some(status @ (301 | 302 | 303 | 307 | 308))) => status as u16,
                Some(other) => return Err(Error::new(format!("status {other:?}"))),
            };
            let scheme = str_field(legacy, "scheme")?.unwrap_or("https").to_string();
            let max_age = legacy
                .get("redirect_max_age")
                .and_then(Value::as_u64)
                .unwrap_or(300);
            let cache_control = if max_age == 0 {
                "no-store".to_string()
            } else {
                format!("max-age={max_age}")
            };
            let (host, prefix) = match str_field(legacy, "target")?.unwrap_or("short") {
                "short" => (short_host.to_string(), prefix.to_string()),
                "long" => (long_host.to_string(), String::new()),
                other => return Err(Error::new(format!("target {other}"))),
            };
            Ok(NativeLegacy::Redirect(NativeRedirect {
                status,
                scheme,
                host,
                prefix,
                cache_control,
            }))
        }
        other => Err(Error::new(format!(
            "action {other} has no native equivalent here"
        ))),
    }
}

fn str_field<'a>(value: &'a Value, key: &str) -> Result<Option<&'a str>> {
    match value.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Error::new(format!("map: {key} is not a string"))),
    }
}

fn str_list(value: &Value, key: &str) -> Result<Vec<String>> {
    match value.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| Error::new(format!("map: {key} has a non-string")))
            })
            .collect(),
        Some(_) => Err(Error::new(format!("map: {key} is not a list"))),
    }
}
