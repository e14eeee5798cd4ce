//! The reporter's item table: one atomic word per item (its phase and
//! what cancelled it), grown in chunks that never move, and indexed by id.

#[allow(clippy::wildcard_imports)]
use super::*;

/// The bits of an item's word in the reporter's table.
///
/// | bits | meaning |
/// |---|---|
/// | 0–1 | cancel cause: 0 none, [`CANCEL_ANSWERED`], [`SKIPPED`]; leaves 0 at most once |
/// | 2 | [`ALL`]: the host answered cancel-all (set on every item) |
/// | 3 | [`OPEN`]: an [`ItemReporter`] is open for the item |
/// | 4–7 | the index in [`ItemPhase::ALL`] of the last status the host accepted |
pub(super) mod bits {
    /// The cause bits.
    pub(in crate::sync_mgr::reporter) const CAUSE: u32 = 0b11;
    /// The host answered `CancelItem` to a report for the item.
    pub(in crate::sync_mgr::reporter) const CANCEL_ANSWERED: u32 = 1;
    /// The host skipped the item (`SetItemStatus(SKIPPED)`).
    pub(in crate::sync_mgr::reporter) const SKIPPED: u32 = 2;
    /// The host answered cancel-all.
    pub(in crate::sync_mgr::reporter) const ALL: u32 = 1 << 2;
    /// An item reporter is open.
    pub(in crate::sync_mgr::reporter) const OPEN: u32 = 1 << 3;
    /// Where the phase index starts.
    pub(in crate::sync_mgr::reporter) const PHASE_SHIFT: u32 = 4;
    /// The phase bits.
    pub(in crate::sync_mgr::reporter) const PHASE: u32 = 0b1111 << PHASE_SHIFT;
}

/// What the reporter knows about one item, in one atomic word (see
/// [`bits`]); shared between the [`ProgressReporter`]'s table and the item's
/// [`ItemReporter`].
///
/// The item's [`CancelToken`], made on first request, is kept by the
/// reporter beside the table (few items have one): see
/// [`ProgressReporter::cancel_token`].
#[derive(Debug)]
pub(super) struct ItemState {
    pub(super) word: AtomicU32,
    /// The last work done the host accepted, [`NO_VALUE`] before the
    /// first; written only by the item's open [`ItemReporter`].
    pub(super) value: AtomicU64,
}

/// [`ItemState::value`] before any work done was reported.
pub(super) const NO_VALUE: u64 = u64::MAX;

impl ItemState {
    pub(super) fn new(all_cancelled: bool) -> Self {
        let all = if all_cancelled { bits::ALL } else { 0 };
        Self {
            word: AtomicU32::new(all | Self::phase_bits(ItemPhase::Pending)),
            value: AtomicU64::new(NO_VALUE),
        }
    }

    /// The last work done the host accepted for the item.
    pub(super) fn value(&self) -> Option<u64> {
        Some(self.value.load(Ordering::Acquire)).filter(|&value| value != NO_VALUE)
    }

    pub(super) fn set_value(&self, value: u64) {
        if value != NO_VALUE {
            self.value.store(value, Ordering::Release);
        }
    }

    /// Cancel `token` with the recorded cause, if there is one.
    pub(super) fn fire(&self, token: &CancelToken) {
        match self.cause() {
            bits::SKIPPED => token.cancel(CancelReason::Skipped),
            0 => false,
            _ => token.cancel(CancelReason::Host),
        };
    }

    pub(super) fn phase_bits(phase: ItemPhase) -> u32 {
        // `ItemPhase::index` is below 16 (`ItemPhase::ALL` has 11 phases).
        (phase.index() as u32) << bits::PHASE_SHIFT
    }

    /// Cancelled by an answer, a skip or cancel-all: one atomic load.
    #[inline]
    pub(super) fn is_cancelled(&self) -> bool {
        self.word.load(Ordering::Acquire) & (bits::CAUSE | bits::ALL) != 0
    }

    /// The item's own cancel cause (not cancel-all).
    pub(super) fn cause(&self) -> u32 {
        self.word.load(Ordering::Acquire) & bits::CAUSE
    }

    /// Record a cancel cause unless one is already recorded (the item's
    /// token is the reporter's to fire: [`ProgressReporter::cancel_item`]).
    pub(super) fn cancel(&self, cause: u32) {
        let _ = self
            .word
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |word| {
                (word & bits::CAUSE == 0).then_some(word | cause)
            });
    }

    pub(super) fn phase(&self) -> ItemPhase {
        Self::phase_in(self.word.load(Ordering::Acquire))
    }

    /// True when the phase recorded in `word` is terminal: one shift and
    /// mask, no decoding.
    #[inline]
    pub(super) fn is_terminal_in(word: u32) -> bool {
        /// Bit `i` set when `ItemPhase::ALL[i]` is terminal.
        const TERMINAL: u32 = {
            let mut mask = 0;
            let mut index = 0;
            while index < ItemPhase::ALL.len() {
                if ItemPhase::ALL[index].is_terminal() {
                    mask |= 1 << index;
                }
                index += 1;
            }
            mask
        };
        (TERMINAL >> ((word & bits::PHASE) >> bits::PHASE_SHIFT)) & 1 != 0
    }

    /// The phase recorded in an item's `word`.
    #[inline]
    pub(super) fn phase_in(word: u32) -> ItemPhase {
        let index = (word & bits::PHASE) >> bits::PHASE_SHIFT;
        // Only `set_phase` stores, so the index is always valid.
        ItemPhase::from_index(index as usize).unwrap_or(ItemPhase::Pending)
    }

    /// Store the phase; a read-modify-write only when it changes.
    pub(super) fn set_phase(&self, phase: ItemPhase) {
        let wanted = Self::phase_bits(phase);
        if self.word.load(Ordering::Acquire) & bits::PHASE != wanted {
            let _ = self
                .word
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |word| {
                    Some(word & !bits::PHASE | wanted)
                });
        }
    }

    /// Mark the item open; false if it already was.
    pub(super) fn open(&self) -> bool {
        self.word.fetch_or(bits::OPEN, Ordering::AcqRel) & bits::OPEN == 0
    }

    pub(super) fn close(&self) {
        self.word.fetch_and(!bits::OPEN, Ordering::Release);
    }
}

/// Cells of the first chunk; chunk `k` has `FIRST_CHUNK << k` cells.
pub(super) const FIRST_CHUNK: usize = 64;
/// Enough chunks for every `u32` position.
pub(super) const CHUNKS: usize = 27;

/// The reporter's items: an id index behind a lock (taken once per item, to
/// begin, skip or ask about it) and the items' words in chunks that never
/// move, so an [`ItemReporter`] borrows its word for as long as it lives.
#[derive(Default)]
pub(super) struct ItemTable {
    /// The ids in insertion order (position = cell number) and their index.
    pub(super) index: RwLock<(Vec<ItemId>, IdIndex)>,
    pub(super) chunks: [OnceLock<Box<[ItemState]>>; CHUNKS],
}

impl ItemTable {
    /// The chunk and the offset in it of cell `position`.
    pub(super) fn locate(position: usize) -> (usize, usize) {
        let scaled = position / FIRST_CHUNK + 1;
        let chunk = (usize::BITS - 1 - scaled.leading_zeros()) as usize;
        (chunk, position - FIRST_CHUNK * ((1 << chunk) - 1))
    }

    pub(super) fn cell(&self, position: usize) -> &ItemState {
        let (chunk, offset) = Self::locate(position);
        &self.chunks[chunk]
            .get()
            .expect("cells exist for every position")[offset]
    }

    pub(super) fn find(&self, item: ItemId) -> Option<&ItemState> {
        let position = {
            let index = self.index.read();
            let (ids, index) = &*index;
            index.get(item, |p| ids[p as usize])?
        };
        Some(self.cell(position as usize))
    }

    /// The item's cell, made on first use (born cancelled after cancel-all).
    pub(super) fn entry(&self, item: ItemId, all_cancelled: &AtomicBool) -> &ItemState {
        if let Some(cell) = self.find(item) {
            return cell;
        }
        let mut index = self.index.write();
        let (ids, index) = &mut *index;
        if let Some(position) = index.get(item, |p| ids[p as usize]) {
            return self.cell(position as usize);
        }
        let position = ids.len();
        let (chunk, offset) = Self::locate(position);
        let born_cancelled = all_cancelled.load(Ordering::SeqCst);
        let cells = self.chunks[chunk].get_or_init(|| {
            (0..FIRST_CHUNK << chunk)
                .map(|_| ItemState::new(false))
                .collect()
        });
        let init = ItemState::new(born_cancelled).word.load(Ordering::Relaxed);
        // Nobody sees the cell before the id is indexed, under this lock.
        cells[offset].word.store(init, Ordering::Release);
        cells[offset].value.store(NO_VALUE, Ordering::Release);
        ids.push(item);
        index.insert(item, position, |p| ids[p as usize]);
        &cells[offset]
    }

    /// Mark every item cancelled-all (items made later are born so).
    pub(super) fn cancel_all(&self) {
        let index = self.index.read();
        for position in 0..index.0.len() {
            self.cell(position)
                .word
                .fetch_or(bits::ALL, Ordering::AcqRel);
        }
    }

    pub(super) fn len(&self) -> usize {
        self.index.read().0.len()
    }
}
