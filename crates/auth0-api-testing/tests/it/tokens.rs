//! Minted access tokens, verified against the JWKS the issuer serves.

use std::time::Duration;

use auth0_api_testing::{Algorithm, DpopKey, TestClock, TestIssuer, UnixTime, jwk_thumbprint};
use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::support::{find_kid, get_json, parse, verify_jws};

#[tokio::test]
async fn every_alg_verifies_against_the_published_jwk() {
    let mut builder = TestIssuer::builder();
    for alg in Algorithm::ALL {
        builder = builder.key(alg);
    }
    let issuer = builder.start().await;
    let (_, jwks) = get_json(&issuer.jwks_uri()).await;
    assert_eq!(
        jwks["keys"].as_array().map(Vec::len),
        Some(Algorithm::ALL.len())
    );
    for alg in Algorithm::ALL {
        let token = issuer.token().alg(alg).sign();
        let jws = parse(&token);
        assert_eq!(jws.header["alg"], alg.name());
        assert_eq!(jws.header["typ"], "JWT");
        let kid = jws.header["kid"].as_str().expect("kid");
        let jwk = find_kid(&jwks, kid).expect("kid is published");
        assert_eq!(jwk["alg"], alg.name());
        assert!(verify_jws(&token, jwk), "{alg}");

        // Any change to the signed bytes breaks the signature.
        let mut payload = jws.payload.clone();
        payload["sub"] = json!("someone-else");
        let parts: Vec<&str> = token.split('.').collect();
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(payload.to_string()),
            parts[2]
        );
        assert!(!verify_jws(&tampered, jwk), "{alg}");
        // And another key of the set does not verify it.
        let other = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] != kid && k["kty"] == jwk["kty"]);
        if let Some(other) = other {
            assert!(!verify_jws(&token, other), "{alg}");
        }
    }
}

#[tokio::test]
async fn default_claims_follow_the_issuer_and_its_clock() {
    let clock = TestClock::new(UnixTime::from_secs(1_700_000_000));
    let issuer = TestIssuer::builder().clock(clock.clone()).start().await;
    let jws = parse(&issuer.token().sign());
    assert_eq!(
        jws.payload,
        json!({
            "iss": issuer.issuer(),
            "aud": "https://api.example.com",
            "sub": "auth0|test-user",
            "iat": 1_700_000_000u64,
            "exp": 1_700_003_600u64,
        })
    );
    assert_eq!(jws.header["kid"], "rs256-1");
    assert_eq!(jws.header["alg"], "RS256");

    clock.advance(Duration::from_secs(10));
    let jws = parse(&issuer.token().expires_in(Duration::from_secs(60)).sign());
    assert_eq!(jws.payload["iat"], 1_700_000_010u64);
    assert_eq!(jws.payload["exp"], 1_700_000_070u64);
    assert_eq!(issuer.clock().now(), clock.now());
}

#[tokio::test]
async fn claim_setters() {
    let clock = TestClock::new(UnixTime::from_secs(1_000_000));
    let issuer = TestIssuer::builder().clock(clock).start().await;
    let token = issuer
        .token()
        .sub("user-42")
        .audiences(["a", "b"])
        .issuer("https://other.example.com/")
        .scope("read:data write:data")
        .permissions(["read:data"])
        .claim("org_id", json!("org_1"))
        .claim("nested", json!({"x": [1, 2]}))
        .not_before(UnixTime::from_secs(1_000_100))
        .issued_at(UnixTime::from_secs(999_000))
        .expires_in(Duration::from_secs(100))
        .remove_claim("sub")
        .sign();
    let jws = parse(&token);
    assert_eq!(
        jws.payload,
        json!({
            "iss": "https://other.example.com/",
            "aud": ["a", "b"],
            "scope": "read:data write:data",
            "permissions": ["read:data"],
            "org_id": "org_1",
            "nested": {"x": [1, 2]},
            "nbf": 1_000_100,
            "iat": 999_000,
            "exp": 999_100,
        })
    );
    let jws = parse(&issuer.token().audience("x").remove_claim("exp").sign());
    assert_eq!(jws.payload["aud"], "x");
    assert!(jws.payload.get("exp").is_none());
    let jws = parse(&issuer.token().expires_at(UnixTime::from_secs(5)).sign());
    assert_eq!(jws.payload["exp"], 5);
    // `claim` applies last and can override a time claim.
    let jws = parse(&issuer.token().claim("exp", "soon").sign());
    assert_eq!(jws.payload["exp"], "soon");
    assert_eq!(issuer.token().sub("s").claims()["sub"], "s");
}

#[tokio::test]
async fn expired_tokens_are_in_the_past() {
    let clock = TestClock::new(UnixTime::from_secs(50_000));
    let issuer = TestIssuer::builder().clock(clock).start().await;
    let jws = parse(&issuer.token().expired().sign());
    assert_eq!(jws.payload["exp"], 50_000 - 3_600);
    assert_eq!(jws.payload["iat"], 50_000 - 7_200);
    let jws = parse(
        &issuer
            .token()
            .expired()
            .issued_at(UnixTime::from_secs(1))
            .sign(),
    );
    assert_eq!(jws.payload["iat"], 1);
    assert!(jws.payload["exp"].as_u64() < Some(50_000));
}

#[tokio::test]
async fn header_edits() {
    let issuer = TestIssuer::start().await;
    let jwk = issuer.public_jwk(&issuer.default_kid()).unwrap();
    let token = issuer
        .token()
        .header("typ", "at+jwt")
        .header("crit", json!(["exp"]))
        .header("jku", "https://evil.example.com/jwks")
        .sign();
    let jws = parse(&token);
    assert_eq!(jws.header["typ"], "at+jwt");
    assert_eq!(jws.header["crit"], json!(["exp"]));
    assert_eq!(jws.header["jku"], "https://evil.example.com/jwks");
    assert!(verify_jws(&token, &jwk));

    let jws = parse(
        &issuer
            .token()
            .remove_header("kid")
            .remove_header("typ")
            .sign(),
    );
    assert_eq!(jws.header, json!({"alg": "RS256"}));

    // A header `alg` that lies: the signature is still RS256.
    let token = issuer.token().header("alg", "PS256").sign();
    assert_eq!(parse(&token).header["alg"], "PS256");
    assert!(!verify_jws(&token, &jwk));
    let jws = parse(&token);
    assert!(crate::support::verify(
        &jwk,
        "RS256",
        jws.signing_input.as_bytes(),
        &jws.signature
    ));
}

#[tokio::test]
async fn signing_with_other_keys() {
    let issuer = TestIssuer::start().await;
    let default = issuer.default_kid();
    let hidden = issuer.add_unpublished_key(Algorithm::ES256);
    let token = issuer.token().key(hidden.clone()).sign();
    assert_eq!(parse(&token).header["kid"], hidden.as_str());
    assert_eq!(parse(&token).header["alg"], "ES256");
    assert!(verify_jws(&token, &issuer.public_jwk(&hidden).unwrap()));
    let (_, jwks) = get_json(&issuer.jwks_uri()).await;
    assert!(find_kid(&jwks, &hidden).is_none());

    // An RSA key generated for RS256 signs PS512 when asked.
    let token = issuer
        .token()
        .key(default.clone())
        .alg(Algorithm::PS512)
        .sign();
    assert_eq!(parse(&token).header["alg"], "PS512");
    assert!(verify_jws(&token, &issuer.public_jwk(&default).unwrap()));

    // `.alg` alone generates an unpublished key for that alg once, then reuses it.
    let eddsa = parse(&issuer.token().alg(Algorithm::EdDSA).sign());
    let kid = eddsa.header["kid"].as_str().unwrap().to_owned();
    assert_eq!(
        parse(&issuer.token().alg(Algorithm::EdDSA).sign()).header["kid"],
        kid.as_str()
    );
    let (_, jwks) = get_json(&issuer.jwks_uri()).await;
    assert!(find_kid(&jwks, &kid).is_none());
    issuer.publish(&kid);
    let (_, jwks) = get_json(&issuer.jwks_uri()).await;
    assert!(find_kid(&jwks, &kid).is_some());

    // Rotation: new tokens use the new key; the old key stays published.
    let rotated = issuer.rotate(Algorithm::PS256);
    let token = issuer.token().sign();
    assert_eq!(parse(&token).header["kid"], rotated.as_str());
    let (_, jwks) = get_json(&issuer.jwks_uri()).await;
    assert!(verify_jws(&token, find_kid(&jwks, &rotated).unwrap()));
    assert!(find_kid(&jwks, &default).is_some());
}

#[tokio::test]
async fn unknown_kid_or_incompatible_alg_panics_with_a_message() {
    let issuer = TestIssuer::start().await;
    let unknown = issuer.token().key("missing");
    let panic = std::panic::catch_unwind(|| unknown.sign()).unwrap_err();
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("\"missing\""), "{message}");

    let incompatible = issuer
        .token()
        .key(issuer.default_kid())
        .alg(Algorithm::ES256);
    let panic = std::panic::catch_unwind(|| incompatible.sign()).unwrap_err();
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("cannot sign ES256"), "{message}");

    // Unsigned and HS256 tokens only name the kid.
    let jws = parse(&issuer.token().key("missing").unsigned());
    assert_eq!(jws.header["kid"], "missing");
}

#[tokio::test]
async fn unsigned_tokens() {
    let issuer = TestIssuer::start().await;
    let token = issuer.token().unsigned();
    assert!(token.ends_with('.'));
    let jws = parse(&token);
    assert_eq!(jws.header["alg"], "none");
    assert!(jws.signature.is_empty());
    assert_eq!(jws.payload["iss"], issuer.issuer());
}

#[tokio::test]
async fn hs256_with_the_rsa_public_key_as_secret() {
    let issuer = TestIssuer::start().await;
    let kid = issuer.default_kid();
    let der = issuer.rsa_public_key_der(&kid).unwrap();
    assert_eq!(der[0], 0x30);
    let token = issuer.token().sign_hs256(&der);
    let jws = parse(&token);
    assert_eq!(jws.header["alg"], "HS256");
    assert_eq!(jws.header["kid"], kid.as_str());
    let key = hmac::Key::new(hmac::HMAC_SHA256, &der);
    assert!(hmac::verify(&key, jws.signing_input.as_bytes(), &jws.signature).is_ok());
    let wrong = hmac::Key::new(hmac::HMAC_SHA256, b"other");
    assert!(hmac::verify(&wrong, jws.signing_input.as_bytes(), &jws.signature).is_err());
    // The RSA key itself does not verify it.
    assert!(!verify_jws(&token, &issuer.public_jwk(&kid).unwrap()));

    let pem = issuer.rsa_public_key_pem(&kid).unwrap();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    assert!(pem.ends_with("-----END PUBLIC KEY-----\n"));
    assert!(pem.lines().all(|l| l.len() <= 64));

    let ec = issuer.add_key(Algorithm::ES256);
    assert_eq!(issuer.rsa_public_key_der(&ec), None);
    assert_eq!(issuer.rsa_public_key_der("missing"), None);
}

#[tokio::test]
async fn raw_payloads_are_signed_byte_for_byte() {
    let issuer = TestIssuer::start().await;
    let payload = br#"{"sub":"a","sub":"b"} trailing"#;
    let token = issuer.token().sign_raw_payload(payload);
    let jws = parse(&token);
    assert_eq!(jws.payload_bytes, payload);
    assert_eq!(jws.payload, Value::Null);
    assert!(verify_jws(
        &token,
        &issuer.public_jwk(&issuer.default_kid()).unwrap()
    ));
}

#[tokio::test]
async fn bound_tokens_carry_the_key_thumbprint() {
    let issuer = TestIssuer::start().await;
    let key = DpopKey::generate(Algorithm::ES256);
    let jws = parse(&issuer.token().bound_to(&key).sign());
    assert_eq!(jws.payload["cnf"], json!({"jkt": key.thumbprint()}));
    assert_eq!(key.thumbprint(), jwk_thumbprint(&key.public_jwk()).unwrap());
    let jws = parse(&issuer.token().bound_to_jkt("abc").sign());
    assert_eq!(jws.payload["cnf"]["jkt"], "abc");
}
