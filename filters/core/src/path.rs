//! The raw request path: splitting off the query, and refusing paths that could escape a prefix.
//!
//! Everything here works on the *raw* request target (Kong's `request.path` = nginx `$request_uri`,
//! Envoy's `:path`): nginx's `:path` is already decoded and dot-resolved, so `/api01/%2e%2e/api02`
//! would look like `/api02` there and a check on it would be worthless.

use std::fmt;

/// A raw request target split at the first `?`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawPath<'r> {
    /// The path part, as sent (still percent-encoded).
    pub path: &'r str,
    /// The query without its `?`, byte for byte; `None` when there was no `?` at all.
    pub query: Option<&'r str>,
}

impl<'r> RawPath<'r> {
    /// Splits a raw request target.
    pub fn split(target: &'r str) -> Self {
        match target.split_once('?') {
            Some((path, query)) => RawPath {
                path,
                query: Some(query),
            },
            None => RawPath {
                path: target,
                query: None,
            },
        }
    }
}

/// Why a path is refused with 400. The `code` goes into telemetry and the JSON body.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnsafePath {
    /// Not origin-form (`/...`): absolute-form, `*`, or empty.
    NotOriginForm,
    /// A `.` or `..` segment, plain or percent-encoded.
    DotSegment,
    /// `%2F` anywhere in the path.
    EncodedSlash,
    /// `%5C` anywhere in the path.
    EncodedBackslash,
    /// A raw `\`, which some servers treat as `/`.
    Backslash,
    /// `%00` anywhere in the path.
    EncodedNul,
    /// A control character, space or DEL in the path or query.
    ControlCharacter,
    /// A raw byte outside ASCII (it must be percent-encoded), or bytes that are not UTF-8.
    NonAscii,
}

impl UnsafePath {
    /// Stable machine-readable code.
    pub fn code(self) -> &'static str {
        match self {
            UnsafePath::NotOriginForm => "not_origin_form",
            UnsafePath::DotSegment => "dot_segment",
            UnsafePath::EncodedSlash => "encoded_slash",
            UnsafePath::EncodedBackslash => "encoded_backslash",
            UnsafePath::Backslash => "backslash",
            UnsafePath::EncodedNul => "encoded_nul",
            UnsafePath::ControlCharacter => "control_character",
            UnsafePath::NonAscii => "non_ascii",
        }
    }
}

impl fmt::Display for UnsafePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UnsafePath::NotOriginForm => "the path must start with '/'",
            UnsafePath::DotSegment => "the path has a '.' or '..' segment",
            UnsafePath::EncodedSlash => "the path has an encoded slash (%2F)",
            UnsafePath::EncodedBackslash => "the path has an encoded backslash (%5C)",
            UnsafePath::Backslash => "the path has a backslash",
            UnsafePath::EncodedNul => "the path has an encoded NUL (%00)",
            UnsafePath::ControlCharacter => "the request target has a control character or space",
            UnsafePath::NonAscii => {
                "the request target has a byte outside ASCII (percent-encode it)"
            }
        })
    }
}

/// Checks a raw request target; `Ok` means it cannot walk out of the segment it names.
pub fn check(raw: RawPath<'_>) -> Result<(), UnsafePath> {
    if !raw.path.starts_with('/') {
        return Err(UnsafePath::NotOriginForm);
    }
    let has_control = |s: &str| s.bytes().any(|b| b <= b' ' || b == 0x7f);
    if has_control(raw.path) || raw.query.is_some_and(has_control) {
        return Err(UnsafePath::ControlCharacter);
    }
    if !raw.path.is_ascii() || !raw.query.is_none_or(str::is_ascii) {
        return Err(UnsafePath::NonAscii);
    }
    if raw.path.contains('\\') {
        return Err(UnsafePath::Backslash);
    }
    let bytes = raw.path.as_bytes();
    for (at, _) in raw.path.match_indices('%') {
        let encoded = bytes.get(at + 1..at + 3).map(|pair| {
            [
                pair.first().copied().unwrap_or(0),
                pair.get(1).copied().unwrap_or(0),
            ]
        });
        match encoded.map(|[hi, lo]| [hi, lo.to_ascii_lowercase()]) {
            Some([b'2', b'f']) => return Err(UnsafePath::EncodedSlash),
            Some([b'5', b'c']) => return Err(UnsafePath::EncodedBackslash),
            Some([b'0', b'0']) => return Err(UnsafePath::EncodedNul),
            _ => {}
        }
    }
    if raw.path.split('/').any(is_dot_segment) {
        return Err(UnsafePath::DotSegment);
    }
    Ok(())
}

/// `.` or `..`, with any dot possibly written as `%2e`/`%2E`.
fn is_dot_segment(segment: &str) -> bool {
    let mut rest = segment;
    let mut dots = 0;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            rest = after;
        } else if rest.len() >= 3 && rest.get(..3).is_some_and(|s| s.eq_ignore_ascii_case("%2e")) {
            rest = rest.get(3..).unwrap_or("");
        } else {
            return false;
        }
        dots += 1;
        if dots > 2 {
            return false;
        }
    }
    dots > 0
}

/// Collapses a run of leading slashes into one, so that a path can never be read as
/// `//host/...` (a protocol-relative URL) once it is put into a `Location`.
pub fn collapse_leading_slashes(path: &str) -> &str {
    let trimmed = path.trim_start_matches('/');
    if trimmed.len() + 1 < path.len() {
        // `path` had two or more leading slashes: keep exactly one.
        path.get(path.len() - trimmed.len() - 1..).unwrap_or(path)
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_target(target: &str) -> Result<(), UnsafePath> {
        check(RawPath::split(target))
    }

    #[test]
    fn split_keeps_query_bytes() {
        assert_eq!(
            RawPath::split("/a/b?x=%20&y=1?z"),
            RawPath {
                path: "/a/b",
                query: Some("x=%20&y=1?z")
            }
        );
        assert_eq!(
            RawPath::split("/a?"),
            RawPath {
                path: "/a",
                query: Some("")
            }
        );
        assert_eq!(
            RawPath::split("/a"),
            RawPath {
                path: "/a",
                query: None
            }
        );
    }

    #[test]
    fn safe_paths_pass() {
        for target in [
            "/",
            "/api01",
            "/api01/",
            "/api01/x.y/..z/.well-known",
            "/a%20b?q=../x",
            "/a//b",
            "/%2E%2Ex",
        ] {
            assert_eq!(check_target(target), Ok(()), "{target}");
        }
    }

    #[test]
    fn unsafe_paths_are_named() {
        let cases = [
            ("api01", UnsafePath::NotOriginForm),
            ("http://x/api01", UnsafePath::NotOriginForm),
            ("*", UnsafePath::NotOriginForm),
            ("", UnsafePath::NotOriginForm),
            ("/api01/./x", UnsafePath::DotSegment),
            ("/api01/../api02", UnsafePath::DotSegment),
            ("/api01/.", UnsafePath::DotSegment),
            ("/api01/..", UnsafePath::DotSegment),
            ("/api01/%2e%2e/api02", UnsafePath::DotSegment),
            ("/api01/%2E./x", UnsafePath::DotSegment),
            ("/api01/.%2e", UnsafePath::DotSegment),
            ("/api01/%2e", UnsafePath::DotSegment),
            ("/api01/a%2Fb", UnsafePath::EncodedSlash),
            ("/api01/a%2fb", UnsafePath::EncodedSlash),
            ("/api01/a%5cb", UnsafePath::EncodedBackslash),
            ("/api01/a%5Cb", UnsafePath::EncodedBackslash),
            ("/api01\\..\\x", UnsafePath::Backslash),
            ("/api01/%00", UnsafePath::EncodedNul),
            ("/api01/a b", UnsafePath::ControlCharacter),
            ("/api01/a?x=\r\n", UnsafePath::ControlCharacter),
            ("/api01/caf\u{e9}", UnsafePath::NonAscii),
            ("/api01/x?q=\u{fffd}", UnsafePath::NonAscii),
        ];
        for (target, expected) in cases {
            assert_eq!(check_target(target), Err(expected), "{target:?}");
        }
    }

    #[test]
    fn leading_slashes_collapse() {
        assert_eq!(
            collapse_leading_slashes("//evil.example/x"),
            "/evil.example/x"
        );
        assert_eq!(collapse_leading_slashes("///x"), "/x");
        assert_eq!(collapse_leading_slashes("/x//y"), "/x//y");
        assert_eq!(collapse_leading_slashes("/"), "/");
        assert_eq!(collapse_leading_slashes(""), "");
    }
}
