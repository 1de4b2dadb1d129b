//! The `Authorization` request header (RFC 9110 §11.6.2, RFC 6750 §2.1, RFC 9449 §7.1).

use http::HeaderMap;
use http::header::AUTHORIZATION;

use crate::error::{Error, ErrorKind, Scheme};

/// The scheme and token of a well-formed `Authorization` header.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Credentials<'a> {
    pub(crate) scheme: Scheme,
    pub(crate) token: &'a str,
}

/// token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
fn is_token68(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

/// Reads the one `Authorization` header: its scheme (case-insensitive) and token68
/// credentials, at most `max_token` bytes.
pub(crate) fn credentials(headers: &HeaderMap, max_token: usize) -> Result<Credentials<'_>, Error> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let value = values
        .next()
        .ok_or_else(|| Error::new(ErrorKind::MissingCredentials))?;
    if values.next().is_some() {
        return Err(ErrorKind::MultipleAuthorizationHeaders.into());
    }
    let value = value
        .to_str()
        .map_err(|_| Error::new(ErrorKind::MalformedAuthorization))?;
    let (scheme_name, rest) = value.split_once(' ').unwrap_or((value, ""));
    let scheme = if scheme_name.eq_ignore_ascii_case("bearer") {
        Scheme::Bearer
    } else if scheme_name.eq_ignore_ascii_case("dpop") {
        Scheme::Dpop
    } else if scheme_name.is_empty() {
        return Err(ErrorKind::MalformedAuthorization.into());
    } else {
        return Err(ErrorKind::UnsupportedScheme.into());
    };
    let token = rest.trim_start_matches(' ');
    if token.len() > max_token {
        return Err(Error::new(ErrorKind::TokenTooLarge).with_scheme(scheme));
    }
    if !is_token68(token) {
        return Err(Error::new(ErrorKind::MalformedAuthorization).with_scheme(scheme));
    }
    Ok(Credentials { scheme, token })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn parse(values: &[&[u8]]) -> Result<(Scheme, String), ErrorKind> {
        let mut h = HeaderMap::new();
        for v in values {
            if let Ok(v) = HeaderValue::from_bytes(v) {
                h.append(AUTHORIZATION, v);
            }
        }
        credentials(&h, 64)
            .map(|c| (c.scheme, c.token.to_owned()))
            .map_err(|e| e.kind())
    }

    #[test]
    fn accepted() {
        assert_eq!(
            parse(&[b"Bearer abc.def.ghi"]),
            Ok((Scheme::Bearer, "abc.def.ghi".into()))
        );
        assert_eq!(parse(&[b"bearer a"]), Ok((Scheme::Bearer, "a".into())));
        assert_eq!(parse(&[b"BEARER a=="]), Ok((Scheme::Bearer, "a==".into())));
        assert_eq!(
            parse(&[b"DPoP a-b_c~d+e/f"]),
            Ok((Scheme::Dpop, "a-b_c~d+e/f".into()))
        );
        assert_eq!(parse(&[b"dpop   a"]), Ok((Scheme::Dpop, "a".into())));
    }

    #[test]
    fn refused() {
        use ErrorKind::*;
        let cases: &[(&[&[u8]], ErrorKind)] = &[
            (&[], MissingCredentials),
            (&[b"Bearer a", b"Bearer b"], MultipleAuthorizationHeaders),
            (&[b"Basic dXNlcjpwYXNz"], UnsupportedScheme),
            (&[b"Basic"], UnsupportedScheme),
            (&[b"Bearerx a"], UnsupportedScheme),
            (&[b"Bearer"], MalformedAuthorization),
            (&[b"Bearer "], MalformedAuthorization),
            (&[b"Bearer    "], MalformedAuthorization),
            (&[b""], MalformedAuthorization),
            (&[b" Bearer a"], MalformedAuthorization),
            (&[b"Bearer a b"], MalformedAuthorization),
            (&[b"Bearer a "], MalformedAuthorization),
            (&[b"Bearer a=b"], MalformedAuthorization),
            (&[b"Bearer ="], MalformedAuthorization),
            (&[b"Bearer a\"b"], MalformedAuthorization),
            (&[b"Bearer a,b"], MalformedAuthorization),
            (&[b"Bearer \xc3\xa9"], MalformedAuthorization),
            (&[b"Bearer a\tb"], MalformedAuthorization),
        ];
        for (values, want) in cases {
            assert_eq!(parse(values).map(|_| ()), Err(*want), "{values:?}");
        }
        let long = format!("Bearer {}", "a".repeat(65));
        assert_eq!(parse(&[long.as_bytes()]).map(|_| ()), Err(TokenTooLarge));
        let max = format!("Bearer {}", "a".repeat(64));
        assert!(parse(&[max.as_bytes()]).is_ok());
    }
}
