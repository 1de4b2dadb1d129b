//! Regions for `scripts/instructions.sh --axum`: the instructions a protected Axum route
//! spends on a new token beyond the raw RS256 check and the bare route, counted by
//! callgrind (the script runs this under valgrind once per region).
//!
//! - `raw_region`: the raw aws-lc-rs checks of N new tokens on a pre-parsed key;
//! - `bare_region`: the same N requests to the route without authentication (their
//!   `Authorization` header carried and ignored, as the load test sends it to every
//!   server);
//! - `floor_region`: for each of those requests, its token's raw check, then the bare
//!   route: the two in one loop, as a request to any verifier runs them (their code no
//!   longer fits the first-level instruction cache together, which
//!   `scripts/instructions.sh --axum --cache` shows);
//! - `ours_region`: N requests with those tokens to the route behind the `Claims`
//!   extractor (as in the quickstart and the `axum` bench).
//!
//! Run on its own it prints wall times only.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use auth0_api_testing::TestIssuer;
use aws_lc_rs::signature::ParsedPublicKey;
use axum::Router;
use http::{HeaderValue, StatusCode};
use tower::ServiceExt as _;

mod support;
use support::{
    bare_router, bearer_values, mint, protected_router, raw_key, raw_parts, request, verifier,
};

const N: usize = 300;

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
fn floor_region(
    rt: &tokio::runtime::Runtime,
    key: &ParsedPublicKey,
    raw: &[(Vec<u8>, Vec<u8>)],
    router: &Router,
    auth: &[HeaderValue],
) {
    rt.block_on(async {
        for ((input, sig), v) in raw.iter().zip(auth) {
            key.verify_sig(std::hint::black_box(input), sig).unwrap();
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
    let tokens: Vec<String> = (0..N).map(|i| mint(&issuer, i)).collect();
    let auth = bearer_values(&tokens);
    let raw = raw_parts(&tokens);
    let key = raw_key(&issuer);

    // The routers, their first-request paths warmed (and the verifier's keys fetched) by
    // another token.
    let app = protected_router(verifier(&issuer));
    let bare_router = bare_router();
    let warm = bearer_values(&[mint(&issuer, N + 1)]).remove(0);
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
    floor_region(&rt, &key, &raw, &bare_router, &auth);
    let floor_time = start.elapsed();
    let start = Instant::now();
    ours_region(&rt, &app, &auth);
    let ours_time = start.elapsed();
    println!(
        "instructions (axum): {N} requests, raw {raw_time:?}, bare {bare_time:?}, floor \
         {floor_time:?}, ours {ours_time:?} (wall time; run scripts/instructions.sh --axum \
         for the counts)"
    );
}
