#![cfg(all(windows, feature = "com"))]
//! `DllRegisterServer` / `DllUnregisterServer` of the example Sync Center
//! DLL (`examples/sync_center_dll.rs`, two classes served by
//! `export_com_server!`), through Windows' own `regsvr32` and checked with
//! `reg query`, in a process of their own: the keys are written, written
//! again (idempotent), removed, and removed again.
//!
//! The registry is the machine's (under Wine, the test prefix's), so the
//! test leaves it as it found it: it unregisters at the end, and it checks
//! that the keys are gone.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The example's classes (README, "A Sync Center handler DLL").
const SYNC_CENTER: &str = "{5C1E9A51-2B6F-4E0D-9D3A-7F21C4B8E6A3}";
const SYNC_MGR: &str = "{5C1E9A52-2B6F-4E0D-9D3A-7F21C4B8E6A3}";

fn dll() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let dll = exe
        .parent()
        .expect("a directory")
        .join("../examples/sync_center_dll.dll");
    assert!(
        dll.exists(),
        "{} is missing: build the example (scripts/test-windows.sh does)",
        dll.display()
    );
    dll
}

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} starts: {e}"))
}

fn regsvr32(unregister: bool) {
    let dll = dll();
    let path = dll.to_string_lossy();
    let mut args = vec!["/s"];
    if unregister {
        args.push("/u");
    }
    args.push(&path);
    let output = run("regsvr32", &args);
    assert!(
        output.status.success(),
        "regsvr32 {args:?} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `reg query key [/v value | /ve]`: the output, or `None` when the key
/// or value does not exist.
fn query(key: &str, value: Option<&str>) -> Option<String> {
    let mut args = vec!["query", key];
    match value {
        Some(name) => args.extend(["/v", name]),
        None => args.push("/ve"),
    }
    let output = run("reg", &args);
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

fn keys() -> [String; 3] {
    [
        format!(r"HKCR\CLSID\{SYNC_CENTER}\InprocServer32"),
        format!(r"HKCR\CLSID\{SYNC_MGR}\InprocServer32"),
        format!(r"HKLM\Software\Microsoft\Windows\CurrentVersion\SyncMgr\Handlers\{SYNC_MGR}"),
    ]
}

fn assert_registered() {
    let [center, mgr, handlers] = keys();
    for server in [&center, &mgr] {
        let path = query(server, None).unwrap_or_else(|| panic!("{server} is written"));
        assert!(
            path.to_lowercase().contains("sync_center_dll.dll"),
            "{server} names the DLL: {path}"
        );
        let model = query(server, Some("ThreadingModel")).expect("ThreadingModel is written");
        assert!(model.contains("Both"), "{model}");
    }
    let name = query(&format!(r"HKCR\CLSID\{SYNC_CENTER}"), None).expect("the class name");
    assert!(
        name.contains("syncmgr example Sync Center handler"),
        "{name}"
    );
    let listed = query(&handlers, None).expect("the SyncMgr class is listed for SyncMgr");
    assert!(listed.contains("syncmgr example albums"), "{listed}");
    assert!(
        query(
            &format!(
                r"HKLM\Software\Microsoft\Windows\CurrentVersion\SyncMgr\Handlers\{SYNC_CENTER}"
            ),
            None
        )
        .is_none(),
        "a Sync Center class is not a SyncMgr handler"
    );
}

fn assert_unregistered() {
    for key in keys() {
        assert!(query(&key, None).is_none(), "{key} is gone");
    }
    assert!(query(&format!(r"HKCR\CLSID\{SYNC_CENTER}"), None).is_none());
}

#[test]
fn regsvr32_writes_the_keys_and_regsvr32_u_removes_them() {
    regsvr32(false);
    assert_registered();
    regsvr32(false);
    assert_registered();
    regsvr32(true);
    assert_unregistered();
    regsvr32(true);
    assert_unregistered();
}
