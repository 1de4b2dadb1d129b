//! Redirects: the default client never follows one, and a user-supplied client that does
//! never has the target's answer used (its response does not come from the requested URL).

use std::error::Error as _;

use auth0_api::{
    Auth0, ErrorKind, ExchangeErrorKind, FetchError, HttpClient, HttpError, HttpErrorKind,
    HttpFuture, OnBehalfOfRequest, ResponseUrl,
};
use auth0_api_testing::{Endpoint, TestIssuer, TokenResponse};
use bytes::Bytes;
use serde_json::json;

use crate::common::check;
use crate::raw_server::{RawServer, Reply};

/// An `HttpClient` on a reqwest client that follows redirects (reqwest's default), telling
/// where each response came from when `say_where` is set.
struct Following {
    client: reqwest::Client,
    say_where: bool,
}

impl Following {
    fn new(say_where: bool) -> Self {
        Self {
            client: reqwest::Client::new(),
            say_where,
        }
    }
}

impl HttpClient for Following {
    fn send(&self, request: http::Request<Bytes>, _max_body: usize) -> HttpFuture<'_> {
        Box::pin(async move {
            let request = reqwest::Request::try_from(request)
                .map_err(|e| HttpError::with_source(HttpErrorKind::InvalidRequest, e))?;
            let response = self
                .client
                .execute(request)
                .await
                .map_err(|e| HttpError::with_source(HttpErrorKind::Network, e))?;
            let url = response.url().to_string();
            let status = response.status();
            let headers = response.headers().clone();
            let body = response
                .bytes()
                .await
                .map_err(|e| HttpError::with_source(HttpErrorKind::Network, e))?;
            let mut out = http::Response::new(body);
            *out.status_mut() = status;
            *out.headers_mut() = headers;
            if self.say_where {
                out.extensions_mut().insert(ResponseUrl::new(url));
            }
            Ok(out)
        })
    }
}

/// The `FetchError` behind a verification error.
fn fetch_error(
    auth0: &Auth0,
    token: &str,
) -> impl std::future::Future<Output = Option<FetchError>> {
    let auth0 = auth0.clone();
    let token = token.to_owned();
    async move {
        let err = auth0
            .verify_access_token(&token)
            .await
            .expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::KeysUnavailable);
        let mut source = err.source();
        while let Some(s) = source {
            if let Some(f) = s.downcast_ref::<FetchError>() {
                return Some(f.clone());
            }
            source = s.source();
        }
        None
    }
}

fn verifier(issuer: &TestIssuer, jwks_uri: &str, client: Option<Following>) -> Auth0 {
    let mut b = Auth0::builder()
        .issuer(issuer.issuer())
        .audience(issuer.audience())
        .clock(issuer.clock())
        .jwks_uri(jwks_uri);
    if let Some(c) = client {
        b = b.http_client(c);
    }
    b.build().unwrap()
}

/// The default client returns the `307` as it is: refused, the target never contacted.
#[tokio::test]
async fn the_default_client_never_follows_a_redirect() {
    let issuer = TestIssuer::start().await;
    let redirector = RawServer::start(Reply::redirect(&issuer.jwks_uri())).await;
    let auth0 = verifier(&issuer, &redirector.url("jwks.json"), None);
    assert_eq!(
        fetch_error(&auth0, &issuer.token().sign()).await,
        Some(FetchError::Status(307))
    );
    assert_eq!(redirector.hits(), 1);
    assert_eq!(
        issuer.requests(Endpoint::Jwks),
        0,
        "the target was contacted"
    );
}

/// A client that follows the redirect fetches the issuer's real keys from the target, and
/// the verifier still refuses them: the response is not from the URL it asked for.
#[tokio::test]
async fn a_client_that_follows_redirects_has_the_answer_refused() {
    let issuer = TestIssuer::start().await;
    let token = issuer.token().sign();

    // The same client without a redirect works: the refusal below is the redirect's.
    let direct = verifier(&issuer, &issuer.jwks_uri(), Some(Following::new(true)));
    assert!(check(&direct, &token).await.is_ok());

    let redirector = RawServer::start(Reply::redirect(&issuer.jwks_uri())).await;
    let jwks_before = issuer.requests(Endpoint::Jwks);
    let auth0 = verifier(
        &issuer,
        &redirector.url("jwks.json"),
        Some(Following::new(true)),
    );
    assert_eq!(
        fetch_error(&auth0, &token).await,
        Some(FetchError::Redirected)
    );
    assert_eq!(redirector.hits(), 1);
    assert_eq!(
        issuer.requests(Endpoint::Jwks),
        jwks_before + 1,
        "this client did follow the redirect; its answer was not used"
    );
}

/// A client that does not say where its response came from is refused, redirect or not.
#[tokio::test]
async fn a_client_that_does_not_say_where_the_response_came_from_is_refused() {
    let issuer = TestIssuer::start().await;
    let auth0 = verifier(&issuer, &issuer.jwks_uri(), Some(Following::new(false)));
    assert_eq!(
        fetch_error(&auth0, &issuer.token().sign()).await,
        Some(FetchError::Redirected)
    );
}

/// Token exchange: a `307` from the token endpoint is not followed by the default client
/// (the secret goes nowhere else), and a following client's answer is refused even though
/// the target issued a token.
#[tokio::test]
async fn token_endpoint_redirects_are_refused() {
    let issuer = TestIssuer::start().await;
    issuer.set_token_response(TokenResponse::json(
        200,
        json!({ "access_token": "from-the-target", "expires_in": 60 }),
    ));
    let redirector = RawServer::start(Reply::redirect(&issuer.token_endpoint())).await;
    let user_token = issuer.token().sign();
    for (client, target_hits) in [(None, 0), (Some(Following::new(true)), 1)] {
        let following = client.is_some();
        let mut b = Auth0::builder()
            .issuer(issuer.issuer())
            .audience(issuer.audience())
            .clock(issuer.clock());
        if let Some(c) = client {
            b = b.http_client(c);
        }
        let exchange = b
            .build()
            .unwrap()
            .token_exchange()
            .client_id("api-client")
            .client_secret("api-secret")
            .token_endpoint(redirector.url("oauth/token"))
            .build()
            .unwrap();
        issuer.clear_token_requests();
        let err = exchange
            .get_token_on_behalf_of(OnBehalfOfRequest::new(&user_token, "https://b"))
            .await
            .expect_err("a redirected token request must fail");
        if following {
            assert_eq!(err.kind(), ExchangeErrorKind::Network, "{err:?}");
            let redirected = err
                .source()
                .and_then(|s| s.downcast_ref::<HttpError>())
                .map(HttpError::kind);
            assert_eq!(redirected, Some(HttpErrorKind::Redirected));
        } else {
            assert_eq!(
                err.issuer_status().map(|s| s.as_u16()),
                Some(307),
                "{err:?}"
            );
        }
        assert_eq!(
            issuer.token_requests().len(),
            target_hits,
            "following: {following}"
        );
    }
}
