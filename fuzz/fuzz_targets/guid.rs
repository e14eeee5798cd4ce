//! GUID parsing: any text parses or is refused without a panic, and a
//! parsed GUID prints back to the one form that parses to it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use syncmgr::Guid;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(guid) = text.parse::<Guid>()
    {
        let printed = guid.to_string();
        assert_eq!(printed.parse::<Guid>(), Ok(guid));
    }
    if data.len() >= 16 {
        let guid = Guid::from_u128(u128::from_le_bytes(data[..16].try_into().unwrap()));
        assert_eq!(guid.to_string().parse::<Guid>(), Ok(guid));
    }
});
