//! Export: the items of an exported Sync Center handler, as
//! `ISyncMgrSyncItem` (+ `ISyncMgrSyncItemInfo`) objects, and the
//! `IEnumSyncMgrSyncItems` that hands them out over a [`Cursor`].
//!
//! Each item object holds the handler and a copy of the
//! [`SyncCenterItem`] it was made from; the per-item questions
//! (`item_comment`, `enable_item`, …) go to the handler with the item's id.

use windows::Win32::Foundation::FILETIME;
use windows::Win32::UI::Shell::{SYNCMGR_ITEM_CAPABILITIES, SYNCMGR_ITEM_POLICIES};
use windows_core::{BOOL, IUnknownImpl};

use super::export::co_task_string;
use super::handler_abi::{
    IEnumSyncMgrSyncItemsAbi, IEnumSyncMgrSyncItemsAbi_Impl, ISyncMgrSyncItemAbi,
    ISyncMgrSyncItemAbi_Impl, ISyncMgrSyncItemInfoAbi, ISyncMgrSyncItemInfoAbi_Impl,
};
use super::handler_export::{answer_out, clear_out, get_object, out_text, to_filetime, yes_no};
#[allow(clippy::wildcard_imports)]
use super::*;
use crate::HandlerError;
use crate::sync_center::{MAX_SYNCMGR_NAME, SyncCenterHandler};

/// `item` of `handler` as a new `ISyncMgrSyncItem` object.
pub(super) fn item_object(
    handler: &Arc<dyn SyncCenterHandler>,
    item: SyncCenterItem,
) -> ISyncMgrSyncItemAbi {
    ItemObject {
        handler: QuietDrop::new(Arc::clone(handler)),
        item,
        _live: LiveObject::new(),
    }
    .into()
}

#[implement(ISyncMgrSyncItemAbi, ISyncMgrSyncItemInfoAbi)]
struct ItemObject {
    handler: QuietDrop<Arc<dyn SyncCenterHandler>>,
    item: SyncCenterItem,
    _live: LiveObject,
}

impl ItemObject {
    /// Run `body` on the handler and the item inside the panic guard.
    fn with(
        &self,
        method: &'static str,
        body: impl FnOnce(&dyn SyncCenterHandler, &SyncCenterItemId) -> Result<HResult, ComError>,
    ) -> HRESULT {
        to_hresult(entry(method, || match self.handler.get() {
            Some(handler) => body(&**handler, self.item.id()),
            None => Ok(HResult::E_UNEXPECTED),
        }))
    }
}

/// The handler's result as a code.
fn done(result: Result<(), HandlerError>) -> HResult {
    result.map_or_else(|error| error.hresult(), |()| HResult::S_OK)
}

impl ISyncMgrSyncItemAbi_Impl for ItemObject_Impl {
    unsafe fn GetItemID(&self, out: *mut PWSTR) -> HRESULT {
        const METHOD: &str = "GetItemID";
        self.with(METHOD, |_, id| {
            // SAFETY: `[out]`: NULL (refused) or writable.
            unsafe {
                answer_out(METHOD, "ppszItemID", out, Ok(id), |id| {
                    co_task_string(&id.to_utf16z())
                })
            }
        })
    }

    unsafe fn GetName(&self, out: *mut PWSTR) -> HRESULT {
        const METHOD: &str = "GetName";
        self.with(METHOD, |_, _| {
            // SAFETY: `[out]`: NULL (refused) or writable.
            unsafe {
                answer_out(METHOD, "ppszName", out, Ok(self.item.name()), |name| {
                    out_text(METHOD, "pszName", MAX_SYNCMGR_NAME, name)
                })
            }
        })
    }

    unsafe fn GetItemInfo(&self, out: *mut *mut c_void) -> HRESULT {
        const METHOD: &str = "GetItemInfo";
        self.with(METHOD, |_, _| {
            // SAFETY: `[out]`: NULL (refused) or writable.
            unsafe { clear_out(METHOD, "ppItemInfo", out.cast::<usize>()) }?;
            let me: ISyncMgrSyncItemInfoAbi = self.to_interface();
            // SAFETY: checked writable; the caller owns the reference.
            unsafe { out.write(me.into_raw()) };
            Ok(HResult::S_OK)
        })
    }

    unsafe fn GetObject(
        &self,
        object: *const GUID,
        riid: *const GUID,
        ppv: *mut *mut c_void,
    ) -> HRESULT {
        const METHOD: &str = "GetObject";
        self.with(METHOD, |handler, id| {
            // SAFETY: forwarded from COM's caller.
            unsafe {
                get_object(METHOD, object, riid, ppv, |o, i| {
                    handler.item_object(id, o, i)
                })
            }
        })
    }

    unsafe fn GetCapabilities(&self, out: *mut SYNCMGR_ITEM_CAPABILITIES) -> HRESULT {
        const METHOD: &str = "GetCapabilities";
        self.with(METHOD, |_, _| {
            let bits = self.item.capabilities.bits() as i32;
            // SAFETY: `[out]`: NULL (refused) or writable.
            unsafe {
                answer_out(METHOD, "pmCapabilities", out, Ok(bits), |b| {
                    Ok(SYNCMGR_ITEM_CAPABILITIES(b))
                })
            }
        })
    }

    unsafe fn GetPolicies(&self, out: *mut SYNCMGR_ITEM_POLICIES) -> HRESULT {
        const METHOD: &str = "GetPolicies";
        self.with(METHOD, |_, _| {
            let bits = self.item.policies.bits() as i32;
            // SAFETY: `[out]`: NULL (refused) or writable.
            unsafe {
                answer_out(METHOD, "pmPolicies", out, Ok(bits), |b| {
                    Ok(SYNCMGR_ITEM_POLICIES(b))
                })
            }
        })
    }

    unsafe fn Enable(&self, enable: BOOL) -> HRESULT {
        self.with("Enable", |handler, id| {
            Ok(done(handler.enable_item(id, enable.as_bool())))
        })
    }

    unsafe fn Delete(&self) -> HRESULT {
        self.with("Delete", |handler, id| Ok(done(handler.delete_item(id))))
    }
}

impl ISyncMgrSyncItemInfoAbi_Impl for ItemObject_Impl {
    unsafe fn GetTypeLabel(&self, out: *mut PWSTR) -> HRESULT {
        const METHOD: &str = "GetTypeLabel";
        self.with(METHOD, |handler, id| {
            // SAFETY: `[out]`: NULL (refused) or writable.
            unsafe {
                answer_out(
                    METHOD,
                    "ppszTypeLabel",
                    out,
                    handler.item_type_label(id),
                    |l| out_text(METHOD, "pszTypeLabel", raw::MAX_TEXT_UNITS, &l),
                )
            }
        })
    }

    unsafe fn GetComment(&self, out: *mut PWSTR) -> HRESULT {
        const METHOD: &str = "GetComment";
        self.with(METHOD, |handler, id| {
            // SAFETY: `[out]`: NULL (refused) or writable.
            unsafe {
                answer_out(METHOD, "ppszComment", out, handler.item_comment(id), |c| {
                    out_text(METHOD, "pszComment", raw::MAX_TEXT_UNITS, &c)
                })
            }
        })
    }

    unsafe fn GetLastSyncTime(&self, out: *mut FILETIME) -> HRESULT {
        const METHOD: &str = "GetLastSyncTime";
        self.with(METHOD, |handler, id| {
            // SAFETY: `[out]`: NULL (refused) or writable.
            unsafe {
                answer_out(
                    METHOD,
                    "pftLastSync",
                    out,
                    handler.item_last_sync_time(id),
                    |t| to_filetime(METHOD, t),
                )
            }
        })
    }

    unsafe fn IsEnabled(&self) -> HRESULT {
        self.with("IsEnabled", |handler, id| {
            Ok(yes_no(handler.item_enabled(id)))
        })
    }

    unsafe fn IsConnected(&self) -> HRESULT {
        self.with("IsConnected", |handler, id| {
            Ok(yes_no(handler.item_connected(id)))
        })
    }
}

/// The exported `IEnumSyncMgrSyncItems`: a [`Cursor`] over the items read
/// when it was made; each `Next` hands out new item objects.
#[implement(IEnumSyncMgrSyncItemsAbi)]
pub(super) struct ItemEnumObject {
    handler: QuietDrop<Arc<dyn SyncCenterHandler>>,
    cursor: Cursor<SyncCenterItem>,
    _live: LiveObject,
}

impl ItemEnumObject {
    /// A new enumerator object over `cursor`.
    pub(super) fn make(
        handler: &Arc<dyn SyncCenterHandler>,
        cursor: Cursor<SyncCenterItem>,
    ) -> IEnumSyncMgrSyncItemsAbi {
        Self {
            handler: QuietDrop::new(Arc::clone(handler)),
            cursor,
            _live: LiveObject::new(),
        }
        .into()
    }
}

impl IEnumSyncMgrSyncItemsAbi_Impl for ItemEnumObject_Impl {
    unsafe fn Next(&self, celt: u32, items: *mut *mut c_void, fetched: *mut u32) -> HRESULT {
        const METHOD: &str = "Next";
        to_hresult(entry(METHOD, || {
            let Some(handler) = self.handler.get() else {
                return Ok(HResult::E_UNEXPECTED);
            };
            let discard = |raw: *mut c_void| {
                // SAFETY: an owned reference made by `convert`, never handed
                // out: taking it back releases it.
                drop(unsafe { ISyncMgrSyncItemAbi::from_raw(raw) });
            };
            // SAFETY: `[out, size_is(celt)]` and `[out]`: NULL or writable
            // for `celt` pointers and a count (COM's caller's guarantee).
            unsafe {
                self.cursor.next(
                    METHOD,
                    celt,
                    items,
                    fetched,
                    |item| Ok(item_object(handler, item.clone()).into_raw()),
                    discard,
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
            let Some(handler) = self.handler.get() else {
                return Ok(HResult::E_UNEXPECTED);
            };
            // SAFETY: forwarded `[out]`: NULL or writable.
            unsafe {
                self.cursor
                    .clone_out(clone, |cursor| ItemEnumObject::make(handler, cursor))
            }
        }))
    }
}
