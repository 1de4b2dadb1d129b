//! Independent JWT decoding and verification for the tests.

use aws_lc_rs::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest client")
}

pub(crate) async fn get_json(url: &str) -> (u16, Value) {
    let response = client().get(url).send().await.expect("GET");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub(crate) fn b64d(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s).expect("base64url")
}

/// A compact JWS split into decoded header, payload JSON, signing input and signature.
pub(crate) struct Jws {
    pub(crate) header: Value,
    pub(crate) payload: Value,
    pub(crate) payload_bytes: Vec<u8>,
    pub(crate) signing_input: String,
    pub(crate) signature: Vec<u8>,
}

pub(crate) fn parse(token: &str) -> Jws {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "three segments: {token}");
    let header = serde_json::from_slice(&b64d(parts[0])).expect("header JSON");
    let payload_bytes = b64d(parts[1]);
    let payload = serde_json::from_slice(&payload_bytes).unwrap_or(Value::Null);
    Jws {
        header,
        payload,
        payload_bytes,
        signing_input: format!("{}.{}", parts[0], parts[1]),
        signature: b64d(parts[2]),
    }
}

fn member(jwk: &Value, name: &str) -> Vec<u8> {
    jwk[name].as_str().map(b64d).unwrap_or_default()
}

/// Verifies `sig` over `msg` with `alg` and the public JWK.
pub(crate) fn verify(jwk: &Value, alg: &str, msg: &[u8], sig: &[u8]) -> bool {
    let rsa = |params: &signature::RsaParameters| {
        RsaPublicKeyComponents {
            n: member(jwk, "n"),
            e: member(jwk, "e"),
        }
        .verify(params, msg, sig)
        .is_ok()
    };
    let ec = |alg: &'static signature::EcdsaVerificationAlgorithm, crv: &str| {
        let mut point = vec![0x04];
        point.extend(member(jwk, "x"));
        point.extend(member(jwk, "y"));
        jwk["crv"] == crv && UnparsedPublicKey::new(alg, point).verify(msg, sig).is_ok()
    };
    match (jwk["kty"].as_str().unwrap_or_default(), alg) {
        ("RSA", "RS256") => rsa(&signature::RSA_PKCS1_2048_8192_SHA256),
        ("RSA", "RS384") => rsa(&signature::RSA_PKCS1_2048_8192_SHA384),
        ("RSA", "RS512") => rsa(&signature::RSA_PKCS1_2048_8192_SHA512),
        ("RSA", "PS256") => rsa(&signature::RSA_PSS_2048_8192_SHA256),
        ("RSA", "PS384") => rsa(&signature::RSA_PSS_2048_8192_SHA384),
        ("RSA", "PS512") => rsa(&signature::RSA_PSS_2048_8192_SHA512),
        ("EC", "ES256") => ec(&signature::ECDSA_P256_SHA256_FIXED, "P-256"),
        ("EC", "ES384") => ec(&signature::ECDSA_P384_SHA384_FIXED, "P-384"),
        ("EC", "ES512") => ec(&signature::ECDSA_P521_SHA512_FIXED, "P-521"),
        ("OKP", "EdDSA" | "Ed25519") => {
            jwk["crv"] == "Ed25519"
                && UnparsedPublicKey::new(&signature::ED25519, member(jwk, "x"))
                    .verify(msg, sig)
                    .is_ok()
        }
        _ => false,
    }
}

/// Verifies a compact JWS with the JWK, using the algorithm the header names.
pub(crate) fn verify_jws(token: &str, jwk: &Value) -> bool {
    let jws = parse(token);
    let alg = jws.header["alg"].as_str().unwrap_or_default().to_owned();
    verify(jwk, &alg, jws.signing_input.as_bytes(), &jws.signature)
}

/// The JWK with `kid` from a JWKS document.
pub(crate) fn find_kid<'a>(jwks: &'a Value, kid: &str) -> Option<&'a Value> {
    jwks["keys"]
        .as_array()?
        .iter()
        .find(|k| k["kid"].as_str() == Some(kid))
}
