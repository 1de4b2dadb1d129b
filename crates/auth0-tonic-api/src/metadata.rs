//! The gRPC metadata keys a refusal carries, for clients that read them.
//!
//! ```
//! use auth0_tonic_api::metadata;
//!
//! fn challenge(status: &tonic::Status) -> Option<&str> {
//!     status.metadata().get(metadata::WWW_AUTHENTICATE)?.to_str().ok()
//! }
//! # let _ = challenge;
//! ```

/// The `WWW-Authenticate` challenge(s) of a refusal, byte for byte the HTTP header value
/// (RFC 6750 §3, RFC 9449 §7.1). Absent on `UNAVAILABLE` and `INTERNAL`.
pub const WWW_AUTHENTICATE: &str = "www-authenticate";

/// The DPoP server nonce (RFC 9449 §8): on a `use_dpop_nonce` refusal, and in the response
/// headers of a successful DPoP call when server nonces are on.
pub const DPOP_NONCE: &str = "dpop-nonce";

/// Seconds to wait before retrying, on `UNAVAILABLE` refusals (keys or replay store
/// unavailable).
pub const RETRY_AFTER: &str = "retry-after";

/// The OAuth error code of a refusal, the `error` member of the HTTP front ends' JSON body:
/// `invalid_request`, `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`,
/// `insufficient_scope`, `temporarily_unavailable`, `domains_resolver_error`, or
/// `unauthorized` when the call carried no usable credentials.
pub const ERROR: &str = "error";
