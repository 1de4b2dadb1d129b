//! Core of auth0-rs (docs below are filled in with the quick start).
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod act;
mod authorization;
mod builder;
mod challenge;
mod claims;
mod config;
mod dpop;
mod error;
pub mod exchange;
mod issuer;
mod jose;
mod jwk;
mod jwks;
mod jws;
mod proxy;
mod replay;
mod scope;
mod time;
mod verifier;

pub use builder::Auth0Builder;
pub use act::ActError;
pub use challenge::DPOP_NONCE;
pub use claims::{Claims, ClaimsError};
pub use config::ConfigError;
pub use dpop::{DPOP, DpopMode, NonceConfig};
pub use error::{Error, ErrorKind, Scheme};
pub use exchange::{
    AssertionAudience, ClientAssertionKey, ClientAuth, ClientSecret, ConnectionToken, ConnectionTokenRequest,
    ExchangeError, ExchangeErrorKind, ExchangeProfileRequest, ExchangedToken, OnBehalfOfRequest, OnBehalfOfToken,
};
pub use issuer::{Audience, Issuer};
pub use jwk::{Algorithm, UnknownAlgorithm};
pub use jwks::FetchError;
pub use proxy::TrustProxy;
pub use replay::{MemoryReplayStore, ReplayKey, ReplayStore, ReplayStoreError};
pub use scope::Requirements;
pub use time::{Clock, SystemClock, UnixTime};
pub use verifier::Auth0;

/// The HTTP client crate used for discovery, JWKS and token exchange, re-exported so an
/// injected client has the matching version.
pub use reqwest;
