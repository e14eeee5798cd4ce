//! [`Items`]: a session's items, readable and updatable without the
//! session's lock — the host side of the hot path.
//!
//! Items come in *segments*: the enumeration is one, and each retry that
//! names items the session did not know appends another. A segment is built
//! whole under the session's lock and never changes shape afterwards: its
//! ids, names and [`IdIndex`] are immutable, so a progress report finds its
//! item without a lock. What changes per item lives in two atomic words:
//!
//! | word | bits |
//! |---|---|
//! | `flags` (`u32`) | 0–3 the [`ItemPhase`] index; 4 `BUSY`; 5 `OPENED`; 6 `CANCELLED` (a cancel was requested; the reason is kept under the session's lock); 7 `CANCEL_ANSWERED`; 8 `SKIPPED` (requested); 9 `SKIP_DELIVERED`; 10 `IN_SYNC_SET`; 11 `FINISHED_BY_HOST`; 12 `HAS_VALUE`; 13 `HAS_MAX`; 14 `HAS_TEXT` (the text is kept under the session's lock); 15–20 `SHIFT` |
//! | `progress` (`u64`) | the last value (low 32 bits) and maximum (high 32 bits), each shifted right by `SHIFT` |
//!
//! Work is `u64`; the two counts share one word by sharing a scale: `SHIFT`
//! is the smallest shift that makes the larger fit 32 bits, so counts up
//! to `u32::MAX` are exact and larger ones keep their top 32 bits (a
//! relative error below 2⁻³¹).
//!
//! Beside the words, each item has two timestamps (whole milliseconds since
//! the session clock's origin, plus one; 0 for none; saturating after 49
//! days): when it started and when it finished in this cycle. They are written when an `ItemStarted` or
//! `ItemFinished` event is published, never by a progress report that only
//! moves the value.
//!
//! # Invariants
//!
//! - Only the holder of an item's `BUSY` bit writes the item's words: a
//!   writer sets the bit with a compare-and-swap ([`ItemRef::lock`]), works
//!   on a decoded copy ([`ItemBits`]) and stores both words back, `progress`
//!   first, clearing the bit with the store of `flags` (release). The bit is
//!   never held across a call into user code or a lock acquisition. On the
//!   lock-free path it is held for a few instructions; the locked path
//!   (rare: a text, a cancel, a violation) may format and record while it
//!   holds it, and lock-free reports on that one item wait meanwhile.
//! - A reader without the bit ([`ItemRef::read`], for snapshots) loads
//!   `flags`, then `progress`, and so never sees `HAS_VALUE` or `HAS_MAX`
//!   before the number they announce.
//! - Segments are only appended, under the session's lock, and never
//!   removed; a position (the index of an item over all segments, in
//!   enumeration order) never changes.
//!
//! # Deadlock safety
//!
//! The session's lock may be held while taking an item's bit, never the
//! other way round, and no one waits for anything while holding a bit.

use std::time::Duration;

use crate::sync::{Arc, AtomicU32, AtomicU64, OnceLock, Ordering};
use crate::{ItemId, ItemPhase};

use crate::core::id_index::IdIndex;

const PHASE: u32 = 0b1111;
const BUSY: u32 = 1 << 4;
const OPENED: u32 = 1 << 5;
const CANCELLED: u32 = 1 << 6;
const CANCEL_ANSWERED: u32 = 1 << 7;
const SKIPPED: u32 = 1 << 8;
const SKIP_DELIVERED: u32 = 1 << 9;
const IN_SYNC_SET: u32 = 1 << 10;
const FINISHED_BY_HOST: u32 = 1 << 11;
const HAS_VALUE: u32 = 1 << 12;
const HAS_MAX: u32 = 1 << 13;
const HAS_TEXT: u32 = 1 << 14;
const SHIFT_AT: u32 = 15;
const SHIFT: u32 = 0b11_1111 << SHIFT_AT;

/// One item's state, decoded from its two words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ItemBits {
    pub(crate) phase: ItemPhase,
    pub(crate) value: Option<u64>,
    pub(crate) max: Option<u64>,
    /// A report or poll for the item arrived in this cycle.
    pub(crate) opened: bool,
    /// The user asked to cancel it (one-way).
    pub(crate) cancelled: bool,
    /// A progress call naming it was answered with a cancel in this cycle.
    pub(crate) cancel_answered: bool,
    /// The user asked to skip it (one-way).
    pub(crate) skipped: bool,
    /// The handler has received `SetItemStatus(SKIPPED)` ([§G.2 #18](crate::protocol#rule-18) applies).
    pub(crate) skip_delivered: bool,
    pub(crate) in_sync_set: bool,
    pub(crate) finished_by_host: bool,
    /// A status text is kept for it under the session's lock.
    pub(crate) has_text: bool,
}

impl ItemBits {
    /// A new item: pending, nothing reported, nothing requested.
    pub(crate) const NEW: Self = Self {
        phase: ItemPhase::Pending,
        value: None,
        max: None,
        opened: false,
        cancelled: false,
        cancel_answered: false,
        skipped: false,
        skip_delivered: false,
        in_sync_set: false,
        finished_by_host: false,
        has_text: false,
    };

    /// The item starts a new cycle in the synchronize set: everything goes
    /// back to new except what the user asked for (cancellation is one-way).
    pub(crate) const fn restarted(self) -> Self {
        Self {
            cancelled: self.cancelled,
            skipped: self.skipped,
            in_sync_set: true,
            ..Self::NEW
        }
    }

    #[inline(always)]
    pub(crate) fn decode(flags: u32, progress: u64) -> Self {
        let phase = ItemPhase::from_index((flags & PHASE) as usize).unwrap_or(ItemPhase::Pending);
        let shift = (flags & SHIFT) >> SHIFT_AT;
        let (value, max) = if shift == 0 {
            (u64::from(progress as u32), progress >> 32)
        } else {
            widen(progress, shift)
        };
        let value = (flags & HAS_VALUE != 0).then_some(value);
        let max = (flags & HAS_MAX != 0).then_some(max);
        let bit = |b: u32| flags & b != 0;
        Self {
            phase,
            value,
            max,
            opened: bit(OPENED),
            cancelled: bit(CANCELLED),
            cancel_answered: bit(CANCEL_ANSWERED),
            skipped: bit(SKIPPED),
            skip_delivered: bit(SKIP_DELIVERED),
            in_sync_set: bit(IN_SYNC_SET),
            finished_by_host: bit(FINISHED_BY_HOST),
            has_text: bit(HAS_TEXT),
        }
    }

    /// The two words, without `BUSY`.
    #[inline(always)]
    pub(crate) fn encode(self) -> (u32, u64) {
        let bit = |set: bool, b: u32| if set { b } else { 0 };
        // `ItemPhase::index` is below 16.
        let flags = self.phase.index() as u32
            | bit(self.opened, OPENED)
            | bit(self.cancelled, CANCELLED)
            | bit(self.cancel_answered, CANCEL_ANSWERED)
            | bit(self.skipped, SKIPPED)
            | bit(self.skip_delivered, SKIP_DELIVERED)
            | bit(self.in_sync_set, IN_SYNC_SET)
            | bit(self.finished_by_host, FINISHED_BY_HOST)
            | bit(self.value.is_some(), HAS_VALUE)
            | bit(self.max.is_some(), HAS_MAX)
            | bit(self.has_text, HAS_TEXT);
        // The value rounds down and the maximum up, so that "value ≤ max"
        // and "the value did not go down" keep their answers.
        let (value, max) = (self.value.unwrap_or(0), self.max.unwrap_or(0));
        if (value | max) >> 32 == 0 {
            // Both fit 32 bits: exact, no scale (the common case).
            return (flags, value | (max << 32));
        }
        let (shift, progress) = narrow(value, max);
        (flags | (shift << SHIFT_AT), progress)
    }
}

/// The scale and the word of counts that do not both fit 32 bits (kept out
/// of line: the hot path's counts fit).
#[cold]
#[inline(never)]
fn narrow(value: u64, max: u64) -> (u32, u64) {
    let ceil = |n: u64, s: u32| (n >> s) + u64::from(s > 0 && n & ((1 << s) - 1) != 0);
    let mut shift = (u64::BITS - value.max(max).leading_zeros()).saturating_sub(32);
    if ceil(max, shift) > u64::from(u32::MAX) {
        shift += 1;
    }
    (shift, (value >> shift) | (ceil(max, shift) << 32))
}

/// The counts of a scaled word (saturating at `u64::MAX`).
#[cold]
#[inline(never)]
fn widen(progress: u64, shift: u32) -> (u64, u64) {
    let widen = |n: u64| {
        if n > u64::MAX >> shift {
            u64::MAX
        } else {
            n << shift
        }
    };
    (widen(u64::from(progress as u32)), widen(progress >> 32))
}

/// Names are stored in blocks of `1 << NAME_BLOCK_SHIFT` items, each with
/// a `usize` base, so an item's end fits a `u32`: a name is at most 127
/// UTF-16 units (`SyncItem` checks it), at most 381 bytes of UTF-8, and a
/// block of names at most 1.6 GB.
const NAME_BLOCK_SHIFT: u32 = if cfg!(test) { 1 } else { 22 };

/// Items of one enumeration, or those one retry added. Snapshots share a
/// segment (its ids and names) with the session.
pub(crate) struct Segment {
    /// The position of the first item.
    start: usize,
    ids: Box<[ItemId]>,
    /// Every name, one after the other; item `i`'s ends at
    /// `name_bases[i >> NAME_BLOCK_SHIFT] + name_ends[i]`.
    names: String,
    name_bases: Box<[usize]>,
    name_ends: Box<[u32]>,
    flags: Box<[AtomicU32]>,
    progress: Box<[AtomicU64]>,
    /// When each item started and finished: milliseconds + 1, 0 for none.
    started: Box<[AtomicU32]>,
    finished: Box<[AtomicU32]>,
    index: IdIndex,
    next: OnceLock<Arc<Segment>>,
}

impl Segment {
    /// The position of the segment's first item.
    pub(crate) fn start(&self) -> usize {
        self.start
    }

    /// The id of the segment's item `local`.
    pub(crate) fn id(&self, local: usize) -> ItemId {
        self.ids[local]
    }

    /// The name of the segment's item `local`.
    pub(crate) fn name(&self, local: usize) -> &str {
        let ends = &self.name_ends;
        let base = self.name_bases[local >> NAME_BLOCK_SHIFT];
        let start = if local.trailing_zeros() >= NAME_BLOCK_SHIFT {
            0
        } else {
            ends[local - 1] as usize
        };
        &self.names[base + start..base + ends[local] as usize]
    }

    fn find(&self, id: ItemId) -> Option<usize> {
        self.index
            .get(id, |p| self.ids[p as usize])
            .map(|p| p as usize)
    }
}

/// Collects the items of a new segment.
pub(crate) struct SegmentBuilder {
    ids: Vec<ItemId>,
    names: String,
    name_bases: Vec<usize>,
    name_ends: Vec<u32>,
    index: IdIndex,
}

impl SegmentBuilder {
    pub(crate) fn with_capacity(count: usize) -> Self {
        Self {
            ids: Vec::with_capacity(count),
            names: String::new(),
            name_bases: Vec::new(),
            name_ends: Vec::with_capacity(count),
            index: IdIndex::with_capacity(count),
        }
    }

    /// True when `id` was pushed already.
    pub(crate) fn contains(&self, id: ItemId) -> bool {
        self.index.get(id, |p| self.ids[p as usize]).is_some()
    }

    /// Add an item that is neither in the builder nor in the session;
    /// `name` is a valid item name (at most 127 UTF-16 units).
    pub(crate) fn push(&mut self, id: ItemId, name: &str) {
        let position = self.ids.len();
        if position.trailing_zeros() >= NAME_BLOCK_SHIFT {
            self.name_bases.push(self.names.len());
        }
        self.ids.push(id);
        self.names.push_str(name);
        let base = self.name_bases.last().copied().unwrap_or(0);
        let end = u32::try_from(self.names.len() - base).expect("a block of names fits a u32");
        self.name_ends.push(end);
        let ids = &self.ids;
        self.index.insert(id, position, |p| ids[p as usize]);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Every item a session knows, in enumeration order.
#[derive(Default)]
pub(crate) struct Items {
    first: OnceLock<Arc<Segment>>,
}

impl Items {
    fn segments(&self) -> impl Iterator<Item = &Arc<Segment>> {
        std::iter::successors(self.first.get(), |s| s.next.get())
    }

    /// The item with `id`, if the session knows it. Lock-free.
    #[inline]
    pub(crate) fn find(&self, id: ItemId) -> Option<ItemRef<'_>> {
        // The enumeration's segment first: retries rarely add items.
        let segment = &**self.first.get()?;
        match segment.find(id) {
            Some(local) => Some(ItemRef { segment, local }),
            None => Self::find_after(segment, id),
        }
    }

    /// [`find`](Self::find) in the segments after `first`.
    #[cold]
    #[inline(never)]
    fn find_after(first: &Segment, id: ItemId) -> Option<ItemRef<'_>> {
        std::iter::successors(first.next.get(), |s| s.next.get())
            .find_map(|segment| segment.find(id).map(|local| ItemRef { segment, local }))
    }

    /// Every item, in enumeration order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = ItemRef<'_>> {
        self.segments()
            .flat_map(|segment| (0..segment.ids.len()).map(move |local| ItemRef { segment, local }))
    }

    /// How many items there are.
    pub(crate) fn len(&self) -> usize {
        self.segments().map(|s| s.ids.len()).sum()
    }

    /// Append the builder's items as a new segment, each [`ItemBits::NEW`]
    /// with `IN_SYNC_SET` as given. Call only under the session's lock (one
    /// appender at a time).
    pub(crate) fn append(&self, builder: SegmentBuilder) {
        if builder.is_empty() {
            return;
        }
        let start = self.len();
        let count = builder.ids.len();
        let (flags, _) = ItemBits::NEW.encode();
        let segment = Arc::new(Segment {
            start,
            ids: builder.ids.into_boxed_slice(),
            names: builder.names,
            name_bases: builder.name_bases.into_boxed_slice(),
            name_ends: builder.name_ends.into_boxed_slice(),
            flags: (0..count).map(|_| AtomicU32::new(flags)).collect(),
            progress: (0..count).map(|_| AtomicU64::new(0)).collect(),
            started: (0..count).map(|_| AtomicU32::new(0)).collect(),
            finished: (0..count).map(|_| AtomicU32::new(0)).collect(),
            index: builder.index,
            next: OnceLock::new(),
        });
        let tail = match self.segments().last() {
            Some(last) => &last.next,
            None => &self.first,
        };
        assert!(tail.set(segment).is_ok(), "one appender at a time");
    }
}

/// One item's words as a snapshot keeps them: 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct ItemWords {
    /// The `progress` word.
    pub(crate) progress: u64,
    /// The `flags` word, without `BUSY`.
    pub(crate) flags: u32,
    /// When the item started: milliseconds + 1, 0 for none.
    pub(crate) started: u32,
}

impl ItemWords {
    /// The item's state.
    #[inline]
    pub(crate) fn bits(self) -> ItemBits {
        ItemBits::decode(self.flags, self.progress)
    }
}

impl Items {
    /// A segment of the builder's items that belongs to no session (the
    /// ids and names of a deserialized snapshot); `None` for no items.
    #[cfg(feature = "serde")]
    pub(crate) fn detached(builder: SegmentBuilder) -> Option<Arc<Segment>> {
        let items = Items::default();
        items.append(builder);
        items.first.get().cloned()
    }

    /// How many segments there are.
    pub(crate) fn segment_count(&self) -> usize {
        self.segments().count()
    }

    /// The segments, shared (for a snapshot's ids and names).
    pub(crate) fn shared_segments(&self) -> Vec<Arc<Segment>> {
        self.segments().cloned().collect()
    }

    /// Copy every item's words into `words` (overwritten, reusing its
    /// memory), showing each to `seen` on the way (one pass over the
    /// memory), and call `finished(position, stamp)` for each item with a
    /// finish time. Each item is read as [`ItemRef::read`] reads it.
    pub(crate) fn copy_words(
        &self,
        words: &mut Vec<ItemWords>,
        mut seen: impl FnMut(ItemWords),
        mut finished: impl FnMut(usize, u32),
    ) {
        words.clear();
        words.reserve_exact(self.len());
        for segment in self.segments() {
            let items = segment
                .flags
                .iter()
                .zip(segment.progress.iter())
                .zip(segment.started.iter());
            words.extend(items.map(|((flags, progress), started)| {
                let words = ItemWords {
                    flags: flags.load(Ordering::Acquire) & !BUSY,
                    progress: progress.load(Ordering::Acquire),
                    started: started.load(Ordering::Acquire),
                };
                seen(words);
                words
            }));
            for (local, stamp) in segment.finished.iter().enumerate() {
                let stamp = stamp.load(Ordering::Acquire);
                if stamp != 0 {
                    finished(segment.start + local, stamp);
                }
            }
        }
    }
}

/// One item of [`Items`].
#[derive(Clone, Copy)]
pub(crate) struct ItemRef<'a> {
    segment: &'a Segment,
    local: usize,
}

impl<'a> ItemRef<'a> {
    pub(crate) fn id(self) -> ItemId {
        self.segment.ids[self.local]
    }

    #[cfg(test)]
    pub(crate) fn name(self) -> &'a str {
        self.segment.name(self.local)
    }

    /// The item's position over all segments; the key of what the session
    /// keeps for it under its lock (texts, cancel reasons).
    pub(crate) fn position(self) -> usize {
        self.segment.start + self.local
    }

    /// Record that the item started (again) at `at`: the start is
    /// overwritten and the finish cleared, as for a retry.
    pub(crate) fn stamp_started(self, at: Duration) {
        self.segment.finished[self.local].store(0, Ordering::Relaxed);
        self.segment.started[self.local].store(stamp(at), Ordering::Release);
    }

    /// Record that the item finished at `at`.
    pub(crate) fn stamp_finished(self, at: Duration) {
        self.segment.finished[self.local].store(stamp(at), Ordering::Release);
    }

    /// The item's state now, without its `BUSY` bit (for snapshots: a
    /// concurrent writer's two words may be seen from either side of its
    /// update, each word whole).
    #[inline]
    pub(crate) fn read(self) -> ItemBits {
        let flags = self.segment.flags[self.local].load(Ordering::Acquire);
        let progress = self.segment.progress[self.local].load(Ordering::Acquire);
        ItemBits::decode(flags, progress)
    }

    /// The hot path's one case, on the raw words: a new value for an
    /// opened item of the synchronize set that is `Updating`, has nothing
    /// requested of it and unscaled counts, where the value neither goes
    /// down nor passes the maximum. True when applied; false when anything
    /// else holds, and then nothing changed (the general path decides).
    /// `gate_open` is read again once the bit is held, as the general path
    /// does.
    #[inline(always)]
    pub(crate) fn try_move_value(self, value: u32, gate_open: impl Fn() -> bool) -> bool {
        const MUST: u32 = IN_SYNC_SET | OPENED;
        const UPDATING: u32 = ItemPhase::Updating.index() as u32;
        const CHECKED: u32 = MUST
            | PHASE
            | BUSY
            | CANCELLED
            | CANCEL_ANSWERED
            | SKIPPED
            | SKIP_DELIVERED
            | FINISHED_BY_HOST
            | SHIFT;
        let flags = &self.segment.flags[self.local];
        let word = flags.load(Ordering::Relaxed);
        if word & CHECKED != MUST | UPDATING
            || flags
                .compare_exchange(word, word | BUSY, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
        {
            return false;
        }
        let progress = &self.segment.progress[self.local];
        let old = progress.load(Ordering::Relaxed);
        // The low half is the value, the high half the maximum (unscaled).
        let (old_value, max) = (old as u32, (old >> 32) as u32);
        if !gate_open()
            || (word & HAS_VALUE != 0 && value < old_value)
            || (word & HAS_MAX != 0 && value > max)
        {
            flags.store(word, Ordering::Release);
            return false;
        }
        progress.store(
            old & !u64::from(u32::MAX) | u64::from(value),
            Ordering::Relaxed,
        );
        flags.store(word | HAS_VALUE, Ordering::Release);
        true
    }

    /// Take the item's `BUSY` bit; the guard stores the (changed) state
    /// back and clears the bit when dropped.
    // Always inlined: the lock-free report path is this and a few loads.
    #[inline(always)]
    pub(crate) fn lock(self) -> ItemGuard<'a> {
        let flags = &self.segment.flags[self.local];
        let mut spins = 0u32;
        let word = loop {
            let word = flags.load(Ordering::Relaxed);
            if word & BUSY == 0
                && flags
                    .compare_exchange_weak(word, word | BUSY, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            {
                break word;
            }
            // Another writer holds the bit for a few instructions; give up
            // the core if it was preempted meanwhile.
            spins += 1;
            crate::sync::spin(spins);
        };
        let progress = &self.segment.progress[self.local];
        let bits = ItemBits::decode(word, progress.load(Ordering::Relaxed));
        ItemGuard {
            flags,
            progress,
            bits,
        }
    }
}

/// A timestamp as stored: whole milliseconds + 1 (0 means none),
/// saturating.
pub(crate) fn stamp(at: Duration) -> u32 {
    u32::try_from(at.as_millis())
        .unwrap_or(u32::MAX)
        .saturating_add(1)
}

/// A stored timestamp back as a time, `None` for none.
pub(crate) fn unstamp(stamp: u32) -> Option<Duration> {
    stamp
        .checked_sub(1)
        .map(|ms| Duration::from_millis(u64::from(ms)))
}

/// Exclusive write access to one item (its `BUSY` bit).
pub(crate) struct ItemGuard<'a> {
    flags: &'a AtomicU32,
    progress: &'a AtomicU64,
    /// The item's state; stored back when the guard is dropped.
    pub(crate) bits: ItemBits,
}

impl Drop for ItemGuard<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        let (flags, progress) = self.bits.encode();
        self.progress.store(progress, Ordering::Relaxed);
        self.flags.store(flags, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(names: &[&str]) -> Items {
        let items = Items::default();
        let mut builder = SegmentBuilder::with_capacity(names.len());
        for (n, name) in names.iter().enumerate() {
            builder.push(ItemId::from_u128(n as u128 + 1), name);
        }
        items.append(builder);
        items
    }

    fn bits_again(bits: ItemBits) -> (u32, u64) {
        bits.encode()
    }

    #[test]
    fn bits_round_trip_through_the_words() {
        let samples = [
            ItemBits::NEW,
            ItemBits {
                phase: ItemPhase::Disconnected,
                value: Some(u64::from(u32::MAX)),
                max: Some(0),
                opened: true,
                cancelled: true,
                cancel_answered: true,
                skipped: true,
                skip_delivered: true,
                in_sync_set: true,
                finished_by_host: true,
                has_text: true,
            },
            ItemBits {
                value: Some(0),
                max: None,
                ..ItemBits::NEW.restarted()
            },
        ];
        for bits in samples {
            let (flags, progress) = bits.encode();
            assert_eq!(flags & BUSY, 0);
            assert_eq!(ItemBits::decode(flags, progress), bits);
        }
        for (value, max) in [
            (1u64 << 40, (1 << 41) + 2),
            (u64::MAX, u64::MAX),
            (7, 1 << 33),
        ] {
            let bits = ItemBits {
                value: Some(value),
                max: Some(max),
                ..ItemBits::NEW
            };
            let (flags, progress) = bits.encode();
            let back = ItemBits::decode(flags, progress);
            let (v, m) = (back.value.unwrap(), back.max.unwrap());
            // The value rounds down, the maximum up, each by less than
            // 2^-31 of the larger count.
            let step = (value.max(max) >> 31) + 1;
            assert!(v <= value && value - v <= step, "{value} {v}");
            assert!(m >= max && m - max <= step, "{max} {m}");
            assert_eq!(
                ItemBits::decode(bits_again(back).0, bits_again(back).1),
                back
            );
        }
        for phase in ItemPhase::ALL {
            let bits = ItemBits {
                phase,
                ..ItemBits::NEW
            };
            let (flags, progress) = bits.encode();
            assert_eq!(ItemBits::decode(flags, progress).phase, phase);
        }
    }

    #[test]
    fn segments_keep_positions_names_and_order() {
        let items = items(&["a", "", "ccc"]);
        let mut builder = SegmentBuilder::with_capacity(1);
        builder.push(ItemId::from_u128(99), "late");
        assert!(builder.contains(ItemId::from_u128(99)));
        items.append(builder);
        items.append(SegmentBuilder::with_capacity(0));
        let all: Vec<(usize, ItemId, String)> = items
            .iter()
            .map(|r| (r.position(), r.id(), r.name().to_owned()))
            .collect();
        assert_eq!(
            all,
            [
                (0, ItemId::from_u128(1), "a".to_owned()),
                (1, ItemId::from_u128(2), String::new()),
                (2, ItemId::from_u128(3), "ccc".to_owned()),
                (3, ItemId::from_u128(99), "late".to_owned()),
            ]
        );
        assert_eq!(items.len(), 4);
        let many: Vec<String> = (0..9).map(|n| "x".repeat(n)).collect();
        let named = self::items(&many.iter().map(String::as_str).collect::<Vec<_>>());
        let names: Vec<&str> = named.iter().map(ItemRef::name).collect();
        assert_eq!(names, many, "names across blocks of two");
        assert_eq!(
            items.find(ItemId::from_u128(99)).map(ItemRef::position),
            Some(3)
        );
        assert!(items.find(ItemId::from_u128(4)).is_none());
        assert!(Items::default().find(ItemId::from_u128(1)).is_none());
    }

    #[test]
    fn a_guard_stores_back_and_releases_the_bit() {
        let items = items(&["a"]);
        let item = items.find(ItemId::from_u128(1)).unwrap();
        {
            let mut guard = item.lock();
            guard.bits.value = Some(5);
            guard.bits.opened = true;
        }
        let read = item.read();
        assert_eq!((read.value, read.opened), (Some(5), true));
        // The bit is free again: a second lock does not spin forever.
        drop(item.lock());
    }
}
