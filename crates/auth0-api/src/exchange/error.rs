//! Token-exchange errors: invalid input (caught before any network call), missing
//! configuration, transport failures, issuer refusals and unusable responses.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;

use http::StatusCode;

use crate::jwks::FetchError;

/// Why a token exchange failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExchangeErrorKind {
    /// A required argument is empty; [`ExchangeError::argument`] names it.
    MissingArgument,
    /// The subject token is blank, has leading or trailing whitespace, or starts with a
    /// `Bearer ` prefix.
    InvalidSubjectToken,
    /// An extra parameter uses a name the exchange sets itself (e.g. `grant_type`,
    /// `audience`); [`ExchangeError::argument`] names it.
    ReservedParameter,
    /// An extra parameter has more values than allowed (20), or an empty name.
    InvalidParameter,
    /// No client credentials are configured (`client_id` with a secret or a private key).
    NotConfigured,
    /// The issuer's metadata has no `token_endpoint` and none is configured.
    NoTokenEndpoint,
    /// The `private_key_jwt` client assertion could not be signed.
    ClientAssertion,
    /// The issuer's metadata could not be fetched (see the source).
    Discovery,
    /// The token endpoint did not answer within the exchange timeout.
    Timeout,
    /// The token endpoint could not be reached (connection refused or reset, DNS, TLS, …).
    Network,
    /// The token endpoint answered with a status other than 200; see
    /// [`ExchangeError::issuer_status`], [`ExchangeError::issuer_error`] and
    /// [`ExchangeError::issuer_error_description`].
    Issuer,
    /// The token endpoint answered 200 with a body that is not a JSON object.
    InvalidJson,
    /// The response is larger than the size cap.
    ResponseTooLarge,
    /// The response has no `access_token`, or it is not a non-empty string.
    MissingAccessToken,
    /// The response's `expires_in` is not an integer (a JSON number or a numeric string).
    InvalidExpiresIn,
    /// The response's `expires_in` is negative.
    NegativeExpiresIn,
    /// Another member of the response has the wrong type (e.g. a numeric `scope`).
    InvalidResponse,
}

impl ExchangeErrorKind {
    /// The HTTP status an API relaying this failure should answer with.
    ///
    /// - invalid input: 400;
    /// - missing configuration (client credentials, token endpoint) or a client assertion
    ///   that could not be signed: 500;
    /// - timeout (also a discovery timeout): 504;
    /// - everything the issuer caused, **including its refusals**: 502. The token endpoint's
    ///   own status (say 401 for bad client credentials) describes this server's request to
    ///   the issuer, not the caller's request to this API, so it is not passed through; it is
    ///   available as [`ExchangeError::issuer_status`].
    pub const fn status(self) -> StatusCode {
        match self {
            Self::MissingArgument
            | Self::InvalidSubjectToken
            | Self::ReservedParameter
            | Self::InvalidParameter => StatusCode::BAD_REQUEST,
            Self::NotConfigured | Self::NoTokenEndpoint | Self::ClientAssertion => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            Self::Timeout => StatusCode::GATEWAY_TIMEOUT,
            Self::Discovery
            | Self::Network
            | Self::Issuer
            | Self::InvalidJson
            | Self::ResponseTooLarge
            | Self::MissingAccessToken
            | Self::InvalidExpiresIn
            | Self::NegativeExpiresIn
            | Self::InvalidResponse => StatusCode::BAD_GATEWAY,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::MissingArgument => "missing required argument",
            Self::InvalidSubjectToken => "invalid subject token",
            Self::ReservedParameter => "reserved parameter name",
            Self::InvalidParameter => "invalid extra parameter",
            Self::NotConfigured => "client credentials are not configured",
            Self::NoTokenEndpoint => "the issuer has no token endpoint",
            Self::ClientAssertion => "client assertion could not be signed",
            Self::Discovery => "issuer metadata unavailable",
            Self::Timeout => "token endpoint timed out",
            Self::Network => "token endpoint unreachable",
            Self::Issuer => "token endpoint refused the request",
            Self::InvalidJson => "token endpoint returned invalid JSON",
            Self::ResponseTooLarge => "token endpoint response too large",
            Self::MissingAccessToken => "missing or invalid access_token in response",
            Self::InvalidExpiresIn => "expires_in is not an integer",
            Self::NegativeExpiresIn => "expires_in is negative",
            Self::InvalidResponse => "invalid token endpoint response",
        }
    }
}

impl fmt::Display for ExchangeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What the token endpoint said when it refused.
#[derive(Clone, Debug)]
struct IssuerRefusal {
    status: StatusCode,
    error: Option<String>,
    description: Option<String>,
}

/// A failed token exchange. Never contains a token or a secret.
pub struct ExchangeError {
    kind: ExchangeErrorKind,
    argument: Option<Cow<'static, str>>,
    reason: Option<&'static str>,
    issuer: Option<IssuerRefusal>,
    source: Option<BoxError>,
}

impl ExchangeError {
    pub(crate) fn new(kind: ExchangeErrorKind) -> Self {
        Self {
            kind,
            argument: None,
            reason: None,
            issuer: None,
            source: None,
        }
    }

    pub(crate) fn missing(argument: &'static str) -> Self {
        Self::new(ExchangeErrorKind::MissingArgument).with_argument(argument)
    }

    pub(crate) fn with_argument(mut self, argument: impl Into<Cow<'static, str>>) -> Self {
        self.argument = Some(argument.into());
        self
    }

    pub(crate) fn with_reason(mut self, reason: &'static str) -> Self {
        self.reason = Some(reason);
        self
    }

    pub(crate) fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    pub(crate) fn issuer(
        status: StatusCode,
        error: Option<String>,
        description: Option<String>,
    ) -> Self {
        let mut e = Self::new(ExchangeErrorKind::Issuer);
        e.issuer = Some(IssuerRefusal {
            status,
            error,
            description,
        });
        e
    }

    pub(crate) fn discovery(source: FetchError) -> Self {
        Self::new(ExchangeErrorKind::Discovery).with_source(source)
    }

    /// What went wrong.
    pub fn kind(&self) -> ExchangeErrorKind {
        self.kind
    }

    /// The HTTP status an API relaying this failure should answer with (see
    /// [`ExchangeErrorKind::status`]); a discovery timeout counts as a timeout (504).
    pub fn status(&self) -> StatusCode {
        if self.kind == ExchangeErrorKind::Discovery {
            let timed_out = self
                .source
                .as_deref()
                .and_then(|s| s.downcast_ref::<FetchError>())
                .is_some_and(|f| *f == FetchError::Timeout);
            if timed_out {
                return StatusCode::GATEWAY_TIMEOUT;
            }
        }
        self.kind.status()
    }

    /// For invalid-input kinds: the argument or extra parameter at fault, e.g.
    /// `"connection"` or `"grant_type"`.
    pub fn argument(&self) -> Option<&str> {
        self.argument.as_deref()
    }

    /// For [`ExchangeErrorKind::Issuer`]: the token endpoint's HTTP status.
    pub fn issuer_status(&self) -> Option<StatusCode> {
        self.issuer.as_ref().map(|i| i.status)
    }

    /// For [`ExchangeErrorKind::Issuer`]: the OAuth `error` code of the response (RFC 6749
    /// §5.2), when the body was JSON with a string `error`.
    pub fn issuer_error(&self) -> Option<&str> {
        self.issuer.as_ref().and_then(|i| i.error.as_deref())
    }

    /// For [`ExchangeErrorKind::Issuer`]: the `error_description` of the response, when the
    /// body was JSON with a string `error_description`.
    pub fn issuer_error_description(&self) -> Option<&str> {
        self.issuer.as_ref().and_then(|i| i.description.as_deref())
    }

    /// `true` for invalid input (400): nothing was sent.
    pub fn is_invalid_input(&self) -> bool {
        self.kind.status() == StatusCode::BAD_REQUEST
    }

    /// `true` when client credentials or the token endpoint are missing.
    pub fn is_not_configured(&self) -> bool {
        matches!(
            self.kind,
            ExchangeErrorKind::NotConfigured | ExchangeErrorKind::NoTokenEndpoint
        )
    }

    /// `true` when the token endpoint (or discovery) timed out.
    pub fn is_timeout(&self) -> bool {
        self.status() == StatusCode::GATEWAY_TIMEOUT
    }

    /// `true` when the token endpoint could not be reached.
    pub fn is_network(&self) -> bool {
        self.kind == ExchangeErrorKind::Network
    }

    /// `true` when the token endpoint answered with an error status.
    pub fn is_issuer_error(&self) -> bool {
        self.kind == ExchangeErrorKind::Issuer
    }

    /// `true` when the token endpoint answered 200 with an unusable body.
    pub fn is_invalid_response(&self) -> bool {
        matches!(
            self.kind,
            ExchangeErrorKind::InvalidJson
                | ExchangeErrorKind::ResponseTooLarge
                | ExchangeErrorKind::MissingAccessToken
                | ExchangeErrorKind::InvalidExpiresIn
                | ExchangeErrorKind::NegativeExpiresIn
                | ExchangeErrorKind::InvalidResponse
        )
    }
}

impl From<ExchangeErrorKind> for ExchangeError {
    fn from(kind: ExchangeErrorKind) -> Self {
        Self::new(kind)
    }
}

impl fmt::Debug for ExchangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ExchangeError");
        d.field("kind", &self.kind);
        if let Some(a) = &self.argument {
            d.field("argument", a);
        }
        if let Some(r) = &self.reason {
            d.field("reason", r);
        }
        if let Some(i) = &self.issuer {
            d.field("issuer_status", &i.status.as_u16())
                .field("issuer_error", &i.error)
                .field("issuer_error_description", &i.description);
        }
        if let Some(s) = &self.source {
            d.field("source", s);
        }
        d.finish()
    }
}

impl fmt::Display for ExchangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.kind, f)?;
        match (&self.argument, &self.reason) {
            (Some(a), Some(r)) => write!(f, ": {a}: {r}")?,
            (Some(a), None) => write!(f, ": {a}")?,
            (None, Some(r)) => write!(f, ": {r}")?,
            (None, None) => {}
        }
        if let Some(i) = &self.issuer {
            write!(f, ": HTTP {}", i.status.as_u16())?;
            if let Some(e) = &i.error {
                write!(f, " {e}")?;
            }
        }
        Ok(())
    }
}

impl StdError for ExchangeError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn StdError + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_table() {
        use ExchangeErrorKind as K;
        let table = [
            (K::MissingArgument, 400),
            (K::InvalidSubjectToken, 400),
            (K::ReservedParameter, 400),
            (K::InvalidParameter, 400),
            (K::NotConfigured, 500),
            (K::NoTokenEndpoint, 500),
            (K::ClientAssertion, 500),
            (K::Discovery, 502),
            (K::Timeout, 504),
            (K::Network, 502),
            (K::Issuer, 502),
            (K::InvalidJson, 502),
            (K::ResponseTooLarge, 502),
            (K::MissingAccessToken, 502),
            (K::InvalidExpiresIn, 502),
            (K::NegativeExpiresIn, 502),
            (K::InvalidResponse, 502),
        ];
        for (kind, status) in table {
            assert_eq!(kind.status().as_u16(), status, "{kind:?}");
            let e = ExchangeError::from(kind);
            assert_eq!(e.status().as_u16(), status, "{kind:?}");
            assert_eq!(e.is_invalid_input(), status == 400, "{kind:?}");
            assert_eq!(e.is_timeout(), status == 504, "{kind:?}");
            let text = e.to_string();
            assert!(
                text.chars().next().is_some_and(|c| !c.is_uppercase()),
                "{text}"
            );
            assert!(!text.ends_with('.'), "{text}");
        }
    }

    #[test]
    fn discovery_timeout_is_a_timeout() {
        let e = ExchangeError::discovery(FetchError::Timeout);
        assert_eq!(e.status(), StatusCode::GATEWAY_TIMEOUT);
        assert!(e.is_timeout());
        let e = ExchangeError::discovery(FetchError::Status(500));
        assert_eq!(e.status(), StatusCode::BAD_GATEWAY);
        assert!(!e.is_timeout());
        assert!(StdError::source(&e).is_some());
    }

    #[test]
    fn issuer_refusal_is_carried() {
        let e = ExchangeError::issuer(
            StatusCode::FORBIDDEN,
            Some("access_denied".into()),
            Some("nope".into()),
        );
        assert!(e.is_issuer_error());
        assert_eq!(e.status(), StatusCode::BAD_GATEWAY);
        assert_eq!(e.issuer_status(), Some(StatusCode::FORBIDDEN));
        assert_eq!(e.issuer_error(), Some("access_denied"));
        assert_eq!(e.issuer_error_description(), Some("nope"));
        assert_eq!(
            e.to_string(),
            "token endpoint refused the request: HTTP 403 access_denied"
        );
    }

    #[test]
    fn display_names_the_argument() {
        let e = ExchangeError::missing("connection");
        assert_eq!(e.to_string(), "missing required argument: connection");
        assert_eq!(e.argument(), Some("connection"));
        let e = ExchangeError::new(ExchangeErrorKind::InvalidSubjectToken)
            .with_argument("subject_token")
            .with_reason("must not include the Bearer prefix");
        assert_eq!(
            e.to_string(),
            "invalid subject token: subject_token: must not include the Bearer prefix"
        );
    }
}
