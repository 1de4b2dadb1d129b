//! A DPoP proof's protected header (RFC 9449 §4.2: `typ`, `alg`, `jwk`), checked and parsed
//! once per distinct header text.
//!
//! A client signs every proof with the same key, so its proofs carry byte-identical
//! headers; only the payload (`jti`, `iat`, `htu`...) and the signature change. The
//! [`HeaderCache`] maps the exact base64url text of a header that passed every check to
//! its algorithm and parsed public key (RFC 7638 thumbprint included), so a client's
//! second proof skips the base64 decoding, the JSON parsing, the JWK parsing and the
//! thumbprint. The signature is still verified on every proof. Only headers that were
//! fully accepted are stored, and a lookup compares the whole text, so a header that
//! differs in any byte is parsed and checked from scratch.

use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;

use arc_swap::ArcSwapOption;
use serde_json::Value;

use crate::error::{Error, ErrorKind};
use crate::jwk::{AlgSet, Algorithm, PublicKey};
use crate::jws::{self, JwsError};

/// A proof header that passed every check.
pub(crate) struct ProofHeader {
    /// The `alg` (in the verifier's allowlist).
    pub(crate) alg: Algorithm,
    /// The `jwk`, parsed for `alg`.
    pub(crate) key: PublicKey,
}

/// Why a header was refused, split by when the refusal is reported: JWS-level problems
/// (structure, `alg`, `crit`) before the payload is looked at, DPoP-level ones (`typ`,
/// `jwk`) after, as the uncached checks always have.
pub(crate) enum HeaderError {
    /// The header is not a usable JWS header.
    Jws(JwsError),
    /// The header is a JWS header but not a DPoP proof's.
    Dpop(Error),
}

/// Parses and checks a proof header against the allowed algorithms.
pub(crate) fn parse(text: &str, allowed: AlgSet) -> Result<ProofHeader, HeaderError> {
    let (alg, header) = jws::decode_header(text, allowed).map_err(HeaderError::Jws)?;
    if !matches!(header.get("typ"), Some(Value::String(t)) if t == "dpop+jwt") {
        return Err(HeaderError::Dpop(ErrorKind::InvalidDpopProofType.into()));
    }
    let Some(Value::Object(jwk)) = header.get("jwk") else {
        return Err(HeaderError::Dpop(ErrorKind::InvalidDpopKey.into()));
    };
    let key = PublicKey::from_jwk(jwk, std::iter::once(alg).collect()).map_err(|e| {
        HeaderError::Dpop(Error::new(ErrorKind::InvalidDpopKey).with_detail(e.as_str()))
    })?;
    if !key.supports(alg) {
        return Err(HeaderError::Dpop(
            Error::new(ErrorKind::InvalidDpopKey).with_detail("key does not fit alg"),
        ));
    }
    Ok(ProofHeader { alg, key })
}

/// Accepted proof headers by their exact text: a fixed number of slots, each holding the
/// last header whose text hashes to it (keyed SipHash, so a client cannot aim at another
/// client's slot). Memory is bounded by `SLOTS × MAX_TEXT` plus the keys; a miss only costs
/// the parse the cache saves.
pub(crate) struct HeaderCache {
    slots: Box<[ArcSwapOption<Slot>]>,
    hasher: RandomState,
}

struct Slot {
    text: Box<str>,
    header: Arc<ProofHeader>,
}

impl HeaderCache {
    /// Number of slots.
    pub(crate) const SLOTS: usize = 1024;
    /// Longer header texts are never stored (an EC or Ed25519 key's header is about 300
    /// bytes, an RSA-4096 one about 1,100).
    pub(crate) const MAX_TEXT: usize = 2048;

    pub(crate) fn new() -> Self {
        Self {
            slots: (0..Self::SLOTS).map(|_| ArcSwapOption::empty()).collect(),
            hasher: RandomState::new(),
        }
    }

    fn slot(&self, text: &str) -> Option<&ArcSwapOption<Slot>> {
        if text.len() > Self::MAX_TEXT {
            return None;
        }
        // The modulo keeps the index in range; `get` keeps it panic-free regardless.
        let index = usize::try_from(self.hasher.hash_one(text) % Self::SLOTS as u64).ok()?;
        self.slots.get(index)
    }

    /// The accepted header stored for exactly `text`.
    pub(crate) fn get(&self, text: &str) -> Option<Arc<ProofHeader>> {
        let guard = self.slot(text)?.load();
        match &*guard {
            Some(slot) if *slot.text == *text => Some(Arc::clone(&slot.header)),
            _ => None,
        }
    }

    /// Stores an accepted header under its text (replacing the slot's previous header).
    pub(crate) fn insert(&self, text: &str, header: Arc<ProofHeader>) {
        if let Some(slot) = self.slot(text) {
            slot.store(Some(Arc::new(Slot {
                text: text.into(),
                header,
            })));
        }
    }

    /// Parses `text`, or returns the stored result of an earlier parse of the same text.
    pub(crate) fn get_or_parse(
        &self,
        text: &str,
        allowed: AlgSet,
    ) -> Result<Arc<ProofHeader>, HeaderError> {
        if let Some(hit) = self.get(text) {
            return Ok(hit);
        }
        let header = Arc::new(parse(text, allowed)?);
        self.insert(text, Arc::clone(&header));
        Ok(header)
    }

    /// Number of stored headers.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.load().is_some()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::{b64_decode, b64_encode};
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};

    /// The base64url header text of a proof signed by a fresh P-256 key, with `typ`.
    fn header_text(typ: &str) -> String {
        let pair =
            EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).expect("generate a key");
        let point = pair.public_key().as_ref();
        let (x, y) = point[1..].split_at(32);
        let header = serde_json::json!({
            "typ": typ,
            "alg": "ES256",
            "jwk": {"kty": "EC", "crv": "P-256", "x": b64_encode(x), "y": b64_encode(y)},
        });
        b64_encode(header.to_string().as_bytes())
    }

    fn all() -> AlgSet {
        AlgSet::all()
    }

    #[test]
    fn an_accepted_header_is_parsed_once_and_found_by_its_exact_text() {
        let cache = HeaderCache::new();
        let text = header_text("dpop+jwt");
        let first = cache.get_or_parse(&text, all()).ok().expect("accepted");
        assert_eq!(first.alg, Algorithm::ES256);
        let second = cache.get_or_parse(&text, all()).ok().expect("accepted");
        assert!(Arc::ptr_eq(&first, &second), "the second lookup is a hit");
        assert_eq!(cache.len(), 1);
        // Any other text (another key, or the same with a byte changed) is not a hit.
        let other = header_text("dpop+jwt");
        assert!(cache.get(&other).is_none());
        let mut changed = text.clone().into_bytes();
        let last = changed.len() - 1;
        changed[last] = if changed[last] == b'A' { b'B' } else { b'A' };
        let changed = String::from_utf8(changed).expect("ascii");
        assert!(cache.get(&changed).is_none());
    }

    #[test]
    fn refused_headers_are_never_stored() {
        let cache = HeaderCache::new();
        let wrong_typ = header_text("jwt");
        for _ in 0..2 {
            assert!(matches!(
                cache.get_or_parse(&wrong_typ, all()),
                Err(HeaderError::Dpop(e)) if e.kind() == ErrorKind::InvalidDpopProofType
            ));
        }
        let only_rs: AlgSet = std::iter::once(Algorithm::RS256).collect();
        let good = header_text("dpop+jwt");
        assert!(matches!(
            cache.get_or_parse(&good, only_rs),
            Err(HeaderError::Jws(JwsError::Algorithm))
        ));
        for garbage in [
            "",
            "!!",
            &b64_encode(b"[]"),
            &b64_encode(br#"{"alg":"ES256","crit":[]}"#),
        ] {
            assert!(matches!(
                cache.get_or_parse(garbage, all()),
                Err(HeaderError::Jws(_))
            ));
        }
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn the_cache_is_bounded() {
        let cache = HeaderCache::new();
        let texts: Vec<String> = (0..HeaderCache::SLOTS + 200)
            .map(|_| header_text("dpop+jwt"))
            .collect();
        for t in &texts {
            assert!(cache.get_or_parse(t, all()).is_ok());
        }
        assert!(cache.len() <= HeaderCache::SLOTS);
        // A header longer than the limit is accepted but not stored.
        let long = b64_encode(
            serde_json::json!({"typ": "dpop+jwt", "alg": "ES256", "pad": "x".repeat(2000),
                "jwk": serde_json::from_slice::<Value>(
                    &b64_decode(texts[0].as_bytes()).expect("b64")).expect("json")["jwk"]})
            .to_string()
            .as_bytes(),
        );
        assert!(long.len() > HeaderCache::MAX_TEXT);
        assert!(cache.get_or_parse(&long, all()).is_ok());
        assert!(cache.get(&long).is_none());
    }
}
