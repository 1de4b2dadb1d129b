//! Refused requests: the extractor rejection, the middleware's response strategy, and the
//! log line every refusal gets.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use auth0_api::{Auth0, Error};

/// Logs a refusal: kind, scheme and status, never the token or a claim.
pub(crate) fn log_rejection(error: &Error) {
    let status = error.status().as_u16();
    if error.status().is_server_error() {
        tracing::warn!(
            target: "auth0_actix_api::rejection",
            kind = ?error.kind(),
            scheme = ?error.scheme(),
            status,
            detail = error.detail(),
            "request refused"
        );
    } else {
        tracing::debug!(
            target: "auth0_actix_api::rejection",
            kind = ?error.kind(),
            scheme = ?error.scheme(),
            status,
            detail = error.detail(),
            "request refused"
        );
    }
}

/// The default refusal response for `error`: [`Auth0::error_response`] converted to actix
/// byte for byte (status, `WWW-Authenticate`, `DPoP-Nonce`, `Retry-After`, JSON body),
/// with the typed [`Error`] in the response extensions.
pub fn error_response(auth0: &Auth0, error: &Error) -> HttpResponse {
    let mut response = crate::convert::response(auth0.error_response(error));
    response.extensions_mut().insert(error.clone());
    response
}

enum Repr {
    Refused {
        auth0: Auth0,
        error: Error,
    },
    /// No [`Auth0`] in the app data: a setup mistake, answered 500.
    NotConfigured,
}

/// The rejection of the [`Claims`](crate::Claims) and [`MaybeClaims`](crate::MaybeClaims)
/// extractors: the typed [`Error`] and, as a [`ResponseError`], the refusal response for it.
///
/// To answer differently, extract `Result<Claims, AuthRejection>` and map the error.
pub struct AuthRejection(Repr);

impl AuthRejection {
    pub(crate) fn new(auth0: Auth0, error: Error) -> Self {
        Self(Repr::Refused { auth0, error })
    }

    pub(crate) fn not_configured() -> Self {
        tracing::error!(
            target: "auth0_actix_api::rejection",
            "no Auth0 verifier in the app data: add `.app_data(web::Data::new(auth0))`"
        );
        Self(Repr::NotConfigured)
    }

    /// Why the request was refused; `None` when the app has no [`Auth0`] in its data (a
    /// setup mistake, answered 500).
    pub fn error(&self) -> Option<&Error> {
        match &self.0 {
            Repr::Refused { error, .. } => Some(error),
            Repr::NotConfigured => None,
        }
    }

    /// The typed error, consuming the rejection (see [`error`](Self::error)).
    pub fn into_error(self) -> Option<Error> {
        match self.0 {
            Repr::Refused { error, .. } => Some(error),
            Repr::NotConfigured => None,
        }
    }
}

impl fmt::Debug for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthRejection")
            .field("error", &self.error())
            .finish_non_exhaustive()
    }
}

impl fmt::Display for AuthRejection {
    /// A fixed text; the reason is the [`source`](std::error::Error::source).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Repr::Refused { .. } => f.write_str("request refused by the access-token check"),
            Repr::NotConfigured => f.write_str("no Auth0 verifier in the app data"),
        }
    }
}

impl std::error::Error for AuthRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error().map(|e| e as _)
    }
}

impl ResponseError for AuthRejection {
    fn status_code(&self) -> StatusCode {
        match &self.0 {
            Repr::Refused { error, .. } => StatusCode::from_u16(error.status().as_u16())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            Repr::NotConfigured => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match &self.0 {
            Repr::Refused { auth0, error } => {
                log_rejection(error);
                error_response(auth0, error)
            }
            Repr::NotConfigured => HttpResponse::InternalServerError().finish(),
        }
    }
}

/// How [`RequireAuth`](crate::RequireAuth) answers a refused request.
///
/// Implemented by [`DefaultRejection`] (the RFC 6750 / RFC 9449 refusal response) and by every
/// closure `Fn(&Error) -> HttpResponse`, so `.on_rejection(|err: &Error| ...)` swaps the
/// response while still seeing the typed error.
pub trait OnRejection {
    /// The response for `error`; `auth0` renders the default one ([`error_response`]).
    fn on_rejection(&self, auth0: &Auth0, error: &Error) -> HttpResponse;
}

/// The default response: [`Auth0::error_response`], converted byte for byte.
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct DefaultRejection;

impl OnRejection for DefaultRejection {
    fn on_rejection(&self, auth0: &Auth0, error: &Error) -> HttpResponse {
        error_response(auth0, error)
    }
}

impl<F> OnRejection for F
where
    F: Fn(&Error) -> HttpResponse,
{
    fn on_rejection(&self, _auth0: &Auth0, error: &Error) -> HttpResponse {
        self(error)
    }
}
