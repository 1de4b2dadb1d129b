//! Protect [axum] routes (and any tower service) with OAuth 2.0 access tokens from Auth0 or
//! any OpenID Connect issuer: JWT Bearer tokens (RFC 6750, RFC 9068) and DPoP-bound tokens
//! (RFC 9449), verified by [`auth0_api`].
//!
//! # Quick start
//!
//! ```no_run
//! use auth0_axum_api::{Auth0, Auth0Ext, Claims, DpopMode};
//! use axum::{Router, routing::get};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let auth0 = Auth0::builder()
//!     .domain("my-tenant.us.auth0.com")
//!     .audience("https://api.example.com")
//!     .dpop(DpopMode::Allowed)
//!     .build()?;
//!
//! let app = Router::new()
//!     .route("/protected-api", get(protected))                        // claims in the handler
//!     .route("/protected", get(h).route_layer(auth0.require_auth()))  // guard without claims
//!     .route("/read-data", get(h).route_layer(auth0.require_auth().scopes(["read:data"])?))
//!     .route("/public", get(h))
//!     .with_state(auth0);
//!
//! async fn protected(claims: Claims) -> String {
//!     format!("Hello, {}", claims.sub().unwrap_or("?"))
//! }
//! async fn h() -> &'static str { "ok" }
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! # What is in here
//!
//! | item | use |
//! |---|---|
//! | [`Claims`] | extractor: `claims: Claims` (typed accessors), `Claims<MyClaims>` (your serde type), `Option<Claims>` (optional auth) |
//! | [`Auth0Ext::require_auth`] → [`RequireAuthLayer`] | tower layer: `route_layer(auth0.require_auth())`, `.scopes([..])?`, `.any_scope([..])?`, `.permissions([..])?`, `.any_permission([..])?` (a `ConfigError` for an empty list or an item that is not one scope token), `.on_rejection(..)` |
//! | [`AuthRejection`] | the extractor's rejection: the refusal response (RFC 6750 §3, RFC 9449 §7.1), and the typed [`Error`] |
//! | [`DpopNonceLayer`] | sends the next `DPoP-Nonce` on successful DPoP responses of extractor-only routes |
//! | [`OnRejection`] | swap the layer's response (a closure `Fn(&Error) -> Response` works) |
//!
//! The [`Auth0`] verifier comes from the router state through [`FromRef`](axum_core::extract::FromRef):
//! `.with_state(auth0)`, or an app state with `impl FromRef<AppState> for Auth0`.
//!
//! # Features
//!
//! | feature | adds |
//! |---|---|
//! | `metrics` | counters and histograms of every verification through the [`metrics`](https://docs.rs/metrics) facade (`auth0-api`'s `metrics` feature; its docs list every metric); `examples/metrics.rs` serves them to Prometheus |
//! | `openapi` | the [`openapi`][openapi-module] module: OpenAPI documents with utoipa 5 (and `utoipa-axum`) whose security schemes follow the [`DpopMode`] and whose guarded operations list the scopes of their [`RequireAuthLayer`] |
//!
//! # OpenAPI
//!
//! With the `openapi` feature, a route's guard is also its documentation: in a
//! `utoipa-axum` `OpenApiRouter`, `routes!(read_data).secured(auth0.require_auth().scopes(["read:data"])?)`
//! guards the route and writes `security: [{"bearer": ["read:data"]}, {"dpop": ["read:data"], "dpop_proof": []}]`
//! into its operation; `SecuritySchemes::new(&auth0)` adds the schemes Swagger UI's
//! "Authorize" offers. Any-of requirements become alternatives. DPoP is described as two
//! `apiKey` headers (`Authorization: DPoP ..` and `DPoP`), which Swagger UI can send; the
//! module docs show the whole setup and the limits, and `examples/openapi.rs` serves
//! `/openapi.json` and Swagger UI.
//!
//! # Responses
//!
//! Refused requests get the response [`Auth0::error_response`] builds: 401 with one
//! `WWW-Authenticate` field holding a challenge per accepted scheme (`Bearer realm="api"`,
//! `DPoP algs="..."`) and, when credentials were present but bad, `error` and a fixed
//! `error_description` on the scheme used; 400 `invalid_request` for malformed headers; 403
//! `insufficient_scope` with the required scopes; 503 with `Retry-After` when keys cannot be
//! obtained. The body is `{"error": "...", "error_description": "..."}`. Every refusal is
//! logged with `tracing` (target `auth0_axum_api::rejection`: kind, scheme, status; never
//! the token).
//!
//! # Security considerations
//!
//! - **Proxies and DPoP `htu`.** A DPoP proof names the URL the client called. Behind a
//!   reverse proxy, set [`Auth0Builder::public_url`](auth0_api::Auth0Builder::public_url)
//!   (safest), or trust the proxy's `Forwarded` / `X-Forwarded-*` headers with
//!   [`TrustProxy::networks`] (checked against the peer address: serve with
//!   `into_make_service_with_connect_info::<SocketAddr>()`). [`TrustProxy::all`] is only
//!   safe when no request can reach the app except through a proxy that overwrites those
//!   headers. Untrusted forwarded headers are ignored; of a trusted `Forwarded` field, only
//!   the right-most element (the one the proxy appended) is read.
//! - **Verified once.** The layer stores the verified [`auth0_api::Claims`] in the request
//!   extensions and the extractor reuses them, so a DPoP proof is checked (and its `jti`
//!   consumed) once per request. Only the verifier can create `auth0_api::Claims`, and stored
//!   claims record which verifier made them: a layer or extractor of another [`Auth0`]
//!   (another audience, a stricter DPoP mode) verifies the request again instead of
//!   trusting them.
//! - **Clock skew and key rotation** are configured on the [`Auth0`] builder (`leeway`, JWKS
//!   cache); see [`auth0_api`].
//! - **Never log tokens.** Nothing here logs the `Authorization` or `DPoP` header; keep
//!   request logging in your app from doing so.
//!
//! # Testing your API
//!
//! `auth0-api-testing` runs an in-process issuer that signs tokens your [`Auth0`] accepts;
//! see `examples/testing_your_api.rs`.
//!
#![cfg_attr(feature = "openapi", doc = "[openapi-module]: crate::openapi")]
// Without the feature the module is not there: the link points at this table.
#![cfg_attr(not(feature = "openapi"), doc = "[openapi-module]: #features")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod claims;
mod nonce;
#[cfg(feature = "openapi")]
#[cfg_attr(docsrs, doc(cfg(feature = "openapi")))]
pub mod openapi;
mod rejection;
mod require_auth;

pub use crate::claims::{Claims, FromClaims, Verified};
pub use crate::nonce::{DpopNonce, DpopNonceLayer, NonceFuture};
pub use crate::rejection::{AuthRejection, DefaultRejection, OnRejection};
pub use crate::require_auth::{RequireAuth, RequireAuthLayer, ResponseFuture};

pub use auth0_api::{
    self, Auth0, Auth0Builder, ClaimsError, ConfigError, ConfigErrorKind, DpopMode, Error,
    ErrorKind, Requirements, Scheme, TrustProxy,
};

/// `auth0.require_auth()` on an [`Auth0`] verifier.
pub trait Auth0Ext: sealed::Sealed {
    /// A [`RequireAuthLayer`] that accepts any valid token; chain `.scopes([..])?`,
    /// `.permissions([..])?`, ... to require more.
    fn require_auth(&self) -> RequireAuthLayer;
}

impl Auth0Ext for Auth0 {
    fn require_auth(&self) -> RequireAuthLayer {
        RequireAuthLayer::new(self.clone())
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for auth0_api::Auth0 {}
}

/// Guides: migrating from Auth0's FastAPI SDK, rolling out DPoP, running behind a proxy,
/// key rotation and issuer outages, testing your API, and running a fleet with Redis.
///
/// Their Rust examples are compiled, and most are run, by `cargo test --doc`; the same
/// files are in the crate's `docs/` directory.
pub mod guides {
    #[doc = include_str!("../docs/migrating-from-fastapi.md")]
    pub mod migrating_from_fastapi {}
    #[doc = include_str!("../docs/dpop-rollout.md")]
    pub mod dpop_rollout {}
    #[doc = include_str!("../docs/behind-a-proxy.md")]
    pub mod behind_a_proxy {}
    #[doc = include_str!("../docs/key-rotation.md")]
    pub mod key_rotation {}
    #[doc = include_str!("../docs/testing.md")]
    pub mod testing {}
    #[doc = include_str!("../docs/redis-fleet.md")]
    pub mod redis_fleet {}
}

/// Everything a typical app imports: `use auth0_axum_api::prelude::*;`.
pub mod prelude {
    pub use crate::{Auth0, Auth0Ext, Claims, DpopMode, Error, Requirements};
}
