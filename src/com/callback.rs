//! `ISyncMgrSynchronizeCallback` in both directions: [`export_callback`]
//! (a Rust [`SyncCallback`] as a COM object) and [`ComCallback`] (a COM
//! object as a Rust [`SyncCallback`]).

use std::fmt;

use windows::Win32::UI::Shell::{
    ISyncMgrSynchronizeCallback, ISyncMgrSynchronizeCallback_Impl, SYNCMGRLOGERRORINFO,
    SYNCMGRPROGRESSITEM,
};
use windows_core::{BOOL, GUID, HRESULT, Interface, PCWSTR, implement};

use super::agile::Agile;
use super::convert::{answer, from_hresult, to_guid, to_hresult};
use super::error::{ComError, QuietDrop, entry};
use super::live::LiveObject;
use super::raw::{self, reserved};
use crate::sync::Arc;
use crate::{
    CallbackError, CancelDecision, ErrorId, HResult, ItemId, LogErrorInfo, LogLevel,
    ModelessAnswer, SyncCallback, SyncMgrProgress,
};

/// The code for a callback's result.
fn code_of<T>(result: Result<T, CallbackError>, ok: impl FnOnce(T) -> HResult) -> HResult {
    match result {
        Ok(value) => ok(value),
        Err(error) => error.hresult(),
    }
}

/// Expose `callback` as a real `ISyncMgrSynchronizeCallback` object.
///
/// `Progress` answers exactly `S_OK`, `S_SYNCMGR_CANCELITEM` or
/// `S_SYNCMGR_CANCELALL` ([`CancelDecision::to_hresult`]); `EnableModeless`
/// answers `S_OK` or `S_FALSE`; a refused call answers
/// [`CallbackError::hresult`]. Arguments are checked first (see the
/// [module docs](super)): a NULL `ItemID` answers `E_POINTER`, a NULL
/// progress item is passed on as `None` (a cancellation poll), a bad
/// `cbSize`, mask, status or text answers `E_INVALIDARG` without calling
/// `callback`, and a panic in `callback` answers `E_UNEXPECTED`.
///
/// The object is agile and holds `callback` until its last COM reference is
/// released.
pub fn export_callback(callback: Arc<dyn SyncCallback>) -> ISyncMgrSynchronizeCallback {
    CallbackObject {
        callback: QuietDrop::new(callback),
        _live: LiveObject::new(),
    }
    .into()
}

#[implement(ISyncMgrSynchronizeCallback)]
struct CallbackObject {
    callback: QuietDrop<Arc<dyn SyncCallback>>,
    _live: LiveObject,
}

impl CallbackObject {
    /// Run `body` on the callback inside the panic guard.
    fn with(
        &self,
        method: &'static str,
        body: impl FnOnce(&dyn SyncCallback) -> Result<HResult, ComError>,
    ) -> windows_core::Result<()> {
        answer(entry(method, || match self.callback.get() {
            Some(callback) => body(&**callback),
            None => Ok(HResult::E_UNEXPECTED),
        }))
    }
}

impl ISyncMgrSynchronizeCallback_Impl for CallbackObject_Impl {
    fn ShowPropertiesCompleted(&self, hr: HRESULT) -> windows_core::Result<()> {
        self.with("ShowPropertiesCompleted", |cb| {
            Ok(code_of(
                cb.show_properties_completed(from_hresult(hr)),
                |()| HResult::S_OK,
            ))
        })
    }

    fn PrepareForSyncCompleted(&self, hr: HRESULT) -> windows_core::Result<()> {
        self.with("PrepareForSyncCompleted", |cb| {
            Ok(code_of(
                cb.prepare_for_sync_completed(from_hresult(hr)),
                |()| HResult::S_OK,
            ))
        })
    }

    fn SynchronizeCompleted(&self, hr: HRESULT) -> windows_core::Result<()> {
        self.with("SynchronizeCompleted", |cb| {
            Ok(code_of(cb.synchronize_completed(from_hresult(hr)), |()| {
                HResult::S_OK
            }))
        })
    }

    fn ShowErrorCompleted(
        &self,
        hr: HRESULT,
        citems: u32,
        pitemids: *const GUID,
    ) -> windows_core::Result<()> {
        const METHOD: &str = "ShowErrorCompleted";
        self.with(METHOD, |cb| {
            let outcome = from_hresult(hr);
            // The items matter, and are read, only with RETRYSYNC (§E.2).
            let items: Vec<ItemId> = if outcome == HResult::S_SYNCMGR_RETRYSYNC {
                // SAFETY: `[size_is(cItems)]`: COM's caller passes NULL or
                // `citems` GUIDs.
                unsafe { raw::read_guids(METHOD, "pItemIDs", citems, pitemids) }?
                    .into_iter()
                    .map(ItemId::from_guid)
                    .collect()
            } else {
                Vec::new()
            };
            Ok(code_of(cb.show_error_completed(outcome, &items), |()| {
                HResult::S_OK
            }))
        })
    }

    fn EnableModeless(&self, fenable: BOOL) -> windows_core::Result<()> {
        self.with("EnableModeless", |cb| {
            Ok(code_of(
                cb.enable_modeless(fenable.as_bool()),
                ModelessAnswer::to_hresult,
            ))
        })
    }

    fn Progress(
        &self,
        itemid: *const GUID,
        psyncprogressitem: *const SYNCMGRPROGRESSITEM,
    ) -> windows_core::Result<()> {
        const METHOD: &str = "Progress";
        self.with(METHOD, |cb| {
            // SAFETY: a REFGUID is NULL (refused) or a readable GUID.
            let item = ItemId::from_guid(unsafe { raw::read_guid(METHOD, "ItemID", itemid) }?);
            // SAFETY: `[unique]`: NULL (a pure poll) or a SYNCMGRPROGRESSITEM
            // whose text, if flagged, is terminated.
            let report = unsafe { raw::read_progress(METHOD, psyncprogressitem) }?;
            Ok(code_of(
                cb.progress(item, report.as_ref()),
                CancelDecision::to_hresult,
            ))
        })
    }

    fn LogError(
        &self,
        dwerrorlevel: u32,
        pszerrortext: &PCWSTR,
        psynclogerror: *const SYNCMGRLOGERRORINFO,
    ) -> windows_core::Result<()> {
        const METHOD: &str = "LogError";
        self.with(METHOD, |cb| {
            let level = LogLevel::try_from(dwerrorlevel).map_err(|source| ComError::Decode {
                method: METHOD,
                source,
            })?;
            // SAFETY: the text is required and terminated (NULL is refused).
            let text = unsafe { raw::read_text(METHOD, "pszErrorText", *pszerrortext) }?;
            // SAFETY: `[unique]`: NULL or a SYNCMGRLOGERRORINFO.
            let info = unsafe { raw::read_log_info(METHOD, psynclogerror) }?;
            Ok(code_of(cb.log_error(level, &text, info.as_ref()), |()| {
                HResult::S_OK
            }))
        })
    }

    fn DeleteLogError(&self, errorid: *const GUID, dwreserved: u32) -> windows_core::Result<()> {
        const METHOD: &str = "DeleteLogError";
        self.with(METHOD, |cb| {
            reserved(METHOD, "dwReserved", dwreserved)?;
            // SAFETY: a REFGUID is NULL (refused) or a readable GUID.
            let error = ErrorId::from_guid(unsafe { raw::read_guid(METHOD, "ErrorID", errorid) }?);
            Ok(code_of(cb.delete_log_error(error), |()| HResult::S_OK))
        })
    }

    fn EstablishConnection(
        &self,
        pwszconnection: &PCWSTR,
        dwreserved: u32,
    ) -> windows_core::Result<()> {
        const METHOD: &str = "EstablishConnection";
        self.with(METHOD, |cb| {
            reserved(METHOD, "dwReserved", dwreserved)?;
            // SAFETY: `[unique]`: NULL (the default connection) or terminated.
            let name =
                unsafe { raw::read_optional_text(METHOD, "pwszConnection", *pwszconnection) }?;
            Ok(code_of(cb.establish_connection(name.as_deref()), |()| {
                HResult::S_OK
            }))
        })
    }
}

/// A COM `ISyncMgrSynchronizeCallback` (a host's callback) as a Rust
/// [`SyncCallback`], for a Rust handler.
///
/// Each call goes through the raw vtable slot and reads the raw `HRESULT`,
/// so `Progress`'s `S_SYNCMGR_CANCELITEM` and `S_SYNCMGR_CANCELALL` arrive
/// as [`CancelDecision`]s and `EnableModeless`'s `S_FALSE` as
/// [`ModelessAnswer::Refused`], where windows-rs's `Progress` and
/// `EnableModeless` return `Ok(())` for all of them.
///
/// | method | answers | becomes |
/// |---|---|---|
/// | `progress` | `S_OK`, `S_SYNCMGR_CANCELITEM`, `S_SYNCMGR_CANCELALL` | that [`CancelDecision`] |
/// | `enable_modeless` | `S_OK`, `S_FALSE` | that [`ModelessAnswer`] |
/// | the others | any success code | `Ok(())` (no decision is carried) |
/// | any | a failure code | the [`CallbackError`] for it ([`ComError`]'s conversion) |
/// | `progress`, `enable_modeless` | another success code | [`CallbackError::Unexpected`] |
///
/// The object is held by COM's apartment rules, so that any thread may call
/// it (see the [module docs](super)): a `ComCallback` is `Send + Sync`; an
/// ordinary host callback received on an STA thread is called on that
/// thread (which must pump messages), one received in the MTA from MTA
/// threads. It holds one reference to the object until it is dropped (the
/// reference to an STA object is released on its thread).
pub struct ComCallback {
    callback: Agile<ISyncMgrSynchronizeCallback>,
    _live: LiveObject,
}

impl fmt::Debug for ComCallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ComCallback").finish_non_exhaustive()
    }
}

impl ComCallback {
    /// Wrap `callback`.
    ///
    /// # Errors
    ///
    /// The calling thread is in no apartment
    /// ([`ApartmentProblem::NotEntered`](super::ApartmentProblem::NotEntered)),
    /// or the object is in the neutral apartment and cannot be marshaled,
    /// or (an STA object) the thread's message-only window could not be
    /// made. Which apartment rule applies is in the [module docs](super).
    pub fn new(callback: &ISyncMgrSynchronizeCallback) -> Result<Self, ComError> {
        Ok(Self {
            callback: Agile::new("ComCallback::new", callback)?,
            _live: LiveObject::new(),
        })
    }
}

impl SyncCallback for ComCallback {
    fn show_properties_completed(&self, outcome: HResult) -> Result<(), CallbackError> {
        self.callback.call_checked("ShowPropertiesCompleted", |cb| {
            // SAFETY: a live interface pointer and its own vtable slot.
            unsafe { (cb.vtable().ShowPropertiesCompleted)(cb.as_raw(), to_hresult(outcome)) }
        })
    }

    fn prepare_for_sync_completed(&self, outcome: HResult) -> Result<(), CallbackError> {
        self.callback.call_checked("PrepareForSyncCompleted", |cb| {
            // SAFETY: a live interface pointer and its own vtable slot.
            unsafe { (cb.vtable().PrepareForSyncCompleted)(cb.as_raw(), to_hresult(outcome)) }
        })
    }

    fn synchronize_completed(&self, outcome: HResult) -> Result<(), CallbackError> {
        self.callback.call_checked("SynchronizeCompleted", |cb| {
            // SAFETY: a live interface pointer and its own vtable slot.
            unsafe { (cb.vtable().SynchronizeCompleted)(cb.as_raw(), to_hresult(outcome)) }
        })
    }

    fn show_error_completed(
        &self,
        outcome: HResult,
        retry_items: &[ItemId],
    ) -> Result<(), CallbackError> {
        const METHOD: &str = "ShowErrorCompleted";
        let items: Vec<GUID> = retry_items.iter().map(|i| to_guid(i.to_guid())).collect();
        let count = u32::try_from(items.len()).map_err(|_| ComError::InvalidArgument {
            method: METHOD,
            reason: format!("{} items do not fit a ULONG", items.len()),
        })?;
        let ptr = if items.is_empty() {
            std::ptr::null()
        } else {
            items.as_ptr()
        };
        self.callback.call_checked(METHOD, |cb| {
            // SAFETY: a live interface pointer and its own vtable slot;
            // `ptr` is NULL or `count` GUIDs alive for the call.
            unsafe {
                (cb.vtable().ShowErrorCompleted)(cb.as_raw(), to_hresult(outcome), count, ptr)
            }
        })
    }

    fn enable_modeless(&self, enable: bool) -> Result<ModelessAnswer, CallbackError> {
        const METHOD: &str = "EnableModeless";
        let code = self.callback.call_raw(METHOD, |cb| {
            // SAFETY: a live interface pointer and its own vtable slot.
            unsafe { (cb.vtable().EnableModeless)(cb.as_raw(), BOOL::from(enable)) }
        })?;
        ModelessAnswer::from_hresult(code).ok_or_else(|| {
            if code.is_failure() {
                ComError::from_code(METHOD, code).into()
            } else {
                ComError::UnexpectedReply {
                    method: METHOD,
                    code,
                    expected: "S_OK or S_FALSE",
                }
                .into()
            }
        })
    }

    fn progress(
        &self,
        item: ItemId,
        progress: Option<&SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError> {
        const METHOD: &str = "Progress";
        let id = to_guid(item.to_guid());
        // `_text` keeps the status text alive for the call.
        let (raw_item, _text) = match progress {
            Some(report) => {
                let (raw_item, text) = raw::progress_to_abi(report);
                (Some(raw_item), text)
            }
            None => (None, None),
        };
        let ptr = raw_item
            .as_ref()
            .map_or(std::ptr::null(), std::ptr::from_ref);
        let code = self.callback.call_raw(METHOD, |cb| {
            // SAFETY: a live interface pointer and its own vtable slot; `id`,
            // the item and its text outlive the call; NULL is a legal poll.
            unsafe { (cb.vtable().Progress)(cb.as_raw(), &id, ptr) }
        })?;
        CancelDecision::from_hresult(code).map_err(|_| {
            if code.is_failure() {
                ComError::from_code(METHOD, code).into()
            } else {
                ComError::UnexpectedReply {
                    method: METHOD,
                    code,
                    expected: "S_OK, S_SYNCMGR_CANCELITEM or S_SYNCMGR_CANCELALL",
                }
                .into()
            }
        })
    }

    fn log_error(
        &self,
        level: LogLevel,
        text: &str,
        info: Option<&LogErrorInfo>,
    ) -> Result<(), CallbackError> {
        const METHOD: &str = "LogError";
        let text = raw::wide(METHOD, "pszErrorText", text)?;
        let info = info.map(raw::log_info_to_abi);
        let info_ptr = info.as_ref().map_or(std::ptr::null(), std::ptr::from_ref);
        self.callback.call_checked(METHOD, |cb| {
            // SAFETY: a live interface pointer and its own vtable slot; the
            // text is terminated and alive, the info NULL or alive.
            unsafe {
                (cb.vtable().LogError)(cb.as_raw(), level.as_u32(), PCWSTR(text.as_ptr()), info_ptr)
            }
        })
    }

    fn delete_log_error(&self, error: ErrorId) -> Result<(), CallbackError> {
        let id = to_guid(error.to_guid());
        self.callback.call_checked("DeleteLogError", |cb| {
            // SAFETY: a live interface pointer and its own vtable slot; `id`
            // outlives the call.
            unsafe { (cb.vtable().DeleteLogError)(cb.as_raw(), &id, 0) }
        })
    }

    fn establish_connection(&self, connection: Option<&str>) -> Result<(), CallbackError> {
        const METHOD: &str = "EstablishConnection";
        let name = connection
            .map(|c| raw::wide(METHOD, "pwszConnection", c))
            .transpose()?;
        let ptr = name.as_ref().map_or(PCWSTR::null(), |n| PCWSTR(n.as_ptr()));
        self.callback.call_checked(METHOD, |cb| {
            // SAFETY: a live interface pointer and its own vtable slot; the
            // name is NULL or terminated and alive.
            unsafe { (cb.vtable().EstablishConnection)(cb.as_raw(), ptr, 0) }
        })
    }
}
