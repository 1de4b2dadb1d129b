//! An OpenAPI document and Swagger UI for the quickstart routes: `GET /public`, `GET
//! /protected` (any valid token), `GET /data` (scope `read:data`), `POST /data` (scope
//! `write:data`). Each guarded route's `security` comes from the `require_auth()` layer
//! that guards it (`.secured(..)`), so its scopes are written once.
//!
//! ```text
//! cargo run -p auth0-axum-api --features openapi --example openapi
//! ```
//!
//! Then open <http://127.0.0.1:3000/swagger-ui/> (the document is at `/openapi.json`),
//! press "Authorize", paste the printed Bearer token into `bearer`, and try the routes.
//! For DPoP, put `DPoP <token>` into `dpop` and the printed proof into `dpop_proof`: the
//! proof is for `GET /data` and works once.
//!
//! Configuration (environment): `AUTH0_DOMAIN` and `AUTH0_AUDIENCE` for a real tenant
//! (otherwise an embedded test issuer starts on 127.0.0.1 and prints tokens), `AUTH0_DPOP`
//! (`disabled`, `allowed` (default) or `required`: the document's schemes follow it),
//! `PORT` (default 3000).
#![allow(clippy::print_stdout)]

use auth0_api_testing::{Algorithm, DpopKey, TestIssuer};
use auth0_axum_api::openapi::{SecureRoutes, SecuritySchemes};
use auth0_axum_api::{Auth0, Auth0Ext, Claims, ConfigError, DpopMode};
use axum::{Json, Router};
use serde::Serialize;
use utoipa::openapi::OpenApi as Document;
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(OpenApi)]
#[openapi(info(
    title = "Quickstart API",
    description = "The auth0-axum-api quickstart routes. Guarded routes answer 401 without a \
                   valid access token and 403 `insufficient_scope` without their scopes."
))]
struct ApiDoc;

/// The documented routes: each guard is given once, to `.secured(..)`, which both guards
/// the route and writes its `security`.
pub(crate) fn routes(auth0: &Auth0) -> Result<OpenApiRouter<Auth0>, ConfigError> {
    let mut router = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(public))
        .routes(routes!(protected).secured(auth0.require_auth()))
        .routes(routes!(read_data).secured(auth0.require_auth().scopes(["read:data"])?))
        .routes(routes!(write_data).secured(auth0.require_auth().scopes(["write:data"])?));
    SecuritySchemes::new(auth0).modify(router.get_openapi_mut());
    Ok(router)
}

/// The app: the routes, their document at `/openapi.json` and Swagger UI at `/swagger-ui`.
pub(crate) fn app(auth0: &Auth0) -> Result<Router, ConfigError> {
    let (router, document): (Router<Auth0>, Document) = routes(auth0)?.split_for_parts();
    Ok(router
        .with_state(auth0.clone())
        .merge(SwaggerUi::new("/swagger-ui").url("/openapi.json", document)))
}

#[derive(Serialize, ToSchema)]
struct Message {
    message: String,
}

#[derive(Serialize, ToSchema)]
struct Data {
    data: Vec<String>,
    sub: Option<String>,
}

/// The body of every refusal; `WWW-Authenticate` says which schemes are accepted.
#[derive(Serialize, ToSchema)]
struct AuthError {
    error: String,
    error_description: String,
}

/// No token needed.
#[utoipa::path(get, path = "/public", responses((status = 200, body = Message)))]
async fn public() -> Json<Message> {
    Json(Message {
        message: "Hello from a public endpoint".into(),
    })
}

/// Any valid access token.
#[utoipa::path(get, path = "/protected", responses(
    (status = 200, body = Message),
    (status = 401, description = "No valid access token", body = AuthError),
))]
async fn protected(claims: Claims) -> Json<Message> {
    Json(Message {
        message: format!("Hello, {}", claims.sub().unwrap_or("?")),
    })
}

/// Needs the `read:data` scope.
#[utoipa::path(get, path = "/data", responses(
    (status = 200, body = Data),
    (status = 401, description = "No valid access token", body = AuthError),
    (status = 403, description = "`insufficient_scope`: the token lacks `read:data`", body = AuthError),
))]
async fn read_data(claims: Claims) -> Json<Data> {
    Json(Data {
        data: vec!["alpha".into(), "beta".into()],
        sub: claims.sub().map(str::to_owned),
    })
}

/// Needs the `write:data` scope.
#[utoipa::path(post, path = "/data", responses(
    (status = 200, body = Message),
    (status = 401, description = "No valid access token", body = AuthError),
    (status = 403, description = "`insufficient_scope`: the token lacks `write:data`", body = AuthError),
))]
async fn write_data(claims: Claims) -> Json<Message> {
    Json(Message {
        message: format!("written for {}", claims.sub().unwrap_or("?")),
    })
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let mode: DpopMode = env("AUTH0_DPOP").as_deref().unwrap_or("allowed").parse()?;
    let port: u16 = match env("PORT") {
        Some(p) => p.parse().map_err(|_| format!("PORT is not a port: {p}"))?,
        None => 3000,
    };
    let mut issuer = None;
    let auth0 = match (env("AUTH0_DOMAIN"), env("AUTH0_AUDIENCE")) {
        (Some(domain), Some(audience)) => Auth0::builder().domain(domain).audience(audience),
        (Some(_), None) => return Err("AUTH0_AUDIENCE is required with AUTH0_DOMAIN".into()),
        (None, _) => {
            let test_issuer = TestIssuer::builder().key(Algorithm::ES256).start().await;
            // Follow the system clock, so the printed token and proof age as real ones do.
            let clock = test_issuer.clock();
            tokio::spawn(async move {
                loop {
                    clock.set(auth0_axum_api::auth0_api::Clock::now(
                        &auth0_axum_api::auth0_api::SystemClock,
                    ));
                    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                }
            });
            let builder = Auth0::builder()
                .issuer(test_issuer.issuer())
                .audience(test_issuer.audience())
                .clock(test_issuer.clock());
            issuer = Some(test_issuer);
            builder
        }
    }
    .dpop(mode)
    .build()?;

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let base = format!("http://{}", listener.local_addr()?);
    println!("Swagger UI:       {base}/swagger-ui/");
    println!("OpenAPI document: {base}/openapi.json");
    if let Some(issuer) = &issuer {
        let token = issuer.token().sub("user-123").scope("read:data").sign();
        println!("\nbearer (scope read:data):\n  {token}");
        if mode.accepts_dpop() {
            let key = DpopKey::generate(Algorithm::ES256);
            let bound = issuer
                .token()
                .sub("user-789")
                .scope("read:data")
                .bound_to(&key)
                .sign();
            let proof = key
                .proof("GET", &format!("{base}/data"))
                .clock(&issuer.clock())
                .access_token(&bound)
                .sign();
            println!("\ndpop (scope read:data):\n  DPoP {bound}");
            println!("dpop_proof (GET {base}/data, once, within 5 minutes):\n  {proof}");
        }
    }
    axum::serve(listener, app(&auth0)?).await?;
    Ok(())
}
