//! Answering refused requests your way, while still reading the typed error.
//!
//! - on the layer: `.on_rejection(|err: &Error| -> Response { ... })`;
//! - in a handler: extract `Result<Claims, AuthRejection>`.
//!
//! ```text
//! cargo run -p auth0-axum-api --example custom_rejection
//! ```
#![allow(clippy::print_stdout)]

use auth0_api_testing::TestIssuer;
use auth0_axum_api::{Auth0, Auth0Ext, AuthRejection, Claims, Error};
use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A problem+json body (RFC 9457) that keeps the challenge header of the default response.
fn problem(auth0: &Auth0, err: &Error) -> Response {
    let mut response = (
        err.status(),
        Json(json!({
            "type": "about:blank",
            "title": err.kind().description(),
            "status": err.status().as_u16(),
        })),
    )
        .into_response();
    if let Some(challenge) = auth0.www_authenticate(err) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, challenge);
    }
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

async fn lenient(claims: Result<Claims, AuthRejection>) -> Response {
    match claims {
        Ok(c) => format!("hello {}", c.sub().unwrap_or("?")).into_response(),
        Err(rejection) if rejection.error().kind().is_missing_credentials() => {
            (StatusCode::UNAUTHORIZED, "please sign in").into_response()
        }
        Err(rejection) => rejection.into_response(),
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
    let for_rejection = auth0.clone();
    let app = Router::new()
        .route(
            "/problem",
            get(|| async { "ok" }).route_layer(
                auth0
                    .require_auth()
                    .scopes(["read:data"])?
                    .on_rejection(move |err: &Error| problem(&for_rejection, err)),
            ),
        )
        .route("/lenient", get(lenient))
        .with_state(auth0);

    let no_scope = issuer.token().sign();
    for (path, auth) in [
        ("/problem", None),
        ("/problem", Some(no_scope.as_str())),
        ("/lenient", None),
        ("/lenient", Some("garbage")),
        ("/lenient", Some(no_scope.as_str())),
    ] {
        let mut request = Request::get(path);
        if let Some(token) = auth {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let response = app.clone().oneshot(request.body(Body::empty())?).await?;
        let status = response.status();
        let challenge = response.headers().get(header::WWW_AUTHENTICATE).cloned();
        let body = response.into_body().collect().await?.to_bytes();
        println!(
            "GET {path} -> {status} {challenge:?} {}",
            String::from_utf8_lossy(&body)
        );
    }
    Ok(())
}
