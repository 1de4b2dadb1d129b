//! The in-memory replay store under a flood of DPoP proofs from one client (SPEC §5.5).

use std::sync::Arc;
use std::time::Duration;

use auth0_api::{Auth0, DpopMode, ErrorKind, MemoryReplayStore, ReplayKey, ReplayStore, UnixTime};
use auth0_api_testing::{Algorithm, DpopKey, TestClock, TestIssuer};
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue, Method};

use crate::common::builder;

const URL: &str = "https://api.example.com/data";
/// How far apart the two instances' clocks are.
const SKEW: Duration = Duration::from_secs(20);

fn dpop_headers(token: &str, proof: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("DPoP {token}")).unwrap(),
    );
    headers.insert("dpop", HeaderValue::from_str(proof).unwrap());
    headers
}

async fn verify(auth0: &Auth0, headers: &HeaderMap) -> Result<(), ErrorKind> {
    auth0
        .verify_request(&Method::GET, URL, headers)
        .await
        .map(|_| ())
        .map_err(|e| e.kind())
}

async fn send(
    auth0: &auth0_api::Auth0,
    issuer: &TestIssuer,
    key: &DpopKey,
    token: &str,
) -> Result<(), ErrorKind> {
    let proof = key
        .proof("GET", URL)
        .access_token(token)
        .clock(&issuer.clock())
        .sign();
    let mut headers = HeaderMap::new();
    headers.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("DPoP {token}")).unwrap(),
    );
    headers.insert("dpop", HeaderValue::from_str(&proof).unwrap());
    auth0
        .verify_request(&Method::GET, URL, &headers)
        .await
        .map(|_| ())
        .map_err(|e| e.kind())
}

/// With a per-key quota, one client with one valid bound token sends proofs until the
/// store refuses it; another client is still accepted. The flooding client is refused with
/// 503 (failing closed), not let through.
#[tokio::test]
async fn one_client_cannot_fill_the_replay_store_for_the_others() {
    let issuer = TestIssuer::start().await;
    // 64 entries per shard, 4,096 in all; one proof key may hold 8 per shard.
    let auth0 = builder(&issuer)
        .dpop(DpopMode::Allowed)
        .replay_store(MemoryReplayStore::with_capacity(64 * 64).max_entries_per_key(64 * 8))
        .build()
        .unwrap();
    let attacker = DpopKey::generate(Algorithm::ES256);
    let attacker_token = issuer.token().bound_to(&attacker).sign();
    let victim = DpopKey::generate(Algorithm::ES256);
    let victim_token = issuer.token().bound_to(&victim).sign();

    let (mut accepted, mut refused) = (0, 0);
    for _ in 0..6_000 {
        match send(&auth0, &issuer, &attacker, &attacker_token).await {
            Ok(()) => accepted += 1,
            Err(ErrorKind::ReplayStoreUnavailable) => refused += 1,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert!(accepted <= 64 * 8, "{accepted} proofs of one key stored");
    assert!(refused > 0);
    assert_eq!(accepted + refused, 6_000);

    for i in 0..20 {
        assert_eq!(
            send(&auth0, &issuer, &victim, &victim_token).await,
            Ok(()),
            "victim proof {i}"
        );
    }
}

/// One client sends many more fresh proofs than the default store holds within the `iat`
/// window (here a store of 1,024 entries, 16 per shard; 3,000 proofs at 20 a second): every one is accepted
/// (none refused with 503 for want of room), every replay of them is refused however long
/// ago the store forgot it, and a proof older than what the store still remembers is
/// refused as a possible replay.
#[tokio::test]
async fn a_client_sending_more_than_the_store_holds_is_served_and_never_replayed() {
    let issuer = TestIssuer::start().await;
    let auth0 = builder(&issuer)
        .dpop(DpopMode::Required)
        .replay_store(MemoryReplayStore::with_capacity(1_024))
        .build()
        .unwrap();
    let key = DpopKey::generate(Algorithm::ES256);
    let token = issuer.token().bound_to(&key).sign();
    let clock = issuer.clock();
    let start = clock.now();
    let mut sent = Vec::new();
    for i in 0..3_000 {
        if i % 20 == 0 {
            clock.advance(Duration::from_secs(1));
        }
        let proof = key
            .proof("GET", URL)
            .access_token(&token)
            .clock(&clock)
            .sign();
        let headers = dpop_headers(&token, &proof);
        assert_eq!(verify(&auth0, &headers).await, Ok(()), "fresh proof {i}");
        sent.push(headers);
    }
    // 150 s later than the first proof: all of them are still within the 330 s window.
    for (i, headers) in sent.iter().enumerate() {
        assert_eq!(
            verify(&auth0, headers).await,
            Err(ErrorKind::DpopReplay),
            "replay of proof {i}"
        );
    }
    // A proof never sent, but as old as the ones the store had to forget.
    let old = key.proof("GET", URL).access_token(&token).iat(start).sign();
    assert_eq!(
        verify(&auth0, &dpop_headers(&token, &old)).await,
        Err(ErrorKind::DpopReplay)
    );
    // A fresh one still gets in.
    assert_eq!(send(&auth0, &issuer, &key, &token).await, Ok(()));
}

/// Two instances whose clocks are 20 s apart share one store. A proof accepted by the fast
/// one stays a replay at the slow one for as long as the slow one would accept its `iat`,
/// even while the fast one keeps purging expired entries by its own clock.
#[tokio::test]
async fn clocks_20_s_apart_sharing_one_memory_store_refuse_every_replay() {
    let issuer = TestIssuer::start().await;
    let base = issuer.clock().now();
    let slow = TestClock::new(base);
    let fast = TestClock::new(base.saturating_add(SKEW));
    // One entry per shard: every later insert into the proof's shard purges it first, so an
    // entry that expired by the fast clock is gone for the slow instance too.
    let store = Arc::new(MemoryReplayStore::with_capacity(64));
    let instance = |clock: &TestClock| {
        Auth0::builder()
            .issuer(issuer.issuer())
            .audience(issuer.audience())
            .clock(clock.clone())
            .replay_store(Arc::clone(&store))
            .build()
            .unwrap()
    };
    let (on_fast, on_slow) = (instance(&fast), instance(&slow));
    let key = DpopKey::generate(Algorithm::ES256);
    let token = issuer
        .token()
        .issued_at(base.saturating_sub(Duration::from_secs(60)))
        .bound_to(&key)
        .sign();
    let proof = key
        .proof("GET", URL)
        .access_token(&token)
        .iat(fast.now())
        .sign();
    let headers = dpop_headers(&token, &proof);
    let iat = fast.now().as_secs();
    assert_eq!(verify(&on_fast, &headers).await, Ok(()));

    // The slow instance accepts this `iat` until its clock reaches `iat + 300 s` (the
    // default offset), 320 s from now. Walk through that window a second at a time.
    let iss = issuer.issuer();
    let mut filler = 0u64;
    loop {
        // Other traffic at the fast instance purges the store by the fast clock.
        for _ in 0..200 {
            filler += 1;
            let jkt = format!("filler-{filler}");
            let other = ReplayKey::new(&iss, &jkt, "jti");
            let _ = store
                .check_and_store(&other, fast.now(), UnixTime::from_secs(1))
                .await;
        }
        let slow_now = slow.now().as_secs();
        let at_slow = verify(&on_slow, &headers).await;
        if slow_now <= iat + 300 {
            assert_eq!(
                at_slow,
                Err(ErrorKind::DpopReplay),
                "replay accepted at the slow instance at iat {:+} s",
                i128::from(slow_now) - i128::from(iat)
            );
        } else {
            // The window closed: refused by the `iat` check itself.
            assert_eq!(at_slow, Err(ErrorKind::InvalidDpopIat));
            break;
        }
        assert_ne!(verify(&on_fast, &headers).await, Ok(()));
        slow.advance(Duration::from_secs(1));
        fast.advance(Duration::from_secs(1));
    }
}
