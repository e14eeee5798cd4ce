//! A handler that behaves at random — every §G.2–G.3 violation included —
//! judged by a [`Session`], and the session's answers, recorded violations,
//! item phases, `ItemStarted` and `ItemFinished` events checked against a
//! small reference model written here from PROTOCOL.md (§G.2–§G.3, the fact sheet's numbering).
//!
//! The model is independent of the crate: it keeps its own item table,
//! transition function and cancel bookkeeping, and uses the crate only for
//! data types. Where PROTOCOL.md leaves a choice open (which refusal a rule
//! uses, the order of the checks within one report, what a strict host does
//! with a report it refuses) the model follows the choice `src/sync_mgr/session/`
//! documents:
//!
//! - a call is checked in this order: §G.2 #17, §G.2 #15, then for the item
//!   §G.3 #23 (polls and reports alike, before the report is looked at),
//!   and for a report #20, #22, the transition (#20 / #28), #27 (value above
//!   max), #27 (value decreasing while updating); a strict host stops at the
//!   first breach it refuses and answers `E_UNEXPECTED` (#17, #16),
//!   `E_INVALIDARG` (#15, #20) or `E_ACCESSDENIED` (#28);
//! - §G.3 #23 is answered with CANCELALL, never an error: a strict host
//!   records it as answered CANCELALL and leaves the call unapplied (the
//!   item stays new), a lenient one records it unanswered and goes on;
//! - §G.3 #22 applies once a call naming *this* item was answered
//!   CANCELITEM or CANCELALL — a CANCELALL answered for another item does
//!   not count (a multi-threaded handler cannot avoid that race). It is
//!   answered with the pending cancel, not an error: a strict host records
//!   that answer and leaves the report unapplied, a lenient one records it
//!   unanswered and applies the report;
//! - §G.3 #27 is undocumented ("a host should warn rather than fail"): it
//!   is recorded unanswered in both modes and the report is applied. A value
//!   above the maximum is checked only when the report carries a value or a
//!   maximum, so a remembered breach is not recorded again;
//! - a lenient host applies everything but an illegal status transition
//!   (so it keeps a value above the maximum, or one that went down);
//! - a lenient host answers a `Progress` for an unknown item with the
//!   session-wide cancel state (CANCELALL or continue);
//! - `ItemFinished` is sent when an item's phase becomes terminal and
//!   differs from the phase before (a FAILED item reporting FAILED again
//!   sends nothing);
//! - the host finishes every unfinished item: `Stopped` when it was
//!   cancelled (or everything was), `Failed` otherwise.
//!
//! Where PROTOCOL.md does decide, the model follows PROTOCOL.md:
//!
//! - §G.3 #20 / #23 / #25: an item is "started" (no longer new) by the
//!   first `Progress` call naming it that the host accepts, a NULL poll
//!   included: "the handler calls Progress before starting each new ItemID,
//!   so that it learns of a user cancel" (#20), and #23 defines a new item
//!   as "one with no earlier Progress". A later terminal report is then
//!   neither a first report (#20) nor a new item (#23).
//! - §G.3 #21 / #23: once CANCELALL has been answered to the handler — on
//!   any `Progress` call, also one naming an item outside the set that a
//!   lenient host answers — no later call may open a new item.

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use support::{Capture, Fake, config};
use syncmgr::{
    CancelDecision, CancelReason, HResult, ItemId, ItemKey, ItemPhase, Mode, Session, SessionError,
    SessionEvent, SessionOutcome, SyncCallback, SyncMgrProgress, SyncMgrStatus,
};

/// `ItemFinished` events per item: the status and whether the host finished it.
type FinishedEvents = Arc<Mutex<HashMap<ItemId, Vec<(SyncMgrStatus, bool)>>>>;

/// `ItemStarted` events per item.
type StartedEvents = Arc<Mutex<HashMap<ItemId, usize>>>;

// ---------------------------------------------------------------------------
// The script a handler follows.

/// The item a step names: indices below the item count are enumerated items;
/// the index equal to the count names an item the session does not know.
/// The fake enumerates `support::item(1)..=item(n)`.
fn item_id(index: usize) -> ItemId {
    support::item(index as u128 + 1)
}

/// One progress report; each field present or absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Report {
    status: Option<SyncMgrStatus>,
    value: Option<i32>,
    max: Option<i32>,
}

impl Report {
    fn build(self) -> SyncMgrProgress {
        let mut builder = SyncMgrProgress::builder();
        if let Some(status) = self.status {
            builder = builder.status(status);
        }
        if let Some(value) = self.value {
            builder = builder.value(value);
        }
        if let Some(max) = self.max {
            builder = builder.max(max);
        }
        builder
            .build()
            .expect("the generator only makes reports that build")
    }
}

/// One thing the handler (or, through its session clone, the user) does.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// `Progress(item, report)`; `None` is a pure cancellation poll (§G.3 #25).
    Progress { item: usize, report: Option<Report> },
    /// The user cancels one item (`Session::cancel_item`).
    CancelItem(usize),
    /// The user cancels everything (`Session::cancel_all`).
    CancelAll,
    /// `SynchronizeCompleted(code)`; a second one is a §G.2 #16 violation and
    /// every `Progress` after the first is a §G.2 #17 violation.
    Complete(HResult),
}

/// What one step got back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// `Progress` answered a decision.
    Decision(CancelDecision),
    /// A callback refused the call with this code.
    Refused(HResult),
    /// A call without a result succeeded.
    Done,
    /// `cancel_item` named an item the session does not know.
    UnknownItem,
    /// `cancel_item` named an item that already finished: history is not
    /// rewritten.
    ItemFinished,
}

/// One recorded violation, as far as the model predicts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Breach {
    rule: u8,
    item: Option<ItemId>,
    answered: Option<HResult>,
}

// ---------------------------------------------------------------------------
// The reference model.

fn terminal(phase: ItemPhase) -> bool {
    matches!(
        phase,
        ItemPhase::Succeeded
            | ItemPhase::Failed
            | ItemPhase::Skipped
            | ItemPhase::Stopped
            | ItemPhase::Deleted
    )
}

fn updating(phase: ItemPhase) -> bool {
    matches!(
        phase,
        ItemPhase::Updating | ItemPhase::UpdatingIndeterminate
    )
}

fn phase_of(status: SyncMgrStatus) -> ItemPhase {
    match status {
        SyncMgrStatus::Stopped => ItemPhase::Stopped,
        SyncMgrStatus::Skipped => ItemPhase::Skipped,
        SyncMgrStatus::Pending => ItemPhase::Pending,
        SyncMgrStatus::Updating => ItemPhase::Updating,
        SyncMgrStatus::Succeeded => ItemPhase::Succeeded,
        SyncMgrStatus::Failed => ItemPhase::Failed,
        SyncMgrStatus::Paused => ItemPhase::Paused,
        SyncMgrStatus::Resuming => ItemPhase::Resuming,
        SyncMgrStatus::UpdatingIndeterminate => ItemPhase::UpdatingIndeterminate,
        SyncMgrStatus::Deleted => ItemPhase::Deleted,
    }
}

fn status_of(phase: ItemPhase) -> SyncMgrStatus {
    match phase {
        ItemPhase::Pending => SyncMgrStatus::Pending,
        ItemPhase::Updating => SyncMgrStatus::Updating,
        ItemPhase::UpdatingIndeterminate => SyncMgrStatus::UpdatingIndeterminate,
        ItemPhase::Paused => SyncMgrStatus::Paused,
        ItemPhase::Resuming => SyncMgrStatus::Resuming,
        ItemPhase::Succeeded => SyncMgrStatus::Succeeded,
        ItemPhase::Failed => SyncMgrStatus::Failed,
        ItemPhase::Skipped => SyncMgrStatus::Skipped,
        ItemPhase::Stopped => SyncMgrStatus::Stopped,
        ItemPhase::Deleted => SyncMgrStatus::Deleted,
        // A SyncMgr session never reaches it; SyncMgr would call it failed.
        ItemPhase::Disconnected => SyncMgrStatus::Failed,
    }
}

fn code_of(decision: CancelDecision) -> HResult {
    match decision {
        CancelDecision::Continue => HResult::S_OK,
        CancelDecision::CancelItem => HResult::S_SYNCMGR_CANCELITEM,
        CancelDecision::CancelAll => HResult::S_SYNCMGR_CANCELALL,
    }
}

/// The item machine: the phase after a report of `status`, or the rule the
/// move breaks. A terminal phase takes only a late FAILED (§G.3 #28); a
/// started item never goes back to PENDING (§G.3 #20); RESUMING comes only
/// out of PAUSED or RESUMING (§G.3 #28, forward only).
fn transition(from: ItemPhase, status: SyncMgrStatus) -> Result<ItemPhase, u8> {
    let to = phase_of(status);
    if terminal(from) {
        return if to == ItemPhase::Failed {
            Ok(to)
        } else {
            Err(28)
        };
    }
    match (from, to) {
        (ItemPhase::Pending, ItemPhase::Pending) => Ok(to),
        (_, ItemPhase::Pending) => Err(20),
        (
            ItemPhase::Pending | ItemPhase::Updating | ItemPhase::UpdatingIndeterminate,
            ItemPhase::Resuming,
        ) => Err(28),
        _ => Ok(to),
    }
}

#[derive(Debug, Clone)]
struct ModelItem {
    phase: ItemPhase,
    value: Option<i32>,
    max: Option<i32>,
    /// A `Progress` call naming the item was accepted, a NULL poll
    /// included (§G.3 #20, #23, #25): `ItemStarted` was sent.
    started: bool,
    /// The user asked to cancel it.
    cancel: bool,
    /// CANCELITEM or CANCELALL was answered to a call naming it (§G.3 #22).
    told: bool,
    finished_by_host: bool,
    /// `ItemFinished` events: the terminal status and whether the host
    /// finished the item.
    finished: Vec<(SyncMgrStatus, bool)>,
}

struct Model {
    strict: bool,
    items: Vec<ModelItem>,
    /// Between PrepareForSync and the first SynchronizeCompleted (§G.2 #17).
    window_open: bool,
    /// The first SynchronizeCompleted code.
    completed: Option<HResult>,
    cancel_all: bool,
    /// CANCELALL was answered to the handler (§G.3 #21, #23).
    told_all: bool,
    breaches: Vec<Breach>,
}

impl Model {
    fn new(items: usize, mode: Mode) -> Self {
        let item = ModelItem {
            phase: ItemPhase::Pending,
            value: None,
            max: None,
            started: false,
            cancel: false,
            told: false,
            finished_by_host: false,
            finished: Vec::new(),
        };
        Self {
            strict: mode == Mode::Strict,
            items: vec![item; items],
            window_open: true,
            completed: None,
            cancel_all: false,
            told_all: false,
            breaches: Vec::new(),
        }
    }

    fn step(&mut self, step: &Step) -> Answer {
        match *step {
            Step::Progress { item, report } => match self.progress(item, report) {
                Ok(answer) | Err(answer) => answer,
            },
            Step::CancelItem(item) => match self.items.get_mut(item) {
                Some(record) if terminal(record.phase) => Answer::ItemFinished,
                Some(record) => {
                    record.cancel = true;
                    Answer::Done
                }
                None => Answer::UnknownItem,
            },
            Step::CancelAll => {
                self.cancel_all = true;
                // Cancel-all reaches the items still running; finished ones
                // keep how they ended.
                for record in self.items.iter_mut().filter(|r| !terminal(r.phase)) {
                    record.cancel = true;
                }
                Answer::Done
            }
            Step::Complete(code) => self.complete(code),
        }
    }

    /// Record a breach; a strict host refuses the call with `code`.
    fn breach(&mut self, rule: u8, item: Option<ItemId>, code: HResult) -> Result<(), Answer> {
        self.breaches.push(Breach {
            rule,
            item,
            answered: self.strict.then_some(code),
        });
        if self.strict {
            Err(Answer::Refused(code))
        } else {
            Ok(())
        }
    }

    fn complete(&mut self, code: HResult) -> Answer {
        self.window_open = false;
        if self.completed.is_none() {
            self.completed = Some(code);
            return Answer::Done;
        }
        match self.breach(16, None, HResult::E_UNEXPECTED) {
            Ok(()) => Answer::Done,
            Err(refused) => refused,
        }
    }

    /// The pending cancel state of an item (§G.3 #21).
    fn decision(&self, index: usize) -> CancelDecision {
        if self.cancel_all {
            CancelDecision::CancelAll
        } else if self.items[index].cancel {
            CancelDecision::CancelItem
        } else {
            CancelDecision::Continue
        }
    }

    /// Answer `decision` for item `index`: a cancel answer is now known to
    /// the handler, for this item (§G.3 #22) and, for CANCELALL, for every
    /// item (§G.3 #23).
    fn tell(&mut self, index: usize, decision: CancelDecision) -> Answer {
        if decision != CancelDecision::Continue {
            self.items[index].told = true;
        }
        if decision == CancelDecision::CancelAll {
            self.told_all = true;
        }
        Answer::Decision(decision)
    }

    /// The item is no longer new (§G.3 #20, #23): `ItemStarted`.
    fn open(&mut self, index: usize) {
        self.items[index].started = true;
    }

    fn progress(&mut self, index: usize, report: Option<Report>) -> Result<Answer, Answer> {
        let id = item_id(index);
        if !self.window_open {
            self.breach(17, Some(id), HResult::E_UNEXPECTED)?;
        }
        if index >= self.items.len() {
            self.breach(15, Some(id), HResult::E_INVALIDARG)?;
            // Lenient: answered with the session-wide cancel state, and a
            // CANCELALL answered here is answered all the same (§G.3 #21).
            let decision = if self.cancel_all {
                self.told_all = true;
                CancelDecision::CancelAll
            } else {
                CancelDecision::Continue
            };
            return Ok(Answer::Decision(decision));
        }
        let decision = self.decision(index);
        let old = self.items[index].clone();
        if !old.started && self.cancel_all && !self.told_all {
            // §G.3 #23 as the crate states it: the calling thread was not
            // told yet, so opening the item is no breach. Answered CANCELALL,
            // not applied, not recorded, in both modes.
            return Ok(self.tell(index, decision));
        }
        let acknowledges =
            old.told && report.is_some_and(|r| r.status.map(phase_of).is_some_and(terminal));
        if !old.started && self.told_all && !acknowledges {
            // §G.3 #23, for a poll as for a report. CANCELALL was answered,
            // so it is still pending: a strict host answers it again and
            // leaves the call unapplied (the item stays new); a lenient one
            // only records the breach.
            self.breaches.push(Breach {
                rule: 23,
                item: Some(id),
                answered: self.strict.then_some(code_of(decision)),
            });
            if self.strict {
                return Ok(self.tell(index, decision));
            }
        }
        let Some(report) = report else {
            // A pure cancellation poll (§G.3 #25) opens the item.
            self.open(index);
            return Ok(self.tell(index, decision));
        };
        // An item whose opening call was answered a cancel may acknowledge
        // with a terminal first report.
        if !old.started && !old.told && report.status.map(phase_of).is_some_and(terminal) {
            self.breach(20, Some(id), HResult::E_INVALIDARG)?;
        }
        // §G.3 #22: only after a call naming this item was answered a cancel.
        if old.told && !terminal(old.phase) {
            let winds_down = matches!(
                report.status,
                None | Some(
                    SyncMgrStatus::Stopped | SyncMgrStatus::Skipped | SyncMgrStatus::Failed
                )
            );
            let more_work =
                matches!((report.value, old.value), (Some(new), Some(old)) if new > old);
            if !winds_down || more_work {
                // The host re-answers the cancel instead of refusing.
                self.breaches.push(Breach {
                    rule: 22,
                    item: Some(id),
                    answered: self.strict.then_some(code_of(decision)),
                });
                if self.strict {
                    return Ok(self.tell(index, decision));
                }
            }
        }
        let next = match report.status.map(|s| transition(old.phase, s)) {
            None => None,
            Some(Ok(next)) => Some(next),
            Some(Err(rule)) => {
                let code = if rule == 28 {
                    HResult::E_ACCESSDENIED
                } else {
                    HResult::E_INVALIDARG
                };
                self.breach(rule, Some(id), code)?;
                None
            }
        };
        // #61: after a terminal status only a move to FAILED applies; a
        // status-less report that would change the record is a breach.
        if terminal(old.phase) && next.is_none() {
            if report.status.is_none() && (report.value.is_some() || report.max.is_some()) {
                self.breach(61, Some(id), HResult::E_ACCESSDENIED)?;
            }
            return Ok(self.tell(index, decision));
        }
        // §G.3 #27: warned, never refused, in both modes.
        let warn = |breaches: &mut Vec<Breach>| {
            breaches.push(Breach {
                rule: 27,
                item: Some(id),
                answered: None,
            });
        };
        let value = report.value.or(old.value);
        let max = report.max.or(old.max);
        let changes_range = report.value.is_some() || report.max.is_some();
        if let (true, Some(value), Some(max)) = (changes_range, value, max)
            && value > max
        {
            warn(&mut self.breaches);
        }
        if let (Some(new), Some(previous)) = (report.value, old.value)
            && new < previous
            && updating(old.phase)
            && next.is_none_or(updating)
        {
            warn(&mut self.breaches);
        }
        self.open(index);
        let record = &mut self.items[index];
        record.value = value;
        record.max = max;
        if let Some(next) = next {
            // §G.3 #28: a FAILED item reporting FAILED again finishes nothing.
            if terminal(next) && next != old.phase {
                record.finished.push((status_of(next), false));
            }
            record.phase = next;
        }
        Ok(self.tell(index, decision))
    }

    /// The end of the cycle: the host finishes what the handler left open.
    fn finalize(&mut self) {
        let cancel_all = self.cancel_all;
        for record in self.items.iter_mut().filter(|r| !terminal(r.phase)) {
            let phase = if cancel_all || record.cancel {
                ItemPhase::Stopped
            } else {
                ItemPhase::Failed
            };
            record.phase = phase;
            record.finished_by_host = true;
            record.finished.push((status_of(phase), true));
        }
    }
}

// ---------------------------------------------------------------------------
// The scripted handler: a [`Fake`] whose `Synchronize` plays the script.

/// Play `script` inside `Synchronize`: reports through the fake's callback
/// slot, the user's cancels through `session`, and `SynchronizeCompleted(S_OK)`
/// at the end unless the script completed. Returns what every step got back,
/// in order.
fn run_script(handler: &Fake, script: &[Step], session: &Session) -> Vec<Answer> {
    let mut answers = Vec::new();
    let mut completed = false;
    for step in script {
        let answer = match *step {
            Step::Progress { item, report } => {
                match handler.progress(item_id(item), report.map(Report::build)) {
                    Ok(decision) => Answer::Decision(decision),
                    Err(error) => Answer::Refused(error.hresult()),
                }
            }
            Step::CancelItem(item) => {
                match session.cancel_item(item_id(item), CancelReason::User) {
                    Ok(()) => Answer::Done,
                    Err(SessionError::UnknownItem(id)) if id == item_id(item) => {
                        Answer::UnknownItem
                    }
                    Err(SessionError::ItemFinished(id)) if id == item_id(item) => {
                        Answer::ItemFinished
                    }
                    Err(other) => panic!("cancel_item({item}) failed with {other}"),
                }
            }
            Step::CancelAll => {
                session.cancel_all(CancelReason::User);
                Answer::Done
            }
            Step::Complete(code) => {
                completed = true;
                match handler.cb().synchronize_completed(code) {
                    Ok(()) => Answer::Done,
                    Err(error) => Answer::Refused(error.hresult()),
                }
            }
        };
        answers.push(answer);
    }
    if !completed {
        let answer = match handler.cb().synchronize_completed(HResult::S_OK) {
            Ok(()) => Answer::Done,
            Err(error) => Answer::Refused(error.hresult()),
        };
        answers.push(answer);
    }
    answers
}

// ---------------------------------------------------------------------------
// Running a script on both sides.

/// What a run produced, in a form both sides can fill in.
#[derive(Debug, PartialEq)]
struct Observed {
    answers: Vec<Answer>,
    breaches: Vec<Breach>,
    phases: Vec<ItemPhase>,
    values: Vec<(Option<i32>, Option<i32>)>,
    cancelled: Vec<bool>,
    finished_by_host: Vec<bool>,
    /// `ItemStarted` events per item.
    started_events: Vec<usize>,
    finished_events: Vec<Vec<(SyncMgrStatus, bool)>>,
    outcome: SessionOutcome,
}

fn predict(items: usize, script: &[Step], mode: Mode) -> Observed {
    let mut model = Model::new(items, mode);
    let mut answers: Vec<Answer> = script.iter().map(|step| model.step(step)).collect();
    if model.completed.is_none() {
        answers.push(model.complete(HResult::S_OK));
    }
    model.finalize();
    Observed {
        answers,
        breaches: model.breaches,
        phases: model.items.iter().map(|r| r.phase).collect(),
        values: model.items.iter().map(|r| (r.value, r.max)).collect(),
        cancelled: model.items.iter().map(|r| r.cancel).collect(),
        finished_by_host: model.items.iter().map(|r| r.finished_by_host).collect(),
        started_events: model.items.iter().map(|r| usize::from(r.started)).collect(),
        finished_events: model.items.iter().map(|r| r.finished.clone()).collect(),
        outcome: SessionOutcome::Completed {
            code: model.completed.expect("the script completes"),
        },
    }
}

fn observe(items: usize, script: &[Step], mode: Mode) -> Observed {
    let session = Session::new(config(mode));
    let events: FinishedEvents = Arc::default();
    let started: StartedEvents = Arc::default();
    let (sink, started_sink) = (events.clone(), started.clone());
    session.subscribe(move |event| match event {
        SessionEvent::ItemFinished {
            item,
            status,
            by_host,
        } => sink
            .lock()
            .unwrap()
            .entry(*item)
            .or_default()
            .push((*status, *by_host)),
        SessionEvent::ItemStarted { item } => {
            *started_sink.lock().unwrap().entry(*item).or_default() += 1;
        }
        _ => {}
    });
    let answers = Capture::new();
    let handler = {
        let (script, session, sink) = (script.to_vec(), session.clone(), answers.clone());
        Fake::builder(items as u128)
            .on_synchronize(move |h| {
                run_script(h, &script, &session)
                    .into_iter()
                    .for_each(|answer| sink.push(answer));
                Ok(())
            })
            .build()
    };
    let outcome = session.run(handler);
    let snapshot = session.snapshot();
    assert_eq!(
        snapshot.items().map(|i| i.id()).collect::<Vec<_>>(),
        (0..items).map(item_id).collect::<Vec<_>>(),
        "the session knows exactly the enumerated items, in order"
    );
    let mut events = events.lock().unwrap();
    let mut started = started.lock().unwrap();
    let observed = Observed {
        answers: answers.get(),
        breaches: session
            .violations()
            .iter()
            .map(|v| Breach {
                rule: v.rule.number(),
                item: match &v.item {
                    None => None,
                    Some(ItemKey::Guid(id)) => Some(*id),
                    Some(other) => panic!("a SyncMgr session names items by GUID, got {other}"),
                },
                answered: v.answered,
            })
            .collect(),
        phases: snapshot.items().map(|i| i.phase()).collect(),
        values: snapshot
            .items()
            .map(|i| {
                let narrow = |n: Option<u64>| n.map(|n| i32::try_from(n).expect("small"));
                (narrow(i.value()), narrow(i.max()))
            })
            .collect(),
        cancelled: snapshot.items().map(|i| i.cancel().is_some()).collect(),
        finished_by_host: snapshot.items().map(|i| i.finished_by_host()).collect(),
        started_events: (0..items)
            .map(|i| started.remove(&item_id(i)).unwrap_or_default())
            .collect(),
        finished_events: (0..items)
            .map(|i| events.remove(&item_id(i)).unwrap_or_default())
            .collect(),
        outcome,
    };
    assert!(
        events.is_empty() && started.is_empty(),
        "item events for unknown items: {events:?}, {started:?}"
    );
    observed
}

fn check(items: usize, script: &[Step], mode: Mode) -> Result<(), TestCaseError> {
    let expected = predict(items, script, mode);
    let got = observe(items, script, mode);
    prop_assert_eq!(&got.answers, &expected.answers, "answers, step by step");
    prop_assert_eq!(
        got.breaches.iter().map(|b| b.rule).collect::<Vec<_>>(),
        expected.breaches.iter().map(|b| b.rule).collect::<Vec<_>>(),
        "the ordered list of recorded rules"
    );
    prop_assert_eq!(&got.breaches, &expected.breaches, "the recorded violations");
    prop_assert_eq!(&got.phases, &expected.phases, "final phases");
    prop_assert_eq!(&got.values, &expected.values, "final values and maxima");
    prop_assert_eq!(&got.cancelled, &expected.cancelled, "cancel state");
    prop_assert_eq!(
        &got.finished_by_host,
        &expected.finished_by_host,
        "items the host finished"
    );
    prop_assert_eq!(
        &got.started_events,
        &expected.started_events,
        "ItemStarted events per item"
    );
    prop_assert_eq!(
        &got.finished_events,
        &expected.finished_events,
        "ItemFinished events per item"
    );
    prop_assert_eq!(&got.outcome, &expected.outcome, "outcome");
    Ok(())
}

// ---------------------------------------------------------------------------
// Generators.

const STATUSES: [SyncMgrStatus; 10] = [
    SyncMgrStatus::Stopped,
    SyncMgrStatus::Skipped,
    SyncMgrStatus::Pending,
    SyncMgrStatus::Updating,
    SyncMgrStatus::Succeeded,
    SyncMgrStatus::Failed,
    SyncMgrStatus::Paused,
    SyncMgrStatus::Resuming,
    SyncMgrStatus::UpdatingIndeterminate,
    SyncMgrStatus::Deleted,
];

fn report() -> impl Strategy<Value = Report> {
    (
        proptest::option::weighted(
            0.8,
            prop_oneof![
                3 => Just(SyncMgrStatus::Updating),
                7 => proptest::sample::select(&STATUSES[..]),
            ],
        ),
        proptest::option::of(0..12i32),
        proptest::option::of(0..12i32),
    )
        .prop_map(|(status, value, max)| {
            // One report cannot carry value > max (the builder refuses it,
            // §G.3 #26/#27); a remembered max can still be exceeded.
            let (value, max) = match (value, max) {
                (Some(v), Some(m)) if v > m => (Some(m), Some(v)),
                other => other,
            };
            Report { status, value, max }
        })
}

/// An item index: mostly enumerated items, sometimes one the session does
/// not know (`items`).
fn target(items: usize) -> impl Strategy<Value = usize> {
    prop_oneof![8 => 0..items, 1 => Just(items)]
}

fn step(items: usize) -> impl Strategy<Value = Step> {
    prop_oneof![
        48 => (target(items), proptest::option::weighted(0.85, report()))
            .prop_map(|(item, report)| Step::Progress { item, report }),
        5 => target(items).prop_map(Step::CancelItem),
        2 => Just(Step::CancelAll),
        1 => proptest::sample::select(vec![HResult::S_OK, HResult::E_FAIL]).prop_map(Step::Complete),
    ]
}

fn scenario() -> impl Strategy<Value = (usize, Vec<Step>)> {
    (1..=4usize).prop_flat_map(|items| (Just(items), proptest::collection::vec(step(items), 0..28)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8000))]

    /// Strict: every breach is refused with its code (or, for §G.3 #22 and
    /// #23, answered with the pending cancel) and changes nothing — except
    /// §G.3 #27, which is only recorded.
    #[test]
    fn strict_session_matches_the_model((items, script) in scenario()) {
        check(items, &script, Mode::Strict)?;
    }

    /// Lenient: every breach is recorded, every call is answered with its
    /// decision, and whatever is valid in a report is applied.
    #[test]
    fn lenient_session_matches_the_model((items, script) in scenario()) {
        check(items, &script, Mode::Lenient)?;
    }
}

// ---------------------------------------------------------------------------
// Fixed scripts: the model agrees with hand-checked expectations, and the
// minimal inputs of the discrepancies the property tests find.

fn progress(item: usize, status: Option<SyncMgrStatus>, value: Option<i32>) -> Step {
    Step::Progress {
        item,
        report: Some(Report {
            status,
            value,
            max: value.map(|_| 10),
        }),
    }
}

/// A report on item 0 with exactly these fields.
fn item0(status: Option<SyncMgrStatus>, value: Option<i32>, max: Option<i32>) -> Step {
    Step::Progress {
        item: 0,
        report: Some(Report { status, value, max }),
    }
}

fn poll(item: usize) -> Step {
    Step::Progress { item, report: None }
}

use SyncMgrStatus::{Failed, Stopped, Succeeded, Updating};

/// A conforming handler: no violation, every item finished by the handler.
#[test]
fn a_conforming_script_is_clean_in_both_modes() {
    let script = [
        progress(0, Some(Updating), Some(0)),
        progress(0, Some(Updating), Some(5)),
        Step::CancelItem(1),
        poll(1),
        progress(1, Some(Stopped), None),
        progress(0, Some(Succeeded), Some(10)),
        Step::Complete(HResult::S_OK),
    ];
    for mode in [Mode::Strict, Mode::Lenient] {
        let expected = predict(2, &script, mode);
        assert!(expected.breaches.is_empty(), "{mode:?}: {expected:?}");
        assert_eq!(expected.phases, [ItemPhase::Succeeded, ItemPhase::Stopped]);
        check(2, &script, mode).unwrap();
    }
}

/// The model's hand-checked verdicts on one script with many violations.
#[test]
fn the_model_on_a_script_full_of_violations() {
    let script = [
        progress(0, Some(Updating), Some(4)),
        progress(0, Some(Updating), Some(2)), // value decreasing: #27, warned
        progress(2, Some(Updating), None),    // unknown item: #15
        Step::CancelItem(0),
        poll(0),                              // answered CANCELITEM
        progress(0, Some(Updating), Some(6)), // after CANCELITEM: #22, re-answered
        progress(0, Some(Stopped), None),
        progress(0, Some(Updating), None), // after STOPPED: #28
        Step::Complete(HResult::S_OK),
        Step::Complete(HResult::S_OK),     // second completion: #16
        progress(1, Some(Updating), None), // after SynchronizeCompleted: #17
    ];
    let strict = predict(2, &script, Mode::Strict);
    let rules: Vec<u8> = strict.breaches.iter().map(|b| b.rule).collect();
    assert_eq!(rules, [27, 15, 22, 28, 16, 17]);
    assert_eq!(
        strict
            .breaches
            .iter()
            .map(|b| b.answered)
            .collect::<Vec<_>>(),
        [
            None, // #27 is only warned, in both modes
            Some(HResult::E_INVALIDARG),
            Some(HResult::S_SYNCMGR_CANCELITEM), // #22: the cancel re-answered
            Some(HResult::E_ACCESSDENIED),
            Some(HResult::E_UNEXPECTED),
            Some(HResult::E_UNEXPECTED),
        ]
    );
    use Answer::*;
    use CancelDecision::*;
    assert_eq!(
        strict.answers,
        [
            Decision(Continue),
            Decision(Continue), // #27 does not refuse the report
            Refused(HResult::E_INVALIDARG),
            Done,
            Decision(CancelItem),
            Decision(CancelItem),
            Decision(CancelItem),
            Refused(HResult::E_ACCESSDENIED),
            Done,
            Refused(HResult::E_UNEXPECTED),
            Refused(HResult::E_UNEXPECTED),
        ]
    );
    assert_eq!(strict.phases, [ItemPhase::Stopped, ItemPhase::Failed]);
    // The decreasing value is applied (#27 warns); the one reported after
    // the CANCELITEM is not (#22, strict).
    assert_eq!(strict.values[0], (Some(2), Some(10)));
    check(2, &script, Mode::Strict).unwrap();

    let lenient = predict(2, &script, Mode::Lenient);
    let rules: Vec<u8> = lenient.breaches.iter().map(|b| b.rule).collect();
    assert_eq!(rules, [27, 15, 22, 28, 16, 17]);
    assert!(lenient.breaches.iter().all(|b| b.answered.is_none()));
    // Lenient applies what is valid: the value after the cancel, and the
    // late UPDATING of item 1 after SynchronizeCompleted.
    assert_eq!(lenient.values[0], (Some(6), Some(10)));
    assert_eq!(lenient.phases, [ItemPhase::Stopped, ItemPhase::Failed]);
    assert_eq!(lenient.finished_events[1], [(Failed, true)]);
    check(2, &script, Mode::Lenient).unwrap();
}

/// §G.3 #20: "the handler calls Progress before starting each new ItemID,
/// so that it learns of a user cancel of that item". A NULL poll is such a
/// call (§G.3 #25), so the STOPPED that acknowledges the CANCELITEM it was
/// answered is not the item's first report and breaks no rule.
#[test]
fn a_polled_item_may_acknowledge_its_cancel_with_stopped() {
    let script = [
        Step::CancelItem(0),
        poll(0),
        progress(0, Some(Stopped), None),
    ];
    for mode in [Mode::Strict, Mode::Lenient] {
        let got = observe(1, &script, mode);
        assert_eq!(
            got.answers,
            [
                Answer::Done,
                Answer::Decision(CancelDecision::CancelItem),
                Answer::Decision(CancelDecision::CancelItem),
                Answer::Done,
            ],
            "{mode:?}: the STOPPED acknowledgement is answered, not refused"
        );
        assert_eq!(got.breaches, [], "{mode:?}: no violation");
        assert_eq!(got.phases, [ItemPhase::Stopped]);
        assert_eq!(
            got.started_events,
            [1],
            "{mode:?}: the poll started the item"
        );
        assert_eq!(
            got.finished_events,
            [vec![(Stopped, false)]],
            "{mode:?}: the handler, not the host, stopped the item"
        );
        check(1, &script, mode).unwrap();
    }
}

/// The same with CANCELALL: the first poll of the only item is answered
/// CANCELALL, and the STOPPED that acknowledges it neither opens a new item
/// after CANCELALL (§G.3 #23 — the item had its Progress) nor is a first
/// report (§G.3 #20).
#[test]
fn a_polled_item_may_acknowledge_cancel_all_with_stopped() {
    let script = [Step::CancelAll, poll(0), progress(0, Some(Stopped), None)];
    for mode in [Mode::Strict, Mode::Lenient] {
        let got = observe(1, &script, mode);
        assert_eq!(
            got.answers,
            [
                Answer::Done,
                Answer::Decision(CancelDecision::CancelAll),
                Answer::Decision(CancelDecision::CancelAll),
                Answer::Done,
            ],
            "{mode:?}: the STOPPED acknowledgement is answered, not refused"
        );
        assert_eq!(got.breaches, [], "{mode:?}: no violation");
        assert_eq!(got.finished_events, [vec![(Stopped, false)]], "{mode:?}");
        check(1, &script, mode).unwrap();
    }
}

/// §G.3 #23: after CANCELALL no Progress may open a new item, "one with no
/// earlier Progress". The NULL poll of item 1 is that call; the STOPPED
/// that follows is neither a new item (#23) nor a first report (#20).
#[test]
fn after_cancel_all_the_poll_opens_the_new_item_not_the_acknowledgement() {
    let script = [
        Step::CancelAll,
        progress(0, Some(Updating), Some(0)),
        poll(1),
        progress(1, Some(Stopped), None),
    ];
    let got = observe(2, &script, Mode::Lenient);
    assert_eq!(
        got.breaches,
        [Breach {
            rule: 23,
            item: Some(item_id(1)),
            answered: None,
        }],
        "one violation, recorded on the poll that opened item 1"
    );
    check(2, &script, Mode::Lenient).unwrap();
}

/// §G.3 #21, #23: a lenient host answers CANCELALL to a Progress naming an
/// item outside the set; the handler has been told to stop everything, so
/// opening an item afterwards breaks #23 exactly as after any other
/// CANCELALL answer. It does not break #22: no earlier call naming item 0
/// was answered a cancel, and the CANCELALL this very call gets is not
/// "earlier" (§G.3 #22: "after CANCELITEM for item X, *later* Progress
/// calls for X"; progress.rs: "#22 applies once this item's own call was
/// answered with a cancel").
///
/// A strict host refuses the unknown item's poll (§G.2 #15), so it answers
/// no CANCELALL and item 0 is not new.
#[test]
fn a_cancel_all_answered_for_an_unknown_item_is_a_cancel_all_answered() {
    let script = [
        Step::CancelAll,
        poll(1),
        progress(0, Some(Updating), Some(0)),
    ];
    let got = observe(1, &script, Mode::Lenient);
    assert_eq!(
        got.answers[1],
        Answer::Decision(CancelDecision::CancelAll),
        "the unknown item's poll is answered CANCELALL"
    );
    let breach = |rule, item| Breach {
        rule,
        item: Some(item_id(item)),
        answered: None,
    };
    assert_eq!(
        got.breaches,
        [breach(15, 1), breach(23, 0)],
        "item 0 was opened after CANCELALL was answered (#23); its own call \
         had not been answered a cancel before this report (no #22)"
    );
    check(1, &script, Mode::Lenient).unwrap();
    check(1, &script, Mode::Strict).unwrap();
}

/// The same without an unknown item: the new item's first report after a
/// CANCELALL answered for item 0 is #23 only, not #22.
#[test]
fn a_new_item_after_cancel_all_breaks_only_23() {
    let script = [
        Step::CancelAll,
        poll(0),
        progress(1, Some(Updating), Some(0)),
        progress(1, Some(Stopped), None),
    ];
    let lenient = observe(2, &script, Mode::Lenient);
    assert_eq!(
        lenient.breaches,
        [Breach {
            rule: 23,
            item: Some(item_id(1)),
            answered: None,
        }]
    );
    assert_eq!(lenient.phases, [ItemPhase::Stopped, ItemPhase::Stopped]);
    check(2, &script, Mode::Lenient).unwrap();
    check(2, &script, Mode::Strict).unwrap();
}

/// §G.3 #23 in a strict host: the told thread's report opening item 1 is
/// answered CANCELALL (recorded so) and not applied; the STOPPED after it
/// acknowledges that answer and is applied. Item 0, whose poll came before
/// the thread was told, is answered CANCELALL without a record, never
/// opens, and the host stops it at the end (#16 (a)).
#[test]
fn a_strict_host_answers_23_with_cancel_all() {
    let script = [
        Step::CancelAll,
        poll(0),
        progress(1, Some(Updating), Some(0)),
        progress(1, Some(Stopped), None),
        poll(1),
    ];
    let got = observe(2, &script, Mode::Strict);
    let cancel_all = Answer::Decision(CancelDecision::CancelAll);
    assert_eq!(
        got.answers,
        [
            Answer::Done,
            cancel_all,
            cancel_all,
            cancel_all,
            cancel_all,
            Answer::Done
        ]
    );
    let breach = Breach {
        rule: 23,
        item: Some(item_id(1)),
        answered: Some(HResult::S_SYNCMGR_CANCELALL),
    };
    assert_eq!(got.breaches, [breach], "only the told thread's new item");
    assert_eq!(got.values[1], (None, None), "UPDATING not applied");
    assert_eq!(got.started_events, [0, 1], "item 0 never opened");
    assert_eq!(got.finished_events[0], [(Stopped, true)]);
    assert_eq!(got.finished_events[1], [(Stopped, false)], "acknowledged");
    check(2, &script, Mode::Strict).unwrap();
}

/// §G.3 #22 needs a cancel answered to a call naming *this* item: item 1's
/// UPDATING after a CANCELALL answered for item 0 is fine (and answered
/// CANCELALL); its next UPDATING, after that answer, is not.
#[test]
fn rule_22_needs_the_items_own_cancel_answer() {
    let script = [
        progress(0, Some(Updating), Some(0)),
        progress(1, Some(Updating), Some(0)),
        Step::CancelAll,
        poll(0),
        progress(1, Some(Updating), Some(1)),
        progress(1, Some(Updating), Some(2)),
    ];
    for mode in [Mode::Strict, Mode::Lenient] {
        let got = observe(2, &script, mode);
        let strict = mode == Mode::Strict;
        assert_eq!(
            got.breaches,
            [Breach {
                rule: 22,
                item: Some(item_id(1)),
                answered: strict.then_some(HResult::S_SYNCMGR_CANCELALL),
            }],
            "{mode:?}"
        );
        let value = if strict { 1 } else { 2 };
        assert_eq!(got.values[1], (Some(value), Some(10)), "{mode:?}");
        check(2, &script, mode).unwrap();
    }
}

/// §G.3 #27 is warned in both modes, never refused, and a remembered
/// breach is not recorded again by a report that carries neither a value
/// nor a maximum.
#[test]
fn rule_27_is_a_warning_in_both_modes() {
    let script = [
        item0(Some(Updating), Some(3), Some(5)),
        item0(None, Some(7), None), // above the remembered max: #27
        item0(Some(Updating), None, None),
        item0(Some(Updating), Some(4), None), // decreasing while updating: #27
    ];
    for mode in [Mode::Strict, Mode::Lenient] {
        let got = observe(1, &script, mode);
        let warned = Breach {
            rule: 27,
            item: Some(item_id(0)),
            answered: None,
        };
        assert_eq!(got.breaches, [warned, warned], "{mode:?}");
        assert!(
            got.answers[..4]
                .iter()
                .all(|a| *a == Answer::Decision(CancelDecision::Continue)),
            "{mode:?}: {:?}",
            got.answers
        );
        assert_eq!(got.values, [(Some(4), Some(5))], "{mode:?}");
        check(1, &script, mode).unwrap();
    }
}

/// `ItemFinished` is sent when the phase becomes terminal and differs from
/// the phase before: a late FAILED after SUCCEEDED sends one, a FAILED
/// after FAILED none (§G.3 #28).
#[test]
fn item_finished_only_on_a_change_to_a_terminal_phase() {
    let twice = [
        item0(Some(Updating), None, None),
        item0(Some(Failed), None, None),
        item0(Some(Failed), None, None),
    ];
    let late = [
        item0(Some(Updating), None, None),
        item0(Some(Succeeded), None, None),
        item0(Some(Failed), None, None),
    ];
    for mode in [Mode::Strict, Mode::Lenient] {
        let got = observe(1, &twice, mode);
        assert_eq!(got.breaches, [], "{mode:?}");
        assert_eq!(got.finished_events, [vec![(Failed, false)]], "{mode:?}");
        check(1, &twice, mode).unwrap();
        let got = observe(1, &late, mode);
        assert_eq!(got.breaches, [], "{mode:?}");
        assert_eq!(
            got.finished_events,
            [vec![(Succeeded, false), (Failed, false)]],
            "{mode:?}"
        );
        check(1, &late, mode).unwrap();
    }
}
