//! `ISyncMgrSynchronize` (with `ISyncMgrEnumItems`) in both directions:
//! [`export_handler`] (a Rust [`SyncHandler`] as a COM object) and
//! [`ComHandler`] (a COM handler as a Rust [`SyncHandler`]).
//!
//! # Invariants
//!
//! - An exported handler holds at most one COM reference to a host
//!   callback: the one in its current revocable slot. Replaced and released
//!   slots are revoked, so their reference goes when the last call running
//!   on them returns.
//! - A [`ComHandler`] revokes the Rust callback it passed to the COM handler
//!   on replace and on release.
//!
//! # Deadlock safety
//!
//! The `current` locks are held only to swap the slot, never while a
//! handler, a callback or COM runs. The exported handler revokes without
//! waiting ([`CallbackSlot::set_nonblocking`]): the host's thread, inside
//! `SetProgressCallback`, may be the very thread a call on the old callback
//! waits for (an apartment-bound host callback). [`ComHandler`] revokes with
//! [`CallbackSlot::set`], which waits for calls other threads are making on
//! the Rust callback: those run on the calling thread (the exported callback
//! is agile), never on the thread that waits.
//!
//! A [`ComHandler`] over an ordinary handler of an STA carries each call to
//! that STA's thread and waits for it to pump (see the [module
//! docs](super)); the handler's enumerator is read in the same call, so
//! no call waits on two apartments at once.

use std::convert::Infallible;
use std::ffi::c_void;
use std::fmt;

use windows::Win32::Foundation::HWND;
use windows::Win32::System::Com::{CoTaskMemAlloc, CoTaskMemFree};
use windows::Win32::UI::Shell::{
    ISyncMgrEnumItems, ISyncMgrSynchronize, ISyncMgrSynchronizeCallback, SYNCMGRHANDLERINFO,
    SYNCMGRITEM,
};
use windows_core::{GUID, HRESULT, IUnknown, Interface, implement};

use super::abi::{
    ISyncMgrEnumItemsAbi, ISyncMgrEnumItemsAbi_Impl, ISyncMgrSynchronizeAbi,
    ISyncMgrSynchronizeAbi_Impl,
};
use super::agile::Agile;
use super::callback::{ComCallback, export_callback};
use super::convert::{from_hresult, to_guid, to_hresult};
use super::cursor::Cursor;
use super::error::{ComError, QuietDrop, drop_quietly, entry};
use super::live::LiveObject;
use super::raw::{self, reserved};
use crate::sync::{Arc, Mutex};
use crate::{
    CallbackSlot, ErrorId, Guid, HResult, HandlerAnswer, HandlerError, HandlerInfo,
    ItemEnumeration, ItemId, SyncCallback, SyncHandler, SyncItem, SyncMgrFlags, SyncMgrStatus,
    WindowHandle,
};

/// The handler's window handle as the portable one.
fn window(hwnd: HWND) -> WindowHandle {
    WindowHandle(hwnd.0 as isize)
}

/// The portable window handle as an `HWND`.
fn hwnd(window: WindowHandle) -> HWND {
    HWND(window.0 as *mut c_void)
}

/// The code for a handler's result.
fn code_of<T>(result: Result<T, HandlerError>, ok: impl FnOnce(T) -> HResult) -> HResult {
    match result {
        Ok(value) => ok(value),
        Err(error) => error.hresult(),
    }
}

/// Expose `handler` as a real `ISyncMgrSynchronize` object (which also
/// hands out `ISyncMgrEnumItems` enumerators).
///
/// Every method answers the handler's own code: `Initialize` and
/// `PrepareForSync` answer `S_OK` or `S_FALSE` ([`HandlerAnswer`]),
/// `EnumSyncMgrItems` `S_OK` or `S_SYNCMGR_MISSINGITEMS`, a failure
/// [`HandlerError::hresult`]. Before the handler is called the arguments are
/// checked (see the [module docs](super)): NULL required pointers answer
/// `E_POINTER` (`[out]` pointers are set to NULL first whenever they are
/// not NULL themselves), non-zero reserved arguments and unknown statuses
/// `E_INVALIDARG`, and a panic `E_UNEXPECTED`. `dwSyncMgrFlags` is read
/// leniently, as the documentation tells a handler to
/// ([`SyncMgrFlags::from_u32_lenient`], [§G.1 #2](crate::protocol#fact-2)).
///
/// `SetProgressCallback` gives the handler a revocable view of the host's
/// callback ([`ComCallback`] in a [`CallbackSlot`]) and holds exactly one
/// reference to the current host callback, whatever the handler keeps; see
/// "Reference counts" in the [module docs](super).
///
/// `GetHandlerInfo` allocates the structure with `CoTaskMemAlloc` (the
/// caller frees it, [§G.1 #10](crate::protocol#rule-10)), with this architecture's `cbSize` and no
/// icon. Items are enumerated once, when `EnumSyncMgrItems` is called.
pub fn export_handler(handler: Arc<dyn SyncHandler>) -> ISyncMgrSynchronize {
    let object: IUnknown = HandlerObject::new(handler).into();
    object
        .cast()
        .unwrap_or_else(|_| unreachable!("the object implements ISyncMgrSynchronize"))
}

/// A host callback as the exported handler gives it to the Rust handler.
type HostSlot = CallbackSlot<ComCallback>;

#[implement(ISyncMgrSynchronizeAbi)]
pub(crate) struct HandlerObject {
    handler: QuietDrop<Arc<dyn SyncHandler>>,
    current: Mutex<Option<Arc<HostSlot>>>,
    _live: LiveObject,
}

impl HandlerObject {
    pub(crate) fn new(handler: Arc<dyn SyncHandler>) -> Self {
        Self {
            handler: QuietDrop::new(handler),
            current: Mutex::new(None),
            _live: LiveObject::new(),
        }
    }

    /// Run `body` on the handler inside the panic guard.
    fn with(
        &self,
        method: &'static str,
        body: impl FnOnce(&dyn SyncHandler) -> Result<HResult, ComError>,
    ) -> HRESULT {
        to_hresult(entry(method, || match self.handler.get() {
            Some(handler) => body(&**handler),
            None => Ok(HResult::E_UNEXPECTED),
        }))
    }

    /// `SetProgressCallback`'s body.
    fn set_callback(
        &self,
        handler: &dyn SyncHandler,
        callback: Option<&ISyncMgrSynchronizeCallback>,
    ) -> Result<HResult, ComError> {
        let new = match callback {
            Some(callback) => {
                let slot = Arc::new(HostSlot::new());
                slot.set(Some(Arc::new(ComCallback::new(callback)?)));
                Some(slot)
            }
            None => None,
        };
        let given = new.clone().map(|slot| slot as Arc<dyn SyncCallback>);
        if let Err(error) = handler.set_progress_callback(given) {
            // The handler refused: the host keeps its old state.
            if let Some(slot) = new {
                slot.set_nonblocking(None);
            }
            return Ok(error.hresult());
        }
        let old = std::mem::replace(&mut *self.current.lock(), new);
        if let Some(old) = old {
            old.set_nonblocking(None);
        }
        Ok(HResult::S_OK)
    }
}

impl Drop for HandlerObject {
    fn drop(&mut self) {
        // A host that never called SetProgressCallback(NULL): release its
        // callback with the handler.
        if let Some(slot) = self.current.get_mut().take() {
            slot.set_nonblocking(None);
            drop_quietly(slot);
        }
    }
}

impl ISyncMgrSynchronizeAbi_Impl for HandlerObject_Impl {
    unsafe fn Initialize(
        &self,
        reserved_: u32,
        flags: u32,
        cb_cookie: u32,
        cookie: *const u8,
    ) -> HRESULT {
        const METHOD: &str = "Initialize";
        self.with(METHOD, |handler| {
            reserved(METHOD, "dwReserved", reserved_)?;
            let flags = SyncMgrFlags::from_u32_lenient(flags);
            let cookie = if cookie.is_null() {
                if cb_cookie != 0 {
                    return Err(ComError::InvalidArgument {
                        method: METHOD,
                        reason: format!("lpCookie is NULL but cbCookie is {cb_cookie}"),
                    });
                }
                None
            } else {
                // A slice may not exceed isize::MAX bytes (reachable on a
                // 32-bit target).
                let len = usize::try_from(cb_cookie)
                    .ok()
                    .filter(|&len| isize::try_from(len).is_ok())
                    .ok_or_else(|| ComError::InvalidArgument {
                        method: METHOD,
                        reason: format!("cbCookie {cb_cookie} is too large"),
                    })?;
                // SAFETY: `[size_is(cbCookie)]`: a non-NULL cookie has
                // `cbCookie` readable bytes, alive for the call.
                Some(unsafe { std::slice::from_raw_parts(cookie, len) })
            };
            Ok(code_of(
                handler.initialize(flags, cookie),
                HandlerAnswer::to_hresult,
            ))
        })
    }

    unsafe fn GetHandlerInfo(&self, info: *mut *mut SYNCMGRHANDLERINFO) -> HRESULT {
        const METHOD: &str = "GetHandlerInfo";
        self.with(METHOD, |handler| {
            if info.is_null() {
                return Err(ComError::NullPointer {
                    method: METHOD,
                    argument: "ppSyncMgrHandlerInfo",
                });
            }
            // SAFETY: a non-NULL `[out]` pointer is writable.
            unsafe { info.write(std::ptr::null_mut()) };
            let described = match handler.handler_info() {
                Ok(described) => described,
                Err(error) => return Ok(error.hresult()),
            };
            // SAFETY: plain allocation; the result is checked for NULL.
            let block = unsafe { CoTaskMemAlloc(size_of::<SYNCMGRHANDLERINFO>()) };
            let block = block.cast::<SYNCMGRHANDLERINFO>();
            if block.is_null() {
                return Ok(HResult::E_OUTOFMEMORY);
            }
            // SAFETY: `block` is a fresh allocation of the structure's size,
            // suitably aligned (CoTaskMemAlloc aligns for any type); `info`
            // is writable. The caller now owns the block (§G.1 #10).
            unsafe {
                block.write(raw::handler_info_to_abi(&described));
                info.write(block);
            }
            Ok(HResult::S_OK)
        })
    }

    unsafe fn EnumSyncMgrItems(&self, items: *mut *mut c_void) -> HRESULT {
        const METHOD: &str = "EnumSyncMgrItems";
        self.with(METHOD, |handler| {
            if items.is_null() {
                return Err(ComError::NullPointer {
                    method: METHOD,
                    argument: "ppSyncMgrEnumItems",
                });
            }
            // SAFETY: a non-NULL `[out]` pointer is writable.
            unsafe { items.write(std::ptr::null_mut()) };
            let enumeration = match handler.enum_items() {
                Ok(enumeration) => enumeration,
                Err(error) => return Ok(error.hresult()),
            };
            let code = enumeration.hresult();
            let enumerator: ISyncMgrEnumItemsAbi =
                EnumObject::new(Cursor::new(enumeration.items.into())).into();
            // SAFETY: `items` is writable; the caller owns the reference.
            unsafe { items.write(enumerator.into_raw()) };
            Ok(code)
        })
    }

    unsafe fn GetItemObject(
        &self,
        item: *const GUID,
        riid: *const GUID,
        object: *mut *mut c_void,
    ) -> HRESULT {
        const METHOD: &str = "GetItemObject";
        self.with(METHOD, |handler| {
            if object.is_null() {
                return Err(ComError::NullPointer {
                    method: METHOD,
                    argument: "ppv",
                });
            }
            // SAFETY: a non-NULL `[out]` pointer is writable.
            unsafe { object.write(std::ptr::null_mut()) };
            // SAFETY: REFGUIDs: NULL (refused) or readable.
            let (item, interface) = unsafe {
                (
                    ItemId::from_guid(raw::read_guid(METHOD, "ItemID", item)?),
                    raw::read_guid(METHOD, "riid", riid)?,
                )
            };
            let result: Result<Infallible, HandlerError> = handler.item_object(item, interface);
            Ok(match result {
                Err(error) => error.hresult(),
            })
        })
    }

    unsafe fn ShowProperties(&self, parent: HWND, item: *const GUID) -> HRESULT {
        const METHOD: &str = "ShowProperties";
        self.with(METHOD, |handler| {
            // SAFETY: a REFGUID: NULL (refused) or readable.
            let item = ItemId::from_guid(unsafe { raw::read_guid(METHOD, "ItemID", item) }?);
            Ok(code_of(
                handler.show_properties(window(parent), item),
                |()| HResult::S_OK,
            ))
        })
    }

    unsafe fn SetProgressCallback(&self, callback: *mut c_void) -> HRESULT {
        self.with("SetProgressCallback", |handler| {
            // SAFETY: `[unique]`: NULL or a live ISyncMgrSynchronizeCallback,
            // borrowed for the call (ComCallback takes its own reference).
            let callback = unsafe { ISyncMgrSynchronizeCallback::from_raw_borrowed(&callback) };
            self.set_callback(handler, callback)
        })
    }

    unsafe fn PrepareForSync(
        &self,
        count: u32,
        items: *const GUID,
        parent: HWND,
        reserved_: u32,
    ) -> HRESULT {
        const METHOD: &str = "PrepareForSync";
        self.with(METHOD, |handler| {
            reserved(METHOD, "dwReserved", reserved_)?;
            // SAFETY: `[size_is(cbNumItems)]`: `count` readable GUIDs.
            let items: Vec<ItemId> = unsafe { raw::read_guids(METHOD, "pItemIDs", count, items) }?
                .into_iter()
                .map(ItemId::from_guid)
                .collect();
            Ok(code_of(
                handler.prepare_for_sync(&items, window(parent)),
                HandlerAnswer::to_hresult,
            ))
        })
    }

    unsafe fn Synchronize(&self, parent: HWND) -> HRESULT {
        self.with("Synchronize", |handler| {
            Ok(code_of(handler.synchronize(window(parent)), |()| {
                HResult::S_OK
            }))
        })
    }

    unsafe fn SetItemStatus(&self, item: *const GUID, status: u32) -> HRESULT {
        const METHOD: &str = "SetItemStatus";
        self.with(METHOD, |handler| {
            // SAFETY: a REFGUID: NULL (refused) or readable.
            let item = ItemId::from_guid(unsafe { raw::read_guid(METHOD, "pItemID", item) }?);
            let status = SyncMgrStatus::try_from(status).map_err(|source| ComError::Decode {
                method: METHOD,
                source,
            })?;
            Ok(code_of(handler.set_item_status(item, status), |()| {
                HResult::S_OK
            }))
        })
    }

    unsafe fn ShowError(&self, parent: HWND, error: *const GUID) -> HRESULT {
        const METHOD: &str = "ShowError";
        self.with(METHOD, |handler| {
            // SAFETY: a REFGUID: NULL (refused) or readable.
            let error = ErrorId::from_guid(unsafe { raw::read_guid(METHOD, "ErrorID", error) }?);
            Ok(code_of(handler.show_error(window(parent), error), |()| {
                HResult::S_OK
            }))
        })
    }
}

/// The exported `ISyncMgrEnumItems`: a [`Cursor`] over a fixed list.
#[implement(ISyncMgrEnumItemsAbi)]
struct EnumObject {
    cursor: Cursor<SyncItem>,
    _live: LiveObject,
}

impl EnumObject {
    fn new(cursor: Cursor<SyncItem>) -> Self {
        Self {
            cursor,
            _live: LiveObject::new(),
        }
    }
}

impl ISyncMgrEnumItemsAbi_Impl for EnumObject_Impl {
    unsafe fn Next(&self, celt: u32, items: *mut SYNCMGRITEM, fetched: *mut u32) -> HRESULT {
        const METHOD: &str = "Next";
        to_hresult(entry(METHOD, || {
            // SAFETY: `[out, size_is(celt)]` and `[out]`: NULL or writable
            // for `celt` structures and a count (COM's caller's guarantee).
            unsafe {
                self.cursor.next(
                    METHOD,
                    celt,
                    items,
                    fetched,
                    |item| Ok(raw::item_to_abi(item)),
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
                self.cursor
                    .clone_out(clone, |cursor| -> ISyncMgrEnumItemsAbi {
                        EnumObject::new(cursor).into()
                    })
            }
        }))
    }
}

/// A COM `ISyncMgrSynchronize` (an existing Windows handler) as a Rust
/// [`SyncHandler`], so that a [`Session`](crate::Session) can drive it and
/// check it.
///
/// Each call goes through the raw vtable slot and reads the raw `HRESULT`
/// by value:
///
/// | method | answers | becomes |
/// |---|---|---|
/// | `initialize`, `prepare_for_sync` | `S_OK` / `S_FALSE` | [`HandlerAnswer::Accept`] / [`HandlerAnswer::Decline`] |
/// | `enum_items` | `S_OK` / `S_SYNCMGR_MISSINGITEMS` | [`ItemEnumeration`], `missing_items` false / true |
/// | `synchronize` | `S_OK` | `Ok(())` |
/// | `show_properties`, `show_error`, `set_item_status` | any success code | `Ok(())` |
/// | any | a failure code | the [`HandlerError`] for it |
/// | any | a success code it may not answer | [`HandlerError::Unexpected`] |
///
/// `GetHandlerInfo`'s structure is checked (`cbSize` for this architecture,
/// flags, a terminated valid name) and freed with `CoTaskMemFree`; the
/// enumerator's items likewise (`Next` until `S_FALSE`, at most
/// [`ComHandler::MAX_ITEMS`]); icons are not read. A reply that does not
/// decode is a [`HandlerError::InvalidArgument`] whose reason is the
/// [`ComError`].
///
/// `set_progress_callback(Some(cb))` hands the COM handler an object made by
/// [`export_callback`] over a revocable slot holding `cb`;
/// `set_progress_callback(None)` (or a replace) revokes it after the COM
/// handler returned, so `cb` is released even if the COM handler leaks the
/// object, and a late call through it answers `E_UNEXPECTED` ([§G.1 #8](crate::protocol#rule-8)).
///
/// The handler is held by COM's apartment rules, so that any thread may
/// call it (see the [module docs](super)): an ordinary handler made in an
/// STA is called on its thread (which must pump messages while others
/// call), one made in the MTA from MTA threads; the enumerator and any
/// object it hands back are used and released in the same apartment.
pub struct ComHandler {
    handler: Agile<ISyncMgrSynchronize>,
    current: Mutex<Option<Arc<CallbackSlot>>>,
    _live: LiveObject,
}

impl fmt::Debug for ComHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ComHandler").finish_non_exhaustive()
    }
}

impl ComHandler {
    /// The most items read from one enumeration; more is refused as a
    /// runaway enumerator.
    pub const MAX_ITEMS: usize = 65_536;

    /// Items asked for per `Next` call.
    const BATCH: u32 = 16;

    /// Wrap `handler`.
    ///
    /// # Errors
    ///
    /// The calling thread is in no apartment
    /// ([`ApartmentProblem::NotEntered`](super::ApartmentProblem::NotEntered)),
    /// or the object is in the neutral apartment and cannot be marshaled,
    /// or (an STA object) the thread's message-only window could not be
    /// made. Which apartment rule applies is in the [module docs](super).
    pub fn new(handler: &ISyncMgrSynchronize) -> Result<Self, ComError> {
        Ok(Self {
            handler: Agile::new("ComHandler::new", handler)?,
            current: Mutex::new(None),
            _live: LiveObject::new(),
        })
    }

    /// A method answering `S_OK` / `S_FALSE`.
    fn yes_no(
        &self,
        method: &'static str,
        call: impl FnOnce(&ISyncMgrSynchronize) -> HRESULT,
    ) -> Result<HandlerAnswer, HandlerError> {
        let code = self.handler.call_raw(method, call)?;
        HandlerAnswer::from_hresult(code).ok_or_else(|| unexpected(method, code, "S_OK or S_FALSE"))
    }

    /// A method whose success carries nothing; `exact` accepts `S_OK` alone.
    fn plain(
        &self,
        method: &'static str,
        exact: bool,
        call: impl FnOnce(&ISyncMgrSynchronize) -> HRESULT,
    ) -> Result<(), HandlerError> {
        let code = self.handler.call_raw(method, call)?;
        if code.is_s_ok() || (!exact && code.is_success_severity()) {
            Ok(())
        } else {
            Err(unexpected(method, code, "S_OK"))
        }
    }

    /// Read every item from an enumerator.
    fn read_items(enumerator: &ISyncMgrEnumItems) -> Result<Vec<SyncItem>, HandlerError> {
        const METHOD: &str = "Next";
        let mut items = Vec::new();
        loop {
            // SAFETY: SYNCMGRITEM is plain data; all-zero is a valid value.
            let mut batch: [SYNCMGRITEM; Self::BATCH as usize] = unsafe { std::mem::zeroed() };
            let mut fetched = 0u32;
            // SAFETY: a live interface pointer and its own vtable slot;
            // `batch` has room for BATCH items and `fetched` is writable.
            let code = from_hresult(unsafe {
                (enumerator.vtable().Next)(
                    enumerator.as_raw(),
                    Self::BATCH,
                    batch.as_mut_ptr(),
                    &mut fetched,
                )
            });
            let done = match code {
                HResult::S_OK => false,
                HResult::S_FALSE => true,
                code => return Err(unexpected(METHOD, code, "S_OK or S_FALSE")),
            };
            if fetched > Self::BATCH || (!done && fetched != Self::BATCH) {
                return Err(ComError::InvalidArgument {
                    method: METHOD,
                    reason: format!(
                        "{code} with pceltFetched {fetched} for celt {}",
                        Self::BATCH
                    ),
                }
                .into());
            }
            for item in &batch[..fetched as usize] {
                items.push(raw::item_from_abi(METHOD, item)?);
            }
            if items.len() > Self::MAX_ITEMS {
                return Err(ComError::InvalidArgument {
                    method: METHOD,
                    reason: format!("more than {} items", Self::MAX_ITEMS),
                }
                .into());
            }
            if done {
                return Ok(items);
            }
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

/// The error for a code `method` may not answer.
fn unexpected(method: &'static str, code: HResult, expected: &'static str) -> HandlerError {
    if code.is_failure() {
        ComError::from_code(method, code).into()
    } else {
        ComError::UnexpectedReply {
            method,
            code,
            expected,
        }
        .into()
    }
}

impl SyncHandler for ComHandler {
    fn initialize(
        &self,
        flags: SyncMgrFlags,
        cookie: Option<&[u8]>,
    ) -> Result<HandlerAnswer, HandlerError> {
        const METHOD: &str = "Initialize";
        let (len, ptr) = match cookie {
            Some(cookie) => (
                u32::try_from(cookie.len()).map_err(|_| ComError::InvalidArgument {
                    method: METHOD,
                    reason: format!("a cookie of {} bytes does not fit a DWORD", cookie.len()),
                })?,
                cookie.as_ptr(),
            ),
            None => (0, std::ptr::null()),
        };
        self.yes_no(METHOD, |h| {
            // SAFETY: a live interface pointer and its own vtable slot; the
            // cookie is NULL or `len` bytes alive for the call.
            unsafe { (h.vtable().Initialize)(h.as_raw(), 0, flags.to_u32(), len, ptr) }
        })
    }

    fn handler_info(&self) -> Result<HandlerInfo, HandlerError> {
        const METHOD: &str = "GetHandlerInfo";
        let mut info: *mut SYNCMGRHANDLERINFO = std::ptr::null_mut();
        let code = self.handler.call_raw(METHOD, |h| {
            // SAFETY: a live interface pointer and its own vtable slot;
            // `info` is writable.
            unsafe { (h.vtable().GetHandlerInfo)(h.as_raw(), &mut info) }
        })?;
        // The block is plain memory: it may be read and freed on any thread.
        if !code.is_s_ok() {
            if !info.is_null() {
                // SAFETY: the handler allocated it with CoTaskMemAlloc.
                unsafe { CoTaskMemFree(Some(info.cast_const().cast())) };
            }
            return Err(unexpected(METHOD, code, "S_OK"));
        }
        if info.is_null() {
            return Err(ComError::NullPointer {
                method: METHOD,
                argument: "*ppSyncMgrHandlerInfo",
            }
            .into());
        }
        // SAFETY: the handler returned a SYNCMGRHANDLERINFO it allocated;
        // its size is checked before the rest is read.
        let described = unsafe { raw::read_handler_info(METHOD, info) };
        // SAFETY: allocated with CoTaskMemAlloc, now ours to free (§G.1 #10).
        unsafe { CoTaskMemFree(Some(info.cast_const().cast())) };
        Ok(described?)
    }

    fn enum_items(&self) -> Result<ItemEnumeration, HandlerError> {
        const METHOD: &str = "EnumSyncMgrItems";
        // The enumerator belongs to the handler's apartment: it is read and
        // released where the handler is called, in the same call.
        self.handler.with(METHOD, |h| {
            let mut raw_enum: *mut c_void = std::ptr::null_mut();
            // SAFETY: a live interface pointer and its own vtable slot;
            // `raw_enum` is writable.
            let code =
                from_hresult(unsafe { (h.vtable().EnumSyncMgrItems)(h.as_raw(), &mut raw_enum) });
            // SAFETY: an `[out]` interface pointer: NULL or a reference we own.
            let enumerator = unsafe { owned::<ISyncMgrEnumItems>(raw_enum) };
            let missing_items = match code {
                HResult::S_OK => false,
                HResult::S_SYNCMGR_MISSINGITEMS => true,
                code => return Err(unexpected(METHOD, code, "S_OK or S_SYNCMGR_MISSINGITEMS")),
            };
            let enumerator = enumerator.ok_or(ComError::NullPointer {
                method: METHOD,
                argument: "*ppSyncMgrEnumItems",
            })?;
            Ok(ItemEnumeration {
                items: Self::read_items(&enumerator)?,
                missing_items,
            })
        })?
    }

    fn item_object(&self, item: ItemId, interface: Guid) -> Result<Infallible, HandlerError> {
        const METHOD: &str = "GetItemObject";
        let (item, interface) = (to_guid(item.to_guid()), to_guid(interface));
        let code = self.handler.call_raw(METHOD, |h| {
            let mut object: *mut c_void = std::ptr::null_mut();
            // SAFETY: a live interface pointer and its own vtable slot; the
            // GUIDs outlive the call and `object` is writable.
            let code =
                unsafe { (h.vtable().GetItemObject)(h.as_raw(), &item, &interface, &mut object) };
            // SAFETY: an `[out]` interface pointer: NULL or a reference we
            // own; it is released here, in the handler's apartment, since a
            // host must not rely on it (§G.1 #9).
            drop(unsafe { owned::<IUnknown>(object) });
            code
        })?;
        Err(unexpected(METHOD, code, "E_NOTIMPL"))
    }

    fn show_properties(&self, parent: WindowHandle, item: ItemId) -> Result<(), HandlerError> {
        let id = to_guid(item.to_guid());
        self.plain("ShowProperties", false, |h| {
            // SAFETY: a live interface pointer and its own vtable slot; `id`
            // outlives the call.
            unsafe { (h.vtable().ShowProperties)(h.as_raw(), hwnd(parent), &id) }
        })
    }

    fn set_progress_callback(
        &self,
        callback: Option<Arc<dyn SyncCallback>>,
    ) -> Result<(), HandlerError> {
        let new = callback.map(|callback| {
            let slot = Arc::new(CallbackSlot::new());
            slot.set(Some(callback));
            slot
        });
        let object = new.clone().map(|slot| export_callback(slot));
        let result = self.plain("SetProgressCallback", true, |h| {
            let raw = object
                .as_ref()
                .map_or(std::ptr::null_mut(), Interface::as_raw);
            // SAFETY: a live interface pointer and its own vtable slot; the
            // callback is NULL or alive for the call (the handler AddRefs
            // what it keeps).
            unsafe { (h.vtable().SetProgressCallback)(h.as_raw(), raw) }
        });
        drop(object);
        if let Err(error) = result {
            if let Some(slot) = new {
                slot.set(None);
            }
            return Err(error);
        }
        let old = std::mem::replace(&mut *self.current.lock(), new);
        if let Some(old) = old {
            old.set(None);
        }
        Ok(())
    }

    fn prepare_for_sync(
        &self,
        items: &[ItemId],
        parent: WindowHandle,
    ) -> Result<HandlerAnswer, HandlerError> {
        const METHOD: &str = "PrepareForSync";
        let ids: Vec<GUID> = items.iter().map(|i| to_guid(i.to_guid())).collect();
        let count = u32::try_from(ids.len()).map_err(|_| ComError::InvalidArgument {
            method: METHOD,
            reason: format!("{} items do not fit a ULONG", ids.len()),
        })?;
        self.yes_no(METHOD, |h| {
            // SAFETY: a live interface pointer and its own vtable slot; `ids`
            // holds `count` GUIDs alive for the call.
            unsafe { (h.vtable().PrepareForSync)(h.as_raw(), count, ids.as_ptr(), hwnd(parent), 0) }
        })
    }

    fn synchronize(&self, parent: WindowHandle) -> Result<(), HandlerError> {
        self.plain("Synchronize", true, |h| {
            // SAFETY: a live interface pointer and its own vtable slot.
            unsafe { (h.vtable().Synchronize)(h.as_raw(), hwnd(parent)) }
        })
    }

    fn set_item_status(&self, item: ItemId, status: SyncMgrStatus) -> Result<(), HandlerError> {
        let id = to_guid(item.to_guid());
        self.plain("SetItemStatus", false, |h| {
            // SAFETY: a live interface pointer and its own vtable slot; `id`
            // outlives the call.
            unsafe { (h.vtable().SetItemStatus)(h.as_raw(), &id, status.as_u32()) }
        })
    }

    fn show_error(&self, parent: WindowHandle, error: ErrorId) -> Result<(), HandlerError> {
        let id = to_guid(error.to_guid());
        self.plain("ShowError", false, |h| {
            // SAFETY: a live interface pointer and its own vtable slot; `id`
            // outlives the call.
            unsafe { (h.vtable().ShowError)(h.as_raw(), hwnd(parent), &id) }
        })
    }
}

impl Drop for ComHandler {
    fn drop(&mut self) {
        // A host that never called set_progress_callback(None): the Rust
        // callback is released with the handler.
        if let Some(slot) = self.current.get_mut().take() {
            slot.set(None);
        }
    }
}
