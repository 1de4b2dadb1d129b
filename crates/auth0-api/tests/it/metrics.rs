//! The `metrics` feature: each documented counter moves, by exactly what one request adds,
//! with the documented labels.
//!
//! Each test records into its own `DebuggingRecorder`, set as its thread's local recorder,
//! so tests running in parallel never see each other's metrics and no global recorder is
//! needed. That holds because `#[tokio::test]` runs on a current-thread runtime: the test
//! issuer and the verifier's key fetches (spawned tasks) run on the test's own thread, and
//! record there. Every snapshot drains what was recorded, so each step asserts the metrics
//! of that step alone, all of them: a metric that moved and should not have fails the test.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use auth0_api::{
    Algorithm, Auth0, DpopMode, ErrorKind, MemoryReplayStore, NonceConfig, ReplayKey, ReplayStore,
    ReplayStoreError, Requirements, UnixTime,
};
use auth0_api_testing::{Behavior, DpopKey, Endpoint, TestIssuer};
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue, Method};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};

use crate::common::{bearer, builder, check};

const URL: &str = "https://api.example.com/data";

/// What was recorded since the last call, by `name{label=value,...}`: a counter's increase,
/// a histogram's number of samples. Metrics that did not move are left out.
fn take(snapshotter: &Snapshotter) -> BTreeMap<String, u64> {
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .filter_map(|(key, _, _, value)| {
            let (_, key) = key.into_parts();
            let labels: Vec<String> = key
                .labels()
                .map(|l| format!("{}={}", l.key(), l.value()))
                .collect();
            let n = match value {
                DebugValue::Counter(n) => n,
                DebugValue::Histogram(samples) => {
                    assert!(
                        samples.iter().all(|s| s.0 >= 0.0 && s.0 < 60.0),
                        "{samples:?}"
                    );
                    samples.len() as u64
                }
                DebugValue::Gauge(_) => panic!("no gauge is documented"),
            };
            (n > 0).then(|| (format!("{}{{{}}}", key.name(), labels.join(",")), n))
        })
        .collect()
}

fn expected(entries: &[(&str, u64)]) -> BTreeMap<String, u64> {
    entries.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()
}

const DISCOVERY_OK: [(&str, u64); 2] = [
    (
        "auth0_key_fetches_total{document=discovery,outcome=ok,error=none}",
        1,
    ),
    (
        "auth0_key_fetch_duration_seconds{document=discovery,outcome=ok}",
        1,
    ),
];
const JWKS_OK: [(&str, u64); 2] = [
    (
        "auth0_key_fetches_total{document=jwks,outcome=ok,error=none}",
        1,
    ),
    (
        "auth0_key_fetch_duration_seconds{document=jwks,outcome=ok}",
        1,
    ),
];
const MISS: (&str, u64) = ("auth0_token_cache_lookups_total{result=miss}", 1);
const HIT: (&str, u64) = ("auth0_token_cache_lookups_total{result=hit}", 1);
const BEARER_OK: (&str, u64) = (
    "auth0_verifications_total{outcome=ok,scheme=bearer,error=none}",
    1,
);
const DPOP_OK: (&str, u64) = (
    "auth0_verifications_total{outcome=ok,scheme=dpop,error=none}",
    1,
);

fn with(base: &[(&'static str, u64)], more: &[(&'static str, u64)]) -> Vec<(&'static str, u64)> {
    base.iter().chain(more).copied().collect()
}

#[tokio::test]
async fn bearer_outcomes_the_token_cache_and_key_fetches() {
    let recorder = DebuggingRecorder::new();
    let recorded = recorder.snapshotter();
    let _local = ::metrics::set_default_local_recorder(&recorder);

    let issuer = TestIssuer::start().await;
    let auth0 = builder(&issuer).build().unwrap();
    assert!(take(&recorded).is_empty(), "building fetches nothing");

    // A cold verifier: discovery, then the JWKS, then a full verification.
    let token = issuer.token().sub("alice").sign();
    let claims = check(&auth0, &token).await.unwrap();
    let mut first = with(&DISCOVERY_OK, &JWKS_OK);
    first.extend([MISS, BEARER_OK]);
    assert_eq!(take(&recorded), expected(&first));

    // Seen twice: still verified in full (then cached); seen three times: a hit.
    check(&auth0, &token).await.unwrap();
    assert_eq!(take(&recorded), expected(&[MISS, BEARER_OK]));
    check(&auth0, &token).await.unwrap();
    assert_eq!(take(&recorded), expected(&[HIT, BEARER_OK]));

    // Refusals, labelled by error kind; no fetch (the keys are cached).
    let expired = issuer.token().expired().sign();
    assert_eq!(
        check(&auth0, &expired).await.err(),
        Some(ErrorKind::Expired)
    );
    assert_eq!(
        take(&recorded),
        expected(&[
            MISS,
            (
                "auth0_verifications_total{outcome=refused,scheme=bearer,error=expired}",
                1
            )
        ])
    );
    assert_eq!(
        check(&auth0, "not.a.token").await.err(),
        Some(ErrorKind::MalformedToken)
    );
    assert_eq!(
        take(&recorded),
        expected(&[
            MISS,
            (
                "auth0_verifications_total{outcome=refused,scheme=bearer,error=malformed_token}",
                1
            )
        ])
    );
    let err = auth0
        .verify_request(&Method::GET, URL, &HeaderMap::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MissingCredentials);
    assert_eq!(
        take(&recorded),
        expected(&[(
            "auth0_verifications_total{outcome=refused,scheme=none,error=missing_credentials}",
            1
        )])
    );

    // An unknown `kid` makes one JWKS refetch (discovery is still cached).
    let unpublished = issuer.add_unpublished_key(Algorithm::ES256);
    let stranger = issuer.token().key(&unpublished).sign();
    assert_eq!(
        check(&auth0, &stranger).await.err(),
        Some(ErrorKind::UnknownKey)
    );
    let mut refetch = JWKS_OK.to_vec();
    refetch.extend([
        MISS,
        (
            "auth0_verifications_total{outcome=refused,scheme=bearer,error=unknown_key}",
            1,
        ),
    ]);
    assert_eq!(take(&recorded), expected(&refetch));

    // The core counts a missing scope where it checks it.
    let required = Requirements::new().scopes(["read:data"]).unwrap();
    assert_eq!(
        required.check(&claims).unwrap_err().kind(),
        ErrorKind::InsufficientScope
    );
    assert_eq!(
        take(&recorded),
        expected(&[("auth0_scope_refusals_total{scheme=bearer}", 1)])
    );
    assert!(Requirements::new().check(&claims).is_ok());
    assert!(take(&recorded).is_empty());

    // A token verified without a request counts in the cache, not as a request.
    auth0.verify_access_token(&token).await.unwrap();
    assert_eq!(take(&recorded), expected(&[HIT]));
}

#[tokio::test]
async fn an_issuer_that_is_down_is_counted_as_failed_fetches_and_unavailable() {
    let recorder = DebuggingRecorder::new();
    let recorded = recorder.snapshotter();
    let _local = ::metrics::set_default_local_recorder(&recorder);
    let issuer = TestIssuer::start().await;
    let token = issuer.token().sign();
    let unavailable = (
        "auth0_verifications_total{outcome=unavailable,scheme=bearer,error=keys_unavailable}",
        1,
    );

    // Discovery down (both locations answer 500): one failed discovery, 503.
    issuer.set_behavior(Endpoint::Discovery, Behavior::Status(500));
    issuer.set_behavior(Endpoint::OauthMetadata, Behavior::Status(500));
    let auth0 = builder(&issuer).build().unwrap();
    assert_eq!(
        check(&auth0, &token).await.err(),
        Some(ErrorKind::KeysUnavailable)
    );
    assert_eq!(
        take(&recorded),
        expected(&[
            (
                "auth0_key_fetches_total{document=discovery,outcome=error,error=status}",
                1
            ),
            (
                "auth0_key_fetch_duration_seconds{document=discovery,outcome=error}",
                1
            ),
            MISS,
            unavailable,
        ])
    );

    // Discovery answers, the JWKS is not JSON: a failed JWKS fetch.
    issuer.set_behavior(Endpoint::Discovery, Behavior::Normal);
    issuer.set_behavior(Endpoint::Jwks, Behavior::Garbage);
    let auth0 = builder(&issuer).build().unwrap();
    assert_eq!(
        check(&auth0, &token).await.err(),
        Some(ErrorKind::KeysUnavailable)
    );
    let mut failed = DISCOVERY_OK.to_vec();
    failed.extend([
        (
            "auth0_key_fetches_total{document=jwks,outcome=error,error=invalid_json}",
            1,
        ),
        (
            "auth0_key_fetch_duration_seconds{document=jwks,outcome=error}",
            1,
        ),
        MISS,
        unavailable,
    ]);
    assert_eq!(take(&recorded), expected(&failed));

    // Within the retry delay no fetch is made, and none is counted.
    assert_eq!(
        check(&auth0, &token).await.err(),
        Some(ErrorKind::KeysUnavailable)
    );
    assert_eq!(take(&recorded), expected(&[MISS, unavailable]));

    // The issuer is back and the retry delay (at most 1 s after one failure) is over.
    issuer.set_behavior(Endpoint::Jwks, Behavior::Normal);
    issuer.clock().advance(Duration::from_secs(2));
    check(&auth0, &token).await.unwrap();
    assert_eq!(
        take(&recorded),
        expected(&with(&JWKS_OK, &[MISS, BEARER_OK]))
    );
}

fn dpop_headers(token: &str, proof: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("DPoP {token}")).unwrap(),
    );
    h.insert("dpop", HeaderValue::from_str(proof).unwrap());
    h
}

async fn dpop(auth0: &Auth0, token: &str, proof: &str) -> Result<(), ErrorKind> {
    auth0
        .verify_request(&Method::GET, URL, &dpop_headers(token, proof))
        .await
        .map(|_| ())
        .map_err(|e| e.kind())
}

#[derive(Debug)]
struct DownStore;

impl ReplayStore for DownStore {
    fn check_and_store<'a>(
        &'a self,
        _key: &'a ReplayKey<'a>,
        _now: UnixTime,
        _expires_at: UnixTime,
    ) -> Pin<Box<dyn Future<Output = Result<bool, ReplayStoreError>> + Send + 'a>> {
        Box::pin(async { Err(ReplayStoreError::new(std::io::Error::other("down"))) })
    }
}

#[tokio::test]
async fn dpop_replays_nonce_challenges_and_replay_store_errors() {
    let recorder = DebuggingRecorder::new();
    let recorded = recorder.snapshotter();
    let _local = ::metrics::set_default_local_recorder(&recorder);
    let issuer = TestIssuer::start().await;
    let clock = issuer.clock();
    let key = DpopKey::generate(Algorithm::ES256);
    let token = issuer.token().bound_to(&key).sign();
    let proof = || key.proof("GET", URL).clock(&clock).access_token(&token);

    let auth0 = builder(&issuer).dpop(DpopMode::Allowed).build().unwrap();
    let first = proof().sign();
    dpop(&auth0, &token, &first).await.unwrap();
    let mut cold = with(&DISCOVERY_OK, &JWKS_OK);
    cold.extend([MISS, DPOP_OK]);
    assert_eq!(take(&recorded), expected(&cold));

    // The same proof again: a replay.
    assert_eq!(
        dpop(&auth0, &token, &first).await,
        Err(ErrorKind::DpopReplay)
    );
    assert_eq!(
        take(&recorded),
        expected(&[
            MISS,
            ("auth0_dpop_replays_total{}", 1),
            (
                "auth0_verifications_total{outcome=refused,scheme=dpop,error=dpop_replay}",
                1
            ),
        ])
    );
    dpop(&auth0, &token, &proof().sign()).await.unwrap();
    assert_eq!(take(&recorded), expected(&[HIT, DPOP_OK]));

    // Server nonces: missing, not issued here, stale; then a fresh one passes.
    let nonces = builder(&issuer)
        .dpop_nonce(NonceConfig::random().lifetime(Duration::from_secs(10)))
        .build()
        .unwrap();
    let challenge = |reason: &'static str| {
        [
            MISS,
            (
                "auth0_verifications_total{outcome=refused,scheme=dpop,error=use_dpop_nonce}",
                1,
            ),
            (
                match reason {
                    "missing" => "auth0_dpop_nonce_challenges_total{reason=missing}",
                    "stale" => "auth0_dpop_nonce_challenges_total{reason=stale}",
                    _ => "auth0_dpop_nonce_challenges_total{reason=invalid}",
                },
                1,
            ),
        ]
    };
    assert_eq!(
        dpop(&nonces, &token, &proof().sign()).await,
        Err(ErrorKind::UseDpopNonce)
    );
    let mut missing = with(&DISCOVERY_OK, &JWKS_OK);
    missing.extend(challenge("missing"));
    assert_eq!(take(&recorded), expected(&missing));
    let foreign = NonceConfig::random();
    let foreign = builder(&issuer).dpop_nonce(foreign).build().unwrap();
    let foreign_nonce = foreign.next_dpop_nonce().unwrap();
    assert_eq!(
        dpop(&nonces, &token, &proof().nonce(foreign_nonce).sign()).await,
        Err(ErrorKind::UseDpopNonce)
    );
    assert_eq!(take(&recorded), expected(&challenge("invalid")));
    let old = nonces.next_dpop_nonce().unwrap();
    clock.advance(Duration::from_secs(30));
    assert_eq!(
        dpop(&nonces, &token, &proof().nonce(old).sign()).await,
        Err(ErrorKind::UseDpopNonce)
    );
    let mut stale = challenge("stale").to_vec();
    stale[0] = HIT;
    assert_eq!(take(&recorded), expected(&stale));
    let fresh = nonces.next_dpop_nonce().unwrap();
    dpop(&nonces, &token, &proof().nonce(fresh).sign())
        .await
        .unwrap();
    assert_eq!(take(&recorded), expected(&[HIT, DPOP_OK]));

    // A replay store that cannot answer: 503, counted.
    let down = builder(&issuer).replay_store(DownStore).build().unwrap();
    assert_eq!(
        dpop(&down, &token, &proof().sign()).await,
        Err(ErrorKind::ReplayStoreUnavailable)
    );
    let mut store_down = with(&DISCOVERY_OK, &JWKS_OK);
    store_down.extend([
        MISS,
        ("auth0_replay_store_errors_total{}", 1),
        (
            "auth0_verifications_total{outcome=unavailable,scheme=dpop,error=replay_store_unavailable}",
            1,
        ),
    ]);
    assert_eq!(take(&recorded), expected(&store_down));
}

/// A full in-memory store counts every live proof it forgets, and nothing while it has room.
#[tokio::test]
async fn a_full_replay_store_counts_the_proofs_it_forgets() {
    let recorder = DebuggingRecorder::new();
    let recorded = recorder.snapshotter();
    let _local = ::metrics::set_default_local_recorder(&recorder);
    let store = MemoryReplayStore::with_capacity(64 * 4);
    let now = UnixTime::from_secs(1_000);
    let mut accepted = 0u64;
    for i in 0..2_000u64 {
        let jti = i.to_string();
        let key = ReplayKey::new("https://issuer.example/", "jkt", &jti);
        // Fresher and fresher, none expired: each is accepted.
        let expires = UnixTime::from_secs(2_000 + i);
        if store.check_and_store(&key, now, expires).await.unwrap() {
            accepted += 1;
        }
        if i == 30 {
            assert_eq!(
                take(&recorded),
                expected(&[]),
                "room left: nothing forgotten"
            );
        }
    }
    assert_eq!(accepted, 2_000);
    let kept = store.len() as u64;
    assert!(kept <= 64 * 4);
    assert_eq!(
        take(&recorded),
        expected(&[("auth0_replay_store_evictions_total{}", accepted - kept)])
    );
}

#[tokio::test]
async fn describe_metrics_gives_help_text_and_units() {
    let recorder = DebuggingRecorder::new();
    let recorded = recorder.snapshotter();
    let _local = ::metrics::set_default_local_recorder(&recorder);
    auth0_api::describe_metrics();
    let issuer = TestIssuer::start().await;
    let auth0 = builder(&issuer).build().unwrap();
    auth0
        .verify_request(&Method::GET, URL, &bearer(&issuer.token().sign()))
        .await
        .unwrap();
    let described: BTreeMap<String, (Option<::metrics::Unit>, bool)> = recorded
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, unit, help, _)| {
            let (_, key) = key.into_parts();
            (key.name().to_owned(), (unit, help.is_some()))
        })
        .collect();
    assert_eq!(
        described.get("auth0_verifications_total"),
        Some(&(Some(::metrics::Unit::Count), true))
    );
    assert_eq!(
        described.get("auth0_key_fetch_duration_seconds"),
        Some(&(Some(::metrics::Unit::Seconds), true))
    );
    assert_eq!(
        described.get("auth0_token_cache_lookups_total"),
        Some(&(Some(::metrics::Unit::Count), true))
    );
}
