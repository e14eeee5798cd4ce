//! [`WindowsSyncCallback`] (`ISyncCallback` + `ISyncCallback2`) and the
//! data its methods carry.

use crate::core::decode::DecodeError;
use crate::{CallbackError, FailureCode, ItemPhase, ProgressItem};

use super::{
    ChangeFlags, FullEnumerationAction, ProgressStage, ProviderRole, ResolveAction,
    SessionStatistics,
};

/// One `ISyncCallback::OnProgress` call: a provider, a stage and two work
/// counts.
///
/// `completed` is "a part of" `total`, except in the documented `0 / 0`
/// report a session sends once per applied change when the remaining-work
/// estimate is 0 ([§G.8 #53](crate::protocol#rule-53)).
///
/// ```
/// use syncmgr::ProgressItem;
/// use syncmgr::windows_sync::{ProgressStage, ProviderRole, WindowsSyncProgress};
///
/// let p = WindowsSyncProgress::new(ProviderRole::Destination, ProgressStage::ChangeApplication, 3, 4);
/// assert_eq!(p.fraction(), Some(0.75));
/// assert!(WindowsSyncProgress::from_raw(2, 0, 0, 0).is_err()); // no such role ([§G.8 #52](crate::protocol#rule-52))
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WindowsSyncProgress {
    /// `provider`.
    pub role: ProviderRole,
    /// `syncStage`.
    pub stage: ProgressStage,
    /// `dwCompletedWork`.
    pub completed: u32,
    /// `dwTotalWork`.
    pub total: u32,
}

impl WindowsSyncProgress {
    /// A report.
    pub const fn new(role: ProviderRole, stage: ProgressStage, completed: u32, total: u32) -> Self {
        Self {
            role,
            stage,
            completed,
            total,
        }
    }

    /// A report of `completed` of `total` units of work in `u64`:
    /// `dwCompletedWork` / `dwTotalWork` are `u32`, so counts above
    /// `u32::MAX` are divided by the same power of two (the ratio is kept).
    pub fn with_work(role: ProviderRole, stage: ProgressStage, completed: u64, total: u64) -> Self {
        let (completed, total) = crate::core::progress::scale_to_u32(completed, total);
        Self::new(role, stage, completed, total)
    }

    /// Decode raw `OnProgress` arguments.
    ///
    /// # Errors
    ///
    /// [`DecodeError::UnknownValue`] for a role or stage outside §C.3 (the
    /// session answers `E_INVALIDARG`, [§G.8 #52](crate::protocol#rule-52)).
    pub fn from_raw(
        role: u32,
        stage: u32,
        completed: u32,
        total: u32,
    ) -> Result<Self, DecodeError> {
        Ok(Self::new(
            ProviderRole::try_from(role)?,
            ProgressStage::try_from(stage)?,
            completed,
            total,
        ))
    }

    /// True for the documented `0 / 0` report.
    pub const fn is_zero_estimate(&self) -> bool {
        self.completed == 0 && self.total == 0
    }
}

/// Windows Sync reports a session, not an item: no phase, no text.
impl ProgressItem for WindowsSyncProgress {
    fn phase(&self) -> Option<ItemPhase> {
        None
    }

    fn text(&self) -> Option<&str> {
        None
    }

    fn completed(&self) -> Option<u64> {
        Some(u64::from(self.completed))
    }

    fn total(&self) -> Option<u64> {
        Some(u64::from(self.total))
    }
}

/// A change (the essentials of `ISyncChange`): which item, and its flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SyncChange {
    /// The item the change is about (the provider's item id, opaque here).
    pub item: u64,
    /// `SYNC_CHANGE_FLAG_*`.
    pub flags: ChangeFlags,
}

impl SyncChange {
    /// A change to `item` with no flags.
    pub const fn new(item: u64) -> Self {
        Self {
            item,
            flags: ChangeFlags::empty(),
        }
    }
}

/// A conflict (the essentials of `IChangeConflict`): the two changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChangeConflict {
    /// `GetSourceProviderConflictingChange`.
    pub source: SyncChange,
    /// `GetDestinationProviderConflictingChange`.
    pub destination: SyncChange,
}

/// A recoverable error (the essentials of `IRecoverableError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecoverableError {
    /// The item that could not be loaded or saved.
    pub item: u64,
    /// The stage it happened in.
    pub stage: ProgressStage,
    /// The provider's error code.
    pub code: FailureCode,
}

/// `ISyncCallback` and `ISyncCallback2`: the application's side of a
/// Windows Sync session ([the specification](crate::protocol#windows-sync), slots 3–9).
///
/// The direction is the reverse of SyncMgr and Sync Center: the
/// *application* implements this and the *session* calls it. Cancellation is
/// session-wide, by [`WindowsSyncSession::cancel`](super::WindowsSyncSession::cancel)
/// (`ISyncSession::Cancel`); and — this crate's policy, [§G.8 #57](crate::protocol#rule-57) — by
/// returning an error from any method, which aborts the session.
///
/// Only `on_progress` is required; the other methods accept by default
/// (`OnConflict` defers, `OnFullEnumerationNeeded` answers
/// [`FullEnumerationAction::DEFAULT`]).
pub trait WindowsSyncCallback: Send + Sync {
    /// `OnProgress` (slot 3).
    ///
    /// # Errors
    ///
    /// An application error: the session aborts ([§G.8 #57](crate::protocol#rule-57)).
    fn on_progress(&self, progress: &WindowsSyncProgress) -> Result<(), CallbackError>;

    /// `OnChange` (slot 4): a change is about to be applied.
    ///
    /// # Errors
    ///
    /// An application error: the session aborts ([§G.8 #57](crate::protocol#rule-57)).
    fn on_change(&self, change: &SyncChange) -> Result<(), CallbackError> {
        let _ = change;
        Ok(())
    }

    /// `OnConflict` (slot 5), only under `CRP_NONE`: the resolve action the
    /// application sets with `SetResolveActionForChange`. `None` is a
    /// callback that returned without setting one ([§G.8 #54](crate::protocol#rule-54)).
    ///
    /// # Errors
    ///
    /// An application error: the session aborts ([§G.8 #57](crate::protocol#rule-57)).
    fn on_conflict(
        &self,
        conflict: &ChangeConflict,
    ) -> Result<Option<ResolveAction>, CallbackError> {
        let _ = conflict;
        Ok(Some(ResolveAction::Defer))
    }

    /// `OnFullEnumerationNeeded` (slot 6).
    ///
    /// # Errors
    ///
    /// An application error: the session aborts ([§G.8 #57](crate::protocol#rule-57)).
    fn on_full_enumeration_needed(&self) -> Result<FullEnumerationAction, CallbackError> {
        Ok(FullEnumerationAction::DEFAULT)
    }

    /// `OnRecoverableError` (slot 7).
    ///
    /// # Errors
    ///
    /// An application error: the session aborts ([§G.8 #57](crate::protocol#rule-57)).
    fn on_recoverable_error(&self, error: &RecoverableError) -> Result<(), CallbackError> {
        let _ = error;
        Ok(())
    }

    /// `ISyncCallback2::OnChangeApplied` (slot 8), with the session's running
    /// totals.
    ///
    /// # Errors
    ///
    /// An application error: the session aborts ([§G.8 #57](crate::protocol#rule-57)).
    fn on_change_applied(&self, totals: SessionStatistics) -> Result<(), CallbackError> {
        let _ = totals;
        Ok(())
    }

    /// `ISyncCallback2::OnChangeFailed` (slot 9), with the session's running
    /// totals.
    ///
    /// # Errors
    ///
    /// An application error: the session aborts ([§G.8 #57](crate::protocol#rule-57)).
    fn on_change_failed(&self, totals: SessionStatistics) -> Result<(), CallbackError> {
        let _ = totals;
        Ok(())
    }
}
