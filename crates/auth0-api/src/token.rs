//! Access-token verification on its own (RFC 7515, RFC 9068): size, compact JWS, `alg`, `typ`,
//! the key by `kid`, the signature, then the claim rules; with the verified-token cache in
//! front.

use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::digest;
use serde_json::Value;

use crate::claims::{Claims, VerifierId};
use crate::error::{Error, ErrorKind};
use crate::jwk::{AlgSet, PublicKey};
use crate::jwks::{KeyCache, KeySource, RequestInfo, Snapshot};
use crate::jws::{self, JwsError};
use crate::rules::TokenRules;
use crate::time::Clock;

/// Verifies access tokens: owns the algorithm allowlist, the claim rules, the key source
/// and the verified-token cache.
pub(crate) struct TokenVerifier {
    pub(crate) id: VerifierId,
    pub(crate) algs: AlgSet,
    pub(crate) rules: TokenRules,
    pub(crate) keys: KeySource,
    pub(crate) cache: TokenCache,
    pub(crate) max_token_bytes: usize,
    pub(crate) clock: Arc<dyn Clock>,
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

impl TokenVerifier {
    /// Verifies `token`; `request` is what a domains resolver may look at.
    pub(crate) async fn verify(
        &self,
        token: &str,
        request: Option<RequestInfo<'_>>,
    ) -> Result<Claims, Error> {
        if token.len() > self.max_token_bytes {
            return Err(ErrorKind::TokenTooLarge.into());
        }

        let cache_key = self.cache.0.as_ref().map(|_| {
            let mut k = [0u8; 32];
            k.copy_from_slice(digest::digest(&digest::SHA256, token.as_bytes()).as_ref());
            k
        });
        if let (Some(cache), Some(k)) = (&self.cache.0, &cache_key) {
            if let Some(hit) = cache.get(k) {
                if self.keys.has_resolver() {
                    // The resolver may answer differently per request: ask it again.
                    self.keys
                        .for_issuer(Some(hit.claims.iss()), request)
                        .await?;
                }
                let snapshot = keys_snapshot(&hit.keys).await?;
                if snapshot.contains(&hit.key) {
                    self.rules.check_times(&hit.claims, self.clock.now())?;
                    return Ok(hit.claims.clone());
                }
                cache.invalidate(k);
            }
        }

        let decoded = jws::decode(token, self.algs).map_err(|e| match e {
            JwsError::Malformed => Error::new(ErrorKind::MalformedToken),
            JwsError::Algorithm => Error::new(ErrorKind::UnsupportedAlgorithm),
            JwsError::Critical => Error::new(ErrorKind::UnsupportedCriticalHeader),
        })?;
        let typ = decoded
            .header_str("typ")
            .map_err(|_| Error::new(ErrorKind::InvalidTokenType))?;
        TokenRules::check_typ(typ)?;
        let kid = decoded
            .header_str("kid")
            .map_err(|_| Error::new(ErrorKind::MalformedToken).with_detail("kid"))?;

        // With several issuers, the unverified `iss` picks the keys; it is checked against
        // the allowed issuers before any network call.
        let unverified_iss = decoded.payload.get("iss").and_then(Value::as_str);
        let keys = self.keys.for_issuer(unverified_iss, request).await?;
        let snapshot = keys_snapshot(&keys).await?;

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

        let claims =
            self.rules
                .claims(decoded.payload, &snapshot.issuer, self.clock.now(), self.id)?;
        if let (Some(cache), Some(k)) = (&self.cache.0, cache_key) {
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
}

async fn keys_snapshot(keys: &Arc<KeyCache>) -> Result<Arc<Snapshot>, Error> {
    keys.snapshot()
        .await
        .map_err(|e| Error::new(ErrorKind::KeysUnavailable).with_source(e))
}
