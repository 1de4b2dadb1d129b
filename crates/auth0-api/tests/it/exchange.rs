//! Token exchange (SPEC §8) against the test issuer's real HTTP token endpoint.

use std::time::{Duration, Instant};

use auth0_api::exchange::RESERVED_PARAMETERS;
use auth0_api::{
    Algorithm, AssertionAudience, Auth0, Auth0Builder, ClientAssertionKey, ClientAuth, ConfigError,
    ConnectionTokenRequest, ExchangeError, ExchangeErrorKind, ExchangeProfileRequest,
    OnBehalfOfRequest, TokenExchange, TokenExchangeBuilder, UnixTime,
};
use auth0_api_testing::{Behavior, Endpoint, TestClock, TestIssuer, TokenResponse};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _, RsaKeyPair, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

const NOW: u64 = 1_700_000_000;
const BASIC_API_CLIENT: &str = "Basic YXBpLWNsaWVudDphcGktc2VjcmV0";
const FORM: &str = "application/x-www-form-urlencoded";

async fn issuer() -> TestIssuer {
    TestIssuer::builder()
        .clock(TestClock::new(UnixTime::from_secs(NOW)))
        .start()
        .await
}

/// The verifier's builder and the token-exchange settings built from it, so each test
/// reads as one chain.
struct Setup {
    verifier: Auth0Builder,
    exchange: Vec<Box<dyn FnOnce(TokenExchangeBuilder) -> TokenExchangeBuilder>>,
}

impl From<Auth0Builder> for Setup {
    fn from(verifier: Auth0Builder) -> Self {
        Self {
            verifier,
            exchange: Vec::new(),
        }
    }
}

impl Setup {
    fn ex(
        mut self,
        f: impl FnOnce(TokenExchangeBuilder) -> TokenExchangeBuilder + 'static,
    ) -> Self {
        self.exchange.push(Box::new(f));
        self
    }
    fn client_id(self, id: &'static str) -> Self {
        self.ex(move |b| b.client_id(id))
    }
    fn client_secret(self, secret: &'static str) -> Self {
        self.ex(move |b| b.client_secret(secret))
    }
    fn client_auth(self, auth: ClientAuth) -> Self {
        self.ex(move |b| b.client_auth(auth))
    }
    fn exchange_timeout(self, t: Duration) -> Self {
        self.ex(move |b| b.timeout(t))
    }
    fn token_endpoint(self, url: impl Into<String>) -> Self {
        let url = url.into();
        self.ex(move |b| b.token_endpoint(url))
    }
    fn jwks_uri(mut self, url: impl Into<String>) -> Self {
        self.verifier = self.verifier.jwks_uri(url);
        self
    }
    fn build(self) -> Result<Both, ConfigError> {
        let auth0 = self.verifier.build()?;
        let mut b = auth0.token_exchange();
        for f in self.exchange {
            b = f(b);
        }
        Ok(Both {
            exchange: b.build()?,
            auth0,
        })
    }
}

/// A verifier and its token exchange.
struct Both {
    auth0: Auth0,
    exchange: TokenExchange,
}

impl std::ops::Deref for Both {
    type Target = TokenExchange;
    fn deref(&self) -> &TokenExchange {
        &self.exchange
    }
}

impl Both {
    async fn verify_access_token(
        &self,
        token: &str,
    ) -> Result<auth0_api::Claims, auth0_api::Error> {
        self.auth0.verify_access_token(token).await
    }
}

fn builder(issuer: &TestIssuer) -> Setup {
    Setup::from(
        Auth0::builder()
            .issuer(issuer.issuer())
            .audience(issuer.audience())
            .clock(issuer.clock()),
    )
    .client_id("api-client")
}

fn auth0(issuer: &TestIssuer) -> Both {
    build(builder(issuer).client_secret("api-secret"))
}

fn build(b: Setup) -> Both {
    b.build().expect("build")
}

fn ok<T>(r: Result<T, ExchangeError>) -> T {
    r.unwrap_or_else(|e| panic!("exchange failed: {e} ({e:?})"))
}

fn err<T: std::fmt::Debug>(r: Result<T, ExchangeError>) -> ExchangeError {
    r.expect_err("exchange succeeded")
}

fn only_request(issuer: &TestIssuer) -> auth0_api_testing::RecordedRequest {
    let mut requests = issuer.token_requests();
    assert_eq!(requests.len(), 1, "exactly one token request");
    requests.remove(0)
}

fn body(r: &auth0_api_testing::RecordedRequest) -> &str {
    std::str::from_utf8(&r.body).unwrap_or("<not utf-8>")
}

// ---------------------------------------------------------------------------------------
// Requests, byte for byte.

#[tokio::test]
async fn connection_token_request_and_result() {
    let issuer = issuer().await;
    issuer.set_token_response(TokenResponse::json(
        200,
        json!({ "access_token": "vault-token", "expires_in": 120, "scope": "calendar.read" }),
    ));
    let auth0 = auth0(&issuer);
    let token = ok(auth0
        .get_access_token_for_connection(
            ConnectionTokenRequest::new("google-oauth2", "user-access-token")
                .login_hint("user@example.com"),
        )
        .await);
    assert_eq!(token.access_token(), "vault-token");
    assert_eq!(token.expires_in(), 120);
    assert_eq!(token.expires_at(), UnixTime::from_secs(NOW + 120));
    assert_eq!(token.scope(), Some("calendar.read"));
    assert!(!format!("{token:?}").contains("vault-token"));

    let r = only_request(&issuer);
    assert_eq!(r.method, http::Method::POST);
    assert_eq!(r.path, "/oauth/token");
    assert_eq!(r.header("content-type"), Some(FORM));
    assert_eq!(r.header("accept"), Some("application/json"));
    assert_eq!(r.header("authorization"), Some(BASIC_API_CLIENT));
    assert_eq!(
        body(&r),
        "grant_type=urn%3Aauth0%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange%3Afederated-connection-access-token\
         &subject_token=user-access-token\
         &subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token\
         &requested_token_type=http%3A%2F%2Fauth0.com%2Foauth%2Ftoken-type%2Ffederated-connection-access-token\
         &connection=google-oauth2\
         &login_hint=user%40example.com\
         &client_id=api-client"
    );
}

#[tokio::test]
async fn connection_without_login_hint_or_scope() {
    let issuer = issuer().await;
    issuer.set_token_response(TokenResponse::json(
        200,
        json!({ "access_token": "vault-token" }),
    ));
    let token = ok(auth0(&issuer)
        .get_access_token_for_connection(ConnectionTokenRequest::new("github", "at"))
        .await);
    assert_eq!(token.expires_in(), 3600, "Python's default lifetime");
    assert_eq!(token.expires_at(), UnixTime::from_secs(NOW + 3600));
    assert_eq!(token.scope(), None);
    let r = only_request(&issuer);
    let names: Vec<String> = r.form().into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        names,
        [
            "grant_type",
            "subject_token",
            "subject_token_type",
            "requested_token_type",
            "connection",
            "client_id"
        ]
    );
}

#[tokio::test]
async fn basic_credentials_are_form_encoded_first() {
    let issuer = issuer().await;
    let auth0 = build(builder(&issuer).client_id("c id:é").client_secret("s&cret"));
    ok(auth0
        .get_token_on_behalf_of(OnBehalfOfRequest::new("at", "https://b"))
        .await);
    let r = only_request(&issuer);
    assert_eq!(
        r.header("authorization"),
        Some("Basic YytpZCUzQSVDMyVBOTpzJTI2Y3JldA==")
    );
    assert_eq!(
        r.basic_credentials(),
        Some(("c id:é".to_owned(), "s&cret".to_owned()))
    );
}

#[tokio::test]
async fn exchange_profile_request_and_result() {
    let issuer = issuer().await;
    issuer.set_token_response(TokenResponse::json(
        200,
        json!({
            "access_token": "exchanged",
            "expires_in": "600",
            "scope": "",
            "token_type": "N_A",
            "issued_token_type": "urn:ietf:params:oauth:token-type:jwt",
            "id_token": "id-token-value",
            "refresh_token": "refresh-token-value"
        }),
    ));
    let token = ok(auth0(&issuer)
        .get_token_by_exchange_profile(
            ExchangeProfileRequest::new("legacy+token/=", "urn:acme:legacy")
                .audience("https://api.example.com")
                .scope("read:data write:data")
                .requested_token_type("urn:ietf:params:oauth:token-type:jwt")
                .extra("device", "d 1&2")
                .extra_values("role", ["admin", "ops"]),
        )
        .await);
    assert_eq!(token.access_token(), "exchanged");
    assert_eq!(token.expires_in(), 600);
    assert_eq!(token.expires_at(), UnixTime::from_secs(NOW + 600));
    assert_eq!(token.scope(), Some(""));
    assert_eq!(token.token_type(), Some("N_A"));
    assert_eq!(
        token.issued_token_type(),
        Some("urn:ietf:params:oauth:token-type:jwt")
    );
    assert_eq!(token.id_token(), Some("id-token-value"));
    assert_eq!(token.refresh_token(), Some("refresh-token-value"));
    let debug = format!("{token:?}");
    assert!(
        !debug.contains("exchanged") && !debug.contains("-token-value"),
        "{debug}"
    );

    let r = only_request(&issuer);
    assert_eq!(r.header("content-type"), Some(FORM));
    assert_eq!(r.header("authorization"), Some(BASIC_API_CLIENT));
    assert_eq!(
        body(&r),
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange\
         &subject_token=legacy%2Btoken%2F%3D\
         &subject_token_type=urn%3Aacme%3Alegacy\
         &audience=https%3A%2F%2Fapi.example.com\
         &scope=read%3Adata+write%3Adata\
         &requested_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt\
         &device=d+1%262\
         &role=admin\
         &role=ops"
    );
    assert_eq!(
        r.form_value("subject_token").as_deref(),
        Some("legacy+token/=")
    );
    assert_eq!(
        r.form_value("client_id"),
        None,
        "Basic auth: no client_id in the body"
    );
}

#[tokio::test]
async fn on_behalf_of_request_and_result_hide_id_and_refresh_tokens() {
    let issuer = issuer().await;
    issuer.set_token_response(TokenResponse::json(
        200,
        json!({
            "access_token": "downstream",
            "expires_in": 300,
            "scope": "read:invoices",
            "token_type": "Bearer",
            "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
            "id_token": "id-token-value",
            "refresh_token": "refresh-token-value"
        }),
    ));
    let token = ok(auth0(&issuer)
        .get_token_on_behalf_of(
            OnBehalfOfRequest::new("incoming", "https://billing").scope("read:invoices"),
        )
        .await);
    assert_eq!(token.access_token(), "downstream");
    assert_eq!(token.expires_in(), 300);
    assert_eq!(token.expires_at(), UnixTime::from_secs(NOW + 300));
    assert_eq!(token.scope(), Some("read:invoices"));
    assert_eq!(token.token_type(), Some("Bearer"));
    assert_eq!(
        token.issued_token_type(),
        Some("urn:ietf:params:oauth:token-type:access_token")
    );
    let debug = format!("{token:?}");
    assert!(
        !debug.contains("token-value") && !debug.contains("downstream"),
        "{debug}"
    );

    let r = only_request(&issuer);
    assert_eq!(r.header("authorization"), Some(BASIC_API_CLIENT));
    assert_eq!(
        body(&r),
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange\
         &subject_token=incoming\
         &subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token\
         &audience=https%3A%2F%2Fbilling\
         &scope=read%3Ainvoices\
         &requested_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token"
    );
}

#[tokio::test]
async fn client_secret_post() {
    let issuer = issuer().await;
    let auth0 = build(builder(&issuer).client_auth(ClientAuth::client_secret_post("p&ss")));
    ok(auth0
        .get_token_on_behalf_of(OnBehalfOfRequest::new("at", "https://b"))
        .await);
    ok(auth0
        .get_access_token_for_connection(ConnectionTokenRequest::new("github", "at"))
        .await);
    let requests = issuer.token_requests();
    assert_eq!(requests.len(), 2);
    for r in &requests {
        assert_eq!(r.header("authorization"), None);
        assert_eq!(r.header("content-type"), Some(FORM));
        assert!(
            body(r).ends_with("&client_id=api-client&client_secret=p%26ss"),
            "{}",
            body(r)
        );
        assert_eq!(r.form_values("client_id").len(), 1, "client_id once");
    }
}

// ---------------------------------------------------------------------------------------
// private_key_jwt: the assertion is decoded and its signature verified here.

fn decode_part(part: &str) -> Value {
    let bytes = URL_SAFE_NO_PAD.decode(part).unwrap_or_default();
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

fn check_assertion(
    r: &auth0_api_testing::RecordedRequest,
    verify: &'static dyn signature::VerificationAlgorithm,
    public_key: &[u8],
    alg: &str,
    aud: &str,
) {
    assert_eq!(r.header("authorization"), None);
    let form = r.form();
    let tail: Vec<&str> = form[form.len() - 3..]
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(
        tail,
        ["client_id", "client_assertion_type", "client_assertion"]
    );
    assert_eq!(r.form_value("client_id").as_deref(), Some("api-client"));
    assert_eq!(
        r.form_value("client_assertion_type").as_deref(),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    assert_eq!(r.form_value("client_secret"), None);
    let jwt = r.form_value("client_assertion").unwrap_or_default();
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "compact JWS");
    let header = decode_part(parts[0]);
    assert_eq!(header, json!({ "alg": alg, "typ": "JWT", "kid": "key-1" }));
    let claims = decode_part(parts[1]);
    assert_eq!(claims["iss"], "api-client");
    assert_eq!(claims["sub"], "api-client");
    assert_eq!(claims["aud"], aud);
    assert_eq!(claims["iat"], NOW);
    assert_eq!(claims["exp"], NOW + 60);
    assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 16));
    let sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap_or_default();
    let signing_input = format!("{}.{}", parts[0], parts[1]);
    let key = UnparsedPublicKey::new(verify, public_key);
    assert!(
        key.verify(signing_input.as_bytes(), &sig).is_ok(),
        "signature verifies"
    );
    let mut forged = signing_input.clone().into_bytes();
    let last = forged.len() - 1;
    forged[last] ^= 0x01;
    assert!(
        key.verify(&forged, &sig).is_err(),
        "a changed assertion does not verify"
    );
}

fn pem(der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    )
}

#[tokio::test]
async fn private_key_jwt_es256() {
    let issuer = issuer().await;
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(
        &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &SystemRandom::new(),
    )
    .expect("keygen");
    let pair =
        EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
            .expect("pair");
    let key = ClientAssertionKey::from_pkcs8_pem(&pem(pkcs8.as_ref()), Algorithm::ES256, "key-1")
        .expect("key");
    let auth0 = build(builder(&issuer).client_auth(ClientAuth::private_key_jwt(key.clone())));
    ok(auth0
        .get_token_by_exchange_profile(ExchangeProfileRequest::new("st", "urn:t"))
        .await);
    let r = only_request(&issuer);
    check_assertion(
        &r,
        &signature::ECDSA_P256_SHA256_FIXED,
        pair.public_key().as_ref(),
        "ES256",
        &issuer.issuer(),
    );
    let first_jti = decode_part(
        r.form_value("client_assertion")
            .unwrap_or_default()
            .split('.')
            .nth(1)
            .unwrap_or(""),
    )["jti"]
        .clone();

    // The token endpoint as audience, and a fresh jti per request.
    issuer.clear_token_requests();
    let auth0 = build(builder(&issuer).client_auth(
        ClientAuth::private_key_jwt(key).assertion_audience(AssertionAudience::TokenEndpoint),
    ));
    ok(auth0
        .get_access_token_for_connection(ConnectionTokenRequest::new("github", "at"))
        .await);
    let r = only_request(&issuer);
    check_assertion(
        &r,
        &signature::ECDSA_P256_SHA256_FIXED,
        pair.public_key().as_ref(),
        "ES256",
        &issuer.token_endpoint(),
    );
    let second_jti = decode_part(
        r.form_value("client_assertion")
            .unwrap_or_default()
            .split('.')
            .nth(1)
            .unwrap_or(""),
    )["jti"]
        .clone();
    assert_ne!(first_jti, second_jti);
}

#[tokio::test]
async fn private_key_jwt_rsa() {
    let issuer = issuer().await;
    let pair = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("keygen");
    let der = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der<'_>>::as_der(&pair)
        .expect("der");
    for (alg, verify, name) in [
        (
            Algorithm::RS256,
            &signature::RSA_PKCS1_2048_8192_SHA256,
            "RS256",
        ),
        (
            Algorithm::PS256,
            &signature::RSA_PSS_2048_8192_SHA256,
            "PS256",
        ),
    ] {
        issuer.clear_token_requests();
        let key = ClientAssertionKey::from_pkcs8_der(der.as_ref(), alg, "key-1").expect("key");
        let auth0 = build(builder(&issuer).client_auth(ClientAuth::private_key_jwt(key)));
        ok(auth0
            .get_token_on_behalf_of(OnBehalfOfRequest::new("at", "https://b"))
            .await);
        check_assertion(
            &only_request(&issuer),
            verify,
            pair.public_key().as_ref(),
            name,
            &issuer.issuer(),
        );
    }
}

// ---------------------------------------------------------------------------------------
// Issuer refusals and unusable responses.

#[tokio::test]
async fn issuer_errors_carry_error_and_description() {
    let issuer = issuer().await;
    let auth0 = auth0(&issuer);
    issuer.set_token_response(TokenResponse::json(
        400,
        json!({ "error": "invalid_grant", "error_description": "Subject token is expired" }),
    ));
    let e = err(auth0
        .get_access_token_for_connection(ConnectionTokenRequest::new("github", "at"))
        .await);
    assert_eq!(e.kind(), ExchangeErrorKind::Issuer);
    assert!(e.is_issuer_error());
    assert_eq!(e.issuer_status(), Some(http::StatusCode::BAD_REQUEST));
    assert_eq!(e.issuer_error(), Some("invalid_grant"));
    assert_eq!(
        e.issuer_error_description(),
        Some("Subject token is expired")
    );
    assert_eq!(e.status(), http::StatusCode::BAD_GATEWAY);

    issuer.set_token_response(TokenResponse::json(
        401,
        json!({ "error": "invalid_client" }),
    ));
    let e = err(auth0
        .get_token_on_behalf_of(OnBehalfOfRequest::new("at", "https://b"))
        .await);
    assert_eq!(e.issuer_status(), Some(http::StatusCode::UNAUTHORIZED));
    assert_eq!(e.issuer_error(), Some("invalid_client"));
    assert_eq!(e.issuer_error_description(), None);

    issuer.set_token_response(TokenResponse::raw(503, "text/html", "<h1>down</h1>"));
    let e = err(auth0
        .get_token_by_exchange_profile(ExchangeProfileRequest::new("st", "urn:t"))
        .await);
    assert_eq!(e.kind(), ExchangeErrorKind::Issuer);
    assert_eq!(
        e.issuer_status(),
        Some(http::StatusCode::SERVICE_UNAVAILABLE)
    );
    assert_eq!(
        (e.issuer_error(), e.issuer_error_description()),
        (None, None)
    );

    // A 2xx other than 200 is not a token response either.
    issuer.set_token_response(TokenResponse::json(201, json!({ "access_token": "x" })));
    let e = err(auth0
        .get_token_on_behalf_of(OnBehalfOfRequest::new("at", "https://b"))
        .await);
    assert_eq!(e.issuer_status(), Some(http::StatusCode::CREATED));
}

#[tokio::test]
async fn unusable_success_responses() {
    use ExchangeErrorKind::*;
    let issuer = issuer().await;
    let auth0 = auth0(&issuer);
    let cases: Vec<(TokenResponse, ExchangeErrorKind)> = vec![
        (
            TokenResponse::raw(200, "application/json", "not json"),
            InvalidJson,
        ),
        (
            TokenResponse::raw(200, "text/html", "<html></html>"),
            InvalidJson,
        ),
        (
            TokenResponse::json(200, json!(["access_token"])),
            InvalidJson,
        ),
        (
            TokenResponse::json(200, json!({ "token_type": "Bearer" })),
            MissingAccessToken,
        ),
        (
            TokenResponse::json(200, json!({ "access_token": "" })),
            MissingAccessToken,
        ),
        (
            TokenResponse::json(200, json!({ "access_token": 42 })),
            MissingAccessToken,
        ),
        (
            TokenResponse::json(200, json!({ "access_token": "a", "expires_in": "abc" })),
            InvalidExpiresIn,
        ),
        (
            TokenResponse::json(200, json!({ "access_token": "a", "expires_in": 1.5 })),
            InvalidExpiresIn,
        ),
        (
            TokenResponse::json(200, json!({ "access_token": "a", "expires_in": null })),
            InvalidExpiresIn,
        ),
        (
            TokenResponse::json(200, json!({ "access_token": "a", "expires_in": -5 })),
            NegativeExpiresIn,
        ),
        (
            TokenResponse::json(200, json!({ "access_token": "a", "expires_in": "-5" })),
            NegativeExpiresIn,
        ),
        (
            TokenResponse::json(200, json!({ "access_token": "a", "scope": ["x"] })),
            InvalidResponse,
        ),
    ];
    for (response, want) in cases {
        issuer.set_token_response(response.clone());
        let e = err(auth0
            .get_access_token_for_connection(ConnectionTokenRequest::new("github", "at"))
            .await);
        assert_eq!(e.kind(), want, "{}", response.body());
        assert!(e.is_invalid_response());
        assert_eq!(e.status(), http::StatusCode::BAD_GATEWAY);
        let e = err(auth0
            .get_token_on_behalf_of(OnBehalfOfRequest::new("at", "https://b"))
            .await);
        assert_eq!(e.kind(), want, "{}", response.body());
        let e = err(auth0
            .get_token_by_exchange_profile(ExchangeProfileRequest::new("st", "urn:t"))
            .await);
        assert_eq!(e.kind(), want, "{}", response.body());
    }
}

#[tokio::test]
async fn oversized_response_is_refused() {
    let issuer = issuer().await;
    let big = format!(r#"{{"access_token":"{}"}}"#, "a".repeat(1024 * 1024 + 1));
    issuer.set_token_response(TokenResponse::raw(200, "application/json", &big));
    let e = err(auth0(&issuer)
        .get_token_on_behalf_of(OnBehalfOfRequest::new("at", "https://b"))
        .await);
    assert_eq!(e.kind(), ExchangeErrorKind::ResponseTooLarge);
    assert_eq!(e.status(), http::StatusCode::BAD_GATEWAY);
}

// ---------------------------------------------------------------------------------------
// Transport failures.

#[tokio::test]
async fn slow_token_endpoint_times_out() {
    let issuer = issuer().await;
    issuer.set_token_response(TokenResponse::default().delay(Duration::from_secs(5)));
    let auth0 = build(
        builder(&issuer)
            .client_secret("api-secret")
            .exchange_timeout(Duration::from_millis(300)),
    );
    let started = Instant::now();
    let e = err(auth0
        .get_access_token_for_connection(ConnectionTokenRequest::new("github", "at"))
        .await);
    let elapsed = started.elapsed();
    assert_eq!(e.kind(), ExchangeErrorKind::Timeout);
    assert!(e.is_timeout());
    assert_eq!(e.status(), http::StatusCode::GATEWAY_TIMEOUT);
    assert!(elapsed >= Duration::from_millis(250), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[tokio::test]
async fn hanging_token_endpoint_times_out() {
    let issuer = issuer().await;
    issuer.set_behavior(Endpoint::Token, Behavior::Hang);
    let auth0 = build(
        builder(&issuer)
            .client_secret("api-secret")
            .exchange_timeout(Duration::from_millis(200)),
    );
    let e = err(auth0
        .get_token_by_exchange_profile(ExchangeProfileRequest::new("st", "urn:t"))
        .await);
    assert_eq!(e.kind(), ExchangeErrorKind::Timeout);
}

#[tokio::test]
async fn closed_port_is_a_network_error() {
    // A port bound by this test without listening: nothing else can take it, and every
    // connection to it is refused.
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind("127.0.0.1:0".parse().expect("addr"))
        .expect("bind");
    let port = socket.local_addr().expect("addr").port();
    let issuer = issuer().await;
    let auth0 = build(
        builder(&issuer)
            .client_secret("api-secret")
            .token_endpoint(format!("http://127.0.0.1:{port}/oauth/token")),
    );
    let e = err(auth0
        .get_token_on_behalf_of(OnBehalfOfRequest::new("at", "https://b"))
        .await);
    assert_eq!(e.kind(), ExchangeErrorKind::Network);
    assert!(e.is_network());
    assert_eq!(e.status(), http::StatusCode::BAD_GATEWAY);
    assert!(
        std::error::Error::source(&e).is_some(),
        "the transport error is chained"
    );
    assert_eq!(
        issuer.requests(Endpoint::Discovery),
        0,
        "a configured endpoint needs no discovery"
    );
}

#[tokio::test]
async fn dropped_connection_is_a_network_error() {
    let issuer = issuer().await;
    issuer.set_behavior(Endpoint::Token, Behavior::Drop);
    let e = err(auth0(&issuer)
        .get_token_on_behalf_of(OnBehalfOfRequest::new("at", "https://b"))
        .await);
    assert_eq!(e.kind(), ExchangeErrorKind::Network);
}

#[tokio::test]
async fn discovery_failure_is_reported_without_a_token_request() {
    let issuer = issuer().await;
    issuer.set_behavior(Endpoint::Discovery, Behavior::Status(500));
    issuer.set_behavior(Endpoint::OauthMetadata, Behavior::Status(500));
    let e = err(auth0(&issuer)
        .get_token_on_behalf_of(OnBehalfOfRequest::new("at", "https://b"))
        .await);
    assert_eq!(e.kind(), ExchangeErrorKind::Discovery);
    assert_eq!(e.status(), http::StatusCode::BAD_GATEWAY);
    assert!(issuer.token_requests().is_empty());
}

// ---------------------------------------------------------------------------------------
// Validation: nothing reaches the network.

#[tokio::test]
async fn invalid_input_sends_nothing() {
    use ExchangeErrorKind::*;
    let issuer = issuer().await;
    let auth0 = auth0(&issuer);
    let mut failures: Vec<(ExchangeError, ExchangeErrorKind, Option<&str>)> = Vec::new();

    for (req, kind, arg) in [
        (
            ConnectionTokenRequest::new("", "at"),
            MissingArgument,
            Some("connection"),
        ),
        (
            ConnectionTokenRequest::new("github", ""),
            MissingArgument,
            Some("access_token"),
        ),
        (
            ConnectionTokenRequest::new("github", "Bearer at"),
            InvalidSubjectToken,
            Some("access_token"),
        ),
        (
            ConnectionTokenRequest::new("github", " at"),
            InvalidSubjectToken,
            Some("access_token"),
        ),
    ] {
        failures.push((
            err(auth0.get_access_token_for_connection(req).await),
            kind,
            arg,
        ));
    }
    let profile = |t: &str| ExchangeProfileRequest::new(t, "urn:t");
    for (req, kind, arg) in [
        (
            ExchangeProfileRequest::new("", "urn:t"),
            MissingArgument,
            Some("subject_token"),
        ),
        (
            ExchangeProfileRequest::new("st", ""),
            MissingArgument,
            Some("subject_token_type"),
        ),
        (profile("   "), InvalidSubjectToken, Some("subject_token")),
        (profile("st\n"), InvalidSubjectToken, Some("subject_token")),
        (profile("\tst"), InvalidSubjectToken, Some("subject_token")),
        (
            profile("Bearer st"),
            InvalidSubjectToken,
            Some("subject_token"),
        ),
        (
            profile("bEARER st"),
            InvalidSubjectToken,
            Some("subject_token"),
        ),
        (
            profile("st").extra("Grant_Type", "x"),
            ReservedParameter,
            Some("Grant_Type"),
        ),
        (
            profile("st").extra("RESOURCE", "x"),
            ReservedParameter,
            Some("RESOURCE"),
        ),
        (
            profile("st").extra_values("k", (0..21).map(|i| i.to_string())),
            InvalidParameter,
            Some("k"),
        ),
    ] {
        failures.push((
            err(auth0.get_token_by_exchange_profile(req).await),
            kind,
            arg,
        ));
    }
    for name in RESERVED_PARAMETERS {
        failures.push((
            err(auth0
                .get_token_by_exchange_profile(profile("st").extra(name, "x"))
                .await),
            ReservedParameter,
            Some(name),
        ));
    }
    for (req, kind, arg) in [
        (
            OnBehalfOfRequest::new("at", ""),
            MissingArgument,
            Some("audience"),
        ),
        (
            OnBehalfOfRequest::new("", "https://b"),
            MissingArgument,
            Some("access_token"),
        ),
        (
            OnBehalfOfRequest::new("Bearer at", "https://b"),
            InvalidSubjectToken,
            Some("access_token"),
        ),
    ] {
        failures.push((err(auth0.get_token_on_behalf_of(req).await), kind, arg));
    }

    for (e, kind, arg) in &failures {
        assert_eq!(e.kind(), *kind, "{e}");
        assert_eq!(e.argument(), *arg, "{e}");
        assert!(e.is_invalid_input());
        assert_eq!(e.status(), http::StatusCode::BAD_REQUEST);
    }
    assert!(failures.len() > 35);
    assert!(issuer.token_requests().is_empty(), "no token request");
    assert_eq!(issuer.requests(Endpoint::Token), 0);
    assert_eq!(
        issuer.requests(Endpoint::Discovery),
        0,
        "not even discovery"
    );
}

#[tokio::test]
async fn missing_client_credentials_send_nothing() {
    let issuer = issuer().await;
    for auth0 in [
        build(builder(&issuer)),
        build(Setup::from(
            Auth0::builder()
                .issuer(issuer.issuer())
                .audience(issuer.audience())
                .clock(issuer.clock()),
        )),
    ] {
        let e = err(auth0
            .get_access_token_for_connection(ConnectionTokenRequest::new("github", "at"))
            .await);
        assert_eq!(e.kind(), ExchangeErrorKind::NotConfigured);
        assert!(e.is_not_configured());
        assert_eq!(e.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
        let e = err(auth0
            .get_token_by_exchange_profile(ExchangeProfileRequest::new("st", "urn:t"))
            .await);
        assert_eq!(e.kind(), ExchangeErrorKind::NotConfigured);
        let e = err(auth0
            .get_token_on_behalf_of(OnBehalfOfRequest::new("at", "https://b"))
            .await);
        assert_eq!(e.kind(), ExchangeErrorKind::NotConfigured);
    }
    assert_eq!(issuer.requests(Endpoint::Token), 0);
    assert_eq!(issuer.requests(Endpoint::Discovery), 0);
}

#[test]
fn builder_refuses_bad_exchange_options() {
    let base = || {
        Setup::from(
            Auth0::builder()
                .issuer("https://id.example.com/")
                .audience("a"),
        )
    };
    let field = |b: Setup| match b.build() {
        Ok(a) => panic!("accepted {:?}", a.exchange),
        Err(e) => e.field(),
    };
    assert_eq!(field(base().client_secret("s")), "client_id");
    assert_eq!(field(base().client_id("").client_secret("s")), "client_id");
    assert_eq!(
        field(base().client_id("c").client_secret("")),
        "client_secret"
    );
    assert_eq!(
        field(base().exchange_timeout(Duration::ZERO)),
        "exchange_timeout"
    );
    assert_eq!(
        field(base().token_endpoint("http://id.example.com/oauth/token")),
        "token_endpoint"
    );
    assert!(
        base().client_id("c").build().is_ok(),
        "a client id alone is fine until an exchange"
    );
}

// ---------------------------------------------------------------------------------------
// Discovery is shared with verification.

#[tokio::test]
async fn one_discovery_serves_verification_and_exchanges() {
    let issuer = issuer().await;
    let auth0 = auth0(&issuer);
    let token = issuer.token().sub("user-1").sign();
    let claims = auth0.verify_access_token(&token).await.expect("verify");
    assert_eq!(claims.sub(), Some("user-1"));
    ok(auth0
        .get_access_token_for_connection(ConnectionTokenRequest::new("github", &token))
        .await);
    ok(auth0
        .get_token_by_exchange_profile(ExchangeProfileRequest::new(&token, "urn:t"))
        .await);
    ok(auth0
        .get_token_on_behalf_of(OnBehalfOfRequest::new(&token, "https://b"))
        .await);
    ok(auth0
        .get_token_on_behalf_of(OnBehalfOfRequest::new(&token, "https://c"))
        .await);
    assert_eq!(issuer.requests(Endpoint::Discovery), 1);
    assert_eq!(issuer.requests(Endpoint::Token), 4);
    for r in issuer.token_requests() {
        assert_eq!(r.path, "/oauth/token");
    }
}

#[tokio::test]
async fn configured_token_endpoint_skips_discovery() {
    let issuer = issuer().await;
    let auth0 = build(
        builder(&issuer)
            .client_secret("api-secret")
            .jwks_uri(issuer.jwks_uri())
            .token_endpoint(issuer.token_endpoint()),
    );
    let token = issuer.token().sign();
    assert!(auth0.verify_access_token(&token).await.is_ok());
    ok(auth0
        .get_token_on_behalf_of(OnBehalfOfRequest::new(&token, "https://b"))
        .await);
    assert_eq!(issuer.requests(Endpoint::Discovery), 0);
    assert_eq!(issuer.requests(Endpoint::OauthMetadata), 0);
    assert_eq!(issuer.requests(Endpoint::Token), 1);
}

// ---------------------------------------------------------------------------------------
// `act` helpers on verified claims.

#[tokio::test]
async fn act_helpers_on_verified_tokens() {
    use auth0_api::ActError;
    use auth0_api::act::{current_actor, delegation_chain};

    let issuer = issuer().await;
    let auth0 = auth0(&issuer);
    let verify = |token: String| {
        let auth0 = auth0.auth0.clone();
        async move { auth0.verify_access_token(&token).await.expect("verify") }
    };

    let delegated = verify(
        issuer
            .token()
            .sub("user-1")
            .claim("act", json!({ "sub": "api-b", "act": { "sub": "api-a" } }))
            .sign(),
    )
    .await;
    assert_eq!(current_actor(&delegated), Ok(Some("api-b")));
    assert_eq!(delegation_chain(&delegated), Ok(vec!["api-b", "api-a"]));

    let direct = verify(issuer.token().sub("user-1").sign()).await;
    assert_eq!(current_actor(&direct), Ok(None));
    assert_eq!(delegation_chain(&direct), Ok(vec![]));

    for (act, want) in [
        (json!("api-b"), ActError::NotAnObject),
        (json!({ "sub": "" }), ActError::InvalidSub),
        (
            json!({ "sub": "api-b", "act": { "client_id": "x" } }),
            ActError::InvalidSub,
        ),
    ] {
        let claims = verify(issuer.token().claim("act", act.clone()).sign()).await;
        assert_eq!(current_actor(&claims), Err(want), "{act}");
        assert_eq!(delegation_chain(&claims), Err(want), "{act}");
    }
}
