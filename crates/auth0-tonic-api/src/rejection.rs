//! Refused calls: the gRPC status for a refusal, the layer's response strategy, and the
//! log line every refusal gets.

use auth0_api::{Auth0, Error};
use http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use tonic::metadata::MetadataMap;
use tonic::{Code, Status};

use crate::metadata;

/// Logs a refusal: kind, scheme and status, never the token or a claim.
pub(crate) fn log_rejection(error: &Error) {
    let status = error.status().as_u16();
    if error.status().is_server_error() {
        tracing::warn!(
            target: "auth0_tonic_api::rejection",
            kind = ?error.kind(),
            scheme = ?error.scheme(),
            status,
            detail = error.detail(),
            "call refused"
        );
    } else {
        tracing::debug!(
            target: "auth0_tonic_api::rejection",
            kind = ?error.kind(),
            scheme = ?error.scheme(),
            status,
            detail = error.detail(),
            "call refused"
        );
    }
}

/// The gRPC code for a refusal, from the HTTP status the core assigns it:
///
/// | HTTP | gRPC |
/// |---|---|
/// | 400 | `INVALID_ARGUMENT` |
/// | 401 | `UNAUTHENTICATED` |
/// | 403 | `PERMISSION_DENIED` |
/// | 500 | `INTERNAL` |
/// | 503 (and 429, 502, 504) | `UNAVAILABLE` |
/// | anything else | `UNKNOWN` |
///
/// ```
/// use auth0_tonic_api::{Error, ErrorKind, grpc_code};
/// assert_eq!(grpc_code(&Error::new(ErrorKind::Expired)), tonic::Code::Unauthenticated);
/// assert_eq!(grpc_code(&Error::new(ErrorKind::KeysUnavailable)), tonic::Code::Unavailable);
/// ```
pub fn grpc_code(error: &Error) -> Code {
    match error.status() {
        StatusCode::BAD_REQUEST => Code::InvalidArgument,
        StatusCode::UNAUTHORIZED => Code::Unauthenticated,
        StatusCode::FORBIDDEN => Code::PermissionDenied,
        StatusCode::INTERNAL_SERVER_ERROR => Code::Internal,
        StatusCode::TOO_MANY_REQUESTS
        | StatusCode::BAD_GATEWAY
        | StatusCode::SERVICE_UNAVAILABLE
        | StatusCode::GATEWAY_TIMEOUT => Code::Unavailable,
        _ => Code::Unknown,
    }
}

/// The default refusal: the code from [`grpc_code`], the core's fixed `error_description`
/// as the message (it never echoes the request), and in the metadata the headers of
/// [`Auth0::error_response`] byte for byte (`www-authenticate`, `dpop-nonce`,
/// `retry-after`, each when the core sets it) plus the OAuth error code under
/// [`metadata::ERROR`].
///
/// Use it in a custom refusal to keep the default and add to it:
///
/// ```
/// use auth0_tonic_api::{Auth0, Error, RequireAuthLayer, refusal_status};
/// use tonic::metadata::MetadataValue;
///
/// # fn layer(auth0: Auth0) {
/// let verifier = auth0.clone();
/// let layer = RequireAuthLayer::new(auth0).on_rejection(move |err: &Error| {
///     let mut status = refusal_status(&verifier, err);
///     status.metadata_mut().insert("x-refused-by", MetadataValue::from_static("auth0"));
///     status
/// });
/// # let _ = layer;
/// # }
/// ```
pub fn refusal_status(auth0: &Auth0, error: &Error) -> Status {
    let response = auth0.error_response(error);
    let mut headers = HeaderMap::with_capacity(4);
    for name in [WWW_AUTHENTICATE, auth0_api::DPOP_NONCE, RETRY_AFTER] {
        if let Some(value) = response.headers().get(&name) {
            headers.insert(name, value.clone());
        }
    }
    let kind = error.kind();
    // The `error` member of the core's JSON body: the kind's code, or `unauthorized` for
    // a refusal without one (no usable credentials).
    headers.insert(
        HeaderName::from_static(metadata::ERROR),
        HeaderValue::from_static(kind.code().unwrap_or("unauthorized")),
    );
    Status::with_metadata(
        grpc_code(error),
        kind.description(),
        MetadataMap::from_headers(headers),
    )
}

/// How [`RequireAuth`](crate::RequireAuth) answers a refused call.
///
/// Implemented by [`DefaultRejection`] ([`refusal_status`]) and by every closure
/// `Fn(&Error) -> tonic::Status`, so `.on_rejection(|err: &Error| ...)` swaps the status
/// while still seeing the typed error. Either way the [`Error`] also goes into the HTTP
/// response's extensions, where outer tower layers can read it.
pub trait OnRejection {
    /// The status for `error`; `auth0` renders the default one ([`refusal_status`]).
    fn on_rejection(&self, auth0: &Auth0, error: &Error) -> Status;
}

/// The default refusal: [`refusal_status`].
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct DefaultRejection;

impl OnRejection for DefaultRejection {
    fn on_rejection(&self, auth0: &Auth0, error: &Error) -> Status {
        refusal_status(auth0, error)
    }
}

impl<F> OnRejection for F
where
    F: Fn(&Error) -> Status,
{
    fn on_rejection(&self, _auth0: &Auth0, error: &Error) -> Status {
        self(error)
    }
}
