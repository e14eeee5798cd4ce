//! `SYNCMGRLOGERRORINFO`: strict decoding never panics, and what decodes
//! round-trips through `to_raw`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use syncmgr::{Guid, LogErrorInfo, RawLogErrorInfo};

#[path = "reader.rs"]
mod reader;

fuzz_target!(|data: &[u8]| {
    let mut r = reader::Reader::new(data);
    let raw = RawLogErrorInfo {
        mask: r.u32(),
        error_flags: r.u32(),
        error_id: Guid::from_u128(r.u128()),
        item_id: Guid::from_u128(r.u128()),
    };
    if let Ok(info) = LogErrorInfo::try_from(&raw) {
        let again = LogErrorInfo::try_from(&info.to_raw()).expect("its own raw form decodes");
        assert_eq!(again, info);
    }
});
