//! The interposer: a [`SyncHandler`] and a [`SyncCallback`] that forward
//! every call and record it, with its answer, in a [`Transcript`]; and the
//! hook through which a test host injects faults into the callback.

use std::cell::RefCell;
use std::collections::HashMap;
use std::convert::Infallible;
use std::thread::ThreadId;
use std::time::Instant;

use crate::sync::{Arc, AtomicU64, Mutex, Ordering};
use crate::{
    CallbackError, CancelDecision, ErrorId, Guid, HResult, HandlerAnswer, HandlerError,
    HandlerInfo, ItemEnumeration, ItemId, LogErrorInfo, LogLevel, ModelessAnswer, SyncCallback,
    SyncHandler, SyncMgrFlags, SyncMgrProgress, SyncMgrStatus, WindowHandle,
};

use super::transcript::{Answer, Call, Entry, Side, Transcript};

/// Where the entries of one recording go.
pub(crate) struct Recorder {
    started: Instant,
    next: AtomicU64,
    entries: Mutex<Vec<Entry>>,
    threads: Mutex<Vec<ThreadId>>,
}

std::thread_local! {
    /// The entries this thread is inside of, innermost last (recorder
    /// address, seq).
    static OPEN: RefCell<Vec<(usize, u64)>> = const { RefCell::new(Vec::new()) };
}

/// A call under way: its answer is filled in by [`Recorder::end`]; if it
/// is dropped without (a panic), the entry keeps `Pending`.
pub(crate) struct Open<'a> {
    recorder: &'a Recorder,
    seq: u64,
}

impl Drop for Open<'_> {
    fn drop(&mut self) {
        let key = (self.recorder.key(), self.seq);
        let _ = OPEN.try_with(|open| {
            let mut open = open.borrow_mut();
            if let Some(at) = open.iter().rposition(|&o| o == key) {
                open.remove(at);
            }
        });
    }
}

impl Recorder {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            started: Instant::now(),
            next: AtomicU64::new(0),
            entries: Mutex::new(Vec::new()),
            threads: Mutex::new(Vec::new()),
        })
    }

    fn key(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }

    /// Record that a call begins.
    pub(crate) fn begin(&self, side: Side, call: Call) -> Open<'_> {
        let at = self.started.elapsed();
        let seq = self.next.fetch_add(1, Ordering::SeqCst);
        let key = self.key();
        let parent = OPEN
            .try_with(|open| {
                let mut open = open.borrow_mut();
                let parent = open.iter().rev().find(|(k, _)| *k == key).map(|&(_, s)| s);
                open.push((key, seq));
                parent
            })
            .ok()
            .flatten();
        let thread = {
            let id = std::thread::current().id();
            let mut threads = self.threads.lock();
            let index = threads.iter().position(|&t| t == id).unwrap_or_else(|| {
                threads.push(id);
                threads.len() - 1
            });
            u32::try_from(index).unwrap_or(u32::MAX)
        };
        self.entries.lock().push(Entry {
            seq,
            parent,
            thread,
            at,
            side,
            call,
            answer: Answer::Pending,
        });
        Open {
            recorder: self,
            seq,
        }
    }

    /// Record what the call answered.
    pub(crate) fn end(&self, open: Open<'_>, answer: Answer) {
        let mut entries = self.entries.lock();
        if let Some(entry) = entries.iter_mut().rev().find(|e| e.seq == open.seq) {
            entry.answer = answer;
        }
    }

    /// Everything recorded so far, in the order the calls began.
    pub(crate) fn transcript(&self) -> Transcript {
        let mut entries = self.entries.lock().clone();
        entries.sort_by_key(|e| e.seq);
        Transcript { entries }
    }
}

/// What a test host may do when the handler calls `Progress`, before the
/// call reaches the host: act (cancel, skip, delay…), and ask the recorder
/// to replace the callback or the host's answer.
pub(crate) trait ProgressHook: Send + Sync {
    /// `nth_of_item` counts this item's `Progress` calls from 1, `nth` all
    /// of them from 1.
    fn on_progress(&self, item: ItemId, nth_of_item: usize, nth: usize) -> HookAnswer;
}

/// What the recorder does on a hook's behalf.
#[derive(Default)]
pub(crate) struct HookAnswer {
    /// Replace a `Continue` answer with this failure (a cancel answer is
    /// passed on: a failure never hides one).
    pub(crate) failure: Option<CallbackError>,
    /// Before forwarding, give the handler the host's callback again
    /// (`SetProgressCallback` over the held one, from inside this call).
    pub(crate) replace_callback: bool,
}

/// A handler that records every call the host makes on it, and hands it a
/// callback that records every call it makes back.
pub(crate) struct RecordingHandler {
    me: crate::sync::Weak<RecordingHandler>,
    pub(crate) inner: Arc<dyn SyncHandler>,
    pub(crate) recorder: Arc<Recorder>,
    pub(crate) hook: Option<Arc<dyn ProgressHook>>,
    /// `Progress` calls seen, per item and in all.
    counts: Arc<Mutex<(HashMap<ItemId, usize>, usize)>>,
}

impl RecordingHandler {
    pub(crate) fn new(
        inner: Arc<dyn SyncHandler>,
        recorder: Arc<Recorder>,
        hook: Option<Arc<dyn ProgressHook>>,
    ) -> Arc<Self> {
        Arc::new_cyclic(|me| Self {
            me: me.clone(),
            inner,
            recorder,
            hook,
            counts: Arc::default(),
        })
    }

    fn host_call<T>(
        &self,
        call: Call,
        run: impl FnOnce() -> Result<T, HandlerError>,
        answer: impl FnOnce(&T) -> Answer,
    ) -> Result<T, HandlerError> {
        let open = self.recorder.begin(Side::HostToHandler, call);
        let result = run();
        let recorded = match &result {
            Ok(value) => answer(value),
            Err(e) => Answer::Failed {
                code: e.hresult(),
                message: e.to_string(),
            },
        };
        self.recorder.end(open, recorded);
        result
    }
}

fn handler_answer(answer: &HandlerAnswer) -> Answer {
    match answer {
        HandlerAnswer::Accept => Answer::Ok,
        HandlerAnswer::Decline => Answer::Success {
            code: HResult::S_FALSE,
        },
    }
}

impl SyncHandler for RecordingHandler {
    fn initialize(
        &self,
        flags: SyncMgrFlags,
        cookie: Option<&[u8]>,
    ) -> Result<HandlerAnswer, HandlerError> {
        self.host_call(
            Call::Initialize {
                flags: flags.to_u32(),
            },
            || self.inner.initialize(flags, cookie),
            handler_answer,
        )
    }

    fn handler_info(&self) -> Result<HandlerInfo, HandlerError> {
        self.host_call(
            Call::HandlerInfo,
            || self.inner.handler_info(),
            |_| Answer::Ok,
        )
    }

    fn enum_items(&self) -> Result<ItemEnumeration, HandlerError> {
        self.host_call(
            Call::EnumItems,
            || self.inner.enum_items(),
            |e| Answer::Items {
                items: e.items.iter().map(crate::SyncItem::id).collect(),
            },
        )
    }

    fn item_object(&self, item: ItemId, interface: Guid) -> Result<Infallible, HandlerError> {
        self.host_call(
            Call::Other {
                method: "GetItemObject".into(),
            },
            || self.inner.item_object(item, interface),
            |never| match *never {},
        )
    }

    fn show_properties(&self, parent: WindowHandle, item: ItemId) -> Result<(), HandlerError> {
        self.host_call(
            Call::Other {
                method: "ShowProperties".into(),
            },
            || self.inner.show_properties(parent, item),
            |()| Answer::Ok,
        )
    }

    fn set_progress_callback(
        &self,
        callback: Option<Arc<dyn SyncCallback>>,
    ) -> Result<(), HandlerError> {
        let call = Call::SetProgressCallback {
            some: callback.is_some(),
        };
        let wrapped = callback.map(|inner| {
            Arc::new(RecordingCallback {
                inner,
                handler: self.me.clone(),
                recorder: Arc::clone(&self.recorder),
                hook: self.hook.clone(),
                counts: Arc::clone(&self.counts),
            }) as Arc<dyn SyncCallback>
        });
        self.host_call(
            call,
            || self.inner.set_progress_callback(wrapped),
            |()| Answer::Ok,
        )
    }

    fn prepare_for_sync(
        &self,
        items: &[ItemId],
        parent: WindowHandle,
    ) -> Result<HandlerAnswer, HandlerError> {
        self.host_call(
            Call::PrepareForSync {
                items: items.to_vec(),
            },
            || self.inner.prepare_for_sync(items, parent),
            handler_answer,
        )
    }

    fn synchronize(&self, parent: WindowHandle) -> Result<(), HandlerError> {
        self.host_call(
            Call::Synchronize,
            || self.inner.synchronize(parent),
            |()| Answer::Ok,
        )
    }

    fn set_item_status(&self, item: ItemId, status: SyncMgrStatus) -> Result<(), HandlerError> {
        self.host_call(
            Call::SetItemStatus { item, status },
            || self.inner.set_item_status(item, status),
            |()| Answer::Ok,
        )
    }

    fn show_error(&self, parent: WindowHandle, error: ErrorId) -> Result<(), HandlerError> {
        self.host_call(
            Call::ShowError { error },
            || self.inner.show_error(parent, error),
            |()| Answer::Ok,
        )
    }
}

/// The callback a recording handler gives its handler.
struct RecordingCallback {
    inner: Arc<dyn SyncCallback>,
    /// The recording handler, to replace the callback through.
    handler: crate::sync::Weak<RecordingHandler>,
    recorder: Arc<Recorder>,
    hook: Option<Arc<dyn ProgressHook>>,
    counts: Arc<Mutex<(HashMap<ItemId, usize>, usize)>>,
}

impl RecordingCallback {
    fn unit(
        &self,
        call: Call,
        run: impl FnOnce() -> Result<(), CallbackError>,
    ) -> Result<(), CallbackError> {
        let open = self.recorder.begin(Side::HandlerToHost, call);
        let result = run();
        self.recorder
            .end(open, Answer::of_unit(&result, CallbackError::hresult));
        result
    }

    fn other(&self, method: &str) -> Call {
        Call::Other {
            method: method.to_owned(),
        }
    }
}

impl SyncCallback for RecordingCallback {
    fn show_properties_completed(&self, outcome: HResult) -> Result<(), CallbackError> {
        self.unit(self.other("ShowPropertiesCompleted"), || {
            self.inner.show_properties_completed(outcome)
        })
    }

    fn prepare_for_sync_completed(&self, outcome: HResult) -> Result<(), CallbackError> {
        self.unit(Call::PrepareForSyncCompleted { outcome }, || {
            self.inner.prepare_for_sync_completed(outcome)
        })
    }

    fn synchronize_completed(&self, outcome: HResult) -> Result<(), CallbackError> {
        self.unit(Call::SynchronizeCompleted { outcome }, || {
            self.inner.synchronize_completed(outcome)
        })
    }

    fn show_error_completed(
        &self,
        outcome: HResult,
        retry_items: &[ItemId],
    ) -> Result<(), CallbackError> {
        let call = Call::ShowErrorCompleted {
            outcome,
            retry: retry_items.to_vec(),
        };
        self.unit(call, || {
            self.inner.show_error_completed(outcome, retry_items)
        })
    }

    fn enable_modeless(&self, enable: bool) -> Result<ModelessAnswer, CallbackError> {
        let open = self
            .recorder
            .begin(Side::HandlerToHost, self.other("EnableModeless"));
        let result = self.inner.enable_modeless(enable);
        let answer = match &result {
            Ok(answer) => Answer::Success {
                code: answer.to_hresult(),
            },
            Err(e) => Answer::Failed {
                code: e.hresult(),
                message: e.to_string(),
            },
        };
        self.recorder.end(open, answer);
        result
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
        let open = self.recorder.begin(Side::HandlerToHost, call);
        let (nth_of_item, nth) = {
            let mut counts = self.counts.lock();
            let (per_item, all) = &mut *counts;
            let of_item = per_item.entry(item).or_default();
            *of_item += 1;
            *all += 1;
            (*of_item, *all)
        };
        let hooked = self
            .hook
            .as_ref()
            .map(|hook| hook.on_progress(item, nth_of_item, nth))
            .unwrap_or_default();
        if hooked.replace_callback
            && let Some(handler) = self.handler.upgrade()
        {
            // The host replaces the callback with itself, re-entrantly.
            let _ = handler.set_progress_callback(Some(Arc::clone(&self.inner)));
        }
        let result = match (self.inner.progress(item, progress), hooked.failure) {
            (Ok(CancelDecision::Continue), Some(failure)) => Err(failure),
            (result, _) => result,
        };
        let answer = match &result {
            Ok(decision) => Answer::Decision {
                decision: *decision,
            },
            Err(e) => Answer::Failed {
                code: e.hresult(),
                message: e.to_string(),
            },
        };
        self.recorder.end(open, answer);
        result
    }

    fn log_error(
        &self,
        level: LogLevel,
        text: &str,
        info: Option<&LogErrorInfo>,
    ) -> Result<(), CallbackError> {
        self.unit(self.other("LogError"), || {
            self.inner.log_error(level, text, info)
        })
    }

    fn delete_log_error(&self, error: ErrorId) -> Result<(), CallbackError> {
        self.unit(self.other("DeleteLogError"), || {
            self.inner.delete_log_error(error)
        })
    }

    fn establish_connection(&self, connection: Option<&str>) -> Result<(), CallbackError> {
        self.unit(self.other("EstablishConnection"), || {
            self.inner.establish_connection(connection)
        })
    }
}
