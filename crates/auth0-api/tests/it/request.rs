//! The core's request-level entry, `Auth0::verify(RequestContext)`: the DPoP URL behind
//! proxies, the `Host` rules, nonces on success; and the hyper-only example over a socket.

use std::net::IpAddr;
use std::time::Duration;

use auth0_api::{Auth0, DpopMode, ErrorKind, NonceConfig, RequestContext, Scheme, TrustProxy};
use auth0_api_testing::{Algorithm, DpopKey, TestIssuer};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};

use crate::common::builder;

#[allow(dead_code, unreachable_pub)]
#[path = "../../examples/hyper_server.rs"]
mod example;

const PUBLIC: &str = "https://api.example.com/api/data";

struct Setup {
    issuer: TestIssuer,
    key: DpopKey,
    token: String,
}

impl Setup {
    async fn new() -> Self {
        let issuer = TestIssuer::start().await;
        let key = DpopKey::generate(Algorithm::ES256);
        let token = issuer.token().sub("u1").bound_to(&key).sign();
        Self { issuer, key, token }
    }

    fn auth0(&self, f: impl FnOnce(auth0_api::Auth0Builder) -> auth0_api::Auth0Builder) -> Auth0 {
        f(builder(&self.issuer)).build().expect("verifier")
    }

    fn headers(&self, htu: &str, extra: &[(&str, &str)]) -> HeaderMap {
        let proof = self
            .key
            .proof("GET", htu)
            .access_token(&self.token)
            .clock(&self.issuer.clock())
            .sign();
        let mut h = HeaderMap::new();
        h.insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_str(&format!("DPoP {}", self.token)).expect("header"),
        );
        h.insert("dpop", HeaderValue::from_str(&proof).expect("header"));
        for (name, value) in extra {
            h.append(
                HeaderName::from_bytes(name.as_bytes()).expect("name"),
                HeaderValue::from_str(value).expect("value"),
            );
        }
        h
    }
}

async fn verify(
    auth0: &Auth0,
    path: &str,
    headers: &HeaderMap,
    peer: &str,
) -> Result<Option<Scheme>, ErrorKind> {
    let uri: Uri = path.parse().expect("uri");
    let peer: Option<IpAddr> = peer.parse().ok();
    auth0
        .verify(RequestContext::new(&Method::GET, &uri, headers).peer(peer))
        .await
        .map(|c| c.scheme())
        .map_err(|e| e.kind())
}

#[tokio::test]
async fn proxy_trust_through_the_core_entry() {
    let s = Setup::new().await;
    let proxy = [
        ("host", "internal:8080"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "api.example.com"),
        ("x-forwarded-prefix", "/api"),
    ];
    let listed = s.auth0(|b| b.trust_proxy(TrustProxy::networks(["10.0.0.0/8"]).expect("nets")));
    let h = s.headers(PUBLIC, &proxy);
    assert_eq!(
        verify(&listed, "/data", &h, "10.1.2.3").await,
        Ok(Some(Scheme::Dpop))
    );
    // The same headers from a peer outside the trusted networks are ignored.
    let h = s.headers(PUBLIC, &proxy);
    assert_eq!(
        verify(&listed, "/data", &h, "192.0.2.1").await,
        Err(ErrorKind::DpopHtuMismatch)
    );
    // Untrusted: the URL is the listener's, from the Host.
    let h = s.headers("http://internal:8080/data", &proxy);
    assert_eq!(
        verify(&listed, "/data", &h, "192.0.2.1").await,
        Ok(Some(Scheme::Dpop))
    );

    // A fixed public URL wins over everything the request says.
    let fixed = s.auth0(|b| {
        b.public_url("https://api.example.com/api")
            .trust_proxy(true)
    });
    let h = s.headers(
        PUBLIC,
        &[
            ("host", "evil.example"),
            ("x-forwarded-host", "evil.example"),
        ],
    );
    assert_eq!(
        verify(&fixed, "/data", &h, "10.1.2.3").await,
        Ok(Some(Scheme::Dpop))
    );
}

#[tokio::test]
async fn a_client_forwarded_element_cannot_override_the_proxy() {
    let s = Setup::new().await;
    let trusted = s.auth0(|b| b.trust_proxy(TrustProxy::networks(["127.0.0.1"]).expect("nets")));
    // The client sends `Forwarded: host=evil.example` and signs its proof for evil; the
    // proxy appends its own element.
    let spoofed = "http://evil.example/data";
    let fwd = [
        ("host", "internal"),
        (
            "forwarded",
            "host=evil.example;proto=http, host=api.example.com;proto=https",
        ),
    ];
    let h = s.headers(spoofed, &fwd);
    assert_eq!(
        verify(&trusted, "/data", &h, "127.0.0.1").await,
        Err(ErrorKind::DpopHtuMismatch)
    );
    let h = s.headers("https://api.example.com/data", &fwd);
    assert_eq!(
        verify(&trusted, "/data", &h, "127.0.0.1").await,
        Ok(Some(Scheme::Dpop))
    );
}

#[tokio::test]
async fn a_dpop_request_without_a_valid_host_is_malformed() {
    let s = Setup::new().await;
    let auth0 = s.auth0(|b| b);
    for hosts in [
        &[][..],
        &[("host", "a.example"), ("host", "b.example")][..],
        &[("host", "a.example/x")][..],
        &[("host", "user@a.example")][..],
        &[("host", "a example")][..],
    ] {
        let h = s.headers("http://a.example/data", hosts);
        let err = auth0
            .verify(RequestContext::new(
                &Method::GET,
                &Uri::from_static("/data"),
                &h,
            ))
            .await
            .expect_err("malformed");
        assert_eq!(err.kind(), ErrorKind::InvalidHost, "{hosts:?}");
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        let response = auth0.error_response(&err);
        let www = response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok());
        assert!(
            www.is_some_and(|w| w.contains("error=\"invalid_request\"")),
            "{www:?}"
        );
    }
    // Bearer needs no URL: no Host is fine.
    let bearer = s.issuer.token().sub("u2").sign();
    let mut h = HeaderMap::new();
    h.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {bearer}")).expect("header"),
    );
    assert_eq!(
        verify(&auth0, "/data", &h, "").await,
        Ok(Some(Scheme::Bearer))
    );
    // HTTP/2 carries the authority in the URI instead of a Host header.
    let h = s.headers("https://a.example/data", &[]);
    assert_eq!(
        verify(&auth0, "https://a.example/data", &h, "").await,
        Ok(Some(Scheme::Dpop))
    );
}

#[tokio::test]
async fn the_hyper_example_answers_like_every_front_end() {
    let s = Setup::new().await;
    let auth0 = s.auth0(|b| {
        b.dpop(DpopMode::Allowed)
            .trust_proxy(TrustProxy::networks(["127.0.0.1"]).expect("nets"))
            .dpop_nonce(NonceConfig::random())
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(example::serve(
        listener,
        auth0,
        example::Routes::new().unwrap(),
    ));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let base = format!("http://{addr}");

    let r = client
        .get(format!("{base}/public"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 200);
    let r = client
        .get(format!("{base}/protected"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some(
            "Bearer realm=\"api\", DPoP algs=\"RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA Ed25519\""
        )
    );

    let bearer = s.issuer.token().sub("u2").scope("read:data").sign();
    let r = client
        .get(format!("{base}/data"))
        .bearer_auth(&bearer)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 200);
    assert!(
        r.headers().get("dpop-nonce").is_none(),
        "Bearer gets no nonce"
    );

    // DPoP behind the "proxy": the proof names the public URL the proxy reports.
    let send_dpop = |nonce: Option<String>| {
        let mut proof = s
            .key
            .proof("GET", "https://api.example.com/v1/protected")
            .access_token(&s.token)
            .clock(&s.issuer.clock());
        if let Some(n) = nonce {
            proof = proof.nonce(n);
        }
        client
            .get(format!("{base}/protected"))
            .header("authorization", format!("DPoP {}", s.token))
            .header("dpop", proof.sign())
            .header("x-forwarded-proto", "https")
            .header("x-forwarded-host", "api.example.com")
            .header("x-forwarded-prefix", "/v1")
            .send()
    };
    let r = send_dpop(None).await.expect("send");
    assert_eq!(r.status(), 401);
    let nonce = r
        .headers()
        .get("dpop-nonce")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .expect("a nonce challenge");
    let r = send_dpop(Some(nonce)).await.expect("send");
    assert_eq!(r.status(), 200);
    assert!(
        r.headers().get("dpop-nonce").is_some(),
        "the next nonce rides on success"
    );

    // Scope refusal, same as Axum: 403 with the scope in the challenge.
    let no_scope = s.issuer.token().sub("u3").sign();
    let r = client
        .get(format!("{base}/data"))
        .bearer_auth(&no_scope)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 403);
    let www = r
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok());
    assert!(
        www.is_some_and(|w| w.contains("scope=\"read:data\"")),
        "{www:?}"
    );
    server.abort();
}
