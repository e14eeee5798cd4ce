//! A session under load, shared by the benches: a handler whose items are
//! reported from the bench's own threads while the session's driver waits
//! for `SynchronizeCompleted` on a thread of its own.
#![allow(dead_code)]

use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use syncmgr::{
    Driver, HResult, HandlerAnswer, HandlerError, HandlerInfo, ItemEnumeration, ItemId,
    ProgressReporter, Session, SessionConfig, SessionOutcome, SessionPhase, SyncCallback,
    SyncHandler, SyncItem, SyncMgrFlags, SyncMgrStatus, WindowHandle,
};

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
    ids: Vec<ItemId>,
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
        let items = self
            .ids
            .iter()
            .map(|&id| SyncItem::new(id, "").expect("a valid item"));
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
        Self::start_with((0..count).map(item).collect())
    }

    /// [`start`](Self::start) with the items `ids`.
    pub fn start_with(ids: Vec<ItemId>) -> Self {
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
