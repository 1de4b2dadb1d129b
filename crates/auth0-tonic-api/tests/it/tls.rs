//! DPoP over TLS: the URL a proof names is `https://…` whatever the client writes in
//! `:scheme`.

use std::net::SocketAddr;

use auth0_api_testing::{Algorithm, DpopKey};
use auth0_tonic_api::DpopMode;
use tonic::Code;
use tonic::transport::{
    Certificate, Channel, ClientTlsConfig, Endpoint, Identity, Server, ServerTlsConfig,
};

use crate::support::pb::quickstart_client::QuickstartClient;
use crate::support::pb::quickstart_server::QuickstartServer;
use crate::support::*;

/// A self-signed certificate for `localhost` and 127.0.0.1, for these tests only (valid
/// 2025-01-01 to 2125-01-01; EC P-256; made with `openssl ca -selfsign`).
const CERT: &str = "-----BEGIN CERTIFICATE-----
MIIBiDCCAS+gAwIBAgIBATAKBggqhkjOPQQDAjAUMRIwEAYDVQQDDAlsb2NhbGhv
c3QwIBcNMjUwMTAxMDAwMDAwWhgPMjEyNTAxMDEwMDAwMDBaMBQxEjAQBgNVBAMM
CWxvY2FsaG9zdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABAZywS1VeBcasIey
jhpFgGghVZu/Nu3bYMXlffUVN/tecRw8WJdO65+hfqSUirFDaGnP2J5yZBLqDYcr
yuTJwlKjcDBuMBoGA1UdEQQTMBGCCWxvY2FsaG9zdIcEfwAAATAMBgNVHRMBAf8E
AjAAMA4GA1UdDwEB/wQEAwIHgDATBgNVHSUEDDAKBggrBgEFBQcDATAdBgNVHQ4E
FgQU/hpkq5dYbS12S0glUJUt1iYSrRowCgYIKoZIzj0EAwIDRwAwRAIgfVjFv/dE
BEi7CjKSZhOggqQRLWCTkjQyLli4skcKh54CIF7OpxGUfcTUQ5QJrqja8YhefKJg
EBBHpLmxHbx2cP9W
-----END CERTIFICATE-----
";

/// The test certificate's key (a test fixture, protecting nothing).
const KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgm5d0aRW/0HdsW0H6
f3KcXoGhxHAkT2ocZLDtAdQmGnGhRANCAAQGcsEtVXgXGrCHso4aRYBoIVWbvzbt
22DF5X31FTf7XnEcPFiXTuufoX6klIqxQ2hpz9iecmQS6g2HK8rkycJS
-----END PRIVATE KEY-----
";

async fn serve_tls(ctx: &Ctx) -> SocketAddr {
    let (incoming, addr) = listen().await;
    let server = Server::builder()
        .tls_config(ServerTlsConfig::new().identity(Identity::from_pem(CERT, KEY)))
        .unwrap()
        .layer(contract_layer(&ctx.auth0))
        .add_service(QuickstartServer::new(Svc))
        .serve_with_incoming(incoming);
    tokio::spawn(async move { server.await.unwrap() });
    addr
}

/// A TLS client of `addr` whose calls name `origin` in `:scheme` and `:authority`.
async fn connect_tls(addr: SocketAddr, origin: &str) -> QuickstartClient<Channel> {
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(CERT))
        .domain_name("localhost");
    let channel = Endpoint::from_shared(format!("https://{addr}"))
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .origin(origin.parse().unwrap())
        .connect()
        .await
        .unwrap();
    QuickstartClient::new(channel)
}

#[tokio::test]
async fn over_tls_the_method_url_is_https() {
    let c = ctx(DpopMode::Required).await;
    let addr = serve_tls(&c).await;
    let key = DpopKey::generate(Algorithm::ES256);
    let token = c
        .issuer
        .token()
        .sub("t")
        .scope("read:data")
        .bound_to(&key)
        .sign();
    let auth = dpop(&token);
    let proof = |url: &str| {
        key.proof("POST", url)
            .clock(&c.issuer.clock())
            .access_token(&token)
            .sign()
    };
    let https = format!("https://{addr}{}", Rpc::ReadData.path());
    let http = format!("http://{addr}{}", Rpc::ReadData.path());

    // A client that says https.
    let mut client = connect_tls(addr, &format!("https://{addr}")).await;
    let p = proof(&https);
    call(
        &mut client,
        Rpc::ReadData,
        &[("authorization", &auth), ("dpop", &p)],
    )
    .await
    .assert_ok("alpha,beta for t");

    // A client that writes `:scheme http` over TLS: the connection decides.
    let mut client = connect_tls(addr, &format!("http://{addr}")).await;
    let p = proof(&https);
    call(
        &mut client,
        Rpc::ReadData,
        &[("authorization", &auth), ("dpop", &p)],
    )
    .await
    .assert_ok("alpha,beta for t");
    let p = proof(&http);
    let r = call(
        &mut client,
        Rpc::ReadData,
        &[("authorization", &auth), ("dpop", &p)],
    )
    .await;
    assert_eq!(r.code, Code::Unauthenticated, "{r:?}");
    assert_eq!(r.message, "DPoP proof htu mismatch");

    // The authority is the one the client names.
    let mut client = connect_tls(addr, "http://api.example.com").await;
    let p = proof(&format!("https://api.example.com{}", Rpc::ReadData.path()));
    call(
        &mut client,
        Rpc::ReadData,
        &[("authorization", &auth), ("dpop", &p)],
    )
    .await
    .assert_ok("alpha,beta for t");
}
