#![cfg(all(windows, feature = "com"))]
//! The example Sync Center handler DLL (`examples/sync_center_dll.rs`) as
//! an in-process COM server, driven by a Sync Center host written in C
//! against the SDK's Sync Center interfaces (`tests/c/sync_center_host.c`,
//! `tests/c/sync_center.h`), in its own process.
//!
//! The host loads the DLL with `LoadLibrary`, gets the class factory from
//! `DllGetClassObject`, reads the handler's name and info, walks its item
//! container and enumerator, and calls `Synchronize` with a session creator
//! and a callback of its own: plain COM objects (no free-threaded
//! marshaler), in the MTA or in a pumping STA. It checks on its side one
//! terminal status per item, the `CANCELED` acknowledgement, no report
//! after a terminal status but `FAILED`, that every call on its objects
//! arrives on its own thread, that every string it is handed is
//! `CoTaskMemAlloc`-ed, the reference counts, and `DllCanUnloadNow`.
//! `scripts/test-windows.sh` builds the host and the DLL.

use std::path::PathBuf;
use std::process::Command;

/// The example DLL's class (README, "A Sync Center handler DLL").
const CLSID: &str = "{5C1E9A51-2B6F-4E0D-9D3A-7F21C4B8E6A3}";

/// The directory of the test executables (`…/debug/deps`).
fn deps() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    exe.parent().expect("a directory").to_path_buf()
}

/// Run the C host in `apartment` (`mta`, `sta`) cancelling `cancel` (an
/// item index, or `all`); its transcript.
fn host(apartment: &str, cancel: &str) -> String {
    let host = deps().join("sync_center_host.exe");
    let dll = deps().join("../examples/sync_center_dll.dll");
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
        .arg(apartment)
        .arg(cancel)
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

/// Every line of `expected` is in `transcript`, and no check failed.
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

/// What every run checks, whatever is cancelled.
const ALWAYS: &[&str] = &[
    "PASS DllGetClassObject",
    "PASS GetName(NULL)",
    "handler: Camera albums (syncmgr example)",
    "PASS handler is CoTaskMemAlloc-ed",
    "PASS GetObject answers E_NOTIMPL",
    "PASS handler type is DEVICE",
    "PASS GetLastSyncTime answers E_NOTIMPL",
    "PASS three items",
    "PASS GetSyncItem(known)",
    "PASS GetSyncItem(unknown)",
    "PASS GetSyncItem(NULL id)",
    "PASS GetSyncItem(over-long id)",
    "PASS Next(0)",
    "PASS Next(2, NULL)",
    "PASS Next past the end",
    "PASS the clone is where it was made text",
    "PASS Skip at the end",
    "PASS Synchronize without a session creator",
    "PASS Synchronize with a NULL id array",
    "PASS Synchronize",
    "PASS one CreateSession",
    "PASS the handler id is the CLSID in braces",
    "PASS every call on the callback on the host's thread",
    "PASS every call on the session creator on the host's thread",
    "PASS callback back to baseline",
    "PASS session creator back to baseline",
    "PASS DllCanUnloadNow while objects live",
    "PASS final Release of the handler",
    "PASS final Release of the factory",
    "PASS DllCanUnloadNow after the final Release",
    "host: 128 checks, 0 failed",
];

fn run(apartment: &str, cancel: &str, items: &[&str]) {
    let transcript = host(apartment, cancel);
    assert_lines(&transcript, ALWAYS);
    assert_lines(&transcript, items);
}

#[test]
fn a_c_host_in_the_mta_syncs_the_rust_dll_and_cancels_one_item() {
    run(
        "mta",
        "1",
        &[
            "host: plain objects in the MTA",
            "item 0: 4 reports, last status 3, first max 3, cancel answered 0",
            // Cancelled at its first report, acknowledged with CANCELED (5).
            "item 1: 2 reports, last status 5, first max 3, cancel answered 1",
            "item 2: 4 reports, last status 3, first max 3, cancel answered 0",
        ],
    );
}

#[test]
fn a_c_host_in_a_pumping_sta_gets_every_call_on_its_own_thread() {
    run(
        "sta",
        "2",
        &[
            "host: plain objects in the STA",
            "PASS CoInitializeEx(STA)",
            "item 0: 4 reports, last status 3, first max 3, cancel answered 0",
            "item 1: 4 reports, last status 3, first max 3, cancel answered 0",
            "item 2: 2 reports, last status 5, first max 3, cancel answered 1",
        ],
    );
}

#[test]
fn after_a_cancel_all_every_item_left_is_acknowledged() {
    for apartment in ["mta", "sta"] {
        run(
            apartment,
            "all",
            &[
                "item 0: 2 reports, last status 5, first max 3, cancel answered 1",
                "item 1: 1 reports, last status 5, first max 3, cancel answered 1",
                "item 2: 1 reports, last status 5, first max 3, cancel answered 1",
            ],
        );
    }
}
