//! Protocol values: issuer URLs and audiences.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use url::{Host, Url};

use crate::config::{ConfigError, ConfigErrorKind};

/// Whether `url` may be fetched or trusted: `https`, or `http` on a loopback host
/// (127.0.0.0/8, ::1, localhost) for local development and tests. No userinfo, no fragment.
pub(crate) fn check_url(url: &Url) -> Result<(), &'static str> {
    if !url.username().is_empty() || url.password().is_some() {
        return Err("credentials in the URL are not allowed");
    }
    if url.fragment().is_some() {
        return Err("a fragment is not allowed");
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err("http is allowed only for loopback hosts; use https"),
        _ => Err("the scheme must be https"),
    }
}

/// A fetchable URL given in the configuration as `field` (a JWKS or token endpoint): an
/// absolute URL that passes [`check_url`].
pub(crate) fn configured_url(field: &'static str, s: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(s).map_err(|_| {
        ConfigError::new(field, ConfigErrorKind::Malformed, "not an absolute URL").with_value(s)
    })?;
    check_url(&url)
        .map_err(|why| ConfigError::new(field, url_error_kind(&url), why).with_value(s))?;
    Ok(url)
}

/// The kind of a [`check_url`] refusal.
fn url_error_kind(url: &Url) -> ConfigErrorKind {
    if url.scheme() == "http" {
        ConfigErrorKind::Insecure
    } else if url.scheme() == "https" {
        ConfigErrorKind::Malformed
    } else {
        ConfigErrorKind::Unsupported
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// An issuer identifier (the `iss` a token must carry), validated at build time.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Issuer(Arc<str>);

impl Issuer {
    /// Parses an issuer URL (`https://…`, or `http://` for loopback hosts only); no query,
    /// fragment or credentials.
    pub fn parse(s: &str) -> Result<Self, ConfigError> {
        Self::parse_as("issuer", s)
    }

    fn parse_as(field: &'static str, s: &str) -> Result<Self, ConfigError> {
        let err = |kind, why| ConfigError::new(field, kind, why).with_value(s);
        let url = Url::parse(s.trim())
            .map_err(|_| err(ConfigErrorKind::Malformed, "not an absolute URL"))?;
        check_url(&url).map_err(|why| err(url_error_kind(&url), why))?;
        if url.query().is_some() {
            return Err(err(ConfigErrorKind::Malformed, "a query is not allowed"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(err(ConfigErrorKind::Malformed, "a host is required"));
        }
        Ok(Self(Arc::from(url.as_str())))
    }

    /// The issuer for an Auth0 tenant domain: `https://{domain}/`.
    pub fn from_domain(domain: &str) -> Result<Self, ConfigError> {
        let err = |kind, why| ConfigError::new("domain", kind, why).with_value(domain);
        let d = domain.trim();
        let d = d
            .strip_prefix("https://")
            .or_else(|| d.strip_prefix("HTTPS://"))
            .unwrap_or(d);
        let d = d.strip_suffix('/').unwrap_or(d);
        if d.is_empty() {
            return Err(err(ConfigErrorKind::Empty, "empty domain"));
        }
        if d.contains(['/', '?', '#', '@', ' ']) || d.contains("://") {
            return Err(err(
                ConfigErrorKind::Malformed,
                "a domain is a bare host name, e.g. my-tenant.us.auth0.com",
            ));
        }
        Self::parse_as("domain", &format!("https://{d}/"))
    }

    /// The issuer as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn url(&self) -> Option<Url> {
        Url::parse(&self.0).ok()
    }

    /// Whether `other` names the same issuer, allowing only a difference in the trailing
    /// slash (discovery's `issuer` is then canonical).
    pub(crate) fn matches_modulo_slash(&self, other: &str) -> bool {
        self.0.trim_end_matches('/') == other.trim_end_matches('/')
    }
}

impl fmt::Debug for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An accepted audience (`aud`), usually the API identifier.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Audience(Arc<str>);

impl Audience {
    /// An audience; must be non-empty.
    pub fn new(s: impl AsRef<str>) -> Result<Self, ConfigError> {
        let s = s.as_ref();
        if s.trim().is_empty() {
            return Err(ConfigError::new(
                "audience",
                ConfigErrorKind::Empty,
                "must not be empty",
            ));
        }
        Ok(Self(Arc::from(s)))
    }

    /// The audience as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers() {
        let ok = |s| {
            Issuer::parse(s)
                .map(|i| i.as_str().to_owned())
                .map_err(|e| e.kind())
        };
        assert_eq!(
            ok("https://id.example.com/"),
            Ok("https://id.example.com/".into())
        );
        assert_eq!(
            ok("https://ID.example.com"),
            Ok("https://id.example.com/".into())
        );
        assert_eq!(
            ok("https://id.example.com/tenant"),
            Ok("https://id.example.com/tenant".into())
        );
        assert_eq!(
            ok("http://127.0.0.1:8080/"),
            Ok("http://127.0.0.1:8080/".into())
        );
        assert_eq!(ok("http://127.1.2.3/"), Ok("http://127.1.2.3/".into()));
        assert_eq!(ok("http://[::1]:9/"), Ok("http://[::1]:9/".into()));
        assert_eq!(
            ok("http://localhost:3000/"),
            Ok("http://localhost:3000/".into())
        );
        for bad in [
            "http://id.example.com/",
            "http://10.0.0.1/",
            "ftp://id.example.com/",
            "https://u:p@id.example.com/",
            "https://id.example.com/?a=b",
            "https://id.example.com/#f",
            "id.example.com",
            "",
            "https://",
        ] {
            let err = Issuer::parse(bad).err();
            assert_eq!(
                err.as_ref().map(ConfigError::field),
                Some("issuer"),
                "{bad}"
            );
            assert_eq!(
                err.as_ref().and_then(ConfigError::value),
                Some(bad),
                "{bad}"
            );
        }
    }

    #[test]
    fn domains() {
        let ok = |s| {
            Issuer::from_domain(s)
                .map(|i| i.as_str().to_owned())
                .map_err(|e| e.kind())
        };
        assert_eq!(
            ok("my-tenant.us.auth0.com"),
            Ok("https://my-tenant.us.auth0.com/".into())
        );
        assert_eq!(
            ok("https://My-Tenant.us.auth0.com/"),
            Ok("https://my-tenant.us.auth0.com/".into())
        );
        assert_eq!(
            Issuer::parse("http://id.example.com/")
                .map_err(|e| e.kind())
                .err(),
            Some(ConfigErrorKind::Insecure)
        );
        for bad in ["", "/", "a/b", "u@h", "http://h", "h?x", "h#x", "a b"] {
            assert!(Issuer::from_domain(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slash_rule() {
        let i = Issuer::parse("https://a.example/").unwrap();
        assert!(i.matches_modulo_slash("https://a.example"));
        assert!(i.matches_modulo_slash("https://a.example/"));
        assert!(!i.matches_modulo_slash("https://a.example/x"));
        assert!(!i.matches_modulo_slash("https://A.example/"));
    }

    #[test]
    fn audiences() {
        assert!(Audience::new("").is_err());
        assert_eq!(
            Audience::new("  ").map_err(|e| e.kind()).err(),
            Some(ConfigErrorKind::Empty)
        );
        assert_eq!(
            Audience::new("https://api")
                .ok()
                .map(|a| a.as_str().to_owned()),
            Some("https://api".into())
        );
    }
}
