//! `--service-url`: where each API's service sends requests, as a URL template with `{api}`.

use std::fmt;

/// Today's kit: the API's Kubernetes service in team2's namespace.
pub const DEFAULT_SERVICE_URL: &str = "http://{api}.team2.svc.cluster.local:8080";

/// A checked `--service-url` template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceUrl {
    template: String,
    has_path: bool,
}

/// Why a template is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceUrlError(String);

impl fmt::Display for ServiceUrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl ServiceUrl {
    /// Checks a template: `http(s)://host[:port][/path]`, where `{api}` may appear anywhere.
    /// `allow_path`: the filters set the upstream path of short-domain requests themselves
    /// (`ngx.upstream_uri`), so a service path would be dropped on that entry and kept on the
    /// others; only the native layout, where Kong joins it (`path_handling: v0`), takes one.
    pub fn parse(template: &str, allow_path: bool) -> Result<Self, ServiceUrlError> {
        let refuse = |why: &str| {
            Err(ServiceUrlError(format!(
                "--service-url {template:?}: {why}"
            )))
        };
        let Some((scheme, rest)) = template.split_once("://") else {
            return refuse("not an absolute URL (scheme://host[:port])");
        };
        if !matches!(scheme, "http" | "https") {
            return refuse("the scheme must be http or https");
        }
        let (authority, path) = match rest.find('/') {
            Some(at) => rest.split_at(at),
            None => (rest, ""),
        };
        if authority.is_empty() || authority.contains(['@', '?', '#']) {
            return refuse("the host is missing or not a plain host[:port]");
        }
        if let Some((_, port)) = authority.rsplit_once(':')
            && !authority.ends_with(']')
            && port.parse::<u16>().is_err()
        {
            return refuse("the port is not a number from 0 to 65535");
        }
        if path.contains(['?', '#']) {
            return refuse("a query or fragment is not allowed");
        }
        let has_path = !path.is_empty() && path != "/";
        if has_path && !allow_path {
            return refuse(
                "a path is only possible with --native: short_domain_router sets the upstream path \
                 of short-domain requests itself, so the service path would apply to some entries only",
            );
        }
        Ok(Self {
            template: template.to_owned(),
            has_path,
        })
    }

    /// The URL of `api`'s service.
    pub fn for_api(&self, api: &str) -> String {
        self.template.replace("{api}", api)
    }

    /// The template as given.
    pub fn template(&self) -> &str {
        &self.template
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_render_per_api_and_refuse_what_kong_or_the_filters_cannot_use() {
        let url = ServiceUrl::parse(DEFAULT_SERVICE_URL, false).unwrap();
        assert_eq!(
            url.for_api("api01"),
            "http://api01.team2.svc.cluster.local:8080"
        );
        assert!(ServiceUrl::parse("https://{api}.internal/", false).is_ok());
        assert_eq!(
            ServiceUrl::parse("{api}.internal", false)
                .unwrap_err()
                .to_string(),
            "--service-url \"{api}.internal\": not an absolute URL (scheme://host[:port])"
        );
        assert!(ServiceUrl::parse("ftp://a", false).is_err());
        assert!(ServiceUrl::parse("http://a:http", false).is_err());
        assert!(ServiceUrl::parse("http://a/base", false).is_err());
        assert!(ServiceUrl::parse("http://a/base", true).is_ok());
        assert!(ServiceUrl::parse("http://a/?x", true).is_err());
    }
}
