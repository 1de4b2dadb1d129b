//! [`Auth0`]: the verifier. One per API; cheap to clone and share.
//!
//! This file holds the request flow only (the `Authorization` header, the scheme the DPoP mode accepts, the binding): which scheme, which
//! proof, which URL. Token checks live in `token` and `rules`, proof checks in `dpop`, the
//! request URL in `proxy`.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Response};
use tracing::Instrument as _;

use crate::authorization::{Credentials, credentials};
use crate::builder::Auth0Builder;
use crate::challenge::Challenges;
use crate::claims::Claims;
use crate::dpop::{DpopMode, DpopVerifier, ProofInput};
use crate::error::{Error, ErrorKind, Scheme};
use crate::issuer::Issuer;
use crate::jwks::{Fetcher, RequestInfo};
use crate::proxy::{TrustProxy, UrlPolicy};
use crate::request::RequestContext;
use crate::telemetry;
use crate::token::TokenVerifier;

/// Verifies access tokens for one API: Bearer (RFC 6750) and DPoP-bound (RFC 9449) JWTs
/// from one issuer (or several custom domains), against one or more audiences.
///
/// Build it once with [`Auth0::builder`] and clone it freely (an `Arc` inside).
#[derive(Clone)]
pub struct Auth0 {
    inner: Arc<Inner>,
}

/// The verifier's owned parts.
pub(crate) struct Inner {
    issuer: Option<Issuer>,
    tokens: TokenVerifier,
    dpop: DpopVerifier,
    urls: UrlPolicy,
    challenges: Challenges,
    /// The HTTP sender, shared with token exchange.
    #[cfg_attr(not(feature = "token-exchange"), allow(dead_code))]
    fetcher: Fetcher,
}

/// Where the request URL comes from: given by the caller, or worked out from the request.
#[derive(Clone, Copy)]
enum UrlSource<'a> {
    Known(&'a str),
    Request(RequestContext<'a>),
}

impl fmt::Debug for Auth0 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Auth0")
            .field("issuer", &i.issuer)
            .field("dpop_mode", &i.dpop.mode())
            .field(
                "algorithms",
                &i.tokens.algs.iter().map(|a| a.name()).collect::<Vec<_>>(),
            )
            .field("trust_proxy", i.urls.trust_proxy())
            .finish_non_exhaustive()
    }
}

impl Auth0 {
    /// Starts a configuration.
    pub fn builder() -> Auth0Builder {
        Auth0Builder::default()
    }

    pub(crate) fn from_parts(
        issuer: Option<Issuer>,
        tokens: TokenVerifier,
        dpop: DpopVerifier,
        urls: UrlPolicy,
        challenges: Challenges,
        fetcher: Fetcher,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                issuer,
                tokens,
                dpop,
                urls,
                challenges,
                fetcher,
            }),
        }
    }

    /// The configured issuer (`domain` / `issuer`); `None` when only multiple custom
    /// domains were configured.
    pub fn issuer(&self) -> Option<&Issuer> {
        self.inner.issuer.as_ref()
    }

    /// The DPoP mode.
    pub fn dpop_mode(&self) -> DpopMode {
        self.inner.dpop.mode()
    }

    /// Who may report the public URL through forwarded headers.
    pub fn trust_proxy(&self) -> &TrustProxy {
        self.inner.urls.trust_proxy()
    }

    /// The configured public base URL, if any, without a trailing slash.
    pub fn public_url(&self) -> Option<&str> {
        self.inner.urls.public_url()
    }

    /// A fresh DPoP server nonce, when nonces are configured, for the `DPoP-Nonce` header of
    /// successful DPoP responses (RFC 9449 §8.2) so clients need no extra round trip.
    pub fn next_dpop_nonce(&self) -> Option<String> {
        self.inner.dpop.next_nonce()
    }

    /// The `DPoP-Nonce` header value to send with the successful response to a request that
    /// produced `claims`: a fresh nonce when nonces are configured and the request used the
    /// DPoP scheme, else `None`. Every front end calls this, so every front end sends it.
    pub fn success_dpop_nonce(&self, claims: &Claims) -> Option<HeaderValue> {
        if claims.scheme() != Some(Scheme::Dpop) {
            return None;
        }
        self.next_dpop_nonce()
            .and_then(|n| HeaderValue::try_from(n).ok())
    }

    /// Whether `claims` were produced by this verifier (or a clone of it). Claims found in a
    /// request's extensions are reused only by the verifier that produced them: another
    /// verifier (another audience, a stricter DPoP mode) verifies the request again.
    pub fn produced(&self, claims: &Claims) -> bool {
        claims.verifier() == self.inner.tokens.id
    }

    /// Verifies the credentials of an HTTP request, as every front end does: the
    /// `Authorization` header (Bearer or DPoP, as the mode allows), the `DPoP` proof against
    /// the method and the URL the client used (worked out from the configured public URL,
    /// trusted proxies' headers or the `Host`, only when a proof needs it), the token's
    /// signature and claims, and the binding.
    ///
    /// Returns the verified claims, or an [`Error`] whose kind decides the response (see
    /// [`Auth0::error_response`]). A DPoP request whose `Host` is missing, repeated or
    /// invalid is malformed: 400 `invalid_request`.
    ///
    /// ```no_run
    /// # async fn handle(auth0: auth0_api::Auth0, req: http::Request<()>, peer: std::net::IpAddr) {
    /// use auth0_api::RequestContext;
    /// let (parts, _body) = req.into_parts();
    /// match auth0.verify(RequestContext::from_parts(&parts).peer(Some(peer))).await {
    ///     Ok(claims) => println!("hello, {}", claims.sub().unwrap_or("?")),
    ///     Err(err) => { let _response = auth0.error_response(&err); }
    /// }
    /// # }
    /// ```
    pub async fn verify(&self, request: RequestContext<'_>) -> Result<Claims, Error> {
        let span = telemetry::verify_span();
        let result = self
            .verify_inner(
                request.method(),
                request.headers(),
                UrlSource::Request(request),
            )
            .instrument(span.clone())
            .await;
        observed(&span, result)
    }

    /// Verifies a request whose absolute URL the caller already knows (the query and
    /// fragment are ignored, RFC 9449 §4.3): the low-level form of [`Auth0::verify`], which does not apply
    /// [`public_url`](Auth0Builder::public_url) or proxy trust.
    pub async fn verify_request(
        &self,
        method: &Method,
        url: &str,
        headers: &HeaderMap,
    ) -> Result<Claims, Error> {
        let span = telemetry::verify_span();
        let result = self
            .verify_inner(method, headers, UrlSource::Known(url))
            .instrument(span.clone())
            .await;
        observed(&span, result)
    }

    async fn verify_inner(
        &self,
        method: &Method,
        headers: &HeaderMap,
        url: UrlSource<'_>,
    ) -> Result<Claims, Error> {
        let credentials = credentials(headers, self.inner.tokens.max_token_bytes)?;
        match self
            .verify_credentials(method, headers, url, &credentials)
            .await
        {
            Ok(claims) => {
                // A verified token is a compact JWS: token68 (see `credentials`).
                debug_assert!(credentials.is_token68());
                Ok(claims)
            }
            // The `Authorization` header's own error comes first, as if it had been
            // checked before anything else.
            Err(e) => Err(credentials.refusal(e)),
        }
    }

    /// The checks that follow the `Authorization` header's: scheme against the mode, the
    /// URL, the proof, the token and the binding.
    async fn verify_credentials(
        &self,
        method: &Method,
        headers: &HeaderMap,
        url: UrlSource<'_>,
        credentials: &Credentials<'_>,
    ) -> Result<Claims, Error> {
        let inner = &*self.inner;
        let (scheme, token) = (credentials.scheme, credentials.token);
        let mode = inner.dpop.mode();
        match (scheme, mode) {
            (Scheme::Bearer, DpopMode::Required) | (Scheme::Dpop, DpopMode::Disabled) => {
                return Err(ErrorKind::UnsupportedScheme.into());
            }
            _ => {}
        }
        // The URL is worked out only when a proof or a domains resolver needs it.
        let needs_url = scheme == Scheme::Dpop || inner.tokens.keys.has_resolver();
        let url: Option<Cow<'_, str>> = match url {
            UrlSource::Known(u) => Some(Cow::Borrowed(u)),
            UrlSource::Request(ctx) if needs_url => match inner.urls.request_url(&ctx) {
                Ok(u) => Some(Cow::Owned(u)),
                // A DPoP request with a bad `Host` is malformed before anything else is
                // checked; a resolver of a Bearer request is told no URL.
                Err(e) if scheme == Scheme::Dpop => return Err(e.with_scheme(scheme)),
                Err(_) => None,
            },
            UrlSource::Request(_) => None,
        };
        let request = Some(RequestInfo {
            url: url.as_deref(),
            headers,
        });
        // What each scheme checks before the token: a Bearer request carries no proof; a
        // DPoP request has a URL (its `htu`) and exactly one proof.
        let proof = match scheme {
            Scheme::Bearer => {
                if mode.accepts_dpop() && headers.contains_key(crate::dpop::DPOP) {
                    return Err(Error::new(ErrorKind::DpopProofWithBearer).with_scheme(scheme));
                }
                None
            }
            Scheme::Dpop => {
                let Some(htu) = url.as_deref() else {
                    return Err(Error::new(ErrorKind::InvalidHost).with_scheme(scheme));
                };
                let proof =
                    crate::dpop::single_proof(headers).map_err(|e| e.with_scheme(scheme))?;
                Some((htu, proof))
            }
        };
        // The token, awaited at one place for both schemes (one slot in this future, not
        // one per scheme). For DPoP, one SHA-256 of the token serves the token cache and
        // the proof's `ath` (none at all when the token is among the cache's most recent
        // hits).
        let (claims, token_sha256) = inner
            .tokens
            .verify_inner(token, proof.is_some(), request)
            .await
            .map_err(|e| e.or_scheme(scheme))?;
        let Some((htu, proof)) = proof else {
            if claims.has_cnf() {
                return Err(Error::new(ErrorKind::BoundTokenAsBearer).with_scheme(scheme));
            }
            return Ok(claims.with_scheme(scheme));
        };
        let Some(jkt) = claims.jkt() else {
            return Err(Error::new(ErrorKind::UnboundTokenWithDpop).with_scheme(scheme));
        };
        let token_sha256 = token_sha256.unwrap_or_else(|| crate::token::sha256(token));
        let input = ProofInput {
            method,
            htu,
            access_token_sha256: &token_sha256,
            issuer: claims.iss(),
            jkt,
        };
        // Boxed: the proof check's state (its decoded payload, the replay store call)
        // would otherwise size the future of every request, Bearer cache hits included,
        // and the front ends' futures around it.
        Box::pin(inner.dpop.verify(proof, input))
            .await
            .map_err(|e| e.or_scheme(scheme))?;
        Ok(claims.with_scheme(scheme))
    }

    /// Verifies an access token on its own: structure, `alg`, `typ`, signature against the
    /// issuer's keys, and claims; for tokens presented without a request (a queue message, a
    /// token handed over by another service).
    ///
    /// A DPoP-bound token (one with `cnf`) is refused ([`ErrorKind::BoundTokenAsBearer`]):
    /// without a proof, nothing shows that the caller holds the key, so accepting it would
    /// make a stolen bound token as good as a Bearer token. Verify requests with
    /// [`Auth0::verify`], which checks the proof; or, if possession is proven some other way,
    /// say so with [`Auth0::verify_access_token_ignoring_dpop_binding`].
    pub async fn verify_access_token(&self, token: &str) -> Result<Claims, Error> {
        let claims = self.inner.tokens.verify(token.as_bytes(), None).await?;
        if claims.has_cnf() {
            return Err(Error::new(ErrorKind::BoundTokenAsBearer));
        }
        Ok(claims)
    }

    /// Like [`Auth0::verify_access_token`], but also returns the claims of a DPoP-bound
    /// token ([`Claims::jkt`] set) **without any proof of possession**. Call it only when
    /// possession is proven another way (e.g. you check the proof yourself against
    /// [`Claims::jkt`]); otherwise a stolen bound token is accepted.
    pub async fn verify_access_token_ignoring_dpop_binding(
        &self,
        token: &str,
    ) -> Result<Claims, Error> {
        self.inner.tokens.verify(token.as_bytes(), None).await
    }

    /// The complete HTTP response for a refused request (RFC 6750 §3, RFC 9449 §7.1): status, one
    /// `WWW-Authenticate` field with the challenges of this mode, `DPoP-Nonce` and
    /// `Retry-After` where they apply, and the JSON body. The [`Error`] itself is in the
    /// response extensions, so outer layers can see why.
    pub fn error_response(&self, err: &Error) -> Response<Bytes> {
        let mut response = self.inner.challenges.response(err);
        response.extensions_mut().insert(err.clone());
        response
    }

    /// The `WWW-Authenticate` value for `err`, when its status carries a challenge.
    pub fn www_authenticate(&self, err: &Error) -> Option<HeaderValue> {
        self.inner.challenges.www_authenticate(err)
    }

    /// The verified-token cache.
    #[cfg(test)]
    pub(crate) fn token_cache(&self) -> &crate::token::TokenCache {
        &self.inner.tokens.cache
    }

    /// The access-token verifier.
    #[cfg(test)]
    pub(crate) fn inner_tokens(&self) -> &TokenVerifier {
        &self.inner.tokens
    }

    /// The issuer's key cache and the HTTP sender, for token exchange.
    #[cfg(feature = "token-exchange")]
    pub(crate) fn exchange_parts(
        &self,
    ) -> (&crate::jwks::KeySource, &Fetcher, &dyn crate::time::Clock) {
        let i = &*self.inner;
        (&i.tokens.keys, &i.fetcher, &*i.tokens.clock)
    }
}

/// Records the outcome of a request verification that ran in its `auth0.verify` span (span
/// fields, metrics) and logs a refusal within the span. The verification future is polled
/// in place by its caller (not handed to a wrapper future), so it is not moved again.
fn observed(span: &tracing::Span, result: Result<Claims, Error>) -> Result<Claims, Error> {
    telemetry::verified(span, &result);
    span.in_scope(|| log_refusal(&result));
    result
}

fn log_refusal(result: &Result<Claims, Error>) {
    if let Err(e) = result {
        tracing::debug!(kind = ?e.kind(), scheme = ?e.scheme(), detail = e.detail(), source = ?std::error::Error::source(e).map(ToString::to_string), "request refused");
    }
}
