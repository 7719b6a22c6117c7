//! Rewriting upstream response headers so the client stays on the entry it used.
//!
//! The upstream believes it lives at `/` on its long host, so it answers `Location: /login` or
//! `Location: https://api01.target-team2…/x` and sets cookies for `Path=/` or its own domain. On the
//! short entry those must become `https://dev-01…/api01/…`, `Path=/api01`; on a proxied legacy
//! entry, the legacy host. Only nginx has a fixed-string version of this (`proxy_redirect`,
//! `proxy_cookie_*`); here it follows from the map.

use std::borrow::Cow;

use crate::map::Api;
use crate::path;

/// How to rewrite the responses of one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResponseRewrite<'a> {
    long_host: &'a str,
    scheme: &'a str,
    entry: RewriteEntry<'a>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RewriteEntry<'a> {
    Short {
        short_host: &'a str,
        prefix: &'a str,
    },
    Legacy {
        legacy_host: &'a str,
    },
}

impl<'a> ResponseRewrite<'a> {
    /// For a request that came in on the short host under `api`'s prefix, over `scheme`.
    pub fn short(api: &'a Api, short_host: &'a str, scheme: &'a str) -> Self {
        ResponseRewrite {
            long_host: api.long_host(),
            scheme,
            entry: RewriteEntry::Short {
                short_host,
                prefix: api.prefix(),
            },
        }
    }

    /// For a request proxied from the legacy host `legacy_host` (normalised) over `scheme`.
    pub fn legacy(api: &'a Api, legacy_host: &'a str, scheme: &'a str) -> Self {
        ResponseRewrite {
            long_host: api.long_host(),
            scheme,
            entry: RewriteEntry::Legacy { legacy_host },
        }
    }

    /// A `Location` or `Content-Location` value; `None` when it stays as it is.
    pub fn url(&self, value: &str) -> Option<String> {
        if let Some(rest) = split_scheme(value) {
            let after = self.on_long_host(rest)?;
            return Some(self.entry_url(Some(self.scheme), after));
        }
        if let Some(rest) = value.strip_prefix("//") {
            let after = self.on_long_host(rest)?;
            return Some(self.entry_url(None, after));
        }
        match self.entry {
            RewriteEntry::Short { prefix, .. } if value.starts_with('/') => {
                Some(format!("{prefix}{}", under_prefix(value)))
            }
            _ => None,
        }
    }

    /// A `Refresh` value (`5; url=/x`); `None` when it stays as it is.
    pub fn refresh(&self, value: &str) -> Option<String> {
        let lower = value.to_ascii_lowercase();
        let at = lower.find("url=")? + "url=".len();
        let (head, tail) = (value.get(..at)?, value.get(at..)?);
        let quote = tail.chars().next().filter(|c| *c == '\'' || *c == '"');
        let (url, trailer) = match quote {
            Some(quote) => {
                let inner = tail.get(1..)?;
                let end = inner.find(quote).unwrap_or(inner.len());
                (inner.get(..end)?, inner.get(end..)?)
            }
            None => (tail.trim_end(), tail.get(tail.trim_end().len()..)?),
        };
        let rewritten = self.url(url)?;
        let open = quote.map(String::from).unwrap_or_default();
        Some(format!("{head}{open}{rewritten}{trailer}"))
    }

    /// A `Set-Cookie` value; `None` when it stays as it is. Attributes other than `Path` and a
    /// `Domain` naming the long host are kept byte for byte.
    pub fn set_cookie(&self, value: &str) -> Option<String> {
        let mut parts = value.split(';');
        let mut out = String::with_capacity(value.len() + 16);
        out.push_str(parts.next()?);
        let mut changed = false;
        let mut saw_path = false;
        for attribute in parts {
            let (name, attribute_value) = attribute.split_once('=').unwrap_or((attribute, ""));
            let name_trimmed = name.trim();
            if name_trimmed.eq_ignore_ascii_case("domain")
                && self.is_long_host(attribute_value.trim().trim_start_matches('.'))
            {
                changed = true;
                continue;
            }
            if name_trimmed.eq_ignore_ascii_case("path") {
                saw_path = true;
                if let RewriteEntry::Short { prefix, .. } = self.entry {
                    let path = attribute_value.trim();
                    if path.starts_with('/') {
                        out.push(';');
                        out.push_str(name);
                        out.push('=');
                        out.push_str(prefix);
                        if path != "/" {
                            out.push_str(path);
                        }
                        changed = true;
                        continue;
                    }
                }
            }
            out.push(';');
            out.push_str(attribute);
        }
        if let RewriteEntry::Short { prefix, .. } = self.entry
            && !saw_path
        {
            out.push_str("; Path=");
            out.push_str(prefix);
            changed = true;
        }
        changed.then_some(out)
    }

    /// If `authority_and_rest` (what follows `scheme://` or `//`) names the long host, what follows the authority.
    fn on_long_host<'v>(&self, authority_and_rest: &'v str) -> Option<&'v str> {
        let end = authority_and_rest
            .find(['/', '?', '#'])
            .unwrap_or(authority_and_rest.len());
        let authority = authority_and_rest.get(..end)?;
        let host = match authority.rsplit_once(':') {
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
            _ => authority,
        };
        self.is_long_host(host)
            .then(|| authority_and_rest.get(end..))
            .flatten()
    }

    fn is_long_host(&self, host: &str) -> bool {
        host.strip_suffix('.')
            .unwrap_or(host)
            .eq_ignore_ascii_case(self.long_host)
    }

    /// The URL on the client's entry for what followed the long host's authority.
    fn entry_url(&self, scheme: Option<&str>, after: &str) -> String {
        let mut out = String::with_capacity(64 + after.len());
        match scheme {
            Some(scheme) => {
                out.push_str(scheme);
                out.push_str("://");
            }
            None => out.push_str("//"),
        }
        match self.entry {
            RewriteEntry::Short { short_host, prefix } => {
                out.push_str(short_host);
                out.push_str(prefix);
                out.push_str(&under_prefix(after));
            }
            RewriteEntry::Legacy { legacy_host } => {
                out.push_str(legacy_host);
                out.push_str(after);
            }
        }
        out
    }
}

/// The upstream's path and what follows it, to be put after an API prefix: byte for byte, unless
/// its dot segments climb above the upstream's root (`/../x`), which after the prefix would take
/// the client out of the API — then resolved at the root, as the upstream meant it (`/x`).
fn under_prefix(path_and_rest: &str) -> Cow<'_, str> {
    match path::resolve_if_climbing(path_and_rest) {
        Some(resolved) => Cow::Owned(resolved),
        None => Cow::Borrowed(path_and_rest),
    }
}

/// `http://…` or `https://…` (any case): what follows `://`.
fn split_scheme(value: &str) -> Option<&str> {
    ["https://", "http://"].into_iter().find_map(|scheme| {
        let head = value.get(..scheme.len())?;
        head.eq_ignore_ascii_case(scheme)
            .then(|| value.get(scheme.len()..))
            .flatten()
    })
}
