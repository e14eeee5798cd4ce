//! `ISyncMgrSyncCallback` (Sync Center, FACTS.md §B.3) in both directions:
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

use std::any::Any;
use std::ffi::c_void;
use std::fmt;

use windows::Win32::System::Com::{CoTaskMemAlloc, CoTaskMemFree, IEnumString, IEnumUnknown};
use windows::Win32::UI::Shell::{
    ISyncMgrSyncCallback, SYNCMGR_CANCEL_REQUEST, SYNCMGR_EVENT_FLAGS, SYNCMGR_EVENT_LEVEL,
    SYNCMGR_PROGRESS_STATUS,
};
use windows_core::{GUID, HRESULT, IUnknown, Interface, PCWSTR, PWSTR, implement};

use self::abi::{
    IEnumStringAbi, IEnumStringAbi_Impl, IEnumUnknownAbi, IEnumUnknownAbi_Impl,
    ISyncMgrSyncCallbackAbi, ISyncMgrSyncCallbackAbi_Impl,
};
use super::agile::Agile;
use super::convert::{from_guid, from_hresult, to_guid, to_hresult};
use super::cursor::Cursor;
use super::error::{ComError, QuietDrop, entry};
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

/// Expose `callback` as a real `ISyncMgrSyncCallback` object (what Sync
/// Center gives a handler).
///
/// - `ReportProgress` and `SetHandlerProgressText` answer `S_OK` and write
///   the callback's [`CancelRequest`] through `pnCancelRequest` when it is
///   not NULL (a NULL one is accepted, §G.7 #44). When it is not NULL a
///   value is always written: `SYNCMGR_CR_NONE` first, so a refused call
///   leaves no stale request behind.
/// - `CanContinue` answers exactly `S_OK` or `S_FALSE`
///   ([`CanContinue::to_hresult`]); a NULL or empty id asks about the
///   handler (`None`, §B.6).
/// - `ReportEvent` writes the id the callback answers through
///   `pguidEventID` (NULL answers `E_POINTER`).
/// - `QueryForAdditionalItems` answers `S_FALSE` with NULL enumerators
///   when the callback has no item (§G.7 #48), else `S_OK` with an
///   `IEnumString` of the ids (each handed out with `CoTaskMemAlloc`, the
///   caller frees it) and an empty `IEnumUnknown`.
/// - A refusal answers [`CallbackError::hresult`]: `E_INVALIDARG` for an
///   unknown item, `E_ACCESSDENIED` after a terminal report, and so on.
///
/// The object is agile and holds `callback` until its last COM reference
/// is released. What crosses, and the edge checks, are below.
///
/// # What is modelled
///
/// | slot | method | export (COM → Rust) | import (Rust → COM) |
/// |---|---|---|---|
/// | 3 | `ReportProgress` | decoded with [`SyncCenterProgress::from_raw`]; the answer written through `pnCancelRequest` when it is not NULL | the out-value read back as a [`CancelRequest`] |
/// | 4 | `SetHandlerProgressText` | text ≤ 259 units; as above | as above |
/// | 5 | `ReportEvent` | decoded with [`SyncCenterEvent::from_raw`]; the id written through `pguidEventID` | the id read back |
/// | 6 | `CanContinue` | `S_OK` / `S_FALSE` exactly; NULL or `""` is the handler | the raw code read back |
/// | 7 | `QueryForAdditionalItems` | `S_FALSE` and NULL enumerators for none; else an `IEnumString` of the ids and an empty `IEnumUnknown` | the ids read from the `IEnumString` (each freed with `CoTaskMemFree`); the `IEnumUnknown` is released unread |
/// | 8, 11 | `AddItemToSession`, `CommitItem` | decoded id | id |
/// | 9 | `AddIUnknownToSession` | the object as a [`SessionObject`] holding a [`ComSessionObject`] | a [`ComSessionObject`] crosses as its COM object; any other object answers `E_INVALIDARG` without a call |
/// | 10 | `ProposeItem` | **not modelled**: `E_NOTIMPL` | **not modelled**: [`CallbackError::Failed`]`(E_NOTIMPL)` without a call |
/// | 12 | `ReportManualSync` | plain | plain |
///
/// Every entry checks its arguments first: a NULL required string or
/// `[out]` pointer answers `E_POINTER`; an id that is not valid UTF-16, is
/// empty where one is required, or has no terminator within
/// `MAX_SYNCMGR_ID` (64) units answers `E_INVALIDARG`, as do bad texts,
/// statuses, levels and flags; a panic answers `E_UNEXPECTED`.
pub fn export_sync_center_callback(callback: Arc<dyn SyncCenterCallback>) -> ISyncMgrSyncCallback {
    let object: IUnknown = SyncCenterObject {
        callback: QuietDrop::new(callback),
        _live: LiveObject::new(),
    }
    .into();
    object
        .cast()
        .unwrap_or_else(|_| unreachable!("the object implements ISyncMgrSyncCallback"))
}

#[implement(ISyncMgrSyncCallbackAbi)]
struct SyncCenterObject {
    callback: QuietDrop<Arc<dyn SyncCenterCallback>>,
    _live: LiveObject,
}

impl SyncCenterObject {
    /// Run `body` on the callback inside the panic guard.
    fn with(
        &self,
        method: &'static str,
        body: impl FnOnce(&dyn SyncCenterCallback) -> Result<HResult, ComError>,
    ) -> HRESULT {
        to_hresult(entry(method, || match self.callback.get() {
            Some(callback) => body(&**callback),
            None => Ok(HResult::E_UNEXPECTED),
        }))
    }
}

/// Write `request` through `out` when it is not NULL.
///
/// # Safety
///
/// `out` is NULL or writable.
unsafe fn write_cancel(out: *mut SYNCMGR_CANCEL_REQUEST, request: CancelRequest) {
    if !out.is_null() {
        // The values are 0..=2, so the cast is exact.
        let value = SYNCMGR_CANCEL_REQUEST(request.as_u32() as i32);
        // SAFETY: non-NULL and writable (the caller's guarantee).
        unsafe { out.write_unaligned(value) };
    }
}

impl ISyncMgrSyncCallbackAbi_Impl for SyncCenterObject_Impl {
    unsafe fn ReportProgress(
        &self,
        item: PCWSTR,
        text: PCWSTR,
        status: SYNCMGR_PROGRESS_STATUS,
        current: u32,
        max: u32,
        cancel: *mut SYNCMGR_CANCEL_REQUEST,
    ) -> HRESULT {
        const METHOD: &str = "ReportProgress";
        self.with(METHOD, |cb| {
            // SAFETY: `[inout, unique]`: NULL or writable.
            unsafe { write_cancel(cancel, CancelRequest::None) };
            // SAFETY: a required string: NULL (refused) or terminated; at
            // most 64 units are read.
            let item = unsafe { read_required_units(METHOD, "pszItemID", item, MAX_SYNCMGR_ID) }?;
            // SAFETY: `[unique]`: NULL or terminated; at most 260 units.
            let text =
                unsafe { read_units(METHOD, "pszProgressText", text, MAX_SYNCMGR_PROGRESSTEXT) }?;
            let report =
                SyncCenterProgress::from_raw(&item, text.as_deref(), status.0 as u32, current, max)
                    .map_err(decode(METHOD))?;
            Ok(match cb.report_progress(&report) {
                Ok(request) => {
                    // SAFETY: as above.
                    unsafe { write_cancel(cancel, request) };
                    HResult::S_OK
                }
                Err(error) => error.hresult(),
            })
        })
    }

    unsafe fn SetHandlerProgressText(
        &self,
        text: PCWSTR,
        cancel: *mut SYNCMGR_CANCEL_REQUEST,
    ) -> HRESULT {
        const METHOD: &str = "SetHandlerProgressText";
        const FIELD: &str = "pszProgressText";
        self.with(METHOD, |cb| {
            // SAFETY: `[inout, unique]`: NULL or writable.
            unsafe { write_cancel(cancel, CancelRequest::None) };
            // SAFETY: a required string: NULL (refused) or terminated; at
            // most 260 units are read.
            let units =
                unsafe { read_required_units(METHOD, FIELD, text, MAX_SYNCMGR_PROGRESSTEXT) }?;
            let text =
                crate::core::decode::utf16_to_string(FIELD, &units).map_err(decode(METHOD))?;
            Ok(match cb.set_handler_progress_text(&text) {
                Ok(request) => {
                    // SAFETY: as above.
                    unsafe { write_cancel(cancel, request) };
                    HResult::S_OK
                }
                Err(error) => error.hresult(),
            })
        })
    }

    unsafe fn ReportEvent(
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
    ) -> HRESULT {
        const METHOD: &str = "ReportEvent";
        const MAX: usize = raw::MAX_TEXT_UNITS;
        self.with(METHOD, |cb| {
            if event_id.is_null() {
                return Err(ComError::NullPointer {
                    method: METHOD,
                    argument: "pguidEventID",
                });
            }
            // SAFETY: `[out]`, non-NULL: writable. Cleared first.
            unsafe { event_id.write_unaligned(GUID::zeroed()) };
            // SAFETY: here and below: NULL or terminated strings; at most
            // the limit is read; the required ones refuse NULL.
            let item = unsafe { read_units(METHOD, "pszItemID", item, MAX_SYNCMGR_ID) }?;
            // SAFETY: as above.
            let name = unsafe { read_required_units(METHOD, "pszName", name, MAX) }?;
            // SAFETY: as above.
            let description =
                unsafe { read_required_units(METHOD, "pszDescription", description, MAX) }?;
            // SAFETY: as above.
            let link_text = unsafe { read_units(METHOD, "pszLinkText", link_text, MAX) }?;
            // SAFETY: as above.
            let link_reference =
                unsafe { read_units(METHOD, "pszLinkReference", link_reference, MAX) }?;
            // SAFETY: as above.
            let context = unsafe { read_units(METHOD, "pszContext", context, MAX) }?;
            let event = SyncCenterEvent::from_raw(
                item.as_deref(),
                level.0 as u32,
                flags.0 as u32,
                Some(&name),
                Some(&description),
                link_text.as_deref(),
                link_reference.as_deref(),
                context.as_deref(),
            )
            .map_err(decode(METHOD))?;
            Ok(match cb.report_event(&event) {
                Ok(id) => {
                    // SAFETY: checked non-NULL above.
                    unsafe { event_id.write_unaligned(to_guid(id)) };
                    HResult::S_OK
                }
                Err(error) => error.hresult(),
            })
        })
    }

    unsafe fn CanContinue(&self, item: PCWSTR) -> HRESULT {
        const METHOD: &str = "CanContinue";
        self.with(METHOD, |cb| {
            // SAFETY: NULL (the handler) or terminated; at most 64 units.
            let item = unsafe { read_optional_item_id(METHOD, item) }?;
            Ok(code_of(
                cb.can_continue(item.as_ref()),
                CanContinue::to_hresult,
            ))
        })
    }

    unsafe fn QueryForAdditionalItems(
        &self,
        item_ids: *mut *mut c_void,
        punks: *mut *mut c_void,
    ) -> HRESULT {
        const METHOD: &str = "QueryForAdditionalItems";
        self.with(METHOD, |cb| {
            for (out, argument) in [(item_ids, "ppenumItemIDs"), (punks, "ppenumPunks")] {
                if out.is_null() {
                    return Err(ComError::NullPointer {
                        method: METHOD,
                        argument,
                    });
                }
                // SAFETY: `[out]`, non-NULL: writable. Cleared first.
                unsafe { out.write(std::ptr::null_mut()) };
            }
            let items = match cb.query_for_additional_items() {
                Ok(items) => items,
                Err(error) => return Ok(error.hresult()),
            };
            if items.is_empty() {
                return Ok(HResult::S_FALSE);
            }
            let strings: IEnumStringAbi = StringEnum {
                cursor: Cursor::new(items.into()),
                _live: LiveObject::new(),
            }
            .into();
            let unknowns: IEnumUnknownAbi = UnknownEnum::empty().into();
            // SAFETY: both checked non-NULL above; each receives an owned
            // reference.
            unsafe {
                item_ids.write(strings.into_raw());
                punks.write(unknowns.into_raw());
            }
            Ok(HResult::S_OK)
        })
    }

    unsafe fn AddItemToSession(&self, item: PCWSTR) -> HRESULT {
        const METHOD: &str = "AddItemToSession";
        self.with(METHOD, |cb| {
            // SAFETY: NULL (refused) or terminated; at most 64 units.
            let item = unsafe { read_item_id(METHOD, item) }?;
            Ok(code_of(cb.add_item_to_session(&item), |()| HResult::S_OK))
        })
    }

    unsafe fn AddIUnknownToSession(&self, punk: *mut c_void) -> HRESULT {
        const METHOD: &str = "AddIUnknownToSession";
        self.with(METHOD, |cb| {
            // SAFETY: NULL or a live IUnknown, borrowed for the call.
            let object =
                unsafe { IUnknown::from_raw_borrowed(&punk) }.ok_or(ComError::NullPointer {
                    method: METHOD,
                    argument: "punk",
                })?;
            let object: SessionObject = Arc::new(ComSessionObject::new(METHOD, object)?);
            Ok(code_of(cb.add_object_to_session(object), |()| {
                HResult::S_OK
            }))
        })
    }

    unsafe fn ProposeItem(&self, _item: *mut c_void) -> HRESULT {
        // Not modelled: decoding an `ISyncMgrSyncItem` (see the export docs).
        self.with("ProposeItem", |_| Ok(HResult::E_NOTIMPL))
    }

    unsafe fn CommitItem(&self, item: PCWSTR) -> HRESULT {
        const METHOD: &str = "CommitItem";
        self.with(METHOD, |cb| {
            // SAFETY: NULL (refused) or terminated; at most 64 units.
            let item = unsafe { read_item_id(METHOD, item) }?;
            Ok(code_of(cb.commit_item(&item), |()| HResult::S_OK))
        })
    }

    unsafe fn ReportManualSync(&self) -> HRESULT {
        self.with("ReportManualSync", |cb| {
            Ok(code_of(cb.report_manual_sync(), |()| HResult::S_OK))
        })
    }
}

/// The `IEnumString` of `QueryForAdditionalItems`: a [`Cursor`] over the
/// ids.
#[implement(IEnumStringAbi)]
struct StringEnum {
    cursor: Cursor<SyncCenterItemId>,
    _live: LiveObject,
}

/// `text` with its NUL in `CoTaskMemAlloc` memory (the caller frees it).
fn co_task_string(text: &[u16]) -> Result<PWSTR, ComError> {
    let bytes = std::mem::size_of_val(text);
    // SAFETY: a plain allocation; checked for NULL below.
    let ptr = unsafe { CoTaskMemAlloc(bytes) }.cast::<u16>();
    if ptr.is_null() {
        return Err(ComError::from_code(
            "CoTaskMemAlloc",
            HResult::E_OUTOFMEMORY,
        ));
    }
    // SAFETY: `ptr` holds `text.len()` units, freshly allocated, so the
    // ranges do not overlap.
    unsafe { std::ptr::copy_nonoverlapping(text.as_ptr(), ptr, text.len()) };
    Ok(PWSTR(ptr))
}

/// Free a string made by [`co_task_string`] that was never handed out.
fn free_co_task_string(text: PWSTR) {
    // SAFETY: allocated with CoTaskMemAlloc and owned by us.
    unsafe { CoTaskMemFree(Some(text.0.cast_const().cast())) };
}

impl IEnumStringAbi_Impl for StringEnum_Impl {
    unsafe fn Next(&self, celt: u32, items: *mut PWSTR, fetched: *mut u32) -> HRESULT {
        const METHOD: &str = "Next";
        to_hresult(entry(METHOD, || {
            // SAFETY: `[out, size_is(celt)]` and `[out]`: NULL or writable
            // (COM's caller's guarantee). A failed allocation frees the
            // strings made before it and hands out none.
            unsafe {
                self.cursor.next(
                    METHOD,
                    celt,
                    items,
                    fetched,
                    |id| co_task_string(&id.to_utf16z()),
                    free_co_task_string,
                )
            }
        }))
    }

    unsafe fn Skip(&self, celt: u32) -> HRESULT {
        to_hresult(entry("Skip", || Ok(self.cursor.skip(celt))))
    }

    unsafe fn Reset(&self) -> HRESULT {
        to_hresult(entry("Reset", || Ok(self.cursor.reset())))
    }

    unsafe fn Clone(&self, clone: *mut *mut c_void) -> HRESULT {
        const METHOD: &str = "Clone";
        to_hresult(entry(METHOD, || {
            if clone.is_null() {
                return Err(ComError::NullPointer {
                    method: METHOD,
                    argument: "ppenum",
                });
            }
            let copy: IEnumStringAbi = StringEnum {
                cursor: self.cursor.fork(),
                _live: LiveObject::new(),
            }
            .into();
            // SAFETY: non-NULL `[out]`; receives an owned reference.
            unsafe { clone.write(copy.into_raw()) };
            Ok(HResult::S_OK)
        }))
    }
}

/// The `IEnumUnknown` of `QueryForAdditionalItems`: objects are not
/// modelled, so it is always empty; the same [`Cursor`] answers for it.
#[implement(IEnumUnknownAbi)]
struct UnknownEnum {
    cursor: Cursor<()>,
    _live: LiveObject,
}

impl UnknownEnum {
    fn empty() -> Self {
        Self {
            cursor: Cursor::new(Arc::from(Vec::new())),
            _live: LiveObject::new(),
        }
    }
}

impl IEnumUnknownAbi_Impl for UnknownEnum_Impl {
    unsafe fn Next(&self, celt: u32, items: *mut *mut c_void, fetched: *mut u32) -> HRESULT {
        const METHOD: &str = "Next";
        to_hresult(entry(METHOD, || {
            // SAFETY: as for `IEnumString::Next`; the list is empty, so no
            // element is converted.
            unsafe {
                self.cursor.next(
                    METHOD,
                    celt,
                    items,
                    fetched,
                    |()| Ok(std::ptr::null_mut()),
                    drop,
                )
            }
        }))
    }

    unsafe fn Skip(&self, celt: u32) -> HRESULT {
        to_hresult(entry("Skip", || Ok(self.cursor.skip(celt))))
    }

    unsafe fn Reset(&self) -> HRESULT {
        to_hresult(entry("Reset", || Ok(self.cursor.reset())))
    }

    unsafe fn Clone(&self, clone: *mut *mut c_void) -> HRESULT {
        const METHOD: &str = "Clone";
        to_hresult(entry(METHOD, || {
            if clone.is_null() {
                return Err(ComError::NullPointer {
                    method: METHOD,
                    argument: "ppenum",
                });
            }
            let copy: IEnumUnknownAbi = UnknownEnum {
                cursor: self.cursor.fork(),
                _live: LiveObject::new(),
            }
            .into();
            // SAFETY: non-NULL `[out]`; receives an owned reference.
            unsafe { clone.write(copy.into_raw()) };
            Ok(HResult::S_OK)
        }))
    }
}

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
    fn new(method: &'static str, object: &IUnknown) -> Result<Self, ComError> {
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
/// that any thread may call it (see the [module docs](super)); it holds one
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
    /// ([`ApartmentProblem::NotEntered`](super::ApartmentProblem::NotEntered)),
    /// or the object is in the neutral apartment and cannot be marshaled,
    /// or (an STA object) the thread's message-only window could not be
    /// made. Which apartment rule applies is in the [module docs](super).
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
