//! Signing keys: discovery (OIDC, then RFC 8414), the JWKS, the cache that keeps them
//! usable through rotation and outages, and the source that picks an issuer's cache.

mod cache;
mod discovery;
mod fetch;
mod source;

pub(crate) use cache::{CachePolicy, FetchBudget, KeyCache, KeySettings, Snapshot};
pub use fetch::FetchError;
pub(crate) use fetch::Fetcher;
pub(crate) use source::{Allowed, KeySource, RequestInfo};
