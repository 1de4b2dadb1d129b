//! DPoP proofs: structure, signatures, `ath`, and the negative variants.

use auth0_api_testing::{Algorithm, DpopKey, TestClock, UnixTime, ath, jwk_thumbprint};
use aws_lc_rs::digest;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use crate::support::{parse, verify_jws};

#[test]
fn proofs_for_every_alg_verify_with_their_header_jwk() {
    for alg in Algorithm::ALL {
        let key = DpopKey::generate(alg);
        assert_eq!(key.alg(), alg);
        let proof = key.proof("POST", "https://api.example.com/data?x=1").sign();
        let jws = parse(&proof);
        assert_eq!(jws.header["typ"], "dpop+jwt");
        assert_eq!(jws.header["alg"], alg.name());
        assert_eq!(jws.header["jwk"], key.public_jwk());
        assert!(jws.header["jwk"].get("d").is_none());
        assert!(verify_jws(&proof, &jws.header["jwk"]), "{alg}");
        assert_eq!(jws.payload["htm"], "POST");
        assert_eq!(jws.payload["htu"], "https://api.example.com/data?x=1");
        assert!(jws.payload.get("ath").is_none());
        assert!(jws.payload.get("nonce").is_none());
        let jti = jws.payload["jti"].as_str().unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(jti).unwrap().len(), 16);
        assert_eq!(
            jwk_thumbprint(&jws.header["jwk"]).as_deref(),
            Some(key.thumbprint().as_str())
        );
    }
}

#[test]
fn jti_is_fresh_per_proof() {
    let key = DpopKey::generate(Algorithm::ES256);
    let a = parse(&key.proof("GET", "https://a/").sign()).payload["jti"].clone();
    let b = parse(&key.proof("GET", "https://a/").sign()).payload["jti"].clone();
    assert_ne!(a, b);
}

#[test]
fn ath_is_the_base64url_sha256_of_the_token() {
    let token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";
    let expected = URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, token.as_bytes()));
    assert_eq!(ath(token), expected);
    // RFC 9449 §7.1 example.
    assert_eq!(
        ath("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
        "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
    );
    let key = DpopKey::generate(Algorithm::EdDSA);
    let jws = parse(&key.proof("GET", "https://a/").access_token(token).sign());
    assert_eq!(jws.payload["ath"], expected);
    let jws = parse(&key.proof("GET", "https://a/").ath("custom").sign());
    assert_eq!(jws.payload["ath"], "custom");
}

#[test]
fn time_and_claim_setters() {
    let key = DpopKey::generate(Algorithm::ES384);
    let clock = TestClock::new(UnixTime::from_secs(1_234));
    let jws = parse(&key.proof("GET", "https://a/").clock(&clock).sign());
    assert_eq!(jws.payload["iat"], 1_234);
    let jws = parse(
        &key.proof("GET", "https://a/")
            .clock(&clock)
            .iat(UnixTime::from_secs(99))
            .sign(),
    );
    assert_eq!(jws.payload["iat"], 99);
    // Without a clock the proof is dated by the system clock.
    let before = auth0_api::Clock::now(&auth0_api::SystemClock).as_secs();
    let iat = parse(&key.proof("GET", "https://a/").sign()).payload["iat"]
        .as_u64()
        .unwrap();
    let after = auth0_api::Clock::now(&auth0_api::SystemClock).as_secs();
    assert!(
        (before..=after).contains(&iat),
        "{before} <= {iat} <= {after}"
    );

    let proof = key
        .proof("GET", "https://a/")
        .jti("fixed")
        .htm("PUT")
        .htu("https://b/")
        .nonce("n-1")
        .claim("extra", json!(1))
        .remove_claim("iat")
        .sign();
    let jws = parse(&proof);
    assert_eq!(
        jws.payload,
        json!({"jti": "fixed", "htm": "PUT", "htu": "https://b/", "nonce": "n-1", "extra": 1})
    );
    assert!(verify_jws(&proof, &key.public_jwk()));
}

#[test]
fn header_edits_and_private_keys() {
    let key = DpopKey::generate(Algorithm::ES256);
    let jws = parse(
        &key.proof("GET", "https://a/")
            .header("typ", "JWT")
            .header("kid", "k")
            .remove_header("jwk")
            .sign(),
    );
    assert_eq!(
        jws.header,
        json!({"typ": "JWT", "alg": "ES256", "kid": "k"})
    );

    let proof = key.proof("GET", "https://a/").include_private_key().sign();
    let jws = parse(&proof);
    assert!(jws.header["jwk"]["d"].is_string());
    assert_eq!(jws.header["jwk"], key.private_jwk_members());
    assert!(verify_jws(&proof, &key.public_jwk()));

    for alg in [Algorithm::RS256, Algorithm::EdDSA, Algorithm::ES512] {
        let private = DpopKey::generate(alg).private_jwk_members();
        assert!(private["d"].is_string(), "{alg}");
    }
    let rsa = DpopKey::generate(Algorithm::PS256).private_jwk_members();
    for m in ["n", "e", "d", "p", "q", "dp", "dq", "qi"] {
        assert!(rsa[m].is_string(), "{m}");
    }
}

#[test]
fn sign_with_another_key_breaks_the_signature() {
    let key = DpopKey::generate(Algorithm::ES256);
    let other = DpopKey::generate(Algorithm::ES256);
    let proof = key.proof("GET", "https://a/").sign_with(&other);
    let jws = parse(&proof);
    assert_eq!(jws.header["jwk"], key.public_jwk());
    assert!(!verify_jws(&proof, &key.public_jwk()));
    assert!(verify_jws(&proof, &other.public_jwk()));
    assert_ne!(key.thumbprint(), other.thumbprint());
}

#[test]
fn debug_does_not_show_private_material() {
    let key = DpopKey::generate(Algorithm::EdDSA);
    let d = key.private_jwk_members()["d"].as_str().unwrap().to_owned();
    let debug = format!("{key:?}");
    assert!(!debug.contains(&d));
    assert!(debug.contains(&key.thumbprint()));
    assert!(!format!("{:?}", key.proof("GET", "https://a/")).contains(&d));
}
