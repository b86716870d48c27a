//! Where "now" comes from: the system clock in production, a settable clock in tests.

use std::sync::Mutex;

use time::{Duration, OffsetDateTime};

/// A source of the current time, in UTC. Inject one with
/// [`AuthBuilder::clock`](crate::AuthBuilder::clock) to test expiry boundaries.
pub trait Clock: Send + Sync + 'static {
    /// The current time, in UTC.
    fn now(&self) -> OffsetDateTime;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that stands still until it is moved, for tests.
///
/// ```
/// use lucia::clock::{Clock, MockClock};
/// use time::Duration;
///
/// let clock = MockClock::new(time::OffsetDateTime::UNIX_EPOCH);
/// clock.advance(Duration::seconds(5));
/// assert_eq!(clock.now().unix_timestamp(), 5);
/// ```
#[derive(Debug)]
pub struct MockClock {
    now: Mutex<OffsetDateTime>,
}

impl MockClock {
    /// A clock stopped at `now`.
    pub fn new(now: OffsetDateTime) -> Self {
        Self {
            now: Mutex::new(now),
        }
    }

    /// A clock stopped at the current system time, truncated to whole milliseconds.
    pub fn starting_now() -> Self {
        Self::new(from_millis(to_millis(OffsetDateTime::now_utc())))
    }

    /// Moves the clock to `now`.
    pub fn set(&self, now: OffsetDateTime) {
        *self.lock() = now;
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.lock();
        *now += by;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OffsetDateTime> {
        // A poisoned lock only means another test thread panicked; the time is still valid.
        self.now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Clock for MockClock {
    fn now(&self) -> OffsetDateTime {
        *self.lock()
    }
}

impl<C: Clock> Clock for std::sync::Arc<C> {
    fn now(&self) -> OffsetDateTime {
        (**self).now()
    }
}

/// Milliseconds since the Unix epoch, the unit every adapter stores.
pub fn to_millis(at: OffsetDateTime) -> i64 {
    // Saturates far outside any realistic date instead of overflowing.
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// The UTC time `millis` milliseconds after the Unix epoch, saturating at the supported range.
pub fn from_millis(millis: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000).unwrap_or(
        if millis < 0 {
            OffsetDateTime::UNIX_EPOCH
        } else {
            // 9999-12-31, the largest date every adapter and cookie can carry.
            OffsetDateTime::from_unix_timestamp(253_402_300_799)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        },
    )
}
