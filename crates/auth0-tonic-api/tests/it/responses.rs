//! The refusal as a gRPC status: codes, the core's headers byte for byte in metadata, the
//! error code, fixed messages; issuer down.

use auth0_api_testing::{Algorithm, Behavior, DpopKey, Endpoint};
use auth0_tonic_api::{DpopMode, Error, ErrorKind, grpc_code, refusal_status};
use tonic::Code;

use crate::support::*;

#[tokio::test]
async fn issuer_down_is_unavailable_with_retry_after() {
    for mode in MODES {
        let c = ctx(mode).await;
        for endpoint in [Endpoint::Jwks, Endpoint::Discovery, Endpoint::OauthMetadata] {
            c.issuer.set_behavior(endpoint, Behavior::Status(500));
        }
        let addr = serve(contract_layer(&c.auth0)).await;
        let mut client = connect(addr).await;
        let key = DpopKey::generate(Algorithm::ES256);
        let token = c.issuer.token().bound_to(&key).sign();
        let (auth, proof) = if mode == DpopMode::Disabled {
            (bearer(&c.issuer.token().sign()), None)
        } else {
            let proof = key
                .proof("POST", &url(addr, Rpc::Protected))
                .clock(&c.issuer.clock())
                .access_token(&token)
                .sign();
            (dpop(&token), Some(proof))
        };
        let mut h = vec![("authorization", auth.as_str())];
        if let Some(p) = &proof {
            h.push(("dpop", p.as_str()));
        }
        let r = call(&mut client, Rpc::Protected, &h).await;
        r.assert_refused(
            Code::Unavailable,
            None,
            "temporarily_unavailable",
            "Signing keys temporarily unavailable",
        );
        assert_eq!(r.one("retry-after").as_deref(), Some("5"), "{mode:?}");
    }
}

#[tokio::test]
async fn metadata_is_the_core_response_byte_for_byte() {
    let c = ctx(DpopMode::Allowed).await;
    let errors = [
        Error::new(ErrorKind::MissingCredentials),
        Error::new(ErrorKind::Expired).with_scheme(auth0_tonic_api::Scheme::Bearer),
        Error::new(ErrorKind::DpopReplay).with_scheme(auth0_tonic_api::Scheme::Dpop),
        Error::new(ErrorKind::MultipleAuthorizationHeaders),
        Error::new(ErrorKind::KeysUnavailable),
        Error::new(ErrorKind::ReplayStoreUnavailable),
        Error::new(ErrorKind::DomainsResolver),
    ];
    for err in errors {
        let status = refusal_status(&c.auth0, &err);
        let http = c.auth0.error_response(&err);
        for name in ["www-authenticate", "dpop-nonce", "retry-after"] {
            assert_eq!(
                status.metadata().get(name).map(|v| v.as_bytes().to_vec()),
                http.headers().get(name).map(|v| v.as_bytes().to_vec()),
                "{name} of {:?}",
                err.kind()
            );
        }
        let body: serde_json::Value = serde_json::from_slice(http.body()).unwrap();
        assert_eq!(
            status.metadata().get("error").unwrap().to_str().unwrap(),
            body["error"],
            "{:?}",
            err.kind()
        );
        assert_eq!(status.message(), body["error_description"]);
        assert_eq!(status.code(), grpc_code(&err));
        // Nothing else: the core's content type and cache headers stay HTTP's.
        assert!(status.metadata().get("content-type").is_none());
    }
}

#[test]
fn codes_follow_the_http_status() {
    let cases = [
        (ErrorKind::MissingCredentials, Code::Unauthenticated),
        (ErrorKind::InvalidSignature, Code::Unauthenticated),
        (ErrorKind::DpopReplay, Code::Unauthenticated),
        (ErrorKind::UseDpopNonce, Code::Unauthenticated),
        (ErrorKind::MalformedAuthorization, Code::InvalidArgument),
        (ErrorKind::InvalidHost, Code::InvalidArgument),
        (ErrorKind::InsufficientScope, Code::PermissionDenied),
        (ErrorKind::KeysUnavailable, Code::Unavailable),
        (ErrorKind::ReplayStoreUnavailable, Code::Unavailable),
        (ErrorKind::DomainsResolver, Code::Internal),
    ];
    for (kind, code) in cases {
        assert_eq!(grpc_code(&Error::new(kind)), code, "{kind:?}");
    }
}
