//! DPoP proof verification (RFC 9449 §4.3), in the order of SPEC §5.

use aws_lc_rs::digest;
use http::{HeaderMap, Method};
use serde_json::Value;

use super::DPOP;
use super::htu::htu_matches;
use crate::claims::numeric_date;
use crate::error::{Error, ErrorKind};
use crate::jose::b64_encode;
use crate::jwk::PublicKey;
use crate::jws::{self, JwsError};
use crate::replay::ReplayKey;
use crate::verifier::Auth0;

/// The largest proof accepted, in bytes (an RSA-4096 `jwk` fits comfortably).
pub(crate) const MAX_PROOF_BYTES: usize = 8 * 1024;
/// The longest `jti` accepted.
const MAX_JTI_BYTES: usize = 256;

/// The one proof of the request: exactly one `DPoP` header holding one compact JWS.
pub(crate) fn single_proof(headers: &HeaderMap) -> Result<&str, Error> {
    let mut values = headers.get_all(DPOP).iter();
    let value = values
        .next()
        .ok_or_else(|| Error::new(ErrorKind::MissingDpopProof))?;
    if values.next().is_some() {
        return Err(ErrorKind::MultipleDpopProofs.into());
    }
    if value.len() > MAX_PROOF_BYTES {
        return Err(ErrorKind::DpopProofTooLarge.into());
    }
    let proof = value
        .to_str()
        .map_err(|_| Error::new(ErrorKind::MalformedDpopProof))?;
    if proof.contains(',') {
        return Err(ErrorKind::MultipleDpopProofs.into());
    }
    if proof.is_empty() {
        return Err(ErrorKind::MissingDpopProof.into());
    }
    Ok(proof)
}

/// `ath`: base64url(SHA-256(access token)).
pub(crate) fn ath(token: &str) -> String {
    b64_encode(digest::digest(&digest::SHA256, token.as_bytes()).as_ref())
}

/// Verifies `proof` for a request `method url` carrying `token` from `issuer`, whose
/// binding is `jkt`.
pub(crate) async fn verify_proof(
    auth0: &Auth0,
    proof: &str,
    method: &Method,
    url: &str,
    token: &str,
    issuer: &str,
    jkt: &str,
) -> Result<(), Error> {
    let cfg = auth0.inner();
    let decoded = jws::decode(proof, cfg.dpop_algs).map_err(|e| {
        Error::new(match e {
            JwsError::Algorithm => ErrorKind::UnsupportedDpopAlgorithm,
            JwsError::Malformed | JwsError::Critical => ErrorKind::MalformedDpopProof,
        })
    })?;
    if decoded.header_str("typ") != Ok(Some("dpop+jwt")) {
        return Err(ErrorKind::InvalidDpopProofType.into());
    }
    let Some(Value::Object(jwk)) = decoded.header.get("jwk") else {
        return Err(ErrorKind::InvalidDpopKey.into());
    };
    let only_alg = std::iter::once(decoded.alg).collect();
    let key = PublicKey::from_jwk(jwk, only_alg)
        .map_err(|e| Error::new(ErrorKind::InvalidDpopKey).with_detail(e.as_str()))?;
    if !key.supports(decoded.alg) {
        return Err(Error::new(ErrorKind::InvalidDpopKey).with_detail("key does not fit alg"));
    }
    if !key.verify(
        decoded.alg,
        decoded.signing_input.as_bytes(),
        &decoded.signature,
    ) {
        return Err(ErrorKind::InvalidDpopSignature.into());
    }

    let claims = &decoded.payload;
    let jti = match claims.get("jti") {
        Some(Value::String(j)) if !j.is_empty() && j.len() <= MAX_JTI_BYTES => j.as_str(),
        _ => return Err(ErrorKind::InvalidDpopJti.into()),
    };
    if claims.get("htm").and_then(Value::as_str) != Some(method.as_str()) {
        return Err(ErrorKind::DpopHtmMismatch.into());
    }
    match claims.get("htu").and_then(Value::as_str) {
        Some(htu) if htu_matches(htu, url) => {}
        _ => return Err(ErrorKind::DpopHtuMismatch.into()),
    }
    let now = cfg.clock.now();
    let iat = claims
        .get("iat")
        .and_then(numeric_date)
        .ok_or(ErrorKind::InvalidDpopIat)?;
    let earliest = now.saturating_sub(cfg.dpop_iat_offset).as_secs();
    let latest = now.saturating_add(cfg.dpop_iat_leeway).as_secs();
    if iat < earliest || iat > latest {
        return Err(ErrorKind::InvalidDpopIat.into());
    }
    match claims.get("ath").and_then(Value::as_str) {
        Some(a) if a == ath(token) => {}
        _ => return Err(ErrorKind::DpopAthMismatch.into()),
    }
    if key.thumbprint() != jkt {
        return Err(ErrorKind::JktMismatch.into());
    }
    if let Some(nonces) = &cfg.dpop_nonce {
        let presented = claims.get("nonce").and_then(Value::as_str);
        let fresh = match presented {
            None => false,
            Some(n) => nonces.check(n, now).is_ok(),
        };
        if !fresh {
            return Err(Error::use_dpop_nonce(nonces.issue(now)));
        }
    }
    // Last, so that a proof refused for any other reason does not consume its jti.
    let expires_at = crate::time::UnixTime::from_secs(iat)
        .saturating_add(cfg.dpop_iat_offset)
        .saturating_add(std::time::Duration::from_secs(1));
    let key = ReplayKey::new(issuer, jkt, jti);
    match cfg
        .replay_store
        .check_and_store(&key, now, expires_at)
        .await
    {
        Ok(true) => Ok(()),
        Ok(false) => Err(ErrorKind::DpopReplay.into()),
        Err(e) => Err(Error::new(ErrorKind::ReplayStoreUnavailable).with_source(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn ath_known_answers() {
        // RFC 9449 §7.1.
        assert_eq!(
            ath("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
        );
        assert_eq!(
            ath("test_token"),
            "zAr5codUO2XaLH4UdkJgIYJsqxZvHgY-0BK4Vf-BllY"
        );
    }

    #[test]
    fn single_proof_rules() {
        let kind = |values: &[&[u8]]| {
            let mut h = HeaderMap::new();
            for v in values {
                if let Ok(v) = HeaderValue::from_bytes(v) {
                    h.append(DPOP, v);
                }
            }
            single_proof(&h).map(str::to_owned).map_err(|e| e.kind())
        };
        assert_eq!(kind(&[b"a.b.c"]), Ok("a.b.c".to_owned()));
        assert_eq!(kind(&[]), Err(ErrorKind::MissingDpopProof));
        assert_eq!(kind(&[b""]), Err(ErrorKind::MissingDpopProof));
        assert_eq!(
            kind(&[b"a.b.c", b"d.e.f"]),
            Err(ErrorKind::MultipleDpopProofs)
        );
        assert_eq!(kind(&[b"a.b.c,d.e.f"]), Err(ErrorKind::MultipleDpopProofs));
        assert_eq!(kind(&[b"a.b.\xff"]), Err(ErrorKind::MalformedDpopProof));
        let big = vec![b'a'; MAX_PROOF_BYTES + 1];
        assert_eq!(kind(&[&big]), Err(ErrorKind::DpopProofTooLarge));
    }
}
