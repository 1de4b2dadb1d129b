//! Multiple custom domains: which issuers are allowed, checked on the token's
//! unverified `iss` before any network call, each with its own discovery and key cache.

use std::future::Future;

use std::pin::Pin;

use http::HeaderMap;
use http::header::{AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION};

use crate::config::ConfigError;
use crate::issuer::Issuer;

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The future a [`DomainsResolver`] returns.
pub type ResolverFuture =
    Pin<Box<dyn Future<Output = Result<Vec<String>, BoxError>> + Send + 'static>>;

/// What a [`DomainsResolver`] is told about the request.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ResolverContext {
    /// The absolute request URL, when verifying a request (not for a bare token).
    pub request_url: Option<String>,
    /// The request headers, when verifying a request, without the credentials
    /// (`Authorization`, `Proxy-Authorization`, `DPoP`, `Cookie`), so a resolver that logs
    /// its context never logs a token.
    pub headers: Option<HeaderMap>,
    /// The token's `iss`, not yet verified: use it to choose, never to trust.
    pub unverified_iss: String,
}

/// Decides, per request, which issuers are allowed (e.g. by the `Host` the request came
/// to). Implemented for async closures returning `Result<Vec<String>, E>`; each string is
/// a domain (`login.example.com`) or an issuer URL.
pub trait DomainsResolver: Send + Sync + 'static {
    /// The allowed domains or issuer URLs for this request.
    fn resolve(&self, ctx: ResolverContext) -> ResolverFuture;
}

impl<F, Fut, E> DomainsResolver for F
where
    F: Fn(ResolverContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Vec<String>, E>> + Send + 'static,
    E: Into<BoxError>,
{
    fn resolve(&self, ctx: ResolverContext) -> ResolverFuture {
        let fut = (self)(ctx);
        Box::pin(async move { fut.await.map_err(Into::into) })
    }
}

/// A domain or issuer URL as an [`Issuer`].
pub(crate) fn parse_allowed(s: &str) -> Result<Issuer, ConfigError> {
    if s.contains("://") {
        Issuer::parse(s)
    } else {
        Issuer::from_domain(s)
    }
    .map_err(|e| e.for_field("domains"))
}

/// `headers` without the ones that carry credentials.
pub(crate) fn without_credentials(headers: &HeaderMap) -> HeaderMap {
    let mut out = headers.clone();
    for name in [
        AUTHORIZATION,
        PROXY_AUTHORIZATION,
        COOKIE,
        crate::dpop::DPOP,
    ] {
        out.remove(name);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn resolver_context_debug_never_shows_credentials() {
        let mut h = HeaderMap::new();
        h.insert(
            AUTHORIZATION,
            HeaderValue::from_static("DPoP secret-token-value"),
        );
        h.insert(
            crate::dpop::DPOP,
            HeaderValue::from_static("secret-proof-value"),
        );
        h.insert(COOKIE, HeaderValue::from_static("session=secret-cookie"));
        h.insert(
            PROXY_AUTHORIZATION,
            HeaderValue::from_static("Basic secret-proxy"),
        );
        h.insert(
            http::header::HOST,
            HeaderValue::from_static("api.example.com"),
        );
        let ctx = ResolverContext {
            request_url: None,
            headers: Some(without_credentials(&h)),
            unverified_iss: "https://i/".into(),
        };
        let shown = format!("{ctx:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("api.example.com"));
    }
}
