//! [`WindowsSyncSession`]: a Windows Sync session that drives a provider's
//! steps and calls the application's [`WindowsSyncCallback`].

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::sync::{Arc, AtomicBool, Mutex, Ordering};
use crate::{
    CallbackError, CallbackSlot, ConformanceReport, HResult, Mode, Rule, SlotTransition, Violation,
};

use super::{
    ChangeConflict, ConflictResolutionPolicy, FullEnumerationAction, ProgressStage, ProviderRole,
    RecoverableError, ResolveAction, SessionStatistics, SyncChange, WindowsSyncCallback,
    WindowsSyncProgress,
};

/// What the provider does with one change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeResult {
    /// The change applies.
    Applied,
    /// The change fails to apply.
    Failed,
    /// The change conflicts with this destination change.
    Conflict(SyncChange),
}

/// One thing a provider does in a session, in order. A session is driven by
/// a sequence of steps ([`WindowsSyncSession::run`]); [`ProviderStep::typical`]
/// builds the usual one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderStep {
    /// `ISyncSessionState::OnProgress` from a provider, with raw values
    /// ([§G.8 #52](crate::protocol#rule-52) is checked on them). During change application `completed`
    /// is added to the session's running total and `total` is the work
    /// *remaining*; the application sees `accumulated + remaining` ([the
    /// specification](crate::protocol#windows-sync)).
    Progress {
        /// `provider`, raw.
        role: u32,
        /// `syncStage`, raw.
        stage: u32,
        /// `dwCompletedWork`.
        completed: u32,
        /// `dwTotalWork`.
        total: u32,
    },
    /// `SetRemainingWorkEstimateForSession`: from now on the session reports
    /// change-application progress itself, once per applied change; with 0
    /// it reports the documented `0 / 0`.
    SetRemainingWorkEstimate(u32),
    /// The source's forgotten knowledge is not contained in the
    /// destination's: ask `OnFullEnumerationNeeded`.
    FullEnumerationNeeded,
    /// Apply one change (`OnChange` first).
    Change {
        /// The change.
        change: SyncChange,
        /// What happens to it.
        result: ChangeResult,
    },
    /// The provider recorded a recoverable error.
    RecoverableError(RecoverableError),
}

impl ProviderStep {
    /// The steps of an ordinary session: `detection` units of change
    /// detection and `enumeration` units of change enumeration reported by
    /// the source, a remaining-work estimate of one unit per change, then
    /// each change.
    pub fn typical(
        detection: u32,
        enumeration: u32,
        changes: impl IntoIterator<Item = (SyncChange, ChangeResult)>,
    ) -> Vec<Self> {
        let source = ProviderRole::Source.as_u32();
        let stage_steps = |stage: ProgressStage, units: u32| {
            (1..=units).map(move |done| Self::Progress {
                role: source,
                stage: stage.as_u32(),
                completed: done,
                total: units,
            })
        };
        let changes: Vec<Self> = changes
            .into_iter()
            .map(|(change, result)| Self::Change { change, result })
            .collect();
        stage_steps(ProgressStage::ChangeDetection, detection)
            .chain(stage_steps(ProgressStage::ChangeEnumeration, enumeration))
            .chain([Self::SetRemainingWorkEstimate(
                u32::try_from(changes.len()).unwrap_or(u32::MAX),
            )])
            .chain(changes)
            .collect()
    }
}

/// How a Windows Sync session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WindowsSyncOutcome {
    /// Every step ran.
    Completed(SessionStatistics),
    /// [`WindowsSyncSession::cancel`] stopped it (`E_ABORT` afterwards).
    Cancelled(SessionStatistics),
    /// `OnFullEnumerationNeeded` answered `SFEA_ABORT` (or nothing): the
    /// session ended as if cancelled.
    EnumerationAborted(SessionStatistics),
    /// `run` was called on a session that had already run (or is running):
    /// the caller's mistake, not a cancel. Nothing happened; the totals so
    /// far.
    AlreadyRan(SessionStatistics),
    /// A callback method failed: the session aborted with that code
    /// ([§G.8 #57](crate::protocol#rule-57), this crate's policy).
    CallbackFailed {
        /// The method that failed.
        call: &'static str,
        /// Its code, also reported by [`WindowsSyncSession::error_status`].
        code: HResult,
        /// The totals when it stopped.
        statistics: SessionStatistics,
    },
}

/// A provider step the session refused (the provider's call would have
/// returned this error).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RefusedStep {
    /// The step's position in the sequence.
    pub index: usize,
    /// The code the provider got.
    pub code: HResult,
    /// Why.
    pub reason: String,
}

/// How a session answers a provider or callback breaking a rule. See
/// [`WindowsSyncSession`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct WindowsSyncConfig {
    /// Strict or lenient.
    pub mode: Mode,
    /// Who resolves conflicts; `OnConflict` fires only under
    /// [`ConflictResolutionPolicy::None`].
    pub conflict_policy: ConflictResolutionPolicy,
}

impl WindowsSyncConfig {
    /// The default configuration in `mode`: conflicts reach `OnConflict`
    /// ([`ConflictResolutionPolicy::None`]).
    pub fn new(mode: Mode) -> Self {
        Self {
            mode,
            ..Self::default()
        }
    }

    /// With `policy` deciding who resolves conflicts.
    #[must_use]
    pub fn with_conflict_policy(mut self, policy: ConflictResolutionPolicy) -> Self {
        self.conflict_policy = policy;
        self
    }
}

impl Default for WindowsSyncConfig {
    fn default() -> Self {
        Self {
            mode: Mode::Strict,
            conflict_policy: ConflictResolutionPolicy::None,
        }
    }
}

/// The remaining-work estimate a provider set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Estimate {
    /// Set to 0: the documented `0 / 0` report per applied change.
    Zero,
    /// Work still to do, counted down per processed change.
    Remaining(u32),
}

#[derive(Default)]
struct State {
    /// The session's mode, for the checks that only have the state.
    mode: Mode,
    stage: Option<ProgressStage>,
    accumulated: u32,
    estimate: Option<Estimate>,
    statistics: SessionStatistics,
    full_enumeration: Option<FullEnumerationAction>,
    resolutions: Vec<(ChangeConflict, Option<ResolveAction>)>,
    error_status: Option<HResult>,
    violations: Vec<Violation>,
    refused: Vec<RefusedStep>,
    ran: bool,
}

impl State {
    /// Record a violation (checked against the rule's answer table in
    /// debug builds).
    fn record(&mut self, violation: Violation) {
        crate::core::rule::debug_check_answer(&violation, self.mode);
        self.violations.push(violation);
    }
}

struct Shared {
    config: WindowsSyncConfig,
    callback: CallbackSlot<dyn WindowsSyncCallback>,
    cancelled: AtomicBool,
    state: Mutex<State>,
}

/// A Windows Sync session: the engine side of `ISyncCallback` ([the specification](crate::protocol#windows-sync),
/// §G.8).
///
/// The application registers a [`WindowsSyncCallback`] (replace and
/// release-on-`None` follow the same lifecycle as SyncMgr's, through a
/// [`CallbackSlot`]); the session runs a provider's [`ProviderStep`]s and
/// calls the callback:
/// - stages come in order — detection, enumeration, application;
/// - during change application, completed work *accumulates*: the provider's
///   `dwCompletedWork` is added to a running total and its `dwTotalWork` is
///   the work remaining, so the application sees `accumulated + remaining`
///   as the total; with a remaining-work estimate of 0 the application gets
///   the documented `0 / 0` once per applied change;
/// - `OnChange` before each change, `OnConflict` for conflicts under
///   `CRP_NONE`, `OnChangeApplied` / `OnChangeFailed` with running totals
///   after it, `OnRecoverableError` as the provider records them;
/// - [`cancel`](Self::cancel) from any thread, also from inside a callback,
///   stops it before the next step: no more work and no more callbacks
///   ([§G.8 #56](crate::protocol#rule-56)), and the session reports `E_ABORT`.
///
/// **Our policy for a failing callback ([§G.8 #57](crate::protocol#rule-57), undocumented by
/// Microsoft).** A failure returned by any callback method aborts the
/// session as a cancel does, and [`error_status`](Self::error_status)
/// (`ISyncSessionState2::GetSessionErrorStatus`) reports that code. The
/// reasoning: an application that fails a notification has no other way to
/// say "stop", and carrying on would apply changes it could not observe.
///
/// The rules, in each [`Mode`]:
///
/// | rule | strict | lenient |
/// |---|---|---|
/// | [§G.8 #52](crate::protocol#rule-52) an unknown role or stage | the provider gets `E_INVALIDARG` (documented) | same |
/// | #52 a stage earlier than one already reported | refused, `E_INVALIDARG` | recorded, forwarded |
/// | #53 `completed > total` outside change application (not `0 / 0`) | refused, `E_INVALIDARG` | recorded, forwarded |
/// | #54 `OnConflict` sets no action | recorded; the change fails | recorded; the conflict is deferred |
/// | #55 an out-of-range action | read as `SFEA_ABORT` (at the COM edge, [`FullEnumerationAction::from_u32_lenient`]) | same |
/// | #56 nothing after cancel | guaranteed by the session | same |
/// | #57 a failing (or panicking: `E_UNEXPECTED`) callback | the session aborts | same |
///
/// ```
/// use std::sync::Arc;
/// use syncmgr::CallbackError;
/// use syncmgr::windows_sync::{
///     ChangeResult, ProviderStep, SyncChange, WindowsSyncCallback, WindowsSyncConfig,
///     WindowsSyncOutcome, WindowsSyncProgress, WindowsSyncSession,
/// };
///
/// struct Quiet;
/// impl WindowsSyncCallback for Quiet {
///     fn on_progress(&self, _: &WindowsSyncProgress) -> Result<(), CallbackError> { Ok(()) }
/// }
///
/// let session = WindowsSyncSession::new(WindowsSyncConfig::default());
/// session.register_callback(Some(Arc::new(Quiet)));
/// let changes = (0..3).map(|i| (SyncChange::new(i), ChangeResult::Applied));
/// let outcome = session.run(ProviderStep::typical(2, 2, changes));
/// let WindowsSyncOutcome::Completed(totals) = outcome else { panic!("{outcome:?}") };
/// assert_eq!(totals.changes_applied, 3);
/// ```
#[derive(Clone)]
pub struct WindowsSyncSession {
    shared: Arc<Shared>,
}

impl fmt::Debug for WindowsSyncSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WindowsSyncSession")
            .field("config", &self.shared.config)
            .field("cancelled", &self.is_canceled())
            .finish_non_exhaustive()
    }
}

/// Why the session stops.
enum Stop {
    Cancelled,
    EnumerationAborted,
    CallbackFailed { call: &'static str, code: HResult },
}

impl WindowsSyncSession {
    /// A session with no callback registered.
    pub fn new(config: WindowsSyncConfig) -> Self {
        Self {
            shared: Arc::new(Shared {
                config,
                callback: CallbackSlot::new(),
                cancelled: AtomicBool::new(false),
                state: Mutex::new(State {
                    mode: config.mode,
                    ..State::default()
                }),
            }),
        }
    }

    /// `ISyncSession::RegisterCallback`: register, replace, or (with `None`)
    /// release the application's callback. A replaced or released callback
    /// is never called again once this returns.
    pub fn register_callback(
        &self,
        callback: Option<Arc<dyn WindowsSyncCallback>>,
    ) -> SlotTransition {
        self.shared.callback.set(callback)
    }

    /// `ISyncSession::Cancel`: stop the session before its next step. Safe
    /// from any thread, and from inside a callback.
    pub fn cancel(&self) {
        self.shared.cancelled.store(true, Ordering::Release);
    }

    /// `ISyncSessionState::IsCanceled`: true after [`cancel`](Self::cancel),
    /// and after `SFEA_ABORT` or a failing callback ended the session.
    pub fn is_canceled(&self) -> bool {
        self.shared.cancelled.load(Ordering::Acquire)
    }

    /// `ISyncSessionState2::GetSessionErrorStatus`: why the session stopped,
    /// if it did not complete (`E_ABORT` for a cancel or `SFEA_ABORT`, else
    /// the failing callback's code).
    pub fn error_status(&self) -> Option<HResult> {
        self.shared.state.lock().error_status
    }

    /// The running totals.
    pub fn statistics(&self) -> SessionStatistics {
        self.shared.state.lock().statistics
    }

    /// The answer of `OnFullEnumerationNeeded`, if it was asked.
    pub fn full_enumeration_action(&self) -> Option<FullEnumerationAction> {
        self.shared.state.lock().full_enumeration
    }

    /// Every conflict the application was asked about, with its answer.
    pub fn resolutions(&self) -> Vec<(ChangeConflict, Option<ResolveAction>)> {
        self.shared.state.lock().resolutions.clone()
    }

    /// The provider steps the session refused.
    pub fn refused_steps(&self) -> Vec<RefusedStep> {
        self.shared.state.lock().refused.clone()
    }

    /// Every violation recorded.
    pub fn violations(&self) -> Vec<Violation> {
        self.shared.state.lock().violations.clone()
    }

    /// The violations, ready to print.
    pub fn conformance_report(&self) -> ConformanceReport {
        ConformanceReport {
            handler_name: None,
            violations: self.violations(),
        }
    }

    /// Run the provider's `steps` to the end, a cancel, or an abort.
    ///
    /// A session runs once: a second call is the caller's mistake, does
    /// nothing (no callback, [§G.8 #56](crate::protocol#rule-56)) and answers
    /// [`WindowsSyncOutcome::AlreadyRan`] with the first run's totals; the
    /// session's status is left as the first run left it.
    pub fn run(&self, steps: impl IntoIterator<Item = ProviderStep>) -> WindowsSyncOutcome {
        {
            let mut st = self.shared.state.lock();
            if st.ran {
                return WindowsSyncOutcome::AlreadyRan(st.statistics);
            }
            st.ran = true;
        }
        let mut stop = None;
        for (index, step) in steps.into_iter().enumerate() {
            if self.is_canceled() {
                stop = Some(Stop::Cancelled);
                break;
            }
            if let Err(why) = self.step(index, step) {
                stop = Some(why);
                break;
            }
        }
        if stop.is_none() && self.is_canceled() {
            stop = Some(Stop::Cancelled);
        }
        let mut st = self.shared.state.lock();
        let statistics = st.statistics;
        match stop {
            None => WindowsSyncOutcome::Completed(statistics),
            Some(Stop::Cancelled) => {
                st.error_status = Some(HResult::E_ABORT);
                WindowsSyncOutcome::Cancelled(statistics)
            }
            Some(Stop::EnumerationAborted) => {
                st.error_status = Some(HResult::E_ABORT);
                self.shared.cancelled.store(true, Ordering::Release);
                WindowsSyncOutcome::EnumerationAborted(statistics)
            }
            Some(Stop::CallbackFailed { call, code }) => {
                st.error_status = Some(code);
                self.shared.cancelled.store(true, Ordering::Release);
                st.record(Violation {
                    rule: Rule::CALLBACK_FAILURE_ABORTS,
                    call,
                    item: None,
                    expected: "a successful notification".into(),
                    got: format!("{code}; the session aborted"),
                    answered: Some(HResult::E_ABORT),
                });
                WindowsSyncOutcome::CallbackFailed {
                    call,
                    code,
                    statistics,
                }
            }
        }
    }

    /// Call the callback, if one is registered. `Ok(None)` when none is.
    fn notify<R>(
        &self,
        call: &'static str,
        f: impl FnOnce(&(dyn WindowsSyncCallback + 'static)) -> Result<R, CallbackError>,
    ) -> Result<Option<R>, Stop> {
        // A panicking callback is a failing one (§G.8 #57): the session
        // aborts with E_UNEXPECTED instead of unwinding into the provider.
        let called = catch_unwind(AssertUnwindSafe(|| self.shared.callback.call(f))).unwrap_or(Ok(
            Err(CallbackError::Unexpected {
                reason: format!("{call} panicked"),
            }),
        ));
        match called {
            Err(CallbackError::NoCallback) => Ok(None),
            Err(other) => Err(Stop::CallbackFailed {
                call,
                code: other.hresult(),
            }),
            Ok(Ok(value)) => Ok(Some(value)),
            Ok(Err(error)) => Err(Stop::CallbackFailed {
                call,
                code: error.hresult(),
            }),
        }
    }

    fn progress(&self, progress: WindowsSyncProgress) -> Result<(), Stop> {
        self.notify("OnProgress", |cb| cb.on_progress(&progress))
            .map(drop)
    }

    /// Refuse the provider's step `index` with `E_INVALIDARG`, recording
    /// `violation`.
    fn refuse(st: &mut State, index: usize, mut violation: Violation) {
        let code = HResult::E_INVALIDARG;
        violation.answered = Some(code);
        st.refused.push(RefusedStep {
            index,
            code,
            reason: format!("expected {}, got {}", violation.expected, violation.got),
        });
        st.record(violation);
    }

    /// A breach a strict session refuses and a lenient one only records;
    /// true when the step was refused.
    fn breach(&self, st: &mut State, index: usize, violation: Violation) -> bool {
        let strict = self.shared.config.mode == Mode::Strict;
        if strict {
            Self::refuse(st, index, violation);
        } else {
            st.record(violation);
        }
        strict
    }

    fn step(&self, index: usize, step: ProviderStep) -> Result<(), Stop> {
        match step {
            ProviderStep::Progress {
                role,
                stage,
                completed,
                total,
            } => self.provider_progress(index, role, stage, completed, total),
            ProviderStep::SetRemainingWorkEstimate(remaining) => {
                self.shared.state.lock().estimate = Some(if remaining == 0 {
                    Estimate::Zero
                } else {
                    Estimate::Remaining(remaining)
                });
                Ok(())
            }
            ProviderStep::FullEnumerationNeeded => {
                let action = self
                    .notify("OnFullEnumerationNeeded", |cb| {
                        cb.on_full_enumeration_needed()
                    })?
                    .unwrap_or(FullEnumerationAction::DEFAULT);
                self.shared.state.lock().full_enumeration = Some(action);
                if action == FullEnumerationAction::Abort {
                    return Err(Stop::EnumerationAborted);
                }
                Ok(())
            }
            ProviderStep::Change { change, result } => self.change(change, result),
            ProviderStep::RecoverableError(error) => self
                .notify("OnRecoverableError", |cb| cb.on_recoverable_error(&error))
                .map(drop),
        }
    }

    fn provider_progress(
        &self,
        index: usize,
        role: u32,
        stage: u32,
        completed: u32,
        total: u32,
    ) -> Result<(), Stop> {
        let call = "ISyncSessionState::OnProgress";
        let violation = |rule, expected: &str, got: String| Violation {
            rule,
            call,
            item: None,
            expected: expected.into(),
            got,
            answered: None,
        };
        let forwarded = {
            let mut st = self.shared.state.lock();
            let report = match WindowsSyncProgress::from_raw(role, stage, completed, total) {
                Ok(report) => report,
                Err(error) => {
                    // §G.8 #52: documented, refused in both modes.
                    let v = violation(
                        Rule::PROGRESS_ARGUMENTS,
                        "a SYNC_PROVIDER_ROLE and a SYNC_PROGRESS_STAGE",
                        error.to_string(),
                    );
                    Self::refuse(&mut st, index, v);
                    return Ok(());
                }
            };
            if let Some(current) = st.stage
                && report.stage < current
            {
                let v = violation(
                    Rule::PROGRESS_ARGUMENTS,
                    "stages in order: detection, enumeration, application",
                    format!("{} after {}", report.stage, current),
                );
                if self.breach(&mut st, index, v) {
                    return Ok(());
                }
            }
            st.stage = Some(st.stage.map_or(report.stage, |s| s.max(report.stage)));
            if report.stage == ProgressStage::ChangeApplication {
                // The engine accumulates completed work and treats the
                // provider's total as the work remaining (§C.4).
                st.accumulated = st.accumulated.saturating_add(report.completed);
                WindowsSyncProgress {
                    completed: st.accumulated,
                    total: st.accumulated.saturating_add(report.total),
                    ..report
                }
            } else {
                if report.completed > report.total {
                    let v = violation(
                        Rule::WORK_WITHIN_TOTAL,
                        "completed work at most the total",
                        format!("{} of {}", report.completed, report.total),
                    );
                    if self.breach(&mut st, index, v) {
                        return Ok(());
                    }
                }
                report
            }
        };
        self.progress(forwarded)
    }

    fn change(&self, change: SyncChange, result: ChangeResult) -> Result<(), Stop> {
        self.shared.state.lock().stage = Some(ProgressStage::ChangeApplication);
        self.notify("OnChange", |cb| cb.on_change(&change))?;
        if self.is_canceled() {
            return Err(Stop::Cancelled);
        }
        let applied = match result {
            ChangeResult::Applied => Some(true),
            ChangeResult::Failed => Some(false),
            ChangeResult::Conflict(destination) => self.conflict(ChangeConflict {
                source: change,
                destination,
            })?,
        };
        // A cancel from inside OnConflict stops before the change is
        // counted (§G.8 #56).
        if self.is_canceled() {
            return Err(Stop::Cancelled);
        }
        // `applied` is Some(true) applied, Some(false) failed, None left
        // unapplied (deferred, or the destination kept its version).
        let (totals, progress) = {
            let mut st = self.shared.state.lock();
            match applied {
                Some(true) => {
                    st.statistics.changes_applied = st.statistics.changes_applied.saturating_add(1);
                }
                Some(false) => {
                    st.statistics.changes_failed = st.statistics.changes_failed.saturating_add(1);
                }
                None => {}
            }
            // Every processed change is work done; the documented 0 / 0
            // report is sent per *applied* change.
            let progress = match (applied, st.estimate) {
                (Some(true), Some(Estimate::Zero)) => Some((0, 0)),
                (_, Some(Estimate::Remaining(remaining))) => {
                    // An estimate that runs out keeps accumulating: completed
                    // work never goes down (§G.8 #53).
                    st.accumulated = st.accumulated.saturating_add(1);
                    let left = remaining.saturating_sub(1);
                    st.estimate = Some(Estimate::Remaining(left));
                    Some((st.accumulated, st.accumulated.saturating_add(left)))
                }
                _ => None,
            };
            (st.statistics, progress)
        };
        match applied {
            Some(true) => {
                self.notify("OnChangeApplied", |cb| cb.on_change_applied(totals))?;
            }
            Some(false) => {
                self.notify("OnChangeFailed", |cb| cb.on_change_failed(totals))?;
            }
            None => {}
        }
        if let Some((completed, total)) = progress {
            if self.is_canceled() {
                return Err(Stop::Cancelled);
            }
            self.progress(WindowsSyncProgress::new(
                ProviderRole::Destination,
                ProgressStage::ChangeApplication,
                completed,
                total,
            ))?;
        }
        Ok(())
    }

    /// Resolve a conflict: `Some(true)` applies the change, `Some(false)`
    /// fails it, `None` leaves it unapplied.
    fn conflict(&self, conflict: ChangeConflict) -> Result<Option<bool>, Stop> {
        match self.shared.config.conflict_policy {
            ConflictResolutionPolicy::DestinationProviderWins => return Ok(None),
            ConflictResolutionPolicy::SourceProviderWins => return Ok(Some(true)),
            ConflictResolutionPolicy::None => {}
        }
        let answer = self
            .notify("OnConflict", |cb| cb.on_conflict(&conflict))?
            .unwrap_or(Some(ResolveAction::Defer));
        let mut st = self.shared.state.lock();
        st.resolutions.push((conflict, answer));
        match answer {
            Some(action) => Ok(action.applies_change().then_some(true)),
            None => {
                let strict = self.shared.config.mode == Mode::Strict;
                st.record(Violation {
                    rule: Rule::CONFLICT_RESOLVED,
                    call: "OnConflict",
                    item: None,
                    expected: "a resolve action below SRA_LAST".into(),
                    got: "no action".into(),
                    answered: None,
                });
                // Strict: the engine rejects the missing action and the
                // change fails. Lenient: the conflict is deferred.
                Ok(strict.then_some(false))
            }
        }
    }
}
