//! The request URL behind proxies (SPEC §6), observed through DPoP `htu`: a proof made for
//! the public URL passes exactly when the forwarded headers may be and are believed.

use std::net::SocketAddr;

use auth0_api_testing::{Algorithm, DpopKey};
use auth0_axum_api::{Auth0, DpopMode, TrustProxy};
use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::StatusCode;

use crate::support::*;

struct Proxy {
    c: Ctx,
    key: DpopKey,
    token: String,
}

impl Proxy {
    async fn new() -> Self {
        let c = ctx(DpopMode::Required).await;
        let key = DpopKey::generate(Algorithm::ES256);
        let token = c.issuer.token().sub("p").bound_to(&key).sign();
        Self { c, key, token }
    }

    fn auth0(
        &self,
        f: impl FnOnce(auth0_axum_api::Auth0Builder) -> auth0_axum_api::Auth0Builder,
    ) -> Auth0 {
        f(builder(&self.c.issuer, DpopMode::Required))
            .build()
            .expect("verifier")
    }

    /// GET `path` on `app` with a proof for `htu`, the given headers and peer address.
    async fn status(
        &self,
        app: &Router,
        path: &str,
        htu: &str,
        headers: &[(&str, &str)],
        peer: Option<&str>,
    ) -> StatusCode {
        let proof = self
            .key
            .proof("GET", htu)
            .clock(&self.c.issuer.clock())
            .access_token(&self.token)
            .sign();
        let auth = dpop(&self.token);
        let mut h = vec![("authorization", auth.as_str()), ("dpop", proof.as_str())];
        h.extend_from_slice(headers);
        let mut req = get_req(path, &h);
        if let Some(peer) = peer {
            let addr: SocketAddr = peer.parse().expect("socket address");
            req.extensions_mut().insert(ConnectInfo(addr));
        }
        let r = send(app, req).await;
        if r.status != StatusCode::OK {
            assert_eq!(
                r.json()["error_description"],
                "DPoP proof htu mismatch",
                "only the URL may differ"
            );
        }
        r.status
    }
}

const PUBLIC: &str = "https://api.example.com/api/protected";
const FORWARDED: [(&str, &str); 3] = [
    ("x-forwarded-proto", "https"),
    ("x-forwarded-host", "api.example.com"),
    ("x-forwarded-prefix", "/api"),
];

#[tokio::test]
async fn untrusted_peers_forwarded_headers_are_ignored() {
    let p = Proxy::new().await;
    let app = app(&p.auth0(|b| b));
    let fwd = [("forwarded", "proto=https;host=api.example.com")];
    assert_eq!(
        p.status(
            &app,
            "/protected",
            PUBLIC,
            &FORWARDED,
            Some("10.0.0.1:5000")
        )
        .await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        p.status(&app, "/protected", PUBLIC, &fwd, None).await,
        StatusCode::UNAUTHORIZED
    );
    // The URL is the listener's: http + Host + path.
    assert_eq!(
        p.status(
            &app,
            "/protected",
            "http://localhost/protected",
            &FORWARDED,
            None
        )
        .await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn trusted_peer_x_forwarded_headers_are_honoured() {
    let p = Proxy::new().await;
    let app = app(&p.auth0(|b| b.trust_proxy(TrustProxy::networks(["10.0.0.0/8"]).expect("cidr"))));
    assert_eq!(
        p.status(
            &app,
            "/protected",
            PUBLIC,
            &FORWARDED,
            Some("10.1.2.3:4000")
        )
        .await,
        StatusCode::OK
    );
    // Each header on its own.
    let proto = [("x-forwarded-proto", "https")];
    assert_eq!(
        p.status(
            &app,
            "/protected",
            "https://localhost/protected",
            &proto,
            Some("10.0.0.9:1")
        )
        .await,
        StatusCode::OK
    );
    let host = [("x-forwarded-host", "api.example.com:8443, proxy.internal")];
    assert_eq!(
        p.status(
            &app,
            "/protected",
            "http://api.example.com:8443/protected",
            &host,
            Some("10.0.0.9:1")
        )
        .await,
        StatusCode::OK
    );
    let prefix = [("x-forwarded-prefix", "/v2/")];
    assert_eq!(
        p.status(
            &app,
            "/protected",
            "http://localhost/v2/protected",
            &prefix,
            Some("10.0.0.9:1")
        )
        .await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn cidr_trust_is_checked_against_the_peer_address() {
    let p = Proxy::new().await;
    let app = app(
        &p.auth0(|b| b.trust_proxy(TrustProxy::networks(["10.0.0.0/8", "::1"]).expect("cidr")))
    );
    for (peer, want) in [
        (Some("10.255.0.1:80"), StatusCode::OK),
        (Some("[::1]:80"), StatusCode::OK),
        (Some("[::ffff:10.0.0.1]:80"), StatusCode::OK),
        (Some("11.0.0.1:80"), StatusCode::UNAUTHORIZED),
        (Some("192.168.0.1:80"), StatusCode::UNAUTHORIZED),
        (Some("[::2]:80"), StatusCode::UNAUTHORIZED),
        (None, StatusCode::UNAUTHORIZED),
    ] {
        assert_eq!(
            p.status(&app, "/protected", PUBLIC, &FORWARDED, peer).await,
            want,
            "peer {peer:?}"
        );
    }
}

#[tokio::test]
async fn trust_all_needs_no_peer_address() {
    let p = Proxy::new().await;
    let app = app(&p.auth0(|b| b.trust_proxy(true)));
    assert_eq!(
        p.status(&app, "/protected", PUBLIC, &FORWARDED, None).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn forwarded_wins_over_x_forwarded() {
    let p = Proxy::new().await;
    let app = app(&p.auth0(|b| b.trust_proxy(true)));
    let h = [
        (
            "forwarded",
            // The client wrote the first element; the trusted proxy appended the last one.
            "for=192.0.2.60;proto=http;host=evil.example, proto=https;host=api.example.com",
        ),
        ("x-forwarded-proto", "http"),
        ("x-forwarded-host", "other.example"),
        ("x-forwarded-prefix", "/api"),
    ];
    assert_eq!(
        p.status(&app, "/protected", PUBLIC, &h, None).await,
        StatusCode::OK
    );
    assert_eq!(
        p.status(
            &app,
            "/protected",
            "http://other.example/api/protected",
            &h,
            None
        )
        .await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn hostile_forwarded_values_fall_back_to_the_listener_url() {
    let p = Proxy::new().await;
    let app = app(&p.auth0(|b| b.trust_proxy(true)));
    let hostile: &[(&str, &str)] = &[
        ("x-forwarded-host", "evil.example/x"),
        ("x-forwarded-host", "//evil.example"),
        ("x-forwarded-host", "evil.example:99999"),
        ("x-forwarded-host", "a.example b.example"),
        ("x-forwarded-proto", "gopher"),
        ("x-forwarded-prefix", "/../admin"),
        ("x-forwarded-prefix", "//evil.example"),
        ("x-forwarded-prefix", "/%2e%2e/admin"),
        ("x-forwarded-prefix", "/a:b"),
        ("forwarded", "host=a.example;host=b.example"),
        ("forwarded", "host=\"evil.example/x\""),
    ];
    for h in hostile {
        assert_eq!(
            p.status(
                &app,
                "/protected",
                "http://localhost/protected",
                &[*h],
                None
            )
            .await,
            StatusCode::OK,
            "{h:?} must be ignored"
        );
    }
}

#[tokio::test]
async fn public_url_wins_over_everything() {
    let p = Proxy::new().await;
    let app = app(&p.auth0(|b| {
        b.public_url("https://api.example.com/api")
            .trust_proxy(true)
    }));
    let h = [
        ("x-forwarded-host", "evil.example"),
        ("x-forwarded-proto", "http"),
    ];
    assert_eq!(
        p.status(&app, "/protected", PUBLIC, &h, None).await,
        StatusCode::OK
    );
    assert_eq!(
        p.status(
            &app,
            "/protected",
            "http://evil.example/protected",
            &h,
            None
        )
        .await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn nested_routers_use_the_original_path() {
    let p = Proxy::new().await;
    let auth0 = p.auth0(|b| b);
    let app = Router::new().nest("/v1", app(&auth0));
    assert_eq!(
        p.status(
            &app,
            "/v1/protected",
            "http://localhost/v1/protected",
            &[],
            None
        )
        .await,
        StatusCode::OK
    );
    assert_eq!(
        p.status(
            &app,
            "/v1/protected-api",
            "http://localhost/protected-api",
            &[],
            None
        )
        .await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_dpop_request_without_a_valid_host_is_400_invalid_request() {
    let c = ctx(DpopMode::Allowed).await;
    let app = app(&c.auth0);
    let key = DpopKey::generate(Algorithm::ES256);
    let token = c.issuer.token().bound_to(&key).sign();
    let proof = key
        .proof("GET", "http://localhost/protected")
        .clock(&c.issuer.clock())
        .access_token(&token)
        .sign();
    for hosts in [
        vec![],
        vec![("host", "a.example"), ("host", "b.example")],
        vec![("host", "a.example/../x")],
        vec![("host", "user@a.example")],
    ] {
        let mut b = axum::http::Request::get("/protected")
            .header("authorization", dpop(&token))
            .header("dpop", &proof);
        for (name, value) in &hosts {
            b = b.header(*name, *value);
        }
        let r = send(&app, b.body(axum::body::Body::empty()).expect("request")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{hosts:?}");
        assert_eq!(r.json()["error"], "invalid_request", "{hosts:?}");
    }
}
