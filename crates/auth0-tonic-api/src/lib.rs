//! Protect [tonic] gRPC services with OAuth 2.0 access tokens from Auth0 or any OpenID
//! Connect issuer: JWT Bearer tokens (RFC 6750, RFC 9068) and DPoP-bound tokens (RFC 9449),
//! verified by [`auth0_api`].
//!
//! # Quick start
//!
//! ```no_run
//! use auth0_tonic_api::{Auth0, Claims, DpopMode, RequireAuthLayer};
//! use tonic::{Request, Response, Status};
//!
//! # async fn run(service: tonic::service::Routes) -> Result<(), Box<dyn std::error::Error>> {
//! let auth0 = Auth0::builder()
//!     .domain("my-tenant.us.auth0.com")
//!     .audience("https://api.example.com")
//!     .dpop(DpopMode::Allowed)
//!     .build()?;
//!
//! let auth = RequireAuthLayer::new(auth0)                              // any valid token
//!     .public_method("/quickstart.v1.Quickstart/Public")?               // no token needed
//!     .method("/quickstart.v1.Quickstart/ReadData", |r| r.scopes(["read:data"]))?;
//!
//! tonic::transport::Server::builder()
//!     .layer(auth)
//!     .add_routes(service) // or .add_service(QuickstartServer::new(MyService))
//!     .serve("127.0.0.1:50051".parse()?)
//!     .await?;
//!
//! // In a handler:
//! fn hello(request: Request<()>) -> Result<Response<String>, Status> {
//!     let claims = request.extensions().get::<Claims>();
//!     Ok(Response::new(format!("Hello, {}", claims.and_then(|c| c.sub()).unwrap_or("?"))))
//! }
//! # Ok(()) }
//! ```
//!
//! `examples/tonic_quickstart.rs` is a complete server (the example-server routes as the methods
//! of one service, with an embedded test issuer when none is configured).
//!
//! # What is in here
//!
//! | item | use |
//! |---|---|
//! | [`RequireAuthLayer`] → [`RequireAuth`] | tower layer: `Server::builder().layer(..)` or around one service; `.scopes([..])?`, `.any_scope([..])?`, `.permissions([..])?`, `.any_permission([..])?` for every method (a [`ConfigError`] for an empty list or an item that is not one scope token), `.method(path, \|r\| r.scopes([..]))?` and `.public_method(path)?` per method (a [`MethodConfigError`] for a bad path, a method configured twice, or requirements that are bad or empty), `.on_rejection(..)` |
//! | [`auth0_api::Claims`] | the verified claims, in the request extensions: `request.extensions().get::<Claims>()` |
//! | [`refusal_status`], [`grpc_code`] | the default refusal as a [`tonic::Status`], and its code |
//! | [`OnRejection`] | swap the refusal (a closure `Fn(&Error) -> Status` works) |
//! | [`metadata`] | the metadata keys a refusal carries |
//!
//! Per-method requirements are checked in addition to the layer's; a public method is
//! served without reading its credentials. Paths are matched exactly, as tonic's generated
//! servers route (`/package.Service/Method`); any method without a rule gets the layer's.
//!
//! # DPoP on gRPC
//!
//! A gRPC call is an HTTP/2 `POST` to `/package.Service/Method`, so a DPoP proof for it has
//! `htm` `POST` and `htu` the call's URL, `scheme://authority/package.Service/Method`
//! (e.g. `https://api.example.com/quickstart.v1.Quickstart/ReadData`, without a query). The
//! core checks it against the URL it works out from:
//!
//! 1. [`Auth0Builder::public_url`] plus the method path, when set (behind a load balancer
//!    or any proxy that changes the authority: the safest choice);
//! 2. a trusted proxy's `Forwarded` / `X-Forwarded-*` metadata ([`TrustProxy`], checked
//!    against the peer address tonic reports);
//! 3. otherwise the call's own target: `:authority` (or a `Host` header) and the scheme,
//!    which is `https` whenever the call came over TLS (tonic's `tls_config`, or a
//!    `tokio_rustls` stream given to `serve_with_incoming`), whatever the client wrote in
//!    `:scheme`; on a plain connection, the client's `:scheme` (RFC 9110 §7.1 target URI).
//!
//! A DPoP client sends the proof in `dpop` metadata and the token as
//! `authorization: DPoP <token>`. When server nonces are on, a successful DPoP call carries
//! the next nonce in the `dpop-nonce` response header (initial metadata), and a
//! `use_dpop_nonce` refusal carries a fresh one in its `dpop-nonce` metadata.
//!
//! # Responses
//!
//! A refused call gets a trailers-only response with the status [`refusal_status`] builds:
//!
//! | core (HTTP) | gRPC code | metadata |
//! |---|---|---|
//! | 401: no usable credentials, bad token, bad DPoP proof, nonce needed | `UNAUTHENTICATED` | `www-authenticate`, `error`; `dpop-nonce` for `use_dpop_nonce` |
//! | 403: missing scope or permission | `PERMISSION_DENIED` | `www-authenticate` (with `scope="…"`), `error` |
//! | 400: malformed `authorization`, several of them, DPoP proof with Bearer | `INVALID_ARGUMENT` | `www-authenticate`, `error` |
//! | 503: keys or replay store unavailable | `UNAVAILABLE` | `retry-after`, `error` |
//! | 500: domains resolver failed | `INTERNAL` | `error` |
//!
//! - `www-authenticate` is byte for byte the header [`Auth0::error_response`] builds: one
//!   challenge per accepted scheme (`Bearer realm="api"`, `DPoP algs="..."`), with `error`
//!   and `error_description` on the scheme used.
//! - `error` (see [`metadata::ERROR`]) is the OAuth error code, the `error` member of the
//!   HTTP front ends' JSON body: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`,
//!   `insufficient_scope`, `invalid_request`, `temporarily_unavailable`,
//!   `domains_resolver_error`, or `unauthorized` when no usable credentials were sent. It is
//!   a plain metadata entry rather than status details, so any gRPC client reads it
//!   without protobuf types, including on `UNAVAILABLE`, which has no challenge.
//! - The status message is the core's fixed `error_description` (e.g. `Token expired`); it
//!   never echoes the request.
//!
//! The typed [`Error`] also goes into the HTTP response's extensions, for outer tower layers.
//! Every refusal is logged with `tracing` (target `auth0_tonic_api::rejection`: kind,
//! scheme, status; never the token).
//!
//! # Security considerations
//!
//! - **Proxies and DPoP `htu`.** Behind a proxy or load balancer that terminates TLS or
//!   changes the authority, set [`Auth0Builder::public_url`] (safest), or trust the proxy's
//!   forwarded metadata with [`TrustProxy::networks`] (checked against the peer address
//!   from tonic's connect info). [`TrustProxy::all`] is only safe when no call can reach the
//!   server except through a proxy that overwrites those headers.
//! - **Verified once.** The layer stores the verified [`auth0_api::Claims`] in the request
//!   extensions, and a second layer of the same verifier (server-wide and per service)
//!   reuses them, so a DPoP proof is checked, and its `jti` spent, once per call. Claims
//!   record which verifier made them: a layer of another [`Auth0`] verifies again.
//! - **Public methods** are matched by exact path, as tonic routes: a call to any other
//!   path, a misspelt one included, is verified.
//! - **Streaming calls** are verified once, when the call starts (before the first
//!   message); a long-lived stream outlives the token's `exp`. Bound its lifetime in your
//!   service if that matters.
//! - **Metadata size.** tonic's server (hyper) accepts at most 16 KiB of request headers by
//!   default, `authorization` and `dpop` included: a larger call is refused by HTTP/2
//!   before the layer runs (the client sees `UNKNOWN` or `INTERNAL`, with no challenge).
//!   If your tokens may come close, raise it with
//!   `Server::builder().http2_max_header_list_size(..)`; the core refuses tokens over its
//!   own cap (16 KiB) with `invalid_token`.
//! - **Clock skew and key rotation** are configured on the [`Auth0`] builder (`leeway`, JWKS
//!   cache); see [`auth0_api`].
//! - **Never log tokens.** Nothing here logs the `authorization` or `dpop` metadata; keep
//!   request logging in your server from doing so.
//!
//! # Testing your service
//!
//! `auth0-api-testing` runs an in-process issuer that signs tokens (and DPoP proofs) your
//! [`Auth0`] accepts; this crate's tests run a real tonic client and server with it.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod connection;
pub mod metadata;
mod method;
mod rejection;
mod require_auth;

pub use crate::method::{MethodConfigError, MethodConfigErrorKind};
pub use crate::rejection::{DefaultRejection, OnRejection, grpc_code, refusal_status};
pub use crate::require_auth::{RequireAuth, RequireAuthLayer, ResponseFuture};

pub use auth0_api::{
    self, Auth0, Auth0Builder, Claims, ConfigError, ConfigErrorKind, DpopMode, Error, ErrorKind,
    Requirements, Scheme, TrustProxy,
};
