//! An in-process Sync Center handler DLL written in Rust: three "camera
//! albums" that Sync Center (or any `ISyncMgrHandler` host) can enumerate,
//! synchronize and cancel one by one.
//!
//! Build it (Windows target, feature `com`):
//!
//! ```text
//! cargo build --target x86_64-pc-windows-gnu --features com --example sync_center_dll
//! ```
//!
//! which gives `target/x86_64-pc-windows-gnu/debug/examples/sync_center_dll.dll`,
//! exporting `DllGetClassObject`, `DllCanUnloadNow`, `DllRegisterServer` and
//! `DllUnregisterServer` for two classes: the Sync Center handler
//! `{5C1E9A51-2B6F-4E0D-9D3A-7F21C4B8E6A3}`, and the same albums as a
//! SyncMgr handler `{5C1E9A52-2B6F-4E0D-9D3A-7F21C4B8E6A3}` (through
//! [`syncmgr::SyncCenterAsSyncMgr`]). `scripts/test-windows.sh` loads it from a C
//! Sync Center host (`tests/c/sync_center_host.c`), in the multithreaded
//! apartment and in a pumping single-threaded one, and registers and
//! unregisters it with `regsvr32`.
//!
//! The handler is portable code against [`SyncCenterHandler`]; the COM
//! objects (`ISyncMgrHandler`, `ISyncMgrHandlerInfo`, the item container,
//! its enumerator and the items), the argument checks and the session
//! creator's callback come from `syncmgr::com` through one macro call,
//! [`syncmgr::export_com_server!`].
//!
//! `Synchronize` follows the loop of the published Sync Center sample: for
//! each item it reports the maximum first (step 0 of `STEPS`), then each
//! step, and reads the cancel request answered to every report. A
//! `CANCEL_ITEM` is acknowledged with `CANCELED` for that item; after a
//! `CANCEL_ALL` the item in progress and every later one are acknowledged
//! with `CANCELED`, without more work. The loop runs on the host's thread,
//! inside `Synchronize` (which does not return before the sync is done),
//! so an STA host's callback is called on its own thread.
//!
//! On any other target, or without the feature, this builds an empty
//! library.

#[cfg(all(windows, feature = "com"))]
mod albums {
    use std::sync::Arc;

    use syncmgr::com::ServerClass;
    use syncmgr::sync_center::{
        CancelRequest, HandlerCapabilities, HandlerType, ProgressStatus, SyncCenterCallback,
        SyncCenterHandler, SyncCenterHandlerInfo, SyncCenterItem, SyncCenterItemId,
        SyncCenterProgress,
    };
    use syncmgr::{Guid, HandlerError, SyncCenterAsSyncMgr, SyncHandler, WindowHandle};

    /// The Sync Center class this DLL serves.
    pub const CLSID: Guid = Guid::from_u128(0x5C1E9A51_2B6F_4E0D_9D3A_7F21C4B8E6A3);

    /// The same albums as a SyncMgr (`ISyncMgrSynchronize`) handler, for
    /// hosts of the older generation, through [`SyncCenterAsSyncMgr`].
    pub const SYNC_MGR_CLSID: Guid = Guid::from_u128(0x5C1E9A52_2B6F_4E0D_9D3A_7F21C4B8E6A3);

    /// The classes of this DLL.
    pub const CLASSES: &[ServerClass] = &[
        ServerClass::sync_center(CLSID, "syncmgr example Sync Center handler", make),
        ServerClass::sync_mgr(SYNC_MGR_CLSID, "syncmgr example albums", make_sync_mgr),
    ];

    /// Steps per album.
    const STEPS: u32 = 3;

    /// The albums: id and display name.
    const ALBUMS: [(&str, &str); 3] = [
        ("holidays", "Holidays"),
        ("family", "Family"),
        ("garden", "Garden"),
    ];

    /// The handler: stateless; Sync Center creates one per session.
    struct Albums;

    fn make() -> Arc<dyn SyncCenterHandler> {
        Arc::new(Albums)
    }

    fn make_sync_mgr() -> Arc<dyn SyncHandler> {
        Arc::new(SyncCenterAsSyncMgr::new(make()))
    }

    impl Albums {
        /// Report `status` at `step` for `item`: the cancel request
        /// answered, or `None` when the host refused the report (the item
        /// is over for the host: nothing more is reported for it).
        fn report(
            callback: &dyn SyncCenterCallback,
            item: &SyncCenterItemId,
            status: ProgressStatus,
            step: u32,
        ) -> Option<CancelRequest> {
            let report = SyncCenterProgress::new(item.clone(), status, step, STEPS);
            callback.report_progress(&report).ok()
        }

        /// Synchronize one album; whether a cancel-all was answered.
        fn album(callback: &dyn SyncCenterCallback, item: &SyncCenterItemId) -> bool {
            // The maximum first, then each step; the cancel request is read
            // after every report.
            for step in 0..STEPS {
                match Self::report(callback, item, ProgressStatus::Updating, step) {
                    Some(CancelRequest::None) => {}
                    Some(request) => {
                        // Acknowledge the cancel with CANCELED.
                        let _ = Self::report(callback, item, ProgressStatus::Canceled, step);
                        return request == CancelRequest::CancelAll;
                    }
                    None => return false,
                }
            }
            // A terminal report: a cancel answered to it needs no
            // acknowledgement for this item, but a cancel-all stops the rest.
            Self::report(callback, item, ProgressStatus::Succeeded, STEPS)
                == Some(CancelRequest::CancelAll)
        }
    }

    impl SyncCenterHandler for Albums {
        fn name(&self) -> Result<String, HandlerError> {
            Ok("Camera albums (syncmgr example)".into())
        }

        fn handler_info(&self) -> Result<SyncCenterHandlerInfo, HandlerError> {
            Ok(SyncCenterHandlerInfo {
                handler_type: HandlerType::Device,
                type_label: Some("Camera".into()),
                comment: Some("Three albums, three steps each".into()),
            })
        }

        fn capabilities(&self) -> Result<HandlerCapabilities, HandlerError> {
            Ok(HandlerCapabilities::empty())
        }

        fn items(&self) -> Result<Vec<SyncCenterItem>, HandlerError> {
            ALBUMS
                .iter()
                .map(|(id, name)| {
                    let id = SyncCenterItemId::new(*id)
                        .map_err(|e| HandlerError::failed(e.to_string()))?;
                    SyncCenterItem::new(id, *name).map_err(|e| HandlerError::failed(e.to_string()))
                })
                .collect()
        }

        fn item_comment(&self, item: &SyncCenterItemId) -> Result<String, HandlerError> {
            Ok(format!("the {} album", item.as_str()))
        }

        fn synchronize(
            &self,
            items: &[SyncCenterItemId],
            _: WindowHandle,
            callback: Arc<dyn SyncCenterCallback>,
        ) -> Result<(), HandlerError> {
            let mut cancel_all = false;
            for item in items {
                if cancel_all {
                    // After a cancel-all, keep acknowledging every item left.
                    let _ = Self::report(&*callback, item, ProgressStatus::Canceled, 0);
                } else {
                    cancel_all = Self::album(&*callback, item);
                }
            }
            Ok(())
        }
    }

    syncmgr::export_com_server!(classes: CLASSES);
}
