//! Internal steps exposed to the crate's own benchmarks (feature `bench-internals`). Not a
//! public API.

use serde_json::Value;

use crate::jwk::{AlgSet, PublicKey};

/// Normalizes a request URL for the DPoP `htu` comparison; `None` when it is not one.
pub fn normalize_htu(url: &str) -> Option<String> {
    crate::dpop::normalize_htu_for_bench(url)
}

/// Parses a public JWK (as in a DPoP proof header) and returns its RFC 7638 thumbprint.
pub fn jwk_thumbprint(jwk: &Value) -> Option<String> {
    let Value::Object(map) = jwk else {
        return None;
    };
    PublicKey::from_jwk(map, AlgSet::all())
        .ok()
        .map(|k| k.thumbprint().to_owned())
}

/// Reads an access-token payload (decoded JSON) the way the verifier does: one pass, the
/// registered claims recorded, custom claims left as text. `None` when it is not a strict
/// JSON object.
pub fn read_payload(json: &[u8]) -> Option<usize> {
    crate::payload::parse(json.to_vec(), &crate::payload::Watched::NONE).map(|p| p.text.len())
}

/// Parses the same payload into a `serde_json` map with the strict parser (what the
/// verifier did before the one-pass reader, and what `Claims::as_map` does on first use).
pub fn parse_payload_map(json: &[u8]) -> Option<usize> {
    crate::jose::parse_object(json).map(|m| m.len())
}
