//! Behind a reverse proxy: which URL DPoP proofs are checked against.
//!
//! Safest: a fixed public URL (`AUTH0_PUBLIC_URL` / `.public_url(..)`). Otherwise trust the
//! proxy's `Forwarded` / `X-Forwarded-*` headers, only from the proxy's addresses; serve
//! with `into_make_service_with_connect_info::<SocketAddr>()` so the peer address is known.
//!
//! ```text
//! cargo run -p auth0-axum-api --example behind_proxy
//! ```
//!
//! nginx in front of it:
//!
//! ```text
//! location /api/ {
//!     proxy_pass http://127.0.0.1:3000/;
//!     proxy_set_header X-Forwarded-Proto $scheme;
//!     proxy_set_header X-Forwarded-Host $host;
//!     proxy_set_header X-Forwarded-Prefix /api;
//!     # nginx passes a client's own `Forwarded` header through untouched: clear it, so
//!     # only what this proxy wrote is read.
//!     proxy_set_header Forwarded "";
//! }
//! ```
#![allow(clippy::print_stdout)]

use std::net::SocketAddr;

use auth0_api_testing::{Algorithm, DpopKey, TestIssuer};
use auth0_axum_api::{Auth0, Claims, TrustProxy};
use axum::Router;
use axum::routing::get;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn protected(claims: Claims) -> String {
    format!("Hello, {}", claims.sub().unwrap_or("?"))
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let issuer = TestIssuer::start().await;
    let auth0 = Auth0::builder()
        .issuer(issuer.issuer())
        .audience(issuer.audience())
        .clock(issuer.clock())
        // Only the proxy on this host may say what the public URL is.
        .trust_proxy(TrustProxy::networks(["127.0.0.1", "::1"])?)
        .build()?;
    let app = Router::new()
        .route("/protected", get(protected))
        .with_state(auth0);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let local = listener.local_addr()?;

    // What a client behind https://api.example.com/api sends, relayed by the proxy.
    let key = DpopKey::generate(Algorithm::ES256);
    let token = issuer.token().sub("user-1").bound_to(&key).sign();
    let proof = key
        .proof("GET", "https://api.example.com/api/protected")
        .clock(&issuer.clock())
        .access_token(&token)
        .sign();
    println!(
        "the proof names https://api.example.com/api/protected; the proxy reaches http://{local}/protected"
    );
    println!(
        "curl -i -H 'Authorization: DPoP {token}' -H 'DPoP: {proof}' \\\n  -H 'X-Forwarded-Proto: https' -H 'X-Forwarded-Host: api.example.com' -H 'X-Forwarded-Prefix: /api' \\\n  http://{local}/protected"
    );
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}
