//! What the `verify` and `instructions` benches share: the request URL, the token shape,
//! the raw aws-lc-rs floor (a pre-parsed key, the signing input and signature of a token)
//! and the Bearer request.

use auth0_api_testing::{Algorithm, TestIssuer};
use aws_lc_rs::signature::{self, ParsedPublicKey, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue};

/// The URL every bench request is made to.
pub(crate) const URL: &str = "https://api.example.com/data";

/// Token `i` of the benches' shape, signed by key `kid`: registered claims, a scope and a
/// custom claim, as an Auth0 access token carries.
pub(crate) fn new_token(issuer: &TestIssuer, kid: &str, i: usize) -> String {
    issuer
        .token()
        .key(kid)
        .sub(format!("user-{i}"))
        .scope("read:data write:data")
        .claim("org_id", "org_123")
        .claim("jti", format!("t{i}"))
        .sign()
}

fn b64(v: &serde_json::Value, name: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(v[name].as_str().unwrap()).unwrap()
}

/// A public JWK of the test issuer (or a DPoP key) parsed once for aws-lc-rs: the raw floor
/// checks signatures with it.
pub(crate) fn raw_key(jwk: &serde_json::Value, alg: Algorithm) -> ParsedPublicKey {
    match alg {
        Algorithm::RS256 => signature::RsaPublicKeyComponents {
            n: b64(jwk, "n"),
            e: b64(jwk, "e"),
        }
        .to_parsed_public_key(&signature::RSA_PKCS1_2048_8192_SHA256)
        .unwrap(),
        Algorithm::ES256 => {
            let mut point = vec![4u8];
            point.extend(b64(jwk, "x"));
            point.extend(b64(jwk, "y"));
            UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                .parse()
                .unwrap()
        }
        _ => UnparsedPublicKey::new(&signature::ED25519, b64(jwk, "x"))
            .parse()
            .unwrap(),
    }
}

/// The signing input and signature of a compact JWS.
pub(crate) fn raw_parts(jws: &str) -> (Vec<u8>, Vec<u8>) {
    let (input, sig) = jws.rsplit_once('.').unwrap();
    (
        input.as_bytes().to_vec(),
        URL_SAFE_NO_PAD.decode(sig).unwrap(),
    )
}

/// A request carrying `token` as a Bearer token.
pub(crate) fn bearer(token: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    h
}
