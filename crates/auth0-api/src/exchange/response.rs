//! Token endpoint responses: the checks on a 200 body, the error body of a refusal, and the
//! typed results.

use http::StatusCode;
use serde_json::{Map, Value};

use super::error::{ExchangeError, ExchangeErrorKind};
use super::secret::Secret;
use crate::jose::parse_object;
use crate::time::UnixTime;

/// `expires_in` when the response has none (RFC 6749 §5.1 makes it optional).
pub(crate) const DEFAULT_EXPIRES_IN: u64 = 3600;

/// Longest `error` / `error_description` kept from a refusal.
const MAX_ERROR_TEXT: usize = 512;

/// A successful response, checked: the issued token and what the issuer said about it,
/// plus the ID and refresh tokens, which only [`ExchangedToken`] hands out.
pub(crate) struct Parsed {
    token: IssuedToken,
    id_token: Option<Secret>,
    refresh_token: Option<Secret>,
}

/// Checks a 200 body: a JSON object, a non-empty string `access_token`, an integer and
/// non-negative `expires_in` (a JSON number or a numeric string; 3600 when absent), and
/// string-or-absent optional members. `expires_at` is `now + expires_in`.
pub(crate) fn parse_success(body: &[u8], now: UnixTime) -> Result<Parsed, ExchangeError> {
    let map = parse_object(body).ok_or(ExchangeErrorKind::InvalidJson)?;
    let access_token = match map.get("access_token") {
        Some(Value::String(s)) if !s.is_empty() => Secret::new(s.as_str()),
        _ => return Err(ExchangeErrorKind::MissingAccessToken.into()),
    };
    let expires_in = match map.get("expires_in") {
        None => DEFAULT_EXPIRES_IN,
        Some(v) => expires_in(v)?,
    };
    Ok(Parsed {
        token: IssuedToken {
            access_token,
            expires_in,
            expires_at: now.saturating_add(std::time::Duration::from_secs(expires_in)),
            scope: optional_string(&map, "scope")?,
            token_type: optional_string(&map, "token_type")?,
            issued_token_type: optional_string(&map, "issued_token_type")?,
        },
        id_token: optional_string(&map, "id_token")?.map(Secret::new),
        refresh_token: optional_string(&map, "refresh_token")?.map(Secret::new),
    })
}

fn expires_in(v: &Value) -> Result<u64, ExchangeError> {
    let bad = || ExchangeError::new(ExchangeErrorKind::InvalidExpiresIn);
    let negative = || ExchangeError::new(ExchangeErrorKind::NegativeExpiresIn);
    match v {
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Ok(u)
            } else if n.as_i64().is_some() {
                Err(negative())
            } else {
                // A float: accepted only when it is a whole number (`3600.0`).
                let f = n.as_f64().ok_or_else(bad)?;
                if !f.is_finite() || f.fract() != 0.0 {
                    Err(bad())
                } else if f < 0.0 {
                    Err(negative())
                } else if f > u64::MAX as f64 {
                    Err(bad())
                } else {
                    Ok(f as u64)
                }
            }
        }
        Value::String(s) => {
            let (sign, digits) = match s.strip_prefix('-') {
                Some(d) => (true, d),
                None => (false, s.strip_prefix('+').unwrap_or(s)),
            };
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let n: u64 = digits.parse().map_err(|_| bad())?;
            if sign && n != 0 {
                Err(negative())
            } else {
                Ok(n)
            }
        }
        _ => Err(bad()),
    }
}

fn optional_string(
    map: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<String>, ExchangeError> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ExchangeError::new(ExchangeErrorKind::InvalidResponse)
            .with_argument(name)
            .with_reason("not a string")),
    }
}

/// The error of a refusal: `error` and `error_description` from a JSON body (when the
/// content type says JSON), trimmed of control characters and capped in length.
pub(crate) fn refusal(
    status: StatusCode,
    content_type: Option<&str>,
    body: &[u8],
) -> ExchangeError {
    let is_json = content_type.is_some_and(|ct| ct.to_ascii_lowercase().contains("json"));
    let map = if is_json {
        serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| match v {
                Value::Object(m) => Some(m),
                _ => None,
            })
    } else {
        None
    };
    let text = |name: &str| {
        map.as_ref()
            .and_then(|m| m.get(name))
            .and_then(Value::as_str)
            .map(clean)
            .filter(|s| !s.is_empty())
    };
    ExchangeError::issuer(status, text("error"), text("error_description"))
}

fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .take(MAX_ERROR_TEXT)
        .collect()
}

/// A token the issuer's token endpoint issued, as every exchange returns it: the token
/// and what the issuer said about it. `Debug` redacts the token.
#[derive(Clone, Debug)]
pub struct IssuedToken {
    access_token: Secret,
    expires_in: u64,
    expires_at: UnixTime,
    scope: Option<String>,
    token_type: Option<String>,
    issued_token_type: Option<String>,
}

impl IssuedToken {
    /// The issued token (`access_token`; RFC 8693 uses this member whatever the type).
    /// Never log it.
    pub fn access_token(&self) -> &str {
        self.access_token.expose()
    }

    /// The lifetime the issuer stated, in seconds (3600 when it stated none).
    pub fn expires_in(&self) -> u64 {
        self.expires_in
    }

    /// When the token expires: the clock's time at the response plus `expires_in`.
    pub fn expires_at(&self) -> UnixTime {
        self.expires_at
    }

    /// The granted scopes, when stated.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// `token_type`, e.g. `Bearer` or `N_A`, when stated.
    pub fn token_type(&self) -> Option<&str> {
        self.token_type.as_deref()
    }

    /// `issued_token_type` (RFC 8693 §2.2.1), when stated.
    pub fn issued_token_type(&self) -> Option<&str> {
        self.issued_token_type.as_deref()
    }
}

/// The result of [`TokenExchange::get_access_token_for_connection`](crate::TokenExchange::get_access_token_for_connection):
/// an access token for the user's account at the external connection. Derefs to
/// [`IssuedToken`] (`access_token()`, `expires_at()`, `scope()`, ...).
#[derive(Clone, Debug)]
pub struct ConnectionToken(IssuedToken);

/// The result of [`TokenExchange::get_token_by_exchange_profile`](crate::TokenExchange::get_token_by_exchange_profile):
/// the issued token (deref to [`IssuedToken`]) and, when the profile issues them, an ID
/// token and a refresh token. `Debug` redacts the tokens.
#[derive(Clone, Debug)]
pub struct ExchangedToken {
    token: IssuedToken,
    id_token: Option<Secret>,
    refresh_token: Option<Secret>,
}

/// The result of [`TokenExchange::get_token_on_behalf_of`](crate::TokenExchange::get_token_on_behalf_of):
/// an access token for the other API (deref to [`IssuedToken`]). It never carries an ID
/// or refresh token, even when the issuer sends one.
#[derive(Clone, Debug)]
pub struct OnBehalfOfToken(IssuedToken);

impl std::ops::Deref for ConnectionToken {
    type Target = IssuedToken;

    fn deref(&self) -> &IssuedToken {
        &self.0
    }
}

impl std::ops::Deref for ExchangedToken {
    type Target = IssuedToken;

    fn deref(&self) -> &IssuedToken {
        &self.token
    }
}

impl std::ops::Deref for OnBehalfOfToken {
    type Target = IssuedToken;

    fn deref(&self) -> &IssuedToken {
        &self.0
    }
}

impl ExchangedToken {
    /// An ID token, when the profile issues one. Never log it.
    pub fn id_token(&self) -> Option<&str> {
        self.id_token.as_ref().map(Secret::expose)
    }

    /// A refresh token, when the profile issues one. Never log it.
    pub fn refresh_token(&self) -> Option<&str> {
        self.refresh_token.as_ref().map(Secret::expose)
    }
}

impl From<Parsed> for ConnectionToken {
    fn from(p: Parsed) -> Self {
        Self(p.token)
    }
}

impl From<Parsed> for ExchangedToken {
    fn from(p: Parsed) -> Self {
        Self {
            token: p.token,
            id_token: p.id_token,
            refresh_token: p.refresh_token,
        }
    }
}

impl From<Parsed> for OnBehalfOfToken {
    fn from(p: Parsed) -> Self {
        Self(p.token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: UnixTime = UnixTime::from_secs(1_000_000);

    fn ok(body: &str) -> Parsed {
        parse_success(body.as_bytes(), NOW).unwrap_or_else(|e| panic!("{body}: {e}"))
    }

    fn err(body: &str) -> ExchangeErrorKind {
        match parse_success(body.as_bytes(), NOW) {
            Ok(p) => panic!("{body}: accepted with expires_in {}", p.token.expires_in),
            Err(e) => e.kind(),
        }
    }

    #[test]
    fn expires_in_forms() {
        let cases = [
            (r#"{"access_token":"a"}"#, 3600),
            (r#"{"access_token":"a","expires_in":0}"#, 0),
            (r#"{"access_token":"a","expires_in":120}"#, 120),
            (r#"{"access_token":"a","expires_in":"3600"}"#, 3600),
            (r#"{"access_token":"a","expires_in":"+5"}"#, 5),
            (r#"{"access_token":"a","expires_in":"-0"}"#, 0),
            (r#"{"access_token":"a","expires_in":60.0}"#, 60),
        ];
        for (body, secs) in cases {
            let p = ok(body);
            assert_eq!(p.token.expires_in, secs, "{body}");
            assert_eq!(
                p.token.expires_at,
                UnixTime::from_secs(1_000_000 + secs),
                "{body}"
            );
        }
    }

    #[test]
    fn bad_expires_in() {
        use ExchangeErrorKind::*;
        let cases = [
            (r#"{"access_token":"a","expires_in":-1}"#, NegativeExpiresIn),
            (
                r#"{"access_token":"a","expires_in":"-30"}"#,
                NegativeExpiresIn,
            ),
            (
                r#"{"access_token":"a","expires_in":-2.0}"#,
                NegativeExpiresIn,
            ),
            (
                r#"{"access_token":"a","expires_in":3600.5}"#,
                InvalidExpiresIn,
            ),
            (
                r#"{"access_token":"a","expires_in":"3600.5"}"#,
                InvalidExpiresIn,
            ),
            (r#"{"access_token":"a","expires_in":"x"}"#, InvalidExpiresIn),
            (r#"{"access_token":"a","expires_in":""}"#, InvalidExpiresIn),
            (
                r#"{"access_token":"a","expires_in":" 60"}"#,
                InvalidExpiresIn,
            ),
            (
                r#"{"access_token":"a","expires_in":"99999999999999999999999"}"#,
                InvalidExpiresIn,
            ),
            (
                r#"{"access_token":"a","expires_in":1e300}"#,
                InvalidExpiresIn,
            ),
            (
                r#"{"access_token":"a","expires_in":null}"#,
                InvalidExpiresIn,
            ),
            (
                r#"{"access_token":"a","expires_in":true}"#,
                InvalidExpiresIn,
            ),
            (
                r#"{"access_token":"a","expires_in":[60]}"#,
                InvalidExpiresIn,
            ),
        ];
        for (body, kind) in cases {
            assert_eq!(err(body), kind, "{body}");
        }
    }

    #[test]
    fn access_token_and_json_shape() {
        use ExchangeErrorKind::*;
        for body in [
            "",
            "not json",
            "[]",
            "\"x\"",
            "{",
            r#"{"access_token":"a"} trailing"#,
            r#"{"access_token":"a","access_token":"b"}"#,
        ] {
            assert_eq!(err(body), InvalidJson, "{body}");
        }
        for body in [
            r#"{}"#,
            r#"{"access_token":""}"#,
            r#"{"access_token":null}"#,
            r#"{"access_token":7}"#,
            r#"{"access_token":["a"]}"#,
        ] {
            assert_eq!(err(body), MissingAccessToken, "{body}");
        }
        assert_eq!(err(r#"{"access_token":"a","scope":5}"#), InvalidResponse);
        assert_eq!(
            err(r#"{"access_token":"a","refresh_token":{}}"#),
            InvalidResponse
        );
    }

    #[test]
    fn optional_members_are_kept_even_empty() {
        let p = ok(
            r#"{"access_token":"at","scope":"","token_type":"Bearer","issued_token_type":"urn:x","id_token":"idt","refresh_token":"rt","extra":1}"#,
        );
        let t = ExchangedToken::from(p);
        assert_eq!(t.access_token(), "at");
        assert_eq!(t.scope(), Some(""));
        assert_eq!(t.token_type(), Some("Bearer"));
        assert_eq!(t.issued_token_type(), Some("urn:x"));
        assert_eq!(t.id_token(), Some("idt"));
        assert_eq!(t.refresh_token(), Some("rt"));
        let d = format!("{t:?}");
        assert!(
            !d.contains("\"at\"") && !d.contains("idt") && !d.contains("\"rt\""),
            "{d}"
        );
        let t = ExchangedToken::from(ok(r#"{"access_token":"at","scope":null}"#));
        assert_eq!(t.scope(), None);
        assert_eq!(t.id_token(), None);
    }

    #[test]
    fn refusal_bodies() {
        let e = refusal(
            StatusCode::BAD_REQUEST,
            Some("application/json; charset=utf-8"),
            br#"{"error":"invalid_grant","error_description":"bad\ntoken"}"#,
        );
        assert_eq!(e.issuer_status(), Some(StatusCode::BAD_REQUEST));
        assert_eq!(e.issuer_error(), Some("invalid_grant"));
        assert_eq!(e.issuer_error_description(), Some("badtoken"));
        // Not JSON by content type: the body is not read.
        let e = refusal(
            StatusCode::UNAUTHORIZED,
            Some("text/plain"),
            br#"{"error":"x"}"#,
        );
        assert_eq!(e.issuer_error(), None);
        let e = refusal(
            StatusCode::UNAUTHORIZED,
            Some("text/json"),
            br#"{"error":"x"}"#,
        );
        assert_eq!(e.issuer_error(), Some("x"));
        let e = refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            Some("application/json"),
            b"oops",
        );
        assert_eq!(
            (e.issuer_error(), e.issuer_error_description()),
            (None, None)
        );
        let e = refusal(
            StatusCode::FORBIDDEN,
            Some("application/json"),
            br#"{"error":5,"error_description":""}"#,
        );
        assert_eq!(
            (e.issuer_error(), e.issuer_error_description()),
            (None, None)
        );
        let long = format!(r#"{{"error":"{}"}}"#, "e".repeat(2000));
        let e = refusal(
            StatusCode::FORBIDDEN,
            Some("application/json"),
            long.as_bytes(),
        );
        assert_eq!(e.issuer_error().map(str::len), Some(MAX_ERROR_TEXT));
        let e = refusal(StatusCode::FORBIDDEN, None, br#"{"error":"x"}"#);
        assert_eq!(e.issuer_error(), None);
    }
}
