//! `SYNCMGRHANDLERINFO`: strict decoding never panics, and what decodes
//! round-trips through `to_raw`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use syncmgr::{HandlerInfo, MAX_SYNCMGRHANDLERNAME, RawHandlerInfo};

#[path = "reader.rs"]
mod reader;

fuzz_target!(|data: &[u8]| {
    let mut r = reader::Reader::new(data);
    let raw = RawHandlerInfo {
        flags: r.u32(),
        handler_name: r.buffer::<MAX_SYNCMGRHANDLERNAME>(),
    };
    if let Ok(info) = HandlerInfo::try_from(&raw) {
        let again = HandlerInfo::try_from(&info.to_raw()).expect("its own raw form decodes");
        assert_eq!(again, info);
    }
});
