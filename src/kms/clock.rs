//! Time, injectable so deletion windows can be tested without waiting.

use std::sync::Mutex;

use time::{Duration, OffsetDateTime};

/// Where the KMS reads the current time.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> OffsetDateTime;
}

/// The operating system's clock, in UTC.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that moves only when told to.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<OffsetDateTime>,
}

impl ManualClock {
    /// A clock stopped at `start`.
    pub fn new(start: OffsetDateTime) -> ManualClock {
        ManualClock {
            now: Mutex::new(start),
        }
    }

    /// Moves the clock by `by` (backwards when negative).
    pub fn advance(&self, by: Duration) {
        let mut now = self.lock();
        *now = now.saturating_add(by);
    }

    /// Sets the clock to `to`.
    pub fn set(&self, to: OffsetDateTime) {
        *self.lock() = to;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OffsetDateTime> {
        // A time value cannot be left half-written, so a poisoned lock
        // still holds a valid one.
        self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.lock()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(datetime!(2026-01-01 0:00 UTC));
        assert_eq!(clock.now(), datetime!(2026-01-01 0:00 UTC));
        clock.advance(Duration::days(7));
        assert_eq!(clock.now(), datetime!(2026-01-08 0:00 UTC));
        clock.set(datetime!(2030-05-05 5:05 UTC));
        assert_eq!(clock.now(), datetime!(2030-05-05 5:05 UTC));
    }
}
