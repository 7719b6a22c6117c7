//! `cjson.safe.encode` as Kong 3.9 configures it (kong-3.9.3.md §6.3): lua-cjson 2.1.0.13
//! (OpenResty 1.25.3.2) with `encode_number_precision(16)` and a sparse-array safe limit of
//! 32768 (`kong/globalpatches.lua:19-21`), everything else at the library's defaults.

use std::fmt::Write as _;

use super::lua_value::{LuaKey, LuaValue};

/// `encode_sparse_array(nil, nil, 2^15)` (`kong/globalpatches.lua:20`).
const SPARSE_SAFE: f64 = 32768.0;
/// `encode_sparse_array`'s default ratio (`lua_cjson.c:75`).
const SPARSE_RATIO: f64 = 2.0;
/// `DEFAULT_ENCODE_MAX_DEPTH` (`lua_cjson.c:77`).
const MAX_DEPTH: usize = 1000;

/// Why cjson refuses to encode a value. Through `cjson.safe` the error becomes `nil`: Kong then
/// hands the filter no configuration at all (`kong/runloop/wasm.lua:381-397`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// NaN or ±Infinity (`encode_invalid_numbers` is off, `lua_cjson.c:686-690`).
    InvalidNumber,
    /// A table whose keys are all positive integers but too sparse to be an array
    /// (`lua_cjson.c:611-618`).
    SparseArray,
    /// Nesting deeper than 1000 tables (`lua_cjson.c:621-643`).
    TooDeep,
}

impl std::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            EncodeError::InvalidNumber => "Cannot serialise number: must not be NaN or Infinity",
            EncodeError::SparseArray => "Cannot serialise table: excessively sparse array",
            EncodeError::TooDeep => "Cannot serialise, excessive nesting (1001)",
        })
    }
}

/// The JSON text cjson writes for `value`.
pub fn encode(value: &LuaValue) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    append(value, 0, &mut out)?;
    Ok(out)
}

fn append(value: &LuaValue, depth: usize, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    match value {
        LuaValue::Null => out.extend_from_slice(b"null"),
        LuaValue::Boolean(true) => out.extend_from_slice(b"true"),
        LuaValue::Boolean(false) => out.extend_from_slice(b"false"),
        LuaValue::Number(number) => out.extend_from_slice(format_number(*number)?.as_bytes()),
        LuaValue::String(text) => append_string(text.as_bytes(), out),
        LuaValue::Table(entries) => {
            let depth = depth + 1;
            if depth > MAX_DEPTH {
                return Err(EncodeError::TooDeep);
            }
            match array_length(entries)? {
                Some(length) => append_array(entries, length, depth, out)?,
                None => append_object(entries, depth, out)?,
            }
        }
    }
    Ok(())
}

/// `lua_array_length` (`lua_cjson.c:580-619`): `Some(max key)` when every key is an integer ≥ 1
/// and the table is not excessively sparse; `None` for an object, including the empty table
/// (`encode_empty_table_as_object` is on: `[]` comes out as `{}`).
fn array_length(entries: &[(LuaKey, LuaValue)]) -> Result<Option<usize>, EncodeError> {
    if entries.is_empty() {
        return Ok(None);
    }
    let mut max = 0.0f64;
    for (key, _) in entries {
        match key {
            LuaKey::Number(index) if index.floor() == *index && *index >= 1.0 => {
                max = max.max(*index);
            }
            LuaKey::Number(_) | LuaKey::String(_) => return Ok(None),
        }
    }
    if max > entries.len() as f64 * SPARSE_RATIO && max > SPARSE_SAFE {
        return Err(EncodeError::SparseArray);
    }
    // Within the safe limit (or dense), so small enough for an index.
    Ok(Some(max as usize))
}

fn append_array(
    entries: &[(LuaKey, LuaValue)],
    length: usize,
    depth: usize,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    out.push(b'[');
    for index in 1..=length {
        if index > 1 {
            out.push(b',');
        }
        // A missing index is nil: `null` (`json_append_array`, `lua_cjson.c:653-678`).
        let item = entries.iter().find_map(|(key, value)| match key {
            LuaKey::Number(key) if *key == index as f64 => Some(value),
            LuaKey::Number(_) | LuaKey::String(_) => None,
        });
        match item {
            Some(value) => append(value, depth, out)?,
            None => out.extend_from_slice(b"null"),
        }
    }
    out.push(b']');
    Ok(())
}

/// `json_append_object` (`lua_cjson.c:720-764`). cjson writes the keys in `lua_next` order, the
/// Lua hash layout, which changes between Kong restarts (LuaJIT seeds its string hash per VM,
/// kong-3.9.3.md §6.3). The model writes them in byte order: one order Kong may produce, and
/// rarely the file's. Number keys are written as strings.
fn append_object(
    entries: &[(LuaKey, LuaValue)],
    depth: usize,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let mut keyed: Vec<(Vec<u8>, &LuaValue)> = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let mut text = Vec::new();
        match key {
            LuaKey::String(key) => append_string(key.as_bytes(), &mut text),
            LuaKey::Number(key) => {
                text.push(b'"');
                text.extend_from_slice(format_number(*key)?.as_bytes());
                text.push(b'"');
            }
        }
        keyed.push((text, value));
    }
    keyed.sort_by(|(a, _), (b, _)| a.cmp(b));
    out.push(b'{');
    for (position, (key, value)) in keyed.into_iter().enumerate() {
        if position > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&key);
        out.push(b':');
        append(value, depth, out)?;
    }
    out.push(b'}');
    Ok(())
}

/// `json_append_string` with `char2escape` (`lua_cjson.c:192-215,548-575`): `"`, `\` and `/`
/// escaped, `\b \t \n \f \r` in short form, other bytes below 0x20 and 0x7f as `\u00xx`
/// (lower-case hex), bytes ≥ 0x80 copied raw.
fn append_string(text: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &byte in text {
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            0x08 => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0x00..=0x1f | 0x7f => {
                let mut escape = String::with_capacity(6);
                let _ = write!(escape, "\\u{byte:04x}");
                out.extend_from_slice(escape.as_bytes());
            }
            _ => out.push(byte),
        }
    }
    out.push(b'"');
}

/// `snprintf("%.16g")` (`fpconv_g_fmt`, `fpconv.c:186-201`; the decimal point is always `.`):
/// 16 significant digits, correctly rounded; plain notation when the decimal exponent is in
/// `-4..16`, else `d.ddde±XX`; trailing zeros (and a bare `.`) removed.
pub fn format_number(number: f64) -> Result<String, EncodeError> {
    if !number.is_finite() {
        return Err(EncodeError::InvalidNumber);
    }
    if number == 0.0 {
        return Ok(if number.is_sign_negative() { "-0" } else { "0" }.to_owned());
    }
    // Rust's exact formatting rounds like glibc's printf (half to even on exact ties).
    let scientific = format!("{:.15e}", number.abs());
    let Some((mantissa, exponent)) = scientific.split_once('e') else {
        return Err(EncodeError::InvalidNumber);
    };
    let exponent: i32 = exponent.parse().map_err(|_| EncodeError::InvalidNumber)?;
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if number.is_sign_negative() { "-" } else { "" };
    if (-4..16).contains(&exponent) {
        let plain = if exponent >= 0 {
            let point = usize::try_from(exponent + 1).unwrap_or(0);
            let (whole, fraction) = digits.split_at(point.min(digits.len()));
            format!("{whole}.{fraction}")
        } else {
            let zeros = usize::try_from(-exponent - 1).unwrap_or(0);
            format!("0.{}{digits}", "0".repeat(zeros))
        };
        Ok(format!("{sign}{}", trim_fraction(&plain)))
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        let mantissa = trim_fraction(&format!("{first}.{rest}")).to_owned();
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        Ok(format!(
            "{sign}{mantissa}e{exponent_sign}{:02}",
            exponent.unsigned_abs()
        ))
    }
}

/// `%g` without `#`: no trailing zeros after the point, no point without digits after it.
fn trim_fraction(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Outputs kong-3.9.3.md §6.3 verified with the compiled lua-cjson 2.1.0.13 at precision 16,
    /// and more checked against Python's `'%.16g' % x` (the same C semantics).
    #[test]
    fn numbers_get_sixteen_significant_digits() {
        for (number, expected) in [
            (300.0, "300"),
            (1.0, "1"),
            (0.5, "0.5"),
            (0.1, "0.1"),
            (0.1 + 0.2, "0.3"),
            (1.0 / 3.0, "0.3333333333333333"),
            (1e15, "1000000000000000"),
            (1e16, "1e+16"),
            (9_007_199_254_740_992.0, "9007199254740992"),
            (123_456_789_012_345_678.0, "1.234567890123457e+17"),
            (9_223_372_036_854_775_808.0, "9.223372036854776e+18"),
            (-0.0, "-0"),
            (1e-7, "1e-07"),
            (5e-324, "4.940656458412465e-324"),
            (18_446_744_073_709_551_615.0, "1.844674407370955e+19"),
            (9_999_999_999_999_999.0, "1e+16"),
            (0.0001, "0.0001"),
            (0.00012345, "0.00012345"),
            (-2.5, "-2.5"),
            (1e300, "1e+300"),
            (1_234_567_890_123_456.5, "1234567890123456"),
            (1_234_567_890_123_457.5, "1234567890123458"),
        ] {
            assert_eq!(format_number(number).unwrap(), expected, "{number:e}");
        }
        assert_eq!(format_number(f64::NAN), Err(EncodeError::InvalidNumber));
        assert_eq!(
            format_number(f64::INFINITY),
            Err(EncodeError::InvalidNumber)
        );
    }

    #[test]
    fn strings_escape_slash_quote_backslash_and_controls_only() {
        let mut out = Vec::new();
        append_string("a/b\"c\\d\n\t\u{1}\u{7f}é\u{2028}".as_bytes(), &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"a\\/b\\\"c\\\\d\\n\\t\\u0001\\u007fé\u{2028}\""
        );
    }
}
