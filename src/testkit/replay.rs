//! [`replay`]: drive a handler with a recorded host's calls and answers,
//! and report the first place where the handler does something else.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::sync::{Arc, Mutex};
use crate::{
    CallbackError, CancelDecision, HResult, HandlerAnswer, HandlerError, ItemId, ModelessAnswer,
    SyncCallback, SyncHandler, SyncMgrFlags, SyncMgrProgress, WindowHandle,
};

use super::transcript::{Answer, Call, Entry, Side, Transcript};

/// Where a handler first did something else than in the transcript.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Divergence {
    /// The handler made a different call back to the host than the one
    /// recorded next.
    #[error("entry {seq}: the handler called {got:?}, the transcript has {expected:?}")]
    Call {
        /// The recorded entry's number.
        seq: u64,
        /// The recorded call.
        expected: Box<Call>,
        /// The call the handler made.
        got: Box<Call>,
    },
    /// The handler answered a host call differently.
    #[error("entry {seq}: {call:?} answered {got:?}, the transcript has {expected:?}")]
    Answer {
        /// The recorded entry's number.
        seq: u64,
        /// The host's call.
        call: Box<Call>,
        /// The recorded answer.
        expected: Box<Answer>,
        /// The handler's answer.
        got: Box<Answer>,
    },
    /// The handler called the host back after the transcript's last call.
    #[error("the handler called {0:?} after the transcript ended")]
    Extra(Box<Call>),
    /// The handler never made a call the transcript has (waited for 5 s).
    #[error("entry {seq}: the handler never called {expected:?}")]
    Missing {
        /// The recorded entry's number.
        seq: u64,
        /// The recorded call.
        expected: Box<Call>,
    },
}

/// Replay `transcript` against `handler`: make the host's calls as
/// recorded (each once every handler call recorded before it has arrived),
/// answer the handler's calls with the recorded answers, and compare each
/// call the handler makes, and each answer it gives, with the record.
///
/// Host calls made from inside a handler's call (a skip delivered
/// re-entrantly) are made from inside the replayed call too. Handler calls
/// are matched in the order they arrive, so a handler that reports from
/// several threads replays only if its order is deterministic.
///
/// # Errors
///
/// The first [`Divergence`].
pub fn replay(transcript: &Transcript, handler: Arc<dyn SyncHandler>) -> Result<(), Divergence> {
    let player = Arc::new(Player {
        handler: Arc::clone(&handler),
        expected: Mutex::new(transcript.handler_calls().cloned().collect()),
        nested: transcript
            .host_calls()
            .filter(|e| is_nested(transcript, e))
            .cloned()
            .collect(),
        first: Mutex::new(None),
        callback: Mutex::new(None),
    });
    let callback: Arc<dyn SyncCallback> = Arc::new(Replayed(Arc::clone(&player)));
    *player.callback.lock() = Some(callback);
    for entry in transcript
        .host_calls()
        .filter(|e| !is_nested(transcript, e))
    {
        player.wait_for_calls_before(entry.seq);
        player.perform(entry);
        if let Some(divergence) = player.first.lock().clone() {
            return Err(divergence);
        }
    }
    player.wait_for_calls_before(u64::MAX);
    if let Some(divergence) = player.first.lock().clone() {
        return Err(divergence);
    }
    Ok(())
}

/// A host call made from inside a handler's call.
fn is_nested(transcript: &Transcript, entry: &Entry) -> bool {
    entry.parent.is_some_and(|parent| {
        transcript
            .entries
            .iter()
            .any(|e| e.seq == parent && e.side == Side::HandlerToHost)
    })
}

struct Player {
    handler: Arc<dyn SyncHandler>,
    expected: Mutex<VecDeque<Entry>>,
    nested: Vec<Entry>,
    first: Mutex<Option<Divergence>>,
    callback: Mutex<Option<Arc<dyn SyncCallback>>>,
}

impl Player {
    fn diverge(&self, divergence: Divergence) {
        let mut first = self.first.lock();
        if first.is_none() {
            *first = Some(divergence);
        }
    }

    /// Wait until every recorded handler call numbered below `seq` has
    /// arrived, or report the first that did not within 5 s.
    fn wait_for_calls_before(&self, seq: u64) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let next = self
                .expected
                .lock()
                .front()
                .map(|e| (e.seq, e.call.clone()));
            match next {
                Some((at, _)) if at < seq && self.first.lock().is_none() => {
                    if Instant::now() >= deadline {
                        let (seq, expected) = next.expect("checked above");
                        self.diverge(Divergence::Missing {
                            seq,
                            expected: Box::new(expected),
                        });
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
                _ => return,
            }
        }
    }

    /// Make one recorded host call on the handler and compare its answer.
    fn perform(&self, entry: &Entry) {
        let got = match &entry.call {
            // The cookie is not recorded: the handler gets none.
            Call::Initialize { flags } => answer_of(
                self.handler
                    .initialize(SyncMgrFlags::from_u32_lenient(*flags), None),
            ),
            Call::HandlerInfo => self
                .handler
                .handler_info()
                .map_or_else(failed, |_| Answer::Ok),
            Call::EnumItems => self
                .handler
                .enum_items()
                .map_or_else(failed, |e| Answer::Items {
                    items: e.items.iter().map(crate::SyncItem::id).collect(),
                }),
            Call::SetProgressCallback { some } => {
                let callback = if *some {
                    self.callback.lock().clone()
                } else {
                    None
                };
                unit(self.handler.set_progress_callback(callback))
            }
            Call::PrepareForSync { items } => {
                answer_of(self.handler.prepare_for_sync(items, WindowHandle::NONE))
            }
            Call::Synchronize => unit(self.handler.synchronize(WindowHandle::NONE)),
            Call::SetItemStatus { item, status } => {
                unit(self.handler.set_item_status(*item, *status))
            }
            Call::ShowError { error } => unit(self.handler.show_error(WindowHandle::NONE, *error)),
            // Calls this replay does not make (the handler's own, or methods
            // it cannot make from a record) are taken as recorded.
            _ => entry.answer.clone(),
        };
        if got != entry.answer {
            self.diverge(Divergence::Answer {
                seq: entry.seq,
                call: Box::new(entry.call.clone()),
                expected: Box::new(entry.answer.clone()),
                got: Box::new(got),
            });
        }
    }

    /// The handler called `got`: match it against the next recorded call,
    /// make the host calls recorded inside it, and give the recorded answer.
    fn arrive(&self, got: Call) -> Option<Answer> {
        let Some(entry) = self.expected.lock().pop_front() else {
            self.diverge(Divergence::Extra(Box::new(got)));
            return None;
        };
        if entry.call != got {
            self.diverge(Divergence::Call {
                seq: entry.seq,
                expected: Box::new(entry.call.clone()),
                got: Box::new(got),
            });
        }
        for nested in self.nested.iter().filter(|n| n.parent == Some(entry.seq)) {
            self.perform(nested);
        }
        Some(entry.answer)
    }
}

fn failed(e: HandlerError) -> Answer {
    Answer::Failed {
        code: e.hresult(),
        message: e.to_string(),
    }
}

fn unit(result: Result<(), HandlerError>) -> Answer {
    result.map_or_else(failed, |()| Answer::Ok)
}

fn answer_of(result: Result<HandlerAnswer, HandlerError>) -> Answer {
    match result {
        Ok(HandlerAnswer::Accept) => Answer::Ok,
        Ok(HandlerAnswer::Decline) => Answer::Success {
            code: HResult::S_FALSE,
        },
        Err(e) => failed(e),
    }
}

/// The callback the replayed handler reports to.
struct Replayed(Arc<Player>);

impl Replayed {
    fn unit(&self, call: Call) -> Result<(), CallbackError> {
        match self.0.arrive(call) {
            Some(Answer::Failed { code, message }) => Err(Answer::callback_error(code, &message)),
            Some(_) => Ok(()),
            None => Err(CallbackError::Unexpected {
                reason: "the transcript has no such call".into(),
            }),
        }
    }

    fn other(&self, method: &str) -> Result<(), CallbackError> {
        self.unit(Call::Other {
            method: method.to_owned(),
        })
    }
}

impl SyncCallback for Replayed {
    fn show_properties_completed(&self, _: HResult) -> Result<(), CallbackError> {
        self.other("ShowPropertiesCompleted")
    }

    fn prepare_for_sync_completed(&self, outcome: HResult) -> Result<(), CallbackError> {
        self.unit(Call::PrepareForSyncCompleted { outcome })
    }

    fn synchronize_completed(&self, outcome: HResult) -> Result<(), CallbackError> {
        self.unit(Call::SynchronizeCompleted { outcome })
    }

    fn show_error_completed(
        &self,
        outcome: HResult,
        retry_items: &[ItemId],
    ) -> Result<(), CallbackError> {
        self.unit(Call::ShowErrorCompleted {
            outcome,
            retry: retry_items.to_vec(),
        })
    }

    fn enable_modeless(&self, _: bool) -> Result<ModelessAnswer, CallbackError> {
        match self.0.arrive(Call::Other {
            method: "EnableModeless".into(),
        }) {
            Some(Answer::Failed { code, message }) => Err(Answer::callback_error(code, &message)),
            Some(Answer::Success { code }) if code == HResult::S_FALSE => {
                Ok(ModelessAnswer::Refused)
            }
            Some(_) => Ok(ModelessAnswer::Granted),
            None => Err(CallbackError::Unexpected {
                reason: "the transcript has no such call".into(),
            }),
        }
    }

    fn progress(
        &self,
        item: ItemId,
        progress: Option<&SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError> {
        let call = Call::Progress {
            item,
            status: progress.and_then(SyncMgrProgress::status),
            value: progress.and_then(SyncMgrProgress::value),
            max: progress.and_then(SyncMgrProgress::max),
            text: progress.and_then(|p| p.status_text().map(str::to_owned)),
            poll: progress.is_none(),
        };
        match self.0.arrive(call) {
            Some(Answer::Decision { decision }) => Ok(decision),
            Some(Answer::Failed { code, message }) => Err(Answer::callback_error(code, &message)),
            Some(_) | None => Err(CallbackError::Unexpected {
                reason: "the transcript has no such call".into(),
            }),
        }
    }

    fn log_error(
        &self,
        _: crate::LogLevel,
        _: &str,
        _: Option<&crate::LogErrorInfo>,
    ) -> Result<(), CallbackError> {
        self.other("LogError")
    }

    fn delete_log_error(&self, _: crate::ErrorId) -> Result<(), CallbackError> {
        self.other("DeleteLogError")
    }

    fn establish_connection(&self, _: Option<&str>) -> Result<(), CallbackError> {
        self.other("EstablishConnection")
    }
}

/// The handler side of a transcript, for replaying it against a host: see
/// [`replay_host`].
pub struct ReplayedHandler {
    state: Arc<HandlerSide>,
}

/// What [`replay_host`]'s handler found; read it once the host is done.
#[derive(Clone)]
pub struct HostCheck(Arc<HandlerSide>);

impl HostCheck {
    /// The first place where the host called or answered differently from
    /// the transcript, waiting up to 5 s for calls the transcript still
    /// expects.
    ///
    /// # Errors
    ///
    /// The first [`Divergence`].
    pub fn result(&self) -> Result<(), Divergence> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(divergence) = self.0.first.lock().clone() {
                return Err(divergence);
            }
            let left = self
                .0
                .host_calls
                .lock()
                .front()
                .map(|e| (e.seq, e.call.clone()));
            let pending = *self.0.pending.lock();
            match left {
                None if pending == 0 => return Ok(()),
                Some((seq, expected)) if Instant::now() >= deadline => {
                    return Err(Divergence::Missing {
                        seq,
                        expected: Box::new(expected),
                    });
                }
                _ if Instant::now() >= deadline => return Ok(()),
                _ => std::thread::sleep(Duration::from_millis(1)),
            }
        }
    }
}

impl std::fmt::Debug for HostCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostCheck").finish_non_exhaustive()
    }
}

struct HandlerSide {
    /// The host's calls still expected, in order.
    host_calls: Mutex<VecDeque<Entry>>,
    /// Every handler call, to make when its turn comes.
    handler_calls: Vec<Entry>,
    /// Handler calls made on a thread of their own (not from inside a host
    /// call) still to make.
    pending: Mutex<usize>,
    /// The seq of the last host call that arrived.
    arrived: Mutex<Option<u64>>,
    callback: Mutex<Option<Arc<dyn SyncCallback>>>,
    first: Mutex<Option<Divergence>>,
}

/// Replay `transcript` against a host: returns a handler that answers the
/// host's calls as recorded and makes the recorded calls back (from inside
/// the host call they were made from, or from a thread of its own, in the
/// recorded order), and a [`HostCheck`] that reports the first call or
/// answer of the host that differs from the record. Give the handler to
/// any host (a [`Session`](crate::Session), a COM export…).
///
/// Enumerated items get empty names (names are not recorded).
pub fn replay_host(transcript: &Transcript) -> (Arc<dyn SyncHandler>, HostCheck) {
    let own_thread: Vec<Entry> = transcript
        .handler_calls()
        .filter(|e| e.parent.is_none())
        .cloned()
        .collect();
    let state = Arc::new(HandlerSide {
        host_calls: Mutex::new(transcript.host_calls().cloned().collect()),
        handler_calls: transcript.handler_calls().cloned().collect(),
        pending: Mutex::new(own_thread.len()),
        arrived: Mutex::new(None),
        callback: Mutex::new(None),
        first: Mutex::new(None),
    });
    if !own_thread.is_empty() {
        let worker = Arc::clone(&state);
        std::thread::spawn(move || worker.make_own_thread_calls(&own_thread));
    }
    let handler = Arc::new(ReplayedHandler {
        state: Arc::clone(&state),
    });
    (handler, HostCheck(state))
}

impl HandlerSide {
    fn diverge(&self, divergence: Divergence) {
        let mut first = self.first.lock();
        if first.is_none() {
            *first = Some(divergence);
        }
    }

    /// Make a recorded handler call on the host and compare its answer.
    fn make(&self, entry: &Entry) {
        let Some(callback) = self.callback.lock().clone() else {
            self.diverge(Divergence::Missing {
                seq: entry.seq,
                expected: Box::new(Call::SetProgressCallback { some: true }),
            });
            return;
        };
        let unit = |r: Result<(), CallbackError>| Answer::of_unit(&r, CallbackError::hresult);
        let got = match &entry.call {
            Call::Progress {
                item,
                status,
                value,
                max,
                text,
                poll,
            } => {
                let report = (!poll).then(|| {
                    let mut builder = SyncMgrProgress::builder();
                    if let Some(status) = status {
                        builder = builder.status(*status);
                    }
                    if let Some(value) = value {
                        builder = builder.value(*value);
                    }
                    if let Some(max) = max {
                        builder = builder.max(*max);
                    }
                    if let Some(text) = text {
                        builder = builder.text(text.clone());
                    }
                    builder.build()
                });
                match report {
                    Some(Err(_)) => entry.answer.clone(),
                    Some(Ok(report)) => decision(callback.progress(*item, Some(&report))),
                    None => decision(callback.progress(*item, None)),
                }
            }
            Call::PrepareForSyncCompleted { outcome } => {
                unit(callback.prepare_for_sync_completed(*outcome))
            }
            Call::SynchronizeCompleted { outcome } => {
                unit(callback.synchronize_completed(*outcome))
            }
            Call::ShowErrorCompleted { outcome, retry } => {
                unit(callback.show_error_completed(*outcome, retry))
            }
            // Calls whose arguments are not recorded are not made.
            _ => entry.answer.clone(),
        };
        if !same_answer(&got, &entry.answer) {
            self.diverge(Divergence::Answer {
                seq: entry.seq,
                call: Box::new(entry.call.clone()),
                expected: Box::new(entry.answer.clone()),
                got: Box::new(got),
            });
        }
    }

    /// The host made `got`: match it with the next recorded host call, make
    /// the handler calls recorded inside it, and give the recorded answer.
    fn arrive(&self, got: Call) -> Answer {
        let Some(entry) = self.host_calls.lock().pop_front() else {
            self.diverge(Divergence::Extra(Box::new(got)));
            return Answer::Failed {
                code: HResult::E_UNEXPECTED,
                message: "the transcript has no such call".into(),
            };
        };
        if entry.call != got {
            self.diverge(Divergence::Call {
                seq: entry.seq,
                expected: Box::new(entry.call.clone()),
                got: Box::new(got),
            });
        }
        *self.arrived.lock() = Some(entry.seq);
        for nested in self
            .handler_calls
            .iter()
            .filter(|c| c.parent == Some(entry.seq))
        {
            self.make(nested);
        }
        entry.answer
    }

    /// The handler calls recorded outside any host call, each once the
    /// host calls recorded before it have arrived.
    fn make_own_thread_calls(&self, calls: &[Entry]) {
        for entry in calls {
            let deadline = Instant::now() + Duration::from_secs(5);
            loop {
                let before = self
                    .host_calls
                    .lock()
                    .front()
                    .is_none_or(|next| next.seq > entry.seq);
                if before {
                    break;
                }
                if Instant::now() >= deadline {
                    break;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            // Made after a divergence too: the host still waits for the
            // completion the transcript has.
            self.make(entry);
            *self.pending.lock() -= 1;
        }
        *self.pending.lock() = 0;
    }
}

fn decision(result: Result<CancelDecision, CallbackError>) -> Answer {
    match result {
        Ok(decision) => Answer::Decision { decision },
        Err(e) => Answer::Failed {
            code: e.hresult(),
            message: e.to_string(),
        },
    }
}

/// Answers agree when they are the same, failures by code alone.
fn same_answer(a: &Answer, b: &Answer) -> bool {
    match (a, b) {
        (Answer::Failed { code: x, .. }, Answer::Failed { code: y, .. }) => x == y,
        _ => a == b,
    }
}

impl ReplayedHandler {
    fn unit(&self, call: Call) -> Result<(), HandlerError> {
        match self.state.arrive(call) {
            Answer::Failed { code, message } => Err(handler_error(code, message)),
            _ => Ok(()),
        }
    }

    fn accept(&self, call: Call) -> Result<HandlerAnswer, HandlerError> {
        match self.state.arrive(call) {
            Answer::Failed { code, message } => Err(handler_error(code, message)),
            Answer::Success { code } if code == HResult::S_FALSE => Ok(HandlerAnswer::Decline),
            _ => Ok(HandlerAnswer::Accept),
        }
    }
}

/// The `HandlerError` a recorded failure stands for.
fn handler_error(code: HResult, message: String) -> HandlerError {
    match code {
        HResult::E_NOTIMPL => HandlerError::NotImplemented,
        HResult::E_INVALIDARG => HandlerError::InvalidArgument { reason: message },
        HResult::E_UNEXPECTED => HandlerError::Unexpected { reason: message },
        HResult::E_ABORT => HandlerError::Aborted,
        _ => HandlerError::failed(message),
    }
}

impl SyncHandler for ReplayedHandler {
    fn initialize(
        &self,
        flags: SyncMgrFlags,
        _: Option<&[u8]>,
    ) -> Result<HandlerAnswer, HandlerError> {
        self.accept(Call::Initialize {
            flags: flags.to_u32(),
        })
    }

    fn handler_info(&self) -> Result<crate::HandlerInfo, HandlerError> {
        self.unit(Call::HandlerInfo)?;
        crate::HandlerInfo::new("replayed").map_err(|e| HandlerError::failed(e.to_string()))
    }

    fn enum_items(&self) -> Result<crate::ItemEnumeration, HandlerError> {
        match self.state.arrive(Call::EnumItems) {
            Answer::Failed { code, message } => Err(handler_error(code, message)),
            Answer::Items { items } => Ok(crate::ItemEnumeration::complete(
                items
                    .into_iter()
                    .filter_map(|id| crate::SyncItem::new(id, "").ok()),
            )),
            _ => Ok(crate::ItemEnumeration::complete([])),
        }
    }

    fn set_progress_callback(
        &self,
        callback: Option<Arc<dyn SyncCallback>>,
    ) -> Result<(), HandlerError> {
        let some = callback.is_some();
        if some {
            *self.state.callback.lock() = callback;
        }
        let result = self.unit(Call::SetProgressCallback { some });
        if !some {
            *self.state.callback.lock() = None;
        }
        result
    }

    fn prepare_for_sync(
        &self,
        items: &[ItemId],
        _: WindowHandle,
    ) -> Result<HandlerAnswer, HandlerError> {
        self.accept(Call::PrepareForSync {
            items: items.to_vec(),
        })
    }

    fn synchronize(&self, _: WindowHandle) -> Result<(), HandlerError> {
        self.unit(Call::Synchronize)
    }

    fn set_item_status(
        &self,
        item: ItemId,
        status: crate::SyncMgrStatus,
    ) -> Result<(), HandlerError> {
        self.unit(Call::SetItemStatus { item, status })
    }

    fn show_error(&self, _: WindowHandle, error: crate::ErrorId) -> Result<(), HandlerError> {
        self.unit(Call::ShowError { error })
    }
}
