//! Export: a Rust [`SyncCenterHandler`] served as an `ISyncMgrHandler` COM
//! object, which also answers `ISyncMgrHandlerInfo` and
//! `ISyncMgrSyncItemContainer` (the items and their enumerator are in
//! `items.rs`).
//!
//! # Invariants
//!
//! - `Synchronize` holds the host's `ISyncMgrSyncCallback` only while it
//!   runs: the Rust handler gets a revocable view of it ([`Revocable`]),
//!   revoked when the handler returns, so a handler that keeps the `Arc`
//!   cannot reach the host afterwards ([§G.7 #50](crate::protocol#rule-50))
//!   and the reference goes when the last call in flight returns.
//!
//! # Deadlock safety
//!
//! The revocable view's lock is held only to clone or take the `Arc`, never
//! while COM or the handler runs.

use std::convert::Infallible;
use std::time::{SystemTime, UNIX_EPOCH};

use windows::Win32::Foundation::{FILETIME, HWND};
use windows::Win32::UI::Shell::{
    SYNCMGR_HANDLER_CAPABILITIES, SYNCMGR_HANDLER_POLICIES, SYNCMGR_HANDLER_TYPE,
};
use windows_core::{BOOL, IUnknownImpl};

use super::export::co_task_string;
use super::handler_abi::{
    ISyncMgrHandlerAbi, ISyncMgrHandlerAbi_Impl, ISyncMgrHandlerInfoAbi,
    ISyncMgrHandlerInfoAbi_Impl, ISyncMgrSessionCreatorAbi, ISyncMgrSyncItemContainerAbi,
    ISyncMgrSyncItemContainerAbi_Impl,
};
use super::items::{ItemEnumObject, item_object};
#[allow(clippy::wildcard_imports)]
use super::*;
use crate::sync::Mutex;
use crate::sync_center::{MAX_SYNCMGR_NAME, SyncCenterHandler};
use crate::{HandlerError, WindowHandle};

/// 100 ns intervals from 1601-01-01 (the FILETIME epoch) to 1970-01-01.
const FILETIME_UNIX_EPOCH: u64 = 116_444_736_000_000_000;

/// `time` as a `FILETIME`; a time before 1601 is refused.
pub(super) fn to_filetime(method: &'static str, time: SystemTime) -> Result<FILETIME, ComError> {
    let ticks = match time.duration_since(UNIX_EPOCH) {
        Ok(after) => u64::try_from(after.as_nanos() / 100)
            .ok()
            .and_then(|t| t.checked_add(FILETIME_UNIX_EPOCH)),
        Err(before) => u64::try_from(before.duration().as_nanos() / 100)
            .ok()
            .and_then(|t| FILETIME_UNIX_EPOCH.checked_sub(t)),
    }
    .ok_or_else(|| ComError::InvalidArgument {
        method,
        reason: "a time a FILETIME cannot hold".to_owned(),
    })?;
    Ok(FILETIME {
        dwLowDateTime: ticks as u32,
        dwHighDateTime: (ticks >> 32) as u32,
    })
}

/// A `FILETIME` as a time.
pub(super) fn from_filetime(time: FILETIME) -> SystemTime {
    let ticks = (u64::from(time.dwHighDateTime) << 32) | u64::from(time.dwLowDateTime);
    let nanos = |t: u64| std::time::Duration::from_nanos(t.saturating_mul(100));
    if ticks >= FILETIME_UNIX_EPOCH {
        UNIX_EPOCH + nanos(ticks - FILETIME_UNIX_EPOCH)
    } else {
        UNIX_EPOCH - nanos(FILETIME_UNIX_EPOCH - ticks)
    }
}

/// Check an `[out]` pointer (`E_POINTER` for NULL) and clear it.
///
/// # Safety
///
/// `out` is NULL or writable.
pub(super) unsafe fn clear_out<T: Default>(
    method: &'static str,
    argument: &'static str,
    out: *mut T,
) -> Result<(), ComError> {
    if out.is_null() {
        return Err(ComError::NullPointer { method, argument });
    }
    // SAFETY: non-NULL and writable (the caller's guarantee).
    unsafe { out.write_unaligned(T::default()) };
    Ok(())
}

/// Answer a value through an `[out]` pointer: `E_POINTER` for NULL, the
/// handler's code for its error, else `S_OK` with `convert(value)` written.
///
/// # Safety
///
/// `out` is NULL or writable.
pub(super) unsafe fn answer_out<T, O: Default>(
    method: &'static str,
    argument: &'static str,
    out: *mut O,
    result: Result<T, HandlerError>,
    convert: impl FnOnce(T) -> Result<O, ComError>,
) -> Result<HResult, ComError> {
    // SAFETY: forwarded from the caller.
    unsafe { clear_out(method, argument, out) }?;
    let value = match result {
        Ok(value) => convert(value)?,
        Err(error) => return Ok(error.hresult()),
    };
    // SAFETY: checked non-NULL and writable above.
    unsafe { out.write_unaligned(value) };
    Ok(HResult::S_OK)
}

/// A string handed out with `CoTaskMemAlloc` (the caller frees it); a text
/// that does not fit `limit` units (the NUL included) is refused.
pub(super) fn out_text(
    method: &'static str,
    field: &'static str,
    limit: usize,
    text: &str,
) -> Result<PWSTR, ComError> {
    crate::core::decode::check_text_limit(field, text, limit)
        .map_err(|source| ComError::Decode { method, source })?;
    co_task_string(&raw::wide(method, field, text)?)
}

/// `S_OK` for yes, `S_FALSE` for no, or the handler's code.
pub(super) fn yes_no(result: Result<bool, HandlerError>) -> HResult {
    match result {
        Ok(true) => HResult::S_OK,
        Ok(false) => HResult::S_FALSE,
        Err(error) => error.hresult(),
    }
}

/// The answer of a `GetObject`: the handler's error (the trait cannot hand
/// out an object), after the arguments are checked.
///
/// # Safety
///
/// `object` and `riid` are NULL or readable; `ppv` NULL or writable.
pub(super) unsafe fn get_object(
    method: &'static str,
    object: *const GUID,
    riid: *const GUID,
    ppv: *mut *mut c_void,
    ask: impl FnOnce(Guid, Guid) -> Result<Infallible, HandlerError>,
) -> Result<HResult, ComError> {
    // SAFETY: forwarded from the caller.
    unsafe { clear_out(method, "ppv", ppv.cast::<usize>()) }?;
    // SAFETY: REFGUIDs: NULL (refused) or readable.
    let (object, riid) = unsafe {
        (
            raw::read_guid(method, "rguidObjectID", object)?,
            raw::read_guid(method, "riid", riid)?,
        )
    };
    Ok(match ask(object, riid) {
        Err(error) => error.hresult(),
    })
}

/// Expose `handler` as a real `ISyncMgrHandler` object, registered as the
/// handler `clsid` (its id for `ISyncMgrSessionCreator::CreateSession` is
/// the CLSID in braces).
///
/// | method | answers |
/// |---|---|
/// | `GetName` | the name, `CoTaskMemAlloc`-ed (the caller frees it); a name over 127 units is refused (`E_INVALIDARG`) |
/// | `GetHandlerInfo` | this object as `ISyncMgrHandlerInfo` |
/// | `GetObject` | the handler's error: `E_NOTIMPL` by default |
/// | `GetCapabilities`, `GetPolicies` | the masks |
/// | `Activate`, `Enable` | the handler's answer |
/// | `Synchronize` | calls the session creator's `CreateSession(handler id, items)`, hands the handler the returned callback as a [`ComSyncCenterCallback`] (so no cancel request and no `S_FALSE` is lost) and answers the handler's code; a NULL session creator is `E_POINTER`, a NULL id array with items `E_POINTER`, a bad id `E_INVALIDARG` |
/// | `ISyncMgrHandlerInfo::GetType`, `GetTypeLabel`, `GetComment` | from [`SyncCenterHandler::handler_info`]; an absent label or comment is `E_NOTIMPL` |
/// | `GetLastSyncTime` | the time, or `E_NOTIMPL` |
/// | `IsActive`, `IsEnabled`, `IsConnected` | `S_OK` / `S_FALSE` |
/// | `ISyncMgrSyncItemContainer::GetSyncItem` | the item as an `ISyncMgrSyncItem`; an unknown id `E_INVALIDARG` (documented), a NULL one `E_POINTER` |
/// | `GetSyncItemEnumerator`, `GetSyncItemCount` | over [`SyncCenterHandler::items`], read once per call |
///
/// Every `[out]` pointer is checked (`E_POINTER`) and cleared first; a
/// panic answers `E_UNEXPECTED`. The object is agile.
///
/// The callback lives as long as `Synchronize`: the handler's view of it
/// is revoked when the handler returns, and later calls get
/// [`CallbackError::NoCallback`] ([§G.7 #50](crate::protocol#rule-50)). A
/// handler that reports from a worker thread joins it with
/// [`join_pumping`](crate::com::join_pumping) before returning: an STA
/// host's callback is served on the host's thread, inside `Synchronize`.
pub fn export_sync_center_handler(
    clsid: Guid,
    handler: Arc<dyn SyncCenterHandler>,
) -> ISyncMgrHandler {
    let object: IUnknown = SyncCenterHandlerObject::new(clsid, handler).into();
    object
        .cast()
        .unwrap_or_else(|_| unreachable!("the object implements ISyncMgrHandler"))
}

#[implement(
    ISyncMgrHandlerAbi,
    ISyncMgrHandlerInfoAbi,
    ISyncMgrSyncItemContainerAbi
)]
pub(crate) struct SyncCenterHandlerObject {
    handler: QuietDrop<Arc<dyn SyncCenterHandler>>,
    /// The handler id, with its NUL.
    id: Vec<u16>,
    _live: LiveObject,
}

impl SyncCenterHandlerObject {
    pub(crate) fn new(clsid: Guid, handler: Arc<dyn SyncCenterHandler>) -> Self {
        Self {
            handler: QuietDrop::new(handler),
            id: clsid.to_string().encode_utf16().chain([0]).collect(),
            _live: LiveObject::new(),
        }
    }

    /// Run `body` on the handler inside the panic guard.
    fn with(
        &self,
        method: &'static str,
        body: impl FnOnce(&Arc<dyn SyncCenterHandler>) -> Result<HResult, ComError>,
    ) -> HRESULT {
        to_hresult(entry(method, || match self.handler.get() {
            Some(handler) => body(handler),
            None => Ok(HResult::E_UNEXPECTED),
        }))
    }
}

/// The handler's result as a code.
fn done(result: Result<(), HandlerError>) -> HResult {
    result.map_or_else(|error| error.hresult(), |()| HResult::S_OK)
}

impl ISyncMgrHandlerAbi_Impl for SyncCenterHandlerObject_Impl {
    unsafe fn GetName(&self, name: *mut PWSTR) -> HRESULT {
        const METHOD: &str = "GetName";
        self.with(METHOD, |handler| {
            // SAFETY: `[out]`: NULL (refused) or writable.
            unsafe {
                answer_out(METHOD, "ppszName", name, handler.name(), |n| {
                    out_text(METHOD, "pszName", MAX_SYNCMGR_NAME, &n)
                })
            }
        })
    }

    unsafe fn GetHandlerInfo(&self, info: *mut *mut c_void) -> HRESULT {
        const METHOD: &str = "GetHandlerInfo";
        self.with(METHOD, |_| {
            // SAFETY: `[out]`: NULL (refused) or writable.
            unsafe { clear_out(METHOD, "ppHandlerInfo", info.cast::<usize>()) }?;
            let me: ISyncMgrHandlerInfoAbi = self.to_interface();
            // SAFETY: checked writable; the caller owns the reference.
            unsafe { info.write(me.into_raw()) };
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
        self.with(METHOD, |handler| {
            // SAFETY: forwarded from COM's caller.
            unsafe { get_object(METHOD, object, riid, ppv, |o, i| handler.object(o, i)) }
        })
    }

    unsafe fn GetCapabilities(&self, out: *mut SYNCMGR_HANDLER_CAPABILITIES) -> HRESULT {
        const METHOD: &str = "GetCapabilities";
        self.with(METHOD, |handler| {
            // SAFETY: `[out]`: NULL (refused) or writable.
            unsafe {
                answer_out(METHOD, "pmCapabilities", out, handler.capabilities(), |c| {
                    Ok(SYNCMGR_HANDLER_CAPABILITIES(c.bits() as i32))
                })
            }
        })
    }

    unsafe fn GetPolicies(&self, out: *mut SYNCMGR_HANDLER_POLICIES) -> HRESULT {
        const METHOD: &str = "GetPolicies";
        self.with(METHOD, |handler| {
            // SAFETY: `[out]`: NULL (refused) or writable.
            unsafe {
                answer_out(METHOD, "pmPolicies", out, handler.policies(), |p| {
                    Ok(SYNCMGR_HANDLER_POLICIES(p.bits() as i32))
                })
            }
        })
    }

    unsafe fn Activate(&self, activate: BOOL) -> HRESULT {
        self.with("Activate", |handler| {
            Ok(done(handler.activate(activate.as_bool())))
        })
    }

    unsafe fn Enable(&self, enable: BOOL) -> HRESULT {
        self.with("Enable", |handler| {
            Ok(done(handler.enable(enable.as_bool())))
        })
    }

    unsafe fn Synchronize(
        &self,
        items: *const PCWSTR,
        count: u32,
        owner: HWND,
        creator: *mut c_void,
        _punk: *mut c_void,
    ) -> HRESULT {
        const METHOD: &str = "Synchronize";
        self.with(METHOD, |handler| {
            // SAFETY: `[in, size_is(cItems)]`: `count` readable pointers.
            let (ids, raw_ids) = unsafe { read_ids(METHOD, items, count) }?;
            // SAFETY: `[in, unique]`: NULL or a live ISyncMgrSessionCreator,
            // borrowed for the call.
            let Some(creator) = (unsafe { ISyncMgrSessionCreatorAbi::from_raw_borrowed(&creator) })
            else {
                return Err(ComError::NullPointer {
                    method: METHOD,
                    argument: "pSessionCreator",
                });
            };
            let callback = create_session(creator, &self.id, &raw_ids)?;
            // Revoked when Synchronize ends, by a return or a panic.
            let view = RevokeOnDrop(Arc::new(Revocable::new(callback)));
            let owner = WindowHandle(owner.0 as isize);
            let result = handler.synchronize(&ids, owner, view.0.clone());
            drop(view);
            Ok(done(result))
        })
    }
}

/// Read `Synchronize`'s item ids (and keep their raw form for
/// `CreateSession`).
///
/// # Safety
///
/// `items` is NULL or points to `count` readable string pointers, each NULL
/// or terminated.
unsafe fn read_ids(
    method: &'static str,
    items: *const PCWSTR,
    count: u32,
) -> Result<(Vec<SyncCenterItemId>, Vec<Vec<u16>>), ComError> {
    if count == 0 {
        return Ok((Vec::new(), Vec::new()));
    }
    if items.is_null() {
        return Err(ComError::NullPointer {
            method,
            argument: "ppszItemIDs",
        });
    }
    let mut ids = Vec::new();
    let mut raw_ids = Vec::new();
    for index in 0..count as usize {
        // SAFETY: `index < count` pointers are readable (the contract).
        let text = unsafe { items.add(index).read_unaligned() };
        // SAFETY: NULL (refused) or terminated; at most 64 units read.
        let id = unsafe { read_item_id(method, text) }?;
        raw_ids.push(id.to_utf16z());
        ids.push(id);
    }
    Ok((ids, raw_ids))
}

/// `CreateSession(handler, items)`: the session's callback, imported.
fn create_session(
    creator: &ISyncMgrSessionCreatorAbi,
    handler: &[u16],
    ids: &[Vec<u16>],
) -> Result<ComSyncCenterCallback, ComError> {
    const METHOD: &str = "CreateSession";
    let pointers: Vec<PCWSTR> = ids.iter().map(|id| PCWSTR(id.as_ptr())).collect();
    let array = if pointers.is_empty() {
        std::ptr::null()
    } else {
        pointers.as_ptr()
    };
    let mut out: *mut c_void = std::ptr::null_mut();
    // SAFETY: a live interface, its own slot; the strings are terminated
    // and alive, the array holds `len` of them, `out` is writable.
    let code = from_hresult(unsafe {
        (creator.vtable().CreateSession)(
            creator.as_raw(),
            PCWSTR(handler.as_ptr()),
            array,
            pointers.len() as u32,
            &mut out,
        )
    });
    // SAFETY: NULL or an owned reference the callee handed out.
    let callback = unsafe { (!out.is_null()).then(|| ISyncMgrSyncCallback::from_raw(out)) };
    if code.is_failure() {
        return Err(ComError::from_code(METHOD, code));
    }
    match (code, callback) {
        (HResult::S_OK, Some(callback)) => ComSyncCenterCallback::new(&callback),
        (code, _) => Err(ComError::UnexpectedReply {
            method: METHOD,
            code,
            expected: "S_OK with a callback",
        }),
    }
}

impl ISyncMgrHandlerInfoAbi_Impl for SyncCenterHandlerObject_Impl {
    unsafe fn GetType(&self, out: *mut SYNCMGR_HANDLER_TYPE) -> HRESULT {
        const METHOD: &str = "GetType";
        self.with(METHOD, |handler| {
            // SAFETY: `[out]`: NULL (refused) or writable.
            unsafe {
                answer_out(METHOD, "pnType", out, handler.handler_info(), |info| {
                    Ok(SYNCMGR_HANDLER_TYPE(info.handler_type.as_u32() as i32))
                })
            }
        })
    }

    unsafe fn GetTypeLabel(&self, out: *mut PWSTR) -> HRESULT {
        const METHOD: &str = "GetTypeLabel";
        self.with(METHOD, |handler| {
            let label = handler
                .handler_info()
                .and_then(|info| info.type_label.ok_or(HandlerError::NotImplemented));
            // SAFETY: `[out]`: NULL (refused) or writable.
            unsafe {
                answer_out(METHOD, "ppszTypeLabel", out, label, |l| {
                    out_text(METHOD, "pszTypeLabel", raw::MAX_TEXT_UNITS, &l)
                })
            }
        })
    }

    unsafe fn GetComment(&self, out: *mut PWSTR) -> HRESULT {
        const METHOD: &str = "GetComment";
        self.with(METHOD, |handler| {
            let comment = handler
                .handler_info()
                .and_then(|info| info.comment.ok_or(HandlerError::NotImplemented));
            // SAFETY: `[out]`: NULL (refused) or writable.
            unsafe {
                answer_out(METHOD, "ppszComment", out, comment, |c| {
                    out_text(METHOD, "pszComment", raw::MAX_TEXT_UNITS, &c)
                })
            }
        })
    }

    unsafe fn GetLastSyncTime(&self, out: *mut FILETIME) -> HRESULT {
        const METHOD: &str = "GetLastSyncTime";
        self.with(METHOD, |handler| {
            // SAFETY: `[out]`: NULL (refused) or writable.
            unsafe {
                answer_out(METHOD, "pftLastSync", out, handler.last_sync_time(), |t| {
                    to_filetime(METHOD, t)
                })
            }
        })
    }

    unsafe fn IsActive(&self) -> HRESULT {
        self.with("IsActive", |handler| Ok(yes_no(handler.is_active())))
    }

    unsafe fn IsEnabled(&self) -> HRESULT {
        self.with("IsEnabled", |handler| Ok(yes_no(handler.is_enabled())))
    }

    unsafe fn IsConnected(&self) -> HRESULT {
        self.with("IsConnected", |handler| Ok(yes_no(handler.is_connected())))
    }
}

impl ISyncMgrSyncItemContainerAbi_Impl for SyncCenterHandlerObject_Impl {
    unsafe fn GetSyncItem(&self, item: PCWSTR, out: *mut *mut c_void) -> HRESULT {
        const METHOD: &str = "GetSyncItem";
        self.with(METHOD, |handler| {
            // SAFETY: `[out]`: NULL (refused) or writable.
            unsafe { clear_out(METHOD, "ppItem", out.cast::<usize>()) }?;
            // SAFETY: a required string: NULL (refused) or terminated.
            let id = unsafe { read_item_id(METHOD, item) }?;
            let items = match handler.items() {
                Ok(items) => items,
                Err(error) => return Ok(error.hresult()),
            };
            let Some(found) = items.into_iter().find(|i| *i.id() == id) else {
                return Err(ComError::InvalidArgument {
                    method: METHOD,
                    reason: format!("the handler has no item {id}"),
                });
            };
            let object = item_object(handler, found);
            // SAFETY: checked writable; the caller owns the reference.
            unsafe { out.write(object.into_raw()) };
            Ok(HResult::S_OK)
        })
    }

    unsafe fn GetSyncItemEnumerator(&self, out: *mut *mut c_void) -> HRESULT {
        const METHOD: &str = "GetSyncItemEnumerator";
        self.with(METHOD, |handler| {
            // SAFETY: `[out]`: NULL (refused) or writable.
            unsafe { clear_out(METHOD, "ppenum", out.cast::<usize>()) }?;
            let items = match handler.items() {
                Ok(items) => items,
                Err(error) => return Ok(error.hresult()),
            };
            let enumerator = ItemEnumObject::make(handler, Cursor::new(items.into()));
            // SAFETY: checked writable; the caller owns the reference.
            unsafe { out.write(enumerator.into_raw()) };
            Ok(HResult::S_OK)
        })
    }

    unsafe fn GetSyncItemCount(&self, out: *mut u32) -> HRESULT {
        const METHOD: &str = "GetSyncItemCount";
        self.with(METHOD, |handler| {
            // SAFETY: `[out]`: NULL (refused) or writable.
            unsafe {
                answer_out(METHOD, "pcItems", out, handler.items(), |items| {
                    u32::try_from(items.len()).map_err(|_| ComError::InvalidArgument {
                        method: METHOD,
                        reason: "more items than a ULONG counts".to_owned(),
                    })
                })
            }
        })
    }
}

/// Revokes its view when dropped.
struct RevokeOnDrop(Arc<Revocable>);

impl Drop for RevokeOnDrop {
    fn drop(&mut self) {
        self.0.revoke();
    }
}

/// A revocable view of the session's callback, for the Rust handler.
pub(super) struct Revocable {
    current: Mutex<Option<Arc<ComSyncCenterCallback>>>,
}

impl Revocable {
    fn new(callback: ComSyncCenterCallback) -> Self {
        Self {
            current: Mutex::new(Some(Arc::new(callback))),
        }
    }

    /// Revoke the view: later calls get `NoCallback`; the reference goes
    /// when the last call in flight returns (dropped after the lock).
    fn revoke(&self) {
        let old = self.current.lock().take();
        drop_quietly(old);
    }

    /// The callback, cloned under the lock.
    fn get(&self) -> Result<Arc<ComSyncCenterCallback>, CallbackError> {
        self.current.lock().clone().ok_or(CallbackError::NoCallback)
    }
}

impl SyncCenterCallback for Revocable {
    fn report_progress(&self, report: &SyncCenterProgress) -> Result<CancelRequest, CallbackError> {
        self.get()?.report_progress(report)
    }

    fn set_handler_progress_text(&self, text: &str) -> Result<CancelRequest, CallbackError> {
        self.get()?.set_handler_progress_text(text)
    }

    fn report_event(&self, event: &SyncCenterEvent) -> Result<Guid, CallbackError> {
        self.get()?.report_event(event)
    }

    fn can_continue(&self, item: Option<&SyncCenterItemId>) -> Result<CanContinue, CallbackError> {
        self.get()?.can_continue(item)
    }

    fn query_for_additional_items(&self) -> Result<Vec<SyncCenterItemId>, CallbackError> {
        self.get()?.query_for_additional_items()
    }

    fn add_item_to_session(&self, item: &SyncCenterItemId) -> Result<(), CallbackError> {
        self.get()?.add_item_to_session(item)
    }

    fn add_object_to_session(&self, object: SessionObject) -> Result<(), CallbackError> {
        self.get()?.add_object_to_session(object)
    }

    fn propose_item(&self, item: &SyncCenterItem) -> Result<(), CallbackError> {
        self.get()?.propose_item(item)
    }

    fn commit_item(&self, item: &SyncCenterItemId) -> Result<(), CallbackError> {
        self.get()?.commit_item(item)
    }

    fn report_manual_sync(&self) -> Result<(), CallbackError> {
        self.get()?.report_manual_sync()
    }
}
