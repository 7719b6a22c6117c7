//! A route's `hosts` entry and the request's `Host`, compared as Kong 3.9's default router does
//! (kong-3.9.3.md §2.2): byte for byte, **case-sensitively** — nothing lowercases either side
//! (`kong/router/atc.lua:447`, `kong/router/fields.lua:69-72`, `kong/router/transform.lua:385-413`;
//! Kong/kong#14198 is open) — so `Host: API.example.com` does not match `hosts: [api.example.com]`,
//! and a trailing dot matters too.

/// One entry of a route's `hosts`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct HostCondition {
    name: HostName,
    /// `a.com:8000`: the port must be the request's destination port too (`transform.lua:404-408`).
    port: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum HostName {
    Exact(String),
    /// `*.a.com`: ends with `.a.com` (`http.host =^`, `transform.lua:393-397`).
    Suffix(String),
    /// `a.*`: starts with `a.` (`http.host ^=`, `transform.lua:398-402`).
    Prefix(String),
}

impl HostCondition {
    /// Reads a `hosts` entry as `transform.lua:388-403` does: the port split off first, then a
    /// leading or trailing `*`.
    pub(super) fn parse(entry: &str) -> Self {
        let (host, port) = split_host_port(entry);
        let name = if let Some(suffix) = host.strip_prefix('*') {
            HostName::Suffix(suffix.to_owned())
        } else if let Some(prefix) = host.strip_suffix('*') {
            HostName::Prefix(prefix.to_owned())
        } else {
            HostName::Exact(host.to_owned())
        };
        Self { name, port }
    }

    /// Whether the entry has a wildcard (it then does not count as a "plain host" for the
    /// route's priority, `transform.lua:609-618`).
    pub(super) fn is_wildcard(&self) -> bool {
        !matches!(self.name, HostName::Exact(_))
    }

    /// Whether the request's host (its `Host` header without the port) and destination port
    /// match.
    pub(super) fn matches(&self, host: &str, port: u32) -> bool {
        let name = match &self.name {
            HostName::Exact(exact) => host == exact,
            HostName::Suffix(suffix) => host.ends_with(suffix.as_str()),
            HostName::Prefix(prefix) => host.starts_with(prefix.as_str()),
        };
        name && self.port.is_none_or(|wanted| wanted == port)
    }
}

/// `split_host_port` (`transform.lua:64-100`): at the first `:`, when what follows is a number;
/// otherwise the whole value is the host (`[::1]:80` stays whole). Lua's `tonumber` also takes
/// forms like `0x50` or ` 80`; only decimal digits are modelled.
pub(super) fn split_host_port(value: &str) -> (&str, Option<u32>) {
    match value.split_once(':') {
        Some((host, port))
            if !port.is_empty() && port.len() <= 9 && port.bytes().all(|b| b.is_ascii_digit()) =>
        {
            (host, port.parse().ok())
        }
        _ => (value, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_match_byte_for_byte_with_wildcards_and_ports() {
        let exact = HostCondition::parse("api.example.com");
        assert!(exact.matches("api.example.com", 8000));
        assert!(
            !exact.matches("API.example.com", 8000),
            "case-sensitive in 3.9"
        );
        assert!(
            !exact.matches("api.example.com.", 8000),
            "a trailing dot matters"
        );
        let suffix = HostCondition::parse("*.example.com");
        assert!(suffix.matches("a.b.example.com", 8000));
        assert!(!suffix.matches("example.com", 8000));
        assert!(suffix.is_wildcard());
        let prefix = HostCondition::parse("api.*");
        assert!(prefix.matches("api.example.org", 8000));
        assert!(!prefix.matches("www.api.org", 8000));
        let with_port = HostCondition::parse("api.example.com:8443");
        assert!(with_port.matches("api.example.com", 8443));
        assert!(!with_port.matches("api.example.com", 8000));
    }

    #[test]
    fn the_port_is_split_only_when_it_is_a_number() {
        assert_eq!(split_host_port("a.com:8000"), ("a.com", Some(8000)));
        assert_eq!(split_host_port("a.com"), ("a.com", None));
        assert_eq!(split_host_port("[::1]:80"), ("[::1]:80", None));
        assert_eq!(split_host_port("a.com:"), ("a.com:", None));
        assert_eq!(split_host_port("a.com:x"), ("a.com:x", None));
    }
}
