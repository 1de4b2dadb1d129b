//! The HTTP client behind discovery, JWKS fetches and token exchange, kept out of the
//! public API so that a new major version of the HTTP stack is not a breaking change here.
//!
//! [`HttpClient`] is the one operation the verifier needs: send a request, get the status,
//! headers and a size-capped body. The default implementation uses `reqwest` with rustls,
//! and never follows redirects (a redirect target was never checked for `https`, and a
//! `307` would send the client secret again). Timeouts are applied by the caller around
//! [`HttpClient::send`].
//!
//! Every response must say where it was read from ([`ResponseUrl`]); the verifier refuses
//! one without it, or from another URL than the one it asked for, so that a client that
//! follows redirects after all never has its answer used.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use http::header::CONTENT_LENGTH;
use http::{Request, Response};

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// A boxed, `Send` future, as [`HttpClient::send`] returns.
pub type HttpFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Response<Bytes>, HttpError>> + Send + 'a>>;

/// Sends HTTP requests for the verifier: discovery and JWKS `GET`s, token-endpoint `POST`s.
///
/// Implement it to use your own HTTP stack (a proxy, custom TLS roots, tracing). An
/// implementation must:
/// - never follow redirects (return the `3xx` response as it is): a redirect target was
///   never checked for `https` or against the issuer, and a `307`/`308` sends the request
///   body, client secret included, again to wherever it points;
/// - put the URL the response was read from in its extensions as a [`ResponseUrl`]. The
///   verifier refuses ([`HttpErrorKind::Redirected`]) a response without one, or from
///   another URL than the request's: a client that follows redirects anyway never has the
///   target's answer used (though what it sent to the target is out of the verifier's
///   hands, hence the first rule);
/// - stop reading and return [`HttpErrorKind::TooLarge`] as soon as the body exceeds
///   `max_body` bytes, whatever `Content-Length` says;
/// - report failures to connect or read as [`HttpErrorKind::Network`] (the caller applies
///   its own timeout around the future).
pub trait HttpClient: Send + Sync + 'static {
    /// Sends `request` and returns the response with its whole body, at most `max_body`
    /// bytes.
    fn send(&self, request: Request<Bytes>, max_body: usize) -> HttpFuture<'_>;
}

/// What went wrong in an [`HttpClient`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HttpErrorKind {
    /// Could not connect, or the connection failed while sending or reading.
    Network,
    /// The client's own timeout expired.
    Timeout,
    /// The body was larger than allowed.
    TooLarge,
    /// The request could not be built or sent (e.g. an unsupported URL).
    InvalidRequest,
    /// The response came from another URL than the one requested (the client followed a
    /// redirect), or did not say where it came from ([`ResponseUrl`]). Never used.
    Redirected,
}

/// The URL a response was read from, which an [`HttpClient`] puts in the response's
/// extensions. Without redirects, the request's URL.
///
/// ```
/// use auth0_api::ResponseUrl;
/// let mut response = http::Response::new(bytes::Bytes::new());
/// response.extensions_mut().insert(ResponseUrl::new("https://issuer.example/.well-known/jwks.json"));
/// # assert!(response.extensions().get::<ResponseUrl>().is_some());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseUrl(String);

impl ResponseUrl {
    /// The response was read from `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An [`HttpClient`] failure: a kind, and the underlying error for logs.
pub struct HttpError {
    kind: HttpErrorKind,
    source: Option<BoxError>,
}

impl HttpError {
    /// An error of `kind` without details.
    pub fn new(kind: HttpErrorKind) -> Self {
        Self { kind, source: None }
    }

    /// An error of `kind` caused by `source` (kept for logs; never shown to clients).
    pub fn with_source(kind: HttpErrorKind, source: impl Into<BoxError>) -> Self {
        Self {
            kind,
            source: Some(source.into()),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> HttpErrorKind {
        self.kind
    }
}

impl fmt::Debug for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpError")
            .field("kind", &self.kind)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.kind {
            HttpErrorKind::Network => "network error",
            HttpErrorKind::Timeout => "request timed out",
            HttpErrorKind::TooLarge => "response body too large",
            HttpErrorKind::InvalidRequest => "request could not be sent",
            HttpErrorKind::Redirected => {
                "response not from the requested URL (redirect followed, or no ResponseUrl)"
            }
        })
    }
}

impl StdError for HttpError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

/// Sends `request` through `client` within `timeout`, and refuses a response that was not
/// read from the request's URL.
pub(crate) async fn send(
    client: &dyn HttpClient,
    request: Request<Bytes>,
    max_body: usize,
    timeout: Duration,
) -> Result<Response<Bytes>, HttpError> {
    let requested = request.uri().to_string();
    let response = match tokio::time::timeout(timeout, client.send(request, max_body)).await {
        Ok(result) => result?,
        Err(_) => return Err(HttpError::new(HttpErrorKind::Timeout)),
    };
    let from = response.extensions().get::<ResponseUrl>();
    if !from.is_some_and(|from| same_url(&requested, from.as_str())) {
        tracing::warn!(
            said_where = from.is_some(),
            "response refused: the HTTP client followed a redirect or did not say where the response came from; an HttpClient must not follow redirects and must set ResponseUrl"
        );
        return Err(HttpError::new(HttpErrorKind::Redirected));
    }
    Ok(response)
}

/// Whether two URLs are the same once parsed (so `HOST` and `host`, or an explicit default
/// port, do not count as a difference).
fn same_url(a: &str, b: &str) -> bool {
    match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// The default client: reqwest with rustls, no redirects, a connect timeout.
#[derive(Clone, Debug)]
pub(crate) struct ReqwestClient(reqwest::Client);

impl ReqwestClient {
    pub(crate) fn new(connect_timeout: Duration) -> Result<Self, HttpError> {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(connect_timeout)
            .build()
            .map(Self)
            .map_err(|e| HttpError::with_source(HttpErrorKind::InvalidRequest, e))
    }

    async fn send_inner(
        &self,
        request: Request<Bytes>,
        max_body: usize,
    ) -> Result<Response<Bytes>, HttpError> {
        let request = reqwest::Request::try_from(request)
            .map_err(|e| HttpError::with_source(HttpErrorKind::InvalidRequest, e))?;
        let mut response = self.0.execute(request).await.map_err(transport)?;
        let declared = response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > max_body as u64) {
            return Err(HttpError::new(HttpErrorKind::TooLarge));
        }
        let mut builder = Response::builder()
            .status(response.status())
            .extension(ResponseUrl::new(response.url().as_str()));
        if let Some(headers) = builder.headers_mut() {
            *headers = std::mem::take(response.headers_mut());
        }
        let capacity = declared.map_or(4096, |n| n as usize).min(max_body);
        let mut body = Vec::with_capacity(capacity);
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > max_body {
                return Err(HttpError::new(HttpErrorKind::TooLarge));
            }
            body.extend_from_slice(&chunk);
        }
        builder
            .body(Bytes::from(body))
            .map_err(|e| HttpError::with_source(HttpErrorKind::InvalidRequest, e))
    }
}

fn transport(e: reqwest::Error) -> HttpError {
    let kind = if e.is_timeout() {
        HttpErrorKind::Timeout
    } else {
        HttpErrorKind::Network
    };
    HttpError::with_source(kind, e)
}

impl HttpClient for ReqwestClient {
    fn send(&self, request: Request<Bytes>, max_body: usize) -> HttpFuture<'_> {
        Box::pin(self.send_inner(request, max_body))
    }
}
