#![cfg(all(windows, feature = "com"))]
//! Sync Center handlers over real COM: a Rust `SyncCenterHandler` exported
//! with `export_sync_center_handler` (`ISyncMgrHandler`, its info, item
//! container, enumerator and items), imported back with
//! `ComSyncCenterHandler` and driven by a strict `SyncCenterSession`
//! through the exported `ISyncMgrSessionCreator`; and the exported
//! handler's edge, called through raw vtables.
#![allow(unsafe_code)]

use std::ffi::c_void;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use syncmgr::com::{ComSyncCenterHandler, ISyncMgrHandler, Mta, export_sync_center_handler};
use syncmgr::sync_center::{
    CancelRequest, HandlerCapabilities, HandlerType, ItemCapabilities, ProgressStatus,
    SyncCenterCallback, SyncCenterHandler, SyncCenterHandlerInfo, SyncCenterItem, SyncCenterItemId,
    SyncCenterOutcome, SyncCenterProgress, SyncCenterSession,
};
use syncmgr::{
    CallbackError, CancelReason, Guid, HResult, HandlerError, ItemPhase, Mode, WindowHandle,
};
use windows::Win32::Foundation::HWND;
use windows::Win32::System::Com::CoTaskMemFree;
use windows::Win32::UI::Shell::{
    IEnumSyncMgrSyncItems, ISyncMgrHandlerInfo, ISyncMgrSyncItem, ISyncMgrSyncItemContainer,
};
use windows_core::{GUID, HRESULT, Interface, PCWSTR, PWSTR};

const CLSID: Guid = Guid::from_u128(0x0A11_CE00_0000_4000_8000_0000_0000_0001);
const STEPS: u32 = 3;

fn id(text: &str) -> SyncCenterItemId {
    SyncCenterItemId::new(text).unwrap()
}

/// Three albums, the published sample's loop, and a callback it keeps.
#[derive(Default)]
struct Albums {
    kept: Mutex<Option<Arc<dyn SyncCenterCallback>>>,
    name: Option<String>,
}

impl Albums {
    fn report(
        callback: &dyn SyncCenterCallback,
        item: &SyncCenterItemId,
        status: ProgressStatus,
        step: u32,
    ) -> Option<CancelRequest> {
        let report = SyncCenterProgress::new(item.clone(), status, step, STEPS);
        callback.report_progress(&report).ok()
    }
}

impl SyncCenterHandler for Albums {
    fn name(&self) -> Result<String, HandlerError> {
        Ok(self.name.clone().unwrap_or_else(|| "Albums".into()))
    }

    fn handler_info(&self) -> Result<SyncCenterHandlerInfo, HandlerError> {
        Ok(SyncCenterHandlerInfo {
            handler_type: HandlerType::Device,
            type_label: Some("Camera".into()),
            comment: None,
        })
    }

    fn capabilities(&self) -> Result<HandlerCapabilities, HandlerError> {
        Ok(HandlerCapabilities::SUPPORTS_CONCURRENT_SESSIONS)
    }

    fn last_sync_time(&self) -> Result<SystemTime, HandlerError> {
        Ok(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
    }

    fn is_connected(&self) -> Result<bool, HandlerError> {
        Ok(false)
    }

    fn items(&self) -> Result<Vec<SyncCenterItem>, HandlerError> {
        let mut items: Vec<SyncCenterItem> = ["holidays", "family", "garden"]
            .into_iter()
            .map(|i| SyncCenterItem::new(id(i), i.to_uppercase()).unwrap())
            .collect();
        items[2].capabilities = ItemCapabilities::CAN_DELETE;
        Ok(items)
    }

    fn item_comment(&self, item: &SyncCenterItemId) -> Result<String, HandlerError> {
        Ok(format!("the {} album", item.as_str()))
    }

    fn item_enabled(&self, item: &SyncCenterItemId) -> Result<bool, HandlerError> {
        Ok(item.as_str() != "garden")
    }

    fn synchronize(
        &self,
        items: &[SyncCenterItemId],
        _: WindowHandle,
        callback: Arc<dyn SyncCenterCallback>,
    ) -> Result<(), HandlerError> {
        *self.kept.lock().unwrap() = Some(Arc::clone(&callback));
        let mut cancel_all = false;
        'items: for item in items {
            if cancel_all {
                Self::report(&*callback, item, ProgressStatus::Canceled, 0);
                continue;
            }
            for step in 0..STEPS {
                match Self::report(&*callback, item, ProgressStatus::Updating, step) {
                    Some(CancelRequest::None) => {}
                    Some(request) => {
                        Self::report(&*callback, item, ProgressStatus::Canceled, step);
                        cancel_all = request == CancelRequest::CancelAll;
                        continue 'items;
                    }
                    None => continue 'items,
                }
            }
            cancel_all = Self::report(&*callback, item, ProgressStatus::Succeeded, STEPS)
                == Some(CancelRequest::CancelAll);
        }
        Ok(())
    }
}

/// A handler that asks its session to cancel `item` as the sync starts
/// (the session knows its items only once it runs).
struct CancelOne {
    inner: ComSyncCenterHandler,
    session: SyncCenterSession,
    item: SyncCenterItemId,
}

impl SyncCenterHandler for CancelOne {
    fn name(&self) -> Result<String, HandlerError> {
        self.inner.name()
    }

    fn synchronize(
        &self,
        items: &[SyncCenterItemId],
        owner: WindowHandle,
        callback: Arc<dyn SyncCenterCallback>,
    ) -> Result<(), HandlerError> {
        self.session
            .cancel_item(&self.item, CancelReason::User)
            .unwrap();
        self.inner.synchronize(items, owner, callback)
    }
}

fn ids() -> Vec<SyncCenterItemId> {
    ["holidays", "family", "garden"].map(id).to_vec()
}

#[test]
fn a_rust_handler_round_trips_through_export_and_import() {
    let _mta = Mta::enter().unwrap();
    let albums = Arc::new(Albums::default());
    let exported = export_sync_center_handler(CLSID, albums.clone());
    let imported = ComSyncCenterHandler::new(&exported).unwrap();
    assert_eq!(imported.name().unwrap(), "Albums");
    let info = imported.handler_info().unwrap();
    assert_eq!(info.handler_type, HandlerType::Device);
    assert_eq!(info.type_label.as_deref(), Some("Camera"));
    assert_eq!(info.comment, None, "E_NOTIMPL crosses as no comment");
    assert_eq!(
        imported.capabilities().unwrap(),
        HandlerCapabilities::SUPPORTS_CONCURRENT_SESSIONS
    );
    assert_eq!(
        imported.last_sync_time().unwrap(),
        albums.last_sync_time().unwrap()
    );
    assert_eq!(imported.is_active(), Ok(true));
    assert_eq!(imported.is_connected(), Ok(false), "S_FALSE is not folded");
    assert_eq!(imported.items().unwrap(), albums.items().unwrap());
    assert_eq!(
        imported.item_comment(&id("family")).unwrap(),
        "the family album"
    );
    assert_eq!(imported.item_enabled(&id("garden")), Ok(false));
    assert_eq!(
        imported.item_type_label(&id("garden")),
        Err(HandlerError::NotImplemented)
    );
    assert_eq!(
        imported.delete_item(&id("garden")),
        Err(HandlerError::NotImplemented)
    );
    assert!(matches!(
        imported.item_comment(&id("nope")),
        Err(HandlerError::InvalidArgument { .. })
    ));
    assert!(matches!(
        imported.object(Guid::from_u128(1), Guid::from_u128(2)),
        Err(HandlerError::NotImplemented)
    ));

    let session = SyncCenterSession::new(Mode::Strict);
    let cancelling = CancelOne {
        inner: imported,
        session: session.clone(),
        item: id("family"),
    };
    let outcome = session.run(Arc::new(cancelling), &ids()).unwrap();
    assert_eq!(outcome, SyncCenterOutcome::Completed);
    let snapshot = session.snapshot();
    let phases: Vec<_> = snapshot.items.iter().map(|i| i.phase).collect();
    assert_eq!(
        phases,
        [
            ItemPhase::Succeeded,
            ItemPhase::Stopped,
            ItemPhase::Succeeded
        ]
    );
    assert!(snapshot.items[1].acknowledged);
    assert!(
        session.conformance_report().is_clean(),
        "{}",
        session.conformance_report()
    );

    // The handler kept its callback: it was revoked when Synchronize returned.
    let kept = albums.kept.lock().unwrap().take().unwrap();
    let late = SyncCenterProgress::new(id("garden"), ProgressStatus::Failed, 0, 0);
    assert_eq!(kept.report_progress(&late), Err(CallbackError::NoCallback));
}

#[test]
fn a_cancel_all_is_acknowledged_for_every_item_left() {
    let _mta = Mta::enter().unwrap();
    let exported = export_sync_center_handler(CLSID, Arc::new(Albums::default()));
    let imported = ComSyncCenterHandler::new(&exported).unwrap();
    let session = SyncCenterSession::new(Mode::Strict);
    session.cancel_all(CancelReason::User);
    let outcome = session.run(Arc::new(imported), &ids()).unwrap();
    assert_eq!(outcome, SyncCenterOutcome::Cancelled(CancelReason::User));
    let snapshot = session.snapshot();
    assert!(
        snapshot
            .items
            .iter()
            .all(|i| i.phase == ItemPhase::Stopped && i.acknowledged && !i.finished_by_host),
        "{snapshot:?}"
    );
    assert!(
        session.conformance_report().is_clean(),
        "{}",
        session.conformance_report()
    );
}

fn code(raw: HRESULT) -> HResult {
    HResult(raw.0)
}

/// Take a `CoTaskMemAlloc`-ed string.
fn take(text: PWSTR) -> String {
    assert!(!text.is_null());
    // SAFETY: a terminated string handed out by the callee.
    let value = unsafe { text.to_string() }.unwrap();
    // SAFETY: ours to free.
    unsafe { CoTaskMemFree(Some(text.0.cast_const().cast())) };
    value
}

fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain([0]).collect()
}

#[test]
fn the_exported_handler_answers_the_documented_codes_at_its_edge() {
    let _mta = Mta::enter().unwrap();
    let handler: ISyncMgrHandler = export_sync_center_handler(CLSID, Arc::new(Albums::default()));
    let h = handler.vtable();
    // SAFETY (every block below): a live object, its own slots, arguments
    // that are NULL or valid as each line says.
    unsafe {
        assert_eq!(
            code((h.GetName)(handler.as_raw(), std::ptr::null_mut())),
            HResult::E_POINTER
        );
        let mut name = PWSTR::null();
        assert_eq!(
            code((h.GetName)(handler.as_raw(), &mut name)),
            HResult::S_OK
        );
        assert_eq!(take(name), "Albums");
        let (object, riid) = (GUID::from_u128(1), GUID::from_u128(2));
        let mut out: *mut c_void = std::ptr::null_mut();
        assert_eq!(
            code((h.GetObject)(handler.as_raw(), &object, &riid, &mut out)),
            HResult::E_NOTIMPL
        );
        assert!(out.is_null());
        assert_eq!(
            code((h.GetObject)(
                handler.as_raw(),
                &object,
                &riid,
                std::ptr::null_mut()
            )),
            HResult::E_POINTER
        );
        assert_eq!(
            code((h.GetCapabilities)(handler.as_raw(), std::ptr::null_mut())),
            HResult::E_POINTER
        );
        // Synchronize: a NULL session creator, a NULL id array with items,
        // an empty id and an over-long one.
        let garden = wide("garden");
        let ids = [PCWSTR(garden.as_ptr())];
        let sync = |items: *const PCWSTR, count: u32, creator: *mut c_void| {
            code((h.Synchronize)(
                handler.as_raw(),
                items,
                count,
                HWND::default(),
                creator,
                std::ptr::null_mut(),
            ))
        };
        assert_eq!(
            sync(ids.as_ptr(), 1, std::ptr::null_mut()),
            HResult::E_POINTER
        );
        // Never called: the ids are refused before the creator is used.
        let unknown = handler.as_raw();
        assert_eq!(sync(std::ptr::null(), 1, unknown), HResult::E_POINTER);
        let empty = wide("");
        assert_eq!(
            sync(&PCWSTR(empty.as_ptr()), 1, unknown),
            HResult::E_INVALIDARG
        );
        let long = wide(&"x".repeat(64));
        assert_eq!(
            sync(&PCWSTR(long.as_ptr()), 1, unknown),
            HResult::E_INVALIDARG
        );

        // ISyncMgrHandlerInfo: S_FALSE crosses as is.
        let mut raw_info: *mut c_void = std::ptr::null_mut();
        assert_eq!(
            code((h.GetHandlerInfo)(handler.as_raw(), &mut raw_info)),
            HResult::S_OK
        );
        let info = ISyncMgrHandlerInfo::from_raw(raw_info);
        assert_eq!(
            code((info.vtable().IsConnected)(info.as_raw())),
            HResult::S_FALSE
        );
        assert_eq!(code((info.vtable().IsActive)(info.as_raw())), HResult::S_OK);
        assert_eq!(
            code((info.vtable().GetComment)(
                info.as_raw(),
                &mut PWSTR::null()
            )),
            HResult::E_NOTIMPL
        );
        assert_eq!(
            code((info.vtable().GetLastSyncTime)(
                info.as_raw(),
                std::ptr::null_mut()
            )),
            HResult::E_POINTER
        );

        // The container.
        let container: ISyncMgrSyncItemContainer = handler.cast().unwrap();
        let c = container.vtable();
        let mut count = 0u32;
        assert_eq!(
            code((c.GetSyncItemCount)(container.as_raw(), &mut count)),
            HResult::S_OK
        );
        assert_eq!(count, 3);
        assert_eq!(
            code((c.GetSyncItemCount)(
                container.as_raw(),
                std::ptr::null_mut()
            )),
            HResult::E_POINTER
        );
        let mut raw_item: *mut c_void = std::ptr::null_mut();
        assert_eq!(
            code((c.GetSyncItem)(
                container.as_raw(),
                PCWSTR::null(),
                &mut raw_item
            )),
            HResult::E_POINTER
        );
        let nope = wide("nope");
        assert_eq!(
            code((c.GetSyncItem)(
                container.as_raw(),
                PCWSTR(nope.as_ptr()),
                &mut raw_item
            )),
            HResult::E_INVALIDARG,
            "an unknown id (documented)"
        );
        assert!(raw_item.is_null());
        assert_eq!(
            code((c.GetSyncItem)(
                container.as_raw(),
                PCWSTR(garden.as_ptr()),
                std::ptr::null_mut()
            )),
            HResult::E_POINTER
        );
        assert_eq!(
            code((c.GetSyncItem)(
                container.as_raw(),
                PCWSTR(garden.as_ptr()),
                &mut raw_item
            )),
            HResult::S_OK
        );
        let item = ISyncMgrSyncItem::from_raw(raw_item);
        let mut text = PWSTR::null();
        assert_eq!(
            code((item.vtable().GetItemID)(item.as_raw(), &mut text)),
            HResult::S_OK
        );
        assert_eq!(take(text), "garden");
        assert_eq!(
            code((item.vtable().GetName)(item.as_raw(), &mut text)),
            HResult::S_OK
        );
        assert_eq!(take(text), "GARDEN");
        assert_eq!(
            code((item.vtable().Delete)(item.as_raw())),
            HResult::E_NOTIMPL
        );

        // The enumerator: Next, Skip, Reset, Clone and their edges.
        let mut raw_enum: *mut c_void = std::ptr::null_mut();
        assert_eq!(
            code((c.GetSyncItemEnumerator)(container.as_raw(), &mut raw_enum)),
            HResult::S_OK
        );
        let items = IEnumSyncMgrSyncItems::from_raw(raw_enum);
        let e = items.vtable();
        let mut fetched = 9u32;
        assert_eq!(
            code((e.Next)(
                items.as_raw(),
                0,
                std::ptr::null_mut(),
                &mut fetched
            )),
            HResult::S_OK
        );
        assert_eq!(fetched, 0, "celt 0 fetches nothing");
        let mut slots = [std::ptr::null_mut::<c_void>(); 5];
        assert_eq!(
            code((e.Next)(
                items.as_raw(),
                2,
                std::ptr::null_mut(),
                &mut fetched
            )),
            HResult::E_POINTER
        );
        assert_eq!(
            code((e.Next)(
                items.as_raw(),
                2,
                slots.as_mut_ptr(),
                std::ptr::null_mut()
            )),
            HResult::E_POINTER
        );
        assert_eq!(code((e.Skip)(items.as_raw(), 1)), HResult::S_OK);
        let mut raw_clone: *mut c_void = std::ptr::null_mut();
        assert_eq!(
            code((e.Clone)(items.as_raw(), &mut raw_clone)),
            HResult::S_OK
        );
        let clone = IEnumSyncMgrSyncItems::from_raw(raw_clone);
        assert_eq!(
            code((e.Clone)(items.as_raw(), std::ptr::null_mut())),
            HResult::E_POINTER
        );
        assert_eq!(
            code((e.Next)(
                items.as_raw(),
                5,
                slots.as_mut_ptr(),
                &mut fetched
            )),
            HResult::S_FALSE
        );
        assert_eq!(fetched, 2);
        let names: Vec<String> = slots[..2]
            .iter()
            .map(|raw| {
                let item = ISyncMgrSyncItem::from_raw(*raw);
                let mut text = PWSTR::null();
                assert_eq!(
                    code((item.vtable().GetItemID)(item.as_raw(), &mut text)),
                    HResult::S_OK
                );
                take(text)
            })
            .collect();
        assert_eq!(names, ["family", "garden"]);
        let mut one = std::ptr::null_mut();
        assert_eq!(
            code((clone.vtable().Next)(
                clone.as_raw(),
                1,
                &mut one,
                std::ptr::null_mut()
            )),
            HResult::S_OK,
            "the clone is at the same position; a NULL count is allowed for celt 1"
        );
        let first = ISyncMgrSyncItem::from_raw(one);
        assert_eq!(
            code((first.vtable().GetItemID)(first.as_raw(), &mut text)),
            HResult::S_OK
        );
        assert_eq!(take(text), "family");
        assert_eq!(code((e.Reset)(items.as_raw())), HResult::S_OK);
        assert_eq!(code((e.Skip)(items.as_raw(), 4)), HResult::S_FALSE);
    }
}

#[test]
fn an_over_long_name_is_refused_not_cut() {
    let _mta = Mta::enter().unwrap();
    let albums = Albums {
        name: Some("n".repeat(128)),
        ..Albums::default()
    };
    let handler = export_sync_center_handler(CLSID, Arc::new(albums));
    let mut name = PWSTR::null();
    // SAFETY: a live object, its own slot, a writable pointer.
    let raw = unsafe { (handler.vtable().GetName)(handler.as_raw(), &mut name) };
    assert_eq!(code(raw), HResult::E_INVALIDARG);
    assert!(name.is_null(), "nothing is handed out");
    let imported = ComSyncCenterHandler::new(&handler).unwrap();
    assert!(matches!(
        imported.name(),
        Err(HandlerError::InvalidArgument { .. })
    ));
}

/// Keeps its callback, then panics inside `Synchronize`.
struct Panics(Mutex<Option<Arc<dyn SyncCenterCallback>>>);

impl SyncCenterHandler for Panics {
    fn name(&self) -> Result<String, HandlerError> {
        Ok("panics".into())
    }

    fn synchronize(
        &self,
        _: &[SyncCenterItemId],
        _: WindowHandle,
        callback: Arc<dyn SyncCenterCallback>,
    ) -> Result<(), HandlerError> {
        *self.0.lock().unwrap() = Some(callback);
        panic!("the handler panics inside Synchronize");
    }
}

#[test]
fn a_panic_in_synchronize_answers_e_unexpected_and_revokes_the_callback() {
    let _mta = Mta::enter().unwrap();
    let panics = Arc::new(Panics(Mutex::new(None)));
    let exported = export_sync_center_handler(CLSID, panics.clone());
    let imported = ComSyncCenterHandler::new(&exported).unwrap();
    let session = SyncCenterSession::new(Mode::Strict);
    let outcome = session.run(Arc::new(imported), &ids()).unwrap();
    assert!(
        matches!(
            outcome,
            SyncCenterOutcome::HandlerFailed(HandlerError::Unexpected { .. })
        ),
        "{outcome:?}"
    );
    let kept = panics
        .0
        .lock()
        .unwrap()
        .take()
        .expect("the handler kept it");
    assert_eq!(kept.report_manual_sync(), Err(CallbackError::NoCallback));
}
