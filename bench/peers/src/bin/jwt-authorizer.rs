//! jwt-authorizer 0.15 on axum 0.7: OIDC discovery from AUTH0_ISSUER, then the JWKS;
//! `iss`, `aud`, `exp` validated. Env: AUTH0_ISSUER, AUTH0_AUDIENCE, PORT.
use axum07::{routing::get, Json, Router};
use jwt_authorizer::{Authorizer, IntoLayer, JwtAuthorizer, JwtClaims, RegisteredClaims, Validation};
use serde_json::{json, Value};

async fn protected(JwtClaims(claims): JwtClaims<RegisteredClaims>) -> Json<Value> {
    Json(json!({ "message": format!("Hello, {}", claims.sub.as_deref().unwrap_or("?")) }))
}

async fn public() -> Json<Value> {
    Json(json!({ "message": "public" }))
}

#[tokio::main]
async fn main() {
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3000);
    let issuer = std::env::var("AUTH0_ISSUER").expect("AUTH0_ISSUER");
    let audience = std::env::var("AUTH0_AUDIENCE").expect("AUTH0_AUDIENCE");
    let validation = Validation::new().iss(&[issuer.as_str()]).aud(&[audience.as_str()]);
    let auth: Authorizer<RegisteredClaims> = JwtAuthorizer::from_oidc(&issuer)
        .validation(validation)
        .build()
        .await
        .expect("OIDC discovery");
    let app = Router::new()
        .route("/protected", get(protected))
        .layer(auth.into_layer())
        .route("/public", get(public));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
    axum07::serve(listener, app).await.expect("serve");
}
