//! DPoP requests end to end through the router: proofs made for the URL the request URL
//! logic produces, the binding, replay, and one verification per request.

use auth0_api_testing::{Algorithm, DpopKey};
use auth0_axum_api::DpopMode;
use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn dpop_request_succeeds_in_allowed_and_required_modes() {
    for mode in [DpopMode::Allowed, DpopMode::Required] {
        let c = ctx(mode).await;
        let app = app(&c.auth0);
        let key = DpopKey::generate(Algorithm::ES256);
        let token = c
            .issuer
            .token()
            .sub("dpop-user")
            .scope("read:data")
            .bound_to(&key)
            .sign();
        for path in [
            "/protected",
            "/protected-api",
            "/read-data",
            "/layer-and-claims",
        ] {
            let proof = key
                .proof("GET", &format!("http://localhost{path}"))
                .clock(&c.issuer.clock())
                .access_token(&token)
                .sign();
            let r = fetch(
                &app,
                &format!("{path}?q=1"),
                &[("authorization", &dpop(&token)), ("dpop", &proof)],
            )
            .await;
            assert_eq!(r.status, StatusCode::OK, "{mode:?} {path}: {}", r.body);
        }
    }
}

#[tokio::test]
async fn layer_and_extractor_verify_a_proof_once() {
    // If the extractor verified again, the proof's jti would be seen twice: 401 replay.
    let c = ctx(DpopMode::Allowed).await;
    let app = app(&c.auth0);
    let key = DpopKey::generate(Algorithm::ES256);
    let token = c
        .issuer
        .token()
        .sub("u")
        .scope("read:data")
        .bound_to(&key)
        .sign();
    let proof = key
        .proof("GET", "http://localhost/layer-and-claims")
        .clock(&c.issuer.clock())
        .access_token(&token)
        .sign();
    let h = [("authorization", dpop(&token)), ("dpop", proof)];
    let h: Vec<(&str, &str)> = h.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let r = fetch(&app, "/layer-and-claims", &h).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json(), json!({ "message": "Hello, u" }));

    // The same proof again is a replay.
    let r = fetch(&app, "/layer-and-claims", &h).await;
    let d = "DPoP proof replayed";
    r.assert_error(
        401,
        Some(&challenge(
            DpopMode::Allowed,
            Some("DPoP"),
            &params("invalid_dpop_proof", d),
        )),
        "invalid_dpop_proof",
        d,
    );
}

#[tokio::test]
async fn proof_for_another_request_is_refused() {
    let c = ctx(DpopMode::Required).await;
    let app = app(&c.auth0);
    let key = DpopKey::generate(Algorithm::ES256);
    let other = DpopKey::generate(Algorithm::ES256);
    let token = c.issuer.token().scope("read:data").bound_to(&key).sign();
    let clock = c.issuer.clock();
    let proof = |method: &str, url: &str| key.proof(method, url).clock(&clock).access_token(&token);
    let cases: Vec<(String, &str)> = vec![
        (
            proof("GET", "http://localhost/other").sign(),
            "DPoP proof htu mismatch",
        ),
        (
            proof("GET", "https://localhost/protected").sign(),
            "DPoP proof htu mismatch",
        ),
        (
            proof("GET", "http://evil.example/protected").sign(),
            "DPoP proof htu mismatch",
        ),
        (
            proof("POST", "http://localhost/protected").sign(),
            "DPoP proof htm mismatch",
        ),
        (
            proof("GET", "http://localhost/protected").ath("x").sign(),
            "DPoP proof ath mismatch",
        ),
        (
            proof("GET", "http://localhost/protected")
                .header("typ", "jwt")
                .sign(),
            "Invalid DPoP proof type",
        ),
        (
            proof("GET", "http://localhost/protected")
                .include_private_key()
                .sign(),
            "Invalid DPoP proof key",
        ),
    ];
    for (p, description) in &cases {
        let r = fetch(
            &app,
            "/protected",
            &[("authorization", &dpop(&token)), ("dpop", p)],
        )
        .await;
        r.assert_error(
            401,
            Some(&challenge(
                DpopMode::Required,
                Some("DPoP"),
                &params("invalid_dpop_proof", description),
            )),
            "invalid_dpop_proof",
            description,
        );
    }
    // A proof by another key than the token is bound to.
    let p = other
        .proof("GET", "http://localhost/protected")
        .clock(&clock)
        .access_token(&token)
        .sign();
    let r = fetch(
        &app,
        "/protected",
        &[("authorization", &dpop(&token)), ("dpop", &p)],
    )
    .await;
    let d = "DPoP key does not match the token binding";
    r.assert_error(
        401,
        Some(&challenge(
            DpopMode::Required,
            Some("DPoP"),
            &params("invalid_token", d),
        )),
        "invalid_token",
        d,
    );
}

#[tokio::test]
async fn insufficient_scope_with_dpop_is_403() {
    let c = ctx(DpopMode::Required).await;
    let app = app(&c.auth0);
    let key = DpopKey::generate(Algorithm::ES256);
    let token = c.issuer.token().scope("other").bound_to(&key).sign();
    let proof = key
        .proof("GET", "http://localhost/read-data")
        .clock(&c.issuer.clock())
        .access_token(&token)
        .sign();
    let r = fetch(
        &app,
        "/read-data",
        &[("authorization", &dpop(&token)), ("dpop", &proof)],
    )
    .await;
    let p = format!(
        r#"{}, scope="read:data""#,
        params("insufficient_scope", "Insufficient scope")
    );
    r.assert_error(
        403,
        Some(&challenge(DpopMode::Required, Some("DPoP"), &p)),
        "insufficient_scope",
        "Insufficient scope",
    );
}

#[tokio::test]
async fn the_method_of_the_request_is_checked() {
    let c = ctx(DpopMode::Allowed).await;
    let app = app(&c.auth0);
    let key = DpopKey::generate(Algorithm::ES256);
    let token = c.issuer.token().bound_to(&key).sign();
    let proof = key
        .proof("GET", "http://localhost/protected")
        .clock(&c.issuer.clock())
        .access_token(&token)
        .sign();
    // HEAD routes to the GET handler, but the proof says GET.
    let r = send(
        &app,
        request(
            Method::HEAD,
            "/protected",
            &[("authorization", &dpop(&token)), ("dpop", &proof)],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn server_nonces_through_the_router() {
    let issuer = auth0_api_testing::TestIssuer::start().await;
    let auth0 = builder(&issuer, DpopMode::Allowed)
        .dpop_nonce(auth0_axum_api::auth0_api::NonceConfig::new([9u8; 32]).expect("secret"))
        .build()
        .expect("verifier");
    let app = app(&auth0);
    let key = DpopKey::generate(Algorithm::ES256);
    let token = issuer.token().sub("n").bound_to(&key).sign();
    let proof = |nonce: Option<&str>| {
        let mut p = key
            .proof("GET", "http://localhost/protected")
            .clock(&issuer.clock())
            .access_token(&token);
        if let Some(n) = nonce {
            p = p.nonce(n);
        }
        p.sign()
    };
    // Without a nonce: 401 use_dpop_nonce, the nonce in DPoP-Nonce.
    let r = fetch(
        &app,
        "/protected",
        &[("authorization", &dpop(&token)), ("dpop", &proof(None))],
    )
    .await;
    let d = "Use the DPoP nonce from the DPoP-Nonce header";
    r.assert_error(
        401,
        Some(&challenge(
            DpopMode::Allowed,
            Some("DPoP"),
            &params("use_dpop_nonce", d),
        )),
        "use_dpop_nonce",
        d,
    );
    let nonce = r.headers["dpop-nonce"].to_str().expect("ascii").to_owned();
    // With it: 200, and the next nonce comes with the success.
    let r = fetch(
        &app,
        "/protected",
        &[
            ("authorization", &dpop(&token)),
            ("dpop", &proof(Some(&nonce))),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let next = r
        .headers
        .get("dpop-nonce")
        .expect("next nonce on success")
        .to_str()
        .expect("ascii")
        .to_owned();
    let r = fetch(
        &app,
        "/protected",
        &[
            ("authorization", &dpop(&token)),
            ("dpop", &proof(Some(&next))),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Bearer responses carry no nonce.
    let plain = issuer.token().sign();
    let r = fetch(&app, "/protected", &[("authorization", &bearer(&plain))]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers.get("dpop-nonce").is_none());
}

#[derive(Debug)]
struct DownStore;

impl auth0_axum_api::auth0_api::ReplayStore for DownStore {
    fn check_and_store<'a>(
        &'a self,
        _key: &'a auth0_axum_api::auth0_api::ReplayKey<'a>,
        _now: auth0_axum_api::auth0_api::UnixTime,
        _expires_at: auth0_axum_api::auth0_api::UnixTime,
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<
                    Output = Result<bool, auth0_axum_api::auth0_api::ReplayStoreError>,
                > + Send
                + 'a,
        >,
    > {
        Box::pin(async {
            Err(auth0_axum_api::auth0_api::ReplayStoreError::new(
                std::io::Error::other("down"),
            ))
        })
    }
}

#[tokio::test]
async fn an_unreachable_replay_store_is_503_without_challenge() {
    let issuer = auth0_api_testing::TestIssuer::start().await;
    let auth0 = builder(&issuer, DpopMode::Required)
        .replay_store(DownStore)
        .build()
        .expect("verifier");
    let key = DpopKey::generate(Algorithm::ES256);
    let token = issuer.token().bound_to(&key).sign();
    let proof = key
        .proof("GET", "http://localhost/protected")
        .clock(&issuer.clock())
        .access_token(&token)
        .sign();
    let r = fetch(
        &app(&auth0),
        "/protected",
        &[("authorization", &dpop(&token)), ("dpop", &proof)],
    )
    .await;
    r.assert_error(
        503,
        None,
        "temporarily_unavailable",
        "Replay protection temporarily unavailable",
    );
    assert!(r.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn insufficient_scope_with_dpop_goes_on_the_dpop_challenge() {
    let c = ctx(DpopMode::Allowed).await;
    let key = DpopKey::generate(Algorithm::ES256);
    let token = c.issuer.token().scope("other").bound_to(&key).sign();
    let proof = key
        .proof("GET", "http://localhost/read-data")
        .clock(&c.issuer.clock())
        .access_token(&token)
        .sign();
    let r = fetch(
        &app(&c.auth0),
        "/read-data",
        &[("authorization", &dpop(&token)), ("dpop", &proof)],
    )
    .await;
    let p = format!(
        "{}, scope=\"read:data\"",
        params("insufficient_scope", "Insufficient scope")
    );
    r.assert_error(
        403,
        Some(&challenge(DpopMode::Allowed, Some("DPoP"), &p)),
        "insufficient_scope",
        "Insufficient scope",
    );
}

/// Every DPoP check of SPEC §5, refused through the router with the exact status,
/// challenge and body, in each mode that accepts DPoP; Disabled answers the bare challenge.
#[tokio::test]
async fn every_proof_check_refuses_through_the_router_in_every_mode() {
    for mode in [DpopMode::Allowed, DpopMode::Required] {
        let c = ctx(mode).await;
        let app = app(&c.auth0);
        let clock = c.issuer.clock();
        let key = DpopKey::generate(Algorithm::ES256);
        let other = DpopKey::generate(Algorithm::ES256);
        let es384 = DpopKey::generate(Algorithm::ES384);
        let token = c.issuer.token().bound_to(&key).sign();
        let wrong_binding = c.issuer.token().bound_to(&other).sign();
        let unbound = c.issuer.token().sign();
        let url = "http://localhost/protected";
        let p = |tok: &str| key.proof("GET", url).clock(&clock).access_token(tok);
        let old = clock
            .now()
            .saturating_sub(std::time::Duration::from_secs(301));
        let proof_err = "invalid_dpop_proof";
        let token_err = "invalid_token";
        let cases: Vec<(&str, Option<String>, &str, &str)> = vec![
            (&token, None, proof_err, "Missing DPoP proof"),
            (
                &token,
                Some(p(&token).claim("pad", "x".repeat(9000)).sign()),
                proof_err,
                "DPoP proof too large",
            ),
            (
                &token,
                Some("a.b.c".into()),
                proof_err,
                "Malformed DPoP proof",
            ),
            (
                &token,
                Some(p(&token).header("typ", "JWT").sign()),
                proof_err,
                "Invalid DPoP proof type",
            ),
            (
                &token,
                Some(p(&token).header("alg", "none").sign()),
                proof_err,
                "Unsupported DPoP proof algorithm",
            ),
            (
                &token,
                Some(
                    es384
                        .proof("GET", url)
                        .clock(&clock)
                        .access_token(&token)
                        .sign(),
                ),
                proof_err,
                "Unsupported DPoP proof algorithm",
            ),
            (
                &token,
                Some(p(&token).include_private_key().sign()),
                proof_err,
                "Invalid DPoP proof key",
            ),
            (
                &token,
                Some(p(&token).remove_header("jwk").sign()),
                proof_err,
                "Invalid DPoP proof key",
            ),
            (
                &token,
                Some(p(&token).sign_with(&other)),
                proof_err,
                "Invalid DPoP proof signature",
            ),
            (
                &token,
                Some(p(&token).remove_claim("jti").sign()),
                proof_err,
                "Invalid DPoP proof jti",
            ),
            (
                &token,
                Some(p(&token).htm("POST").sign()),
                proof_err,
                "DPoP proof htm mismatch",
            ),
            (
                &token,
                Some(p(&token).htu("http://localhost/other").sign()),
                proof_err,
                "DPoP proof htu mismatch",
            ),
            (
                &token,
                Some(p(&token).iat(old).sign()),
                proof_err,
                "DPoP proof iat outside the accepted window",
            ),
            (
                &token,
                Some(p(&token).ath("x").sign()),
                proof_err,
                "DPoP proof ath mismatch",
            ),
            (
                &wrong_binding,
                Some(p(&wrong_binding).sign()),
                token_err,
                "DPoP key does not match the token binding",
            ),
            (
                &unbound,
                Some(p(&unbound).sign()),
                token_err,
                "Token is not DPoP-bound",
            ),
        ];
        for (tok, proof, code, description) in &cases {
            let auth = dpop(tok);
            let mut headers = vec![("authorization", auth.as_str())];
            if let Some(proof) = proof {
                headers.push(("dpop", proof.as_str()));
            }
            let r = fetch(&app, "/protected", &headers).await;
            r.assert_error(
                401,
                Some(&challenge(mode, Some("DPoP"), &params(code, description))),
                code,
                description,
            );
        }
    }

    let c = ctx(DpopMode::Disabled).await;
    let key = DpopKey::generate(Algorithm::ES256);
    let token = c.issuer.token().bound_to(&key).sign();
    let proof = key
        .proof("GET", "http://localhost/protected")
        .clock(&c.issuer.clock())
        .access_token(&token)
        .sign();
    let r = fetch(
        &app(&c.auth0),
        "/protected",
        &[("authorization", &dpop(&token)), ("dpop", &proof)],
    )
    .await;
    r.assert_error(
        401,
        Some(r#"Bearer realm="api""#),
        "unauthorized",
        "Unsupported authentication scheme",
    );
}

#[tokio::test]
async fn the_extractor_path_sends_the_next_nonce_through_the_nonce_layer() {
    let issuer = auth0_api_testing::TestIssuer::start().await;
    let auth0 = builder(&issuer, DpopMode::Allowed)
        .dpop_nonce(auth0_axum_api::auth0_api::NonceConfig::new([9u8; 32]).expect("secret"))
        .build()
        .expect("verifier");
    let with_layer = app(&auth0).layer(auth0_axum_api::DpopNonceLayer::new());
    let key = DpopKey::generate(Algorithm::ES256);
    let token = issuer.token().sub("n").bound_to(&key).sign();
    let nonce = auth0.next_dpop_nonce().expect("nonces on");
    let proof = || {
        key.proof("GET", "http://localhost/protected-api")
            .clock(&issuer.clock())
            .access_token(&token)
            .nonce(nonce.clone())
            .sign()
    };
    // `/protected-api` verifies with the `Claims` extractor, not the layer; the scheme's
    // name in any case.
    for scheme in ["DPoP", "dpop", "DPOP"] {
        let r = fetch(
            &with_layer,
            "/protected-api",
            &[
                ("authorization", &format!("{scheme} {token}")),
                ("dpop", &proof()),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(
            r.headers.get("dpop-nonce").is_some(),
            "the next nonce rides on the extractor's success ({scheme})"
        );
    }
    let plain = issuer.token().sign();
    let r = fetch(
        &with_layer,
        "/protected-api",
        &[("authorization", &bearer(&plain))],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers.get("dpop-nonce").is_none(),
        "Bearer gets no nonce"
    );
}
