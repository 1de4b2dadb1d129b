//! Signing keys: discovery (OIDC, then RFC 8414), the JWKS, and the cache that keeps them
//! usable through rotation and outages.

mod cache;
mod discovery;
mod fetch;

pub(crate) use cache::{CachePolicy, KeyCache, KeySettings, Snapshot};
pub use fetch::FetchError;
pub(crate) use fetch::Fetcher;
