//! An API that exchanges the caller's access token for a token to an upstream provider
//! (Auth0 Token Vault, `get_access_token_for_connection`), then would call that provider.
//!
//! ```text
//! cargo run -p auth0-axum-api --example token_exchange
//! ```
//!
//! With `AUTH0_DOMAIN`, `AUTH0_AUDIENCE`, `AUTH0_CLIENT_ID` and `AUTH0_CLIENT_SECRET` set it
//! talks to your tenant; without them an embedded test issuer plays Auth0 (its token
//! endpoint answers every exchange), the example calls its own route once and prints what
//! happened, then exits.
#![allow(clippy::print_stdout)]

use auth0_api_testing::{TestIssuer, TokenResponse};
use auth0_axum_api::auth0_api::{ConnectionTokenRequest, ExchangeError, TokenExchange};
use auth0_axum_api::{Auth0, Claims};
use axum::extract::{FromRef, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use tower::ServiceExt;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The router state: the verifier (for the `Claims` extractor) and the token exchange built
/// from it.
#[derive(Clone)]
struct AppState {
    auth0: Auth0,
    exchange: TokenExchange,
}

impl FromRef<AppState> for Auth0 {
    fn from_ref(state: &AppState) -> Self {
        state.auth0.clone()
    }
}

impl FromRef<AppState> for TokenExchange {
    fn from_ref(state: &AppState) -> Self {
        state.exchange.clone()
    }
}

/// The caller's access token, as verified by the `Claims` extractor before this runs.
fn access_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (_scheme, token) = value.split_once(' ')?;
    Some(token.trim())
}

/// `GET /calendar`: needs a valid token; exchanges it for a Google token via the
/// `google-oauth2` connection.
async fn calendar(
    State(exchange): State<TokenExchange>,
    claims: Claims,
    headers: HeaderMap,
) -> Result<Json<Value>, (StatusCode, Json<Value>)> {
    let token = access_token(&headers).ok_or((StatusCode::UNAUTHORIZED, Json(json!({}))))?;
    let request = ConnectionTokenRequest::new("google-oauth2", token);
    match exchange.get_access_token_for_connection(request).await {
        Ok(upstream) => Ok(Json(json!({
            "user": claims.sub(),
            // Never return or log the upstream token itself; use it to call the provider.
            "upstream_token_expires_at": upstream.expires_at().as_secs(),
            "upstream_scope": upstream.scope(),
        }))),
        Err(e) => Err(exchange_failed(&e)),
    }
}

fn exchange_failed(e: &ExchangeError) -> (StatusCode, Json<Value>) {
    (
        e.status(),
        Json(json!({ "error": "upstream_token_unavailable", "error_description": e.to_string() })),
    )
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let (auth0, issuer) = match (env("AUTH0_DOMAIN"), env("AUTH0_AUDIENCE")) {
        (Some(domain), Some(audience)) => {
            let auth0 = Auth0::builder().domain(domain).audience(audience).build()?;
            (auth0, None)
        }
        _ => {
            let issuer = TestIssuer::start().await;
            issuer.set_token_response(TokenResponse::json(
                200,
                json!({"access_token": "upstream-token", "expires_in": 3600, "scope": "calendar.read"}),
            ));
            let auth0 = Auth0::builder()
                .issuer(issuer.issuer())
                .audience(issuer.audience())
                .clock(issuer.clock())
                .build()?;
            (auth0, Some(issuer))
        }
    };
    let (client_id, client_secret) = match issuer {
        None => (
            env("AUTH0_CLIENT_ID").ok_or("AUTH0_CLIENT_ID is required")?,
            env("AUTH0_CLIENT_SECRET").ok_or("AUTH0_CLIENT_SECRET is required")?,
        ),
        Some(_) => ("my-api-client".to_owned(), "my-api-secret".to_owned()),
    };
    let exchange = auth0
        .token_exchange()
        .client_id(client_id)
        .client_secret(client_secret)
        .build()?;
    let app = Router::new()
        .route("/calendar", get(calendar))
        .with_state(AppState { auth0, exchange });

    let Some(issuer) = issuer else {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
        println!("listening on http://{}", listener.local_addr()?);
        axum::serve(listener, app).await?;
        return Ok(());
    };
    let token = issuer.token().sub("auth0|alice").sign();
    let response = app
        .oneshot(
            axum::http::Request::get("/calendar")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(axum::body::Body::empty())?,
        )
        .await?;
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 16).await?;
    println!(
        "GET /calendar -> {status}: {}",
        String::from_utf8_lossy(&body)
    );
    let sent = issuer.token_requests();
    if let Some(r) = sent.first() {
        println!(
            "the token endpoint received grant_type={:?}, connection={:?}",
            r.form_value("grant_type").unwrap_or_default(),
            r.form_value("connection").unwrap_or_default()
        );
    }
    if status != StatusCode::OK {
        return Err("the exchange did not succeed".into());
    }
    Ok(())
}
