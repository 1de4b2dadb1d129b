//! Compact JWS (RFC 7515 §7.1) decoding: one pass over the token, strict base64url and
//! JSON, `alg` resolved against an allowlist before any key is touched.

use serde_json::{Map, Value};

use crate::jose::{b64_decode, parse_object, split_compact};
use crate::jwk::{AlgSet, Algorithm};

/// Why a compact JWS could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JwsError {
    /// Not three segments of strict base64url, or a header/payload that is not a strict
    /// JSON object.
    Malformed,
    /// `alg` missing, unknown, `none`, symmetric, or outside the allowlist.
    Algorithm,
    /// `crit` present (no extension is understood here).
    Critical,
}

/// A decoded, not yet verified, compact JWS; `P` is its payload as the caller reads it.
pub(crate) struct Decoded<'a, P = Map<String, Value>> {
    pub(crate) alg: Algorithm,
    pub(crate) header: Map<String, Value>,
    pub(crate) payload: P,
    pub(crate) signing_input: &'a str,
    pub(crate) signature: Vec<u8>,
}

impl<P> Decoded<'_, P> {
    /// A string header member; `Err` when present but not a string.
    pub(crate) fn header_str(&self, name: &str) -> Result<Option<&str>, JwsError> {
        match self.header.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(JwsError::Malformed),
        }
    }
}

/// Decodes a protected header (base64url text): a JSON object with an allowed `alg` and no
/// `crit` (no extension is understood, RFC 7515 §4.1.11).
pub(crate) fn decode_header(
    text: &str,
    allowed: AlgSet,
) -> Result<(Algorithm, Map<String, Value>), JwsError> {
    let header = b64_decode(text.as_bytes())
        .and_then(|b| parse_object(&b))
        .ok_or(JwsError::Malformed)?;
    let alg = match header.get("alg") {
        Some(Value::String(a)) => Algorithm::from_name(a).ok_or(JwsError::Algorithm)?,
        _ => return Err(JwsError::Algorithm),
    };
    if !allowed.contains(alg) {
        return Err(JwsError::Algorithm);
    }
    if header.contains_key("crit") {
        return Err(JwsError::Critical);
    }
    Ok((alg, header))
}

/// Decodes `token`, checking `alg` against `allowed` and refusing any `crit`.
#[cfg_attr(not(any(test, feature = "fuzzing")), allow(dead_code))]
pub(crate) fn decode(token: &str, allowed: AlgSet) -> Result<Decoded<'_>, JwsError> {
    decode_with(token, allowed, |b| parse_object(&b))
}

/// [`decode`] with the payload's decoded bytes read by `payload` (`None`: malformed).
pub(crate) fn decode_with<P>(
    token: &str,
    allowed: AlgSet,
    payload: impl FnOnce(Vec<u8>) -> Option<P>,
) -> Result<Decoded<'_, P>, JwsError> {
    let (h, p, s) = split_compact(token).ok_or(JwsError::Malformed)?;
    let (alg, header) = decode_header(h, allowed)?;
    let payload = b64_decode(p.as_bytes())
        .and_then(payload)
        .ok_or(JwsError::Malformed)?;
    let signature = b64_decode(s.as_bytes()).ok_or(JwsError::Malformed)?;
    if signature.is_empty() {
        return Err(JwsError::Malformed);
    }
    let signing_input = &token[..h.len() + 1 + p.len()];
    Ok(Decoded {
        alg,
        header,
        payload,
        signing_input,
        signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::b64_encode;

    fn jws(header: &str, payload: &str, sig: &[u8]) -> String {
        format!(
            "{}.{}.{}",
            b64_encode(header.as_bytes()),
            b64_encode(payload.as_bytes()),
            b64_encode(sig)
        )
    }

    fn err(token: &str) -> Option<JwsError> {
        decode(token, AlgSet::all()).err()
    }

    #[test]
    fn decodes() {
        let t = jws(r#"{"alg":"ES256","kid":"k"}"#, r#"{"sub":"x"}"#, b"sig");
        let d = decode(&t, AlgSet::all()).unwrap();
        assert_eq!(d.alg, Algorithm::ES256);
        assert_eq!(d.header_str("kid"), Ok(Some("k")));
        assert_eq!(d.payload["sub"], "x");
        assert_eq!(d.signature, b"sig");
        assert_eq!(d.signing_input, &t[..t.rfind('.').unwrap_or(0)]);
    }

    #[test]
    fn refuses() {
        use JwsError::*;
        let p = r#"{"sub":"x"}"#;
        assert_eq!(err(&jws(r#"{"alg":"none"}"#, p, b"s")), Some(Algorithm));
        assert_eq!(err(&jws(r#"{"alg":"HS256"}"#, p, b"s")), Some(Algorithm));
        assert_eq!(err(&jws(r#"{"alg":"rs256"}"#, p, b"s")), Some(Algorithm));
        assert_eq!(err(&jws(r#"{"alg":1}"#, p, b"s")), Some(Algorithm));
        assert_eq!(err(&jws(r#"{}"#, p, b"s")), Some(Algorithm));
        assert_eq!(
            err(&jws(r#"{"alg":"RS256","crit":["exp"]}"#, p, b"s")),
            Some(Critical)
        );
        assert_eq!(
            err(&jws(r#"{"alg":"RS256","crit":[]}"#, p, b"s")),
            Some(Critical)
        );
        assert_eq!(
            err(&jws(r#"{"alg":"RS256","alg":"RS256"}"#, p, b"s")),
            Some(Malformed)
        );
        assert_eq!(
            err(&jws(r#"{"alg":"RS256"}"#, r#"{"a":1,"a":2}"#, b"s")),
            Some(Malformed)
        );
        assert_eq!(
            err(&jws(r#"{"alg":"RS256"}"#, r#"{"a":1} x"#, b"s")),
            Some(Malformed)
        );
        assert_eq!(err(&jws(r#"{"alg":"RS256"}"#, "[]", b"s")), Some(Malformed));
        assert_eq!(err(&jws(r#"{"alg":"RS256"}"#, p, b"")), Some(Malformed));
        assert_eq!(err("a.b"), Some(Malformed));
        assert_eq!(err("a.b.c.d"), Some(Malformed));
        let good = jws(r#"{"alg":"RS256"}"#, p, b"s");
        assert_eq!(
            err(&good.replacen('.', "=.", 1)),
            Some(Malformed),
            "padding"
        );
        assert_eq!(err(&format!("{good}*")), Some(Malformed), "non-base64url");
        assert_eq!(err(&format!("+{good}")), Some(Malformed), "non-base64url");
        let only_es: AlgSet = [crate::jwk::Algorithm::ES256].into_iter().collect();
        assert_eq!(
            decode(&good, only_es).err(),
            Some(Algorithm),
            "outside allowlist"
        );
    }
}

#[cfg(test)]
mod robustness {
    use super::*;
    use crate::jose::b64_encode;
    use aws_lc_rs::rand::{SecureRandom, SystemRandom};

    /// Mutations of a valid token and random bytes never panic, and whatever decodes
    /// re-splits to the same segments.
    #[test]
    fn hostile_inputs_never_panic() {
        let rng = SystemRandom::new();
        let header = b64_encode(br#"{"alg":"ES256","kid":"k","typ":"at+jwt"}"#);
        let payload = b64_encode(br#"{"iss":"https://i/","aud":["a"],"exp":1,"n":[1,{"x":null}]}"#);
        let valid = format!("{header}.{payload}.{}", b64_encode(&[1u8; 64]));
        let alphabet = b"ABCxyz019-_.=+/ \"{}[]:,\\\x00\xff";
        let mut buf = [0u8; 512];
        for round in 0..20_000usize {
            rng.fill(&mut buf).unwrap_or_default();
            let candidate: Vec<u8> = if round % 2 == 0 {
                let mut t = valid.clone().into_bytes();
                for i in 0..(1 + buf[0] as usize % 4) {
                    let at = (buf[1 + 2 * i] as usize * 7 + buf[2 + 2 * i] as usize) % t.len();
                    t[at] = alphabet[buf[20 + i] as usize % alphabet.len()];
                }
                t
            } else {
                let len = buf[0] as usize;
                buf[1..=len.min(511)]
                    .iter()
                    .map(|b| alphabet[*b as usize % alphabet.len()])
                    .collect()
            };
            let Ok(s) = std::str::from_utf8(&candidate) else {
                continue;
            };
            if let Ok(d) = decode(s, AlgSet::all()) {
                assert!(s.starts_with(d.signing_input));
            }
        }
    }
}
