//! How the API authenticates itself to the token endpoint (RFC 6749 §2.3, OpenID Connect
//! Core §9): `client_secret_basic`, `client_secret_post` or `private_key_jwt`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::HeaderValue;
use url::form_urlencoded;

use super::assertion::{ClientAssertionKey, JWT_BEARER_ASSERTION_TYPE};
use super::error::{ExchangeError, ExchangeErrorKind};
use super::secret::ClientSecret;
use crate::time::UnixTime;

/// The client authentication method used at the token endpoint.
///
/// Build one with a named constructor and pass it to
/// [`TokenExchangeBuilder::client_auth`](crate::TokenExchangeBuilder::client_auth);
/// [`TokenExchangeBuilder::client_secret`](crate::TokenExchangeBuilder::client_secret) is a shorthand for
/// [`ClientAuth::client_secret_basic`]. `Debug` never shows the secret or the key.
#[derive(Clone, Debug)]
pub struct ClientAuth(Method);

#[derive(Clone, Debug)]
enum Method {
    SecretBasic(ClientSecret),
    SecretPost(ClientSecret),
    PrivateKeyJwt {
        key: ClientAssertionKey,
        audience: AssertionAudience,
    },
}

/// The `aud` of a `private_key_jwt` client assertion.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AssertionAudience {
    /// The issuer identifier, e.g. `https://my-tenant.us.auth0.com/` (the default; what
    /// Auth0 documents, and the single value that cannot be confused with another server's
    /// endpoint).
    #[default]
    Issuer,
    /// The token endpoint URL (RFC 7523 §3 allows it).
    TokenEndpoint,
}

/// What client authentication adds to a token request.
pub(crate) struct Applied {
    /// `Authorization` header value, for `client_secret_basic`.
    pub(crate) authorization: Option<HeaderValue>,
    /// Form fields, appended after the request's own.
    pub(crate) fields: Vec<(&'static str, String)>,
}

impl ClientAuth {
    /// HTTP Basic authentication (RFC 6749 §2.3.1), the default: the client id and secret,
    /// each `application/x-www-form-urlencoded`, joined by `:` and base64-encoded in the
    /// `Authorization` header.
    pub fn client_secret_basic(secret: impl Into<ClientSecret>) -> Self {
        Self(Method::SecretBasic(secret.into()))
    }

    /// The client id and secret as `client_id` and `client_secret` form fields.
    pub fn client_secret_post(secret: impl Into<ClientSecret>) -> Self {
        Self(Method::SecretPost(secret.into()))
    }

    /// A JWT client assertion signed with `key` (RFC 7523): `client_assertion_type` and
    /// `client_assertion` form fields, with `iss` = `sub` = the client id, `aud` = the
    /// issuer (see [`ClientAuth::assertion_audience`]), a random `jti` and a 60-second
    /// lifetime.
    pub fn private_key_jwt(key: ClientAssertionKey) -> Self {
        Self(Method::PrivateKeyJwt {
            key,
            audience: AssertionAudience::Issuer,
        })
    }

    /// For `private_key_jwt`: the assertion's `aud`. No effect on the other methods.
    #[must_use]
    pub fn assertion_audience(mut self, audience: AssertionAudience) -> Self {
        if let Method::PrivateKeyJwt { audience: a, .. } = &mut self.0 {
            *a = audience;
        }
        self
    }

    /// The method's registered name: `client_secret_basic`, `client_secret_post` or
    /// `private_key_jwt`.
    pub fn method(&self) -> &'static str {
        match &self.0 {
            Method::SecretBasic(_) => "client_secret_basic",
            Method::SecretPost(_) => "client_secret_post",
            Method::PrivateKeyJwt { .. } => "private_key_jwt",
        }
    }

    pub(crate) fn secret(&self) -> Option<&ClientSecret> {
        match &self.0 {
            Method::SecretBasic(s) | Method::SecretPost(s) => Some(s),
            Method::PrivateKeyJwt { .. } => None,
        }
    }

    /// Whether the method itself puts `client_id` in the form.
    pub(crate) fn sends_client_id(&self) -> bool {
        !matches!(self.0, Method::SecretBasic(_))
    }

    /// The header and form fields that authenticate `client_id` to `token_endpoint` of
    /// `issuer`.
    pub(crate) fn apply(
        &self,
        client_id: &str,
        issuer: &str,
        token_endpoint: &str,
        now: UnixTime,
    ) -> Result<Applied, ExchangeError> {
        match &self.0 {
            Method::SecretBasic(secret) => Ok(Applied {
                authorization: Some(basic_authorization(client_id, secret.secret())?),
                fields: Vec::new(),
            }),
            Method::SecretPost(secret) => Ok(Applied {
                authorization: None,
                fields: vec![
                    ("client_id", client_id.to_owned()),
                    ("client_secret", secret.secret().to_owned()),
                ],
            }),
            Method::PrivateKeyJwt { key, audience } => {
                let aud = match audience {
                    AssertionAudience::Issuer => issuer,
                    AssertionAudience::TokenEndpoint => token_endpoint,
                };
                let assertion = key.assertion(client_id, aud, now)?;
                Ok(Applied {
                    authorization: None,
                    fields: vec![
                        ("client_id", client_id.to_owned()),
                        (
                            "client_assertion_type",
                            JWT_BEARER_ASSERTION_TYPE.to_owned(),
                        ),
                        ("client_assertion", assertion),
                    ],
                })
            }
        }
    }
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))`, marked sensitive.
fn basic_authorization(client_id: &str, secret: &str) -> Result<HeaderValue, ExchangeError> {
    let id: String = form_urlencoded::byte_serialize(client_id.as_bytes()).collect();
    let secret: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let credentials = STANDARD.encode(format!("{id}:{secret}"));
    let mut value = HeaderValue::try_from(format!("Basic {credentials}"))
        .map_err(|_| ExchangeError::new(ExchangeErrorKind::NotConfigured))?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(id: &str, secret: &str) -> String {
        let v = basic_authorization(id, secret).expect("header");
        assert!(v.is_sensitive());
        v.to_str().unwrap_or_default().to_owned()
    }

    #[test]
    fn basic_credentials_are_form_encoded_then_base64() {
        // RFC 6749 §2.3.1 / Appendix B: form-urlencode each part first.
        assert_eq!(basic("client", "secret"), "Basic Y2xpZW50OnNlY3JldA==");
        // "c id" -> "c+id", "é" -> "%C3%A9", "s&cret" -> "s%26cret", ":" -> "%3A".
        assert_eq!(
            basic("c id:é", "s&cret"),
            format!("Basic {}", STANDARD.encode("c+id%3A%C3%A9:s%26cret"))
        );
    }

    #[test]
    fn post_puts_the_secret_in_the_form() {
        let auth = ClientAuth::client_secret_post("s3cr3t");
        assert_eq!(auth.method(), "client_secret_post");
        assert!(auth.sends_client_id());
        let applied = auth
            .apply(
                "cid",
                "https://i/",
                "https://i/oauth/token",
                UnixTime::from_secs(1),
            )
            .expect("apply");
        assert!(applied.authorization.is_none());
        assert_eq!(
            applied.fields,
            [
                ("client_id", "cid".to_owned()),
                ("client_secret", "s3cr3t".to_owned())
            ]
        );
    }

    #[test]
    fn basic_adds_no_fields() {
        let auth = ClientAuth::client_secret_basic("s");
        assert_eq!(auth.method(), "client_secret_basic");
        assert!(!auth.sends_client_id());
        let applied = auth
            .apply("cid", "https://i/", "https://i/t", UnixTime::from_secs(1))
            .expect("apply");
        assert!(applied.fields.is_empty());
        assert_eq!(
            applied.authorization.as_ref().and_then(|v| v.to_str().ok()),
            Some("Basic Y2lkOnM=")
        );
    }

    #[test]
    fn debug_hides_the_secret() {
        let auth = ClientAuth::client_secret_post("topsecret");
        assert!(!format!("{auth:?}").contains("topsecret"));
        // Audience selection is ignored by secret methods.
        let auth = auth.assertion_audience(AssertionAudience::TokenEndpoint);
        assert_eq!(auth.method(), "client_secret_post");
    }
}
