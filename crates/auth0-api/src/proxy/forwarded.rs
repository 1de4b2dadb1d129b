//! What a trusted proxy says about the original request: RFC 7239 `Forwarded`
//! (`proto=`, `host=`) and the de-facto `X-Forwarded-Proto`, `X-Forwarded-Host` and
//! `X-Forwarded-Prefix`.
//!
//! Every value is validated; a value that fails is ignored and the next source is used, so
//! hostile headers can make a DPoP proof fail to match, never make the URL something other
//! than a well-formed `scheme://host[:port][/prefix]/path`.

use http::header::FORWARDED;
use http::{HeaderMap, HeaderName};

use crate::host::parse_authority;

pub(crate) const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
pub(crate) const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
pub(crate) const X_FORWARDED_PREFIX: HeaderName = HeaderName::from_static("x-forwarded-prefix");

/// Longest prefix taken from `X-Forwarded-Prefix`.
const MAX_PREFIX_LEN: usize = 1024;
/// Longest `Forwarded` field parsed; proxies write a few dozen bytes per hop.
const MAX_FORWARDED_LEN: usize = 8 * 1024;

/// What the proxy reported: scheme, `host[:port]` and path prefix, each validated.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Reported<'h> {
    pub(crate) scheme: Option<&'static str>,
    pub(crate) host: Option<String>,
    pub(crate) prefix: &'h str,
}

/// Reads what the trusted proxy wrote: the right-most `Forwarded` element first (the one
/// the proxy nearest to us appended; elements further left may come from the client), then
/// `X-Forwarded-Proto` / `X-Forwarded-Host` (first value) for what it did not say, and
/// `X-Forwarded-Prefix`.
pub(crate) fn reported(headers: &HeaderMap) -> Reported<'_> {
    let mut out = Reported::default();
    if let Some(fwd) = forwarded(headers) {
        out.scheme = fwd.proto;
        out.host = fwd.host;
    }
    if out.scheme.is_none() {
        out.scheme = first_value(headers, &X_FORWARDED_PROTO).and_then(proto);
    }
    if out.host.is_none() {
        out.host = first_value(headers, &X_FORWARDED_HOST).and_then(host);
    }
    out.prefix = first_value(headers, &X_FORWARDED_PREFIX)
        .and_then(valid_prefix)
        .unwrap_or("");
    out
}

/// `http` or `https`, case-insensitive.
pub(crate) fn proto(value: &str) -> Option<&'static str> {
    if value.eq_ignore_ascii_case("https") {
        Some("https")
    } else if value.eq_ignore_ascii_case("http") {
        Some("http")
    } else {
        None
    }
}

/// A validated, lowercased `host[:port]` (see [`crate::host`]).
pub(crate) fn host(value: &str) -> Option<String> {
    let authority = parse_authority(value).ok()?;
    let mut out = String::with_capacity(value.len());
    authority.write_to(&mut out);
    Some(out)
}

/// The first comma-separated value of the first field of `name`, trimmed.
fn first_value<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Option<&'h str> {
    let field = headers.get(name)?.to_str().ok()?;
    let value = field.split(',').next()?.trim_matches([' ', '\t']);
    (!value.is_empty()).then_some(value)
}

/// A path prefix such as `/api`: starts with one `/`, no dot segments (plain or encoded), no
/// `:`, no query, fragment, backslash, whitespace or control characters. Returned without a
/// trailing slash; `/` alone is the empty prefix.
fn valid_prefix(value: &str) -> Option<&str> {
    if value.len() > MAX_PREFIX_LEN || !value.starts_with('/') || value.starts_with("//") {
        return None;
    }
    if value.contains("..") || value.to_ascii_lowercase().contains("%2e") {
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

/// `proto=` and `host=` of one forwarded-element.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Forwarded {
    pub(crate) proto: Option<&'static str>,
    pub(crate) host: Option<String>,
}

/// Reads `proto=` and `host=` from the right-most forwarded-element of the last `Forwarded`
/// field (RFC 7239 §4): the one the proxy nearest to us wrote. A field that does not parse,
/// or an element that repeats a parameter, is ignored as a whole; a value that fails
/// validation is ignored alone.
pub(crate) fn forwarded(headers: &HeaderMap) -> Option<Forwarded> {
    let field = headers.get_all(FORWARDED).iter().next_back()?;
    if field.len() > MAX_FORWARDED_LEN {
        return None;
    }
    let elements = parse_elements(field.to_str().ok()?)?;
    let last = elements.last()?;
    let mut out = Forwarded::default();
    let (mut seen_proto, mut seen_host) = (false, false);
    for (name, value) in last {
        if name.eq_ignore_ascii_case("proto") {
            if std::mem::replace(&mut seen_proto, true) {
                return None;
            }
            out.proto = proto(value);
        } else if name.eq_ignore_ascii_case("host") {
            if std::mem::replace(&mut seen_host, true) {
                return None;
            }
            out.host = host(value);
        }
    }
    Some(out)
}

type Element<'f> = Vec<(&'f str, String)>;

/// Every element of a `Forwarded` field as `name=value` pairs, values unquoted; `None` when
/// the field does not follow the RFC 7239 §4 grammar.
fn parse_elements(field: &str) -> Option<Vec<Element<'_>>> {
    let bytes = field.as_bytes();
    let mut elements = vec![Vec::new()];
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < bytes.len() && matches!(bytes[*i], b' ' | b'\t') {
            *i += 1;
        }
    };
    loop {
        skip_ws(&mut i);
        match bytes.get(i) {
            None => break,
            Some(b',') => {
                i += 1;
                elements.push(Vec::new());
                continue;
            }
            Some(b';') => {
                i += 1;
                continue;
            }
            Some(_) => {}
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
                        v.push(char::from(*bytes.get(i + 1)?));
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
        elements.last_mut()?.push((name, value));
        skip_ws(&mut i);
        match bytes.get(i) {
            None | Some(b',' | b';') => {}
            Some(_) => return None,
        }
    }
    // Empty elements (`a=b,,c=d`, a trailing comma) carry nothing.
    elements.retain(|e| !e.is_empty());
    Some(elements)
}

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Headers from `(name, value)` pairs, for the proxy module's tests.
#[cfg(test)]
pub(super) fn test_headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (name, value) in pairs {
        h.append(
            HeaderName::from_bytes(name.as_bytes()).expect("test header name"),
            http::HeaderValue::from_str(value).expect("test header value"),
        );
    }
    h
}

#[cfg(test)]
mod tests {
    use super::test_headers as headers;
    use super::*;

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
            f("proto=https;host=a.example,;;proto=http,"),
            Some(Forwarded {
                proto: Some("http"),
                host: None
            }),
            "the right-most non-empty element"
        );
        assert_eq!(f("proto"), None);
        assert_eq!(f("proto=\"https\\"), None);
        assert_eq!(f("proto=https host=a"), None);
        assert_eq!(f("host=a;host=b"), None);
        assert_eq!(f(&"for=x,".repeat(2000)), None, "over the length cap");
    }

    #[test]
    fn the_right_most_element_wins() {
        // The client sent the first element; the trusted proxy appended the second.
        let h = headers(&[(
            "forwarded",
            "host=evil.example;proto=http, host=api.example.com;proto=https",
        )]);
        assert_eq!(
            forwarded(&h),
            Some(Forwarded {
                proto: Some("https"),
                host: Some("api.example.com".into())
            })
        );
        // A client field followed by a field the proxy added: the last field counts.
        let h = headers(&[
            ("forwarded", "host=evil.example"),
            ("forwarded", "host=api.example.com"),
        ]);
        assert_eq!(
            forwarded(&h).and_then(|f| f.host).as_deref(),
            Some("api.example.com")
        );
    }

    #[test]
    fn x_forwarded_fills_what_forwarded_did_not_say() {
        let h = headers(&[
            ("forwarded", "for=1.2.3.4"),
            ("x-forwarded-proto", "HTTPS"),
            ("x-forwarded-host", "api.example.com, proxy.local"),
            ("x-forwarded-prefix", "/api/"),
        ]);
        assert_eq!(
            reported(&h),
            Reported {
                scheme: Some("https"),
                host: Some("api.example.com".into()),
                prefix: "/api"
            }
        );
    }

    #[test]
    fn prefixes() {
        assert_eq!(valid_prefix("/api"), Some("/api"));
        assert_eq!(valid_prefix("/api/v1/"), Some("/api/v1"));
        assert_eq!(valid_prefix("/"), Some(""));
        assert_eq!(valid_prefix("/a%20b"), Some("/a%20b"));
        assert_eq!(valid_prefix(&format!("/{}", "a".repeat(2000))), None);
        for bad in [
            "/../admin",
            "/a/..",
            "//evil.example",
            "/a:b",
            "/%2e%2e/admin",
            "/%2E%2E",
            "api",
            "/a?b",
            "/a#b",
            "/a\\b",
            "/a b",
        ] {
            assert_eq!(valid_prefix(bad), None, "{bad}");
        }
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use http::HeaderValue;
    use proptest::prelude::*;
    use proptest::sample::select;

    /// `Forwarded` fields near the RFC 7239 grammar: elements of `name=value` pairs, values
    /// plain or quoted (with escapes), and stray separators, quotes and spaces.
    fn forwarded_field() -> impl Strategy<Value = String> {
        let name = select(vec!["host", "HOST", "proto", "Proto", "for", "by", "x", ""]);
        let value = prop_oneof![
            select(vec![
                "https",
                "http",
                "HTTP",
                "ftp",
                "example.com",
                "a.example:8443",
                "[::1]:443",
                "\"[2001:db8::1]\"",
                "\"a.example:0\"",
                "\"x\\\"y\"",
                "\"unterminated",
                "_hidden",
                "1.2.3.4",
                "",
                "\"\"",
                "\"a,b\"",
                "\"a;b\"",
                "\"a b\"",
            ])
            .prop_map(String::from),
            "[!-~]{0,12}".prop_map(String::from),
            "\"[ -~]{0,12}\"".prop_map(String::from),
        ];
        let pair = (name, value).prop_map(|(n, v)| format!("{n}={v}"));
        let sep = select(vec![";", "; ", ",", ", ", " ,", ",,", " ", ""]);
        prop::collection::vec((pair, sep), 0..6).prop_map(|parts| {
            parts
                .into_iter()
                .map(|(p, s)| format!("{p}{s}"))
                .collect::<String>()
        })
    }

    fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            forwarded_field().prop_map(String::into_bytes),
            prop::collection::vec(any::<u8>(), 0..64),
        ]
    }

    /// A host that is present has been validated: a `host[:port]` in normal form.
    fn assert_valid_host(host: Option<&str>) -> Result<(), TestCaseError> {
        if let Some(h) = host {
            let a = parse_authority(h);
            prop_assert!(a.is_ok(), "{:?}", h);
            let mut out = String::new();
            a.expect("checked").write_to(&mut out);
            prop_assert_eq!(out.as_str(), h);
        }
        Ok(())
    }

    /// A valid host and proto pair for the right-most element, as a proxy writes them.
    fn proxy_element() -> impl Strategy<Value = (String, &'static str, &'static str)> {
        (
            select(vec!["api.example.com", "a.example:8443", "[::1]:443", "x"]),
            select(vec!["http", "https"]),
            any::<bool>(),
        )
            .prop_map(|(host, proto, quoted)| {
                let value = if quoted || host.contains([':', '[']) {
                    format!("\"{host}\"")
                } else {
                    host.to_owned()
                };
                (
                    format!("for=1.2.3.4;host={value};proto={proto}"),
                    host,
                    proto,
                )
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1_000))]

        /// Arbitrary `Forwarded` and `X-Forwarded-*` values never panic, and whatever host
        /// and scheme come out are valid.
        #[test]
        fn reported_values_are_valid(
            fwd in prop::collection::vec(header_bytes(), 0..3),
            xf_proto in header_bytes(),
            xf_host in header_bytes(),
            xf_prefix in prop_oneof![
                "/[ -~]{0,16}".prop_map(String::into_bytes),
                prop::collection::vec(any::<u8>(), 0..32),
            ],
        ) {
            let mut headers = HeaderMap::new();
            for v in &fwd {
                if let Ok(v) = HeaderValue::from_bytes(v) {
                    headers.append(FORWARDED, v);
                }
            }
            for (name, v) in [
                (X_FORWARDED_PROTO, &xf_proto),
                (X_FORWARDED_HOST, &xf_host),
                (X_FORWARDED_PREFIX, &xf_prefix),
            ] {
                if let Ok(v) = HeaderValue::from_bytes(v) {
                    headers.insert(name, v);
                }
            }
            if let Some(f) = forwarded(&headers) {
                assert_valid_host(f.host.as_deref())?;
            }
            let r = reported(&headers);
            assert_valid_host(r.host.as_deref())?;
            prop_assert!(matches!(r.scheme, None | Some("http" | "https")));
            if !r.prefix.is_empty() {
                prop_assert!(r.prefix.starts_with('/') && !r.prefix.starts_with("//"));
                prop_assert!(!r.prefix.ends_with('/'));
                prop_assert!(!r.prefix.contains("..") && !r.prefix.contains(['?', '#', ':', '\\']));
                prop_assert!(r.prefix.bytes().all(|b| b.is_ascii_graphic()));
            }
        }

        /// Whatever a client put before it, the element the nearest proxy appended decides.
        #[test]
        fn the_proxy_element_wins(
            client in "[a-z]{1,8}=[a-z0-9.]{1,12}(;[a-z]{1,8}=[a-z0-9.]{1,12}){0,2}",
            (element, host, proto) in proxy_element(),
        ) {
            let mut headers = HeaderMap::new();
            let field = format!("{client}, {element}");
            headers.insert(FORWARDED, HeaderValue::from_str(&field).expect("valid header"));
            let f = forwarded(&headers);
            prop_assert_eq!(
                f,
                Some(Forwarded { proto: Some(proto), host: Some(host.to_owned()) }),
                "{:?}",
                field
            );
        }
    }
}
