//! Over a real socket: an `HttpServer` bound to 127.0.0.1:0, so the DPoP `htu` is checked
//! against the URL the client actually called (`Host` of the connection) and the peer
//! address comes from the connection.

use std::net::SocketAddr;

use actix_web::{App, HttpServer};
use auth0_actix_api::{Auth0, DpopMode, DpopNonce};
use auth0_api_testing::{Algorithm, DpopKey};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::*;

fn serve(auth0: &Auth0) -> SocketAddr {
    let auth0 = auth0.clone();
    let server = HttpServer::new(move || {
        App::new()
            .wrap(DpopNonce::new())
            .configure(configure(auth0.clone()))
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .unwrap();
    let addr = server.addrs()[0];
    actix_web::rt::spawn(server.run());
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

#[actix_web::test]
async fn dpop_over_a_socket_checks_htu_against_the_real_url() {
    let c = ctx(DpopMode::Allowed).await;
    let addr = serve(&c.auth0);
    let key = DpopKey::generate(Algorithm::ES256);
    let token = c.issuer.token().sub("sock").bound_to(&key).sign();
    let auth = dpop(&token);
    for route in ["/protected", "/protected-api"] {
        let proof = |url: &str| {
            key.proof("GET", url)
                .clock(&c.issuer.clock())
                .access_token(&token)
                .sign()
        };
        // The URL the client called: accepted.
        let good = proof(&format!("http://{addr}{route}"));
        let (status, raw) = http(addr, route, &[("authorization", &auth), ("dpop", &good)]).await;
        assert_eq!(status, 200, "{route}: {raw}");
        assert!(raw.contains("sock"), "{raw}");
        // Another host or path: htu mismatch.
        for wrong in [
            format!("http://example.com{route}"),
            format!("http://{addr}/elsewhere"),
            format!("https://{addr}{route}"),
        ] {
            let (status, raw) = http(
                addr,
                route,
                &[("authorization", &auth), ("dpop", &proof(&wrong))],
            )
            .await;
            assert_eq!(status, 401, "{wrong}: {raw}");
            assert!(
                raw.contains(
                    r#"error="invalid_dpop_proof", error_description="DPoP proof htu mismatch""#
                ),
                "{raw}"
            );
        }
    }
    // Bearer over the socket too.
    let plain = c.issuer.token().sub("plain").sign();
    let (status, raw) = http(
        addr,
        "/protected-api",
        &[("authorization", &bearer(&plain))],
    )
    .await;
    assert_eq!(status, 200, "{raw}");
    // And no credentials: the same bare challenge as through `actix_web::test`.
    let (status, raw) = http(addr, "/protected", &[]).await;
    assert_eq!(status, 401);
    let www = challenge(DpopMode::Allowed, None, "");
    assert!(
        raw.to_ascii_lowercase()
            .contains(&format!("www-authenticate: {}", www.to_ascii_lowercase())),
        "{raw}"
    );
}
