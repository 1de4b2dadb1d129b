//! Multiple custom domains (SPEC §9).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use auth0_api::{Auth0, Auth0Builder, ErrorKind, ResolverContext};
use auth0_api_testing::{Algorithm, Behavior, Endpoint, TestClock, TestIssuer};
use http::Method;

use crate::common::{bearer, check};

async fn two_issuers() -> (TestIssuer, TestIssuer, TestClock) {
    let clock = TestClock::system();
    let a = TestIssuer::builder().clock(clock.clone()).start().await;
    let b = TestIssuer::builder()
        .key(Algorithm::ES256)
        .clock(clock.clone())
        .start()
        .await;
    (a, b, clock)
}

#[tokio::test]
async fn each_allowed_issuer_is_verified_with_its_own_keys() {
    let (a, b, clock) = two_issuers().await;
    let stranger = TestIssuer::builder().clock(clock.clone()).start().await;
    let auth0 = Auth0::builder()
        .domains([a.issuer(), b.issuer()])
        .audience(a.audience())
        .clock(clock)
        .build()
        .unwrap();
    assert_eq!(
        check(&auth0, &a.token().sub("from-a").sign())
            .await
            .unwrap()
            .sub(),
        Some("from-a")
    );
    assert_eq!(
        check(&auth0, &b.token().sub("from-b").sign())
            .await
            .unwrap()
            .sub(),
        Some("from-b")
    );
    assert_eq!(
        (a.requests(Endpoint::Jwks), b.requests(Endpoint::Jwks)),
        (1, 1)
    );

    // A third issuer is refused before any network call.
    assert_eq!(
        check(&auth0, &stranger.token().sign()).await.err(),
        Some(ErrorKind::IssuerNotAllowed)
    );
    assert_eq!(
        stranger.requests(Endpoint::Discovery) + stranger.requests(Endpoint::Jwks),
        0
    );

    // A token from A signed with B's key (kid of B) does not verify.
    let cross = b.token().issuer(a.issuer()).sign();
    assert_eq!(
        check(&auth0, &cross).await.err(),
        Some(ErrorKind::UnknownKey)
    );
    // No iss at all.
    let no_iss = a.token().remove_claim("iss").sign();
    assert_eq!(
        check(&auth0, &no_iss).await.err(),
        Some(ErrorKind::MissingClaim)
    );
}

#[tokio::test]
async fn a_resolver_decides_per_request() {
    let (a, b, clock) = two_issuers().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let allowed_a = a.issuer();
    let seen = Arc::clone(&calls);
    let auth0 = Auth0::builder()
        .audience(a.audience())
        .clock(clock)
        .domains_resolver(move |ctx: ResolverContext| {
            seen.fetch_add(1, Ordering::SeqCst);
            let allowed_a = allowed_a.clone();
            async move {
                let host = ctx
                    .headers
                    .as_ref()
                    .and_then(|h| h.get("host"))
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                assert!(ctx.request_url.is_some());
                assert!(!ctx.unverified_iss.is_empty());
                match host.as_deref() {
                    Some("brand-a.example") => Ok(vec![allowed_a]),
                    Some("broken.example") => Err("lookup failed".to_owned()),
                    Some("empty.example") => Ok(vec![]),
                    _ => Ok(vec!["http://not-a-valid issuer".to_owned()]),
                }
            }
        })
        .build()
        .unwrap();
    let run = |host: &'static str, token: String| {
        let auth0 = auth0.clone();
        async move {
            let mut h = bearer(&token);
            h.insert("host", host.parse().unwrap());
            auth0
                .verify_request(&Method::GET, "https://x/", &h)
                .await
                .map_err(|e| e.kind())
        }
    };
    assert!(run("brand-a.example", a.token().sign()).await.is_ok());
    assert!(
        run("brand-a.example", a.token().sign()).await.is_ok(),
        "cached token, resolver asked again"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(
        run("brand-a.example", b.token().sign()).await.err(),
        Some(ErrorKind::IssuerNotAllowed)
    );
    assert_eq!(
        b.requests(Endpoint::Discovery) + b.requests(Endpoint::Jwks),
        0
    );
    for host in ["broken.example", "empty.example", "other.example"] {
        assert_eq!(
            run(host, a.token().sign()).await.err(),
            Some(ErrorKind::DomainsResolver),
            "{host}"
        );
    }
    // A token seen often enough to be found among the most recent hits of the token
    // cache: the resolver is still asked on every request, and its refusal holds.
    let hot = a.token().sign();
    for _ in 0..4 {
        assert!(run("brand-a.example", hot.clone()).await.is_ok());
    }
    let before = calls.load(Ordering::SeqCst);
    for host in ["broken.example", "empty.example", "other.example"] {
        assert_eq!(
            run(host, hot.clone()).await.err(),
            Some(ErrorKind::DomainsResolver),
            "{host}, cached token"
        );
    }
    assert_eq!(calls.load(Ordering::SeqCst), before + 3);
    // Resolver failures answer 500 without a challenge.
    let err = auth0_api::Error::from(ErrorKind::DomainsResolver);
    let r = auth0.error_response(&err);
    assert_eq!(r.status(), 500);
    assert!(!r.headers().contains_key(http::header::WWW_AUTHENTICATE));
}

/// `n` issuers on one clock.
async fn issuers(n: usize) -> (Vec<TestIssuer>, TestClock) {
    let clock = TestClock::system();
    let mut all = Vec::new();
    for _ in 0..n {
        all.push(TestIssuer::builder().clock(clock.clone()).start().await);
    }
    (all, clock)
}

/// Discovery and JWKS requests the issuers received, all together.
fn fetches(issuers: &[TestIssuer]) -> usize {
    issuers
        .iter()
        .map(|i| {
            i.requests(Endpoint::Discovery)
                + i.requests(Endpoint::OauthMetadata)
                + i.requests(Endpoint::Jwks)
        })
        .sum()
}

/// A verifier whose resolver allows every one of `issuers`, caching keys for `max_issuers`.
fn resolved(issuers: &[TestIssuer], clock: &TestClock, max_issuers: u64) -> Auth0Builder {
    let all: Vec<String> = issuers.iter().map(TestIssuer::issuer).collect();
    Auth0::builder()
        .audience(issuers[0].audience())
        .clock(clock.clone())
        .max_issuers(max_issuers)
        .domains_resolver(move |_: ResolverContext| {
            let all = all.clone();
            async move { Ok::<_, String>(all) }
        })
}

/// A fixed list longer than `max_issuers`: every issuer keeps its keys, each fetched once.
#[tokio::test]
async fn fixed_domains_list_caches_are_never_evicted() {
    let (all, clock) = issuers(5).await;
    let auth0 = Auth0::builder()
        .domains(all.iter().map(TestIssuer::issuer))
        .audience(all[0].audience())
        .clock(clock)
        .max_issuers(1)
        .token_cache_capacity(0)
        .build()
        .unwrap();
    for round in 0..20 {
        for issuer in &all {
            let token = issuer.token().sub(format!("round-{round}")).sign();
            assert!(check(&auth0, &token).await.is_ok(), "round {round}");
        }
    }
    for issuer in &all {
        assert_eq!(issuer.requests(Endpoint::Discovery), 1);
        assert_eq!(issuer.requests(Endpoint::Jwks), 1);
    }
}

/// Forged tokens (a `kid` no issuer publishes) rotating over more issuers than
/// `max_issuers`: each issuer's keys are fetched at most twice per cooldown (on first use,
/// and once for the unknown `kid`), not on every request, although its cache is evicted.
#[tokio::test]
async fn forged_tokens_rotating_over_many_issuers_do_not_fetch_per_request() {
    let (all, clock) = issuers(6).await;
    let auth0 = resolved(&all, &clock, 2)
        .max_key_fetches_per_second(1_000)
        .build()
        .unwrap();
    let forged: Vec<String> = all
        .iter()
        .map(|i| i.token().header("kid", "forged-kid").sign())
        .collect();
    for period in 0..3 {
        let before = fetches(&all);
        for _ in 0..50 {
            for token in &forged {
                let refused = check(&auth0, token).await.unwrap_err();
                assert!(
                    matches!(refused, ErrorKind::UnknownKey | ErrorKind::KeysUnavailable),
                    "{refused:?}"
                );
            }
        }
        let made = fetches(&all) - before;
        // Per issuer: discovery and JWKS on first use, the JWKS again for the unknown
        // `kid`: at most 3 requests per cooldown, against 300 requests sent.
        assert!(made <= 3 * all.len(), "period {period}: {made} fetches");
        assert!(made >= all.len(), "period {period}: {made} fetches");
        clock.advance(Duration::from_secs(31));
    }
}

/// Failing issuers rotating through an evicting cache: the retry delay of each issuer
/// survives the eviction of its cache, so each is asked once, not once per request.
#[tokio::test]
async fn backoff_of_failing_issuers_survives_cache_eviction() {
    let (all, clock) = issuers(6).await;
    for issuer in &all {
        issuer.set_behavior(Endpoint::Jwks, Behavior::Status(500));
    }
    let auth0 = resolved(&all, &clock, 2)
        .max_key_fetches_per_second(1_000)
        .build()
        .unwrap();
    let tokens: Vec<String> = all.iter().map(|i| i.token().sign()).collect();
    for _ in 0..50 {
        for token in &tokens {
            assert_eq!(
                check(&auth0, token).await.err(),
                Some(ErrorKind::KeysUnavailable)
            );
        }
    }
    for issuer in &all {
        assert_eq!(issuer.requests(Endpoint::Jwks), 1);
    }

    // The issuers recover; after the retry delay each is fetched again and serves.
    for issuer in &all {
        issuer.set_behavior(Endpoint::Jwks, Behavior::Normal);
    }
    clock.advance(Duration::from_secs(2));
    for token in &tokens {
        assert!(check(&auth0, token).await.is_ok());
    }
}

/// The cap on key fetches per second holds across issuers: with 3 per second and six cold
/// issuers, three are served now (the others get 503, never 401), three a second later.
#[tokio::test]
async fn fetches_per_second_are_capped_across_issuers() {
    let (all, clock) = issuers(6).await;
    let auth0 = resolved(&all, &clock, 100)
        .max_key_fetches_per_second(3)
        .build()
        .unwrap();
    let tokens: Vec<String> = all.iter().map(|i| i.token().sign()).collect();
    let outcomes = |auth0: Auth0, tokens: Vec<String>| async move {
        let mut served = 0;
        for token in &tokens {
            match check(&auth0, token).await {
                Ok(_) => served += 1,
                Err(ErrorKind::KeysUnavailable) => {}
                Err(other) => panic!("{other:?}"),
            }
        }
        served
    };
    assert_eq!(outcomes(auth0.clone(), tokens.clone()).await, 3);
    assert_eq!(
        all.iter()
            .map(|i| i.requests(Endpoint::Jwks))
            .sum::<usize>(),
        3
    );
    assert_eq!(
        outcomes(auth0.clone(), tokens.clone()).await,
        3,
        "no new fetch yet"
    );
    clock.advance(Duration::from_secs(1));
    assert_eq!(outcomes(auth0.clone(), tokens.clone()).await, 6);
    assert_eq!(
        all.iter()
            .map(|i| i.requests(Endpoint::Jwks))
            .sum::<usize>(),
        6
    );

    let response = auth0.error_response(&auth0_api::Error::from(ErrorKind::KeysUnavailable));
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
}
