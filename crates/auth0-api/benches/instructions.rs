//! Instructions per new token beyond its signature check, counted rather than timed:
//! `scripts/instructions.sh` runs this binary under callgrind (valgrind), which counts the
//! instructions of each loop below, whatever else the machine is doing. Timings on a shared
//! machine swing by more than most changes to the verification path; the counts repeat to
//! within about 1 % (each run mints new tokens and keys).
//!
//! `raw_region` checks the RS256 signatures of `N` tokens on a pre-parsed key (the floor);
//! `ours_region` verifies the same `N` tokens with `verify_request` (default configuration,
//! each token new to the verifier). The difference, divided by `N`, is what a new token
//! costs beyond its signature. Run directly (as `cargo bench` does), it runs both loops once
//! and prints their wall time, which means little.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use auth0_api::Auth0;
use auth0_api_testing::{Algorithm, TestIssuer};
use aws_lc_rs::signature::{self, ParsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue, Method};

const URL: &str = "https://api.example.com/data";
/// Tokens per loop: enough to make the per-token figure exact to the instruction.
const N: usize = 300;

/// The signature checks alone. Not inlined, so callgrind can count it on its own.
#[inline(never)]
fn raw_region(key: &ParsedPublicKey, raw: &[(Vec<u8>, Vec<u8>)]) {
    for (input, sig) in raw {
        key.verify_sig(std::hint::black_box(input), sig).unwrap();
    }
}

/// The whole verification of each request. Not inlined, for callgrind.
#[inline(never)]
fn ours_region(rt: &tokio::runtime::Runtime, auth0: &Auth0, requests: &[HeaderMap]) {
    rt.block_on(async {
        for h in requests {
            std::hint::black_box(auth0.verify_request(&Method::GET, URL, h).await.unwrap());
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
    let kid = issuer.add_key(Algorithm::RS256);
    // The shape of the criterion bench's tokens.
    let mint = |i: usize| {
        issuer
            .token()
            .key(&kid)
            .sub(format!("user-{i}"))
            .scope("read:data write:data")
            .claim("org_id", "org_123")
            .claim("jti", format!("t{i}"))
            .sign()
    };
    let tokens: Vec<String> = (0..N).map(mint).collect();
    let requests: Vec<HeaderMap> = tokens
        .iter()
        .map(|t| {
            let mut h = HeaderMap::new();
            h.insert(
                AUTHORIZATION,
                HeaderValue::from_str(&format!("Bearer {t}")).unwrap(),
            );
            h
        })
        .collect();
    let raw: Vec<(Vec<u8>, Vec<u8>)> = tokens
        .iter()
        .map(|t| {
            let (input, sig) = t.rsplit_once('.').unwrap();
            (
                input.as_bytes().to_vec(),
                URL_SAFE_NO_PAD.decode(sig).unwrap(),
            )
        })
        .collect();
    let jwk = issuer.public_jwk(&kid).unwrap();
    let b64 = |name: &str| URL_SAFE_NO_PAD.decode(jwk[name].as_str().unwrap()).unwrap();
    let key = signature::RsaPublicKeyComponents {
        n: b64("n"),
        e: b64("e"),
    }
    .to_parsed_public_key(&signature::RSA_PKCS1_2048_8192_SHA256)
    .unwrap();

    // A verifier with its keys fetched and its first-request paths warmed by another token.
    let auth0 = Auth0::builder()
        .issuer(issuer.issuer())
        .audience(issuer.audience())
        .clock(issuer.clock())
        .build()
        .unwrap();
    rt.block_on(auth0.verify_access_token(&mint(N + 1)))
        .unwrap();

    let start = Instant::now();
    raw_region(&key, &raw);
    let raw_time = start.elapsed();
    let start = Instant::now();
    ours_region(&rt, &auth0, &requests);
    let ours_time = start.elapsed();
    println!(
        "instructions: {N} tokens, raw {raw_time:?}, ours {ours_time:?} \
         (wall time; run scripts/instructions.sh for the instruction counts)"
    );
}
