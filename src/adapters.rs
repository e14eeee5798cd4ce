//! Adapters between the generations: a SyncMgr handler behind a Sync Center
//! host ([`SyncMgrAsSyncCenter`]) and a Sync Center handler behind a
//! SyncMgr host ([`SyncCenterAsSyncMgr`]).
//!
//! Both translate every report through the generation-neutral
//! [`ProgressItem`] view and every answer through [`CancelDecision`], so a
//! cancel requested on either host arrives at the handler in the handler's
//! own vocabulary: `S_SYNCMGR_CANCELITEM` / `S_SYNCMGR_CANCELALL` for a
//! SyncMgr handler, `SYNCMGR_CR_CANCEL_*` and `CanContinue` → `S_FALSE` for a
//! Sync Center handler. The mapping tables are in the crate documentation;
//! the corners that cannot be translated are named on each adapter.

use std::collections::{HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use crate::core::guard::panic_error;

use crate::sync::{Arc, AtomicBool, Condvar, Mutex, Ordering};
use crate::sync_center::{
    CancelRequest, EventLevel, MAX_SYNCMGR_PROGRESSTEXT, ProgressStatus, SyncCenterCallback,
    SyncCenterEvent, SyncCenterHandler, SyncCenterItemId, SyncCenterProgress,
};
use crate::{
    CallbackError, CallbackSlot, CanContinue, CancelDecision, ErrorId, Guid, HResult,
    HandlerAnswer, HandlerError, HandlerInfo, ItemEnumeration, ItemId, ItemPhase, LogErrorInfo,
    LogLevel, ModelessAnswer, ProgressItem, SyncCallback, SyncEvent, SyncHandler, SyncItem,
    SyncMgrFlags, SyncMgrProgress, SyncMgrStatus, SyncModifiers, WindowHandle,
};

/// Cut `text` to at most `limit - 1` UTF-16 units (room for the NUL), at a
/// character boundary.
fn truncate_utf16(text: &str, limit: usize) -> &str {
    let mut units = 0;
    for (index, c) in text.char_indices() {
        units += c.len_utf16();
        if units >= limit {
            return &text[..index];
        }
    }
    text
}

// ---------------------------------------------------------------------------
// SyncMgr handler → Sync Center host
// ---------------------------------------------------------------------------

/// A SyncMgr [`SyncHandler`] presented to a Sync Center host as a
/// [`SyncCenterHandler`].
///
/// `Synchronize` runs the SyncMgr sequence on the calling thread —
/// `Initialize(MANUAL | MAYBOTHERUSER)`, `SetProgressCallback`,
/// `PrepareForSync` and its completion, `Synchronize` and its completion,
/// `SetProgressCallback(NULL)` — with a callback that forwards to the Sync
/// Center session:
/// - `Progress` becomes `ReportProgress` (status through [`ItemPhase`]:
///   `STOPPED` and `SKIPPED` become `CANCELED`; `UPDATING` without a known
///   maximum becomes `UPDATING_INDETERMINATE`, since Sync Center refuses
///   `UPDATING` with `uMaxStep == 0`); the [`CancelRequest`] comes back as
///   the `Progress` return code;
/// - a `NULL` progress pointer (a pure poll), and a `PENDING` report, become
///   two `CanContinue` calls (item and handler), which carry the decision
///   losslessly;
/// - `LogError` becomes `ReportEvent`.
///
/// Sync Center item ids map to GUIDs with
/// [`SyncCenterItemId::to_item_id`] (exact for ids that are GUIDs in
/// registry form). Lossy corners: `DeleteLogError` is accepted but Sync
/// Center events cannot be deleted; `EnableModeless` is granted (Sync Center
/// has no modeless arbitration); status texts longer than 259 UTF-16 units
/// are cut.
pub struct SyncMgrAsSyncCenter {
    handler: Arc<dyn SyncHandler>,
    name: String,
    timeout: Duration,
}

impl std::fmt::Debug for SyncMgrAsSyncCenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncMgrAsSyncCenter")
            .field("name", &self.name)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl SyncMgrAsSyncCenter {
    /// Wrap `handler`, named `name` in Sync Center. Each completion is
    /// awaited for at most 30 seconds.
    pub fn new(handler: Arc<dyn SyncHandler>, name: impl Into<String>) -> Self {
        Self {
            handler,
            name: name.into(),
            timeout: Duration::from_secs(30),
        }
    }

    /// How long to wait for `PrepareForSyncCompleted` and
    /// `SynchronizeCompleted`.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn run(
        &self,
        guids: &[ItemId],
        owner: WindowHandle,
        bridge: &Arc<SyncMgrBridge>,
    ) -> Result<(), HandlerError> {
        let flags = SyncMgrFlags::new(SyncEvent::Manual, SyncModifiers::MAY_BOTHER_USER);
        if self.handler.initialize(flags, None)? == HandlerAnswer::Decline {
            return Ok(());
        }
        let callback: Arc<dyn SyncCallback> = bridge.clone();
        self.handler.set_progress_callback(Some(callback))?;
        if self.handler.prepare_for_sync(guids, owner)? == HandlerAnswer::Decline {
            return Ok(());
        }
        let prepared = bridge.wait(self.timeout, |c| c.prepare)?;
        if prepared != HResult::S_OK {
            return Err(completion_error("PrepareForSyncCompleted", prepared));
        }
        self.handler.synchronize(owner)?;
        let synchronized = bridge.wait(self.timeout, |c| c.synchronize)?;
        if synchronized.is_failure() {
            return Err(completion_error("SynchronizeCompleted", synchronized));
        }
        Ok(())
    }
}

fn completion_error(call: &str, code: HResult) -> HandlerError {
    match crate::FailureCode::new(code) {
        Some(code) => HandlerError::Failed {
            code,
            reason: format!("{call} reported {code}"),
        },
        None => HandlerError::failed(format!("{call} reported {code}")),
    }
}

impl SyncCenterHandler for SyncMgrAsSyncCenter {
    fn name(&self) -> Result<String, HandlerError> {
        Ok(self.name.clone())
    }

    fn synchronize(
        &self,
        items: &[SyncCenterItemId],
        owner: WindowHandle,
        callback: Arc<dyn SyncCenterCallback>,
    ) -> Result<(), HandlerError> {
        let ids: HashMap<ItemId, SyncCenterItemId> = items
            .iter()
            .map(|id| (id.to_item_id(), id.clone()))
            .collect();
        let guids: Vec<ItemId> = items.iter().map(SyncCenterItemId::to_item_id).collect();
        let bridge = Arc::new(SyncMgrBridge {
            session: callback,
            ids,
            reports: Mutex::new(HashMap::new()),
            cancel_all: AtomicBool::new(false),
            completions: Mutex::new(Completions::default()),
            arrived: Condvar::new(),
        });
        // §G.1 #7: release the callback whatever happens, also on a panic.
        let release = ReleaseOnDrop(&*self.handler);
        let result = self.run(&guids, owner, &bridge);
        let released = release.now();
        bridge.acknowledge_cancel_all(items);
        result.and(released)
    }
}

/// Calls `SetProgressCallback(NULL)` when dropped, unless [`now`](Self::now)
/// already did.
struct ReleaseOnDrop<'a>(&'a dyn SyncHandler);

impl ReleaseOnDrop<'_> {
    fn now(self) -> Result<(), HandlerError> {
        let result = self.0.set_progress_callback(None);
        std::mem::forget(self);
        result
    }
}

impl Drop for ReleaseOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.0.set_progress_callback(None);
    }
}

#[derive(Default, Clone, Copy)]
struct Completions {
    prepare: Option<HResult>,
    synchronize: Option<HResult>,
}

/// What a SyncMgr handler has reported for one item so far: its reports say
/// only what changed, Sync Center's say everything.
#[derive(Default, Clone)]
struct Remembered {
    status: Option<SyncMgrStatus>,
    value: Option<i32>,
    max: Option<i32>,
}

/// The SyncMgr callback that forwards to a Sync Center session.
struct SyncMgrBridge {
    session: Arc<dyn SyncCenterCallback>,
    ids: HashMap<ItemId, SyncCenterItemId>,
    reports: Mutex<HashMap<ItemId, Remembered>>,
    /// The Sync Center host has answered a cancel-all.
    cancel_all: AtomicBool,
    completions: Mutex<Completions>,
    arrived: Condvar,
}

impl SyncMgrBridge {
    fn wait(
        &self,
        timeout: Duration,
        which: fn(&Completions) -> Option<HResult>,
    ) -> Result<HResult, HandlerError> {
        // A timeout too large to add to "now" means "wait for ever".
        let deadline = std::time::Instant::now().checked_add(timeout);
        let mut completions = self.completions.lock();
        loop {
            if let Some(code) = which(&completions) {
                return Ok(code);
            }
            let Some(deadline) = deadline else {
                self.arrived.wait(&mut completions);
                continue;
            };
            if self
                .arrived
                .wait_until(&mut completions, deadline)
                .timed_out()
            {
                return which(&completions).ok_or_else(|| {
                    HandlerError::failed(format!(
                        "the SyncMgr handler did not complete within {timeout:?}"
                    ))
                });
            }
        }
    }

    fn complete(&self, set: impl FnOnce(&mut Completions)) {
        set(&mut self.completions.lock());
        self.arrived.notify_all();
    }

    fn item(&self, item: ItemId) -> Result<&SyncCenterItemId, CallbackError> {
        self.ids
            .get(&item)
            .ok_or_else(|| CallbackError::InvalidArgument {
                reason: format!("item {item} is not in the prepared set (§G.2 #15)"),
            })
    }

    /// A poll, as two `CanContinue` calls.
    fn poll(&self, id: &SyncCenterItemId) -> Result<CancelDecision, CallbackError> {
        let item = self.session.can_continue(Some(id))?;
        let handler = self.session.can_continue(None)?;
        Ok(self.noted(CancelDecision::from_can_continue(item, handler)))
    }

    /// Remember a cancel-all on its way to the handler.
    fn noted(&self, decision: CancelDecision) -> CancelDecision {
        if decision == CancelDecision::CancelAll {
            self.cancel_all.store(true, Ordering::Release);
        }
        decision
    }

    /// After a cancel-all a SyncMgr handler opens no new item ([§G.3 #23](crate::protocol#rule-23)),
    /// but Sync Center wants every open item acknowledged ([§G.7 #42](crate::protocol#rule-42), #51):
    /// acknowledge, for the handler, each item it did not finish.
    fn acknowledge_cancel_all(&self, items: &[SyncCenterItemId]) {
        if !self.cancel_all.load(Ordering::Acquire) {
            return;
        }
        let reports = self.reports.lock().clone();
        for id in items {
            let finished = reports
                .get(&id.to_item_id())
                .and_then(|r| r.status)
                .is_some_and(SyncMgrStatus::is_terminal);
            if !finished {
                let ack = SyncCenterProgress::new(id.clone(), ProgressStatus::Canceled, 0, 0);
                let _ = self.session.report_progress(&ack);
            }
        }
    }
}

impl SyncCallback for SyncMgrBridge {
    fn prepare_for_sync_completed(&self, outcome: HResult) -> Result<(), CallbackError> {
        self.complete(|c| c.prepare = c.prepare.or(Some(outcome)));
        Ok(())
    }

    fn synchronize_completed(&self, outcome: HResult) -> Result<(), CallbackError> {
        self.complete(|c| c.synchronize = c.synchronize.or(Some(outcome)));
        Ok(())
    }

    fn enable_modeless(&self, _enable: bool) -> Result<ModelessAnswer, CallbackError> {
        Ok(ModelessAnswer::Granted)
    }

    fn progress(
        &self,
        item: ItemId,
        progress: Option<&SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError> {
        let id = self.item(item)?;
        let Some(progress) = progress else {
            return self.poll(id);
        };
        let merged = {
            let mut reports = self.reports.lock();
            let remembered = reports.entry(item).or_default();
            let finished = remembered.status.is_some_and(SyncMgrStatus::is_terminal);
            if finished && progress.status().is_none() {
                // Text or numbers for a finished item: SyncMgr takes them,
                // Sync Center would read them as a second terminal report
                // (§G.7 #41). Only the answer is forwarded.
                drop(reports);
                return self.poll(id);
            }
            remembered.status = progress.status().or(remembered.status);
            remembered.value = progress.value().or(remembered.value);
            remembered.max = progress.max().or(remembered.max);
            remembered.clone()
        };
        let status = merged
            .status
            .and_then(|s| ProgressStatus::from_phase(ItemPhase::of(s)));
        let Some(mut status) = status else {
            // Nothing Sync Center can show yet (no status, or PENDING).
            return self.poll(id);
        };
        let step = |n: Option<i32>| n.and_then(|n| u32::try_from(n).ok()).unwrap_or(0);
        let (current, max) = (step(merged.value), step(merged.max));
        if status == ProgressStatus::Updating && max == 0 {
            status = ProgressStatus::UpdatingIndeterminate;
        }
        let mut report = SyncCenterProgress::new(id.clone(), status, current.min(max), max);
        if let Some(text) = progress.text() {
            report = report
                .with_text(truncate_utf16(text, MAX_SYNCMGR_PROGRESSTEXT))
                .map_err(|e| CallbackError::InvalidArgument {
                    reason: e.to_string(),
                })?;
        }
        Ok(self.noted(self.session.report_progress(&report)?.into()))
    }

    fn log_error(
        &self,
        level: LogLevel,
        text: &str,
        info: Option<&LogErrorInfo>,
    ) -> Result<(), CallbackError> {
        let level = EventLevel::from(level);
        let mut event = SyncCenterEvent::new(level, level.to_string(), text);
        if let Some(item) = info.and_then(LogErrorInfo::item_id) {
            event = event.about(self.item(item)?.clone());
        }
        self.session.report_event(&event).map(drop)
    }

    fn delete_log_error(&self, _error: ErrorId) -> Result<(), CallbackError> {
        Ok(())
    }

    fn establish_connection(&self, _connection: Option<&str>) -> Result<(), CallbackError> {
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Sync Center handler → SyncMgr host
// ---------------------------------------------------------------------------

/// A Sync Center [`SyncCenterHandler`] presented to a SyncMgr host as a
/// [`SyncHandler`].
///
/// `EnumSyncMgrItems` lists the handler's [`items`](SyncCenterHandler::items)
/// under the GUIDs [`SyncCenterItemId::to_item_id`] gives them;
/// `PrepareForSync` completes at once; `Synchronize` starts the Sync Center
/// handler's `Synchronize` on a worker thread, with a callback that forwards
/// to the SyncMgr host, and reports `SynchronizeCompleted` when it returns:
/// - `ReportProgress` becomes `Progress` through the [`ProgressItem`] view
///   ([`SyncMgrProgress::from_item`]: `CANCELED` becomes `STOPPED` without
///   steps, since SyncMgr refuses more work after a cancel, [§G.3 #22](crate::protocol#rule-22);
///   `DISCONNECTED` becomes `FAILED`; indeterminate progress carries no
///   value); the `Progress` return code comes back as the [`CancelRequest`];
/// - `CanContinue` for an item is a `Progress` poll (a `NULL` report); for
///   the handler as a whole it answers from the cancel-all the host has
///   already sent ⚠ (SyncMgr has no handler-wide poll, so a cancel-all the
///   host has not yet answered to any call is not seen);
/// - `ReportEvent` becomes `LogError`, and answers a fresh error id;
/// - the host's `SetItemStatus(SKIPPED)` makes the next answer for that item
///   `SYNCMGR_CR_CANCEL_ITEM` (or `CanContinue` → `S_FALSE`).
///
/// A Sync Center handler may report an item's first status as terminal, and,
/// after a cancel-all, acknowledges the items it never started with
/// `CANCELED`. SyncMgr forbids both ([§G.3 #20](crate::protocol#rule-20), #23), so the adapter opens an
/// unstarted item with a poll before a terminal first report, and answers
/// acknowledgements of unstarted items after a cancel-all itself (the SyncMgr
/// host finishes those items as stopped).
///
/// Lossy corners: SyncMgr's item set is fixed at `PrepareForSync` (§G.2
/// #15), so `AddItemToSession`, `ProposeItem` and `CommitItem` answer
/// `E_NOTIMPL` and `QueryForAdditionalItems` answers nothing pending;
/// `SetHandlerProgressText` has no SyncMgr counterpart and is only answered;
/// a handler name longer than 31 UTF-16 units is cut.
pub struct SyncCenterAsSyncMgr {
    inner: Arc<SyncCenterBridge>,
}

impl std::fmt::Debug for SyncCenterAsSyncMgr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncCenterAsSyncMgr")
            .finish_non_exhaustive()
    }
}

impl SyncCenterAsSyncMgr {
    /// Wrap `handler`.
    pub fn new(handler: Arc<dyn SyncCenterHandler>) -> Self {
        Self {
            inner: Arc::new(SyncCenterBridge {
                handler,
                slot: CallbackSlot::new(),
                items: Mutex::new(HashMap::new()),
                prepared: Mutex::new(Vec::new()),
                cancel: Mutex::new(CancelBoard::default()),
            }),
        }
    }

    fn sync_center_id(&self, item: ItemId) -> SyncCenterItemId {
        self.inner
            .items
            .lock()
            .get(&item)
            .cloned()
            .unwrap_or_else(|| SyncCenterItemId::from_item_id(item))
    }
}

/// What the SyncMgr host has told the adapter about cancellation.
#[derive(Default)]
struct CancelBoard {
    all: bool,
    skipped: HashSet<ItemId>,
    opened: HashSet<ItemId>,
}

/// The shared state of [`SyncCenterAsSyncMgr`], and the Sync Center
/// callback it hands its handler.
struct SyncCenterBridge {
    handler: Arc<dyn SyncCenterHandler>,
    slot: CallbackSlot,
    items: Mutex<HashMap<ItemId, SyncCenterItemId>>,
    prepared: Mutex<Vec<ItemId>>,
    cancel: Mutex<CancelBoard>,
}

impl SyncCenterBridge {
    /// Send `report` (or a poll) for `item` to the SyncMgr host and fold the
    /// answer into the board.
    fn forward(
        &self,
        item: ItemId,
        report: Option<&SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError> {
        let decision = self.slot.progress(item, report)?;
        let mut board = self.cancel.lock();
        board.opened.insert(item);
        if decision == CancelDecision::CancelAll {
            board.all = true;
        }
        // A skipped item is told to stop until it reports its end.
        let ends = report
            .and_then(SyncMgrProgress::status)
            .is_some_and(SyncMgrStatus::is_terminal);
        Ok(if board.skipped.contains(&item) && !ends {
            decision.max(CancelDecision::CancelItem)
        } else {
            decision
        })
    }

    fn known(&self, id: &SyncCenterItemId) -> Result<ItemId, CallbackError> {
        let item = id.to_item_id();
        if self.prepared.lock().contains(&item) {
            Ok(item)
        } else {
            Err(CallbackError::InvalidArgument {
                reason: format!("item \"{id}\" is not in the session"),
            })
        }
    }
}

/// SyncMgr's form of a Sync Center report, with `status` in place of the
/// report's own.
///
/// A terminal report carries its steps only when they are meaningful: never
/// for `CANCELED` (an acknowledgement says the item stopped, not how far it
/// got, and SyncMgr refuses more work after a cancel, [§G.3 #22](crate::protocol#rule-22)), and not
/// when they are out of range ([§G.7 #43](crate::protocol#rule-43) constrains only `UPDATING`).
fn to_syncmgr(
    report: &SyncCenterProgress,
    status: ProgressStatus,
) -> Result<SyncMgrProgress, crate::SyncMgrProgressError> {
    let steps_in_range = report.current_step() <= report.max_step();
    let keep_steps = !status.is_terminal()
        || (status != ProgressStatus::Canceled && steps_in_range && report.max_step() > 0);
    let mut adjusted = SyncCenterProgress::new(
        report.item().clone(),
        status,
        report.current_step(),
        report.max_step(),
    );
    if let Some(text) = report.text() {
        adjusted = adjusted
            .with_text(text)
            .map_err(crate::SyncMgrProgressError::Decode)?;
    }
    if keep_steps {
        return SyncMgrProgress::from_item(&adjusted);
    }
    let mut stripped = SyncMgrProgress::builder().status(status.phase().status());
    if let Some(text) = report.text() {
        stripped = stripped.text(text);
    }
    stripped.build()
}

impl SyncCenterCallback for SyncCenterBridge {
    fn report_progress(&self, report: &SyncCenterProgress) -> Result<CancelRequest, CallbackError> {
        let item = self.known(report.item())?;
        let (all, opened) = {
            let board = self.cancel.lock();
            (board.all, board.opened.contains(&item))
        };
        let mut status = report.status();
        if !opened {
            if all {
                // An acknowledgement (or more work) for an item SyncMgr
                // never saw: answered here, §G.3 #23.
                return Ok(CancelRequest::CancelAll);
            }
            if status.is_terminal() {
                // SyncMgr wants a non-terminal Progress first (§G.3 #20): a
                // poll opens the item. A cancel it brings back turns the
                // report into a stop, which §G.3 #22 allows.
                if self.forward(item, None)?.is_cancel() && status != ProgressStatus::Failed {
                    status = ProgressStatus::Canceled;
                }
            }
        }
        let progress = to_syncmgr(report, status).map_err(|e| CallbackError::InvalidArgument {
            reason: format!("§G.7 #43: {e}"),
        })?;
        Ok(self.forward(item, Some(&progress))?.into())
    }

    fn set_handler_progress_text(&self, _text: &str) -> Result<CancelRequest, CallbackError> {
        Ok(if self.cancel.lock().all {
            CancelRequest::CancelAll
        } else {
            CancelRequest::None
        })
    }

    fn report_event(&self, event: &SyncCenterEvent) -> Result<Guid, CallbackError> {
        let level = LogLevel::from(event.level);
        let id = ErrorId::from_guid(crate::core::ids::fresh_guid());
        let mut info = LogErrorInfo::new().with_error_id(id);
        if let Some(item) = &event.item {
            info = info.with_item_id(self.known(item)?);
        }
        let text = format!("{}: {}", event.name, event.description);
        self.slot.log_error(level, &text, Some(&info))?;
        Ok(id.to_guid())
    }

    fn can_continue(&self, item: Option<&SyncCenterItemId>) -> Result<CanContinue, CallbackError> {
        let Some(id) = item else {
            return Ok(if self.cancel.lock().all {
                CanContinue::Stop
            } else {
                CanContinue::Continue
            });
        };
        let item = self.known(id)?;
        {
            let board = self.cancel.lock();
            if board.all || board.skipped.contains(&item) {
                return Ok(CanContinue::Stop);
            }
        }
        Ok(self.forward(item, None)?.can_continue())
    }

    fn query_for_additional_items(&self) -> Result<Vec<SyncCenterItemId>, CallbackError> {
        Ok(Vec::new())
    }

    fn report_manual_sync(&self) -> Result<(), CallbackError> {
        Ok(())
    }
}

impl SyncHandler for SyncCenterAsSyncMgr {
    fn initialize(
        &self,
        _flags: SyncMgrFlags,
        _cookie: Option<&[u8]>,
    ) -> Result<HandlerAnswer, HandlerError> {
        Ok(HandlerAnswer::Accept)
    }

    fn handler_info(&self) -> Result<HandlerInfo, HandlerError> {
        let name = self.inner.handler.name()?;
        let name = truncate_utf16(&name, crate::MAX_SYNCMGRHANDLERNAME);
        HandlerInfo::new(name).map_err(|e| HandlerError::failed(e.to_string()))
    }

    fn enum_items(&self) -> Result<ItemEnumeration, HandlerError> {
        let offered = self.inner.handler.items()?;
        let mut items = Vec::with_capacity(offered.len());
        let mut map = self.inner.items.lock();
        for item in offered {
            let guid = item.id().to_item_id();
            map.insert(guid, item.id().clone());
            items.push(
                SyncItem::new(guid, item.name())
                    .map_err(|e| HandlerError::failed(e.to_string()))?,
            );
        }
        Ok(ItemEnumeration::complete(items))
    }

    fn set_progress_callback(
        &self,
        callback: Option<Arc<dyn SyncCallback>>,
    ) -> Result<(), HandlerError> {
        self.inner.slot.set(callback);
        Ok(())
    }

    fn prepare_for_sync(
        &self,
        items: &[ItemId],
        _parent: WindowHandle,
    ) -> Result<HandlerAnswer, HandlerError> {
        *self.inner.prepared.lock() = items.to_vec();
        *self.inner.cancel.lock() = CancelBoard::default();
        // A completion the host refuses is its business; the handler is
        // prepared either way.
        let _ = self.inner.slot.prepare_for_sync_completed(HResult::S_OK);
        Ok(HandlerAnswer::Accept)
    }

    /// Starts the Sync Center handler's `Synchronize` on a worker thread and
    /// returns at once; `SynchronizeCompleted` follows when it returns. The
    /// host's `SetItemStatus` window ([§G.2 #18](crate::protocol#rule-18)) is open meanwhile, so a skip
    /// reaches the handler as a cancel request for that item.
    fn synchronize(&self, parent: WindowHandle) -> Result<(), HandlerError> {
        let prepared = self.inner.prepared.lock().clone();
        // The Sync Center handler reports under the ids it was given; the
        // bridge maps them back through their GUIDs.
        let ids: Vec<SyncCenterItemId> =
            prepared.iter().map(|&id| self.sync_center_id(id)).collect();
        let inner = self.inner.clone();
        std::thread::Builder::new()
            .name("syncmgr-sync-center-handler".into())
            .spawn(move || {
                let callback: Arc<dyn SyncCenterCallback> = inner.clone();
                let result = catch_unwind(AssertUnwindSafe(|| {
                    inner.handler.synchronize(&ids, parent, callback)
                }))
                .unwrap_or_else(|payload| Err(panic_error("Synchronize", &*payload)));
                let code = match &result {
                    Ok(()) => HResult::S_OK,
                    Err(error) => error.hresult(),
                };
                let _ = inner.slot.synchronize_completed(code);
            })
            .map(drop)
            .map_err(|e| HandlerError::failed(format!("cannot start the sync thread: {e}")))
    }

    fn set_item_status(&self, item: ItemId, status: SyncMgrStatus) -> Result<(), HandlerError> {
        if status != SyncMgrStatus::Skipped {
            return Err(HandlerError::InvalidArgument {
                reason: format!("SetItemStatus({status}): only SKIPPED is defined (§G.2 #18)"),
            });
        }
        self.inner.cancel.lock().skipped.insert(item);
        Ok(())
    }
}

/// SyncMgr's `LogError` levels and Sync Center's event levels have the same
/// three values and meanings.
impl From<LogLevel> for EventLevel {
    fn from(level: LogLevel) -> Self {
        match level {
            LogLevel::Information => Self::Information,
            LogLevel::Warning => Self::Warning,
            LogLevel::Error => Self::Error,
        }
    }
}

impl From<EventLevel> for LogLevel {
    fn from(level: EventLevel) -> Self {
        match level {
            EventLevel::Information => Self::Information,
            EventLevel::Warning => Self::Warning,
            EventLevel::Error => Self::Error,
        }
    }
}
