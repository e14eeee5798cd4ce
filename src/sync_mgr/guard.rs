//! [`PanicGuard`]: a handler adapter that turns a panic in any handler
//! method into that method's error, so no handler panic unwinds into a
//! session.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::core::guard::panic_error;
use crate::sync::Arc;
use crate::{
    ErrorId, Guid, HandlerAnswer, HandlerError, HandlerInfo, ItemEnumeration, ItemId, SyncCallback,
    SyncHandler, SyncMgrFlags, SyncMgrStatus, WindowHandle,
};

/// A handler whose methods never unwind into the session: a panic becomes
/// the method's [`HandlerError::Failed`].
pub(crate) struct PanicGuard {
    inner: Arc<dyn SyncHandler>,
}

impl PanicGuard {
    pub(crate) fn new(inner: Arc<dyn SyncHandler>) -> Self {
        Self { inner }
    }
}

impl PanicGuard {
    fn call<T>(
        &self,
        name: &'static str,
        f: impl FnOnce() -> Result<T, HandlerError>,
    ) -> Result<T, HandlerError> {
        // Unwind safety: after a panic the handler is still called (at least
        // `SetProgressCallback(NULL)` on release), as the protocol requires;
        // a handler whose own state a panic left broken reports that itself
        // (a poisoned `std::sync::Mutex`, for example).
        catch_unwind(AssertUnwindSafe(f))
            .unwrap_or_else(|payload| Err(panic_error(name, &*payload)))
    }
}

impl SyncHandler for PanicGuard {
    fn initialize(
        &self,
        flags: SyncMgrFlags,
        cookie: Option<&[u8]>,
    ) -> Result<HandlerAnswer, HandlerError> {
        self.call("Initialize", || self.inner.initialize(flags, cookie))
    }

    fn handler_info(&self) -> Result<HandlerInfo, HandlerError> {
        self.call("GetHandlerInfo", || self.inner.handler_info())
    }

    fn enum_items(&self) -> Result<ItemEnumeration, HandlerError> {
        self.call("EnumSyncMgrItems", || self.inner.enum_items())
    }

    fn item_object(
        &self,
        item: ItemId,
        interface: Guid,
    ) -> Result<std::convert::Infallible, HandlerError> {
        self.call("GetItemObject", || self.inner.item_object(item, interface))
    }

    fn show_properties(&self, parent: WindowHandle, item: ItemId) -> Result<(), HandlerError> {
        self.call("ShowProperties", || {
            self.inner.show_properties(parent, item)
        })
    }

    fn set_progress_callback(
        &self,
        callback: Option<Arc<dyn SyncCallback>>,
    ) -> Result<(), HandlerError> {
        self.call("SetProgressCallback", || {
            self.inner.set_progress_callback(callback)
        })
    }

    fn prepare_for_sync(
        &self,
        items: &[ItemId],
        parent: WindowHandle,
    ) -> Result<HandlerAnswer, HandlerError> {
        self.call("PrepareForSync", || {
            self.inner.prepare_for_sync(items, parent)
        })
    }

    fn synchronize(&self, parent: WindowHandle) -> Result<(), HandlerError> {
        self.call("Synchronize", || self.inner.synchronize(parent))
    }

    fn set_item_status(&self, item: ItemId, status: SyncMgrStatus) -> Result<(), HandlerError> {
        self.call("SetItemStatus", || self.inner.set_item_status(item, status))
    }

    fn show_error(&self, parent: WindowHandle, error: ErrorId) -> Result<(), HandlerError> {
        self.call("ShowError", || self.inner.show_error(parent, error))
    }
}
