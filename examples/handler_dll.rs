//! An in-process SyncMgr handler DLL written in Rust: three "offline
//! folders" that a SyncMgr host (mobsync, or any `ISyncMgrSynchronize`
//! host) can synchronize and cancel one by one.
//!
//! Build it (Windows target, feature `com`):
//!
//! ```text
//! cargo build --target x86_64-pc-windows-gnu --features com --example handler_dll
//! ```
//!
//! which gives `target/x86_64-pc-windows-gnu/debug/examples/handler_dll.dll`,
//! exporting `DllGetClassObject` and `DllCanUnloadNow` for the class
//! `{373B3E9F-76BC-48CB-9CB4-9D290E190CE6}`. `scripts/test-windows.sh` loads
//! it from a C host built against mobsync.h and drives it through the whole
//! documented sequence.
//!
//! The handler is plain portable code against [`SyncHandler`]; everything
//! COM (the class factory, the objects, the argument checks, the raw
//! cancel codes, the host's apartment) comes from `syncmgr::com` through
//! one macro call, [`syncmgr::export_handler_dll!`].
//!
//! It works with every host: free-threaded or ordinary host callbacks, in
//! the multithreaded apartment or in a single-threaded apartment (as
//! SyncMgr and Sync Center call handlers). For the STA case it follows the
//! pattern of the `com` module docs ("Handlers served to STA hosts"): the
//! worker may be waiting for the host's thread, so `SetProgressCallback`
//! and the final `Release` never block on it: they revoke the callback
//! without waiting ([`ProgressReporter::set_callback_nonblocking`]) and
//! join the worker with [`syncmgr::com::join_pumping`], which serves the
//! worker's calls while it waits, and declines to wait when the host
//! released the handler from inside a call the worker is making (the
//! worker then ends on its own, holding a [`syncmgr::com::ServerLock`]).
//!
//! On any other target, or without the feature, this builds an empty
//! library.

#[cfg(all(windows, feature = "com"))]
mod folders {
    use std::sync::{Arc, Mutex, PoisonError};
    use std::thread::JoinHandle;

    use syncmgr::com::{Joined, Mta, ServerLock, join_pumping};
    use syncmgr::{
        Cancelled, Guid, HResult, HandlerAnswer, HandlerError, HandlerInfo, ItemEnumeration,
        ItemId, ProgressReporter, ReportError, SyncCallback, SyncEvent, SyncHandler, SyncItem,
        SyncMgrFlags, SyncMgrStatus, WindowHandle,
    };

    /// The class this DLL serves.
    pub const CLSID: Guid = Guid::from_u128(0x373B3E9F_76BC_48CB_9CB4_9D290E190CE6);

    /// Steps per folder.
    const STEPS: u64 = 3;

    /// What the worker thread shares with the handler.
    struct Shared {
        reporter: ProgressReporter,
        prepared: Mutex<Vec<ItemId>>,
    }

    /// The handler: three folders, synchronized on a worker thread.
    pub struct Folders {
        shared: Arc<Shared>,
        folders: Vec<SyncItem>,
        worker: Mutex<Option<JoinHandle<()>>>,
    }

    impl Folders {
        fn new() -> Self {
            let folders = ["Documents", "Pictures", "Music"]
                .iter()
                .enumerate()
                .filter_map(|(i, name)| {
                    SyncItem::new(ItemId::from_u128(0xF0_1DE5 + i as u128), *name).ok()
                })
                .collect();
            Self {
                shared: Arc::new(Shared {
                    reporter: ProgressReporter::new(),
                    prepared: Mutex::new(Vec::new()),
                }),
                folders,
                worker: Mutex::new(None),
            }
        }

        /// Wait for the worker, serving the calls it makes into this
        /// thread's apartment meanwhile (the host's STA thread may be the
        /// one waiting).
        fn join_worker(&self) {
            let worker = self
                .worker
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            if let Some(worker) = worker {
                match join_pumping(worker) {
                    Joined::Finished(_) => {}
                    // The host released (or replaced) the callback from
                    // inside its own callback, which the worker is waiting
                    // for: it cannot end before we return. It stops at its
                    // next report when its callback is gone (or goes on
                    // with the new one), holding a ServerLock until it
                    // ends, so the DLL stays loaded.
                    Joined::WaitingForThisThread(worker) => drop(worker),
                }
            }
        }
    }

    impl Drop for Folders {
        fn drop(&mut self) {
            // No DLL code may run after the last object is gone: the
            // worker ends before the handler does. The final Release may
            // arrive on the host's STA thread, so join while pumping.
            self.join_worker();
        }
    }

    /// One folder: `Progress` before it starts, one report per step, and a
    /// final status. A cancel answer ends it with `STOPPED` (the reporter
    /// sends that) and comes back as `Err(Cancelled)`.
    fn sync_folder(reporter: &ProgressReporter, id: ItemId) -> Result<(), ReportError> {
        let folder = reporter.begin_with_max(id, STEPS)?;
        for step in 1..=STEPS {
            // ... copy a batch of files here ...
            folder.value(step)?;
        }
        folder.finish(SyncMgrStatus::Succeeded)
    }

    /// The worker: every prepared folder, then `SynchronizeCompleted`.
    fn synchronize(shared: &Shared) {
        // Calling a COM callback needs COM on this thread.
        let Ok(_mta) = Mta::enter() else {
            let _ = shared
                .reporter
                .slot()
                .synchronize_completed(HResult::E_UNEXPECTED);
            return;
        };
        let prepared = shared
            .prepared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut outcome = HResult::S_OK;
        for id in prepared {
            match sync_folder(&shared.reporter, id) {
                Ok(()) | Err(ReportError::Cancelled(Cancelled::Item(_))) => {}
                Err(ReportError::Cancelled(Cancelled::All)) => break,
                Err(_) => outcome = HResult::E_FAIL,
            }
        }
        let _ = shared.reporter.slot().synchronize_completed(outcome);
    }

    impl SyncHandler for Folders {
        fn initialize(
            &self,
            flags: SyncMgrFlags,
            _cookie: Option<&[u8]>,
        ) -> Result<HandlerAnswer, HandlerError> {
            // Manual and logon/logoff syncs only; idle and scheduled syncs
            // are declined with S_FALSE.
            Ok(match flags.event() {
                SyncEvent::Manual | SyncEvent::Connect | SyncEvent::PendingDisconnect => {
                    HandlerAnswer::Accept
                }
                _ => HandlerAnswer::Decline,
            })
        }

        fn handler_info(&self) -> Result<HandlerInfo, HandlerError> {
            HandlerInfo::new("Rust offline folders")
                .map_err(|e| HandlerError::failed(e.to_string()))
        }

        fn enum_items(&self) -> Result<ItemEnumeration, HandlerError> {
            Ok(ItemEnumeration::complete(self.folders.iter().cloned()))
        }

        fn set_progress_callback(
            &self,
            callback: Option<Arc<dyn SyncCallback>>,
        ) -> Result<(), HandlerError> {
            // Never wait here for calls on the old callback: on an STA host
            // this runs on the host's thread, which a worker's call may be
            // waiting for. Revoke without waiting; the worker's next report
            // goes to the new callback, or, on a release, answers
            // NoCallback and the worker stops.
            self.shared.reporter.set_callback_nonblocking(callback);
            // Then wait for the worker, serving its calls meanwhile: when
            // this returns, it holds no reference to the old callback.
            self.join_worker();
            Ok(())
        }

        fn prepare_for_sync(
            &self,
            items: &[ItemId],
            _parent: WindowHandle,
        ) -> Result<HandlerAnswer, HandlerError> {
            *self
                .shared
                .prepared
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = items.to_vec();
            // Nothing to ask the user: complete before returning.
            self.shared
                .reporter
                .slot()
                .prepare_for_sync_completed(HResult::S_OK)
                .map_err(|e| HandlerError::failed(e.to_string()))?;
            Ok(HandlerAnswer::Accept)
        }

        fn synchronize(&self, _parent: WindowHandle) -> Result<(), HandlerError> {
            self.join_worker();
            let shared = self.shared.clone();
            // The DLL stays loaded while the worker runs, even if nobody
            // can wait for it.
            let lock = ServerLock::new();
            let worker = std::thread::Builder::new()
                .name("folders-sync".into())
                .spawn(move || {
                    synchronize(&shared);
                    drop(shared);
                    drop(lock);
                })
                .map_err(|e| HandlerError::failed(e.to_string()))?;
            *self.worker.lock().unwrap_or_else(PoisonError::into_inner) = Some(worker);
            Ok(())
        }

        fn set_item_status(&self, item: ItemId, status: SyncMgrStatus) -> Result<(), HandlerError> {
            if status != SyncMgrStatus::Skipped {
                return Err(HandlerError::InvalidArgument {
                    reason: format!("SetItemStatus supports only SKIPPED, not {status}"),
                });
            }
            self.shared.reporter.skip(item);
            Ok(())
        }
    }

    /// The factory function the DLL's class factory calls.
    fn make() -> Arc<dyn SyncHandler> {
        Arc::new(Folders::new())
    }

    syncmgr::export_handler_dll!(clsid: CLSID, handler: make);
}
