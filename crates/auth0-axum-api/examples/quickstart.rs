//! The quickstart API server: `/public`, `/protected`, `GET /data` (`read:data`), `POST /data` (`write:data`).
//!
//! ```text
//! cargo run -p auth0-axum-api --example quickstart
//! ```
//!
//! Configuration (environment):
//! - `AUTH0_DOMAIN` or `AUTH0_ISSUER`: the issuer. With neither, an embedded test issuer
//!   starts on 127.0.0.1 and ready-to-use tokens and curl lines are printed.
//! - `AUTH0_AUDIENCE`: the API identifier (required with a real issuer).
//! - `AUTH0_DPOP`: `disabled`, `allowed` (default) or `required`.
//! - `AUTH0_PUBLIC_URL`: the public base URL DPoP proofs are checked against.
//! - `AUTH0_REDIS_URL`: keep DPoP proof `jti`s in Redis, shared by several instances
//!   (e.g. `redis://127.0.0.1:6379`), instead of in this process.
//! - `AUTH0_DPOP_NONCE=on`: require DPoP server nonces. Instances behind one load balancer
//!   share `AUTH0_DPOP_NONCE_SECRET` (at least 32 bytes); without it each instance uses a
//!   random secret.
//! - `AUTH0_TOKEN_CACHE_CAPACITY`: verified tokens kept (default 10000, `0` turns the cache
//!   off); size it to the distinct tokens in use within an hour.
//! - `PORT`: default 3000; the server binds 127.0.0.1.
//!
//! Routes: `GET /public`, `GET /protected` (any valid token), `GET /data` (scope
//! `read:data`), `POST /data` (scope `write:data`).
#![allow(clippy::print_stdout)]

use std::process::ExitCode;

use auth0_api_testing::{Algorithm, DpopKey, TestIssuer};
use auth0_axum_api::auth0_api::NonceConfig;
use auth0_axum_api::{Auth0, Auth0Ext, Claims, DpopMode, DpopNonceLayer};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,auth0_axum_api=debug".into()),
        )
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), BoxError> {
    let dpop: DpopMode = env("AUTH0_DPOP").as_deref().unwrap_or("allowed").parse()?;
    let port: u16 = match env("PORT") {
        Some(p) => p
            .parse()
            .map_err(|_| format!("PORT is not a port number: {p}"))?,
        None => 3000,
    };

    let mut builder = Auth0::builder().dpop(dpop);
    let mut test_issuer = None;
    if let Some(domain) = env("AUTH0_DOMAIN") {
        builder = builder.domain(domain);
    } else if let Some(issuer) = env("AUTH0_ISSUER") {
        builder = builder.issuer(issuer);
    } else {
        let mut b = TestIssuer::builder().key(Algorithm::ES256);
        if let Some(audience) = env("AUTH0_AUDIENCE") {
            b = b.audience(audience);
        }
        let issuer = b.start().await;
        // The embedded issuer's clock follows the system clock, so printed tokens expire
        // and proofs age as they would with a real issuer.
        let clock = issuer.clock();
        tokio::spawn(async move {
            loop {
                clock.set(auth0_axum_api::auth0_api::Clock::now(
                    &auth0_axum_api::auth0_api::SystemClock,
                ));
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
        });
        builder = builder.issuer(issuer.issuer()).clock(issuer.clock());
        test_issuer = Some(issuer);
    }
    match (env("AUTH0_AUDIENCE"), &test_issuer) {
        (Some(audience), _) => builder = builder.audience(audience),
        (None, Some(issuer)) => builder = builder.audience(issuer.audience()),
        (None, None) => {
            return Err("AUTH0_AUDIENCE is required with AUTH0_DOMAIN or AUTH0_ISSUER".into());
        }
    }
    let public_url = env("AUTH0_PUBLIC_URL");
    if let Some(url) = &public_url {
        builder = builder.public_url(url.clone());
    }
    if let Some(url) = env("AUTH0_REDIS_URL") {
        let store = auth0_api_redis::RedisReplayStore::connect(&url)
            .await
            .map_err(|e| format!("AUTH0_REDIS_URL: {e}"))?;
        println!("DPoP replay store: Redis");
        builder = builder.replay_store(store);
    }
    let nonces = match env("AUTH0_DPOP_NONCE")
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("off" | "0" | "false") => false,
        Some("on" | "1" | "true") => true,
        Some(other) => {
            return Err(format!("AUTH0_DPOP_NONCE must be on or off, not {other}").into());
        }
    };
    if nonces {
        let config = match env("AUTH0_DPOP_NONCE_SECRET") {
            Some(secret) => NonceConfig::new(secret.into_bytes())
                .map_err(|e| format!("AUTH0_DPOP_NONCE_SECRET: {e}"))?,
            None => NonceConfig::random(),
        };
        println!("DPoP server nonces: on");
        builder = builder.dpop_nonce(config);
    }
    if let Some(n) = env("AUTH0_TOKEN_CACHE_CAPACITY") {
        let n: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("AUTH0_TOKEN_CACHE_CAPACITY is not a number of tokens: {n}"))?;
        builder = builder.token_cache_capacity(n);
    }
    let auth0 = builder.build()?;

    let app = Router::new()
        .route("/public", get(public))
        .route("/protected", get(protected))
        .route(
            "/data",
            get(read_data)
                .route_layer(auth0.require_auth().scopes(["read:data"])?)
                .merge(post(write_data).route_layer(auth0.require_auth().scopes(["write:data"])?)),
        )
        .with_state(auth0.clone());
    // With server nonces, the `Claims` extractor on `/protected` leaves the next DPoP nonce
    // for this layer to send; without them there is none, and no layer to pay for.
    let app = if nonces {
        app.layer(DpopNonceLayer::new())
    } else {
        app
    };

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let local = listener.local_addr()?;
    let base = public_url
        .map(|u| u.trim_end_matches('/').to_owned())
        .unwrap_or_else(|| format!("http://{local}"));
    println!("listening on http://{local}");
    if let Some(issuer) = &test_issuer {
        print_try_it(issuer, &auth0, &base, dpop);
    }
    // No `ConnectInfo`: the peer address only matters to a verifier that trusts proxies
    // (see the `behind_proxy` example), and this one trusts none.
    axum::serve(listener, app).await?;
    Ok(())
}

async fn public() -> Json<Value> {
    Json(json!({ "message": "Hello from a public endpoint" }))
}

async fn protected(claims: Claims) -> Json<Value> {
    Json(json!({ "message": format!("Hello, {}", claims.sub().unwrap_or("?")) }))
}

async fn read_data(claims: Claims) -> Json<Value> {
    Json(json!({ "data": ["alpha", "beta"], "sub": claims.sub() }))
}

async fn write_data(claims: Claims) -> Json<Value> {
    Json(json!({ "written": true, "sub": claims.sub() }))
}

/// Tokens from the embedded issuer and what each curl line returns.
fn print_try_it(issuer: &TestIssuer, auth0: &Auth0, base: &str, dpop: DpopMode) {
    let reader = issuer.token().sub("user-123").scope("read:data").sign();
    let no_scopes = issuer.token().sub("user-456").sign();
    let bearer = |status_if_accepted: &str| {
        if dpop.accepts_bearer() {
            status_if_accepted.to_owned()
        } else {
            "401 (DPoP required: Bearer is not accepted)".to_owned()
        }
    };
    println!();
    println!(
        "embedded test issuer: {} (audience {})",
        issuer.issuer(),
        issuer.audience()
    );
    println!();
    println!("bearer token (sub user-123, scope read:data):");
    println!("  {reader}");
    println!("bearer token without scopes (sub user-456):");
    println!("  {no_scopes}");
    println!();
    println!("# 200: no token needed");
    println!("curl -i {base}/public");
    println!("# 401: no credentials (WWW-Authenticate lists the accepted schemes)");
    println!("curl -i {base}/protected");
    println!("# {}: {{\"message\":\"Hello, user-123\"}}", bearer("200"));
    println!("curl -i -H 'Authorization: Bearer {reader}' {base}/protected");
    println!("# {}: scope read:data present", bearer("200"));
    println!("curl -i -H 'Authorization: Bearer {reader}' {base}/data");
    println!("# {}: insufficient_scope (needs read:data)", bearer("403"));
    println!("curl -i -H 'Authorization: Bearer {no_scopes}' {base}/data");
    println!("# {}: insufficient_scope (needs write:data)", bearer("403"));
    println!("curl -i -X POST -H 'Authorization: Bearer {reader}' {base}/data");
    println!("# {}", bearer("401: invalid_token"));
    println!("curl -i -H 'Authorization: Bearer not.a.token' {base}/protected");
    println!();
    if dpop.accepts_dpop() {
        let key = DpopKey::generate(Algorithm::ES256);
        let bound = issuer
            .token()
            .sub("user-789")
            .scope("read:data")
            .bound_to(&key)
            .sign();
        let url = format!("{base}/protected");
        let mut proof = key
            .proof("GET", &url)
            .clock(&issuer.clock())
            .access_token(&bound);
        if let Some(nonce) = auth0.next_dpop_nonce() {
            // With server nonces on, a proof needs a fresh nonce from the server.
            proof = proof.nonce(nonce);
        }
        let proof = proof.sign();
        println!("# 200: DPoP-bound token with a proof for GET {url}");
        println!(
            "# (a proof is single-use and valid for 5 minutes: a second run answers 401 invalid_dpop_proof)"
        );
        println!("curl -i -H 'Authorization: DPoP {bound}' -H 'DPoP: {proof}' {url}");
        println!("# 401: a DPoP-bound token never works as Bearer");
        println!("curl -i -H 'Authorization: Bearer {bound}' {url}");
    } else {
        println!(
            "DPoP is disabled (AUTH0_DPOP=disabled): the DPoP scheme answers 401 with a bare challenge"
        );
    }
    println!();
}
