//! Every usage: extractors, the middleware with scopes and permissions, custom rejections,
//! the typed error for outer middleware, server nonces, and proxy trust.

use std::future::{Ready, ready};

use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, test, web};
use auth0_actix_api::auth0_api::NonceConfig;
use auth0_actix_api::{Auth0Ext, DpopMode, DpopNonce, Error, ErrorKind, TrustProxy};
use auth0_api_testing::{Algorithm, DpopKey};

use crate::support::*;

#[actix_web::test]
async fn valid_tokens_reach_every_kind_of_route() {
    let c = ctx(DpopMode::Allowed).await;
    let app = service(&c.auth0).await;
    let token = c.issuer.token().sub("alice").scope("read:data").sign();
    let auth = bearer(&token);
    let h = [("authorization", auth.as_str())];

    let r = fetch(&app, "/protected-api", &h).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["message"], "Hello, alice");
    let r = fetch(&app, "/protected", &h).await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (StatusCode::OK, "guarded alice")
    );
    let r = fetch(&app, "/read-data", &h).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = fetch(&app, "/layer-and-claims", &h).await;
    assert_eq!(r.json()["message"], "Hello, alice");
    let r = fetch(&app, "/public", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[actix_web::test]
async fn typed_claims_deserialize_or_refuse() {
    let c = ctx(DpopMode::Allowed).await;
    let app = service(&c.auth0).await;
    let good = c.issuer.token().sub("bob").claim("org", "acme").sign();
    let r = fetch(&app, "/typed", &[("authorization", &bearer(&good))]).await;
    assert_eq!(r.json(), serde_json::json!({ "sub": "bob", "org": "acme" }));
    let missing = c.issuer.token().sub("bob").sign();
    let r = fetch(&app, "/typed", &[("authorization", &bearer(&missing))]).await;
    let d = "Token has an invalid claim";
    let www = challenge(
        DpopMode::Allowed,
        Some("Bearer"),
        &params("invalid_token", d),
    );
    r.assert_error(401, Some(&www), "invalid_token", d);
}

#[actix_web::test]
async fn maybe_claims_is_none_only_without_credentials() {
    let c = ctx(DpopMode::Allowed).await;
    let app = service(&c.auth0).await;
    let r = fetch(&app, "/optional", &[]).await;
    assert_eq!(r.body, "anonymous");
    let token = c.issuer.token().sub("carol").sign();
    let r = fetch(&app, "/optional", &[("authorization", &bearer(&token))]).await;
    assert_eq!(r.body, "user carol");
    let expired = c.issuer.token().expired().sign();
    let r = fetch(&app, "/optional", &[("authorization", &bearer(&expired))]).await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "a bad token is not anonymous"
    );
}

#[actix_web::test]
async fn scopes_and_permissions_all_of_and_any_of() {
    let c = ctx(DpopMode::Allowed).await;
    let app = service(&c.auth0).await;
    let scoped = |s: &str| bearer(&c.issuer.token().scope(s).sign());
    let permitted = |p: &[&str]| bearer(&c.issuer.token().permissions(p.iter().copied()).sign());
    let cases: Vec<(&str, String, u16)> = vec![
        ("/both-scopes", scoped("a b"), 200),
        ("/both-scopes", scoped("a"), 403),
        ("/any-scope", scoped("b"), 200),
        ("/any-scope", scoped("c"), 403),
        ("/perms", permitted(&["p:1", "p:2"]), 200),
        ("/perms", permitted(&["p:1"]), 403),
        ("/any-perm", permitted(&["p:2"]), 200),
        ("/any-perm", permitted(&[]), 403),
    ];
    for (route, auth, status) in cases {
        let r = fetch(&app, route, &[("authorization", &auth)]).await;
        assert_eq!(r.status.as_u16(), status, "{route} {}", r.body);
    }
}

#[actix_web::test]
async fn no_auth0_in_app_data_is_500() {
    let app = test::init_service(App::new().route(
        "/",
        web::get().to(|_c: auth0_actix_api::Claims| async { "never" }),
    ))
    .await;
    let r = fetch(&app, "/", &[]).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[actix_web::test]
async fn custom_rejection_sees_the_typed_error() {
    let c = ctx(DpopMode::Allowed).await;
    let guard = c.auth0.require_auth().on_rejection(|err: &Error| {
        HttpResponse::build(StatusCode::IM_A_TEAPOT).body(format!("{:?}", err.kind()))
    });
    let app = test::init_service(
        App::new().service(web::resource("/x").wrap(guard).to(|| async { "ok" })),
    )
    .await;
    let r = fetch(&app, "/x", &[]).await;
    assert_eq!(r.status, StatusCode::IM_A_TEAPOT);
    assert_eq!(r.body, "MissingCredentials");
}

/// Outer middleware that copies the typed error's kind into a header.
struct SeeError;

impl<S, B> Transform<S, ServiceRequest> for SeeError
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Transform = SeeErrorService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(SeeErrorService {
            service: std::rc::Rc::new(service),
        }))
    }
}

struct SeeErrorService<S> {
    service: std::rc::Rc<S>,
}

impl<S, B> Service<ServiceRequest> for SeeErrorService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Future = auth0_actix_api::MiddlewareFuture<ServiceResponse<B>>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = std::rc::Rc::clone(&self.service);
        Box::pin(async move {
            let mut res = service.call(req).await?;
            let kind = res
                .response()
                .extensions()
                .get::<Error>()
                .map(|e| format!("{:?}", e.kind()));
            if let Some(kind) = kind {
                res.headers_mut().insert(
                    actix_web::http::header::HeaderName::from_static("x-auth-error"),
                    actix_web::http::header::HeaderValue::from_str(&kind).unwrap(),
                );
            }
            Ok(res)
        })
    }
}

#[actix_web::test]
async fn outer_middleware_reads_the_typed_error() {
    let c = ctx(DpopMode::Allowed).await;
    let app = test::init_service(
        App::new().service(
            web::scope("/s")
                .wrap(c.auth0.require_auth().scopes(["read:data"]).unwrap())
                .wrap(SeeError)
                .route("/x", web::get().to(|| async { "ok" })),
        ),
    )
    .await;
    let token = c.issuer.token().scope("other").sign();
    let r = fetch(&app, "/s/x", &[("authorization", &bearer(&token))]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.header("x-auth-error"), Some("InsufficientScope"));
    let _ = ErrorKind::InsufficientScope;
}

#[actix_web::test]
async fn server_nonces_on_middleware_and_extractor_routes() {
    let issuer = auth0_api_testing::TestIssuer::start().await;
    let auth0 = builder(&issuer, DpopMode::Allowed)
        .dpop_nonce(NonceConfig::new([9u8; 32]).expect("secret"))
        .build()
        .expect("verifier");
    let app = service(&auth0).await;
    let key = DpopKey::generate(Algorithm::ES256);
    let token = issuer.token().sub("n").bound_to(&key).sign();
    for route in ["/protected", "/protected-api"] {
        let url = format!("http://localhost{route}");
        let proof = |nonce: Option<&str>| {
            let mut p = key
                .proof("GET", &url)
                .clock(&issuer.clock())
                .access_token(&token);
            if let Some(n) = nonce {
                p = p.nonce(n);
            }
            p.sign()
        };
        let r = fetch(
            &app,
            route,
            &[("authorization", &dpop(&token)), ("dpop", &proof(None))],
        )
        .await;
        let d = "Use the DPoP nonce from the DPoP-Nonce header";
        r.assert_error(
            401,
            Some(&challenge(
                DpopMode::Allowed,
                Some("DPoP"),
                &params("use_dpop_nonce", d),
            )),
            "use_dpop_nonce",
            d,
        );
        let nonce = r.header("dpop-nonce").expect("nonce").to_owned();
        let r = fetch(
            &app,
            route,
            &[
                ("authorization", &dpop(&token)),
                ("dpop", &proof(Some(&nonce))),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{route} {}", r.body);
        let next = r
            .header("dpop-nonce")
            .expect("next nonce on success")
            .to_owned();
        let r = fetch(
            &app,
            route,
            &[
                ("authorization", &dpop(&token)),
                ("dpop", &proof(Some(&next))),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{route} {}", r.body);
        assert_eq!(r.headers.get_all("dpop-nonce").count(), 1, "one nonce");
    }
    let plain = issuer.token().sign();
    let r = fetch(&app, "/protected", &[("authorization", &bearer(&plain))]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("dpop-nonce").is_none());
    let _ = DpopNonce::new();
}

#[actix_web::test]
async fn forwarded_headers_count_only_from_trusted_peers() {
    let issuer = auth0_api_testing::TestIssuer::start().await;
    let auth0 = builder(&issuer, DpopMode::Allowed)
        .trust_proxy(TrustProxy::networks(["10.0.0.0/8"]).expect("cidr"))
        .build()
        .expect("verifier");
    let app = test::init_service(App::new().configure(configure(auth0.clone()))).await;
    let key = DpopKey::generate(Algorithm::ES256);
    let token = issuer.token().bound_to(&key).sign();
    let public = "https://api.example.com/protected";
    for (peer, status) in [("10.1.2.3:5000", 200), ("192.0.2.1:5000", 401)] {
        let proof = key
            .proof("GET", public)
            .clock(&issuer.clock())
            .access_token(&token)
            .sign();
        let req = test::TestRequest::get()
            .uri("/protected")
            .peer_addr(peer.parse().unwrap())
            .insert_header(("host", "internal:8080"))
            .insert_header(("x-forwarded-proto", "https"))
            .insert_header(("x-forwarded-host", "api.example.com"))
            .insert_header(("authorization", dpop(&token)))
            .insert_header(("dpop", proof))
            .to_request();
        let res = test::call_service(&app, req).await;
        assert_eq!(res.status().as_u16(), status, "peer {peer}");
    }
}
