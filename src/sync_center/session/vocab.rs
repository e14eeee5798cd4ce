//! The Sync Center session's public vocabulary: what its steps answer
//! ([`SyncCenterOutcome`], [`SyncCenterError`]) and what a UI pulls
//! ([`SyncCenterSnapshot`]).

use crate::{CancelReason, Guid, HandlerError, ItemPhase};

use crate::sync_center::{ProgressStatus, SyncCenterEvent, SyncCenterItemId};

/// A misuse of the [`SyncCenterSession`](crate::sync_center::SyncCenterSession) API by the host program itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SyncCenterError {
    /// The item is not in the session.
    #[error("item \"{0}\" is not in this session")]
    UnknownItem(SyncCenterItemId),
    /// The item was named twice in the session's item set.
    #[error("item \"{0}\" is named twice")]
    DuplicateItem(SyncCenterItemId),
    /// A session runs its handler once.
    #[error("this session has already run")]
    AlreadyRun,
}

/// How a Sync Center session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SyncCenterOutcome {
    /// `Synchronize` returned `S_OK` and no cancel-all was requested.
    Completed,
    /// `Synchronize` returned after a cancel-all.
    Cancelled(CancelReason),
    /// `Synchronize` failed (or panicked).
    HandlerFailed(HandlerError),
}

/// One item, as the host sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct SyncCenterItemSnapshot {
    /// The item.
    pub id: SyncCenterItemId,
    /// Where it is in the core item machine.
    pub phase: ItemPhase,
    /// The last status accepted from the handler (or set by the host when it
    /// marked the item failed), exactly as Sync Center names it.
    pub status: Option<ProgressStatus>,
    /// The last meaningful `(uCurrentStep, uMaxStep)`.
    pub steps: Option<(u32, u32)>,
    /// The last progress text.
    pub text: Option<String>,
    /// The item's own cancel request, if any (cancel-all is on the session).
    pub cancel: Option<CancelReason>,
    /// The handler has been told to cancel this item (by a cancel request or
    /// a `CanContinue` answer of `S_FALSE`).
    pub cancel_signalled: bool,
    /// The handler acknowledged a cancel with `SYNCMGR_PS_CANCELED`.
    pub acknowledged: bool,
    /// The host finished the item: the handler left it open ([§G.7 #51](crate::protocol#rule-51)), or a
    /// report after a terminal one was refused and the item marked failed
    /// ([§G.7 #41](crate::protocol#rule-41)).
    pub finished_by_host: bool,
}

/// A point-in-time copy of a Sync Center session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct SyncCenterSnapshot {
    /// Every item of the session, in the order they joined it.
    pub items: Vec<SyncCenterItemSnapshot>,
    /// The text of `SetHandlerProgressText`.
    pub handler_text: Option<String>,
    /// The sticky cancel-all, if requested.
    pub cancel_all: Option<CancelReason>,
    /// The handler called `ReportManualSync`.
    pub manual_sync: bool,
    /// Objects handed over with `AddIUnknownToSession`.
    pub objects: usize,
    /// `Synchronize` has returned.
    pub finished: bool,
}

/// An event the handler reported, with the id the host gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncCenterEventRecord {
    /// The fresh id answered through `pguidEventID`.
    pub id: Guid,
    /// The event.
    pub event: SyncCenterEvent,
}
