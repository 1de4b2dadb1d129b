//! A protected Axum route as a server runs it: a `tower::Service` call on a router, with
//! the default configuration (verified-token cache on) and a different, pre-minted RS256
//! token every iteration, next to a bare Axum route and the raw aws-lc-rs RS256 check from
//! the same run: `cargo bench -p auth0-axum-api --bench axum`.
//!
//! - `raw_aws_lc/RS256`: one signature verification on a pre-parsed key.
//! - `axum/bare`: the same router shape without authentication, sent the same requests
//!   (their `Authorization` header carried and ignored, as the load test sends it to
//!   every server), so the difference is what authentication costs.
//! - `axum/new_token`: the `Claims` extractor (as in the quickstart), a new token each
//!   time (a fresh verifier per pass over the pool, built outside the timed region).
//! - `axum/cache_hit`: one token repeated.
//!
//! Last, a `paired` line (printed, not a criterion figure): the new-token ratio measured
//! again with the raw check, the bare route and the protected route timed in alternation,
//! 50 requests at a time, so that a machine whose speed drifts within seconds moves all
//! three alike (criterion times them a minute apart). Beside it, the same requests to a
//! *floor*: each token's raw check, then the bare route, in one loop. Timed apart, the
//! raw check and the bare route each run with their code in the CPU's first-level
//! instruction cache; in one request they do not fit there together (about 34 KiB of RSA
//! code and 46 KiB of routing), and a protected route pays those misses as any verifier
//! would. `ours / floor` is what the library costs beyond them
//! (`scripts/instructions.sh --axum --cache` counts the misses).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use auth0_api_testing::TestIssuer;
use criterion::{Criterion, criterion_group, criterion_main};
use http::StatusCode;
use tower::ServiceExt as _;

mod support;
use support::{
    bare_router, bearer_values, mint, protected_router, raw_key, raw_parts, request, verifier,
};

const POOL: usize = 8_000;
/// Rounds of the paired measurement (after one discarded warm-up round), requests per
/// round, and requests per timed slice (the three alternate slice by slice).
const PAIRED_ROUNDS: usize = 21;
const PAIRED_PASS: usize = 2_000;
const PAIRED_SLICE: usize = 50;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let issuer = rt.block_on(TestIssuer::start());
    let tokens: Vec<String> = (0..POOL).map(|i| mint(&issuer, i)).collect();
    let warm = mint(&issuer, POOL + 1);
    let auth = bearer_values(&tokens);
    let router = || {
        let auth0 = verifier(&issuer);
        rt.block_on(auth0.verify_access_token(&warm)).unwrap();
        protected_router(auth0)
    };
    let key = raw_key(&issuer);
    let raw = raw_parts(&tokens);

    let mut group = c.benchmark_group("axum");
    let mut i = 0;
    group.bench_function("raw_aws_lc/RS256", |b| {
        b.iter(|| {
            i = (i + 1) % raw.len();
            let (input, sig) = &raw[i];
            key.verify_sig(std::hint::black_box(input), sig).unwrap()
        })
    });
    let bare_router = bare_router();
    group.bench_function("axum/bare", |b| {
        b.to_async(&rt).iter(|| async {
            let r = bare_router
                .clone()
                .oneshot(request(Some(&auth[0])))
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
        })
    });
    group.bench_function("axum/new_token", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut left = usize::try_from(iters).unwrap();
            while left > 0 {
                let n = left.min(auth.len());
                let app = router();
                rt.block_on(async {
                    let start = Instant::now();
                    for v in &auth[..n] {
                        let r = app.clone().oneshot(request(Some(v))).await.unwrap();
                        assert_eq!(r.status(), StatusCode::OK);
                    }
                    total += start.elapsed();
                });
                left -= n;
            }
            total
        })
    });
    let app = router();
    for _ in 0..2 {
        let r = rt
            .block_on(app.clone().oneshot(request(Some(&auth[0]))))
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    group.bench_function("axum/cache_hit", |b| {
        b.to_async(&rt).iter(|| async {
            let r = app.clone().oneshot(request(Some(&auth[0]))).await.unwrap();
            assert_eq!(r.status(), StatusCode::OK);
        })
    });
    group.finish();

    // Paired: raw, bare, floor and protected slices in turn; the ratios of each round,
    // their medians.
    let n = PAIRED_PASS;
    let micros = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
    let mut rounds = Vec::new();
    for round in 0..=PAIRED_ROUNDS {
        let app = router();
        let mut times = [Duration::ZERO; 4];
        for (items, headers) in raw[..n]
            .chunks(PAIRED_SLICE)
            .zip(auth[..n].chunks(PAIRED_SLICE))
        {
            let start = Instant::now();
            for (input, sig) in items {
                key.verify_sig(std::hint::black_box(input), sig).unwrap();
            }
            times[0] += start.elapsed();
            rt.block_on(async {
                let start = Instant::now();
                for v in headers {
                    let r = bare_router.clone().oneshot(request(Some(v))).await.unwrap();
                    assert_eq!(r.status(), StatusCode::OK);
                }
                times[1] += start.elapsed();
                let start = Instant::now();
                for ((input, sig), v) in items.iter().zip(headers) {
                    key.verify_sig(std::hint::black_box(input), sig).unwrap();
                    let r = bare_router.clone().oneshot(request(Some(v))).await.unwrap();
                    assert_eq!(r.status(), StatusCode::OK);
                }
                times[2] += start.elapsed();
                let start = Instant::now();
                for v in headers {
                    let r = app.clone().oneshot(request(Some(v))).await.unwrap();
                    assert_eq!(r.status(), StatusCode::OK);
                }
                times[3] += start.elapsed();
            });
        }
        let [raw_us, bare_us, floor_us, ours_us] = times.map(micros);
        // Round 0 warms up.
        if round > 0 {
            rounds.push([
                ours_us / (raw_us + bare_us),
                ours_us / floor_us,
                raw_us,
                bare_us,
                floor_us,
                ours_us,
            ]);
        }
    }
    rounds.sort_by(|a, b| a[0].total_cmp(&b[0]));
    let (low, high) = (rounds[0][0], rounds[rounds.len() - 1][0]);
    let [ratio, _, raw_us, bare_us, floor_us, ours_us] = rounds[rounds.len() / 2];
    let mut over_floor: Vec<f64> = rounds.iter().map(|r| r[1]).collect();
    over_floor.sort_by(f64::total_cmp);
    let floor_ratio = over_floor[over_floor.len() / 2];
    #[allow(clippy::print_stdout)]
    {
        println!(
            "paired/axum/new_token: ours / (raw + bare) {ratio:.3} (rounds {low:.3}..{high:.3}); \
             ours / floor {floor_ratio:.3} (rounds {:.3}..{:.3}); in the median round raw \
             {raw_us:.2} µs, bare {bare_us:.2} µs, floor {floor_us:.2} µs, ours {ours_us:.2} µs",
            over_floor[0],
            over_floor[over_floor.len() - 1],
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
