//! Stateless DPoP server nonces (RFC 9449 §8).
//!
//! A nonce is `base64url(issued_at || tag)`, where `issued_at` is a Unix time in seconds
//! (8 bytes, big-endian) and `tag` is the first 16 bytes of
//! `HMAC-SHA256(secret, label || issued_at)` with a fixed domain-separation label. No state is
//! kept: any instance that shares the secret can check a nonce another one issued.
//!
//! Nonces are issued per slot of half the configured lifetime: every response within a slot
//! carries the same nonce, so a client does not have to switch nonces on every request, and
//! every nonce is still valid for at least half the lifetime after it is handed out. A nonce is
//! accepted while `now - issued_at <= lifetime` (and not dated in the future beyond a small
//! skew between instances), so `lifetime` is a hard upper bound on how long any nonce works.

use std::fmt;
use std::time::Duration;

use crate::config::{ConfigError, ConfigErrorKind};
use aws_lc_rs::{constant_time, hmac, rand};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::time::UnixTime;

/// Shortest accepted secret, in bytes.
const MIN_SECRET_LEN: usize = 32;
/// Default validity window of a nonce.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(5 * 60);
/// Shortest and longest configurable lifetime.
const MIN_LIFETIME: Duration = Duration::from_secs(2);
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
/// How far in the future `issued_at` may be, for clock differences between instances.
const FUTURE_SKEW_SECS: u64 = 30;
/// Domain separation: a tag made for anything else under the same secret never verifies.
const LABEL: &[u8] = b"auth0-api/dpop-nonce/v1\0";
const TIMESTAMP_LEN: usize = 8;
const TAG_LEN: usize = 16;
const RAW_LEN: usize = TIMESTAMP_LEN + TAG_LEN;
/// Length of an encoded nonce: base64url without padding of [`RAW_LEN`] bytes.
const ENCODED_LEN: usize = RAW_LEN.div_ceil(3) * 4;

/// Configuration of stateless, HMAC-based DPoP server nonces.
///
/// All instances that serve the same clients need the same secret (use [`NonceConfig::new`]
/// with a secret from your secret store); [`NonceConfig::random`] suits a single instance.
/// To rotate the secret without rejecting nonces in flight, configure the new secret and keep
/// the old one as [`previous_secret`](NonceConfig::previous_secret) for one lifetime.
///
/// ```
/// # use std::time::Duration;
/// # use auth0_api::NonceConfig;
/// let nonces = NonceConfig::new(vec![7u8; 32])?
///     .previous_secret(vec![9u8; 32])?
///     .lifetime(Duration::from_secs(120));
/// # Ok::<(), auth0_api::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct NonceConfig {
    current: hmac::Key,
    previous: Vec<hmac::Key>,
    lifetime: Duration,
}

/// Why a nonce was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NonceError {
    /// Not a nonce of this format (length, alphabet).
    #[error("malformed nonce")]
    Malformed,
    /// Issued by us, but too long ago or dated too far in the future.
    #[error("stale nonce")]
    Stale,
    /// Well-formed, but not issued under any configured secret.
    #[error("invalid nonce")]
    Invalid,
}

impl NonceConfig {
    /// Nonces issued and checked with `secret`, which must be at least 32 bytes of
    /// high-entropy data shared by every instance.
    pub fn new(secret: impl Into<Vec<u8>>) -> Result<Self, ConfigError> {
        Ok(Self {
            current: key(secret.into())?,
            previous: Vec::new(),
            lifetime: DEFAULT_LIFETIME,
        })
    }

    /// Nonces under a random 32-byte secret, for a single instance: nonces issued by one
    /// process are not accepted by another, nor after a restart.
    ///
    /// # Panics
    ///
    /// If the operating system's random number generator fails, which aws-lc treats as fatal.
    pub fn random() -> Self {
        let mut secret = [0u8; MIN_SECRET_LEN];
        if rand::fill(&mut secret).is_err() {
            panic!("system random number generator failed");
        }
        Self {
            current: hmac::Key::new(hmac::HMAC_SHA256, &secret),
            previous: Vec::new(),
            lifetime: DEFAULT_LIFETIME,
        }
    }

    /// Also accepts nonces issued under `secret`, without issuing new ones with it: the
    /// secret being rotated out. May be called several times.
    pub fn previous_secret(mut self, secret: impl Into<Vec<u8>>) -> Result<Self, ConfigError> {
        self.previous.push(key(secret.into())?);
        Ok(self)
    }

    /// How long a nonce is accepted after it is issued; default 5 minutes, counted in whole
    /// seconds. [`Auth0Builder::build`](crate::Auth0Builder::build) refuses a lifetime
    /// outside 2 seconds..24 hours.
    ///
    /// A new nonce is issued every half `lifetime`, so each nonce a client receives remains
    /// usable for at least half of it.
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = Duration::from_secs(lifetime.as_secs());
        self
    }

    /// Checks what the chained setters could not refuse.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.lifetime < MIN_LIFETIME || self.lifetime > MAX_LIFETIME {
            return Err(ConfigError::new(
                "dpop_nonce",
                ConfigErrorKind::OutOfRange,
                "the nonce lifetime must be between 2 seconds and 24 hours",
            )
            .with_value(format_args!("{} s", self.lifetime.as_secs())));
        }
        Ok(())
    }

    fn slot_secs(&self) -> u64 {
        (self.lifetime.as_secs() / 2).max(1)
    }

    /// The nonce to hand out at `now`. Equal for every call within one slot.
    pub(crate) fn issue(&self, now: UnixTime) -> String {
        let slot = self.slot_secs();
        let issued_at = now.as_secs() / slot * slot;
        let mut raw = [0u8; RAW_LEN];
        let (timestamp, tag) = raw.split_at_mut(TIMESTAMP_LEN);
        timestamp.copy_from_slice(&issued_at.to_be_bytes());
        tag.copy_from_slice(&compute_tag(&self.current, issued_at).as_ref()[..TAG_LEN]);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Checks a nonce a client sent back.
    pub(crate) fn check(&self, nonce: &str, now: UnixTime) -> Result<(), NonceError> {
        if nonce.len() != ENCODED_LEN {
            return Err(NonceError::Malformed);
        }
        let mut raw = [0u8; RAW_LEN];
        match URL_SAFE_NO_PAD.decode_slice(nonce, &mut raw) {
            Ok(RAW_LEN) => {}
            _ => return Err(NonceError::Malformed),
        }
        let (timestamp, tag) = raw.split_at(TIMESTAMP_LEN);
        let mut issued_at = [0u8; TIMESTAMP_LEN];
        issued_at.copy_from_slice(timestamp);
        let issued_at = u64::from_be_bytes(issued_at);

        // Every configured secret is tried, so the time taken does not reveal which matched.
        let mut matched = false;
        for key in std::iter::once(&self.current).chain(&self.previous) {
            let expected = compute_tag(key, issued_at);
            matched |=
                constant_time::verify_slices_are_equal(&expected.as_ref()[..TAG_LEN], tag).is_ok();
        }
        if !matched {
            return Err(NonceError::Invalid);
        }

        let now = now.as_secs();
        if issued_at > now.saturating_add(FUTURE_SKEW_SECS)
            || now.saturating_sub(issued_at) > self.lifetime.as_secs()
        {
            return Err(NonceError::Stale);
        }
        Ok(())
    }
}

impl fmt::Debug for NonceConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NonceConfig")
            .field("secret", &"<redacted>")
            .field("previous_secrets", &self.previous.len())
            .field("lifetime", &self.lifetime)
            .finish()
    }
}

fn key(secret: Vec<u8>) -> Result<hmac::Key, ConfigError> {
    if secret.len() < MIN_SECRET_LEN {
        // The secret itself is never recorded; its length is not secret.
        return Err(ConfigError::new(
            "dpop_nonce",
            ConfigErrorKind::Insecure,
            format!(
                "nonce secret too short: {} bytes, at least {MIN_SECRET_LEN} required",
                secret.len()
            ),
        ));
    }
    Ok(hmac::Key::new(hmac::HMAC_SHA256, &secret))
}

fn compute_tag(key: &hmac::Key, issued_at: u64) -> hmac::Tag {
    let mut ctx = hmac::Context::with_key(key);
    ctx.update(LABEL);
    ctx.update(&issued_at.to_be_bytes());
    ctx.sign()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: [u8; 32] = [0x42; 32];
    const OTHER: [u8; 32] = [0x17; 32];

    fn config() -> NonceConfig {
        NonceConfig::new(SECRET).unwrap()
    }

    fn at(secs: u64) -> UnixTime {
        UnixTime::from_secs(secs)
    }

    #[test]
    fn issued_nonce_round_trips() {
        let c = config();
        let now = at(1_700_000_123);
        let nonce = c.issue(now);
        assert_eq!(nonce.len(), ENCODED_LEN);
        assert!(
            nonce
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(c.check(&nonce, now), Ok(()));
        // Another instance with the same secret accepts it.
        assert_eq!(config().check(&nonce, now), Ok(()));
    }

    #[test]
    fn nonce_is_stable_within_a_slot_and_changes_after() {
        let c = config().lifetime(Duration::from_secs(60));
        // Slots of 30 s: [1_700_000_010, 1_700_000_040).
        let first = c.issue(at(1_700_000_010));
        assert_eq!(c.issue(at(1_700_000_039)), first);
        assert_ne!(c.issue(at(1_700_000_040)), first);
    }

    #[test]
    fn expiry_boundary() {
        let c = config().lifetime(Duration::from_secs(60));
        let issued_at = 1_700_000_010; // a slot start
        let nonce = c.issue(at(issued_at + 29));
        assert_eq!(c.check(&nonce, at(issued_at)), Ok(()));
        assert_eq!(c.check(&nonce, at(issued_at + 60)), Ok(()));
        assert_eq!(c.check(&nonce, at(issued_at + 61)), Err(NonceError::Stale));
        assert_eq!(c.check(&nonce, at(u64::MAX)), Err(NonceError::Stale));
        // Handed out at the very end of its slot, a nonce is still good for half the lifetime.
        assert_eq!(c.check(&nonce, at(issued_at + 29 + 30)), Ok(()));
    }

    #[test]
    fn default_lifetime_is_five_minutes() {
        let c = config();
        let nonce = c.issue(at(3_000));
        assert_eq!(c.check(&nonce, at(3_300)), Ok(()));
        assert_eq!(c.check(&nonce, at(3_301)), Err(NonceError::Stale));
    }

    #[test]
    fn lifetime_out_of_range_is_refused() {
        let kind = |d| config().lifetime(d).validate().err().map(|e| e.kind());
        assert_eq!(kind(Duration::ZERO), Some(ConfigErrorKind::OutOfRange));
        assert_eq!(
            kind(Duration::from_secs(u64::MAX)),
            Some(ConfigErrorKind::OutOfRange)
        );
        assert_eq!(
            kind(Duration::from_millis(1_900)),
            Some(ConfigErrorKind::OutOfRange),
            "counted in whole seconds"
        );
        assert_eq!(kind(Duration::from_millis(2_900)), None);
        let c = config().lifetime(Duration::from_secs(2));
        let nonce = c.issue(at(100));
        assert_eq!(c.check(&nonce, at(102)), Ok(()));
        assert_eq!(c.check(&nonce, at(103)), Err(NonceError::Stale));
    }

    #[test]
    fn future_dated_nonce_is_rejected_beyond_skew() {
        let c = config();
        let issued_at = 1_700_000_100;
        let nonce = c.issue(at(issued_at));
        assert_eq!(c.issue(at(issued_at)), nonce);
        // An instance whose clock is slightly behind still accepts it.
        assert_eq!(c.check(&nonce, at(issued_at - FUTURE_SKEW_SECS)), Ok(()));
        assert_eq!(
            c.check(&nonce, at(issued_at - FUTURE_SKEW_SECS - 1)),
            Err(NonceError::Stale)
        );
        assert_eq!(c.check(&nonce, at(0)), Err(NonceError::Stale));
    }

    #[test]
    fn rotation_accepts_previous_and_issues_current() {
        let old = config();
        let rotated = NonceConfig::new(OTHER)
            .and_then(|c| c.previous_secret(SECRET))
            .unwrap();
        let now = at(1_700_000_000);
        let old_nonce = old.issue(now);
        let new_nonce = rotated.issue(now);
        assert_ne!(old_nonce, new_nonce);
        assert_eq!(rotated.check(&old_nonce, now), Ok(()));
        assert_eq!(rotated.check(&new_nonce, now), Ok(()));
        // Nonces issued after rotation are under the new secret only.
        assert_eq!(old.check(&new_nonce, now), Err(NonceError::Invalid));
        // Dropping the previous secret ends acceptance of the old nonces.
        let done = NonceConfig::new(OTHER).unwrap();
        assert_eq!(done.check(&old_nonce, now), Err(NonceError::Invalid));
        assert_eq!(done.check(&new_nonce, now), Ok(()));
    }

    #[test]
    fn different_secret_or_random_config_rejects() {
        let now = at(1_700_000_000);
        let nonce = config().issue(now);
        let other = NonceConfig::new(OTHER).unwrap();
        assert_eq!(other.check(&nonce, now), Err(NonceError::Invalid));
        let random = NonceConfig::random();
        assert_eq!(random.check(&nonce, now), Err(NonceError::Invalid));
        assert_eq!(random.check(&random.issue(now), now), Ok(()));
        assert_ne!(NonceConfig::random().issue(now), random.issue(now));
    }

    #[test]
    fn tampered_nonce_is_rejected() {
        let c = config();
        let now = at(1_700_000_000);
        let nonce = c.issue(now);
        let mut raw = URL_SAFE_NO_PAD.decode(&nonce).unwrap();
        for i in 0..raw.len() {
            for bit in 0..8 {
                raw[i] ^= 1 << bit;
                let tampered = URL_SAFE_NO_PAD.encode(&raw);
                assert_eq!(
                    c.check(&tampered, now),
                    Err(NonceError::Invalid),
                    "byte {i} bit {bit}"
                );
                raw[i] ^= 1 << bit;
            }
        }
        // Moving the timestamp forward (to extend the lifetime) breaks the tag.
        let mut extended = raw.clone();
        extended[..TIMESTAMP_LEN].copy_from_slice(&(now.as_secs() + 3_600).to_be_bytes());
        let extended = URL_SAFE_NO_PAD.encode(&extended);
        assert_eq!(
            c.check(&extended, at(now.as_secs() + 3_600)),
            Err(NonceError::Invalid)
        );
    }

    #[test]
    fn tag_is_domain_separated() {
        // A plain HMAC over the timestamp (no label) under the same secret is not a nonce.
        let now = 1_700_000_000u64;
        let key = hmac::Key::new(hmac::HMAC_SHA256, &SECRET);
        let plain = hmac::sign(&key, &now.to_be_bytes());
        let mut raw = now.to_be_bytes().to_vec();
        raw.extend_from_slice(&plain.as_ref()[..TAG_LEN]);
        let forged = URL_SAFE_NO_PAD.encode(&raw);
        assert_eq!(config().check(&forged, at(now)), Err(NonceError::Invalid));
    }

    #[test]
    fn garbage_is_malformed() {
        let c = config();
        let now = at(1_700_000_000);
        let nonce = c.issue(now);
        let too_long = "A".repeat(1 << 20);
        let cases = [
            String::new(),
            "x".to_string(),
            nonce[..ENCODED_LEN - 1].to_string(),
            format!("{nonce}A"),
            format!("{nonce}="),
            nonce
                .replace(|_: char| true, "+")
                .chars()
                .take(ENCODED_LEN)
                .collect(),
            format!("{}/", &nonce[..ENCODED_LEN - 1]),
            format!("{} ", &nonce[..ENCODED_LEN - 1]),
            format!("{}\u{e9}", &nonce[..ENCODED_LEN - 2]),
            "=".repeat(ENCODED_LEN),
            too_long,
        ];
        for input in cases {
            assert_eq!(
                c.check(&input, now),
                Err(NonceError::Malformed),
                "input {input:?}"
            );
        }
        // Right length and alphabet, but no nonce of ours.
        assert_eq!(
            c.check(&"A".repeat(ENCODED_LEN), now),
            Err(NonceError::Invalid)
        );
    }

    #[test]
    fn short_secrets_are_refused() {
        let reason = |r: Result<NonceConfig, ConfigError>| {
            r.err().map(|e| (e.kind(), e.reason().to_owned()))
        };
        assert_eq!(
            reason(NonceConfig::new(vec![1u8; 31])),
            Some((
                ConfigErrorKind::Insecure,
                "nonce secret too short: 31 bytes, at least 32 required".to_owned()
            ))
        );
        assert!(NonceConfig::new(Vec::new()).is_err());
        let e = config().previous_secret(*b"short").err();
        assert_eq!(e.as_ref().map(ConfigError::field), Some("dpop_nonce"));
        assert_eq!(
            e.as_ref().and_then(ConfigError::value),
            None,
            "a secret is never shown"
        );
    }

    #[test]
    fn debug_redacts_secrets() {
        let secret = b"super-secret-value-0123456789-abcdef".to_vec();
        let c = NonceConfig::new(secret.clone())
            .and_then(|c| c.previous_secret(b"previous-secret-value-0123456789-xyz".to_vec()))
            .unwrap();
        let debug = format!("{c:?}");
        assert!(debug.contains("<redacted>"), "{debug}");
        assert!(debug.contains("previous_secrets: 1"), "{debug}");
        assert!(!debug.contains("super-secret"), "{debug}");
        assert!(!debug.contains("previous-secret"), "{debug}");
        assert!(!debug.contains("115, 117, 112"), "{debug}"); // "sup" as bytes
    }
}
