//! The `openapi` feature: schemes by DPoP mode, each guarded route's requirement read from
//! its layer, and the example's document and Swagger UI served through its router.

use auth0_api_testing::DpopKey;
use auth0_axum_api::auth0_api::Algorithm;
use auth0_axum_api::openapi::{SecureRoutes, SecuritySchemes, secure, security};
use auth0_axum_api::{Auth0, Auth0Ext, DpopMode};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use utoipa::openapi::HttpMethod;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::support::*;

#[allow(dead_code, reason = "the example's `main` is not run here")]
#[path = "../../examples/openapi.rs"]
mod example;

const MODES: [DpopMode; 3] = [DpopMode::Disabled, DpopMode::Allowed, DpopMode::Required];

/// The example's document as JSON.
fn document(auth0: &Auth0) -> Value {
    serde_json::to_value(example::routes(auth0).unwrap().into_openapi()).unwrap()
}

/// The `security` list of `method` at `path`, `Null` when there is none.
fn security_of(doc: &Value, path: &str, method: &str) -> Value {
    doc["paths"][path][method]
        .get("security")
        .cloned()
        .unwrap_or(Value::Null)
}

/// `scopes` as the requirement list of `mode`: one object per scheme.
fn expected(mode: DpopMode, scopes: &[&str]) -> Value {
    let mut list = Vec::new();
    if mode.accepts_bearer() {
        list.push(json!({ "bearer": scopes }));
    }
    if mode.accepts_dpop() {
        list.push(json!({ "dpop": scopes, "dpop_proof": [] }));
    }
    Value::Array(list)
}

#[tokio::test]
async fn schemes_follow_the_dpop_mode() {
    for mode in MODES {
        let c = ctx(mode).await;
        let doc = document(&c.auth0);
        let schemes = &doc["components"]["securitySchemes"];
        let names: Vec<&str> = schemes
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let want: &[&str] = match mode {
            DpopMode::Disabled => &["bearer"],
            DpopMode::Required => &["dpop", "dpop_proof"],
            _ => &["bearer", "dpop", "dpop_proof"],
        };
        assert_eq!(names, want, "{mode:?}");
        if mode.accepts_bearer() {
            let b = &schemes["bearer"];
            assert_eq!(
                (&b["type"], &b["scheme"], &b["bearerFormat"]),
                (&json!("http"), &json!("bearer"), &json!("JWT"))
            );
        }
        if mode.accepts_dpop() {
            for (name, header) in [("dpop", "Authorization"), ("dpop_proof", "DPoP")] {
                let s = &schemes[name];
                assert_eq!(
                    (&s["type"], &s["in"], &s["name"]),
                    (&json!("apiKey"), &json!("header"), &json!(header)),
                    "{name}"
                );
                assert!(s["description"].as_str().unwrap().contains("RFC 9449"));
            }
        }
        // Every guarded operation names exactly the schemes of the mode.
        assert_eq!(
            security_of(&doc, "/protected", "get"),
            expected(mode, &[]),
            "{mode:?}"
        );
        assert_eq!(
            security_of(&doc, "/data", "get"),
            expected(mode, &["read:data"]),
            "{mode:?}"
        );
    }
}

#[tokio::test]
async fn each_route_lists_the_scopes_of_its_guard() {
    let c = ctx(DpopMode::Allowed).await;
    let doc = document(&c.auth0);
    assert_eq!(security_of(&doc, "/public", "get"), Value::Null);
    assert_eq!(
        security_of(&doc, "/protected", "get"),
        json!([{ "bearer": [] }, { "dpop": [], "dpop_proof": [] }])
    );
    assert_eq!(
        security_of(&doc, "/data", "get"),
        json!([{ "bearer": ["read:data"] }, { "dpop": ["read:data"], "dpop_proof": [] }])
    );
    // Two operations at one path, each with its own guard.
    assert_eq!(
        security_of(&doc, "/data", "post"),
        json!([{ "bearer": ["write:data"] }, { "dpop": ["write:data"], "dpop_proof": [] }])
    );
    // No document-wide requirement: unguarded routes stay public.
    assert_eq!(doc.get("security"), None);
}

#[utoipa::path(get, path = "/all", responses((status = 200)))]
async fn all() -> &'static str {
    "ok"
}

#[utoipa::path(get, path = "/any", responses((status = 200)))]
async fn any() -> &'static str {
    "ok"
}

#[utoipa::path(get, path = "/mixed", responses((status = 200)))]
async fn mixed() -> &'static str {
    "ok"
}

#[utoipa::path(get, path = "/any-perm", responses((status = 200)))]
async fn any_perm() -> &'static str {
    "ok"
}

#[utoipa::path(get, path = "/hand-written", responses((status = 200)), security(("api_key" = [])))]
async fn hand_written() -> &'static str {
    "ok"
}

#[tokio::test]
async fn any_of_is_alternatives_and_all_of_is_one_requirement() {
    let c = ctx(DpopMode::Disabled).await;
    let auth = || c.auth0.require_auth();
    let (_, api) = OpenApiRouter::<()>::new()
        .routes(routes!(all).secured(auth().scopes(["a", "b"]).unwrap()))
        .routes(routes!(any).secured(auth().any_scope(["a", "b"]).unwrap()))
        .routes(
            routes!(mixed).secured(
                auth()
                    .scopes(["x"])
                    .unwrap()
                    .any_scope(["a", "b"])
                    .unwrap()
                    .permissions(["p"])
                    .unwrap(),
            ),
        )
        .routes(routes!(any_perm).secured(auth().any_permission(["admin", "owner"]).unwrap()))
        .split_for_parts();
    let doc = serde_json::to_value(api).unwrap();
    assert_eq!(
        security_of(&doc, "/all", "get"),
        json!([{ "bearer": ["a", "b"] }])
    );
    assert_eq!(
        security_of(&doc, "/any", "get"),
        json!([{ "bearer": ["a"] }, { "bearer": ["b"] }])
    );
    assert_eq!(
        security_of(&doc, "/mixed", "get"),
        json!([{ "bearer": ["x", "a", "p"] }, { "bearer": ["x", "b", "p"] }])
    );
    assert_eq!(
        security_of(&doc, "/any-perm", "get"),
        json!([{ "bearer": ["admin"] }, { "bearer": ["owner"] }])
    );

    // With both schemes, each alternative is offered per scheme; scopes are never merged
    // across alternatives.
    let c = ctx(DpopMode::Allowed).await;
    let list = security(&c.auth0.require_auth().any_scope(["a", "b"]).unwrap());
    assert_eq!(
        serde_json::to_value(list).unwrap(),
        json!([
            { "bearer": ["a"] },
            { "bearer": ["b"] },
            { "dpop": ["a"], "dpop_proof": [] },
            { "dpop": ["b"], "dpop_proof": [] },
        ])
    );
}

#[tokio::test]
async fn the_guard_replaces_hand_written_security() {
    let c = ctx(DpopMode::Required).await;
    let (_, api) = OpenApiRouter::<()>::new()
        .routes(routes!(hand_written).secured(c.auth0.require_auth().scopes(["s"]).unwrap()))
        .split_for_parts();
    assert_eq!(
        security_of(&serde_json::to_value(api).unwrap(), "/hand-written", "get"),
        json!([{ "dpop": ["s"], "dpop_proof": [] }])
    );
}

#[derive(OpenApi)]
#[openapi(paths(all, any))]
struct Derived;

#[tokio::test]
async fn secure_writes_one_operation_and_adds_its_schemes() {
    let c = ctx(DpopMode::Disabled).await;
    let layer = c.auth0.require_auth().scopes(["read:data"]).unwrap();
    let mut api = Derived::openapi();
    secure(&mut api, "/all", HttpMethod::Get, &layer).unwrap();
    let doc = serde_json::to_value(&api).unwrap();
    assert_eq!(
        security_of(&doc, "/all", "get"),
        json!([{ "bearer": ["read:data"] }])
    );
    assert_eq!(security_of(&doc, "/any", "get"), Value::Null);
    assert_eq!(
        doc["components"]["securitySchemes"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["bearer"]
    );

    // No such operation: an error, and the document is unchanged.
    let before = serde_json::to_value(&api).unwrap();
    let err = secure(&mut api, "/nowhere", HttpMethod::Get, &layer).unwrap_err();
    assert_eq!(err.path(), "/nowhere");
    assert_eq!(
        err.to_string(),
        r#"no GET operation at "/nowhere" in the OpenAPI document"#
    );
    let err = secure(&mut api, "/any", HttpMethod::Post, &layer).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"no POST operation at "/any" in the OpenAPI document"#
    );
    assert_eq!(serde_json::to_value(&api).unwrap(), before);
}

#[tokio::test]
async fn schemes_modifier_adds_only_the_mode_s_schemes() {
    for mode in MODES {
        let mut api = Derived::openapi();
        SecuritySchemes::for_mode(mode).modify(&mut api);
        let c = ctx(mode).await;
        assert_eq!(
            SecuritySchemes::new(&c.auth0),
            SecuritySchemes::for_mode(mode)
        );
        let names: Vec<_> = api
            .components
            .unwrap()
            .security_schemes
            .into_keys()
            .collect();
        let want: Vec<&str> = [
            (mode.accepts_bearer(), "bearer"),
            (mode.accepts_dpop(), "dpop"),
            (mode.accepts_dpop(), "dpop_proof"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
        assert_eq!(names, want, "{mode:?}");
    }
}

/// The routes the document describes are guarded as it says, and a DPoP request built
/// from the document's scheme definitions (header names) passes.
#[tokio::test]
async fn documented_routes_are_guarded_as_documented() {
    let c = ctx(DpopMode::Allowed).await;
    let app = example::app(&c.auth0).unwrap();
    let doc = document(&c.auth0);

    let reader = c.issuer.token().sub("r").scope("read:data").sign();
    let nobody = c.issuer.token().sub("n").sign();
    let auth = |t: &str| [("authorization", bearer(t))];
    let call = |method: Method, path: &str, token: Option<&str>| {
        let headers: Vec<(String, String)> = token
            .map(|t| auth(t).map(|(k, v)| (k.to_owned(), v)).to_vec())
            .unwrap_or_default();
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        send(&app, request(method, path, &headers))
    };
    assert_eq!(
        call(Method::GET, "/public", None).await.status,
        StatusCode::OK
    );
    assert_eq!(
        call(Method::GET, "/protected", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(Method::GET, "/protected", Some(&nobody)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        call(Method::GET, "/data", Some(&nobody)).await.status,
        StatusCode::FORBIDDEN
    );
    let r = call(Method::GET, "/data", Some(&reader)).await;
    assert_eq!(
        (r.status, r.json()["sub"].clone()),
        (StatusCode::OK, json!("r"))
    );
    assert_eq!(
        call(Method::POST, "/data", Some(&reader)).await.status,
        StatusCode::FORBIDDEN,
        "POST /data needs write:data"
    );
    // The layer is a route layer: another method is still 405, not 401.
    assert_eq!(
        call(Method::PUT, "/data", None).await.status,
        StatusCode::METHOD_NOT_ALLOWED
    );

    // DPoP, with the headers the document names.
    let schemes = &doc["components"]["securitySchemes"];
    let token_header = schemes["dpop"]["name"]
        .as_str()
        .unwrap()
        .to_ascii_lowercase();
    let proof_header = schemes["dpop_proof"]["name"]
        .as_str()
        .unwrap()
        .to_ascii_lowercase();
    let key = DpopKey::generate(Algorithm::ES256);
    let bound = c
        .issuer
        .token()
        .sub("d")
        .scope("read:data")
        .bound_to(&key)
        .sign();
    let proof = key
        .proof("GET", "http://localhost/data")
        .clock(&c.issuer.clock())
        .access_token(&bound)
        .sign();
    let r = fetch(
        &app,
        "/data",
        &[(&token_header, &dpop(&bound)), (&proof_header, &proof)],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn the_example_serves_its_document_and_swagger_ui() {
    for mode in MODES {
        let c = ctx(mode).await;
        let app = example::app(&c.auth0).unwrap();
        let r = fetch(&app, "/openapi.json", &[]).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            r.headers.get("content-type").unwrap(),
            "application/json",
            "{mode:?}"
        );
        let served = r.json();
        assert_eq!(served, document(&c.auth0), "{mode:?}");
        assert_eq!(
            security_of(&served, "/data", "get"),
            expected(mode, &["read:data"])
        );
    }

    let c = ctx(DpopMode::Allowed).await;
    let app = example::app(&c.auth0).unwrap();
    let r = fetch(&app, "/swagger-ui/", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(r.body.contains("swagger-ui"), "{}", r.body);
    // The page loads the document from /openapi.json.
    let r = fetch(&app, "/swagger-ui/swagger-initializer.js", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("/openapi.json"), "{}", r.body);
}
