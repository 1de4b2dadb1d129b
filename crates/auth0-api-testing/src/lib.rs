//! An in-process OAuth 2.0 / OpenID Connect issuer for tests of APIs protected with
//! [`auth0-api`](https://docs.rs/auth0-api).
//!
//! ```
//! use auth0_api_testing::{Algorithm, DpopKey, Endpoint, TestIssuer};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let issuer = TestIssuer::start().await;            // real HTTP on 127.0.0.1:<random port>
//! let token = issuer.token().scope("read:data").sign();
//! assert_eq!(token.split('.').count(), 3);
//!
//! // DPoP: a client key, a bound token and a proof for one request.
//! let client = DpopKey::generate(Algorithm::ES256);
//! let bound = issuer.token().bound_to(&client).sign();
//! let proof = client.proof("GET", "http://localhost:3000/data").access_token(&bound).sign();
//! assert!(proof.starts_with("ey"));
//!
//! // Point the verifier under test at `issuer.issuer()`, then check what it fetched:
//! assert!(issuer.issuer().starts_with("http://127.0.0.1:"));
//! assert_eq!(issuer.requests(Endpoint::Jwks), 0);
//! # }
//! ```
//!
//! # What it serves
//!
//! | endpoint | URL |
//! |---|---|
//! | OIDC discovery | `{issuer}.well-known/openid-configuration` |
//! | RFC 8414 metadata | `/.well-known/oauth-authorization-server{path}` |
//! | JWKS | `{issuer}.well-known/jwks.json` |
//! | token endpoint | `POST {issuer}oauth/token` |
//!
//! Each endpoint can answer normally, with a status, with garbage, slowly, never, or by
//! dropping the connection ([`Behavior`]); requests are counted exactly ([`TestIssuer::requests`]).
//!
//! # Minting tokens
//!
//! [`TestIssuer::token`] returns a [`TokenBuilder`] with sensible defaults (see its docs) and
//! setters for every claim and header member, plus the malformed variants security tests need:
//! [`TokenBuilder::unsigned`] (`alg: none`), [`TokenBuilder::sign_hs256`] (algorithm confusion),
//! [`TokenBuilder::sign_raw_payload`] (exact payload bytes), signing with an unpublished or
//! rotated key, and a header `alg` that differs from the signature's.
//!
//! # Conformance
//!
//! [`conformance`] is the table of request cases every front end of `auth0-rs` runs (the
//! example server's routes, Bearer and DPoP, good and bad credentials, with the status and
//! challenge each DPoP mode must answer): a front end of your own can run it too.
//!
//! # Features
//!
//! None.
//!
//! # Time
//!
//! Everything time-dependent reads a [`TestClock`], which implements [`auth0_api::Clock`]:
//! give the same clock to the issuer and to the verifier under test and move it with
//! [`TestClock::advance`].
//!
//! # Panics
//!
//! This is a test fixture: it panics, with a message naming the cause, where a test could not
//! go on anyway (no loopback port, no runtime, signing with a kid the issuer does not hold).
//! Those cases are documented on each method.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod alg;
mod b64;
mod clock;
pub mod conformance;
mod der;
mod dpop;
mod issuer;
mod jws;
mod key;
mod thumbprint;
mod token;

pub use auth0_api::Algorithm;
pub use auth0_api::UnixTime;
pub use clock::TestClock;
pub use dpop::{DpopKey, ProofBuilder, ath};
pub use issuer::{
    Behavior, Endpoint, RecordedRequest, TestIssuer, TestIssuerBuilder, TokenResponse,
};
pub use thumbprint::jwk_thumbprint;
pub use token::TokenBuilder;
