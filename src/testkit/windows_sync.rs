//! The kit for Windows Sync: a provider's steps ([`ProviderStep`]) played
//! by a strict [`WindowsSyncSession`] to an application's
//! [`WindowsSyncCallback`], with faults at the `OnProgress` calls (the user
//! cancels, the callback fails), exploration, and the transcript of every
//! callback.

use crate::sync::{Arc, Mutex};
use crate::windows_sync::{
    ChangeConflict, FullEnumerationAction, ProviderStep, RecoverableError, ResolveAction,
    SessionStatistics, SyncChange, WindowsSyncCallback, WindowsSyncConfig, WindowsSyncProgress,
    WindowsSyncSession,
};
use crate::{CallbackError, ItemId, ItemKey, Mode, ProgressItem};

use super::explore::{Budget, Exploration, Kinds, explore_runs};
use super::host::{Act, Outcome, Run, Scenario, apply};
use super::record::Recorder;
use super::transcript::{Answer, Call, Side};

/// A strict Windows Sync session that plays a provider's steps to an
/// application's callback under a [`Scenario`]: `CancelAll` at the n-th
/// `OnProgress` is the user's `Cancel` (made from inside that callback),
/// `FailReport` makes the callback's answer to it a failure. Item faults do
/// not apply (Windows Sync reports the session's work, not items').
#[derive(Debug, Clone)]
pub struct WindowsSyncTestHost {
    config: WindowsSyncConfig,
}

impl Default for WindowsSyncTestHost {
    fn default() -> Self {
        Self {
            config: WindowsSyncConfig::new(Mode::Strict),
        }
    }
}

impl WindowsSyncTestHost {
    /// A strict session with the default conflict policy.
    pub fn new() -> Self {
        Self::default()
    }

    /// With `config` (mode, conflict policy).
    #[must_use]
    pub fn with_config(mut self, config: WindowsSyncConfig) -> Self {
        self.config = config;
        self
    }

    /// Play `steps` to `callback` once under `scenario`.
    pub fn run(
        &self,
        steps: &[ProviderStep],
        callback: Arc<dyn WindowsSyncCallback>,
        scenario: &Scenario,
    ) -> Run {
        let session = WindowsSyncSession::new(self.config);
        let recorder = Recorder::new();
        session.register_callback(Some(Arc::new(Recording {
            inner: callback,
            recorder: Arc::clone(&recorder),
            session: Some(session.clone()),
            faults: scenario.faults.clone(),
            progress: Mutex::new(0),
        })));
        let outcome = session.run(steps.to_vec());
        session.register_callback(None);
        Run {
            outcome: Outcome::WindowsSync(outcome),
            report: session.conformance_report(),
            final_states: Vec::new(),
            transcript: recorder.transcript(),
        }
    }
}

/// [`explore`](super::explore) for Windows Sync: `steps` played to a fresh
/// callback from `make`, cancelled at each `OnProgress`, then a seeded
/// random walk of cancels.
pub fn explore(
    host: &WindowsSyncTestHost,
    steps: &[ProviderStep],
    make: impl Fn() -> Arc<dyn WindowsSyncCallback>,
    budget: &Budget,
) -> Exploration {
    // A failing callback is the application breaking a rule (§G.8 #57),
    // so the random walk injects no failures: only cancels.
    let kinds = Kinds {
        skips: false,
        failures: false,
        replaces: false,
    };
    explore_runs(|scenario| host.run(steps, make(), scenario), kinds, budget)
}

/// Record every call a Windows Sync session makes on `callback`.
pub fn record(
    callback: Arc<dyn WindowsSyncCallback>,
) -> (Arc<dyn WindowsSyncCallback>, super::Recording) {
    let recorder = Recorder::new();
    let recording = Arc::new(Recording {
        inner: callback,
        recorder: Arc::clone(&recorder),
        session: None,
        faults: Vec::new(),
        progress: Mutex::new(0),
    });
    (recording, super::Recording(recorder))
}

/// The application's callback, recorded, with the scenario's faults.
struct Recording {
    inner: Arc<dyn WindowsSyncCallback>,
    recorder: Arc<Recorder>,
    session: Option<WindowsSyncSession>,
    faults: Vec<super::host::Fault>,
    /// `OnProgress` calls so far.
    progress: Mutex<usize>,
}

impl Recording {
    fn call<T>(
        &self,
        call: Call,
        run: impl FnOnce() -> Result<T, CallbackError>,
    ) -> Result<T, CallbackError> {
        // The provider (played by the session) calling back the application,
        // as a handler calls back its host.
        let open = self.recorder.begin(Side::HandlerToHost, call);
        let result = run();
        let answer = match &result {
            Ok(_) => Answer::Ok,
            Err(e) => Answer::Failed {
                code: e.hresult(),
                message: e.to_string(),
            },
        };
        self.recorder.end(open, answer);
        result
    }

    fn other<T>(
        &self,
        method: &str,
        run: impl FnOnce() -> Result<T, CallbackError>,
    ) -> Result<T, CallbackError> {
        self.call(
            Call::Other {
                method: method.to_owned(),
            },
            run,
        )
    }
}

impl WindowsSyncCallback for Recording {
    fn on_progress(&self, progress: &WindowsSyncProgress) -> Result<(), CallbackError> {
        let call = Call::OnProgress {
            completed: progress.completed(),
            total: progress.total(),
        };
        self.call(call, || {
            let nth = {
                let mut count = self.progress.lock();
                *count += 1;
                *count
            };
            // Windows Sync has no items: faults are keyed to reports only.
            let none = ItemKey::Guid(ItemId::NULL);
            let failure = apply(&self.faults, &none, 0, nth, |act| {
                if let (Act::CancelAll, Some(session)) = (act, &self.session) {
                    session.cancel();
                }
            });
            let result = self.inner.on_progress(progress);
            match (result, failure) {
                (Ok(()), Some(failure)) => Err(failure),
                (result, _) => result,
            }
        })
    }

    fn on_change(&self, change: &SyncChange) -> Result<(), CallbackError> {
        self.other("OnChange", || self.inner.on_change(change))
    }

    fn on_conflict(
        &self,
        conflict: &ChangeConflict,
    ) -> Result<Option<ResolveAction>, CallbackError> {
        self.other("OnConflict", || self.inner.on_conflict(conflict))
    }

    fn on_full_enumeration_needed(&self) -> Result<FullEnumerationAction, CallbackError> {
        self.other("OnFullEnumerationNeeded", || {
            self.inner.on_full_enumeration_needed()
        })
    }

    fn on_recoverable_error(&self, error: &RecoverableError) -> Result<(), CallbackError> {
        self.other("OnRecoverableError", || {
            self.inner.on_recoverable_error(error)
        })
    }

    fn on_change_applied(&self, totals: SessionStatistics) -> Result<(), CallbackError> {
        self.other("OnChangeApplied", || self.inner.on_change_applied(totals))
    }

    fn on_change_failed(&self, totals: SessionStatistics) -> Result<(), CallbackError> {
        self.other("OnChangeFailed", || self.inner.on_change_failed(totals))
    }
}
