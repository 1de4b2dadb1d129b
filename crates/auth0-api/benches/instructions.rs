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
use aws_lc_rs::signature::ParsedPublicKey;
use http::{HeaderMap, Method};

mod support;
use support::{URL, bearer, new_token, raw_key, raw_parts};

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
    let mint = |i: usize| new_token(&issuer, &kid, i);
    let tokens: Vec<String> = (0..N).map(mint).collect();
    let requests: Vec<HeaderMap> = tokens.iter().map(|t| bearer(t)).collect();
    let raw: Vec<(Vec<u8>, Vec<u8>)> = tokens.iter().map(|t| raw_parts(t)).collect();
    let key = raw_key(&issuer.public_jwk(&kid).unwrap(), Algorithm::RS256);

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
