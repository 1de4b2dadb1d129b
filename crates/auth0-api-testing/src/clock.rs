//! A clock that only moves when a test tells it to.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use auth0_api::{Clock, SystemClock, UnixTime};

/// A controllable [`Clock`] for tests.
///
/// Clones share the same time: hand one clone to the verifier under test and keep another
/// to move time forward with [`advance`](Self::advance) or [`set`](Self::set). The clock
/// never moves on its own. Resolution is one nanosecond; times after the year 2554 saturate.
#[derive(Clone, Debug)]
pub struct TestClock {
    nanos: Arc<AtomicU64>,
}

impl TestClock {
    /// A clock fixed at `at`.
    pub fn new(at: UnixTime) -> Self {
        Self {
            nanos: Arc::new(AtomicU64::new(to_nanos(at.as_duration()))),
        }
    }

    /// A clock that starts at the current system time and from then on only moves when told.
    pub fn system() -> Self {
        Self::new(SystemClock.now())
    }

    /// The clock's current time.
    pub fn now(&self) -> UnixTime {
        UnixTime::from_duration(Duration::from_nanos(self.nanos.load(Ordering::SeqCst)))
    }

    /// Moves the clock forward by `d` (saturating).
    pub fn advance(&self, d: Duration) {
        let step = to_nanos(d);
        // `fetch_update` with a closure that always returns `Some` cannot fail.
        let _ = self
            .nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n.saturating_add(step))
            });
    }

    /// Moves the clock backward by `d` (saturating at the epoch).
    pub fn rewind(&self, d: Duration) {
        let step = to_nanos(d);
        let _ = self
            .nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n.saturating_sub(step))
            });
    }

    /// Sets the clock to `at`.
    pub fn set(&self, at: UnixTime) {
        self.nanos
            .store(to_nanos(at.as_duration()), Ordering::SeqCst);
    }
}

impl Default for TestClock {
    /// [`TestClock::system`].
    fn default() -> Self {
        Self::system()
    }
}

impl Clock for TestClock {
    fn now(&self) -> UnixTime {
        TestClock::now(self)
    }
}

fn to_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_time_and_only_move_when_told() {
        let clock = TestClock::new(UnixTime::from_secs(1_000));
        let other = clock.clone();
        assert_eq!(other.now(), UnixTime::from_secs(1_000));
        clock.advance(Duration::from_millis(1_500));
        assert_eq!(other.now(), UnixTime::from_millis(1_001_500));
        other.set(UnixTime::from_secs(5));
        assert_eq!(clock.now(), UnixTime::from_secs(5));
        clock.rewind(Duration::from_secs(10));
        assert_eq!(clock.now(), UnixTime::from_secs(0));
    }

    #[test]
    fn implements_the_core_clock_trait() {
        let clock = TestClock::new(UnixTime::from_secs(42));
        let dyn_clock: Arc<dyn Clock> = Arc::new(clock.clone());
        clock.advance(Duration::from_secs(1));
        assert_eq!(dyn_clock.now(), UnixTime::from_secs(43));
    }

    #[test]
    fn system_starts_near_now_and_stays_put() {
        let clock = TestClock::system();
        let t = clock.now();
        assert!(t.as_secs() > 1_577_836_800);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(clock.now(), t);
    }
}
