//! A scriptable fake handler, shared by the integration tests that drive a
//! [`Session`].
//!
//! [`Fake`] implements [`SyncHandler`] the way a real handler does: it keeps
//! its host callback in a [`CallbackSlot`] and reports through it. On top of
//! that it
//!
//! - records every call the host makes on it, in order ([`Call`], read with
//!   [`Fake::calls`]);
//! - records every `Progress` it makes through [`Fake::progress`] or
//!   [`Fake::report`] together with the host's answer ([`ProgressCall`]);
//! - lets a test replace what `PrepareForSync`, `Synchronize`,
//!   `SetItemStatus` and `ShowError` do with a closure (a *script*) that
//!   receives the fake.
//!
//! The defaults are a well-behaved handler of `n` items, so a scenario only
//! scripts the step it is about:
//!
//! | method | default |
//! |---|---|
//! | `Initialize` | accepts ([`FakeBuilder::initialize`] changes it) |
//! | `GetHandlerInfo` | the name `"fake"` |
//! | `EnumSyncMgrItems` | `item(1)..=item(n)`, named `"item 1"`… |
//! | `SetProgressCallback` | [`CallbackSlot::set`]; with [`FakeBuilder::keep_callback`] it also keeps a clone of every callback it is given (a §G.1 #6 leak) |
//! | `PrepareForSync` | `PrepareForSyncCompleted(S_OK)` before returning |
//! | `Synchronize` | [`Fake::work_all`], then `SynchronizeCompleted(S_OK)` before returning |
//! | `SetItemStatus` | accepts; the skip is remembered ([`Fake::was_skipped`]) whatever the script does |
//! | `ShowError` | `ShowErrorCompleted(S_OK)` before returning |
//!
//! Use it from a test crate with `mod support;`:
//!
//! ```ignore
//! mod support;
//! use support::{Fake, item, updating};
//!
//! let handler = Fake::builder(2)
//!     .on_synchronize(|h| {
//!         h.report(item(1), updating(0, 10)).unwrap();
//!         Ok(()) // returns with SynchronizeCompleted still pending
//!     })
//!     .build();
//! let outcome = session.run(handler.clone());
//! ```
//!
//! Scripts that hand work to another thread can take an owning handle with
//! [`Fake::arc`] (or just the callback with [`Fake::callback`]).
//!
//! The module depends on nothing but `syncmgr` and `std`.
#![allow(dead_code)]

use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::thread;
use std::time::{Duration, Instant};

use syncmgr::{
    CallbackError, CallbackSlot, CancelDecision, ErrorId, HResult, HandlerAnswer, HandlerError,
    HandlerInfo, ItemEnumeration, ItemId, ItemPhase, ItemSnapshot, Mode, Rule, Session,
    SessionConfig, SessionEvent, SessionSnapshot, SyncCallback, SyncHandler, SyncItem,
    SyncMgrFlags, SyncMgrProgress, SyncMgrStatus, WindowHandle,
};

/// The id of the fake's `n`-th item (`n` from 1).
pub const fn item(n: u128) -> ItemId {
    ItemId::from_u128(0x5EED_0000 + n)
}

/// `item(1)..=item(n)`.
pub fn items(n: u128) -> Vec<ItemId> {
    (1..=n).map(item).collect()
}

/// An `UPDATING` report with a value and a maximum.
pub fn updating(value: i32, max: i32) -> SyncMgrProgress {
    SyncMgrProgress::builder()
        .status(SyncMgrStatus::Updating)
        .value(value)
        .max(max)
        .build()
        .expect("a valid report")
}

/// A report of a status alone.
pub fn status(status: SyncMgrStatus) -> SyncMgrProgress {
    SyncMgrProgress::with_status(status)
}

/// A report of a progress value alone (no status, no maximum).
pub fn value(value: i32) -> SyncMgrProgress {
    SyncMgrProgress::builder()
        .value(value)
        .build()
        .expect("a valid report")
}

/// Turn a refused callback call into a handler failure, for `?` in scripts.
pub fn refused(error: CallbackError) -> HandlerError {
    HandlerError::failed(format!("the host refused: {error}"))
}

/// A handler method the host called, with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// `Initialize`.
    Initialize,
    /// `GetHandlerInfo`.
    HandlerInfo,
    /// `EnumSyncMgrItems`.
    EnumItems,
    /// `SetProgressCallback`; `true` with a callback, `false` for `NULL`.
    SetProgressCallback(bool),
    /// `PrepareForSync(items)`.
    PrepareForSync(Vec<ItemId>),
    /// `Synchronize`.
    Synchronize,
    /// `SetItemStatus(item, status)`.
    SetItemStatus(ItemId, SyncMgrStatus),
    /// `ShowError(error)`.
    ShowError(ErrorId),
}

/// One `Progress` call the fake made, and the host's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressCall {
    /// The item named.
    pub item: ItemId,
    /// The report (`None` for a cancellation poll).
    pub report: Option<SyncMgrProgress>,
    /// What the host answered.
    pub answer: Result<CancelDecision, CallbackError>,
}

type PrepareScript = dyn Fn(&Fake, &[ItemId]) -> Result<HandlerAnswer, HandlerError> + Send + Sync;
type SynchronizeScript = dyn Fn(&Fake) -> Result<(), HandlerError> + Send + Sync;
type ItemStatusScript =
    dyn Fn(&Fake, ItemId, SyncMgrStatus) -> Result<(), HandlerError> + Send + Sync;
type ShowErrorScript = dyn Fn(&Fake, ErrorId) -> Result<(), HandlerError> + Send + Sync;

/// Builds a [`Fake`]; every setter replaces one default.
pub struct FakeBuilder {
    items: u128,
    initialize: Result<HandlerAnswer, HandlerError>,
    keep_callback: bool,
    prepare: Box<PrepareScript>,
    synchronize: Box<SynchronizeScript>,
    set_item_status: Box<ItemStatusScript>,
    show_error: Box<ShowErrorScript>,
}

impl FakeBuilder {
    /// What `Initialize` answers.
    pub fn initialize(mut self, answer: Result<HandlerAnswer, HandlerError>) -> Self {
        self.initialize = answer;
        self
    }

    /// Keep a clone of every callback `SetProgressCallback` hands over, also
    /// after `SetProgressCallback(NULL)` (read it with [`Fake::kept`]).
    pub fn keep_callback(mut self) -> Self {
        self.keep_callback = true;
        self
    }

    /// What `PrepareForSync` does.
    pub fn on_prepare(
        mut self,
        script: impl Fn(&Fake, &[ItemId]) -> Result<HandlerAnswer, HandlerError> + Send + Sync + 'static,
    ) -> Self {
        self.prepare = Box::new(script);
        self
    }

    /// What `Synchronize` does.
    pub fn on_synchronize(
        mut self,
        script: impl Fn(&Fake) -> Result<(), HandlerError> + Send + Sync + 'static,
    ) -> Self {
        self.synchronize = Box::new(script);
        self
    }

    /// What `SetItemStatus` does (after the fake has remembered the skip).
    pub fn on_set_item_status(
        mut self,
        script: impl Fn(&Fake, ItemId, SyncMgrStatus) -> Result<(), HandlerError>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        self.set_item_status = Box::new(script);
        self
    }

    /// What `ShowError` does.
    pub fn on_show_error(
        mut self,
        script: impl Fn(&Fake, ErrorId) -> Result<(), HandlerError> + Send + Sync + 'static,
    ) -> Self {
        self.show_error = Box::new(script);
        self
    }

    /// The handler, ready to hand to [`Session::run`] or [`Session::drive`].
    pub fn build(self) -> Arc<Fake> {
        let items = (1..=self.items)
            .map(|n| SyncItem::new(item(n), format!("item {n}")).expect("a valid item"))
            .collect();
        Arc::new_cyclic(|me| Fake {
            me: me.clone(),
            slot: Arc::new(CallbackSlot::new()),
            items,
            initialize: self.initialize,
            keep_callback: self.keep_callback,
            prepare: self.prepare,
            synchronize: self.synchronize,
            set_item_status: self.set_item_status,
            show_error: self.show_error,
            calls: Mutex::default(),
            returned: Mutex::default(),
            progress: Mutex::default(),
            prepared: Mutex::default(),
            skips: Mutex::default(),
            kept: Mutex::default(),
        })
    }
}

/// The scriptable fake handler; see the module docs.
pub struct Fake {
    me: Weak<Fake>,
    slot: Arc<CallbackSlot>,
    items: Vec<SyncItem>,
    initialize: Result<HandlerAnswer, HandlerError>,
    keep_callback: bool,
    prepare: Box<PrepareScript>,
    synchronize: Box<SynchronizeScript>,
    set_item_status: Box<ItemStatusScript>,
    show_error: Box<ShowErrorScript>,
    calls: Mutex<Vec<Call>>,
    returned: Mutex<Vec<&'static str>>,
    progress: Mutex<Vec<ProgressCall>>,
    prepared: Mutex<Vec<ItemId>>,
    skips: Mutex<Vec<ItemId>>,
    kept: Mutex<Vec<Arc<dyn SyncCallback>>>,
}

/// Lock a test mutex, ignoring poisoning (a failed assertion on another
/// thread must not hide the original panic).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Fake {
    /// A builder for a fake with `items` items and every default.
    pub fn builder(items: u128) -> FakeBuilder {
        FakeBuilder {
            items,
            initialize: Ok(HandlerAnswer::Accept),
            keep_callback: false,
            prepare: Box::new(|h, _| {
                h.cb()
                    .prepare_for_sync_completed(HResult::S_OK)
                    .map_err(refused)?;
                Ok(HandlerAnswer::Accept)
            }),
            synchronize: Box::new(|h| {
                h.work_all();
                h.cb().synchronize_completed(HResult::S_OK).map_err(refused)
            }),
            set_item_status: Box::new(|_, _, _| Ok(())),
            show_error: Box::new(|h, _| {
                h.cb()
                    .show_error_completed(HResult::S_OK, &[])
                    .map_err(refused)
            }),
        }
    }

    /// An owning handle, for scripts that move work to another thread.
    pub fn arc(&self) -> Arc<Fake> {
        self.me.upgrade().expect("the fake is alive while it runs")
    }

    /// The callback slot (a [`SyncCallback`] that forwards to the host).
    pub fn cb(&self) -> &CallbackSlot {
        &self.slot
    }

    /// The callback slot, owned, for another thread.
    pub fn callback(&self) -> Arc<CallbackSlot> {
        Arc::clone(&self.slot)
    }

    /// The callbacks kept by [`FakeBuilder::keep_callback`], latest last.
    pub fn kept(&self) -> Option<Arc<dyn SyncCallback>> {
        lock(&self.kept).last().cloned()
    }

    /// The enumerated item ids.
    pub fn ids(&self) -> Vec<ItemId> {
        self.items.iter().map(SyncItem::id).collect()
    }

    /// The items of the latest `PrepareForSync`.
    pub fn prepared(&self) -> Vec<ItemId> {
        lock(&self.prepared).clone()
    }

    /// True once the host delivered `SetItemStatus(item, SKIPPED)`.
    pub fn was_skipped(&self, item: ItemId) -> bool {
        lock(&self.skips).contains(&item)
    }

    /// Every call the host made, in order.
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.calls).clone()
    }

    /// True if the host made `call`.
    pub fn called(&self, call: &Call) -> bool {
        lock(&self.calls).contains(call)
    }

    /// How many calls match `predicate`.
    pub fn count(&self, predicate: impl Fn(&Call) -> bool) -> usize {
        lock(&self.calls).iter().filter(|c| predicate(c)).count()
    }

    /// Every `Progress` made through [`progress`](Self::progress), in order.
    pub fn progress_calls(&self) -> Vec<ProgressCall> {
        lock(&self.progress).clone()
    }

    /// The host's answers to the `Progress` calls for `item`, in order.
    pub fn answers(&self, item: ItemId) -> Vec<Result<CancelDecision, CallbackError>> {
        lock(&self.progress)
            .iter()
            .filter(|p| p.item == item)
            .map(|p| p.answer.clone())
            .collect()
    }

    /// Wait until the handler method `name` (`"PrepareForSync"`,
    /// `"Synchronize"`, `"ShowError"`) has returned `times` times in all;
    /// false on timeout.
    pub fn wait_returned(&self, name: &str, times: usize, timeout: Duration) -> bool {
        wait_until(timeout, || {
            lock(&self.returned).iter().filter(|n| **n == name).count() >= times
        })
    }

    /// Wait until the host has made `call` (it may still be running); false
    /// on timeout.
    pub fn wait_called(&self, call: &Call, timeout: Duration) -> bool {
        wait_until(timeout, || self.called(call))
    }

    /// `Progress(item, report)` through the slot; the answer is recorded and
    /// returned.
    pub fn progress(
        &self,
        item: ItemId,
        report: Option<SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError> {
        let answer = self.slot.progress(item, report.as_ref());
        lock(&self.progress).push(ProgressCall {
            item,
            report,
            answer: answer.clone(),
        });
        answer
    }

    /// `Progress(item, Some(report))`.
    pub fn report(
        &self,
        item: ItemId,
        report: SyncMgrProgress,
    ) -> Result<CancelDecision, CallbackError> {
        self.progress(item, Some(report))
    }

    /// Work one item the way a well-behaved handler does, and return the
    /// last answer:
    ///
    /// - an item skipped before it started is left alone (no report);
    /// - otherwise `UPDATING 0/10`, then `UPDATING 10/10` while the host
    ///   answers `Continue`, then `SUCCEEDED`; after a cancel answer
    ///   `STOPPED`, and after a skip arrived meanwhile `SKIPPED`.
    pub fn work(&self, item: ItemId) -> Result<CancelDecision, CallbackError> {
        if self.was_skipped(item) {
            return Ok(CancelDecision::Continue);
        }
        let mut answer = self.report(item, updating(0, 10));
        if answer == Ok(CancelDecision::Continue) && !self.was_skipped(item) {
            answer = self.report(item, updating(10, 10));
        }
        let end = match answer {
            _ if self.was_skipped(item) => SyncMgrStatus::Skipped,
            Ok(CancelDecision::Continue) => SyncMgrStatus::Succeeded,
            Ok(_) => SyncMgrStatus::Stopped,
            Err(_) => SyncMgrStatus::Failed,
        };
        let last = self.report(item, status(end));
        if answer == Ok(CancelDecision::CancelAll) {
            answer
        } else {
            last
        }
    }

    /// [`work`](Self::work) every prepared item in order. After a
    /// `CancelAll` answer no new item is opened (§G.3 #23); the host
    /// finishes those.
    pub fn work_all(&self) {
        for item in self.prepared() {
            if self.work(item) == Ok(CancelDecision::CancelAll) {
                return;
            }
        }
    }

    fn record(&self, call: Call) {
        lock(&self.calls).push(call);
    }

    fn returned(&self, name: &'static str) {
        lock(&self.returned).push(name);
    }
}

impl SyncHandler for Fake {
    fn initialize(
        &self,
        _flags: SyncMgrFlags,
        _cookie: Option<&[u8]>,
    ) -> Result<HandlerAnswer, HandlerError> {
        self.record(Call::Initialize);
        self.initialize.clone()
    }

    fn handler_info(&self) -> Result<HandlerInfo, HandlerError> {
        self.record(Call::HandlerInfo);
        HandlerInfo::new("fake").map_err(|e| HandlerError::failed(e.to_string()))
    }

    fn enum_items(&self) -> Result<ItemEnumeration, HandlerError> {
        self.record(Call::EnumItems);
        Ok(ItemEnumeration::complete(self.items.clone()))
    }

    fn set_progress_callback(
        &self,
        callback: Option<Arc<dyn SyncCallback>>,
    ) -> Result<(), HandlerError> {
        self.record(Call::SetProgressCallback(callback.is_some()));
        if self.keep_callback
            && let Some(callback) = &callback
        {
            lock(&self.kept).push(Arc::clone(callback));
        }
        self.slot.set(callback);
        Ok(())
    }

    fn prepare_for_sync(
        &self,
        items: &[ItemId],
        _parent: WindowHandle,
    ) -> Result<HandlerAnswer, HandlerError> {
        self.record(Call::PrepareForSync(items.to_vec()));
        *lock(&self.prepared) = items.to_vec();
        let answer = (self.prepare)(self, items);
        self.returned("PrepareForSync");
        answer
    }

    fn synchronize(&self, _parent: WindowHandle) -> Result<(), HandlerError> {
        self.record(Call::Synchronize);
        let result = (self.synchronize)(self);
        self.returned("Synchronize");
        result
    }

    fn set_item_status(&self, item: ItemId, status: SyncMgrStatus) -> Result<(), HandlerError> {
        self.record(Call::SetItemStatus(item, status));
        if status == SyncMgrStatus::Skipped {
            lock(&self.skips).push(item);
        }
        (self.set_item_status)(self, item, status)
    }

    fn show_error(&self, _parent: WindowHandle, error: ErrorId) -> Result<(), HandlerError> {
        self.record(Call::ShowError(error));
        let result = (self.show_error)(self, error);
        self.returned("ShowError");
        result
    }
}

/// Poll `done` every 2 ms until it holds (true) or `timeout` passes (false).
fn wait_until(timeout: Duration, done: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(2));
    }
}

/// A list shared between a test and the closures it hands out.
#[derive(Debug)]
pub struct Capture<T>(Arc<Mutex<Vec<T>>>);

impl<T> Clone for Capture<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T> Default for Capture<T> {
    fn default() -> Self {
        Self(Arc::default())
    }
}

impl<T: Clone> Capture<T> {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Append `value`.
    pub fn push(&self, value: T) {
        lock(&self.0).push(value);
    }

    /// Everything appended so far.
    pub fn get(&self) -> Vec<T> {
        lock(&self.0).clone()
    }
}

/// Record every event `session` publishes from now on.
pub fn record_events(session: &Session) -> Capture<SessionEvent> {
    let events = Capture::new();
    let sink = events.clone();
    session.subscribe(move |event| sink.push(event.clone()));
    events
}

/// A configuration with `mode` and otherwise the defaults.
pub fn config(mode: Mode) -> SessionConfig {
    SessionConfig::new(mode)
}

/// A configuration with `mode` and a short completion timeout.
pub fn config_with_timeout(mode: Mode, timeout: Duration) -> SessionConfig {
    SessionConfig::new(mode).with_completion_timeout(timeout)
}

/// The rules of the violations recorded so far, in order.
pub fn rules(session: &Session) -> Vec<Rule> {
    session.violations().iter().map(|v| v.rule).collect()
}

/// The phase of every item, in enumeration order.
pub fn phases(session: &Session) -> Vec<ItemPhase> {
    session.snapshot().items().map(|i| i.phase()).collect()
}

/// Which items the host finished itself, in enumeration order.
pub fn finished_by_host(session: &Session) -> Vec<bool> {
    session
        .snapshot()
        .items()
        .map(|i| i.finished_by_host())
        .collect()
}

/// A fresh snapshot, kept together with the position of one of its items.
pub struct SnapshotOf(SessionSnapshot, usize);

impl SnapshotOf {
    /// The item.
    pub fn get(&self) -> ItemSnapshot<'_> {
        self.0
            .item(self.1)
            .expect("the position came from this snapshot")
    }
}

/// A snapshot of the session, for one item ([`SnapshotOf::get`]).
pub fn snapshot_of(session: &Session, id: ItemId) -> SnapshotOf {
    let snapshot = session.snapshot();
    let position = snapshot
        .find(id)
        .expect("the session knows the item")
        .position();
    SnapshotOf(snapshot, position)
}
