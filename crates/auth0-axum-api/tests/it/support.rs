//! Shared setup: an issuer, a verifier pointed at it, the SPEC §1 router, and a way to call it.

use auth0_api_testing::TestIssuer;
use auth0_axum_api::auth0_api::Algorithm;
use auth0_axum_api::{Auth0, Auth0Builder, Auth0Ext, Claims, DpopMode};
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tower::ServiceExt;

/// The `algs` parameter every test verifier advertises.
pub(crate) const ALGS: &str = r#"algs="ES256 EdDSA""#;

pub(crate) struct Ctx {
    pub(crate) issuer: TestIssuer,
    pub(crate) auth0: Auth0,
}

/// A builder for a verifier that trusts `issuer`, shares its clock and advertises
/// ES256 and EdDSA for DPoP.
pub(crate) fn builder(issuer: &TestIssuer, mode: DpopMode) -> Auth0Builder {
    Auth0::builder()
        .issuer(issuer.issuer())
        .audience(issuer.audience())
        .clock(issuer.clock())
        .dpop(mode)
        .dpop_algorithms([Algorithm::ES256, Algorithm::EdDSA])
}

pub(crate) async fn ctx(mode: DpopMode) -> Ctx {
    let issuer = TestIssuer::start().await;
    let auth0 = builder(&issuer, mode).build().expect("verifier");
    Ctx { issuer, auth0 }
}

#[derive(Deserialize)]
pub(crate) struct MyClaims {
    pub(crate) sub: String,
    pub(crate) org: String,
    #[serde(default)]
    pub(crate) permissions: Vec<String>,
}

async fn hello(claims: Claims) -> Json<Value> {
    Json(json!({ "message": format!("Hello, {}", claims.sub().unwrap_or("?")) }))
}

async fn guarded(Extension(claims): Extension<auth0_axum_api::auth0_api::Claims>) -> String {
    format!("guarded {}", claims.sub().unwrap_or("?"))
}

async fn ok() -> &'static str {
    "ok"
}

async fn typed(Claims(c): Claims<MyClaims>) -> Json<Value> {
    Json(json!({ "sub": c.sub, "org": c.org, "permissions": c.permissions }))
}

async fn optional(claims: Option<Claims>) -> String {
    match claims {
        Some(c) => format!("user {}", c.sub().unwrap_or("?")),
        None => "anonymous".to_owned(),
    }
}

/// Every SPEC §1 usage, one route each.
pub(crate) fn app(auth0: &Auth0) -> Router {
    Router::new()
        .route("/protected-api", get(hello))
        .route("/protected", get(guarded).route_layer(auth0.require_auth()))
        .route(
            "/read-data",
            get(ok).route_layer(auth0.require_auth().scopes(["read:data"]).unwrap()),
        )
        .route(
            "/both-scopes",
            get(ok).route_layer(auth0.require_auth().scopes(["a", "b"]).unwrap()),
        )
        .route(
            "/any-scope",
            get(ok).route_layer(auth0.require_auth().any_scope(["a", "b"]).unwrap()),
        )
        .route(
            "/perms",
            get(ok).route_layer(auth0.require_auth().permissions(["p:1", "p:2"]).unwrap()),
        )
        .route(
            "/any-perm",
            get(ok).route_layer(auth0.require_auth().any_permission(["p:1", "p:2"]).unwrap()),
        )
        .route(
            "/layer-and-claims",
            get(hello).route_layer(auth0.require_auth().scopes(["read:data"]).unwrap()),
        )
        .route("/typed", get(typed))
        .route("/optional", get(optional))
        .route("/public", get(ok))
        .with_state(auth0.clone())
}

pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

impl Reply {
    pub(crate) fn www(&self) -> Option<&str> {
        let mut all = self.headers.get_all("www-authenticate").iter();
        let first = all.next().map(|v| v.to_str().expect("ascii challenge"));
        assert!(all.next().is_none(), "one WWW-Authenticate field");
        first
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// Asserts an error response: status, exact challenge and body.
    #[track_caller]
    pub(crate) fn assert_error(
        &self,
        status: u16,
        www: Option<&str>,
        error: &str,
        description: &str,
    ) {
        assert_eq!(self.status.as_u16(), status, "status; body {}", self.body);
        assert_eq!(self.www(), www, "WWW-Authenticate");
        assert_eq!(
            self.json(),
            json!({ "error": error, "error_description": description }),
            "body"
        );
        assert_eq!(
            self.headers
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/json")
        );
    }
}

pub(crate) fn request(method: Method, path: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost");
    for (name, value) in headers {
        b = b.header(*name, *value);
    }
    b.body(Body::empty()).expect("request")
}

pub(crate) fn get_req(path: &str, headers: &[(&str, &str)]) -> Request<Body> {
    request(Method::GET, path, headers)
}

pub(crate) async fn send(app: &Router, req: Request<Body>) -> Reply {
    let response = app.clone().oneshot(req).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    Reply {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).expect("utf-8 body"),
    }
}

pub(crate) async fn fetch(app: &Router, path: &str, headers: &[(&str, &str)]) -> Reply {
    send(app, get_req(path, headers)).await
}

pub(crate) fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

pub(crate) fn dpop(token: &str) -> String {
    format!("DPoP {token}")
}

/// The `WWW-Authenticate` value of `mode`, with `params` (error, description, scope) on
/// the challenge of `on`.
pub(crate) fn challenge(mode: DpopMode, on: Option<&str>, params: &str) -> String {
    let bearer = match on {
        Some("Bearer") => format!(r#"Bearer realm="api", {params}"#),
        _ => r#"Bearer realm="api""#.to_owned(),
    };
    let dpop = match on {
        Some("DPoP") => format!("DPoP {params}, {ALGS}"),
        _ => format!("DPoP {ALGS}"),
    };
    match mode {
        DpopMode::Disabled => bearer,
        DpopMode::Required => dpop,
        _ => format!("{bearer}, {dpop}"),
    }
}

pub(crate) fn params(error: &str, description: &str) -> String {
    format!(r#"error="{error}", error_description="{description}""#)
}
