//! Compact JWS (RFC 7515 §7.1) decoding: one pass over the token, strict base64url and
//! JSON, `alg` resolved against an allowlist before any key is touched.

use std::borrow::Cow;
use std::sync::Arc;

use arc_swap::ArcSwapOption;
use serde_json::{Map, Value};

use crate::error::Error;
use crate::jose::{SignatureBuf, b64_decode, parse_object, split_at_two_dots};
use crate::jwk::{AlgSet, Algorithm};
use crate::keyed::KeyedHash;

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

/// A decoded, not yet verified, compact JWS (its header and payload as maps).
#[cfg_attr(not(any(test, feature = "fuzzing")), allow(dead_code))]
pub(crate) struct Decoded<'a> {
    pub(crate) alg: Algorithm,
    pub(crate) header: Map<String, Value>,
    /// Read by the tests (the fuzz target reads the header only).
    #[allow(dead_code)]
    pub(crate) payload: Map<String, Value>,
    pub(crate) signing_input: &'a [u8],
    pub(crate) signature: Vec<u8>,
}

#[cfg_attr(not(any(test, feature = "fuzzing")), allow(dead_code))]
impl Decoded<'_> {
    /// A string header member; `Err` when present but not a string.
    pub(crate) fn header_str(&self, name: &str) -> Result<Option<&str>, JwsError> {
        header_str(&self.header, name)
    }
}

/// A string member of a decoded header; `Err` when present but not a string.
pub(crate) fn header_str<'a>(
    header: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, JwsError> {
    match header.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(JwsError::Malformed),
    }
}

/// Decodes a protected header (base64url text): a JSON object with an allowed `alg` and no
/// `crit` (no extension is understood, RFC 7515 §4.1.11).
pub(crate) fn decode_header(
    text: &[u8],
    allowed: AlgSet,
) -> Result<(Algorithm, Map<String, Value>), JwsError> {
    let header = b64_decode(text)
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
    let mut signature = SignatureBuf::new();
    let c = decode_compact(
        token.as_bytes(),
        |h| decode_header(h, allowed).map_err(HeaderError::Jws),
        |b| parse_object(&b),
        &mut signature,
    )
    .map_err(|e| match e {
        HeaderError::Jws(e) => e,
        HeaderError::Use(_) => JwsError::Malformed,
    })?;
    let (alg, header) = c.header;
    Ok(Decoded {
        alg,
        header,
        payload: c.payload,
        signing_input: c.signing_input,
        signature: c.signature.into_owned(),
    })
}

/// Why a protected header was refused, split by when the refusal is reported: JWS-level
/// problems (structure, `alg`, `crit`) before the payload is looked at; problems for the
/// header's use (an access token's `typ` or `kid`, a proof's `typ` or `jwk`) after the
/// payload and signature decoded, as the checks without a cache always reported them.
pub(crate) enum HeaderError {
    /// Not a usable JWS header.
    Jws(JwsError),
    /// A JWS header, but not one this use accepts.
    Use(Error),
}

/// A compact JWS split and decoded; the header read by the caller (often from a
/// [`HeaderCache`]), the payload by the caller's reader.
pub(crate) struct Compact<'a, 'b, H, P> {
    pub(crate) header: H,
    pub(crate) payload: P,
    pub(crate) signing_input: &'a [u8],
    /// In the caller's buffer when it fits there.
    pub(crate) signature: Cow<'b, [u8]>,
}

/// Splits `token` and decodes its parts: `header` reads the header text, `payload` the
/// payload's decoded bytes (`None`: malformed); the signature is decoded into `signature`
/// when it fits. A header refused for its use is reported only once the payload and
/// signature decoded.
pub(crate) fn decode_compact<'a, 'b, H, P>(
    token: &'a [u8],
    header: impl FnOnce(&[u8]) -> Result<H, HeaderError>,
    payload: impl FnOnce(Vec<u8>) -> Option<P>,
    signature: &'b mut SignatureBuf,
) -> Result<Compact<'a, 'b, H, P>, HeaderError> {
    let malformed = || HeaderError::Jws(JwsError::Malformed);
    // A third dot makes the token malformed before anything else is looked at; it can
    // only be in the last part, whose decoding refuses it, so it is looked for only when a
    // refusal of the header would otherwise come first.
    let (h, p, s) = split_at_two_dots(token).ok_or_else(malformed)?;
    let header = match header(h) {
        Err(HeaderError::Jws(_)) if s.contains(&b'.') => return Err(malformed()),
        Err(HeaderError::Jws(e)) => return Err(HeaderError::Jws(e)),
        other => other,
    };
    let payload = b64_decode(p).and_then(payload).ok_or_else(malformed)?;
    let signature = signature
        .decode(s)
        .filter(|s| !s.is_empty())
        .ok_or_else(malformed)?;
    Ok(Compact {
        header: header?,
        payload,
        signing_input: &token[..h.len() + 1 + p.len()],
        signature,
    })
}

/// Accepted protected headers by their exact base64url text. The clients of one issuer send
/// a handful of distinct headers (one per signing key; one per DPoP key for proofs), so a
/// header's decoding, JSON and checks (and a proof's JWK parse and thumbprint) are done
/// once per distinct text. Only headers that passed every check are stored, and a lookup
/// compares the whole text, so a header that differs in any byte is parsed from scratch.
///
/// A fixed number of slots, each holding the last header whose text hashes to it (a
/// [`KeyedHash`], so a client cannot aim at another's slot): memory is bounded by the slots
/// times [`HeaderCache::MAX_TEXT`] plus the values; a miss only costs the parse it saves.
pub(crate) struct HeaderCache<T> {
    slots: Box<[ArcSwapOption<Slot<T>>]>,
    hasher: KeyedHash,
}

struct Slot<T> {
    text: Box<[u8]>,
    value: Arc<T>,
}

impl<T> HeaderCache<T> {
    /// Longer header texts are never stored (an EC or Ed25519 proof header is about 300
    /// bytes, an RSA-4096 one about 1,100).
    pub(crate) const MAX_TEXT: usize = 2048;

    /// A cache of `slots` headers.
    pub(crate) fn new(slots: usize) -> Self {
        Self {
            slots: (0..slots.max(1)).map(|_| ArcSwapOption::empty()).collect(),
            hasher: KeyedHash::new(),
        }
    }

    fn slot(&self, text: &[u8]) -> Option<&ArcSwapOption<Slot<T>>> {
        if text.len() > Self::MAX_TEXT {
            return None;
        }
        // The modulo keeps the index in range; `get` keeps it panic-free regardless.
        let slots = u64::try_from(self.slots.len()).ok()?;
        let index = usize::try_from(self.hasher.hash(text) % slots).ok()?;
        self.slots.get(index)
    }

    /// The accepted header stored for exactly `text`.
    pub(crate) fn get(&self, text: &[u8]) -> Option<Arc<T>> {
        let guard = self.slot(text)?.load();
        match &*guard {
            Some(slot) if *slot.text == *text => Some(Arc::clone(&slot.value)),
            _ => None,
        }
    }

    /// Parses `text` with `parse`, or returns the stored result of an earlier successful
    /// parse of the same text; stores a success (replacing the slot's previous header).
    pub(crate) fn get_or_parse<E>(
        &self,
        text: &[u8],
        parse: impl FnOnce(&[u8]) -> Result<T, E>,
    ) -> Result<Arc<T>, E> {
        if let Some(hit) = self.get(text) {
            return Ok(hit);
        }
        let value = Arc::new(parse(text)?);
        if let Some(slot) = self.slot(text) {
            slot.store(Some(Arc::new(Slot {
                text: text.into(),
                value: Arc::clone(&value),
            })));
        }
        Ok(value)
    }

    /// Number of stored headers.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.load().is_some()).count()
    }
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
        assert_eq!(d.signing_input, &t.as_bytes()[..t.rfind('.').unwrap_or(0)]);
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
        // A third dot is malformed first, whatever the header (refused or not) and the
        // other parts; and a fourth segment too (a JWE has five).
        for header in [
            r#"{"alg":"RS256"}"#,
            r#"{"alg":"none"}"#,
            r#"{"crit":[]}"#,
            "x",
        ] {
            let t = jws(header, p, b"sig");
            for extra in [".", ".x", ".x.y", "x.", ".."] {
                assert_eq!(
                    err(&format!("{t}{extra}")),
                    Some(Malformed),
                    "{header} {extra}"
                );
            }
            let (hp, s) = t.rsplit_once('.').unwrap();
            let mid = format!("{hp}.{}.{}", &s[..2], &s[2..]);
            assert_eq!(err(&mid), Some(Malformed), "{header}: dot in the signature");
        }
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
                assert!(s.as_bytes().starts_with(d.signing_input));
            }
        }
    }
}
