//! nginx's view of a request URI: what Kong's engine puts in `:path`.
//!
//! nginx percent-decodes the path (every escape, `%2F` included), merges repeated slashes and
//! resolves `.` and `..` segments, then keeps the query raw. A `..` that climbs above the root, a
//! malformed escape or an encoded NUL is answered 400 by nginx itself, before any filter runs.

use std::fmt;

/// Why nginx refuses a request line before the filters see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvalidUri {
    /// `%` not followed by two hex digits.
    BadEscape,
    /// `%00`.
    EncodedNul,
    /// A `..` segment above the root.
    AboveRoot,
}

impl fmt::Display for InvalidUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InvalidUri::BadEscape => "malformed percent-escape in the request path",
            InvalidUri::EncodedNul => "encoded NUL in the request path",
            InvalidUri::AboveRoot => "dot segment above the root in the request path",
        })
    }
}

/// Splits a raw request target into path and query (without the `?`; `None` when absent).
pub fn split_target(target: &str) -> (&str, Option<&str>) {
    match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    }
}

/// Whether nginx would leave the path as it is: no escape, no empty or dot segment. Most
/// recorded paths are like that, and skip the decoding below.
fn already_normal(raw: &str) -> bool {
    raw.starts_with('/')
        && !raw.contains('%')
        && !raw.contains("//")
        && !raw.contains("/./")
        && !raw.contains("/../")
        && !raw.ends_with("/.")
        && !raw.ends_with("/..")
}

/// nginx's `$uri` for a raw path (no query): decoded, slashes merged, dot segments resolved.
pub fn normalize_path(raw: &str) -> Result<String, InvalidUri> {
    if already_normal(raw) {
        return Ok(raw.to_owned());
    }
    let decoded = percent_decode(raw)?;
    if !decoded.starts_with(b"/") {
        // Not origin-form (`*`, or something a recorder mangled): nginx would not normalise it.
        return Ok(String::from_utf8_lossy(&decoded).into_owned());
    }
    let mut segments: Vec<&[u8]> = Vec::new();
    let mut trailing_slash = false;
    for segment in decoded.split(|&byte| byte == b'/').skip(1) {
        match segment {
            b"" => trailing_slash = true,
            b"." => trailing_slash = true,
            b".." => {
                segments.pop().ok_or(InvalidUri::AboveRoot)?;
                trailing_slash = true;
            }
            _ => {
                segments.push(segment);
                trailing_slash = false;
            }
        }
    }
    let mut out = Vec::with_capacity(decoded.len());
    for segment in &segments {
        out.push(b'/');
        out.extend_from_slice(segment);
    }
    if out.is_empty() || trailing_slash {
        out.push(b'/');
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// nginx's `:path` as ngx_wasm_module shows it: the normalised path plus `?` and the raw query
/// when the query is not empty.
pub fn nginx_path(target: &str) -> Result<String, InvalidUri> {
    let (path, query) = split_target(target);
    let mut out = normalize_path(path)?;
    if let Some(query) = query.filter(|query| !query.is_empty()) {
        out.push('?');
        out.push_str(query);
    }
    Ok(out)
}

fn percent_decode(raw: &str) -> Result<Vec<u8>, InvalidUri> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut iter = bytes.iter();
    while let Some(&byte) = iter.next() {
        if byte != b'%' {
            out.push(byte);
            continue;
        }
        let high = iter
            .next()
            .and_then(|&digit| hex(digit))
            .ok_or(InvalidUri::BadEscape)?;
        let low = iter
            .next()
            .and_then(|&digit| hex(digit))
            .ok_or(InvalidUri::BadEscape)?;
        let decoded = (high << 4) | low;
        if decoded == 0 {
            return Err(InvalidUri::EncodedNul);
        }
        out.push(decoded);
    }
    Ok(out)
}

/// The value of one hexadecimal digit.
pub(crate) fn hex(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// `host` without a trailing `:port` (IPv6 literals in brackets keep their colons).
pub fn host_without_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split_once(']').map_or(host, |(inside, _)| inside);
    }
    match host.rsplit_once(':') {
        Some((name, port))
            if !name.contains(':') && port.bytes().all(|byte| byte.is_ascii_digit()) =>
        {
            name
        }
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The rows measured in Kong's engine (shared/research/ngxwasm-behaviour.md).
    #[test]
    fn matches_the_measured_engine() {
        let rows = [
            ("/orders/a%20b?x=%20&y=1", "/orders/a b?x=%20&y=1"),
            ("/orders/a%2Fb", "/orders/a/b"),
            ("/orders/./x", "/orders/x"),
            ("/orders//x", "/orders/x"),
            ("/orders/%2e%2e/y", "/y"),
        ];
        for (raw, expected) in rows {
            assert_eq!(nginx_path(raw).unwrap(), expected, "{raw}");
        }
    }

    #[test]
    fn resolves_trailing_dot_segments_and_empty_queries() {
        assert_eq!(nginx_path("/a/b/..").unwrap(), "/a/");
        assert_eq!(nginx_path("/a/.").unwrap(), "/a/");
        assert_eq!(nginx_path("/a/..").unwrap(), "/");
        assert_eq!(nginx_path("/").unwrap(), "/");
        assert_eq!(nginx_path("/x?").unwrap(), "/x");
        assert_eq!(nginx_path("/x/?q").unwrap(), "/x/?q");
    }

    #[test]
    fn refuses_what_nginx_answers_400() {
        assert_eq!(nginx_path("/.."), Err(InvalidUri::AboveRoot));
        assert_eq!(nginx_path("/a/%2e%2e/%2E%2E/b"), Err(InvalidUri::AboveRoot));
        assert_eq!(nginx_path("/a%zz"), Err(InvalidUri::BadEscape));
        assert_eq!(nginx_path("/a%2"), Err(InvalidUri::BadEscape));
        assert_eq!(nginx_path("/a%00b"), Err(InvalidUri::EncodedNul));
    }
}
