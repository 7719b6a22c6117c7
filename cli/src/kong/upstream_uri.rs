//! `$upstream_uri`: the path and query Kong 3.9 sends upstream for a matched route, before any
//! filter runs (kong-3.9.3.md §1.1–1.2).
//!
//! 1. The router matches the normalised path ([`super::normalize`]); the matched prefix is the
//!    route's path (prefix routes) or group 0 of its regex, kept only with `strip_path`
//!    (`kong/router/atc.lua:397`).
//! 2. `set_upstream_uri` (`atc.lua:335-345`) cuts that prefix off the normalised path and
//!    sanitises the rest (`sanitize_uri_postfix`, `kong/router/utils.lua:36-54`), then joins it
//!    to the service path (`/` when the service has none) with `get_upstream_uri_v0`
//!    (`utils.lua:146-204`) — or, only under `router_flavor = traditional`, with the route's
//!    `path_handling: v1` (`kong/router/traditional.lua:1285-1301`).
//! 3. The access phase escapes it (`kong/runloop/handler.lua:1324`, `escape` in
//!    `kong/tools/uri.lua:41,62-75`).
//! 4. `access.after` appends `?` and the raw query when the target had a `?`, even an empty one
//!    (`handler.lua:1392-1394`).

/// `path_handling` of a route, as far as the flavor lets it count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PathHandling {
    /// `get_upstream_uri_v0` (`utils.lua:146-204`): the only one under `traditional_compatible`.
    #[default]
    V0,
    /// `traditional.lua:1285-1301`: plain concatenation, never a `/` added.
    V1,
}

/// What decides the upstream path of one request on one route.
#[derive(Clone, Copy, Debug)]
pub struct UpstreamPath<'a> {
    /// The service's `path`, `None` when it has none (`utils.lua:236-239`: the router uses `/`).
    pub service_path: Option<&'a str>,
    /// The route's `strip_path`.
    pub strip_path: bool,
    /// What the route's path condition matched in the normalised path (its path for a prefix,
    /// group 0 for a regex); `None` for a route without paths.
    pub matched: Option<&'a [u8]>,
    /// The normalised path ([`super::normalize::router_path`]).
    pub normalized: &'a [u8],
    /// `v1` only counts under `router_flavor = traditional`.
    pub handling: PathHandling,
}

impl UpstreamPath<'_> {
    /// `match_t.prefix` (`atc.lua:397`): what strip_path removes, and `X-Forwarded-Prefix` unless
    /// it is `/` (`handler.lua:1256-1258`).
    pub fn prefix(&self) -> Option<&[u8]> {
        self.matched.filter(|_| self.strip_path)
    }

    /// The path before escaping.
    pub fn path(&self) -> Vec<u8> {
        let base = self.service_path.unwrap_or("/").as_bytes();
        let req = self.normalized;
        // atc.lua:338-339: `match_t.prefix or "/"`, then the rest after as many bytes.
        let prefix_len = self.prefix().map_or(1, <[u8]>::len);
        let post = sanitize_uri_postfix(req.get(prefix_len..).unwrap_or_default());
        match self.handling {
            PathHandling::V0 => upstream_path_v0(base, self.strip_path, post, req),
            PathHandling::V1 => upstream_path_v1(base, self.strip_path, post, req),
        }
    }
}

/// `sanitize_uri_postfix` (`utils.lua:36-54`).
fn sanitize_uri_postfix(post: &[u8]) -> &[u8] {
    if post == b"." || post == b".." {
        return b"";
    }
    post.strip_prefix(b"./")
        .or_else(|| post.strip_prefix(b"../"))
        .unwrap_or(post)
}

fn join(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// `get_upstream_uri_v0` (`utils.lua:146-204`); the line numbers below are that file's.
fn upstream_path_v0(base: &[u8], strip: bool, post: &[u8], req: &[u8]) -> Vec<u8> {
    let base_without_slash = base.strip_suffix(b"/");
    match (base_without_slash, strip) {
        (Some(trimmed), true) => {
            if post.is_empty() {
                if base == b"/" {
                    b"/".to_vec() // 154-157
                } else if req.ends_with(b"/") {
                    base.to_vec() // 159-161
                } else {
                    trimmed.to_vec() // 163
                }
            } else if post.starts_with(b"/") {
                join(&[trimmed, post]) // 166-169
            } else {
                join(&[base, post]) // 172
            }
        }
        (Some(_), false) => join(&[base, req.get(1..).unwrap_or_default()]), // 178
        (None, true) => {
            if post.is_empty() {
                if req.len() > 1 && req.ends_with(b"/") {
                    join(&[base, b"/"]) // 183-186
                } else {
                    base.to_vec() // 188
                }
            } else if post.starts_with(b"/") {
                join(&[base, post]) // 191-193
            } else {
                join(&[base, b"/", post]) // 195
            }
        }
        (None, false) => {
            if req == b"/" {
                base.to_vec() // 199-201
            } else {
                join(&[base, req]) // 203
            }
        }
    }
}

/// `path_handling: v1` (`kong/router/traditional.lua:1285-1301`).
fn upstream_path_v1(base: &[u8], strip: bool, post: &[u8], req: &[u8]) -> Vec<u8> {
    if !strip {
        return join(&[base, req.get(1..).unwrap_or_default()]);
    }
    match base.strip_suffix(b"/") {
        Some(trimmed) if post.starts_with(b"/") => join(&[trimmed, post]),
        _ => join(&[base, post]),
    }
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

    #[test]
    fn postfix_sanitising_drops_leading_dot_segments() {
        // utils.lua:36-54; after normalisation only a prefix that ends mid-segment reaches it,
        // e.g. route /api01 and request /api01../x (kong-3.9.3.md §1.1).
        assert_eq!(sanitize_uri_postfix(b"."), b"");
        assert_eq!(sanitize_uri_postfix(b".."), b"");
        assert_eq!(sanitize_uri_postfix(b"./x"), b"x");
        assert_eq!(sanitize_uri_postfix(b"../x"), b"x");
        assert_eq!(sanitize_uri_postfix(b".../x"), b".../x");
        assert_eq!(sanitize_uri_postfix(b"/x"), b"/x");
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
