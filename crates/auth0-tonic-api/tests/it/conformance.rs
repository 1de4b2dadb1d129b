//! The shared table of request cases (`auth0_api_testing::conformance`), the one every front
//! end runs, through the layer on a real server in each DPoP mode.
//!
//! Each route of the example-server contract is a method of the quickstart service
//! (`GET /public` → `Public`, `GET /protected` → `Protected`, `GET /data` → `ReadData`,
//! `POST /data` → `WriteData`); every call is a `POST` to the method's URL, which is what
//! the table's proofs name. The answer is read back as the contract states it: the gRPC code
//! as an HTTP status, the `www-authenticate`, `dpop-nonce` and `retry-after` metadata as
//! headers, and the `error` metadata entry as the body's `error`.

use auth0_api_testing::conformance::{self, Answer, Route};
use auth0_tonic_api::auth0_api::Algorithm;
use tonic::Code;

use crate::support::*;

fn rpc(route: Route) -> Rpc {
    match route {
        Route::Public => Rpc::Public,
        Route::Protected => Rpc::Protected,
        Route::ReadData => Rpc::ReadData,
        Route::WriteData => Rpc::WriteData,
    }
}

/// The HTTP status `conformance::Answer` documents for each gRPC code.
fn http_status(code: Code) -> u16 {
    match code {
        Code::Ok => 200,
        Code::InvalidArgument => 400,
        Code::Unauthenticated => 401,
        Code::PermissionDenied => 403,
        Code::Internal => 500,
        Code::Unavailable => 503,
        other => panic!("no HTTP status for {other:?}"),
    }
}

#[tokio::test]
async fn every_case_of_the_shared_table_in_every_mode() {
    for mode in MODES {
        let c = ctx(mode).await;
        // The table sends a 20 KB token: the server's header-list limit must let it reach
        // the layer (tonic's default refuses it at the HTTP/2 layer).
        let addr = serve(contract_layer(&c.auth0)).await;
        let mut client = connect(addr).await;
        let target = |route: Route| ("POST".to_owned(), url(addr, rpc(route)));
        let cases = conformance::cases(&c.issuer, target, &[Algorithm::ES256, Algorithm::EdDSA]);
        let mut failures = Vec::new();
        for case in &cases {
            assert_eq!(case.method, "POST");
            assert_eq!(case.url, url(addr, rpc(case.route)));
            let metadata: Vec<(&str, &str)> = case
                .headers
                .iter()
                .map(|(name, value)| (*name, value.as_str()))
                .collect();
            let reply = call(&mut client, rpc(case.route), &metadata).await;
            let answer = Answer {
                status: http_status(reply.code),
                www_authenticate: reply.all("www-authenticate"),
                dpop_nonce: reply.one("dpop-nonce"),
                retry_after: reply.one("retry-after"),
                error: reply.one("error"),
            };
            if let Err(e) = case.check(mode, &answer) {
                failures.push(e);
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert!(cases.len() >= 25);
    }
}
