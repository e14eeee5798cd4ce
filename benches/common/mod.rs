//! A session under load, shared by the benches: a handler whose items are
//! reported from the bench's own threads while the session's driver waits
//! for `SynchronizeCompleted` on a thread of its own; the reporting loop
//! ([`Reporting`]), the baselines a user would otherwise write
//! ([`NaiveHost`], [`dyn_slot`]) and a trivial callback ([`Trivial`]), so
//! the criterion benches and the instruction counts measure the same code.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use syncmgr::{
    CallbackError, CancelDecision, Driver, HResult, HandlerAnswer, HandlerError, HandlerInfo,
    ItemEnumeration, ItemId, ItemReporter, ProgressReporter, Session, SessionConfig,
    SessionOutcome, SessionPhase, SyncCallback, SyncHandler, SyncItem, SyncMgrFlags,
    SyncMgrProgress, SyncMgrStatus, WindowHandle,
};
use uuid::Uuid;

/// The id of the bench's `n`-th item (from 0).
pub const fn item(n: usize) -> ItemId {
    ItemId::from_u128(0xBE7C_0000_0000 + n as u128)
}

/// A handler of `count` items that reports through a [`ProgressReporter`].
///
/// `PrepareForSync` completes at once; `Synchronize` returns at once and
/// leaves `SynchronizeCompleted` to [`Running::finish`], so the bench's
/// threads report while the session is synchronizing.
pub struct BenchHandler {
    pub reporter: ProgressReporter,
    ids: BenchIds,
}

/// The handler's items: `item(0)..item(n)`, made when enumerated (so a
/// memory measurement counts no list of the bench's own), or a given list.
enum BenchIds {
    Count(usize),
    List(Vec<ItemId>),
}

impl SyncHandler for BenchHandler {
    fn initialize(&self, _: SyncMgrFlags, _: Option<&[u8]>) -> Result<HandlerAnswer, HandlerError> {
        Ok(HandlerAnswer::Accept)
    }

    fn handler_info(&self) -> Result<HandlerInfo, HandlerError> {
        HandlerInfo::new("bench").map_err(|e| HandlerError::failed(e.to_string()))
    }

    fn enum_items(&self) -> Result<ItemEnumeration, HandlerError> {
        // Empty names: every byte a memory measurement counts is the
        // library's own, not the handler's text.
        let ids: Box<dyn Iterator<Item = ItemId>> = match &self.ids {
            BenchIds::Count(count) => Box::new((0..*count).map(item)),
            BenchIds::List(ids) => Box::new(ids.iter().copied()),
        };
        let items = ids.map(|id| SyncItem::new(id, "").expect("a valid item"));
        Ok(ItemEnumeration::complete(items))
    }

    fn set_progress_callback(
        &self,
        callback: Option<Arc<dyn SyncCallback>>,
    ) -> Result<(), HandlerError> {
        self.reporter.set_callback(callback);
        Ok(())
    }

    fn prepare_for_sync(
        &self,
        _: &[ItemId],
        _: WindowHandle,
    ) -> Result<HandlerAnswer, HandlerError> {
        let _ = self
            .reporter
            .slot()
            .prepare_for_sync_completed(HResult::S_OK);
        Ok(HandlerAnswer::Accept)
    }

    fn synchronize(&self, _: WindowHandle) -> Result<(), HandlerError> {
        Ok(())
    }

    fn set_item_status(&self, item: ItemId, status: SyncMgrStatus) -> Result<(), HandlerError> {
        if status == SyncMgrStatus::Skipped {
            self.reporter.skip(item);
        }
        Ok(())
    }
}

/// A session in its `Synchronizing` phase.
pub struct Running {
    pub session: Session,
    pub handler: Arc<BenchHandler>,
    driver: JoinHandle<(Driver, Result<SessionOutcome, syncmgr::SessionError>)>,
}

impl Running {
    /// Initialize a session of `count` items, prepare all of them and
    /// start synchronizing; returns once the handler may report.
    pub fn start(count: usize) -> Self {
        Self::start_handler(BenchIds::Count(count))
    }

    /// [`start`](Self::start) with the items `ids`.
    pub fn start_with(ids: Vec<ItemId>) -> Self {
        Self::start_handler(BenchIds::List(ids))
    }

    fn start_handler(ids: BenchIds) -> Self {
        let handler = Arc::new(BenchHandler {
            reporter: ProgressReporter::new(),
            ids,
        });
        let session = Session::new(
            SessionConfig::default().with_completion_timeout(Duration::from_secs(24 * 60 * 60)),
        );
        let mut driver = session.drive(handler.clone());
        let ids: Vec<ItemId> = driver
            .initialize()
            .expect("the bench handler initializes")
            .iter()
            .map(SyncItem::id)
            .collect();
        let driver = thread::spawn(move || {
            let outcome = driver.sync(&ids);
            (driver, outcome)
        });
        while session.phase() != SessionPhase::Synchronizing {
            thread::yield_now();
        }
        Self {
            session,
            handler,
            driver,
        }
    }

    /// `SynchronizeCompleted(S_OK)`, then release the handler.
    pub fn finish(self) -> Session {
        self.handler
            .reporter
            .slot()
            .synchronize_completed(HResult::S_OK)
            .expect("the session accepts the completion");
        let (mut driver, outcome) = self.driver.join().expect("the driver thread");
        assert!(outcome.expect("sync ran").is_success());
        driver.release();
        self.session
    }
}

/// Reports increasing values on one item; moves to the next item before the
/// value could overflow.
pub struct Reporting<'a> {
    reporter: &'a ProgressReporter,
    next: usize,
    open: Option<ItemReporter<'a>>,
    value: u64,
}

impl<'a> Reporting<'a> {
    pub fn new(reporter: &'a ProgressReporter, first: usize) -> Self {
        Self {
            reporter,
            next: first,
            open: None,
            value: 0,
        }
    }

    #[inline]
    pub fn step(&mut self) {
        self.value += 1;
        if self.value == i32::MAX as u64 || self.open.is_none() {
            self.turn();
        }
        let decision = self.open.as_ref().map(|open| open.value(self.value));
        assert!(matches!(decision, Some(Ok(()))), "{decision:?}");
    }

    #[cold]
    fn turn(&mut self) {
        if let Some(open) = self.open.take() {
            open.finish(SyncMgrStatus::Succeeded)
                .expect("the item finishes");
        }
        self.open = Some(
            self.reporter
                .begin_with_max(item(self.next), i32::MAX as u64)
                .expect("the item opens"),
        );
        self.next += 1;
        self.value = 1;
    }

    pub fn finish(mut self) {
        if let Some(open) = self.open.take() {
            open.finish(SyncMgrStatus::Succeeded)
                .expect("the item finishes");
        }
    }
}

/// What a user would otherwise write: one mutex around a map of items.
#[derive(Default)]
pub struct NaiveItem {
    value: i32,
    max: i32,
    status: u8,
    cancel: bool,
}

pub trait NaiveCallback: Send + Sync {
    fn progress(&self, item: Uuid, value: i32) -> CancelDecision;
}

pub struct NaiveHost {
    cancel_all: bool,
    items: Mutex<HashMap<Uuid, NaiveItem>>,
}

impl NaiveHost {
    pub fn new(count: usize) -> Self {
        let items = (0..count)
            .map(|n| {
                let state = NaiveItem {
                    max: i32::MAX,
                    ..NaiveItem::default()
                };
                (naive_item(n), state)
            })
            .collect();
        Self {
            cancel_all: false,
            items: Mutex::new(items),
        }
    }
}

impl NaiveCallback for NaiveHost {
    fn progress(&self, item: Uuid, value: i32) -> CancelDecision {
        let mut items = self.items.lock().expect("not poisoned");
        let Some(state) = items.get_mut(&item) else {
            return CancelDecision::Continue;
        };
        if value >= state.value && value <= state.max {
            state.value = value;
            state.status = 1;
        }
        if self.cancel_all {
            CancelDecision::CancelAll
        } else if state.cancel {
            CancelDecision::CancelItem
        } else {
            CancelDecision::Continue
        }
    }
}

pub fn naive_item(n: usize) -> Uuid {
    *item(n).as_uuid()
}

pub type DynCallback = Arc<dyn Fn(ItemId, i32) -> CancelDecision + Send + Sync>;

/// The physical floor of a callback slot: a bare
/// `parking_lot::RwLock<Option<Arc<dyn Fn>>>` holding a trivial callback.
pub fn dyn_slot() -> parking_lot::RwLock<Option<DynCallback>> {
    parking_lot::RwLock::new(Some(Arc::new(|item: ItemId, value: i32| {
        if item.is_null() && value < 0 {
            CancelDecision::CancelAll
        } else {
            CancelDecision::Continue
        }
    })))
}

/// One call through [`dyn_slot`]: read the lock, clone the `Arc`, call.
#[inline]
pub fn dyn_slot_call(
    slot: &parking_lot::RwLock<Option<DynCallback>>,
    item: ItemId,
    value: i32,
) -> Option<CancelDecision> {
    let callback = slot.read().clone();
    callback.map(|f| f(item, value))
}

pub struct Trivial;

impl SyncCallback for Trivial {
    fn progress(
        &self,
        item: ItemId,
        _: Option<&SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError> {
        Ok(if item.is_null() {
            CancelDecision::CancelAll
        } else {
            CancelDecision::Continue
        })
    }
}

/// Where criterion keeps its results (the same rule criterion uses).
pub fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"),
        PathBuf::from,
    );
    target.join("criterion")
}
