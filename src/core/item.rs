//! [`ItemPhase`]: the per-item state machine a host keeps for every item.

use std::fmt;

use crate::Rule;

/// Where an item is in its life, as its progress reports move it.
///
/// The event is the status a report carries (`dwStatusType`); the
/// transition is the pure function [`ItemPhase::on`]:
///
/// ```text
///  Pending ──► Updating ⇄ UpdatingIndeterminate ──► terminal:
///     │           ▲  │                               Succeeded, Failed,
///     │           │  ▼                               Skipped, Stopped, Deleted,
///     │        Resuming ◄── Paused                   Disconnected (absorbing;
///     └──────────────────────────────────────────►   a later Failed is tolerated)
/// ```
///
/// | from \ report | `PENDING` | `UPDATING*`, `PAUSED`, `RESUMING` | `FAILED` | other terminal |
/// |---|---|---|---|---|
/// | `Pending` | stays | moves (not `RESUMING`: ✗ #28) | moves | moves |
/// | `Updating`, `UpdatingIndeterminate`, `Paused`, `Resuming` | ✗ #20 | moves (`RESUMING` only from `Paused` or `Resuming`) | moves | moves |
/// | terminal | ✗ #28 | ✗ #28 | becomes `Failed` ([§G.3 #28](crate::protocol#rule-28), [§G.7 #41](crate::protocol#rule-41)) | ✗ #28 |
///
/// - An item that has started cannot go back to `Pending` ([§G.3 #20](crate::protocol#rule-20): the
///   first report opens the item).
/// - `Resuming` comes out of `Paused`; reporting it from `Pending`,
///   `Updating` or `UpdatingIndeterminate` is refused under [§G.3 #28](crate::protocol#rule-28), the
///   forward-only rule.
/// - A terminal state absorbs every report except `FAILED` (a late failure,
///   such as a commit that failed after the data was copied, is tolerated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u8)]
pub enum ItemPhase {
    /// Not started.
    Pending,
    /// Updating with a known maximum.
    Updating,
    /// Updating without a meaningful maximum.
    UpdatingIndeterminate,
    /// Paused.
    Paused,
    /// Resuming after a pause.
    Resuming,
    /// Finished successfully.
    Succeeded,
    /// Finished with a failure.
    Failed,
    /// Skipped.
    Skipped,
    /// Stopped (the usual answer to a cancel).
    Stopped,
    /// Deleted (deprecated since Vista).
    Deleted,
    /// Sync Center's `SYNCMGR_PS_DISCONNECTED`: the item could not be
    /// reached. Terminal ([§G.7 #41](crate::protocol#rule-41)). No `SYNCMGRSTATUS` names it: reported to
    /// a SyncMgr host it becomes `FAILED` (see [`ItemPhase::status`]).
    Disconnected,
}

/// An illegal move of the item machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{rule}: an item in phase {from} cannot report {reported} (expected {expected})")]
pub struct ItemViolation {
    /// The rule the move breaks.
    pub rule: Rule,
    /// The phase the item was in.
    pub from: ItemPhase,
    /// The phase the report asked for.
    pub reported: ItemPhase,
    /// What could have been reported, in words.
    pub expected: &'static str,
}

impl ItemPhase {
    /// Every phase.
    pub const ALL: [Self; 11] = [
        Self::Pending,
        Self::Updating,
        Self::UpdatingIndeterminate,
        Self::Paused,
        Self::Resuming,
        Self::Succeeded,
        Self::Failed,
        Self::Skipped,
        Self::Stopped,
        Self::Deleted,
        Self::Disconnected,
    ];

    /// The phase's position in [`ItemPhase::ALL`] (0 for `Pending`), for
    /// storing a phase in an atomic.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The phase at `index` in [`ItemPhase::ALL`], if there is one.
    pub const fn from_index(index: usize) -> Option<Self> {
        if index < Self::ALL.len() {
            Some(Self::ALL[index])
        } else {
            None
        }
    }

    /// True for the six finished phases.
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Succeeded
                | Self::Failed
                | Self::Skipped
                | Self::Stopped
                | Self::Deleted
                | Self::Disconnected
        )
    }

    /// True for the phases in which the item is being worked on.
    pub const fn is_updating(self) -> bool {
        matches!(self, Self::Updating | Self::UpdatingIndeterminate)
    }

    /// True once the item has been reported at all (it left `Pending`).
    pub const fn has_started(self) -> bool {
        !matches!(self, Self::Pending)
    }

    /// The transition function in the generation-neutral vocabulary: the
    /// phase after a report that asks for `next`. Every generation's host
    /// runs its items through this one function.
    ///
    /// # Errors
    ///
    /// [`ItemViolation`] for the moves the table marks ✗.
    pub const fn to(self, next: Self) -> Result<Self, ItemViolation> {
        let reported = next;
        if self.is_terminal() {
            return match next {
                Self::Failed => Ok(Self::Failed),
                _ => self.refuse(
                    reported,
                    Rule::TERMINAL_IS_FINAL,
                    "only FAILED after a terminal status",
                ),
            };
        }
        match (self, next) {
            (Self::Pending, Self::Pending) => Ok(next),
            (_, Self::Pending) => self.refuse(
                reported,
                Rule::PROGRESS_BEFORE_ITEM,
                "an updating, paused, resuming or terminal status once started",
            ),
            (Self::Pending | Self::Updating | Self::UpdatingIndeterminate, Self::Resuming) => self
                .refuse(
                    reported,
                    Rule::TERMINAL_IS_FINAL,
                    "RESUMING only after PAUSED",
                ),
            _ => Ok(next),
        }
    }

    const fn refuse(
        self,
        reported: Self,
        rule: Rule,
        expected: &'static str,
    ) -> Result<Self, ItemViolation> {
        Err(ItemViolation {
            rule,
            from: self,
            reported,
            expected,
        })
    }
}

impl fmt::Display for ItemPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Pending => "pending",
            Self::Updating => "updating",
            Self::UpdatingIndeterminate => "updating (indeterminate)",
            Self::Paused => "paused",
            Self::Resuming => "resuming",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
            Self::Stopped => "stopped",
            Self::Deleted => "deleted",
            Self::Disconnected => "disconnected",
        })
    }
}
