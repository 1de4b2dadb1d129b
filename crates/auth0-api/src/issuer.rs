//! Protocol values: issuer URLs and audiences.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use url::{Host, Url};

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
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let url = Url::parse(s.trim()).map_err(|_| "not an absolute URL")?;
        check_url(&url)?;
        if url.query().is_some() {
            return Err("a query is not allowed");
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("a host is required");
        }
        Ok(Self(Arc::from(url.as_str())))
    }

    /// The issuer for an Auth0 tenant domain: `https://{domain}/`.
    pub fn from_domain(domain: &str) -> Result<Self, &'static str> {
        let d = domain.trim();
        let d = d
            .strip_prefix("https://")
            .or_else(|| d.strip_prefix("HTTPS://"))
            .unwrap_or(d);
        let d = d.strip_suffix('/').unwrap_or(d);
        if d.is_empty() {
            return Err("empty domain");
        }
        if d.contains(['/', '?', '#', '@', ' ']) || d.contains("://") {
            return Err("a domain is a bare host name, e.g. my-tenant.us.auth0.com");
        }
        let issuer = Self::parse(&format!("https://{d}/"))?;
        Ok(issuer)
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
    pub fn new(s: impl AsRef<str>) -> Option<Self> {
        let s = s.as_ref();
        (!s.trim().is_empty()).then(|| Self(Arc::from(s)))
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
        let ok = |s| Issuer::parse(s).map(|i| i.as_str().to_owned());
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
            assert!(Issuer::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn domains() {
        let ok = |s| Issuer::from_domain(s).map(|i| i.as_str().to_owned());
        assert_eq!(
            ok("my-tenant.us.auth0.com"),
            Ok("https://my-tenant.us.auth0.com/".into())
        );
        assert_eq!(
            ok("https://My-Tenant.us.auth0.com/"),
            Ok("https://my-tenant.us.auth0.com/".into())
        );
        for bad in ["", "/", "a/b", "u@h", "http://h", "h?x", "h#x", "a b"] {
            assert!(Issuer::from_domain(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slash_rule() {
        let Ok(i) = Issuer::parse("https://a.example/") else {
            panic!()
        };
        assert!(i.matches_modulo_slash("https://a.example"));
        assert!(i.matches_modulo_slash("https://a.example/"));
        assert!(!i.matches_modulo_slash("https://a.example/x"));
        assert!(!i.matches_modulo_slash("https://A.example/"));
    }

    #[test]
    fn audiences() {
        assert!(Audience::new("").is_none());
        assert!(Audience::new("  ").is_none());
        assert_eq!(
            Audience::new("https://api").map(|a| a.as_str().to_owned()),
            Some("https://api".into())
        );
    }
}
