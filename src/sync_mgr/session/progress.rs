//! The checked progress path: a report that breaks no rule, carries no
//! text and meets no cancel is applied lock-free under its item's `BUSY`
//! bit; everything else is checked from scratch under the session's lock.
//! See the module docs of [`session`](super) for the invariants.

use crate::core::rule::Refusal;
use crate::sync::Ordering;
use crate::{
    CallbackError, CancelDecision, ItemId, ItemPhase, Mode, ProgressItem, Rule, SessionEvent,
    SyncMgrProgress, SyncMgrStatus, Violation,
};

use super::Session;
use super::items::{ItemBits, ItemGuard, ItemRef};
use super::state::{State, gate};

impl Session {
    #[inline]
    pub(super) fn progress(
        &self,
        released: bool,
        item: ItemId,
        report: Option<&SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError> {
        if !released && let Some(decision) = self.progress_lock_free(item, report) {
            return Ok(decision);
        }
        self.progress_locked(released, item, report)
    }

    /// `Progress` checked from scratch under the session's lock: every
    /// report the lock-free path does not take.
    #[inline(never)]
    fn progress_locked(
        &self,
        released: bool,
        item: ItemId,
        report: Option<&SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError> {
        self.update(|st, events| {
            let call = "Progress";
            self.check_not_released(st, events, released, call, Some(item))?;
            if !st.progress_open() {
                self.breach(
                    st,
                    events,
                    Rule::PROGRESS_WINDOW,
                    call,
                    Some(item),
                    "Progress between PrepareForSync and SynchronizeCompleted",
                    format!("Progress in phase {:?}", st.phase()),
                    Refusal::Unexpected,
                )?;
            }
            // `in_sync_set` changes only under the session's lock.
            let found = self.shared.items.find(item);
            let target = match found {
                Some(found) if found.read().in_sync_set => Some(found),
                known => {
                    let got = if known.is_some() {
                        "an item outside the prepared set"
                    } else {
                        "an unknown item"
                    };
                    self.breach(
                        st,
                        events,
                        Rule::PREPARED_SET,
                        call,
                        Some(item),
                        "an item of the prepared set",
                        got,
                        Refusal::InvalidArgument,
                    )?;
                    known
                }
            };
            let Some(target) = target else {
                // Tolerated (lenient): answer the handler-wide cancel only.
                return Ok(if st.cancel_all.is_some() {
                    st.tell_cancel_all();
                    CancelDecision::CancelAll
                } else {
                    CancelDecision::Continue
                });
            };
            let mut record = target.lock();
            // A terminal report on an item whose call was answered a cancel
            // acknowledges it; it does not open a new item.
            let acknowledges = record.bits.cancel_answered
                && report
                    .and_then(SyncMgrProgress::status)
                    .is_some_and(SyncMgrStatus::is_terminal);
            let opens_new_item = !record.bits.opened && !acknowledges && st.cancel_all.is_some();
            if opens_new_item && !st.this_thread_was_told_cancel_all() {
                // §G.3 #23 as the crate states it: a call that opens a new
                // item on a thread that was not yet answered CANCELALL began
                // before the handler could have known (another of its
                // threads may have been told a moment ago). It is answered
                // CANCELALL, not applied (the item stays unopened; the host
                // finishes it) and not recorded, in both modes.
                return Ok(Self::answer(st, &mut record));
            }
            if opens_new_item {
                // §G.3 #23 broken: this thread was told and opens a new item
                // all the same. Even a strict host answers CANCELALL (the
                // report is not applied) rather than an error: the thread
                // learns to stop.
                // Only the strict answer is given here: answering marks the
                // item cancel-answered, which must not colour the lenient
                // check of this same report (§G.3 #22 needs an earlier answer).
                let answered = self.strict().then(|| Self::answer(st, &mut record));
                Self::record(
                    st,
                    events,
                    Violation {
                        rule: Rule::NO_NEW_ITEM_AFTER_CANCEL_ALL,
                        call,
                        item: Some(item.into()),
                        expected: "no new item after CANCELALL".into(),
                        got: "a Progress opening a new item".into(),
                        answered: answered.map(CancelDecision::to_hresult),
                    },
                );
                if let Some(answered) = answered {
                    return Ok(answered);
                }
            }
            if Self::skip_race(&record, report) {
                // §G.2 #18: the first non-terminal call after the skip was
                // delivered may have been under way when it arrived.
                let answer = Self::answer(st, &mut record);
                record.bits.cancel_answered = true;
                return Ok(match answer {
                    CancelDecision::Continue => CancelDecision::CancelItem,
                    cancel => cancel,
                });
            }
            match report {
                Some(report) => {
                    if !self.apply_report(st, events, target, &mut record, report)? {
                        return Ok(Self::answer(st, &mut record));
                    }
                }
                // A pure cancellation poll (§G.3 #25) changes nothing but
                // opens the item: the handler asked before starting it.
                None => Self::open(events, target, &mut record.bits),
            }
            Ok(Self::answer(st, &mut record))
        })
    }

    /// The hot path of `Progress`: a report on an item of the prepared set
    /// that breaks no rule, carries no text and meets no cancel, applied
    /// under the item's bit alone (see [`Items`]). `None` sends the call
    /// down the locked path, which checks and applies everything; nothing
    /// has changed then.
    #[inline]
    pub(super) fn progress_lock_free(
        &self,
        item: ItemId,
        report: Option<&SyncMgrProgress>,
    ) -> Option<CancelDecision> {
        let shared = &*self.shared;
        if shared.gate.load(Ordering::Acquire) != gate::OPEN
            || report.is_some_and(|r| r.status_text().is_some())
        {
            return None;
        }
        let target = shared.items.find(item)?;
        // The common report — a bare new value on an item under way —
        // straight on the item's words.
        if let Some(value) = report.and_then(SyncMgrProgress::bare_value)
            && target.try_move_value(value, || shared.gate.load(Ordering::Acquire) == gate::OPEN)
        {
            return Some(CancelDecision::Continue);
        }
        self.progress_decoded(target, report)
    }

    /// The rest of the lock-free path, on the item's decoded state: the
    /// first report of an item, a status, a pure poll, counts that need a
    /// scale. `None` as for [`progress_lock_free`](Self::progress_lock_free).
    #[inline(never)]
    fn progress_decoded(
        &self,
        target: ItemRef<'_>,
        report: Option<&SyncMgrProgress>,
    ) -> Option<CancelDecision> {
        let shared = &*self.shared;
        let mut events = Vec::new();
        {
            let mut record = target.lock();
            // Seen again under the bit: a cycle that ended (or a cancel-all
            // that arrived) before the host took this item is seen here.
            let bits = record.bits;
            if shared.gate.load(Ordering::Acquire) != gate::OPEN
                || !bits.in_sync_set
                || bits.phase.is_terminal()
                || bits.cancelled
                || bits.cancel_answered
                || bits.skipped
            {
                return None;
            }
            if let Some(report) = report {
                let status = report.status();
                if !bits.opened && status.is_some_and(SyncMgrStatus::is_terminal) {
                    return None; // §G.3 #20
                }
                let next = match status {
                    Some(status) => Some(bits.phase.on(status).ok()?),
                    None => None,
                };
                let value = report.completed().or(bits.value);
                let max = report.total().or(bits.max);
                let changes_range = report.completed().is_some() || report.total().is_some();
                if changes_range && value.zip(max).is_some_and(|(v, m)| v > m) {
                    return None; // §G.3 #27
                }
                let still_updating = bits.phase.status().is_updating()
                    && next.is_none_or(|p| p.status().is_updating());
                if still_updating
                    && report
                        .completed()
                        .zip(bits.value)
                        .is_some_and(|(n, o)| n < o)
                {
                    return None; // §G.3 #27
                }
                Self::open(&mut events, target, &mut record.bits);
                let record = &mut record.bits;
                record.value = value;
                record.max = max;
                if let Some(next) = next {
                    Self::move_to(&mut events, target, record, next);
                }
            } else {
                Self::open(&mut events, target, &mut record.bits);
            }
        }
        if !events.is_empty() {
            self.publish(events);
        }
        Some(CancelDecision::Continue)
    }

    /// True for the first non-terminal call (report or poll) on an item
    /// after `SetItemStatus(SKIPPED)` was delivered, before any cancel
    /// answer for it.
    ///
    /// A handler thread checks for a skip and then reports; the skip can
    /// reach another of its threads in between, and no handler can rule
    /// that out (the race of §G.3 #23 for skips). So that call is answered
    /// `CancelItem`, not applied and not held against the handler; the
    /// handler has been told twice then, and a further non-terminal report
    /// is a §G.2 #18 breach. (A `DELETED` in that position finishes the
    /// item as reported: `apply_report` does not hold it against the
    /// handler either.)
    fn skip_race(record: &ItemGuard<'_>, report: Option<&SyncMgrProgress>) -> bool {
        let bits = &record.bits;
        bits.skip_delivered
            && !bits.cancel_answered
            && !bits.phase.is_terminal()
            && report
                .and_then(SyncMgrProgress::status)
                .is_none_or(|s| !s.is_terminal())
    }

    pub(super) fn strict(&self) -> bool {
        self.shared.config.mode == Mode::Strict
    }

    /// Record `violation` and publish it (after the lock is released).
    pub(super) fn record(st: &mut State, events: &mut Vec<SessionEvent>, violation: Violation) {
        crate::core::rule::debug_check_answer(&violation, st.mode);
        st.violations.push(violation.clone());
        events.push(SessionEvent::ViolationRecorded(violation));
    }

    #[inline]
    pub(super) fn open(events: &mut Vec<SessionEvent>, item: ItemRef<'_>, record: &mut ItemBits) {
        if !record.opened {
            record.opened = true;
            events.push(SessionEvent::ItemStarted { item: item.id() });
        }
    }

    /// Move the item to `next`, announcing it when that finishes it.
    pub(super) fn move_to(
        events: &mut Vec<SessionEvent>,
        item: ItemRef<'_>,
        record: &mut ItemBits,
        next: ItemPhase,
    ) {
        let finished_now =
            next.is_terminal() && (!record.phase.is_terminal() || next != record.phase);
        record.phase = next;
        if finished_now {
            events.push(SessionEvent::ItemFinished {
                item: item.id(),
                status: next.status(),
                by_host: false,
            });
        }
    }

    /// The cancel decision for a progress call on `record` ([§G.3 #21](crate::protocol#fact-21)).
    pub(super) fn answer(st: &mut State, record: &mut ItemGuard<'_>) -> CancelDecision {
        if st.cancel_all.is_some() {
            st.tell_cancel_all();
            record.bits.cancel_answered = true;
            CancelDecision::CancelAll
        } else if record.bits.cancelled || (record.bits.skipped && !record.bits.skip_delivered) {
            // A skip not delivered yet is answered as a cancel of the item:
            // the handler learns of it at its next report even when no
            // `SetItemStatus` window opens before it completes.
            record.bits.cancel_answered = true;
            CancelDecision::CancelItem
        } else {
            CancelDecision::Continue
        }
    }

    /// Check a report against every rule and apply it. Returns false when the
    /// host does not apply it but answers with the pending cancel instead
    /// ([§G.3 #22](crate::protocol#rule-22): "the host re-answers CANCELITEM").
    pub(super) fn apply_report(
        &self,
        st: &mut State,
        events: &mut Vec<SessionEvent>,
        item: ItemRef<'_>,
        record: &mut ItemGuard<'_>,
        report: &SyncMgrProgress,
    ) -> Result<bool, CallbackError> {
        let id = item.id();
        let call = "Progress";
        let status = report.status();
        let (opened, phase) = (record.bits.opened, record.bits.phase);
        let status_text = |s: Option<SyncMgrStatus>| s.map_or_else(String::new, |s| s.to_string());
        // An item skipped before it started may acknowledge with a terminal
        // first report: §G.2 #18 allows nothing else.
        // So may an item whose opening call was answered a cancel: the host
        // did not open it (§G.3 #23) and the handler acknowledges.
        let skip_delivered = record.bits.skip_delivered;
        let acknowledges = skip_delivered || record.bits.cancel_answered;
        if !opened && !acknowledges && status.is_some_and(SyncMgrStatus::is_terminal) {
            self.breach(
                st,
                events,
                Rule::PROGRESS_BEFORE_ITEM,
                call,
                Some(id),
                "a non-terminal first report",
                format!("a first report of {}", status_text(status)),
                Refusal::InvalidArgument,
            )?;
        }
        // §G.3 #22 applies once this item's own call was answered with a
        // cancel (CANCELITEM, or CANCELALL on a call naming it).
        // (A skipped item is held to §G.2 #18 below instead.)
        if record.bits.cancel_answered && !record.bits.skip_delivered && !phase.is_terminal() {
            let ends = |s: SyncMgrStatus| {
                matches!(
                    s,
                    SyncMgrStatus::Stopped | SyncMgrStatus::Skipped | SyncMgrStatus::Failed
                )
            };
            let more_work = report
                .completed()
                .zip(record.bits.value)
                .is_some_and(|(new, old)| new > old);
            let bad_status = status.is_some_and(|s| !ends(s));
            if bad_status || more_work {
                let got = match status {
                    Some(s) if bad_status => format!("status {s}"),
                    _ => "an increasing progress value".to_owned(),
                };
                let answered = self.strict().then(|| Self::answer(st, record));
                Self::record(
                    st,
                    events,
                    Violation {
                        rule: Rule::CANCELLED_ITEM_ENDS,
                        call,
                        item: Some(id.into()),
                        expected: "STOPPED, SKIPPED or FAILED after a cancel".into(),
                        got,
                        answered: answered.map(CancelDecision::to_hresult),
                    },
                );
                if answered.is_some() {
                    return Ok(false);
                }
            }
        }
        // A DELETED that is the first call after the skip was delivered may
        // have been under way when it arrived (see `skip_race`): applied.
        let deleted_in_race =
            status == Some(SyncMgrStatus::Deleted) && !record.bits.cancel_answered;
        if record.bits.skip_delivered
            && !deleted_in_race
            && status.is_some_and(|s| !s.is_terminal() || s == SyncMgrStatus::Deleted)
        {
            self.breach(
                st,
                events,
                Rule::SKIP_WINDOW,
                call,
                Some(id),
                "a terminal status after SetItemStatus(SKIPPED)",
                format!("status {}", status_text(status)),
                Refusal::AccessDenied,
            )?;
        }
        let next_phase = match status.map(|s| phase.on(s)) {
            None => None,
            Some(Ok(next)) => Some(next),
            Some(Err(violation)) => {
                let refusal = if violation.rule == Rule::TERMINAL_IS_FINAL {
                    Refusal::AccessDenied
                } else {
                    Refusal::InvalidArgument
                };
                self.breach(
                    st,
                    events,
                    violation.rule,
                    call,
                    Some(id),
                    violation.expected,
                    format!("{} in phase {}", violation.reported, violation.from),
                    refusal,
                )?;
                None
            }
        };
        // A finished item's record is final (#61): after its terminal status
        // only a move to FAILED applies. A report without a status that
        // would change its value, maximum or text is refused in strict
        // mode and recorded in both; nothing of it is applied.
        if phase.is_terminal() && next_phase.is_none() {
            let carries = report.value().is_some()
                || report.max().is_some()
                || report.status_text().is_some();
            if status.is_none() && carries {
                self.breach(
                    st,
                    events,
                    Rule::NO_REPORT_AFTER_TERMINAL,
                    call,
                    Some(id),
                    "no value, maximum or text after a terminal status",
                    format!("a report for an item that ended {phase}"),
                    Refusal::AccessDenied,
                )?;
            }
            return Ok(true);
        }
        // §G.3 #27 is undocumented, so a host warns rather than fails: the
        // violation is recorded in both modes and the report applied. It is
        // checked only when this report changes the value or the maximum,
        // so it is recorded once, not on every later report.
        let value = report.completed().or(record.bits.value);
        let max = report.total().or(record.bits.max);
        let changes_range = report.completed().is_some() || report.total().is_some();
        if let (true, Some(value), Some(max)) = (changes_range, value, max)
            && value > max
        {
            Self::record(
                st,
                events,
                Violation {
                    rule: Rule::VALUE_WITHIN_MAX,
                    call,
                    item: Some(id.into()),
                    expected: format!("a value of at most {max}"),
                    got: format!("value {value}"),
                    answered: None,
                },
            );
        }
        let still_updating = record.bits.phase.status().is_updating()
            && next_phase.is_none_or(|p| p.status().is_updating());
        if let (Some(new), Some(old)) = (report.completed(), record.bits.value)
            && still_updating
            && new < old
        {
            Self::record(
                st,
                events,
                Violation {
                    rule: Rule::VALUE_WITHIN_MAX,
                    call,
                    item: Some(id.into()),
                    expected: format!("a value of at least {old} while updating"),
                    got: format!("value {new}"),
                    answered: None,
                },
            );
        }

        Self::open(events, item, &mut record.bits);
        if let Some(text) = report.status_text() {
            st.texts.insert(item.position(), text.to_owned());
            record.bits.has_text = true;
        }
        if report.completed().is_some() {
            record.bits.value = report.completed();
        }
        if report.total().is_some() {
            record.bits.max = report.total();
        }
        if let Some(next) = next_phase {
            Self::move_to(events, item, &mut record.bits, next);
        }
        Ok(true)
    }

    /// Finish every item of the synchronize set the handler left unfinished:
    /// `Skipped` when the user skipped it before the handler opened it,
    /// `Stopped` when it was cancelled or skipped while open, `Failed`
    /// otherwise.
    pub(super) fn finalize_items(&self, st: &mut State, events: &mut Vec<SessionEvent>) {
        let cancel_all = st.cancel_all.is_some();
        for item in self.shared.items.iter() {
            // `in_sync_set` only changes under the session's lock; the phase
            // is checked again under the item's bit.
            let seen = item.read();
            if !seen.in_sync_set || seen.phase.is_terminal() {
                continue;
            }
            let mut record = item.lock();
            let bits = &mut record.bits;
            if bits.phase.is_terminal() {
                continue;
            }
            let next = if bits.skipped && !bits.opened {
                ItemPhase::Skipped
            } else if cancel_all || bits.cancelled || bits.skipped {
                ItemPhase::Stopped
            } else {
                ItemPhase::Failed
            };
            bits.phase = next;
            bits.finished_by_host = true;
            events.push(SessionEvent::ItemFinished {
                item: item.id(),
                status: next.status(),
                by_host: true,
            });
        }
    }
}
