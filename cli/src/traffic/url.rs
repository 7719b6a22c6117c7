//! Just enough URL splitting for recorded absolute URLs: scheme, authority, request target.

/// The parts of `scheme://[userinfo@]authority/target#fragment`.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Url<'u> {
    pub scheme: &'u str,
    pub authority: &'u str,
    /// Path and query, `/` when the URL has no path.
    pub target: String,
}

pub(super) fn split(url: &str) -> Option<Url<'_>> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"+-.".contains(&byte))
    {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, remainder) = rest.split_at(end);
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    if authority.is_empty() {
        return None;
    }
    let target = remainder
        .split_once('#')
        .map_or(remainder, |(target, _)| target);
    let target = match target.chars().next() {
        None => "/".to_owned(),
        Some('?') => format!("/{target}"),
        Some(_) => target.to_owned(),
    };
    Some(Url {
        scheme,
        authority,
        target,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_recorded_urls() {
        let url = split("https://user@api01.example:8443/a%2Fb?q=1#frag").unwrap();
        assert_eq!(url.scheme, "https");
        assert_eq!(url.authority, "api01.example:8443");
        assert_eq!(url.target, "/a%2Fb?q=1");
        assert_eq!(split("http://h").unwrap().target, "/");
        assert_eq!(split("http://h?x").unwrap().target, "/?x");
        assert_eq!(split("/relative"), None);
        assert_eq!(split("http:///x"), None);
    }
}
