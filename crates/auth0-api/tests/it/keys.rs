//! Discovery and the JWKS cache (SPEC §4): rotation, single-flight, cooldown, outages.

use std::sync::Arc;
use std::time::{Duration, Instant};

use auth0_api::ErrorKind;
use auth0_api_testing::{Algorithm, Behavior, Endpoint, TestIssuer};
use futures_util::future::join_all;

use crate::common::{builder, check, verifier};

/// Polls `cond` until it holds, for what happens in a spawned task with nothing to wait on.
/// The bound (10 s) only turns "never" into a failure; a busy machine may take a while.
async fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    for _ in 0..1000 {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    cond()
}

#[tokio::test]
async fn a_newly_published_key_is_accepted_at_once() {
    let issuer = TestIssuer::start().await;
    let auth0 = verifier(&issuer);
    assert!(check(&auth0, &issuer.token().sign()).await.is_ok());
    assert_eq!(issuer.requests(Endpoint::Jwks), 1);
    let new_kid = issuer.rotate(Algorithm::ES256);
    let token = issuer.token().sign();
    let claims = check(&auth0, &token).await;
    assert!(claims.is_ok(), "{claims:?}");
    assert_eq!(
        issuer.requests(Endpoint::Jwks),
        2,
        "one refetch for the unknown kid {new_kid}"
    );
    assert_eq!(
        issuer.requests(Endpoint::Discovery),
        1,
        "discovery is not repeated"
    );
}

#[tokio::test]
async fn a_removed_key_stops_verifying_after_refresh() {
    let issuer = TestIssuer::start().await;
    let auth0 = verifier(&issuer);
    let old = issuer.default_kid();
    let token = issuer.token().sign();
    // Cached on its second sighting, among the most recent hits from its third, found
    // there on the fourth.
    for _ in 0..4 {
        assert!(check(&auth0, &token).await.is_ok());
    }
    issuer.rotate(Algorithm::RS256);
    issuer.unpublish(&old);
    // Past the JWKS lifetime (10 min default) the refresh drops the old key, and the
    // verified-token cache forgets tokens signed with it.
    issuer.clock().advance(Duration::from_secs(601));
    let _ = check(&auth0, &issuer.token().sign()).await;
    assert!(eventually(|| issuer.requests(Endpoint::Jwks) >= 2).await);
    let mut refused = false;
    // Polled like `eventually`: the refresh runs in a spawned task.
    for _ in 0..1000 {
        if check(&auth0, &token).await.err() == Some(ErrorKind::UnknownKey) {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "a token signed with an unpublished key is refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_unknown_kids_cause_at_most_one_fetch_per_cooldown() {
    let issuer = TestIssuer::start().await;
    let auth0 = verifier(&issuer);
    assert!(check(&auth0, &issuer.token().sign()).await.is_ok());
    issuer.reset_counts();

    let burst = |tag: &'static str| {
        let tasks = (0..1000).map(|i| {
            let auth0 = auth0.clone();
            let token = issuer.token().header("kid", format!("{tag}-{i}")).sign();
            tokio::spawn(async move { check(&auth0, &token).await.err() })
        });
        join_all(tasks)
    };
    for r in burst("a").await {
        assert_eq!(r.unwrap(), Some(ErrorKind::UnknownKey));
    }
    assert_eq!(
        issuer.requests(Endpoint::Jwks),
        1,
        "one refetch for the whole burst"
    );
    for r in burst("b").await {
        assert_eq!(r.unwrap(), Some(ErrorKind::UnknownKey));
    }
    assert_eq!(issuer.requests(Endpoint::Jwks), 1, "still cooling down");
    issuer.clock().advance(Duration::from_secs(31));
    for r in burst("c").await {
        assert_eq!(r.unwrap(), Some(ErrorKind::UnknownKey));
    }
    assert_eq!(
        issuer.requests(Endpoint::Jwks),
        2,
        "one more after the cooldown"
    );
    assert_eq!(issuer.requests(Endpoint::Discovery), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_cold_requests_share_one_discovery_and_one_jwks_fetch() {
    let issuer = TestIssuer::start().await;
    issuer.set_behavior(Endpoint::Jwks, Behavior::Delay(Duration::from_millis(100)));
    let auth0 = verifier(&issuer);
    let token = Arc::new(issuer.token().sign());
    let tasks = (0..1000).map(|_| {
        let auth0 = auth0.clone();
        let token = Arc::clone(&token);
        tokio::spawn(async move { check(&auth0, &token).await.map(|_| ()) })
    });
    for r in join_all(tasks).await {
        assert_eq!(r.unwrap(), Ok(()));
    }
    assert_eq!(issuer.requests(Endpoint::Discovery), 1);
    assert_eq!(issuer.requests(Endpoint::Jwks), 1);
}

#[tokio::test]
async fn issuer_outage_after_warm_up_keeps_valid_tokens_working() {
    let issuer = TestIssuer::start().await;
    let auth0 = verifier(&issuer);
    assert!(check(&auth0, &issuer.token().sign()).await.is_ok());
    issuer.set_behavior(Endpoint::Jwks, Behavior::Status(500));
    issuer.set_behavior(Endpoint::Discovery, Behavior::Garbage);
    // Well past the keys' lifetime, with the issuer answering errors.
    for step in 1..=5 {
        issuer.clock().advance(Duration::from_secs(3600));
        let fresh = issuer.token().sub(format!("u{step}")).sign();
        assert!(check(&auth0, &fresh).await.is_ok(), "step {step}");
    }
    assert!(
        eventually(|| issuer.requests(Endpoint::Jwks) >= 2).await,
        "refresh was attempted"
    );
    // The issuer goes away completely: still fine within stale-if-error.
    issuer.shutdown().await;
    issuer.clock().advance(Duration::from_secs(3600));
    assert!(
        check(&auth0, &issuer.token().sub("late").sign())
            .await
            .is_ok()
    );
    // Beyond the stale-if-error window (24 h past expiry) there are no usable keys: 503.
    issuer.clock().advance(Duration::from_secs(25 * 3600));
    let err = auth0
        .verify_access_token(&issuer.token().sub("too-late").sign())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::KeysUnavailable);
    let response = auth0.error_response(&err);
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key(http::header::RETRY_AFTER));
    assert!(
        !response
            .headers()
            .contains_key(http::header::WWW_AUTHENTICATE)
    );
}

#[tokio::test]
async fn garbage_jwks_keeps_the_last_good_keys() {
    let issuer = TestIssuer::start().await;
    let auth0 = verifier(&issuer);
    assert!(check(&auth0, &issuer.token().sign()).await.is_ok());
    issuer.set_jwks_override(Some(r#"{"keys": "nope"}"#.into()));
    issuer.clock().advance(Duration::from_secs(601));
    for _ in 0..3 {
        assert!(check(&auth0, &issuer.token().sign()).await.is_ok());
    }
    assert!(eventually(|| issuer.requests(Endpoint::Jwks) >= 2).await);
}

#[tokio::test]
async fn no_keys_ever_fetched_is_503_within_the_timeout() {
    // Issuer down: connection refused.
    let issuer = TestIssuer::start().await;
    let auth0 = verifier(&issuer);
    let token = issuer.token().sign();
    issuer.shutdown().await;
    assert_eq!(
        check(&auth0, &token).await.err(),
        Some(ErrorKind::KeysUnavailable)
    );

    // Issuer hangs: the configured timeout bounds the wait.
    let hanging = TestIssuer::start().await;
    hanging.set_behavior(Endpoint::Discovery, Behavior::Hang);
    let auth0 = builder(&hanging)
        .fetch_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let kind = check(&auth0, &hanging.token().sign()).await.err();
    let waited = started.elapsed();
    assert_eq!(kind, Some(ErrorKind::KeysUnavailable));
    assert!(waited >= Duration::from_millis(250), "{waited:?}");
    assert!(
        waited < Duration::from_secs(5),
        "bounded by the timeout: {waited:?}"
    );

    // JWKS hangs after discovery answered.
    let slow_jwks = TestIssuer::start().await;
    slow_jwks.set_behavior(Endpoint::Jwks, Behavior::Hang);
    let auth0 = builder(&slow_jwks)
        .fetch_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    assert_eq!(
        check(&auth0, &slow_jwks.token().sign()).await.err(),
        Some(ErrorKind::KeysUnavailable)
    );
}

#[tokio::test]
async fn recovers_when_the_issuer_comes_back() {
    let issuer = TestIssuer::start().await;
    issuer.set_behavior(Endpoint::Jwks, Behavior::Status(503));
    let auth0 = verifier(&issuer);
    let token = issuer.token().sign();
    assert_eq!(
        check(&auth0, &token).await.err(),
        Some(ErrorKind::KeysUnavailable)
    );
    // Failures are not retried for a moment (no hammering)...
    issuer.set_behavior(Endpoint::Jwks, Behavior::Normal);
    assert_eq!(
        check(&auth0, &token).await.err(),
        Some(ErrorKind::KeysUnavailable)
    );
    assert_eq!(issuer.requests(Endpoint::Jwks), 1);
    // ...then the next request fetches again.
    issuer.clock().advance(Duration::from_secs(2));
    assert!(check(&auth0, &token).await.is_ok());
}

#[tokio::test]
async fn falls_back_to_rfc8414_metadata() {
    let issuer = TestIssuer::start().await;
    issuer.disable_oidc_discovery(true);
    let auth0 = verifier(&issuer);
    assert!(check(&auth0, &issuer.token().sign()).await.is_ok());
    assert_eq!(issuer.requests(Endpoint::Discovery), 1);
    assert_eq!(issuer.requests(Endpoint::OauthMetadata), 1);

    let with_path = TestIssuer::builder().path("/tenant-a").start().await;
    with_path.disable_oidc_discovery(true);
    assert!(
        check(&verifier(&with_path), &with_path.token().sign())
            .await
            .is_ok()
    );
    assert_eq!(with_path.requests(Endpoint::OauthMetadata), 1);
}

#[tokio::test]
async fn discovery_issuer_must_match() {
    let issuer = TestIssuer::start().await;
    issuer.set_discovery_issuer(Some("https://someone-else.example.com/".into()));
    let auth0 = verifier(&issuer);
    assert_eq!(
        check(&auth0, &issuer.token().sign()).await.err(),
        Some(ErrorKind::KeysUnavailable)
    );
}

#[tokio::test]
async fn trailing_slash_rule_makes_discovery_canonical() {
    let issuer = TestIssuer::start().await;
    let without = issuer.issuer().trim_end_matches('/').to_owned();
    issuer.set_discovery_issuer(Some(without.clone()));
    let auth0 = verifier(&issuer); // configured with the trailing slash
    assert!(
        check(&auth0, &issuer.token().issuer(without).sign())
            .await
            .is_ok()
    );
    assert_eq!(
        check(&auth0, &issuer.token().sign()).await.err(),
        Some(ErrorKind::InvalidIssuer),
        "discovery's value, without the slash, is canonical"
    );
}

#[tokio::test]
async fn a_direct_jwks_uri_skips_discovery() {
    let issuer = TestIssuer::start().await;
    let auth0 = builder(&issuer)
        .jwks_uri(issuer.jwks_uri())
        .build()
        .unwrap();
    assert!(check(&auth0, &issuer.token().sign()).await.is_ok());
    assert_eq!(issuer.requests(Endpoint::Discovery), 0);
    assert_eq!(issuer.requests(Endpoint::OauthMetadata), 0);
    assert_eq!(issuer.requests(Endpoint::Jwks), 1);
}

#[tokio::test]
async fn cache_control_sets_the_lifetime_within_bounds() {
    let issuer = TestIssuer::start().await;
    issuer.set_cache_control(Endpoint::Jwks, Some("public, max-age=120"));
    let auth0 = verifier(&issuer);
    let token = issuer.token().sign();
    assert!(check(&auth0, &token).await.is_ok());
    issuer.clock().advance(Duration::from_secs(60));
    assert!(check(&auth0, &token).await.is_ok());
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(issuer.requests(Endpoint::Jwks), 1, "fresh at 60 s of 120");
    issuer.clock().advance(Duration::from_secs(35));
    assert!(
        check(&auth0, &token).await.is_ok(),
        "served while refreshing"
    );
    assert!(
        eventually(|| issuer.requests(Endpoint::Jwks) == 2).await,
        "background refresh ahead of expiry"
    );

    // max-age below the floor is raised to 60 s.
    let short = TestIssuer::start().await;
    short.set_cache_control(Endpoint::Jwks, Some("max-age=1"));
    let auth0 = verifier(&short);
    let token = short.token().sign();
    assert!(check(&auth0, &token).await.is_ok());
    short.clock().advance(Duration::from_secs(30));
    assert!(check(&auth0, &token).await.is_ok());
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        short.requests(Endpoint::Jwks),
        1,
        "clamped to the 60 s minimum"
    );
}

#[tokio::test]
async fn oversized_jwks_is_refused() {
    let issuer = TestIssuer::start().await;
    let pad = "x".repeat(1024 * 1024 + 10);
    issuer.set_jwks_override(Some(format!(r#"{{"keys":[],"pad":"{pad}"}}"#)));
    let auth0 = verifier(&issuer);
    assert_eq!(
        check(&auth0, &issuer.token().sign()).await.err(),
        Some(ErrorKind::KeysUnavailable)
    );
}

/// `count` Ed25519 keys named `k0`, `k1`, … that verify nothing the issuer signs.
fn junk_keys(count: usize) -> Vec<serde_json::Value> {
    (0..count)
        .map(|i| serde_json::json!({"kty":"OKP","crv":"Ed25519","kid":format!("k{i}"),"x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}))
        .collect()
}

fn jwks_of(keys: Vec<serde_json::Value>) -> Option<String> {
    Some(serde_json::json!({ "keys": keys }).to_string())
}

#[tokio::test]
async fn key_count_is_capped() {
    let issuer = TestIssuer::start().await;
    let mut keys = junk_keys(200);
    keys.push(issuer.public_jwk(&issuer.default_kid()).unwrap());
    issuer.set_jwks_override(jwks_of(keys));
    let auth0 = verifier(&issuer);
    // Over the cap: refused as a whole, never cut to a prefix that lacks the real key.
    assert_eq!(
        check(&auth0, &issuer.token().sign()).await.err(),
        Some(ErrorKind::KeysUnavailable)
    );

    // Exactly at the cap, with the real key last: used whole.
    let at_cap = TestIssuer::start().await;
    let mut keys = junk_keys(63);
    keys.push(at_cap.public_jwk(&at_cap.default_kid()).unwrap());
    at_cap.set_jwks_override(jwks_of(keys));
    let auth0 = verifier(&at_cap);
    assert!(check(&auth0, &at_cap.token().sign()).await.is_ok());
}

/// An issuer that starts serving more keys than the cap, with its signing key past the cap:
/// the refresh is refused as a whole and the last good keys stay in use.
#[tokio::test]
async fn an_oversized_key_set_keeps_the_last_good_keys() {
    let issuer = TestIssuer::start().await;
    let auth0 = verifier(&issuer);
    assert!(check(&auth0, &issuer.token().sign()).await.is_ok());
    let mut keys = junk_keys(200);
    keys.push(issuer.public_jwk(&issuer.default_kid()).unwrap());
    issuer.set_jwks_override(jwks_of(keys));
    // A kid from the new set forces a refresh and waits for it: the set is refused.
    assert_eq!(
        check(&auth0, &issuer.token().header("kid", "k5").sign())
            .await
            .err(),
        Some(ErrorKind::UnknownKey)
    );
    assert_eq!(issuer.requests(Endpoint::Jwks), 2);
    // The keys from before the refresh still verify.
    let fresh = issuer.token().sub("after-refresh").sign();
    assert_eq!(check(&auth0, &fresh).await.err(), None);
}

/// Several keys may share a `kid`: all are kept, and the one that fits the token's `alg` is
/// used, wherever it is in the set.
#[tokio::test]
async fn keys_sharing_a_kid_are_all_kept() {
    let issuer = TestIssuer::start().await;
    let kid = issuer.default_kid();
    let mut decoy = junk_keys(1).remove(0);
    decoy["kid"] = kid.clone().into();
    let real = issuer.public_jwk(&kid).unwrap();
    issuer.set_jwks_override(jwks_of(vec![decoy, real]));
    let auth0 = verifier(&issuer);
    assert_eq!(check(&auth0, &issuer.token().sign()).await.err(), None);
}

/// RFC 7518 §6.3.1.1: an RSA key whose modulus has a leading zero byte is refused like a
/// short one, not normalized.
#[tokio::test]
async fn rsa_keys_with_zero_padded_integers_are_skipped() {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let issuer = TestIssuer::start().await;
    let mut jwk = issuer.public_jwk(&issuer.default_kid()).unwrap();
    let n = URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap();
    let mut padded = vec![0u8];
    padded.extend_from_slice(&n);
    jwk["n"] = URL_SAFE_NO_PAD.encode(&padded).into();
    issuer.set_jwks_override(jwks_of(vec![jwk]));
    let auth0 = verifier(&issuer);
    assert_eq!(
        check(&auth0, &issuer.token().sign()).await.err(),
        Some(ErrorKind::KeysUnavailable),
        "the only key is unusable"
    );
}

/// An issuer that fails for half an hour sees exponentially spaced retries (1 s doubling to
/// 5 min, jittered), not one per second, while cached keys keep verifying tokens. Unknown
/// kids arrive every second and the unknown-kid cooldown is 1 s, so each step waits for any
/// fetch it causes: the count is exact, not a race.
#[tokio::test]
async fn failed_refreshes_back_off_exponentially() {
    let issuer = TestIssuer::start().await;
    let auth0 = builder(&issuer)
        .unknown_kid_cooldown(Duration::from_secs(1))
        .build()
        .unwrap();
    assert!(check(&auth0, &issuer.token().sign()).await.is_ok());
    issuer.set_behavior(Endpoint::Jwks, Behavior::Status(500));
    issuer.reset_counts();
    let mut fetch_times = Vec::new();
    for second in 1..=1800u64 {
        issuer.clock().advance(Duration::from_secs(1));
        let before = issuer.requests(Endpoint::Jwks);
        if second % 60 == 0 {
            let valid = issuer.token().sub(format!("u{second}")).sign();
            assert_eq!(
                check(&auth0, &valid).await.err(),
                None,
                "stale-if-error at {second} s"
            );
        }
        // Waits for any fetch in flight, including one the valid token started.
        let unknown = issuer
            .token()
            .header("kid", format!("rotated-{second}"))
            .sign();
        assert_eq!(
            check(&auth0, &unknown).await.err(),
            Some(ErrorKind::UnknownKey)
        );
        if issuer.requests(Endpoint::Jwks) > before {
            fetch_times.push(second);
        }
    }
    let fetches = issuer.requests(Endpoint::Jwks);
    assert!(
        (10..=25).contains(&fetches),
        "{fetches} fetches in 30 min: {fetch_times:?}"
    );
    let gaps: Vec<u64> = fetch_times.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.iter().all(|g| *g <= 301), "capped at 5 min: {gaps:?}");
    assert!(gaps.iter().rev().take(3).all(|g| *g >= 150), "{gaps:?}");

    // The issuer recovers: the next retry succeeds, and a later failure starts over at 1 s.
    issuer.set_behavior(Endpoint::Jwks, Behavior::Normal);
    issuer.clock().advance(Duration::from_secs(301));
    let new_kid = issuer.rotate(Algorithm::ES256);
    assert!(
        check(&auth0, &issuer.token().sign()).await.is_ok(),
        "{new_kid}"
    );
    issuer.set_behavior(Endpoint::Jwks, Behavior::Status(500));
    issuer.reset_counts();
    for second in 0..3 {
        issuer.clock().advance(Duration::from_secs(1));
        let unknown = issuer
            .token()
            .header("kid", format!("again-{second}"))
            .sign();
        assert_eq!(
            check(&auth0, &unknown).await.err(),
            Some(ErrorKind::UnknownKey)
        );
    }
    assert!(
        issuer.requests(Endpoint::Jwks) >= 2,
        "retried within seconds after a reset"
    );
}

/// The clock is read once per request for the keys and the claims, but a request that
/// waited for the keys (a first fetch, or a refetch for an unknown `kid`) checks its claims
/// at the time the keys arrived: a token that expired meanwhile is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_are_checked_when_the_awaited_keys_arrive() {
    for unknown_kid in [false, true] {
        let issuer = TestIssuer::start().await;
        let auth0 = builder(&issuer)
            .leeway(Duration::from_secs(5))
            .build()
            .unwrap();
        if unknown_kid {
            // Keys loaded; the token's key is published after that, so it is refetched.
            assert!(check(&auth0, &issuer.token().sign()).await.is_ok());
            issuer.rotate(Algorithm::ES256);
            // (Past the refetch cooldown.)
            issuer.clock().advance(Duration::from_secs(60));
        }
        issuer.set_behavior(Endpoint::Jwks, Behavior::Delay(Duration::from_millis(400)));
        let token = issuer.token().expires_in(Duration::from_secs(30)).sign();
        let task = {
            let (auth0, token) = (auth0.clone(), token.clone());
            tokio::spawn(async move { check(&auth0, &token).await.map(|_| ()) })
        };
        // While the keys are on their way, the token expires (and its leeway passes).
        tokio::time::sleep(Duration::from_millis(150)).await;
        issuer.clock().advance(Duration::from_secs(60));
        assert_eq!(
            task.await.unwrap(),
            Err(ErrorKind::Expired),
            "unknown kid: {unknown_kid}"
        );
        assert_eq!(
            issuer.requests(Endpoint::Jwks),
            1 + usize::from(unknown_kid)
        );
    }
}
