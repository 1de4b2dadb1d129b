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
