//! Claims stored in a request by one verifier are never trusted by another: a route layer
//! of a stricter verifier inside a router-wide layer of a laxer one verifies again.

use auth0_axum_api::{Auth0, Auth0Ext, Claims, DpopMode, Error, ErrorKind};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;

use crate::support::*;

async fn hello(claims: Claims) -> String {
    format!("hello {}", claims.sub().unwrap_or("?"))
}

fn nested_app(outer: &Auth0, inner: &Auth0) -> Router {
    Router::new()
        .route(
            "/strict",
            get(|| async { "strict" }).route_layer(inner.require_auth()),
        )
        .route("/extract", get(hello))
        .route("/lax", get(|| async { "lax" }))
        .with_state(inner.clone())
        .layer(outer.require_auth())
}

#[tokio::test]
async fn a_required_verifier_inside_an_allowed_one_refuses_bearer() {
    let c = ctx(DpopMode::Allowed).await;
    let required = builder(&c.issuer, DpopMode::Required)
        .build()
        .expect("verifier");
    let app = nested_app(&c.auth0, &required);
    let token = c.issuer.token().sub("u1").sign();
    let auth = bearer(&token);
    let auth = [("authorization", auth.as_str())];

    // The outer verifier accepts Bearer.
    assert_eq!(fetch(&app, "/lax", &auth).await.status, StatusCode::OK);
    // The inner one does not, and must not reuse the outer one's claims.
    let r = fetch(&app, "/strict", &auth).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.www(),
        Some(challenge(DpopMode::Required, None, "").as_str())
    );
    // Same for the extractor with the inner verifier in the state.
    let r = fetch(&app, "/extract", &auth).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn another_audience_inside_verifies_again() {
    let c = ctx(DpopMode::Allowed).await;
    let billing = Auth0::builder()
        .issuer(c.issuer.issuer())
        .audience("https://billing.example.com")
        .clock(c.issuer.clock())
        .build()
        .expect("verifier");
    let app = nested_app(&c.auth0, &billing);
    let token = c.issuer.token().sub("u1").sign();
    let auth = bearer(&token);
    let auth = [("authorization", auth.as_str())];
    assert_eq!(fetch(&app, "/lax", &auth).await.status, StatusCode::OK);
    let r = fetch(&app, "/strict", &auth).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["error"], "invalid_token");
    let r = fetch(&app, "/extract", &auth).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // The same verifier (a clone) inside reuses the claims: the token is verified once.
    let same = nested_app(&c.auth0, &c.auth0.clone());
    assert_eq!(fetch(&same, "/strict", &auth).await.status, StatusCode::OK);
}

#[tokio::test]
async fn refusals_carry_the_typed_error_in_the_response_extensions() {
    let c = ctx(DpopMode::Allowed).await;
    let app = Router::new().route("/p", get(|| async { "p" })).layer(
        c.auth0.require_auth().on_rejection(|_err: &Error| {
            http::Response::builder()
                .status(StatusCode::IM_A_TEAPOT)
                .body(axum::body::Body::empty())
                .expect("response")
        }),
    );
    let response = tower::ServiceExt::oneshot(app, get_req("/p", &[]))
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::IM_A_TEAPOT);
    assert_eq!(
        response.extensions().get::<Error>().map(Error::kind),
        Some(ErrorKind::MissingCredentials)
    );
    let default = c.auth0.error_response(&Error::new(ErrorKind::Expired));
    assert_eq!(
        default.extensions().get::<Error>().map(Error::kind),
        Some(ErrorKind::Expired)
    );
}
