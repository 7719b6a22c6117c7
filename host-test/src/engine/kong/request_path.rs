//! Kong 3.9's handling of the request path: what its router sees, and what its access phase puts in
//! `$upstream_uri` for it. The path the router sees: the request target up to its `?`, normalised by Kong's own
//! `normalize(uri, true)` (`kong/tools/uri.lua:78-167`, called by `strip_uri_args`,
//! `kong/router/utils.lua:57-64`, from `kong/router/atc.lua:446-449`).
//!
//! This is not nginx's `$uri` (host-test's `engine::uri`): Kong decodes only escapes of
//! characters that are not reserved, keeps reserved ones encoded with upper-case hex
//! (`%2f` → `%2F`, `%25` stays), removes dot segments and merges slashes — and never refuses a
//! path (a `..` above the root just stops there). Decoding may produce bytes that are not UTF-8
//! (`%C3%28`), so the path is bytes.

use crate::engine::uri;

/// `!*'();:@&=+$,/?%#[]`: the characters Kong keeps percent-encoded (`kong/tools/uri.lua:28-38`).
const RESERVED: &[u8] = b"!*'();:@&=+$,/?%#[]";

/// The path Kong routes on, for a raw request target (path and query as sent).
pub fn router_path(target: &str) -> Vec<u8> {
    normalize(without_query(target).as_bytes())
}

/// The target without its query: Kong cuts at the first `?` found from the second byte on
/// (`kong/router/utils.lua:58`), so a target that starts with `?` keeps it.
pub fn without_query(target: &str) -> &str {
    match target.get(1..).and_then(|rest| rest.find('?')) {
        Some(at) => target.get(..at + 1).unwrap_or(target),
        None => target,
    }
}

/// `normalize(uri, true)` of `kong/tools/uri.lua:78-167`.
pub fn normalize(path: &[u8]) -> Vec<u8> {
    // uri.lua:80-82
    if path.is_empty() || path == b"/" {
        return path.to_vec();
    }
    // uri.lua:86-89: only when there is a `%` (ngx.re.gsub "%([\dA-F]{2})" with "joi").
    let decoded = if path.contains(&b'%') {
        decode_unreserved(path)
    } else {
        path.to_vec()
    };
    // uri.lua:94-102: nothing to remove without a dot or a double slash.
    if !decoded.contains(&b'.') && !decoded.windows(2).any(|pair| pair == b"//") {
        return decoded;
    }
    remove_dot_segments(&decoded)
}

/// Decodes `%XX` (hex in either case) unless it encodes a reserved character, which keeps its
/// escape with the hex upper-cased (`normalize_decode`, uri.lua:48-59). One left-to-right pass:
/// a `%` produced by decoding is never decoded again.
fn decode_unreserved(path: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(path.len());
    let mut rest = path;
    while let Some((&byte, tail)) = rest.split_first() {
        let escape = match tail {
            [high, low, ..] if byte == b'%' => uri::hex(*high).zip(uri::hex(*low)),
            _ => None,
        };
        match (escape, tail) {
            (Some((high, low)), [h, l, after @ ..]) => {
                let value = high << 4 | low;
                if RESERVED.contains(&value) {
                    out.extend_from_slice(&[b'%', h.to_ascii_uppercase(), l.to_ascii_uppercase()]);
                } else {
                    out.push(value);
                }
                rest = after;
            }
            _ => {
                out.push(byte);
                rest = tail;
            }
        }
    }
    out
}

/// The loop of uri.lua:104-156, case for case, in its order: RFC 3986's remove_dot_segments
/// with `//` merged, where a `..` at the root is dropped.
fn remove_dot_segments(path: &[u8]) -> Vec<u8> {
    let mut segments: Vec<&[u8]> = Vec::new();
    let mut rest: &[u8] = path;
    while !rest.is_empty() {
        if rest == b"/." {
            rest = b"/";
        } else if rest == b"/.." {
            rest = b"/";
            segments.pop();
        } else if rest == b"." || rest == b".." {
            rest = b"";
        } else if let Some(after) = rest.strip_prefix(b"../") {
            rest = after;
        } else if let Some(after) = rest.strip_prefix(b"./") {
            rest = after;
        } else if rest.starts_with(b"/./") {
            rest = rest.get(2..).unwrap_or_default();
        } else if rest.starts_with(b"/../") {
            rest = rest.get(3..).unwrap_or_default();
            segments.pop();
        } else if rest.starts_with(b"//") {
            rest = rest.get(1..).unwrap_or_default();
        } else {
            // A segment with its leading `/`, up to the next `/` (searched from the second byte).
            let end = rest
                .iter()
                .skip(1)
                .position(|&byte| byte == b'/')
                .map_or(rest.len(), |at| at + 1);
            let (segment, after) = rest.split_at(end);
            segments.push(segment);
            rest = after;
        }
    }
    segments.concat()
}

/// `escape` (`kong/tools/uri.lua:41,62-75`): every byte outside
/// ``!#$&'()*+,/:;=?@[]A-Za-z0-9-_.~%`` becomes `%XX` (upper-case hex). `%` itself is kept, so
/// `%2F` survives; space, `"`, `<`, `>`, `\`, `^`, `` ` ``, `{`, `|`, `}`, controls and every
/// byte ≥ 0x80 are encoded.
pub fn escape(path: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(path.len());
    for &byte in path {
        if byte.is_ascii_alphanumeric() || b"!#$&'()*+,/:;=?@[]-_.~%".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push('%');
            for nibble in [byte >> 4, byte & 0x0F] {
                out.push(char::from(
                    HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'),
                ));
            }
        }
    }
    out
}

/// `$upstream_uri` as the request leaves Kong's access phase: the escaped path, then `?` and the
/// raw query (`$args`) when the target had a `?` (`handler.lua:1392-1394`: the target ends with
/// `?`, or nginx's `$is_args` is `?` because the query is not empty).
pub fn upstream_uri(path: &[u8], target: &str) -> String {
    let mut uri = escape(path);
    // nginx splits `$args` at the request line's first `?`.
    if let Some((_, query)) = target.split_once('?') {
        uri.push('?');
        uri.push_str(query);
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalized(target: &str) -> String {
        String::from_utf8(router_path(target)).unwrap()
    }

    /// Inputs and outputs from kong-3.9.3.md §1.1 and §1.4 (computed with the real uri.lua) and
    /// Kong's own `spec/01-unit/04-utils_spec.lua` cases for `normalize`.
    #[test]
    fn normalises_as_kong_tools_uri_does() {
        for (target, expected) in [
            ("", ""),
            ("/", "/"),
            ("/api01?a=1&b", "/api01"),
            ("/api01?", "/api01"),
            ("/api01//x/./y/../z", "/api01/x/z"),
            ("/api01/a%20b%2fc%7e", "/api01/a b%2Fc~"),
            ("/api01/caf%c3%a9", "/api01/café"),
            ("/api01/%2e%2e/x", "/x"),
            ("/%7Eu", "/~u"),
            ("/a%25b", "/a%25b"),
            ("/a%2541", "/a%2541"),
            ("/a%3a%3F%23%5b", "/a%3A%3F%23%5B"),
            ("/a%zz/%4", "/a%zz/%4"),
            ("/..", "/"),
            ("/../../a", "/a"),
            ("/a/..", "/"),
            ("/a/.", "/a/"),
            ("/a/b/..", "/a/"),
            ("/a/./b/.", "/a/b/"),
            ("//a///b//", "/a/b/"),
            ("/a.b/c..d", "/a.b/c..d"),
            ("/a?b?c", "/a"),
            ("?x", "?x"),
            ("/a/%2E%2E/%2e/b", "/b"),
        ] {
            assert_eq!(normalized(target), expected, "{target:?}");
        }
    }

    #[test]
    fn decoding_can_leave_bytes_that_are_not_utf8() {
        assert_eq!(router_path("/a%C3%41"), b"/a\xC3A");
        assert_eq!(router_path("/a%C3%28"), b"/a\xC3%28");
        assert_eq!(router_path("/a%00b"), b"/a\0b");
    }

    #[test]
    fn escape_keeps_reserved_and_percent_and_encodes_the_rest() {
        assert_eq!(escape(b"/a b%2Fc~"), "/a%20b%2Fc~");
        assert_eq!(escape("/café".as_bytes()), "/caf%C3%A9");
        assert_eq!(
            escape(b"/\"<>\\^`{|}\x7f\x01"),
            "/%22%3C%3E%5C%5E%60%7B%7C%7D%7F%01"
        );
        assert_eq!(
            escape(b"/!#$&'()*+,/:;=?@[]-_.~%AZaz09"),
            "/!#$&'()*+,/:;=?@[]-_.~%AZaz09"
        );
    }

    #[test]
    fn the_query_is_appended_raw_and_a_bare_question_mark_kept() {
        assert_eq!(upstream_uri(b"/svc", "/api01?a=1&b"), "/svc?a=1&b");
        assert_eq!(upstream_uri(b"/svc", "/api01?"), "/svc?");
        assert_eq!(upstream_uri(b"/svc", "/api01?a b?c"), "/svc?a b?c");
        assert_eq!(upstream_uri(b"/svc", "/api01"), "/svc");
    }
}
