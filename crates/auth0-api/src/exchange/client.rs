//! [`TokenExchange`]: the token-exchange methods and the one POST they share.

use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderValue, Request, StatusCode};
use url::{Url, form_urlencoded};

use super::config::TokenExchange;
use super::error::{ExchangeError, ExchangeErrorKind};
use super::request::{ConnectionTokenRequest, ExchangeProfileRequest, Fields, OnBehalfOfRequest};
use super::response::{
    ConnectionToken, ExchangedToken, OnBehalfOfToken, Parsed, parse_success, refusal,
};
use crate::http::HttpErrorKind;

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

impl TokenExchange {
    /// Token Vault: exchanges the access token this API received for the access token of
    /// the user's account at an external connection (e.g. `google-oauth2`), so the API can
    /// call that provider's APIs for the user.
    ///
    /// Sends, form-encoded to the issuer's token endpoint, in this order: `grant_type`
    /// (`urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token`),
    /// `subject_token`, `subject_token_type` (`urn:ietf:params:oauth:token-type:access_token`),
    /// `requested_token_type` (`http://auth0.com/oauth/token-type/federated-connection-access-token`),
    /// `connection`, `login_hint` (when set), `client_id`, then the client authentication
    /// fields. Needs [`client_id`](crate::TokenExchangeBuilder::client_id) and a
    /// [`client_secret`](crate::TokenExchangeBuilder::client_secret) (or another
    /// [`client_auth`](crate::TokenExchangeBuilder::client_auth)).
    ///
    /// # Errors
    /// Invalid input and missing configuration are reported before any network call; see
    /// [`ExchangeError`] for the rest.
    ///
    /// # Example
    /// ```
    /// use auth0_api::{ConnectionTokenRequest, TokenExchange};
    ///
    /// async fn google_calendar_token(exchange: &TokenExchange, access_token: &str) -> Result<String, Box<dyn std::error::Error>> {
    ///     let token = exchange
    ///         .get_access_token_for_connection(
    ///             ConnectionTokenRequest::new("google-oauth2", access_token).login_hint("user@example.com"),
    ///         )
    ///         .await?;
    ///     println!("valid until {}", token.expires_at().as_secs());
    ///     Ok(token.access_token().to_owned())
    /// }
    /// ```
    pub async fn get_access_token_for_connection(
        &self,
        request: ConnectionTokenRequest,
    ) -> Result<ConnectionToken, ExchangeError> {
        request.validate()?;
        let mut fields = request.fields();
        let (client_id, auth) = self.client_credentials()?;
        if !auth.sends_client_id() {
            fields.push(("client_id", client_id));
        }
        self.token_request("connection", fields)
            .await
            .map(ConnectionToken::from)
    }

    /// RFC 8693 token exchange, as Auth0 Custom Token Exchange profiles use it: trades a
    /// `subject_token` of a given type for a token for `audience`.
    ///
    /// Sends `grant_type` (`urn:ietf:params:oauth:grant-type:token-exchange`),
    /// `subject_token`, `subject_token_type`, then `audience`, `scope`,
    /// `requested_token_type` when set, the extra parameters in the order they were added,
    /// then the client authentication fields. Reserved names in the extra parameters (see
    /// [`RESERVED_PARAMETERS`](crate::exchange::RESERVED_PARAMETERS)), more than 20 values per
    /// name, and a subject token with a `Bearer ` prefix or surrounding whitespace are
    /// refused before any network call.
    ///
    /// # Errors
    /// See [`ExchangeError`].
    ///
    /// # Example
    /// ```
    /// use auth0_api::{ExchangeProfileRequest, TokenExchange};
    ///
    /// async fn exchange(exchange: &TokenExchange, legacy_token: &str) -> Result<(), Box<dyn std::error::Error>> {
    ///     let token = exchange
    ///         .get_token_by_exchange_profile(
    ///             ExchangeProfileRequest::new(legacy_token, "urn:acme:legacy-token")
    ///                 .audience("https://api.example.com")
    ///                 .scope("read:data")
    ///                 .extra("device_id", "d-42"),
    ///         )
    ///         .await?;
    ///     assert!(!token.access_token().is_empty());
    ///     Ok(())
    /// }
    /// ```
    pub async fn get_token_by_exchange_profile(
        &self,
        request: ExchangeProfileRequest,
    ) -> Result<ExchangedToken, ExchangeError> {
        request.validate()?;
        self.client_credentials()?;
        self.token_request("exchange_profile", request.fields())
            .await
            .map(ExchangedToken::from)
    }

    /// On-Behalf-Of (RFC 8693): trades the access token this API received for an access
    /// token for another API (`audience`), for the same user, so this API can call it.
    ///
    /// Sends `grant_type` (`urn:ietf:params:oauth:grant-type:token-exchange`),
    /// `subject_token`, `subject_token_type` (`urn:ietf:params:oauth:token-type:access_token`),
    /// `audience`, `scope` (when set), `requested_token_type`
    /// (`urn:ietf:params:oauth:token-type:access_token`), then the client authentication
    /// fields. The result never carries an ID or refresh token.
    ///
    /// # Errors
    /// See [`ExchangeError`].
    ///
    /// # Example
    /// ```
    /// use auth0_api::{OnBehalfOfRequest, TokenExchange};
    ///
    /// async fn call_billing(exchange: &TokenExchange, access_token: &str) -> Result<(), Box<dyn std::error::Error>> {
    ///     let token = exchange
    ///         .get_token_on_behalf_of(
    ///             OnBehalfOfRequest::new(access_token, "https://billing.example.com").scope("read:invoices"),
    ///         )
    ///         .await?;
    ///     let _authorization = format!("Bearer {}", token.access_token());
    ///     Ok(())
    /// }
    /// ```
    pub async fn get_token_on_behalf_of(
        &self,
        request: OnBehalfOfRequest,
    ) -> Result<OnBehalfOfToken, ExchangeError> {
        request.validate()?;
        self.client_credentials()?;
        self.token_request("on_behalf_of", request.fields())
            .await
            .map(OnBehalfOfToken::from)
    }

    fn client_credentials(&self) -> Result<(&str, &super::ClientAuth), ExchangeError> {
        self.inner.credentials().ok_or_else(|| {
            ExchangeError::new(ExchangeErrorKind::NotConfigured).with_reason(
                "set client_id and client_secret (or client_auth) on the token exchange builder",
            )
        })
    }

    /// The token endpoint: the configured one, else discovery's (the cached metadata the
    /// verifier uses).
    async fn token_endpoint(&self) -> Result<Url, ExchangeError> {
        if let Some(url) = &self.inner.token_endpoint {
            return Ok(url.clone());
        }
        let (keys, _, _) = self.auth0.exchange_parts();
        let keys = keys.primary().ok_or_else(no_issuer)?;
        let metadata = keys.metadata().await.map_err(ExchangeError::discovery)?;
        metadata
            .token_endpoint
            .ok_or_else(|| ExchangeError::new(ExchangeErrorKind::NoTokenEndpoint))
    }

    /// POSTs `fields` plus client authentication to the token endpoint and checks the
    /// answer. `flow` only names the request in logs.
    async fn token_request(
        &self,
        flow: &'static str,
        fields: Fields<'_>,
    ) -> Result<Parsed, ExchangeError> {
        let (client_id, auth) = self.client_credentials()?;
        let issuer = self.auth0.issuer().ok_or_else(no_issuer)?;
        let endpoint = self.token_endpoint().await?;
        let (_, fetcher, clock) = self.auth0.exchange_parts();
        let applied = auth.apply(client_id, issuer.as_str(), endpoint.as_str(), clock.now())?;

        // The serializer is not `Send`: build the body in a scope that ends before any await,
        // so the exchange futures stay `Send` (usable in axum handlers and spawned tasks).
        let body = {
            let mut form = form_urlencoded::Serializer::new(String::new());
            for (name, value) in fields {
                form.append_pair(name, value);
            }
            for (name, value) in &applied.fields {
                form.append_pair(name, value);
            }
            form.finish()
        };

        let mut request = Request::post(endpoint.as_str())
            .header(CONTENT_TYPE, HeaderValue::from_static(FORM))
            .header(ACCEPT, HeaderValue::from_static(JSON));
        if let Some(authorization) = applied.authorization {
            request = request.header(AUTHORIZATION, authorization);
        }
        let request = request
            .body(Bytes::from(body))
            .map_err(|e| ExchangeError::new(ExchangeErrorKind::Network).with_source(e))?;

        let response = match fetcher.send(request, self.inner.timeout).await {
            Ok(response) => response,
            Err(e) => {
                let err = match e.kind() {
                    HttpErrorKind::Timeout => ExchangeError::new(ExchangeErrorKind::Timeout),
                    HttpErrorKind::TooLarge => {
                        ExchangeError::new(ExchangeErrorKind::ResponseTooLarge)
                    }
                    // The error's text can carry the URL, never a token or secret; keep it as
                    // the source for logs.
                    _ => ExchangeError::new(ExchangeErrorKind::Network).with_source(e),
                };
                tracing::warn!(flow, endpoint = %endpoint, error = %err, "token request failed");
                return Err(err);
            }
        };
        let status = response.status();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.into_body();
        if status != StatusCode::OK {
            let e = refusal(status, content_type.as_deref(), &body);
            tracing::info!(flow, endpoint = %endpoint, status = status.as_u16(), error = e.issuer_error().unwrap_or(""), "token endpoint refused the request");
            return Err(e);
        }
        let parsed = parse_success(&body, clock.now());
        match &parsed {
            Ok(_) => tracing::debug!(flow, endpoint = %endpoint, "token exchanged"),
            Err(e) => {
                tracing::warn!(flow, endpoint = %endpoint, error = %e, "unusable token response")
            }
        }
        parsed
    }
}

/// Token exchange talks to the configured issuer; with only multiple custom domains there
/// is none.
fn no_issuer() -> ExchangeError {
    ExchangeError::new(ExchangeErrorKind::NotConfigured)
        .with_reason("set a domain or an issuer: token exchange talks to that issuer")
}
