//! What operators see of the verifier: one `tracing` span per request verification and,
//! with the `metrics` feature, counters and histograms through the `metrics` facade (the
//! crate docs, "Metrics and traces", list them).
//!
//! Every label value and span field is a `&'static str` from a fixed set: an error kind's
//! name, a scheme, an outcome. Nothing a request carries (a token, a proof, a `jti`, an
//! issuer, a `kid`) is ever a label or a field. Without the `metrics` feature the metric
//! functions are empty; with it and no recorder installed, each costs the facade's no-op
//! path, and the per-request ones use keys built at compile time (no allocation).

use crate::claims::Claims;
use crate::error::{Error, ErrorKind, Scheme};
#[cfg(feature = "metrics")]
use crate::jwks::FetchError;

/// The `scheme` label: `bearer`, `dpop`, or `none` when no usable `Authorization` scheme
/// was found.
pub(crate) const fn scheme_label(scheme: Option<Scheme>) -> &'static str {
    match scheme {
        Some(Scheme::Bearer) => "bearer",
        Some(Scheme::Dpop) => "dpop",
        None => "none",
    }
}

/// The `outcome` label: `ok`, `refused` (a 4xx: the client's credentials) or `unavailable`
/// (a 5xx: the server could not decide).
pub(crate) const fn outcome_label(kind: Option<ErrorKind>) -> &'static str {
    match kind {
        None => "ok",
        Some(k) if k.status().as_u16() >= 500 => "unavailable",
        Some(_) => "refused",
    }
}

/// The `scheme` label's index in the per-kind key tables.
#[cfg(feature = "metrics")]
const fn scheme_index(scheme: Option<Scheme>) -> usize {
    match scheme {
        Some(Scheme::Bearer) => 0,
        Some(Scheme::Dpop) => 1,
        None => 2,
    }
}

/// The three `auth0_verifications_total` keys (bearer, dpop, none) of one outcome and error,
/// built at compile time.
#[cfg(feature = "metrics")]
macro_rules! keys_by_scheme {
    ($outcome:expr, $error:expr) => {{
        use ::metrics::{Key, Label};
        const OUTCOME: &str = $outcome;
        const ERROR: &str = $error;
        static LABELS: [[Label; 3]; 3] = [
            [
                Label::from_static_parts("outcome", OUTCOME),
                Label::from_static_parts("scheme", "bearer"),
                Label::from_static_parts("error", ERROR),
            ],
            [
                Label::from_static_parts("outcome", OUTCOME),
                Label::from_static_parts("scheme", "dpop"),
                Label::from_static_parts("error", ERROR),
            ],
            [
                Label::from_static_parts("outcome", OUTCOME),
                Label::from_static_parts("scheme", "none"),
                Label::from_static_parts("error", ERROR),
            ],
        ];
        static KEYS: [Key; 3] = [
            Key::from_static_parts(VERIFICATIONS, &LABELS[0]),
            Key::from_static_parts(VERIFICATIONS, &LABELS[1]),
            Key::from_static_parts(VERIFICATIONS, &LABELS[2]),
        ];
        &KEYS
    }};
}

/// The `error` label of each kind, and (with `metrics`) the verification keys of each. The
/// match is exhaustive: a new kind does not compile until it has a name here.
macro_rules! error_labels {
    ($($kind:ident => $name:literal,)*) => {
        /// The `error` label and span field: the kind's name in snake case.
        pub(crate) const fn error_label(kind: ErrorKind) -> &'static str {
            match kind {
                $( ErrorKind::$kind => $name, )*
            }
        }

        /// The `auth0_verifications_total` keys of an outcome (`None`: verified), by scheme.
        #[cfg(feature = "metrics")]
        fn verification_keys(kind: Option<ErrorKind>) -> &'static [::metrics::Key; 3] {
            match kind {
                None => keys_by_scheme!("ok", "none"),
                $( Some(ErrorKind::$kind) => keys_by_scheme!(
                    outcome_label(Some(ErrorKind::$kind)),
                    $name
                ), )*
            }
        }
    };
}

error_labels! {
    MissingCredentials => "missing_credentials",
    UnsupportedScheme => "unsupported_scheme",
    MultipleAuthorizationHeaders => "multiple_authorization_headers",
    MalformedAuthorization => "malformed_authorization",
    InvalidHost => "invalid_host",
    DpopProofWithBearer => "dpop_proof_with_bearer",
    TokenTooLarge => "token_too_large",
    MalformedToken => "malformed_token",
    UnsupportedAlgorithm => "unsupported_algorithm",
    InvalidTokenType => "invalid_token_type",
    UnsupportedCriticalHeader => "unsupported_critical_header",
    UnknownKey => "unknown_key",
    KeyMismatch => "key_mismatch",
    InvalidSignature => "invalid_signature",
    InvalidIssuer => "invalid_issuer",
    InvalidAudience => "invalid_audience",
    Expired => "expired",
    NotYetValid => "not_yet_valid",
    MissingClaim => "missing_claim",
    InvalidClaim => "invalid_claim",
    BoundTokenAsBearer => "bound_token_as_bearer",
    UnboundTokenWithDpop => "unbound_token_with_dpop",
    JktMismatch => "jkt_mismatch",
    IssuerNotAllowed => "issuer_not_allowed",
    MissingDpopProof => "missing_dpop_proof",
    MultipleDpopProofs => "multiple_dpop_proofs",
    DpopProofTooLarge => "dpop_proof_too_large",
    MalformedDpopProof => "malformed_dpop_proof",
    InvalidDpopProofType => "invalid_dpop_proof_type",
    UnsupportedDpopAlgorithm => "unsupported_dpop_algorithm",
    InvalidDpopKey => "invalid_dpop_key",
    InvalidDpopSignature => "invalid_dpop_signature",
    InvalidDpopJti => "invalid_dpop_jti",
    DpopHtmMismatch => "dpop_htm_mismatch",
    DpopHtuMismatch => "dpop_htu_mismatch",
    InvalidDpopIat => "invalid_dpop_iat",
    DpopAthMismatch => "dpop_ath_mismatch",
    DpopReplay => "dpop_replay",
    UseDpopNonce => "use_dpop_nonce",
    InsufficientScope => "insufficient_scope",
    KeysUnavailable => "keys_unavailable",
    ReplayStoreUnavailable => "replay_store_unavailable",
    DomainsResolver => "domains_resolver",
}

/// The span of one request verification: `auth0.verify` at `DEBUG`, target
/// `auth0_api::verify`, with `scheme`, `outcome` and `error` recorded when it ends. With no
/// subscriber interested, this is a level check and a disabled span.
pub(crate) fn verify_span() -> tracing::Span {
    tracing::debug_span!(
        target: "auth0_api::verify",
        "auth0.verify",
        scheme = tracing::field::Empty,
        outcome = tracing::field::Empty,
        error = tracing::field::Empty,
    )
}

/// Records the end of a request verification: the span's fields and
/// `auth0_verifications_total`.
pub(crate) fn verified(span: &tracing::Span, result: &Result<Claims, Error>) {
    let (scheme, kind) = match result {
        Ok(claims) => (claims.scheme(), None),
        Err(e) => (e.scheme(), Some(e.kind())),
    };
    if !span.is_disabled() {
        span.record("scheme", scheme_label(scheme));
        span.record("outcome", outcome_label(kind));
        if let Some(kind) = kind {
            span.record("error", error_label(kind));
        }
    }
    #[cfg(feature = "metrics")]
    if let Some(key) = verification_keys(kind).get(scheme_index(scheme)) {
        increment(key);
    }
}

/// Metadata handed to the recorder with every metric.
#[cfg(feature = "metrics")]
static METADATA: ::metrics::Metadata<'static> =
    ::metrics::Metadata::new("auth0_api", ::metrics::Level::INFO, Some(module_path!()));

#[cfg(feature = "metrics")]
fn increment(key: &'static ::metrics::Key) {
    ::metrics::with_recorder(|r| r.register_counter(key, &METADATA)).increment(1);
}

#[cfg(feature = "metrics")]
const VERIFICATIONS: &str = "auth0_verifications_total";

/// A verified-token cache lookup (only made when the cache is on): `hit` when the token was
/// found with its key still published, so no signature was checked.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn token_cache(hit: bool) {
    #[cfg(feature = "metrics")]
    if hit {
        ::metrics::counter!("auth0_token_cache_lookups_total", "result" => "hit").increment(1);
    } else {
        ::metrics::counter!("auth0_token_cache_lookups_total", "result" => "miss").increment(1);
    }
}

/// A DPoP proof refused because its `jti` was used before.
pub(crate) fn dpop_replay() {
    #[cfg(feature = "metrics")]
    ::metrics::counter!("auth0_dpop_replays_total").increment(1);
}

/// Why a proof got a `use_dpop_nonce` challenge.
#[derive(Clone, Copy, Debug)]
pub(crate) enum NonceChallenge {
    /// The proof carried no nonce (a client's first request, typically).
    Missing,
    /// A nonce this server issued, too old (or too far ahead).
    Stale,
    /// Not a nonce this server issued (malformed, or made with another secret).
    Invalid,
}

/// A `use_dpop_nonce` challenge.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn nonce_challenge(reason: NonceChallenge) {
    #[cfg(feature = "metrics")]
    match reason {
        NonceChallenge::Missing => {
            ::metrics::counter!("auth0_dpop_nonce_challenges_total", "reason" => "missing")
                .increment(1);
        }
        NonceChallenge::Stale => {
            ::metrics::counter!("auth0_dpop_nonce_challenges_total", "reason" => "stale")
                .increment(1);
        }
        NonceChallenge::Invalid => {
            ::metrics::counter!("auth0_dpop_nonce_challenges_total", "reason" => "invalid")
                .increment(1);
        }
    }
}

/// The in-memory replay store forgot `entries` live proofs to make room (its window in
/// effect shortens: proofs as old as them are refused as replays).
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn replay_store_evicted(entries: u64) {
    #[cfg(feature = "metrics")]
    ::metrics::counter!("auth0_replay_store_evictions_total").increment(entries);
}

/// The replay store could not answer (the request gets 503).
pub(crate) fn replay_store_error() {
    #[cfg(feature = "metrics")]
    ::metrics::counter!("auth0_replay_store_errors_total").increment(1);
}

/// A verified token that lacks a required scope or permission (403).
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn scope_refused(scheme: Option<Scheme>) {
    #[cfg(feature = "metrics")]
    match scheme {
        Some(Scheme::Bearer) => {
            ::metrics::counter!("auth0_scope_refusals_total", "scheme" => "bearer").increment(1);
        }
        Some(Scheme::Dpop) => {
            ::metrics::counter!("auth0_scope_refusals_total", "scheme" => "dpop").increment(1);
        }
        None => ::metrics::counter!("auth0_scope_refusals_total", "scheme" => "none").increment(1),
    }
}

/// Which issuer document a fetch was for.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Document {
    /// Discovery (OpenID Connect, then RFC 8414): one or two requests, counted as one.
    Discovery,
    /// The JWKS, parsed.
    Jwks,
}

/// Times one fetch of an issuer document; [`FetchTimer::finish`] counts it. Empty without
/// the `metrics` feature. A fetch that is cancelled or panics is not counted.
pub(crate) struct FetchTimer {
    #[cfg(feature = "metrics")]
    document: Document,
    #[cfg(feature = "metrics")]
    started: std::time::Instant,
}

impl FetchTimer {
    /// Starts timing a fetch of `document`.
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) fn start(document: Document) -> Self {
        Self {
            #[cfg(feature = "metrics")]
            document,
            #[cfg(feature = "metrics")]
            started: std::time::Instant::now(),
        }
    }

    /// Counts the fetch and records how long it took.
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) fn finish<T>(self, result: &Result<T, crate::jwks::FetchError>) {
        #[cfg(feature = "metrics")]
        {
            let document = match self.document {
                Document::Discovery => "discovery",
                Document::Jwks => "jwks",
            };
            let (outcome, error) = match result {
                Ok(_) => ("ok", "none"),
                Err(e) => ("error", fetch_error_label(e)),
            };
            ::metrics::counter!("auth0_key_fetches_total", "document" => document, "outcome" => outcome, "error" => error)
                .increment(1);
            ::metrics::histogram!("auth0_key_fetch_duration_seconds", "document" => document, "outcome" => outcome)
                .record(self.started.elapsed().as_secs_f64());
        }
    }
}

/// The `error` label of a failed fetch.
#[cfg(feature = "metrics")]
const fn fetch_error_label(e: &FetchError) -> &'static str {
    match e {
        FetchError::Timeout => "timeout",
        FetchError::Network => "network",
        FetchError::Status(_) => "status",
        FetchError::TooLarge => "too_large",
        FetchError::InvalidJson => "invalid_json",
        FetchError::IssuerMismatch => "issuer_mismatch",
        FetchError::MissingMember(_) => "missing_member",
        FetchError::InsecureUrl(_) => "insecure_url",
        FetchError::NoUsableKeys => "no_usable_keys",
        FetchError::TooManyKeys => "too_many_keys",
        FetchError::Aborted => "aborted",
        FetchError::Redirected => "redirected",
        FetchError::RateLimited => "rate_limited",
    }
}

/// Describes every metric of this crate (help text and unit) to the installed recorder, so
/// that exporters can show them (Prometheus `# HELP` lines). Call it once, after the recorder
/// is installed; metrics are recorded whether or not it is called.
#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub fn describe_metrics() {
    use ::metrics::{Unit, describe_counter, describe_histogram};
    describe_counter!(
        VERIFICATIONS,
        Unit::Count,
        "Request verifications by outcome (ok, refused, unavailable), scheme and error kind"
    );
    describe_counter!(
        "auth0_token_cache_lookups_total",
        Unit::Count,
        "Verified-token cache lookups by result (hit, miss)"
    );
    describe_counter!(
        "auth0_key_fetches_total",
        Unit::Count,
        "Fetches of the issuer's discovery metadata and JWKS, by document, outcome and error"
    );
    describe_histogram!(
        "auth0_key_fetch_duration_seconds",
        Unit::Seconds,
        "Duration of fetches of the issuer's discovery metadata and JWKS"
    );
    describe_counter!(
        "auth0_dpop_replays_total",
        Unit::Count,
        "DPoP proofs refused because their jti was used before"
    );
    describe_counter!(
        "auth0_dpop_nonce_challenges_total",
        Unit::Count,
        "use_dpop_nonce challenges by reason (missing, stale, invalid)"
    );
    describe_counter!(
        "auth0_replay_store_errors_total",
        Unit::Count,
        "DPoP replay store failures (the request is refused with 503)"
    );
    describe_counter!(
        "auth0_replay_store_evictions_total",
        Unit::Count,
        "Live DPoP proofs the in-memory replay store forgot to make room (proofs as old are then refused as replays)"
    );
    describe_counter!(
        "auth0_scope_refusals_total",
        Unit::Count,
        "Verified tokens refused for a missing scope or permission (403), by scheme"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_labels_are_distinct_snake_case_names() {
        let mut seen = std::collections::HashSet::new();
        for kind in ErrorKind::ALL {
            let name = error_label(*kind);
            assert!(seen.insert(name), "{name} twice");
            assert!(
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{name}"
            );
            // The name is the variant's, in snake case.
            let camel: String = name
                .split('_')
                .map(|w| w[..1].to_ascii_uppercase() + &w[1..])
                .collect();
            assert_eq!(camel, format!("{kind:?}"));
        }
    }

    #[test]
    fn outcomes_follow_the_status_class() {
        assert_eq!(outcome_label(None), "ok");
        for kind in ErrorKind::ALL {
            let expected = if kind.status().is_server_error() {
                "unavailable"
            } else {
                "refused"
            };
            assert_eq!(outcome_label(Some(*kind)), expected, "{kind:?}");
        }
        assert_eq!(
            outcome_label(Some(ErrorKind::KeysUnavailable)),
            "unavailable"
        );
        assert_eq!(
            outcome_label(Some(ErrorKind::DomainsResolver)),
            "unavailable"
        );
        assert_eq!(outcome_label(Some(ErrorKind::Expired)), "refused");
    }

    #[cfg(feature = "metrics")]
    #[test]
    fn every_verification_key_carries_its_labels() {
        let kinds = std::iter::once(None).chain(ErrorKind::ALL.iter().copied().map(Some));
        for kind in kinds {
            for scheme in [Some(Scheme::Bearer), Some(Scheme::Dpop), None] {
                let key = &verification_keys(kind)[scheme_index(scheme)];
                assert_eq!(key.name(), VERIFICATIONS);
                let labels: Vec<(&str, &str)> =
                    key.labels().map(|l| (l.key(), l.value())).collect();
                assert_eq!(
                    labels,
                    [
                        ("outcome", outcome_label(kind)),
                        ("scheme", scheme_label(scheme)),
                        ("error", kind.map_or("none", error_label)),
                    ]
                );
            }
        }
    }
}
