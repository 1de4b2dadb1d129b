//! Token exchange (RFC 8693 and Auth0 Token Vault): the API trades the access token it received for another token
//! at the issuer's token endpoint.
//!
//! Three flows, each a method on [`TokenExchange`] named as in Auth0's Python SDK. A
//! `TokenExchange` is built from the verifier ([`Auth0::token_exchange`](crate::Auth0::token_exchange)),
//! whose issuer, discovery cache and HTTP client it shares:
//!
//! | method | grant | use it to |
//! |---|---|---|
//! | [`get_access_token_for_connection`](TokenExchange::get_access_token_for_connection) | Auth0 Token Vault (`…:federated-connection-access-token`) | call an external provider's API (Google, GitHub, …) with the user's account there |
//! | [`get_token_by_exchange_profile`](TokenExchange::get_token_by_exchange_profile) | RFC 8693 token exchange | trade any subject token (e.g. a legacy or partner token) through a Custom Token Exchange profile |
//! | [`get_token_on_behalf_of`](TokenExchange::get_token_on_behalf_of) | RFC 8693 token exchange, access token → access token | call another API for the same user (delegation; the new token's `act` claim names this API, see [`crate::act`]) |
//!
//! All three need the API's own client credentials:
//! [`client_id`](TokenExchangeBuilder::client_id) plus
//! [`client_secret`](TokenExchangeBuilder::client_secret) (HTTP Basic, the default) or
//! [`client_auth`](TokenExchangeBuilder::client_auth) for `client_secret_post` or
//! `private_key_jwt` ([`ClientAuth`]). The token endpoint comes from the issuer's discovery
//! document, the same cached fetch the verifier uses, or from
//! [`token_endpoint`](TokenExchangeBuilder::token_endpoint).
//!
//! Every input is checked before anything is sent: a missing argument, a subject token that
//! is blank, has surrounding whitespace or a `Bearer ` prefix, a reserved extra parameter or
//! too many values yield an [`ExchangeError`] and no request. Requests time out after 10 s
//! by default ([`timeout`](TokenExchangeBuilder::timeout)); responses are
//! capped at 1 MiB and checked (`access_token` a non-empty string, `expires_in` a
//! non-negative integer). [`ExchangeError::status`] tells which status an API relaying the
//! failure should answer with. Tokens and secrets are never logged and their `Debug` is
//! redacted.
//!
//! ```
//! use auth0_api::{Auth0, OnBehalfOfRequest, TokenExchange};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let auth0 = Auth0::builder()
//!     .domain("my-tenant.us.auth0.com")
//!     .audience("https://api.example.com")
//!     .build()?;
//! let exchange = auth0
//!     .token_exchange()
//!     .client_id("my-api-client-id")
//!     .client_secret("my-api-client-secret")
//!     .build()?;
//!
//! async fn downstream(exchange: &TokenExchange, incoming: &str) -> Result<String, auth0_api::ExchangeError> {
//!     let token = exchange
//!         .get_token_on_behalf_of(OnBehalfOfRequest::new(incoming, "https://billing.example.com"))
//!         .await?;
//!     Ok(token.access_token().to_owned())
//! }
//! # let _ = (exchange, downstream);
//! # Ok(())
//! # }
//! ```

mod assertion;
mod client;
mod client_auth;
mod config;
mod error;
mod request;
mod response;
mod secret;

pub use assertion::ClientAssertionKey;
pub use client_auth::{AssertionAudience, ClientAuth};
pub use config::{TokenExchange, TokenExchangeBuilder};
pub use error::{ExchangeError, ExchangeErrorKind};
pub use request::{
    ACCESS_TOKEN_TYPE, ConnectionTokenRequest, ExchangeProfileRequest, MAX_EXTRA_VALUES,
    OnBehalfOfRequest, RESERVED_PARAMETERS, TOKEN_EXCHANGE_GRANT_TYPE,
};
pub use response::{ConnectionToken, ExchangedToken, IssuedToken, OnBehalfOfToken};
pub use secret::ClientSecret;

#[cfg(feature = "fuzzing")]
pub(crate) use response::{parse_success, refusal};
