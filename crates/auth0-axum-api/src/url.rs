//! The absolute URL the client used, which a DPoP proof's `htu` is checked against
//! (SPEC §6).
//!
//! In order of precedence:
//! 1. the configured public URL ([`auth0_api::Auth0Builder::public_url`]) plus the request
//!    path;
//! 2. when the peer is trusted ([`auth0_api::TrustProxy`], checked against the address in
//!    `ConnectInfo<SocketAddr>`): RFC 7239 `Forwarded` (`proto=`, `host=`), then
//!    `X-Forwarded-Proto`, `X-Forwarded-Host` and `X-Forwarded-Prefix`;
//! 3. otherwise the scheme of the request target (`http` when it has none), the `Host`
//!    header (or the authority of the request target) and the path.
//!
//! A value that fails validation is ignored and the next source is used: hostile headers can
//! make a DPoP proof fail to match, never make the URL something other than a well-formed
//! `scheme://host[:port][/prefix]/path`. The query is never part of the URL.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use auth0_api::Auth0;
use axum::extract::{ConnectInfo, OriginalUri};
use http::header::{FORWARDED, HOST};
use http::{Extensions, HeaderMap, HeaderName, Uri};

const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_FORWARDED_PREFIX: HeaderName = HeaderName::from_static("x-forwarded-prefix");

/// Longest host (with port) taken from a header; DNS names are at most 253 bytes.
const MAX_HOST_LEN: usize = 262;
/// Longest prefix taken from `X-Forwarded-Prefix`.
const MAX_PREFIX_LEN: usize = 1024;

/// The peer address of the connection, when the server recorded it
/// (`into_make_service_with_connect_info::<SocketAddr>()`).
pub(crate) fn peer_ip(extensions: &Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// The absolute URL of the request, for `auth0.verify_request`.
pub(crate) fn request_url(
    auth0: &Auth0,
    uri: &Uri,
    headers: &HeaderMap,
    extensions: &Extensions,
) -> String {
    // Inside a nested router the URI has lost its prefix; the original one has not.
    let uri = extensions
        .get::<OriginalUri>()
        .map_or(uri, |OriginalUri(original)| original);
    let trusted =
        auth0.trust_proxy().is_enabled() && auth0.trust_proxy().trusts(peer_ip(extensions));
    build(
        auth0.public_url().map(|u| u.as_str()),
        trusted,
        uri,
        headers,
    )
}

/// The URL from its inputs: a fixed public base, whether forwarded headers may be read,
/// the request target and the headers.
pub(crate) fn build(
    public_url: Option<&str>,
    trusted: bool,
    uri: &Uri,
    headers: &HeaderMap,
) -> String {
    let path = uri.path();
    let slash = if path.starts_with('/') { "" } else { "/" };
    if let Some(base) = public_url {
        return format!("{}{slash}{path}", base.trim_end_matches('/'));
    }

    let mut scheme: Option<&'static str> = None;
    let mut host: Option<String> = None;
    let mut prefix = "";
    if trusted {
        if let Some(fwd) = forwarded(headers) {
            scheme = fwd.proto;
            host = fwd.host;
        }
        if scheme.is_none() {
            scheme = first_value(headers, &X_FORWARDED_PROTO).and_then(proto);
        }
        if host.is_none() {
            host = first_value(headers, &X_FORWARDED_HOST).and_then(valid_host);
        }
        prefix = first_value(headers, &X_FORWARDED_PREFIX)
            .and_then(valid_prefix)
            .unwrap_or("");
    }
    let scheme = scheme
        .or_else(|| uri.scheme_str().and_then(proto))
        .unwrap_or("http");
    let host = host
        .or_else(|| single_value(headers, &HOST).and_then(valid_host))
        .or_else(|| uri.authority().and_then(|a| valid_host(a.as_str())))
        .unwrap_or_default();
    format!("{scheme}://{host}{prefix}{slash}{path}")
}

/// The value of a header that must appear once, as visible ASCII.
fn single_value<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Option<&'h str> {
    let mut values = headers.get_all(name).iter();
    let first = values.next()?;
    if values.next().is_some() {
        return None;
    }
    first.to_str().ok()
}

/// The first comma-separated value of the first field of `name`, trimmed.
fn first_value<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Option<&'h str> {
    let field = headers.get(name)?.to_str().ok()?;
    let value = field.split(',').next()?.trim_matches([' ', '\t']);
    (!value.is_empty()).then_some(value)
}

/// `http` or `https`, case-insensitive.
fn proto(value: &str) -> Option<&'static str> {
    if value.eq_ignore_ascii_case("https") {
        Some("https")
    } else if value.eq_ignore_ascii_case("http") {
        Some("http")
    } else {
        None
    }
}

/// A `host[:port]` as RFC 3986 allows it in an authority, restricted to DNS names, IPv4
/// addresses and IPv6 literals, with a port in `1..=65535`; lowercased.
fn valid_host(value: &str) -> Option<String> {
    if value.is_empty() || value.len() > MAX_HOST_LEN {
        return None;
    }
    let (name, port) = if let Some(rest) = value.strip_prefix('[') {
        let (literal, after) = rest.split_once(']')?;
        literal.parse::<Ipv6Addr>().ok()?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (&value[..literal.len() + 2], port)
    } else {
        let (name, port) = match value.split_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (value, None),
        };
        if !valid_dns_name(name) {
            return None;
        }
        (name, port)
    };
    if let Some(port) = port {
        if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        match port.parse::<u16>() {
            Ok(p) if p > 0 => {}
            _ => return None,
        }
        return Some(format!("{}:{port}", name.to_ascii_lowercase()));
    }
    Some(name.to_ascii_lowercase())
}

/// Dot-separated labels of letters, digits, `-` and `_`, each 1..=63 bytes, at most 253 in
/// all (an IPv4 address passes as four numeric labels).
fn valid_dns_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// A path prefix such as `/api`: starts with one `/`, no dot segments (plain or encoded), no
/// `:`, no query, fragment, backslash, whitespace or control characters. Returned without a
/// trailing slash; `/` alone is the empty prefix.
fn valid_prefix(value: &str) -> Option<&str> {
    if value.len() > MAX_PREFIX_LEN || !value.starts_with('/') || value.starts_with("//") {
        return None;
    }
    let lower = value.to_ascii_lowercase();
    if value.contains("..") || lower.contains("%2e") {
        return None;
    }
    let forbidden = |b: u8| {
        matches!(
            b,
            b':' | b'?'
                | b'#'
                | b'\\'
                | b' '
                | b'"'
                | b'<'
                | b'>'
                | b'`'
                | b'{'
                | b'}'
                | b'|'
                | b'^'
        ) || b.is_ascii_control()
            || !b.is_ascii()
    };
    if value.bytes().any(forbidden) {
        return None;
    }
    Some(value.trim_end_matches('/'))
}

/// What the first element of the first `Forwarded` field says about the original request.
#[derive(Debug, Default, PartialEq, Eq)]
struct Forwarded {
    proto: Option<&'static str>,
    host: Option<String>,
}

/// Reads `proto=` and `host=` from the first forwarded-element (RFC 7239 §4), the one the
/// proxy nearest the client wrote. A syntactically broken element, or one that repeats a
/// parameter, is ignored as a whole; a value that fails validation is ignored alone.
fn forwarded(headers: &HeaderMap) -> Option<Forwarded> {
    let field = headers.get(FORWARDED)?.to_str().ok()?;
    let pairs = first_element(field)?;
    let mut out = Forwarded::default();
    let (mut seen_proto, mut seen_host) = (false, false);
    for (name, value) in pairs {
        if name.eq_ignore_ascii_case("proto") {
            if std::mem::replace(&mut seen_proto, true) {
                return None;
            }
            out.proto = proto(&value);
        } else if name.eq_ignore_ascii_case("host") {
            if std::mem::replace(&mut seen_host, true) {
                return None;
            }
            out.host = valid_host(&value);
        }
    }
    Some(out)
}

/// The `name=value` pairs of the first element of a `Forwarded` field, values unquoted.
fn first_element(field: &str) -> Option<Vec<(&str, String)>> {
    let bytes = field.as_bytes();
    let mut pairs = Vec::new();
    let mut i = 0;
    loop {
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
            i += 1;
        }
        if i >= bytes.len() || bytes[i] == b',' {
            break;
        }
        if bytes[i] == b';' {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_tchar(bytes[i]) {
            i += 1;
        }
        let name = field.get(start..i)?;
        if name.is_empty() || bytes.get(i) != Some(&b'=') {
            return None;
        }
        i += 1;
        let value = if bytes.get(i) == Some(&b'"') {
            i += 1;
            let mut v = String::new();
            loop {
                match bytes.get(i)? {
                    b'"' => {
                        i += 1;
                        break;
                    }
                    b'\\' => {
                        let escaped = *bytes.get(i + 1)?;
                        v.push(char::from(escaped));
                        i += 2;
                    }
                    b => {
                        v.push(char::from(*b));
                        i += 1;
                    }
                }
            }
            v
        } else {
            let start = i;
            while i < bytes.len() && is_tchar(bytes[i]) {
                i += 1;
            }
            field.get(start..i)?.to_owned()
        };
        pairs.push((name, value));
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
            i += 1;
        }
        match bytes.get(i) {
            None | Some(b',') => break,
            Some(b';') => i += 1,
            Some(_) => return None,
        }
    }
    Some(pairs)
}

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) else {
                panic!("bad test header {name}: {value}");
            };
            h.append(name, value);
        }
        h
    }

    fn url(trusted: bool, target: &str, pairs: &[(&str, &str)]) -> String {
        let uri: Uri = target.parse().unwrap_or_else(|e| panic!("{target}: {e}"));
        build(None, trusted, &uri, &headers(pairs))
    }

    #[test]
    fn public_url_wins() {
        let uri: Uri = "/data?x=1".parse().unwrap_or_else(|e| panic!("{e}"));
        let h = headers(&[
            ("host", "internal:8080"),
            ("x-forwarded-host", "evil.example"),
        ]);
        assert_eq!(
            build(Some("https://api.example.com/"), true, &uri, &h),
            "https://api.example.com/data"
        );
        assert_eq!(
            build(Some("https://api.example.com/v1"), false, &uri, &h),
            "https://api.example.com/v1/data"
        );
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
        assert_eq!(url(false, "/data?q=1", &fwd), "http://internal:8080/data");
        assert_eq!(url(false, "/", &[]), "http:///");
        assert_eq!(
            url(false, "https://h2.example/x", &[]),
            "https://h2.example/x"
        );
        assert_eq!(
            url(
                false,
                "http://authority.example/x",
                &[("host", "host.example")]
            ),
            "http://host.example/x",
            "Host first, then the authority"
        );
    }

    #[test]
    fn trusted_forwarded_first() {
        let h = [
            ("host", "internal"),
            (
                "forwarded",
                "for=1.2.3.4;proto=https;host=\"API.example.com:8443\", proto=http;host=proxy",
            ),
            ("x-forwarded-proto", "http"),
            ("x-forwarded-host", "other.example"),
        ];
        assert_eq!(url(true, "/data", &h), "https://api.example.com:8443/data");
    }

    #[test]
    fn trusted_x_forwarded() {
        let h = [
            ("host", "internal"),
            ("x-forwarded-proto", "HTTPS"),
            ("x-forwarded-host", "api.example.com, proxy.local"),
            ("x-forwarded-prefix", "/api/"),
        ];
        assert_eq!(url(true, "/data", &h), "https://api.example.com/api/data");
        // Forwarded without proto/host leaves X-Forwarded-* in charge.
        let h = [
            ("host", "internal"),
            ("forwarded", "for=1.2.3.4"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "api.example.com"),
        ];
        assert_eq!(url(true, "/d", &h), "https://api.example.com/d");
        assert_eq!(
            url(true, "/d", &[("host", "h"), ("x-forwarded-prefix", "/")]),
            "http://h/d"
        );
    }

    #[test]
    fn hostile_values_fall_back() {
        let base = ("host", "internal");
        let cases: &[(&str, &str)] = &[
            ("x-forwarded-host", "evil.example/path"),
            ("x-forwarded-host", "//evil.example"),
            ("x-forwarded-host", "evil.example good.example"),
            ("x-forwarded-host", "user@evil.example"),
            ("x-forwarded-host", "evil.example:70000"),
            ("x-forwarded-host", "evil.example:0"),
            ("x-forwarded-host", "evil.example:"),
            ("x-forwarded-host", "evil.example:80:80"),
            ("x-forwarded-host", "[::1"),
            ("x-forwarded-host", "[nope]"),
            ("x-forwarded-host", "a..b"),
            ("x-forwarded-host", ".."),
            ("x-forwarded-host", "-a.example"),
            ("x-forwarded-host", "evil%2eexample"),
            ("x-forwarded-proto", "javascript"),
            ("x-forwarded-proto", "ftp"),
            ("x-forwarded-prefix", "/../admin"),
            ("x-forwarded-prefix", "/a/.."),
            ("x-forwarded-prefix", "//evil.example"),
            ("x-forwarded-prefix", "/a:b"),
            ("x-forwarded-prefix", "/%2e%2e/admin"),
            ("x-forwarded-prefix", "/%2E%2E"),
            ("x-forwarded-prefix", "api"),
            ("x-forwarded-prefix", "/a?b"),
            ("x-forwarded-prefix", "/a#b"),
            ("x-forwarded-prefix", "/a\\b"),
            ("x-forwarded-prefix", "/a b"),
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
                "http://internal/d",
                "{name}: {value}"
            );
        }
        // Values the header type cannot even hold never reach the parser.
        assert!(HeaderValue::from_bytes(b"evil\r\nx: y").is_err());
        assert!(HeaderValue::from_bytes(b"/a\0b").is_err());
    }

    #[test]
    fn hostile_host_header() {
        assert_eq!(
            url(false, "/d", &[("host", "a.example"), ("host", "b.example")]),
            "http:///d"
        );
        assert_eq!(url(false, "/d", &[("host", "evil/../x")]), "http:///d");
        assert_eq!(
            url(false, "/d", &[("host", "a.example:99999")]),
            "http:///d"
        );
    }

    #[test]
    fn hosts() {
        assert_eq!(valid_host("Example.COM").as_deref(), Some("example.com"));
        assert_eq!(
            valid_host("127.0.0.1:3000").as_deref(),
            Some("127.0.0.1:3000")
        );
        assert_eq!(valid_host("[::1]:8443").as_deref(), Some("[::1]:8443"));
        assert_eq!(valid_host("[FE80::1]").as_deref(), Some("[fe80::1]"));
        assert_eq!(valid_host("svc_internal").as_deref(), Some("svc_internal"));
        assert_eq!(
            valid_host("a.example:65535").as_deref(),
            Some("a.example:65535")
        );
        for bad in [
            "",
            ":80",
            "a.example:65536",
            "a.example:+80",
            "[::1]x",
            "[::1]:",
            "a,b",
            "é.example",
        ] {
            assert_eq!(valid_host(bad), None, "{bad}");
        }
        assert_eq!(valid_host(&"a".repeat(300)), None);
    }

    #[test]
    fn forwarded_syntax() {
        let f = |v: &str| forwarded(&headers(&[("forwarded", v)]));
        assert_eq!(
            f("Proto=HTTPS; Host=api.example.com"),
            Some(Forwarded {
                proto: Some("https"),
                host: Some("api.example.com".into())
            })
        );
        assert_eq!(
            f("for=\"[2001:db8::1]:4711\";host=\"a.example\""),
            Some(Forwarded {
                proto: None,
                host: Some("a.example".into())
            })
        );
        assert_eq!(
            f(";;proto=http,"),
            Some(Forwarded {
                proto: Some("http"),
                host: None
            })
        );
        assert_eq!(f("proto"), None);
        assert_eq!(f("proto=\"https\\"), None);
        assert_eq!(f("proto=https host=a"), None);
    }

    #[test]
    fn prefixes() {
        assert_eq!(valid_prefix("/api"), Some("/api"));
        assert_eq!(valid_prefix("/api/v1/"), Some("/api/v1"));
        assert_eq!(valid_prefix("/"), Some(""));
        assert_eq!(valid_prefix("/a%20b"), Some("/a%20b"));
        assert_eq!(valid_prefix(&format!("/{}", "a".repeat(2000))), None);
    }
}
