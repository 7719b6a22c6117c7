//! A text of the telemetry record (host, path, user agent…), bounded so that a whole record fits one
//! line of Kong's error log: nginx cuts every error-log line at 2,048 bytes (`NGX_MAX_ERROR_STR`,
//! `src/core/ngx_log.h`), and a cut record no longer parses — `kdp-migrate report` could only count
//! it as malformed. A text over its bound keeps its beginning and ends with [`RecordText::CUT_MARKER`].

use std::fmt;

use serde::{Serialize, Serializer};

/// A record text: all of it, or its beginning when it was over its bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordText<'a> {
    kept: &'a str,
    cut: bool,
}

impl<'a> RecordText<'a> {
    /// What ends a text that was cut (U+2026, three bytes).
    pub const CUT_MARKER: &'static str = "\u{2026}";

    /// `text`, cut at a character boundary when its JSON string (without the quotes) would take more
    /// than `max` bytes; the kept beginning and the marker then take at most `max`.
    pub fn new(text: &'a str, max: usize) -> Self {
        // The common cases first: short enough even if all escaped as `\u00xx`, or fitting once
        // measured byte by byte (a tight loop; the walk by characters is only for a cut).
        if text.len().saturating_mul(6) <= max
            || text.bytes().map(escaped_byte_len).sum::<usize>() <= max
        {
            return RecordText {
                kept: text,
                cut: false,
            };
        }
        let budget = max.saturating_sub(Self::CUT_MARKER.len());
        let mut written = 0;
        let mut fits_with_marker = 0;
        for (at, character) in text.char_indices() {
            if written <= budget {
                fits_with_marker = at;
            }
            written += escaped_len(character);
            if written > max {
                return RecordText {
                    kept: text.get(..fits_with_marker).unwrap_or_default(),
                    cut: true,
                };
            }
        }
        RecordText {
            kept: text,
            cut: false,
        }
    }

    /// The kept text (without the marker).
    pub fn kept(&self) -> &'a str {
        self.kept
    }

    /// Whether the text was cut.
    pub fn is_cut(&self) -> bool {
        self.cut
    }
}

/// The bytes `character` takes in a JSON string, as `serde_json` escapes it.
fn escaped_len(character: char) -> usize {
    match character {
        '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
        '\0'..='\u{1f}' => 6,
        _ => character.len_utf8(),
    }
}

/// The bytes `byte` of a UTF-8 text takes in a JSON string (a byte of a multi-byte character: 1).
fn escaped_byte_len(byte: u8) -> usize {
    match byte {
        b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
        0x00..=0x1f => 6,
        _ => 1,
    }
}

impl fmt::Display for RecordText<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.kept)?;
        if self.cut {
            formatter.write_str(Self::CUT_MARKER)?;
        }
        Ok(())
    }
}

impl Serialize for RecordText<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.cut {
            serializer.collect_str(self)
        } else {
            serializer.serialize_str(self.kept)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RecordText;

    fn json_len(text: RecordText<'_>) -> usize {
        serde_json::to_string(&text).map_or(0, |json| json.len() - 2)
    }

    #[test]
    fn a_text_within_its_bound_is_whole() {
        for text in ["", "/v1/orders", "a\"b\\c\n", &"x".repeat(64)] {
            let bounded = RecordText::new(text, 64);
            assert_eq!((bounded.kept(), bounded.is_cut()), (text, false));
        }
    }

    #[test]
    fn a_text_over_its_bound_keeps_its_beginning_and_the_marker_within_the_bound() {
        let cases = [
            ("x".repeat(65), "x".repeat(61)),
            ("é".repeat(40), "é".repeat(30)),
            ("\u{1}".repeat(20), "\u{1}".repeat(10)),
            (format!("{}\"\"", "y".repeat(61)), "y".repeat(61)),
        ];
        for (text, kept) in cases {
            let bounded = RecordText::new(&text, 64);
            assert!(bounded.is_cut(), "{text:?}");
            assert_eq!(bounded.kept(), kept, "{text:?}");
            assert!(json_len(bounded) <= 64, "{text:?}: {}", json_len(bounded));
            assert_eq!(bounded.to_string(), format!("{kept}\u{2026}"));
        }
    }
}
