//! Layer settings that cannot be right are refused when the layer is built.

use auth0_tonic_api::{Auth0, ConfigErrorKind, DpopMode, MethodConfigErrorKind, RequireAuthLayer};
use std::error::Error as _;

use crate::support::*;

async fn auth0() -> Auth0 {
    ctx(DpopMode::Allowed).await.auth0
}

#[tokio::test]
async fn bad_scope_lists_are_config_errors() {
    let layer = || async { RequireAuthLayer::new(auth0().await) };
    let e = layer().await.scopes(Vec::<String>::new()).unwrap_err();
    assert_eq!(e.kind(), ConfigErrorKind::Empty);
    let e = layer().await.any_scope(["read write"]).unwrap_err();
    assert_eq!(e.kind(), ConfigErrorKind::Malformed);
    assert!(layer().await.permissions([""]).is_err());
    assert!(layer().await.any_permission([" "]).is_err());
}

#[tokio::test]
async fn bad_method_rules_are_method_config_errors() {
    let a = auth0().await;
    let layer = || RequireAuthLayer::new(a.clone());
    for path in [
        "",
        "quickstart.v1.Quickstart/Public",
        "/Svc",
        "/Svc/M/",
        "/S vc/M",
    ] {
        let e = layer().public_method(path).unwrap_err();
        assert_eq!(e.kind(), MethodConfigErrorKind::MalformedPath, "{path:?}");
        assert_eq!(e.path(), path);
        let e = layer().method(path, |r| r.scopes(["a"])).unwrap_err();
        assert_eq!(e.kind(), MethodConfigErrorKind::MalformedPath, "{path:?}");
    }

    // A method gets one rule: public and protected at once would contradict.
    let e = layer()
        .public_method(Rpc::Public.path())
        .unwrap()
        .method(Rpc::Public.path(), |r| r.scopes(["a"]))
        .unwrap_err();
    assert_eq!(e.kind(), MethodConfigErrorKind::Duplicate);
    let e = layer()
        .method(Rpc::ReadData.path(), |r| r.scopes(["a"]))
        .unwrap()
        .method(Rpc::ReadData.path(), |r| r.scopes(["b"]))
        .unwrap_err();
    assert_eq!(e.kind(), MethodConfigErrorKind::Duplicate);

    // Requirements: refused by the core, or requiring nothing.
    let e = layer()
        .method(Rpc::ReadData.path(), |r| r.scopes(["read data"]))
        .unwrap_err();
    assert_eq!(e.kind(), MethodConfigErrorKind::Requirements);
    assert_eq!(
        e.config_error().map(|c| c.kind()),
        Some(ConfigErrorKind::Malformed)
    );
    assert!(e.source().is_some());
    assert_eq!(
        e.to_string(),
        r#"invalid requirements for gRPC method "/quickstart.v1.Quickstart/ReadData""#
    );
    let e = layer().method(Rpc::ReadData.path(), Ok).unwrap_err();
    assert_eq!(e.kind(), MethodConfigErrorKind::Requirements);
    assert!(e.source().is_none());
}
