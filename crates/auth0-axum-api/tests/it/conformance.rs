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
            let answer = Answer {
                status: reply.status.as_u16(),
                www_authenticate: reply
                    .headers
                    .get_all("www-authenticate")
                    .iter()
                    .map(|v| v.to_str().unwrap().to_owned())
                    .collect(),
                dpop_nonce: header(&reply, "dpop-nonce"),
                retry_after: header(&reply, "retry-after"),
                error: serde_json::from_str::<serde_json::Value>(&reply.body)
                    .ok()
                    .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned)),
            };
            if let Err(e) = case.check(mode, &answer) {
                failures.push(e);
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert!(cases.len() >= 25);
    }
}

fn header(reply: &Reply, name: &str) -> Option<String> {
    reply
        .headers
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}
