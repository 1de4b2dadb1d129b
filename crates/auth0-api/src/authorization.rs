//! The `Authorization` request header (RFC 9110 §11.6.2, RFC 6750 §2.1, RFC 9449 §7.1).

use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue};

use crate::error::{Error, ErrorKind, Scheme};

/// The scheme and token of an `Authorization` header.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Credentials<'a> {
    pub(crate) scheme: Scheme,
    /// The token's bytes: not read as UTF-8 in the common case (see [`credentials`]).
    pub(crate) token: &'a [u8],
    /// Whether the token's token68 syntax is checked; see [`credentials`].
    syntax: Syntax<'a>,
}

/// Whether the token of [`Credentials`] was checked to be token68.
#[derive(Debug, PartialEq, Eq)]
enum Syntax<'a> {
    Checked,
    /// Not checked: the header's value and the size limit it was read with, to check it
    /// when the request is refused.
    Unchecked(&'a HeaderValue, usize),
}

impl Credentials<'_> {
    /// The error a request with these credentials is refused with, when the rest of its
    /// checks refused it with `err`: the `Authorization` header's own error if it has one
    /// (as checking the header in full first would have reported it), else `err`.
    pub(crate) fn refusal(&self, err: Error) -> Error {
        match self.syntax {
            Syntax::Unchecked(value, max_token) => general(value, max_token).err().unwrap_or(err),
            Syntax::Checked => err,
        }
    }

    /// Whether the token is token68: always, once verified (see [`credentials`]).
    pub(crate) fn is_token68(&self) -> bool {
        is_token68(self.token)
    }
}

/// Whether token68 allows `b` before its `=` padding. Written with few comparisons and no
/// table or early exit, so that [`is_token68`] compiles to vector code: every request runs
/// it over the whole token. Letters are one range once case is folded (`| 0x20` maps only
/// `A`–`Z` onto `a`–`z`); `-`, `.`, `/` and the digits are the one range `0x2D..=0x39`.
const fn token68_byte(b: u8) -> bool {
    ((b | 0x20).wrapping_sub(b'a') < 26)
        | (b.wrapping_sub(b'-') < 13)
        | (b == b'+')
        | (b == b'_')
        | (b == b'~')
}

/// token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
///
/// Every byte is looked at (no early exit): callers bound the length first.
fn is_token68(s: &[u8]) -> bool {
    let end = s.iter().rposition(|&b| b != b'=').map_or(0, |i| i + 1);
    let body = &s[..end];
    !body.is_empty()
        && body
            .iter()
            .fold(0u8, |bad, &b| bad | u8::from(!token68_byte(b)))
            == 0
}

/// The common case in one pass over the bytes: `Bearer` or `DPoP`, spaces, then credentials
/// within the size limit, their syntax left unchecked (see [`credentials`]): not even read
/// as UTF-8, as the token's checks read bytes. Anything else (including every refusal)
/// goes through the general path, which decides the error.
fn well_formed(value: &HeaderValue, max_token: usize) -> Option<Credentials<'_>> {
    let bytes = value.as_bytes();
    let space = bytes.iter().position(|&b| b == b' ')?;
    let (name, rest) = bytes.split_at(space);
    let scheme = if name.eq_ignore_ascii_case(b"bearer") {
        Scheme::Bearer
    } else if name.eq_ignore_ascii_case(b"dpop") {
        Scheme::Dpop
    } else {
        return None;
    };
    let start = rest.iter().position(|&b| b != b' ')?;
    let token = rest.get(start..)?;
    if token.len() > max_token {
        return None;
    }
    Some(Credentials {
        scheme,
        token,
        syntax: Syntax::Unchecked(value, max_token),
    })
}

/// Reads the one `Authorization` header: its scheme (case-insensitive) and credentials, at
/// most `max_token` bytes. In the common case the token68 syntax of the token is not
/// checked here: the token check that follows does it anyway. A token that verifies is a
/// compact JWS, whose three parts are strict base64url (checked byte by byte by their
/// decoding, or compared whole with a token that was), joined by dots: token68 by
/// construction. A request refused for any reason answers with
/// [`Credentials::refusal`], which runs the check and reports the header's error when it
/// fails, so a refused request is answered as if the header had been checked in full
/// first ([`general`]); only the work for an accepted token is saved (the check reads
/// every byte of the token). Other values (another scheme, a tab, a token too large, no
/// token) are checked in full here.
pub(crate) fn credentials(headers: &HeaderMap, max_token: usize) -> Result<Credentials<'_>, Error> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let value = values
        .next()
        .ok_or_else(|| Error::new(ErrorKind::MissingCredentials))?;
    if values.next().is_some() {
        return Err(ErrorKind::MultipleAuthorizationHeaders.into());
    }
    well_formed(value, max_token).map_or_else(|| general(value, max_token), Ok)
}

/// Every `Authorization` value, checked step by step; decides the error of any value
/// [`well_formed`] does not accept.
fn general(value: &HeaderValue, max_token: usize) -> Result<Credentials<'_>, Error> {
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
    if !is_token68(token.as_bytes()) {
        return Err(Error::new(ErrorKind::MalformedAuthorization).with_scheme(scheme));
    }
    Ok(Credentials {
        scheme,
        token: token.as_bytes(),
        syntax: Syntax::Checked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token68_allows_exactly_the_rfc_7235_alphabet() {
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/";
        for b in 0..=255u8 {
            assert_eq!(
                token68_byte(b),
                alphabet.as_bytes().contains(&b),
                "byte {b:#04x}"
            );
            // Anywhere in a long token (the vectorized chunks).
            let mut long = vec![b'a'; 200];
            long[131] = b;
            assert_eq!(
                is_token68(&long),
                alphabet.as_bytes().contains(&b),
                "byte {b:#04x} inside"
            );
        }
        assert!(is_token68(b"abc-._~+/=="));
        assert!(!is_token68(b"==="));
        assert!(!is_token68(b"ab=c"));
        assert!(!is_token68(b"a b"));
        assert!(!is_token68(b""));
    }

    /// A token read from a header: text whenever it is accepted (token68 is ASCII).
    fn text(token: &[u8]) -> String {
        String::from_utf8(token.to_vec()).expect("an accepted token is ASCII")
    }

    /// The general path on its own, without the one-pass fast path.
    fn general_only(
        value: &[u8],
        max_token: usize,
    ) -> Result<(Scheme, String), (ErrorKind, Option<Scheme>)> {
        let v = HeaderValue::from_bytes(value)
            .map_err(|_| (ErrorKind::MalformedAuthorization, None))?;
        general(&v, max_token)
            .map(|c| (c.scheme, text(c.token)))
            .map_err(|e| (e.kind(), e.scheme()))
    }

    /// What a request with these credentials is answered when its token verifies (`Ok`)
    /// or when it is refused for another reason (the `Authorization` header's own error,
    /// if it has one): a lazy reading settled.
    pub(super) fn settled(
        c: Result<Credentials<'_>, Error>,
    ) -> Result<(Scheme, String), (ErrorKind, Option<Scheme>)> {
        // Any error of the later checks: replaced when the header has its own.
        let later = Error::new(ErrorKind::InvalidSignature);
        match c {
            Ok(c) => {
                let e = c.refusal(later);
                if e.kind() == ErrorKind::InvalidSignature {
                    Ok((c.scheme, text(c.token)))
                } else {
                    Err((e.kind(), e.scheme()))
                }
            }
            Err(e) => Err((e.kind(), e.scheme())),
        }
    }

    proptest::proptest! {
        /// Whatever the bytes, the fast path reads the scheme and token the general path
        /// reads whenever the general path accepts the value, and a reading, once settled,
        /// answers as the general path (scheme of the error included).
        #[test]
        fn the_fast_path_agrees_with_the_general_path(
            scheme in proptest::sample::select(
                vec!["Bearer", "bearer", "BEARER", "DPoP", "dpop", "Basic", "", "Bearerx", "DPo"]),
            spaces in 0usize..3,
            body in proptest::collection::vec(proptest::sample::select(
                b"ab0Z=.-_~+/ \t\"\xc3\xa9,".to_vec()), 0..20),
            max in 0usize..16,
        ) {
            let mut value = scheme.as_bytes().to_vec();
            value.extend(std::iter::repeat_n(b' ', spaces));
            value.extend(body);
            let want = general_only(&value, max);
            if let Ok(v) = HeaderValue::from_bytes(&value) {
                if let Some(c) = well_formed(&v, max) {
                    if let Ok((scheme, token)) = &want {
                        proptest::prop_assert_eq!((c.scheme, c.token), (*scheme, token.as_bytes()));
                    }
                }
                let mut h = HeaderMap::new();
                h.append(AUTHORIZATION, v);
                proptest::prop_assert_eq!(settled(credentials(&h, max)), want);
            }
        }
    }

    fn parse(values: &[&[u8]]) -> Result<(Scheme, String), ErrorKind> {
        let mut h = HeaderMap::new();
        for v in values {
            if let Ok(v) = HeaderValue::from_bytes(v) {
                h.append(AUTHORIZATION, v);
            }
        }
        settled(credentials(&h, 64)).map_err(|(kind, _)| kind)
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

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::select;

    const MAX: usize = 64;

    /// Header values near the grammar: a scheme, spaces, and token-ish characters.
    fn near_valid() -> impl Strategy<Value = Vec<u8>> {
        (
            select(vec![
                "Bearer", "bearer", "BEARER", "DPoP", "dpop", "Basic", "", "Bearerx",
            ]),
            select(vec!["", " ", "  ", "\t", ", "]),
            "[A-Za-z0-9._~+/=\\- ,\"\t]{0,80}",
        )
            .prop_map(|(scheme, gap, token)| format!("{scheme}{gap}{token}").into_bytes())
    }

    fn value() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![near_valid(), prop::collection::vec(any::<u8>(), 0..96),]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1_000))]

        /// Any header bytes: no panic, and what is accepted is a Bearer or DPoP scheme
        /// followed by at most `MAX` bytes of token68 that end the value.
        #[test]
        fn credentials_never_panic_and_accept_only_token68(
            values in prop::collection::vec(value(), 0..3)
        ) {
            let mut headers = HeaderMap::new();
            for v in &values {
                if let Ok(v) = HeaderValue::from_bytes(v) {
                    headers.append(AUTHORIZATION, v);
                }
            }
            let count = headers.get_all(AUTHORIZATION).iter().count();
            // Read and settled: what a verified request (`Ok`) or a refused one sees.
            match super::tests::settled(credentials(&headers, MAX)) {
                Ok((scheme_read, token)) => {
                    prop_assert_eq!(count, 1);
                    let raw = headers
                        .get(AUTHORIZATION)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    prop_assert!(raw.ends_with(&token), "{:?} -> {:?}", raw, token);
                    prop_assert!(token.len() <= MAX);
                    prop_assert!(is_token68(token.as_bytes()));
                    let scheme = raw.split(' ').next().unwrap_or_default();
                    let expected = match scheme_read {
                        Scheme::Bearer => "bearer",
                        Scheme::Dpop => "dpop",
                    };
                    prop_assert!(scheme.eq_ignore_ascii_case(expected), "{:?}", raw);
                }
                Err((kind, _)) => match count {
                    0 => prop_assert_eq!(kind, ErrorKind::MissingCredentials),
                    1 => prop_assert_ne!(kind, ErrorKind::MultipleAuthorizationHeaders),
                    _ => prop_assert_eq!(kind, ErrorKind::MultipleAuthorizationHeaders),
                },
            }
        }

        /// A well-formed header is read back exactly, whatever the scheme's case and the
        /// number of spaces before the token.
        #[test]
        fn well_formed_headers_round_trip(
            dpop in any::<bool>(),
            upper in prop::collection::vec(any::<bool>(), 6),
            spaces in 1..4usize,
            token in "[A-Za-z0-9._~+/-]{1,60}={0,2}",
        ) {
            let name = if dpop { "DPoP" } else { "Bearer" };
            let scheme: String = name
                .chars()
                .zip(upper.iter().cycle())
                .map(|(c, &u)| if u { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
                .collect();
            let value = format!("{scheme}{}{token}", " ".repeat(spaces));
            let mut headers = HeaderMap::new();
            headers.insert(AUTHORIZATION, HeaderValue::from_str(&value).expect("valid header"));
            let c = credentials(&headers, MAX);
            prop_assert!(c.is_ok(), "{:?}", value);
            let c = c.expect("checked");
            prop_assert_eq!(c.token, token.as_bytes());
            prop_assert_eq!(c.scheme, if dpop { Scheme::Dpop } else { Scheme::Bearer });
        }
    }
}
