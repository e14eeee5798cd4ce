//! Import: an `ISyncCallback` from COM, called from Rust as a
//! [`WindowsSyncCallback`], with the change and conflict objects it is given.

#[allow(clippy::wildcard_imports)]
use super::*;

/// A COM `ISyncCallback` (an application's callback) as a Rust
/// [`WindowsSyncCallback`], for a session that calls it.
///
/// Each call goes through the raw vtable slot and reads the raw `HRESULT`.
/// A failure code is the application's abort ([§G.8 #57](crate::protocol#rule-57)) and comes back as
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
/// [module docs](crate::com)); it holds one reference until it is dropped.
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
    /// ([`ApartmentProblem::NotEntered`](crate::com::ApartmentProblem::NotEntered)),
    /// or the object is in the neutral apartment and cannot be marshaled,
    /// or (an STA object) the thread's message-only window could not be
    /// made. Which apartment rule applies is in the [module docs](crate::com).
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
