//! `ISyncCallback` + `ISyncCallback2` (Windows Sync, FACTS.md §C.2) in both
//! directions: [`export_windows_sync_callback`] (a Rust
//! [`WindowsSyncCallback`] as a COM object) and [`ComWindowsSyncCallback`]
//! (a COM object as a Rust [`WindowsSyncCallback`]).
//!
//! Here the application implements the callback and the session calls it
//! (§C.5). Every method answers `S_OK` or a failure; a failure is this
//! crate's abort policy (§G.8 #57) and crosses back intact as
//! [`CallbackError::Failed`] (or the kind-specific variant for
//! `E_INVALIDARG`, `E_ACCESSDENIED`, `E_UNEXPECTED`).
//!
//! What crosses, method by method, is in the docs of the export function.

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
/// winsync.h's vtable order (FACTS.md §C.6: the windows-rs order, not
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

/// Expose `callback` as a real `ISyncCallback` object, which also answers
/// `ISyncCallback2` (cast for `OnChangeApplied` / `OnChangeFailed`).
///
/// Every method answers `S_OK`, or the callback's error as
/// [`CallbackError::hresult`] (the crate's abort policy, §G.8 #57).
/// `OnProgress` decodes its role and stage strictly (`E_INVALIDARG`,
/// §G.8 #52); `OnFullEnumerationNeeded` writes the callback's action
/// through its out pointer (NULL answers `E_POINTER`); `OnConflict` calls
/// `SetResolveActionForChange` on the conflict with the callback's action
/// when it is `Some`, and answers that call's failure if it fails (what is
/// read from the COM objects is below). A panic answers `E_UNEXPECTED`.
///
/// The object is agile and holds `callback` until its last COM reference is
/// released.
///
/// # What is modelled
///
/// `OnChange`, `OnConflict` and `OnRecoverableError` take COM objects. The
/// crate's views of them ([`SyncChange`], [`ChangeConflict`],
/// [`RecoverableError`]) are minimal, and so is what crosses:
///
/// | object | read at the export (raw vtable calls) | served by the import's objects |
/// |---|---|---|
/// | `ISyncChange` | `GetRootItemId` (an id of at most 8 bytes, little-endian, as [`SyncChange::item`]; a longer id answers `E_INVALIDARG`, since the crate's model cannot hold it) and `GetFlags` (strict [`ChangeFlags`]) | those two (`GetRootItemId` writes 8 bytes, and answers `HRESULT_FROM_WIN32(ERROR_MORE_DATA)` with the size for a smaller buffer); the rest `E_NOTIMPL` |
/// | `IChangeConflict` | both conflicting changes; after the callback, `SetResolveActionForChange` with its answer when it is `Some` | both changes, `Get`/`SetResolveActionForChange` (`SRA_LAST` and above answer `E_INVALIDARG`); the data and change-unit methods `E_NOTIMPL` |
/// | `IRecoverableError` | `GetStage`, the change's item, and the failure code of `GetRecoverableErrorDataForChange` (the data object is released unread) | those; `GetProvider` and the change-unit method `E_NOTIMPL` (the model has no provider role here) |
///
/// The import reads the action the COM callback set on the conflict back
/// as `Some(action)`, or `None` when it set none (§G.8 #54), and an
/// `OnFullEnumerationNeeded` answer out of range as `SFEA_ABORT`
/// ([`FullEnumerationAction::from_u32_lenient`], §G.8 #55). The out value
/// is pre-set to [`FullEnumerationAction::DEFAULT`] before the call.
///
/// At the export a NULL object or out pointer answers `E_POINTER`, a role,
/// stage or flag outside §C.3 `E_INVALIDARG`, and a panic `E_UNEXPECTED`.
pub fn export_windows_sync_callback(callback: Arc<dyn WindowsSyncCallback>) -> ISyncCallback {
    let object: ISyncCallback2 = WindowsSyncObject {
        callback: QuietDrop::new(callback),
        _live: LiveObject::new(),
    }
    .into();
    object.into()
}

#[implement(ISyncCallback2)]
struct WindowsSyncObject {
    callback: QuietDrop<Arc<dyn WindowsSyncCallback>>,
    _live: LiveObject,
}

impl WindowsSyncObject {
    /// Run `body` on the callback inside the panic guard.
    fn with(
        &self,
        method: &'static str,
        body: impl FnOnce(&dyn WindowsSyncCallback) -> Result<HResult, ComError>,
    ) -> windows_core::Result<()> {
        answer(entry(method, || match self.callback.get() {
            Some(callback) => body(&**callback),
            None => Ok(HResult::E_UNEXPECTED),
        }))
    }
}

/// The raw pointer of a required interface argument (NULL is `E_POINTER`).
fn required<T: Interface>(
    method: &'static str,
    argument: &'static str,
    object: &Ref<'_, T>,
) -> Result<*mut c_void, ComError> {
    object
        .as_ref()
        .map(Interface::as_raw)
        .ok_or(ComError::NullPointer { method, argument })
}

/// Borrow `raw` as interface `T` for the duration of `body`.
///
/// # Safety
///
/// `raw` is a live interface pointer of type `T` (or of a type whose
/// vtable begins with `T`'s) for the duration of the call.
unsafe fn borrowed<T: Interface, R>(raw: *mut c_void, body: impl FnOnce(&T) -> R) -> R {
    // SAFETY: non-NULL (the caller's guarantee) and borrowed, not owned.
    let object = unsafe { T::from_raw_borrowed(&raw) };
    body(object.unwrap_or_else(|| unreachable!("checked non-NULL")))
}

impl ISyncCallback_Impl for WindowsSyncObject_Impl {
    fn OnProgress(
        &self,
        provider: SYNC_PROVIDER_ROLE,
        syncstage: SYNC_PROGRESS_STAGE,
        dwcompletedwork: u32,
        dwtotalwork: u32,
    ) -> windows_core::Result<()> {
        const METHOD: &str = "OnProgress";
        self.with(METHOD, |cb| {
            let progress = WindowsSyncProgress::from_raw(
                provider.0 as u32,
                syncstage.0 as u32,
                dwcompletedwork,
                dwtotalwork,
            )
            .map_err(decode(METHOD))?;
            Ok(code_of(cb.on_progress(&progress), |()| HResult::S_OK))
        })
    }

    fn OnChange(
        &self,
        psyncchange: Ref<'_, windows::Win32::System::WindowsSync::ISyncChange>,
    ) -> windows_core::Result<()> {
        const METHOD: &str = "OnChange";
        self.with(METHOD, |cb| {
            let raw = required(METHOD, "pSyncChange", &psyncchange)?;
            // SAFETY: a live ISyncChange for the call (same vtable as ours).
            let change = unsafe { borrowed(raw, |c: &ISyncChangeAbi| read_change(METHOD, c)) }?;
            Ok(code_of(cb.on_change(&change), |()| HResult::S_OK))
        })
    }

    fn OnConflict(
        &self,
        pconflict: Ref<'_, windows::Win32::System::WindowsSync::IChangeConflict>,
    ) -> windows_core::Result<()> {
        const METHOD: &str = "OnConflict";
        self.with(METHOD, |cb| {
            let raw = required(METHOD, "pConflict", &pconflict)?;
            // SAFETY: a live IChangeConflict for the call (same vtable).
            unsafe { borrowed(raw, |c: &IChangeConflictAbi| resolve(METHOD, cb, c)) }
        })
    }

    fn OnFullEnumerationNeeded(
        &self,
        pfullenumerationaction: *mut SYNC_FULL_ENUMERATION_ACTION,
    ) -> windows_core::Result<()> {
        const METHOD: &str = "OnFullEnumerationNeeded";
        self.with(METHOD, |cb| {
            if pfullenumerationaction.is_null() {
                return Err(ComError::NullPointer {
                    method: METHOD,
                    argument: "pFullEnumerationAction",
                });
            }
            Ok(match cb.on_full_enumeration_needed() {
                Ok(action) => {
                    let value = SYNC_FULL_ENUMERATION_ACTION(action.as_u32() as i32);
                    // SAFETY: `[out]`, checked non-NULL: writable.
                    unsafe { pfullenumerationaction.write_unaligned(value) };
                    HResult::S_OK
                }
                Err(error) => error.hresult(),
            })
        })
    }

    fn OnRecoverableError(
        &self,
        precoverableerror: Ref<'_, windows::Win32::System::WindowsSync::IRecoverableError>,
    ) -> windows_core::Result<()> {
        const METHOD: &str = "OnRecoverableError";
        self.with(METHOD, |cb| {
            let raw = required(METHOD, "pRecoverableError", &precoverableerror)?;
            // SAFETY: a live IRecoverableError for the call (same vtable).
            let error =
                unsafe { borrowed(raw, |e: &IRecoverableErrorAbi| read_recoverable(METHOD, e)) }?;
            Ok(code_of(cb.on_recoverable_error(&error), |()| HResult::S_OK))
        })
    }
}

/// `OnConflict`'s body: read both changes, ask `cb`, and set its action on
/// the conflict.
fn resolve(
    method: &'static str,
    cb: &dyn WindowsSyncCallback,
    conflict: &IChangeConflictAbi,
) -> Result<HResult, ComError> {
    type Slot = unsafe extern "system" fn(*mut c_void, *mut *mut c_void) -> HRESULT;
    let change = |slot: Slot, argument| {
        let mut raw = std::ptr::null_mut();
        // SAFETY: a live object, one of its own slots, a writable out
        // pointer.
        let code = unsafe { slot(conflict.as_raw(), &mut raw) };
        // SAFETY: NULL or an owned ISyncChange.
        let change: ISyncChangeAbi = unsafe { take(method, argument, code, raw) }?;
        read_change(method, &change)
    };
    let vtable = conflict.vtable();
    let view = ChangeConflict {
        source: change(vtable.GetSourceProviderConflictingChange, "source change")?,
        destination: change(
            vtable.GetDestinationProviderConflictingChange,
            "destination change",
        )?,
    };
    let action = match cb.on_conflict(&view) {
        Ok(action) => action,
        Err(error) => return Ok(error.hresult()),
    };
    if let Some(action) = action {
        let value = SYNC_RESOLVE_ACTION(action.as_u32() as i32);
        // SAFETY: a live object and its own slot.
        let code =
            from_hresult(unsafe { (vtable.SetResolveActionForChange)(conflict.as_raw(), value) });
        if code.is_failure() {
            return Ok(code);
        }
    }
    Ok(HResult::S_OK)
}

/// Read the crate's view of an `IRecoverableError` (see `export_windows_sync_callback`).
fn read_recoverable(
    method: &'static str,
    error: &IRecoverableErrorAbi,
) -> Result<RecoverableError, ComError> {
    let vtable = error.vtable();
    let mut stage = SYNC_PROGRESS_STAGE(-1);
    // SAFETY: a live object, its own slot, a writable out value.
    peer_ok(method, unsafe {
        (vtable.GetStage)(error.as_raw(), &mut stage)
    })?;
    let stage = ProgressStage::try_from(stage.0 as u32).map_err(decode(method))?;
    let mut raw = std::ptr::null_mut();
    // SAFETY: a live object, its own slot, a writable out pointer.
    let code = unsafe { (vtable.GetChangeWithRecoverableError)(error.as_raw(), &mut raw) };
    // SAFETY: NULL or an owned ISyncChange.
    let change: ISyncChangeAbi = unsafe { take(method, "change", code, raw) }?;
    let item = read_change(method, &change)?.item;
    let mut failure = HRESULT(0);
    let mut data = std::ptr::null_mut();
    // SAFETY: a live object, its own slot, writable out values.
    let code = unsafe {
        (vtable.GetRecoverableErrorDataForChange)(error.as_raw(), &mut failure, &mut data)
    };
    if !data.is_null() {
        // SAFETY: an owned reference the peer handed out; released unread.
        drop(unsafe { IUnknown::from_raw(data) });
    }
    peer_ok(method, code)?;
    let code =
        FailureCode::new(from_hresult(failure)).ok_or_else(|| ComError::InvalidArgument {
            method,
            reason: format!(
                "the recoverable error's code {} is not a failure",
                from_hresult(failure)
            ),
        })?;
    Ok(RecoverableError { item, stage, code })
}

impl ISyncCallback2_Impl for WindowsSyncObject_Impl {
    fn OnChangeApplied(
        &self,
        dwchangesapplied: u32,
        dwchangesfailed: u32,
    ) -> windows_core::Result<()> {
        self.with("OnChangeApplied", |cb| {
            let totals = SessionStatistics {
                changes_applied: dwchangesapplied,
                changes_failed: dwchangesfailed,
            };
            Ok(code_of(cb.on_change_applied(totals), |()| HResult::S_OK))
        })
    }

    fn OnChangeFailed(
        &self,
        dwchangesapplied: u32,
        dwchangesfailed: u32,
    ) -> windows_core::Result<()> {
        self.with("OnChangeFailed", |cb| {
            let totals = SessionStatistics {
                changes_applied: dwchangesapplied,
                changes_failed: dwchangesfailed,
            };
            Ok(code_of(cb.on_change_failed(totals), |()| HResult::S_OK))
        })
    }
}

/// A COM `ISyncCallback` (an application's callback) as a Rust
/// [`WindowsSyncCallback`], for a session that calls it.
///
/// Each call goes through the raw vtable slot and reads the raw `HRESULT`.
/// A failure code is the application's abort (§G.8 #57) and comes back as
/// the [`CallbackError`] for it: [`CallbackError::Failed`] with the same
/// code, or `InvalidArgument` / `AccessDenied` / `Unexpected` for
/// `E_INVALIDARG` / `E_ACCESSDENIED` / `E_UNEXPECTED` (whose
/// [`CallbackError::hresult`] is the same code). A success code is `Ok`.
///
/// `on_change_applied` and `on_change_failed` call `ISyncCallback2` when the
/// object answers it, and are `Ok(())` without a call otherwise (the
/// session calls only what the application implements). The COM objects
/// `OnChange`, `OnConflict` and `OnRecoverableError` receive are described
/// in the docs of [`export_windows_sync_callback`].
///
/// The object is held so that any thread may call it (see the
/// [module docs](super)); it holds one reference until it is dropped.
pub struct ComWindowsSyncCallback {
    callback: Agile<ISyncCallback>,
    callback2: Option<Agile<ISyncCallback2>>,
    _live: LiveObject,
}

impl fmt::Debug for ComWindowsSyncCallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ComWindowsSyncCallback")
            .field("callback2", &self.callback2.is_some())
            .finish_non_exhaustive()
    }
}

impl ComWindowsSyncCallback {
    /// Wrap `callback` (and its `ISyncCallback2`, when it has one).
    ///
    /// # Errors
    ///
    /// The calling thread is in no apartment
    /// ([`ApartmentProblem::NotEntered`](super::ApartmentProblem::NotEntered)),
    /// or the object is in the neutral apartment and cannot be marshaled,
    /// or (an STA object) the thread's message-only window could not be
    /// made. Which apartment rule applies is in the [module docs](super).
    pub fn new(callback: &ISyncCallback) -> Result<Self, ComError> {
        const METHOD: &str = "ComWindowsSyncCallback::new";
        let callback2 = match callback.cast::<ISyncCallback2>() {
            Ok(callback2) => Some(Agile::new(METHOD, &callback2)?),
            Err(_) => None,
        };
        Ok(Self {
            callback: Agile::new(METHOD, callback)?,
            callback2,
            _live: LiveObject::new(),
        })
    }

    /// Call an `ISyncCallback2` method, if the object has that interface.
    fn call2(
        &self,
        method: &'static str,
        call: impl FnOnce(&ISyncCallback2) -> HRESULT,
    ) -> Result<(), CallbackError> {
        match &self.callback2 {
            Some(callback2) => callback2.call_checked(method, call),
            None => Ok(()),
        }
    }
}

impl WindowsSyncCallback for ComWindowsSyncCallback {
    fn on_progress(&self, progress: &WindowsSyncProgress) -> Result<(), CallbackError> {
        let role = SYNC_PROVIDER_ROLE(progress.role.as_u32() as i32);
        let stage = SYNC_PROGRESS_STAGE(progress.stage.as_u32() as i32);
        self.callback.call_checked("OnProgress", |cb| {
            // SAFETY: a live interface pointer and its own vtable slot.
            unsafe {
                (cb.vtable().OnProgress)(
                    cb.as_raw(),
                    role,
                    stage,
                    progress.completed,
                    progress.total,
                )
            }
        })
    }

    fn on_change(&self, change: &SyncChange) -> Result<(), CallbackError> {
        let object: ISyncChangeAbi = ChangeObject::new(*change).into();
        self.callback.call_checked("OnChange", |cb| {
            // SAFETY: a live interface pointer and its own vtable slot; the
            // change object is alive for the call.
            unsafe { (cb.vtable().OnChange)(cb.as_raw(), object.as_raw()) }
        })
    }

    fn on_conflict(
        &self,
        conflict: &ChangeConflict,
    ) -> Result<Option<ResolveAction>, CallbackError> {
        let action = Arc::new(Mutex::new(None));
        let object: IChangeConflictAbi = ConflictObject {
            conflict: *conflict,
            action: Arc::clone(&action),
            _live: LiveObject::new(),
        }
        .into();
        self.callback.call_checked::<ComError>("OnConflict", |cb| {
            // SAFETY: a live interface pointer and its own vtable slot; the
            // conflict object is alive for the call.
            unsafe { (cb.vtable().OnConflict)(cb.as_raw(), object.as_raw()) }
        })?;
        let answer = *action.lock();
        Ok(answer)
    }

    fn on_full_enumeration_needed(&self) -> Result<FullEnumerationAction, CallbackError> {
        let mut action =
            SYNC_FULL_ENUMERATION_ACTION(FullEnumerationAction::DEFAULT.as_u32() as i32);
        self.callback
            .call_checked::<ComError>("OnFullEnumerationNeeded", |cb| {
                // SAFETY: a live interface pointer and its own vtable slot; a
                // writable out value.
                unsafe { (cb.vtable().OnFullEnumerationNeeded)(cb.as_raw(), &mut action) }
            })?;
        Ok(FullEnumerationAction::from_u32_lenient(action.0 as u32))
    }

    fn on_recoverable_error(&self, error: &RecoverableError) -> Result<(), CallbackError> {
        let object: IRecoverableErrorAbi = RecoverableErrorObject {
            error: *error,
            _live: LiveObject::new(),
        }
        .into();
        self.callback.call_checked("OnRecoverableError", |cb| {
            // SAFETY: a live interface pointer and its own vtable slot; the
            // error object is alive for the call.
            unsafe { (cb.vtable().OnRecoverableError)(cb.as_raw(), object.as_raw()) }
        })
    }

    fn on_change_applied(&self, totals: SessionStatistics) -> Result<(), CallbackError> {
        self.call2("OnChangeApplied", |cb| {
            // SAFETY: a live interface pointer and its own vtable slot.
            unsafe {
                (cb.vtable().OnChangeApplied)(
                    cb.as_raw(),
                    totals.changes_applied,
                    totals.changes_failed,
                )
            }
        })
    }

    fn on_change_failed(&self, totals: SessionStatistics) -> Result<(), CallbackError> {
        self.call2("OnChangeFailed", |cb| {
            // SAFETY: a live interface pointer and its own vtable slot.
            unsafe {
                (cb.vtable().OnChangeFailed)(
                    cb.as_raw(),
                    totals.changes_applied,
                    totals.changes_failed,
                )
            }
        })
    }
}

/// Write an owned interface through a required `[out]` pointer.
///
/// # Safety
///
/// `out` is NULL or writable.
unsafe fn write_out<T: Interface>(
    method: &'static str,
    argument: &'static str,
    out: *mut *mut c_void,
    object: T,
) -> Result<HResult, ComError> {
    if out.is_null() {
        return Err(ComError::NullPointer { method, argument });
    }
    // SAFETY: non-NULL `[out]`; receives an owned reference.
    unsafe { out.write(object.into_raw()) };
    Ok(HResult::S_OK)
}

/// Clear an `[out]` interface pointer and answer `E_NOTIMPL`.
///
/// # Safety
///
/// `out` is NULL or writable.
unsafe fn not_modelled(out: *mut *mut c_void) -> HRESULT {
    if !out.is_null() {
        // SAFETY: non-NULL `[out]`.
        unsafe { out.write(std::ptr::null_mut()) };
    }
    to_hresult(HResult::E_NOTIMPL)
}

/// The `ISyncChange` the import hands to `OnChange` (and inside a conflict
/// or a recoverable error).
#[implement(ISyncChangeAbi)]
struct ChangeObject {
    change: SyncChange,
    _live: LiveObject,
}

impl ChangeObject {
    fn new(change: SyncChange) -> Self {
        Self {
            change,
            _live: LiveObject::new(),
        }
    }
}

impl ISyncChangeAbi_Impl for ChangeObject_Impl {
    unsafe fn GetOwnerReplicaId(&self, _id: *mut u8, _size: *mut u32) -> HRESULT {
        to_hresult(HResult::E_NOTIMPL)
    }

    unsafe fn GetRootItemId(&self, id: *mut u8, size: *mut u32) -> HRESULT {
        const METHOD: &str = "GetRootItemId";
        to_hresult(entry(METHOD, || {
            if size.is_null() {
                return Err(ComError::NullPointer {
                    method: METHOD,
                    argument: "pcbIdSize",
                });
            }
            let bytes = self.change.item.to_le_bytes();
            // SAFETY: `[in, out]`, non-NULL: readable and writable.
            let room = unsafe { size.read_unaligned() };
            // SAFETY: as above.
            unsafe { size.write_unaligned(bytes.len() as u32) };
            if id.is_null() || (room as usize) < bytes.len() {
                return Ok(E_MORE_DATA);
            }
            // SAFETY: the caller's buffer holds `room` ≥ 8 bytes.
            unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), id, bytes.len()) };
            Ok(HResult::S_OK)
        }))
    }

    unsafe fn GetChangeVersion(&self, _replica: *const u8, _version: *mut SYNC_VERSION) -> HRESULT {
        to_hresult(HResult::E_NOTIMPL)
    }

    unsafe fn GetCreationVersion(
        &self,
        _replica: *const u8,
        _version: *mut SYNC_VERSION,
    ) -> HRESULT {
        to_hresult(HResult::E_NOTIMPL)
    }

    unsafe fn GetFlags(&self, flags: *mut u32) -> HRESULT {
        const METHOD: &str = "GetFlags";
        to_hresult(entry(METHOD, || {
            if flags.is_null() {
                return Err(ComError::NullPointer {
                    method: METHOD,
                    argument: "pdwFlags",
                });
            }
            // SAFETY: non-NULL `[out]`.
            unsafe { flags.write_unaligned(self.change.flags.bits()) };
            Ok(HResult::S_OK)
        }))
    }

    unsafe fn GetWorkEstimate(&self, _work: *mut u32) -> HRESULT {
        to_hresult(HResult::E_NOTIMPL)
    }

    unsafe fn GetChangeUnits(&self, units: *mut *mut c_void) -> HRESULT {
        // SAFETY: forwarded `[out]`: NULL or writable.
        unsafe { not_modelled(units) }
    }

    unsafe fn GetMadeWithKnowledge(&self, knowledge: *mut *mut c_void) -> HRESULT {
        // SAFETY: forwarded `[out]`: NULL or writable.
        unsafe { not_modelled(knowledge) }
    }

    unsafe fn GetLearnedKnowledge(&self, knowledge: *mut *mut c_void) -> HRESULT {
        // SAFETY: forwarded `[out]`: NULL or writable.
        unsafe { not_modelled(knowledge) }
    }

    unsafe fn SetWorkEstimate(&self, _work: u32) -> HRESULT {
        to_hresult(HResult::E_NOTIMPL)
    }
}

/// The `IChangeConflict` the import hands to `OnConflict`; it records the
/// action the callback sets.
#[implement(IChangeConflictAbi)]
struct ConflictObject {
    conflict: ChangeConflict,
    action: Arc<Mutex<Option<ResolveAction>>>,
    _live: LiveObject,
}

impl ConflictObject_Impl {
    fn change(&self, method: &'static str, out: *mut *mut c_void, change: SyncChange) -> HRESULT {
        to_hresult(entry(method, || {
            let object: ISyncChangeAbi = ChangeObject::new(change).into();
            // SAFETY: `[out]`: NULL (refused) or writable.
            unsafe { write_out(method, "ppConflictingChange", out, object) }
        }))
    }
}

impl IChangeConflictAbi_Impl for ConflictObject_Impl {
    unsafe fn GetDestinationProviderConflictingChange(&self, change: *mut *mut c_void) -> HRESULT {
        self.change(
            "GetDestinationProviderConflictingChange",
            change,
            self.conflict.destination,
        )
    }

    unsafe fn GetSourceProviderConflictingChange(&self, change: *mut *mut c_void) -> HRESULT {
        self.change(
            "GetSourceProviderConflictingChange",
            change,
            self.conflict.source,
        )
    }

    unsafe fn GetDestinationProviderConflictingData(&self, data: *mut *mut c_void) -> HRESULT {
        // SAFETY: forwarded `[out]`: NULL or writable.
        unsafe { not_modelled(data) }
    }

    unsafe fn GetSourceProviderConflictingData(&self, data: *mut *mut c_void) -> HRESULT {
        // SAFETY: forwarded `[out]`: NULL or writable.
        unsafe { not_modelled(data) }
    }

    unsafe fn GetResolveActionForChange(&self, action: *mut SYNC_RESOLVE_ACTION) -> HRESULT {
        const METHOD: &str = "GetResolveActionForChange";
        to_hresult(entry(METHOD, || {
            if action.is_null() {
                return Err(ComError::NullPointer {
                    method: METHOD,
                    argument: "pResolveAction",
                });
            }
            // Not set yet: SRA_DEFER, the engine's default.
            let value = self.action.lock().unwrap_or(ResolveAction::Defer);
            // SAFETY: non-NULL `[out]`.
            unsafe { action.write_unaligned(SYNC_RESOLVE_ACTION(value.as_u32() as i32)) };
            Ok(HResult::S_OK)
        }))
    }

    unsafe fn SetResolveActionForChange(&self, action: SYNC_RESOLVE_ACTION) -> HRESULT {
        const METHOD: &str = "SetResolveActionForChange";
        to_hresult(entry(METHOD, || {
            let action = ResolveAction::try_from(action.0 as u32).map_err(decode(METHOD))?;
            *self.action.lock() = Some(action);
            Ok(HResult::S_OK)
        }))
    }

    unsafe fn GetResolveActionForChangeUnit(
        &self,
        _unit: *mut c_void,
        _action: *mut SYNC_RESOLVE_ACTION,
    ) -> HRESULT {
        to_hresult(HResult::E_NOTIMPL)
    }

    unsafe fn SetResolveActionForChangeUnit(
        &self,
        _unit: *mut c_void,
        _action: SYNC_RESOLVE_ACTION,
    ) -> HRESULT {
        to_hresult(HResult::E_NOTIMPL)
    }
}

/// The `IRecoverableError` the import hands to `OnRecoverableError`.
#[implement(IRecoverableErrorAbi)]
struct RecoverableErrorObject {
    error: RecoverableError,
    _live: LiveObject,
}

impl IRecoverableErrorAbi_Impl for RecoverableErrorObject_Impl {
    unsafe fn GetStage(&self, stage: *mut SYNC_PROGRESS_STAGE) -> HRESULT {
        const METHOD: &str = "GetStage";
        to_hresult(entry(METHOD, || {
            if stage.is_null() {
                return Err(ComError::NullPointer {
                    method: METHOD,
                    argument: "pStage",
                });
            }
            let value = SYNC_PROGRESS_STAGE(self.error.stage.as_u32() as i32);
            // SAFETY: non-NULL `[out]`.
            unsafe { stage.write_unaligned(value) };
            Ok(HResult::S_OK)
        }))
    }

    unsafe fn GetProvider(&self, _role: *mut SYNC_PROVIDER_ROLE) -> HRESULT {
        to_hresult(HResult::E_NOTIMPL)
    }

    unsafe fn GetChangeWithRecoverableError(&self, change: *mut *mut c_void) -> HRESULT {
        const METHOD: &str = "GetChangeWithRecoverableError";
        to_hresult(entry(METHOD, || {
            let object: ISyncChangeAbi = ChangeObject::new(SyncChange::new(self.error.item)).into();
            // SAFETY: `[out]`: NULL (refused) or writable.
            unsafe { write_out(METHOD, "ppChangeWithRecoverableError", change, object) }
        }))
    }

    unsafe fn GetRecoverableErrorDataForChange(
        &self,
        error: *mut HRESULT,
        data: *mut *mut c_void,
    ) -> HRESULT {
        const METHOD: &str = "GetRecoverableErrorDataForChange";
        to_hresult(entry(METHOD, || {
            if error.is_null() {
                return Err(ComError::NullPointer {
                    method: METHOD,
                    argument: "phrError",
                });
            }
            // SAFETY: non-NULL `[out]`.
            unsafe { error.write_unaligned(to_hresult(self.error.code.get())) };
            if !data.is_null() {
                // The error data is not modelled: none.
                // SAFETY: non-NULL `[out]`.
                unsafe { data.write(std::ptr::null_mut()) };
            }
            Ok(HResult::S_OK)
        }))
    }

    unsafe fn GetRecoverableErrorDataForChangeUnit(
        &self,
        _unit: *mut c_void,
        _error: *mut HRESULT,
        data: *mut *mut c_void,
    ) -> HRESULT {
        // SAFETY: forwarded `[out]`: NULL or writable.
        unsafe { not_modelled(data) }
    }
}
