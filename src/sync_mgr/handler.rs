//! [`SyncHandler`]: the handler side of the protocol
//! (`ISyncMgrSynchronize`, [the specification](crate::protocol#syncmgr), §E).

use crate::sync::Arc;
use std::convert::Infallible;

use crate::{
    ErrorId, Guid, HResult, HandlerError, HandlerInfo, ItemId, SyncCallback, SyncItem,
    SyncMgrFlags, SyncMgrStatus, WindowHandle,
};

/// A handler's yes or no to `Initialize` or `PrepareForSync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HandlerAnswer {
    /// `S_OK`: the handler takes part (for `PrepareForSync`: a
    /// `PrepareForSyncCompleted` will follow).
    Accept,
    /// `S_FALSE`: for `Initialize`, the handler does not handle this event;
    /// for `PrepareForSync`, it cannot prepare without showing UI and
    /// `SYNCMGRFLAG_MAYBOTHERUSER` is clear. No completion follows.
    Decline,
}

impl HandlerAnswer {
    /// `S_OK` or `S_FALSE`.
    pub const fn to_hresult(self) -> HResult {
        match self {
            Self::Accept => HResult::S_OK,
            Self::Decline => HResult::S_FALSE,
        }
    }

    /// Read an `Initialize` or `PrepareForSync` return code; `None` for any
    /// code other than `S_OK` and `S_FALSE`.
    pub const fn from_hresult(code: HResult) -> Option<Self> {
        match code {
            HResult::S_OK => Some(Self::Accept),
            HResult::S_FALSE => Some(Self::Decline),
            _ => None,
        }
    }
}

/// What `EnumSyncMgrItems` returns: the items, and whether some were left out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ItemEnumeration {
    /// The items, in the handler's order. Ids must be unique ([§G.1 #11](crate::protocol#rule-11)).
    pub items: Vec<SyncItem>,
    /// `S_SYNCMGR_MISSINGITEMS`: some items are missing from `items`, and
    /// the host must keep the stored preferences of items it does not see
    /// ([§G.1 #12](crate::protocol#fact-12)).
    pub missing_items: bool,
}

impl ItemEnumeration {
    /// A complete enumeration of `items` (`S_OK`).
    pub fn complete(items: impl IntoIterator<Item = SyncItem>) -> Self {
        Self {
            items: items.into_iter().collect(),
            missing_items: false,
        }
    }

    /// The return code of `EnumSyncMgrItems`.
    pub const fn hresult(&self) -> HResult {
        if self.missing_items {
            HResult::S_SYNCMGR_MISSINGITEMS
        } else {
            HResult::S_OK
        }
    }
}

/// The handler side of SyncMgr: what a host asks of a handler.
///
/// Implementors usually hold a [`CallbackSlot`](crate::CallbackSlot) and
/// forward [`set_progress_callback`](Self::set_progress_callback) to
/// [`CallbackSlot::set`](crate::CallbackSlot::set).
///
/// The trait is object safe, and `Send + Sync` because a host may call it
/// from any thread.
///
/// The host calls these methods in the documented order (§E.1):
///
/// ```text
/// initialize ─ Decline ─► done (the handler does not handle this event)
///     │ Accept
/// handler_info, enum_items            (show_properties ⇄ completed at any time)
///     │
/// set_progress_callback(Some(cb))
///     │
/// prepare_for_sync(items) ──► … prepare_for_sync_completed(hr)
///     │ hr == S_OK                    (set_item_status(SKIPPED) legal meanwhile)
/// synchronize() ─────────────► … progress* … synchronize_completed(hr)
///     │                               (set_item_status(SKIPPED) legal meanwhile)
/// [show_error(id) ──► show_error_completed(RETRYSYNC, items) ──► prepare again]
///     │
/// set_progress_callback(None), then the handler is dropped
/// ```
///
/// Reserved `DWORD` arguments are dropped: the COM edge checks them.
pub trait SyncHandler: Send + Sync {
    /// `Initialize(0, dwSyncMgrFlags, cbCookie, lpCookie)`: is there work for
    /// this event?
    ///
    /// Rules: the first call on a handler ([§G.1 #1](crate::protocol#rule-1)); the flags stay in force
    /// for the handler's lifetime; `cookie` is `Some` only with
    /// `SYNCMGRFLAG_INVOKE` ([§G.1 #3](crate::protocol#fact-3)). [`HandlerAnswer::Decline`] (`S_FALSE`)
    /// ends the session: no prepare, no synchronize ([§G.1 #4](crate::protocol#fact-4)).
    ///
    /// # Errors
    ///
    /// Any failure ends the session like a decline.
    fn initialize(
        &self,
        flags: SyncMgrFlags,
        cookie: Option<&[u8]>,
    ) -> Result<HandlerAnswer, HandlerError>;

    /// `GetHandlerInfo`: the handler's name and flags ([§G.1 #10](crate::protocol#rule-10)).
    ///
    /// # Errors
    ///
    /// The handler cannot describe itself.
    fn handler_info(&self) -> Result<HandlerInfo, HandlerError>;

    /// `EnumSyncMgrItems`: the items this handler can synchronize.
    ///
    /// Rules: ids unique; set `missing_items` for `S_SYNCMGR_MISSINGITEMS`
    /// ([§G.1 #11](crate::protocol#rule-11), #12).
    ///
    /// # Errors
    ///
    /// The handler cannot enumerate.
    fn enum_items(&self) -> Result<ItemEnumeration, HandlerError>;

    /// `GetItemObject(ItemID, riid, ppv)`: reserved for forward compatibility.
    ///
    /// Rule: implementations **must** answer [`HandlerError::NotImplemented`]
    /// (`E_NOTIMPL`), and a host must not rely on it ([§G.1 #9](crate::protocol#fact-9)). The return
    /// type cannot hold a success; keep the default.
    ///
    /// # Errors
    ///
    /// Always [`HandlerError::NotImplemented`].
    fn item_object(&self, item: ItemId, interface: Guid) -> Result<Infallible, HandlerError> {
        let _ = (item, interface);
        Err(HandlerError::NotImplemented)
    }

    /// `ShowProperties(hWndParent, ItemID)`: show the properties of `item`,
    /// or of the handler when `item` is the all-zero id.
    ///
    /// Rules: called only for items enumerated with `HAS_PROPERTIES` (or a
    /// handler with `HAS_PROPERTIES`); on success `ShowPropertiesCompleted`
    /// follows ([§G.5 #36](crate::protocol#rule-36)). The default answers `E_NOTIMPL`.
    ///
    /// # Errors
    ///
    /// The handler has no properties to show.
    fn show_properties(&self, parent: WindowHandle, item: ItemId) -> Result<(), HandlerError> {
        let _ = (parent, item);
        Err(HandlerError::NotImplemented)
    }

    /// `SetProgressCallback(lpCallBack)`: hold `Some(callback)`, replacing any
    /// earlier one, or release it on `None`.
    ///
    /// Rules: keep exactly one reference to the current callback; on replace
    /// release the old one; after `None` hold nothing and make no further
    /// calls ([§G.1 #6](crate::protocol#rule-6), #8). [`CallbackSlot::set`](crate::CallbackSlot::set)
    /// does all of this.
    ///
    /// # Errors
    ///
    /// Rarely any; the call should not fail.
    fn set_progress_callback(
        &self,
        callback: Option<Arc<dyn SyncCallback>>,
    ) -> Result<(), HandlerError>;

    /// `PrepareForSync(cItems, pItemIDs, hWndParent, 0)`: get ready to
    /// synchronize exactly `items`.
    ///
    /// Rules: return promptly; on [`HandlerAnswer::Accept`] call
    /// `prepare_for_sync_completed` exactly once, before or after returning
    /// ([§G.2 #13](crate::protocol#rule-13)). Decline if the preparation needs UI and
    /// `SYNCMGRFLAG_MAYBOTHERUSER` is clear (§F.1 #8). The same items govern
    /// `synchronize` ([§G.2 #15](crate::protocol#rule-15)).
    ///
    /// # Errors
    ///
    /// A failure means no completion and no synchronize.
    fn prepare_for_sync(
        &self,
        items: &[ItemId],
        parent: WindowHandle,
    ) -> Result<HandlerAnswer, HandlerError>;

    /// `Synchronize(hWndParent)`: synchronize the prepared items.
    ///
    /// Rules: return promptly and call `synchronize_completed` exactly once,
    /// before or after returning ([§G.2 #16](crate::protocol#rule-16)); call `progress` before each
    /// item and honour its [`CancelDecision`](crate::CancelDecision)
    /// ([§G.3 #20–#24](crate::protocol#rule-20)).
    ///
    /// # Errors
    ///
    /// A failure means no completion follows.
    fn synchronize(&self, parent: WindowHandle) -> Result<(), HandlerError>;

    /// `SetItemStatus(ItemID, dwSyncMgrStatus)`: the host asks the handler to
    /// skip `item`.
    ///
    /// Rules: called only between prepare returning and its completion, or
    /// between synchronize returning and its completion; the only status is
    /// [`SyncMgrStatus::Skipped`] ([§G.2 #18](crate::protocol#rule-18)).
    ///
    /// # Errors
    ///
    /// [`HandlerError::InvalidArgument`] for another status or an unknown
    /// item.
    fn set_item_status(&self, item: ItemId, status: SyncMgrStatus) -> Result<(), HandlerError>;

    /// `ShowError(hWndParent, ErrorID)`: the user opened a logged error.
    ///
    /// Rules: called only for live entries logged with an id and jump text
    /// ([§G.5 #34](crate::protocol#fact-34)); on success `ShowErrorCompleted` follows ([§G.5 #35](crate::protocol#rule-35)). The
    /// default answers `E_NOTIMPL`.
    ///
    /// # Errors
    ///
    /// The handler cannot show the error.
    fn show_error(&self, parent: WindowHandle, error: ErrorId) -> Result<(), HandlerError> {
        let _ = (parent, error);
        Err(HandlerError::NotImplemented)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_round_trip() {
        for answer in [HandlerAnswer::Accept, HandlerAnswer::Decline] {
            assert_eq!(
                HandlerAnswer::from_hresult(answer.to_hresult()),
                Some(answer)
            );
        }
        assert_eq!(HandlerAnswer::from_hresult(HResult::E_FAIL), None);
    }

    #[test]
    fn enumeration_reports_missing_items() {
        assert_eq!(ItemEnumeration::default().hresult(), HResult::S_OK);
        let partial = ItemEnumeration {
            items: Vec::new(),
            missing_items: true,
        };
        assert_eq!(partial.hresult(), HResult::S_SYNCMGR_MISSINGITEMS);
    }
}
