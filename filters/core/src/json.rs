//! JSON values written straight into a line, the way `serde_json` writes them: the same escapes,
//! the same number formats (its own `itoa` and `zmij`), `null` for a missing or non-finite value.

use crate::record_text::RecordText;

/// `value` as a JSON string: `"` and `\` escaped, control characters as `\n`-style or `\u00xx`
/// escapes, everything else (non-ASCII included) as is.
pub(crate) fn string(out: &mut String, value: &str) {
    out.push('"');
    contents(out, value);
    out.push('"');
}

/// A record text as a JSON string: its kept text, then the cut marker if it was cut.
pub(crate) fn text(out: &mut String, value: RecordText<'_>) {
    out.push('"');
    contents(out, value.kept());
    if value.is_cut() {
        out.push_str(RecordText::CUT_MARKER);
    }
    out.push('"');
}

/// A record text or `null`.
pub(crate) fn optional_text(out: &mut String, value: Option<RecordText<'_>>) {
    match value {
        Some(value) => text(out, value),
        None => out.push_str("null"),
    }
}

/// The inside of a JSON string for `value`, escaped.
fn contents(out: &mut String, value: &str) {
    // Hosts, paths and methods almost never need an escape: one test, one copy.
    if !value.bytes().any(needs_escape) {
        out.push_str(value);
        return;
    }
    let mut clean_from = 0;
    for (at, byte) in value.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        // Escaped bytes are ASCII, so both ends of the clean run are character boundaries.
        out.push_str(value.get(clean_from..at).unwrap_or_default());
        if escape.is_empty() {
            out.push_str("\\u00");
            out.push(hex_digit(byte >> 4));
            out.push(hex_digit(byte & 0xf));
        } else {
            out.push_str(escape);
        }
        clean_from = at + 1;
    }
    out.push_str(value.get(clean_from..).unwrap_or_default());
}

/// A string or `null`.
pub(crate) fn optional_string(out: &mut String, value: Option<&str>) {
    match value {
        Some(value) => string(out, value),
        None => out.push_str("null"),
    }
}

/// An integer or `null`.
pub(crate) fn optional_integer<I: itoa::Integer>(out: &mut String, value: Option<I>) {
    match value {
        Some(value) => out.push_str(itoa::Buffer::new().format(value)),
        None => out.push_str("null"),
    }
}

/// A finite float (shortest round-trip form, `1.0` not `1`) or `null`.
pub(crate) fn optional_float(out: &mut String, value: Option<f64>) {
    match value.filter(|value| value.is_finite()) {
        Some(value) => out.push_str(zmij::Buffer::new().format_finite(value)),
        None => out.push_str("null"),
    }
}

fn needs_escape(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

fn hex_digit(nibble: u8) -> char {
    char::from(
        b"0123456789abcdef"
            .get(usize::from(nibble))
            .copied()
            .unwrap_or(b'0'),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(write: impl FnOnce(&mut String)) -> String {
        let mut out = String::new();
        write(&mut out);
        out
    }

    #[test]
    fn strings_escape_exactly_as_serde_json() {
        let mut every_control: String = (0u8..0x20).map(char::from).collect();
        every_control.push_str("\"\\/\u{7f}é\u{2028}😀");
        for value in [
            "",
            "plain",
            "/api01/x?q=1",
            "evil\"host",
            "a\\b",
            "x\r\ny\0",
            &every_control,
        ] {
            let expected = serde_json::to_string(value).unwrap();
            assert_eq!(written(|out| string(out, value)), expected, "{value:?}");
        }
    }

    #[test]
    fn numbers_are_written_as_serde_json() {
        for value in [0.0, 0.001, 1.0, 1.5, 2.5, 1234.5678, 1e-7, 1e21, 3.0e-3] {
            let expected = serde_json::to_string(&value).unwrap();
            assert_eq!(written(|out| optional_float(out, Some(value))), expected);
        }
        for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(written(|out| optional_float(out, Some(value))), "null");
        }
        assert_eq!(written(|out| optional_float(out, None)), "null");
        assert_eq!(
            written(|out| optional_integer(out, Some(u64::MAX))),
            "18446744073709551615"
        );
        assert_eq!(written(|out| optional_integer::<u16>(out, None)), "null");
        assert_eq!(written(|out| optional_string(out, None)), "null");
    }
}
