//! Multiple custom domains (SPEC §9).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use auth0_api::{Auth0, ErrorKind, ResolverContext};
use auth0_api_testing::{Algorithm, Endpoint, TestClock, TestIssuer};
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
    // Resolver failures answer 500 without a challenge.
    let err = auth0_api::Error::from(ErrorKind::DomainsResolver);
    let r = auth0.error_response(&err);
    assert_eq!(r.status(), 500);
    assert!(!r.headers().contains_key(http::header::WWW_AUTHENTICATE));
}
