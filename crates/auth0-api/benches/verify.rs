//! The hot path as a server sees it, each figure next to the raw aws-lc-rs floor it is
//! built on, from the same run: `cargo bench -p auth0-api --bench verify`.
//!
//! Every verifier has the default configuration (verified-token cache on). "New token"
//! means a different, pre-minted token every iteration: a pool of tokens is verified once
//! each by a fresh verifier (built and warmed outside the timed region), so nothing is
//! served from the cache.
//!
//! - `raw_aws_lc/<alg>`: one signature verification on a pre-parsed key (the floor), over
//!   the same pool of signing inputs.
//! - `bearer/<alg>/new_token`: `verify_request` with a Bearer token seen for the first time.
//! - `bearer/<alg>/second_sighting`: the same pool seen a second time: the full check plus
//!   the cache insert (the difference to `new_token` is the insert on its own).
//! - `bearer/<alg>/cache_hit`: one token repeated.
//! - `dpop/new_token_new_proof` vs `raw_aws_lc/RS256+ES256`: a new RS256 token bound to an
//!   ES256 key and a new proof every iteration (both signatures checked).
//! - `dpop/same_token_new_proof`: one bound token (cached), a new proof every iteration.
//! - `parts/*`: `htu` normalization, JWK thumbprint, challenge building.
//!
//! Last, `paired/*` lines (printed, not criterion figures): each ratio above measured again
//! with the raw floor and ours timed in alternation, 50 tokens at a time, so that a machine
//! whose speed drifts within seconds moves both alike. Criterion times
//! one benchmark after the other, a minute apart; on a shared machine their ratio moves by
//! more than the differences it is meant to show.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

/// Rounds of the paired measurement (after one discarded warm-up round), tokens per round,
/// and tokens per timed slice: the raw checks and ours alternate slice by slice, about a
/// millisecond apart.
const PAIRED_ROUNDS: usize = 21;
const PAIRED_PASS: usize = 2_000;
const PAIRED_SLICE: usize = 50;

use auth0_api::{Auth0, ErrorKind};
use auth0_api_testing::{Algorithm, DpopKey, TestIssuer};
use criterion::{Criterion, criterion_group, criterion_main};
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue, Method};

mod support;
use support::{URL, bearer, new_token, raw_key, raw_parts};
/// Tokens per pool: more than the iterations of one timed chunk, fewer than the cache holds.
const POOL: usize = 8_000;

fn dpop_headers(token: &str, proof: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("DPoP {token}")).unwrap(),
    );
    h.insert("dpop", HeaderValue::from_str(proof).unwrap());
    h
}

struct Bench {
    rt: tokio::runtime::Runtime,
    issuer: TestIssuer,
}

impl Bench {
    /// Ours over the raw floor on the same tokens, timed in alternation slice by slice
    /// (`check` is the raw floor of one item); prints the median of the rounds' ratios,
    /// their range, and the per-token times of the median round.
    #[allow(clippy::print_stdout)]
    fn paired<R>(&self, name: &str, raw: &[R], check: impl Fn(&R), pool: &[HeaderMap], warm: &str) {
        let n = PAIRED_PASS.min(pool.len()).min(raw.len());
        let micros = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
        let mut rounds = Vec::new();
        for round in 0..=PAIRED_ROUNDS {
            let auth0 = self.fresh(warm);
            let (mut raw_time, mut ours_time) = (Duration::ZERO, Duration::ZERO);
            for (items, requests) in raw[..n]
                .chunks(PAIRED_SLICE)
                .zip(pool[..n].chunks(PAIRED_SLICE))
            {
                let start = Instant::now();
                for item in items {
                    check(std::hint::black_box(item));
                }
                raw_time += start.elapsed();
                self.rt.block_on(async {
                    let start = Instant::now();
                    for h in requests {
                        std::hint::black_box(
                            auth0.verify_request(&Method::GET, URL, h).await.unwrap(),
                        );
                    }
                    ours_time += start.elapsed();
                });
            }
            // Round 0 warms up.
            if round > 0 {
                let (raw_us, ours_us) = (micros(raw_time), micros(ours_time));
                rounds.push((ours_us / raw_us, raw_us, ours_us));
            }
        }
        rounds.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (ratio, raw_us, ours_us) = rounds[rounds.len() / 2];
        println!(
            "paired/{name}: ours / raw {ratio:.3} (rounds {:.3}..{:.3}); \
             in the median round raw {raw_us:.2} µs, ours {ours_us:.2} µs",
            rounds[0].0,
            rounds[rounds.len() - 1].0,
        );
    }

    /// A verifier with the default configuration, its keys already fetched.
    fn fresh(&self, warm: &str) -> Auth0 {
        let auth0 = Auth0::builder()
            .issuer(self.issuer.issuer())
            .audience(self.issuer.audience())
            .clock(self.issuer.clock())
            .build()
            .unwrap();
        self.rt
            .block_on(auth0.verify_access_token_ignoring_dpop_binding(warm))
            .unwrap();
        auth0
    }

    /// Times `iters` requests from `pool`, each seen `seen_before` times untimed first by
    /// the same verifier; a fresh verifier for every pass over the pool.
    fn timed(&self, pool: &[HeaderMap], warm: &str, seen_before: usize, iters: u64) -> Duration {
        let mut total = Duration::ZERO;
        let mut left = usize::try_from(iters).unwrap();
        while left > 0 {
            let n = left.min(pool.len());
            let auth0 = self.fresh(warm);
            let chunk = &pool[..n];
            self.rt.block_on(async {
                for _ in 0..seen_before {
                    for h in chunk {
                        auth0.verify_request(&Method::GET, URL, h).await.unwrap();
                    }
                }
                let start = Instant::now();
                for h in chunk {
                    std::hint::black_box(auth0.verify_request(&Method::GET, URL, h).await.unwrap());
                }
                total += start.elapsed();
            });
            left -= n;
        }
        total
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let issuer = rt.block_on(TestIssuer::start());
    let b = Bench { rt, issuer };
    let algs = [
        (Algorithm::RS256, "RS256"),
        (Algorithm::ES256, "ES256"),
        (Algorithm::EdDSA, "EdDSA"),
    ];
    let mut group = c.benchmark_group("hot_path");
    let mut rs256_kid = String::new();
    // Per algorithm, for the paired measurement: its name, key, raw parts, requests, warm-up.
    let mut for_paired = Vec::new();
    for (alg, name) in algs {
        let kid = b.issuer.add_key(alg);
        if alg == Algorithm::RS256 {
            rs256_kid.clone_from(&kid);
        }
        let mint = |i: usize| new_token(&b.issuer, &kid, i);
        let tokens: Vec<String> = (0..POOL).map(mint).collect();
        let warm = mint(POOL + 1);
        let pool: Vec<HeaderMap> = tokens.iter().map(|t| bearer(t)).collect();
        let key = raw_key(&b.issuer.public_jwk(&kid).unwrap(), alg);
        let raw: Vec<_> = tokens.iter().map(|t| raw_parts(t)).collect();

        let mut i = 0;
        group.bench_function(format!("raw_aws_lc/{name}"), |bench| {
            bench.iter(|| {
                i = (i + 1) % raw.len();
                let (input, sig) = &raw[i];
                key.verify_sig(std::hint::black_box(input), sig).unwrap()
            })
        });
        group.bench_function(format!("bearer/{name}/new_token"), |bench| {
            bench.iter_custom(|iters| b.timed(&pool, &warm, 0, iters))
        });
        group.bench_function(format!("bearer/{name}/second_sighting"), |bench| {
            bench.iter_custom(|iters| b.timed(&pool, &warm, 1, iters))
        });
        let auth0 = b.fresh(&warm);
        let one = &pool[0];
        for _ in 0..2 {
            b.rt.block_on(auth0.verify_request(&Method::GET, URL, one))
                .unwrap();
        }
        group.bench_function(format!("bearer/{name}/cache_hit"), |bench| {
            bench
                .to_async(&b.rt)
                .iter(|| async { auth0.verify_request(&Method::GET, URL, one).await.unwrap() })
        });
        for_paired.push((name, key, raw, pool, warm));
    }

    // DPoP: RS256 access tokens bound to an ES256 key, one ES256 proof per request.
    let dpop_key = DpopKey::generate(Algorithm::ES256);
    let clock = b.issuer.clock();
    let bound = |i: usize| {
        b.issuer
            .token()
            .key(&rs256_kid)
            .sub(format!("user-{i}"))
            .claim("jti", format!("d{i}"))
            .bound_to(&dpop_key)
            .sign()
    };
    let proof = |token: &str| {
        dpop_key
            .proof("GET", URL)
            .clock(&clock)
            .access_token(token)
            .sign()
    };
    let tokens: Vec<String> = (0..POOL).map(bound).collect();
    let pool: Vec<HeaderMap> = tokens.iter().map(|t| dpop_headers(t, &proof(t))).collect();
    let warm = bound(POOL + 1);
    let rs_key = raw_key(&b.issuer.public_jwk(&rs256_kid).unwrap(), Algorithm::RS256);
    let es_key = raw_key(&dpop_key.public_jwk(), Algorithm::ES256);
    let raw: Vec<_> = pool
        .iter()
        .map(|h| {
            let token = h[AUTHORIZATION]
                .to_str()
                .unwrap()
                .trim_start_matches("DPoP ");
            (raw_parts(token), raw_parts(h["dpop"].to_str().unwrap()))
        })
        .collect();
    let (dpop_pool, dpop_raw, dpop_warm) = (&pool, &raw, &warm);
    let mut i = 0;
    group.bench_function("raw_aws_lc/RS256+ES256", |bench| {
        bench.iter(|| {
            i = (i + 1) % raw.len();
            let ((ti, ts), (pi, ps)) = &raw[i];
            rs_key.verify_sig(std::hint::black_box(ti), ts).unwrap();
            es_key.verify_sig(std::hint::black_box(pi), ps).unwrap()
        })
    });
    group.bench_function("dpop/new_token_new_proof", |bench| {
        bench.iter_custom(|iters| b.timed(&pool, &warm, 0, iters))
    });
    let same = &tokens[0];
    let same_pool: Vec<HeaderMap> = (0..POOL)
        .map(|_| dpop_headers(same, &proof(same)))
        .collect();
    group.bench_function("dpop/same_token_new_proof", |bench| {
        bench.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut left = usize::try_from(iters).unwrap();
            while left > 0 {
                let n = left.min(same_pool.len());
                let auth0 = b.fresh(&warm);
                b.rt.block_on(async {
                    // The bound token is cached before timing starts (second sighting).
                    for _ in 0..2 {
                        let _ = auth0.verify_access_token_ignoring_dpop_binding(same).await;
                    }
                    let start = Instant::now();
                    for h in &same_pool[..n] {
                        std::hint::black_box(
                            auth0.verify_request(&Method::GET, URL, h).await.unwrap(),
                        );
                    }
                    total += start.elapsed();
                });
                left -= n;
            }
            total
        })
    });

    // The parts of the DPoP path and of a refusal.
    let auth0 = b.fresh(&warm);
    let refused =
        b.rt.block_on(auth0.verify_request(&Method::GET, URL, &HeaderMap::new()))
            .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::MissingCredentials);
    group.bench_function("parts/challenge_www_authenticate", |bench| {
        bench.iter(|| auth0.www_authenticate(std::hint::black_box(&refused)))
    });
    group.bench_function("parts/challenge_error_response", |bench| {
        bench.iter(|| auth0.error_response(std::hint::black_box(&refused)))
    });
    let jwk = dpop_key.public_jwk();
    group.bench_function("parts/htu_normalize", |bench| {
        bench.iter(|| auth0_api::bench_internals::normalize_htu(std::hint::black_box(URL)))
    });
    // An Auth0 access token's payload: the registered claims plus `gty`, `azp`,
    // `permissions` and `jti`.
    let payload = br#"{"iss":"https://tenant.us.auth0.com/","sub":"auth0|0123456789abcdef01234567","aud":["https://api.example.com","https://tenant.us.auth0.com/userinfo"],"iat":1700000000,"exp":1800000000,"scope":"openid profile email read:data","azp":"abcdefghijklmnopqrstuvwxyz012345","gty":"client-credentials","permissions":["read:data","write:data"],"jti":"0f1e2d3c4b5a"}"#;
    group.bench_function("parts/payload_one_pass", |bench| {
        bench.iter(|| auth0_api::bench_internals::read_payload(std::hint::black_box(payload)))
    });
    group.bench_function("parts/payload_map", |bench| {
        bench.iter(|| auth0_api::bench_internals::parse_payload_map(std::hint::black_box(payload)))
    });
    group.bench_function("parts/jwk_parse_and_thumbprint", |bench| {
        bench.iter(|| auth0_api::bench_internals::jwk_thumbprint(std::hint::black_box(&jwk)))
    });
    group.finish();

    for (name, key, raw, pool, warm) in &for_paired {
        b.paired(
            &format!("bearer/{name}/new_token"),
            raw,
            |(input, sig)| key.verify_sig(input, sig).unwrap(),
            pool,
            warm,
        );
    }
    b.paired(
        "dpop/new_token_new_proof",
        dpop_raw,
        |((ti, ts), (pi, ps))| {
            rs_key.verify_sig(ti, ts).unwrap();
            es_key.verify_sig(pi, ps).unwrap();
        },
        dpop_pool,
        dpop_warm,
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
