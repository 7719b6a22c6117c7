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
    let (name, _) = name_of(raw)?;
    lowercase_into(name, buffer)
}

/// [`normalize`], borrowing from `raw` when it is already lowercase: what most clients send, and
/// copying it is a good part of a decision's cost.
pub(crate) fn normalize_borrowed<'a>(raw: &'a str, buffer: &'a mut HostBuffer) -> Option<&'a str> {
    match name_of(raw)? {
        (name, Case::Lower) => Some(name),
        (name, Case::Mixed) => lowercase_into(name, buffer),
    }
}

/// Whether a host name has uppercase letters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Case {
    Lower,
    Mixed,
}

/// The name in a client `Host` value (port and one trailing dot removed), if it can be ours.
fn name_of(raw: &str) -> Option<(&str, Case)> {
    // Most clients send the host as configured: lowercase, no port. One test over the whole value,
    // without early exits, which the compiler turns into vector code.
    let lowercase_name = raw.bytes().fold(true, |ok, byte| {
        ok & (byte.is_ascii_lowercase() | byte.is_ascii_digit() | (byte == b'-') | (byte == b'.'))
    });
    if lowercase_name {
        let name = raw.strip_suffix('.').unwrap_or(raw);
        return (!name.is_empty() && name.len() <= MAX_HOST_LEN).then_some((name, Case::Lower));
    }
    let mut case = Case::Lower;
    let mut name = raw;
    for (at, byte) in raw.bytes().enumerate() {
        match byte {
            b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' => {}
            b'A'..=b'Z' => case = Case::Mixed,
            // The first `:` starts the port: a second one is not a digit, so the value is refused
            // whichever colon is taken as the port's.
            b':' => {
                if !raw.bytes().skip(at + 1).all(|b| b.is_ascii_digit()) {
                    return None;
                }
                name = raw.get(..at)?;
                break;
            }
            _ => return None,
        }
    }
    let name = name.strip_suffix('.').unwrap_or(name);
    (!name.is_empty() && name.len() <= MAX_HOST_LEN).then_some((name, case))
}

/// Copies an ASCII name into `buffer`, lowercased.
fn lowercase_into<'b>(name: &str, buffer: &'b mut HostBuffer) -> Option<&'b str> {
    let target = buffer.get_mut(..name.len())?;
    target.copy_from_slice(name.as_bytes());
    target.make_ascii_lowercase();
    // Only ASCII was copied, so this cannot fail; `ok()` keeps the function panic-free.
    std::str::from_utf8(target).ok()
}

/// Validates a configured host and returns it lowercased, without a trailing dot.
pub(crate) fn validate(host: &str) -> Option<String> {
    let name = host.strip_suffix('.').unwrap_or(host);
    is_dns_name(name).then(|| name.to_ascii_lowercase())
}

/// Labels of letters, digits and `-` (not at either end), 1 to 63 characters each, at most 253 in all.
fn is_dns_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    let separator = |byte: u8| byte == b'.' || byte == b'-';
    // Whole-name tests without early exits, which the compiler turns into vector code: a map
    // validates tens of thousands of hosts, and a loop over labels cost more than the rest of it.
    let characters = bytes.iter().fold(true, |ok, &byte| {
        ok & (byte.is_ascii_alphanumeric() | separator(byte))
    });
    // A label is empty, or starts or ends with `-`, exactly where the name starts or ends with a
    // separator or has `..`, `.-` or `-.` in it.
    let joins = bytes
        .iter()
        .zip(bytes.iter().skip(1))
        .fold(true, |ok, (&left, &right)| {
            ok & !(separator(left) & separator(right) & ((left == b'.') | (right == b'.')))
        });
    characters
        && joins
        && !separator(first)
        && !separator(last)
        && bytes.len() <= MAX_HOST_LEN
        && (bytes.len() <= 63 || name.split('.').all(|label| label.len() <= 63))
}

/// A host or pattern cut around its `{api}`: `(before, Some(after))`, or `(whole, None)` when it
/// has none; `None` when it has more than one.
pub(crate) fn split_at_placeholder(pattern: &str) -> Option<(&str, Option<&str>)> {
    let Some(at) = find_placeholder(pattern) else {
        return Some((pattern, None));
    };
    let after = pattern.get(at + API_PLACEHOLDER.len()..)?;
    // `{api}` cannot overlap itself: a second one starts after the first ends.
    match find_placeholder(after) {
        Some(_) => None,
        None => Some((pattern.get(..at)?, Some(after))),
    }
}

/// Where the first `{api}` starts.
fn find_placeholder(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    (0..bytes.len()).find(|&at| {
        bytes.get(at) == Some(&b'{')
            && bytes.get(at..at + API_PLACEHOLDER.len()) == Some(API_PLACEHOLDER.as_bytes())
    })
}

/// Whether a host pattern carries `{api}` exactly once.
pub(crate) fn is_pattern(pattern: &str) -> bool {
    matches!(split_at_placeholder(pattern), Some((_, Some(_))))
}

/// Room for a configured host with its trailing dot, so that expanding a pattern allocates only
/// the host that is kept.
pub(crate) type ExpandBuffer = [u8; MAX_HOST_LEN + 1];

/// Puts an API name into a host or pattern cut by [`split_at_placeholder`] and validates the
/// result like [`validate`]: lowercased, without a trailing dot.
pub(crate) fn expand_valid<'b>(
    (before, after): (&str, Option<&str>),
    api: &str,
    buffer: &'b mut ExpandBuffer,
) -> Option<&'b str> {
    let mut len = 0;
    for part in [Some(before), after.map(|_| api), after]
        .into_iter()
        .flatten()
    {
        buffer
            .get_mut(len..len + part.len())?
            .copy_from_slice(part.as_bytes());
        len += part.len();
    }
    let host = buffer.get_mut(..len)?;
    host.make_ascii_lowercase();
    let host = std::str::from_utf8(host).ok()?;
    let name = host.strip_suffix('.').unwrap_or(host);
    is_dns_name(name).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(raw: &str) -> Option<String> {
        let mut buffer = [0; MAX_HOST_LEN];
        let copied = normalize(raw, &mut buffer).map(str::to_owned);
        let mut buffer = [0; MAX_HOST_LEN];
        let borrowed = normalize_borrowed(raw, &mut buffer).map(str::to_owned);
        assert_eq!(copied, borrowed, "{raw:?}");
        copied
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
        assert_eq!(norm("plain:").as_deref(), Some("plain"));
        assert_eq!(norm("a..").as_deref(), Some("a."));
    }

    #[test]
    fn normalize_refuses_what_cannot_be_ours() {
        for raw in [
            "",
            ".",
            "[::1]:80",
            "a b",
            "host:port",
            "host:80:80",
            "a:b:80",
            "host.:80.",
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
            ".a",
            "a.-b",
            "a.b-",
            "-",
            "a..",
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
        assert!(is_pattern("x{api{api}}.example"));
        assert_eq!(split_at_placeholder("{api}{api}.x"), None);
        assert_eq!(split_at_placeholder("a.{api"), Some(("a.{api", None)));
        assert_eq!(
            split_at_placeholder("a{api}.b{ap"),
            Some(("a", Some(".b{ap")))
        );
        fn expand_valid(pattern: &str, api: &str) -> Option<String> {
            let mut buffer = [0; MAX_HOST_LEN + 1];
            let parts = split_at_placeholder(pattern)?;
            super::expand_valid(parts, api, &mut buffer).map(str::to_owned)
        }
        assert_eq!(
            expand_valid("{api}.Example.", "api01").as_deref(),
            Some("api01.example")
        );
        assert_eq!(
            expand_valid("Plain.Example", "api01").as_deref(),
            Some("plain.example")
        );
        assert_eq!(expand_valid("{api}..example", "api01"), None);
        // 61 + 192 = 253 characters, the longest name; one more is refused, dot or not.
        let labels = ["b", "c", "d"].map(|letter| letter.repeat(63)).join(".");
        for pattern in [format!("{{api}}.{labels}"), format!("{{api}}.{labels}.")] {
            let fits = expand_valid(&pattern, &"a".repeat(61)).map(|host| host.len());
            assert_eq!(fits, Some(MAX_HOST_LEN), "{pattern}");
            assert_eq!(expand_valid(&pattern, &"a".repeat(62)), None);
        }
    }
}
