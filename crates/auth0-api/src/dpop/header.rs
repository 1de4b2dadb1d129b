//! A DPoP proof's protected header (RFC 9449 §4.2: `typ`, `alg`, `jwk`), checked and parsed
//! once per distinct header text.
//!
//! A client signs every proof with the same key, so its proofs carry byte-identical
//! headers; only the payload (`jti`, `iat`, `htu`...) and the signature change. A
//! [`HeaderCache`] of [`ProofHeader`]s maps the exact base64url text of a header that
//! passed every check to its algorithm and parsed public key (RFC 7638 thumbprint
//! included), so a client's second proof skips the base64 decoding, the JSON parsing, the
//! JWK parsing and the thumbprint. The signature is still verified on every proof.

use serde_json::Value;

use crate::error::{Error, ErrorKind};
use crate::jwk::{AlgSet, Algorithm, PublicKey};
use crate::jws::{self, HeaderError};

#[cfg(test)]
use crate::jws::{HeaderCache, JwsError};

/// Number of proof headers kept: one per DPoP key in use.
pub(crate) const SLOTS: usize = 1024;

/// A proof header that passed every check.
pub(crate) struct ProofHeader {
    /// The `alg` (in the verifier's allowlist).
    pub(crate) alg: Algorithm,
    /// The `jwk`, parsed for `alg`.
    pub(crate) key: PublicKey,
}

/// Parses and checks a proof header against the allowed algorithms.
pub(crate) fn parse(text: &[u8], allowed: AlgSet) -> Result<ProofHeader, HeaderError> {
    let (alg, header) = jws::decode_header(text, allowed).map_err(HeaderError::Jws)?;
    if !matches!(header.get("typ"), Some(Value::String(t)) if t == "dpop+jwt") {
        return Err(HeaderError::Use(ErrorKind::InvalidDpopProofType.into()));
    }
    let Some(Value::Object(jwk)) = header.get("jwk") else {
        return Err(HeaderError::Use(ErrorKind::InvalidDpopKey.into()));
    };
    let key = PublicKey::from_jwk(jwk, std::iter::once(alg).collect()).map_err(|e| {
        HeaderError::Use(Error::new(ErrorKind::InvalidDpopKey).with_detail(e.as_str()))
    })?;
    if !key.supports(alg) {
        return Err(HeaderError::Use(
            Error::new(ErrorKind::InvalidDpopKey).with_detail("key does not fit alg"),
        ));
    }
    Ok(ProofHeader { alg, key })
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

    fn cache() -> HeaderCache<ProofHeader> {
        HeaderCache::new(SLOTS)
    }

    fn get_or_parse(
        cache: &HeaderCache<ProofHeader>,
        text: &str,
        allowed: AlgSet,
    ) -> Result<std::sync::Arc<ProofHeader>, HeaderError> {
        cache.get_or_parse(text.as_bytes(), |t| parse(t, allowed))
    }

    #[test]
    fn an_accepted_header_is_parsed_once_and_found_by_its_exact_text() {
        let cache = cache();
        let text = header_text("dpop+jwt");
        let first = get_or_parse(&cache, &text, all()).ok().expect("accepted");
        assert_eq!(first.alg, Algorithm::ES256);
        let second = get_or_parse(&cache, &text, all()).ok().expect("accepted");
        assert!(
            std::sync::Arc::ptr_eq(&first, &second),
            "the second lookup is a hit"
        );
        assert_eq!(cache.len(), 1);
        // Any other text (another key, or the same with a byte changed) is not a hit.
        let other = header_text("dpop+jwt");
        assert!(cache.get(other.as_bytes()).is_none());
        let mut changed = text.clone().into_bytes();
        let last = changed.len() - 1;
        changed[last] = if changed[last] == b'A' { b'B' } else { b'A' };
        assert!(cache.get(&changed).is_none());
    }

    #[test]
    fn refused_headers_are_never_stored() {
        let cache = cache();
        let wrong_typ = header_text("jwt");
        for _ in 0..2 {
            assert!(matches!(
                get_or_parse(&cache, &wrong_typ, all()),
                Err(HeaderError::Use(e)) if e.kind() == ErrorKind::InvalidDpopProofType
            ));
        }
        let only_rs: AlgSet = std::iter::once(Algorithm::RS256).collect();
        let good = header_text("dpop+jwt");
        assert!(matches!(
            get_or_parse(&cache, &good, only_rs),
            Err(HeaderError::Jws(JwsError::Algorithm))
        ));
        for garbage in [
            "",
            "!!",
            &b64_encode(b"[]"),
            &b64_encode(br#"{"alg":"ES256","crit":[]}"#),
        ] {
            assert!(matches!(
                get_or_parse(&cache, garbage, all()),
                Err(HeaderError::Jws(_))
            ));
        }
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn the_cache_is_bounded() {
        let cache = cache();
        let texts: Vec<String> = (0..SLOTS + 200).map(|_| header_text("dpop+jwt")).collect();
        for t in &texts {
            assert!(get_or_parse(&cache, t, all()).is_ok());
        }
        assert!(cache.len() <= SLOTS);
        // A header longer than the limit is accepted but not stored.
        let long = b64_encode(
            serde_json::json!({"typ": "dpop+jwt", "alg": "ES256", "pad": "x".repeat(2000),
                "jwk": serde_json::from_slice::<Value>(
                    &b64_decode(texts[0].as_bytes()).expect("b64")).expect("json")["jwk"]})
            .to_string()
            .as_bytes(),
        );
        assert!(long.len() > HeaderCache::<ProofHeader>::MAX_TEXT);
        assert!(get_or_parse(&cache, &long, all()).is_ok());
        assert!(cache.get(long.as_bytes()).is_none());
    }
}
