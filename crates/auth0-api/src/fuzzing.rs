//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`). Not a public API.

use http::{HeaderMap, HeaderValue};

use crate::jwk::{AlgSet, PublicKey};

/// Runs every parser that sees untrusted bytes: the `Authorization` and `DPoP` headers,
/// the `Forwarded`, `X-Forwarded-*` and `Host` headers, the compact JWS decoder, the JWK parser (on the header's `jwk`), the DPoP `htu`
/// normalization and the server nonce check. Must never panic.
pub fn parse_untrusted(data: &[u8]) {
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_bytes(data) {
        headers.insert(http::header::AUTHORIZATION, v.clone());
        headers.insert(crate::dpop::DPOP, v.clone());
        let _ = crate::authorization::credentials(&headers, 16 * 1024);
        let _ = crate::dpop::fuzz_single_proof(&headers);
        headers.insert(http::header::FORWARDED, v.clone());
        headers.insert(http::header::HOST, v);
        let _ = crate::proxy::fuzz_forwarded(&headers);
        let _ = crate::host::parse_authority(&String::from_utf8_lossy(data));
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(decoded) = crate::jws::decode(text, AlgSet::all()) {
        if let Some(serde_json::Value::Object(jwk)) = decoded.header.get("jwk") {
            if let Ok(key) = PublicKey::from_jwk(jwk, AlgSet::all()) {
                let _ = key.verify(
                    decoded.alg,
                    decoded.signing_input.as_bytes(),
                    &decoded.signature,
                );
            }
        }
    }
    if let Some((a, b)) = text.split_once('\n') {
        let _ = crate::dpop::fuzz_htu_matches(a, b);
    }
    let nonces = crate::dpop::NonceConfig::random();
    let _ = nonces.fuzz_check(text);
}
