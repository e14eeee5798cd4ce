//! The `SYNCMGRFLAG` word and every SyncMgr mask and enum: decoding never
//! panics, and a value that decodes is given back unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use syncmgr::{
    ErrorFlags, HandlerFlags, InvokeFlags, ItemFlags, LogErrorMask, LogLevel, ProgressMask,
    RegisterFlags, SyncEvent, SyncMgrFlags, SyncMgrStatus, SyncModifiers,
};

#[path = "reader.rs"]
mod reader;

macro_rules! flags {
    ($word:expr; $($t:ty),+) => {$(
        if let Ok(flags) = <$t>::decode($word) {
            assert_eq!(flags.bits(), $word, stringify!($t));
        }
    )+};
}

macro_rules! enums {
    ($word:expr; $($t:ty),+) => {$(
        if let Ok(value) = <$t>::try_from($word) {
            assert_eq!(value as u32, $word, stringify!($t));
        }
    )+};
}

fuzz_target!(|data: &[u8]| {
    let mut r = reader::Reader::new(data);
    let word = r.u32();
    if let Ok(flags) = SyncMgrFlags::try_from(word) {
        assert_eq!(u32::from(flags), word);
    }
    flags!(word; SyncModifiers, ProgressMask, LogErrorMask, ErrorFlags, HandlerFlags,
        InvokeFlags, RegisterFlags, ItemFlags);
    enums!(word; SyncEvent, LogLevel, SyncMgrStatus);
});
