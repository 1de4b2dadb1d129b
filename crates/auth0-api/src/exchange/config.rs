//! The token-exchange part of the configuration: client credentials, timeout, token
//! endpoint override.

use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::client_auth::ClientAuth;
use super::secret::ClientSecret;
use crate::config::{ConfigError, ConfigErrorKind};
use crate::issuer::configured_url;
use crate::verifier::Auth0;

/// Default timeout of a token request.
pub(crate) const DEFAULT_EXCHANGE_TIMEOUT: Duration = Duration::from_secs(10);

/// What the builder collected for token exchange.
/// The token-exchange settings before they are checked.
#[derive(Debug)]
pub(crate) struct ExchangeOptions {
    pub(crate) client_id: Option<String>,
    pub(crate) auth: Option<ClientAuth>,
    pub(crate) timeout: Duration,
    pub(crate) token_endpoint: Option<String>,
}

impl Default for ExchangeOptions {
    fn default() -> Self {
        Self {
            client_id: None,
            auth: None,
            timeout: DEFAULT_EXCHANGE_TIMEOUT,
            token_endpoint: None,
        }
    }
}

/// Checked settings.
#[derive(Debug)]
pub(crate) struct Exchange {
    pub(crate) client_id: Option<Box<str>>,
    pub(crate) auth: Option<ClientAuth>,
    pub(crate) timeout: Duration,
    pub(crate) token_endpoint: Option<Url>,
}

impl ExchangeOptions {
    pub(crate) fn build(self) -> Result<Exchange, ConfigError> {
        let client_id = match self.client_id {
            Some(id) if id.trim().is_empty() => {
                return Err(ConfigError::new(
                    "client_id",
                    ConfigErrorKind::Empty,
                    "must not be empty",
                ));
            }
            other => other,
        };
        if let Some(auth) = &self.auth {
            if client_id.is_none() {
                return Err(ConfigError::new(
                    "client_id",
                    ConfigErrorKind::Missing,
                    "required with client_secret or client_auth",
                ));
            }
            if auth.secret().is_some_and(|s| s.secret().is_empty()) {
                return Err(ConfigError::new(
                    "client_secret",
                    ConfigErrorKind::Empty,
                    "must not be empty",
                ));
            }
        }
        if self.timeout.is_zero() {
            return Err(ConfigError::new(
                "exchange_timeout",
                ConfigErrorKind::OutOfRange,
                "must be positive",
            ));
        }
        let token_endpoint = self
            .token_endpoint
            .as_deref()
            .map(|s| configured_url("token_endpoint", s))
            .transpose()?;
        Ok(Exchange {
            client_id: client_id.map(String::into_boxed_str),
            auth: self.auth,
            timeout: self.timeout,
            token_endpoint,
        })
    }
}

/// Token exchange (RFC 8693, Auth0 Token Vault) for one API: trades the access tokens it receives for other
/// tokens at its issuer's token endpoint. Built from the verifier with
/// [`Auth0::token_exchange`], whose issuer, discovery cache and HTTP client it shares.
///
/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct TokenExchange {
    pub(super) auth0: Auth0,
    pub(super) inner: Arc<Exchange>,
}

impl Exchange {
    pub(crate) fn credentials(&self) -> Option<(&str, &ClientAuth)> {
        Some((self.client_id.as_deref()?, self.auth.as_ref()?))
    }
}

/// Configures a [`TokenExchange`]. Start from [`Auth0::token_exchange`].
#[must_use]
#[derive(Debug)]
pub struct TokenExchangeBuilder {
    auth0: Auth0,
    options: ExchangeOptions,
}

impl Auth0 {
    /// Starts configuring token exchange with this verifier's issuer.
    ///
    /// ```
    /// # fn main() -> Result<(), auth0_api::ConfigError> {
    /// let auth0 = auth0_api::Auth0::builder()
    ///     .domain("my-tenant.us.auth0.com")
    ///     .audience("https://api.example.com")
    ///     .build()?;
    /// let exchange = auth0
    ///     .token_exchange()
    ///     .client_id("my-api-client-id")
    ///     .client_secret("my-api-client-secret")
    ///     .build()?;
    /// # let _ = exchange; Ok(()) }
    /// ```
    pub fn token_exchange(&self) -> TokenExchangeBuilder {
        TokenExchangeBuilder {
            auth0: self.clone(),
            options: ExchangeOptions::default(),
        }
    }
}

impl TokenExchangeBuilder {
    /// The client id of this API's Auth0 application.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.options.client_id = Some(client_id.into());
        self
    }

    /// The client secret of this API's Auth0 application, sent with HTTP Basic
    /// authentication: shorthand for `client_auth(ClientAuth::client_secret_basic(secret))`.
    pub fn client_secret(self, secret: impl Into<ClientSecret>) -> Self {
        self.client_auth(ClientAuth::client_secret_basic(secret))
    }

    /// How this API authenticates at the token endpoint: `client_secret_basic`,
    /// `client_secret_post` or `private_key_jwt` (see [`ClientAuth`]). Replaces
    /// [`client_secret`](Self::client_secret).
    pub fn client_auth(mut self, auth: ClientAuth) -> Self {
        self.options.auth = Some(auth);
        self
    }

    /// Timeout of each token-exchange request, response included. Default 10 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = timeout;
        self
    }

    /// The token endpoint, instead of the one from discovery (e.g. with
    /// [`jwks_uri`](crate::Auth0Builder::jwks_uri) and no discovery document).
    pub fn token_endpoint(mut self, url: impl Into<String>) -> Self {
        self.options.token_endpoint = Some(url.into());
        self
    }

    /// Checks the settings. Does no network I/O.
    pub fn build(self) -> Result<TokenExchange, ConfigError> {
        Ok(TokenExchange {
            auth0: self.auth0,
            inner: Arc::new(self.options.build()?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(o: ExchangeOptions) -> &'static str {
        o.build().expect_err("accepted").field()
    }

    #[test]
    fn refuses_bad_options() {
        let secret = || Some(ClientAuth::client_secret_basic("s"));
        assert_eq!(
            field(ExchangeOptions {
                client_id: Some(" ".into()),
                ..Default::default()
            }),
            "client_id"
        );
        assert_eq!(
            field(ExchangeOptions {
                auth: secret(),
                ..Default::default()
            }),
            "client_id"
        );
        assert_eq!(
            field(ExchangeOptions {
                client_id: Some("c".into()),
                auth: Some(ClientAuth::client_secret_post("")),
                ..Default::default()
            }),
            "client_secret"
        );
        assert_eq!(
            field(ExchangeOptions {
                timeout: Duration::ZERO,
                ..Default::default()
            }),
            "exchange_timeout"
        );
        for bad in [
            "not a url",
            "http://example.com/oauth/token",
            "ftp://127.0.0.1/t",
            "https://u:p@x/t",
        ] {
            assert_eq!(
                field(ExchangeOptions {
                    token_endpoint: Some(bad.into()),
                    ..Default::default()
                }),
                "token_endpoint",
                "{bad}"
            );
        }
    }

    #[test]
    fn credentials_need_both_parts() {
        let e = ExchangeOptions {
            client_id: Some("c".into()),
            ..Default::default()
        }
        .build()
        .expect("build");
        assert!(e.credentials().is_none());
        assert_eq!(e.timeout, DEFAULT_EXCHANGE_TIMEOUT);
        let e = ExchangeOptions {
            client_id: Some("c".into()),
            auth: Some(ClientAuth::client_secret_basic("s")),
            token_endpoint: Some("http://127.0.0.1:9/oauth/token".into()),
            ..Default::default()
        }
        .build()
        .expect("build");
        assert_eq!(
            e.credentials().map(|(id, a)| (id, a.method())),
            Some(("c", "client_secret_basic"))
        );
        assert_eq!(
            e.token_endpoint.as_ref().map(Url::as_str),
            Some("http://127.0.0.1:9/oauth/token")
        );
    }
}
