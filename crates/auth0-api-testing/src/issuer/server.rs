//! The HTTP server: one task accepting connections, one task per connection.

use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use super::behavior::{Behavior, Endpoint};
use super::state::{State, lock};
use super::token_endpoint::RecordedRequest;

/// The error that makes hyper close a connection without answering.
#[derive(Debug)]
struct DropConnection;

impl fmt::Display for DropConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for DropConnection {}

type Body = Full<Bytes>;

/// Accepts connections until the task is aborted; aborting drops the listener (closing the
/// port) and every connection task with it.
pub(crate) async fn serve(listener: TcpListener, state: Arc<State>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let state = Arc::clone(&state);
                    connections.spawn(async move {
                        let service = service_fn(move |req| handle(Arc::clone(&state), req));
                        // A client hanging up mid-request is not the issuer's concern.
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
                // Out of file descriptors or similar: back off briefly and keep serving.
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

fn route(state: &State, path: &str) -> Option<Endpoint> {
    let base = state.path.as_str();
    let rest = path.strip_prefix(base);
    match rest {
        Some("/.well-known/openid-configuration") => return Some(Endpoint::Discovery),
        Some("/.well-known/jwks.json") => return Some(Endpoint::Jwks),
        Some("/oauth/token") => return Some(Endpoint::Token),
        _ => {}
    }
    let metadata = path.strip_prefix("/.well-known/oauth-authorization-server")?;
    let metadata = metadata.strip_suffix('/').unwrap_or(metadata);
    (metadata == base).then_some(Endpoint::OauthMetadata)
}

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Body>, DropConnection> {
    let Some(endpoint) = route(&state, req.uri().path()) else {
        return Ok(text(StatusCode::NOT_FOUND, "not found"));
    };
    state.count(endpoint);

    let allowed = match endpoint {
        Endpoint::Token => req.method() == Method::POST,
        _ => req.method() == Method::GET || req.method() == Method::HEAD,
    };

    if endpoint == Endpoint::Token {
        let (parts, body) = req.into_parts();
        let body = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => return Err(DropConnection),
        };
        lock(&state.token_requests).push(RecordedRequest {
            method: parts.method,
            path: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
            headers: parts.headers,
            body,
        });
    }

    let mut response = match state.behavior(endpoint) {
        Behavior::Hang => return hang().await,
        Behavior::Drop => return Err(DropConnection),
        Behavior::Status(code) => text(
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            &format!("status {code}"),
        ),
        Behavior::Garbage => with_type(
            StatusCode::OK,
            "application/json",
            "<html>this is not json {".to_owned(),
        ),
        Behavior::Delay(d) => {
            tokio::time::sleep(d).await;
            normal(&state, endpoint, allowed).await
        }
        Behavior::Normal => normal(&state, endpoint, allowed).await,
    };
    if let Some(value) = state.cache_control(endpoint) {
        response.headers_mut().insert(CACHE_CONTROL, value);
    }
    Ok(response)
}

async fn hang() -> Result<Response<Body>, DropConnection> {
    std::future::pending::<Infallible>().await;
    Err(DropConnection)
}

async fn normal(state: &State, endpoint: Endpoint, allowed: bool) -> Response<Body> {
    if !allowed {
        return text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
    }
    match endpoint {
        Endpoint::Discovery if state.oidc_disabled.load(Ordering::SeqCst) => {
            text(StatusCode::NOT_FOUND, "not found")
        }
        Endpoint::Discovery | Endpoint::OauthMetadata => {
            with_type(StatusCode::OK, "application/json", state.metadata_body())
        }
        Endpoint::Jwks => with_type(StatusCode::OK, "application/json", state.jwks_body()),
        Endpoint::Token => {
            let configured = lock(&state.token_response).clone();
            if let Some(d) = configured.delay {
                tokio::time::sleep(d).await;
            }
            let status = StatusCode::from_u16(configured.status)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = with_type(status, "application/json", configured.body);
            match HeaderValue::from_str(&configured.content_type) {
                Ok(v) => {
                    response.headers_mut().insert(CONTENT_TYPE, v);
                }
                Err(_) => {
                    response.headers_mut().remove(CONTENT_TYPE);
                }
            }
            response
        }
    }
}

fn text(status: StatusCode, body: &str) -> Response<Body> {
    with_type(status, "text/plain; charset=utf-8", body.to_owned())
}

fn with_type(status: StatusCode, content_type: &'static str, body: String) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
