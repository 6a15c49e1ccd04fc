//! Where time comes from (STS session expiry, KMS deletion windows, audit
//! records): the system clock in production, a clock the test
//! moves by hand everywhere else (no test waits for real time to pass).

use std::sync::Mutex;

use time::{Duration, OffsetDateTime};

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> OffsetDateTime;
}

/// The operating system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that stands still until told to move.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<OffsetDateTime>,
}

impl ManualClock {
    /// A clock showing `now`.
    pub fn new(now: OffsetDateTime) -> ManualClock {
        ManualClock {
            now: Mutex::new(now),
        }
    }

    /// Sets the time.
    pub fn set(&self, now: OffsetDateTime) {
        // A poisoned lock still holds a valid time: a panic elsewhere
        // cannot leave an `OffsetDateTime` half-written.
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = now;
    }

    /// Moves the time forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now = now.saturating_add(by);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The system clock moved by a fixed offset (`ramgate serve
/// --clock-offset`): lets tests of clock skew and STS expiry use SDKs that
/// sign with the real time.
#[derive(Clone, Copy, Debug, Default)]
pub struct OffsetClock {
    /// Added to the system's time.
    pub offset: Duration,
}

impl Clock for OffsetClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc().saturating_add(self.offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let c = ManualClock::new(OffsetDateTime::UNIX_EPOCH);
        assert_eq!(c.now(), OffsetDateTime::UNIX_EPOCH);
        c.advance(Duration::seconds(900));
        assert_eq!(c.now().unix_timestamp(), 900);
        c.set(OffsetDateTime::UNIX_EPOCH);
        assert_eq!(c.now().unix_timestamp(), 0);
    }
}
