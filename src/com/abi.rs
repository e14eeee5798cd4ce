//! `ISyncMgrSynchronize` and `ISyncMgrEnumItems` declared from the IDL
//! ([the specification](crate::protocol#syncmgr)) for the exported handler, and the first slot of
//! `IMarshal` (to recognise the free-threaded marshaler).
//!
//! Same IIDs and vtable layouts as the `windows` crate's types, so an object
//! implementing these answers `QueryInterface` for the `windows` types too.
//! Declared here because windows-rs's generated `_Impl` shims for these two
//! interfaces write `[out]` pointers (`GetHandlerInfo`, `EnumSyncMgrItems`,
//! `Clone`) without checking them for NULL, and return `Result<()>`; these
//! declarations hand the raw pointers and the raw `HRESULT` to our code.
#![allow(non_snake_case, clippy::missing_safety_doc)]

use std::ffi::c_void;

use windows::Win32::Foundation::HWND;
use windows::Win32::UI::Shell::{
    SYNCMGRHANDLERINFO, SYNCMGRITEM, SYNCMGRLOGERRORINFO, SYNCMGRPROGRESSITEM,
};
use windows_core::{GUID, HRESULT, IUnknown, IUnknown_Vtbl, interface};

use crate::{
    SIZE_SYNCMGRHANDLERINFO, SIZE_SYNCMGRITEM, SIZE_SYNCMGRLOGERRORINFO, SIZE_SYNCMGRPROGRESSITEM,
};

/// `ISyncMgrSynchronize` (slots 3–12), implemented by a handler.
#[interface("6295DF40-35EE-11D1-8707-00C04FD93327")]
pub(crate) unsafe trait ISyncMgrSynchronizeAbi: IUnknown {
    fn Initialize(&self, reserved: u32, flags: u32, cb_cookie: u32, cookie: *const u8) -> HRESULT;
    fn GetHandlerInfo(&self, info: *mut *mut SYNCMGRHANDLERINFO) -> HRESULT;
    fn EnumSyncMgrItems(&self, items: *mut *mut c_void) -> HRESULT;
    fn GetItemObject(
        &self,
        item: *const GUID,
        riid: *const GUID,
        object: *mut *mut c_void,
    ) -> HRESULT;
    fn ShowProperties(&self, parent: HWND, item: *const GUID) -> HRESULT;
    fn SetProgressCallback(&self, callback: *mut c_void) -> HRESULT;
    fn PrepareForSync(
        &self,
        count: u32,
        items: *const GUID,
        parent: HWND,
        reserved: u32,
    ) -> HRESULT;
    fn Synchronize(&self, parent: HWND) -> HRESULT;
    fn SetItemStatus(&self, item: *const GUID, status: u32) -> HRESULT;
    fn ShowError(&self, parent: HWND, error: *const GUID) -> HRESULT;
}

/// `ISyncMgrEnumItems` (slots 3–6), implemented by a handler.
#[interface("6295DF2A-35EE-11D1-8707-00C04FD93327")]
pub(crate) unsafe trait ISyncMgrEnumItemsAbi: IUnknown {
    fn Next(&self, celt: u32, items: *mut SYNCMGRITEM, fetched: *mut u32) -> HRESULT;
    fn Skip(&self, celt: u32) -> HRESULT;
    fn Reset(&self) -> HRESULT;
    fn Clone(&self, clone: *mut *mut c_void) -> HRESULT;
}

/// The first method of `IMarshal`, all this module asks of it.
#[interface("00000003-0000-0000-C000-000000000046")]
pub(crate) unsafe trait IMarshalAbi: IUnknown {
    fn GetUnmarshalClass(
        &self,
        riid: *const GUID,
        pv: *const c_void,
        dest_context: u32,
        pv_dest_context: *const c_void,
        flags: u32,
        clsid: *mut GUID,
    ) -> HRESULT;
}

/// The crate's measured `cbSize` values (§A.5) agree with the layouts the
/// bindings use, on the architecture being compiled.
const _: () = {
    use std::mem::size_of;
    assert!(size_of::<SYNCMGRPROGRESSITEM>() == SIZE_SYNCMGRPROGRESSITEM.current() as usize);
    assert!(size_of::<SYNCMGRLOGERRORINFO>() == SIZE_SYNCMGRLOGERRORINFO.current() as usize);
    assert!(size_of::<SYNCMGRITEM>() == SIZE_SYNCMGRITEM.current() as usize);
    assert!(size_of::<SYNCMGRHANDLERINFO>() == SIZE_SYNCMGRHANDLERINFO.current() as usize);
    // Our declarations and windows-rs's have the same slots.
    assert!(
        size_of::<ISyncMgrSynchronizeAbi_Vtbl>()
            == size_of::<windows::Win32::UI::Shell::ISyncMgrSynchronize_Vtbl>()
    );
    assert!(
        size_of::<ISyncMgrEnumItemsAbi_Vtbl>()
            == size_of::<windows::Win32::UI::Shell::ISyncMgrEnumItems_Vtbl>()
    );
    assert!(size_of::<IUnknown_Vtbl>() == 3 * size_of::<usize>());
};
