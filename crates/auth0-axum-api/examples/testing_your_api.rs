//! Testing your own API with `auth0-api-testing`: an in-process issuer signs tokens your
//! `Auth0` verifier accepts, so tests need no Auth0 tenant and no network beyond 127.0.0.1.
//!
//! ```text
//! cargo run -p auth0-axum-api --example testing_your_api
//! ```
//!
//! In your crate the same code goes in `#[tokio::test]` functions, with `auth0-api-testing`
//! as a dev-dependency.
#![allow(clippy::print_stdout)]

use auth0_api_testing::TestIssuer;
use auth0_axum_api::{Auth0, Auth0Ext, Claims, ConfigError};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use tower::ServiceExt;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The app under test, built from the verifier like in production.
fn app(auth0: Auth0) -> Result<Router, ConfigError> {
    Ok(Router::new()
        .route(
            "/hello",
            get(|c: Claims| async move { format!("Hello, {}", c.sub().unwrap_or("?")) }),
        )
        .route(
            "/data",
            get(|| async { "data" }).route_layer(auth0.require_auth().scopes(["read:data"])?),
        )
        .with_state(auth0))
}

async fn status(app: &Router, path: &str, token: Option<&str>) -> Result<StatusCode, BoxError> {
    let mut request = Request::get(path);
    if let Some(t) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    Ok(app
        .clone()
        .oneshot(request.body(Body::empty())?)
        .await?
        .status())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    // 1. An issuer on 127.0.0.1, and a verifier pointed at it sharing its clock.
    let issuer = TestIssuer::start().await;
    let auth0 = Auth0::builder()
        .issuer(issuer.issuer())
        .audience(issuer.audience())
        .clock(issuer.clock())
        .build()?;
    let app = app(auth0)?;

    // 2. Tokens for each case.
    let good = issuer.token().sub("alice").scope("read:data").sign();
    let no_scope = issuer.token().sub("bob").sign();
    let expired = issuer.token().expired().sign();
    let wrong_audience = issuer.token().audience("https://other.example").sign();

    // 3. Assertions.
    let checks = [
        ("/hello", Some(good.as_str()), StatusCode::OK),
        ("/hello", None, StatusCode::UNAUTHORIZED),
        ("/hello", Some(expired.as_str()), StatusCode::UNAUTHORIZED),
        (
            "/hello",
            Some(wrong_audience.as_str()),
            StatusCode::UNAUTHORIZED,
        ),
        ("/data", Some(good.as_str()), StatusCode::OK),
        ("/data", Some(no_scope.as_str()), StatusCode::FORBIDDEN),
    ];
    for (path, token, want) in checks {
        let got = status(&app, path, token).await?;
        if got != want {
            return Err(format!("GET {path}: expected {want}, got {got}").into());
        }
        println!("GET {path:<7} -> {got} as expected");
    }

    // 4. Time travel: the token expires when the shared clock moves.
    issuer
        .clock()
        .advance(std::time::Duration::from_secs(24 * 3600));
    let got = status(&app, "/hello", Some(&good)).await?;
    println!("a day later: GET /hello -> {got}");
    Ok(())
}
