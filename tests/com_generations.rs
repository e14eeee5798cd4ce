#![cfg(all(windows, feature = "com"))]
//! The later generations through real COM objects: Sync Center's
//! `ISyncMgrSyncCallback` and Windows Sync's `ISyncCallback` /
//! `ISyncCallback2`, each exported from Rust, called through its raw vtable
//! (what any COM caller sees), and imported back as a Rust trait object.
#![allow(unsafe_code)]

use std::sync::{Arc, Mutex};

use syncmgr::com::{
    ComSyncCenterCallback, ComWindowsSyncCallback, ISyncCallback, ISyncCallback2, Mta,
    export_sync_center_callback, export_windows_sync_callback,
};
use syncmgr::sync_center::{
    CancelRequest, EventLevel, ProgressStatus, SyncCenterCallback, SyncCenterEvent,
    SyncCenterHandler, SyncCenterItem, SyncCenterItemId, SyncCenterProgress, SyncCenterSession,
};
use syncmgr::windows_sync::{
    ChangeConflict, ChangeFlags, FullEnumerationAction, ProgressStage, ProviderRole,
    RecoverableError, ResolveAction, SessionStatistics, SyncChange, WindowsSyncCallback,
    WindowsSyncProgress,
};
use syncmgr::{
    CallbackError, CanContinue, FailureCode, Guid, HResult, HandlerError, ItemPhase, Mode,
    WindowHandle,
};
use windows::Win32::System::WindowsSync::{
    IChangeConflict, IRecoverableError, ISyncCallback_Impl, ISyncChange,
    SYNC_FULL_ENUMERATION_ACTION, SYNC_PROGRESS_STAGE, SYNC_PROVIDER_ROLE,
};
use windows::Win32::UI::Shell::{
    SYNCMGR_CANCEL_REQUEST, SYNCMGR_EVENT_FLAGS, SYNCMGR_EVENT_LEVEL, SYNCMGR_PROGRESS_STATUS,
};
use windows_core::{GUID, HRESULT, Interface, PCWSTR, Ref, implement};

fn hr(code: HResult) -> HRESULT {
    HRESULT(code.0)
}

fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain([0]).collect()
}

fn id(text: &str) -> SyncCenterItemId {
    SyncCenterItemId::new(text).unwrap()
}

/// A Sync Center host that answers `request` to every report, knows only
/// the items "a" and "b", stops "b", and records what it was asked.
struct Host {
    request: CancelRequest,
    panics: bool,
    asked: Mutex<Vec<String>>,
    additional: Vec<SyncCenterItemId>,
}

impl Host {
    fn new(request: CancelRequest) -> Arc<Self> {
        Arc::new(Self {
            request,
            panics: false,
            asked: Mutex::new(Vec::new()),
            additional: Vec::new(),
        })
    }

    fn record(&self, what: String) {
        self.asked.lock().unwrap().push(what);
    }

    fn known(item: &SyncCenterItemId) -> Result<(), CallbackError> {
        if matches!(item.as_str(), "a" | "b") {
            Ok(())
        } else {
            Err(CallbackError::InvalidArgument {
                reason: format!("{item} is not in the session"),
            })
        }
    }
}

impl SyncCenterCallback for Host {
    fn report_progress(&self, report: &SyncCenterProgress) -> Result<CancelRequest, CallbackError> {
        assert!(!self.panics, "a bug in ReportProgress");
        Self::known(report.item())?;
        self.record(format!(
            "progress {} {:?} {:?} {}/{}",
            report.item(),
            report.status(),
            report.text(),
            report.current_step(),
            report.max_step()
        ));
        Ok(self.request)
    }

    fn set_handler_progress_text(&self, text: &str) -> Result<CancelRequest, CallbackError> {
        self.record(format!("text {text}"));
        Ok(self.request)
    }

    fn report_event(&self, event: &SyncCenterEvent) -> Result<Guid, CallbackError> {
        self.record(format!(
            "event {:?} {:?} {} {} {:?}",
            event.item.as_ref().map(SyncCenterItemId::as_str),
            event.level,
            event.name,
            event.description,
            event.link_text
        ));
        Ok(Guid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0))
    }

    fn can_continue(&self, item: Option<&SyncCenterItemId>) -> Result<CanContinue, CallbackError> {
        assert!(!self.panics, "a bug in CanContinue");
        self.record(format!(
            "can_continue {:?}",
            item.map(SyncCenterItemId::as_str)
        ));
        match item {
            None => Ok(CanContinue::Continue),
            Some(item) => {
                Self::known(item)?;
                Ok(if item.as_str() == "b" {
                    CanContinue::Stop
                } else {
                    CanContinue::Continue
                })
            }
        }
    }

    fn query_for_additional_items(&self) -> Result<Vec<SyncCenterItemId>, CallbackError> {
        Ok(self.additional.clone())
    }

    fn add_item_to_session(&self, item: &SyncCenterItemId) -> Result<(), CallbackError> {
        self.record(format!("add {item}"));
        Ok(())
    }

    fn commit_item(&self, item: &SyncCenterItemId) -> Result<(), CallbackError> {
        Self::known(item)?;
        self.record(format!("commit {item}"));
        Ok(())
    }

    fn report_manual_sync(&self) -> Result<(), CallbackError> {
        self.record("manual".to_owned());
        Ok(())
    }
}

/// Raw `ReportProgress` on the exported object.
fn raw_report(
    object: &syncmgr::com::ISyncMgrSyncCallback,
    item: PCWSTR,
    status: i32,
    cancel: *mut SYNCMGR_CANCEL_REQUEST,
) -> HRESULT {
    // SAFETY: a live object and its own slot; the caller passes NULL or
    // terminated strings and NULL or a writable cancel request.
    unsafe {
        (object.vtable().ReportProgress)(
            object.as_raw(),
            item,
            PCWSTR::null(),
            SYNCMGR_PROGRESS_STATUS(status),
            1,
            2,
            cancel,
        )
    }
}

#[test]
fn every_cancel_request_crosses_report_progress_and_set_handler_progress_text() {
    let _mta = Mta::enter().unwrap();
    for request in CancelRequest::ALL {
        let host = Host::new(request);
        let object = export_sync_center_callback(host.clone());
        let imported = ComSyncCenterCallback::new(&object).unwrap();
        let report = SyncCenterProgress::new(id("a"), ProgressStatus::Updating, 1, 4)
            .with_text("copying")
            .unwrap();
        assert_eq!(imported.report_progress(&report), Ok(request));
        assert_eq!(imported.set_handler_progress_text("all"), Ok(request));
        // The raw out-parameter, written over whatever the caller left there.
        let item = wide("a");
        let mut cancel = SYNCMGR_CANCEL_REQUEST(77);
        let code = raw_report(&object, PCWSTR(item.as_ptr()), 1, &mut cancel);
        assert_eq!((code, cancel.0), (HRESULT(0), request.as_u32() as i32));
        let text = wide("handler");
        let mut cancel = SYNCMGR_CANCEL_REQUEST(77);
        // SAFETY: a live object, its own slot, a terminated text and a
        // writable request.
        let code = unsafe {
            (object.vtable().SetHandlerProgressText)(
                object.as_raw(),
                PCWSTR(text.as_ptr()),
                &mut cancel,
            )
        };
        assert_eq!((code, cancel.0), (HRESULT(0), request.as_u32() as i32));
        // A NULL pnCancelRequest is accepted (§G.7 #44).
        let code = raw_report(&object, PCWSTR(item.as_ptr()), 3, std::ptr::null_mut());
        assert_eq!(code, HRESULT(0));
        // SAFETY: as above, with a NULL request.
        let code = unsafe {
            (object.vtable().SetHandlerProgressText)(
                object.as_raw(),
                PCWSTR(text.as_ptr()),
                std::ptr::null_mut(),
            )
        };
        assert_eq!(code, HRESULT(0));
        let asked = host.asked.lock().unwrap().clone();
        assert_eq!(asked[0], "progress a Updating Some(\"copying\") 1/4");
        assert_eq!(asked[1], "text all");
    }
}

#[test]
fn can_continue_s_ok_s_false_and_e_invalidarg_cross_both_ways() {
    let _mta = Mta::enter().unwrap();
    let host = Host::new(CancelRequest::None);
    let object = export_sync_center_callback(host.clone());
    let can_continue = |item: PCWSTR| {
        // SAFETY: a live object, its own slot, NULL or a terminated id.
        unsafe { (object.vtable().CanContinue)(object.as_raw(), item) }
    };
    let (a, b, c, empty) = (wide("a"), wide("b"), wide("c"), wide(""));
    assert_eq!(can_continue(PCWSTR(a.as_ptr())), hr(HResult::S_OK));
    assert_eq!(can_continue(PCWSTR(b.as_ptr())), hr(HResult::S_FALSE));
    assert_eq!(can_continue(PCWSTR(c.as_ptr())), hr(HResult::E_INVALIDARG));
    // NULL and "" ask about the handler (§B.6).
    assert_eq!(can_continue(PCWSTR::null()), hr(HResult::S_OK));
    assert_eq!(can_continue(PCWSTR(empty.as_ptr())), hr(HResult::S_OK));
    let asked = host.asked.lock().unwrap().clone();
    assert_eq!(&asked[3..], ["can_continue None", "can_continue None"]);
    // windows-rs's own caller folds S_FALSE into Ok(()) (the pitfall).
    // SAFETY: a live object and a terminated id.
    assert!(unsafe { object.CanContinue(PCWSTR(b.as_ptr())) }.is_ok());

    let imported = ComSyncCenterCallback::new(&object).unwrap();
    assert_eq!(
        imported.can_continue(Some(&id("a"))),
        Ok(CanContinue::Continue)
    );
    assert_eq!(imported.can_continue(Some(&id("b"))), Ok(CanContinue::Stop));
    assert_eq!(imported.can_continue(None), Ok(CanContinue::Continue));
    let error = imported.can_continue(Some(&id("c"))).unwrap_err();
    assert!(
        matches!(error, CallbackError::InvalidArgument { .. }),
        "{error:?}"
    );
    assert_eq!(error.hresult(), HResult::E_INVALIDARG);
    // An unknown item's report is refused the same way, and the out value
    // is still written (CR_NONE).
    let mut cancel = SYNCMGR_CANCEL_REQUEST(77);
    assert_eq!(
        raw_report(&object, PCWSTR(c.as_ptr()), 1, &mut cancel),
        hr(HResult::E_INVALIDARG)
    );
    assert_eq!(cancel.0, 0);
}

#[test]
fn a_panicking_sync_center_callback_answers_e_unexpected_and_the_process_lives() {
    let _mta = Mta::enter().unwrap();
    let host = Arc::new(Host {
        request: CancelRequest::None,
        panics: true,
        asked: Mutex::new(Vec::new()),
        additional: Vec::new(),
    });
    let object = export_sync_center_callback(host);
    let a = wide("a");
    let mut cancel = SYNCMGR_CANCEL_REQUEST(77);
    assert_eq!(
        raw_report(&object, PCWSTR(a.as_ptr()), 1, &mut cancel),
        hr(HResult::E_UNEXPECTED)
    );
    assert_eq!(cancel.0, 0);
    let imported = ComSyncCenterCallback::new(&object).unwrap();
    let error = imported.can_continue(Some(&id("a"))).unwrap_err();
    assert!(
        matches!(error, CallbackError::Unexpected { .. }),
        "{error:?}"
    );
    // Still usable.
    assert_eq!(
        imported.set_handler_progress_text("alive"),
        Ok(CancelRequest::None)
    );
}

#[test]
fn bad_ids_texts_and_null_pointers_are_refused() {
    let _mta = Mta::enter().unwrap();
    let host = Host::new(CancelRequest::None);
    let object = export_sync_center_callback(host.clone());
    let mut cancel = SYNCMGR_CANCEL_REQUEST(0);
    // Invalid UTF-16 (a lone surrogate).
    let bad = [0x61u16, 0xD800, 0];
    assert_eq!(
        raw_report(&object, PCWSTR(bad.as_ptr()), 1, &mut cancel),
        hr(HResult::E_INVALIDARG)
    );
    // SAFETY: a live object and a terminated id.
    let code = unsafe { (object.vtable().CanContinue)(object.as_raw(), PCWSTR(bad.as_ptr())) };
    assert_eq!(code, hr(HResult::E_INVALIDARG));
    // 64 units before the NUL: one too many (MAX_SYNCMGR_ID counts the NUL);
    // 63 is the longest id, decoded (and then unknown to this host).
    let long = wide(&"x".repeat(64));
    assert_eq!(
        raw_report(&object, PCWSTR(long.as_ptr()), 1, &mut cancel),
        hr(HResult::E_INVALIDARG)
    );
    let longest = wide(&"x".repeat(63));
    // SAFETY: a live object and a terminated id.
    let code =
        unsafe { (object.vtable().AddItemToSession)(object.as_raw(), PCWSTR(longest.as_ptr())) };
    assert_eq!(code, HRESULT(0));
    // SAFETY: as above.
    let code =
        unsafe { (object.vtable().AddItemToSession)(object.as_raw(), PCWSTR(long.as_ptr())) };
    assert_eq!(code, hr(HResult::E_INVALIDARG));
    // An unknown status.
    let a = wide("a");
    assert_eq!(
        raw_report(&object, PCWSTR(a.as_ptr()), 0, &mut cancel),
        hr(HResult::E_INVALIDARG)
    );
    // Required pointers.
    assert_eq!(
        raw_report(&object, PCWSTR::null(), 1, &mut cancel),
        hr(HResult::E_POINTER)
    );
    // SAFETY: a live object; NULL text.
    let code = unsafe {
        (object.vtable().SetHandlerProgressText)(object.as_raw(), PCWSTR::null(), &mut cancel)
    };
    assert_eq!(code, hr(HResult::E_POINTER));
    let (name, description) = (wide("name"), wide("description"));
    let event = |name: PCWSTR, out: *mut GUID| {
        // SAFETY: a live object, its own slot; strings NULL or terminated,
        // `out` NULL or writable.
        unsafe {
            (object.vtable().ReportEvent)(
                object.as_raw(),
                PCWSTR::null(),
                SYNCMGR_EVENT_LEVEL(1),
                SYNCMGR_EVENT_FLAGS(0),
                name,
                PCWSTR(description.as_ptr()),
                PCWSTR::null(),
                PCWSTR::null(),
                PCWSTR::null(),
                out,
            )
        }
    };
    let mut guid = GUID::zeroed();
    assert_eq!(
        event(PCWSTR(name.as_ptr()), std::ptr::null_mut()),
        hr(HResult::E_POINTER)
    );
    assert_eq!(event(PCWSTR::null(), &mut guid), hr(HResult::E_POINTER));
    assert_eq!(event(PCWSTR(name.as_ptr()), &mut guid), HRESULT(0));
    assert_eq!(
        guid,
        GUID::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0)
    );
    let mut strings = std::ptr::null_mut();
    // SAFETY: a live object; one NULL out pointer.
    let code = unsafe {
        (object.vtable().QueryForAdditionalItems)(
            object.as_raw(),
            &mut strings,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(code, hr(HResult::E_POINTER));
    // The import refuses what cannot cross, without a call.
    let imported = ComSyncCenterCallback::new(&object).unwrap();
    let error = imported.set_handler_progress_text("a\0b").unwrap_err();
    assert!(
        matches!(error, CallbackError::InvalidArgument { .. }),
        "{error:?}"
    );
}

#[test]
fn events_additional_items_and_the_rest_cross() {
    let _mta = Mta::enter().unwrap();
    let host = Host::new(CancelRequest::None);
    let object = export_sync_center_callback(host.clone());
    let imported = ComSyncCenterCallback::new(&object).unwrap();
    let mut event =
        SyncCenterEvent::new(EventLevel::Warning, "slow", "the link is slow").about(id("a"));
    event.link_text = Some("details".to_owned());
    assert_eq!(
        imported.report_event(&event),
        Ok(Guid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0))
    );
    assert_eq!(imported.add_item_to_session(&id("c")), Ok(()));
    assert_eq!(imported.commit_item(&id("b")), Ok(()));
    assert!(matches!(
        imported.commit_item(&id("z")),
        Err(CallbackError::InvalidArgument { .. })
    ));
    assert_eq!(imported.report_manual_sync(), Ok(()));
    assert_eq!(
        host.asked.lock().unwrap().clone(),
        [
            "event Some(\"a\") Warning slow the link is slow Some(\"details\")",
            "add c",
            "commit b",
            "manual"
        ]
    );
    // ProposeItem is not modelled: E_NOTIMPL both ways.
    let item = SyncCenterItem::new(id("d"), "D").unwrap();
    assert_eq!(
        imported.propose_item(&item),
        Err(CallbackError::Failed(FailureCode::E_NOTIMPL))
    );
    // SAFETY: a live object and its own slot.
    let code = unsafe { (object.vtable().ProposeItem)(object.as_raw(), std::ptr::null_mut()) };
    assert_eq!(code, hr(HResult::E_NOTIMPL));

    // No additional items: S_FALSE and NULL enumerators (§G.7 #48).
    let (mut strings, mut punks) = (std::ptr::dangling_mut(), std::ptr::dangling_mut());
    // SAFETY: a live object and two writable out pointers.
    let code = unsafe {
        (object.vtable().QueryForAdditionalItems)(object.as_raw(), &mut strings, &mut punks)
    };
    assert_eq!(code, hr(HResult::S_FALSE));
    assert!(strings.is_null() && punks.is_null());
    assert_eq!(imported.query_for_additional_items(), Ok(Vec::new()));
    // Some: they cross through a real IEnumString.
    let more = vec![id("x"), id("y"), id(&"z".repeat(63))];
    let host = Arc::new(Host {
        request: CancelRequest::None,
        panics: false,
        asked: Mutex::new(Vec::new()),
        additional: more.clone(),
    });
    let object = export_sync_center_callback(host);
    let imported = ComSyncCenterCallback::new(&object).unwrap();
    assert_eq!(imported.query_for_additional_items(), Ok(more));
}

/// A Sync Center handler that reaches the session only through COM: the
/// session's callback is exported and imported back before every use.
struct ThroughCom {
    result: Mutex<Vec<Result<CancelRequest, CallbackError>>>,
}

impl SyncCenterHandler for ThroughCom {
    fn name(&self) -> Result<String, HandlerError> {
        Ok("through COM".to_owned())
    }

    fn synchronize(
        &self,
        items: &[SyncCenterItemId],
        _: WindowHandle,
        callback: Arc<dyn SyncCenterCallback>,
    ) -> Result<(), HandlerError> {
        let object = export_sync_center_callback(callback);
        let callback = ComSyncCenterCallback::new(&object).unwrap();
        let item = &items[0];
        let report = |status| SyncCenterProgress::new(item.clone(), status, 1, 1);
        let mut result = self.result.lock().unwrap();
        result.push(callback.report_progress(&report(ProgressStatus::Succeeded)));
        // After a terminal report only FAILED is accepted (§G.7 #41).
        result.push(callback.report_progress(&report(ProgressStatus::Updating)));
        result.push(callback.report_progress(&SyncCenterProgress::new(
            id("nope"),
            ProgressStatus::Updating,
            0,
            1,
        )));
        Ok(())
    }
}

#[test]
fn a_sync_center_session_enforces_its_rules_across_com() {
    let _mta = Mta::enter().unwrap();
    let session = SyncCenterSession::new(Mode::Strict);
    let handler = Arc::new(ThroughCom {
        result: Mutex::new(Vec::new()),
    });
    session.run(handler.clone(), &[id("a")]).unwrap();
    let result = handler.result.lock().unwrap().clone();
    assert_eq!(result[0], Ok(CancelRequest::None));
    let denied = result[1].clone().unwrap_err();
    assert!(
        matches!(denied, CallbackError::AccessDenied { .. }),
        "{denied:?}"
    );
    assert_eq!(denied.hresult(), HResult::E_ACCESSDENIED);
    let unknown = result[2].clone().unwrap_err();
    assert!(
        matches!(unknown, CallbackError::InvalidArgument { .. }),
        "{unknown:?}"
    );
    let snapshot = session.snapshot();
    assert_eq!(snapshot.items[0].phase, ItemPhase::Failed);
    assert!(!session.conformance_report().is_clean());
}

/// A Windows Sync application callback that records what it hears.
#[derive(Default)]
struct App {
    heard: Mutex<Vec<String>>,
    fail_with: Option<FailureCode>,
    action: Option<FullEnumerationAction>,
    resolve: Option<ResolveAction>,
}

impl App {
    fn answer(&self, what: String) -> Result<(), CallbackError> {
        self.heard.lock().unwrap().push(what);
        self.fail_with
            .map_or(Ok(()), |code| Err(CallbackError::Failed(code)))
    }
}

impl WindowsSyncCallback for App {
    fn on_progress(&self, progress: &WindowsSyncProgress) -> Result<(), CallbackError> {
        self.answer(format!("{progress:?}"))
    }

    fn on_change(&self, change: &SyncChange) -> Result<(), CallbackError> {
        self.answer(format!("change {change:?}"))
    }

    fn on_conflict(
        &self,
        conflict: &ChangeConflict,
    ) -> Result<Option<ResolveAction>, CallbackError> {
        self.answer(format!("conflict {conflict:?}"))?;
        Ok(self.resolve)
    }

    fn on_full_enumeration_needed(&self) -> Result<FullEnumerationAction, CallbackError> {
        self.answer("full".to_owned())?;
        Ok(self.action.unwrap_or(FullEnumerationAction::DEFAULT))
    }

    fn on_recoverable_error(&self, error: &RecoverableError) -> Result<(), CallbackError> {
        self.answer(format!("error {error:?}"))
    }

    fn on_change_applied(&self, totals: SessionStatistics) -> Result<(), CallbackError> {
        self.answer(format!("applied {totals:?}"))
    }

    fn on_change_failed(&self, totals: SessionStatistics) -> Result<(), CallbackError> {
        self.answer(format!("failed {totals:?}"))
    }
}

#[test]
fn windows_sync_calls_cross_an_exported_and_imported_callback() {
    let _mta = Mta::enter().unwrap();
    let app = Arc::new(App {
        resolve: Some(ResolveAction::Merge),
        ..App::default()
    });
    let object = export_windows_sync_callback(app.clone());
    assert!(object.cast::<ISyncCallback2>().is_ok());
    let imported = ComWindowsSyncCallback::new(&object).unwrap();
    let progress = WindowsSyncProgress::new(
        ProviderRole::Destination,
        ProgressStage::ChangeApplication,
        3,
        9,
    );
    assert_eq!(imported.on_progress(&progress), Ok(()));
    let change = SyncChange {
        item: 0x0102_0304_0506_0708,
        flags: ChangeFlags::DELETED | ChangeFlags::GHOST,
    };
    assert_eq!(imported.on_change(&change), Ok(()));
    let conflict = ChangeConflict {
        source: change,
        destination: SyncChange::new(7),
    };
    assert_eq!(
        imported.on_conflict(&conflict),
        Ok(Some(ResolveAction::Merge))
    );
    let error = RecoverableError {
        item: 42,
        stage: ProgressStage::ChangeEnumeration,
        code: FailureCode::E_FAIL,
    };
    assert_eq!(imported.on_recoverable_error(&error), Ok(()));
    let totals = SessionStatistics {
        changes_applied: 5,
        changes_failed: 1,
    };
    assert_eq!(imported.on_change_applied(totals), Ok(()));
    assert_eq!(imported.on_change_failed(totals), Ok(()));
    assert_eq!(
        app.heard.lock().unwrap().clone(),
        [
            format!("{progress:?}"),
            format!("change {change:?}"),
            format!("conflict {conflict:?}"),
            format!("error {error:?}"),
            format!("applied {totals:?}"),
            format!("failed {totals:?}"),
        ]
    );
    // A callback that sets no action: None crosses back.
    let object = export_windows_sync_callback(Arc::new(App::default()));
    let imported = ComWindowsSyncCallback::new(&object).unwrap();
    assert_eq!(imported.on_conflict(&conflict), Ok(None));
}

#[test]
fn a_failure_crosses_back_with_its_code() {
    let _mta = Mta::enter().unwrap();
    let code = FailureCode::new(HResult::from_u32(0x8004_1234)).unwrap();
    let object = export_windows_sync_callback(Arc::new(App {
        fail_with: Some(code),
        ..App::default()
    }));
    let imported = ComWindowsSyncCallback::new(&object).unwrap();
    let progress =
        WindowsSyncProgress::new(ProviderRole::Source, ProgressStage::ChangeDetection, 0, 0);
    assert_eq!(
        imported.on_progress(&progress),
        Err(CallbackError::Failed(code))
    );
    assert_eq!(
        imported.on_change(&SyncChange::new(1)),
        Err(CallbackError::Failed(code))
    );
    assert_eq!(
        imported.on_full_enumeration_needed(),
        Err(CallbackError::Failed(code))
    );
    assert_eq!(
        imported.on_change_applied(SessionStatistics::default()),
        Err(CallbackError::Failed(code))
    );
    // The raw code, as any session sees it.
    // SAFETY: a live object and its own slot.
    let raw = unsafe {
        (object.vtable().OnProgress)(
            object.as_raw(),
            SYNC_PROVIDER_ROLE(0),
            SYNC_PROGRESS_STAGE(0),
            0,
            0,
        )
    };
    assert_eq!(raw, hr(code.get()));
    // A role outside §C.3 is refused before the callback (§G.8 #52).
    // SAFETY: as above.
    let raw = unsafe {
        (object.vtable().OnProgress)(
            object.as_raw(),
            SYNC_PROVIDER_ROLE(2),
            SYNC_PROGRESS_STAGE(0),
            0,
            0,
        )
    };
    assert_eq!(raw, hr(HResult::E_INVALIDARG));
}

#[test]
fn full_enumeration_actions_cross_and_out_of_range_reads_as_abort() {
    let _mta = Mta::enter().unwrap();
    for action in FullEnumerationAction::ALL {
        let object = export_windows_sync_callback(Arc::new(App {
            action: Some(action),
            ..App::default()
        }));
        let imported = ComWindowsSyncCallback::new(&object).unwrap();
        assert_eq!(imported.on_full_enumeration_needed(), Ok(action));
        let mut raw = SYNC_FULL_ENUMERATION_ACTION(9);
        // SAFETY: a live object, its own slot, a writable out value.
        let code = unsafe { (object.vtable().OnFullEnumerationNeeded)(object.as_raw(), &mut raw) };
        assert_eq!((code, raw.0), (HRESULT(0), action.as_u32() as i32));
        // SAFETY: as above, with NULL.
        let code = unsafe {
            (object.vtable().OnFullEnumerationNeeded)(object.as_raw(), std::ptr::null_mut())
        };
        assert_eq!(code, hr(HResult::E_POINTER));
    }
    // A COM callback that answers 7: read as SFEA_ABORT (§G.8 #55).
    let object: ISyncCallback = Seven.into();
    let imported = ComWindowsSyncCallback::new(&object).unwrap();
    assert_eq!(
        imported.on_full_enumeration_needed(),
        Ok(FullEnumerationAction::Abort)
    );
    // It has no ISyncCallback2: those calls are not made.
    assert_eq!(
        imported.on_change_applied(SessionStatistics::default()),
        Ok(())
    );
}

/// A foreign `ISyncCallback` (windows-rs's own implementation, no
/// `ISyncCallback2`) whose `OnFullEnumerationNeeded` writes 7.
#[implement(ISyncCallback)]
struct Seven;

impl ISyncCallback_Impl for Seven_Impl {
    fn OnProgress(
        &self,
        _: SYNC_PROVIDER_ROLE,
        _: SYNC_PROGRESS_STAGE,
        _: u32,
        _: u32,
    ) -> windows_core::Result<()> {
        Ok(())
    }

    fn OnChange(&self, _: Ref<'_, ISyncChange>) -> windows_core::Result<()> {
        Ok(())
    }

    fn OnConflict(&self, _: Ref<'_, IChangeConflict>) -> windows_core::Result<()> {
        Ok(())
    }

    fn OnFullEnumerationNeeded(
        &self,
        action: *mut SYNC_FULL_ENUMERATION_ACTION,
    ) -> windows_core::Result<()> {
        // SAFETY: the import passes a writable out value.
        unsafe { action.write(SYNC_FULL_ENUMERATION_ACTION(7)) };
        Ok(())
    }

    fn OnRecoverableError(&self, _: Ref<'_, IRecoverableError>) -> windows_core::Result<()> {
        Ok(())
    }
}

#[test]
fn a_panicking_windows_sync_callback_answers_e_unexpected() {
    struct Panics;
    impl WindowsSyncCallback for Panics {
        fn on_progress(&self, _: &WindowsSyncProgress) -> Result<(), CallbackError> {
            panic!("a bug in OnProgress")
        }
    }
    let _mta = Mta::enter().unwrap();
    let object = export_windows_sync_callback(Arc::new(Panics));
    let imported = ComWindowsSyncCallback::new(&object).unwrap();
    let progress =
        WindowsSyncProgress::new(ProviderRole::Source, ProgressStage::ChangeDetection, 1, 2);
    let error = imported.on_progress(&progress).unwrap_err();
    assert!(
        matches!(error, CallbackError::Unexpected { .. }),
        "{error:?}"
    );
    // Still usable: the defaults answer.
    assert_eq!(
        imported.on_full_enumeration_needed(),
        Ok(FullEnumerationAction::DEFAULT)
    );
}

/// A host that keeps the objects handed to `AddIUnknownToSession`.
#[derive(Default)]
struct Keeper {
    objects: Mutex<Vec<syncmgr::sync_center::SessionObject>>,
}

impl SyncCenterCallback for Keeper {
    fn report_progress(&self, _: &SyncCenterProgress) -> Result<CancelRequest, CallbackError> {
        Ok(CancelRequest::None)
    }

    fn can_continue(&self, _: Option<&SyncCenterItemId>) -> Result<CanContinue, CallbackError> {
        Ok(CanContinue::Continue)
    }

    fn add_object_to_session(
        &self,
        object: syncmgr::sync_center::SessionObject,
    ) -> Result<(), CallbackError> {
        self.objects.lock().unwrap().push(object);
        Ok(())
    }
}

#[test]
fn a_com_object_crosses_add_iunknown_to_session() {
    let _mta = Mta::enter().unwrap();
    let keeper = Arc::new(Keeper::default());
    let object = export_sync_center_callback(keeper.clone());
    let imported = ComSyncCenterCallback::new(&object).unwrap();
    // Any COM object will do: another exported callback.
    let payload = export_windows_sync_callback(Arc::new(App::default()));
    let unknown: windows_core::IUnknown = payload.cast().unwrap();
    let session_object = syncmgr::com::ComSessionObject::from_unknown(&unknown).unwrap();
    assert_eq!(
        imported.add_object_to_session(Arc::new(session_object)),
        Ok(())
    );
    let kept = keeper.objects.lock().unwrap().pop().unwrap();
    let kept = kept
        .downcast_ref::<syncmgr::com::ComSessionObject>()
        .expect("the host receives a ComSessionObject");
    assert_eq!(kept.get().unwrap(), unknown);
    // A Rust object that is not a COM object cannot cross.
    let error = imported.add_object_to_session(Arc::new(5u32)).unwrap_err();
    assert!(
        matches!(error, CallbackError::InvalidArgument { .. }),
        "{error:?}"
    );
    // NULL is refused.
    // SAFETY: a live object and its own slot.
    let code =
        unsafe { (object.vtable().AddIUnknownToSession)(object.as_raw(), std::ptr::null_mut()) };
    assert_eq!(code, hr(HResult::E_POINTER));
}

#[test]
fn additional_items_are_capped_and_the_enumerators_share_one_null_count_rule() {
    let _mta = Mta::enter().unwrap();
    let max = ComSyncCenterCallback::MAX_ADDITIONAL_ITEMS;
    let host = |n: usize| {
        Arc::new(Host {
            request: CancelRequest::None,
            panics: false,
            asked: Mutex::new(Vec::new()),
            additional: (0..n).map(|i| id(&format!("i{i}"))).collect(),
        })
    };
    // Exactly the cap is read in full ...
    let imported = ComSyncCenterCallback::new(&export_sync_center_callback(host(max))).unwrap();
    assert_eq!(
        imported.query_for_additional_items().map(|ids| ids.len()),
        Ok(max)
    );
    // ... one more is a runaway enumerator.
    let imported = ComSyncCenterCallback::new(&export_sync_center_callback(host(max + 1))).unwrap();
    match imported.query_for_additional_items() {
        Err(CallbackError::InvalidArgument { reason }) => {
            assert!(
                reason.contains("more than 65536 additional items"),
                "{reason}"
            );
        }
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
    // The IEnumString answers E_POINTER for a NULL pceltFetched with celt 2,
    // as the ISyncMgrEnumItems enumerator does (one shared cursor).
    let object = export_sync_center_callback(host(3));
    let (mut strings, mut punks) = (std::ptr::null_mut(), std::ptr::null_mut());
    // SAFETY: a live object and two writable out pointers.
    let code = unsafe {
        (object.vtable().QueryForAdditionalItems)(object.as_raw(), &mut strings, &mut punks)
    };
    assert_eq!(code, hr(HResult::S_OK));
    // SAFETY: owned references handed out by the call.
    let (strings, _punks) = unsafe {
        (
            windows::Win32::System::Com::IEnumString::from_raw(strings),
            windows::Win32::System::Com::IEnumUnknown::from_raw(punks),
        )
    };
    let mut out = [windows_core::PWSTR::null(); 2];
    // SAFETY: room for two strings; the NULL count is refused first.
    let code = unsafe {
        (strings.vtable().Next)(strings.as_raw(), 2, out.as_mut_ptr(), std::ptr::null_mut())
    };
    assert_eq!(code, hr(HResult::E_POINTER));
    assert!(out.iter().all(|s| s.is_null()), "nothing was handed out");
}
