//! Where a service sends requests, and the `Host` Kong sends with them (kong-3.9.3.md §1.5, §4.4).

use super::declarative::Service;

/// A service's upstream, with Kong's defaults applied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Upstream {
    pub protocol: String,
    pub host: String,
    pub port: u32,
    /// `None` when the service has no path (the router then uses `/`, `kong/router/utils.lua:236-239`).
    pub path: Option<String>,
}

impl Upstream {
    /// From the service's fields, or its `url` shorthand (`kong/db/schema/entities/services.lua:75-107`):
    /// the URL's scheme, host, port (else 443 for https, 80 otherwise) and path (none when the URL
    /// has none: `http://b` has no path, `http://b/` has `/`). Without `url`: `protocol` defaults
    /// to `http` and `port` to 80 whatever the protocol (`services.lua:36,38`).
    pub(super) fn from_service(service: &Service) -> Result<Self, String> {
        let Some(url) = &service.url else {
            return Ok(Upstream {
                protocol: service
                    .protocol
                    .clone()
                    .unwrap_or_else(|| "http".to_owned()),
                host: service.host.clone().unwrap_or_default(),
                port: service.port.map_or(80, u32::from),
                path: service.path.clone(),
            });
        };
        let (protocol, rest) = url
            .split_once("://")
            .ok_or_else(|| format!("service url {url:?} is not absolute"))?;
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, after) = rest.split_at(end);
        let path = after
            .split(['?', '#'])
            .next()
            .filter(|path| !path.is_empty())
            .map(str::to_owned);
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !host.contains(']') || host.ends_with(']') => (
                host,
                Some(
                    port.parse::<u16>()
                        .map_err(|_| format!("service url {url:?} has a bad port"))?,
                ),
            ),
            _ => (authority, None),
        };
        let default_port = if protocol == "https" { 443 } else { 80 };
        Ok(Upstream {
            protocol: protocol.to_owned(),
            host: host.to_owned(),
            port: port.map_or(default_port, u32::from),
            path,
        })
    }

    /// The `Host` Kong sends without `preserve_host`: the host, with `:port` unless the port is
    /// the scheme's default (`kong/runloop/balancer/init.lua:446-454`: 80 for http and grpc, 443
    /// for https and grpcs).
    pub(super) fn host_header(&self) -> String {
        let default = match self.protocol.as_str() {
            "http" | "grpc" => self.port == 80,
            "https" | "grpcs" => self.port == 443,
            _ => false,
        };
        if default {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(url: Option<&str>) -> Service {
        Service {
            url: url.map(str::to_owned),
            ..Service::default()
        }
    }

    #[test]
    fn url_shorthand_as_kong_reads_it() {
        let upstream = Upstream::from_service(&service(Some("http://b"))).unwrap();
        assert_eq!((upstream.port, upstream.path), (80, None));
        let upstream = Upstream::from_service(&service(Some("https://b/"))).unwrap();
        assert_eq!((upstream.port, upstream.path.as_deref()), (443, Some("/")));
        let upstream = Upstream::from_service(&service(Some("http://b:8080/svc?x"))).unwrap();
        assert_eq!(
            (
                upstream.host.as_str(),
                upstream.port,
                upstream.path.as_deref()
            ),
            ("b", 8080, Some("/svc"))
        );
        assert!(Upstream::from_service(&service(Some("b/x"))).is_err());
    }

    #[test]
    fn host_header_drops_only_the_default_port_of_the_protocol() {
        let host = |protocol: &str, port| {
            Upstream {
                protocol: protocol.to_owned(),
                host: "b".to_owned(),
                port,
                path: None,
            }
            .host_header()
        };
        assert_eq!(host("http", 80), "b");
        assert_eq!(host("https", 443), "b");
        assert_eq!(host("https", 80), "b:80");
        assert_eq!(host("http", 8080), "b:8080");
        assert_eq!(host("grpcs", 443), "b");
        // A service given as host + protocol https keeps Kong's default port 80.
        let fields = Service {
            protocol: Some("https".to_owned()),
            host: Some("b".to_owned()),
            ..Service::default()
        };
        assert_eq!(
            Upstream::from_service(&fields).unwrap().host_header(),
            "b:80"
        );
    }
}
