//! Protect HTTP APIs with OAuth 2.0 access tokens issued by Auth0 or any OpenID Connect
//! issuer: JWT Bearer tokens (RFC 6750, RFC 9068) and DPoP-bound tokens (RFC 9449).
//!
//! This is the framework-agnostic core. Axum users want `auth0-axum-api`, which wraps it
//! in one line per route; tests want `auth0-api-testing`, an in-process issuer.
//!
//! # Quick start
//!
//! ```no_run
//! use auth0_api::{Auth0, DpopMode, RequestContext, Requirements};
//!
//! # async fn handle(request: http::Request<()>, peer: std::net::IpAddr) -> Result<(), Box<dyn std::error::Error>> {
//! let auth0 = Auth0::builder()
//!     .domain("my-tenant.us.auth0.com")     // or .issuer("https://id.example.com/")
//!     .audience("https://api.example.com")
//!     .dpop(DpopMode::Allowed)               // Disabled | Allowed (default) | Required
//!     .build()?;                             // Err(ConfigError) names the bad input
//!
//! // Per request: what the HTTP server knows (method, URI, headers, peer address).
//! let (parts, _body) = request.into_parts();
//! match auth0.verify(RequestContext::from_parts(&parts).peer(Some(peer))).await {
//!     Ok(claims) => {
//!         Requirements::new().scopes(["read:data"])?.check(&claims)?; // 403 when missing
//!         println!("hello, {}", claims.sub().unwrap_or("?"));
//!     }
//!     Err(err) => {
//!         // Status, WWW-Authenticate challenge(s) and JSON body, ready to send.
//!         let response = auth0.error_response(&err);
//!         # let _ = response;
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! Every front end (`auth0-axum-api`, the hyper example in `examples/hyper_server.rs`)
//! is a thin adapter over [`Auth0::verify`]: the URL a DPoP proof names is worked out here,
//! from [`Auth0Builder::public_url`], trusted proxies' headers ([`TrustProxy`]) or the
//! `Host`, so every front end answers alike. [`Auth0::verify_request`] is the low-level
//! entry for callers that already know the absolute URL.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `token-exchange` | yes | [`TokenExchange`]: Token Vault, RFC 8693 custom token exchange, on-behalf-of |
//! | `metrics` | no | counters and histograms through the [`metrics`](https://docs.rs/metrics) facade (see "Metrics and traces") |
//!
//! A resource server that never exchanges tokens can depend on the crate with
//! `default-features = false`.
//!
//! # What is checked, in order
//!
//! 1. Exactly one `Authorization` header, scheme `Bearer` or `DPoP` (case-insensitive) as
//!    the [`DpopMode`] allows, token68 syntax, at most 16 KiB.
//! 2. A compact JWS with strict base64url and JSON (no duplicate members, no trailing
//!    data); `alg` in the allowlist (never `none`, never `HS*`); `typ` absent, `JWT`,
//!    `at+jwt` or `application/at+jwt`; no `crit`.
//! 3. The key by `kid` from the issuer's JWKS (discovered via OpenID Connect Discovery,
//!    then RFC 8414); an unknown `kid` causes at most one refetch per cooldown. The key
//!    type must fit `alg`; RSA keys under 2048 bits are never loaded.
//! 4. The signature, with aws-lc-rs, on a key parsed once when the JWKS was loaded.
//! 5. `iss` (discovery's value), `aud` (string or array), `exp`, `nbf` (with the
//!    configured leeway), `iat` present, plus any required claims you name.
//! 6. DPoP: the proof (`typ`, `alg`, public `jwk`, signature, `jti`, `htm`, `htu`, `iat`
//!    window, `ath`), the binding `cnf.jkt` = RFC 7638 thumbprint, optional server nonces,
//!    and replay protection through a [`ReplayStore`]. A bound token is never accepted as
//!    Bearer, in any mode.
//!
//! # Responses
//!
//! [`Auth0::error_response`] renders the refusal (RFC 6750 §3, RFC 9449 §7.1):
//!
//! | situation | status | `error` |
//! |---|---|---|
//! | no credentials, or a scheme the mode does not accept | 401 | none (bare challenges) |
//! | several `Authorization` headers, malformed credentials | 400 | `invalid_request` |
//! | bad token (parse, alg, typ, signature, kid, iss, aud, exp, nbf, binding) | 401 | `invalid_token` |
//! | bad DPoP proof (missing, several, typ, alg, jwk, signature, htm, htu, iat, ath, replay) | 401 | `invalid_dpop_proof` |
//! | DPoP nonce missing or stale | 401 | `use_dpop_nonce` + `DPoP-Nonce` |
//! | missing scope or permission | 403 | `insufficient_scope` + `scope="…"` |
//! | keys or replay store unavailable | 503 | `temporarily_unavailable` + `Retry-After` |
//! | domains resolver failed | 500 | `domains_resolver_error` |
//!
//! Descriptions are short and fixed; they never echo the request. Details go to `tracing`
//! at `debug`, never the token.
//!
//! # Metrics and traces
//!
//! **Traces.** Every request verification ([`Auth0::verify`], [`Auth0::verify_request`])
//! runs in a `tracing` span named `auth0.verify`, at `DEBUG` level, target
//! `auth0_api::verify` (so `RUST_LOG=auth0_api=debug` shows it). `DEBUG`, as tower-http's
//! request spans are, because a span per request is a cost an application opts into; with no
//! subscriber enabled for it, the span costs a level check. When the verification ends the
//! span records:
//!
//! | field | values |
//! |---|---|
//! | `scheme` | `bearer`, `dpop`, `none` (no usable `Authorization` scheme) |
//! | `outcome` | `ok`, `refused` (4xx), `unavailable` (5xx: keys, replay store or domains resolver) |
//! | `error` | on refusal, the [`ErrorKind`] in snake case: `expired`, `invalid_signature`, `dpop_replay`, `keys_unavailable`, … |
//!
//! A refusal's `request refused` debug event is emitted inside the span. No field ever holds
//! a token, a proof, a `jti`, a claim, a key id, an issuer or a secret.
//!
//! **Metrics** (feature `metrics`). Recorded through the `metrics` facade (0.24), so any
//! exporter works (`metrics-exporter-prometheus`, OpenTelemetry, …): install a recorder at
//! start-up, and call `describe_metrics()` once to give exporters the help text and units.
//! Without a recorder each metric costs the facade's no-op path; the per-request ones use
//! keys built at compile time and allocate nothing. Every label takes values from a fixed
//! set: never anything a request carries.
//!
//! | name | type | labels | counts |
//! |---|---|---|---|
//! | `auth0_verifications_total` | counter | `outcome`, `scheme`, `error` (as the span's; `none` when verified) | request verifications ([`Auth0::verify`], [`Auth0::verify_request`]) |
//! | `auth0_token_cache_lookups_total` | counter | `result`: `hit` (answered from the verified-token cache, no signature checked), `miss` | lookups in the verified-token cache, when it is on (every token verification, [`Auth0::verify_access_token`] included) |
//! | `auth0_key_fetches_total` | counter | `document`: `discovery` (OIDC then RFC 8414, one count for both), `jwks`; `outcome`: `ok`, `error`; `error`: `none`, `timeout`, `network`, `status`, `too_large`, `invalid_json`, `issuer_mismatch`, `missing_member`, `insecure_url`, `no_usable_keys`, `too_many_keys`, `redirected` ([`FetchError`]'s variants) | fetches of the issuer's metadata and JWKS (a fetch refused by the rate limits is not a fetch) |
//! | `auth0_key_fetch_duration_seconds` | histogram | `document`, `outcome` | how long each of those fetches took, parsing included |
//! | `auth0_dpop_replays_total` | counter | — | DPoP proofs refused because their `jti` was used before |
//! | `auth0_dpop_nonce_challenges_total` | counter | `reason`: `missing` (no nonce, as on a client's first request), `stale`, `invalid` (not issued here) | `use_dpop_nonce` answers |
//! | `auth0_replay_store_errors_total` | counter | — | [`ReplayStore`] failures (the request gets 503) |
//! | `auth0_replay_store_evictions_total` | counter | — | live proofs a full [`MemoryReplayStore`] shard forgot to make room; proofs as old as them are then refused as replays, so a rising count means the store is too small for the traffic and the proof window in effect shorter |
//! | `auth0_scope_refusals_total` | counter | `scheme` | [`Requirements::check`] refusals (403 `insufficient_scope`) |
//!
//! `auth0-axum-api`'s `examples/metrics.rs` serves them to Prometheus.
//!
//! # Security considerations
//!
//! - **Clock skew**: `exp`/`nbf` have no leeway by default ([`Auth0Builder::leeway`], at
//!   most 5 minutes). DPoP proofs are accepted from 300 s in the past to 30 s in the future.
//! - **Key rotation**: a token signed with a newly published key is accepted at once (one
//!   refetch on an unknown `kid`), but random `kid`s cause at most one fetch per cooldown
//!   (30 s). If the issuer is down, the last good keys stay in use for up to 24 h past
//!   their expiry; with no keys at all, requests get 503, not 401.
//! - **Proxies and `htu`**: DPoP proofs name the URL the client used. Behind a reverse
//!   proxy, configure [`Auth0Builder::public_url`] (safest) or trust listed proxy networks
//!   ([`TrustProxy::networks`]); never trust forwarded headers from the open internet.
//! - **Replay across instances**: the default replay store is per process. A fleet of API
//!   servers must share one ([`ReplayStore`]; `auth0-api-redis` provides Redis). A store
//!   that cannot be reached fails closed (503).
//! - **Never log tokens**: this crate never does; the `Debug` of secrets is redacted and
//!   [`Claims`]' `Debug` shows registered claims only.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod act;
mod authorization;
mod builder;
mod challenge;
mod claims;
mod config;
mod domains;
mod dpop;
mod error;
#[cfg(feature = "token-exchange")]
#[cfg_attr(docsrs, doc(cfg(feature = "token-exchange")))]
pub mod exchange;
mod host;
mod http;
mod issuer;
mod jose;
mod jwk;
mod jwks;
mod jws;
mod keyed;
mod payload;
mod proxy;
mod recent;
mod replay;
mod request;
mod rules;
mod scope;
mod telemetry;
mod time;
mod token;
mod verifier;

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;

#[cfg(feature = "bench-internals")]
#[doc(hidden)]
pub mod bench_internals;

pub use act::ActError;
pub use builder::Auth0Builder;
pub use challenge::DPOP_NONCE;
pub use claims::{Claims, ClaimsError, Jkt};
pub use config::{ConfigError, ConfigErrorKind};
pub use domains::{DomainsResolver, ResolverContext, ResolverFuture};
pub use dpop::{DPOP, DpopMode, NonceConfig};
pub use error::{Error, ErrorKind, Scheme};
#[cfg(feature = "token-exchange")]
pub use exchange::{
    AssertionAudience, ClientAssertionKey, ClientAuth, ClientSecret, ConnectionToken,
    ConnectionTokenRequest, ExchangeError, ExchangeErrorKind, ExchangeProfileRequest,
    ExchangedToken, IssuedToken, OnBehalfOfRequest, OnBehalfOfToken, TokenExchange,
    TokenExchangeBuilder,
};
pub use http::{HttpClient, HttpError, HttpErrorKind, HttpFuture, ResponseUrl};
pub use issuer::{Audience, Issuer};
pub use jwk::{Algorithm, UnknownAlgorithm};
pub use jwks::FetchError;
pub use proxy::TrustProxy;
pub use replay::{MemoryReplayStore, ReplayKey, ReplayStore, ReplayStoreError};
pub use request::RequestContext;
pub use scope::Requirements;
pub use scope::{RequirementClaim, RequirementGroup};
#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub use telemetry::describe_metrics;
pub use time::{Clock, SystemClock, UnixTime};
pub use verifier::Auth0;
