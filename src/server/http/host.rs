//! Which Log Service project a request is for: the SDK puts it in `Host`
//! as `<project>.<endpoint host>`, never in the path (`wire-protocols.md`
//! §1.1, facts 1 and 2).

/// The endpoint hosts ramgate knows without being told: the bare IP the
/// SDK's `_isRowIp` mode sends, `localhost`, and the name the wire document
/// uses for proxy mode.
pub const DEFAULT_BASE_HOSTS: &[&str] = &["127.0.0.1", "localhost", "sls.local"];

/// The project named by a `Host` header value, or `None` when the request
/// is for no project (`ListProject`, or a POP call).
///
/// The port is dropped. A host that is a base host (or an IPv4 address) has
/// no project; `<project>.<base host or IPv4 address>` names `<project>`.
/// Any other host of three or more labels (`p.cn-hangzhou.log.example`) is
/// read as a project under an endpoint ramgate was not told of: the SDK
/// only ever prefixes the endpoint with the project. A two-label host not
/// known as a base (`sls.example`) is taken as the endpoint itself, since
/// project names have no dots and endpoints have at least one.
pub fn project_of(host: &str, base_hosts: &[String]) -> Option<String> {
    let host = strip_port(host.trim()).to_ascii_lowercase();
    if host.is_empty() || is_base(&host, base_hosts) {
        return None;
    }
    let (first, rest) = host.split_once('.')?;
    if first.is_empty() {
        return None;
    }
    let known = is_base(rest, base_hosts);
    if known || rest.split('.').count() >= 2 {
        Some(first.to_string())
    } else {
        None
    }
}

fn is_base(host: &str, base_hosts: &[String]) -> bool {
    host.parse::<std::net::Ipv4Addr>().is_ok() || base_hosts.iter().any(|b| b == host)
}

/// `host:port` → `host`; `[v6]:port` → `[v6]`.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host
            .split_once(']')
            .map_or(host, |(h, _)| &host[..=h.len()]);
    }
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(host: &str) -> Option<String> {
        let bases: Vec<String> = DEFAULT_BASE_HOSTS.iter().map(|h| h.to_string()).collect();
        project_of(host, &bases)
    }

    #[test]
    fn the_project_is_the_label_before_the_endpoint_host() {
        assert_eq!(project("demo.127.0.0.1").as_deref(), Some("demo"));
        assert_eq!(project("demo.127.0.0.1:9080").as_deref(), Some("demo"));
        assert_eq!(project("demo.sls.local").as_deref(), Some("demo"));
        assert_eq!(project("Demo.LOCALHOST").as_deref(), Some("demo"));
        assert_eq!(project("p.cn-hangzhou.log.example").as_deref(), Some("p"));
    }

    #[test]
    fn an_endpoint_host_alone_names_no_project() {
        for host in [
            "127.0.0.1",
            "127.0.0.1:9080",
            "localhost",
            "sls.local:80",
            "sls.example",
            "",
            "[::1]:80",
        ] {
            assert_eq!(project(host), None, "{host}");
        }
    }
}
