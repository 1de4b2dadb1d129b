//! Two API instances (two verifiers, two Redis connections) sharing one `redis-server`,
//! through the whole DPoP pipeline: a proof accepted by one is a replay at the other, a
//! dead Redis answers 503 (fail closed), and a restarted Redis is used again.

use std::time::{Duration, Instant};

use auth0_api::{Auth0, ErrorKind, UnixTime};
use auth0_api_redis::RedisReplayStore;
use auth0_api_testing::{Algorithm, DpopKey, TestClock, TestIssuer};
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue, Method};

use crate::server::redis_or_skip;

const URL: &str = "https://api.example.com/orders";

async fn instance(issuer: &TestIssuer, redis_url: &str) -> Auth0 {
    instance_on(issuer, redis_url, issuer.clock()).await
}

/// An instance with its own clock.
async fn instance_on(issuer: &TestIssuer, redis_url: &str, clock: TestClock) -> Auth0 {
    let store = RedisReplayStore::connect(redis_url)
        .await
        .expect("connect")
        .timeout(Duration::from_millis(300));
    Auth0::builder()
        .issuer(issuer.issuer())
        .audience(issuer.audience())
        .clock(clock)
        .replay_store(store)
        .build()
        .unwrap()
}

fn headers(token: &str, proof: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    let auth = HeaderValue::from_str(&format!("DPoP {token}")).unwrap();
    h.insert(AUTHORIZATION, auth);
    h.insert("dpop", HeaderValue::from_str(proof).unwrap());
    h
}

async fn send(auth0: &Auth0, h: &HeaderMap) -> Result<(), ErrorKind> {
    auth0
        .verify_request(&Method::GET, URL, h)
        .await
        .map(|_| ())
        .map_err(|e| e.kind())
}

#[tokio::test]
async fn a_fleet_shares_replay_protection_and_fails_closed() {
    let mut server = redis_or_skip!();
    let issuer = TestIssuer::start().await;
    let a = instance(&issuer, &server.url()).await;
    let b = instance(&issuer, &server.url()).await;
    let key = DpopKey::generate(Algorithm::ES256);
    let token = issuer.token().bound_to(&key).sign();
    let proof = || {
        key.proof("GET", URL)
            .clock(&issuer.clock())
            .access_token(&token)
            .sign()
    };

    // Accepted once by instance A, then a replay at B (and at A).
    let first = headers(&token, &proof());
    assert_eq!(send(&a, &first).await, Ok(()));
    assert_eq!(send(&b, &first).await, Err(ErrorKind::DpopReplay));
    assert_eq!(send(&a, &first).await, Err(ErrorKind::DpopReplay));
    assert_eq!(send(&b, &headers(&token, &proof())).await, Ok(()));

    // Redis dies: 503, never an unchecked accept.
    server.kill();
    let err = b
        .verify_request(&Method::GET, URL, &headers(&token, &proof()))
        .await
        .expect_err("accepted without replay protection");
    assert_eq!(err.kind(), ErrorKind::ReplayStoreUnavailable);
    let response = b.error_response(&err);
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));

    // Redis comes back: both instances recover by themselves.
    server.restart();
    let deadline = Instant::now() + Duration::from_secs(15);
    for instance in [&a, &b] {
        loop {
            match send(instance, &headers(&token, &proof())).await {
                Ok(()) => break,
                Err(ErrorKind::ReplayStoreUnavailable) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                other => panic!("did not recover: {other:?}"),
            }
        }
    }
}

/// Two instances whose clocks are 20 s apart. The fast one accepts a proof at the very end
/// of its `iat` window (default offset 300 s, leeway 30 s); the slow one would accept the
/// same proof for 20 more seconds, and must refuse it as a replay all that time: Redis keeps
/// the key (a relative TTL computed on the fast clock) at least that long, and every replay
/// across the slow instance's window is refused.
#[tokio::test]
async fn clocks_20_s_apart_refuse_every_replay_for_the_whole_window() {
    let server = redis_or_skip!();
    let issuer = TestIssuer::start().await;
    let iat = UnixTime::from_secs(issuer.clock().now().as_secs());
    // The last instant the fast instance accepts this `iat`: offset 300 s, whole seconds.
    let fast = TestClock::new(iat.saturating_add(Duration::from_millis(300_999)));
    let slow = TestClock::new(fast.now().saturating_sub(Duration::from_secs(20)));
    let on_fast = instance_on(&issuer, &server.url(), fast.clone()).await;
    let on_slow = instance_on(&issuer, &server.url(), slow.clone()).await;
    let key = DpopKey::generate(Algorithm::ES256);
    let token = issuer
        .token()
        .issued_at(iat.saturating_sub(Duration::from_secs(60)))
        .bound_to(&key)
        .sign();
    let proof = key.proof("GET", URL).access_token(&token).iat(iat).sign();
    let replayed = headers(&token, &proof);

    assert_eq!(send(&on_fast, &replayed).await, Ok(()));

    // Redis holds the key for at least the rest of the slow instance's window (20.001 s).
    let mut raw = redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("auth0:dpop:*")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(keys.len() <= 1, "{keys:?}");
    // PTTL answers -2 for a key that is gone (expired already).
    let ttl_ms: i64 = match keys.first() {
        Some(k) => redis::cmd("PTTL")
            .arg(k)
            .query_async(&mut raw)
            .await
            .unwrap(),
        None => -2,
    };
    assert!(
        ttl_ms > 20_001,
        "the replay key lives {ttl_ms} ms; the slow instance accepts the proof for 20,001 ms"
    );

    // Across the slow instance's window, every replay is refused as a replay.
    let window_end = iat.saturating_add(Duration::from_millis(300_999));
    while slow.now() <= window_end {
        assert_eq!(
            send(&on_slow, &replayed).await,
            Err(ErrorKind::DpopReplay),
            "replay accepted at the slow instance at {:?}",
            slow.now()
        );
        slow.advance(Duration::from_millis(500));
    }
    slow.set(window_end.saturating_add(Duration::from_millis(1)));
    assert_eq!(
        send(&on_slow, &replayed).await,
        Err(ErrorKind::InvalidDpopIat)
    );
}
