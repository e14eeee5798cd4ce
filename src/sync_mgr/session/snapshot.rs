//! What a UI pulls: [`SessionSnapshot`] and [`ItemSnapshot`], taken at one
//! instant under the session's lock, and the overall figures a host derives
//! from them.

use crate::{CancelReason, ItemId, ItemPhase, LogEntry, SessionPhase};

use super::Session;
use super::items::{ItemBits, ItemRef};
use super::state::State;

/// One item as a UI sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemSnapshot {
    /// The item's id.
    pub id: ItemId,
    /// Its name, as enumerated (empty for items that only arrived on a retry).
    pub name: String,
    /// Its phase.
    pub phase: ItemPhase,
    /// The last progress value reported.
    pub value: Option<i32>,
    /// The last maximum reported.
    pub max: Option<i32>,
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
}

impl ItemSnapshot {
    /// The item's progress from 0.0 to 1.0: 1.0 once finished, value / max
    /// while both are known, 0.0 otherwise.
    pub fn fraction(&self) -> f64 {
        if self.phase.is_terminal() {
            return 1.0;
        }
        match (self.value, self.max) {
            (Some(value), Some(max)) if max > 0 => (f64::from(value) / f64::from(max)).min(1.0),
            _ => 0.0,
        }
    }
}

/// Everything a UI shows, taken at one instant.
#[derive(Debug, Clone, PartialEq)]
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
    /// the set is empty).
    pub fn overall(&self) -> f64 {
        mean_fraction(self.sync_set())
    }
}

/// How many of `items` have finished, and how many there are.
pub(crate) fn finished_of<'a>(items: impl IntoIterator<Item = &'a ItemSnapshot>) -> (usize, usize) {
    items.into_iter().fold((0, 0), |(done, total), item| {
        (done + usize::from(item.phase.is_terminal()), total + 1)
    })
}

/// The mean [`ItemSnapshot::fraction`] of `items`, each item counting the
/// same; 0.0 for no items.
pub(crate) fn mean_fraction<'a>(items: impl IntoIterator<Item = &'a ItemSnapshot>) -> f64 {
    let (sum, count) = items.into_iter().fold((0.0, 0usize), |(sum, count), item| {
        (sum + item.fraction(), count + 1)
    });
    if count == 0 { 0.0 } else { sum / count as f64 }
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
        let st = self.shared.state.lock();
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
    }
}
