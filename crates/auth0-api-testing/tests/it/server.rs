//! Discovery, JWKS, counting, behaviors and shutdown over real HTTP.

use std::sync::Arc;
use std::time::Duration;

use auth0_api_testing::{Algorithm, Behavior, Endpoint, TestIssuer};
use serde_json::{Value, json};

use crate::support::{client, find_kid, get_json};

#[tokio::test]
async fn urls_have_the_auth0_shape() {
    let issuer = TestIssuer::start().await;
    let base = issuer.base_url();
    assert!(base.starts_with("http://127.0.0.1:"));
    assert!(!base.ends_with('/'));
    assert_eq!(issuer.issuer(), format!("{base}/"));
    assert_eq!(issuer.jwks_uri(), format!("{base}/.well-known/jwks.json"));
    assert_eq!(issuer.token_endpoint(), format!("{base}/oauth/token"));
    assert_eq!(
        issuer.discovery_url(),
        format!("{base}/.well-known/openid-configuration")
    );
    assert_eq!(
        issuer.oauth_metadata_url(),
        format!("{base}/.well-known/oauth-authorization-server")
    );
    assert_eq!(issuer.authority(), base.trim_start_matches("http://"));
    assert_eq!(issuer.audience(), "https://api.example.com");
    assert_eq!(issuer.default_kid(), "rs256-1");
    assert_eq!(issuer.kids(), ["rs256-1"]);
}

#[tokio::test]
async fn serves_oidc_discovery_and_rfc8414_metadata() {
    let issuer = TestIssuer::start().await;
    for url in [issuer.discovery_url(), issuer.oauth_metadata_url()] {
        let (status, doc) = get_json(&url).await;
        assert_eq!(status, 200, "{url}");
        assert_eq!(doc["issuer"], issuer.issuer());
        assert_eq!(doc["jwks_uri"], issuer.jwks_uri());
        assert_eq!(doc["token_endpoint"], issuer.token_endpoint());
        let algs = doc["dpop_signing_alg_values_supported"]
            .as_array()
            .expect("dpop algs");
        assert!(algs.contains(&json!("ES256")));
        assert!(algs.contains(&json!("EdDSA")));
    }
    // An RFC 8414 client that keeps the issuer's trailing slash is answered too.
    let (status, _) = get_json(&format!("{}/", issuer.oauth_metadata_url())).await;
    assert_eq!(status, 200);
    assert_eq!(issuer.requests(Endpoint::Discovery), 1);
    assert_eq!(issuer.requests(Endpoint::OauthMetadata), 2);
}

#[tokio::test]
async fn issuer_with_a_path() {
    let issuer = TestIssuer::builder()
        .path("/tenant-a/")
        .audience("urn:my-api")
        .start()
        .await;
    let base = issuer.base_url();
    assert_eq!(issuer.issuer(), format!("{base}/tenant-a/"));
    assert_eq!(issuer.audience(), "urn:my-api");
    let (status, doc) =
        get_json(&format!("{base}/tenant-a/.well-known/openid-configuration")).await;
    assert_eq!(status, 200);
    assert_eq!(doc["issuer"], issuer.issuer());
    assert_eq!(
        doc["jwks_uri"],
        format!("{base}/tenant-a/.well-known/jwks.json")
    );
    let (status, doc) = get_json(&format!(
        "{base}/.well-known/oauth-authorization-server/tenant-a"
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(doc["issuer"], issuer.issuer());
    let (status, jwks) = get_json(&issuer.jwks_uri()).await;
    assert_eq!(status, 200);
    assert_eq!(jwks["keys"].as_array().map(Vec::len), Some(1));

    // The root paths belong to no issuer here.
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
        "/.well-known/jwks.json",
        "/tenant-b/.well-known/jwks.json",
    ] {
        let (status, _) = get_json(&format!("{base}{path}")).await;
        assert_eq!(status, 404, "{path}");
    }
    assert_eq!(issuer.requests(Endpoint::Discovery), 1);
    assert_eq!(issuer.requests(Endpoint::OauthMetadata), 1);
    assert_eq!(issuer.requests(Endpoint::Jwks), 1);
}

#[tokio::test]
async fn jwks_publishes_public_members_of_every_key_type() {
    let issuer = TestIssuer::builder()
        .key(Algorithm::RS256)
        .key(Algorithm::ES256)
        .key(Algorithm::ES384)
        .key(Algorithm::ES512)
        .key(Algorithm::EdDSA)
        .key(Algorithm::PS256)
        .start()
        .await;
    let (status, jwks) = get_json(&issuer.jwks_uri()).await;
    assert_eq!(status, 200);
    let keys = jwks["keys"].as_array().expect("keys");
    assert_eq!(keys.len(), 6);
    for key in keys {
        assert_eq!(key["use"], "sig");
        assert!(key["kid"].is_string());
        assert!(key.get("d").is_none(), "no private member: {key}");
        let alg = key["alg"].as_str().expect("alg");
        let members: &[&str] = match key["kty"].as_str().expect("kty") {
            "RSA" => &["n", "e"],
            "EC" => &["crv", "x", "y"],
            "OKP" => &["crv", "x"],
            other => panic!("unexpected kty {other}"),
        };
        for m in members {
            assert!(key[m].is_string(), "{alg} {m}");
        }
        assert_eq!(
            Some(key),
            issuer.public_jwk(key["kid"].as_str().unwrap()).as_ref()
        );
    }
    let crvs: Vec<&str> = keys.iter().filter_map(|k| k["crv"].as_str()).collect();
    assert_eq!(crvs, ["P-256", "P-384", "P-521", "Ed25519"]);
    assert_eq!(issuer.default_kid(), "rs256-1");
    assert_eq!(issuer.public_jwk("nope"), None);
}

#[tokio::test]
async fn key_management_changes_what_is_published() {
    let issuer = TestIssuer::start().await;
    let first = issuer.default_kid();
    let second = issuer.rotate(Algorithm::ES256);
    assert_eq!(issuer.default_kid(), second);
    let hidden = issuer.add_unpublished_key(Algorithm::EdDSA);
    let kids = |jwks: &Value| -> Vec<String> {
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap_or("<raw>").to_owned())
            .collect()
    };
    let (_, jwks) = get_json(&issuer.jwks_uri()).await;
    assert_eq!(kids(&jwks), [first.clone(), second.clone()]);

    issuer.unpublish(&first);
    issuer.publish(&hidden);
    issuer.publish_raw_jwk(json!({"kty": "oct", "k": "c2VjcmV0", "kid": "raw"}));
    let (_, jwks) = get_json(&issuer.jwks_uri()).await;
    assert_eq!(
        kids(&jwks),
        [second.clone(), hidden.clone(), "raw".to_owned()]
    );
    assert!(find_kid(&jwks, &first).is_none());
    assert_eq!(find_kid(&jwks, "raw").unwrap()["kty"], "oct");

    issuer.clear_raw_jwks();
    assert!(issuer.set_default_key(&first));
    assert!(!issuer.set_default_key("missing"));
    assert_eq!(issuer.default_kid(), first);

    issuer.set_jwks_override(Some("{\"keys\": 42}".to_owned()));
    let text = client()
        .get(issuer.jwks_uri())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text, "{\"keys\": 42}");
    issuer.set_jwks_override(None);
    let (_, jwks) = get_json(&issuer.jwks_uri()).await;
    assert_eq!(kids(&jwks), [second, hidden]);
    assert_eq!(issuer.jwks(), jwks.to_string());
}

#[tokio::test]
async fn cache_control_discovery_issuer_and_disabled_oidc() {
    let issuer = TestIssuer::start().await;
    let response = client().get(issuer.jwks_uri()).send().await.unwrap();
    assert!(response.headers().get("cache-control").is_none());

    issuer.set_cache_control(Endpoint::Jwks, Some("max-age=60"));
    let response = client().get(issuer.jwks_uri()).send().await.unwrap();
    assert_eq!(response.headers()["cache-control"], "max-age=60");
    assert_eq!(response.headers()["content-type"], "application/json");
    let response = client().get(issuer.discovery_url()).send().await.unwrap();
    assert!(response.headers().get("cache-control").is_none());

    issuer.set_discovery_issuer(Some("https://evil.example.com/".into()));
    let (_, doc) = get_json(&issuer.discovery_url()).await;
    assert_eq!(doc["issuer"], "https://evil.example.com/");
    let (_, doc) = get_json(&issuer.oauth_metadata_url()).await;
    assert_eq!(doc["issuer"], "https://evil.example.com/");
    issuer.set_discovery_issuer(None);

    issuer.disable_oidc_discovery(true);
    let (status, _) = get_json(&issuer.discovery_url()).await;
    assert_eq!(status, 404);
    let (status, doc) = get_json(&issuer.oauth_metadata_url()).await;
    assert_eq!(status, 200);
    assert_eq!(doc["issuer"], issuer.issuer());
    issuer.disable_oidc_discovery(false);
    let (status, _) = get_json(&issuer.discovery_url()).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn wrong_methods_and_unknown_paths() {
    let issuer = TestIssuer::start().await;
    let response = client().post(issuer.jwks_uri()).send().await.unwrap();
    assert_eq!(response.status(), 405);
    let response = client().get(issuer.token_endpoint()).send().await.unwrap();
    assert_eq!(response.status(), 405);
    let (status, _) = get_json(&format!("{}/nothing", issuer.base_url())).await;
    assert_eq!(status, 404);
    assert_eq!(issuer.requests(Endpoint::Jwks), 1);
    assert_eq!(issuer.requests(Endpoint::Token), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counting_is_exact_under_concurrency() {
    let issuer = TestIssuer::start().await;
    let client = client();
    let url = Arc::new(issuer.jwks_uri());
    let mut tasks = Vec::new();
    for _ in 0..1_000 {
        let client = client.clone();
        let url = Arc::clone(&url);
        tasks.push(tokio::spawn(async move {
            client
                .get(url.as_str())
                .send()
                .await
                .map(|r| r.status().as_u16())
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), 200);
    }
    assert_eq!(issuer.requests(Endpoint::Jwks), 1_000);
    assert_eq!(issuer.requests(Endpoint::Discovery), 0);
    issuer.reset_counts();
    assert_eq!(issuer.requests(Endpoint::Jwks), 0);
    let (status, _) = get_json(&issuer.jwks_uri()).await;
    assert_eq!(status, 200);
    assert_eq!(issuer.requests(Endpoint::Jwks), 1);
}

#[tokio::test]
async fn status_and_garbage_behaviors() {
    let issuer = TestIssuer::start().await;
    issuer.set_behavior(Endpoint::Jwks, Behavior::Status(503));
    issuer.set_cache_control(Endpoint::Jwks, Some("no-store"));
    let response = client().get(issuer.jwks_uri()).send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["cache-control"], "no-store");

    issuer.set_behavior(Endpoint::Jwks, Behavior::Status(42));
    let response = client().get(issuer.jwks_uri()).send().await.unwrap();
    assert_eq!(response.status(), 500);

    issuer.set_behavior(Endpoint::Discovery, Behavior::Garbage);
    let response = client().get(issuer.discovery_url()).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");

    issuer.set_behavior(Endpoint::Discovery, Behavior::Normal);
    let (status, doc) = get_json(&issuer.discovery_url()).await;
    assert_eq!(status, 200);
    assert_eq!(doc["issuer"], issuer.issuer());
    assert_eq!(issuer.requests(Endpoint::Jwks), 2);
    assert_eq!(issuer.requests(Endpoint::Discovery), 2);
}

#[tokio::test]
async fn hang_delay_and_drop_behaviors() {
    let issuer = TestIssuer::start().await;
    let quick = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();

    issuer.set_behavior(Endpoint::Jwks, Behavior::Hang);
    let err = quick.get(issuer.jwks_uri()).send().await.unwrap_err();
    assert!(err.is_timeout(), "{err}");

    issuer.set_behavior(Endpoint::Jwks, Behavior::Delay(Duration::from_secs(2)));
    let err = quick.get(issuer.jwks_uri()).send().await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
    issuer.set_behavior(Endpoint::Jwks, Behavior::Delay(Duration::from_millis(50)));
    let response = quick.get(issuer.jwks_uri()).send().await.unwrap();
    assert_eq!(response.status(), 200);

    issuer.set_behavior(Endpoint::Jwks, Behavior::Drop);
    let err = quick.get(issuer.jwks_uri()).send().await.unwrap_err();
    assert!(!err.is_timeout(), "{err}");
    assert!(err.is_request() || err.is_connect(), "{err:?}");

    assert_eq!(issuer.requests(Endpoint::Jwks), 4);
}

async fn assert_refused(authority: &str) {
    // The listener is released when the aborted task is dropped, which the runtime does
    // promptly but not synchronously for handle drops: poll for it. The bound only turns a
    // listener that never closes into a failure; a busy machine may take a while.
    for _ in 0..1000 {
        match tokio::net::TcpStream::connect(authority).await {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => return,
            _ => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
    panic!("{authority} still accepts connections");
}

#[tokio::test]
async fn shutdown_closes_the_port() {
    let issuer = TestIssuer::start().await;
    let authority = issuer.authority();
    assert!(tokio::net::TcpStream::connect(&authority).await.is_ok());
    assert!(issuer.is_running());
    let clone = issuer.clone();
    issuer.shutdown().await;
    assert!(!clone.is_running());
    let err = tokio::net::TcpStream::connect(&authority)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    let err = client().get(clone.jwks_uri()).send().await.unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    // Idempotent, and minting still works offline.
    clone.shutdown().await;
    assert_eq!(clone.token().sign().split('.').count(), 3);
}

#[tokio::test]
async fn shutdown_drops_hanging_connections() {
    let issuer = TestIssuer::start().await;
    issuer.set_behavior(Endpoint::Jwks, Behavior::Hang);
    let request = tokio::spawn(client().get(issuer.jwks_uri()).send());
    while issuer.requests(Endpoint::Jwks) == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    issuer.shutdown().await;
    let outcome = tokio::time::timeout(Duration::from_secs(5), request)
        .await
        .expect("the hanging request ends once the issuer stops")
        .unwrap();
    assert!(outcome.is_err());
}

#[tokio::test]
async fn dropping_the_last_handle_stops_the_server() {
    let issuer = TestIssuer::start().await;
    let authority = issuer.authority();
    let clone = issuer.clone();
    drop(issuer);
    assert!(tokio::net::TcpStream::connect(&authority).await.is_ok());
    drop(clone);
    assert_refused(&authority).await;
}
