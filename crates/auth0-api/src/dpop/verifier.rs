//! [`DpopVerifier`]: everything DPoP proof checking needs, owned (mode, algorithms, `iat`
//! window, nonces, replay store, clock), built from [`DpopOptions`].

use std::sync::Arc;
use std::time::Duration;

use http::Method;

use super::header::{self, ProofHeader};
use super::{DpopMode, NonceConfig};
use crate::claims::Jkt;
use crate::config::{ConfigError, ConfigErrorKind};
use crate::jwk::{AlgSet, Algorithm};
use crate::jws::HeaderCache;
use crate::replay::{MemoryReplayStore, ReplayStore};
use crate::time::Clock;

/// The most a proof's `iat` may be ahead of the clock or behind it.
const MAX_IAT_LEEWAY: Duration = Duration::from_secs(300);
const MAX_IAT_OFFSET: Duration = Duration::from_secs(3600);

/// The builder's view of the DPoP settings.
#[derive(Debug)]
pub(crate) struct DpopOptions {
    pub(crate) mode: DpopMode,
    pub(crate) algorithms: Option<Vec<Algorithm>>,
    pub(crate) iat_leeway: Duration,
    pub(crate) iat_offset: Duration,
    pub(crate) nonce: Option<NonceConfig>,
    pub(crate) replay_store: Option<Arc<dyn ReplayStore>>,
}

impl Default for DpopOptions {
    fn default() -> Self {
        Self {
            mode: DpopMode::Allowed,
            algorithms: None,
            iat_leeway: Duration::from_secs(30),
            iat_offset: Duration::from_secs(300),
            nonce: None,
            replay_store: None,
        }
    }
}

impl DpopOptions {
    pub(crate) fn build(self, clock: Arc<dyn Clock>) -> Result<DpopVerifier, ConfigError> {
        let algs: AlgSet = match &self.algorithms {
            Some(list) => list.iter().copied().collect(),
            None => AlgSet::all(),
        };
        if algs.is_empty() && self.mode != DpopMode::Disabled {
            return Err(ConfigError::new(
                "dpop_algorithms",
                ConfigErrorKind::Empty,
                "the allowlist is empty",
            ));
        }
        if self.iat_leeway > MAX_IAT_LEEWAY {
            return Err(ConfigError::new(
                "dpop_iat_leeway",
                ConfigErrorKind::OutOfRange,
                "at most 300 seconds",
            )
            .with_value(format_args!("{} s", self.iat_leeway.as_secs())));
        }
        if self.iat_offset.is_zero() || self.iat_offset > MAX_IAT_OFFSET {
            return Err(ConfigError::new(
                "dpop_iat_offset",
                ConfigErrorKind::OutOfRange,
                "between 1 second and 1 hour",
            )
            .with_value(format_args!("{} s", self.iat_offset.as_secs())));
        }
        if let Some(n) = &self.nonce {
            n.validate()?;
        }
        Ok(DpopVerifier {
            mode: self.mode,
            algs,
            iat_leeway: self.iat_leeway,
            iat_offset: self.iat_offset,
            nonce: self.nonce,
            replay_store: self
                .replay_store
                .unwrap_or_else(|| Arc::new(MemoryReplayStore::new())),
            clock,
            headers: HeaderCache::new(header::SLOTS),
        })
    }
}

/// Checks DPoP proofs (RFC 9449 §4.3) against the request they came with.
pub(crate) struct DpopVerifier {
    pub(super) mode: DpopMode,
    pub(super) algs: AlgSet,
    pub(super) iat_leeway: Duration,
    pub(super) iat_offset: Duration,
    pub(super) nonce: Option<NonceConfig>,
    pub(super) replay_store: Arc<dyn ReplayStore>,
    pub(super) clock: Arc<dyn Clock>,
    /// Proof headers already checked, by their text.
    pub(super) headers: HeaderCache<ProofHeader>,
}

/// What a proof is checked against: the request and the verified access token.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ProofInput<'a> {
    /// The request method (`htm`).
    pub(crate) method: &'a Method,
    /// The absolute request URL (`htu`).
    pub(crate) htu: &'a str,
    /// The SHA-256 of the access token presented with the proof (`ath`).
    pub(crate) access_token_sha256: &'a [u8; 32],
    /// The verified token's issuer (scopes the replay key).
    pub(crate) issuer: &'a str,
    /// The verified token's binding.
    pub(crate) jkt: &'a Jkt,
}

impl DpopVerifier {
    pub(crate) fn mode(&self) -> DpopMode {
        self.mode
    }

    pub(crate) fn algorithms(&self) -> AlgSet {
        self.algs
    }

    /// A fresh server nonce for the `DPoP-Nonce` header, when nonces are configured.
    pub(crate) fn next_nonce(&self) -> Option<String> {
        self.nonce.as_ref().map(|n| n.issue(self.clock.now()))
    }
}

impl std::fmt::Debug for DpopVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DpopVerifier")
            .field("mode", &self.mode)
            .field("iat_leeway", &self.iat_leeway)
            .field("iat_offset", &self.iat_offset)
            .field("nonce", &self.nonce)
            .field("replay_store", &self.replay_store)
            .finish_non_exhaustive()
    }
}
