//! A clock that never returns the same instant twice, so concurrent writes that compute
//! their values from "now" always differ and a test can tell them apart.

use std::sync::atomic::{AtomicI64, Ordering};

use time::{Duration, OffsetDateTime};

use crate::clock::{Clock, from_millis, to_millis};

/// A clock that moves forward by one millisecond on every [`now`](Clock::now) call.
///
/// With a frozen [`MockClock`](crate::clock::MockClock), N racing renewals compute the same
/// expiries, so N unconditional writes look exactly like one. With this clock each caller
/// asks for different expiries, and a store that overwrites shows it.
///
/// ```
/// use lucia::clock::Clock;
/// use lucia::testing::TickingClock;
///
/// let clock = TickingClock::new(time::OffsetDateTime::UNIX_EPOCH);
/// assert_ne!(clock.now(), clock.now());
/// ```
#[derive(Debug)]
pub struct TickingClock {
    millis: AtomicI64,
}

impl TickingClock {
    /// A clock whose next reading is `start`, truncated to whole milliseconds.
    pub fn new(start: OffsetDateTime) -> Self {
        Self {
            millis: AtomicI64::new(to_millis(start)),
        }
    }

    /// A clock starting at the current system time.
    pub fn starting_now() -> Self {
        Self::new(OffsetDateTime::now_utc())
    }

    /// Moves the clock forward by `by` (whole milliseconds).
    pub fn advance(&self, by: Duration) {
        let by = i64::try_from(by.whole_milliseconds()).unwrap_or(i64::MAX);
        self.millis.fetch_add(by, Ordering::SeqCst);
    }
}

impl Clock for TickingClock {
    fn now(&self) -> OffsetDateTime {
        from_millis(self.millis.fetch_add(1, Ordering::SeqCst))
    }
}
