//! Over a real socket: `axum::serve` with `into_make_service_with_connect_info`, so the peer
//! address the proxy trust is checked against comes from the connection.

use std::net::SocketAddr;

use auth0_api_testing::{Algorithm, DpopKey};
use auth0_axum_api::{DpopMode, TrustProxy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::*;

async fn serve(app: axum::Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    addr
}

/// One HTTP/1.1 request; returns the status code and the raw response.
async fn http(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut head = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).await.unwrap();
    let status = out.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_and_dpop_over_a_socket_with_peer_trust() {
    let c = ctx(DpopMode::Allowed).await;
    // The loopback peer is a trusted proxy for one app and not for the other.
    let trusted = builder(&c.issuer, DpopMode::Allowed)
        .trust_proxy(TrustProxy::networks(["127.0.0.0/8"]).unwrap())
        .build()
        .unwrap();
    let untrusted = builder(&c.issuer, DpopMode::Allowed)
        .trust_proxy(TrustProxy::networks(["10.0.0.0/8"]).unwrap())
        .build()
        .unwrap();
    let trusted_addr = serve(app(&trusted)).await;
    let untrusted_addr = serve(app(&untrusted)).await;

    let token = c.issuer.token().sub("sock").sign();
    let (status, raw) = http(
        trusted_addr,
        "/protected-api",
        &[("Authorization", &bearer(&token))],
    )
    .await;
    assert_eq!(status, 200, "{raw}");
    assert!(raw.contains(r#"{"message":"Hello, sock"}"#), "{raw}");
    let (status, raw) = http(trusted_addr, "/protected", &[]).await;
    assert_eq!(status, 401);
    assert!(
        raw.to_ascii_lowercase().contains(&format!(
            "www-authenticate: bearer realm=\"api\", dpop {}",
            ALGS.to_ascii_lowercase()
        )),
        "{raw}"
    );

    let key = DpopKey::generate(Algorithm::ES256);
    let bound = c.issuer.token().bound_to(&key).sign();
    let public = "https://api.example.com/protected";
    let fwd = |proof: &str| {
        vec![
            ("Authorization".to_owned(), dpop(&bound)),
            ("DPoP".to_owned(), proof.to_owned()),
            ("X-Forwarded-Proto".to_owned(), "https".to_owned()),
            ("X-Forwarded-Host".to_owned(), "api.example.com".to_owned()),
        ]
    };
    let proof = || {
        key.proof("GET", public)
            .clock(&c.issuer.clock())
            .access_token(&bound)
            .sign()
    };
    let as_refs = |v: &[(String, String)]| {
        v.iter()
            .map(|(a, b)| (a.clone(), b.clone()))
            .collect::<Vec<_>>()
    };

    let h = as_refs(&fwd(&proof()));
    let h: Vec<(&str, &str)> = h.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let (status, raw) = http(trusted_addr, "/protected", &h).await;
    assert_eq!(status, 200, "{raw}");

    let h = as_refs(&fwd(&proof()));
    let h: Vec<(&str, &str)> = h.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let (status, raw) = http(untrusted_addr, "/protected", &h).await;
    assert_eq!(status, 401, "{raw}");
    assert!(raw.contains("DPoP proof htu mismatch"), "{raw}");

    // Untrusted: the listener URL (http + Host) is what a proof must name.
    let local = format!("http://{untrusted_addr}/protected");
    let p = key
        .proof("GET", &local)
        .clock(&c.issuer.clock())
        .access_token(&bound)
        .sign();
    let (status, raw) = http(
        untrusted_addr,
        "/protected",
        &[("Authorization", &dpop(&bound)), ("DPoP", &p)],
    )
    .await;
    assert_eq!(status, 200, "{raw}");
}
