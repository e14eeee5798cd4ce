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
            "host: 50 checks, 0 failed",
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
