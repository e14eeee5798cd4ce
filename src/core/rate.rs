//! [`RateEstimator`]: work per second, smoothed, and the ETA it gives.
//!
//! A host feeds it `(time, work done)` samples when a snapshot is taken —
//! never on the progress hot path — so the estimate moves at the UI's rate.

use std::time::Duration;

/// Work per second, smoothed by an **exponentially weighted moving average
/// with time constant `window`** (the "EWMA" estimator, as in indicatif).
///
/// Each sample `(t, done)` gives the rate since the previous sample,
/// `r = Δdone / Δt`, and moves the estimate towards it by
/// `α = 1 − e^(−Δt / window)`: a sample's weight depends on the time it
/// covers, not on how often samples are taken, and a sample older than
/// `window` weighs less than `1/e`. So on a steady workload the estimate
/// (and the ETA) stays put however irregular the sampling, and a change of
/// speed shows within about one `window`. Work that goes backwards (an
/// item restarted) starts the estimate afresh; until two samples with time
/// between them have been seen, the rate is unknown (`None`).
///
/// ```
/// use std::time::Duration;
/// use syncmgr::RateEstimator;
///
/// let mut rate = RateEstimator::new(Duration::from_secs(5));
/// assert_eq!(rate.observe(Duration::ZERO, 0), None);
/// for second in 1..=10u64 {
///     rate.observe(Duration::from_secs(second), second * 1_000);
/// }
/// assert_eq!(rate.rate(), Some(1_000.0));
/// assert_eq!(RateEstimator::eta(5_000, rate.rate()), Some(Duration::from_secs(5)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateEstimator {
    window: Duration,
    last: Option<(Duration, u64)>,
    rate: Option<f64>,
}

impl RateEstimator {
    /// The window a [`Session`](crate::Session) uses unless told otherwise:
    /// 5 seconds.
    pub const DEFAULT_WINDOW: Duration = Duration::from_secs(5);

    /// An estimator with no samples; a zero `window` follows the latest
    /// sample alone.
    pub const fn new(window: Duration) -> Self {
        Self {
            window,
            last: None,
            rate: None,
        }
    }

    /// The time constant.
    pub const fn window(&self) -> Duration {
        self.window
    }

    /// Feed the work done at time `at`; returns the estimate.
    ///
    /// A sample at the same time as (or before) the previous one changes
    /// nothing; less work than before starts afresh.
    pub fn observe(&mut self, at: Duration, done: u64) -> Option<f64> {
        let Some((then, before)) = self.last else {
            self.last = Some((at, done));
            return self.rate;
        };
        if done < before {
            *self = Self::new(self.window);
            self.last = Some((at, done));
            return None;
        }
        let Some(dt) = at.checked_sub(then).filter(|dt| !dt.is_zero()) else {
            return self.rate;
        };
        // Precision loss above 2^53 units of work is irrelevant to a rate.
        #[allow(clippy::cast_precision_loss)]
        let instant = (done - before) as f64 / dt.as_secs_f64();
        let alpha = if self.window.is_zero() {
            1.0
        } else {
            1.0 - (-dt.as_secs_f64() / self.window.as_secs_f64()).exp()
        };
        self.rate = Some(match self.rate {
            None => instant,
            Some(rate) => rate + alpha * (instant - rate),
        });
        self.last = Some((at, done));
        self.rate
    }

    /// The estimate: work per second, `None` until known.
    pub const fn rate(&self) -> Option<f64> {
        self.rate
    }

    /// The time `remaining` work takes at `rate`: `None` while the rate is
    /// unknown or zero, zero when nothing remains.
    pub fn eta(remaining: u64, rate: Option<f64>) -> Option<Duration> {
        if remaining == 0 {
            return Some(Duration::ZERO);
        }
        // Precision loss above 2^53 units of work is irrelevant to an ETA.
        #[allow(clippy::cast_precision_loss)]
        let seconds = remaining as f64 / rate.filter(|r| r.is_finite() && *r > 0.0)?;
        Duration::try_from_secs_f64(seconds).ok()
    }
}

impl Default for RateEstimator {
    fn default() -> Self {
        Self::new(Self::DEFAULT_WINDOW)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn irregular_sampling_of_a_steady_workload_keeps_the_estimate() {
        let mut rate = RateEstimator::default();
        let mut at = 0;
        for gap in [100, 900, 50, 2_000, 333, 1, 700].iter().cycle().take(50) {
            at += gap;
            rate.observe(ms(at), at * 10); // 10 units per millisecond
        }
        let r = rate.rate().unwrap();
        assert!((r - 10_000.0).abs() < 1e-6, "{r}");
    }

    #[test]
    fn going_backwards_starts_afresh_and_zero_rate_has_no_eta() {
        let mut rate = RateEstimator::default();
        rate.observe(ms(0), 100);
        rate.observe(ms(1_000), 200);
        assert_eq!(rate.rate(), Some(100.0));
        assert_eq!(rate.observe(ms(2_000), 50), None);
        assert_eq!(rate.observe(ms(2_000), 60), None, "no time between");
        assert_eq!(RateEstimator::eta(10, Some(0.0)), None);
        assert_eq!(RateEstimator::eta(0, None), Some(Duration::ZERO));
        assert_eq!(RateEstimator::eta(10, Some(f64::NAN)), None);
    }
}
