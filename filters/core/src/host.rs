//! Host names: the request side (normalising what a client sent, without allocating) and the
//! configuration side (validating hosts and `{api}` patterns).

/// The longest DNS name (RFC 1035); anything longer cannot be one of ours.
pub const MAX_HOST_LEN: usize = 253;

/// The placeholder that host patterns carry.
pub const API_PLACEHOLDER: &str = "{api}";

/// Room for a normalised host on the stack, so that looking a host up never allocates.
pub type HostBuffer = [u8; MAX_HOST_LEN];

/// Normalises a client `Host` value for comparison: port removed, trailing dot removed, ASCII lowercased.
///
/// Returns `None` when the value cannot be a DNS name of ours (empty, too long, an IP literal in
/// brackets, characters outside `[A-Za-z0-9.-]`): such requests are simply not ours.
pub fn normalize<'b>(raw: &str, buffer: &'b mut HostBuffer) -> Option<&'b str> {
    let without_port = match raw.rfind(':') {
        Some(colon) => {
            let port = raw.get(colon + 1..)?;
            if !port.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            raw.get(..colon)?
        }
        None => raw,
    };
    let name = without_port.strip_suffix('.').unwrap_or(without_port);
    if name.is_empty() || name.len() > MAX_HOST_LEN {
        return None;
    }
    let target = buffer.get_mut(..name.len())?;
    for (slot, byte) in target.iter_mut().zip(name.bytes()) {
        if !(byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'.') {
            return None;
        }
        *slot = byte.to_ascii_lowercase();
    }
    // Only ASCII was copied, so this cannot fail; `ok()` keeps the function panic-free.
    std::str::from_utf8(target).ok()
}

/// Validates a configured host and returns it lowercased, without a trailing dot.
pub(crate) fn validate(host: &str) -> Option<String> {
    let name = host.strip_suffix('.').unwrap_or(host);
    if name.is_empty() || name.len() > MAX_HOST_LEN {
        return None;
    }
    let labels_ok = name.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    labels_ok.then(|| name.to_ascii_lowercase())
}

/// Whether a host pattern carries `{api}` exactly once.
pub(crate) fn is_pattern(pattern: &str) -> bool {
    pattern.matches(API_PLACEHOLDER).count() == 1
}

/// Puts an API name into a host (pattern or plain host).
pub(crate) fn expand(pattern: &str, api: &str) -> String {
    pattern.replace(API_PLACEHOLDER, api)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(raw: &str) -> Option<String> {
        let mut buffer = [0; MAX_HOST_LEN];
        normalize(raw, &mut buffer).map(str::to_owned)
    }

    #[test]
    fn normalize_strips_port_case_and_trailing_dot() {
        assert_eq!(
            norm("Dev-01.Example.TEST:8443").as_deref(),
            Some("dev-01.example.test")
        );
        assert_eq!(
            norm("dev-01.example.test.").as_deref(),
            Some("dev-01.example.test")
        );
        assert_eq!(
            norm("dev-01.example.test.:80").as_deref(),
            Some("dev-01.example.test")
        );
        assert_eq!(norm("plain").as_deref(), Some("plain"));
    }

    #[test]
    fn normalize_refuses_what_cannot_be_ours() {
        for raw in [
            "",
            ".",
            "[::1]:80",
            "a b",
            "host:port",
            "é.example",
            &"a".repeat(254),
        ] {
            assert_eq!(norm(raw), None, "{raw:?}");
        }
    }

    #[test]
    fn validate_lowercases_and_checks_labels() {
        assert_eq!(validate("API01.Example.").as_deref(), Some("api01.example"));
        for bad in [
            "",
            "a..b",
            "-a.b",
            "a-.b",
            "a_b",
            "a:80",
            "a/b",
            &"a".repeat(64),
        ] {
            assert_eq!(validate(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn patterns_need_exactly_one_placeholder() {
        assert!(is_pattern("{api}.example"));
        assert!(!is_pattern("api.example"));
        assert!(!is_pattern("{api}.{api}.example"));
        assert_eq!(expand("{api}.example", "api01"), "api01.example");
    }
}
