//! The Sync Center handler interfaces declared from the SDK metadata
//! (windows-rs's generated `Win32::UI::Shell`, same IIDs and vtables) with
//! raw pointers and raw `HRESULT`s: `ISyncMgrHandler`,
//! `ISyncMgrHandlerInfo`, `ISyncMgrSyncItemContainer`,
//! `IEnumSyncMgrSyncItems`, `ISyncMgrSyncItem`, `ISyncMgrSyncItemInfo` and
//! `ISyncMgrSessionCreator`.
//!
//! Declared here, as `ISyncMgrSyncCallback` is, because windows-rs's
//! generated `_Impl` shims write `[out]` pointers without a NULL check and
//! fold `S_FALSE` (`IsActive`, `IsEnabled`, `IsConnected`, `Next`, `Skip`)
//! into `Ok(())` (see the [specification](crate::protocol#sync-center)).
#![allow(non_snake_case, clippy::missing_safety_doc)]

use std::ffi::c_void;

use windows::Win32::Foundation::{FILETIME, HWND};
use windows::Win32::UI::Shell::{
    SYNCMGR_HANDLER_CAPABILITIES, SYNCMGR_HANDLER_POLICIES, SYNCMGR_HANDLER_TYPE,
    SYNCMGR_ITEM_CAPABILITIES, SYNCMGR_ITEM_POLICIES,
};
use windows_core::{BOOL, GUID, HRESULT, IUnknown, IUnknown_Vtbl, PCWSTR, PWSTR, interface};

/// `ISyncMgrHandler` (slots 3–10), implemented by a handler.
#[interface("04EC2E43-AC77-49F9-9B98-0307EF7A72A2")]
pub(crate) unsafe trait ISyncMgrHandlerAbi: IUnknown {
    fn GetName(&self, name: *mut PWSTR) -> HRESULT;
    fn GetHandlerInfo(&self, info: *mut *mut c_void) -> HRESULT;
    fn GetObject(&self, object: *const GUID, riid: *const GUID, ppv: *mut *mut c_void) -> HRESULT;
    fn GetCapabilities(&self, capabilities: *mut SYNCMGR_HANDLER_CAPABILITIES) -> HRESULT;
    fn GetPolicies(&self, policies: *mut SYNCMGR_HANDLER_POLICIES) -> HRESULT;
    fn Activate(&self, activate: BOOL) -> HRESULT;
    fn Enable(&self, enable: BOOL) -> HRESULT;
    fn Synchronize(
        &self,
        items: *const PCWSTR,
        count: u32,
        owner: HWND,
        creator: *mut c_void,
        punk: *mut c_void,
    ) -> HRESULT;
}

/// `ISyncMgrHandlerInfo` (slots 3–9), implemented by a handler.
#[interface("4FF1D798-ECF7-4524-AA81-1E362A0AEF3A")]
pub(crate) unsafe trait ISyncMgrHandlerInfoAbi: IUnknown {
    fn GetType(&self, handler_type: *mut SYNCMGR_HANDLER_TYPE) -> HRESULT;
    fn GetTypeLabel(&self, label: *mut PWSTR) -> HRESULT;
    fn GetComment(&self, comment: *mut PWSTR) -> HRESULT;
    fn GetLastSyncTime(&self, time: *mut FILETIME) -> HRESULT;
    fn IsActive(&self) -> HRESULT;
    fn IsEnabled(&self) -> HRESULT;
    fn IsConnected(&self) -> HRESULT;
}

/// `ISyncMgrSyncItemContainer` (slots 3–5), implemented by a handler.
#[interface("90701133-BE32-4129-A65C-99E616CAFFF4")]
pub(crate) unsafe trait ISyncMgrSyncItemContainerAbi: IUnknown {
    fn GetSyncItem(&self, item: PCWSTR, out: *mut *mut c_void) -> HRESULT;
    fn GetSyncItemEnumerator(&self, out: *mut *mut c_void) -> HRESULT;
    fn GetSyncItemCount(&self, count: *mut u32) -> HRESULT;
}

/// `IEnumSyncMgrSyncItems` (slots 3–6), implemented by a handler.
#[interface("54B3ABF3-F085-4181-B546-E29C403C726B")]
pub(crate) unsafe trait IEnumSyncMgrSyncItemsAbi: IUnknown {
    fn Next(&self, celt: u32, items: *mut *mut c_void, fetched: *mut u32) -> HRESULT;
    fn Skip(&self, celt: u32) -> HRESULT;
    fn Reset(&self) -> HRESULT;
    fn Clone(&self, clone: *mut *mut c_void) -> HRESULT;
}

/// `ISyncMgrSyncItem` (slots 3–10), implemented by a handler.
#[interface("B20B24CE-2593-4F04-BD8B-7AD6C45051CD")]
pub(crate) unsafe trait ISyncMgrSyncItemAbi: IUnknown {
    fn GetItemID(&self, id: *mut PWSTR) -> HRESULT;
    fn GetName(&self, name: *mut PWSTR) -> HRESULT;
    fn GetItemInfo(&self, info: *mut *mut c_void) -> HRESULT;
    fn GetObject(&self, object: *const GUID, riid: *const GUID, ppv: *mut *mut c_void) -> HRESULT;
    fn GetCapabilities(&self, capabilities: *mut SYNCMGR_ITEM_CAPABILITIES) -> HRESULT;
    fn GetPolicies(&self, policies: *mut SYNCMGR_ITEM_POLICIES) -> HRESULT;
    fn Enable(&self, enable: BOOL) -> HRESULT;
    fn Delete(&self) -> HRESULT;
}

/// `ISyncMgrSyncItemInfo` (slots 3–7), implemented by a handler.
#[interface("E7FD9502-BE0C-4464-90A1-2B5277031232")]
pub(crate) unsafe trait ISyncMgrSyncItemInfoAbi: IUnknown {
    fn GetTypeLabel(&self, label: *mut PWSTR) -> HRESULT;
    fn GetComment(&self, comment: *mut PWSTR) -> HRESULT;
    fn GetLastSyncTime(&self, time: *mut FILETIME) -> HRESULT;
    fn IsEnabled(&self) -> HRESULT;
    fn IsConnected(&self) -> HRESULT;
}

/// `ISyncMgrSessionCreator` (slot 3), implemented by Sync Center.
#[interface("17F48517-F305-4321-A08D-B25A834918FD")]
pub(crate) unsafe trait ISyncMgrSessionCreatorAbi: IUnknown {
    fn CreateSession(
        &self,
        handler: PCWSTR,
        items: *const PCWSTR,
        count: u32,
        callback: *mut *mut c_void,
    ) -> HRESULT;
}

/// Our declarations and windows-rs's have the same slots.
const _: () = {
    use std::mem::size_of;
    use windows::Win32::UI::Shell as shell;
    assert!(size_of::<ISyncMgrHandlerAbi_Vtbl>() == size_of::<shell::ISyncMgrHandler_Vtbl>());
    assert!(
        size_of::<ISyncMgrHandlerInfoAbi_Vtbl>() == size_of::<shell::ISyncMgrHandlerInfo_Vtbl>()
    );
    assert!(
        size_of::<ISyncMgrSyncItemContainerAbi_Vtbl>()
            == size_of::<shell::ISyncMgrSyncItemContainer_Vtbl>()
    );
    assert!(
        size_of::<IEnumSyncMgrSyncItemsAbi_Vtbl>()
            == size_of::<shell::IEnumSyncMgrSyncItems_Vtbl>()
    );
    assert!(size_of::<ISyncMgrSyncItemAbi_Vtbl>() == size_of::<shell::ISyncMgrSyncItem_Vtbl>());
    assert!(
        size_of::<ISyncMgrSyncItemInfoAbi_Vtbl>() == size_of::<shell::ISyncMgrSyncItemInfo_Vtbl>()
    );
    assert!(
        size_of::<ISyncMgrSessionCreatorAbi_Vtbl>()
            == size_of::<shell::ISyncMgrSessionCreator_Vtbl>()
    );
};
