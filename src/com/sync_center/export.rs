//! Export: a Rust [`SyncCenterCallback`] served as an `ISyncMgrSyncCallback`
//! COM object, with the `IEnumString` / `IEnumUnknown` it hands out.

#[allow(clippy::wildcard_imports)]
use super::*;

/// Expose `callback` as a real `ISyncMgrSyncCallback` object (what Sync
/// Center gives a handler).
///
/// - `ReportProgress` and `SetHandlerProgressText` answer `S_OK` and write
///   the callback's [`CancelRequest`] through `pnCancelRequest` when it is
///   not NULL (a NULL one is accepted, [§G.7 #44](crate::protocol#fact-44)). When it is not NULL a
///   value is always written: `SYNCMGR_CR_NONE` first, so a refused call
///   leaves no stale request behind.
/// - `CanContinue` answers exactly `S_OK` or `S_FALSE`
///   ([`CanContinue::to_hresult`]); a NULL or empty id asks about the
///   handler (`None`, §B.6).
/// - `ReportEvent` writes the id the callback answers through
///   `pguidEventID` (NULL answers `E_POINTER`).
/// - `QueryForAdditionalItems` answers `S_FALSE` with NULL enumerators
///   when the callback has no item ([§G.7 #48](crate::protocol#fact-48)), else `S_OK` with an
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
pub(super) fn co_task_string(text: &[u16]) -> Result<PWSTR, ComError> {
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
        to_hresult(entry("Clone", || {
            // SAFETY: forwarded `[out]`: NULL or writable.
            unsafe {
                self.cursor.clone_out(clone, |cursor| -> IEnumStringAbi {
                    StringEnum {
                        cursor,
                        _live: LiveObject::new(),
                    }
                    .into()
                })
            }
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
        to_hresult(entry("Clone", || {
            // SAFETY: forwarded `[out]`: NULL or writable.
            unsafe {
                self.cursor.clone_out(clone, |cursor| -> IEnumUnknownAbi {
                    UnknownEnum {
                        cursor,
                        _live: LiveObject::new(),
                    }
                    .into()
                })
            }
        }))
    }
}
