//! [`Clock`]: where a host's timestamps come from, injectable so that
//! elapsed time, rate and ETA can be tested with a synthetic clock.
//!
//! # Invariants
//!
//! - A clock's readings never go backwards (`ManualClock` only moves
//!   forward: `set` to an earlier time is ignored).

use std::fmt;
use std::time::{Duration, Instant};

use crate::sync::{AtomicU64, Ordering};

/// A monotonic clock: the time since the clock's own origin.
///
/// A host reads it when something happens that a UI wants a time for (an
/// item starts or finishes, an event is published, a snapshot is taken),
/// never on the progress hot path. [`SystemClock`] is the default;
/// [`ManualClock`] is a synthetic clock for tests.
pub trait Clock: fmt::Debug + Send + Sync {
    /// The time since the clock's origin; never less than an earlier
    /// reading.
    fn now(&self) -> Duration;
}

/// The real monotonic clock ([`Instant`]), with its origin when it was made.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
}

/// A synthetic clock that moves only when told to: for tests of elapsed
/// time, rate and ETA.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use syncmgr::{Clock, ManualClock, SessionConfig};
///
/// let clock = Arc::new(ManualClock::new());
/// let config = SessionConfig::default().with_clock(clock.clone());
/// clock.advance(Duration::from_secs(2));
/// assert_eq!(config.clock.now(), Duration::from_secs(2));
/// ```
#[derive(Debug, Default)]
pub struct ManualClock {
    nanos: AtomicU64,
}

impl ManualClock {
    /// A clock at its origin (zero).
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        Self {
            nanos: AtomicU64::new(0),
        }
    }

    /// A clock at its origin (zero); not `const` under loom, whose atomics
    /// are made at run time.
    #[cfg(loom)]
    pub fn new() -> Self {
        Self {
            nanos: AtomicU64::new(0),
        }
    }

    /// Move the clock forward by `by` (saturating at `u64::MAX` nanoseconds).
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .nanos
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                Some(n.saturating_add(by))
            });
    }

    /// Move the clock to `to`; an earlier time than now is ignored (the
    /// clock is monotonic).
    pub fn set(&self, to: Duration) {
        let to = u64::try_from(to.as_nanos()).unwrap_or(u64::MAX);
        self.nanos.fetch_max(to, Ordering::AcqRel);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Acquire))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_only_moves_forward() {
        let clock = ManualClock::new();
        clock.advance(Duration::from_secs(3));
        clock.set(Duration::from_secs(1));
        assert_eq!(clock.now(), Duration::from_secs(3));
        clock.set(Duration::from_secs(5));
        assert_eq!(clock.now(), Duration::from_secs(5));
        let real = SystemClock::new();
        assert!(real.now() <= real.now());
    }
}
