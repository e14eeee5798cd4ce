//! Import: an `ISyncMgrSyncCallback` (and a session object) from COM,
//! called from Rust as a [`SyncCenterCallback`].

#[allow(clippy::wildcard_imports)]
use super::*;

/// A COM object given to `AddIUnknownToSession`, as a [`SessionObject`]
/// holds it: `Send + Sync`, usable from any thread that entered COM.
///
/// [`ComSyncCenterCallback::add_object_to_session`] passes it on as the
/// COM object itself.
pub struct ComSessionObject {
    object: Agile<IUnknown>,
    _live: LiveObject,
}

impl fmt::Debug for ComSessionObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ComSessionObject").finish_non_exhaustive()
    }
}

impl ComSessionObject {
    pub(super) fn new(method: &'static str, object: &IUnknown) -> Result<Self, ComError> {
        Ok(Self {
            object: Agile::new(method, object)?,
            _live: LiveObject::new(),
        })
    }

    /// Hold `object` as a session object.
    ///
    /// # Errors
    ///
    /// As [`ComSyncCenterCallback::new`].
    pub fn from_unknown(object: &IUnknown) -> Result<Self, ComError> {
        Self::new("ComSessionObject::from_unknown", object)
    }

    /// The object (or a proxy to it) for the calling thread.
    ///
    /// # Errors
    ///
    /// The object cannot be handed to this thread by COM's rules
    /// ([`ComError::Apartment`]): it belongs to another thread's STA and
    /// cannot be marshaled, or to the MTA and this thread is in an STA; or
    /// the Global Interface Table failed.
    pub fn get(&self) -> Result<IUnknown, ComError> {
        self.object.get("ComSessionObject::get")
    }
}

/// A COM `ISyncMgrSyncCallback` (Sync Center's session) as a Rust
/// [`SyncCenterCallback`], for a Rust handler.
///
/// Each call goes through the raw vtable slot and reads the raw `HRESULT`:
///
/// | method | reads | becomes |
/// |---|---|---|
/// | `report_progress`, `set_handler_progress_text` | `*pnCancelRequest` after a success code | that [`CancelRequest`]; an out-of-range value is [`CallbackError::Unexpected`] |
/// | `can_continue` | `S_OK`, `S_FALSE` | [`CanContinue::Continue`], [`CanContinue::Stop`]; another success code is [`CallbackError::Unexpected`] |
/// | `report_event` | `*pguidEventID` | the event id |
/// | `query_for_additional_items` | `S_FALSE` / `S_OK` and the `IEnumString` | the ids (an id that does not decode is [`CallbackError::Unexpected`]) |
/// | `propose_item` | — | not modelled: [`CallbackError::Failed`]`(E_NOTIMPL)` without a call |
/// | any | a failure code | the [`CallbackError`] for it (`E_INVALIDARG`, `E_ACCESSDENIED`, `E_UNEXPECTED` by kind, others [`CallbackError::Failed`]) |
///
/// `pnCancelRequest` is initialised to `SYNCMGR_CR_NONE` before each call,
/// so a host that writes nothing means "carry on". The object is held so
/// that any thread may call it (see the [module docs](crate::com)); it holds one
/// reference until it is dropped.
pub struct ComSyncCenterCallback {
    callback: Agile<ISyncMgrSyncCallback>,
    _live: LiveObject,
}

impl fmt::Debug for ComSyncCenterCallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ComSyncCenterCallback")
            .finish_non_exhaustive()
    }
}

impl ComSyncCenterCallback {
    /// Wrap `callback`.
    ///
    /// # Errors
    ///
    /// The calling thread is in no apartment
    /// ([`ApartmentProblem::NotEntered`](crate::com::ApartmentProblem::NotEntered)),
    /// or the object is in the neutral apartment and cannot be marshaled,
    /// or (an STA object) the thread's message-only window could not be
    /// made. Which apartment rule applies is in the [module docs](crate::com).
    pub fn new(callback: &ISyncMgrSyncCallback) -> Result<Self, ComError> {
        Ok(Self {
            callback: Agile::new("ComSyncCenterCallback::new", callback)?,
            _live: LiveObject::new(),
        })
    }

    /// A method answering a cancel request through `pnCancelRequest`.
    fn with_cancel(
        &self,
        method: &'static str,
        call: impl FnOnce(&ISyncMgrSyncCallback, *mut SYNCMGR_CANCEL_REQUEST) -> HRESULT,
    ) -> Result<CancelRequest, CallbackError> {
        let mut request = SYNCMGR_CANCEL_REQUEST(0);
        self.callback
            .call_checked::<ComError>(method, |cb| call(cb, &mut request))?;
        let value = request.0 as u32;
        CancelRequest::try_from(value).map_err(|_| {
            ComError::UnexpectedReply {
                method,
                code: HResult(request.0),
                expected: "SYNCMGR_CR_NONE, SYNCMGR_CR_CANCEL_ITEM or SYNCMGR_CR_CANCEL_ALL in *pnCancelRequest",
            }
            .into()
        })
    }

    /// The most ids read from one `QueryForAdditionalItems` enumerator;
    /// more is refused as a runaway enumerator.
    pub const MAX_ADDITIONAL_ITEMS: usize = 65_536;

    /// Read the ids of an `IEnumString` (freeing each), at most
    /// [`MAX_ADDITIONAL_ITEMS`](Self::MAX_ADDITIONAL_ITEMS).
    fn read_strings(
        method: &'static str,
        strings: &IEnumString,
    ) -> Result<Vec<SyncCenterItemId>, ComError> {
        let mut ids = Vec::new();
        loop {
            if ids.len() >= Self::MAX_ADDITIONAL_ITEMS {
                // One more answer would be one too many: ask for it, so an
                // enumerator that has exactly the maximum is accepted.
                let mut text = PWSTR::null();
                let mut fetched = 0u32;
                // SAFETY: as below.
                let code = from_hresult(unsafe {
                    (strings.vtable().Next)(strings.as_raw(), 1, &mut text, &mut fetched)
                });
                if !text.is_null() {
                    // SAFETY: handed out with CoTaskMemAlloc; ours to free.
                    unsafe { CoTaskMemFree(Some(text.0.cast_const().cast())) };
                }
                if code.is_failure() {
                    return Err(ComError::from_code(method, code));
                }
                if fetched == 0 {
                    return Ok(ids);
                }
                return Err(ComError::InvalidArgument {
                    method,
                    reason: format!("more than {} additional items", Self::MAX_ADDITIONAL_ITEMS),
                });
            }
            let mut text = PWSTR::null();
            let mut fetched = 0u32;
            // SAFETY: a live enumerator, its own slot, one writable slot and
            // a writable count.
            let code = from_hresult(unsafe {
                (strings.vtable().Next)(strings.as_raw(), 1, &mut text, &mut fetched)
            });
            if code.is_failure() {
                return Err(ComError::from_code(method, code));
            }
            if fetched == 0 || text.is_null() {
                return Ok(ids);
            }
            // SAFETY: the enumerator handed out a terminated string; at most
            // 64 units are read.
            let units = unsafe {
                raw::read_wide_units(method, "pszItemID", PCWSTR(text.0), MAX_SYNCMGR_ID)
            };
            // SAFETY: the caller frees each string with CoTaskMemFree (§G.7 #48).
            unsafe { CoTaskMemFree(Some(text.0.cast_const().cast())) };
            let id = units.and_then(|u| SyncCenterItemId::from_utf16(&u).map_err(decode(method)));
            ids.push(id.map_err(|e| ComError::UnexpectedReply {
                method,
                code: e.hresult(),
                expected: "item ids of at most 63 UTF-16 units",
            })?);
            if code != HResult::S_OK {
                return Ok(ids);
            }
        }
    }
}

impl SyncCenterCallback for ComSyncCenterCallback {
    fn report_progress(&self, report: &SyncCenterProgress) -> Result<CancelRequest, CallbackError> {
        const METHOD: &str = "ReportProgress";
        let item = report.item().to_utf16z();
        let text = report
            .text()
            .map(|t| raw::wide(METHOD, "pszProgressText", t))
            .transpose()?;
        let text_ptr = text.as_ref().map_or(PCWSTR::null(), |t| PCWSTR(t.as_ptr()));
        let status = SYNCMGR_PROGRESS_STATUS(report.status().as_u32() as i32);
        self.with_cancel(METHOD, |cb, cancel| {
            // SAFETY: a live interface pointer and its own vtable slot; the
            // strings are terminated and alive, `cancel` writable.
            unsafe {
                (cb.vtable().ReportProgress)(
                    cb.as_raw(),
                    PCWSTR(item.as_ptr()),
                    text_ptr,
                    status,
                    report.current_step(),
                    report.max_step(),
                    cancel,
                )
            }
        })
    }

    fn set_handler_progress_text(&self, text: &str) -> Result<CancelRequest, CallbackError> {
        const METHOD: &str = "SetHandlerProgressText";
        let text = raw::wide(METHOD, "pszProgressText", text)?;
        self.with_cancel(METHOD, |cb, cancel| {
            // SAFETY: a live interface pointer and its own vtable slot; the
            // text is terminated and alive, `cancel` writable.
            unsafe {
                (cb.vtable().SetHandlerProgressText)(cb.as_raw(), PCWSTR(text.as_ptr()), cancel)
            }
        })
    }

    fn report_event(&self, event: &SyncCenterEvent) -> Result<Guid, CallbackError> {
        const METHOD: &str = "ReportEvent";
        let opt =
            |field, text: Option<&String>| text.map(|t| raw::wide(METHOD, field, t)).transpose();
        let ptr =
            |text: &Option<Vec<u16>>| text.as_ref().map_or(PCWSTR::null(), |t| PCWSTR(t.as_ptr()));
        let item = event.item.as_ref().map(SyncCenterItemId::to_utf16z);
        let name = raw::wide(METHOD, "pszName", &event.name)?;
        let description = raw::wide(METHOD, "pszDescription", &event.description)?;
        let link_text = opt("pszLinkText", event.link_text.as_ref())?;
        let link_reference = opt("pszLinkReference", event.link_reference.as_ref())?;
        let context = opt("pszContext", event.context.as_ref())?;
        let mut id = GUID::zeroed();
        self.callback.call_checked::<ComError>(METHOD, |cb| {
            // SAFETY: a live interface pointer and its own vtable slot; the
            // strings are NULL or terminated and alive, `id` writable.
            unsafe {
                (cb.vtable().ReportEvent)(
                    cb.as_raw(),
                    ptr(&item),
                    SYNCMGR_EVENT_LEVEL(event.level.as_u32() as i32),
                    SYNCMGR_EVENT_FLAGS(event.flags.bits() as i32),
                    PCWSTR(name.as_ptr()),
                    PCWSTR(description.as_ptr()),
                    ptr(&link_text),
                    ptr(&link_reference),
                    ptr(&context),
                    &mut id,
                )
            }
        })?;
        Ok(from_guid(id))
    }

    fn can_continue(&self, item: Option<&SyncCenterItemId>) -> Result<CanContinue, CallbackError> {
        const METHOD: &str = "CanContinue";
        let item = item.map(SyncCenterItemId::to_utf16z);
        let ptr = item.as_ref().map_or(PCWSTR::null(), |i| PCWSTR(i.as_ptr()));
        let code = self.callback.call_raw(METHOD, |cb| {
            // SAFETY: a live interface pointer and its own vtable slot; the
            // id is NULL (the handler) or terminated and alive.
            unsafe { (cb.vtable().CanContinue)(cb.as_raw(), ptr) }
        })?;
        CanContinue::from_hresult(code).ok_or_else(|| {
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

    fn query_for_additional_items(&self) -> Result<Vec<SyncCenterItemId>, CallbackError> {
        const METHOD: &str = "QueryForAdditionalItems";
        // The enumerators belong to the callback's apartment: they are read
        // and released where the callback is called, in the same call.
        let ids = self.callback.with(METHOD, |cb| {
            let mut strings: *mut c_void = std::ptr::null_mut();
            let mut unknowns: *mut c_void = std::ptr::null_mut();
            // SAFETY: a live interface pointer and its own vtable slot; two
            // writable out pointers.
            let code = from_hresult(unsafe {
                (cb.vtable().QueryForAdditionalItems)(cb.as_raw(), &mut strings, &mut unknowns)
            });
            // SAFETY: each is NULL or an owned reference the callee handed
            // out; taking ownership releases it on every path below.
            let strings = unsafe { (!strings.is_null()).then(|| IEnumString::from_raw(strings)) };
            // SAFETY: as above; the objects are not modelled and released
            // unread.
            let _unknowns =
                unsafe { (!unknowns.is_null()).then(|| IEnumUnknown::from_raw(unknowns)) };
            if code.is_failure() {
                return Err(ComError::from_code(METHOD, code));
            }
            match (code, strings) {
                (HResult::S_FALSE, _) | (HResult::S_OK, None) => Ok(Vec::new()),
                (HResult::S_OK, Some(strings)) => Self::read_strings(METHOD, &strings),
                (code, _) => Err(ComError::UnexpectedReply {
                    method: METHOD,
                    code,
                    expected: "S_OK or S_FALSE",
                }),
            }
        })??;
        Ok(ids)
    }

    fn add_item_to_session(&self, item: &SyncCenterItemId) -> Result<(), CallbackError> {
        let item = item.to_utf16z();
        self.callback.call_checked("AddItemToSession", |cb| {
            // SAFETY: a live interface pointer and its own vtable slot; the
            // id is terminated and alive.
            unsafe { (cb.vtable().AddItemToSession)(cb.as_raw(), PCWSTR(item.as_ptr())) }
        })
    }

    fn add_object_to_session(&self, object: SessionObject) -> Result<(), CallbackError> {
        const METHOD: &str = "AddIUnknownToSession";
        let object: &(dyn Any + Send + Sync) = &*object;
        let Some(object) = object.downcast_ref::<ComSessionObject>() else {
            return Err(ComError::InvalidArgument {
                method: METHOD,
                reason: "only a ComSessionObject can cross to COM".to_owned(),
            }
            .into());
        };
        // The object is fetched on the thread that makes the call (the
        // callback's, when the call is carried to its apartment).
        let code = self.callback.with(METHOD, |cb| {
            let unknown = object.get()?;
            // SAFETY: a live interface pointer and its own vtable slot; the
            // object is alive for the call (the callee AddRefs to keep it).
            Ok::<_, ComError>(from_hresult(unsafe {
                (cb.vtable().AddIUnknownToSession)(cb.as_raw(), unknown.as_raw())
            }))
        })??;
        if code.is_failure() {
            return Err(ComError::from_code(METHOD, code).into());
        }
        Ok(())
    }

    fn propose_item(&self, item: &SyncCenterItem) -> Result<(), CallbackError> {
        // Not modelled: it would need an `ISyncMgrSyncItem` object.
        let _ = item;
        Err(CallbackError::Failed(FailureCode::E_NOTIMPL))
    }

    fn commit_item(&self, item: &SyncCenterItemId) -> Result<(), CallbackError> {
        let item = item.to_utf16z();
        self.callback.call_checked("CommitItem", |cb| {
            // SAFETY: a live interface pointer and its own vtable slot; the
            // id is terminated and alive.
            unsafe { (cb.vtable().CommitItem)(cb.as_raw(), PCWSTR(item.as_ptr())) }
        })
    }

    fn report_manual_sync(&self) -> Result<(), CallbackError> {
        self.callback.call_checked("ReportManualSync", |cb| {
            // SAFETY: a live interface pointer and its own vtable slot.
            unsafe { (cb.vtable().ReportManualSync)(cb.as_raw()) }
        })
    }
}
