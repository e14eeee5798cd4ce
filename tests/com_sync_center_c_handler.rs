#![cfg(all(windows, feature = "com"))]
//! A Sync Center handler written in C against the SDK's Sync Center
//! interfaces (`tests/c/sc_handler.c`, built into `sc_handler.dll` by
//! `scripts/test-windows.sh`), driven through [`ComSyncCenterHandler`] by a
//! strict [`SyncCenterSession`]: its name, info and items through the
//! container and the enumerator, and `Synchronize` with the exported
//! `ISyncMgrSessionCreator`, whose `CreateSession` hands out the session's
//! callback. The C objects are plain (no free-threaded marshaler): they are
//! driven from the MTA, and from another thread while their STA pumps.
//! The tests run one at a time ([`serial`]), so that `DllCanUnloadNow` of
//! `sc_handler.dll` speaks for one test.
#![allow(unsafe_code)]

use std::ffi::c_void;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use syncmgr::com::{ComSyncCenterHandler, ISyncMgrHandler, Joined, Mta, join_pumping};
use syncmgr::sync_center::{
    HandlerCapabilities, HandlerPolicies, HandlerType, ItemCapabilities, SyncCenterCallback,
    SyncCenterHandler, SyncCenterItemId, SyncCenterOutcome, SyncCenterSession,
};
use syncmgr::{CancelReason, HResult, HandlerError, ItemPhase, Mode, Rule, WindowHandle};
use windows_core::Interface;

type Create = unsafe extern "C" fn(i32, *mut *mut c_void) -> i32;
type Count = unsafe extern "C" fn(*mut c_void) -> i32;
type WrongThread = unsafe extern "C" fn() -> i32;
type CanUnload = unsafe extern "system" fn() -> i32;
type CreatorEdge = unsafe extern "C" fn(*mut [i32; 5]);

#[link(name = "kernel32")]
unsafe extern "system" {
    fn LoadLibraryW(name: *const u16) -> *mut c_void;
    fn GetProcAddress(module: *mut c_void, name: *const u8) -> *mut c_void;
}

/// The exports of `sc_handler.dll`.
struct Fixture {
    create: Create,
    refs: Count,
    sessions: Count,
    wrong_thread: WrongThread,
    can_unload: CanUnload,
    creator_edge: CreatorEdge,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test executable's path");
        let path: PathBuf = exe.parent().expect("a directory").join("sc_handler.dll");
        assert!(
            path.exists(),
            "{} is missing: run scripts/test-windows.sh, which builds the C fixtures",
            path.display()
        );
        let wide: Vec<u16> = path
            .to_string_lossy()
            .encode_utf16()
            .chain(std::iter::once(0))
            .collect();
        // SAFETY: a NUL-terminated path.
        let module = unsafe { LoadLibraryW(wide.as_ptr()) };
        assert!(!module.is_null(), "LoadLibrary({})", path.display());
        let symbol = |name: &[u8]| {
            // SAFETY: a loaded module and a NUL-terminated name.
            let address = unsafe { GetProcAddress(module, name.as_ptr()) };
            assert!(!address.is_null(), "sc_handler.dll exports {name:?}");
            address
        };
        // SAFETY: each export has the signature declared in sc_handler.c.
        unsafe {
            Fixture {
                create: std::mem::transmute::<*mut c_void, Create>(symbol(b"sc_handler_create\0")),
                refs: std::mem::transmute::<*mut c_void, Count>(symbol(b"sc_handler_refs\0")),
                sessions: std::mem::transmute::<*mut c_void, Count>(symbol(
                    b"sc_handler_sessions\0",
                )),
                wrong_thread: std::mem::transmute::<*mut c_void, WrongThread>(symbol(
                    b"sc_wrong_thread\0",
                )),
                can_unload: std::mem::transmute::<*mut c_void, CanUnload>(symbol(
                    b"DllCanUnloadNow\0",
                )),
                creator_edge: std::mem::transmute::<*mut c_void, CreatorEdge>(symbol(
                    b"sc_creator_edge\0",
                )),
            }
        }
    })
}

/// One test at a time: `sc_handler.dll` counts every test's objects.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How the C handler behaves (`sc_handler_create`'s `misbehave`).
#[derive(Clone, Copy)]
enum Behaviour {
    Good = 0,
    /// Breaks §G.7 on purpose.
    BreaksRules = 1,
    /// Hands out strings over the documented limits.
    OverLong = 2,
}

/// A new C handler.
fn c_handler(behaviour: Behaviour) -> ISyncMgrHandler {
    let mut raw = std::ptr::null_mut();
    // SAFETY: an out pointer.
    let code = unsafe { (fixture().create)(behaviour as i32, &mut raw) };
    assert_eq!(code, 0, "sc_handler_create");
    // SAFETY: an owned ISyncMgrHandler reference.
    unsafe { ISyncMgrHandler::from_raw(raw) }
}

fn refs(handler: &ISyncMgrHandler) -> i32 {
    // SAFETY: a handler the fixture made.
    unsafe { (fixture().refs)(handler.as_raw()) }
}

fn sessions(handler: &ISyncMgrHandler) -> i32 {
    // SAFETY: a handler the fixture made.
    unsafe { (fixture().sessions)(handler.as_raw()) }
}

fn can_unload() -> HResult {
    // SAFETY: no arguments.
    HResult(unsafe { (fixture().can_unload)() })
}

fn wrong_thread() -> i32 {
    // SAFETY: no arguments.
    unsafe { (fixture().wrong_thread)() }
}

fn id(text: &str) -> SyncCenterItemId {
    SyncCenterItemId::new(text).unwrap()
}

/// Asks its session to cancel `item` as the sync starts (the session knows
/// its items only once it runs), then lets the C handler synchronize.
struct CancelOne {
    inner: Arc<ComSyncCenterHandler>,
    session: SyncCenterSession,
    item: Option<SyncCenterItemId>,
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
        if let Some(item) = &self.item {
            self.session.cancel_item(item, CancelReason::User).unwrap();
        }
        self.inner.synchronize(items, owner, callback)
    }
}

/// Read everything the C handler describes, then run a strict session
/// over its items, cancelling `beta`.
fn drive(imported: Arc<ComSyncCenterHandler>) -> SyncCenterSession {
    assert_eq!(imported.name().unwrap(), "C Sync Center handler");
    let info = imported.handler_info().unwrap();
    assert_eq!(info.handler_type, HandlerType::Service);
    assert_eq!(info.type_label.as_deref(), Some("C fixture"));
    assert_eq!(info.comment, None);
    assert_eq!(imported.last_sync_time(), Err(HandlerError::NotImplemented));
    assert_eq!(imported.is_connected(), Ok(false), "S_FALSE read as such");
    assert_eq!(
        imported.capabilities().unwrap(),
        HandlerCapabilities::CAN_BROWSE_CONTENT
    );
    assert_eq!(
        imported.policies().unwrap(),
        HandlerPolicies::PREVENT_ACTIVATE
    );
    let items = imported.items().unwrap();
    let ids: Vec<_> = items.iter().map(|i| i.id().clone()).collect();
    assert_eq!(ids, [id("alpha"), id("beta"), id("gamma")]);
    assert_eq!(items[1].name(), "Beta");
    assert_eq!(items[2].capabilities, ItemCapabilities::CAN_DELETE);
    assert_eq!(imported.item_comment(&id("gamma")).unwrap(), "item gamma");
    assert_eq!(imported.item_enabled(&id("beta")), Ok(false));
    assert!(imported.item_last_sync_time(&id("alpha")).is_ok());
    assert_eq!(
        imported.item_type_label(&id("alpha")),
        Err(HandlerError::NotImplemented)
    );
    assert!(matches!(
        imported.item_comment(&id("delta")),
        Err(HandlerError::InvalidArgument { .. })
    ));

    let session = SyncCenterSession::new(Mode::Strict);
    let handler = CancelOne {
        inner: imported,
        session: session.clone(),
        item: Some(id("beta")),
    };
    let outcome = session.run(Arc::new(handler), &ids).unwrap();
    assert_eq!(outcome, SyncCenterOutcome::Completed);
    session
}

fn assert_clean(session: &SyncCenterSession) {
    let report = session.conformance_report();
    assert!(report.is_clean(), "{report}");
    let phases: Vec<_> = session.snapshot().items.iter().map(|i| i.phase).collect();
    assert_eq!(
        phases,
        [
            ItemPhase::Succeeded,
            ItemPhase::Stopped,
            ItemPhase::Succeeded
        ]
    );
    assert!(session.snapshot().items[1].acknowledged);
}

#[test]
fn a_c_sync_center_handler_in_the_mta_reaches_a_clean_report() {
    let _serial = serial();
    let _mta = Mta::enter().unwrap();
    let handler = c_handler(Behaviour::Good);
    let imported = Arc::new(ComSyncCenterHandler::new(&handler).unwrap());
    let session = drive(Arc::clone(&imported));
    assert_clean(&session);
    assert_eq!(
        session.conformance_report().handler_name.as_deref(),
        Some("C Sync Center handler")
    );
    assert_eq!(sessions(&handler), 1, "one CreateSession");
    let mut edge = [0; 5];
    // SAFETY: room for the five answers.
    unsafe { (fixture().creator_edge)(&mut edge) };
    assert_eq!(
        edge.map(HResult),
        [
            HResult::E_POINTER,    // NULL ppCallback
            HResult::E_POINTER,    // NULL handler id
            HResult::E_POINTER,    // NULL id array with an item
            HResult::E_INVALIDARG, // an id over MAX_SYNCMGR_ID
            HResult::S_OK,         // *ppCallback was cleared
        ],
        "the exported ISyncMgrSessionCreator's edge"
    );
    drop(imported);
    assert_eq!(refs(&handler), 1, "back to the baseline");
    drop(handler);
    assert_eq!(can_unload(), HResult::S_OK);
}

#[test]
fn a_misbehaving_c_handler_is_reported_by_rule() {
    let _serial = serial();
    let _mta = Mta::enter().unwrap();
    let handler = c_handler(Behaviour::BreaksRules);
    let imported = Arc::new(ComSyncCenterHandler::new(&handler).unwrap());
    let session = SyncCenterSession::new(Mode::Strict);
    let driver = CancelOne {
        inner: Arc::clone(&imported),
        session: session.clone(),
        item: None,
    };
    let ids = [id("alpha"), id("beta"), id("gamma")];
    session.run(Arc::new(driver), &ids).unwrap();
    let rules: Vec<Rule> = session.violations().iter().map(|v| v.rule).collect();
    assert!(
        rules.contains(&Rule::SYNC_CENTER_TERMINAL_IS_FINAL),
        "UPDATING after SUCCEEDED: {rules:?}"
    );
    assert!(
        rules.contains(&Rule::ONE_TERMINAL_REPORT),
        "an item left open: {rules:?}"
    );
    let snapshot = session.snapshot();
    assert_eq!(snapshot.items[0].phase, ItemPhase::Failed, "marked failed");
    assert!(snapshot.items[2].finished_by_host);
    drop((imported, handler));
    assert_eq!(can_unload(), HResult::S_OK);
}

#[test]
fn a_plain_c_handler_in_an_sta_is_driven_from_another_thread() {
    use windows::Win32::System::Com::{COINIT_APARTMENTTHREADED, CoInitializeEx, CoUninitialize};
    let _serial = serial();
    std::thread::spawn(|| {
        // SAFETY: no pointers; balanced below on this thread.
        assert_eq!(
            unsafe { CoInitializeEx(None, COINIT_APARTMENTTHREADED) }.0,
            0
        );
        let handler = c_handler(Behaviour::Good);
        let imported = Arc::new(
            ComSyncCenterHandler::new(&handler).expect("an ordinary handler is imported in an STA"),
        );
        // Another thread drives it; the calls are carried to this thread,
        // which pumps while it waits.
        let driver = std::thread::spawn(move || {
            let _mta = Mta::enter().unwrap();
            let session = drive(imported);
            assert_clean(&session);
        });
        match join_pumping(driver) {
            Joined::Finished(result) => result.unwrap(),
            Joined::WaitingForThisThread(_) => panic!("the driver does not wait for this thread"),
        }
        assert_eq!(
            wrong_thread(),
            0,
            "every call on the C objects on their thread"
        );
        assert_eq!(sessions(&handler), 1);
        assert_eq!(refs(&handler), 1, "back to the baseline");
        drop(handler);
        assert_eq!(can_unload(), HResult::S_OK);
        // SAFETY: balances CoInitializeEx on this thread.
        unsafe { CoUninitialize() };
    })
    .join()
    .unwrap();
}

#[test]
fn over_long_strings_from_a_c_handler_are_refused_not_cut() {
    let _serial = serial();
    let _mta = Mta::enter().unwrap();
    let handler = c_handler(Behaviour::OverLong);
    let imported = ComSyncCenterHandler::new(&handler).unwrap();
    let name = imported.name().unwrap_err();
    assert!(
        matches!(name, HandlerError::Unexpected { ref reason } if reason.contains("GetName")),
        "a 200-unit name: {name:?}"
    );
    let items = imported.items().unwrap_err();
    assert!(
        matches!(items, HandlerError::Unexpected { ref reason } if reason.contains("GetItemID")),
        "a 70-unit id: {items:?}"
    );
    drop((imported, handler));
    assert_eq!(
        can_unload(),
        HResult::S_OK,
        "every string and object was released"
    );
}
