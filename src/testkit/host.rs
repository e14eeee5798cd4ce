//! [`TestHost`]: a strict SyncMgr host that runs a handler through one
//! [`Scenario`] of injected faults and returns what happened.

use std::time::Duration;

use crate::sync::Arc;
use crate::{
    CallbackError, CancelReason, ConformanceReport, HResult, ItemId, ItemKey, ItemPhase, Mode,
    Rule, Session, SessionConfig, SessionOutcome, SyncHandler, Violation,
};

use super::record::{HookAnswer, ProgressHook, Recorder, RecordingHandler};
use super::transcript::{Answer, Transcript};

/// One thing the host does to the handler during a run. Faults are keyed
/// to the handler's `Progress` calls: "at report `n`" means just before
/// the handler's `n`-th `Progress` call (counted from 1) reaches the host,
/// from inside that call.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Fault {
    /// The user cancels `item` at its own `at_report`-th report.
    CancelItem {
        /// The item.
        item: ItemKey,
        /// Its report, from 1.
        at_report: usize,
    },
    /// The user cancels everything at the handler's `at_report`-th report
    /// (of any item).
    CancelAll {
        /// The report, from 1, over all items.
        at_report: usize,
    },
    /// The user skips `item` at its own `at_report`-th report; the host
    /// delivers `SetItemStatus(SKIPPED)` inside a legal window, which may
    /// be right then, from inside the handler's call (a re-entrant host
    /// call).
    Skip {
        /// The item (SyncMgr only: Sync Center has no skip).
        item: ItemKey,
        /// Its report, from 1.
        at_report: usize,
    },
    /// The host gives the handler its callback again (`SetProgressCallback`
    /// over the held one) from inside the handler's `at_report`-th report
    /// (of any item), before handling it: a replace mid-sync.
    ReplaceCallback {
        /// The report, from 1, over all items.
        at_report: usize,
    },
    /// The host takes `millis` milliseconds to answer the handler's
    /// `at_report`-th report (of any item): a slow host.
    DelayReport {
        /// The report, from 1, over all items.
        at_report: usize,
        /// The delay.
        millis: u64,
    },
    /// The host handles the handler's `at_report`-th report (of any item)
    /// and then answers it with the failure `code` instead of `Continue`
    /// (a cancel it answers is passed on: a failure never hides a cancel).
    FailReport {
        /// The report, from 1, over all items.
        at_report: usize,
        /// The failure code (`E_FAIL`, `E_UNEXPECTED`…).
        code: HResult,
    },
}

/// The faults of one run, applied in order when their report comes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Scenario {
    /// The faults.
    pub faults: Vec<Fault>,
}

impl Scenario {
    /// A run without faults.
    pub fn clean() -> Self {
        Self::default()
    }

    /// This scenario with one more fault.
    #[must_use]
    pub fn with(mut self, fault: Fault) -> Self {
        self.faults.push(fault);
        self
    }
}

/// How a run's session ended, per generation.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Outcome {
    /// A SyncMgr [`Session`]'s outcome.
    SyncMgr(SessionOutcome),
    /// A Sync Center session's outcome, or why it could not run.
    SyncCenter(Result<crate::sync_center::SyncCenterOutcome, crate::sync_center::SyncCenterError>),
    /// A Windows Sync session's outcome.
    WindowsSync(crate::windows_sync::WindowsSyncOutcome),
}

/// What one run of a handler under a [`Scenario`] came to.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Run {
    /// How the session ended.
    pub outcome: Outcome,
    /// Every rule the handler broke, as the strict host saw it.
    pub report: ConformanceReport,
    /// Each item's final phase, in enumeration order.
    pub final_states: Vec<(ItemKey, ItemPhase)>,
    /// Every call and answer.
    pub transcript: Transcript,
}

impl Run {
    /// True when the handler broke no rule.
    pub fn is_clean(&self) -> bool {
        self.report.is_clean()
    }

    /// The first rule broken, if any.
    pub fn first_violation(&self) -> Option<&Violation> {
        self.report.violations.first()
    }

    /// The rules broken, in order.
    pub fn rules(&self) -> Vec<Rule> {
        self.report.violations.iter().map(|v| v.rule).collect()
    }
}

/// A strict SyncMgr host that injects faults ([`Scenario`]) and records
/// the transcript.
#[derive(Debug, Clone)]
pub struct TestHost {
    completion_timeout: Duration,
    mode: Mode,
}

impl Default for TestHost {
    fn default() -> Self {
        Self {
            completion_timeout: Duration::from_secs(5),
            mode: Mode::Strict,
        }
    }
}

impl TestHost {
    /// A strict host that waits 5 s for a completion.
    pub fn new() -> Self {
        Self::default()
    }

    /// How long the host waits for `PrepareForSyncCompleted` and
    /// `SynchronizeCompleted` before it gives up (a handler that never
    /// sends one ends `TimedOut`).
    #[must_use]
    pub fn with_completion_timeout(mut self, timeout: Duration) -> Self {
        self.completion_timeout = timeout;
        self
    }

    /// Record violations and answer as a lenient host would
    /// ([`Mode::Lenient`]); the default is [`Mode::Strict`].
    #[must_use]
    pub fn with_mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Run `handler` through one sync cycle of all its items under
    /// `scenario`.
    pub fn run(&self, handler: Arc<dyn SyncHandler>, scenario: &Scenario) -> Run {
        let session = Session::new(
            SessionConfig::new(self.mode).with_completion_timeout(self.completion_timeout),
        );
        let recorder = Recorder::new();
        let hook = Arc::new(ScenarioHook {
            session: session.clone(),
            faults: scenario.faults.clone(),
        });
        let recording = RecordingHandler::new(
            handler,
            Arc::clone(&recorder),
            Some(hook as Arc<dyn ProgressHook>),
        );
        let outcome = session.run(recording);
        let snapshot = session.snapshot();
        Run {
            outcome: Outcome::SyncMgr(outcome),
            report: session.conformance_report(),
            final_states: snapshot
                .items()
                .map(|i| (i.id().into(), i.phase()))
                .collect(),
            transcript: recorder.transcript(),
        }
    }
}

/// Applies a scenario's faults when their report comes.
struct ScenarioHook {
    session: Session,
    faults: Vec<Fault>,
}

impl ProgressHook for ScenarioHook {
    fn on_progress(&self, item: ItemId, nth_of_item: usize, nth: usize) -> HookAnswer {
        let key = ItemKey::from(item);
        let mut replace_callback = false;
        let failure = apply(&self.faults, &key, nth_of_item, nth, |fault| match fault {
            Act::CancelItem => {
                // A finished item cannot be cancelled: nothing to do then.
                let _ = self.session.cancel_item(item, CancelReason::User);
            }
            Act::CancelAll => self.session.cancel_all(CancelReason::User),
            Act::Skip => {
                let _ = self.session.skip_item(item);
            }
            Act::ReplaceCallback => replace_callback = true,
        });
        HookAnswer {
            failure,
            replace_callback,
        }
    }
}

/// What a fault asks the host to do.
pub(crate) enum Act {
    CancelItem,
    CancelAll,
    Skip,
    ReplaceCallback,
}

/// Apply the faults due at this report of `item` (its `nth_of_item`-th,
/// the `nth` in all) through `act`; the failure to answer with, if one is
/// due.
pub(crate) fn apply(
    faults: &[Fault],
    item: &ItemKey,
    nth_of_item: usize,
    nth: usize,
    mut act: impl FnMut(Act),
) -> Option<CallbackError> {
    let mut failure = None;
    for fault in faults {
        match fault {
            Fault::CancelItem { item: i, at_report } if i == item && *at_report == nth_of_item => {
                act(Act::CancelItem);
            }
            Fault::CancelAll { at_report } if *at_report == nth => act(Act::CancelAll),
            Fault::Skip { item: i, at_report } if i == item && *at_report == nth_of_item => {
                act(Act::Skip);
            }
            Fault::ReplaceCallback { at_report } if *at_report == nth => act(Act::ReplaceCallback),
            Fault::DelayReport { at_report, millis } if *at_report == nth => {
                std::thread::sleep(std::time::Duration::from_millis(*millis));
            }
            Fault::FailReport { at_report, code } if *at_report == nth => {
                failure = Some(Answer::callback_error(*code, "injected by the test host"));
            }
            _ => {}
        }
    }
    failure
}
