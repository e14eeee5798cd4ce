//! The Windows Sync model (`winsync.h`, PROTOCOL.md and §G.8 #52–#57):
//! a [`WindowsSyncSession`] driven through every stage with a recording
//! [`WindowsSyncCallback`].
//!
//! Checked, in strict and lenient mode wherever the session's rule table
//! distinguishes them:
//!
//! - the exact call sequence of [`ProviderStep::typical`]: stages in order,
//!   detection and enumeration passed through, change-application work
//!   accumulating (`total = accumulated + remaining`), `OnChange` before each
//!   change, running totals in `OnChangeApplied` / `OnChangeFailed`;
//! - provider-reported application progress accumulating, and the documented
//!   `0 / 0` report per applied change;
//! - cancellation from inside every callback and from another thread (with a
//!   rendezvous, no sleeps): nothing after the cancelling callback (#56);
//! - the crate's failing-callback policy (#57) for every method;
//! - #52–#55 in both modes, the callback lifecycle (register, replace from
//!   inside a callback, release), and the §C.3 vocabulary.

mod common;

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;

use common::within;
use syncmgr::windows_sync::{
    ChangeConflict, ChangeFlags, ChangeResult, ConflictResolutionPolicy, ConstraintConflictReason,
    ConstraintResolveAction, FilterCombinationType, FilterInfoFlags, FilteringType,
    FullEnumerationAction, KnowledgeCookieComparisonResult, ProgressStage, ProviderRole,
    ProviderStep, RecoverableError, ResolveAction, SerializationVersion, SerializeFlags,
    SessionStatistics, SyncChange, SyncStatistics, VersionFlags, WindowsSyncCallback,
    WindowsSyncConfig, WindowsSyncOutcome, WindowsSyncProgress, WindowsSyncSession,
};
use syncmgr::{
    CallbackError, DecodeError, FailureCode, HResult, Mode, ProgressItem, Rule, SlotTransition,
    Violation,
};

const MODES: [Mode; 2] = [Mode::Strict, Mode::Lenient];

// --- the recording callback ----------------------------------------------------

/// One callback call, with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Call {
    /// `OnProgress(role, stage, completed, total)`.
    Progress(ProviderRole, ProgressStage, u32, u32),
    /// `OnChange(item)`.
    Change(u64),
    /// `OnConflict(source item, destination item)`.
    Conflict(u64, u64),
    /// `OnFullEnumerationNeeded`.
    FullEnumerationNeeded,
    /// `OnRecoverableError(item, stage, code)`.
    RecoverableError(u64, ProgressStage, HResult),
    /// `OnChangeApplied(applied, failed)`.
    Applied(u32, u32),
    /// `OnChangeFailed(applied, failed)`.
    Failed(u32, u32),
}

impl Call {
    /// The Windows name of the method, as `CallbackFailed { call }` names it.
    fn method(&self) -> &'static str {
        match self {
            Self::Progress(..) => "OnProgress",
            Self::Change(_) => "OnChange",
            Self::Conflict(..) => "OnConflict",
            Self::FullEnumerationNeeded => "OnFullEnumerationNeeded",
            Self::RecoverableError(..) => "OnRecoverableError",
            Self::Applied(..) => "OnChangeApplied",
            Self::Failed(..) => "OnChangeFailed",
        }
    }
}

const METHODS: [&str; 7] = [
    "OnProgress",
    "OnChange",
    "OnConflict",
    "OnFullEnumerationNeeded",
    "OnRecoverableError",
    "OnChangeApplied",
    "OnChangeFailed",
];

/// Called after each call is recorded, with the call and its index in the
/// recorder's log; its result is the callback's result.
type Hook = Box<dyn Fn(&Call, usize) -> Result<(), CallbackError> + Send + Sync>;

/// Records every call in order and answers as configured.
struct Recorder {
    log: Mutex<Vec<Call>>,
    conflict_answer: Option<ResolveAction>,
    enumeration_answer: FullEnumerationAction,
    hook: Hook,
}

impl Recorder {
    /// Accepts everything: conflicts with `SRA_ACCEPT_SOURCE_PROVIDER`, a
    /// full enumeration with `SFEA_FULL_ENUMERATION`.
    fn new() -> Self {
        Self {
            log: Mutex::new(Vec::new()),
            conflict_answer: Some(ResolveAction::AcceptSourceProvider),
            enumeration_answer: FullEnumerationAction::FullEnumeration,
            hook: Box::new(|_, _| Ok(())),
        }
    }

    fn conflict(mut self, answer: Option<ResolveAction>) -> Self {
        self.conflict_answer = answer;
        self
    }

    fn enumeration(mut self, answer: FullEnumerationAction) -> Self {
        self.enumeration_answer = answer;
        self
    }

    fn hook(
        mut self,
        hook: impl Fn(&Call, usize) -> Result<(), CallbackError> + Send + Sync + 'static,
    ) -> Self {
        self.hook = Box::new(hook);
        self
    }

    fn calls(&self) -> Vec<Call> {
        self.log.lock().unwrap().clone()
    }

    fn record(&self, call: Call) -> Result<(), CallbackError> {
        let index = {
            let mut log = self.log.lock().unwrap();
            log.push(call.clone());
            log.len() - 1
        };
        (self.hook)(&call, index)
    }
}

impl WindowsSyncCallback for Recorder {
    fn on_progress(&self, p: &WindowsSyncProgress) -> Result<(), CallbackError> {
        self.record(Call::Progress(p.role, p.stage, p.completed, p.total))
    }

    fn on_change(&self, change: &SyncChange) -> Result<(), CallbackError> {
        self.record(Call::Change(change.item))
    }

    fn on_conflict(
        &self,
        conflict: &ChangeConflict,
    ) -> Result<Option<ResolveAction>, CallbackError> {
        self.record(Call::Conflict(
            conflict.source.item,
            conflict.destination.item,
        ))?;
        Ok(self.conflict_answer)
    }

    fn on_full_enumeration_needed(&self) -> Result<FullEnumerationAction, CallbackError> {
        self.record(Call::FullEnumerationNeeded)?;
        Ok(self.enumeration_answer)
    }

    fn on_recoverable_error(&self, error: &RecoverableError) -> Result<(), CallbackError> {
        self.record(Call::RecoverableError(
            error.item,
            error.stage,
            error.code.get(),
        ))
    }

    fn on_change_applied(&self, totals: SessionStatistics) -> Result<(), CallbackError> {
        self.record(Call::Applied(totals.changes_applied, totals.changes_failed))
    }

    fn on_change_failed(&self, totals: SessionStatistics) -> Result<(), CallbackError> {
        self.record(Call::Failed(totals.changes_applied, totals.changes_failed))
    }
}

/// Implements only the required `on_progress`: every other method keeps the
/// trait's default answer.
#[derive(Default)]
struct ProgressOnly {
    log: Mutex<Vec<Call>>,
}

impl WindowsSyncCallback for ProgressOnly {
    fn on_progress(&self, p: &WindowsSyncProgress) -> Result<(), CallbackError> {
        self.log
            .lock()
            .unwrap()
            .push(Call::Progress(p.role, p.stage, p.completed, p.total));
        Ok(())
    }
}

// --- helpers -------------------------------------------------------------------

use ProgressStage::{ChangeApplication as APP, ChangeDetection as DET, ChangeEnumeration as ENUM};
use ProviderRole::{Destination as DST, Source as SRC};

fn session(mode: Mode, conflict_policy: ConflictResolutionPolicy) -> WindowsSyncSession {
    WindowsSyncSession::new(WindowsSyncConfig::new(mode).with_conflict_policy(conflict_policy))
}

fn register(session: &WindowsSyncSession, recorder: &Arc<Recorder>) -> SlotTransition {
    session.register_callback(Some(Arc::clone(recorder) as Arc<dyn WindowsSyncCallback>))
}

fn progress(role: u32, stage: u32, completed: u32, total: u32) -> ProviderStep {
    ProviderStep::Progress {
        role,
        stage,
        completed,
        total,
    }
}

fn change(item: u64, result: ChangeResult) -> ProviderStep {
    ProviderStep::Change {
        change: SyncChange::new(item),
        result,
    }
}

fn conflict_with(destination: u64) -> ChangeResult {
    ChangeResult::Conflict(SyncChange::new(destination))
}

fn code(hr: HResult) -> FailureCode {
    FailureCode::new(hr).expect("a failure code")
}

fn stats(changes_applied: u32, changes_failed: u32) -> SessionStatistics {
    SessionStatistics {
        changes_applied,
        changes_failed,
    }
}

/// The totals the last `OnChangeApplied` / `OnChangeFailed` in `log` reported.
fn totals_in(log: &[Call]) -> SessionStatistics {
    log.iter()
        .rev()
        .find_map(|call| match *call {
            Call::Applied(a, f) | Call::Failed(a, f) => Some(stats(a, f)),
            _ => None,
        })
        .unwrap_or_default()
}

fn rules(violations: &[Violation]) -> Vec<Rule> {
    violations.iter().map(|v| v.rule).collect()
}

/// Steps that make the session call every callback method: detection,
/// `OnFullEnumerationNeeded`, enumeration, a recoverable error, an estimate of
/// five, applied / failed / conflicting changes, another recoverable error
/// and a provider application report.
fn all_kinds_steps() -> Vec<ProviderStep> {
    vec![
        progress(0, 0, 1, 2),
        progress(0, 0, 2, 2),
        ProviderStep::FullEnumerationNeeded,
        progress(0, 1, 1, 1),
        ProviderStep::RecoverableError(RecoverableError {
            item: 90,
            stage: ENUM,
            code: code(HResult::E_FAIL),
        }),
        ProviderStep::SetRemainingWorkEstimate(5),
        change(0, ChangeResult::Applied),
        change(1, ChangeResult::Failed),
        change(2, conflict_with(102)),
        change(3, ChangeResult::Failed),
        change(4, ChangeResult::Applied),
        ProviderStep::RecoverableError(RecoverableError {
            item: 91,
            stage: APP,
            code: code(HResult::E_ACCESSDENIED),
        }),
        progress(1, 2, 1, 0),
    ]
}

/// What a [`Recorder::new`] sees for [`all_kinds_steps`] under `CRP_NONE`.
fn all_kinds_calls() -> Vec<Call> {
    vec![
        Call::Progress(SRC, DET, 1, 2),
        Call::Progress(SRC, DET, 2, 2),
        Call::FullEnumerationNeeded,
        Call::Progress(SRC, ENUM, 1, 1),
        Call::RecoverableError(90, ENUM, HResult::E_FAIL),
        Call::Change(0),
        Call::Applied(1, 0),
        Call::Progress(DST, APP, 1, 5),
        Call::Change(1),
        Call::Failed(1, 1),
        Call::Progress(DST, APP, 2, 5),
        Call::Change(2),
        Call::Conflict(2, 102),
        Call::Applied(2, 1),
        Call::Progress(DST, APP, 3, 5),
        Call::Change(3),
        Call::Failed(2, 2),
        Call::Progress(DST, APP, 4, 5),
        Call::Change(4),
        Call::Applied(3, 2),
        Call::Progress(DST, APP, 5, 5),
        Call::RecoverableError(91, APP, HResult::E_ACCESSDENIED),
        Call::Progress(DST, APP, 6, 6),
    ]
}

/// Invariants of any log from a session whose provider follows the rules:
/// stages never go back; in change application completed work never
/// decreases and stays within the total (but for `0 / 0`); elsewhere it stays
/// within the total; each `OnChangeApplied` / `OnChangeFailed` follows the
/// change's `OnChange` (and its `OnConflict`) and carries running totals.
fn check_invariants(log: &[Call]) {
    let mut stage = None;
    let mut applied_completed = 0;
    let mut totals = stats(0, 0);
    for (i, call) in log.iter().enumerate() {
        match *call {
            Call::Progress(_, s, completed, total) => {
                assert!(
                    stage <= Some(s),
                    "#{i} {call:?}: stage went back in {log:?}"
                );
                stage = Some(s);
                let zero = completed == 0 && total == 0;
                assert!(
                    zero || completed <= total,
                    "#{i} {call:?}: completed > total"
                );
                if s == APP && !zero {
                    assert!(
                        completed >= applied_completed,
                        "#{i} {call:?}: completed work decreased in {log:?}"
                    );
                    applied_completed = completed;
                }
            }
            Call::Applied(a, f) | Call::Failed(a, f) => {
                let expected = if matches!(call, Call::Applied(..)) {
                    stats(totals.changes_applied + 1, totals.changes_failed)
                } else {
                    stats(totals.changes_applied, totals.changes_failed + 1)
                };
                assert_eq!(stats(a, f), expected, "#{i}: totals are running totals");
                totals = expected;
                let before = &log[..i];
                let change_at = match before.last() {
                    Some(Call::Change(_)) => i - 1,
                    Some(Call::Conflict(..)) => i - 2,
                    other => panic!("#{i} {call:?} follows {other:?}, not its change"),
                };
                assert!(
                    matches!(log[change_at], Call::Change(_)),
                    "#{i} {call:?}: no OnChange before it"
                );
            }
            _ => {}
        }
    }
}

/// A session over `all_kinds_steps` whose recorder runs `hook`.
fn run_all_kinds(
    mode: Mode,
    hook: impl Fn(&WindowsSyncSession, &Call, usize) -> Result<(), CallbackError>
    + Send
    + Sync
    + 'static,
) -> (WindowsSyncSession, Arc<Recorder>, WindowsSyncOutcome) {
    let session = session(mode, ConflictResolutionPolicy::None);
    let inner = session.clone();
    let recorder = Arc::new(Recorder::new().hook(move |call, i| hook(&inner, call, i)));
    register(&session, &recorder);
    let outcome = session.run(all_kinds_steps());
    (session, recorder, outcome)
}

// --- the whole session -----------------------------------------------------------

#[test]
fn typical_builds_detection_enumeration_estimate_then_changes() {
    let changes = [
        (SyncChange::new(7), ChangeResult::Applied),
        (SyncChange::new(8), ChangeResult::Failed),
    ];
    assert_eq!(
        ProviderStep::typical(2, 1, changes),
        vec![
            progress(0, 0, 1, 2),
            progress(0, 0, 2, 2),
            progress(0, 1, 1, 1),
            ProviderStep::SetRemainingWorkEstimate(2),
            change(7, ChangeResult::Applied),
            change(8, ChangeResult::Failed),
        ]
    );
    assert_eq!(
        ProviderStep::typical(0, 0, []),
        vec![ProviderStep::SetRemainingWorkEstimate(0)]
    );
}

#[test]
fn typical_session_calls_back_in_order() {
    for mode in MODES {
        let session = session(mode, ConflictResolutionPolicy::None);
        let recorder = Arc::new(Recorder::new());
        assert_eq!(register(&session, &recorder), SlotTransition::Registered);
        let changes = [
            (SyncChange::new(10), ChangeResult::Applied),
            (SyncChange::new(11), ChangeResult::Failed),
            (SyncChange::new(12), ChangeResult::Applied),
        ];
        let outcome = session.run(ProviderStep::typical(2, 3, changes));

        assert_eq!(
            outcome,
            WindowsSyncOutcome::Completed(stats(2, 1)),
            "{mode:?}"
        );
        let log = recorder.calls();
        assert_eq!(
            log,
            vec![
                // Detection and enumeration pass straight through.
                Call::Progress(SRC, DET, 1, 2),
                Call::Progress(SRC, DET, 2, 2),
                Call::Progress(SRC, ENUM, 1, 3),
                Call::Progress(SRC, ENUM, 2, 3),
                Call::Progress(SRC, ENUM, 3, 3),
                // Application: estimate 3; each processed change (applied or
                // failed: both are work done) adds one to the accumulated
                // work and takes one off the remaining.
                Call::Change(10),
                Call::Applied(1, 0),
                Call::Progress(DST, APP, 1, 3),
                Call::Change(11),
                Call::Failed(1, 1),
                Call::Progress(DST, APP, 2, 3),
                Call::Change(12),
                Call::Applied(2, 1),
                Call::Progress(DST, APP, 3, 3),
            ],
            "{mode:?}"
        );
        check_invariants(&log);
        assert_eq!(session.statistics(), stats(2, 1));
        assert_eq!(session.error_status(), None);
        assert!(!session.is_canceled());
        assert!(
            session.violations().is_empty(),
            "{:?}",
            session.violations()
        );
        assert!(session.refused_steps().is_empty());
        assert!(session.resolutions().is_empty());
        assert_eq!(session.full_enumeration_action(), None);
    }
}

#[test]
fn every_applied_change_completes_the_estimate() {
    let session = session(Mode::Strict, ConflictResolutionPolicy::None);
    let recorder = Arc::new(Recorder::new());
    register(&session, &recorder);
    let changes = (0..4).map(|i| (SyncChange::new(i), ChangeResult::Applied));
    let outcome = session.run(ProviderStep::typical(1, 1, changes));
    assert_eq!(outcome, WindowsSyncOutcome::Completed(stats(4, 0)));
    let application: Vec<Call> = recorder
        .calls()
        .into_iter()
        .filter(|c| matches!(c, Call::Progress(_, APP, ..)))
        .collect();
    assert_eq!(
        application,
        (1..=4)
            .map(|done| Call::Progress(DST, APP, done, 4))
            .collect::<Vec<_>>()
    );
}

#[test]
fn every_method_is_called_in_order() {
    for mode in MODES {
        let (session, recorder, outcome) = run_all_kinds(mode, |_, _, _| Ok(()));
        assert_eq!(
            outcome,
            WindowsSyncOutcome::Completed(stats(3, 2)),
            "{mode:?}"
        );
        let log = recorder.calls();
        assert_eq!(log, all_kinds_calls(), "{mode:?}");
        check_invariants(&log);
        for method in METHODS {
            assert!(
                log.iter().any(|c| c.method() == method),
                "{method} not called"
            );
        }
        assert_eq!(
            session.full_enumeration_action(),
            Some(FullEnumerationAction::FullEnumeration)
        );
        assert_eq!(
            session.resolutions(),
            vec![(
                ChangeConflict {
                    source: SyncChange::new(2),
                    destination: SyncChange::new(102),
                },
                Some(ResolveAction::AcceptSourceProvider)
            )]
        );
        assert!(
            session.violations().is_empty(),
            "{:?}",
            session.violations()
        );
    }
}

#[test]
fn provider_application_progress_accumulates() {
    for mode in MODES {
        let session = session(mode, ConflictResolutionPolicy::None);
        let recorder = Arc::new(Recorder::new());
        register(&session, &recorder);
        let outcome = session.run([
            // Detection passes through: not accumulated.
            progress(0, 0, 3, 9),
            progress(0, 0, 4, 9),
            // Application: completed is added up, total is what remains.
            progress(1, 2, 2, 5),
            progress(1, 2, 3, 2),
            progress(1, 2, 0, 0),
            progress(0, 2, 1, 1),
        ]);
        assert_eq!(outcome, WindowsSyncOutcome::Completed(stats(0, 0)));
        assert_eq!(
            recorder.calls(),
            vec![
                Call::Progress(SRC, DET, 3, 9),
                Call::Progress(SRC, DET, 4, 9),
                Call::Progress(DST, APP, 2, 7),
                Call::Progress(DST, APP, 5, 7),
                Call::Progress(DST, APP, 5, 5),
                Call::Progress(SRC, APP, 6, 7),
            ],
            "{mode:?}"
        );
        assert!(
            session.violations().is_empty(),
            "{:?}",
            session.violations()
        );
        assert!(session.refused_steps().is_empty());
    }
}

#[test]
fn zero_estimate_reports_zero_of_zero_once_per_applied_change() {
    use ChangeResult::{Applied, Failed};
    for mode in MODES {
        let session = session(mode, ConflictResolutionPolicy::SourceProviderWins);
        let recorder = Arc::new(Recorder::new());
        register(&session, &recorder);
        let outcome = session.run([
            progress(0, 0, 1, 1),
            ProviderStep::SetRemainingWorkEstimate(0),
            change(1, Applied),
            change(2, Failed),
            change(3, Applied),
            change(4, Failed),
            change(5, conflict_with(50)), // source wins: applied
            change(6, Applied),
        ]);
        assert_eq!(
            outcome,
            WindowsSyncOutcome::Completed(stats(4, 2)),
            "{mode:?}"
        );
        let zero = Call::Progress(DST, APP, 0, 0);
        assert_eq!(
            recorder.calls(),
            vec![
                Call::Progress(SRC, DET, 1, 1),
                Call::Change(1),
                Call::Applied(1, 0),
                zero.clone(),
                Call::Change(2),
                Call::Failed(1, 1),
                Call::Change(3),
                Call::Applied(2, 1),
                zero.clone(),
                Call::Change(4),
                Call::Failed(2, 2),
                Call::Change(5),
                Call::Applied(3, 2),
                zero.clone(),
                Call::Change(6),
                Call::Applied(4, 2),
                zero,
            ],
            "{mode:?}"
        );
        // 0 / 0 is documented: never a #53 violation.
        assert!(
            session.violations().is_empty(),
            "{:?}",
            session.violations()
        );
    }
}

#[test]
fn without_an_estimate_changes_report_no_progress() {
    let session = session(Mode::Strict, ConflictResolutionPolicy::None);
    let recorder = Arc::new(Recorder::new());
    register(&session, &recorder);
    let outcome = session.run([
        change(1, ChangeResult::Applied),
        change(2, ChangeResult::Failed),
    ]);
    assert_eq!(outcome, WindowsSyncOutcome::Completed(stats(1, 1)));
    assert_eq!(
        recorder.calls(),
        vec![
            Call::Change(1),
            Call::Applied(1, 0),
            Call::Change(2),
            Call::Failed(1, 1),
        ]
    );
}

/// §G.8 #53 [inferred]: application work does not decrease; the `0 / 0`
/// exception is documented for an estimate *set to* 0. An estimate of 1 that
/// two applied changes run past should go on accumulating — (1, 1) then
/// (2, 2) — not fall back to the `0 / 0` report.
#[test]
fn an_exhausted_estimate_keeps_accumulating() {
    let session = session(Mode::Strict, ConflictResolutionPolicy::None);
    let recorder = Arc::new(Recorder::new());
    register(&session, &recorder);
    let outcome = session.run([
        ProviderStep::SetRemainingWorkEstimate(1),
        change(1, ChangeResult::Applied),
        change(2, ChangeResult::Applied),
    ]);
    assert_eq!(outcome, WindowsSyncOutcome::Completed(stats(2, 0)));
    let log = recorder.calls();
    check_invariants(&log);
    assert_eq!(
        log,
        vec![
            Call::Change(1),
            Call::Applied(1, 0),
            Call::Progress(DST, APP, 1, 1),
            Call::Change(2),
            Call::Applied(2, 0),
            Call::Progress(DST, APP, 2, 2),
        ]
    );
}

/// Random well-behaved providers: the invariants hold and the totals agree
/// with an independent count. (Estimates are 0 or the number of changes;
/// an estimate that runs out has its own test above.)
#[test]
fn random_sessions_keep_the_invariants() {
    let mut seed: u64 = 0x5eed_1234_abcd_0001;
    let mut next = move |n: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % n
    };
    let answers = [
        None,
        Some(ResolveAction::Defer),
        Some(ResolveAction::AcceptDestinationProvider),
        Some(ResolveAction::AcceptSourceProvider),
        Some(ResolveAction::Merge),
        Some(ResolveAction::TransferAndDefer),
    ];
    for round in 0..300 {
        let mode = MODES[usize::try_from(next(2)).unwrap()];
        let answer = answers[usize::try_from(next(6)).unwrap()];
        let mut steps = Vec::new();
        for stage in 0..2 {
            let units = u32::try_from(next(4)).unwrap();
            for done in 1..=units {
                steps.push(progress(
                    u32::try_from(next(2)).unwrap(),
                    stage,
                    done,
                    units,
                ));
            }
        }
        let n = next(8);
        steps.push(ProviderStep::SetRemainingWorkEstimate(if next(2) == 0 {
            0
        } else {
            u32::try_from(n).unwrap()
        }));
        let (mut applied, mut failed) = (0, 0);
        for item in 0..n {
            let result = match next(3) {
                0 => ChangeResult::Applied,
                1 => ChangeResult::Failed,
                _ => conflict_with(1000 + item),
            };
            match result {
                ChangeResult::Applied => applied += 1,
                ChangeResult::Failed => failed += 1,
                ChangeResult::Conflict(_) => match answer {
                    Some(a) if a.applies_change() => applied += 1,
                    None if mode == Mode::Strict => failed += 1,
                    _ => {}
                },
            }
            steps.push(change(item, result));
            if next(4) == 0 {
                steps.push(progress(
                    u32::try_from(next(2)).unwrap(),
                    2,
                    u32::try_from(next(3)).unwrap(),
                    u32::try_from(next(3)).unwrap(),
                ));
            }
        }
        let session = session(mode, ConflictResolutionPolicy::None);
        let recorder = Arc::new(Recorder::new().conflict(answer));
        register(&session, &recorder);
        let outcome = session.run(steps.clone());
        assert_eq!(
            outcome,
            WindowsSyncOutcome::Completed(stats(applied, failed)),
            "round {round}: {steps:?}"
        );
        check_invariants(&recorder.calls());
        assert!(session.refused_steps().is_empty(), "round {round}");
        let unresolved = if answer.is_none() {
            recorder
                .calls()
                .iter()
                .filter(|c| matches!(c, Call::Conflict(..)))
                .count()
        } else {
            0
        };
        assert_eq!(session.violations().len(), unresolved, "round {round}");
    }
}

// --- cancellation (#56) ------------------------------------------------------------

/// After `cancel()` the session is cancelled for good: `IsCanceled`,
/// `E_ABORT`, and a second `run` does nothing.
fn assert_cancelled_for_good(
    session: &WindowsSyncSession,
    recorder: &Recorder,
    expected: SessionStatistics,
) {
    assert!(session.is_canceled());
    assert_eq!(session.error_status(), Some(HResult::E_ABORT));
    assert_eq!(session.statistics(), expected);
    let calls = recorder.calls().len();
    assert_eq!(
        session.run(all_kinds_steps()),
        WindowsSyncOutcome::AlreadyRan(expected)
    );
    assert_eq!(recorder.calls().len(), calls, "a second run called back");
    assert_eq!(session.error_status(), Some(HResult::E_ABORT));
    assert_eq!(session.statistics(), expected);
}

#[test]
fn cancel_in_the_second_on_change_stops_everything() {
    for mode in MODES {
        let session = session(mode, ConflictResolutionPolicy::None);
        let inner = session.clone();
        let changes_seen = Mutex::new(0);
        let recorder = Arc::new(Recorder::new().hook(move |call, _| {
            if matches!(call, Call::Change(_)) {
                let mut seen = changes_seen.lock().unwrap();
                *seen += 1;
                if *seen == 2 {
                    inner.cancel();
                }
            }
            Ok(())
        }));
        register(&session, &recorder);
        let changes = (0..4).map(|i| (SyncChange::new(i), ChangeResult::Applied));
        let outcome = session.run(ProviderStep::typical(2, 3, changes));

        assert_eq!(
            outcome,
            WindowsSyncOutcome::Cancelled(stats(1, 0)),
            "{mode:?}"
        );
        let log = recorder.calls();
        assert_eq!(log.last(), Some(&Call::Change(1)), "{mode:?}: {log:?}");
        assert_eq!(log.len(), 5 + 3 + 1);
        assert_cancelled_for_good(&session, &recorder, stats(1, 0));
    }
}

/// Cancel from inside each callback of [`all_kinds_calls`] in turn: the log
/// ends with the cancelling call and the totals are those reported so far.
#[test]
fn cancel_inside_any_callback_is_the_last_callback() {
    let reference = all_kinds_calls();
    for mode in MODES {
        for (at, call) in reference.iter().enumerate() {
            let (session, recorder, outcome) = run_all_kinds(mode, move |s, _, i| {
                if i == at {
                    s.cancel();
                }
                Ok(())
            });
            let expected = totals_in(&reference[..=at]);
            assert_eq!(
                recorder.calls(),
                reference[..=at],
                "{mode:?}: cancelled in #{at} {call:?}"
            );
            assert_eq!(
                outcome,
                WindowsSyncOutcome::Cancelled(expected),
                "{mode:?} #{at}"
            );
            assert_cancelled_for_good(&session, &recorder, expected);
        }
    }
}

/// A hook that cancels `session` inside `OnConflict`.
fn cancel_in_conflict(
    session: &WindowsSyncSession,
) -> impl Fn(&Call, usize) -> Result<(), CallbackError> + Send + Sync + 'static {
    let inner = session.clone();
    move |call, _| {
        if matches!(call, Call::Conflict(..)) {
            inner.cancel();
        }
        Ok(())
    }
}

#[test]
fn cancel_inside_on_conflict_is_the_last_callback() {
    for mode in MODES {
        let session = session(mode, ConflictResolutionPolicy::None);
        let recorder = Arc::new(
            Recorder::new()
                .conflict(Some(ResolveAction::Merge))
                .hook(cancel_in_conflict(&session)),
        );
        register(&session, &recorder);
        let outcome = session.run([
            change(1, ChangeResult::Applied),
            change(2, conflict_with(20)),
            change(3, ChangeResult::Applied),
        ]);
        assert_eq!(
            recorder.calls(),
            vec![
                Call::Change(1),
                Call::Applied(1, 0),
                Call::Change(2),
                Call::Conflict(2, 20)
            ],
            "{mode:?}"
        );
        assert_eq!(
            outcome,
            WindowsSyncOutcome::Cancelled(stats(1, 0)),
            "{mode:?}"
        );
    }
}

#[test]
fn cancel_inside_an_unanswered_on_conflict_is_the_last_callback() {
    let session = session(Mode::Strict, ConflictResolutionPolicy::None);
    let recorder = Arc::new(
        Recorder::new()
            .conflict(None)
            .hook(cancel_in_conflict(&session)),
    );
    register(&session, &recorder);
    let outcome = session.run([
        change(2, conflict_with(20)),
        change(3, ChangeResult::Applied),
    ]);
    assert_eq!(
        recorder.calls(),
        vec![Call::Change(2), Call::Conflict(2, 20)]
    );
    assert_eq!(outcome, WindowsSyncOutcome::Cancelled(stats(0, 0)));
}

/// Cancelling inside an `OnConflict` whose answer neither applies nor fails
/// the change already stops the session there.
#[test]
fn cancel_inside_a_deferring_on_conflict_is_the_last_callback() {
    for mode in MODES {
        for answer in [
            Some(ResolveAction::Defer),
            Some(ResolveAction::AcceptDestinationProvider),
            Some(ResolveAction::TransferAndDefer),
        ] {
            let session = session(mode, ConflictResolutionPolicy::None);
            let recorder = Arc::new(
                Recorder::new()
                    .conflict(answer)
                    .hook(cancel_in_conflict(&session)),
            );
            register(&session, &recorder);
            let outcome = session.run([
                change(2, conflict_with(20)),
                change(3, ChangeResult::Applied),
            ]);
            assert_eq!(
                recorder.calls(),
                vec![Call::Change(2), Call::Conflict(2, 20)]
            );
            assert_eq!(outcome, WindowsSyncOutcome::Cancelled(stats(0, 0)));
            assert!(session.is_canceled());
            assert_eq!(session.error_status(), Some(HResult::E_ABORT));
        }
    }
}

/// Another thread cancels while the session thread waits inside the `at`-th
/// callback; the callback returns only after `cancel()` has returned.
fn cancel_from_another_thread_at(mode: Mode, at: usize) {
    let session = session(mode, ConflictResolutionPolicy::None);
    let (reached_tx, reached_rx) = mpsc::channel::<()>();
    let (cancelled_tx, cancelled_rx) = mpsc::channel::<()>();
    let cancelled_rx = Mutex::new(cancelled_rx);
    let recorder = Arc::new(Recorder::new().hook(move |_, i| {
        if i == at {
            reached_tx.send(()).unwrap();
            cancelled_rx.lock().unwrap().recv().unwrap();
        }
        Ok(())
    }));
    register(&session, &recorder);
    let canceller = {
        let session = session.clone();
        thread::spawn(move || {
            reached_rx.recv().unwrap();
            session.cancel();
            cancelled_tx.send(()).unwrap();
        })
    };
    let outcome = session.run(all_kinds_steps());
    canceller.join().unwrap();

    let reference = all_kinds_calls();
    let expected = totals_in(&reference[..=at]);
    assert_eq!(recorder.calls(), reference[..=at], "{mode:?} #{at}");
    assert_eq!(outcome, WindowsSyncOutcome::Cancelled(expected));
    assert_cancelled_for_good(&session, &recorder, expected);
}

#[test]
fn cancel_from_another_thread_during_the_second_on_change() {
    let at = all_kinds_calls()
        .iter()
        .position(|c| *c == Call::Change(1))
        .unwrap();
    for mode in MODES {
        within(30, "cross-thread cancel", move || {
            cancel_from_another_thread_at(mode, at);
        });
    }
}

#[test]
fn cancel_from_another_thread_inside_any_callback() {
    within(60, "cross-thread cancel at every callback", || {
        for mode in MODES {
            for at in 0..all_kinds_calls().len() {
                cancel_from_another_thread_at(mode, at);
            }
        }
    });
}

#[test]
fn cancel_before_run_calls_nothing() {
    within(30, "cancel before run", || {
        for mode in MODES {
            let session = session(mode, ConflictResolutionPolicy::None);
            let recorder = Arc::new(Recorder::new());
            register(&session, &recorder);
            let canceller = {
                let session = session.clone();
                thread::spawn(move || session.cancel())
            };
            canceller.join().unwrap();
            assert!(session.is_canceled());
            let outcome = session.run(all_kinds_steps());
            assert_eq!(outcome, WindowsSyncOutcome::Cancelled(stats(0, 0)));
            assert!(recorder.calls().is_empty(), "{:?}", recorder.calls());
            assert_cancelled_for_good(&session, &recorder, stats(0, 0));
        }
    });
}

#[test]
fn a_finished_session_runs_only_once() {
    let session = session(Mode::Strict, ConflictResolutionPolicy::None);
    let recorder = Arc::new(Recorder::new());
    register(&session, &recorder);
    let first = session.run(all_kinds_steps());
    assert_eq!(first, WindowsSyncOutcome::Completed(stats(3, 2)));
    assert!(!session.is_canceled());
    assert_eq!(session.error_status(), None);
    let calls = recorder.calls().len();
    // The caller's mistake, not a cancel: nothing happens and the completed
    // session stays completed.
    assert_eq!(
        session.run(all_kinds_steps()),
        WindowsSyncOutcome::AlreadyRan(stats(3, 2))
    );
    assert_eq!(recorder.calls().len(), calls);
    assert_eq!(session.error_status(), None);
    assert!(!session.is_canceled());
}

// --- a failing callback aborts (#57) ----------------------------------------------------

fn failures() -> Vec<(CallbackError, HResult)> {
    let custom = HResult::from_u32(0x8004_1234);
    vec![
        (
            CallbackError::Failed(code(HResult::E_FAIL)),
            HResult::E_FAIL,
        ),
        (
            CallbackError::InvalidArgument {
                reason: "no".into(),
            },
            HResult::E_INVALIDARG,
        ),
        (
            CallbackError::AccessDenied {
                reason: "no".into(),
            },
            HResult::E_ACCESSDENIED,
        ),
        (
            CallbackError::Unexpected {
                reason: "no".into(),
            },
            HResult::E_UNEXPECTED,
        ),
        (CallbackError::Failed(code(custom)), custom),
        // A *registered* callback answering NoCallback still failed.
        (CallbackError::NoCallback, HResult::E_UNEXPECTED),
    ]
}

#[test]
fn a_failing_callback_aborts_the_session() {
    let reference = all_kinds_calls();
    for mode in MODES {
        for method in METHODS {
            for (error, hr) in failures() {
                // Fail the first call of `method`, and separately its last.
                let first = reference.iter().position(|c| c.method() == method).unwrap();
                let last = reference
                    .iter()
                    .rposition(|c| c.method() == method)
                    .unwrap();
                for at in [first, last] {
                    let error = error.clone();
                    let (session, recorder, outcome) =
                        run_all_kinds(
                            mode,
                            move |_, _, i| {
                                if i == at { Err(error.clone()) } else { Ok(()) }
                            },
                        );
                    let what = format!("{mode:?} {method} #{at} {hr}");
                    let expected = totals_in(&reference[..=at]);
                    assert_eq!(
                        outcome,
                        WindowsSyncOutcome::CallbackFailed {
                            call: method,
                            code: hr,
                            statistics: expected,
                        },
                        "{what}"
                    );
                    assert_eq!(recorder.calls(), reference[..=at], "{what}");
                    assert_eq!(session.error_status(), Some(hr), "{what}");
                    assert!(session.is_canceled(), "{what}");
                    assert_eq!(session.statistics(), expected, "{what}");
                    let violations = session.violations();
                    assert_eq!(
                        rules(&violations),
                        vec![Rule::CALLBACK_FAILURE_ABORTS],
                        "{what}"
                    );
                    assert_eq!(violations[0].call, method, "{what}");
                    // Finished: a second run calls nothing.
                    assert!(matches!(
                        session.run(all_kinds_steps()),
                        WindowsSyncOutcome::AlreadyRan(s) if s == expected
                    ));
                    assert_eq!(recorder.calls(), reference[..=at], "{what}");
                }
            }
        }
    }
}

#[test]
fn a_failure_from_a_progress_only_callback_aborts_before_the_next_step() {
    struct FailSecond(Mutex<u32>);
    impl WindowsSyncCallback for FailSecond {
        fn on_progress(&self, _: &WindowsSyncProgress) -> Result<(), CallbackError> {
            let mut n = self.0.lock().unwrap();
            *n += 1;
            if *n == 2 {
                Err(CallbackError::Failed(code(HResult::E_OUTOFMEMORY)))
            } else {
                Ok(())
            }
        }
    }
    let session = session(Mode::Lenient, ConflictResolutionPolicy::None);
    let callback = Arc::new(FailSecond(Mutex::new(0)));
    session.register_callback(Some(Arc::clone(&callback) as Arc<dyn WindowsSyncCallback>));
    let outcome = session.run(ProviderStep::typical(
        3,
        3,
        [(SyncChange::new(1), ChangeResult::Applied)],
    ));
    assert_eq!(
        outcome,
        WindowsSyncOutcome::CallbackFailed {
            call: "OnProgress",
            code: HResult::E_OUTOFMEMORY,
            statistics: stats(0, 0),
        }
    );
    assert_eq!(
        *callback.0.lock().unwrap(),
        2,
        "no progress after the failure"
    );
}

// --- #52 role, stage and stage order ----------------------------------------------------

#[test]
fn unknown_role_or_stage_is_refused_in_both_modes() {
    for mode in MODES {
        let session = session(mode, ConflictResolutionPolicy::None);
        let recorder = Arc::new(Recorder::new());
        register(&session, &recorder);
        let outcome = session.run([
            progress(2, 0, 1, 1),
            progress(0, 3, 1, 1),
            progress(u32::MAX, u32::MAX, 0, 0),
            progress(1, 0, 1, 1),
        ]);
        assert_eq!(outcome, WindowsSyncOutcome::Completed(stats(0, 0)));
        assert_eq!(
            recorder.calls(),
            vec![Call::Progress(DST, DET, 1, 1)],
            "{mode:?}: refused reports were forwarded"
        );
        let refused = session.refused_steps();
        assert_eq!(
            refused
                .iter()
                .map(|r| (r.index, r.code))
                .collect::<Vec<_>>(),
            vec![
                (0, HResult::E_INVALIDARG),
                (1, HResult::E_INVALIDARG),
                (2, HResult::E_INVALIDARG)
            ],
            "{mode:?}"
        );
        let violations = session.violations();
        assert_eq!(rules(&violations), vec![Rule::PROGRESS_ARGUMENTS; 3]);
        assert!(
            violations
                .iter()
                .all(|v| v.answered == Some(HResult::E_INVALIDARG))
        );
    }
}

#[test]
fn a_stage_going_back_is_refused_when_strict_and_forwarded_when_lenient() {
    for mode in MODES {
        let session = session(mode, ConflictResolutionPolicy::None);
        let recorder = Arc::new(Recorder::new());
        register(&session, &recorder);
        let outcome = session.run([
            progress(0, 1, 1, 2),
            progress(0, 0, 1, 2), // back to detection
            progress(1, 1, 2, 2), // the same stage again is fine
        ]);
        assert_eq!(outcome, WindowsSyncOutcome::Completed(stats(0, 0)));
        let violations = session.violations();
        assert_eq!(
            rules(&violations),
            vec![Rule::PROGRESS_ARGUMENTS],
            "{mode:?}"
        );
        match mode {
            Mode::Strict => {
                assert_eq!(
                    recorder.calls(),
                    vec![
                        Call::Progress(SRC, ENUM, 1, 2),
                        Call::Progress(DST, ENUM, 2, 2)
                    ]
                );
                let refused = session.refused_steps();
                assert_eq!(refused.len(), 1);
                assert_eq!(
                    (refused[0].index, refused[0].code),
                    (1, HResult::E_INVALIDARG)
                );
                assert_eq!(violations[0].answered, Some(HResult::E_INVALIDARG));
            }
            Mode::Lenient => {
                assert_eq!(
                    recorder.calls(),
                    vec![
                        Call::Progress(SRC, ENUM, 1, 2),
                        Call::Progress(SRC, DET, 1, 2),
                        Call::Progress(DST, ENUM, 2, 2)
                    ]
                );
                assert!(session.refused_steps().is_empty());
                assert_eq!(violations[0].answered, None);
            }
        }
    }
}

#[test]
fn detection_after_a_change_is_a_stage_going_back() {
    for mode in MODES {
        let session = session(mode, ConflictResolutionPolicy::None);
        let recorder = Arc::new(Recorder::new());
        register(&session, &recorder);
        session.run([change(1, ChangeResult::Applied), progress(0, 0, 1, 1)]);
        assert_eq!(rules(&session.violations()), vec![Rule::PROGRESS_ARGUMENTS]);
        let forwarded = recorder.calls().contains(&Call::Progress(SRC, DET, 1, 1));
        assert_eq!(forwarded, mode == Mode::Lenient, "{mode:?}");
        assert_eq!(
            session.refused_steps().len(),
            usize::from(mode == Mode::Strict)
        );
    }
}

// --- #53 completed within total -----------------------------------------------------------

#[test]
fn completed_above_total_is_refused_when_strict_and_forwarded_when_lenient() {
    for mode in MODES {
        for stage in [0, 1] {
            let session = session(mode, ConflictResolutionPolicy::None);
            let recorder = Arc::new(Recorder::new());
            register(&session, &recorder);
            let outcome = session.run([progress(0, stage, 5, 3), progress(0, stage, 3, 3)]);
            assert_eq!(outcome, WindowsSyncOutcome::Completed(stats(0, 0)));
            let s = ProgressStage::try_from(stage).unwrap();
            let violations = session.violations();
            assert_eq!(
                rules(&violations),
                vec![Rule::WORK_WITHIN_TOTAL],
                "{mode:?}"
            );
            match mode {
                Mode::Strict => {
                    assert_eq!(recorder.calls(), vec![Call::Progress(SRC, s, 3, 3)]);
                    let refused = session.refused_steps();
                    assert_eq!(refused.len(), 1);
                    assert_eq!(
                        (refused[0].index, refused[0].code),
                        (0, HResult::E_INVALIDARG)
                    );
                    assert_eq!(violations[0].answered, Some(HResult::E_INVALIDARG));
                }
                Mode::Lenient => {
                    assert_eq!(
                        recorder.calls(),
                        vec![Call::Progress(SRC, s, 5, 3), Call::Progress(SRC, s, 3, 3)]
                    );
                    assert!(session.refused_steps().is_empty());
                    assert_eq!(violations[0].answered, None);
                }
            }
        }
    }
}

#[test]
fn zero_of_zero_is_never_a_violation() {
    for mode in MODES {
        let session = session(mode, ConflictResolutionPolicy::None);
        let recorder = Arc::new(Recorder::new());
        register(&session, &recorder);
        let outcome = session.run([
            progress(0, 0, 0, 0),
            progress(1, 1, 0, 0),
            progress(1, 2, 0, 0),
            ProviderStep::SetRemainingWorkEstimate(0),
            change(1, ChangeResult::Applied),
        ]);
        assert_eq!(outcome, WindowsSyncOutcome::Completed(stats(1, 0)));
        assert_eq!(
            recorder.calls(),
            vec![
                Call::Progress(SRC, DET, 0, 0),
                Call::Progress(DST, ENUM, 0, 0),
                Call::Progress(DST, APP, 0, 0),
                Call::Change(1),
                Call::Applied(1, 0),
                Call::Progress(DST, APP, 0, 0),
            ],
            "{mode:?}"
        );
        assert!(
            session.violations().is_empty(),
            "{:?}",
            session.violations()
        );
        assert!(session.refused_steps().is_empty());
    }
}

// --- #54 conflicts ----------------------------------------------------------------------

#[test]
fn a_conflict_without_an_action_is_a_violation_in_both_modes() {
    for mode in MODES {
        let session = session(mode, ConflictResolutionPolicy::None);
        let recorder = Arc::new(Recorder::new().conflict(None));
        register(&session, &recorder);
        let outcome = session.run([
            change(1, conflict_with(10)),
            change(2, ChangeResult::Applied),
        ]);
        let violations = session.violations();
        assert_eq!(
            rules(&violations),
            vec![Rule::CONFLICT_RESOLVED],
            "{mode:?}"
        );
        assert_eq!(violations[0].call, "OnConflict");
        let conflict = ChangeConflict {
            source: SyncChange::new(1),
            destination: SyncChange::new(10),
        };
        assert_eq!(session.resolutions(), vec![(conflict, None)]);
        match mode {
            Mode::Strict => {
                assert_eq!(outcome, WindowsSyncOutcome::Completed(stats(1, 1)));
                assert_eq!(
                    recorder.calls(),
                    vec![
                        Call::Change(1),
                        Call::Conflict(1, 10),
                        Call::Failed(0, 1),
                        Call::Change(2),
                        Call::Applied(1, 1),
                    ]
                );
            }
            Mode::Lenient => {
                assert_eq!(outcome, WindowsSyncOutcome::Completed(stats(1, 0)));
                assert_eq!(
                    recorder.calls(),
                    vec![
                        Call::Change(1),
                        Call::Conflict(1, 10),
                        Call::Change(2),
                        Call::Applied(1, 0),
                    ]
                );
            }
        }
    }
}

#[test]
fn resolve_actions_apply_the_change_or_leave_it() {
    for mode in MODES {
        for action in ResolveAction::ALL {
            let session = session(mode, ConflictResolutionPolicy::None);
            let recorder = Arc::new(Recorder::new().conflict(Some(action)));
            register(&session, &recorder);
            let outcome = session.run([
                ProviderStep::SetRemainingWorkEstimate(1),
                change(5, conflict_with(50)),
            ]);
            let applies = matches!(
                action,
                ResolveAction::AcceptSourceProvider | ResolveAction::Merge
            );
            assert_eq!(action.applies_change(), applies, "{action:?}");
            let mut expected = vec![Call::Change(5), Call::Conflict(5, 50)];
            if applies {
                expected.push(Call::Applied(1, 0));
            }
            // Applied or not, the change is work done.
            expected.push(Call::Progress(DST, APP, 1, 1));
            assert_eq!(recorder.calls(), expected, "{mode:?} {action:?}");
            assert_eq!(
                outcome,
                WindowsSyncOutcome::Completed(stats(u32::from(applies), 0)),
                "{mode:?} {action:?}"
            );
            assert!(
                session.violations().is_empty(),
                "{:?}",
                session.violations()
            );
            assert_eq!(session.resolutions().len(), 1);
            assert_eq!(session.resolutions()[0].1, Some(action));
        }
    }
}

#[test]
fn providers_winning_never_ask_on_conflict() {
    for mode in MODES {
        for (policy, applied) in [
            (ConflictResolutionPolicy::DestinationProviderWins, false),
            (ConflictResolutionPolicy::SourceProviderWins, true),
        ] {
            let session = session(mode, policy);
            let recorder = Arc::new(Recorder::new().conflict(None));
            register(&session, &recorder);
            let outcome = session.run([change(1, conflict_with(10)), change(2, conflict_with(20))]);
            let log = recorder.calls();
            assert!(
                !log.iter().any(|c| matches!(c, Call::Conflict(..))),
                "{policy:?}: {log:?}"
            );
            let expected = if applied {
                vec![
                    Call::Change(1),
                    Call::Applied(1, 0),
                    Call::Change(2),
                    Call::Applied(2, 0),
                ]
            } else {
                vec![Call::Change(1), Call::Change(2)]
            };
            assert_eq!(log, expected, "{mode:?} {policy:?}");
            let n = u32::from(applied) * 2;
            assert_eq!(outcome, WindowsSyncOutcome::Completed(stats(n, 0)));
            assert!(session.violations().is_empty());
            assert!(session.resolutions().is_empty());
        }
    }
}

#[test]
fn the_default_on_conflict_defers() {
    for mode in MODES {
        // A callback that does not override on_conflict, and no callback.
        for registered in [true, false] {
            let session = session(mode, ConflictResolutionPolicy::None);
            let callback = Arc::new(ProgressOnly::default());
            if registered {
                session
                    .register_callback(Some(Arc::clone(&callback) as Arc<dyn WindowsSyncCallback>));
            }
            let outcome = session.run([
                ProviderStep::SetRemainingWorkEstimate(2),
                change(1, conflict_with(10)),
                change(2, ChangeResult::Applied),
            ]);
            assert_eq!(outcome, WindowsSyncOutcome::Completed(stats(1, 0)));
            assert!(session.violations().is_empty());
            let resolutions = session.resolutions();
            assert_eq!(resolutions.len(), 1);
            assert_eq!(resolutions[0].1, Some(ResolveAction::Defer));
            // The deferred change is work done too.
            let expected = if registered {
                vec![
                    Call::Progress(DST, APP, 1, 2),
                    Call::Progress(DST, APP, 2, 2),
                ]
            } else {
                vec![]
            };
            assert_eq!(*callback.log.lock().unwrap(), expected);
        }
    }
}

// --- #55 full enumeration ---------------------------------------------------------------

#[test]
fn full_enumeration_answers() {
    for mode in MODES {
        for action in FullEnumerationAction::ALL {
            let session = session(mode, ConflictResolutionPolicy::None);
            let recorder = Arc::new(Recorder::new().enumeration(action));
            register(&session, &recorder);
            let outcome = session.run([
                progress(0, 0, 1, 1),
                ProviderStep::FullEnumerationNeeded,
                progress(0, 1, 1, 1),
                change(1, ChangeResult::Applied),
            ]);
            assert_eq!(session.full_enumeration_action(), Some(action));
            let asked = vec![Call::Progress(SRC, DET, 1, 1), Call::FullEnumerationNeeded];
            if action == FullEnumerationAction::Abort {
                assert_eq!(
                    outcome,
                    WindowsSyncOutcome::EnumerationAborted(stats(0, 0)),
                    "{mode:?}"
                );
                assert_eq!(recorder.calls(), asked, "nothing after SFEA_ABORT");
                assert!(session.is_canceled());
                assert_eq!(session.error_status(), Some(HResult::E_ABORT));
                let calls = recorder.calls().len();
                assert_eq!(
                    session.run(all_kinds_steps()),
                    WindowsSyncOutcome::AlreadyRan(stats(0, 0))
                );
                assert_eq!(recorder.calls().len(), calls);
            } else {
                assert_eq!(
                    outcome,
                    WindowsSyncOutcome::Completed(stats(1, 0)),
                    "{action:?}"
                );
                let mut expected = asked;
                expected.extend([
                    Call::Progress(SRC, ENUM, 1, 1),
                    Call::Change(1),
                    Call::Applied(1, 0),
                ]);
                assert_eq!(recorder.calls(), expected);
                assert!(!session.is_canceled());
                assert_eq!(session.error_status(), None);
            }
            assert!(session.violations().is_empty());
        }
    }
}

#[test]
fn full_enumeration_defaults_to_abort() {
    // The crate's documented choice between the two contradicting pages.
    assert_eq!(FullEnumerationAction::DEFAULT, FullEnumerationAction::Abort);
    for mode in MODES {
        // No callback at all, and a callback that keeps the default method.
        for registered in [false, true] {
            let session = session(mode, ConflictResolutionPolicy::None);
            let callback = Arc::new(ProgressOnly::default());
            if registered {
                session
                    .register_callback(Some(Arc::clone(&callback) as Arc<dyn WindowsSyncCallback>));
            }
            let outcome = session.run([
                change(1, ChangeResult::Applied),
                ProviderStep::FullEnumerationNeeded,
                change(2, ChangeResult::Applied),
                progress(1, 2, 1, 0),
            ]);
            assert_eq!(
                outcome,
                WindowsSyncOutcome::EnumerationAborted(stats(1, 0)),
                "{mode:?} registered: {registered}"
            );
            assert_eq!(
                session.full_enumeration_action(),
                Some(FullEnumerationAction::DEFAULT)
            );
            assert!(callback.log.lock().unwrap().is_empty());
            assert_eq!(session.error_status(), Some(HResult::E_ABORT));
            assert!(session.is_canceled());
        }
    }
}

#[test]
fn out_of_range_full_enumeration_answers_read_as_abort() {
    assert_eq!(
        FullEnumerationAction::from_u32_lenient(0),
        FullEnumerationAction::FullEnumeration
    );
    assert_eq!(
        FullEnumerationAction::from_u32_lenient(1),
        FullEnumerationAction::PartialSync
    );
    for raw in [2, 3, 7, 0x100, u32::MAX] {
        assert_eq!(
            FullEnumerationAction::from_u32_lenient(raw),
            FullEnumerationAction::Abort,
            "{raw}"
        );
    }
    assert!(FullEnumerationAction::try_from(7).is_err());
}

// --- callback lifecycle -----------------------------------------------------------------

#[test]
fn replacing_the_callback_inside_a_callback() {
    let reference = all_kinds_calls();
    for mode in MODES {
        for at in [0, 5, 11, reference.len() - 1] {
            let session = session(mode, ConflictResolutionPolicy::None);
            let successor = Arc::new(Recorder::new());
            let inner = session.clone();
            let next = Arc::clone(&successor);
            let transitions = Arc::new(Mutex::new(Vec::new()));
            let seen = Arc::clone(&transitions);
            let first = Arc::new(Recorder::new().hook(move |_, i| {
                if i == at {
                    seen.lock().unwrap().push(register(&inner, &next));
                }
                Ok(())
            }));
            register(&session, &first);
            let outcome = session.run(all_kinds_steps());

            assert_eq!(outcome, WindowsSyncOutcome::Completed(stats(3, 2)));
            assert_eq!(*transitions.lock().unwrap(), vec![SlotTransition::Replaced]);
            assert_eq!(
                first.calls(),
                reference[..=at],
                "{mode:?} #{at}: old callback"
            );
            assert_eq!(
                successor.calls(),
                reference[at + 1..],
                "{mode:?} #{at}: new callback"
            );
            // The slot holds the successor only.
            assert_eq!(Arc::strong_count(&first), 1);
            assert_eq!(Arc::strong_count(&successor), 3); // test, hook, slot
            assert_eq!(session.register_callback(None), SlotTransition::Released);
            assert_eq!(Arc::strong_count(&successor), 2);
        }
    }
}

#[test]
fn releasing_the_callback_inside_a_callback() {
    for mode in MODES {
        let session = session(mode, ConflictResolutionPolicy::None);
        let inner = session.clone();
        let transitions = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&transitions);
        let recorder = Arc::new(Recorder::new().hook(move |call, _| {
            if *call == Call::Change(1) {
                seen.lock().unwrap().push(inner.register_callback(None));
            }
            Ok(())
        }));
        register(&session, &recorder);
        let changes = (0..4).map(|i| (SyncChange::new(i), ChangeResult::Applied));
        let outcome = session.run(ProviderStep::typical(1, 1, changes));
        // Without a callback the session still runs to the end.
        assert_eq!(outcome, WindowsSyncOutcome::Completed(stats(4, 0)));
        assert_eq!(*transitions.lock().unwrap(), vec![SlotTransition::Released]);
        assert_eq!(recorder.calls().last(), Some(&Call::Change(1)));
        assert_eq!(Arc::strong_count(&recorder), 1);
    }
}

#[test]
fn a_session_without_a_callback_completes() {
    for mode in MODES {
        let session = session(mode, ConflictResolutionPolicy::None);
        assert_eq!(session.register_callback(None), SlotTransition::Unchanged);
        let changes = [
            (SyncChange::new(1), ChangeResult::Applied),
            (SyncChange::new(2), ChangeResult::Failed),
            (SyncChange::new(3), conflict_with(30)),
            (SyncChange::new(4), ChangeResult::Applied),
        ];
        let mut steps = ProviderStep::typical(2, 2, changes);
        steps.push(ProviderStep::RecoverableError(RecoverableError {
            item: 4,
            stage: APP,
            code: code(HResult::E_FAIL),
        }));
        let outcome = session.run(steps);
        // The conflict is deferred (the trait's default answer).
        assert_eq!(outcome, WindowsSyncOutcome::Completed(stats(2, 1)));
        assert_eq!(session.error_status(), None);
        assert!(session.violations().is_empty());
    }
}

#[test]
fn register_replace_release_keep_one_reference() {
    let session = session(Mode::Strict, ConflictResolutionPolicy::None);
    let a = Arc::new(Recorder::new());
    let b = Arc::new(Recorder::new());
    assert_eq!(register(&session, &a), SlotTransition::Registered);
    assert_eq!(Arc::strong_count(&a), 2);
    assert_eq!(register(&session, &b), SlotTransition::Replaced);
    assert_eq!(
        Arc::strong_count(&a),
        1,
        "the replaced callback was released"
    );
    assert_eq!(Arc::strong_count(&b), 2);
    let outcome = session.run(all_kinds_steps());
    assert_eq!(outcome, WindowsSyncOutcome::Completed(stats(3, 2)));
    assert!(a.calls().is_empty());
    assert_eq!(b.calls(), all_kinds_calls());
    assert_eq!(Arc::strong_count(&b), 2);
    assert_eq!(session.register_callback(None), SlotTransition::Released);
    assert_eq!(
        Arc::strong_count(&b),
        1,
        "the released callback is back to baseline"
    );
    assert_eq!(session.register_callback(None), SlotTransition::Unchanged);

    // Dropping a session with a callback registered releases it too.
    let c = Arc::new(Recorder::new());
    let other = WindowsSyncSession::new(WindowsSyncConfig::default());
    register(&other, &c);
    let clone = other.clone();
    drop(other);
    assert_eq!(Arc::strong_count(&c), 2, "a clone still holds the session");
    drop(clone);
    assert_eq!(Arc::strong_count(&c), 1);
}

/// Another thread replaces the callback while the session is inside the old
/// one: whatever the interleaving, no call is lost or duplicated, and the old
/// callback gets nothing once `register_callback` has returned.
#[test]
fn replacing_the_callback_from_another_thread() {
    within(30, "cross-thread replace", || {
        for mode in MODES {
            let session = session(mode, ConflictResolutionPolicy::None);
            let (inside_tx, inside_rx) = mpsc::channel::<()>();
            let (go_tx, go_rx) = mpsc::channel::<()>();
            let go_rx = Mutex::new(go_rx);
            let old = Arc::new(Recorder::new().hook(move |call, _| {
                if *call == Call::Change(1) {
                    inside_tx.send(()).unwrap();
                    // Returns once the other thread is about to replace.
                    go_rx.lock().unwrap().recv().unwrap();
                }
                Ok(())
            }));
            let new = Arc::new(Recorder::new());
            register(&session, &old);
            let replacer = {
                let session = session.clone();
                let old = Arc::clone(&old);
                let new = Arc::clone(&new);
                thread::spawn(move || {
                    inside_rx.recv().unwrap();
                    go_tx.send(()).unwrap();
                    let transition = register(&session, &new);
                    (transition, old.calls().len())
                })
            };
            let outcome = session.run(all_kinds_steps());
            let (transition, old_calls_at_replace) = replacer.join().unwrap();

            assert_eq!(transition, SlotTransition::Replaced);
            assert_eq!(outcome, WindowsSyncOutcome::Completed(stats(3, 2)));
            let (o, n) = (old.calls(), new.calls());
            assert_eq!(
                o.len(),
                old_calls_at_replace,
                "old callback called after replace"
            );
            let mut all = o;
            all.extend(n);
            assert_eq!(all, all_kinds_calls(), "{mode:?}");
            assert_eq!(Arc::strong_count(&old), 1);
        }
    });
}

// --- vocabulary (§C.3) ------------------------------------------------------------------

/// `T` decodes exactly `table`, with the right Windows names, and refuses
/// every other value up to two past the largest, and `u32::MAX`.
fn check_enum<T>(
    type_name: &'static str,
    all: &[T],
    table: &[(T, u32, &str)],
    name: impl Fn(T) -> &'static str,
) where
    T: TryFrom<u32, Error = DecodeError> + Into<u32> + Copy + PartialEq + std::fmt::Debug,
{
    assert_eq!(
        all,
        table.iter().map(|&(v, _, _)| v).collect::<Vec<_>>(),
        "{type_name}: ALL"
    );
    for &(variant, value, windows) in table {
        assert_eq!(T::try_from(value), Ok(variant), "{type_name} {value}");
        assert_eq!(variant.into(), value, "{type_name} {variant:?}");
        assert_eq!(name(variant), windows, "{type_name} {variant:?}");
    }
    let max = table.iter().map(|&(_, v, _)| v).max().unwrap();
    for value in (0..=max + 2).chain([u32::MAX]) {
        if table.iter().any(|&(_, v, _)| v == value) {
            continue;
        }
        assert_eq!(
            T::try_from(value),
            Err(DecodeError::UnknownValue { type_name, value }),
            "{type_name} {value}"
        );
    }
}

#[test]
fn provider_role_and_progress_stage() {
    check_enum(
        ProviderRole::TYPE_NAME,
        &ProviderRole::ALL,
        &[
            (ProviderRole::Source, 0, "SPR_SOURCE"),
            (ProviderRole::Destination, 1, "SPR_DESTINATION"),
        ],
        ProviderRole::windows_name,
    );
    assert_eq!(ProviderRole::TYPE_NAME, "SYNC_PROVIDER_ROLE");
    check_enum(
        ProgressStage::TYPE_NAME,
        &ProgressStage::ALL,
        &[
            (ProgressStage::ChangeDetection, 0, "SPS_CHANGE_DETECTION"),
            (
                ProgressStage::ChangeEnumeration,
                1,
                "SPS_CHANGE_ENUMERATION",
            ),
            (
                ProgressStage::ChangeApplication,
                2,
                "SPS_CHANGE_APPLICATION",
            ),
        ],
        ProgressStage::windows_name,
    );
    assert_eq!(ProgressStage::TYPE_NAME, "SYNC_PROGRESS_STAGE");
    // The session relies on the order of the stages.
    assert!(DET < ENUM && ENUM < APP);
}

#[test]
fn full_enumeration_and_resolve_actions() {
    check_enum(
        FullEnumerationAction::TYPE_NAME,
        &FullEnumerationAction::ALL,
        &[
            (
                FullEnumerationAction::FullEnumeration,
                0,
                "SFEA_FULL_ENUMERATION",
            ),
            (FullEnumerationAction::PartialSync, 1, "SFEA_PARTIAL_SYNC"),
            (FullEnumerationAction::Abort, 2, "SFEA_ABORT"),
        ],
        FullEnumerationAction::windows_name,
    );
    assert_eq!(
        FullEnumerationAction::TYPE_NAME,
        "SYNC_FULL_ENUMERATION_ACTION"
    );
    check_enum(
        ResolveAction::TYPE_NAME,
        &ResolveAction::ALL,
        &[
            (ResolveAction::Defer, 0, "SRA_DEFER"),
            (
                ResolveAction::AcceptDestinationProvider,
                1,
                "SRA_ACCEPT_DESTINATION_PROVIDER",
            ),
            (
                ResolveAction::AcceptSourceProvider,
                2,
                "SRA_ACCEPT_SOURCE_PROVIDER",
            ),
            (ResolveAction::Merge, 3, "SRA_MERGE"),
            (ResolveAction::TransferAndDefer, 4, "SRA_TRANSFER_AND_DEFER"),
        ],
        ResolveAction::windows_name,
    );
    assert_eq!(ResolveAction::TYPE_NAME, "SYNC_RESOLVE_ACTION");
    assert_eq!(ResolveAction::LAST, 5);
    assert!(ResolveAction::try_from(ResolveAction::LAST).is_err());
    check_enum(
        ConstraintResolveAction::TYPE_NAME,
        &ConstraintResolveAction::ALL,
        &[
            (ConstraintResolveAction::Defer, 0, "SCRA_DEFER"),
            (
                ConstraintResolveAction::AcceptDestinationProvider,
                1,
                "SCRA_ACCEPT_DESTINATION_PROVIDER",
            ),
            (
                ConstraintResolveAction::AcceptSourceProvider,
                2,
                "SCRA_ACCEPT_SOURCE_PROVIDER",
            ),
            (
                ConstraintResolveAction::TransferAndDefer,
                3,
                "SCRA_TRANSFER_AND_DEFER",
            ),
            (ConstraintResolveAction::Merge, 4, "SCRA_MERGE"),
            (
                ConstraintResolveAction::RenameSource,
                5,
                "SCRA_RENAME_SOURCE",
            ),
            (
                ConstraintResolveAction::RenameDestination,
                6,
                "SCRA_RENAME_DESTINATION",
            ),
        ],
        ConstraintResolveAction::windows_name,
    );
    assert_eq!(
        ConstraintResolveAction::TYPE_NAME,
        "SYNC_CONSTRAINT_RESOLVE_ACTION"
    );
}

#[test]
fn policies_reasons_filters_and_cookies() {
    check_enum(
        ConflictResolutionPolicy::TYPE_NAME,
        &ConflictResolutionPolicy::ALL,
        &[
            (ConflictResolutionPolicy::None, 0, "CRP_NONE"),
            (
                ConflictResolutionPolicy::DestinationProviderWins,
                1,
                "CRP_DESTINATION_PROVIDER_WINS",
            ),
            (
                ConflictResolutionPolicy::SourceProviderWins,
                2,
                "CRP_SOURCE_PROVIDER_WINS",
            ),
        ],
        ConflictResolutionPolicy::windows_name,
    );
    assert_eq!(
        ConflictResolutionPolicy::TYPE_NAME,
        "CONFLICT_RESOLUTION_POLICY"
    );
    assert_eq!(ConflictResolutionPolicy::LAST, 3);
    assert!(ConflictResolutionPolicy::try_from(ConflictResolutionPolicy::LAST).is_err());
    check_enum(
        ConstraintConflictReason::TYPE_NAME,
        &ConstraintConflictReason::ALL,
        &[
            (ConstraintConflictReason::Other, 0, "CCR_OTHER"),
            (ConstraintConflictReason::Collision, 1, "CCR_COLLISION"),
            (ConstraintConflictReason::NoParent, 2, "CCR_NOPARENT"),
            (ConstraintConflictReason::Identity, 3, "CCR_IDENTITY"),
        ],
        ConstraintConflictReason::windows_name,
    );
    assert_eq!(
        ConstraintConflictReason::TYPE_NAME,
        "CONSTRAINT_CONFLICT_REASON"
    );
    check_enum(
        FilteringType::TYPE_NAME,
        &FilteringType::ALL,
        &[
            (FilteringType::CurrentItemsOnly, 0, "FT_CURRENT_ITEMS_ONLY"),
            (
                FilteringType::CurrentItemsAndVersionsForMovedOutItems,
                1,
                "FT_CURRENT_ITEMS_AND_VERSIONS_FOR_MOVED_OUT_ITEMS",
            ),
        ],
        FilteringType::windows_name,
    );
    assert_eq!(FilteringType::TYPE_NAME, "FILTERING_TYPE");
    check_enum(
        FilterCombinationType::TYPE_NAME,
        &FilterCombinationType::ALL,
        &[(FilterCombinationType::Intersection, 0, "FCT_INTERSECTION")],
        FilterCombinationType::windows_name,
    );
    assert_eq!(FilterCombinationType::TYPE_NAME, "FILTER_COMBINATION_TYPE");
    check_enum(
        KnowledgeCookieComparisonResult::TYPE_NAME,
        &KnowledgeCookieComparisonResult::ALL,
        &[
            (
                KnowledgeCookieComparisonResult::Equal,
                0,
                "KCCR_COOKIE_KNOWLEDGE_EQUAL",
            ),
            (
                KnowledgeCookieComparisonResult::Contained,
                1,
                "KCCR_COOKIE_KNOWLEDGE_CONTAINED",
            ),
            (
                KnowledgeCookieComparisonResult::Contains,
                2,
                "KCCR_COOKIE_KNOWLEDGE_CONTAINS",
            ),
            (
                KnowledgeCookieComparisonResult::NotComparable,
                3,
                "KCCR_COOKIE_KNOWLEDGE_NOT_COMPARABLE",
            ),
        ],
        KnowledgeCookieComparisonResult::windows_name,
    );
    assert_eq!(
        KnowledgeCookieComparisonResult::TYPE_NAME,
        "KNOWLEDGE_COOKIE_COMPARISON_RESULT"
    );
    check_enum(
        SyncStatistics::TYPE_NAME,
        &SyncStatistics::ALL,
        &[(SyncStatistics::RangeCount, 0, "SYNC_STATISTICS_RANGE_COUNT")],
        SyncStatistics::windows_name,
    );
    assert_eq!(SyncStatistics::TYPE_NAME, "SYNC_STATISTICS");
}

#[test]
fn serialization_versions_are_1_4_5() {
    check_enum(
        SerializationVersion::TYPE_NAME,
        &SerializationVersion::ALL,
        &[
            (SerializationVersion::V1, 1, "SYNC_SERIALIZATION_VERSION_V1"),
            (SerializationVersion::V2, 4, "SYNC_SERIALIZATION_VERSION_V2"),
            (SerializationVersion::V3, 5, "SYNC_SERIALIZATION_VERSION_V3"),
        ],
        SerializationVersion::windows_name,
    );
    assert_eq!(
        SerializationVersion::TYPE_NAME,
        "SYNC_SERIALIZATION_VERSION"
    );
    // mingw-w64's wrong values (V1 = 0, V2 = 1) do not decode as versions.
    assert!(SerializationVersion::try_from(0).is_err());
    assert_eq!(
        SerializationVersion::try_from(1),
        Ok(SerializationVersion::V1)
    );
}

#[test]
fn flag_sets_and_their_masks() {
    assert_eq!(ChangeFlags::DELETED.bits(), 1);
    assert_eq!(ChangeFlags::DOES_NOT_EXIST.bits(), 2);
    assert_eq!(ChangeFlags::GHOST.bits(), 4);
    assert_eq!(ChangeFlags::MASK, 0x7);
    assert_eq!(ChangeFlags::all().bits(), ChangeFlags::MASK);
    common::assert_strict_flags(ChangeFlags::TYPE_NAME, 0x7, |b| {
        ChangeFlags::decode(b).map(|f| f.bits())
    });

    assert_eq!(FilterInfoFlags::ITEM_LIST.bits(), 1);
    assert_eq!(FilterInfoFlags::CHANGE_UNIT_LIST.bits(), 2);
    assert_eq!(FilterInfoFlags::CUSTOM.bits(), 4);
    assert_eq!(FilterInfoFlags::COMBINED.bits(), 8);
    assert_eq!(FilterInfoFlags::MASK, 0xF);
    assert_eq!(FilterInfoFlags::all().bits(), FilterInfoFlags::MASK);
    common::assert_strict_flags(FilterInfoFlags::TYPE_NAME, 0xF, |b| {
        FilterInfoFlags::decode(b).map(|f| f.bits())
    });

    assert_eq!(VersionFlags::FROM_FEED.bits(), 1);
    assert_eq!(VersionFlags::HAS_BY.bits(), 2);
    assert_eq!(VersionFlags::MASK, 0x3);
    assert_eq!(VersionFlags::all().bits(), VersionFlags::MASK);
    common::assert_strict_flags(VersionFlags::TYPE_NAME, 0x3, |b| {
        VersionFlags::decode(b).map(|f| f.bits())
    });

    assert_eq!(SerializeFlags::REPLICA_KEY_MAP.bits(), 1);
    assert_eq!(SerializeFlags::MASK, 0x1);
    assert_eq!(SerializeFlags::all().bits(), SerializeFlags::MASK);
    common::assert_strict_flags(SerializeFlags::TYPE_NAME, 0x1, |b| {
        SerializeFlags::decode(b).map(|f| f.bits())
    });

    assert_eq!(SyncChange::new(3).flags, ChangeFlags::empty());
    assert_eq!(SessionStatistics::default(), stats(0, 0));
}

#[test]
fn windows_sync_progress_is_a_progress_item() {
    let p = WindowsSyncProgress::new(DST, APP, 3, 4);
    assert_eq!(p.phase(), None);
    assert_eq!(p.text(), None);
    assert_eq!(p.completed(), Some(3));
    assert_eq!(p.total(), Some(4));
    assert_eq!(p.fraction(), Some(0.75));
    assert!(!p.is_zero_estimate());

    let zero = WindowsSyncProgress::new(SRC, DET, 0, 0);
    assert!(zero.is_zero_estimate());
    assert_eq!(zero.completed(), Some(0));
    assert_eq!(zero.total(), Some(0));
    assert_eq!(zero.fraction(), None, "0 / 0 has no fraction");

    let done = WindowsSyncProgress::new(SRC, ENUM, u32::MAX, u32::MAX);
    assert_eq!(done.completed(), Some(u64::from(u32::MAX)));
    assert_eq!(done.fraction(), Some(1.0));
    // completed > total (lenient forwarding) is clamped, not above 1.
    assert_eq!(
        WindowsSyncProgress::new(SRC, DET, 5, 3).fraction(),
        Some(1.0)
    );
    assert_eq!(
        WindowsSyncProgress::new(SRC, DET, 0, 3).fraction(),
        Some(0.0)
    );
}

#[test]
fn windows_sync_progress_decodes_raw_arguments() {
    assert_eq!(
        WindowsSyncProgress::from_raw(1, 2, 5, 9),
        Ok(WindowsSyncProgress::new(DST, APP, 5, 9))
    );
    assert_eq!(
        WindowsSyncProgress::from_raw(2, 0, 0, 0),
        Err(DecodeError::UnknownValue {
            type_name: "SYNC_PROVIDER_ROLE",
            value: 2
        })
    );
    assert_eq!(
        WindowsSyncProgress::from_raw(0, 3, 0, 0),
        Err(DecodeError::UnknownValue {
            type_name: "SYNC_PROGRESS_STAGE",
            value: 3
        })
    );
}

#[test]
fn default_config_is_strict_with_the_application_resolving() {
    let config = WindowsSyncConfig::default();
    assert_eq!(config.mode, Mode::Strict);
    assert_eq!(config.conflict_policy, ConflictResolutionPolicy::None);
}

/// A change left unapplied (destination wins) is still work done: progress
/// reaches its total.
#[test]
fn an_unapplied_change_still_completes_the_estimate() {
    let session = session(
        Mode::Strict,
        ConflictResolutionPolicy::DestinationProviderWins,
    );
    let recorder = Arc::new(Recorder::new());
    register(&session, &recorder);
    let outcome = session.run([
        ProviderStep::SetRemainingWorkEstimate(2),
        change(1, conflict_with(10)),
        change(2, ChangeResult::Applied),
    ]);
    assert_eq!(outcome, WindowsSyncOutcome::Completed(stats(1, 0)));
    assert_eq!(
        recorder.calls(),
        vec![
            Call::Change(1),
            Call::Progress(DST, APP, 1, 2),
            Call::Change(2),
            Call::Applied(1, 0),
            Call::Progress(DST, APP, 2, 2),
        ]
    );
}

/// A panicking callback aborts the session like a failing one (§G.8 #57).
#[test]
fn a_panicking_callback_aborts_the_session() {
    let session = session(Mode::Lenient, ConflictResolutionPolicy::None);
    let recorder = Arc::new(Recorder::new().hook(|call, _| {
        if matches!(call, Call::Change(2)) {
            panic!("the application's OnChange panicked");
        }
        Ok(())
    }));
    register(&session, &recorder);
    let outcome = session.run([
        change(1, ChangeResult::Applied),
        change(2, ChangeResult::Applied),
    ]);
    assert_eq!(
        outcome,
        WindowsSyncOutcome::CallbackFailed {
            call: "OnChange",
            code: HResult::E_UNEXPECTED,
            statistics: stats(1, 0),
        }
    );
    assert!(session.is_canceled());
    assert_eq!(session.error_status(), Some(HResult::E_UNEXPECTED));
    assert_eq!(
        rules(&session.violations()),
        [Rule::CALLBACK_FAILURE_ABORTS]
    );
}
