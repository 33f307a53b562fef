//! Image references as Docker reads them (`distribution/reference`, `ParseNormalizedNamed`):
//! the first path component is a registry host only when it has a `.` or a `:` or is
//! `localhost`; otherwise the image is on Docker Hub, whose official images live under
//! `library/` and whose API is served by `registry-1.docker.io`.

/// Docker Hub as references name it, and the host its API answers on.
pub const DOCKER_HUB: &str = "docker.io";
pub const DOCKER_HUB_API: &str = "registry-1.docker.io";

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    /// `docker.io`, `ghcr.io`, `127.0.0.1:5000`…
    pub registry: String,
    /// `library/ubuntu`, `xnat/dcm2niix`…
    pub repository: String,
    pub tag: Option<String>,
    /// `sha256:…` when pinned.
    pub digest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{reference}` is not an image reference: {why}")]
pub struct ReferenceError {
    pub reference: String,
    pub why: &'static str,
}

impl ImageRef {
    pub fn parse(text: &str) -> Result<ImageRef, ReferenceError> {
        let fail = |why| ReferenceError {
            reference: text.to_string(),
            why,
        };
        let (rest, digest) = match text.split_once('@') {
            Some((name, digest)) => {
                let ok = digest.split_once(':').is_some_and(|(alg, hex)| {
                    !alg.is_empty() && hex.len() >= 32 && hex.chars().all(|c| c.is_ascii_hexdigit())
                });
                if !ok {
                    return Err(fail("the digest is not `algorithm:hex`"));
                }
                (name, Some(digest.to_string()))
            }
            None => (text, None),
        };
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
            None => (rest, None),
        };
        if tag.is_some_and(|t| t.is_empty() || t.len() > 128) {
            return Err(fail("the tag is empty or too long"));
        }
        let (registry, repository) = match name.split_once('/') {
            Some((first, more))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_ascii_lowercase(), more.to_string())
            }
            _ => (DOCKER_HUB.to_string(), name.to_string()),
        };
        let registry = match registry.as_str() {
            "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB.to_string(),
            _ => registry,
        };
        let repository = if registry == DOCKER_HUB && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        let valid = !repository.is_empty()
            && repository.split('/').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
            });
        if !valid {
            return Err(fail("the repository must be lower-case path components"));
        }
        Ok(ImageRef {
            registry,
            repository,
            tag: tag.map(str::to_string),
            digest,
        })
    }

    /// The host (and port) the Registry API answers on.
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            DOCKER_HUB_API
        } else {
            &self.registry
        }
    }

    /// The tag or digest to ask the manifest for (`latest` when neither is given).
    pub fn manifest_ref(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }

    /// Whether the registry is on this machine (plain http is allowed only there).
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(&self.registry)
    }
}

/// `localhost`, `127.x.x.x` or `[::1]`, with or without a port.
pub fn is_loopback_host(host_port: &str) -> bool {
    let host = if let Some(rest) = host_port.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host_port.rsplit_once(':').map_or(host_port, |(h, _)| h)
    };
    host == "localhost"
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The `host[:port]` of a registry URL as a `Registry` declares it (`https://index.docker.io/v1/`
/// is Docker Hub), and whether it is declared plain http.
pub fn registry_host(url: &str) -> Option<(String, bool)> {
    let (insecure, rest) = if let Some(r) = url.strip_prefix("http://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("https://") {
        (false, r)
    } else {
        (false, url)
    };
    let host = rest
        .split('/')
        .next()
        .filter(|h| !h.is_empty())?
        .to_ascii_lowercase();
    let host = match host.as_str() {
        "index.docker.io"
        | "registry-1.docker.io"
        | "registry.hub.docker.com"
        | "hub.docker.com" => DOCKER_HUB.to_string(),
        _ => host,
    };
    Some((host, insecure))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> ImageRef {
        ImageRef::parse(text).expect(text)
    }

    #[test]
    fn docker_hub_rules() {
        let r = p("ubuntu");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("docker.io", "library/ubuntu")
        );
        assert_eq!(r.manifest_ref(), "latest");
        assert_eq!(r.api_host(), "registry-1.docker.io");
        let r = p("xnat/dcm2niix:1.0");
        assert_eq!(r.repository, "xnat/dcm2niix");
        assert_eq!(r.tag.as_deref(), Some("1.0"));
        assert_eq!(p("docker.io/ubuntu:22.04").repository, "library/ubuntu");
        assert_eq!(p("index.docker.io/xnat/x:1").registry, "docker.io");
    }

    #[test]
    fn other_hosts_ports_and_digests() {
        let r = p("127.0.0.1:5000/xcs/img:2.1");
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.repository, "xcs/img");
        assert!(r.is_loopback());
        let r = p("localhost/a/b");
        assert_eq!((r.registry.as_str(), r.tag), ("localhost", None));
        let d = format!("sha256:{}", "a".repeat(64));
        let r = p(&format!("ghcr.io/org/img:1@{d}"));
        assert_eq!(r.manifest_ref(), d);
        assert_eq!(r.tag.as_deref(), Some("1"));
        assert!(!r.is_loopback());
        assert!(ImageRef::parse("Upper/Case:1").is_err());
        assert!(ImageRef::parse("a@sha256:xyz").is_err());
    }

    #[test]
    fn registry_urls() {
        assert_eq!(
            registry_host("https://index.docker.io/v1/"),
            Some(("docker.io".into(), false))
        );
        assert_eq!(
            registry_host("http://10.0.0.1:5000"),
            Some(("10.0.0.1:5000".into(), true))
        );
        assert!(is_loopback_host("[::1]:5000"));
        assert!(!is_loopback_host("10.1.1.1:5000"));
    }
}
