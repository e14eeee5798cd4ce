//! Conversions between the crate's portable types and windows-rs's.

use windows_core::{GUID, HRESULT};

use crate::{Guid, HResult};

/// The crate's portable code as a windows-rs `HRESULT`.
pub fn to_hresult(code: HResult) -> HRESULT {
    HRESULT(code.0)
}

/// A windows-rs `HRESULT` as the crate's portable code.
pub fn from_hresult(code: HRESULT) -> HResult {
    HResult(code.0)
}

/// The crate's [`Guid`] as a windows-rs `GUID`.
pub fn to_guid(guid: Guid) -> GUID {
    GUID::from_u128(guid.to_u128())
}

/// A windows-rs `GUID` as the crate's [`Guid`].
pub fn from_guid(guid: GUID) -> Guid {
    Guid::from_u128(guid.to_u128())
}

/// An answer for windows-rs's generated shims: `S_OK` is `Ok(())`; every
/// other code, success codes included, is `Err`, which windows-rs returns
/// to the caller as is ([the specification](crate::protocol)).
pub(crate) fn answer(code: HResult) -> windows_core::Result<()> {
    if code.is_s_ok() {
        Ok(())
    } else {
        Err(windows_core::Error::from_hresult(to_hresult(code)))
    }
}
