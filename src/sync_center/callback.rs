//! [`SyncCenterCallback`]: `ISyncMgrSyncCallback`, the interface Sync Center
//! implements and a handler calls.

use std::any::Any;

use crate::sync::Arc;
use crate::{CallbackError, CanContinue, FailureCode, Guid};

use super::{CancelRequest, SyncCenterEvent, SyncCenterItem, SyncCenterItemId, SyncCenterProgress};

/// An object a handler hands to the session with `AddIUnknownToSession`
/// (an `IUnknown` at the COM edge; opaque here).
pub type SessionObject = Arc<dyn Any + Send + Sync>;

/// `ISyncMgrSyncCallback`: the session's side of a Sync Center sync, all ten
/// methods in vtable order ([the specification](crate::protocol#sync-center), slots 3–12).
///
/// Cancellation reaches the handler two ways (§B.5): the
/// [`CancelRequest`] every [`report_progress`](Self::report_progress) and
/// [`set_handler_progress_text`](Self::set_handler_progress_text) answers
/// (the `pnCancelRequest` out-parameter), and [`can_continue`](Self::can_continue)
/// polling. A cancelled item acknowledges with one last report of
/// `SYNCMGR_PS_CANCELED` ([§G.7 #42](crate::protocol#rule-42)).
///
/// Only `report_progress` and `can_continue` are required; the other
/// methods answer `E_NOTIMPL` unless implemented.
pub trait SyncCenterCallback: Send + Sync {
    /// `ReportProgress` (slot 3): report an item's status, text and steps;
    /// the answer is the cancel request for that item.
    ///
    /// # Errors
    ///
    /// The host refuses the report: `E_INVALIDARG` for an item not in the
    /// session ([§G.7 #46](crate::protocol#rule-46)), `E_ACCESSDENIED` after a terminal report (#41).
    fn report_progress(&self, report: &SyncCenterProgress) -> Result<CancelRequest, CallbackError>;

    /// `SetHandlerProgressText` (slot 4): the handler-wide text; the answer
    /// is the handler-wide cancel request.
    ///
    /// # Errors
    ///
    /// As the host decides; `E_NOTIMPL` by default.
    fn set_handler_progress_text(&self, text: &str) -> Result<CancelRequest, CallbackError> {
        let _ = text;
        Err(not_implemented())
    }

    /// `ReportEvent` (slot 5): log an event; the answer is its fresh id
    /// (`pguidEventID`).
    ///
    /// # Errors
    ///
    /// As the host decides; `E_NOTIMPL` by default.
    fn report_event(&self, event: &SyncCenterEvent) -> Result<Guid, CallbackError> {
        let _ = event;
        Err(not_implemented())
    }

    /// `CanContinue` (slot 6): may work on `item` (or, for `None`, the
    /// handler as a whole) go on? `S_OK` is [`CanContinue::Continue`],
    /// `S_FALSE` is [`CanContinue::Stop`].
    ///
    /// # Errors
    ///
    /// `E_INVALIDARG` for an item unknown to the session ([§G.7 #45](crate::protocol#fact-45)).
    fn can_continue(&self, item: Option<&SyncCenterItemId>) -> Result<CanContinue, CallbackError>;

    /// `QueryForAdditionalItems` (slot 7): items the user asked to add while
    /// this session runs. Empty is `S_FALSE` with NULL enumerators (§G.7
    /// #48). The `IEnumUnknown` half is not modelled.
    ///
    /// # Errors
    ///
    /// As the host decides; `E_NOTIMPL` by default.
    fn query_for_additional_items(&self) -> Result<Vec<SyncCenterItemId>, CallbackError> {
        Err(not_implemented())
    }

    /// `AddItemToSession` (slot 8).
    ///
    /// # Errors
    ///
    /// `E_INVALIDARG` if the item is already in the session ([§G.7 #47](crate::protocol#rule-47)).
    fn add_item_to_session(&self, item: &SyncCenterItemId) -> Result<(), CallbackError> {
        let _ = item;
        Err(not_implemented())
    }

    /// `AddIUnknownToSession` (slot 9, undocumented).
    ///
    /// # Errors
    ///
    /// `E_NOTIMPL` by default.
    fn add_object_to_session(&self, object: SessionObject) -> Result<(), CallbackError> {
        let _ = object;
        Err(not_implemented())
    }

    /// `ProposeItem` (slot 10): offer a new item; invisible until committed.
    ///
    /// # Errors
    ///
    /// `E_INVALIDARG` if the item already exists ([§G.7 #47](crate::protocol#rule-47)).
    fn propose_item(&self, item: &SyncCenterItem) -> Result<(), CallbackError> {
        let _ = item;
        Err(not_implemented())
    }

    /// `CommitItem` (slot 11): make a proposed item part of the session.
    ///
    /// # Errors
    ///
    /// `E_INVALIDARG` without a prior proposal, or for an item already in
    /// the session ([§G.7 #47](crate::protocol#rule-47)).
    fn commit_item(&self, item: &SyncCenterItemId) -> Result<(), CallbackError> {
        let _ = item;
        Err(not_implemented())
    }

    /// `ReportManualSync` (slot 12): this sync was started by the user.
    ///
    /// # Errors
    ///
    /// `E_NOTIMPL` by default.
    fn report_manual_sync(&self) -> Result<(), CallbackError> {
        Err(not_implemented())
    }
}

pub(crate) fn not_implemented() -> CallbackError {
    CallbackError::Failed(FailureCode::E_NOTIMPL)
}
