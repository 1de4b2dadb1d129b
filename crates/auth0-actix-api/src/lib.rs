//! Protect [actix-web](actix_web) routes with OAuth 2.0 access tokens from Auth0 or any
//! OpenID Connect issuer: JWT Bearer tokens (RFC 6750, RFC 9068) and DPoP-bound tokens
//! (RFC 9449), verified by [`auth0_api`]. Every answer (status, `WWW-Authenticate`,
//! `DPoP-Nonce`, `Retry-After`, JSON body) is the one the core builds, byte for byte, so
//! this crate answers exactly like `auth0-axum-api`.
//!
//! # Quick start
//!
//! ```no_run
//! use actix_web::{App, HttpServer, web};
//! use auth0_actix_api::{Auth0, Auth0Ext, Claims, DpopMode, DpopNonce};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let auth0 = Auth0::builder()
//!     .domain("my-tenant.us.auth0.com")
//!     .audience("https://api.example.com")
//!     .dpop(DpopMode::Allowed)
//!     .build()?;
//!
//! async fn protected(claims: Claims) -> String {
//!     format!("Hello, {}", claims.sub().unwrap_or("?"))
//! }
//! async fn h() -> &'static str { "ok" }
//!
//! // A malformed scope is a `ConfigError`, at startup.
//! let read_data = auth0.require_auth().scopes(["read:data"])?;
//! HttpServer::new(move || {
//!     App::new()
//!         .app_data(web::Data::new(auth0.clone()))
//!         .wrap(DpopNonce::new()) // next DPoP nonce for extractor-only routes
//!         .route("/protected-api", web::get().to(protected)) // claims in the handler
//!         .service(web::resource("/protected").wrap(auth0.require_auth()).to(h)) // guard
//!         .service(
//!             web::resource("/read-data")
//!                 .wrap(read_data.clone())
//!                 .to(h),
//!         )
//!         .route("/public", web::get().to(h))
//! })
//! .bind(("127.0.0.1", 3000))?
//! .run()
//! .await?;
//! # Ok(()) }
//! ```
//!
//! # What is in here
//!
//! | item | use |
//! |---|---|
//! | [`Claims`] | extractor: `claims: Claims` (typed accessors), `Claims<MyClaims>` (your serde type) |
//! | [`MaybeClaims`] | optional auth: `None` without credentials, bad credentials still refused (actix's `Option<Claims>` would swallow the error) |
//! | [`Auth0Ext::require_auth`] → [`RequireAuth`] | middleware: `.wrap(auth0.require_auth())`, `.scopes([..])?`, `.any_scope([..])?`, `.permissions([..])?`, `.any_permission([..])?` (a `ConfigError` for an empty list or an item that is not one scope token), `.on_rejection(..)` |
//! | [`AuthRejection`] | the extractors' error: a [`ResponseError`](actix_web::ResponseError) rendering the refusal response, and the typed [`Error`] |
//! | [`DpopNonce`] | sends the next `DPoP-Nonce` on successful DPoP responses of extractor-only routes |
//! | [`OnRejection`] | swap the middleware's response (a closure `Fn(&Error) -> HttpResponse` works) |
//! | [`error_response`] | the default refusal response as an actix `HttpResponse` |
//!
//! The extractors take the [`Auth0`] verifier from the app data: `web::Data<Auth0>`
//! (`.app_data(web::Data::new(auth0))`) or a bare `Auth0` (`.app_data(auth0)`). Without
//! one they answer 500 and log an error. The middleware carries its own verifier.
//!
//! # Features
//!
//! None: everything is on. Metrics and token exchange are features of [`auth0_api`]; enable
//! them on that dependency.
//!
//! # Responses
//!
//! Refused requests get the response [`Auth0::error_response`] builds: 401 with one
//! `WWW-Authenticate` field holding a challenge per accepted scheme (`Bearer realm="api"`,
//! `DPoP algs="..."`) and, when credentials were present but bad, `error` and a fixed
//! `error_description` on the scheme used; 400 `invalid_request` for malformed headers; 403
//! `insufficient_scope` with the required scopes; 503 with `Retry-After` when keys cannot be
//! obtained. The body is `{"error": "...", "error_description": "..."}`. The typed
//! [`Error`] is in the response extensions (`response.extensions().get::<Error>()`). Every
//! refusal is logged with `tracing` (target `auth0_actix_api::rejection`: kind, scheme,
//! status; never the token).
//!
//! # Security considerations
//!
//! - **Proxies and DPoP `htu`.** A DPoP proof names the URL the client called. Behind a
//!   reverse proxy, set [`Auth0Builder::public_url`](auth0_api::Auth0Builder::public_url)
//!   (safest), or trust the proxy's `Forwarded` / `X-Forwarded-*` headers with
//!   [`TrustProxy::networks`], checked against the peer address (`HttpRequest::peer_addr`).
//!   Do not use actix's `ConnectionInfo` for this: it reads forwarded headers from anyone.
//!   Untrusted forwarded headers are ignored. On a TLS listener the URL scheme is `https`.
//! - **Verified once.** The middleware stores the verified [`auth0_api::Claims`] in the
//!   request extensions and the extractor reuses them, so a DPoP proof is checked (and its
//!   `jti` consumed) once per request. Stored claims record which verifier made them: a
//!   middleware or extractor of another [`Auth0`] verifies the request again.
//! - **Never log tokens.** Nothing here logs the `Authorization` or `DPoP` header; keep
//!   request logging in your app (e.g. actix's `Logger` format) from doing so.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod claims;
mod convert;
mod middleware;
mod rejection;

pub use crate::claims::{Claims, ClaimsFuture, FromClaims, MaybeClaims, Verified};
pub use crate::middleware::{
    DpopNonce, DpopNonceMiddleware, MiddlewareFuture, RequireAuth, RequireAuthMiddleware,
};
pub use crate::rejection::{AuthRejection, DefaultRejection, OnRejection, error_response};

pub use auth0_api::{
    self, Auth0, Auth0Builder, ClaimsError, ConfigError, ConfigErrorKind, DpopMode, Error,
    ErrorKind, Requirements, Scheme, TrustProxy,
};

/// `auth0.require_auth()` on an [`Auth0`] verifier.
pub trait Auth0Ext: sealed::Sealed {
    /// A [`RequireAuth`] middleware that accepts any valid token; chain `.scopes([..])`,
    /// `.permissions([..])`, ... to require more.
    fn require_auth(&self) -> RequireAuth;
}

impl Auth0Ext for Auth0 {
    fn require_auth(&self) -> RequireAuth {
        RequireAuth::new(self.clone())
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for auth0_api::Auth0 {}
}

/// Everything a typical app imports: `use auth0_actix_api::prelude::*;`.
pub mod prelude {
    pub use crate::{Auth0, Auth0Ext, Claims, DpopMode, DpopNonce, MaybeClaims, RequireAuth};
}
