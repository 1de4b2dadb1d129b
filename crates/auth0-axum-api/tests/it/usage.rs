//! Each SPEC §1 usage, through the router.

use std::sync::{Arc, Mutex};

use auth0_axum_api::{Auth0, Auth0Ext, AuthRejection, Claims, DpopMode, Error, ErrorKind};
use axum::extract::FromRef;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn claims_in_the_handler() {
    let c = ctx(DpopMode::Allowed).await;
    let app = app(&c.auth0);
    let token = c.issuer.token().sub("user-1").sign();
    let r = fetch(
        &app,
        "/protected-api",
        &[("authorization", &bearer(&token))],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!({ "message": "Hello, user-1" }));

    let r = fetch(&app, "/protected-api", &[]).await;
    r.assert_error(
        401,
        Some(&challenge(DpopMode::Allowed, None, "")),
        "unauthorized",
        "Authentication required",
    );
}

#[tokio::test]
async fn guard_without_claims_stores_them_for_the_handler() {
    let c = ctx(DpopMode::Allowed).await;
    let app = app(&c.auth0);
    let token = c.issuer.token().sub("user-2").sign();
    let r = fetch(&app, "/protected", &[("authorization", &bearer(&token))]).await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (StatusCode::OK, "guarded user-2")
    );

    let r = fetch(&app, "/protected", &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let expired = c.issuer.token().expired().sign();
    let r = fetch(&app, "/protected", &[("authorization", &bearer(&expired))]).await;
    r.assert_error(
        401,
        Some(&challenge(
            DpopMode::Allowed,
            Some("Bearer"),
            &params("invalid_token", "Token expired"),
        )),
        "invalid_token",
        "Token expired",
    );
}

#[tokio::test]
async fn public_route_needs_nothing() {
    let c = ctx(DpopMode::Required).await;
    let r = fetch(&app(&c.auth0), "/public", &[]).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "ok"));
}

fn scope_challenge(scope: &str) -> String {
    challenge(
        DpopMode::Allowed,
        Some("Bearer"),
        &format!(
            r#"{}, scope="{scope}""#,
            params("insufficient_scope", "Insufficient scope")
        ),
    )
}

#[tokio::test]
async fn scopes_all_of_and_any_of() {
    let c = ctx(DpopMode::Allowed).await;
    let app = app(&c.auth0);
    let t = |scope: &str| bearer(&c.issuer.token().scope(scope).sign());
    let cases = [
        ("/read-data", "read:data", 200),
        ("/read-data", "read:other write:data", 403),
        ("/read-data", "", 403),
        ("/both-scopes", "a b", 200),
        ("/both-scopes", "b", 403),
        ("/any-scope", "b", 200),
        ("/any-scope", "a", 200),
        ("/any-scope", "c", 403),
    ];
    for (path, scope, want) in cases {
        let r = fetch(&app, path, &[("authorization", &t(scope))]).await;
        assert_eq!(r.status.as_u16(), want, "{path} with scope {scope:?}");
        if want == 403 {
            let required = match path {
                "/read-data" => "read:data",
                _ => "a b",
            };
            r.assert_error(
                403,
                Some(&scope_challenge(required)),
                "insufficient_scope",
                "Insufficient scope",
            );
        }
    }
    // A token without any scope claim at all.
    let r = fetch(
        &app,
        "/read-data",
        &[(
            "authorization",
            &bearer(&c.issuer.token().remove_claim("scope").sign()),
        )],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// A route guard with an empty scope list, or an item that is not one scope token, is a
/// `ConfigError` when the router is built, never a guard that checks nothing.
#[tokio::test]
async fn malformed_scope_guards_are_refused_when_the_router_is_built() {
    let c = ctx(DpopMode::Allowed).await;
    let layer = || c.auth0.require_auth();
    for (field, result) in [
        ("scopes", layer().scopes([""]).map(drop)),
        ("scopes", layer().scopes(["read:data", "  "]).map(drop)),
        ("any_scope", layer().any_scope(["read data"]).map(drop)),
        (
            "any_scope",
            layer().any_scope(Vec::<String>::new()).map(drop),
        ),
        ("permissions", layer().permissions(["\t"]).map(drop)),
        ("any_permission", layer().any_permission([""]).map(drop)),
    ] {
        let err = result.expect_err(field);
        assert_eq!(err.field(), field);
    }
    // A valid guard added before a refused one does not survive either: the `?` stops the
    // router from being built at all.
    assert!(layer().scopes(["read:data"]).unwrap().scopes([""]).is_err());
}

#[tokio::test]
async fn permissions_all_of_and_any_of() {
    let c = ctx(DpopMode::Allowed).await;
    let app = app(&c.auth0);
    let t = |perms: &[&str]| bearer(&c.issuer.token().permissions(perms.iter().copied()).sign());
    let cases: [(&str, &[&str], u16); 6] = [
        ("/perms", &["p:1", "p:2"], 200),
        ("/perms", &["p:2"], 403),
        ("/perms", &[], 403),
        ("/any-perm", &["p:2"], 200),
        ("/any-perm", &["p:3"], 403),
        ("/any-perm", &[], 403),
    ];
    for (path, perms, want) in cases {
        let r = fetch(&app, path, &[("authorization", &t(perms))]).await;
        assert_eq!(r.status.as_u16(), want, "{path} with {perms:?}");
        if want == 403 {
            r.assert_error(
                403,
                Some(&scope_challenge("p:1 p:2")),
                "insufficient_scope",
                "Insufficient scope",
            );
        }
    }
    // Permissions are not scopes: a scope named like the permission does not count.
    let r = fetch(
        &app,
        "/perms",
        &[(
            "authorization",
            &bearer(&c.issuer.token().scope("p:1 p:2").sign()),
        )],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn layer_then_extractor_in_one_route() {
    let c = ctx(DpopMode::Allowed).await;
    let app = app(&c.auth0);
    let ok = c.issuer.token().sub("u").scope("read:data").sign();
    let r = fetch(
        &app,
        "/layer-and-claims",
        &[("authorization", &bearer(&ok))],
    )
    .await;
    assert_eq!(r.json(), json!({ "message": "Hello, u" }));
    let no = c.issuer.token().sub("u").sign();
    let r = fetch(
        &app,
        "/layer-and-claims",
        &[("authorization", &bearer(&no))],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn typed_claims() {
    let c = ctx(DpopMode::Allowed).await;
    let app = app(&c.auth0);
    let token = c
        .issuer
        .token()
        .sub("user-3")
        .claim("org", "acme")
        .permissions(["read"])
        .sign();
    let r = fetch(&app, "/typed", &[("authorization", &bearer(&token))]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json(),
        json!({ "sub": "user-3", "org": "acme", "permissions": ["read"] })
    );

    // Valid token whose payload does not fit the type: invalid_token, nothing echoed.
    let no_org = c.issuer.token().sub("user-3").sign();
    let r = fetch(&app, "/typed", &[("authorization", &bearer(&no_org))]).await;
    r.assert_error(
        401,
        Some(&challenge(
            DpopMode::Allowed,
            Some("Bearer"),
            &params("invalid_token", "Token has an invalid claim"),
        )),
        "invalid_token",
        "Token has an invalid claim",
    );
    let wrong_type = c.issuer.token().sub("user-3").claim("org", 42).sign();
    let r = fetch(&app, "/typed", &[("authorization", &bearer(&wrong_type))]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(!r.body.contains("42"));

    let r = fetch(&app, "/typed", &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn optional_claims() {
    let c = ctx(DpopMode::Allowed).await;
    let app = app(&c.auth0);
    let r = fetch(&app, "/optional", &[]).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "anonymous"));

    let token = c.issuer.token().sub("user-4").sign();
    let r = fetch(&app, "/optional", &[("authorization", &bearer(&token))]).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "user user-4"));

    // Present but invalid: rejected, never anonymous.
    let expired = c.issuer.token().expired().sign();
    let r = fetch(&app, "/optional", &[("authorization", &bearer(&expired))]).await;
    r.assert_error(
        401,
        Some(&challenge(
            DpopMode::Allowed,
            Some("Bearer"),
            &params("invalid_token", "Token expired"),
        )),
        "invalid_token",
        "Token expired",
    );
    let r = fetch(&app, "/optional", &[("authorization", "Bearer ")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = fetch(
        &app,
        "/optional",
        &[("authorization", "Basic dXNlcjpwYXNz")],
    )
    .await;
    r.assert_error(
        401,
        Some(&challenge(DpopMode::Allowed, None, "")),
        "unauthorized",
        "Unsupported authentication scheme",
    );
    let other_aud = c.issuer.token().audience("https://other.example").sign();
    let r = fetch(&app, "/optional", &[("authorization", &bearer(&other_aud))]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[derive(Clone)]
struct AppState {
    auth0: Auth0,
    greeting: &'static str,
}

impl FromRef<AppState> for Auth0 {
    fn from_ref(s: &AppState) -> Auth0 {
        s.auth0.clone()
    }
}

#[tokio::test]
async fn config_from_app_state_via_from_ref() {
    let c = ctx(DpopMode::Allowed).await;
    let state = AppState {
        auth0: c.auth0.clone(),
        greeting: "hi",
    };
    let app = Router::new()
        .route(
            "/",
            get(|axum::extract::State(s): axum::extract::State<AppState>, claims: Claims| async move {
                format!("{} {}", s.greeting, claims.sub().unwrap_or("?"))
            }),
        )
        .with_state(state);
    let token = c.issuer.token().sub("user-5").sign();
    let r = fetch(&app, "/", &[("authorization", &bearer(&token))]).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "hi user-5"));
    let r = fetch(&app, "/", &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn on_rejection_swaps_the_response_and_sees_the_error() {
    let c = ctx(DpopMode::Allowed).await;
    let seen: Arc<Mutex<Vec<ErrorKind>>> = Arc::default();
    let record = Arc::clone(&seen);
    let app = Router::new().route(
        "/",
        get(|| async { "ok" }).route_layer(
            c.auth0.require_auth().scopes(["x"]).unwrap().on_rejection(
                move |err: &Error| -> Response {
                    record.lock().unwrap().push(err.kind());
                    (
                        StatusCode::IM_A_TEAPOT,
                        Json(json!({ "why": format!("{err}") })),
                    )
                        .into_response()
                },
            ),
        ),
    );
    let r = fetch(&app, "/", &[]).await;
    assert_eq!(r.status, StatusCode::IM_A_TEAPOT);
    assert_eq!(r.json(), json!({ "why": "authentication required" }));
    assert_eq!(r.www(), None);
    let token = c.issuer.token().sign();
    let r = fetch(&app, "/", &[("authorization", &bearer(&token))]).await;
    assert_eq!(r.status, StatusCode::IM_A_TEAPOT);
    let ok = c.issuer.token().scope("x").sign();
    let r = fetch(&app, "/", &[("authorization", &bearer(&ok))]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        *seen.lock().unwrap(),
        vec![ErrorKind::MissingCredentials, ErrorKind::InsufficientScope]
    );
}

#[tokio::test]
async fn result_extractor_gives_the_typed_rejection() {
    let c = ctx(DpopMode::Disabled).await;
    let app = Router::new()
        .route(
            "/",
            get(|claims: Result<Claims, AuthRejection>| async move {
                match claims {
                    Ok(_) => "in".into_response(),
                    Err(r) if r.error().kind().is_missing_credentials() => {
                        (StatusCode::UNAUTHORIZED, "sign in").into_response()
                    }
                    Err(r) => r.into_response(),
                }
            }),
        )
        .with_state(c.auth0.clone());
    let r = fetch(&app, "/", &[]).await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (StatusCode::UNAUTHORIZED, "sign in")
    );
    let r = fetch(&app, "/", &[("authorization", "Bearer a.b.c")]).await;
    r.assert_error(
        401,
        Some(&challenge(
            DpopMode::Disabled,
            Some("Bearer"),
            &params("invalid_token", "Malformed access token"),
        )),
        "invalid_token",
        "Malformed access token",
    );
}

/// RFC 6750 §2.2/§2.3 token transports are never accepted: only the header counts.
#[tokio::test]
async fn query_and_form_tokens_are_never_accepted() {
    let c = ctx(DpopMode::Allowed).await;
    let app = app(&c.auth0);
    let token = c.issuer.token().scope("read:data").sign();
    let r = fetch(&app, &format!("/protected?access_token={token}"), &[]).await;
    r.assert_error(
        401,
        Some(&challenge(DpopMode::Allowed, None, "")),
        "unauthorized",
        "Authentication required",
    );
    let form = axum::http::Request::builder()
        .method(axum::http::Method::GET)
        .uri("/protected")
        .header("host", "localhost")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(format!("access_token={token}")))
        .expect("request");
    let r = send(&app, form).await;
    assert_eq!(r.status.as_u16(), 401);
}
