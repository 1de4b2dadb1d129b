//! Custom claims: your own serde type with `Claims<MyClaims>`, single claims with
//! `claims.get::<T>(name)`, and optional authentication with `Option<Claims>`.
//!
//! ```text
//! cargo run -p auth0-axum-api --example custom_claims
//! ```
#![allow(clippy::print_stdout)]

use auth0_api_testing::TestIssuer;
use auth0_axum_api::{Auth0, Claims};
use axum::body::Body;
use axum::http::{Request, header};
use axum::routing::get;
use axum::{Json, Router};
use http_body_util::BodyExt;
use serde::Deserialize;
use serde_json::{Value, json};
use tower::ServiceExt;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The whole payload, as your app sees it. Unknown claims are ignored.
#[derive(Debug, Deserialize)]
struct MyClaims {
    sub: String,
    #[serde(default)]
    permissions: Vec<String>,
    #[serde(rename = "https://example.com/tenant")]
    tenant: Option<String>,
}

async fn me(Claims(me): Claims<MyClaims>) -> Json<Value> {
    Json(json!({ "sub": me.sub, "tenant": me.tenant, "permissions": me.permissions }))
}

async fn plan(claims: Claims) -> Json<Value> {
    let plan: Option<String> = claims.get("https://example.com/plan");
    Json(json!({ "sub": claims.sub(), "plan": plan.unwrap_or_else(|| "free".into()) }))
}

async fn greeting(claims: Option<Claims>) -> String {
    match claims {
        Some(c) => format!("welcome back, {}", c.sub().unwrap_or("?")),
        None => "hello, stranger".to_owned(),
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let issuer = TestIssuer::start().await;
    let auth0 = Auth0::builder()
        .issuer(issuer.issuer())
        .audience(issuer.audience())
        .clock(issuer.clock())
        .build()?;
    let app = Router::new()
        .route("/me", get(me))
        .route("/plan", get(plan))
        .route("/greeting", get(greeting))
        .with_state(auth0);

    let token = issuer
        .token()
        .sub("user-1")
        .permissions(["read:data"])
        .claim("https://example.com/tenant", json!("acme"))
        .claim("https://example.com/plan", json!("pro"))
        .sign();
    for (path, auth) in [
        ("/me", Some(format!("Bearer {token}"))),
        ("/plan", Some(format!("Bearer {token}"))),
        ("/greeting", Some(format!("Bearer {token}"))),
        ("/greeting", None),
        ("/greeting", Some("Bearer expired.or.garbage".to_owned())),
    ] {
        let mut request = Request::get(path);
        if let Some(auth) = auth {
            request = request.header(header::AUTHORIZATION, auth);
        }
        let response = app.clone().oneshot(request.body(Body::empty())?).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        println!(
            "GET {path:<9} -> {status} {}",
            String::from_utf8_lossy(&body)
        );
    }
    Ok(())
}
