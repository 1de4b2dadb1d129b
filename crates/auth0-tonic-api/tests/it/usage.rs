//! The layer on a real server: tokens accepted and refused, claims in the handler,
//! per-layer and per-method requirements, public methods, per-service layers, custom
//! refusals.

use std::convert::Infallible;

use auth0_api_testing::{Algorithm, DpopKey};
use auth0_tonic_api::{DpopMode, Error, ErrorKind, RequireAuthLayer};
use tonic::transport::Server;
use tonic::{Code, Status};
use tower_layer::Layer as _;

use crate::support::pb::quickstart_server::QuickstartServer;
use crate::support::*;

#[tokio::test]
async fn bearer_token_reaches_the_handler_with_its_claims() {
    let c = ctx(DpopMode::Allowed).await;
    let addr = serve(contract_layer(&c.auth0)).await;
    let mut client = connect(addr).await;
    let token = c.issuer.token().sub("user-1").scope("read:data").sign();
    let auth = bearer(&token);
    let r = call(&mut client, Rpc::Protected, &[("authorization", &auth)]).await;
    r.assert_ok("Hello, user-1");
    assert_eq!(r.one("dpop-nonce"), None, "no nonces configured");
    let r = call(&mut client, Rpc::ReadData, &[("authorization", &auth)]).await;
    r.assert_ok("alpha,beta for user-1");
}

#[tokio::test]
async fn missing_token_is_unauthenticated_with_the_challenge() {
    for mode in MODES {
        let c = ctx(mode).await;
        let addr = serve(contract_layer(&c.auth0)).await;
        let mut client = connect(addr).await;
        for rpc in [Rpc::Protected, Rpc::ReadData, Rpc::WriteData] {
            let r = call(&mut client, rpc, &[]).await;
            r.assert_refused(
                Code::Unauthenticated,
                Some(&challenge(mode, None, "")),
                "unauthorized",
                "Authentication required",
            );
            assert_eq!(r.one("retry-after"), None);
        }
    }
}

#[tokio::test]
async fn insufficient_scope_is_permission_denied() {
    let c = ctx(DpopMode::Allowed).await;
    let addr = serve(contract_layer(&c.auth0)).await;
    let mut client = connect(addr).await;
    let reader = bearer(&c.issuer.token().scope("read:data").sign());
    let r = call(&mut client, Rpc::WriteData, &[("authorization", &reader)]).await;
    let p = format!(
        r#"{}, scope="write:data""#,
        params("insufficient_scope", "Insufficient scope")
    );
    r.assert_refused(
        Code::PermissionDenied,
        Some(&challenge(DpopMode::Allowed, Some("Bearer"), &p)),
        "insufficient_scope",
        "Insufficient scope",
    );
    let writer = bearer(&c.issuer.token().scope("write:data").sign());
    call(&mut client, Rpc::WriteData, &[("authorization", &writer)])
        .await
        .assert_ok("written=true for auth0|test-user");
}

#[tokio::test]
async fn bad_tokens_are_unauthenticated_with_invalid_token() {
    let c = ctx(DpopMode::Disabled).await;
    let addr = serve(contract_layer(&c.auth0)).await;
    let mut client = connect(addr).await;
    for (token, description) in [
        (c.issuer.token().expired().sign(), "Token expired"),
        ("not.a.token".to_owned(), "Malformed access token"),
        (
            c.issuer.token().audience("https://other.example/").sign(),
            "Invalid token audience",
        ),
    ] {
        let r = call(
            &mut client,
            Rpc::Protected,
            &[("authorization", &bearer(&token))],
        )
        .await;
        r.assert_refused(
            Code::Unauthenticated,
            Some(&challenge(
                DpopMode::Disabled,
                Some("Bearer"),
                &params("invalid_token", description),
            )),
            "invalid_token",
            description,
        );
    }
}

#[tokio::test]
async fn malformed_authorization_is_invalid_argument() {
    let c = ctx(DpopMode::Allowed).await;
    let addr = serve(contract_layer(&c.auth0)).await;
    let mut client = connect(addr).await;
    let token = bearer(&c.issuer.token().sign());
    let r = call(
        &mut client,
        Rpc::Protected,
        &[("authorization", &token), ("authorization", &token)],
    )
    .await;
    r.assert_refused(
        Code::InvalidArgument,
        Some(&challenge(
            DpopMode::Allowed,
            Some("Bearer"),
            &params("invalid_request", "Multiple Authorization headers"),
        )),
        "invalid_request",
        "Multiple Authorization headers",
    );
}

#[tokio::test]
async fn public_methods_are_served_without_reading_credentials() {
    let c = ctx(DpopMode::Required).await;
    let addr = serve(contract_layer(&c.auth0)).await;
    let mut client = connect(addr).await;
    call(&mut client, Rpc::Public, &[])
        .await
        .assert_ok("public (<no claims>)");
    // Even valid credentials are not read: no claims in the extensions.
    let token = bearer(&c.issuer.token().sign());
    call(&mut client, Rpc::Public, &[("authorization", &token)])
        .await
        .assert_ok("public (<no claims>)");
    call(&mut client, Rpc::Public, &[("authorization", "Bearer a b")])
        .await
        .assert_ok("public (<no claims>)");
}

#[tokio::test]
async fn layer_and_method_requirements_both_apply() {
    let c = ctx(DpopMode::Allowed).await;
    let layer = RequireAuthLayer::new(c.auth0.clone())
        .any_permission(["api:use", "api:admin"])
        .unwrap()
        .method(Rpc::WriteData.path(), |r| {
            r.scopes(["write:data", "audit"])?.any_scope(["eu", "us"])
        })
        .unwrap();
    let addr = serve(layer).await;
    let mut client = connect(addr).await;
    let token = |scope: &str, perms: &[&str]| {
        bearer(
            &c.issuer
                .token()
                .scope(scope)
                .permissions(perms.iter().copied())
                .sign(),
        )
    };
    let cases: &[(Rpc, String, Code)] = &[
        (Rpc::Protected, token("", &["api:admin"]), Code::Ok),
        (
            Rpc::Protected,
            token("write:data", &[]),
            Code::PermissionDenied,
        ),
        (
            Rpc::WriteData,
            token("write:data audit eu", &["api:use"]),
            Code::Ok,
        ),
        // The method's all-of scopes.
        (
            Rpc::WriteData,
            token("write:data eu", &["api:use"]),
            Code::PermissionDenied,
        ),
        // The method's any-of scopes.
        (
            Rpc::WriteData,
            token("write:data audit", &["api:use"]),
            Code::PermissionDenied,
        ),
        // The layer's any-of permissions still apply to a method with its own rule.
        (
            Rpc::WriteData,
            token("write:data audit us", &["other"]),
            Code::PermissionDenied,
        ),
    ];
    for (rpc, auth, code) in cases {
        let r = call(&mut client, *rpc, &[("authorization", auth)]).await;
        assert_eq!(r.code, *code, "{rpc:?} {auth}: {r:?}");
    }
    // The refusal names the unmet group.
    let r = call(
        &mut client,
        Rpc::Protected,
        &[("authorization", &token("", &["x"]))],
    )
    .await;
    assert!(
        r.one("www-authenticate")
            .unwrap()
            .ends_with(r#"scope="api:use api:admin", DPoP algs="ES256 EdDSA""#),
        "{r:?}"
    );
}

#[tokio::test]
async fn a_layer_around_one_service() {
    let c = ctx(DpopMode::Allowed).await;
    let layer = RequireAuthLayer::new(c.auth0.clone())
        .scopes(["read:data"])
        .unwrap();
    let (incoming, addr) = listen().await;
    // The wrapped generated server keeps its name, so it can be added as a service.
    let service = layer.layer(QuickstartServer::new(Svc));
    let server = Server::builder()
        .add_service(service)
        .serve_with_incoming(incoming);
    tokio::spawn(async move { server.await.unwrap() });
    let mut client = connect(addr).await;
    let reader = bearer(&c.issuer.token().sub("r").scope("read:data").sign());
    call(&mut client, Rpc::Public, &[("authorization", &reader)])
        .await
        .assert_ok("public (r)");
    let r = call(&mut client, Rpc::Protected, &[]).await;
    assert_eq!(r.code, Code::Unauthenticated);
}

#[tokio::test]
async fn server_and_service_layers_verify_a_dpop_proof_once() {
    // If the second layer verified again, the proof's jti would be spent twice: a replay.
    let c = ctx(DpopMode::Allowed).await;
    let (incoming, addr) = listen().await;
    let service = contract_layer(&c.auth0).layer(QuickstartServer::new(Svc));
    let server = Server::builder()
        .layer(RequireAuthLayer::new(c.auth0.clone()))
        .add_service(service)
        .serve_with_incoming(incoming);
    tokio::spawn(async move { server.await.unwrap() });
    let mut client = connect(addr).await;
    let key = DpopKey::generate(Algorithm::ES256);
    let token = c
        .issuer
        .token()
        .sub("d")
        .scope("read:data")
        .bound_to(&key)
        .sign();
    let proof = key
        .proof("POST", &url(addr, Rpc::ReadData))
        .clock(&c.issuer.clock())
        .access_token(&token)
        .sign();
    let auth = dpop(&token);
    let h = [("authorization", auth.as_str()), ("dpop", proof.as_str())];
    call(&mut client, Rpc::ReadData, &h)
        .await
        .assert_ok("alpha,beta for d");
}

#[tokio::test]
async fn a_layer_of_another_verifier_verifies_again() {
    // The outer verifier accepts the token; the inner one (another audience) must not
    // take the outer one's claims for its own.
    let c = ctx(DpopMode::Allowed).await;
    let other = auth0_tonic_api::Auth0::builder()
        .issuer(c.issuer.issuer())
        .audience("https://other.example/")
        .clock(c.issuer.clock())
        .build()
        .unwrap();
    let (incoming, addr) = listen().await;
    let service = RequireAuthLayer::new(other).layer(QuickstartServer::new(Svc));
    let server = Server::builder()
        .layer(RequireAuthLayer::new(c.auth0.clone()))
        .add_service(service)
        .serve_with_incoming(incoming);
    tokio::spawn(async move { server.await.unwrap() });
    let mut client = connect(addr).await;
    let token = bearer(&c.issuer.token().sign());
    let r = call(&mut client, Rpc::Protected, &[("authorization", &token)]).await;
    assert_eq!(r.code, Code::Unauthenticated, "{r:?}");
    assert_eq!(r.message, "Invalid token audience");
}

#[tokio::test]
async fn on_rejection_swaps_the_status_and_sees_the_error() {
    let c = ctx(DpopMode::Allowed).await;
    let layer = contract_layer(&c.auth0).on_rejection(|err: &Error| {
        if err.kind() == ErrorKind::InsufficientScope {
            Status::not_found("no such thing")
        } else {
            Status::unauthenticated(format!("refused: {}", err.kind().description()))
        }
    });
    let addr = serve(layer).await;
    let mut client = connect(addr).await;
    let r = call(&mut client, Rpc::Protected, &[]).await;
    assert_eq!(r.code, Code::Unauthenticated);
    assert_eq!(r.message, "refused: Authentication required");
    assert_eq!(r.one("www-authenticate"), None, "the closure's status only");
    let token = bearer(&c.issuer.token().sign());
    let r = call(&mut client, Rpc::ReadData, &[("authorization", &token)]).await;
    assert_eq!(r.code, Code::NotFound);
    assert_eq!(r.message, "no such thing");
}

#[tokio::test]
async fn the_error_is_in_the_response_extensions() {
    use tower::ServiceExt as _;

    let c = ctx(DpopMode::Allowed).await;
    let service = contract_layer(&c.auth0).layer(tower::service_fn(
        |_: http::Request<tonic::body::Body>| async {
            Ok::<_, Infallible>(http::Response::new(tonic::body::Body::default()))
        },
    ));
    let request = http::Request::post(format!("http://localhost{}", Rpc::Protected.path()))
        .body(tonic::body::Body::default())
        .unwrap();
    let response = service.oneshot(request).await.unwrap();
    let err = response
        .extensions()
        .get::<Error>()
        .expect("the typed error");
    assert_eq!(err.kind(), ErrorKind::MissingCredentials);
    // A trailers-only gRPC response: HTTP 200, the status in the headers.
    assert_eq!(response.status(), http::StatusCode::OK);
    assert_eq!(response.headers()["grpc-status"], "16");
    assert_eq!(
        response.headers()["grpc-message"],
        "Authentication%20required"
    );
    assert_eq!(response.headers()["content-type"], "application/grpc");
}
