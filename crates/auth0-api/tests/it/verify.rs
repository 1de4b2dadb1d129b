//! Every access-token rule of SPEC §3, each rejection with a test that proves it rejects.

use std::time::Duration;

use auth0_api::{Algorithm, ErrorKind, Requirements, Scheme};
use auth0_api_testing::TestIssuer;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue, Method};
use serde::Deserialize;
use serde_json::json;

use crate::common::{bearer, builder, check, verifier};

/// Every algorithm the verifier supports, `Ed25519` (RFC 9864) included.
const ALL_ALGS: [Algorithm; 11] = Algorithm::ALL;

#[tokio::test]
async fn accepts_a_valid_token_for_every_algorithm() {
    let issuer = TestIssuer::start().await;
    let auth0 = verifier(&issuer);
    let kids: Vec<String> = ALL_ALGS.iter().map(|alg| issuer.add_key(*alg)).collect();
    for (alg, kid) in ALL_ALGS.into_iter().zip(kids) {
        let token = issuer.token().key(&kid).sub(format!("user-{alg:?}")).sign();
        let claims = check(&auth0, &token).await;
        assert_eq!(
            claims.as_ref().ok().and_then(|c| c.sub()),
            Some(format!("user-{alg:?}").as_str()),
            "{alg:?}: {claims:?}"
        );
    }
}

#[tokio::test]
async fn eddsa_is_also_accepted_under_the_name_ed25519() {
    let issuer = TestIssuer::start().await;
    let kid = issuer.add_key(Algorithm::EdDSA);
    let token = issuer.token().key(&kid).header("alg", "Ed25519").sign();
    assert!(check(&verifier(&issuer), &token).await.is_ok());
    let only_eddsa = builder(&issuer)
        .algorithms([Algorithm::EdDSA])
        .build()
        .unwrap();
    assert_eq!(
        check(&only_eddsa, &token).await.err(),
        Some(ErrorKind::UnsupportedAlgorithm)
    );
}

#[tokio::test]
async fn refuses_alg_none() {
    let issuer = TestIssuer::start().await;
    let token = issuer.token().unsigned();
    assert!(token.ends_with('.'));
    // "h.p." has an empty signature segment: refused before anything else.
    let kind = verifier(&issuer)
        .verify_access_token(&token)
        .await
        .err()
        .map(|e| e.kind());
    assert!(
        matches!(
            kind,
            Some(ErrorKind::UnsupportedAlgorithm | ErrorKind::MalformedToken)
        ),
        "{kind:?}"
    );
    // With a non-empty signature the alg check itself refuses it.
    let with_sig = format!("{token}AAAA");
    assert_eq!(
        verifier(&issuer)
            .verify_access_token(&with_sig)
            .await
            .err()
            .map(|e| e.kind()),
        Some(ErrorKind::UnsupportedAlgorithm)
    );
}

#[tokio::test]
async fn refuses_hs256_signed_with_the_rsa_public_key() {
    let issuer = TestIssuer::start().await;
    let auth0 = verifier(&issuer);
    let kid = issuer.default_kid();
    let der = issuer.rsa_public_key_der(&kid).unwrap();
    let pem = issuer.rsa_public_key_pem(&kid).unwrap();
    let jwk = issuer.public_jwk(&kid).unwrap().to_string();
    for secret in [der, pem.into_bytes(), jwk.into_bytes()] {
        let token = issuer.token().sign_hs256(&secret);
        assert_eq!(
            check(&auth0, &token).await.err(),
            Some(ErrorKind::UnsupportedAlgorithm)
        );
    }
    // Even with HS256 explicitly "allowed" there is no such algorithm here.
    assert!("HS256".parse::<Algorithm>().is_err());
}

#[tokio::test]
async fn refuses_a_tampered_payload() {
    let issuer = TestIssuer::start().await;
    let token = issuer.token().sub("alice").sign();
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let payload = URL_SAFE_NO_PAD.decode(&parts[1]).unwrap();
    let tampered = String::from_utf8(payload)
        .unwrap()
        .replace("alice", "admin");
    parts[1] = URL_SAFE_NO_PAD.encode(tampered);
    let forged = parts.join(".");
    assert_eq!(
        check(&verifier(&issuer), &forged).await.err(),
        Some(ErrorKind::InvalidSignature)
    );
    // And a flipped signature bit.
    let mut sig = URL_SAFE_NO_PAD
        .decode(token.rsplit('.').next().unwrap())
        .unwrap();
    sig[10] ^= 1;
    let (head, _) = token.rsplit_once('.').unwrap();
    let bad_sig = format!("{head}.{}", URL_SAFE_NO_PAD.encode(sig));
    assert_eq!(
        check(&verifier(&issuer), &bad_sig).await.err(),
        Some(ErrorKind::InvalidSignature)
    );
}

#[tokio::test]
async fn refuses_an_unknown_kid() {
    let issuer = TestIssuer::start().await;
    let hidden = issuer.add_unpublished_key(Algorithm::RS256);
    let token = issuer.token().key(&hidden).sign();
    assert_eq!(
        check(&verifier(&issuer), &token).await.err(),
        Some(ErrorKind::UnknownKey)
    );
}

#[tokio::test]
async fn refuses_a_kid_whose_key_has_another_type() {
    let issuer = TestIssuer::start().await;
    let rsa_kid = issuer.default_kid();
    let ec_kid = issuer.add_key(Algorithm::ES256);
    // Signed with the EC key, but naming the RSA key.
    let token = issuer
        .token()
        .key(&ec_kid)
        .header("kid", rsa_kid.as_str())
        .sign();
    assert_eq!(
        check(&verifier(&issuer), &token).await.err(),
        Some(ErrorKind::KeyMismatch)
    );
    // An RSA key published for RS256 does not verify PS256 tokens.
    let ps = issuer.token().key(&rsa_kid).alg(Algorithm::PS256).sign();
    assert_eq!(
        check(&verifier(&issuer), &ps).await.err(),
        Some(ErrorKind::KeyMismatch)
    );
}

#[tokio::test]
async fn refuses_expired_and_not_yet_valid_tokens_with_leeway() {
    let issuer = TestIssuer::start().await;
    let auth0 = verifier(&issuer);
    let now = issuer.clock().now();
    assert_eq!(
        check(&auth0, &issuer.token().expired().sign()).await.err(),
        Some(ErrorKind::Expired)
    );
    let just_expired = issuer
        .token()
        .expires_at(now.saturating_sub(Duration::from_secs(5)))
        .sign();
    assert_eq!(
        check(&auth0, &just_expired).await.err(),
        Some(ErrorKind::Expired)
    );
    let at_exp = issuer.token().expires_at(now).sign();
    assert_eq!(
        check(&auth0, &at_exp).await.err(),
        Some(ErrorKind::Expired),
        "exp is exclusive"
    );
    let future = issuer
        .token()
        .not_before(now.saturating_add(Duration::from_secs(60)))
        .sign();
    assert_eq!(
        check(&auth0, &future).await.err(),
        Some(ErrorKind::NotYetValid)
    );

    let lenient = builder(&issuer)
        .leeway(Duration::from_secs(10))
        .build()
        .unwrap();
    assert!(check(&lenient, &just_expired).await.is_ok());
    let soon = issuer
        .token()
        .not_before(now.saturating_add(Duration::from_secs(8)))
        .sign();
    assert!(check(&lenient, &soon).await.is_ok());
    assert_eq!(
        check(&lenient, &future).await.err(),
        Some(ErrorKind::NotYetValid)
    );
}

#[tokio::test]
async fn a_token_expires_while_cached() {
    let issuer = TestIssuer::start().await;
    let auth0 = verifier(&issuer);
    let token = issuer.token().expires_in(Duration::from_secs(60)).sign();
    for _ in 0..4 {
        // Cached on the second sighting, found among the most recent hits on the fourth.
        assert!(check(&auth0, &token).await.is_ok());
    }
    issuer.clock().advance(Duration::from_secs(61));
    assert_eq!(check(&auth0, &token).await.err(), Some(ErrorKind::Expired));
}

#[tokio::test]
async fn refuses_wrong_issuer_and_audience() {
    let issuer = TestIssuer::start().await;
    let auth0 = verifier(&issuer);
    let other = issuer.token().issuer("https://evil.example.com/").sign();
    assert_eq!(
        check(&auth0, &other).await.err(),
        Some(ErrorKind::InvalidIssuer)
    );
    let no_slash = issuer
        .token()
        .issuer(issuer.issuer().trim_end_matches('/'))
        .sign();
    assert_eq!(
        check(&auth0, &no_slash).await.err(),
        Some(ErrorKind::InvalidIssuer)
    );
    let numeric = issuer.token().claim("iss", 5).sign();
    assert_eq!(
        check(&auth0, &numeric).await.err(),
        Some(ErrorKind::InvalidIssuer)
    );
    let wrong = issuer.token().audience("https://other.example.com").sign();
    assert_eq!(
        check(&auth0, &wrong).await.err(),
        Some(ErrorKind::InvalidAudience)
    );
    let arr = issuer.token().audiences(["x", "y"]).sign();
    assert_eq!(
        check(&auth0, &arr).await.err(),
        Some(ErrorKind::InvalidAudience)
    );
    let weird = issuer.token().claim("aud", json!({"a": 1})).sign();
    assert_eq!(
        check(&auth0, &weird).await.err(),
        Some(ErrorKind::InvalidAudience)
    );
}

#[tokio::test]
async fn accepts_any_configured_audience_in_string_or_array() {
    let issuer = TestIssuer::start().await;
    let auth0 = builder(&issuer)
        .audience("https://second.example.com")
        .build()
        .unwrap();
    let arr = issuer
        .token()
        .audiences(["x", "https://second.example.com"])
        .sign();
    assert!(check(&auth0, &arr).await.is_ok());
    let single = issuer.token().audience("https://second.example.com").sign();
    assert!(check(&auth0, &single).await.is_ok());
}

#[tokio::test]
async fn refuses_missing_required_claims() {
    let issuer = TestIssuer::start().await;
    let auth0 = verifier(&issuer);
    for claim in ["iat", "exp", "aud", "iss"] {
        let token = issuer.token().remove_claim(claim).sign();
        assert_eq!(
            check(&auth0, &token).await.err(),
            Some(ErrorKind::MissingClaim),
            "{claim}"
        );
    }
    let needs_org = builder(&issuer)
        .required_claims(["org_id"])
        .build()
        .unwrap();
    assert_eq!(
        check(&needs_org, &issuer.token().sign()).await.err(),
        Some(ErrorKind::MissingClaim)
    );
    assert!(
        check(&needs_org, &issuer.token().claim("org_id", "o1").sign())
            .await
            .is_ok()
    );
    let null_iat = issuer.token().claim("iat", serde_json::Value::Null).sign();
    assert_eq!(
        check(&auth0, &null_iat).await.err(),
        Some(ErrorKind::MissingClaim)
    );
    let text_exp = issuer.token().claim("exp", "tomorrow").sign();
    assert_eq!(
        check(&auth0, &text_exp).await.err(),
        Some(ErrorKind::InvalidClaim)
    );
}

#[tokio::test]
async fn refuses_dpop_proof_typ_and_accepts_access_token_types() {
    let issuer = TestIssuer::start().await;
    let auth0 = verifier(&issuer);
    let proof_typ = issuer.token().header("typ", "dpop+jwt").sign();
    assert_eq!(
        check(&auth0, &proof_typ).await.err(),
        Some(ErrorKind::InvalidTokenType)
    );
    let odd = issuer.token().header("typ", "id_token+jwt").sign();
    assert_eq!(
        check(&auth0, &odd).await.err(),
        Some(ErrorKind::InvalidTokenType)
    );
    let numeric = issuer.token().header("typ", 1).sign();
    assert_eq!(
        check(&auth0, &numeric).await.err(),
        Some(ErrorKind::InvalidTokenType)
    );
    for typ in ["JWT", "at+jwt", "application/at+jwt", "AT+JWT"] {
        let t = issuer.token().header("typ", typ).sign();
        assert!(check(&auth0, &t).await.is_ok(), "{typ}");
    }
    assert!(
        check(&auth0, &issuer.token().remove_header("typ").sign())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn refuses_unknown_crit() {
    let issuer = TestIssuer::start().await;
    let token = issuer
        .token()
        .header("crit", json!(["exp"]))
        .header("exp", 1)
        .sign();
    assert_eq!(
        check(&verifier(&issuer), &token).await.err(),
        Some(ErrorKind::UnsupportedCriticalHeader)
    );
}

#[tokio::test]
async fn ignores_jku_x5u_and_jwk_headers_for_key_selection() {
    let issuer = TestIssuer::start().await;
    let attacker = TestIssuer::start().await;
    // A token signed by another issuer's key, pointing at that issuer's keys.
    let forged = attacker
        .token()
        .issuer(issuer.issuer())
        .header("jku", attacker.jwks_uri())
        .header("x5u", attacker.jwks_uri())
        .header("jwk", attacker.public_jwk(&attacker.default_kid()).unwrap())
        .sign();
    let kind = check(&verifier(&issuer), &forged).await.err();
    assert!(
        matches!(
            kind,
            Some(ErrorKind::UnknownKey | ErrorKind::InvalidSignature)
        ),
        "{kind:?}"
    );
    assert_eq!(attacker.requests(auth0_api_testing::Endpoint::Jwks), 0);
}

#[tokio::test]
async fn refuses_oversized_tokens() {
    let issuer = TestIssuer::start().await;
    let auth0 = verifier(&issuer);
    let huge = issuer.token().claim("pad", "x".repeat(20 * 1024)).sign();
    assert_eq!(
        check(&auth0, &huge).await.err(),
        Some(ErrorKind::TokenTooLarge)
    );
    assert_eq!(
        auth0
            .verify_access_token(&huge)
            .await
            .err()
            .map(|e| e.kind()),
        Some(ErrorKind::TokenTooLarge)
    );
    let small_cap = builder(&issuer).max_token_size(512).build().unwrap();
    let normal = issuer.token().sign();
    assert!(normal.len() > 512);
    assert_eq!(
        check(&small_cap, &normal).await.err(),
        Some(ErrorKind::TokenTooLarge)
    );
}

/// What an `Authorization` value `<scheme> <token>` is refused with on its own, from the
/// grammar (RFC 9110 field values, RFC 7235 token68): `None` when it is well formed.
fn header_error(token: &[u8], scheme: Scheme) -> Option<(ErrorKind, Option<Scheme>)> {
    let visible = |b: u8| b == b'\t' || (0x20..0x7f).contains(&b);
    if !token.iter().all(|&b| visible(b)) {
        return Some((ErrorKind::MalformedAuthorization, None));
    }
    let token: &[u8] = {
        let start = token.iter().position(|&b| b != b' ').unwrap_or(token.len());
        &token[start..]
    };
    let body_end = token.iter().rposition(|&b| b != b'=').map_or(0, |i| i + 1);
    let token68 = |b: &u8| b.is_ascii_alphanumeric() || b"-._~+/".contains(b);
    (body_end == 0 || !token[..body_end].iter().all(token68))
        .then_some((ErrorKind::MalformedAuthorization, Some(scheme)))
}

/// Every byte a header value may hold, put at positions in each part of a valid token (a
/// fresh one, and one cached and among the recent hits): a value outside the
/// `Authorization` grammar is refused with the header's own error (and scheme), before
/// anything about the token, the proof or the mode is reported, exactly as when the
/// header is checked on its own first; any other value gets the token's error.
#[tokio::test]
async fn an_authorization_value_outside_the_grammar_is_refused_first_whatever_follows() {
    use auth0_api::DpopMode;
    use auth0_api_testing::DpopKey;

    let issuer = TestIssuer::start().await;
    let allowed = verifier(&issuer);
    let required = builder(&issuer).dpop(DpopMode::Required).build().unwrap();
    let key = DpopKey::generate(Algorithm::ES256);
    let cached = issuer.token().sign();
    for _ in 0..3 {
        check(&allowed, &cached).await.unwrap();
    }
    let fresh = issuer.token().sign();
    let bound = issuer.token().bound_to(&key).sign();
    let url = "https://api.example.com/data";
    for token in [&cached, &fresh, &bound] {
        let (h, rest) = token.split_once('.').unwrap();
        let p = rest.split_once('.').unwrap().0.len();
        let at = [
            0,
            h.len() / 2,
            h.len(),
            h.len() + 1 + p / 2,
            h.len() + 1 + p,
            token.len() - 1,
        ];
        for pos in at {
            for b in (0..=255u8).filter(|&b| b == b'\t' || b >= 0x20) {
                let mut bytes = token.as_bytes().to_vec();
                bytes[pos] = b;
                // Bearer (with a stray proof: refused for it unless the header is bad),
                // Bearer where DPoP is required, and DPoP with a proof of the right key.
                let cases = [
                    (Scheme::Bearer, &allowed, true),
                    (Scheme::Bearer, &required, false),
                    (Scheme::Dpop, &allowed, true),
                ];
                for (scheme, auth0, with_proof) in cases {
                    let name = if scheme == Scheme::Bearer {
                        "Bearer"
                    } else {
                        "DPoP"
                    };
                    let mut value = format!("{name} ").into_bytes();
                    value.extend(&bytes);
                    let Ok(value) = HeaderValue::from_bytes(&value) else {
                        continue;
                    };
                    let mut headers = HeaderMap::new();
                    headers.insert(AUTHORIZATION, value);
                    if with_proof {
                        let proof = key.proof("GET", url).access_token(token).sign();
                        headers.insert("dpop", HeaderValue::from_str(&proof).unwrap());
                    }
                    let got = auth0
                        .verify_request(&Method::GET, url, &headers)
                        .await
                        .map_err(|e| (e.kind(), e.scheme()));
                    let case = format!("{name}, byte {b:#04x} at {pos} of {token}");
                    match header_error(&bytes, scheme) {
                        Some(want) => assert_eq!(got.err(), Some(want), "{case}"),
                        None => assert!(
                            got.is_err_and(|(k, _)| k != ErrorKind::MalformedAuthorization)
                                || bytes == token.as_bytes(),
                            "{case}"
                        ),
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn refuses_non_base64url_characters() {
    let issuer = TestIssuer::start().await;
    let auth0 = verifier(&issuer);
    let token = issuer.token().sign();
    // token68 allows '+' and '/', base64url does not.
    for bad in [
        token.replacen('e', "+", 1),
        token.replacen('e', "/", 1),
        format!("{token}=="),
    ] {
        assert_eq!(
            check(&auth0, &bad).await.err(),
            Some(ErrorKind::MalformedToken),
            "{bad}"
        );
    }
    // Characters outside token68 never reach the JWS parser.
    let star = token.replacen('e', "*", 1);
    assert_eq!(
        check(&auth0, &star).await.err(),
        Some(ErrorKind::MalformedAuthorization)
    );
    assert_eq!(
        auth0
            .verify_access_token(&star)
            .await
            .err()
            .map(|e| e.kind()),
        Some(ErrorKind::MalformedToken)
    );
    for junk in ["a.b", "a.b.c.d", "..", "abc", "eyJ.eyJ.sig"] {
        assert_eq!(
            check(&auth0, junk).await.err(),
            Some(ErrorKind::MalformedToken),
            "{junk}"
        );
    }
}

#[tokio::test]
async fn refuses_duplicate_members_and_trailing_json_garbage() {
    let issuer = TestIssuer::start().await;
    let auth0 = verifier(&issuer);
    let base = issuer.token().claims();
    let iss = base["iss"].as_str().unwrap();
    let aud = base["aud"].as_str().unwrap();
    let exp = base["exp"].as_u64().unwrap();
    let iat = base["iat"].as_u64().unwrap();
    let body = format!(r#""iss":"{iss}","aud":"{aud}","exp":{exp},"iat":{iat}"#);
    let valid = format!(r#"{{{body},"sub":"a"}}"#);
    assert!(
        check(&auth0, &issuer.token().sign_raw_payload(valid.as_bytes()))
            .await
            .is_ok()
    );
    let cases = [
        format!(r#"{{{body},"sub":"a","sub":"admin"}}"#),
        format!(r#"{{{body},"sub":"a","x":{{"k":1,"k":2}}}}"#),
        format!(r#"{{{body},"sub":"a"}}garbage"#),
        format!(r#"{{{body},"sub":"a"}}{{}}"#),
        format!(r#"[{{{body}}}]"#),
        format!(r#"{{{body},"sub":"a""#),
    ];
    for payload in cases {
        let token = issuer.token().sign_raw_payload(payload.as_bytes());
        assert_eq!(
            check(&auth0, &token).await.err(),
            Some(ErrorKind::MalformedToken),
            "{payload}"
        );
    }
}

#[tokio::test]
async fn weak_and_mismatched_jwks_entries_are_skipped() {
    let issuer = TestIssuer::start().await;
    let auth0 = verifier(&issuer);
    // A 1024-bit RSA modulus: never loaded, so its kid is unknown.
    let mut n = vec![0xC3u8; 128];
    n[127] |= 1;
    issuer.publish_raw_jwk(
        json!({"kty":"RSA","kid":"weak","use":"sig","n":URL_SAFE_NO_PAD.encode(&n),"e":"AQAB"}),
    );
    issuer.publish_raw_jwk(json!({"kty":"oct","kid":"sym","k":"c2VjcmV0"}));
    let weak = issuer.token().header("kid", "weak").sign();
    assert_eq!(
        check(&auth0, &weak).await.err(),
        Some(ErrorKind::UnknownKey)
    );
    let sym = issuer.token().header("kid", "sym").sign();
    assert_eq!(check(&auth0, &sym).await.err(), Some(ErrorKind::UnknownKey));
    // The good key in the same set still works.
    assert!(check(&auth0, &issuer.token().sign()).await.is_ok());
}

#[tokio::test]
async fn a_token_without_kid_uses_the_only_fitting_key() {
    let issuer = TestIssuer::start().await;
    let auth0 = verifier(&issuer);
    let no_kid = issuer.token().remove_header("kid").sign();
    assert!(check(&auth0, &no_kid).await.is_ok());
    // With two RSA keys, a token without kid is ambiguous.
    let issuer2 = TestIssuer::start().await;
    issuer2.add_key(Algorithm::RS256);
    let ambiguous = issuer2.token().remove_header("kid").sign();
    assert_eq!(
        check(&verifier(&issuer2), &ambiguous).await.err(),
        Some(ErrorKind::UnknownKey)
    );
}

#[tokio::test]
async fn claims_are_typed_and_deserializable() {
    #[derive(Deserialize)]
    struct Mine {
        sub: String,
        org_id: String,
        roles: Vec<String>,
    }
    let issuer = TestIssuer::start().await;
    let token = issuer
        .token()
        .sub("auth0|42")
        .scope("read:data write:data")
        .permissions(["admin"])
        .claim("org_id", "org_7")
        .claim("roles", json!(["a", "b"]))
        .sign();
    let claims = check(&verifier(&issuer), &token).await.unwrap();
    assert_eq!(claims.sub(), Some("auth0|42"));
    assert_eq!(claims.iss(), issuer.issuer());
    assert_eq!(
        claims.scopes().collect::<Vec<_>>(),
        ["read:data", "write:data"]
    );
    assert_eq!(claims.permissions().collect::<Vec<_>>(), ["admin"]);
    assert_eq!(claims.get::<String>("org_id").as_deref(), Some("org_7"));
    assert_eq!(
        claims.get::<Vec<String>>("roles"),
        Some(vec!["a".into(), "b".into()])
    );
    let mine: Mine = claims.deserialize().unwrap();
    assert_eq!(
        (mine.sub.as_str(), mine.org_id.as_str(), mine.roles.len()),
        ("auth0|42", "org_7", 2)
    );
    assert!(
        Requirements::new()
            .scopes(["read:data"])
            .unwrap()
            .permissions(["admin"])
            .unwrap()
            .check(&claims)
            .is_ok()
    );
    let err = Requirements::new()
        .any_scope(["delete:data", "admin:data"])
        .unwrap()
        .check(&claims)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InsufficientScope);
    assert_eq!(err.status(), http::StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_dpop_bound_token_is_never_accepted_as_bearer() {
    let issuer = TestIssuer::start().await;
    let token = issuer
        .token()
        .bound_to_jkt("cn-I_WNMClehiVp51i_0VpOENW1upEerA8sEam5hn-s")
        .sign();
    for mode in [auth0_api::DpopMode::Disabled, auth0_api::DpopMode::Allowed] {
        let auth0 = builder(&issuer).dpop(mode).build().unwrap();
        assert_eq!(
            check(&auth0, &token).await.err(),
            Some(ErrorKind::BoundTokenAsBearer),
            "{mode:?}"
        );
    }
    let required = builder(&issuer)
        .dpop(auth0_api::DpopMode::Required)
        .build()
        .unwrap();
    assert_eq!(
        check(&required, &token).await.err(),
        Some(ErrorKind::UnsupportedScheme)
    );
    // The token-only entry refuses a bound token: no proof shows possession of the key.
    assert_eq!(
        verifier(&issuer)
            .verify_access_token(&token)
            .await
            .err()
            .map(|e| e.kind()),
        Some(ErrorKind::BoundTokenAsBearer)
    );
    // Unless the caller says it proves possession another way.
    let claims = verifier(&issuer)
        .verify_access_token_ignoring_dpop_binding(&token)
        .await
        .unwrap();
    assert_eq!(
        claims.jkt().map(auth0_api::Jkt::as_str),
        Some("cn-I_WNMClehiVp51i_0VpOENW1upEerA8sEam5hn-s")
    );
}

#[tokio::test]
async fn request_level_header_rules() {
    let issuer = TestIssuer::start().await;
    let auth0 = verifier(&issuer);
    let token = issuer.token().sign();
    let run = |h: http::HeaderMap| {
        let auth0 = auth0.clone();
        async move {
            auth0
                .verify_request(&Method::GET, "https://api.example.com/", &h)
                .await
                .map_err(|e| e.kind())
        }
    };
    assert_eq!(
        run(http::HeaderMap::new()).await.err(),
        Some(ErrorKind::MissingCredentials)
    );
    let mut two = bearer(&token);
    two.append(
        http::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    assert_eq!(
        run(two).await.err(),
        Some(ErrorKind::MultipleAuthorizationHeaders)
    );
    let mut lower = http::HeaderMap::new();
    lower.insert(
        http::header::AUTHORIZATION,
        format!("bEaReR {token}").parse().unwrap(),
    );
    assert!(run(lower).await.is_ok());
    let mut with_proof = bearer(&token);
    with_proof.insert("dpop", "x.y.z".parse().unwrap());
    assert_eq!(
        run(with_proof).await.err(),
        Some(ErrorKind::DpopProofWithBearer)
    );
}
