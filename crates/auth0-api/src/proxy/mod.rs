//! The request URL behind reverse proxies: who may report it ([`TrustProxy`]),
//! what they report (`Forwarded`, `X-Forwarded-*`), and the URL a DPoP proof's `htu` is
//! checked against.

mod forwarded;
mod trust;
mod url;

pub use trust::TrustProxy;
pub(crate) use url::UrlPolicy;
