//! The hot path, measured side by side with the raw aws-lc-rs signature check it is built
//! on: `cargo bench -p auth0-api --bench verify`.
//!
//! - `raw_aws_lc/<alg>`: one signature verification on a pre-parsed key (the floor).
//! - `verify_request/<alg>/uncached`: the whole Bearer pipeline with the verified-token
//!   cache off (header parsing, JWS decode, key lookup, signature, claims).
//! - `verify_request/<alg>/cached`: the same request when the token was seen before.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use auth0_api::Auth0;
use auth0_api_testing::{Algorithm, TestIssuer};
use aws_lc_rs::signature::{self, ParsedPublicKey, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue, Method};

fn b64(v: &serde_json::Value, name: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(v[name].as_str().unwrap()).unwrap()
}

/// A pre-parsed aws-lc-rs key for the issuer's JWK, and the token's signing input and
/// signature, to time the bare signature check.
fn raw_parts(
    issuer: &TestIssuer,
    kid: &str,
    alg: Algorithm,
    token: &str,
) -> (ParsedPublicKey, Vec<u8>, Vec<u8>) {
    let jwk = issuer.public_jwk(kid).unwrap();
    let key = match alg {
        Algorithm::RS256 => signature::RsaPublicKeyComponents {
            n: b64(&jwk, "n"),
            e: b64(&jwk, "e"),
        }
        .to_parsed_public_key(&signature::RSA_PKCS1_2048_8192_SHA256)
        .unwrap(),
        Algorithm::ES256 => {
            let mut point = vec![4u8];
            point.extend(b64(&jwk, "x"));
            point.extend(b64(&jwk, "y"));
            UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                .parse()
                .unwrap()
        }
        _ => UnparsedPublicKey::new(&signature::ED25519, b64(&jwk, "x"))
            .parse()
            .unwrap(),
    };
    let (input, sig) = token.rsplit_once('.').unwrap();
    (
        key,
        input.as_bytes().to_vec(),
        URL_SAFE_NO_PAD.decode(sig).unwrap(),
    )
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let issuer = rt.block_on(TestIssuer::start());
    let algs = [
        (Algorithm::RS256, "RS256"),
        (Algorithm::ES256, "ES256"),
        (Algorithm::EdDSA, "EdDSA"),
    ];
    let kids: Vec<String> = algs.iter().map(|(a, _)| issuer.add_key(*a)).collect();
    let build = |cache: u64| {
        Auth0::builder()
            .issuer(issuer.issuer())
            .audience(issuer.audience())
            .clock(issuer.clock())
            .token_cache_capacity(cache)
            .build()
            .unwrap()
    };
    let uncached = build(0);
    let cached = build(10_000);

    let mut group = c.benchmark_group("hot_path");
    for ((alg, name), kid) in algs.into_iter().zip(&kids) {
        let token = issuer
            .token()
            .key(kid)
            .scope("read:data write:data")
            .claim("org_id", "org_123")
            .sign();
        let mut headers = HeaderMap::new();
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
        let url = "https://api.example.com/data";
        for auth0 in [&uncached, &cached] {
            rt.block_on(auth0.verify_request(&Method::GET, url, &headers))
                .unwrap();
        }

        let (key, input, sig) = raw_parts(&issuer, kid, alg, &token);
        group.bench_function(format!("raw_aws_lc/{name}"), |b| {
            b.iter(|| key.verify_sig(std::hint::black_box(&input), &sig).unwrap())
        });
        group.bench_function(format!("verify_request/{name}/uncached"), |b| {
            b.to_async(&rt).iter(|| async {
                uncached
                    .verify_request(&Method::GET, url, &headers)
                    .await
                    .unwrap()
            })
        });
        group.bench_function(format!("verify_request/{name}/cached"), |b| {
            b.to_async(&rt).iter(|| async {
                cached
                    .verify_request(&Method::GET, url, &headers)
                    .await
                    .unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
