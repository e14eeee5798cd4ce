//! The kit for Sync Center handlers ([`SyncCenterHandler`]): a strict
//! [`SyncCenterSession`] that injects faults at the handler's
//! `ReportProgress` calls, exploration, and the transcript of
//! `Synchronize` and every callback.

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::SystemTime;

use crate::sync::{Arc, Mutex};
use crate::sync_center::{
    CancelRequest, HandlerCapabilities, HandlerPolicies, SessionObject, SyncCenterCallback,
    SyncCenterEvent, SyncCenterHandler, SyncCenterHandlerInfo, SyncCenterItem, SyncCenterItemId,
    SyncCenterProgress, SyncCenterSession,
};
use crate::{
    CallbackError, CanContinue, CancelDecision, CancelReason, Guid, HandlerError, ItemKey, Mode,
    WindowHandle,
};

use super::explore::{Budget, Exploration, Kinds, explore_runs};
use super::host::{Act, Outcome, Run, Scenario, apply};
use super::record::Recorder;
use super::transcript::{Answer, Call, Side};

/// A strict Sync Center host that injects the faults of a [`Scenario`]
/// (cancel an item or everything at a report, fail a report; Sync Center
/// has no skip) and records the transcript.
#[derive(Debug, Clone)]
pub struct SyncCenterTestHost {
    mode: Mode,
}

impl Default for SyncCenterTestHost {
    fn default() -> Self {
        Self { mode: Mode::Strict }
    }
}

impl SyncCenterTestHost {
    /// A strict host.
    pub fn new() -> Self {
        Self::default()
    }

    /// Answer as a lenient host would ([`Mode::Lenient`]).
    #[must_use]
    pub fn with_mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Run `handler` once over `items` under `scenario`.
    pub fn run(
        &self,
        handler: Arc<dyn SyncCenterHandler>,
        items: &[SyncCenterItemId],
        scenario: &Scenario,
    ) -> Run {
        let session = SyncCenterSession::new(self.mode);
        let recorder = Recorder::new();
        let recording = Arc::new(Recording {
            inner: handler,
            recorder: Arc::clone(&recorder),
            session: session.clone(),
            faults: scenario.faults.clone(),
        });
        let outcome = session.run(recording, items);
        Run {
            outcome: Outcome::SyncCenter(outcome),
            report: session.conformance_report(),
            final_states: session
                .snapshot()
                .items
                .into_iter()
                .map(|i| (ItemKey::Text(i.id), i.phase))
                .collect(),
            transcript: recorder.transcript(),
        }
    }
}

/// [`explore`](super::explore) for a Sync Center handler synchronizing
/// `items`: every cancel point (each item × each of its reports × cancel
/// the item; each report × {cancel all, fail the report}), then a seeded
/// random walk.
pub fn explore(
    host: &SyncCenterTestHost,
    make: impl Fn() -> Arc<dyn SyncCenterHandler>,
    items: &[SyncCenterItemId],
    budget: &Budget,
) -> Exploration {
    let kinds = Kinds {
        skips: false,
        failures: true,
        replaces: false,
    };
    explore_runs(|scenario| host.run(make(), items, scenario), kinds, budget)
}

/// Record `handler`'s `Synchronize` and every callback it makes, when run
/// by any Sync Center host.
pub fn record(
    handler: Arc<dyn SyncCenterHandler>,
) -> (Arc<dyn SyncCenterHandler>, super::Recording) {
    let recorder = Recorder::new();
    let recording = Arc::new(Recording {
        inner: handler,
        recorder: Arc::clone(&recorder),
        session: SyncCenterSession::new(Mode::Lenient),
        faults: Vec::new(),
    });
    (recording, super::Recording(recorder))
}

/// A handler that forwards everything, records `Synchronize` and hands the
/// handler a recording callback.
struct Recording {
    inner: Arc<dyn SyncCenterHandler>,
    recorder: Arc<Recorder>,
    /// The session faults act on (a detached one when only recording).
    session: SyncCenterSession,
    faults: Vec<super::host::Fault>,
}

impl SyncCenterHandler for Recording {
    fn name(&self) -> Result<String, HandlerError> {
        self.inner.name()
    }

    fn handler_info(&self) -> Result<SyncCenterHandlerInfo, HandlerError> {
        self.inner.handler_info()
    }

    fn capabilities(&self) -> Result<HandlerCapabilities, HandlerError> {
        self.inner.capabilities()
    }

    fn policies(&self) -> Result<HandlerPolicies, HandlerError> {
        self.inner.policies()
    }

    fn activate(&self, activate: bool) -> Result<(), HandlerError> {
        self.inner.activate(activate)
    }

    fn enable(&self, enable: bool) -> Result<(), HandlerError> {
        self.inner.enable(enable)
    }

    fn object(&self, object: Guid, interface: Guid) -> Result<Infallible, HandlerError> {
        self.inner.object(object, interface)
    }

    fn last_sync_time(&self) -> Result<SystemTime, HandlerError> {
        self.inner.last_sync_time()
    }

    fn is_active(&self) -> Result<bool, HandlerError> {
        self.inner.is_active()
    }

    fn is_enabled(&self) -> Result<bool, HandlerError> {
        self.inner.is_enabled()
    }

    fn is_connected(&self) -> Result<bool, HandlerError> {
        self.inner.is_connected()
    }

    fn item_type_label(&self, item: &SyncCenterItemId) -> Result<String, HandlerError> {
        self.inner.item_type_label(item)
    }

    fn item_comment(&self, item: &SyncCenterItemId) -> Result<String, HandlerError> {
        self.inner.item_comment(item)
    }

    fn item_last_sync_time(&self, item: &SyncCenterItemId) -> Result<SystemTime, HandlerError> {
        self.inner.item_last_sync_time(item)
    }

    fn item_enabled(&self, item: &SyncCenterItemId) -> Result<bool, HandlerError> {
        self.inner.item_enabled(item)
    }

    fn item_connected(&self, item: &SyncCenterItemId) -> Result<bool, HandlerError> {
        self.inner.item_connected(item)
    }

    fn enable_item(&self, item: &SyncCenterItemId, enable: bool) -> Result<(), HandlerError> {
        self.inner.enable_item(item, enable)
    }

    fn delete_item(&self, item: &SyncCenterItemId) -> Result<(), HandlerError> {
        self.inner.delete_item(item)
    }

    fn item_object(
        &self,
        item: &SyncCenterItemId,
        object: Guid,
        interface: Guid,
    ) -> Result<Infallible, HandlerError> {
        self.inner.item_object(item, object, interface)
    }

    fn items(&self) -> Result<Vec<SyncCenterItem>, HandlerError> {
        self.inner.items()
    }

    fn synchronize(
        &self,
        items: &[SyncCenterItemId],
        owner: WindowHandle,
        callback: Arc<dyn SyncCenterCallback>,
    ) -> Result<(), HandlerError> {
        let call = Call::SyncCenterSynchronize {
            items: items.iter().map(|i| i.as_str().to_owned()).collect(),
        };
        let open = self.recorder.begin(Side::HostToHandler, call);
        let recording: Arc<dyn SyncCenterCallback> = Arc::new(RecordingCallback {
            inner: callback,
            recorder: Arc::clone(&self.recorder),
            session: self.session.clone(),
            faults: self.faults.clone(),
            counts: Mutex::default(),
        });
        let result = self.inner.synchronize(items, owner, recording);
        let answer = match &result {
            Ok(()) => Answer::Ok,
            Err(e) => Answer::Failed {
                code: e.hresult(),
                message: e.to_string(),
            },
        };
        self.recorder.end(open, answer);
        result
    }
}

/// The callback a recording Sync Center handler gives its handler.
struct RecordingCallback {
    inner: Arc<dyn SyncCenterCallback>,
    recorder: Arc<Recorder>,
    session: SyncCenterSession,
    faults: Vec<super::host::Fault>,
    /// `ReportProgress` calls seen, per item and in all.
    counts: Mutex<(HashMap<SyncCenterItemId, usize>, usize)>,
}

impl RecordingCallback {
    fn other<T>(
        &self,
        method: &str,
        run: impl FnOnce() -> Result<T, CallbackError>,
    ) -> Result<T, CallbackError> {
        let open = self.recorder.begin(
            Side::HandlerToHost,
            Call::Other {
                method: method.to_owned(),
            },
        );
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
}

fn decision(request: CancelRequest) -> CancelDecision {
    match request {
        CancelRequest::CancelItem => CancelDecision::CancelItem,
        CancelRequest::CancelAll => CancelDecision::CancelAll,
        _ => CancelDecision::Continue,
    }
}

impl SyncCenterCallback for RecordingCallback {
    fn report_progress(&self, report: &SyncCenterProgress) -> Result<CancelRequest, CallbackError> {
        let call = Call::ReportProgress {
            item: report.item().as_str().to_owned(),
            status: report.status(),
            current: report.current_step(),
            max: report.max_step(),
            text: report.text().map(str::to_owned),
        };
        let open = self.recorder.begin(Side::HandlerToHost, call);
        let (nth_of_item, nth) = {
            let mut counts = self.counts.lock();
            let (per_item, all) = &mut *counts;
            let of_item = per_item.entry(report.item().clone()).or_default();
            *of_item += 1;
            *all += 1;
            (*of_item, *all)
        };
        let key = ItemKey::Text(report.item().clone());
        let failure = apply(&self.faults, &key, nth_of_item, nth, |act| match act {
            Act::CancelItem => {
                let _ = self.session.cancel_item(report.item(), CancelReason::User);
            }
            Act::CancelAll => self.session.cancel_all(CancelReason::User),
            // Sync Center has no skip, and no callback registration.
            Act::Skip | Act::ReplaceCallback => {}
        });
        let result = match (self.inner.report_progress(report), failure) {
            (Ok(CancelRequest::None), Some(failure)) => Err(failure),
            (result, _) => result,
        };
        let answer = match &result {
            Ok(request) => Answer::Decision {
                decision: decision(*request),
            },
            Err(e) => Answer::Failed {
                code: e.hresult(),
                message: e.to_string(),
            },
        };
        self.recorder.end(open, answer);
        result
    }

    fn set_handler_progress_text(&self, text: &str) -> Result<CancelRequest, CallbackError> {
        self.other("SetHandlerProgressText", || {
            self.inner.set_handler_progress_text(text)
        })
    }

    fn report_event(&self, event: &SyncCenterEvent) -> Result<Guid, CallbackError> {
        self.other("ReportEvent", || self.inner.report_event(event))
    }

    fn can_continue(&self, item: Option<&SyncCenterItemId>) -> Result<CanContinue, CallbackError> {
        let call = Call::CanContinue {
            item: item.map(|i| i.as_str().to_owned()),
        };
        let open = self.recorder.begin(Side::HandlerToHost, call);
        let result = self.inner.can_continue(item);
        let answer = match &result {
            Ok(CanContinue::Continue) => Answer::Ok,
            Ok(CanContinue::Stop) => Answer::Success {
                code: crate::HResult::S_FALSE,
            },
            Err(e) => Answer::Failed {
                code: e.hresult(),
                message: e.to_string(),
            },
        };
        self.recorder.end(open, answer);
        result
    }

    fn query_for_additional_items(&self) -> Result<Vec<SyncCenterItemId>, CallbackError> {
        self.other("QueryForAdditionalItems", || {
            self.inner.query_for_additional_items()
        })
    }

    fn add_item_to_session(&self, item: &SyncCenterItemId) -> Result<(), CallbackError> {
        self.other("AddItemToSession", || self.inner.add_item_to_session(item))
    }

    fn add_object_to_session(&self, object: SessionObject) -> Result<(), CallbackError> {
        self.other("AddIUnknownToSession", || {
            self.inner.add_object_to_session(object)
        })
    }

    fn propose_item(&self, item: &SyncCenterItem) -> Result<(), CallbackError> {
        self.other("ProposeItem", || self.inner.propose_item(item))
    }

    fn commit_item(&self, item: &SyncCenterItemId) -> Result<(), CallbackError> {
        self.other("CommitItem", || self.inner.commit_item(item))
    }

    fn report_manual_sync(&self) -> Result<(), CallbackError> {
        self.other("ReportManualSync", || self.inner.report_manual_sync())
    }
}
