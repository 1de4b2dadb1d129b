//! DPoP (RFC 9449, SPEC §5) through the core verifier: every proof check, the binding,
//! replay protection and server nonces.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use auth0_api::{
    Algorithm, Auth0, DpopMode, ErrorKind, MemoryReplayStore, NonceConfig, ReplayKey, ReplayStore,
    ReplayStoreError, UnixTime,
};
use auth0_api_testing::{DpopKey, TestIssuer};
use futures_util::future::join_all;
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue, Method};
use serde_json::json;

use crate::common::builder;

const URL: &str = "https://api.example.com/data";

fn dpop_headers(token: &str, proof: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("DPoP {token}")).unwrap(),
    );
    h.insert("dpop", HeaderValue::from_str(proof).unwrap());
    h
}

async fn run(auth0: &Auth0, method: &str, url: &str, headers: &HeaderMap) -> Result<(), ErrorKind> {
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    auth0
        .verify_request(&method, url, headers)
        .await
        .map(|_| ())
        .map_err(|e| e.kind())
}

struct Setup {
    issuer: TestIssuer,
    auth0: Auth0,
    key: DpopKey,
    token: String,
}

impl Setup {
    async fn new(mode: DpopMode) -> Self {
        let issuer = TestIssuer::start().await;
        let auth0 = builder(&issuer).dpop(mode).build().unwrap();
        let key = DpopKey::generate(Algorithm::ES256);
        let token = issuer.token().bound_to(&key).sign();
        Self {
            issuer,
            auth0,
            key,
            token,
        }
    }

    fn proof(&self) -> auth0_api_testing::ProofBuilder {
        self.key
            .proof("GET", URL)
            .access_token(&self.token)
            .clock(&self.issuer.clock())
    }

    async fn send(&self, proof: &str) -> Result<(), ErrorKind> {
        run(&self.auth0, "GET", URL, &dpop_headers(&self.token, proof)).await
    }
}

#[tokio::test]
async fn accepts_valid_proofs_for_every_algorithm_in_allowed_and_required_modes() {
    for mode in [DpopMode::Allowed, DpopMode::Required] {
        let s = Setup::new(mode).await;
        for alg in [
            Algorithm::ES256,
            Algorithm::ES384,
            Algorithm::ES512,
            Algorithm::RS256,
            Algorithm::PS256,
            Algorithm::EdDSA,
        ] {
            let key = DpopKey::generate(alg);
            let token = s.issuer.token().bound_to(&key).sign();
            let proof = key
                .proof("GET", URL)
                .access_token(&token)
                .clock(&s.issuer.clock())
                .sign();
            let r = run(&s.auth0, "GET", URL, &dpop_headers(&token, &proof)).await;
            assert_eq!(r, Ok(()), "{mode:?} {alg:?}");
        }
    }
    let disabled = Setup::new(DpopMode::Disabled).await;
    assert_eq!(
        disabled.send(&disabled.proof().sign()).await,
        Err(ErrorKind::UnsupportedScheme)
    );
}

#[tokio::test]
async fn proof_header_rules() {
    let s = Setup::new(DpopMode::Allowed).await;
    let mut none = HeaderMap::new();
    none.insert(AUTHORIZATION, format!("DPoP {}", s.token).parse().unwrap());
    assert_eq!(
        run(&s.auth0, "GET", URL, &none).await,
        Err(ErrorKind::MissingDpopProof)
    );

    let mut two = dpop_headers(&s.token, &s.proof().sign());
    two.append("dpop", s.proof().sign().parse().unwrap());
    assert_eq!(
        run(&s.auth0, "GET", URL, &two).await,
        Err(ErrorKind::MultipleDpopProofs)
    );

    let joined = format!("{},{}", s.proof().sign(), s.proof().sign());
    assert_eq!(s.send(&joined).await, Err(ErrorKind::MultipleDpopProofs));

    let huge = s.proof().claim("pad", "x".repeat(9000)).sign();
    assert_eq!(s.send(&huge).await, Err(ErrorKind::DpopProofTooLarge));

    for junk in ["a.b", "not-a-jwt", "a.b.c"] {
        assert_eq!(
            s.send(junk).await,
            Err(ErrorKind::MalformedDpopProof),
            "{junk}"
        );
    }
}

#[tokio::test]
async fn proof_header_checks() {
    let s = Setup::new(DpopMode::Allowed).await;
    assert_eq!(
        s.send(&s.proof().header("typ", "JWT").sign()).await,
        Err(ErrorKind::InvalidDpopProofType)
    );
    assert_eq!(
        s.send(&s.proof().header("typ", "DPOP+JWT").sign()).await,
        Err(ErrorKind::InvalidDpopProofType)
    );
    assert_eq!(
        s.send(&s.proof().remove_header("typ").sign()).await,
        Err(ErrorKind::InvalidDpopProofType)
    );
    assert_eq!(
        s.send(&s.proof().header("alg", "none").sign()).await,
        Err(ErrorKind::UnsupportedDpopAlgorithm)
    );
    assert_eq!(
        s.send(&s.proof().header("alg", "HS256").sign()).await,
        Err(ErrorKind::UnsupportedDpopAlgorithm)
    );
    assert_eq!(
        s.send(&s.proof().remove_header("jwk").sign()).await,
        Err(ErrorKind::InvalidDpopKey)
    );
    assert_eq!(
        s.send(&s.proof().header("jwk", "key").sign()).await,
        Err(ErrorKind::InvalidDpopKey)
    );
    assert_eq!(
        s.send(&s.proof().include_private_key().sign()).await,
        Err(ErrorKind::InvalidDpopKey)
    );
    // An RSA jwk with an ES256 alg.
    let rsa = DpopKey::generate(Algorithm::RS256);
    assert_eq!(
        s.send(&s.proof().header("jwk", rsa.public_jwk()).sign())
            .await,
        Err(ErrorKind::InvalidDpopKey)
    );
    // A symmetric "jwk".
    assert_eq!(
        s.send(
            &s.proof()
                .header("jwk", json!({"kty":"oct","k":"c2VjcmV0"}))
                .sign()
        )
        .await,
        Err(ErrorKind::InvalidDpopKey)
    );
    // Signed by another key than the one in the header.
    let other = DpopKey::generate(Algorithm::ES256);
    assert_eq!(
        s.send(&s.proof().sign_with(&other)).await,
        Err(ErrorKind::InvalidDpopSignature)
    );
    assert_eq!(
        s.send(&s.proof().header("crit", json!(["x"])).sign()).await,
        Err(ErrorKind::MalformedDpopProof)
    );

    // The allowlist is configurable and advertised.
    let only_es = builder(&s.issuer)
        .dpop_algorithms([Algorithm::ES384])
        .build()
        .unwrap();
    let r = run(
        &only_es,
        "GET",
        URL,
        &dpop_headers(&s.token, &s.proof().sign()),
    )
    .await;
    assert_eq!(r, Err(ErrorKind::UnsupportedDpopAlgorithm));
    let err = only_es
        .verify_request(&Method::GET, URL, &HeaderMap::new())
        .await
        .unwrap_err();
    let challenge = only_es.error_response(&err).headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(challenge, r#"Bearer realm="api", DPoP algs="ES384""#);
}

#[tokio::test]
async fn proof_claim_checks() {
    let s = Setup::new(DpopMode::Required).await;
    assert_eq!(
        s.send(&s.proof().remove_claim("jti").sign()).await,
        Err(ErrorKind::InvalidDpopJti)
    );
    assert_eq!(
        s.send(&s.proof().jti("").sign()).await,
        Err(ErrorKind::InvalidDpopJti)
    );
    assert_eq!(
        s.send(&s.proof().claim("jti", 5).sign()).await,
        Err(ErrorKind::InvalidDpopJti)
    );
    assert_eq!(
        s.send(&s.proof().jti("j".repeat(300)).sign()).await,
        Err(ErrorKind::InvalidDpopJti)
    );

    assert_eq!(
        s.send(&s.proof().htm("POST").sign()).await,
        Err(ErrorKind::DpopHtmMismatch)
    );
    assert_eq!(
        s.send(&s.proof().htm("get").sign()).await,
        Err(ErrorKind::DpopHtmMismatch),
        "exact"
    );
    assert_eq!(
        s.send(&s.proof().remove_claim("htm").sign()).await,
        Err(ErrorKind::DpopHtmMismatch)
    );

    for htu in [
        "https://api.example.com/other",
        "https://api.example.com/data/",
        "https://evil.example.com/data",
        "http://api.example.com/data",
        "https://api.example.com:8443/data",
        "/data",
    ] {
        assert_eq!(
            s.send(&s.proof().htu(htu).sign()).await,
            Err(ErrorKind::DpopHtuMismatch),
            "{htu}"
        );
    }
    assert_eq!(
        s.send(&s.proof().remove_claim("htu").sign()).await,
        Err(ErrorKind::DpopHtuMismatch)
    );
    for htu in [
        "https://API.Example.COM/data",
        "https://api.example.com:443/data",
        "https://api.example.com/data?x=1",
        "https://api.example.com/data#frag",
        "https://api.example.com/./data",
        "https://api.example.com/%64ata",
    ] {
        assert_eq!(s.send(&s.proof().htu(htu).sign()).await, Ok(()), "{htu}");
    }

    assert_eq!(
        s.send(&s.proof().remove_claim("ath").sign()).await,
        Err(ErrorKind::DpopAthMismatch)
    );
    assert_eq!(
        s.send(&s.proof().ath("abc").sign()).await,
        Err(ErrorKind::DpopAthMismatch)
    );
    assert_eq!(
        s.send(&s.proof().access_token("another-token").sign())
            .await,
        Err(ErrorKind::DpopAthMismatch)
    );
}

#[tokio::test]
async fn proof_claims_in_any_valid_json_spelling_are_read_alike() {
    let s = Setup::new(DpopMode::Required).await;
    let now = s.issuer.clock().now().as_secs();
    // An escaped `jti` and a fractional `iat` (JSON the common-case reader leaves to the
    // full one): accepted, and the `jti` recorded unescaped, so the same one is a replay.
    let proof = |jti: &str| {
        s.proof()
            .jti(jti)
            .claim("iat", now as f64 + 0.5)
            .claim("htu", format!("{URL}?q=\u{e9}"))
            .sign()
    };
    assert_eq!(s.send(&proof("quote\" back\\ slash")).await, Ok(()));
    assert_eq!(
        s.send(&proof("quote\" back\\ slash")).await,
        Err(ErrorKind::DpopReplay)
    );
    assert_eq!(s.send(&proof("quote\" back\\ slash2")).await, Ok(()));
    assert_eq!(
        s.send(&s.proof().claim("iat", -1.5).sign()).await,
        Err(ErrorKind::InvalidDpopIat)
    );
    assert_eq!(
        s.send(&s.proof().claim("htm", serde_json::json!(["GET"])).sign())
            .await,
        Err(ErrorKind::DpopHtmMismatch)
    );
}

#[tokio::test]
async fn proof_iat_window() {
    let s = Setup::new(DpopMode::Allowed).await;
    let now = s.issuer.clock().now();
    let at = |secs_from_now: i64| {
        if secs_from_now >= 0 {
            now.saturating_add(Duration::from_secs(secs_from_now as u64))
        } else {
            now.saturating_sub(Duration::from_secs(secs_from_now.unsigned_abs()))
        }
    };
    assert_eq!(
        s.send(&s.proof().iat(at(-301)).sign()).await,
        Err(ErrorKind::InvalidDpopIat)
    );
    assert_eq!(
        s.send(&s.proof().iat(at(31)).sign()).await,
        Err(ErrorKind::InvalidDpopIat)
    );
    assert_eq!(s.send(&s.proof().iat(at(-300)).sign()).await, Ok(()));
    assert_eq!(s.send(&s.proof().iat(at(30)).sign()).await, Ok(()));
    assert_eq!(
        s.send(&s.proof().remove_claim("iat").sign()).await,
        Err(ErrorKind::InvalidDpopIat)
    );
    assert_eq!(
        s.send(&s.proof().claim("iat", "now").sign()).await,
        Err(ErrorKind::InvalidDpopIat)
    );

    let strict = builder(&s.issuer)
        .dpop_iat_offset(Duration::from_secs(10))
        .dpop_iat_leeway(Duration::from_secs(0))
        .build()
        .unwrap();
    let send = |p: String| {
        let strict = strict.clone();
        let token = s.token.clone();
        async move { run(&strict, "GET", URL, &dpop_headers(&token, &p)).await }
    };
    assert_eq!(
        send(s.proof().iat(at(-11)).sign()).await,
        Err(ErrorKind::InvalidDpopIat)
    );
    assert_eq!(
        send(s.proof().iat(at(1)).sign()).await,
        Err(ErrorKind::InvalidDpopIat)
    );
    assert_eq!(send(s.proof().iat(at(-5)).sign()).await, Ok(()));
}

#[tokio::test]
async fn binding_checks() {
    let s = Setup::new(DpopMode::Allowed).await;
    // Token bound to another key.
    let other = DpopKey::generate(Algorithm::ES256);
    let token = s.issuer.token().bound_to(&other).sign();
    let proof = s
        .key
        .proof("GET", URL)
        .access_token(&token)
        .clock(&s.issuer.clock())
        .sign();
    assert_eq!(
        run(&s.auth0, "GET", URL, &dpop_headers(&token, &proof)).await,
        Err(ErrorKind::JktMismatch)
    );
    // Unbound token with the DPoP scheme.
    let plain = s.issuer.token().sign();
    let proof = s
        .key
        .proof("GET", URL)
        .access_token(&plain)
        .clock(&s.issuer.clock())
        .sign();
    assert_eq!(
        run(&s.auth0, "GET", URL, &dpop_headers(&plain, &proof)).await,
        Err(ErrorKind::UnboundTokenWithDpop)
    );
    // Invalid token with a valid proof: the token error wins.
    let expired = s.issuer.token().bound_to(&s.key).expired().sign();
    let proof = s
        .key
        .proof("GET", URL)
        .access_token(&expired)
        .clock(&s.issuer.clock())
        .sign();
    assert_eq!(
        run(&s.auth0, "GET", URL, &dpop_headers(&expired, &proof)).await,
        Err(ErrorKind::Expired)
    );
}

#[tokio::test]
async fn a_replayed_proof_is_refused() {
    let s = Setup::new(DpopMode::Allowed).await;
    let proof = s.proof().sign();
    assert_eq!(s.send(&proof).await, Ok(()));
    assert_eq!(s.send(&proof).await, Err(ErrorKind::DpopReplay));
    // A refused proof does not consume its jti.
    let p2 = s.proof().jti("fresh-jti").htm("POST").sign();
    assert_eq!(s.send(&p2).await, Err(ErrorKind::DpopHtmMismatch));
    assert_eq!(s.send(&s.proof().jti("fresh-jti").sign()).await, Ok(()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proof_replayed_10000_times_concurrently_is_accepted_once() {
    let s = Setup::new(DpopMode::Allowed).await;
    let headers = Arc::new(dpop_headers(&s.token, &s.proof().sign()));
    let tasks = (0..10_000).map(|_| {
        let auth0 = s.auth0.clone();
        let headers = Arc::clone(&headers);
        tokio::spawn(async move { run(&auth0, "GET", URL, &headers).await })
    });
    let results: Vec<_> = join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Ok(()) | Err(ErrorKind::DpopReplay)))
    );
}

#[derive(Debug)]
struct DownStore(AtomicUsize);

impl ReplayStore for DownStore {
    fn check_and_store<'a>(
        &'a self,
        _key: &'a ReplayKey<'a>,
        _now: UnixTime,
        _expires_at: UnixTime,
    ) -> Pin<Box<dyn Future<Output = Result<bool, ReplayStoreError>> + Send + 'a>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {
            Err(ReplayStoreError::new(std::io::Error::other(
                "connection refused",
            )))
        })
    }
}

#[tokio::test]
async fn an_unreachable_replay_store_fails_closed() {
    let s = Setup::new(DpopMode::Allowed).await;
    let auth0 = builder(&s.issuer)
        .replay_store(DownStore(AtomicUsize::new(0)))
        .build()
        .unwrap();
    let headers = dpop_headers(&s.token, &s.proof().sign());
    let err = auth0
        .verify_request(&Method::GET, URL, &headers)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ReplayStoreUnavailable);
    let r = auth0.error_response(&err);
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    // The default store is bounded and per process.
    let _ = MemoryReplayStore::new();
}

#[tokio::test]
async fn server_nonces() {
    let s = Setup::new(DpopMode::Allowed).await;
    let auth0 = builder(&s.issuer)
        .dpop_nonce(
            NonceConfig::new([7u8; 32])
                .unwrap()
                .lifetime(Duration::from_secs(60)),
        )
        .build()
        .unwrap();
    let send = |p: String| {
        let auth0 = auth0.clone();
        let token = s.token.clone();
        async move {
            auth0
                .verify_request(&Method::GET, URL, &dpop_headers(&token, &p))
                .await
        }
    };
    // No nonce: 401 use_dpop_nonce with a fresh nonce in the error and the response.
    let err = send(s.proof().sign()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UseDpopNonce);
    let nonce = err.dpop_nonce().unwrap().to_owned();
    let r = auth0.error_response(&err);
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["dpop-nonce"].to_str().unwrap(), nonce);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains(r#"DPoP error="use_dpop_nonce""#)
    );
    // With it: accepted.
    assert!(send(s.proof().nonce(&nonce).sign()).await.is_ok());
    // A forged or stale nonce is refused the same way.
    assert_eq!(
        send(s.proof().nonce("forged").sign())
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::UseDpopNonce
    );
    s.issuer.clock().advance(Duration::from_secs(120));
    assert_eq!(
        send(s.proof().nonce(&nonce).sign())
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::UseDpopNonce
    );
    // The next nonce for successful responses.
    let next = auth0.next_dpop_nonce().unwrap();
    assert!(send(s.proof().nonce(&next).sign()).await.is_ok());
    assert!(
        builder(&s.issuer)
            .build()
            .unwrap()
            .next_dpop_nonce()
            .is_none(),
        "off by default"
    );
}
