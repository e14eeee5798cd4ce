//! `SYNCMGRSTATUS`: the status of one item, as a handler reports it in
//! `SYNCMGRPROGRESSITEM.dwStatusType` and as SyncMgr pushes it with
//! `ISyncMgrSynchronize::SetItemStatus` ([the specification](crate::protocol#syncmgr)).
//!
//! The values are not contiguous: `SYNCMGRSTATUS_UPDATING_INDETERMINATE`
//! (8) is a Vista addition missing from mingw-w64, and
//! `SYNCMGRSTATUS_DELETED` is 0x100 (deprecated for Vista+).
//!
//! ```
//! use syncmgr::SyncMgrStatus;
//!
//! let status = SyncMgrStatus::try_from(8).unwrap();
//! assert_eq!(status, SyncMgrStatus::UpdatingIndeterminate);
//! assert!(status.is_updating() && !status.is_terminal());
//! assert_eq!(status.windows_name(), "SYNCMGRSTATUS_UPDATING_INDETERMINATE");
//! assert_eq!(status.to_string(), "updating (indeterminate)");
//! assert!(SyncMgrStatus::try_from(9).is_err());
//! ```

use crate::ItemPhase;
use crate::core::enums::u32_enum;
use crate::core::item::ItemViolation;

u32_enum! {
    /// `SYNCMGRSTATUS` (`_tagSYNCMGRSTATUS`): the status of one item.
    pub enum SyncMgrStatus: "SYNCMGRSTATUS" {
        /// `SYNCMGRSTATUS_STOPPED` (0): the item stopped.
        Stopped = 0 => ("SYNCMGRSTATUS_STOPPED", "stopped"),
        /// `SYNCMGRSTATUS_SKIPPED` (1): the item was skipped; the only status
        /// SyncMgr pushes with `SetItemStatus`.
        Skipped = 1 => ("SYNCMGRSTATUS_SKIPPED", "skipped"),
        /// `SYNCMGRSTATUS_PENDING` (2): waiting to start.
        Pending = 2 => ("SYNCMGRSTATUS_PENDING", "pending"),
        /// `SYNCMGRSTATUS_UPDATING` (3): in progress, with a measurable value.
        Updating = 3 => ("SYNCMGRSTATUS_UPDATING", "updating"),
        /// `SYNCMGRSTATUS_SUCCEEDED` (4): finished successfully.
        Succeeded = 4 => ("SYNCMGRSTATUS_SUCCEEDED", "succeeded"),
        /// `SYNCMGRSTATUS_FAILED` (5): finished with an error.
        Failed = 5 => ("SYNCMGRSTATUS_FAILED", "failed"),
        /// `SYNCMGRSTATUS_PAUSED` (6): paused.
        Paused = 6 => ("SYNCMGRSTATUS_PAUSED", "paused"),
        /// `SYNCMGRSTATUS_RESUMING` (7): resuming after a pause.
        Resuming = 7 => ("SYNCMGRSTATUS_RESUMING", "resuming"),
        /// `SYNCMGRSTATUS_UPDATING_INDETERMINATE` (8, Vista+): in progress,
        /// with no measurable value.
        UpdatingIndeterminate = 8 => ("SYNCMGRSTATUS_UPDATING_INDETERMINATE", "updating (indeterminate)"),
        /// `SYNCMGRSTATUS_DELETED` (0x100, deprecated for Vista+): the item
        /// was deleted.
        Deleted = 0x100 => ("SYNCMGRSTATUS_DELETED", "deleted"),
    }
}

impl SyncMgrStatus {
    /// The item is finished: `Stopped`, `Skipped`, `Succeeded`, `Failed` or
    /// `Deleted`.
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Stopped | Self::Skipped | Self::Succeeded | Self::Failed | Self::Deleted
        )
    }

    /// The item is being worked on: `Updating` or `UpdatingIndeterminate`.
    pub const fn is_updating(self) -> bool {
        matches!(self, Self::Updating | Self::UpdatingIndeterminate)
    }
}

/// SyncMgr's statuses in the core's item machine: each `SYNCMGRSTATUS` names
/// one [`ItemPhase`], and every phase but `Disconnected` has its status.
impl ItemPhase {
    /// The phase a status names.
    pub const fn of(status: SyncMgrStatus) -> Self {
        match status {
            SyncMgrStatus::Pending => Self::Pending,
            SyncMgrStatus::Updating => Self::Updating,
            SyncMgrStatus::UpdatingIndeterminate => Self::UpdatingIndeterminate,
            SyncMgrStatus::Paused => Self::Paused,
            SyncMgrStatus::Resuming => Self::Resuming,
            SyncMgrStatus::Succeeded => Self::Succeeded,
            SyncMgrStatus::Failed => Self::Failed,
            SyncMgrStatus::Skipped => Self::Skipped,
            SyncMgrStatus::Stopped => Self::Stopped,
            SyncMgrStatus::Deleted => Self::Deleted,
        }
    }

    /// The status that names this phase in SyncMgr's vocabulary.
    ///
    /// Lossy in one place: `Disconnected` has no `SYNCMGRSTATUS` and maps to
    /// `Failed`.
    pub const fn status(self) -> SyncMgrStatus {
        match self {
            Self::Pending => SyncMgrStatus::Pending,
            Self::Updating => SyncMgrStatus::Updating,
            Self::UpdatingIndeterminate => SyncMgrStatus::UpdatingIndeterminate,
            Self::Paused => SyncMgrStatus::Paused,
            Self::Resuming => SyncMgrStatus::Resuming,
            Self::Succeeded => SyncMgrStatus::Succeeded,
            Self::Failed => SyncMgrStatus::Failed,
            Self::Skipped => SyncMgrStatus::Skipped,
            Self::Stopped => SyncMgrStatus::Stopped,
            Self::Deleted => SyncMgrStatus::Deleted,
            Self::Disconnected => SyncMgrStatus::Failed,
        }
    }

    /// The transition function: the phase after a report of `reported`.
    ///
    /// # Errors
    ///
    /// [`ItemViolation`] for the moves the table marks ✗.
    pub const fn on(self, reported: SyncMgrStatus) -> Result<Self, ItemViolation> {
        self.to(Self::of(reported))
    }
}
