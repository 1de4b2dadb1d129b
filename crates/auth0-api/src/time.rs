//! Time, from one injectable source.
//!
//! Every time-dependent check (`exp`, `nbf`, DPoP `iat`, nonce windows, cache lifetimes)
//! reads the configured [`Clock`]; nothing else in the crate asks the operating system for
//! the time. Tests swap in a controllable clock (`auth0_api_testing::TestClock`).

use std::fmt::Debug;
use std::time::{Duration, SystemTime};

/// A source of wall-clock time.
///
/// Implementations must be cheap to call: the verifier reads the clock on every request.
pub trait Clock: Debug + Send + Sync + 'static {
    /// The current time as the duration since the Unix epoch.
    fn now(&self) -> UnixTime;
}

/// A point in time, as the duration since the Unix epoch (1970-01-01T00:00:00Z).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(Duration);

impl UnixTime {
    /// The time `secs` whole seconds after the epoch.
    pub const fn from_secs(secs: u64) -> Self {
        Self(Duration::from_secs(secs))
    }

    /// The time `millis` milliseconds after the epoch.
    pub const fn from_millis(millis: u64) -> Self {
        Self(Duration::from_millis(millis))
    }

    /// The time `since_epoch` after the epoch.
    pub const fn from_duration(since_epoch: Duration) -> Self {
        Self(since_epoch)
    }

    /// Whole seconds since the epoch, as JWT `NumericDate` values count them.
    pub const fn as_secs(self) -> u64 {
        self.0.as_secs()
    }

    /// Milliseconds since the epoch (saturating at `u64::MAX`).
    pub fn as_millis(self) -> u64 {
        u64::try_from(self.0.as_millis()).unwrap_or(u64::MAX)
    }

    /// The duration since the epoch.
    pub const fn as_duration(self) -> Duration {
        self.0
    }

    /// This time plus `d`, saturating.
    pub fn saturating_add(self, d: Duration) -> Self {
        Self(self.0.saturating_add(d))
    }

    /// This time minus `d`, saturating at the epoch.
    pub fn saturating_sub(self, d: Duration) -> Self {
        Self(self.0.saturating_sub(d))
    }

    /// The duration from `earlier` to `self`, or zero when `earlier` is later.
    pub fn duration_since(self, earlier: UnixTime) -> Duration {
        self.0.saturating_sub(earlier.0)
    }
}

/// The operating system's clock. The default.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    // The one place that reads the operating system's clock (clippy.toml disallows
    // `SystemTime::now` everywhere else).
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> UnixTime {
        // A clock set before 1970 is treated as the epoch: every token then looks
        // "not yet valid" or expired, which fails closed.
        UnixTime(
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_time_arithmetic_saturates() {
        let t = UnixTime::from_secs(10);
        assert_eq!(
            t.saturating_sub(Duration::from_secs(20)),
            UnixTime::from_secs(0)
        );
        assert_eq!(t.duration_since(UnixTime::from_secs(20)), Duration::ZERO);
        assert_eq!(
            t.saturating_add(Duration::from_millis(1500)).as_millis(),
            11_500
        );
        assert_eq!(UnixTime::from_millis(2_999).as_secs(), 2);
    }

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.now().as_secs() > 1_577_836_800);
    }
}
