//! [`SyncCenterHandler`]: the essentials of `ISyncMgrHandler`, the interface
//! a Sync Center handler implements.

use std::convert::Infallible;
use std::time::SystemTime;

use crate::sync::Arc;
use crate::{Guid, HandlerError, WindowHandle};

use super::{
    HandlerCapabilities, HandlerPolicies, SyncCenterCallback, SyncCenterHandlerInfo,
    SyncCenterItem, SyncCenterItemId,
};

/// `ISyncMgrHandler`: a Sync Center handler ([the specification](crate::protocol#sync-center)).
///
/// `Synchronize` replaces SyncMgr's `PrepareForSync` + `Synchronize` pair:
/// one synchronous call that returns when the sync is complete ([§G.7 #50](crate::protocol#rule-50)).
/// In Windows the handler creates its session itself through the
/// `ISyncMgrSessionCreator` it is given (`CreateSession(handler, items)`);
/// here the host has already created that session for exactly the items it
/// passes and hands over its [`SyncCenterCallback`], which is what
/// `CreateSession` would return (with the `com` feature on Windows, the
/// exported `ISyncMgrHandler` calls `CreateSession` and passes on the
/// callback it returns). The items a handler offers
/// (`IEnumSyncMgrSyncItems`) are [`items`](Self::items).
///
/// Only `name` and `synchronize` are required. The other methods have
/// Windows' defaults where it has them: `GetObject` answers `E_NOTIMPL`
/// ([`object`](Self::object), [`item_object`](Self::item_object)), a
/// handler and its items are active, enabled and connected, and a property
/// the handler does not know (a last sync time, a label, a comment) answers
/// `E_NOTIMPL`, for which Sync Center shows its default. The `item_*`
/// methods answer for one item of [`items`](Self::items), named by id.
pub trait SyncCenterHandler: Send + Sync {
    /// `GetName`: the handler's display name (at most 127 UTF-16 units).
    ///
    /// # Errors
    ///
    /// As the handler decides.
    fn name(&self) -> Result<String, HandlerError>;

    /// `GetHandlerInfo`.
    ///
    /// # Errors
    ///
    /// As the handler decides; a default description by default.
    fn handler_info(&self) -> Result<SyncCenterHandlerInfo, HandlerError> {
        Ok(SyncCenterHandlerInfo::default())
    }

    /// `GetCapabilities`; none by default.
    ///
    /// # Errors
    ///
    /// As the handler decides.
    fn capabilities(&self) -> Result<HandlerCapabilities, HandlerError> {
        Ok(HandlerCapabilities::empty())
    }

    /// `GetPolicies`; none by default.
    ///
    /// # Errors
    ///
    /// As the handler decides.
    fn policies(&self) -> Result<HandlerPolicies, HandlerError> {
        Ok(HandlerPolicies::empty())
    }

    /// `Activate(fActivate)`; accepted by default.
    ///
    /// # Errors
    ///
    /// As the handler decides.
    fn activate(&self, activate: bool) -> Result<(), HandlerError> {
        let _ = activate;
        Ok(())
    }

    /// `Enable(fEnable)`; accepted by default.
    ///
    /// # Errors
    ///
    /// As the handler decides.
    fn enable(&self, enable: bool) -> Result<(), HandlerError> {
        let _ = enable;
        Ok(())
    }

    /// `GetObject(rguidObjectID, riid)`: a handler object such as its icon
    /// or event store (`SYNCMGR_OBJECTID_*`). The portable trait cannot hand
    /// out a COM object, so the only answer is an error: `E_NOTIMPL` by
    /// default.
    ///
    /// # Errors
    ///
    /// As the handler decides.
    fn object(&self, object: Guid, interface: Guid) -> Result<Infallible, HandlerError> {
        let _ = (object, interface);
        Err(HandlerError::NotImplemented)
    }

    /// `ISyncMgrHandlerInfo::GetLastSyncTime`; `E_NOTIMPL` by default.
    ///
    /// # Errors
    ///
    /// As the handler decides.
    fn last_sync_time(&self) -> Result<SystemTime, HandlerError> {
        Err(HandlerError::NotImplemented)
    }

    /// `ISyncMgrHandlerInfo::IsActive` (`S_OK` / `S_FALSE`); true by default.
    ///
    /// # Errors
    ///
    /// As the handler decides.
    fn is_active(&self) -> Result<bool, HandlerError> {
        Ok(true)
    }

    /// `ISyncMgrHandlerInfo::IsEnabled`; true by default.
    ///
    /// # Errors
    ///
    /// As the handler decides.
    fn is_enabled(&self) -> Result<bool, HandlerError> {
        Ok(true)
    }

    /// `ISyncMgrHandlerInfo::IsConnected`; true by default.
    ///
    /// # Errors
    ///
    /// As the handler decides.
    fn is_connected(&self) -> Result<bool, HandlerError> {
        Ok(true)
    }

    /// `ISyncMgrSyncItemInfo::GetTypeLabel` of `item`; `E_NOTIMPL` by
    /// default.
    ///
    /// # Errors
    ///
    /// As the handler decides.
    fn item_type_label(&self, item: &SyncCenterItemId) -> Result<String, HandlerError> {
        let _ = item;
        Err(HandlerError::NotImplemented)
    }

    /// `ISyncMgrSyncItemInfo::GetComment` of `item`; `E_NOTIMPL` by default.
    ///
    /// # Errors
    ///
    /// As the handler decides.
    fn item_comment(&self, item: &SyncCenterItemId) -> Result<String, HandlerError> {
        let _ = item;
        Err(HandlerError::NotImplemented)
    }

    /// `ISyncMgrSyncItemInfo::GetLastSyncTime` of `item`; `E_NOTIMPL` by
    /// default.
    ///
    /// # Errors
    ///
    /// As the handler decides.
    fn item_last_sync_time(&self, item: &SyncCenterItemId) -> Result<SystemTime, HandlerError> {
        let _ = item;
        Err(HandlerError::NotImplemented)
    }

    /// `ISyncMgrSyncItemInfo::IsEnabled` of `item`; true by default.
    ///
    /// # Errors
    ///
    /// As the handler decides.
    fn item_enabled(&self, item: &SyncCenterItemId) -> Result<bool, HandlerError> {
        let _ = item;
        Ok(true)
    }

    /// `ISyncMgrSyncItemInfo::IsConnected` of `item`; true by default.
    ///
    /// # Errors
    ///
    /// As the handler decides.
    fn item_connected(&self, item: &SyncCenterItemId) -> Result<bool, HandlerError> {
        let _ = item;
        Ok(true)
    }

    /// `ISyncMgrSyncItem::Enable(fEnable)` of `item`; accepted by default.
    ///
    /// # Errors
    ///
    /// As the handler decides.
    fn enable_item(&self, item: &SyncCenterItemId, enable: bool) -> Result<(), HandlerError> {
        let _ = (item, enable);
        Ok(())
    }

    /// `ISyncMgrSyncItem::Delete` of `item`; `E_NOTIMPL` by default (an
    /// item without `SYNCMGR_ICM_CAN_DELETE` is never asked).
    ///
    /// # Errors
    ///
    /// As the handler decides.
    fn delete_item(&self, item: &SyncCenterItemId) -> Result<(), HandlerError> {
        let _ = item;
        Err(HandlerError::NotImplemented)
    }

    /// `ISyncMgrSyncItem::GetObject` of `item`: as [`object`](Self::object),
    /// `E_NOTIMPL` by default.
    ///
    /// # Errors
    ///
    /// As the handler decides.
    fn item_object(
        &self,
        item: &SyncCenterItemId,
        object: Guid,
        interface: Guid,
    ) -> Result<Infallible, HandlerError> {
        let _ = (item, object, interface);
        Err(HandlerError::NotImplemented)
    }

    /// The items the handler offers (`IEnumSyncMgrSyncItems`); none by
    /// default.
    ///
    /// # Errors
    ///
    /// As the handler decides.
    fn items(&self) -> Result<Vec<SyncCenterItem>, HandlerError> {
        Ok(Vec::new())
    }

    /// `Synchronize(ppszItemIDs, cItems, hwndOwner, pSessionCreator, punk)`:
    /// synchronize `items`, reporting to `callback`, and return when done.
    ///
    /// # Errors
    ///
    /// The handler's failure; the host finishes the items it left open.
    fn synchronize(
        &self,
        items: &[SyncCenterItemId],
        owner: WindowHandle,
        callback: Arc<dyn SyncCenterCallback>,
    ) -> Result<(), HandlerError>;
}
