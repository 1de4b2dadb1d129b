//! DPoP (RFC 9449): modes, proof verification, `htu` normalization, nonces.

/// Which authentication schemes the API accepts.
///
/// Whatever the mode, a DPoP-bound access token (one with `cnf.jkt`) is accepted only with
/// the DPoP scheme and a matching proof: a bound token never downgrades to Bearer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DpopMode {
    /// Bearer only. The DPoP scheme is answered like an unknown scheme.
    Disabled,
    /// Bearer and DPoP (the default, for migrations).
    #[default]
    Allowed,
    /// DPoP only. Bearer is answered like an unknown scheme.
    Required,
}

impl DpopMode {
    /// Whether the Bearer scheme is accepted.
    pub const fn accepts_bearer(self) -> bool {
        !matches!(self, DpopMode::Required)
    }

    /// Whether the DPoP scheme is accepted.
    pub const fn accepts_dpop(self) -> bool {
        !matches!(self, DpopMode::Disabled)
    }
}

impl std::str::FromStr for DpopMode {
    type Err = crate::config::ConfigError;

    /// Parses `disabled`, `allowed` or `required` (ASCII case-insensitive), the values of the
    /// `AUTH0_DPOP` environment convention.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "disabled" | "off" | "false" => Ok(DpopMode::Disabled),
            "allowed" | "" => Ok(DpopMode::Allowed),
            "required" => Ok(DpopMode::Required),
            _ => Err(crate::config::ConfigError::new(
                "dpop",
                crate::config::ConfigErrorKind::Malformed,
                "expected one of disabled, allowed, required",
            )
            .with_value(s)),
        }
    }
}

mod header;
mod htu;
mod nonce;
mod proof;
mod verifier;

pub use nonce::NonceConfig;

pub(crate) use proof::single_proof;
pub(crate) use verifier::{DpopOptions, DpopVerifier, ProofInput};

/// The `DPoP` request header carrying the proof.
pub const DPOP: http::HeaderName = http::HeaderName::from_static("dpop");

#[cfg(feature = "bench-internals")]
pub(crate) fn normalize_htu_for_bench(url: &str) -> Option<String> {
    htu::normalize_htu(url).ok()
}

#[cfg(feature = "fuzzing")]
pub(crate) use htu::{htu_matches, normalize_htu};
