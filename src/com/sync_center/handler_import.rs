//! Import: an existing COM Sync Center handler (`ISyncMgrHandler`, C++, C#
//! or C) as a Rust [`SyncCenterHandler`], so that a
//! [`SyncCenterSession`](crate::sync_center::SyncCenterSession) can drive it
//! and check it against [§G.7](crate::protocol#sync-center); and the
//! `ISyncMgrSessionCreator` it is given.

use std::convert::Infallible;
use std::time::SystemTime;

use windows::Win32::Foundation::{FILETIME, HWND};
use windows::Win32::UI::Shell::{
    IEnumSyncMgrSyncItems, ISyncMgrHandlerInfo, ISyncMgrSyncItem, ISyncMgrSyncItemContainer,
    ISyncMgrSyncItemInfo,
};
use windows_core::BOOL;

use super::handler_abi::{ISyncMgrSessionCreatorAbi, ISyncMgrSessionCreatorAbi_Impl};
use super::handler_export::from_filetime;
#[allow(clippy::wildcard_imports)]
use super::*;
use crate::sync_center::{
    HandlerCapabilities, HandlerPolicies, HandlerType, ItemCapabilities, ItemPolicies,
    MAX_SYNCMGR_NAME, SyncCenterHandler, SyncCenterHandlerInfo,
};
use crate::{HandlerError, WindowHandle};

/// The error for a code `method` may not answer.
fn unexpected(method: &'static str, code: HResult, expected: &'static str) -> ComError {
    if code.is_failure() {
        ComError::from_code(method, code)
    } else {
        ComError::UnexpectedReply {
            method,
            code,
            expected,
        }
    }
}

/// Take ownership of an `[out]` interface pointer.
///
/// # Safety
///
/// `raw` is NULL or a `T` reference the caller owns.
unsafe fn owned<T: Interface>(raw: *mut c_void) -> Option<T> {
    // SAFETY: forwarded from the caller; NULL gives `None`.
    (!raw.is_null()).then(|| unsafe { T::from_raw(raw) })
}

/// Call a method answering a `CoTaskMemAlloc`-ed string through an
/// `LPWSTR*`, read it (at most `limit` units, the NUL included) and free
/// it. `Ok(None)` for `E_NOTIMPL` when `optional`.
fn take_string(
    method: &'static str,
    limit: usize,
    optional: bool,
    call: impl FnOnce(*mut PWSTR) -> HRESULT,
) -> Result<Option<String>, ComError> {
    let mut text = PWSTR::null();
    let code = from_hresult(call(&mut text));
    let units = if text.is_null() {
        None
    } else {
        // SAFETY: a string the callee handed out, terminated; at most
        // `limit` units are read.
        let units = unsafe { raw::read_wide_units(method, "string", PCWSTR(text.0), limit) };
        // SAFETY: handed out with CoTaskMemAlloc; the caller frees it (§B.7).
        unsafe { CoTaskMemFree(Some(text.0.cast_const().cast())) };
        Some(units)
    };
    if optional && code == HResult::E_NOTIMPL {
        return Ok(None);
    }
    if !code.is_s_ok() {
        return Err(unexpected(method, code, "S_OK"));
    }
    let units = units.ok_or(ComError::UnexpectedReply {
        method,
        code,
        expected: "S_OK with a string",
    })?;
    let bad = |e: ComError| ComError::UnexpectedReply {
        method,
        code: e.hresult(),
        expected: "a terminated UTF-16 string within the documented limit",
    };
    let units = units.map_err(bad)?;
    crate::core::decode::utf16_to_string("string", &units)
        .map(Some)
        .map_err(|source| bad(ComError::Decode { method, source }))
}

/// Call a method answering `S_OK` (true) or `S_FALSE` (false).
fn yes_no(method: &'static str, code: HResult) -> Result<bool, ComError> {
    match code {
        HResult::S_OK => Ok(true),
        HResult::S_FALSE => Ok(false),
        code => Err(unexpected(method, code, "S_OK or S_FALSE")),
    }
}

/// Call a `GetLastSyncTime`.
fn last_sync(
    method: &'static str,
    call: impl FnOnce(*mut FILETIME) -> HRESULT,
) -> Result<SystemTime, ComError> {
    let mut time = FILETIME::default();
    let code = from_hresult(call(&mut time));
    if !code.is_s_ok() {
        return Err(unexpected(method, code, "S_OK"));
    }
    Ok(from_filetime(time))
}

/// A reply (answered with `S_OK`) whose value does not decode.
fn bad_reply(method: &'static str, expected: &'static str) -> impl Fn(DecodeError) -> ComError {
    move |_| ComError::UnexpectedReply {
        method,
        code: HResult::S_OK,
        expected,
    }
}

/// A COM Sync Center handler (`ISyncMgrHandler`) as a Rust
/// [`SyncCenterHandler`].
///
/// Each call goes through the raw vtable slot and reads the raw `HRESULT`,
/// so `S_FALSE` is never folded:
///
/// | method | calls | becomes |
/// |---|---|---|
/// | `name` | `GetName` | the string (freed with `CoTaskMemFree`); over 127 units, or unterminated, is an unexpected reply |
/// | `handler_info` | `GetHandlerInfo`, then `GetType`, `GetTypeLabel`, `GetComment` | [`SyncCenterHandlerInfo`]; `E_NOTIMPL` from `GetHandlerInfo` is the default info, from a label or comment `None` |
/// | `last_sync_time`, `is_active`, `is_enabled`, `is_connected` | the `ISyncMgrHandlerInfo` methods | the time; `S_OK` true, `S_FALSE` false |
/// | `capabilities`, `policies` | `GetCapabilities`, `GetPolicies` | the masks, decoded strictly |
/// | `items` | `ISyncMgrSyncItemContainer` (`QueryInterface`), `GetSyncItemEnumerator`, `Next` one by one, and per item `GetItemID`, `GetName`, `GetCapabilities`, `GetPolicies` | the items; a handler without a container has none |
/// | `item_*`, `enable_item`, `delete_item` | `GetSyncItem(id)` and the item's method (`GetItemInfo` for the info) | as for the handler |
/// | `synchronize` | `Synchronize(ids, hwnd, creator, NULL)` with an exported `ISyncMgrSessionCreator` | every `CreateSession` hands out the given callback (an [`export_sync_center_callback`] object) |
/// | `object`, `item_object` | `GetObject` | the code (an object handed out is released: the trait cannot carry it) |
///
/// The handler is held by the apartment rules of the [module
/// docs](crate::com); the enumerator, the items and the info objects are
/// used and released in the same call, in the handler's apartment.
pub struct ComSyncCenterHandler {
    handler: Agile<ISyncMgrHandler>,
    _live: LiveObject,
}

impl fmt::Debug for ComSyncCenterHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ComSyncCenterHandler")
            .finish_non_exhaustive()
    }
}

impl ComSyncCenterHandler {
    /// The most items read from one enumerator; more is refused as a
    /// runaway enumerator.
    pub const MAX_ITEMS: usize = 65_536;

    /// Wrap `handler`.
    ///
    /// # Errors
    ///
    /// As [`ComSyncCenterCallback::new`]: the thread is in no apartment, or
    /// the object cannot be held by the apartment rules.
    pub fn new(handler: &ISyncMgrHandler) -> Result<Self, ComError> {
        Ok(Self {
            handler: Agile::new("ComSyncCenterHandler::new", handler)?,
            _live: LiveObject::new(),
        })
    }

    /// Run `body` with the handler's `ISyncMgrHandlerInfo`, in its
    /// apartment; `None` when `GetHandlerInfo` answers `E_NOTIMPL`.
    /// One of `ISyncMgrHandlerInfo`'s `S_OK` / `S_FALSE` answers
    /// (`IsActive`, `IsEnabled`, `IsConnected`); true, Windows' default,
    /// when the handler has no info object.
    fn info_flag(
        &self,
        method: &'static str,
        call: impl FnOnce(&ISyncMgrHandlerInfo) -> HRESULT,
    ) -> Result<bool, HandlerError> {
        let answer = self.with_info(|info| yes_no(method, from_hresult(call(info))))?;
        Ok(answer.unwrap_or(true))
    }

    fn with_info<R>(
        &self,
        body: impl FnOnce(&ISyncMgrHandlerInfo) -> Result<R, ComError>,
    ) -> Result<Option<R>, HandlerError> {
        const METHOD: &str = "GetHandlerInfo";
        let result = self.handler.with(METHOD, |h| {
            let mut raw_info: *mut c_void = std::ptr::null_mut();
            // SAFETY: a live interface, its own slot, a writable out pointer.
            let code =
                from_hresult(unsafe { (h.vtable().GetHandlerInfo)(h.as_raw(), &mut raw_info) });
            // SAFETY: NULL or an owned reference.
            let info = unsafe { owned::<ISyncMgrHandlerInfo>(raw_info) };
            if code == HResult::E_NOTIMPL {
                return Ok(None);
            }
            match (code, info) {
                (HResult::S_OK, Some(info)) => body(&info).map(Some),
                (code, _) => Err(unexpected(METHOD, code, "S_OK with an object")),
            }
        })?;
        Ok(result?)
    }

    /// Run `body` with the item `id` (`GetSyncItem`), in the handler's
    /// apartment.
    fn with_item<R>(
        &self,
        method: &'static str,
        id: &SyncCenterItemId,
        body: impl FnOnce(&ISyncMgrSyncItem) -> Result<R, ComError>,
    ) -> Result<R, HandlerError> {
        let id = id.to_utf16z();
        let result = self.handler.with(method, |h| {
            let container: ISyncMgrSyncItemContainer = h
                .cast()
                .map_err(|e| ComError::from_windows("QueryInterface", &e))?;
            let mut raw_item: *mut c_void = std::ptr::null_mut();
            // SAFETY: a live interface, its own slot; the id is terminated,
            // the out pointer writable.
            let code = from_hresult(unsafe {
                (container.vtable().GetSyncItem)(
                    container.as_raw(),
                    PCWSTR(id.as_ptr()),
                    &mut raw_item,
                )
            });
            // SAFETY: NULL or an owned reference.
            let item = unsafe { owned::<ISyncMgrSyncItem>(raw_item) };
            match (code, item) {
                (HResult::S_OK, Some(item)) => body(&item),
                (code, _) => Err(unexpected("GetSyncItem", code, "S_OK with an item")),
            }
        })?;
        Ok(result?)
    }

    /// Run `body` with the item's `ISyncMgrSyncItemInfo`.
    fn with_item_info<R>(
        &self,
        method: &'static str,
        id: &SyncCenterItemId,
        body: impl FnOnce(&ISyncMgrSyncItemInfo) -> Result<R, ComError>,
    ) -> Result<R, HandlerError> {
        self.with_item(method, id, |item| {
            let mut raw_info: *mut c_void = std::ptr::null_mut();
            // SAFETY: a live interface, its own slot, a writable out pointer.
            let code =
                from_hresult(unsafe { (item.vtable().GetItemInfo)(item.as_raw(), &mut raw_info) });
            // SAFETY: NULL or an owned reference.
            let info = unsafe { owned::<ISyncMgrSyncItemInfo>(raw_info) };
            match (code, info) {
                (HResult::S_OK, Some(info)) => body(&info),
                (code, _) => Err(unexpected("GetItemInfo", code, "S_OK with an object")),
            }
        })
    }

    /// Read one item object.
    fn read_item(item: &ISyncMgrSyncItem) -> Result<SyncCenterItem, ComError> {
        const METHOD: &str = "IEnumSyncMgrSyncItems::Next";
        let id = take_string("GetItemID", MAX_SYNCMGR_ID, false, |out| {
            // SAFETY: a live interface, its own slot, a writable out pointer.
            unsafe { (item.vtable().GetItemID)(item.as_raw(), out) }
        })?
        .unwrap_or_default();
        let id = SyncCenterItemId::new(id).map_err(bad_reply(METHOD, "an item id"))?;
        let name = take_string("GetName", MAX_SYNCMGR_NAME, false, |out| {
            // SAFETY: as above.
            unsafe { (item.vtable().GetName)(item.as_raw(), out) }
        })?
        .unwrap_or_default();
        let mut item_out = SyncCenterItem::new(id, name).map_err(bad_reply(METHOD, "a name"))?;
        let mut bits = Default::default();
        // SAFETY: as above.
        let code =
            from_hresult(unsafe { (item.vtable().GetCapabilities)(item.as_raw(), &mut bits) });
        if !code.is_s_ok() {
            return Err(unexpected("GetCapabilities", code, "S_OK"));
        }
        item_out.capabilities = ItemCapabilities::decode(bits.0 as u32)
            .map_err(bad_reply("GetCapabilities", "SYNCMGR_ICM_* bits"))?;
        let mut bits = Default::default();
        // SAFETY: as above.
        let code = from_hresult(unsafe { (item.vtable().GetPolicies)(item.as_raw(), &mut bits) });
        if !code.is_s_ok() {
            return Err(unexpected("GetPolicies", code, "S_OK"));
        }
        item_out.policies = ItemPolicies::decode(bits.0 as u32)
            .map_err(bad_reply("GetPolicies", "SYNCMGR_IPM_* bits"))?;
        Ok(item_out)
    }

    /// Read every item of an enumerator, one `Next` at a time.
    fn read_items(enumerator: &IEnumSyncMgrSyncItems) -> Result<Vec<SyncCenterItem>, ComError> {
        const METHOD: &str = "IEnumSyncMgrSyncItems::Next";
        let mut items = Vec::new();
        loop {
            let mut raw_item: *mut c_void = std::ptr::null_mut();
            let mut fetched = 0u32;
            // SAFETY: a live interface, its own slot; room for one pointer
            // and a writable count.
            let code = from_hresult(unsafe {
                (enumerator.vtable().Next)(enumerator.as_raw(), 1, &mut raw_item, &mut fetched)
            });
            // SAFETY: NULL or an owned reference.
            let item = unsafe { owned::<ISyncMgrSyncItem>(raw_item) };
            match (code, item) {
                (HResult::S_OK, Some(item)) if fetched == 1 => items.push(Self::read_item(&item)?),
                (HResult::S_FALSE, None) if fetched == 0 => return Ok(items),
                (code, _) => {
                    return Err(unexpected(
                        METHOD,
                        code,
                        "S_OK with one item, or S_FALSE with none",
                    ));
                }
            }
            if items.len() > Self::MAX_ITEMS {
                return Err(ComError::InvalidArgument {
                    method: METHOD,
                    reason: format!("more than {} items", Self::MAX_ITEMS),
                });
            }
        }
    }

    /// A method whose success carries nothing.
    fn plain(
        &self,
        method: &'static str,
        call: impl FnOnce(&ISyncMgrHandler) -> HRESULT,
    ) -> Result<(), HandlerError> {
        let code = self.handler.call_raw(method, call)?;
        if code.is_s_ok() {
            Ok(())
        } else {
            Err(unexpected(method, code, "S_OK").into())
        }
    }
}

impl SyncCenterHandler for ComSyncCenterHandler {
    fn name(&self) -> Result<String, HandlerError> {
        const METHOD: &str = "GetName";
        let name = self.handler.with(METHOD, |h| {
            take_string(METHOD, MAX_SYNCMGR_NAME, false, |out| {
                // SAFETY: a live interface, its own slot, a writable pointer.
                unsafe { (h.vtable().GetName)(h.as_raw(), out) }
            })
        })??;
        Ok(name.unwrap_or_default())
    }

    fn handler_info(&self) -> Result<SyncCenterHandlerInfo, HandlerError> {
        let info = self.with_info(|info| {
            let mut kind = Default::default();
            // SAFETY: a live interface, its own slot, a writable pointer.
            let code = from_hresult(unsafe { (info.vtable().GetType)(info.as_raw(), &mut kind) });
            if !code.is_s_ok() {
                return Err(unexpected("GetType", code, "S_OK"));
            }
            let handler_type = HandlerType::try_from(kind.0 as u32)
                .map_err(bad_reply("GetType", "a SYNCMGR_HANDLER_TYPE"))?;
            let type_label = take_string("GetTypeLabel", raw::MAX_TEXT_UNITS, true, |out| {
                // SAFETY: as above.
                unsafe { (info.vtable().GetTypeLabel)(info.as_raw(), out) }
            })?;
            let comment = take_string("GetComment", raw::MAX_TEXT_UNITS, true, |out| {
                // SAFETY: as above.
                unsafe { (info.vtable().GetComment)(info.as_raw(), out) }
            })?;
            Ok(SyncCenterHandlerInfo {
                handler_type,
                type_label,
                comment,
            })
        })?;
        Ok(info.unwrap_or_default())
    }

    fn object(&self, object: Guid, interface: Guid) -> Result<Infallible, HandlerError> {
        const METHOD: &str = "GetObject";
        let (object, interface) = (to_guid(object), to_guid(interface));
        let code = self.handler.call_raw(METHOD, |h| {
            let mut out: *mut c_void = std::ptr::null_mut();
            // SAFETY: a live interface, its own slot; the GUIDs outlive the
            // call, `out` is writable.
            let code = unsafe { (h.vtable().GetObject)(h.as_raw(), &object, &interface, &mut out) };
            // SAFETY: NULL or an owned reference, released in the
            // handler's apartment: the trait cannot carry it.
            drop(unsafe { owned::<IUnknown>(out) });
            code
        })?;
        Err(unexpected(
            METHOD,
            code,
            "a failure code (the object cannot be carried)",
        )
        .into())
    }

    fn capabilities(&self) -> Result<HandlerCapabilities, HandlerError> {
        const METHOD: &str = "GetCapabilities";
        let mut bits = Default::default();
        self.plain(METHOD, |h| {
            // SAFETY: a live interface, its own slot, a writable pointer.
            unsafe { (h.vtable().GetCapabilities)(h.as_raw(), &mut bits) }
        })?;
        Ok(HandlerCapabilities::decode(bits.0 as u32)
            .map_err(bad_reply(METHOD, "SYNCMGR_HCM_* bits"))?)
    }

    fn policies(&self) -> Result<HandlerPolicies, HandlerError> {
        const METHOD: &str = "GetPolicies";
        let mut bits = Default::default();
        self.plain(METHOD, |h| {
            // SAFETY: a live interface, its own slot, a writable pointer.
            unsafe { (h.vtable().GetPolicies)(h.as_raw(), &mut bits) }
        })?;
        Ok(HandlerPolicies::decode(bits.0 as u32)
            .map_err(bad_reply(METHOD, "SYNCMGR_HPM_* bits"))?)
    }

    fn activate(&self, activate: bool) -> Result<(), HandlerError> {
        self.plain("Activate", |h| {
            // SAFETY: a live interface, its own slot.
            unsafe { (h.vtable().Activate)(h.as_raw(), BOOL::from(activate)) }
        })
    }

    fn enable(&self, enable: bool) -> Result<(), HandlerError> {
        self.plain("Enable", |h| {
            // SAFETY: a live interface, its own slot.
            unsafe { (h.vtable().Enable)(h.as_raw(), BOOL::from(enable)) }
        })
    }

    fn last_sync_time(&self) -> Result<SystemTime, HandlerError> {
        let time = self.with_info(|info| {
            last_sync("GetLastSyncTime", |out| {
                // SAFETY: a live interface, its own slot, a writable pointer.
                unsafe { (info.vtable().GetLastSyncTime)(info.as_raw(), out) }
            })
        })?;
        time.ok_or(HandlerError::NotImplemented)
    }

    fn is_active(&self) -> Result<bool, HandlerError> {
        // SAFETY: a live interface, its own slot.
        self.info_flag("IsActive", |info| unsafe {
            (info.vtable().IsActive)(info.as_raw())
        })
    }

    fn is_enabled(&self) -> Result<bool, HandlerError> {
        // SAFETY: a live interface, its own slot.
        self.info_flag("IsEnabled", |info| unsafe {
            (info.vtable().IsEnabled)(info.as_raw())
        })
    }

    fn is_connected(&self) -> Result<bool, HandlerError> {
        // SAFETY: a live interface, its own slot.
        self.info_flag("IsConnected", |info| unsafe {
            (info.vtable().IsConnected)(info.as_raw())
        })
    }

    fn item_type_label(&self, item: &SyncCenterItemId) -> Result<String, HandlerError> {
        let label = self.with_item_info("GetTypeLabel", item, |info| {
            take_string("GetTypeLabel", raw::MAX_TEXT_UNITS, true, |out| {
                // SAFETY: a live interface, its own slot, a writable pointer.
                unsafe { (info.vtable().GetTypeLabel)(info.as_raw(), out) }
            })
        })?;
        label.ok_or(HandlerError::NotImplemented)
    }

    fn item_comment(&self, item: &SyncCenterItemId) -> Result<String, HandlerError> {
        let comment = self.with_item_info("GetComment", item, |info| {
            take_string("GetComment", raw::MAX_TEXT_UNITS, true, |out| {
                // SAFETY: a live interface, its own slot, a writable pointer.
                unsafe { (info.vtable().GetComment)(info.as_raw(), out) }
            })
        })?;
        comment.ok_or(HandlerError::NotImplemented)
    }

    fn item_last_sync_time(&self, item: &SyncCenterItemId) -> Result<SystemTime, HandlerError> {
        self.with_item_info("GetLastSyncTime", item, |info| {
            last_sync("GetLastSyncTime", |out| {
                // SAFETY: a live interface, its own slot, a writable pointer.
                unsafe { (info.vtable().GetLastSyncTime)(info.as_raw(), out) }
            })
        })
    }

    fn item_enabled(&self, item: &SyncCenterItemId) -> Result<bool, HandlerError> {
        self.with_item_info("IsEnabled", item, |info| {
            // SAFETY: a live interface, its own slot.
            yes_no(
                "IsEnabled",
                from_hresult(unsafe { (info.vtable().IsEnabled)(info.as_raw()) }),
            )
        })
    }

    fn item_connected(&self, item: &SyncCenterItemId) -> Result<bool, HandlerError> {
        self.with_item_info("IsConnected", item, |info| {
            // SAFETY: a live interface, its own slot.
            let code = unsafe { (info.vtable().IsConnected)(info.as_raw()) };
            yes_no("IsConnected", from_hresult(code))
        })
    }

    fn enable_item(&self, item: &SyncCenterItemId, enable: bool) -> Result<(), HandlerError> {
        self.with_item("Enable", item, |object| {
            // SAFETY: a live interface, its own slot.
            let code =
                from_hresult(unsafe { (object.vtable().Enable)(object.as_raw(), enable.into()) });
            code.is_s_ok()
                .then_some(())
                .ok_or_else(|| unexpected("Enable", code, "S_OK"))
        })
    }

    fn delete_item(&self, item: &SyncCenterItemId) -> Result<(), HandlerError> {
        self.with_item("Delete", item, |object| {
            // SAFETY: a live interface, its own slot.
            let code = from_hresult(unsafe { (object.vtable().Delete)(object.as_raw()) });
            code.is_s_ok()
                .then_some(())
                .ok_or_else(|| unexpected("Delete", code, "S_OK"))
        })
    }

    fn item_object(
        &self,
        item: &SyncCenterItemId,
        object: Guid,
        interface: Guid,
    ) -> Result<Infallible, HandlerError> {
        const METHOD: &str = "GetObject";
        let (object, interface) = (to_guid(object), to_guid(interface));
        let code = self.with_item(METHOD, item, |i| {
            let mut out: *mut c_void = std::ptr::null_mut();
            // SAFETY: a live interface, its own slot; the GUIDs outlive the
            // call, `out` is writable.
            let code = unsafe { (i.vtable().GetObject)(i.as_raw(), &object, &interface, &mut out) };
            // SAFETY: NULL or an owned reference, released here.
            drop(unsafe { owned::<IUnknown>(out) });
            Ok(from_hresult(code))
        })?;
        Err(unexpected(
            METHOD,
            code,
            "a failure code (the object cannot be carried)",
        )
        .into())
    }

    fn items(&self) -> Result<Vec<SyncCenterItem>, HandlerError> {
        const METHOD: &str = "GetSyncItemEnumerator";
        let items = self.handler.with(METHOD, |h| {
            let Ok(container) = h.cast::<ISyncMgrSyncItemContainer>() else {
                return Ok(Vec::new());
            };
            let mut raw_enum: *mut c_void = std::ptr::null_mut();
            // SAFETY: a live interface, its own slot, a writable pointer.
            let code = from_hresult(unsafe {
                (container.vtable().GetSyncItemEnumerator)(container.as_raw(), &mut raw_enum)
            });
            // SAFETY: NULL or an owned reference.
            let enumerator = unsafe { owned::<IEnumSyncMgrSyncItems>(raw_enum) };
            match (code, enumerator) {
                (HResult::S_OK, Some(enumerator)) => Self::read_items(&enumerator),
                (code, _) => Err(unexpected(METHOD, code, "S_OK with an enumerator")),
            }
        })?;
        Ok(items?)
    }

    fn synchronize(
        &self,
        items: &[SyncCenterItemId],
        owner: WindowHandle,
        callback: Arc<dyn SyncCenterCallback>,
    ) -> Result<(), HandlerError> {
        const METHOD: &str = "Synchronize";
        let ids: Vec<Vec<u16>> = items.iter().map(SyncCenterItemId::to_utf16z).collect();
        let pointers: Vec<PCWSTR> = ids.iter().map(|id| PCWSTR(id.as_ptr())).collect();
        let count = u32::try_from(pointers.len()).map_err(|_| ComError::InvalidArgument {
            method: METHOD,
            reason: "more items than a ULONG counts".to_owned(),
        })?;
        let creator: ISyncMgrSessionCreatorAbi = SessionCreatorObject {
            callback: QuietDrop::new(callback),
            _live: LiveObject::new(),
        }
        .into();
        let hwnd = HWND(owner.0 as *mut c_void);
        let code = self.handler.call_raw(METHOD, |h| {
            // SAFETY: a live interface, its own slot; the ids are terminated
            // and alive, the array holds `count` of them; the creator is
            // alive for the call (the callee AddRefs what it keeps).
            unsafe {
                (h.vtable().Synchronize)(
                    h.as_raw(),
                    pointers.as_ptr(),
                    count,
                    hwnd,
                    creator.as_raw(),
                    std::ptr::null_mut(),
                )
            }
        })?;
        if code.is_failure() {
            return Err(ComError::from_code(METHOD, code).into());
        }
        Ok(())
    }
}

/// The `ISyncMgrSessionCreator` a [`ComSyncCenterHandler`] hands its COM
/// handler: every `CreateSession` answers a new `ISyncMgrSyncCallback`
/// object over the session's callback.
///
/// `CreateSession` answers `E_POINTER` for a NULL `ppCallback` (cleared
/// first otherwise) or a NULL id array with items, `E_INVALIDARG` for a bad
/// handler or item id; the ids are checked, not used: the session already
/// holds the items it passed to `Synchronize`.
#[implement(ISyncMgrSessionCreatorAbi)]
struct SessionCreatorObject {
    callback: QuietDrop<Arc<dyn SyncCenterCallback>>,
    _live: LiveObject,
}

impl ISyncMgrSessionCreatorAbi_Impl for SessionCreatorObject_Impl {
    unsafe fn CreateSession(
        &self,
        handler: PCWSTR,
        items: *const PCWSTR,
        count: u32,
        out: *mut *mut c_void,
    ) -> HRESULT {
        const METHOD: &str = "CreateSession";
        to_hresult(entry(METHOD, || {
            if out.is_null() {
                return Err(ComError::NullPointer {
                    method: METHOD,
                    argument: "ppCallback",
                });
            }
            // SAFETY: a non-NULL `[out]` pointer is writable.
            unsafe { out.write(std::ptr::null_mut()) };
            // SAFETY: a required string: NULL (refused) or terminated.
            unsafe { read_required_units(METHOD, "pszHandlerID", handler, MAX_SYNCMGR_ID) }?;
            if count > 0 && items.is_null() {
                return Err(ComError::NullPointer {
                    method: METHOD,
                    argument: "ppszItemIDs",
                });
            }
            for index in 0..count as usize {
                // SAFETY: `index < count` readable pointers (the contract).
                let id = unsafe { items.add(index).read_unaligned() };
                // SAFETY: NULL (refused) or terminated; at most 64 units.
                unsafe { read_item_id(METHOD, id) }?;
            }
            let Some(callback) = self.callback.get() else {
                return Ok(HResult::E_UNEXPECTED);
            };
            let exported = export_sync_center_callback(Arc::clone(callback));
            // SAFETY: checked writable; the caller owns the reference.
            unsafe { out.write(exported.into_raw()) };
            Ok(HResult::S_OK)
        }))
    }
}
