#![cfg(all(windows, feature = "com"))]
//! A SyncMgr handler written in C against mingw-w64's `mobsync.h`
//! (`tests/c/c_handler.c`, built into `c_handler.dll` by
//! `scripts/test-windows.sh`), driven by our strict [`Session`] through
//! [`ComHandler`]; and the same C code calling an exported Rust callback
//! with bad arguments. The C side records the raw HRESULTs it received and
//! the reference counts it saw.
//!
//! The C handler is free-threaded by default; `plain` makes it an ordinary
//! object (no free-threaded marshaler, no proxy/stub), which is driven from
//! the MTA and from an STA that pumps while another thread drives it, and
//! which then counts every method entered off its thread. The tests run
//! one at a time ([`serial`]), so that `DllCanUnloadNow` of `c_handler.dll`
//! speaks for one test.
#![allow(unsafe_code)]

use std::ffi::c_void;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use syncmgr::com::{
    ApartmentProblem, ComError, ComHandler, ComSessionObject, ISyncMgrSynchronize,
    ISyncMgrSynchronizeCallback, Joined, Mta, export_callback, join_pumping,
};
use syncmgr::{
    CallbackError, CancelDecision, CancelReason, HResult, HandlerAnswer, HandlerError, ItemId,
    ItemPhase, LogErrorInfo, LogLevel, ModelessAnswer, Session, SessionConfig, SessionOutcome,
    SyncCallback, SyncHandler, SyncMgrProgress, SyncMgrStatus,
};
use windows_core::{GUID, IUnknown, Interface};

/// `c_handler_config` in `tests/c/c_handler.c`.
#[repr(C)]
#[derive(Clone, Copy)]
struct Config {
    n_items: u32,
    init_answer: i32,
    prepare_answer: i32,
    enum_answer: i32,
    bad_info_size: i32,
    bad_item_name: i32,
    threaded: i32,
    log_errors: i32,
    plain: i32,
    home_thread: i32,
    ignore_cancel_item: i32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            n_items: 3,
            init_answer: 0,
            prepare_answer: 0,
            enum_answer: 0,
            bad_info_size: 0,
            bad_item_name: 0,
            threaded: 0,
            log_errors: 1,
            plain: 0,
            home_thread: 0,
            ignore_cancel_item: 0,
        }
    }
}

/// `c_handler_stats` in `tests/c/c_handler.c`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
struct Stats {
    refs: i32,
    progress_calls: u32,
    n_answers: u32,
    answers: [i32; 64],
    first_answer: [i32; 8],
    log_answer: i32,
    prepare_completed_answer: i32,
    synchronize_completed_answer: i32,
    set_callback_calls: u32,
    holds_callback: i32,
    last_callback_release: i32,
    items_prepared: u32,
    skipped: u32,
    wrong_thread: i32,
}

type Create = unsafe extern "C" fn(*const Config, *mut *mut c_void) -> i32;
type GetStats = unsafe extern "C" fn(*mut c_void, *mut Stats);
type RefCount = unsafe extern "C" fn(*mut c_void) -> u32;
type Probe = unsafe extern "C" fn(*mut c_void, *const GUID, *mut i32) -> u32;
type CanUnload = unsafe extern "system" fn() -> i32;
type HandlerRefs = unsafe extern "C" fn(*mut c_void) -> i32;

#[link(name = "kernel32")]
unsafe extern "system" {
    fn LoadLibraryW(name: *const u16) -> *mut c_void;
    fn GetProcAddress(module: *mut c_void, name: *const u8) -> *mut c_void;
}

/// The exports of `c_handler.dll`.
struct Fixture {
    create: Create,
    stats: GetStats,
    refcount: RefCount,
    probe: Probe,
    can_unload: CanUnload,
    handler_refs: HandlerRefs,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test executable's path");
        let path: PathBuf = exe.parent().expect("a directory").join("c_handler.dll");
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
            assert!(!address.is_null(), "c_handler.dll exports {name:?}");
            address
        };
        // SAFETY: each export has the signature declared in c_handler.c.
        unsafe {
            Fixture {
                create: std::mem::transmute::<*mut c_void, Create>(symbol(b"c_handler_create\0")),
                stats: std::mem::transmute::<*mut c_void, GetStats>(symbol(
                    b"c_handler_stats_get\0",
                )),
                refcount: std::mem::transmute::<*mut c_void, RefCount>(symbol(b"c_refcount\0")),
                probe: std::mem::transmute::<*mut c_void, Probe>(symbol(b"c_probe_callback\0")),
                can_unload: std::mem::transmute::<*mut c_void, CanUnload>(symbol(
                    b"DllCanUnloadNow\0",
                )),
                handler_refs: std::mem::transmute::<*mut c_void, HandlerRefs>(symbol(
                    b"c_handler_refs\0",
                )),
            }
        }
    })
}

/// One test at a time: `c_handler.dll`'s `DllCanUnloadNow` counts every
/// test's objects.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `c_handler.dll`'s `DllCanUnloadNow`.
fn c_can_unload_now() -> HResult {
    // SAFETY: no arguments.
    HResult(unsafe { (fixture().can_unload)() })
}

/// A C handler's own reference count, read without calling it.
fn handler_refs(handler: &ISyncMgrSynchronize) -> i32 {
    // SAFETY: a C handler made by the fixture.
    unsafe { (fixture().handler_refs)(handler.as_raw()) }
}

/// The result of a thread [`join_pumping`] waited for.
fn joined<T>(joined: Joined<T>) -> T {
    match joined {
        Joined::Finished(result) => result.unwrap(),
        Joined::WaitingForThisThread(_) => panic!("the thread does not wait for this one"),
    }
}

/// A new C handler.
fn c_handler(config: Config) -> ISyncMgrSynchronize {
    let mut raw = std::ptr::null_mut();
    // SAFETY: a valid config and out pointer.
    let code = unsafe { (fixture().create)(&config, &mut raw) };
    assert_eq!(code, 0, "c_handler_create");
    // SAFETY: an owned ISyncMgrSynchronize reference.
    unsafe { ISyncMgrSynchronize::from_raw(raw) }
}

fn stats(handler: &ISyncMgrSynchronize) -> Stats {
    let mut stats = std::mem::MaybeUninit::<Stats>::uninit();
    // SAFETY: a C handler made by the fixture and a writable Stats.
    unsafe {
        (fixture().stats)(handler.as_raw(), stats.as_mut_ptr());
        stats.assume_init()
    }
}

fn refcount(object: &impl Interface) -> u32 {
    // SAFETY: a live COM object.
    unsafe { (fixture().refcount)(object.as_raw()) }
}

/// The C fixture's item `i` (1-based), as in `tests/c/common.h`.
fn c_item(i: u128) -> ItemId {
    ItemId::from_u128((0x5EC0_0000 + i) << 96 | 0x4000 << 64 | 0x8000_0000_0000_0000 | i)
}

const CANCELITEM: i32 = HResult::S_SYNCMGR_CANCELITEM.0;
const CANCELALL: i32 = HResult::S_SYNCMGR_CANCELALL.0;

/// Drive a C handler with a strict session, cancelling as `cancel` says;
/// returns the session, the outcome and what the C side saw.
fn drive(
    config: Config,
    cancel: impl FnOnce(&Session, &[ItemId]),
) -> (Session, SessionOutcome, Stats) {
    let _mta = Mta::enter().expect("the MTA");
    let handler = c_handler(config);
    let baseline = refcount(&handler);
    assert_eq!(baseline, 1);
    let session = Session::new(SessionConfig::default());
    let outcome = {
        let com: Arc<dyn SyncHandler> = Arc::new(ComHandler::new(&handler).expect("ComHandler"));
        let mut driver = session.drive(com);
        let items = driver.initialize().expect("initialize");
        let ids: Vec<ItemId> = items.iter().map(|i| i.id()).collect();
        cancel(&session, &ids);
        let outcome = driver.sync(&ids).expect("sync");
        driver.release();
        outcome
    };
    let seen = stats(&handler);
    // Reference counts seen from the C side: ours are all gone.
    assert_eq!(
        refcount(&handler),
        baseline,
        "the C handler is back to its baseline"
    );
    assert_eq!(seen.holds_callback, 0, "the C handler holds no callback");
    assert_eq!(
        seen.last_callback_release, 0,
        "the C handler's Release of our callback object was the last one"
    );
    (session, outcome, seen)
}

#[test]
fn a_session_drives_a_c_handler_and_cancel_item_crosses() {
    let _serial = serial();
    let (session, outcome, seen) = drive(Config::default(), |session, ids| {
        session.cancel_item(ids[1], CancelReason::User).unwrap();
    });
    assert_eq!(
        outcome,
        SessionOutcome::Completed {
            code: HResult::S_OK
        }
    );
    assert_eq!(seen.first_answer[..3], [0, CANCELITEM, 0], "{seen:?}");
    assert_eq!(seen.prepare_completed_answer, 0);
    assert_eq!(seen.synchronize_completed_answer, 0);
    assert_eq!(seen.log_answer, 0);
    let phases: Vec<ItemPhase> = session.snapshot().items().map(|i| i.phase()).collect();
    assert_eq!(
        phases,
        [
            ItemPhase::Succeeded,
            ItemPhase::Stopped,
            ItemPhase::Succeeded
        ]
    );
    assert_eq!(
        session.snapshot().item(1).unwrap().id(),
        c_item(2),
        "the items are the C handler's"
    );
    assert!(
        session.conformance_report().is_clean(),
        "{}",
        session.conformance_report()
    );
}

#[test]
fn cancel_all_crosses_and_no_item_starts_after_it() {
    let _serial = serial();
    let (session, outcome, seen) = drive(Config::default(), |session, _| {
        session.cancel_all(CancelReason::User);
    });
    assert_eq!(
        outcome,
        SessionOutcome::Completed {
            code: HResult::S_OK
        }
    );
    assert_eq!(seen.first_answer[0], CANCELALL);
    // The first report, then STOPPED; nothing for the other items.
    assert_eq!(seen.progress_calls, 2, "{seen:?}");
    assert!(
        session.conformance_report().is_clean(),
        "{}",
        session.conformance_report()
    );
}

#[test]
fn a_threaded_c_handler_reports_from_its_own_thread() {
    let _serial = serial();
    let config = Config {
        threaded: 1,
        ..Config::default()
    };
    let (session, outcome, seen) = drive(config, |session, ids| {
        session.cancel_item(ids[2], CancelReason::User).unwrap();
    });
    assert_eq!(
        outcome,
        SessionOutcome::Completed {
            code: HResult::S_OK
        }
    );
    assert_eq!(seen.first_answer[..3], [0, 0, CANCELITEM]);
    assert!(
        session.conformance_report().is_clean(),
        "{}",
        session.conformance_report()
    );
}

#[test]
fn s_false_from_initialize_is_a_decline() {
    let _serial = serial();
    let (_, outcome, _) = {
        let _mta = Mta::enter().unwrap();
        let handler = c_handler(Config {
            init_answer: HResult::S_FALSE.0,
            ..Config::default()
        });
        let com = ComHandler::new(&handler).unwrap();
        assert_eq!(
            com.initialize(syncmgr::SyncMgrFlags::try_from(3).unwrap(), None),
            Ok(HandlerAnswer::Decline)
        );
        let session = Session::new(SessionConfig::default());
        let outcome = session.run(Arc::new(com));
        (session, outcome, ())
    };
    assert_eq!(outcome, SessionOutcome::Declined);
}

#[test]
fn s_false_from_prepare_for_sync_is_a_decline() {
    let _serial = serial();
    let _mta = Mta::enter().unwrap();
    let handler = c_handler(Config {
        prepare_answer: HResult::S_FALSE.0,
        ..Config::default()
    });
    let session = Session::new(SessionConfig::default());
    let outcome = session.run(Arc::new(ComHandler::new(&handler).unwrap()));
    assert_eq!(outcome, SessionOutcome::PrepareDeclined);
    assert_eq!(refcount(&handler), 1);
}

#[test]
fn missing_items_is_preserved() {
    let _serial = serial();
    let _mta = Mta::enter().unwrap();
    let handler = c_handler(Config {
        enum_answer: HResult::S_SYNCMGR_MISSINGITEMS.0,
        ..Config::default()
    });
    let com = ComHandler::new(&handler).unwrap();
    let enumeration = com.enum_items().unwrap();
    assert!(enumeration.missing_items);
    let names: Vec<&str> = enumeration.items.iter().map(|i| i.name()).collect();
    assert_eq!(names, ["C item 1", "C item 2", "C item 3"]);
    let info = com.handler_info().unwrap();
    assert_eq!(info.name(), "C handler");
}

#[test]
fn bad_replies_from_a_c_handler_are_typed_errors() {
    let _serial = serial();
    let _mta = Mta::enter().unwrap();
    let reason = |error: HandlerError| match error {
        HandlerError::InvalidArgument { reason } => reason,
        other => panic!("expected InvalidArgument, got {other:?}"),
    };
    let handler = c_handler(Config {
        bad_info_size: 1,
        ..Config::default()
    });
    let error = ComHandler::new(&handler)
        .unwrap()
        .handler_info()
        .unwrap_err();
    assert_eq!(
        reason(error),
        "GetHandlerInfo: SYNCMGRHANDLERINFO.cbSize is 76, expected 88 on this architecture"
    );
    let handler = c_handler(Config {
        bad_item_name: 1,
        ..Config::default()
    });
    let error = ComHandler::new(&handler).unwrap().enum_items().unwrap_err();
    assert_eq!(
        reason(error),
        "Next: SYNCMGRITEM.wszItemName has no terminating NUL within its 128 UTF-16 units"
    );
    let handler = c_handler(Config {
        bad_item_name: 2,
        ..Config::default()
    });
    let error = ComHandler::new(&handler).unwrap().enum_items().unwrap_err();
    assert!(reason(error).contains("not valid UTF-16: unpaired surrogate 0xd800 at unit 1"));
}

/// A host callback that records what reached it.
#[derive(Default)]
struct Recorder {
    progress: Mutex<Vec<(ItemId, Option<SyncMgrProgress>)>>,
    logs: Mutex<Vec<(LogLevel, String, Option<LogErrorInfo>)>>,
    other_calls: AtomicUsize,
}

impl SyncCallback for Recorder {
    fn progress(
        &self,
        item: ItemId,
        progress: Option<&SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError> {
        self.progress
            .lock()
            .unwrap()
            .push((item, progress.cloned()));
        Ok(if progress.is_some() {
            CancelDecision::CancelItem
        } else {
            CancelDecision::Continue
        })
    }

    fn log_error(
        &self,
        level: LogLevel,
        text: &str,
        info: Option<&LogErrorInfo>,
    ) -> Result<(), CallbackError> {
        self.logs
            .lock()
            .unwrap()
            .push((level, text.to_owned(), info.copied()));
        Ok(())
    }

    fn delete_log_error(&self, _: syncmgr::ErrorId) -> Result<(), CallbackError> {
        self.other_calls.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn establish_connection(&self, _: Option<&str>) -> Result<(), CallbackError> {
        self.other_calls.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn show_error_completed(&self, _: HResult, _: &[ItemId]) -> Result<(), CallbackError> {
        self.other_calls.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn enable_modeless(&self, _: bool) -> Result<ModelessAnswer, CallbackError> {
        Ok(ModelessAnswer::Refused)
    }
}

#[test]
fn c_code_calling_an_exported_callback_with_bad_arguments_is_refused() {
    let _serial = serial();
    let _mta = Mta::enter().unwrap();
    let recorder = Arc::new(Recorder::default());
    let callback: ISyncMgrSynchronizeCallback = export_callback(recorder.clone());
    let item = c_item(1);
    let guid = GUID::from_u128(item.to_guid().to_u128());
    let mut answers = [0i32; 19];
    // SAFETY: a live callback, a GUID, and room for every probe.
    let n = unsafe { (fixture().probe)(callback.as_raw(), &guid, answers.as_mut_ptr()) };
    assert_eq!(n, 19);
    let (ok, pointer, invalid) = (0, HResult::E_POINTER.0, HResult::E_INVALIDARG.0);
    assert_eq!(
        answers,
        [
            pointer,            // 0 Progress(NULL item)
            ok,                 // 1 Progress(item, NULL): a poll, answered Continue
            invalid,            // 2 cbSize of x86
            invalid,            // 3 unknown mask bit
            invalid,            // 4 unpaired surrogate
            invalid,            // 5 STATUSTEXT with a NULL text
            invalid,            // 6 status 0x77
            invalid,            // 7 value above max
            invalid,            // 8 LogError level 9
            pointer,            // 9 LogError NULL text
            invalid,            // 10 LogError info cbSize 40
            pointer,            // 11 DeleteLogError(NULL)
            invalid,            // 12 DeleteLogError reserved 5
            invalid,            // 13 EstablishConnection reserved 3
            pointer,            // 14 ShowErrorCompleted(RETRYSYNC, 2, NULL)
            invalid,            // 15 a text of 40000 units
            CANCELITEM,         // 16 a valid report: the decision crosses intact
            HResult::S_FALSE.0, // 17 EnableModeless refused
            ok,                 // 18 a valid LogError
        ]
    );
    // Only the valid calls reached Rust, decoded.
    let progress = recorder.progress.lock().unwrap().clone();
    let expected = SyncMgrProgress::builder()
        .status(SyncMgrStatus::Updating)
        .value(1)
        .max(4)
        .text("copying été")
        .build()
        .unwrap();
    assert_eq!(progress, [(item, None), (item, Some(expected))]);
    let logs = recorder.logs.lock().unwrap().clone();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].0, LogLevel::Warning);
    assert_eq!(logs[0].1, "disk almost full");
    assert_eq!(logs[0].2.and_then(|i| i.item_id()), Some(item));
    assert_eq!(recorder.other_calls.load(Ordering::SeqCst), 0);
    drop(callback);
    assert_eq!(
        Arc::strong_count(&recorder),
        1,
        "the COM object released the callback"
    );
}

/// A host callback that panics on every report.
struct Panics;

impl SyncCallback for Panics {
    fn progress(
        &self,
        _: ItemId,
        _: Option<&SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError> {
        panic!("a bug in the host callback");
    }
}

#[test]
fn a_panicking_callback_answers_e_unexpected_and_the_process_lives() {
    let _serial = serial();
    let _mta = Mta::enter().unwrap();
    let handler = c_handler(Config {
        log_errors: 0,
        ..Config::default()
    });
    let com = ComHandler::new(&handler).unwrap();
    com.set_progress_callback(Some(Arc::new(Panics))).unwrap();
    let ids = [c_item(1), c_item(2)];
    assert_eq!(
        com.prepare_for_sync(&ids, syncmgr::WindowHandle::NONE),
        Ok(HandlerAnswer::Accept)
    );
    assert_eq!(com.synchronize(syncmgr::WindowHandle::NONE), Ok(()));
    let seen = stats(&handler);
    let unexpected = HResult::E_UNEXPECTED.0;
    // Every report was answered E_UNEXPECTED; the completions still worked.
    assert!(seen.n_answers >= 2);
    assert!(
        seen.answers[..seen.n_answers as usize]
            .iter()
            .all(|&a| a == unexpected),
        "{seen:?}"
    );
    assert_eq!(seen.synchronize_completed_answer, 0);
    com.set_progress_callback(None).unwrap();
    assert_eq!(stats(&handler).last_callback_release, 0);
}

/// What a drive of a C handler gave.
struct Driven {
    outcome: SessionOutcome,
    clean: Result<(), String>,
    phases: Vec<ItemPhase>,
}

/// Drive `com` with a strict session from the calling thread, cancelling
/// the second item.
fn drive_com(com: Arc<dyn SyncHandler>) -> Driven {
    let session = Session::new(SessionConfig::default());
    let outcome = {
        let mut driver = session.drive(com);
        let items = driver.initialize().expect("initialize");
        let ids: Vec<ItemId> = items.iter().map(|i| i.id()).collect();
        session.cancel_item(ids[1], CancelReason::User).unwrap();
        let outcome = driver.sync(&ids).expect("sync");
        driver.release();
        outcome
    };
    let report = session.conformance_report();
    Driven {
        outcome,
        clean: if report.is_clean() {
            Ok(())
        } else {
            Err(report.to_string())
        },
        phases: session.snapshot().items().map(|i| i.phase()).collect(),
    }
}

/// A plain C handler, threaded (its worker reports from its own thread).
fn plain_config() -> Config {
    Config {
        plain: 1,
        threaded: 1,
        home_thread: 1,
        ..Config::default()
    }
}

fn assert_clean_run(driven: &Driven, seen: &Stats) {
    assert_eq!(
        driven.outcome,
        SessionOutcome::Completed {
            code: HResult::S_OK
        }
    );
    assert_eq!(driven.clean, Ok(()));
    assert_eq!(
        driven.phases,
        [
            ItemPhase::Succeeded,
            ItemPhase::Stopped,
            ItemPhase::Succeeded
        ]
    );
    assert_eq!(seen.first_answer[..3], [0, CANCELITEM, 0], "{seen:?}");
    assert_eq!(seen.synchronize_completed_answer, 0);
    assert_eq!(seen.holds_callback, 0, "the C handler holds no callback");
    assert_eq!(
        seen.last_callback_release, 0,
        "the C handler's Release of our callback object was the last one"
    );
}

#[test]
fn a_plain_c_handler_is_driven_from_the_mta_to_a_clean_report() {
    let _serial = serial();
    let _mta = Mta::enter().unwrap();
    let handler = c_handler(Config {
        home_thread: 0,
        ..plain_config()
    });
    let com = ComHandler::new(&handler).expect("an ordinary handler is imported in the MTA");
    // Driven from another MTA thread: the pointer is used as it is.
    let driven = std::thread::spawn(move || {
        let _mta = Mta::enter().unwrap();
        drive_com(Arc::new(com))
    })
    .join()
    .unwrap();
    let seen = stats(&handler);
    assert_clean_run(&driven, &seen);
    assert_eq!(handler_refs(&handler), 1, "back to the baseline");
    drop(handler);
    assert_eq!(c_can_unload_now(), HResult::S_OK);
}

/// `CoInitializeEx(COINIT_APARTMENTTHREADED)` for the calling thread.
fn enter_sta() {
    use windows::Win32::System::Com::{COINIT_APARTMENTTHREADED, CoInitializeEx};
    // SAFETY: no pointers; balanced by `leave_com`.
    let code = unsafe { CoInitializeEx(None, COINIT_APARTMENTTHREADED) };
    assert_eq!(code.0, 0, "CoInitializeEx(STA)");
}

fn leave_com() {
    // SAFETY: balances `enter_sta`, on the same thread.
    unsafe { windows::Win32::System::Com::CoUninitialize() };
}

#[test]
fn a_plain_c_handler_in_an_sta_is_driven_from_another_thread_to_a_clean_report() {
    let _serial = serial();
    std::thread::spawn(|| {
        enter_sta();
        let handler = c_handler(plain_config());
        let com: Arc<dyn SyncHandler> =
            Arc::new(ComHandler::new(&handler).expect("an ordinary handler is imported in an STA"));
        // Another thread drives the handler, whose calls are carried to
        // this thread, which pumps while it waits.
        let driver = std::thread::spawn(move || drive_com(com));
        let driven = joined(join_pumping(driver));
        let seen = stats(&handler);
        assert_clean_run(&driven, &seen);
        assert_eq!(
            seen.wrong_thread, 0,
            "no method of the STA handler (or its enumerators) ran on another thread"
        );
        assert_eq!(handler_refs(&handler), 1, "back to the baseline");
        drop(handler);
        assert_eq!(c_can_unload_now(), HResult::S_OK);
        leave_com();
    })
    .join()
    .unwrap();
}

#[test]
fn a_plain_c_handler_in_an_sta_is_driven_on_its_own_thread() {
    let _serial = serial();
    std::thread::spawn(|| {
        enter_sta();
        let handler = c_handler(plain_config());
        let driven = drive_com(Arc::new(ComHandler::new(&handler).unwrap()));
        let seen = stats(&handler);
        assert_clean_run(&driven, &seen);
        assert_eq!(seen.wrong_thread, 0);
        assert_eq!(handler_refs(&handler), 1);
        drop(handler);
        assert_eq!(c_can_unload_now(), HResult::S_OK);
        leave_com();
    })
    .join()
    .unwrap();
}

#[test]
fn an_mta_handler_called_from_an_sta_thread_is_a_typed_wrong_thread_error() {
    let _serial = serial();
    let _mta = Mta::enter().unwrap();
    let handler = c_handler(Config {
        plain: 1,
        ..Config::default()
    });
    let com = Arc::new(ComHandler::new(&handler).unwrap());
    let from_sta = Arc::clone(&com);
    let error = std::thread::spawn(move || {
        enter_sta();
        let error = from_sta.handler_info().unwrap_err();
        drop(from_sta);
        leave_com();
        error
    })
    .join()
    .unwrap();
    match error {
        HandlerError::Failed { code, reason } => {
            assert_eq!(code.get(), ApartmentProblem::RPC_E_WRONG_THREAD);
            assert!(
                reason.contains("belongs to the multithreaded apartment"),
                "{reason}"
            );
        }
        other => panic!("expected Failed(RPC_E_WRONG_THREAD), got {other:?}"),
    }
    // From the MTA it works.
    assert_eq!(com.handler_info().unwrap().name(), "C handler");
    drop(com);
    assert_eq!(handler_refs(&handler), 1);
}

#[test]
fn a_call_after_the_sta_thread_ended_is_a_typed_error() {
    let _serial = serial();
    let (com, raw) = std::thread::spawn(|| {
        enter_sta();
        let handler = c_handler(Config {
            plain: 1,
            ..Config::default()
        });
        let com = ComHandler::new(&handler).unwrap();
        assert_eq!(com.handler_info().unwrap().name(), "C handler");
        leave_com();
        // The thread ends holding its reference: the apartment is gone.
        (com, handler.into_raw() as usize)
    })
    .join()
    .unwrap();
    let error = com.handler_info().unwrap_err();
    match &error {
        HandlerError::Failed { code, reason } => {
            assert_eq!(code.get(), ApartmentProblem::RPC_E_DISCONNECTED);
            assert!(reason.contains("has ended"), "{reason}");
        }
        other => panic!("expected Failed(RPC_E_DISCONNECTED), got {other:?}"),
    }
    // The wrapper's reference cannot be released (its apartment is gone):
    // it is left, not released from the wrong thread.
    drop(com);
    // SAFETY: the reference the ended thread gave up, and the one the
    // wrapper left: released here by the test, which knows the object is a
    // plain C object, so that the DLL's count is balanced again.
    let handler = unsafe { ISyncMgrSynchronize::from_raw(raw as *mut c_void) };
    assert_eq!(handler_refs(&handler), 2);
    // SAFETY: as above: the wrapper's reference.
    drop(unsafe { ISyncMgrSynchronize::from_raw(handler.as_raw()) });
    drop(handler);
    assert_eq!(c_can_unload_now(), HResult::S_OK);
}

#[test]
fn an_sta_object_dropped_on_a_thread_outside_com_is_revoked_and_released() {
    let _serial = serial();
    std::thread::spawn(|| {
        enter_sta();
        let handler = c_handler(Config {
            plain: 1,
            home_thread: 1,
            ..Config::default()
        });
        let unknown: IUnknown = handler.cast().unwrap();
        let baseline = handler_refs(&handler);
        // IUnknown can be marshaled: the wrapper registers it in the
        // Global Interface Table, and holds the pointer for this thread.
        let object = ComSessionObject::from_unknown(&unknown).unwrap();
        assert!(handler_refs(&handler) > baseline);
        let elsewhere = std::thread::spawn(move || {
            // A thread outside COM: the table cannot give it the object...
            let error = object.get().unwrap_err();
            // ...and dropping the wrapper hands the revocation and the
            // release to the object's thread.
            drop(object);
            error
        });
        let error = joined(join_pumping(elsewhere));
        assert!(
            matches!(error, ComError::Failed { .. } | ComError::Apartment { .. }),
            "{error:?}"
        );
        assert_eq!(handler_refs(&handler), baseline, "no reference leaked");
        drop(unknown);
        assert_eq!(
            stats(&handler).wrong_thread,
            0,
            "registered, revoked and released on its own thread"
        );
        drop(handler);
        assert_eq!(c_can_unload_now(), HResult::S_OK);
        leave_com();
    })
    .join()
    .unwrap();
}
