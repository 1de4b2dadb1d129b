//! [`Auth0`]: the verifier. One per API; cheap to clone and share.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::digest;
use bytes::Bytes;
use http::{HeaderMap, Method, Response};
use serde_json::Value;
use url::Url;

use crate::authorization::{Credentials, credentials};
use crate::builder::Auth0Builder;
use crate::challenge::Challenges;
use crate::claims::Claims;
use crate::domains::{KeySource, RequestInfo};
use crate::dpop::{DpopMode, NonceConfig};
use crate::error::{Error, ErrorKind, Scheme};
use crate::issuer::{Audience, Issuer};
use crate::jwk::{AlgSet, PublicKey};
use crate::jwks::{Fetcher, KeyCache};
use crate::jws::{self, JwsError};
use crate::proxy::TrustProxy;
use crate::replay::ReplayStore;
use crate::time::Clock;

/// Verifies access tokens for one API: Bearer (RFC 6750) and DPoP-bound (RFC 9449) JWTs
/// from one issuer, against one or more audiences.
///
/// Build it once with [`Auth0::builder`] and clone it freely (an `Arc` inside).
#[derive(Clone)]
pub struct Auth0 {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) issuer: Option<Issuer>,
    pub(crate) audiences: Vec<Audience>,
    pub(crate) dpop_mode: DpopMode,
    pub(crate) dpop_iat_leeway: Duration,
    pub(crate) dpop_iat_offset: Duration,
    pub(crate) algs: AlgSet,
    pub(crate) dpop_algs: AlgSet,
    pub(crate) leeway_secs: u64,
    pub(crate) required_claims: Vec<Box<str>>,
    pub(crate) trust_proxy: TrustProxy,
    pub(crate) public_url: Option<Url>,
    pub(crate) max_token_bytes: usize,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) fetcher: Fetcher,
    pub(crate) keys: KeySource,
    pub(crate) challenges: Challenges,
    pub(crate) token_cache: TokenCache,
    pub(crate) replay_store: Arc<dyn ReplayStore>,
    pub(crate) dpop_nonce: Option<NonceConfig>,
    pub(crate) exchange: crate::exchange::Exchange,
}

impl fmt::Debug for Auth0 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Auth0")
            .field("issuer", &i.issuer)
            .field("audiences", &i.audiences)
            .field("dpop_mode", &i.dpop_mode)
            .field(
                "algorithms",
                &i.algs.iter().map(|a| a.name()).collect::<Vec<_>>(),
            )
            .field("trust_proxy", &i.trust_proxy)
            .finish_non_exhaustive()
    }
}

/// A verified token remembered by the SHA-256 of its compact form.
struct CachedToken {
    claims: Claims,
    key: Arc<PublicKey>,
    keys: Arc<KeyCache>,
}

/// Verified tokens, so a repeated token costs a hash and a lookup instead of a signature
/// check. Entries are dropped when their key leaves the JWKS; `exp`/`nbf` are re-checked on
/// every hit.
pub(crate) struct TokenCache(Option<moka::sync::Cache<[u8; 32], Arc<CachedToken>>>);

impl TokenCache {
    pub(crate) fn new(capacity: u64) -> Self {
        Self((capacity > 0).then(|| {
            moka::sync::Cache::builder()
                .max_capacity(capacity)
                .time_to_idle(Duration::from_secs(3600))
                .build()
        }))
    }
}

impl Auth0 {
    /// Starts a configuration.
    pub fn builder() -> Auth0Builder {
        Auth0Builder::default()
    }

    pub(crate) fn from_inner(inner: Inner) -> Self {
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The configured issuer (`domain` / `issuer`); `None` when only multiple custom
    /// domains were configured.
    pub fn issuer(&self) -> Option<&Issuer> {
        self.inner.issuer.as_ref()
    }

    /// The DPoP mode.
    pub fn dpop_mode(&self) -> DpopMode {
        self.inner.dpop_mode
    }

    /// Who may report the public URL through forwarded headers.
    pub fn trust_proxy(&self) -> &TrustProxy {
        &self.inner.trust_proxy
    }

    /// The configured public base URL, if any.
    pub fn public_url(&self) -> Option<&Url> {
        self.inner.public_url.as_ref()
    }

    /// A fresh DPoP server nonce, when nonces are configured, for the `DPoP-Nonce` header of
    /// successful DPoP responses (RFC 9449 §8.2) so clients need no extra round trip.
    pub fn next_dpop_nonce(&self) -> Option<String> {
        let inner = &*self.inner;
        inner
            .dpop_nonce
            .as_ref()
            .map(|n| n.issue(inner.clock.now()))
    }

    /// Verifies the credentials of a request: the `Authorization` header (Bearer or DPoP,
    /// as the mode allows), the `DPoP` proof against `method` and `url` (the absolute URL
    /// the client used, see SPEC §6), the token's signature and claims, and the binding.
    ///
    /// Returns the verified claims, or an [`Error`] whose kind decides the response (see
    /// [`Auth0::error_response`]).
    pub async fn verify_request(
        &self,
        method: &Method,
        url: &str,
        headers: &HeaderMap,
    ) -> Result<Claims, Error> {
        let result = self.verify_request_inner(method, url, headers).await;
        if let Err(e) = &result {
            tracing::debug!(kind = ?e.kind(), scheme = ?e.scheme(), detail = e.detail(), source = ?std::error::Error::source(e).map(ToString::to_string), "request refused");
        }
        result
    }

    async fn verify_request_inner(
        &self,
        method: &Method,
        url: &str,
        headers: &HeaderMap,
    ) -> Result<Claims, Error> {
        let inner = &*self.inner;
        let Credentials { scheme, token } = credentials(headers, inner.max_token_bytes)?;
        let request = Some(RequestInfo { url, headers });
        match (scheme, inner.dpop_mode) {
            (Scheme::Bearer, DpopMode::Required) | (Scheme::Dpop, DpopMode::Disabled) => {
                return Err(ErrorKind::UnsupportedScheme.into());
            }
            _ => {}
        }
        match scheme {
            Scheme::Bearer => {
                if inner.dpop_mode.accepts_dpop() && headers.contains_key(crate::dpop::DPOP) {
                    return Err(Error::new(ErrorKind::DpopProofWithBearer).with_scheme(scheme));
                }
                let claims = self
                    .verify_token(token, request)
                    .await
                    .map_err(|e| e.or_scheme(scheme))?;
                if claims.has_cnf() {
                    return Err(Error::new(ErrorKind::BoundTokenAsBearer).with_scheme(scheme));
                }
                Ok(claims)
            }
            Scheme::Dpop => {
                let proof =
                    crate::dpop::single_proof(headers).map_err(|e| e.with_scheme(scheme))?;
                let claims = self
                    .verify_token(token, request)
                    .await
                    .map_err(|e| e.or_scheme(scheme))?;
                let Some(jkt) = claims.jkt() else {
                    return Err(Error::new(ErrorKind::UnboundTokenWithDpop).with_scheme(scheme));
                };
                crate::dpop::verify_proof(self, proof, method, url, token, claims.iss(), jkt)
                    .await
                    .map_err(|e| e.or_scheme(scheme))?;
                Ok(claims)
            }
        }
    }

    /// Verifies an access token on its own: structure, `alg`, `typ`, signature against the
    /// issuer's keys, and claims. It does not look at DPoP: a bound token's claims are
    /// returned with [`Claims::jkt`] set, and enforcing the binding is the caller's job
    /// ([`Auth0::verify_request`] does it).
    pub async fn verify_access_token(&self, token: &str) -> Result<Claims, Error> {
        self.verify_token(token, None).await
    }

    async fn verify_token(
        &self,
        token: &str,
        request: Option<RequestInfo<'_>>,
    ) -> Result<Claims, Error> {
        let inner = &*self.inner;
        if token.len() > inner.max_token_bytes {
            return Err(ErrorKind::TokenTooLarge.into());
        }

        let cache_key = inner.token_cache.0.as_ref().map(|_| {
            let mut k = [0u8; 32];
            k.copy_from_slice(digest::digest(&digest::SHA256, token.as_bytes()).as_ref());
            k
        });
        if let (Some(cache), Some(k)) = (&inner.token_cache.0, &cache_key) {
            if let Some(hit) = cache.get(k) {
                if inner.keys.has_resolver() {
                    // The resolver may answer differently per request: ask it again.
                    inner
                        .keys
                        .for_issuer(Some(hit.claims.iss()), request)
                        .await?;
                }
                let snapshot = keys_snapshot(&hit.keys).await?;
                if snapshot.contains(&hit.key) {
                    hit.claims
                        .check_times(inner.clock.now(), inner.leeway_secs)?;
                    return Ok(hit.claims.clone());
                }
                cache.invalidate(k);
            }
        }

        let decoded = jws::decode(token, inner.algs).map_err(|e| match e {
            JwsError::Malformed => Error::new(ErrorKind::MalformedToken),
            JwsError::Algorithm => Error::new(ErrorKind::UnsupportedAlgorithm),
            JwsError::Critical => Error::new(ErrorKind::UnsupportedCriticalHeader),
        })?;
        let typ = decoded
            .header_str("typ")
            .map_err(|_| Error::new(ErrorKind::InvalidTokenType))?;
        if let Some(typ) = typ {
            let ok = ["JWT", "at+jwt", "application/at+jwt"]
                .iter()
                .any(|t| t.eq_ignore_ascii_case(typ));
            if !ok {
                return Err(ErrorKind::InvalidTokenType.into());
            }
        }
        let kid = decoded
            .header_str("kid")
            .map_err(|_| Error::new(ErrorKind::MalformedToken).with_detail("kid"))?;

        // With several issuers, the unverified `iss` picks the keys; it is checked against
        // the allowed issuers before any network call.
        let unverified_iss = decoded.payload.get("iss").and_then(Value::as_str);
        let keys = inner.keys.for_issuer(unverified_iss, request).await?;
        let snapshot = keys_snapshot(&keys).await?;
        let now = inner.clock.now();

        let (snapshot, key) = match snapshot.find(kid, decoded.alg) {
            Some(k) => (snapshot.clone(), Arc::clone(k)),
            None => {
                let refreshed = keys
                    .refresh_for_unknown_kid(snapshot.generation())
                    .await
                    .ok_or(ErrorKind::UnknownKey)?;
                let key = refreshed
                    .find(kid, decoded.alg)
                    .cloned()
                    .ok_or(ErrorKind::UnknownKey)?;
                (refreshed, key)
            }
        };
        if !key.supports(decoded.alg) {
            return Err(ErrorKind::KeyMismatch.into());
        }
        if !key.verify(
            decoded.alg,
            decoded.signing_input.as_bytes(),
            &decoded.signature,
        ) {
            return Err(ErrorKind::InvalidSignature.into());
        }

        let payload = decoded.payload;
        for name in &inner.required_claims {
            if payload.get(&**name).is_none_or(Value::is_null) {
                let detail = match &**name {
                    "iss" => "iss",
                    "aud" => "aud",
                    "exp" => "exp",
                    "iat" => "iat",
                    _ => "configured required claim",
                };
                return Err(Error::new(ErrorKind::MissingClaim).with_detail(detail));
            }
        }
        match payload.get("iss") {
            Some(Value::String(iss)) if **iss == *snapshot.issuer => {}
            _ => return Err(ErrorKind::InvalidIssuer.into()),
        }
        if let Some(aud) = payload.get("aud") {
            if !audience_matches(aud, &inner.audiences) {
                return Err(ErrorKind::InvalidAudience.into());
            }
        }
        let claims = Claims::from_payload(payload)?;
        claims.check_times(now, inner.leeway_secs)?;

        if let (Some(cache), Some(k)) = (&inner.token_cache.0, cache_key) {
            cache.insert(
                k,
                Arc::new(CachedToken {
                    claims: claims.clone(),
                    key,
                    keys,
                }),
            );
        }
        Ok(claims)
    }

    /// The complete HTTP response for a refused request (SPEC §7): status, one
    /// `WWW-Authenticate` field with the challenges of this mode, `DPoP-Nonce` and
    /// `Retry-After` where they apply, and the JSON body.
    pub fn error_response(&self, err: &Error) -> Response<Bytes> {
        self.inner.challenges.response(err)
    }

    /// The `WWW-Authenticate` value for `err`, when its status carries a challenge.
    pub fn www_authenticate(&self, err: &Error) -> Option<http::HeaderValue> {
        self.inner.challenges.www_authenticate(err)
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }
}

async fn keys_snapshot(keys: &Arc<KeyCache>) -> Result<Arc<crate::jwks::Snapshot>, Error> {
    keys.snapshot()
        .await
        .map_err(|e| Error::new(ErrorKind::KeysUnavailable).with_source(e))
}

fn audience_matches(aud: &Value, accepted: &[Audience]) -> bool {
    let is_accepted = |s: &str| accepted.iter().any(|a| a.as_str() == s);
    match aud {
        Value::String(s) => is_accepted(s),
        Value::Array(items) => items.iter().any(|v| v.as_str().is_some_and(is_accepted)),
        _ => false,
    }
}
