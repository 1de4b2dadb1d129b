//! The layer outside axum: on a bare tower `service_fn` with `http_body_util::Full` bodies.

use std::convert::Infallible;

use auth0_axum_api::{Auth0Ext, DpopMode, Error, RequireAuthLayer};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use serde_json::json;
use tower::{ServiceBuilder, ServiceExt, service_fn};

use crate::support::*;

async fn echo_sub(req: Request<Full<Bytes>>) -> Result<Response<Full<Bytes>>, Infallible> {
    let sub = req
        .extensions()
        .get::<auth0_axum_api::auth0_api::Claims>()
        .and_then(|c| c.sub().map(str::to_owned))
        .unwrap_or_else(|| "no claims".to_owned());
    Ok(Response::new(Full::from(sub)))
}

fn req(auth: Option<&str>) -> Request<Full<Bytes>> {
    let mut b = Request::get("/x").header("host", "svc.internal");
    if let Some(a) = auth {
        b = b.header("authorization", a);
    }
    b.body(Full::default()).unwrap()
}

async fn body(r: Response<Full<Bytes>>) -> String {
    String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

#[tokio::test]
async fn guards_a_plain_tower_service() {
    let c = ctx(DpopMode::Disabled).await;
    let svc = ServiceBuilder::new()
        .layer(
            RequireAuthLayer::new(c.auth0.clone())
                .scopes(["s"])
                .unwrap(),
        )
        .service(service_fn(echo_sub));

    let r = svc.clone().oneshot(req(None)).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["www-authenticate"], r#"Bearer realm="api""#);
    let b: serde_json::Value = serde_json::from_str(&body(r).await).unwrap();
    assert_eq!(
        b,
        json!({ "error": "unauthorized", "error_description": "Authentication required" })
    );

    let no_scope = c.issuer.token().sign();
    let r = svc
        .clone()
        .oneshot(req(Some(&bearer(&no_scope))))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let token = c.issuer.token().sub("tower-user").scope("s").sign();
    let r = svc
        .clone()
        .oneshot(req(Some(&bearer(&token))))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(body(r).await, "tower-user");
}

#[tokio::test]
async fn custom_rejection_on_a_plain_tower_service() {
    let c = ctx(DpopMode::Allowed).await;
    let layer = c.auth0.require_auth().on_rejection(|err: &Error| {
        let mut r = Response::new(Full::from(format!("{:?}", err.kind())));
        *r.status_mut() = StatusCode::UNAUTHORIZED;
        r
    });
    let svc = ServiceBuilder::new()
        .layer(layer)
        .service(service_fn(echo_sub));
    let r = svc
        .clone()
        .oneshot(req(Some("Bearer x.y.z")))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().get("www-authenticate").is_none());
    assert_eq!(body(r).await, "MalformedToken");
}

#[tokio::test]
async fn stacked_layers_verify_once_and_share_the_claims() {
    let c = ctx(DpopMode::Allowed).await;
    let svc = ServiceBuilder::new()
        .layer(c.auth0.require_auth())
        .layer(c.auth0.require_auth().permissions(["p"]).unwrap())
        .service(service_fn(echo_sub));
    let token = c.issuer.token().sub("two-layers").permissions(["p"]).sign();
    let r = svc
        .clone()
        .oneshot(req(Some(&bearer(&token))))
        .await
        .unwrap();
    assert_eq!(body(r).await, "two-layers");
    let token = c.issuer.token().sign();
    let r = svc
        .clone()
        .oneshot(req(Some(&bearer(&token))))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_response_future_polled_after_completion_panics_instead_of_hanging() {
    use std::future::Future as _;
    use std::task::{Context, Poll, Waker};
    use tower::{Layer as _, Service as _};

    let c = ctx(DpopMode::Allowed).await;
    let mut svc = RequireAuthLayer::new(c.auth0.clone()).layer(service_fn(echo_sub));
    let mut future = Box::pin(svc.call(req(None)));
    let mut cx = Context::from_waker(Waker::noop());
    // No credentials: refused without any I/O, on the first poll.
    let Poll::Ready(Ok(response)) = future.as_mut().poll(&mut cx) else {
        panic!("a request without credentials is refused at once")
    };
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = future.as_mut().poll(&mut cx);
    }));
    assert!(
        again.is_err(),
        "polling a finished future must panic loudly"
    );
}
