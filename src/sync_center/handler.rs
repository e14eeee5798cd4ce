//! [`SyncCenterHandler`]: the essentials of `ISyncMgrHandler`, the interface
//! a Sync Center handler implements.

use crate::sync::Arc;
use crate::{HandlerError, WindowHandle};

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
/// `CreateSession` would return. `GetObject` is not modelled, and the items
/// a handler offers (`IEnumSyncMgrSyncItems`) are [`items`](Self::items).
///
/// Only `name` and `synchronize` are required.
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
