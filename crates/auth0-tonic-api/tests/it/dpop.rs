//! DPoP on gRPC: proofs with `htm` POST and `htu` the method's URL, replay, the URL of
//! another method, server nonces.

use auth0_api_testing::{Algorithm, DpopKey};
use auth0_tonic_api::DpopMode;
use auth0_tonic_api::auth0_api::NonceConfig;
use tonic::Code;

use crate::support::*;

#[tokio::test]
async fn a_proof_for_the_method_url_is_accepted_once() {
    for mode in [DpopMode::Allowed, DpopMode::Required] {
        let c = ctx(mode).await;
        let addr = serve(contract_layer(&c.auth0)).await;
        let mut client = connect(addr).await;
        let key = DpopKey::generate(Algorithm::ES256);
        let token = c
            .issuer
            .token()
            .sub("dpop-user")
            .scope("read:data")
            .bound_to(&key)
            .sign();
        let auth = dpop(&token);
        for rpc in [Rpc::Protected, Rpc::ReadData] {
            let proof = key
                .proof("POST", &url(addr, rpc))
                .clock(&c.issuer.clock())
                .access_token(&token)
                .sign();
            let h = [("authorization", auth.as_str()), ("dpop", proof.as_str())];
            let r = call(&mut client, rpc, &h).await;
            assert_eq!(r.code, Code::Ok, "{mode:?} {rpc:?}: {r:?}");
            assert!(r.body.contains("dpop-user"), "{r:?}");

            // The same proof again is a replay.
            let r = call(&mut client, rpc, &h).await;
            r.assert_refused(
                Code::Unauthenticated,
                Some(&challenge(
                    mode,
                    Some("DPoP"),
                    &params("invalid_dpop_proof", "DPoP proof replayed"),
                )),
                "invalid_dpop_proof",
                "DPoP proof replayed",
            );
        }
    }
}

#[tokio::test]
async fn a_proof_must_name_this_method_and_post() {
    let c = ctx(DpopMode::Allowed).await;
    let addr = serve(contract_layer(&c.auth0)).await;
    let mut client = connect(addr).await;
    let key = DpopKey::generate(Algorithm::ES256);
    let token = c.issuer.token().scope("read:data").bound_to(&key).sign();
    let auth = dpop(&token);
    let proof = |method: &str, url: &str| {
        key.proof(method, url)
            .clock(&c.issuer.clock())
            .access_token(&token)
            .sign()
    };
    let cases = [
        // Another method of the same service.
        (
            proof("POST", &url(addr, Rpc::Protected)),
            "DPoP proof htu mismatch",
        ),
        // The right URL over https: the server is plain.
        (
            proof(
                "POST",
                &url(addr, Rpc::ReadData).replacen("http:", "https:", 1),
            ),
            "DPoP proof htu mismatch",
        ),
        // gRPC calls are POSTs.
        (
            proof("GET", &url(addr, Rpc::ReadData)),
            "DPoP proof htm mismatch",
        ),
    ];
    for (proof, description) in cases {
        let h = [("authorization", auth.as_str()), ("dpop", proof.as_str())];
        let r = call(&mut client, Rpc::ReadData, &h).await;
        r.assert_refused(
            Code::Unauthenticated,
            Some(&challenge(
                DpopMode::Allowed,
                Some("DPoP"),
                &params("invalid_dpop_proof", description),
            )),
            "invalid_dpop_proof",
            description,
        );
    }
}

#[tokio::test]
async fn server_nonces_in_refusals_and_successful_responses() {
    let issuer = auth0_api_testing::TestIssuer::start().await;
    let auth0 = builder(&issuer, DpopMode::Allowed)
        .dpop_nonce(NonceConfig::random())
        .build()
        .unwrap();
    let addr = serve(contract_layer(&auth0)).await;
    let mut client = connect(addr).await;
    let key = DpopKey::generate(Algorithm::ES256);
    let token = issuer.token().sub("n").bound_to(&key).sign();
    let auth = dpop(&token);
    let proof = |nonce: Option<&str>| {
        let mut p = key
            .proof("POST", &url(addr, Rpc::Protected))
            .clock(&issuer.clock())
            .access_token(&token);
        if let Some(n) = nonce {
            p = p.nonce(n);
        }
        p.sign()
    };

    // No nonce: refused with a fresh one.
    let p = proof(None);
    let r = call(
        &mut client,
        Rpc::Protected,
        &[("authorization", &auth), ("dpop", &p)],
    )
    .await;
    let d = "Use the DPoP nonce from the DPoP-Nonce header";
    r.assert_refused(
        Code::Unauthenticated,
        Some(&challenge(
            DpopMode::Allowed,
            Some("DPoP"),
            &params("use_dpop_nonce", d),
        )),
        "use_dpop_nonce",
        d,
    );
    let nonce = r.one("dpop-nonce").expect("a nonce with use_dpop_nonce");

    // With it: accepted, and the response carries the next one.
    let p = proof(Some(&nonce));
    let r = call(
        &mut client,
        Rpc::Protected,
        &[("authorization", &auth), ("dpop", &p)],
    )
    .await;
    r.assert_ok("Hello, n");
    let next = r.one("dpop-nonce").expect("the next nonce on success");

    let p = proof(Some(&next));
    let r = call(
        &mut client,
        Rpc::Protected,
        &[("authorization", &auth), ("dpop", &p)],
    )
    .await;
    r.assert_ok("Hello, n");

    // A Bearer success carries none.
    let bearer_token = bearer(&issuer.token().sign());
    let r = call(
        &mut client,
        Rpc::Protected,
        &[("authorization", &bearer_token)],
    )
    .await;
    r.assert_ok("Hello, auth0|test-user");
    assert_eq!(r.one("dpop-nonce"), None);
}
