//! Request-time errors: why a request was refused.
//!
//! Every refusal is an [`Error`] whose [`ErrorKind`] decides, in one table
//! ([`ErrorKind::status`], [`ErrorKind::code`], [`ErrorKind::description`]), the HTTP status,
//! the RFC 6750 / RFC 9449 error code and the fixed, client-safe description. Details that
//! must not reach the client (which claim, which fetch failed and why) travel in
//! [`std::error::Error::source`] and go to `tracing`.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use http::StatusCode;

/// The authentication scheme a request used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `Authorization: Bearer <token>` (RFC 6750).
    Bearer,
    /// `Authorization: DPoP <token>` with a `DPoP` proof header (RFC 9449).
    Dpop,
}

impl Scheme {
    /// The scheme name as written in `Authorization` and `WWW-Authenticate`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scheme::Bearer => "Bearer",
            Scheme::Dpop => "DPoP",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! error_kinds {
    ($(
        $(#[$meta:meta])*
        $variant:ident => ($status:ident, $code:expr, $desc:literal),
    )*) => {
        /// What went wrong, as far as the client and the HTTP response are concerned.
        ///
        /// Each kind maps to exactly one status, error code and description (see the table in
        /// the crate docs); the mapping is fixed and tested.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorKind {
            $( $(#[$meta])* $variant, )*
        }

        impl ErrorKind {
            /// Every kind, in declaration order (used by the table tests).
            #[cfg(test)]
            pub(crate) const ALL: &'static [ErrorKind] = &[$(ErrorKind::$variant,)*];

            /// The HTTP status this kind answers with.
            pub const fn status(self) -> StatusCode {
                match self { $( ErrorKind::$variant => StatusCode::$status, )* }
            }

            /// The OAuth error code (`error=` in the challenge and the body), if any.
            ///
            /// `None` for "no usable credentials", which RFC 6750 §3.1 answers with a bare
            /// challenge.
            pub const fn code(self) -> Option<&'static str> {
                match self { $( ErrorKind::$variant => $code, )* }
            }

            /// A short fixed description, safe to send to the client (RFC 6750 §3 characters
            /// only, never derived from the request).
            pub const fn description(self) -> &'static str {
                match self { $( ErrorKind::$variant => $desc, )* }
            }
        }
    };
}

const INVALID_REQUEST: Option<&str> = Some("invalid_request");
const INVALID_TOKEN: Option<&str> = Some("invalid_token");
const INVALID_PROOF: Option<&str> = Some("invalid_dpop_proof");
const UNAVAILABLE: Option<&str> = Some("temporarily_unavailable");

error_kinds! {
    /// No `Authorization` header.
    MissingCredentials => (UNAUTHORIZED, None, "Authentication required"),
    /// An `Authorization` scheme this DPoP mode does not accept (e.g. `Basic`, or `Bearer`
    /// when DPoP is required).
    UnsupportedScheme => (UNAUTHORIZED, None, "Unsupported authentication scheme"),
    /// More than one `Authorization` header.
    MultipleAuthorizationHeaders => (BAD_REQUEST, INVALID_REQUEST, "Multiple Authorization headers"),
    /// An `Authorization` header that is empty, not visible ASCII, or whose credentials are
    /// not token68.
    MalformedAuthorization => (BAD_REQUEST, INVALID_REQUEST, "Malformed Authorization header"),
    /// The request URL was needed (for a DPoP proof) but the `Host` header is missing,
    /// repeated or not a valid host (RFC 9112 §3.2).
    InvalidHost => (BAD_REQUEST, INVALID_REQUEST, "Missing or invalid Host header"),
    /// A Bearer request that also carries a `DPoP` proof header.
    DpopProofWithBearer => (BAD_REQUEST, INVALID_REQUEST, "DPoP proof sent with the Bearer scheme"),

    /// The access token is larger than the configured cap.
    TokenTooLarge => (UNAUTHORIZED, INVALID_TOKEN, "Access token too large"),
    /// The access token is not a compact JWS with strict base64url and JSON.
    MalformedToken => (UNAUTHORIZED, INVALID_TOKEN, "Malformed access token"),
    /// The token's `alg` is not in the allowlist (`none` and `HS*` never are).
    UnsupportedAlgorithm => (UNAUTHORIZED, INVALID_TOKEN, "Unsupported token algorithm"),
    /// The token's `typ` is not one an access token may have.
    InvalidTokenType => (UNAUTHORIZED, INVALID_TOKEN, "Invalid token type"),
    /// The token's `crit` header names an extension this verifier does not understand.
    UnsupportedCriticalHeader => (UNAUTHORIZED, INVALID_TOKEN, "Unsupported critical header"),
    /// No key in the issuer's JWKS matches the token's `kid`, even after a refresh.
    UnknownKey => (UNAUTHORIZED, INVALID_TOKEN, "Unknown signing key"),
    /// The key found for the `kid` cannot verify this token's `alg` (wrong key type, curve
    /// or a JWK `alg` that differs).
    KeyMismatch => (UNAUTHORIZED, INVALID_TOKEN, "Signing key does not match the token algorithm"),
    /// The signature does not verify.
    InvalidSignature => (UNAUTHORIZED, INVALID_TOKEN, "Invalid token signature"),
    /// `iss` is not the configured issuer.
    InvalidIssuer => (UNAUTHORIZED, INVALID_TOKEN, "Invalid token issuer"),
    /// `aud` contains none of the accepted audiences.
    InvalidAudience => (UNAUTHORIZED, INVALID_TOKEN, "Invalid token audience"),
    /// `exp` is in the past.
    Expired => (UNAUTHORIZED, INVALID_TOKEN, "Token expired"),
    /// `nbf` is in the future.
    NotYetValid => (UNAUTHORIZED, INVALID_TOKEN, "Token not yet valid"),
    /// A required claim is missing.
    MissingClaim => (UNAUTHORIZED, INVALID_TOKEN, "Token is missing a required claim"),
    /// A claim has the wrong type or an impossible value.
    InvalidClaim => (UNAUTHORIZED, INVALID_TOKEN, "Token has an invalid claim"),
    /// A DPoP-bound token (`cnf.jkt`) presented with the Bearer scheme.
    BoundTokenAsBearer => (UNAUTHORIZED, INVALID_TOKEN, "DPoP-bound token requires the DPoP scheme"),
    /// A token without `cnf.jkt` presented with the DPoP scheme.
    UnboundTokenWithDpop => (UNAUTHORIZED, INVALID_TOKEN, "Token is not DPoP-bound"),
    /// The token's `cnf.jkt` is not the thumbprint of the proof's key.
    JktMismatch => (UNAUTHORIZED, INVALID_TOKEN, "DPoP key does not match the token binding"),
    /// The token's issuer is not one of the allowed issuers (multiple custom domains).
    IssuerNotAllowed => (UNAUTHORIZED, INVALID_TOKEN, "Token issuer not allowed"),

    /// The DPoP scheme without a `DPoP` header.
    MissingDpopProof => (UNAUTHORIZED, INVALID_PROOF, "Missing DPoP proof"),
    /// Several `DPoP` headers, or several proofs in one.
    MultipleDpopProofs => (UNAUTHORIZED, INVALID_PROOF, "Multiple DPoP proofs"),
    /// The proof is larger than the configured cap.
    DpopProofTooLarge => (UNAUTHORIZED, INVALID_PROOF, "DPoP proof too large"),
    /// The proof is not a compact JWS with strict base64url and JSON.
    MalformedDpopProof => (UNAUTHORIZED, INVALID_PROOF, "Malformed DPoP proof"),
    /// The proof's `typ` is not `dpop+jwt`.
    InvalidDpopProofType => (UNAUTHORIZED, INVALID_PROOF, "Invalid DPoP proof type"),
    /// The proof's `alg` is not in the DPoP allowlist.
    UnsupportedDpopAlgorithm => (UNAUTHORIZED, INVALID_PROOF, "Unsupported DPoP proof algorithm"),
    /// The proof's `jwk` is missing, private, malformed, or does not match `alg`.
    InvalidDpopKey => (UNAUTHORIZED, INVALID_PROOF, "Invalid DPoP proof key"),
    /// The proof's signature does not verify.
    InvalidDpopSignature => (UNAUTHORIZED, INVALID_PROOF, "Invalid DPoP proof signature"),
    /// The proof's `jti` is missing, not a string, empty or too long.
    InvalidDpopJti => (UNAUTHORIZED, INVALID_PROOF, "Invalid DPoP proof jti"),
    /// The proof's `htm` is not the request method.
    DpopHtmMismatch => (UNAUTHORIZED, INVALID_PROOF, "DPoP proof htm mismatch"),
    /// The proof's `htu` is not the request URL.
    DpopHtuMismatch => (UNAUTHORIZED, INVALID_PROOF, "DPoP proof htu mismatch"),
    /// The proof's `iat` is missing or outside the accepted window.
    InvalidDpopIat => (UNAUTHORIZED, INVALID_PROOF, "DPoP proof iat outside the accepted window"),
    /// The proof's `ath` is missing or not the hash of the access token.
    DpopAthMismatch => (UNAUTHORIZED, INVALID_PROOF, "DPoP proof ath mismatch"),
    /// The proof's `jti` was already used.
    DpopReplay => (UNAUTHORIZED, INVALID_PROOF, "DPoP proof replayed"),
    /// The proof carries no nonce, or a stale or invalid one, while nonces are required.
    UseDpopNonce => (UNAUTHORIZED, Some("use_dpop_nonce"), "Use the DPoP nonce from the DPoP-Nonce header"),

    /// The token lacks a required scope or permission.
    InsufficientScope => (FORBIDDEN, Some("insufficient_scope"), "Insufficient scope"),

    /// No usable signing keys could be obtained from the issuer.
    KeysUnavailable => (SERVICE_UNAVAILABLE, UNAVAILABLE, "Signing keys temporarily unavailable"),
    /// The DPoP replay store could not be reached (fail closed).
    ReplayStoreUnavailable => (SERVICE_UNAVAILABLE, UNAVAILABLE, "Replay protection temporarily unavailable"),
    /// The configured domains resolver failed or returned nothing usable.
    DomainsResolver => (INTERNAL_SERVER_ERROR, Some("domains_resolver_error"), "Issuer resolution failed"),
}

impl ErrorKind {
    /// `true` for the 503 class (keys or replay store unavailable); these responses carry
    /// `Retry-After` and no challenge.
    pub const fn is_unavailable(self) -> bool {
        matches!(
            self,
            ErrorKind::KeysUnavailable | ErrorKind::ReplayStoreUnavailable
        )
    }

    /// `true` when the request carried no usable credentials (bare challenge, no `error`).
    pub const fn is_missing_credentials(self) -> bool {
        matches!(
            self,
            ErrorKind::MissingCredentials | ErrorKind::UnsupportedScheme
        )
    }

    /// `true` for `invalid_token` kinds.
    pub fn is_invalid_token(self) -> bool {
        self.code() == INVALID_TOKEN
    }

    /// `true` for `invalid_dpop_proof` kinds.
    pub fn is_invalid_dpop_proof(self) -> bool {
        self.code() == INVALID_PROOF
    }

    /// `true` for `invalid_request` kinds.
    pub fn is_invalid_request(self) -> bool {
        self.code() == INVALID_REQUEST
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Lowercase first letter, per the crate's Display convention.
        let d = self.description();
        let mut chars = d.chars();
        if let Some(c) = chars.next() {
            for l in c.to_lowercase() {
                fmt::Write::write_char(f, l)?;
            }
            f.write_str(chars.as_str())?;
        }
        Ok(())
    }
}

type BoxError = Box<dyn StdError + Send + Sync + 'static>;
type SharedError = Arc<dyn StdError + Send + Sync + 'static>;

/// A refused request: the kind, the scheme the request used (it decides which challenge
/// carries the error), and an optional source with details for logs. Cheap to clone (the
/// source is shared), so it can travel in response extensions.
#[derive(Clone)]
pub struct Error {
    kind: ErrorKind,
    scheme: Option<Scheme>,
    detail: Option<&'static str>,
    required_scope: Option<Arc<str>>,
    dpop_nonce: Option<String>,
    source: Option<SharedError>,
}

impl Error {
    /// An error of `kind`.
    pub fn new(kind: ErrorKind) -> Self {
        Self {
            kind,
            scheme: None,
            detail: None,
            required_scope: None,
            dpop_nonce: None,
            source: None,
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The scheme the request used, when known.
    pub fn scheme(&self) -> Option<Scheme> {
        self.scheme
    }

    /// A short, fixed, internal detail (for logs), e.g. which claim was missing.
    pub fn detail(&self) -> Option<&'static str> {
        self.detail
    }

    /// For [`ErrorKind::InsufficientScope`]: the space-delimited scopes the route requires.
    pub fn required_scope(&self) -> Option<&str> {
        self.required_scope.as_deref()
    }

    /// For [`ErrorKind::UseDpopNonce`]: the fresh nonce to send in `DPoP-Nonce`.
    pub fn dpop_nonce(&self) -> Option<&str> {
        self.dpop_nonce.as_deref()
    }

    /// The HTTP status (see [`ErrorKind::status`]).
    pub fn status(&self) -> StatusCode {
        self.kind.status()
    }

    /// Records the scheme the request used, which decides the challenge that carries the
    /// error (for errors raised outside the verifier, e.g. by an extractor).
    pub fn with_scheme(mut self, scheme: Scheme) -> Self {
        self.scheme = Some(scheme);
        self
    }

    pub(crate) fn or_scheme(mut self, scheme: Scheme) -> Self {
        self.scheme.get_or_insert(scheme);
        self
    }

    pub(crate) fn with_detail(mut self, detail: &'static str) -> Self {
        self.detail = Some(detail);
        self
    }

    pub(crate) fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(Arc::from(source.into()));
        self
    }

    pub(crate) fn insufficient_scope(required: Arc<str>) -> Self {
        let mut e = Self::new(ErrorKind::InsufficientScope);
        e.required_scope = Some(required);
        e
    }

    pub(crate) fn use_dpop_nonce(nonce: String) -> Self {
        let mut e = Self::new(ErrorKind::UseDpopNonce).with_scheme(Scheme::Dpop);
        e.dpop_nonce = Some(nonce);
        e
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error::new(kind)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind);
        if let Some(s) = self.scheme {
            d.field("scheme", &s);
        }
        if let Some(detail) = self.detail {
            d.field("detail", &detail);
        }
        if let Some(scope) = &self.required_scope {
            d.field("required_scope", scope);
        }
        if let Some(source) = &self.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.kind, f)?;
        if let Some(detail) = self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6750 §3: error and error_description values use %x20-21 / %x23-5B / %x5D-7E.
    fn rfc6750_safe(s: &str) -> bool {
        s.bytes()
            .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
    }

    #[test]
    fn the_table() {
        use ErrorKind::*;
        let table: &[(ErrorKind, u16, Option<&str>)] = &[
            (MissingCredentials, 401, None),
            (UnsupportedScheme, 401, None),
            (MultipleAuthorizationHeaders, 400, Some("invalid_request")),
            (MalformedAuthorization, 400, Some("invalid_request")),
            (InvalidHost, 400, Some("invalid_request")),
            (DpopProofWithBearer, 400, Some("invalid_request")),
            (TokenTooLarge, 401, Some("invalid_token")),
            (MalformedToken, 401, Some("invalid_token")),
            (UnsupportedAlgorithm, 401, Some("invalid_token")),
            (InvalidTokenType, 401, Some("invalid_token")),
            (UnsupportedCriticalHeader, 401, Some("invalid_token")),
            (UnknownKey, 401, Some("invalid_token")),
            (KeyMismatch, 401, Some("invalid_token")),
            (InvalidSignature, 401, Some("invalid_token")),
            (InvalidIssuer, 401, Some("invalid_token")),
            (InvalidAudience, 401, Some("invalid_token")),
            (Expired, 401, Some("invalid_token")),
            (NotYetValid, 401, Some("invalid_token")),
            (MissingClaim, 401, Some("invalid_token")),
            (InvalidClaim, 401, Some("invalid_token")),
            (BoundTokenAsBearer, 401, Some("invalid_token")),
            (UnboundTokenWithDpop, 401, Some("invalid_token")),
            (JktMismatch, 401, Some("invalid_token")),
            (IssuerNotAllowed, 401, Some("invalid_token")),
            (MissingDpopProof, 401, Some("invalid_dpop_proof")),
            (MultipleDpopProofs, 401, Some("invalid_dpop_proof")),
            (DpopProofTooLarge, 401, Some("invalid_dpop_proof")),
            (MalformedDpopProof, 401, Some("invalid_dpop_proof")),
            (InvalidDpopProofType, 401, Some("invalid_dpop_proof")),
            (UnsupportedDpopAlgorithm, 401, Some("invalid_dpop_proof")),
            (InvalidDpopKey, 401, Some("invalid_dpop_proof")),
            (InvalidDpopSignature, 401, Some("invalid_dpop_proof")),
            (InvalidDpopJti, 401, Some("invalid_dpop_proof")),
            (DpopHtmMismatch, 401, Some("invalid_dpop_proof")),
            (DpopHtuMismatch, 401, Some("invalid_dpop_proof")),
            (InvalidDpopIat, 401, Some("invalid_dpop_proof")),
            (DpopAthMismatch, 401, Some("invalid_dpop_proof")),
            (DpopReplay, 401, Some("invalid_dpop_proof")),
            (UseDpopNonce, 401, Some("use_dpop_nonce")),
            (InsufficientScope, 403, Some("insufficient_scope")),
            (KeysUnavailable, 503, Some("temporarily_unavailable")),
            (ReplayStoreUnavailable, 503, Some("temporarily_unavailable")),
            (DomainsResolver, 500, Some("domains_resolver_error")),
        ];
        assert_eq!(
            table.len(),
            ErrorKind::ALL.len(),
            "every kind is in the table"
        );
        for (kind, status, code) in table {
            assert_eq!(kind.status().as_u16(), *status, "{kind:?}");
            assert_eq!(kind.code(), *code, "{kind:?}");
        }
    }

    #[test]
    fn descriptions_are_rfc6750_safe_and_distinct() {
        let mut seen = std::collections::HashSet::new();
        for kind in ErrorKind::ALL {
            let d = kind.description();
            assert!(!d.is_empty() && d.len() < 80, "{kind:?}");
            assert!(rfc6750_safe(d), "{kind:?}: {d}");
            assert!(seen.insert(d), "duplicate description {d}");
            if let Some(code) = kind.code() {
                assert!(rfc6750_safe(code));
            }
        }
    }

    #[test]
    fn display_is_lowercase_and_carries_detail() {
        let e = Error::new(ErrorKind::MissingClaim).with_detail("iat");
        assert_eq!(e.to_string(), "token is missing a required claim: iat");
        assert_eq!(ErrorKind::Expired.to_string(), "token expired");
        assert!(!e.to_string().ends_with('.'));
    }

    #[test]
    fn helpers() {
        assert!(ErrorKind::KeysUnavailable.is_unavailable());
        assert!(ErrorKind::Expired.is_invalid_token());
        assert!(ErrorKind::DpopReplay.is_invalid_dpop_proof());
        assert!(ErrorKind::MalformedAuthorization.is_invalid_request());
        assert!(ErrorKind::UnsupportedScheme.is_missing_credentials());
        assert!(!ErrorKind::Expired.is_missing_credentials());
    }
}
