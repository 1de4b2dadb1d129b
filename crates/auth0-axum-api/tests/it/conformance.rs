//! The shared table of request cases (`auth0_api_testing::conformance`), the one every front
//! end runs, against the example-server routes in each DPoP mode.

use auth0_api_testing::conformance::{self, Answer, Route};
use auth0_axum_api::{Auth0, Auth0Ext, DpopMode};
use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request};
use axum::routing::get;

use crate::support::*;

/// The routes of the example server contract.
fn contract_app(auth0: &Auth0) -> Router {
    Router::new()
        .route("/public", get(|| async { "public" }))
        .route(
            "/protected",
            get(|| async { "protected" }).route_layer(auth0.require_auth()),
        )
        .route(
            "/data",
            get(|| async { "read" })
                .route_layer(auth0.require_auth().scopes(["read:data"]).unwrap()),
        )
        .route(
            "/data",
            axum::routing::post(|| async { "written" })
                .route_layer(auth0.require_auth().scopes(["write:data"]).unwrap()),
        )
        .with_state(auth0.clone())
}

#[tokio::test]
async fn every_case_of_the_shared_table_in_every_mode() {
    for mode in [DpopMode::Disabled, DpopMode::Allowed, DpopMode::Required] {
        let c = ctx(mode).await;
        let app = contract_app(&c.auth0);
        let target = |r: Route| {
            (
                r.method().to_owned(),
                format!("http://localhost{}", r.path()),
            )
        };
        let cases = conformance::cases(
            &c.issuer,
            target,
            &[
                auth0_axum_api::auth0_api::Algorithm::ES256,
                auth0_axum_api::auth0_api::Algorithm::EdDSA,
            ],
        );
        let mut failures = Vec::new();
        for case in &cases {
            let mut req = Request::builder()
                .method(Method::from_bytes(case.method.as_bytes()).unwrap())
                .uri(case.route.path())
                .header("host", "localhost");
            for (name, value) in &case.headers {
                req = req.header(*name, value.as_str());
            }
            let reply = send(&app, req.body(Body::empty()).unwrap()).await;
            let answer = Answer::from_http(
                reply.status.as_u16(),
                reply
                    .headers
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_bytes())),
                reply.body.as_bytes(),
            );
            if let Err(e) = case.check(mode, &answer) {
                failures.push(e);
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert!(cases.len() >= 25);
    }
}
