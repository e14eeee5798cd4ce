//! What a UI pulls: [`SessionSnapshot`] and [`ItemSnapshot`], taken at one
//! instant under the session's lock, and the overall figures a host derives
//! from them.

use std::time::Duration;

use crate::{CancelReason, ItemId, ItemPhase, LogEntry, RateEstimator, SessionPhase};

use super::Session;
use super::items::{ItemBits, ItemRef};
use super::state::State;

/// One item as a UI sees it, with its timing.
///
/// Work (`value`, `max`) is `u64` as the handler reported it (exact in
/// process; a handler behind COM reports SyncMgr's `i32`s). Timing is
/// computed by the host when the snapshot is taken, never on the report
/// path: [`elapsed`](Self::elapsed), [`rate`](Self::rate) (work per second,
/// smoothed by the session's [`RateEstimator`]) and [`eta`](Self::eta).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct ItemSnapshot {
    /// The item's id.
    pub id: ItemId,
    /// Its name, as enumerated (empty for items that only arrived on a retry).
    pub name: String,
    /// Its phase.
    pub phase: ItemPhase,
    /// The last work done reported (the progress value).
    pub value: Option<u64>,
    /// The last work in all reported (the maximum).
    pub max: Option<u64>,
    /// The last status text reported.
    pub text: Option<String>,
    /// Why it was cancelled, if it was (directly or by cancel-all).
    pub cancel: Option<CancelReason>,
    /// True once a skip was requested.
    pub skipped: bool,
    /// True when it belongs to the current (or last) synchronize set.
    pub in_sync_set: bool,
    /// True when the host finished it because the handler never did.
    pub finished_by_host: bool,
    started_at: Option<Duration>,
    finished_at: Option<Duration>,
    taken_at: Duration,
    rate: Option<f64>,
}

impl ItemSnapshot {
    fn empty() -> Self {
        Self {
            id: ItemId::default(),
            name: String::new(),
            phase: ItemPhase::Pending,
            value: None,
            max: None,
            text: None,
            cancel: None,
            skipped: false,
            in_sync_set: false,
            finished_by_host: false,
            started_at: None,
            finished_at: None,
            taken_at: Duration::ZERO,
            rate: None,
        }
    }

    /// The item's progress from 0.0 to 1.0: 1.0 once finished, value / max
    /// while both are known, 0.0 otherwise.
    pub fn fraction(&self) -> f64 {
        if self.phase.is_terminal() {
            return 1.0;
        }
        match (self.value, self.max) {
            // Precision loss above 2^53 units of work is irrelevant to a ratio.
            #[allow(clippy::cast_precision_loss)]
            (Some(value), Some(max)) if max > 0 => (value as f64 / max as f64).min(1.0),
            _ => 0.0,
        }
    }

    /// When the snapshot was taken (the session clock's time).
    pub const fn taken_at(&self) -> Duration {
        self.taken_at
    }

    /// When the item's first report of this cycle arrived; `None` before.
    pub const fn started_at(&self) -> Option<Duration> {
        self.started_at
    }

    /// When the item finished in this cycle; `None` while it has not.
    pub const fn finished_at(&self) -> Option<Duration> {
        self.finished_at
    }

    /// Time since the item started, up to its finish (or to the snapshot
    /// while it runs); `None` before it starts.
    pub fn elapsed(&self) -> Option<Duration> {
        let end = self.finished_at.unwrap_or(self.taken_at);
        Some(end.saturating_sub(self.started_at?))
    }

    /// Work per second: while the item runs, the session's smoothed
    /// estimate ([`RateEstimator`]; `None` until two snapshots with time
    /// between them have seen it running); once it finished, its average
    /// (work done / elapsed).
    pub const fn rate(&self) -> Option<f64> {
        self.rate
    }

    /// The work done: the value, or the maximum for an item that succeeded
    /// (whether or not it reported its last value).
    pub fn work_done(&self) -> u64 {
        match (self.phase, self.max) {
            (ItemPhase::Succeeded, Some(max)) => max.max(self.value.unwrap_or(0)),
            _ => self.value.unwrap_or(0),
        }
    }

    /// Work still to do: `max - value` (0 once finished); `None` without a
    /// maximum.
    pub fn remaining(&self) -> Option<u64> {
        if self.phase.is_terminal() {
            return Some(0);
        }
        Some(self.max?.saturating_sub(self.value.unwrap_or(0)))
    }

    /// The estimated time to finish: zero once finished, `None` while the
    /// maximum or the rate is unknown (or the rate is zero).
    pub fn eta(&self) -> Option<Duration> {
        RateEstimator::eta(self.remaining()?, self.rate)
    }
}

/// Everything a UI shows, taken at one instant.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct SessionSnapshot {
    /// The phase.
    pub phase: SessionPhase,
    /// The handler's name, once known.
    pub handler_name: Option<String>,
    /// Every item the session knows, in enumeration order.
    pub items: Vec<ItemSnapshot>,
    /// Why everything was cancelled, if it was.
    pub cancel_all: Option<CancelReason>,
    /// The live log entries.
    pub log: Vec<LogEntry>,
    /// How many violations were recorded.
    pub violations: usize,
    taken_at: Duration,
    rate: Option<f64>,
}

impl SessionSnapshot {
    /// The items of the current (or last) synchronize set.
    pub fn sync_set(&self) -> impl Iterator<Item = &ItemSnapshot> {
        self.items.iter().filter(|i| i.in_sync_set)
    }

    /// Items of the synchronize set that have finished, and how many there are.
    pub fn finished(&self) -> (usize, usize) {
        finished_of(self.sync_set())
    }

    /// Overall progress of the synchronize set, from 0.0 to 1.0 (0.0 when
    /// the set is empty): weighted by work when every item of the set has
    /// reported its work in all (a 1 GB file weighs a thousand times a
    /// 1 MB one), else by count (every item the same).
    pub fn overall(&self) -> f64 {
        weighted_fraction(self.sync_set())
    }

    /// When the snapshot was taken (the session clock's time).
    pub const fn taken_at(&self) -> Duration {
        self.taken_at
    }

    /// When the first item of the synchronize set started.
    pub fn started_at(&self) -> Option<Duration> {
        self.sync_set().filter_map(ItemSnapshot::started_at).min()
    }

    /// Time since the first item started: up to the last finish once every
    /// item of the set has finished, else up to the snapshot.
    pub fn elapsed(&self) -> Option<Duration> {
        let start = self.started_at()?;
        let (done, all) = self.finished();
        let end = if done == all {
            self.sync_set().filter_map(ItemSnapshot::finished_at).max()
        } else {
            None
        };
        Some(end.unwrap_or(self.taken_at).saturating_sub(start))
    }

    /// Work done and work in all over the synchronize set: the sum of the
    /// items' [`work_done`](ItemSnapshot::work_done), and the sum of their maximums (`None` unless every
    /// item reported one).
    pub fn work(&self) -> (u64, Option<u64>) {
        work_of(self.sync_set())
    }

    /// Work per second over the synchronize set, smoothed like an item's
    /// ([`RateEstimator`] over the sum of the values).
    pub const fn rate(&self) -> Option<f64> {
        self.rate
    }

    /// The estimated time until every item of the set has finished: zero
    /// when all have, `None` while an unfinished item has no maximum or the
    /// rate is unknown.
    pub fn eta(&self) -> Option<Duration> {
        let mut remaining = 0u64;
        for item in self.sync_set() {
            remaining = remaining.saturating_add(item.remaining()?);
        }
        RateEstimator::eta(remaining, self.rate)
    }
}

/// How many of `items` have finished, and how many there are.
pub(crate) fn finished_of<'a>(items: impl IntoIterator<Item = &'a ItemSnapshot>) -> (usize, usize) {
    items.into_iter().fold((0, 0), |(done, total), item| {
        (done + usize::from(item.phase.is_terminal()), total + 1)
    })
}

/// The sum of `items`' values, and of their maximums when all have one.
pub(crate) fn work_of<'a>(items: impl IntoIterator<Item = &'a ItemSnapshot>) -> (u64, Option<u64>) {
    items
        .into_iter()
        .fold((0, Some(0)), |(done, total): (u64, Option<u64>), item| {
            (
                done.saturating_add(item.work_done()),
                total.zip(item.max).map(|(t, m)| t.saturating_add(m)),
            )
        })
}

/// The overall fraction of `items`: weighted by their maximums when every
/// item has one and they do not all weigh zero, else the mean
/// [`ItemSnapshot::fraction`] (each item counting the same); 0.0 for no
/// items.
pub(crate) fn weighted_fraction<'a>(items: impl IntoIterator<Item = &'a ItemSnapshot>) -> f64 {
    let (mut weighted, mut weight, mut all_known) = (0.0, 0.0, true);
    let (mut sum, mut count) = (0.0, 0usize);
    for item in items {
        let fraction = item.fraction();
        sum += fraction;
        count += 1;
        match item.max {
            // Precision loss above 2^53 units of work is irrelevant to a ratio.
            #[allow(clippy::cast_precision_loss)]
            Some(max) => {
                weighted += fraction * max as f64;
                weight += max as f64;
            }
            None => all_known = false,
        }
    }
    if all_known && weight > 0.0 {
        (weighted / weight).clamp(0.0, 1.0)
    } else if count == 0 {
        0.0
    } else {
        // Precision loss above 2^53 items is irrelevant to a mean.
        #[allow(clippy::cast_precision_loss)]
        let count = count as f64;
        sum / count
    }
}

impl State {
    /// What a snapshot shows of `item` besides its words: its text and why
    /// it is cancelled (its own reason, else cancel-all's). An item that
    /// finished before any cancel reached it shows no reason.
    pub(super) fn item_extras(
        &self,
        item: ItemRef<'_>,
        bits: ItemBits,
    ) -> (Option<&String>, Option<&CancelReason>) {
        let text = bits
            .has_text
            .then(|| self.texts.get(&item.position()))
            .flatten();
        let cancel = bits.cancelled.then(|| {
            self.cancel_reasons
                .get(&item.position())
                .or(self.cancel_all.as_ref())
        });
        (text, cancel.flatten())
    }

    /// `item` as a UI sees it.
    pub(super) fn item_snapshot(&self, item: ItemRef<'_>) -> ItemSnapshot {
        let bits = item.read();
        let (text, cancel) = self.item_extras(item, bits);
        let (started_at, finished_at) = item.times();
        ItemSnapshot {
            id: item.id(),
            name: item.name().to_owned(),
            phase: bits.phase,
            value: bits.value,
            max: bits.max,
            text: text.cloned(),
            cancel: cancel.cloned(),
            skipped: bits.skipped,
            in_sync_set: bits.in_sync_set,
            finished_by_host: bits.finished_by_host,
            started_at,
            finished_at,
            ..ItemSnapshot::empty()
        }
    }

    /// Overwrite `out` with `item` as a UI sees it, reusing its strings.
    pub(super) fn item_snapshot_into(&self, item: ItemRef<'_>, out: &mut ItemSnapshot) {
        let bits = item.read();
        let (text, cancel) = self.item_extras(item, bits);
        out.id = item.id();
        out.name.clear();
        out.name.push_str(item.name());
        out.phase = bits.phase;
        out.value = bits.value;
        out.max = bits.max;
        match (text, &mut out.text) {
            (Some(text), Some(kept)) => {
                kept.clear();
                kept.push_str(text);
            }
            (text, kept) => *kept = text.cloned(),
        }
        out.cancel = cancel.cloned();
        out.skipped = bits.skipped;
        out.in_sync_set = bits.in_sync_set;
        out.finished_by_host = bits.finished_by_host;
        (out.started_at, out.finished_at) = item.times();
    }

    /// Stamp `items` (positions in order) taken at `now` and feed the
    /// rate estimators; allocates only when the session has more items
    /// than ever before.
    fn time_snapshot(&mut self, now: Duration, snapshot: &mut SessionSnapshot) {
        let window = self.rate_window.unwrap_or(RateEstimator::DEFAULT_WINDOW);
        if self.rates.len() < snapshot.items.len() {
            self.rates
                .resize(snapshot.items.len(), RateEstimator::new(window));
        }
        for (item, rate) in snapshot.items.iter_mut().zip(self.rates.iter_mut()) {
            item.taken_at = now;
            item.rate = if item.phase.is_terminal() {
                // The average over the item's run.
                item.elapsed()
                    .filter(|e| !e.is_zero())
                    // Precision loss above 2^53 units is irrelevant to a rate.
                    .map(|e| item.work_done() as f64 / e.as_secs_f64())
            } else if item.started_at.is_some() {
                rate.observe(now, item.value.unwrap_or(0))
            } else {
                *rate = RateEstimator::new(window);
                None
            };
        }
        snapshot.taken_at = now;
        let (done, _) = snapshot.work();
        let running = snapshot
            .sync_set()
            .any(|i| i.started_at.is_some() && !i.phase.is_terminal());
        snapshot.rate = if running {
            self.session_rate.observe(now, done)
        } else {
            let average = snapshot
                .elapsed()
                .filter(|e| !e.is_zero())
                .map(|e| done as f64 / e.as_secs_f64());
            average.or(self.session_rate.rate())
        };
    }
}

impl Session {
    /// Everything a UI shows.
    ///
    /// Taken under the session's lock, so everything but progress is from
    /// one instant. Progress reports do not take that lock: a report that
    /// runs on another thread while the snapshot is taken shows in it
    /// whole or not at all, item by item. A UI that polls a large session
    /// can reuse one snapshot's memory with
    /// [`snapshot_into`](Self::snapshot_into).
    pub fn snapshot(&self) -> SessionSnapshot {
        let mut snapshot = SessionSnapshot {
            phase: SessionPhase::Created,
            handler_name: None,
            items: Vec::new(),
            cancel_all: None,
            log: Vec::new(),
            violations: 0,
            taken_at: Duration::ZERO,
            rate: None,
        };
        self.snapshot_into(&mut snapshot);
        snapshot
    }

    /// [`snapshot`](Self::snapshot) into an existing snapshot, reusing its
    /// memory: the item list and the names and texts in it are overwritten
    /// in place, so polling a session whose items do not change allocates
    /// nothing.
    ///
    /// ```
    /// use syncmgr::{Session, SessionConfig, SessionPhase};
    ///
    /// let session = Session::new(SessionConfig::default());
    /// let mut view = session.snapshot();
    /// // ... later, at the UI's own rate:
    /// session.snapshot_into(&mut view);
    /// assert_eq!(view.phase, SessionPhase::Created);
    /// ```
    pub fn snapshot_into(&self, snapshot: &mut SessionSnapshot) {
        let mut st = self.shared.state.lock();
        let now = self.shared.config.clock.now();
        snapshot.phase = st.phase();
        snapshot.handler_name.clone_from(&st.handler_name);
        snapshot.cancel_all.clone_from(&st.cancel_all);
        snapshot.log.clone_from(&st.log);
        snapshot.violations = st.violations.len();
        let items = &self.shared.items;
        let out = &mut snapshot.items;
        out.truncate(items.len());
        out.reserve_exact(items.len() - out.len());
        let mut all = items.iter();
        for (slot, item) in out.iter_mut().zip(all.by_ref()) {
            st.item_snapshot_into(item, slot);
        }
        out.extend(all.map(|item| st.item_snapshot(item)));
        st.time_snapshot(now, snapshot);
    }

    /// Set the window of the rate estimators (the time constant of their
    /// EWMA, [`RateEstimator::DEFAULT_WINDOW`] unless set); the estimates
    /// start afresh.
    pub fn set_rate_window(&self, window: Duration) {
        let mut st = self.shared.state.lock();
        st.rate_window = Some(window);
        st.rates
            .iter_mut()
            .for_each(|r| *r = RateEstimator::new(window));
        st.session_rate = RateEstimator::new(window);
    }
}
