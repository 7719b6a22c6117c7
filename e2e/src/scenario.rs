//! The seed scenario's names (`kong/map.json`) and maps derived from it for one test.

use crate::error::{Context, Error, Result};
use serde_json::Value;

/// The short domain.
pub const SHORT: &str = "dev-01.aliyun.cloud.cn.aibang";
/// api01's long host.
pub const LONG1: &str = "api01.target-team2.dev.aliyun.cloud.cn.aibang";
/// api02's long host.
pub const LONG2: &str = "api02.target-team2.dev.aliyun.cloud.cn.aibang";
/// api01's legacy host.
pub const LEGACY1: &str = "api01.source-team1.dev.aliyun.cloud.cn.aibang";
/// api02's legacy host.
pub const LEGACY2: &str = "api02.source-team1.dev.aliyun.cloud.cn.aibang";
/// A host the map does not know.
pub const OTHER: &str = "unrelated.example.test";

/// The seed map with `patch` merged in (RFC 7386 JSON merge patch: objects merge, `null` removes, anything else
/// replaces), as JSON text.
pub fn seed_with(patch: &Value) -> Result<String> {
    let seed = crate::paths::seed_map()?;
    let mut map: Value = serde_json::from_str(&seed).context("kong/map.json")?;
    merge(&mut map, patch);
    if !map.is_object() {
        return Err(Error::new("the patched map is not an object"));
    }
    Ok(map.to_string())
}

fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                if value.is_null() {
                    target.remove(key);
                } else {
                    merge(target.entry(key.clone()).or_insert(Value::Null), value);
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}
