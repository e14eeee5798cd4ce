//! What a reporter call can answer besides success: [`Cancelled`] (the
//! host's cancel, as a `?`-friendly error) and [`ReportError`].

use crate::{
    CallbackError, HandlerError, ItemId, ItemViolation, SyncMgrProgressError, SyncMgrStatus,
};

/// Which cancel a reporter returns: one item, or every item of the handler.
///
/// ```
/// use syncmgr::{Cancelled, ItemId};
///
/// let id = ItemId::from_u128(7);
/// assert_eq!(Cancelled::Item(id).item(), Some(id));
/// assert_eq!(Cancelled::All.to_string(), "all items were cancelled");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum Cancelled {
    /// This item was cancelled: the host answered `S_SYNCMGR_CANCELITEM` to a
    /// report for it, or skipped it with `SetItemStatus(SKIPPED)`. Go on with
    /// the other items.
    #[error("item {0} was cancelled")]
    Item(ItemId),
    /// The host answered `S_SYNCMGR_CANCELALL`: stop every item of this
    /// handler and complete the sync.
    #[error("all items were cancelled")]
    All,
}

impl Cancelled {
    /// The item, for [`Cancelled::Item`].
    pub const fn item(self) -> Option<ItemId> {
        match self {
            Self::Item(item) => Some(item),
            Self::All => None,
        }
    }
}

/// Why a [`ProgressReporter`](crate::ProgressReporter) or [`ItemReporter`](crate::ItemReporter) call did not report
/// normally.
///
/// [`Cancelled`](Self::Cancelled) is the host's doing and is expected;
/// [`Host`](Self::Host) is the host refusing a call; the other variants are
/// the caller misusing the reporter, refused before the host is called.
///
/// With `?` it converts into a [`HandlerError`], so handler code inside
/// `SyncHandler::synchronize` can propagate it:
///
/// ```
/// use syncmgr::{Cancelled, HandlerError, ReportError};
///
/// fn step() -> Result<(), ReportError> {
///     Err(Cancelled::All.into())
/// }
/// fn synchronize() -> Result<(), HandlerError> {
///     step()?;
///     Ok(())
/// }
/// assert_eq!(synchronize(), Err(HandlerError::Aborted));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The host cancelled the item, or all items. Any report the protocol
    /// still required (a final `STOPPED`) has been sent.
    #[error(transparent)]
    Cancelled(#[from] Cancelled),
    /// The host refused a call, or no callback is registered
    /// ([`CallbackError::NoCallback`]).
    #[error(transparent)]
    Host(#[from] CallbackError),
    /// The report is invalid on its own (for example a negative value).
    #[error(transparent)]
    Invalid(#[from] SyncMgrProgressError),
    /// The report's status is a move the host's item machine refuses (for
    /// example `PENDING` after `UPDATING`, [§G.3 #20](crate::protocol#rule-20)).
    #[error(transparent)]
    Phase(#[from] ItemViolation),
    /// [`ItemReporter::report`](crate::ItemReporter::report) got a terminal status; terminal statuses go
    /// through [`ItemReporter::finish`](crate::ItemReporter::finish).
    #[error("{0} is a terminal status: report it with finish")]
    Terminal(SyncMgrStatus),
    /// [`ItemReporter::finish`](crate::ItemReporter::finish) got a status that does not finish an item.
    #[error(
        "{0} is not a terminal status (expected stopped, skipped, succeeded, failed or deleted)"
    )]
    NotTerminal(SyncMgrStatus),
    /// The item has already reported a terminal status ([§G.3 #28](crate::protocol#rule-28)).
    #[error("item {0} has already reported a terminal status")]
    Finished(ItemId),
    /// Another [`ItemReporter`](crate::ItemReporter) for this item is still open.
    #[error("item {0} already has an open item reporter")]
    AlreadyOpen(ItemId),
}

impl ReportError {
    /// True for [`ReportError::Cancelled`].
    pub const fn is_cancelled(&self) -> bool {
        matches!(self, Self::Cancelled(_))
    }

    /// The cancel, for [`ReportError::Cancelled`].
    pub const fn cancelled(&self) -> Option<Cancelled> {
        match self {
            Self::Cancelled(cancelled) => Some(*cancelled),
            _ => None,
        }
    }
}

impl From<ReportError> for HandlerError {
    /// A cancel becomes [`HandlerError::Aborted`] (`E_ABORT`), a host refusal
    /// [`HandlerError::Failed`] with its message, an invalid report
    /// [`HandlerError::InvalidArgument`], and a report on a finished or busy
    /// item [`HandlerError::Unexpected`].
    fn from(error: ReportError) -> Self {
        match error {
            ReportError::Cancelled(_) => Self::Aborted,
            ReportError::Host(e) => Self::failed(format!("the host refused a progress call: {e}")),
            ReportError::Invalid(_)
            | ReportError::Phase(_)
            | ReportError::Terminal(_)
            | ReportError::NotTerminal(_) => Self::InvalidArgument {
                reason: error.to_string(),
            },
            ReportError::Finished(_) | ReportError::AlreadyOpen(_) => Self::Unexpected {
                reason: error.to_string(),
            },
        }
    }
}
