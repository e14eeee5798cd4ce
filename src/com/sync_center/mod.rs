//! `ISyncMgrSyncCallback` (Sync Center, [the specification](crate::protocol#sync-center)) in both directions:
//! [`export_sync_center_callback`] (a Rust [`SyncCenterCallback`] as a COM
//! object) and [`ComSyncCenterCallback`] (a COM object as a Rust
//! [`SyncCenterCallback`]).
//!
//! Sync Center carries cancellation in two channels (§B.5): the
//! `SYNCMGR_CANCEL_REQUEST` written through `pnCancelRequest`, and
//! `CanContinue`'s `S_OK` / `S_FALSE`. windows-rs's generated caller folds
//! `S_FALSE` into `Ok(())` (§D.4), and its generated implementation shims
//! write `ReportEvent`'s `pguidEventID` and `QueryForAdditionalItems`'s
//! enumerators without a NULL check; so, as for `ISyncMgrSynchronize`, the
//! exported object implements the interface declared here from the IDL
//! (same IID and vtable as windows-rs's [`ISyncMgrSyncCallback`], to which
//! it casts), whose methods return their `HRESULT` as is, and the import
//! calls the raw vtable slots.
//!
//! What crosses, method by method, is in the docs of the export function.

mod export;
mod handler_abi;
mod handler_export;
mod handler_import;
mod import;
mod items;

pub use export::export_sync_center_callback;
pub(crate) use handler_export::SyncCenterHandlerObject;
pub use handler_export::export_sync_center_handler;
pub use handler_import::ComSyncCenterHandler;
pub use import::{ComSessionObject, ComSyncCenterCallback};

use std::any::Any;
use std::ffi::c_void;
use std::fmt;

use windows::Win32::System::Com::{CoTaskMemAlloc, CoTaskMemFree, IEnumString, IEnumUnknown};
use windows::Win32::UI::Shell::{
    ISyncMgrHandler, ISyncMgrSyncCallback, SYNCMGR_CANCEL_REQUEST, SYNCMGR_EVENT_FLAGS,
    SYNCMGR_EVENT_LEVEL, SYNCMGR_PROGRESS_STATUS,
};
use windows_core::{GUID, HRESULT, IUnknown, Interface, PCWSTR, PWSTR, implement};

use self::abi::{
    IEnumStringAbi, IEnumStringAbi_Impl, IEnumUnknownAbi, IEnumUnknownAbi_Impl,
    ISyncMgrSyncCallbackAbi, ISyncMgrSyncCallbackAbi_Impl,
};
use super::agile::Agile;
use super::convert::{from_guid, from_hresult, to_guid, to_hresult};
use super::cursor::Cursor;
use super::error::{ComError, QuietDrop, drop_quietly, entry};
use super::live::LiveObject;
use super::raw;
use crate::sync::Arc;
use crate::sync_center::{
    CancelRequest, MAX_SYNCMGR_ID, MAX_SYNCMGR_PROGRESSTEXT, SessionObject, SyncCenterCallback,
    SyncCenterEvent, SyncCenterItem, SyncCenterItemId, SyncCenterProgress,
};
use crate::{CallbackError, CanContinue, DecodeError, FailureCode, Guid, HResult};

/// `ISyncMgrSyncCallback`, `IEnumString` and `IEnumUnknown` declared from
/// the IDL with raw pointers and raw `HRESULT`s.
#[allow(non_snake_case, clippy::missing_safety_doc, clippy::too_many_arguments)]
mod abi {
    use std::ffi::c_void;

    use windows::Win32::UI::Shell::{
        SYNCMGR_CANCEL_REQUEST, SYNCMGR_EVENT_FLAGS, SYNCMGR_EVENT_LEVEL, SYNCMGR_PROGRESS_STATUS,
    };
    use windows_core::{GUID, HRESULT, IUnknown, IUnknown_Vtbl, PCWSTR, PWSTR, interface};

    /// `ISyncMgrSyncCallback` (slots 3–12), implemented by Sync Center.
    #[interface("884CCD87-B139-4937-A4BA-4F8E19513FBE")]
    pub(crate) unsafe trait ISyncMgrSyncCallbackAbi: IUnknown {
        fn ReportProgress(
            &self,
            item: PCWSTR,
            text: PCWSTR,
            status: SYNCMGR_PROGRESS_STATUS,
            current: u32,
            max: u32,
            cancel: *mut SYNCMGR_CANCEL_REQUEST,
        ) -> HRESULT;
        fn SetHandlerProgressText(
            &self,
            text: PCWSTR,
            cancel: *mut SYNCMGR_CANCEL_REQUEST,
        ) -> HRESULT;
        fn ReportEvent(
            &self,
            item: PCWSTR,
            level: SYNCMGR_EVENT_LEVEL,
            flags: SYNCMGR_EVENT_FLAGS,
            name: PCWSTR,
            description: PCWSTR,
            link_text: PCWSTR,
            link_reference: PCWSTR,
            context: PCWSTR,
            event_id: *mut GUID,
        ) -> HRESULT;
        fn CanContinue(&self, item: PCWSTR) -> HRESULT;
        fn QueryForAdditionalItems(
            &self,
            item_ids: *mut *mut c_void,
            punks: *mut *mut c_void,
        ) -> HRESULT;
        fn AddItemToSession(&self, item: PCWSTR) -> HRESULT;
        fn AddIUnknownToSession(&self, punk: *mut c_void) -> HRESULT;
        fn ProposeItem(&self, item: *mut c_void) -> HRESULT;
        fn CommitItem(&self, item: PCWSTR) -> HRESULT;
        fn ReportManualSync(&self) -> HRESULT;
    }

    /// `IEnumString` (slots 3–6).
    #[interface("00000101-0000-0000-C000-000000000046")]
    pub(crate) unsafe trait IEnumStringAbi: IUnknown {
        fn Next(&self, celt: u32, items: *mut PWSTR, fetched: *mut u32) -> HRESULT;
        fn Skip(&self, celt: u32) -> HRESULT;
        fn Reset(&self) -> HRESULT;
        fn Clone(&self, clone: *mut *mut c_void) -> HRESULT;
    }

    /// `IEnumUnknown` (slots 3–6).
    #[interface("00000100-0000-0000-C000-000000000046")]
    pub(crate) unsafe trait IEnumUnknownAbi: IUnknown {
        fn Next(&self, celt: u32, items: *mut *mut c_void, fetched: *mut u32) -> HRESULT;
        fn Skip(&self, celt: u32) -> HRESULT;
        fn Reset(&self) -> HRESULT;
        fn Clone(&self, clone: *mut *mut c_void) -> HRESULT;
    }

    /// Our declarations and windows-rs's have the same slots.
    const _: () = {
        use std::mem::size_of;
        assert!(
            size_of::<ISyncMgrSyncCallbackAbi_Vtbl>()
                == size_of::<windows::Win32::UI::Shell::ISyncMgrSyncCallback_Vtbl>()
        );
        assert!(
            size_of::<IEnumStringAbi_Vtbl>()
                == size_of::<windows::Win32::System::Com::IEnumString_Vtbl>()
        );
        assert!(
            size_of::<IEnumUnknownAbi_Vtbl>()
                == size_of::<windows::Win32::System::Com::IEnumUnknown_Vtbl>()
        );
    };
}

/// A decode error of `method`.
fn decode(method: &'static str) -> impl FnOnce(DecodeError) -> ComError {
    move |source| ComError::Decode { method, source }
}

/// The code for a callback's result.
fn code_of<T>(result: Result<T, CallbackError>, ok: impl FnOnce(T) -> HResult) -> HResult {
    match result {
        Ok(value) => ok(value),
        Err(error) => error.hresult(),
    }
}

/// Read the units of an optional string, looking at no more than `limit`
/// units (the NUL included); `None` for NULL.
///
/// # Safety
///
/// `text` is NULL or readable up to its NUL or `limit` units.
unsafe fn read_units(
    method: &'static str,
    field: &'static str,
    text: PCWSTR,
    limit: usize,
) -> Result<Option<Vec<u16>>, ComError> {
    if text.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL; forwarded from the caller.
    unsafe { raw::read_wide_units(method, field, text, limit) }.map(Some)
}

/// Read a required string (NULL is `E_POINTER`) of at most `limit` units.
///
/// # Safety
///
/// As [`read_units`].
unsafe fn read_required_units(
    method: &'static str,
    field: &'static str,
    text: PCWSTR,
    limit: usize,
) -> Result<Vec<u16>, ComError> {
    // SAFETY: forwarded from the caller.
    unsafe { read_units(method, field, text, limit) }?.ok_or(ComError::NullPointer {
        method,
        argument: field,
    })
}

/// Read a required item id: NULL is `E_POINTER`; bad UTF-16, empty or over
/// `MAX_SYNCMGR_ID` units is `E_INVALIDARG`.
///
/// # Safety
///
/// `text` is NULL or readable up to its NUL or 64 units.
unsafe fn read_item_id(method: &'static str, text: PCWSTR) -> Result<SyncCenterItemId, ComError> {
    // SAFETY: forwarded from the caller.
    let units = unsafe { read_required_units(method, "pszItemID", text, MAX_SYNCMGR_ID) }?;
    SyncCenterItemId::from_utf16(&units).map_err(decode(method))
}

/// Read an optional item id: NULL or `""` is `None`, the handler (§B.6).
///
/// # Safety
///
/// As [`read_item_id`].
unsafe fn read_optional_item_id(
    method: &'static str,
    text: PCWSTR,
) -> Result<Option<SyncCenterItemId>, ComError> {
    // SAFETY: forwarded from the caller.
    match unsafe { read_units(method, "pszItemID", text, MAX_SYNCMGR_ID) }? {
        None => Ok(None),
        Some(units) if units.is_empty() => Ok(None),
        Some(units) => SyncCenterItemId::from_utf16(&units)
            .map(Some)
            .map_err(decode(method)),
    }
}
