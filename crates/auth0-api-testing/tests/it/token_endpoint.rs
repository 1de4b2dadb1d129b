//! The scriptable token endpoint.

use std::time::Duration;

use auth0_api_testing::{Behavior, Endpoint, TestIssuer, TokenResponse};
use serde_json::{Value, json};

use crate::support::client;

#[tokio::test]
async fn records_requests_and_answers_the_default() {
    let issuer = TestIssuer::start().await;
    let response = client()
        .post(format!("{}?audit=1", issuer.token_endpoint()))
        .basic_auth("client-id", Some("s3cret"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token=abc")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(body["access_token"], "test-exchanged-token");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);

    let recorded = issuer.token_requests();
    assert_eq!(recorded.len(), 1);
    let r = &recorded[0];
    assert_eq!(r.method, http::Method::POST);
    assert_eq!(r.path, "/oauth/token?audit=1");
    assert_eq!(
        r.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        r.form_value("grant_type").as_deref(),
        Some("urn:ietf:params:oauth:grant-type:token-exchange")
    );
    assert_eq!(r.form_value("subject_token").as_deref(), Some("abc"));
    assert_eq!(
        r.basic_credentials(),
        Some(("client-id".to_owned(), "s3cret".to_owned()))
    );
    assert_eq!(issuer.requests(Endpoint::Token), 1);
    issuer.clear_token_requests();
    assert!(issuer.token_requests().is_empty());
}

#[tokio::test]
async fn configured_responses() {
    let issuer = TestIssuer::start().await;
    issuer.set_token_response(TokenResponse::json(
        403,
        json!({"error": "access_denied", "error_description": "nope"}),
    ));
    let response = client().post(issuer.token_endpoint()).send().await.unwrap();
    assert_eq!(response.status(), 403);
    let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(body["error"], "access_denied");

    issuer.set_token_response(TokenResponse::raw(200, "text/html", "<html>"));
    let response = client().post(issuer.token_endpoint()).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/html");
    assert_eq!(response.text().await.unwrap(), "<html>");

    issuer.set_token_response(TokenResponse::default().delay(Duration::from_secs(2)));
    let quick = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = quick
        .post(issuer.token_endpoint())
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");

    // Behaviors apply to the token endpoint too, and requests are still recorded.
    issuer.set_behavior(Endpoint::Token, Behavior::Status(502));
    let response = client()
        .post(issuer.token_endpoint())
        .body("a=b")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    let recorded = issuer.token_requests();
    assert_eq!(recorded.len(), 4);
    assert_eq!(recorded[3].body.as_ref(), b"a=b");
    assert_eq!(issuer.requests(Endpoint::Token), 4);
}
