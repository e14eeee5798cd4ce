//! Sync Center: item ids (UTF-16 and text), `ReportProgress` and
//! `ReportEvent` arguments, items, and every syncmgr.h enum and flag set:
//! decoding never panics, and what decodes keeps its value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use syncmgr::sync_center::{
    EventFlags, EventLevel, HandlerCapabilities, HandlerPolicies, HandlerType, ItemCapabilities,
    ItemPolicies, ProgressStatus, SyncCenterEvent, SyncCenterItem, SyncCenterItemId,
    SyncCenterProgress, SyncControlFlags, UpdateReason,
};

#[path = "reader.rs"]
mod reader;

fuzz_target!(|data: &[u8]| {
    let mut r = reader::Reader::new(data);
    let word = r.u32();
    macro_rules! flags {
        ($($t:ty),+) => {$(
            if let Ok(flags) = <$t>::decode(word) {
                assert_eq!(flags.bits(), word, stringify!($t));
            }
        )+};
    }
    macro_rules! enums {
        ($($t:ty),+) => {$(
            if let Ok(value) = <$t>::try_from(word) {
                assert_eq!(value as u32, word, stringify!($t));
            }
        )+};
    }
    flags!(EventFlags, SyncControlFlags, HandlerCapabilities, HandlerPolicies, ItemCapabilities,
        ItemPolicies);
    enums!(ProgressStatus, EventLevel, UpdateReason, HandlerType);

    let id_units = r.units(80);
    if let Ok(id) = SyncCenterItemId::from_utf16(&id_units) {
        let text = id.to_string();
        assert_eq!(text.parse::<SyncCenterItemId>().as_ref(), Ok(&id));
        let _ = SyncCenterItem::new(id, String::from_utf16_lossy(&r.units(300)));
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = text.parse::<SyncCenterItemId>();
    }
    let text = r.maybe_units(300);
    let _ = SyncCenterProgress::from_raw(&id_units, text.as_deref(), r.u32(), r.u32(), r.u32());
    let fields: Vec<Option<Vec<u16>>> = (0..6).map(|_| r.maybe_units(80)).collect();
    let _ = SyncCenterEvent::from_raw(
        fields[0].as_deref(),
        r.u32(),
        r.u32(),
        fields[1].as_deref(),
        fields[2].as_deref(),
        fields[3].as_deref(),
        fields[4].as_deref(),
        fields[5].as_deref(),
    );
});
