//! The test kit across COM, under Wine: `com::load_handler` creating the C
//! handler fixture's classes by CLSID, and an interposer — a recording
//! handler exported as a COM object between a host and a real COM handler
//! — whose transcript replays against a fresh instance.
#![cfg(all(windows, feature = "com", feature = "testkit"))]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use syncmgr::com::{ComHandler, Mta, export_handler, load_handler};
use syncmgr::testkit::{record, replay};
use syncmgr::{Guid, HResult, ItemId, Session, SessionConfig, SyncHandler};

/// The C fixture's plain, threaded class.
const GOOD: &str = "{5EC0C1A5-0000-4000-8000-000000000001}";

fn dll() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let path = exe.parent().expect("a directory").join("c_handler.dll");
    assert!(
        path.exists(),
        "{} is missing: run scripts/test-windows.sh, which builds the C fixtures",
        path.display()
    );
    path
}

fn good() -> Arc<dyn SyncHandler> {
    let handler = load_handler(&dll(), GOOD.parse().unwrap()).expect("the class loads");
    Arc::new(ComHandler::new(&handler).expect("and is imported"))
}

#[test]
fn load_handler_creates_a_class_and_names_what_fails() {
    let _mta = Mta::enter().unwrap();
    let outcome = Session::new(SessionConfig::default()).run(good());
    assert!(outcome.is_success(), "{outcome:?}");
    let unknown = load_handler(&dll(), Guid::from_u128(1)).unwrap_err();
    // CLASS_E_CLASSNOTAVAILABLE, from the DLL's DllGetClassObject.
    assert_eq!(
        unknown.hresult(),
        HResult(0x8004_0111_u32 as i32),
        "{unknown}"
    );
    assert!(
        unknown.to_string().contains("DllGetClassObject"),
        "{unknown}"
    );
    let missing = load_handler(Path::new("no-such-handler.dll"), GOOD.parse().unwrap());
    let missing = missing.unwrap_err();
    assert!(missing.to_string().contains("LoadLibraryW"), "{missing}");
}

#[test]
fn an_interposer_records_a_com_handler_and_the_transcript_replays() {
    let _mta = Mta::enter().unwrap();
    // host → (COM) → recording interposer → (COM) → the C handler.
    let (recorded, recording) = record(good());
    let interposer = export_handler(recorded);
    let host_side = ComHandler::new(&interposer).unwrap();
    let outcome = Session::new(SessionConfig::default()).run(Arc::new(host_side));
    assert!(outcome.is_success(), "{outcome:?}");
    let transcript = recording.transcript();
    let first = ItemId::from_u128(0x5EC0_0001_0000_4000_8000_0000_0000_0001);
    // UPDATING, two steps, SUCCEEDED.
    assert_eq!(transcript.reports_of(&first.into()), 4, "{transcript:?}");
    assert_eq!(replay(&transcript, good()), Ok(()));
}
