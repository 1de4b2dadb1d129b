//! The in-memory replay store under a flood of DPoP proofs from one client (SPEC §5.5).

use auth0_api::{DpopMode, ErrorKind, MemoryReplayStore};
use auth0_api_testing::{Algorithm, DpopKey, TestIssuer};
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue, Method};

use crate::common::builder;

const URL: &str = "https://api.example.com/data";

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

/// One client with one valid bound token sends proofs until the store refuses it; another
/// client is still accepted. The flooding client is refused with 503 (failing closed), not
/// let through.
#[tokio::test]
async fn one_client_cannot_fill_the_replay_store_for_the_others() {
    let issuer = TestIssuer::start().await;
    // 64 entries per shard, 4,096 in all; one proof key may hold 8 per shard.
    let auth0 = builder(&issuer)
        .dpop(DpopMode::Allowed)
        .replay_store(MemoryReplayStore::with_capacity(64 * 64))
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
