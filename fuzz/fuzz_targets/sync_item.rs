//! `SYNCMGRITEM`: strict decoding never panics, and what decodes
//! round-trips through `to_raw`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use syncmgr::{FileTime, Guid, MAX_SYNCMGRITEMNAME, RawSyncItem, SyncItem};

#[path = "reader.rs"]
mod reader;

fuzz_target!(|data: &[u8]| {
    let mut r = reader::Reader::new(data);
    let raw = RawSyncItem {
        flags: r.u32(),
        item_id: Guid::from_u128(r.u128()),
        item_state: r.u32(),
        item_name: r.buffer::<MAX_SYNCMGRITEMNAME>(),
        last_update: FileTime(r.u64()),
    };
    if let Ok(item) = SyncItem::try_from(&raw) {
        let again = SyncItem::try_from(&item.to_raw()).expect("its own raw form decodes");
        assert_eq!(again, item);
    }
});
