//! What the `axum` and `instructions` benches share: the token shape, the protected and
//! bare routers (the same shape, one with the `Claims` extractor as in the quickstart),
//! the request, and the raw aws-lc-rs floor (a pre-parsed RS256 key, each token's signing
//! input and signature).

use auth0_api_testing::TestIssuer;
use auth0_axum_api::{Auth0, Claims, DpopNonceLayer};
use aws_lc_rs::signature::{self, ParsedPublicKey, UnparsedPublicKey};
use axum::body::Body;
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::header::AUTHORIZATION;
use http::{HeaderValue, Request};
use serde_json::{Value, json};

async fn protected(claims: Claims) -> Json<Value> {
    Json(json!({ "message": format!("Hello, {}", claims.sub().unwrap_or("?")) }))
}

/// The same answer, for a subject of the tokens' shape: formatted at run time as the
/// protected route's is (a literal would be formatted at compile time), so that the
/// difference between the two routes is authentication alone.
async fn bare() -> Json<Value> {
    Json(json!({ "message": format!("Hello, {}", std::hint::black_box("user-1234")) }))
}

/// Token `i` of the benches' shape, signed by the issuer's default key.
pub(crate) fn mint(issuer: &TestIssuer, i: usize) -> String {
    issuer
        .token()
        .sub(format!("user-{i}"))
        .scope("read:data")
        .claim("jti", format!("t{i}"))
        .sign()
}

/// The `Authorization` value of each token (Bearer).
pub(crate) fn bearer_values(tokens: &[String]) -> Vec<HeaderValue> {
    tokens
        .iter()
        .map(|t| HeaderValue::from_str(&format!("Bearer {t}")).unwrap())
        .collect()
}

/// A verifier with the default configuration (verified-token cache on).
pub(crate) fn verifier(issuer: &TestIssuer) -> Auth0 {
    Auth0::builder()
        .issuer(issuer.issuer())
        .audience(issuer.audience())
        .clock(issuer.clock())
        .build()
        .unwrap()
}

/// `/protected` behind the `Claims` extractor of `auth0`.
pub(crate) fn protected_router(auth0: Auth0) -> Router {
    Router::new()
        .route("/protected", get(protected))
        .with_state(auth0)
        .layer(DpopNonceLayer::new())
}

/// The same router shape without authentication.
pub(crate) fn bare_router() -> Router {
    Router::new()
        .route("/protected", get(bare))
        .layer(DpopNonceLayer::new())
}

/// `GET /protected`, with `auth` as its `Authorization` header when given.
pub(crate) fn request(auth: Option<&HeaderValue>) -> Request<Body> {
    let mut r = Request::get("/protected").header("host", "api.example.com");
    if let Some(v) = auth {
        r = r.header(AUTHORIZATION, v.clone());
    }
    r.body(Body::empty()).unwrap()
}

/// The issuer's default RS256 key, parsed once for aws-lc-rs: the raw floor.
pub(crate) fn raw_key(issuer: &TestIssuer) -> ParsedPublicKey {
    let der = issuer.rsa_public_key_der(&issuer.default_kid()).unwrap();
    UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, der)
        .parse()
        .unwrap()
}

/// Each token's signing input and decoded signature.
pub(crate) fn raw_parts(tokens: &[String]) -> Vec<(Vec<u8>, Vec<u8>)> {
    tokens
        .iter()
        .map(|t| {
            let (input, sig) = t.rsplit_once('.').unwrap();
            (
                input.as_bytes().to_vec(),
                URL_SAFE_NO_PAD.decode(sig).unwrap(),
            )
        })
        .collect()
}
