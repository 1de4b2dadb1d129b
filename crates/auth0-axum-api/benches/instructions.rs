//! Regions for `scripts/instructions.sh --axum`: the instructions a protected Axum route
//! spends on a new token beyond the raw RS256 check and the bare route, counted by
//! callgrind (the script runs this under valgrind once per region).
//!
//! - `raw_region`: the raw aws-lc-rs checks of N new tokens on a pre-parsed key;
//! - `bare_region`: the same N requests to the route without authentication (their
//!   `Authorization` header carried and ignored, as the load test sends it to every
//!   server);
//! - `ours_region`: N requests with those tokens to the route behind the `Claims`
//!   extractor (as in the quickstart and the `axum` bench).
//!
//! Run on its own it prints wall times only.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use auth0_api_testing::TestIssuer;
use auth0_axum_api::{Auth0, Claims, DpopNonceLayer};
use aws_lc_rs::signature::{self, ParsedPublicKey, UnparsedPublicKey};
use axum::body::Body;
use axum::routing::get;
use axum::{Json, Router};
use http::header::AUTHORIZATION;
use http::{HeaderValue, Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt as _;

const N: usize = 300;

async fn protected(claims: Claims) -> Json<Value> {
    Json(json!({ "message": format!("Hello, {}", claims.sub().unwrap_or("?")) }))
}

async fn bare() -> Json<Value> {
    Json(json!({ "message": format!("Hello, {}", "?") }))
}

fn request(auth: Option<&HeaderValue>) -> Request<Body> {
    let mut r = Request::get("/protected").header("host", "api.example.com");
    if let Some(v) = auth {
        r = r.header(AUTHORIZATION, v.clone());
    }
    r.body(Body::empty()).unwrap()
}

#[inline(never)]
fn raw_region(key: &ParsedPublicKey, raw: &[(Vec<u8>, Vec<u8>)]) {
    for (input, sig) in raw {
        key.verify_sig(std::hint::black_box(input), sig).unwrap();
    }
}

#[inline(never)]
fn bare_region(rt: &tokio::runtime::Runtime, router: &Router, auth: &[HeaderValue]) {
    rt.block_on(async {
        for v in auth {
            let r = router.clone().oneshot(request(Some(v))).await.unwrap();
            assert_eq!(r.status(), StatusCode::OK);
        }
    });
}

#[inline(never)]
fn ours_region(rt: &tokio::runtime::Runtime, router: &Router, auth: &[HeaderValue]) {
    rt.block_on(async {
        for v in auth {
            let r = router.clone().oneshot(request(Some(v))).await.unwrap();
            assert_eq!(r.status(), StatusCode::OK);
        }
    });
}

#[allow(clippy::print_stdout)]
fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let issuer = rt.block_on(TestIssuer::start());
    let mint = |i: usize| {
        issuer
            .token()
            .sub(format!("user-{i}"))
            .scope("read:data")
            .claim("jti", format!("t{i}"))
            .sign()
    };
    let tokens: Vec<String> = (0..N).map(mint).collect();
    let auth: Vec<HeaderValue> = tokens
        .iter()
        .map(|t| HeaderValue::from_str(&format!("Bearer {t}")).unwrap())
        .collect();
    let raw: Vec<(Vec<u8>, Vec<u8>)> = tokens
        .iter()
        .map(|t| {
            let (input, sig) = t.rsplit_once('.').unwrap();
            let sig =
                base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, sig)
                    .unwrap();
            (input.as_bytes().to_vec(), sig)
        })
        .collect();
    let der = issuer.rsa_public_key_der(&issuer.default_kid()).unwrap();
    let key = UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, der)
        .parse()
        .unwrap();

    // The routers, their first-request paths warmed (and the verifier's keys fetched) by
    // another token.
    let auth0 = Auth0::builder()
        .issuer(issuer.issuer())
        .audience(issuer.audience())
        .clock(issuer.clock())
        .build()
        .unwrap();
    let app = Router::new()
        .route("/protected", get(protected))
        .with_state(auth0)
        .layer(DpopNonceLayer::new());
    let bare_router = Router::new().route("/protected", get(bare));
    let warm = HeaderValue::from_str(&format!("Bearer {}", mint(N + 1))).unwrap();
    rt.block_on(async {
        let r = app.clone().oneshot(request(Some(&warm))).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        bare_router.clone().oneshot(request(None)).await.unwrap();
    });

    let start = Instant::now();
    raw_region(&key, &raw);
    let raw_time = start.elapsed();
    let start = Instant::now();
    bare_region(&rt, &bare_router, &auth);
    let bare_time = start.elapsed();
    let start = Instant::now();
    ours_region(&rt, &app, &auth);
    let ours_time = start.elapsed();
    println!(
        "instructions (axum): {N} requests, raw {raw_time:?}, bare {bare_time:?}, ours \
         {ours_time:?} (wall time; run scripts/instructions.sh --axum for the counts)"
    );
}
