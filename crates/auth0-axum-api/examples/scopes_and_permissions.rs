//! Scopes and permissions per route, all-of and any-of.
//!
//! ```text
//! cargo run -p auth0-axum-api --example scopes_and_permissions
//! ```
//!
//! Runs against an embedded test issuer and prints what each request gets.
#![allow(clippy::print_stdout)]

use auth0_api_testing::TestIssuer;
use auth0_axum_api::{Auth0, Auth0Ext, ConfigError};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use axum::routing::get;
use tower::ServiceExt;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The routes and what each requires; a malformed scope or permission (`""`, `"a b"`)
/// is a `ConfigError` here, when the router is built.
fn app(auth0: &Auth0) -> Result<Router, ConfigError> {
    Ok(Router::new()
        // every listed scope
        .route(
            "/reports",
            get(|| async { "reports" }).route_layer(
                auth0
                    .require_auth()
                    .scopes(["read:reports", "read:users"])?,
            ),
        )
        // at least one of the scopes
        .route(
            "/inbox",
            get(|| async { "inbox" })
                .route_layer(auth0.require_auth().any_scope(["read:mail", "admin"])?),
        )
        // Auth0 RBAC permissions (the `permissions` claim)
        .route(
            "/billing",
            get(|| async { "billing" })
                .route_layer(auth0.require_auth().permissions(["billing:read"])?),
        )
        .route(
            "/admin",
            get(|| async { "admin" })
                .route_layer(auth0.require_auth().any_permission(["admin", "owner"])?),
        )
        // several groups: all must hold
        .route(
            "/export",
            get(|| async { "export" }).route_layer(
                auth0
                    .require_auth()
                    .scopes(["read:reports"])?
                    .permissions(["export"])?,
            ),
        ))
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let issuer = TestIssuer::start().await;
    let auth0 = Auth0::builder()
        .issuer(issuer.issuer())
        .audience(issuer.audience())
        .clock(issuer.clock())
        .build()?;
    let app = app(&auth0)?;

    let reader = issuer.token().scope("read:reports read:users").sign();
    let mailer = issuer.token().scope("read:mail").sign();
    let biller = issuer
        .token()
        .permissions(["billing:read", "export"])
        .scope("read:reports")
        .sign();

    for (path, token, who) in [
        ("/reports", &reader, "reader"),
        ("/reports", &mailer, "mailer"),
        ("/inbox", &mailer, "mailer"),
        ("/billing", &biller, "biller"),
        ("/billing", &reader, "reader"),
        ("/admin", &biller, "biller"),
        ("/export", &biller, "biller"),
    ] {
        let request = Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())?;
        let response = app.clone().oneshot(request).await?;
        let challenge = response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        println!(
            "{who:>6} GET {path:<9} -> {} {challenge}",
            response.status()
        );
    }
    Ok(())
}
