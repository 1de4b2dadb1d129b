//! Two API instances (two verifiers, two Redis connections) sharing one `redis-server`,
//! through the whole DPoP pipeline: a proof accepted by one is a replay at the other, a
//! dead Redis answers 503 (fail closed), and a restarted Redis is used again.

use std::time::{Duration, Instant};

use auth0_api::{Auth0, ErrorKind};
use auth0_api_redis::RedisReplayStore;
use auth0_api_testing::{Algorithm, DpopKey, TestIssuer};
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue, Method};

use crate::server::redis_or_skip;

const URL: &str = "https://api.example.com/orders";

async fn instance(issuer: &TestIssuer, redis_url: &str) -> Auth0 {
    let store = RedisReplayStore::connect(redis_url)
        .await
        .expect("connect")
        .timeout(Duration::from_millis(300));
    Auth0::builder()
        .issuer(issuer.issuer())
        .audience(issuer.audience())
        .clock(issuer.clock())
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
