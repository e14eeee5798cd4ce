//! `ISyncCallback` + `ISyncCallback2` (Windows Sync, [the specification](crate::protocol#windows-sync)) in both
//! directions: [`export_windows_sync_callback`] (a Rust
//! [`WindowsSyncCallback`] as a COM object) and [`ComWindowsSyncCallback`]
//! (a COM object as a Rust [`WindowsSyncCallback`]).
//!
//! Here the application implements the callback and the session calls it
//! (§C.5). Every method answers `S_OK` or a failure; a failure is this
//! crate's abort policy ([§G.8 #57](crate::protocol#rule-57)) and crosses back intact as
//! [`CallbackError::Failed`] (or the kind-specific variant for
//! `E_INVALIDARG`, `E_ACCESSDENIED`, `E_UNEXPECTED`).
//!
//! What crosses, method by method, is in the docs of the export function.

mod export;
mod import;

pub use export::export_windows_sync_callback;
pub use import::ComWindowsSyncCallback;

use std::ffi::c_void;
use std::fmt;

use windows::Win32::System::WindowsSync::{
    ISyncCallback, ISyncCallback_Impl, ISyncCallback2, ISyncCallback2_Impl,
    SYNC_FULL_ENUMERATION_ACTION, SYNC_PROGRESS_STAGE, SYNC_PROVIDER_ROLE, SYNC_RESOLVE_ACTION,
    SYNC_VERSION,
};
use windows_core::{HRESULT, IUnknown, Interface, Ref, implement};

use self::abi::{
    IChangeConflictAbi, IChangeConflictAbi_Impl, IRecoverableErrorAbi, IRecoverableErrorAbi_Impl,
    ISyncChangeAbi, ISyncChangeAbi_Impl,
};
use super::agile::Agile;
use super::convert::{answer, from_hresult, to_hresult};
use super::error::{ComError, QuietDrop, entry};
use super::live::LiveObject;
use crate::sync::{Arc, Mutex};
use crate::windows_sync::{
    ChangeConflict, ChangeFlags, FullEnumerationAction, ProgressStage, RecoverableError,
    ResolveAction, SessionStatistics, SyncChange, WindowsSyncCallback, WindowsSyncProgress,
};
use crate::{CallbackError, DecodeError, FailureCode, HResult};

/// `ISyncChange`, `IChangeConflict` and `IRecoverableError` declared from
/// winsync.h's vtable order ([the specification](crate::protocol#windows-sync): the windows-rs order, not
/// mingw's) with raw pointers and raw `HRESULT`s.
#[allow(non_snake_case, clippy::missing_safety_doc)]
mod abi {
    use std::ffi::c_void;

    use windows::Win32::System::WindowsSync::{
        SYNC_PROGRESS_STAGE, SYNC_PROVIDER_ROLE, SYNC_RESOLVE_ACTION, SYNC_VERSION,
    };
    use windows_core::{HRESULT, IUnknown, IUnknown_Vtbl, interface};

    /// `ISyncChange` (slots 3–12).
    #[interface("A1952BEB-0F6B-4711-B136-01DA85B968A6")]
    pub(crate) unsafe trait ISyncChangeAbi: IUnknown {
        fn GetOwnerReplicaId(&self, id: *mut u8, size: *mut u32) -> HRESULT;
        fn GetRootItemId(&self, id: *mut u8, size: *mut u32) -> HRESULT;
        fn GetChangeVersion(&self, replica: *const u8, version: *mut SYNC_VERSION) -> HRESULT;
        fn GetCreationVersion(&self, replica: *const u8, version: *mut SYNC_VERSION) -> HRESULT;
        fn GetFlags(&self, flags: *mut u32) -> HRESULT;
        fn GetWorkEstimate(&self, work: *mut u32) -> HRESULT;
        fn GetChangeUnits(&self, units: *mut *mut c_void) -> HRESULT;
        fn GetMadeWithKnowledge(&self, knowledge: *mut *mut c_void) -> HRESULT;
        fn GetLearnedKnowledge(&self, knowledge: *mut *mut c_void) -> HRESULT;
        fn SetWorkEstimate(&self, work: u32) -> HRESULT;
    }

    /// `IChangeConflict` (slots 3–10).
    #[interface("014EBF97-9F20-4F7A-BDD4-25979C77C002")]
    pub(crate) unsafe trait IChangeConflictAbi: IUnknown {
        fn GetDestinationProviderConflictingChange(&self, change: *mut *mut c_void) -> HRESULT;
        fn GetSourceProviderConflictingChange(&self, change: *mut *mut c_void) -> HRESULT;
        fn GetDestinationProviderConflictingData(&self, data: *mut *mut c_void) -> HRESULT;
        fn GetSourceProviderConflictingData(&self, data: *mut *mut c_void) -> HRESULT;
        fn GetResolveActionForChange(&self, action: *mut SYNC_RESOLVE_ACTION) -> HRESULT;
        fn SetResolveActionForChange(&self, action: SYNC_RESOLVE_ACTION) -> HRESULT;
        fn GetResolveActionForChangeUnit(
            &self,
            unit: *mut c_void,
            action: *mut SYNC_RESOLVE_ACTION,
        ) -> HRESULT;
        fn SetResolveActionForChangeUnit(
            &self,
            unit: *mut c_void,
            action: SYNC_RESOLVE_ACTION,
        ) -> HRESULT;
    }

    /// `IRecoverableError` (slots 3–7).
    #[interface("0F5625E8-0A7B-45EE-9637-1CE13645909E")]
    pub(crate) unsafe trait IRecoverableErrorAbi: IUnknown {
        fn GetStage(&self, stage: *mut SYNC_PROGRESS_STAGE) -> HRESULT;
        fn GetProvider(&self, role: *mut SYNC_PROVIDER_ROLE) -> HRESULT;
        fn GetChangeWithRecoverableError(&self, change: *mut *mut c_void) -> HRESULT;
        fn GetRecoverableErrorDataForChange(
            &self,
            error: *mut HRESULT,
            data: *mut *mut c_void,
        ) -> HRESULT;
        fn GetRecoverableErrorDataForChangeUnit(
            &self,
            unit: *mut c_void,
            error: *mut HRESULT,
            data: *mut *mut c_void,
        ) -> HRESULT;
    }

    /// Our declarations and windows-rs's have the same slots.
    const _: () = {
        use std::mem::size_of;
        use windows::Win32::System::WindowsSync as ws;
        assert!(size_of::<ISyncChangeAbi_Vtbl>() == size_of::<ws::ISyncChange_Vtbl>());
        assert!(size_of::<IChangeConflictAbi_Vtbl>() == size_of::<ws::IChangeConflict_Vtbl>());
        assert!(size_of::<IRecoverableErrorAbi_Vtbl>() == size_of::<ws::IRecoverableError_Vtbl>());
    };
}

/// `HRESULT_FROM_WIN32(ERROR_MORE_DATA)`: the buffer is too small.
const E_MORE_DATA: HResult = HResult::from_u32(0x8007_00EA);

/// The code for a callback's result.
fn code_of<T>(result: Result<T, CallbackError>, ok: impl FnOnce(T) -> HResult) -> HResult {
    match result {
        Ok(value) => ok(value),
        Err(error) => error.hresult(),
    }
}

/// A decode error of `method`.
fn decode(method: &'static str) -> impl FnOnce(DecodeError) -> ComError {
    move |source| ComError::Decode { method, source }
}

/// Fail with the peer's code unless it is `S_OK`.
fn peer_ok(method: &'static str, code: HRESULT) -> Result<(), ComError> {
    let code = from_hresult(code);
    if code.is_s_ok() {
        Ok(())
    } else {
        Err(ComError::from_code(method, code))
    }
}

/// Take an `[out]` interface pointer a peer returned with `code`: an owned
/// `T`, or the peer's failure (a NULL on success is `E_POINTER`).
///
/// # Safety
///
/// `raw` is NULL or an owned reference to a `T`.
unsafe fn take<T: Interface>(
    method: &'static str,
    argument: &'static str,
    code: HRESULT,
    raw: *mut c_void,
) -> Result<T, ComError> {
    // SAFETY: NULL or owned (the caller's guarantee); owning it releases it
    // on every path.
    let object = unsafe { (!raw.is_null()).then(|| T::from_raw(raw)) };
    peer_ok(method, code)?;
    object.ok_or(ComError::NullPointer { method, argument })
}

/// Read the crate's view of an `ISyncChange` (see `export_windows_sync_callback`).
fn read_change(method: &'static str, change: &ISyncChangeAbi) -> Result<SyncChange, ComError> {
    let mut id = [0u8; 8];
    let mut size = id.len() as u32;
    // SAFETY: a live object, its own slot, an 8-byte buffer and its size.
    let code =
        unsafe { (change.vtable().GetRootItemId)(change.as_raw(), id.as_mut_ptr(), &mut size) };
    if from_hresult(code) == E_MORE_DATA {
        return Err(ComError::InvalidArgument {
            method,
            reason: format!("the change's root item id has {size} bytes; the model holds 8"),
        });
    }
    peer_ok(method, code)?;
    let size = (size as usize).min(id.len());
    let mut bytes = [0u8; 8];
    bytes[..size].copy_from_slice(&id[..size]);
    let mut flags = 0u32;
    // SAFETY: a live object, its own slot, a writable DWORD.
    peer_ok(method, unsafe {
        (change.vtable().GetFlags)(change.as_raw(), &mut flags)
    })?;
    Ok(SyncChange {
        item: u64::from_le_bytes(bytes),
        flags: ChangeFlags::decode(flags).map_err(decode(method))?,
    })
}
