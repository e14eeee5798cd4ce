#![cfg(all(windows, feature = "com"))]
//! The example handler DLL (`examples/handler_dll.rs`) as an in-process
//! COM server, driven by a SyncMgr host written in C against mingw-w64's
//! `mobsync.h` (`tests/c/mobsync_host.c`), in its own process.
//!
//! The host loads the DLL with `LoadLibrary`, gets the class factory from
//! `DllGetClassObject`, runs the documented sequence with its own callback,
//! and checks on its side: the raw cancel codes, the reference count of its
//! callbacks after `SetProgressCallback(cb)`, after a replace and after
//! `SetProgressCallback(NULL)`, the final `Release`s answering 0, and
//! `DllCanUnloadNow` answering `S_OK`. `scripts/test-windows.sh` builds the
//! host and the DLL.
//!
//! The host runs free-threaded (its callbacks aggregate the free-threaded
//! marshaler, in the MTA) or, with `plain`, with ordinary callbacks that
//! answer `IUnknown` and `ISyncMgrSynchronizeCallback` only, in the MTA or,
//! with `sta`, in a single-threaded apartment that pumps messages while it
//! waits and checks that no method of its callbacks is entered on another
//! thread.
#![allow(unsafe_code)]

use std::path::PathBuf;
use std::process::Command;

/// The example DLL's class (README, "COM on Windows").
const CLSID: &str = "{373B3E9F-76BC-48CB-9CB4-9D290E190CE6}";

/// The directory of the test executables (`…/debug/deps`).
fn deps() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    exe.parent().expect("a directory").to_path_buf()
}

/// Run the C host on `scenario`; its transcript.
fn host(scenario: &[&str]) -> String {
    let host = deps().join("mobsync_host.exe");
    let dll = deps().join("../examples/handler_dll.dll");
    assert!(
        host.exists(),
        "{} is missing: run scripts/test-windows.sh, which builds the C fixtures",
        host.display()
    );
    assert!(
        dll.exists(),
        "{} is missing: build the example (scripts/test-windows.sh does)",
        dll.display()
    );
    let output = Command::new(&host)
        .arg(&dll)
        .arg(CLSID)
        .args(scenario)
        .output()
        .expect("the C host starts");
    let transcript = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "the C host failed ({}):\n{transcript}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    transcript
}

/// Every line of `expected` is in `transcript`.
fn assert_lines(transcript: &str, expected: &[&str]) {
    for line in expected {
        assert!(
            transcript.lines().any(|l| l == *line),
            "missing `{line}` in:\n{transcript}"
        );
    }
    assert!(
        !transcript.lines().any(|l| l.starts_with("FAIL")),
        "{transcript}"
    );
}

#[test]
fn a_c_host_drives_the_rust_dll_through_the_whole_sequence() {
    let transcript = host(&["sequence", "1"]);
    assert_lines(
        &transcript,
        &[
            "PASS DllGetClassObject",
            "PASS Initialize(IDLE) declines with S_FALSE",
            "PASS Initialize(MANUAL)",
            "PASS SYNCMGRHANDLERINFO.cbSize",
            "handler: Rust offline folders",
            "item 0: Documents",
            "item 1: Pictures",
            "item 2: Music",
            "PASS one reference to the callback",
            "PASS PrepareForSyncCompleted(S_OK)",
            "SynchronizeCompleted(0x00000000)",
            // Item 1 was answered S_SYNCMGR_CANCELITEM and stopped; the
            // others succeeded.
            "item 1: 2 reports, last status 0, cancel answered 1",
            "item 0: 5 reports, last status 4, cancel answered 0",
            "item 2: 5 reports, last status 4, cancel answered 0",
            "PASS replaced callback back to baseline",
            "PASS new callback held once",
            "PASS callback back to baseline after NULL",
            "PASS DllCanUnloadNow while objects live",
            "PASS final Release of the handler",
            "PASS final Release of the factory",
            "PASS DllCanUnloadNow after the final Release",
            "host: 51 checks, 0 failed",
        ],
    );
}

#[test]
fn cancel_item_reaches_whichever_item_the_host_names() {
    let transcript = host(&["sequence", "2"]);
    assert_lines(
        &transcript,
        &[
            "item 0: 5 reports, last status 4, cancel answered 0",
            "item 1: 5 reports, last status 4, cancel answered 0",
            "item 2: 2 reports, last status 0, cancel answered 1",
            "PASS DllCanUnloadNow after the final Release",
        ],
    );
}

#[test]
fn cancel_all_stops_the_rust_handler_before_the_next_item() {
    let transcript = host(&["cancelall"]);
    assert_lines(
        &transcript,
        &[
            "item 0: 2 reports, last status 0, cancel answered 1",
            "item 1: 0 reports, last status 0, cancel answered 0",
            "item 2: 0 reports, last status 0, cancel answered 0",
            "SynchronizeCompleted(0x00000000)",
            "PASS DllCanUnloadNow after the final Release",
        ],
    );
}

#[test]
fn bad_pointers_and_arguments_are_refused_by_the_dll() {
    let transcript = host(&["edge"]);
    assert_lines(
        &transcript,
        &[
            "PASS DllGetClassObject(another CLSID)",
            "PASS DllGetClassObject(NULL clsid)",
            "PASS DllGetClassObject(NULL ppv)",
            "PASS DllGetClassObject(ISyncMgrSynchronize)",
            "PASS CreateInstance with an outer object",
            "PASS CreateInstance(ISyncMgrSynchronizeCallback)",
            "PASS CreateInstance(NULL ppv)",
            "PASS QueryInterface(another interface)",
            "PASS Initialize(dwReserved 1)",
            "PASS Initialize(NULL cookie of 4 bytes)",
            "PASS GetHandlerInfo(NULL)",
            "PASS EnumSyncMgrItems(NULL)",
            "PASS Next(2, NULL fetched)",
            "PASS Next(NULL items)",
            "PASS Clone(NULL)",
            "PASS GetItemObject",
            "PASS GetItemObject clears *ppv",
            "PASS GetItemObject(NULL ppv)",
            "PASS ShowProperties(NULL item)",
            "PASS PrepareForSync(2, NULL)",
            "PASS PrepareForSync(dwReserved 7)",
            "PASS SetItemStatus(NULL item)",
            "PASS SetItemStatus(0x77)",
            "PASS ShowError(NULL error)",
            "PASS callback back to baseline",
            "PASS DllCanUnloadNow after the final Release",
            "host: 40 checks, 0 failed",
        ],
    );
}

/// The whole sequence, as a plain host in `apartment` sees it.
fn plain_sequence(apartment: &str) -> String {
    let transcript = host(&["sequence", "1", "plain", apartment]);
    assert_lines(
        &transcript,
        &[
            "PASS SetProgressCallback(cb)",
            "PASS one reference to the callback",
            "PASS PrepareForSync",
            "PASS PrepareForSyncCompleted(S_OK)",
            "PASS SynchronizeCompleted arrives",
            "SynchronizeCompleted(0x00000000)",
            "item 0: 5 reports, last status 4, cancel answered 0",
            "item 1: 2 reports, last status 0, cancel answered 1",
            "item 2: 5 reports, last status 4, cancel answered 0",
            "PASS SetProgressCallback(cb2)",
            "PASS replaced callback back to baseline",
            "PASS new callback held once",
            "PASS callback back to baseline after NULL",
            "PASS final Release of the handler",
            "PASS callbacks at baseline",
            "PASS SynchronizeCompleted exactly once",
            "PASS DllCanUnloadNow after the final Release",
        ],
    );
    transcript
}

#[test]
fn a_plain_host_in_the_mta_completes_the_whole_sequence() {
    let transcript = plain_sequence("mta");
    assert_lines(
        &transcript,
        &[
            "host: plain callbacks in the MTA",
            "host: 51 checks, 0 failed",
        ],
    );
}

#[test]
fn a_plain_host_in_an_sta_completes_the_whole_sequence_on_its_own_thread() {
    let transcript = plain_sequence("sta");
    assert_lines(
        &transcript,
        &[
            "host: plain callbacks in the STA",
            "PASS CoInitializeEx(STA)",
            "PASS every callback call on the STA thread",
            "calls on another thread: 0",
            "host: 52 checks, 0 failed",
        ],
    );
}

#[test]
fn a_plain_sta_host_cancels_all() {
    let transcript = host(&["cancelall", "plain", "sta"]);
    assert_lines(
        &transcript,
        &[
            "item 0: 2 reports, last status 0, cancel answered 1",
            "item 1: 0 reports, last status 0, cancel answered 0",
            "PASS every callback call on the STA thread",
            "PASS SynchronizeCompleted exactly once",
            "PASS DllCanUnloadNow after the final Release",
        ],
    );
}

#[test]
fn a_plain_sta_host_gets_the_same_edge_answers() {
    let transcript = host(&["edge", "plain", "sta"]);
    assert_lines(
        &transcript,
        &[
            "PASS Next(2, NULL fetched)",
            "PASS callback back to baseline",
            "PASS every callback call on the STA thread",
            "PASS DllCanUnloadNow after the final Release",
        ],
    );
}

/// `export_handler_dll!` with a class expression that panics.
mod panicking_arguments {
    use std::sync::Arc;

    use syncmgr::{Guid, SyncHandler};

    fn clsid() -> Guid {
        panic!("a bug in the class expression")
    }

    fn make() -> Arc<dyn SyncHandler> {
        unreachable!("never reached: the class expression panics first")
    }

    syncmgr::export_handler_dll!(clsid: clsid(), handler: make);
}

#[test]
fn a_panicking_argument_of_export_handler_dll_answers_e_unexpected() {
    use syncmgr::com::{GUID, HRESULT};
    let clsid = GUID::from_u128(1);
    let iid = GUID::from_u128(0x00000001_0000_0000_C000_000000000046); // IClassFactory
    let mut out = std::ptr::null_mut();
    // SAFETY: valid GUIDs and a writable out pointer.
    let code = unsafe { panicking_arguments::DllGetClassObject(&clsid, &iid, &mut out) };
    assert_eq!(code, HRESULT(syncmgr::HResult::E_UNEXPECTED.0));
    assert!(out.is_null());
    assert_eq!(
        panicking_arguments::DllCanUnloadNow(),
        HRESULT(0),
        "nothing was made"
    );
}

/// The host releases the handler from inside the first `Progress` call,
/// while the handler's worker waits for that call to return.
fn reentrant(apartment: &str) {
    let transcript = host(&["reentrant", "plain", apartment]);
    assert_lines(
        &transcript,
        &[
            "PASS the first Progress released the handler",
            "PASS SetProgressCallback(NULL) inside Progress",
            "PASS final Release inside Progress",
            "PASS callback back to baseline once the worker ended",
            "PASS DllCanUnloadNow once the worker ended",
            "PASS no SynchronizeCompleted after the release",
        ],
    );
}

#[test]
fn a_plain_sta_host_may_release_the_handler_inside_its_own_callback() {
    reentrant("sta");
}

#[test]
fn a_plain_mta_host_may_release_the_handler_inside_its_own_callback() {
    reentrant("mta");
}
