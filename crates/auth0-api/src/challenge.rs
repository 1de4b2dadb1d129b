//! `WWW-Authenticate` challenges and error responses (RFC 6750 §3, RFC 9449 §7.1).
//!
//! The fixed parts (realm, `algs`, the bare challenge) are rendered once per configuration;
//! an error adds its code, fixed description and, for `insufficient_scope`, the scopes.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderName, HeaderValue, Response};

use crate::dpop::DpopMode;
use crate::error::{Error, ErrorKind, Scheme};

/// The `DPoP-Nonce` response header (RFC 9449 §8).
pub const DPOP_NONCE: HeaderName = HeaderName::from_static("dpop-nonce");

/// Seconds a client should wait before retrying a 503.
const RETRY_AFTER_SECS: HeaderValue = HeaderValue::from_static("5");

/// RFC 6750 §3 characters for quoted challenge parameters: %x20-21 / %x23-5B / %x5D-7E.
pub(crate) fn is_challenge_safe(b: u8) -> bool {
    matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E)
}

/// Challenges for one configuration, rendered once.
#[derive(Clone, Debug)]
pub(crate) struct Challenges {
    mode: DpopMode,
    bearer_prefix: String,
    dpop_algs: String,
    bare: Option<HeaderValue>,
}

impl Challenges {
    /// `realm` and `algs` must already be challenge-safe (checked by the builder).
    pub(crate) fn new(mode: DpopMode, realm: &str, dpop_algs: &[&str]) -> Self {
        let bearer_prefix = format!("Bearer realm=\"{realm}\"");
        let dpop_algs = format!("algs=\"{}\"", dpop_algs.join(" "));
        let mut this = Self {
            mode,
            bearer_prefix,
            dpop_algs,
            bare: None,
        };
        this.bare = HeaderValue::try_from(this.render(None, None, None)).ok();
        this
    }

    fn render(
        &self,
        error_on: Option<Scheme>,
        kind: Option<ErrorKind>,
        scope: Option<&str>,
    ) -> String {
        let mut out = String::with_capacity(160);
        let params = |out: &mut String| {
            if let Some(kind) = kind {
                if let Some(code) = kind.code() {
                    out.push_str("error=\"");
                    out.push_str(code);
                    out.push_str("\", error_description=\"");
                    out.push_str(kind.description());
                    out.push('"');
                }
                if let Some(scope) = scope {
                    out.push_str(", scope=\"");
                    out.extend(
                        scope
                            .bytes()
                            .filter(|b| is_challenge_safe(*b))
                            .map(char::from),
                    );
                    out.push('"');
                }
            }
        };
        if self.mode.accepts_bearer() {
            out.push_str(&self.bearer_prefix);
            if error_on == Some(Scheme::Bearer) {
                out.push_str(", ");
                params(&mut out);
            }
        }
        if self.mode.accepts_dpop() {
            if !out.is_empty() {
                out.push_str(", ");
            }
            out.push_str("DPoP ");
            if error_on == Some(Scheme::Dpop) {
                params(&mut out);
                out.push_str(", ");
            }
            out.push_str(&self.dpop_algs);
        }
        out
    }

    /// The `WWW-Authenticate` value for `err`, or `None` when the status carries no
    /// challenge (503, 500).
    pub(crate) fn www_authenticate(&self, err: &Error) -> Option<HeaderValue> {
        let kind = err.kind();
        if kind.is_unavailable() || kind == ErrorKind::DomainsResolver {
            return None;
        }
        if kind.code().is_none() {
            return self.bare.clone();
        }
        let error_on = match (self.mode, err.scheme()) {
            (DpopMode::Disabled, _) => Scheme::Bearer,
            (DpopMode::Required, _) => Scheme::Dpop,
            (_, Some(scheme)) => scheme,
            (_, None) => Scheme::Bearer,
        };
        let value = self.render(Some(error_on), Some(kind), err.required_scope());
        HeaderValue::try_from(value)
            .ok()
            .or_else(|| self.bare.clone())
    }

    /// The full response for `err`: status, `WWW-Authenticate`, `DPoP-Nonce`,
    /// `Retry-After`, and the JSON body `{"error": ..., "error_description": ...}`.
    pub(crate) fn response(&self, err: &Error) -> Response<Bytes> {
        let kind = err.kind();
        let mut headers = HeaderMap::with_capacity(4);
        if let Some(v) = self.www_authenticate(err) {
            headers.insert(WWW_AUTHENTICATE, v);
        }
        if let Some(nonce) = err.dpop_nonce().and_then(|n| HeaderValue::try_from(n).ok()) {
            headers.insert(DPOP_NONCE, nonce);
        }
        if kind.is_unavailable() {
            headers.insert(RETRY_AFTER, RETRY_AFTER_SECS);
        }
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(
            http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        );
        // Codes and descriptions are fixed ASCII without quotes or backslashes: no escaping
        // needed (asserted by the error table tests).
        let body = format!(
            "{{\"error\":\"{}\",\"error_description\":\"{}\"}}",
            kind.code().unwrap_or("unauthorized"),
            kind.description()
        );
        let mut response = Response::new(Bytes::from(body));
        *response.status_mut() = kind.status();
        *response.headers_mut() = headers;
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    const ALGS: &[&str] = &["ES256", "EdDSA"];

    fn www(mode: DpopMode, err: Error) -> Option<String> {
        Challenges::new(mode, "api", ALGS)
            .www_authenticate(&err)
            .map(|v| v.to_str().unwrap_or_default().to_owned())
    }

    #[test]
    fn bare_challenges_per_mode() {
        let none = || Error::new(ErrorKind::MissingCredentials);
        assert_eq!(
            www(DpopMode::Disabled, none()).as_deref(),
            Some(r#"Bearer realm="api""#)
        );
        assert_eq!(
            www(DpopMode::Allowed, none()).as_deref(),
            Some(r#"Bearer realm="api", DPoP algs="ES256 EdDSA""#)
        );
        assert_eq!(
            www(DpopMode::Required, none()).as_deref(),
            Some(r#"DPoP algs="ES256 EdDSA""#)
        );
    }

    #[test]
    fn error_goes_on_the_scheme_used() {
        let bearer = || Error::new(ErrorKind::Expired).with_scheme(Scheme::Bearer);
        let dpop = || Error::new(ErrorKind::DpopHtuMismatch).with_scheme(Scheme::Dpop);
        assert_eq!(
            www(DpopMode::Allowed, bearer()).as_deref(),
            Some(
                r#"Bearer realm="api", error="invalid_token", error_description="Token expired", DPoP algs="ES256 EdDSA""#
            )
        );
        assert_eq!(
            www(DpopMode::Disabled, bearer()).as_deref(),
            Some(r#"Bearer realm="api", error="invalid_token", error_description="Token expired""#)
        );
        assert_eq!(
            www(DpopMode::Allowed, dpop()).as_deref(),
            Some(
                r#"Bearer realm="api", DPoP error="invalid_dpop_proof", error_description="DPoP proof htu mismatch", algs="ES256 EdDSA""#
            )
        );
        assert_eq!(
            www(DpopMode::Required, dpop()).as_deref(),
            Some(
                r#"DPoP error="invalid_dpop_proof", error_description="DPoP proof htu mismatch", algs="ES256 EdDSA""#
            )
        );
        // Scheme unknown (e.g. two Authorization headers): Bearer carries it when accepted.
        assert_eq!(
            www(
                DpopMode::Allowed,
                Error::new(ErrorKind::MultipleAuthorizationHeaders)
            )
            .as_deref(),
            Some(
                r#"Bearer realm="api", error="invalid_request", error_description="Multiple Authorization headers", DPoP algs="ES256 EdDSA""#
            )
        );
        assert_eq!(
            www(
                DpopMode::Required,
                Error::new(ErrorKind::MultipleAuthorizationHeaders)
            )
            .as_deref(),
            Some(
                r#"DPoP error="invalid_request", error_description="Multiple Authorization headers", algs="ES256 EdDSA""#
            )
        );
    }

    #[test]
    fn insufficient_scope_names_the_scopes_safely() {
        let err = Error::insufficient_scope(Arc::from("read:data wr\"ite\\x"))
            .with_scheme(Scheme::Bearer);
        assert_eq!(
            www(DpopMode::Disabled, err).as_deref(),
            Some(
                r#"Bearer realm="api", error="insufficient_scope", error_description="Insufficient scope", scope="read:data writex""#
            )
        );
    }

    #[test]
    fn unavailable_and_resolver_errors_have_no_challenge() {
        let c = Challenges::new(DpopMode::Allowed, "api", ALGS);
        for kind in [
            ErrorKind::KeysUnavailable,
            ErrorKind::ReplayStoreUnavailable,
            ErrorKind::DomainsResolver,
        ] {
            let r = c.response(&Error::new(kind));
            assert!(r.headers().get(WWW_AUTHENTICATE).is_none(), "{kind:?}");
            assert_eq!(r.status(), kind.status());
            assert_eq!(
                r.headers().get(RETRY_AFTER).is_some(),
                kind.is_unavailable(),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn every_kind_renders_a_valid_response_in_every_mode() {
        for mode in [DpopMode::Disabled, DpopMode::Allowed, DpopMode::Required] {
            let c = Challenges::new(mode, "api", ALGS);
            for &kind in ErrorKind::ALL {
                for scheme in [None, Some(Scheme::Bearer), Some(Scheme::Dpop)] {
                    let mut err = Error::new(kind);
                    if let Some(s) = scheme {
                        err = err.with_scheme(s);
                    }
                    let r = c.response(&err);
                    assert_eq!(r.status(), kind.status());
                    let body: serde_json::Value =
                        serde_json::from_slice(r.body()).unwrap_or_default();
                    assert_eq!(body["error_description"], kind.description());
                    if let Some(code) = kind.code() {
                        assert_eq!(body["error"], code);
                    }
                    let challenge = r.headers().get(WWW_AUTHENTICATE);
                    if kind.status().is_client_error() {
                        let v = challenge.map(|v| v.to_str().unwrap_or_default().to_owned());
                        let v = v.unwrap_or_default();
                        if mode.accepts_bearer() {
                            assert!(v.starts_with("Bearer realm=\"api\""), "{v}");
                        } else {
                            assert!(v.starts_with("DPoP "), "{v}");
                        }
                        let has_dpop = v.starts_with("DPoP ") || v.contains(", DPoP ");
                        assert_eq!(has_dpop, mode.accepts_dpop(), "{v}");
                        if let Some(code) = kind.code() {
                            assert!(v.contains(&format!("error=\"{code}\"")), "{v}");
                        } else {
                            assert!(!v.contains("error="), "{v}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn nonce_error_carries_the_header() {
        let c = Challenges::new(DpopMode::Allowed, "api", ALGS);
        let r = c.response(&Error::use_dpop_nonce("n-1".into()));
        assert_eq!(
            r.headers().get(DPOP_NONCE).map(|v| v.as_bytes()),
            Some(&b"n-1"[..])
        );
        let v = r
            .headers()
            .get(WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap_or_default().to_owned());
        assert_eq!(
            v.as_deref(),
            Some(
                r#"Bearer realm="api", DPoP error="use_dpop_nonce", error_description="Use the DPoP nonce from the DPoP-Nonce header", algs="ES256 EdDSA""#
            )
        );
    }
}
