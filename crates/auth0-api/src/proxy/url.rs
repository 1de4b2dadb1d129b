//! The absolute URL the client used, which a DPoP proof's `htu` is checked against.
//!
//! In order of precedence:
//! 1. the configured public URL ([`crate::Auth0Builder::public_url`]) plus the request path;
//! 2. when the peer is trusted ([`TrustProxy`]): what the proxy reported (see
//!    [`super::forwarded`]), each part falling back to the next source;
//! 3. the scheme of the request target (`http` when it has none), the `Host` header (or,
//!    without one, the authority of the request target, as HTTP/2 sends it) and the path.
//!
//! The `Host` is required when it is used: missing, repeated or invalid, the request is
//! malformed (RFC 9112 §3.2) and refused with 400 `invalid_request`. The query is never part
//! of the URL.

use http::header::HOST;
use http::{HeaderMap, Uri};

use super::TrustProxy;
use super::forwarded::{host, proto, reported};
use crate::config::{ConfigError, ConfigErrorKind};
use crate::error::{Error, ErrorKind};
use crate::request::RequestContext;

/// How the request URL is worked out: a fixed public base, or what the request says, with
/// forwarded headers read only from trusted peers.
#[derive(Clone, Debug, Default)]
pub(crate) struct UrlPolicy {
    trust: TrustProxy,
    /// Absolute http(s) base without a trailing slash.
    public_url: Option<Box<str>>,
}

impl UrlPolicy {
    pub(crate) fn new(trust: TrustProxy, public_url: Option<&str>) -> Result<Self, ConfigError> {
        Ok(Self {
            trust,
            public_url: public_url.map(parse_public_url).transpose()?,
        })
    }

    pub(crate) fn trust_proxy(&self) -> &TrustProxy {
        &self.trust
    }

    pub(crate) fn public_url(&self) -> Option<&str> {
        self.public_url.as_deref()
    }

    /// The absolute URL of `ctx`, or 400 `invalid_request` when the `Host` it needs is
    /// missing, repeated or invalid.
    pub(crate) fn request_url(&self, ctx: &RequestContext<'_>) -> Result<String, Error> {
        let uri = ctx.uri();
        let path = uri.path();
        let slash = if path.starts_with('/') { "" } else { "/" };
        if let Some(base) = &self.public_url {
            return Ok(format!("{base}{slash}{path}"));
        }
        let headers = ctx.headers();
        let mut fwd = None;
        if self.trust.trusts(ctx.peer_addr()) {
            fwd = Some(reported(headers));
        }
        let (fwd_scheme, fwd_host, prefix) = match fwd {
            Some(r) => (r.scheme, r.host, r.prefix),
            None => (None, None, ""),
        };
        let scheme = fwd_scheme
            .or_else(|| uri.scheme_str().and_then(proto))
            .unwrap_or("http");
        let host = match fwd_host {
            Some(h) => h,
            None => request_host(uri, headers)?,
        };
        Ok(format!("{scheme}://{host}{prefix}{slash}{path}"))
    }
}

/// The `Host` header, which must appear once and be valid; without one, the authority of
/// the request target (HTTP/2 `:authority`, or an absolute-form target).
fn request_host(uri: &Uri, headers: &HeaderMap) -> Result<String, Error> {
    let invalid = |detail| Error::new(ErrorKind::InvalidHost).with_detail(detail);
    let mut values = headers.get_all(HOST).iter();
    match (values.next(), values.next()) {
        (Some(_), Some(_)) => Err(invalid("several Host headers")),
        (Some(value), None) => value
            .to_str()
            .ok()
            .and_then(host)
            .ok_or_else(|| invalid("invalid Host header")),
        (None, _) => uri
            .authority()
            .and_then(|a| host(a.as_str()))
            .ok_or_else(|| invalid("no Host header")),
    }
}

/// A public base URL: absolute http(s) with a valid host, no query, fragment or
/// credentials; kept without a trailing slash so request paths append directly.
fn parse_public_url(s: &str) -> Result<Box<str>, ConfigError> {
    let err = |kind, why| ConfigError::new("public_url", kind, why).with_value(s);
    let (scheme, rest) = s
        .split_once("://")
        .ok_or_else(|| err(ConfigErrorKind::Malformed, "not an absolute URL"))?;
    let scheme = proto(scheme).ok_or_else(|| {
        err(
            ConfigErrorKind::Unsupported,
            "the scheme must be http or https",
        )
    })?;
    if rest.contains(['?', '#']) {
        return Err(err(
            ConfigErrorKind::Malformed,
            "a query or fragment is not allowed",
        ));
    }
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if authority.contains('@') {
        return Err(err(
            ConfigErrorKind::Malformed,
            "credentials are not allowed",
        ));
    }
    let authority = host(authority)
        .ok_or_else(|| err(ConfigErrorKind::Malformed, "a valid host is required"))?;
    if path.contains("..")
        || path.contains("//")
        || !path
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'\\' | b'"' | b'<' | b'>'))
    {
        return Err(err(ConfigErrorKind::Malformed, "the path is not allowed"));
    }
    Ok(format!("{scheme}://{authority}{}", path.trim_end_matches('/')).into_boxed_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::forwarded::test_headers as headers;
    use http::Method;
    use std::net::IpAddr;

    fn policy(trusted: bool) -> UrlPolicy {
        UrlPolicy::new(TrustProxy::from(trusted), None).expect("policy")
    }

    fn url_of(p: &UrlPolicy, target: &str, pairs: &[(&str, &str)]) -> Result<String, ErrorKind> {
        let uri: Uri = target.parse().expect("test uri");
        let h = headers(pairs);
        let peer: Option<IpAddr> = "10.0.0.1".parse().ok();
        p.request_url(&RequestContext::new(&Method::GET, &uri, &h).peer(peer))
            .map_err(|e| e.kind())
    }

    fn url(trusted: bool, target: &str, pairs: &[(&str, &str)]) -> Result<String, ErrorKind> {
        url_of(&policy(trusted), target, pairs)
    }

    fn ok(s: &str) -> Result<String, ErrorKind> {
        Ok(s.to_owned())
    }

    #[test]
    fn public_url_wins() {
        let h = [
            ("host", "internal:8080"),
            ("x-forwarded-host", "evil.example"),
        ];
        let p = UrlPolicy::new(TrustProxy::all(), Some("https://API.example.com/")).expect("ok");
        assert_eq!(
            url_of(&p, "/data?x=1", &h),
            ok("https://api.example.com/data")
        );
        let p = UrlPolicy::new(TrustProxy::none(), Some("https://api.example.com/v1")).expect("ok");
        assert_eq!(
            url_of(&p, "/data", &h),
            ok("https://api.example.com/v1/data")
        );
        assert_eq!(
            url_of(&p, "/data", &[]),
            ok("https://api.example.com/v1/data"),
            "no Host needed"
        );
    }

    #[test]
    fn public_url_rules() {
        for bad in [
            "api.example.com",
            "ftp://api.example.com",
            "https://",
            "https://api.example.com?x=1",
            "https://api.example.com/#f",
            "https://user:pw@api.example.com",
            "https://api.example.com/a/../b",
            "https://api .example.com",
        ] {
            let e = UrlPolicy::new(TrustProxy::none(), Some(bad)).err();
            assert_eq!(e.map(|e| e.field()), Some("public_url"), "{bad}");
        }
    }

    #[test]
    fn untrusted_uses_host_and_ignores_forwarding() {
        let fwd = [
            ("host", "Internal:8080"),
            ("forwarded", "proto=https;host=api.example.com"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "api.example.com"),
            ("x-forwarded-prefix", "/api"),
        ];
        assert_eq!(
            url(false, "/data?q=1", &fwd),
            ok("http://internal:8080/data")
        );
        assert_eq!(
            url(false, "https://h2.example/x", &[]),
            ok("https://h2.example/x")
        );
        assert_eq!(
            url(
                false,
                "http://authority.example/x",
                &[("host", "host.example")]
            ),
            ok("http://host.example/x"),
            "Host first, then the authority"
        );
    }

    #[test]
    fn trusted_forwarded_first() {
        let h = [
            ("host", "internal"),
            (
                "forwarded",
                "for=1.2.3.4, for=5.6.7.8;proto=https;host=\"API.example.com:8443\"",
            ),
            ("x-forwarded-proto", "http"),
            ("x-forwarded-host", "other.example"),
        ];
        assert_eq!(
            url(true, "/data", &h),
            ok("https://api.example.com:8443/data")
        );
    }

    #[test]
    fn client_forwarded_cannot_override_the_proxy() {
        // The client wrote `Forwarded: host=evil`; the proxy appended its own element.
        let h = [
            ("host", "internal"),
            (
                "forwarded",
                "host=evil.example;proto=http, host=api.example.com;proto=https",
            ),
        ];
        assert_eq!(url(true, "/d", &h), ok("https://api.example.com/d"));
        // Listed proxy networks: a peer outside them is not trusted at all.
        let p = UrlPolicy::new(
            TrustProxy::networks(["192.168.0.0/16"]).expect("nets"),
            None,
        )
        .expect("policy");
        assert_eq!(url_of(&p, "/d", &h), ok("http://internal/d"));
    }

    #[test]
    fn trusted_x_forwarded() {
        let h = [
            ("host", "internal"),
            ("x-forwarded-proto", "HTTPS"),
            ("x-forwarded-host", "api.example.com, proxy.local"),
            ("x-forwarded-prefix", "/api/"),
        ];
        assert_eq!(
            url(true, "/data", &h),
            ok("https://api.example.com/api/data")
        );
        assert_eq!(
            url(true, "/d", &[("host", "h"), ("x-forwarded-prefix", "/")]),
            ok("http://h/d")
        );
    }

    #[test]
    fn hostile_forwarded_values_fall_back() {
        let base = ("host", "internal");
        let cases: &[(&str, &str)] = &[
            ("x-forwarded-host", "evil.example/path"),
            ("x-forwarded-host", "//evil.example"),
            ("x-forwarded-host", "evil.example good.example"),
            ("x-forwarded-host", "user@evil.example"),
            ("x-forwarded-host", "evil.example:70000"),
            ("x-forwarded-host", "evil.example:0"),
            ("x-forwarded-host", "evil.example:80:80"),
            ("x-forwarded-host", "[::1"),
            ("x-forwarded-host", "a..b"),
            ("x-forwarded-host", "evil%2eexample"),
            ("x-forwarded-proto", "javascript"),
            ("x-forwarded-proto", "ftp"),
            ("x-forwarded-prefix", "/../admin"),
            ("x-forwarded-prefix", "//evil.example"),
            ("forwarded", "host=evil.example;host=other.example"),
            ("forwarded", "proto=https;proto=http"),
            ("forwarded", "host=\"evil.example/x\""),
            ("forwarded", "host=\"unterminated"),
            ("forwarded", "host=evil.example junk"),
            ("forwarded", "=evil.example"),
            ("forwarded", "proto=gopher"),
        ];
        for (name, value) in cases {
            assert_eq!(
                url(true, "/d", &[base, (name, value)]),
                ok("http://internal/d"),
                "{name}: {value}"
            );
        }
    }

    #[test]
    fn host_is_required_when_used() {
        for pairs in [
            &[][..],
            &[("host", "a.example"), ("host", "b.example")][..],
            &[("host", "evil/../x")][..],
            &[("host", "a.example:99999")][..],
            &[("host", "user@a.example")][..],
            &[("host", "a b")][..],
            &[("host", "")][..],
        ] {
            assert_eq!(
                url(false, "/d", pairs),
                Err(ErrorKind::InvalidHost),
                "{pairs:?}"
            );
            // A trusted proxy's host replaces it.
            let mut with_fwd = pairs.to_vec();
            with_fwd.push(("x-forwarded-host", "api.example.com"));
            assert_eq!(url(true, "/d", &with_fwd), ok("http://api.example.com/d"));
        }
    }
}
