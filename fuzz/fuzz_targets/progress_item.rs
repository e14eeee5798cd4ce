//! `SYNCMGRPROGRESSITEM`: strict decoding never panics, and what decodes
//! round-trips through `to_raw`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use syncmgr::{RawProgressItem, SyncMgrProgress};

#[path = "reader.rs"]
mod reader;

fuzz_target!(|data: &[u8]| {
    let mut r = reader::Reader::new(data);
    let raw = RawProgressItem {
        mask: r.u32(),
        status_text: r.maybe_units(300),
        status_type: r.u32(),
        prog_value: r.u32() as i32,
        max_value: r.u32() as i32,
    };
    if let Ok(progress) = SyncMgrProgress::try_from(&raw) {
        let again = SyncMgrProgress::try_from(&progress.to_raw()).expect("its own raw form decodes");
        assert_eq!(again, progress);
    }
});
