//! What a UI pulls: [`SessionSnapshot`], taken at one instant under the
//! session's lock, its items seen through [`ItemSnapshot`] views, and the
//! overall figures a host derives from them.
//!
//! # Layout
//!
//! A snapshot copies each item's words as the session keeps them (16
//! bytes: the value and maximum, the flags, the start time) and shares the
//! ids and names with the session (the session's item segments are
//! immutable and reference-counted). What only a few items have is kept
//! sparse, sorted by position: finish times, status texts and cancel
//! reasons. So a snapshot of a million running items is 16 MB, taken with
//! one pass over the session's words, and
//! [`Session::snapshot_into`] refreshes one without allocating.

use std::time::Duration;

use crate::sync::Arc;
use crate::{CancelReason, ItemId, ItemPhase, LogEntry, RateEstimator, SessionPhase};

use super::Session;
#[cfg(feature = "serde")]
use super::items::stamp;
use super::items::{ItemBits, ItemWords, Segment, unstamp};
use super::state::State;

/// One item of a [`SessionSnapshot`]: a view that decodes the item's words
/// on each call (cheap: a few shifts and masks), with its timing.
///
/// Work (`value`, `max`) is `u64` as the handler reported it (exact in
/// process; a handler behind COM reports SyncMgr's `i32`s). Times have
/// millisecond resolution and come from the session's clock; timing is
/// computed when asked, never on the report path:
/// [`elapsed`](Self::elapsed), [`rate`](Self::rate) and [`eta`](Self::eta).
#[derive(Clone, Copy)]
pub struct ItemSnapshot<'a> {
    snapshot: &'a SessionSnapshot,
    position: usize,
    words: ItemWords,
    bits: ItemBits,
}

impl<'a> ItemSnapshot<'a> {
    fn new(snapshot: &'a SessionSnapshot, position: usize) -> Self {
        let words = snapshot.words[position];
        Self {
            snapshot,
            position,
            words,
            bits: words.bits(),
        }
    }

    /// The item's position in the session (enumeration order, from 0).
    pub const fn position(&self) -> usize {
        self.position
    }

    /// The item's id.
    pub fn id(&self) -> ItemId {
        let (segment, local) = self.snapshot.segment_of(self.position);
        segment.id(local)
    }

    /// Its name, as enumerated (empty for items that only arrived on a
    /// retry).
    pub fn name(&self) -> &'a str {
        let (segment, local) = self.snapshot.segment_of(self.position);
        segment.name(local)
    }

    /// Its phase.
    pub const fn phase(&self) -> ItemPhase {
        self.bits.phase
    }

    /// The last work done reported (the progress value).
    pub const fn value(&self) -> Option<u64> {
        self.bits.value
    }

    /// The last work in all reported (the maximum).
    pub const fn max(&self) -> Option<u64> {
        self.bits.max
    }

    /// The last status text reported.
    pub fn text(&self) -> Option<&'a str> {
        if !self.bits.has_text {
            return None;
        }
        sparse(&self.snapshot.texts, self.position).map(String::as_str)
    }

    /// Why it was cancelled, if it was (its own reason, else cancel-all's;
    /// an item that finished before any cancel reached it shows none).
    pub fn cancel(&self) -> Option<&'a CancelReason> {
        if !self.bits.cancelled {
            return None;
        }
        sparse(&self.snapshot.cancel_reasons, self.position).or(self.snapshot.cancel_all.as_ref())
    }

    /// True once a skip was requested.
    pub const fn skipped(&self) -> bool {
        self.bits.skipped
    }

    /// True when it belongs to the current (or last) synchronize set.
    pub const fn in_sync_set(&self) -> bool {
        self.bits.in_sync_set
    }

    /// True when the host finished it because the handler never did.
    pub const fn finished_by_host(&self) -> bool {
        self.bits.finished_by_host
    }

    /// The item's progress from 0.0 to 1.0: 1.0 once finished, value / max
    /// while both are known, 0.0 otherwise.
    pub fn fraction(&self) -> f64 {
        if self.phase().is_terminal() {
            return 1.0;
        }
        match (self.value(), self.max()) {
            // Precision loss above 2^53 units of work is irrelevant to a ratio.
            #[allow(clippy::cast_precision_loss)]
            (Some(value), Some(max)) if max > 0 => (value as f64 / max as f64).min(1.0),
            _ => 0.0,
        }
    }

    /// When the snapshot was taken (the session clock's time).
    pub const fn taken_at(&self) -> Duration {
        self.snapshot.taken_at
    }

    /// When the item's first report of this cycle arrived; `None` before.
    pub fn started_at(&self) -> Option<Duration> {
        unstamp(self.words.started)
    }

    /// When the item finished in this cycle; `None` while it has not.
    pub fn finished_at(&self) -> Option<Duration> {
        sparse(&self.snapshot.finished, self.position).and_then(|&stamp| unstamp(stamp))
    }

    /// Time since the item started, up to its finish (or to the snapshot
    /// while it runs); `None` before it starts.
    pub fn elapsed(&self) -> Option<Duration> {
        let end = self.finished_at().unwrap_or(self.snapshot.taken_at);
        Some(end.saturating_sub(self.started_at()?))
    }

    /// Work per second over the item's run: its work done over its
    /// [`elapsed`](Self::elapsed) time (up to its finish once finished);
    /// `None` before it starts or while no time has passed. (The session's
    /// own [`SessionSnapshot::rate`] is smoothed; an item's is its average.)
    pub fn rate(&self) -> Option<f64> {
        let elapsed = self.elapsed().filter(|e| !e.is_zero())?;
        // Precision loss above 2^53 units is irrelevant to a rate.
        #[allow(clippy::cast_precision_loss)]
        Some(self.work_done() as f64 / elapsed.as_secs_f64())
    }

    /// The work done: the value, or the maximum for an item that succeeded
    /// (whether or not it reported its last value).
    pub fn work_done(&self) -> u64 {
        work_done(&self.bits)
    }

    /// Work still to do: `max - value` (0 once finished); `None` without a
    /// maximum.
    pub fn remaining(&self) -> Option<u64> {
        if self.phase().is_terminal() {
            return Some(0);
        }
        Some(self.max()?.saturating_sub(self.value().unwrap_or(0)))
    }

    /// The estimated time to finish: zero once finished, `None` while the
    /// maximum or the rate is unknown (or the rate is zero).
    pub fn eta(&self) -> Option<Duration> {
        RateEstimator::eta(self.remaining()?, self.rate())
    }
}

impl std::fmt::Debug for ItemSnapshot<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ItemSnapshot")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("phase", &self.phase())
            .field("value", &self.value())
            .field("max", &self.max())
            .field("text", &self.text())
            .field("cancel", &self.cancel())
            .field("skipped", &self.skipped())
            .field("in_sync_set", &self.in_sync_set())
            .field("finished_by_host", &self.finished_by_host())
            .field("started_at", &self.started_at())
            .field("finished_at", &self.finished_at())
            .finish()
    }
}

impl PartialEq for ItemSnapshot<'_> {
    /// Two views are equal when everything they show is.
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
            && self.name() == other.name()
            && self.phase() == other.phase()
            && self.value() == other.value()
            && self.max() == other.max()
            && self.skipped() == other.skipped()
            && self.in_sync_set() == other.in_sync_set()
            && self.finished_by_host() == other.finished_by_host()
            && self.started_at() == other.started_at()
            && self.text() == other.text()
            && self.cancel() == other.cancel()
            && self.finished_at() == other.finished_at()
            && self.taken_at() == other.taken_at()
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for ItemSnapshot<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut item = serializer.serialize_struct("ItemSnapshot", 14)?;
        item.serialize_field("id", &self.id())?;
        item.serialize_field("name", self.name())?;
        item.serialize_field("phase", &self.phase())?;
        item.serialize_field("value", &self.value())?;
        item.serialize_field("max", &self.max())?;
        item.serialize_field("text", &self.text())?;
        item.serialize_field("cancel", &self.cancel())?;
        item.serialize_field("skipped", &self.skipped())?;
        item.serialize_field("in_sync_set", &self.in_sync_set())?;
        item.serialize_field("finished_by_host", &self.finished_by_host())?;
        item.serialize_field("started_at", &self.started_at())?;
        item.serialize_field("finished_at", &self.finished_at())?;
        item.serialize_field("elapsed", &self.elapsed())?;
        item.serialize_field("rate", &self.rate())?;
        item.end()
    }
}

/// An item's work done: its value, or its maximum once it succeeded.
fn work_done(bits: &ItemBits) -> u64 {
    match (bits.phase, bits.max) {
        (ItemPhase::Succeeded, Some(max)) => max.max(bits.value.unwrap_or(0)),
        _ => bits.value.unwrap_or(0),
    }
}

/// The value kept for `position` in a sparse list sorted by position.
fn sparse<T>(list: &[(u32, T)], position: usize) -> Option<&T> {
    let position = u32::try_from(position).ok()?;
    list.binary_search_by_key(&position, |&(p, _)| p)
        .ok()
        .map(|index| &list[index].1)
}

/// Everything a UI shows, taken at one instant.
///
/// The items are views ([`ItemSnapshot`]) over a compact copy (see the
/// module's layout notes): iterate them with [`items`](Self::items), or
/// look one up by [`position`](Self::item) or [`id`](Self::find).
#[derive(Clone)]
#[non_exhaustive]
pub struct SessionSnapshot {
    /// The phase.
    pub phase: SessionPhase,
    /// The handler's name, once known.
    pub handler_name: Option<String>,
    /// Why everything was cancelled, if it was.
    pub cancel_all: Option<CancelReason>,
    /// The live log entries.
    pub log: Vec<LogEntry>,
    /// How many violations were recorded.
    pub violations: usize,
    /// The session's segments: ids and names, shared.
    segments: Vec<Arc<Segment>>,
    words: Vec<ItemWords>,
    /// Finish times (milliseconds + 1) of the items that have one.
    finished: Vec<(u32, u32)>,
    texts: Vec<(u32, String)>,
    /// Items' own cancel reasons.
    cancel_reasons: Vec<(u32, CancelReason)>,
    taken_at: Duration,
    rate: Option<f64>,
}

impl SessionSnapshot {
    /// How many items the session knows.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// True when the session knows no items.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Every item the session knows, in enumeration order.
    pub fn items(&self) -> impl ExactSizeIterator<Item = ItemSnapshot<'_>> + '_ {
        (0..self.words.len()).map(|position| ItemSnapshot::new(self, position))
    }

    /// The item at `position` (enumeration order, from 0), if there is one.
    pub fn item(&self, position: usize) -> Option<ItemSnapshot<'_>> {
        (position < self.words.len()).then(|| ItemSnapshot::new(self, position))
    }

    /// The item with `id`, if the session knows it (a linear search: index
    /// the snapshot yourself to look up many).
    pub fn find(&self, id: ItemId) -> Option<ItemSnapshot<'_>> {
        self.items().find(|item| item.id() == id)
    }

    /// The segment holding `position`, and the position within it.
    fn segment_of(&self, position: usize) -> (&Segment, usize) {
        let segment = self
            .segments
            .iter()
            .rev()
            .find(|segment| segment.start() <= position)
            .expect("every position of a snapshot lies in one of its segments");
        (segment, position - segment.start())
    }

    /// The items of the current (or last) synchronize set.
    pub fn sync_set(&self) -> impl Iterator<Item = ItemSnapshot<'_>> + '_ {
        self.items().filter(ItemSnapshot::in_sync_set)
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
        self.sync_set().filter_map(|item| item.started_at()).min()
    }

    /// Time since the first item started: up to the last finish once every
    /// item of the set has finished, else up to the snapshot.
    pub fn elapsed(&self) -> Option<Duration> {
        let start = self.started_at()?;
        let (done, all) = self.finished();
        let end = if done == all {
            self.sync_set().filter_map(|item| item.finished_at()).max()
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

impl std::fmt::Debug for SessionSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionSnapshot")
            .field("phase", &self.phase)
            .field("handler_name", &self.handler_name)
            .field("items", &self.items().collect::<Vec<_>>())
            .field("cancel_all", &self.cancel_all)
            .field("log", &self.log)
            .field("violations", &self.violations)
            .field("taken_at", &self.taken_at)
            .finish()
    }
}

impl PartialEq for SessionSnapshot {
    fn eq(&self, other: &Self) -> bool {
        self.phase == other.phase
            && self.handler_name == other.handler_name
            && self.cancel_all == other.cancel_all
            && self.log == other.log
            && self.violations == other.violations
            && self.taken_at == other.taken_at
            && self.rate == other.rate
            && self.items().eq(other.items())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for SessionSnapshot {
    /// The fields, the items as a list of objects (each item's fields and
    /// timing), `taken_at` and `rate`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct Items<'a>(&'a SessionSnapshot);
        impl serde::Serialize for Items<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_seq(self.0.items())
            }
        }
        let mut snapshot = serializer.serialize_struct("SessionSnapshot", 8)?;
        snapshot.serialize_field("phase", &self.phase)?;
        snapshot.serialize_field("handler_name", &self.handler_name)?;
        snapshot.serialize_field("items", &Items(self))?;
        snapshot.serialize_field("cancel_all", &self.cancel_all)?;
        snapshot.serialize_field("log", &self.log)?;
        snapshot.serialize_field("violations", &self.violations)?;
        snapshot.serialize_field("taken_at", &self.taken_at)?;
        snapshot.serialize_field("rate", &self.rate)?;
        snapshot.end()
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for SessionSnapshot {
    /// What [`Serialize`](serde::Serialize) wrote. The items get ids and
    /// names of their own (no session is behind them); an item's `elapsed`
    /// and `rate` are recomputed, not read. Fails on a repeated item id or
    /// a name an item cannot have (over 127 UTF-16 units, or a NUL).
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;

        #[derive(serde::Deserialize)]
        struct ItemRecord {
            id: ItemId,
            name: String,
            phase: ItemPhase,
            value: Option<u64>,
            max: Option<u64>,
            text: Option<String>,
            cancel: Option<CancelReason>,
            skipped: bool,
            in_sync_set: bool,
            finished_by_host: bool,
            started_at: Option<Duration>,
            finished_at: Option<Duration>,
        }

        #[derive(serde::Deserialize)]
        struct SnapshotRecord {
            phase: SessionPhase,
            handler_name: Option<String>,
            items: Vec<ItemRecord>,
            cancel_all: Option<CancelReason>,
            log: Vec<LogEntry>,
            violations: usize,
            taken_at: Duration,
            rate: Option<f64>,
        }

        let record = SnapshotRecord::deserialize(deserializer)?;
        let count = record.items.len();
        u32::try_from(count).map_err(|_| D::Error::custom("too many items for a snapshot"))?;
        let mut builder = super::items::SegmentBuilder::with_capacity(count);
        let mut snapshot = SessionSnapshot {
            phase: record.phase,
            handler_name: record.handler_name,
            cancel_all: record.cancel_all,
            log: record.log,
            violations: record.violations,
            segments: Vec::new(),
            words: Vec::with_capacity(count),
            finished: Vec::new(),
            texts: Vec::new(),
            cancel_reasons: Vec::new(),
            taken_at: record.taken_at,
            rate: record.rate,
        };
        for (position, item) in (0u32..).zip(record.items) {
            if builder.contains(item.id) {
                return Err(D::Error::custom(format_args!(
                    "item {} appears twice",
                    item.id
                )));
            }
            // The rules of an enumerated item's name.
            crate::SyncItem::new(item.id, &item.name)
                .map_err(|e| D::Error::custom(format_args!("the name of item {}: {e}", item.id)))?;
            builder.push(item.id, &item.name);
            let bits = ItemBits {
                phase: item.phase,
                value: item.value,
                max: item.max,
                opened: item.started_at.is_some(),
                cancelled: item.cancel.is_some(),
                skipped: item.skipped,
                in_sync_set: item.in_sync_set,
                finished_by_host: item.finished_by_host,
                has_text: item.text.is_some(),
                ..ItemBits::NEW
            };
            let (flags, progress) = bits.encode();
            snapshot.words.push(ItemWords {
                progress,
                flags,
                started: item.started_at.map_or(0, stamp),
            });
            if let Some(at) = item.finished_at {
                snapshot.finished.push((position, stamp(at)));
            }
            if let Some(text) = item.text {
                snapshot.texts.push((position, text));
            }
            // A reason equal to cancel-all's is read back as cancel-all's.
            if let Some(reason) = item
                .cancel
                .filter(|r| Some(r) != snapshot.cancel_all.as_ref())
            {
                snapshot.cancel_reasons.push((position, reason));
            }
        }
        snapshot
            .segments
            .extend(super::items::Items::detached(builder));
        Ok(snapshot)
    }
}

/// How many of `items` have finished, and how many there are.
pub(crate) fn finished_of<'a>(items: impl IntoIterator<Item = ItemSnapshot<'a>>) -> (usize, usize) {
    items.into_iter().fold((0, 0), |(done, total), item| {
        (done + usize::from(item.phase().is_terminal()), total + 1)
    })
}

/// The sum of `items`' values, and of their maximums when all have one.
pub(crate) fn work_of<'a>(items: impl IntoIterator<Item = ItemSnapshot<'a>>) -> (u64, Option<u64>) {
    items
        .into_iter()
        .fold((0, Some(0)), |(done, total): (u64, Option<u64>), item| {
            (
                done.saturating_add(item.work_done()),
                total.zip(item.max()).map(|(t, m)| t.saturating_add(m)),
            )
        })
}

/// The overall fraction of `items`: weighted by their maximums when every
/// item has one and they do not all weigh zero, else the mean
/// [`ItemSnapshot::fraction`] (each item counting the same); 0.0 for no
/// items.
pub(crate) fn weighted_fraction<'a>(items: impl IntoIterator<Item = ItemSnapshot<'a>>) -> f64 {
    let (mut weighted, mut weight, mut all_known) = (0.0, 0.0, true);
    let (mut sum, mut count) = (0.0, 0usize);
    for item in items {
        let fraction = item.fraction();
        sum += fraction;
        count += 1;
        match item.max() {
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
    /// Stamp the snapshot taken at `now` and feed the session's rate
    /// estimator with the synchronize set's work `done`; `running` when an
    /// item of the set is under way.
    fn time_snapshot(
        &mut self,
        now: Duration,
        snapshot: &mut SessionSnapshot,
        done: u64,
        running: bool,
    ) {
        snapshot.taken_at = now;
        snapshot.rate = if running {
            self.session_rate.observe(now, done)
        } else {
            // Precision loss above 2^53 units is irrelevant to a rate.
            #[allow(clippy::cast_precision_loss)]
            let average = snapshot
                .elapsed()
                .filter(|e| !e.is_zero())
                .map(|e| done as f64 / e.as_secs_f64());
            average.or(self.session_rate.rate())
        };
    }
}

/// `list` (overwritten, reusing its memory) as `(position, value)` pairs
/// sorted by position, from a map keyed by position.
fn sorted_sparse<'a, T: Clone + 'a>(
    list: &mut Vec<(u32, T)>,
    map: impl IntoIterator<Item = (&'a usize, &'a T)>,
) {
    list.clear();
    list.extend(
        map.into_iter()
            .filter_map(|(&p, v)| Some((u32::try_from(p).ok()?, v.clone()))),
    );
    list.sort_unstable_by_key(|&(p, _)| p);
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
            cancel_all: None,
            log: Vec::new(),
            violations: 0,
            segments: Vec::new(),
            words: Vec::new(),
            finished: Vec::new(),
            texts: Vec::new(),
            cancel_reasons: Vec::new(),
            taken_at: Duration::ZERO,
            rate: None,
        };
        self.snapshot_into(&mut snapshot);
        snapshot
    }

    /// [`snapshot`](Self::snapshot) into an existing snapshot, reusing its
    /// memory: the item words are overwritten in place, so polling a
    /// session whose items do not change allocates nothing.
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
        if snapshot.segments.len() != items.segment_count() {
            snapshot.segments = items.shared_segments();
        }
        let finished = &mut snapshot.finished;
        finished.clear();
        // The set's work done, and whether an item of it is under way,
        // gathered while the words are copied.
        let (mut done, mut running) = (0u64, false);
        items.copy_words(
            &mut snapshot.words,
            |words| {
                let bits = words.bits();
                if bits.in_sync_set {
                    done = done.saturating_add(work_done(&bits));
                    running |= words.started != 0 && !bits.phase.is_terminal();
                }
            },
            |position, stamp| {
                // Positions fit a u32: a session's items are counted in u32s.
                if let Ok(position) = u32::try_from(position) {
                    finished.push((position, stamp));
                }
            },
        );
        sorted_sparse(&mut snapshot.texts, &st.texts);
        sorted_sparse(&mut snapshot.cancel_reasons, &st.cancel_reasons);
        st.time_snapshot(now, snapshot, done, running);
    }

    /// Set the window of the session's rate estimator (the time constant
    /// of its EWMA, [`RateEstimator::DEFAULT_WINDOW`] unless set); the
    /// estimate starts afresh.
    pub fn set_rate_window(&self, window: Duration) {
        let mut st = self.shared.state.lock();
        st.rate_window = Some(window);
        st.session_rate = RateEstimator::new(window);
    }
}
