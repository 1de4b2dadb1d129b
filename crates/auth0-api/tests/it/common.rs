use auth0_api::{Auth0, Auth0Builder, Claims, ErrorKind};
use auth0_api_testing::TestIssuer;
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue, Method};

/// A verifier for `issuer`, on the issuer's clock.
pub fn builder(issuer: &TestIssuer) -> Auth0Builder {
    Auth0::builder()
        .issuer(issuer.issuer())
        .audience(issuer.audience())
        .clock(issuer.clock())
}

pub fn verifier(issuer: &TestIssuer) -> Auth0 {
    builder(issuer).build().expect("valid configuration")
}

pub fn bearer(token: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {token}")).expect("header value"),
    );
    h
}

/// Verifies `token` as a Bearer request.
pub async fn check(auth0: &Auth0, token: &str) -> Result<Claims, ErrorKind> {
    auth0
        .verify_request(&Method::GET, "https://api.example.com/data", &bearer(token))
        .await
        .map_err(|e| e.kind())
}
