//! Small helpers to read fields of recorded JSON with exact error messages.

use serde_json::Value;

/// A required string field, named by its path in messages.
pub(super) fn string<'v>(value: &'v Value, key: &str, path: &str) -> Result<&'v str, String> {
    match value.get(key) {
        Some(Value::String(text)) => Ok(text),
        Some(_) => Err(format!("{path} is not a string")),
        None => Err(format!("{path} is missing")),
    }
}

/// An optional string field.
pub(super) fn optional_string<'v>(
    value: &'v Value,
    key: &str,
    path: &str,
) -> Result<Option<&'v str>, String> {
    match value.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(format!("{path} is not a string")),
    }
}

/// Headers recorded as an object whose values are strings or arrays of strings (Kong's
/// serializer, JSONL), flattened to pairs.
pub(super) fn header_object(
    value: Option<&Value>,
    path: &str,
) -> Result<Vec<(String, String)>, String> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let Value::Object(map) = value else {
        return Err(format!("{path} is not an object"));
    };
    let mut pairs = Vec::with_capacity(map.len());
    for (name, value) in map {
        match value {
            Value::String(text) => pairs.push((name.clone(), text.clone())),
            Value::Array(items) => {
                for item in items {
                    let Value::String(text) = item else {
                        return Err(format!(
                            "{path}.{name} is not a string or a list of strings"
                        ));
                    };
                    pairs.push((name.clone(), text.clone()));
                }
            }
            _ => {
                return Err(format!(
                    "{path}.{name} is not a string or a list of strings"
                ));
            }
        }
    }
    Ok(pairs)
}

/// A status code field, if present.
pub(super) fn status(value: Option<&Value>, path: &str) -> Result<Option<u16>, String> {
    let number = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(number)) => number.as_u64(),
        Some(Value::String(text)) => text.parse::<u64>().ok(),
        Some(_) => None,
    };
    match number.and_then(|number| u16::try_from(number).ok()) {
        Some(0) => Ok(None),
        Some(status) if (100..=999).contains(&status) => Ok(Some(status)),
        _ => Err(format!("{path} is not an HTTP status")),
    }
}

/// Whether a recorded path is usable as a request target.
pub(super) fn check_target(path: &str, field: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err(format!("{field} is empty"));
    }
    if !path.starts_with('/') {
        return Err(format!("{field} does not start with /"));
    }
    if path
        .bytes()
        .any(|byte| byte.is_ascii_control() || byte == b' ')
    {
        return Err(format!("{field} contains a space or a control character"));
    }
    Ok(())
}
