//! Export: a Rust [`WindowsSyncCallback`] served as an `ISyncCallback` /
//! `ISyncCallback2` COM object.

#[allow(clippy::wildcard_imports)]
use super::*;

/// Expose `callback` as a real `ISyncCallback` object, which also answers
/// `ISyncCallback2` (cast for `OnChangeApplied` / `OnChangeFailed`).
///
/// Every method answers `S_OK`, or the callback's error as
/// [`CallbackError::hresult`] (the crate's abort policy, [§G.8 #57](crate::protocol#rule-57)).
/// `OnProgress` decodes its role and stage strictly (`E_INVALIDARG`,
/// [§G.8 #52](crate::protocol#rule-52)); `OnFullEnumerationNeeded` writes the callback's action
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
/// as `Some(action)`, or `None` when it set none ([§G.8 #54](crate::protocol#rule-54)), and an
/// `OnFullEnumerationNeeded` answer out of range as `SFEA_ABORT`
/// ([`FullEnumerationAction::from_u32_lenient`], [§G.8 #55](crate::protocol#rule-55)). The out value
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
