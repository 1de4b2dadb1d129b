//! DPoP proof verification (RFC 9449 §4.3): structure, key, signature, claims, binding, nonce, replay.

use std::time::Duration;

use http::HeaderMap;

use super::DPOP;
use super::header::parse as parse_header;
use super::htu::htu_matches;
use super::nonce::NonceError;
use super::verifier::{DpopVerifier, ProofInput};
use crate::error::{Error, ErrorKind};
use crate::jose::SignatureBuf;
use crate::jws::{Compact, HeaderError, JwsError, decode_compact};
use crate::payload::Date;
use crate::replay::ReplayKey;
use crate::telemetry::{self, NonceChallenge};
use crate::time::UnixTime;

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
#[cfg(test)]
pub(crate) fn ath(token: &str) -> String {
    crate::jose::b64_encode(&crate::token::sha256(token.as_bytes()))
}

/// Whether `claimed` is the `ath` of the token whose SHA-256 is `token_sha256`, without
/// building a string.
fn ath_matches(claimed: &str, token_sha256: &[u8; 32]) -> bool {
    use base64::Engine as _;
    let mut encoded = [0u8; 43];
    matches!(
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_slice(token_sha256, &mut encoded),
        Ok(43)
    ) && claimed.as_bytes() == encoded
}

impl DpopVerifier {
    /// Verifies `proof` for the request and token in `input`, cheapest checks first; the
    /// `jti` is recorded last, so a proof refused for any other reason does not consume it.
    pub(crate) async fn verify(&self, proof: &str, input: ProofInput<'_>) -> Result<(), Error> {
        let jws_error = |e: JwsError| {
            Error::new(match e {
                JwsError::Algorithm => ErrorKind::UnsupportedDpopAlgorithm,
                JwsError::Malformed | JwsError::Critical => ErrorKind::MalformedDpopProof,
            })
        };
        // The header's checks and key come from the cache when this client sent the same
        // header before; refusals are reported in the order of the uncached checks.
        let algs = self.algs;
        let mut signature = SignatureBuf::new();
        let Compact {
            header,
            payload,
            signing_input,
            signature,
        } = decode_compact(
            proof.as_bytes(),
            |h| self.headers.get_or_parse(h, |t| parse_header(t, algs)),
            // The one-pass reader: the strict grammar of `parse_object`, no map built.
            |b| crate::payload::parse(b, &crate::payload::Watched::NONE),
            &mut signature,
        )
        .map_err(|e| match e {
            HeaderError::Jws(e) => jws_error(e),
            HeaderError::Use(e) => e,
        })?;
        let key = &header.key;
        if !key.verify(header.alg, signing_input, &signature) {
            return Err(ErrorKind::InvalidDpopSignature.into());
        }

        let claims = &payload.registered.proof;
        let jti = match payload.str(claims.jti.as_ref()) {
            Some(j) if !j.is_empty() && j.len() <= MAX_JTI_BYTES => j,
            _ => return Err(ErrorKind::InvalidDpopJti.into()),
        };
        if payload.str(claims.htm.as_ref()) != Some(input.method.as_str()) {
            return Err(ErrorKind::DpopHtmMismatch.into());
        }
        match payload.str(claims.htu.as_ref()) {
            Some(htu) if htu_matches(htu, input.htu) => {}
            _ => return Err(ErrorKind::DpopHtuMismatch.into()),
        }
        let now = self.clock.now();
        let Date::At(iat) = payload.registered.iat else {
            return Err(ErrorKind::InvalidDpopIat.into());
        };
        let earliest = now.saturating_sub(self.iat_offset).as_secs();
        let latest = now.saturating_add(self.iat_leeway).as_secs();
        if iat < earliest || iat > latest {
            return Err(ErrorKind::InvalidDpopIat.into());
        }
        match payload.str(claims.ath.as_ref()) {
            Some(a) if ath_matches(a, input.access_token_sha256) => {}
            _ => return Err(ErrorKind::DpopAthMismatch.into()),
        }
        if *input.jkt != *key.thumbprint() {
            return Err(ErrorKind::JktMismatch.into());
        }
        if let Some(nonces) = &self.nonce {
            let refused = match payload.str(claims.nonce.as_ref()) {
                None => Some(NonceChallenge::Missing),
                Some(n) => match nonces.check(n, now) {
                    Ok(()) => None,
                    Err(NonceError::Stale) => Some(NonceChallenge::Stale),
                    Err(NonceError::Malformed | NonceError::Invalid) => {
                        Some(NonceChallenge::Invalid)
                    }
                },
            };
            if let Some(reason) = refused {
                telemetry::nonce_challenge(reason);
                return Err(Error::use_dpop_nonce(nonces.issue(now)));
            }
        }
        // Remembered for as long as any instance may accept the proof: an instance whose
        // clock is up to `iat_leeway` behind ours accepts it until `iat + offset` on its
        // clock, which is `iat + offset + leeway` on ours.
        let expires_at = UnixTime::from_secs(iat)
            .saturating_add(self.iat_offset)
            .saturating_add(self.iat_leeway)
            .saturating_add(Duration::from_secs(1));
        let key = ReplayKey::new(input.issuer, input.jkt.as_str(), jti);
        match self
            .replay_store
            .check_and_store(&key, now, expires_at)
            .await
        {
            Ok(true) => Ok(()),
            Ok(false) => {
                telemetry::dpop_replay();
                Err(ErrorKind::DpopReplay.into())
            }
            Err(e) => {
                telemetry::replay_store_error();
                Err(Error::new(ErrorKind::ReplayStoreUnavailable).with_source(e))
            }
        }
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
        assert!(ath_matches(
            "zAr5codUO2XaLH4UdkJgIYJsqxZvHgY-0BK4Vf-BllY",
            &crate::token::sha256(b"test_token")
        ));
        for wrong in [
            "zAr5codUO2XaLH4UdkJgIYJsqxZvHgY-0BK4Vf-BllZ",
            "zAr5codUO2XaLH4UdkJgIYJsqxZvHgY-0BK4Vf-BllY=",
            "zAr5codUO2XaLH4UdkJgIYJsqxZvHgY-0BK4Vf-Bll",
            "",
        ] {
            assert!(
                !ath_matches(wrong, &crate::token::sha256(b"test_token")),
                "{wrong}"
            );
        }
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
