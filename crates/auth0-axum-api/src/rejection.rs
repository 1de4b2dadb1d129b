//! Refused requests: the extractor rejection, the layer's response strategy, and the log
//! line every refusal gets.

use std::fmt;

use auth0_api::{Auth0, Error};
use axum_core::body::Body;
use axum_core::response::{IntoResponse, Response};
use bytes::Bytes;

/// Logs a refusal: kind, scheme and status, never the token or a claim.
pub(crate) fn log_rejection(error: &Error) {
    let status = error.status().as_u16();
    if error.status().is_server_error() {
        tracing::warn!(
            target: "auth0_axum_api::rejection",
            kind = ?error.kind(),
            scheme = ?error.scheme(),
            status,
            detail = error.detail(),
            "request refused"
        );
    } else {
        tracing::debug!(
            target: "auth0_axum_api::rejection",
            kind = ?error.kind(),
            scheme = ?error.scheme(),
            status,
            detail = error.detail(),
            "request refused"
        );
    }
}

/// The rejection of the [`Claims`](crate::Claims) extractor: the typed [`Error`] and the
/// refusal response for it (status, `WWW-Authenticate`, JSON body) as `IntoResponse`.
///
/// To answer differently, extract `Result<Claims, AuthRejection>` and map the error.
pub struct AuthRejection {
    auth0: Auth0,
    error: Error,
}

impl AuthRejection {
    pub(crate) fn new(auth0: Auth0, error: Error) -> Self {
        Self { auth0, error }
    }

    /// Why the request was refused.
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// The typed error, consuming the rejection.
    pub fn into_error(self) -> Error {
        self.error
    }

    /// The HTTP status of the default response.
    pub fn status(&self) -> http::StatusCode {
        self.error.status()
    }
}

impl fmt::Debug for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthRejection")
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for AuthRejection {
    /// A fixed text; the reason is the [`source`](std::error::Error::source).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("request refused by the access-token check")
    }
}

impl std::error::Error for AuthRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        log_rejection(&self.error);
        self.auth0.error_response(&self.error).map(Body::from)
    }
}

/// How [`RequireAuth`](crate::RequireAuth) answers a refused request.
///
/// Implemented by [`DefaultRejection`] (the RFC 6750 / RFC 9449 refusal response) and by every closure
/// `Fn(&Error) -> http::Response<B>`, so `.on_rejection(|err: &Error| ...)` swaps the
/// response while still seeing the typed error.
pub trait OnRejection<B> {
    /// The response for `error`; `auth0` renders the default one
    /// ([`Auth0::error_response`]).
    fn on_rejection(&self, auth0: &Auth0, error: &Error) -> http::Response<B>;
}

/// The default response: [`Auth0::error_response`], the body converted from `Bytes`.
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct DefaultRejection;

impl<B: From<Bytes>> OnRejection<B> for DefaultRejection {
    fn on_rejection(&self, auth0: &Auth0, error: &Error) -> http::Response<B> {
        auth0.error_response(error).map(B::from)
    }
}

impl<F, B> OnRejection<B> for F
where
    F: Fn(&Error) -> http::Response<B>,
{
    fn on_rejection(&self, _auth0: &Auth0, error: &Error) -> http::Response<B> {
        self(error)
    }
}
