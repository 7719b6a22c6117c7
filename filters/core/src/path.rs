//! The raw request path: splitting off the query, finding where its segments end, and refusing
//! paths that could escape a prefix.
//!
//! Everything here works on the *raw* request target (Kong's `request.path` = nginx `$request_uri`,
//! Envoy's `:path`): nginx's `:path` is already decoded and dot-resolved, so `/api01/%2e%2e/api02`
//! would look like `/api02` there and a check on it would be worthless.

use std::fmt;

use crate::map::MAX_PREFIX_SEGMENTS;

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
    let facts = PathFacts::scan(raw.path, Until::End);
    facts.verdict(raw.path, raw.query)
}

/// A request target read in one pass: split at the first `?`, checked, and its first segments
/// found, so that a decision looks at each byte once.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ScannedTarget<'r> {
    /// The path and the query.
    pub raw: RawPath<'r>,
    /// What [`check`] says about `raw`.
    pub safety: Result<(), UnsafePath>,
    /// The first slashes of the path, for the prefix match.
    pub slashes: Slashes,
}

impl<'r> ScannedTarget<'r> {
    pub(crate) fn scan(target: &'r str) -> Self {
        let facts = PathFacts::scan(target, Until::Query);
        let raw = match (target.get(..facts.end), target.get(facts.end + 1..)) {
            (Some(path), Some(query)) => RawPath {
                path,
                query: Some(query),
            },
            _ => RawPath {
                path: target,
                query: None,
            },
        };
        ScannedTarget {
            raw,
            safety: facts.verdict(raw.path, raw.query),
            slashes: facts.slashes,
        }
    }
}

/// The positions of the first [`MAX_PREFIX_SEGMENTS`] slashes of a path after its first byte:
/// where its candidate prefixes end.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Slashes {
    at: [usize; MAX_PREFIX_SEGMENTS],
    count: usize,
}

impl Slashes {
    /// The slashes of a path (the path only: a `?` is an ordinary byte here).
    pub(crate) fn of(path: &str) -> Self {
        PathFacts::scan(path, Until::End).slashes
    }

    /// The slashes of a raw target's path, and where that path ends.
    pub(crate) fn of_target(target: &str) -> (Self, usize) {
        let facts = PathFacts::scan(target, Until::Query);
        (facts.slashes, facts.end)
    }

    fn push(&mut self, at: usize) {
        if let Some(slot) = self.at.get_mut(self.count) {
            *slot = at;
            self.count += 1;
        }
    }

    /// The positions found, in order.
    pub(crate) fn as_slice(&self) -> &[usize] {
        self.at.get(..self.count).unwrap_or_default()
    }
}

/// Where a scan stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Until {
    /// At the first `?`: the text is a whole request target.
    Query,
    /// At the end: the text is a path already split off.
    End,
}

/// What one pass over a path found, before [`PathFacts::verdict`] ranks it.
#[derive(Clone, Copy, Debug, Default)]
struct PathFacts {
    /// Where the path ends: its first `?` when scanning a target, else its length.
    end: usize,
    control: bool,
    non_ascii: bool,
    backslash: bool,
    /// The first `%2F`, `%5C` or `%00`: they rank by position among themselves.
    encoded: Option<UnsafePath>,
    dot_segment: bool,
    slashes: Slashes,
}

impl PathFacts {
    fn scan(text: &str, until: Until) -> Self {
        let bytes = text.as_bytes();
        let mut facts = PathFacts {
            end: bytes.len(),
            ..PathFacts::default()
        };
        let mut segment_start = 0;
        for (at, &byte) in bytes.iter().enumerate() {
            let noticed = NOTICED.get(usize::from(byte >> 6)).copied().unwrap_or(!0);
            if (noticed >> (byte & 63)) & 1 == 0 {
                continue;
            }
            match ByteClass::of(byte) {
                ByteClass::Plain => {}
                ByteClass::Slash => {
                    facts.dot_segment |= is_dot_segment_at(text, segment_start, at);
                    segment_start = at + 1;
                    if at > 0 {
                        facts.slashes.push(at);
                    }
                }
                ByteClass::Question if until == Until::Query => {
                    facts.end = at;
                    break;
                }
                ByteClass::Question => {}
                // The two bytes after a `%` may run past a `?` into the query: a `?` there never
                // completes `2F`, `5C` or `00`, so reading them from the whole text is the same.
                ByteClass::Percent if facts.encoded.is_none() => {
                    facts.encoded = match bytes.get(at + 1..at + 3) {
                        Some([hi, lo]) => match [*hi, lo.to_ascii_lowercase()] {
                            [b'2', b'f'] => Some(UnsafePath::EncodedSlash),
                            [b'5', b'c'] => Some(UnsafePath::EncodedBackslash),
                            [b'0', b'0'] => Some(UnsafePath::EncodedNul),
                            _ => None,
                        },
                        _ => None,
                    };
                }
                ByteClass::Percent => {}
                ByteClass::Backslash => facts.backslash = true,
                ByteClass::Control => facts.control = true,
                ByteClass::NonAscii => facts.non_ascii = true,
            }
        }
        facts.dot_segment |= is_dot_segment_at(text, segment_start, facts.end);
        facts
    }

    /// The first rule `path` (whose facts these are) and `query` break, in the order the 400
    /// names them.
    fn verdict(&self, path: &str, query: Option<&str>) -> Result<(), UnsafePath> {
        if !path.starts_with('/') {
            return Err(UnsafePath::NotOriginForm);
        }
        let printable = |b: u8| b > b' ' && b < 0x7f;
        let (query_control, query_non_ascii) = match query {
            Some(query) if !query.bytes().all(printable) => (
                query.bytes().any(|b| b <= b' ' || b == 0x7f),
                !query.is_ascii(),
            ),
            _ => (false, false),
        };
        if self.control || query_control {
            return Err(UnsafePath::ControlCharacter);
        }
        if self.non_ascii || query_non_ascii {
            return Err(UnsafePath::NonAscii);
        }
        if self.backslash {
            return Err(UnsafePath::Backslash);
        }
        if let Some(encoded) = self.encoded {
            return Err(encoded);
        }
        if self.dot_segment {
            return Err(UnsafePath::DotSegment);
        }
        Ok(())
    }
}

/// Bit `b % 64` of word `b / 64` is set for each byte `b` that is not [`ByteClass::Plain`]. Most
/// bytes of a path are plain, and one bit test for them is predictable where the comparisons of a
/// `match` were not (letters and digits took different branches).
const NOTICED: [u64; 4] = [noticed(0), noticed(1), noticed(2), noticed(3)];

const fn noticed(word: u8) -> u64 {
    let mut bits = 0;
    let mut bit = 0;
    while bit < 64 {
        if !matches!(ByteClass::of(word * 64 + bit), ByteClass::Plain) {
            bits |= 1 << bit;
        }
        bit += 1;
    }
    bits
}

/// What a byte means to [`PathFacts::scan`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ByteClass {
    Plain,
    Slash,
    Question,
    Percent,
    Backslash,
    Control,
    NonAscii,
}

impl ByteClass {
    const fn of(byte: u8) -> Self {
        match byte {
            b'/' => ByteClass::Slash,
            b'?' => ByteClass::Question,
            b'%' => ByteClass::Percent,
            b'\\' => ByteClass::Backslash,
            0..=b' ' | 0x7f => ByteClass::Control,
            0x80.. => ByteClass::NonAscii,
            _ => ByteClass::Plain,
        }
    }
}

/// Whether `text[start..end]` is a dot segment; most segments are ruled out by their first byte.
fn is_dot_segment_at(text: &str, start: usize, end: usize) -> bool {
    matches!(text.as_bytes().get(start), Some(b'.' | b'%'))
        && text.get(start..end).is_some_and(is_dot_segment)
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

/// The path of `url_path` (what precedes `?` or `#`) with its dot segments resolved the way a browser
/// resolves them (RFC 3986 §5.2.4, with `\` also a separator and `%2e` a dot, as WHATWG URL does for
/// http(s)) — but only when they climb above the root; `None` otherwise, so a path that stays below
/// its root keeps its bytes. A rewritten `Location` puts an API prefix in front of the upstream's
/// path: `/api01` + `/../x` would take the client to `/x`, out of the API.
pub fn resolve_if_climbing(url_path: &str) -> Option<String> {
    let end = url_path.find(['?', '#']).unwrap_or(url_path.len());
    let (path, tail) = (url_path.get(..end)?, url_path.get(end..)?);
    let mut depth: usize = 0;
    let mut climbs = false;
    for segment in path.split(['/', '\\']).skip(1) {
        match dots(segment) {
            Some(2) if depth == 0 => climbs = true,
            Some(2) => depth -= 1,
            Some(_) => {}
            None => depth += 1,
        }
    }
    if !climbs {
        return None;
    }
    let mut kept: Vec<&str> = Vec::new();
    let mut trailing_slash = false;
    for segment in path.split(['/', '\\']).skip(1) {
        trailing_slash = dots(segment).is_some();
        match dots(segment) {
            Some(2) => {
                kept.pop();
            }
            Some(_) => {}
            None => kept.push(segment),
        }
    }
    let mut out = String::with_capacity(path.len() + tail.len());
    for segment in &kept {
        out.push('/');
        out.push_str(segment);
    }
    if trailing_slash || kept.is_empty() {
        out.push('/');
    }
    out.push_str(tail);
    Some(out)
}

/// How many dots a dot segment has (`.` → 1, `..` → 2, either written with `%2e`); `None` for any
/// other segment.
fn dots(segment: &str) -> Option<usize> {
    if !is_dot_segment(segment) {
        return None;
    }
    // A dot segment is made of `.` and `%2e` only.
    let plain = segment.matches('.').count();
    Some(plain + (segment.len() - plain) / 3)
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
    fn one_scan_agrees_with_split_and_check() {
        for target in [
            "/svc-0421/orders/17?expand=items",
            "/a%2?f",
            "/a%?2f",
            "/a/%2e%2e?x=/../",
            "/a?b?c",
            "/a?",
            "?x",
            "",
            "/",
            "//x//y/",
            "/api01/a b?c",
            "/api01/x?q=\u{e9}\t",
            "/1/2/3/4/5/6/7/8/9/10",
        ] {
            let scanned = ScannedTarget::scan(target);
            let raw = RawPath::split(target);
            assert_eq!(scanned.raw, raw, "{target:?}");
            assert_eq!(scanned.safety, check(raw), "{target:?}");
            let expected: Vec<usize> = raw
                .path
                .match_indices('/')
                .map(|(at, _)| at)
                .filter(|&at| at > 0)
                .take(MAX_PREFIX_SEGMENTS)
                .collect();
            assert_eq!(scanned.slashes.as_slice(), expected, "{target:?}");
            assert_eq!(Slashes::of_target(target).1, raw.path.len(), "{target:?}");
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
