//! The token-exchange part of the configuration: client credentials, timeout, token
//! endpoint override.

use std::time::Duration;

use url::Url;

use super::client_auth::ClientAuth;
use crate::config::ConfigError;
use crate::issuer::check_url;

/// Default timeout of a token request (SPEC §8).
pub(crate) const DEFAULT_EXCHANGE_TIMEOUT: Duration = Duration::from_secs(10);

/// What the builder collected for token exchange.
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

impl ExchangeOptions {
    /// Checks the options. `max_response_bytes` caps token responses like other fetches.
    pub(crate) fn build(self, max_response_bytes: usize) -> Result<Exchange, ConfigError> {
        let client_id = match self.client_id {
            Some(id) if id.trim().is_empty() => {
                return Err(ConfigError::new("client_id", "must not be empty"));
            }
            other => other,
        };
        if let Some(auth) = &self.auth {
            if client_id.is_none() {
                return Err(ConfigError::new(
                    "client_id",
                    "required with client_secret or client_auth",
                ));
            }
            if auth.secret().is_some_and(|s| s.secret().is_empty()) {
                return Err(ConfigError::new("client_secret", "must not be empty"));
            }
        }
        if self.timeout.is_zero() {
            return Err(ConfigError::new("exchange_timeout", "must be positive"));
        }
        let token_endpoint = match self.token_endpoint {
            None => None,
            Some(s) => {
                let url = Url::parse(&s)
                    .map_err(|_| ConfigError::new("token_endpoint", "not an absolute URL"))?;
                check_url(&url).map_err(|why| ConfigError::new("token_endpoint", why))?;
                Some(url)
            }
        };
        Ok(Exchange {
            client_id: client_id.map(String::into_boxed_str),
            auth: self.auth,
            timeout: self.timeout,
            token_endpoint,
            max_response_bytes,
        })
    }
}

/// Token-exchange configuration of a built [`Auth0`](crate::Auth0).
#[derive(Debug)]
pub(crate) struct Exchange {
    pub(crate) client_id: Option<Box<str>>,
    pub(crate) auth: Option<ClientAuth>,
    pub(crate) timeout: Duration,
    pub(crate) token_endpoint: Option<Url>,
    pub(crate) max_response_bytes: usize,
}

impl Exchange {
    /// The client id and its authentication, when both are configured.
    pub(crate) fn credentials(&self) -> Option<(&str, &ClientAuth)> {
        Some((self.client_id.as_deref()?, self.auth.as_ref()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(o: ExchangeOptions) -> &'static str {
        match o.build(1024) {
            Ok(e) => panic!("accepted {e:?}"),
            Err(e) => e.field(),
        }
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
        let Ok(e) = ExchangeOptions {
            client_id: Some("c".into()),
            ..Default::default()
        }
        .build(1) else {
            panic!("build")
        };
        assert!(e.credentials().is_none());
        assert_eq!(e.timeout, DEFAULT_EXCHANGE_TIMEOUT);
        let Ok(e) = ExchangeOptions {
            client_id: Some("c".into()),
            auth: Some(ClientAuth::client_secret_basic("s")),
            token_endpoint: Some("http://127.0.0.1:9/oauth/token".into()),
            ..Default::default()
        }
        .build(1) else {
            panic!("build")
        };
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
