//! The shared table of request cases (`auth0_api_testing::conformance`), the same one the
//! Axum tests run, against the example-server routes in each DPoP mode: this front end must
//! answer every case exactly as the Axum one does.

use actix_web::{App, test, web};
use auth0_actix_api::auth0_api::Algorithm;
use auth0_actix_api::{Auth0, Auth0Ext, Claims, DpopMode, DpopNonce};
use auth0_api_testing::conformance::{self, Answer, Route};

use crate::support::*;

async fn hello(claims: Claims) -> String {
    format!("Hello, {}", claims.sub().unwrap_or("?"))
}

/// The routes of the example server contract: `/protected` through the extractor, `/data`
/// through the middleware.
fn contract(auth0: Auth0) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(web::Data::new(auth0.clone()))
            .route("/public", web::get().to(|| async { "public" }))
            .route("/protected", web::get().to(hello))
            .service(
                web::resource("/data")
                    .route(
                        web::get()
                            .to(|| async { "read" })
                            .wrap(auth0.require_auth().scopes(["read:data"]).unwrap()),
                    )
                    .route(
                        web::post()
                            .to(|| async { "written" })
                            .wrap(auth0.require_auth().scopes(["write:data"]).unwrap()),
                    ),
            );
    }
}

#[actix_web::test]
async fn every_case_of_the_shared_table_in_every_mode() {
    for mode in [DpopMode::Disabled, DpopMode::Allowed, DpopMode::Required] {
        let c = ctx(mode).await;
        let app = test::init_service(
            App::new()
                .wrap(DpopNonce::new())
                .configure(contract(c.auth0.clone())),
        )
        .await;
        let target = |r: Route| {
            (
                r.method().to_owned(),
                format!("http://localhost{}", r.path()),
            )
        };
        let cases = conformance::cases(&c.issuer, target, &[Algorithm::ES256, Algorithm::EdDSA]);
        let mut failures = Vec::new();
        for case in &cases {
            let headers: Vec<(&str, &str)> =
                case.headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
            let reply = send(&app, &case.method, case.route.path(), &headers).await;
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
