#![cfg(all(windows, feature = "com"))]
//! Rust on both sides of real COM objects: every call below goes through a
//! COM vtable. A Rust handler exported with `export_handler`, imported back
//! with `ComHandler` and driven by a `Session` (whose callback is exported
//! and imported the other way); the cancel codes through both directions;
//! the pitfall the raw calls avoid; panics in an exported handler.
#![allow(unsafe_code)]

use std::sync::{Arc, Mutex};

use syncmgr::com::{
    ComCallback, ComError, ComHandler, ISyncMgrSynchronize, Mta, export_callback, export_handler,
};
use syncmgr::{
    CallbackError, CallbackSlot, CancelDecision, CancelReason, HResult, HandlerAnswer,
    HandlerError, HandlerInfo, ItemEnumeration, ItemId, ItemPhase, ModelessAnswer, Session,
    SessionConfig, SessionOutcome, SyncCallback, SyncHandler, SyncItem, SyncMgrFlags,
    SyncMgrProgress, SyncMgrStatus, WindowHandle,
};
use windows_core::{GUID, HRESULT, Interface};

/// A host callback answering `answer` to every report.
struct Answers(CancelDecision);

impl SyncCallback for Answers {
    fn progress(
        &self,
        _: ItemId,
        _: Option<&SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError> {
        Ok(self.0)
    }

    fn enable_modeless(&self, enable: bool) -> Result<ModelessAnswer, CallbackError> {
        Ok(if enable {
            ModelessAnswer::Refused
        } else {
            ModelessAnswer::Granted
        })
    }
}

#[test]
fn every_cancel_decision_crosses_an_exported_and_imported_callback() {
    let _mta = Mta::enter().unwrap();
    for decision in CancelDecision::ALL {
        let object = export_callback(Arc::new(Answers(decision)));
        let imported = ComCallback::new(&object).unwrap();
        let report = SyncMgrProgress::with_status(SyncMgrStatus::Updating);
        assert_eq!(
            imported.progress(ItemId::from_u128(1), Some(&report)),
            Ok(decision)
        );
        assert_eq!(imported.progress(ItemId::from_u128(1), None), Ok(decision));
        // The raw vtable call sees the exact code ...
        let id = GUID::from_u128(1);
        // SAFETY: a live object, its own slot, a GUID and a NULL (poll).
        let raw = unsafe { (object.vtable().Progress)(object.as_raw(), &id, std::ptr::null()) };
        assert_eq!(raw, HRESULT(decision.to_hresult().0));
        // ... which windows-rs's own caller folds into Ok(()) (the pitfall).
        // SAFETY: as above.
        assert!(unsafe { object.Progress(&id, std::ptr::null()) }.is_ok());
    }
    let object = export_callback(Arc::new(Answers(CancelDecision::Continue)));
    let imported = ComCallback::new(&object).unwrap();
    assert_eq!(imported.enable_modeless(true), Ok(ModelessAnswer::Refused));
    assert_eq!(imported.enable_modeless(false), Ok(ModelessAnswer::Granted));
}

#[test]
fn an_imported_callback_refuses_what_cannot_cross() {
    let _mta = Mta::enter().unwrap();
    let object = export_callback(Arc::new(Answers(CancelDecision::Continue)));
    let imported = ComCallback::new(&object).unwrap();
    let error = imported
        .log_error(syncmgr::LogLevel::Error, "a\0b", None)
        .unwrap_err();
    assert!(
        matches!(error, CallbackError::InvalidArgument { .. }),
        "{error:?}"
    );
    // The default EstablishConnection answers E_NOTIMPL; it crosses as is.
    assert_eq!(
        imported.establish_connection(Some("dial-up")),
        Err(CallbackError::Failed(syncmgr::FailureCode::E_NOTIMPL))
    );
}

/// A small handler: `items` items, reports each through its slot.
struct Albums {
    slot: CallbackSlot,
    items: Vec<SyncItem>,
    prepared: Mutex<Vec<ItemId>>,
}

impl Albums {
    fn new(n: u128) -> Arc<Self> {
        Arc::new(Self {
            slot: CallbackSlot::new(),
            items: (1..=n)
                .map(|i| SyncItem::new(ItemId::from_u128(i), format!("album {i}")).unwrap())
                .collect(),
            prepared: Mutex::new(Vec::new()),
        })
    }
}

impl SyncHandler for Albums {
    fn initialize(&self, _: SyncMgrFlags, _: Option<&[u8]>) -> Result<HandlerAnswer, HandlerError> {
        Ok(HandlerAnswer::Accept)
    }

    fn handler_info(&self) -> Result<HandlerInfo, HandlerError> {
        Ok(HandlerInfo::new("Albums").unwrap())
    }

    fn enum_items(&self) -> Result<ItemEnumeration, HandlerError> {
        Ok(ItemEnumeration::complete(self.items.iter().cloned()))
    }

    fn set_progress_callback(
        &self,
        callback: Option<Arc<dyn SyncCallback>>,
    ) -> Result<(), HandlerError> {
        self.slot.set(callback);
        Ok(())
    }

    fn prepare_for_sync(
        &self,
        items: &[ItemId],
        _: WindowHandle,
    ) -> Result<HandlerAnswer, HandlerError> {
        *self.prepared.lock().unwrap() = items.to_vec();
        self.slot.prepare_for_sync_completed(HResult::S_OK).unwrap();
        Ok(HandlerAnswer::Accept)
    }

    fn synchronize(&self, _: WindowHandle) -> Result<(), HandlerError> {
        let failed = |e: CallbackError| HandlerError::failed(e.to_string());
        for item in self.prepared.lock().unwrap().clone() {
            let start = SyncMgrProgress::builder()
                .status(SyncMgrStatus::Updating)
                .value(0)
                .max(2)
                .build()
                .unwrap();
            let decision = self.slot.progress(item, Some(&start)).map_err(failed)?;
            let end = if decision.is_cancel() {
                SyncMgrStatus::Stopped
            } else {
                SyncMgrStatus::Succeeded
            };
            self.slot
                .progress(item, Some(&SyncMgrProgress::with_status(end)))
                .map_err(failed)?;
            if decision == CancelDecision::CancelAll {
                break;
            }
        }
        self.slot
            .synchronize_completed(HResult::S_OK)
            .map_err(failed)
    }

    fn set_item_status(&self, _: ItemId, _: SyncMgrStatus) -> Result<(), HandlerError> {
        Ok(())
    }
}

#[test]
fn a_session_drives_a_rust_handler_through_com_in_both_directions() {
    let _mta = Mta::enter().unwrap();
    let albums = Albums::new(3);
    let object: ISyncMgrSynchronize = export_handler(albums.clone());
    let session = Session::new(SessionConfig::default());
    let mut driver = session.drive(Arc::new(ComHandler::new(&object).unwrap()));
    let items = driver.initialize().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(session.snapshot().handler_name.as_deref(), Some("Albums"));
    session
        .cancel_item(items[0].id(), CancelReason::User)
        .unwrap();
    let ids: Vec<ItemId> = items.iter().map(SyncItem::id).collect();
    assert_eq!(
        driver.sync(&ids),
        Ok(SessionOutcome::Completed {
            code: HResult::S_OK
        })
    );
    driver.release();
    let phases: Vec<ItemPhase> = session.snapshot().items().map(|i| i.phase()).collect();
    assert_eq!(
        phases,
        [
            ItemPhase::Stopped,
            ItemPhase::Succeeded,
            ItemPhase::Succeeded
        ]
    );
    assert!(
        session.conformance_report().is_clean(),
        "{}",
        session.conformance_report()
    );
    // The Rust handler holds nothing after SetProgressCallback(NULL).
    assert_eq!(albums.slot.state(), syncmgr::SlotState::Empty);
    drop(driver);
    drop(object);
    assert_eq!(
        Arc::strong_count(&albums),
        1,
        "the COM object released the handler"
    );
}

#[test]
fn a_replaced_host_callback_is_revoked_even_if_the_handler_keeps_it() {
    /// A handler that keeps every callback it is given (a leak).
    #[derive(Default)]
    struct Hoarder(Mutex<Vec<Arc<dyn SyncCallback>>>);
    impl SyncHandler for Hoarder {
        fn initialize(
            &self,
            _: SyncMgrFlags,
            _: Option<&[u8]>,
        ) -> Result<HandlerAnswer, HandlerError> {
            Ok(HandlerAnswer::Accept)
        }
        fn handler_info(&self) -> Result<HandlerInfo, HandlerError> {
            Ok(HandlerInfo::new("Hoarder").unwrap())
        }
        fn enum_items(&self) -> Result<ItemEnumeration, HandlerError> {
            Ok(ItemEnumeration::default())
        }
        fn set_progress_callback(
            &self,
            cb: Option<Arc<dyn SyncCallback>>,
        ) -> Result<(), HandlerError> {
            self.0.lock().unwrap().extend(cb);
            Ok(())
        }
        fn prepare_for_sync(
            &self,
            _: &[ItemId],
            _: WindowHandle,
        ) -> Result<HandlerAnswer, HandlerError> {
            Ok(HandlerAnswer::Accept)
        }
        fn synchronize(&self, _: WindowHandle) -> Result<(), HandlerError> {
            Ok(())
        }
        fn set_item_status(&self, _: ItemId, _: SyncMgrStatus) -> Result<(), HandlerError> {
            Ok(())
        }
    }

    let _mta = Mta::enter().unwrap();
    let hoarder = Arc::new(Hoarder::default());
    let handler = export_handler(hoarder.clone());
    let (first, second) = (
        Arc::new(Answers(CancelDecision::CancelAll)),
        Arc::new(Answers(CancelDecision::Continue)),
    );
    let (first_object, second_object) = (
        export_callback(first.clone()),
        export_callback(second.clone()),
    );
    // SAFETY: live objects and their own vtable slots.
    unsafe {
        assert_eq!(
            (handler.vtable().SetProgressCallback)(handler.as_raw(), first_object.as_raw()),
            HRESULT(0)
        );
        assert_eq!(
            (handler.vtable().SetProgressCallback)(handler.as_raw(), second_object.as_raw()),
            HRESULT(0)
        );
    }
    drop((first_object, second_object));
    // The handler kept both; the first one's COM reference is gone all the same.
    assert_eq!(
        Arc::strong_count(&first),
        1,
        "the replaced callback was released"
    );
    assert_eq!(
        Arc::strong_count(&second),
        2,
        "the current callback is held once"
    );
    let kept = hoarder.0.lock().unwrap().clone();
    assert_eq!(
        kept[0].progress(ItemId::NULL, None),
        Err(CallbackError::NoCallback),
        "a call through a replaced callback does not reach the host"
    );
    assert_eq!(
        kept[1].progress(ItemId::NULL, None),
        Ok(CancelDecision::Continue)
    );
    // SAFETY: a live object and its own vtable slot; NULL is legal.
    assert_eq!(
        unsafe { (handler.vtable().SetProgressCallback)(handler.as_raw(), std::ptr::null_mut()) },
        HRESULT(0)
    );
    assert_eq!(
        Arc::strong_count(&second),
        1,
        "no reference after SetProgressCallback(NULL)"
    );
    assert_eq!(
        kept[1].progress(ItemId::NULL, None),
        Err(CallbackError::NoCallback)
    );
}

#[test]
fn a_panicking_handler_answers_e_unexpected_and_stays_usable() {
    struct Fragile;
    impl SyncHandler for Fragile {
        fn initialize(
            &self,
            _: SyncMgrFlags,
            _: Option<&[u8]>,
        ) -> Result<HandlerAnswer, HandlerError> {
            panic!("a bug in Initialize");
        }
        fn handler_info(&self) -> Result<HandlerInfo, HandlerError> {
            Ok(HandlerInfo::new("Fragile").unwrap())
        }
        fn enum_items(&self) -> Result<ItemEnumeration, HandlerError> {
            panic!("a bug in EnumSyncMgrItems");
        }
        fn set_progress_callback(
            &self,
            _: Option<Arc<dyn SyncCallback>>,
        ) -> Result<(), HandlerError> {
            Ok(())
        }
        fn prepare_for_sync(
            &self,
            _: &[ItemId],
            _: WindowHandle,
        ) -> Result<HandlerAnswer, HandlerError> {
            Ok(HandlerAnswer::Decline)
        }
        fn synchronize(&self, _: WindowHandle) -> Result<(), HandlerError> {
            Ok(())
        }
        fn set_item_status(&self, _: ItemId, _: SyncMgrStatus) -> Result<(), HandlerError> {
            Ok(())
        }
    }

    let _mta = Mta::enter().unwrap();
    let handler = export_handler(Arc::new(Fragile));
    let mut items = std::ptr::dangling_mut();
    // SAFETY: a live object and its own vtable slots; valid arguments.
    unsafe {
        let vtable = handler.vtable();
        assert_eq!(
            (vtable.Initialize)(handler.as_raw(), 0, 3, 0, std::ptr::null()),
            HRESULT(HResult::E_UNEXPECTED.0)
        );
        assert_eq!(
            (vtable.EnumSyncMgrItems)(handler.as_raw(), &mut items),
            HRESULT(HResult::E_UNEXPECTED.0)
        );
        assert!(items.is_null(), "the [out] pointer was cleared first");
        assert_eq!(
            (vtable.PrepareForSync)(handler.as_raw(), 0, std::ptr::null(), Default::default(), 0),
            HRESULT(1)
        );
    }
    // Through the import: the panic is the handler's E_UNEXPECTED.
    let com = ComHandler::new(&handler).unwrap();
    assert!(matches!(
        com.initialize(SyncMgrFlags::try_from(3).unwrap(), None),
        Err(HandlerError::Unexpected { .. })
    ));
    assert_eq!(com.handler_info().unwrap().name(), "Fragile");
}

#[test]
fn wrappers_report_their_errors_as_typed_errors() {
    let error = ComError::NullPointer {
        method: "Progress",
        argument: "ItemID",
    };
    assert_eq!(error.hresult(), HResult::E_POINTER);
    assert_eq!(
        CallbackError::from(error),
        CallbackError::Failed(syncmgr::FailureCode::new(HResult::E_POINTER).unwrap())
    );
}
