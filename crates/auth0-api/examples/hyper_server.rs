//! A plain hyper server (no web framework) protecting its routes with the core's
//! request-level entry, [`Auth0::verify`]: Bearer and DPoP, proxy trust and server nonces
//! included, answering exactly as the framework integrations do.
//!
//! ```text
//! cargo run -p auth0-api --example hyper_server
//! ```
//!
//! Routes: `GET /public` (no auth), `GET /protected` (any valid token), `GET /data` (scope
//! `read:data`). Configured from `AUTH0_DOMAIN` or `AUTH0_ISSUER` and `AUTH0_AUDIENCE`; with
//! neither, an embedded test issuer plays Auth0 and a ready token is printed.
//! `AUTH0_TRUST_PROXY` (comma-separated CIDRs) names the reverse proxies whose
//! `Forwarded` / `X-Forwarded-*` headers tell the public URL, `AUTH0_PUBLIC_URL` fixes it.
#![allow(clippy::print_stdout)]

use std::convert::Infallible;
use std::net::SocketAddr;

use auth0_api::{Auth0, ConfigError, DPOP_NONCE, RequestContext, Requirements, TrustProxy};
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What the protected routes require, built once at startup: a malformed scope is a
/// [`ConfigError`] there, never a surprise on a request.
#[derive(Clone, Debug)]
pub struct Routes {
    protected: Requirements,
    data: Requirements,
}

impl Routes {
    /// The requirements of `/protected` (a valid token) and `/data` (scope `read:data`).
    pub fn new() -> Result<Self, ConfigError> {
        Ok(Self {
            protected: Requirements::new(),
            data: Requirements::new().scopes(["read:data"])?,
        })
    }
}

/// Answers one request: `/public` without auth, the rest after [`Auth0::verify`].
pub async fn handle(
    auth0: &Auth0,
    routes: &Routes,
    peer: SocketAddr,
    request: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let (parts, _body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    if path == "/public" {
        return json(StatusCode::OK, r#"{"message":"public"}"#.to_owned());
    }
    let required = match path.as_str() {
        "/protected" => &routes.protected,
        "/data" => &routes.data,
        _ => return json(StatusCode::NOT_FOUND, r#"{"error":"not_found"}"#.to_owned()),
    };
    // The core works out the URL the client used (for DPoP `htu`) from the configured
    // public URL, the trusted proxy's headers or the `Host`.
    let context = RequestContext::from_parts(&parts).peer(Some(peer.ip()));
    let verified = auth0
        .verify(context)
        .await
        .and_then(|claims| required.check(&claims).map(|()| claims));
    match verified {
        Ok(claims) => {
            let sub = claims.sub().unwrap_or("?");
            let body = serde_json::json!({ "message": format!("Hello, {sub}") }).to_string();
            let mut response = json(StatusCode::OK, body);
            if let Some(nonce) = auth0.success_dpop_nonce(&claims) {
                response.headers_mut().insert(DPOP_NONCE, nonce);
            }
            response
        }
        // Status, `WWW-Authenticate`, `DPoP-Nonce`, `Retry-After` and body (RFC 6750 §3, RFC 9449 §7.1).
        Err(error) => auth0.error_response(&error).map(Full::new),
    }
}

fn json(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Serves `auth0`-protected routes on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, auth0: Auth0, routes: Routes) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        let auth0 = auth0.clone();
        let routes = routes.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let auth0 = auth0.clone();
                let routes = routes.clone();
                async move { Ok::<_, Infallible>(handle(&auth0, &routes, peer, request).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let mut builder = Auth0::builder();
    let mut test_issuer = None;
    match (
        env("AUTH0_DOMAIN"),
        env("AUTH0_ISSUER"),
        env("AUTH0_AUDIENCE"),
    ) {
        (Some(domain), _, Some(audience)) => builder = builder.domain(domain).audience(audience),
        (None, Some(issuer), Some(audience)) => builder = builder.issuer(issuer).audience(audience),
        _ => {
            let issuer = auth0_api_testing::TestIssuer::start().await;
            builder = builder.issuer(issuer.issuer()).audience(issuer.audience());
            test_issuer = Some(issuer);
        }
    }
    if let Some(mode) = env("AUTH0_DPOP") {
        builder = builder.dpop(mode.parse()?);
    }
    if let Some(nets) = env("AUTH0_TRUST_PROXY") {
        builder = builder.trust_proxy(TrustProxy::networks(nets.split(','))?);
    }
    if let Some(url) = env("AUTH0_PUBLIC_URL") {
        builder = builder.public_url(url);
    }
    let auth0 = builder.build()?;
    let routes = Routes::new()?;
    let port = env("PORT").unwrap_or_else(|| "3000".to_owned());
    let listener = TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    let addr = listener.local_addr()?;
    println!("listening on http://{addr}");
    if let Some(issuer) = &test_issuer {
        let token = issuer.token().sub("auth0|alice").scope("read:data").sign();
        println!("curl -H 'Authorization: Bearer {token}' http://{addr}/data");
    }
    serve(listener, auth0, routes).await;
    Ok(())
}
