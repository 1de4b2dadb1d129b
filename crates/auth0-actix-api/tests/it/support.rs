//! Shared setup: an issuer, a verifier pointed at it, an app with every usage, and a way to
//! call it through `actix_web::test`.

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;
use actix_web::{App, HttpResponse, test, web};
use auth0_actix_api::auth0_api::Algorithm;
use auth0_actix_api::{Auth0, Auth0Builder, Auth0Ext, Claims, DpopMode, DpopNonce, MaybeClaims};
use auth0_api_testing::TestIssuer;
use serde::Deserialize;
use serde_json::{Value, json};

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
}

async fn hello(claims: Claims) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "message": format!("Hello, {}", claims.sub().unwrap_or("?")) }))
}

async fn guarded(claims: web::ReqData<auth0_actix_api::auth0_api::Claims>) -> String {
    format!("guarded {}", claims.sub().unwrap_or("?"))
}

async fn ok() -> &'static str {
    "ok"
}

async fn typed(Claims(c): Claims<MyClaims>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "sub": c.sub, "org": c.org }))
}

async fn optional(MaybeClaims(claims): MaybeClaims) -> String {
    match claims {
        Some(c) => format!("user {}", c.sub().unwrap_or("?")),
        None => "anonymous".to_owned(),
    }
}

/// Every usage, one route each (the same routes as the Axum tests).
pub(crate) fn configure(auth0: Auth0) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg: &mut web::ServiceConfig| {
        let guard =
            |r: auth0_actix_api::RequireAuth, path: &str| web::resource(path.to_owned()).wrap(r);
        cfg.app_data(web::Data::new(auth0.clone()))
            .route("/protected-api", web::get().to(hello))
            .service(guard(auth0.require_auth(), "/protected").to(guarded))
            .service(
                guard(
                    auth0.require_auth().scopes(["read:data"]).unwrap(),
                    "/read-data",
                )
                .to(ok),
            )
            .service(
                guard(
                    auth0.require_auth().scopes(["a", "b"]).unwrap(),
                    "/both-scopes",
                )
                .to(ok),
            )
            .service(
                guard(
                    auth0.require_auth().any_scope(["a", "b"]).unwrap(),
                    "/any-scope",
                )
                .to(ok),
            )
            .service(
                guard(
                    auth0.require_auth().permissions(["p:1", "p:2"]).unwrap(),
                    "/perms",
                )
                .to(ok),
            )
            .service(
                guard(
                    auth0.require_auth().any_permission(["p:1", "p:2"]).unwrap(),
                    "/any-perm",
                )
                .to(ok),
            )
            .service(
                guard(
                    auth0.require_auth().scopes(["read:data"]).unwrap(),
                    "/layer-and-claims",
                )
                .to(hello),
            )
            .route("/typed", web::get().to(typed))
            .route("/optional", web::get().to(optional))
            .route("/public", web::get().to(ok));
    }
}

/// The test service of [`configure`], wrapped in [`DpopNonce`].
pub(crate) async fn service(
    auth0: &Auth0,
) -> impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error> {
    test::init_service(
        App::new()
            .wrap(DpopNonce::new())
            .configure(configure(auth0.clone())),
    )
    .await
}

pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

impl Reply {
    pub(crate) fn www(&self) -> Option<&str> {
        let mut all = self.headers.get_all("www-authenticate");
        let first = all.next().map(|v| v.to_str().expect("ascii challenge"));
        assert!(all.next().is_none(), "one WWW-Authenticate field");
        first
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().expect("ascii"))
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
        assert_eq!(self.header("content-type"), Some("application/json"));
    }
}

pub(crate) async fn send<S>(app: &S, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let mut req = test::TestRequest::default()
        .method(method.parse().expect("method"))
        .uri(path)
        .insert_header(("host", "localhost"));
    for (name, value) in headers {
        req = req.append_header((*name, *value));
    }
    let response = test::call_service(app, req.to_request()).await;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = test::read_body(response).await;
    Reply {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).expect("utf-8 body"),
    }
}

pub(crate) async fn fetch<S>(app: &S, path: &str, headers: &[(&str, &str)]) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    send(app, "GET", path, headers).await
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
