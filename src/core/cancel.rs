//! [`CancelDecision`]: the host's answer to a progress report.

use std::fmt;

use crate::HResult;

/// The host's answer to a progress report: go on, stop this item, or stop
/// every item of this handler.
///
/// A decision is data, never an error. The variants are ordered by strength
/// (`Continue < CancelItem < CancelAll`), so `a.max(b)` keeps the stronger.
///
/// ```
/// use syncmgr::{CancelDecision, HResult};
///
/// assert_eq!(CancelDecision::CancelItem.to_hresult(), HResult::S_SYNCMGR_CANCELITEM);
/// assert_eq!(
///    CancelDecision::try_from(HResult::S_SYNCMGR_CANCELALL),
///    Ok(CancelDecision::CancelAll)
/// );
/// // S_FALSE is a success code, but it is not a Progress reply.
/// assert!(CancelDecision::try_from(HResult::S_FALSE).is_err());
/// ```
///
/// In SyncMgr the answer travels as the *return code* of `Progress`, and all
/// three possible answers are success codes ([the specification](crate::protocol#syncmgr), §E.3):
///
/// | decision | HRESULT | value |
/// |---|---|---|
/// | [`CancelDecision::Continue`] | `S_OK` | `0x00000000` |
/// | [`CancelDecision::CancelItem`] | `S_SYNCMGR_CANCELITEM` | `0x00040203` |
/// | [`CancelDecision::CancelAll`] | `S_SYNCMGR_CANCELALL` | `0x00040204` |
///
/// The mapping is exact in both directions. Any other code — `S_FALSE`,
/// another `S_SYNCMGR_*` code, or a failure — is *not* a decision and
/// converts to a [`NotAProgressReply`] error instead of quietly meaning
/// "continue" ([§G.3 #21](crate::protocol#fact-21), [§G.9 #58](crate::protocol#fact-58)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum CancelDecision {
    /// Go on (`S_OK`).
    #[default]
    Continue,
    /// Stop the item named in this report as soon as possible and go on with
    /// the others (`S_SYNCMGR_CANCELITEM`).
    CancelItem,
    /// Stop every item of this handler as soon as possible
    /// (`S_SYNCMGR_CANCELALL`). Sticky: once answered, a host answers it to
    /// every later report.
    CancelAll,
}

impl CancelDecision {
    /// Every decision, weakest first.
    pub const ALL: [Self; 3] = [Self::Continue, Self::CancelItem, Self::CancelAll];

    /// The `Progress` return code that carries this decision.
    pub const fn to_hresult(self) -> HResult {
        match self {
            Self::Continue => HResult::S_OK,
            Self::CancelItem => HResult::S_SYNCMGR_CANCELITEM,
            Self::CancelAll => HResult::S_SYNCMGR_CANCELALL,
        }
    }

    /// Read a `Progress` return code.
    ///
    /// # Errors
    ///
    /// [`NotAProgressReply`] for every code other than the three above.
    pub const fn from_hresult(code: HResult) -> Result<Self, NotAProgressReply> {
        match code {
            HResult::S_OK => Ok(Self::Continue),
            HResult::S_SYNCMGR_CANCELITEM => Ok(Self::CancelItem),
            HResult::S_SYNCMGR_CANCELALL => Ok(Self::CancelAll),
            other => Err(NotAProgressReply(other)),
        }
    }

    /// True for `CancelItem` and `CancelAll`.
    pub const fn is_cancel(self) -> bool {
        !matches!(self, Self::Continue)
    }

    /// Sync Center's `CanContinue` answer for an item under this decision.
    ///
    /// Lossy on its own: one item poll answers `S_FALSE` for both
    /// `CancelItem` and `CancelAll`. The pair of polls
    /// [`CancelDecision::can_continue_pair`] carries the difference.
    pub const fn can_continue(self) -> CanContinue {
        match self {
            Self::Continue => CanContinue::Continue,
            Self::CancelItem | Self::CancelAll => CanContinue::Stop,
        }
    }

    /// The two `CanContinue` answers — for the item, and for the handler as
    /// a whole (`pszItemID` NULL) — that carry this decision losslessly.
    pub const fn can_continue_pair(self) -> (CanContinue, CanContinue) {
        match self {
            Self::Continue => (CanContinue::Continue, CanContinue::Continue),
            Self::CancelItem => (CanContinue::Stop, CanContinue::Continue),
            Self::CancelAll => (CanContinue::Stop, CanContinue::Stop),
        }
    }

    /// The decision two `CanContinue` answers carry: the handler-wide answer
    /// wins (a stopped handler stops every item), then the item's.
    pub const fn from_can_continue(item: CanContinue, handler: CanContinue) -> Self {
        match (item, handler) {
            (_, CanContinue::Stop) => Self::CancelAll,
            (CanContinue::Stop, CanContinue::Continue) => Self::CancelItem,
            (CanContinue::Continue, CanContinue::Continue) => Self::Continue,
        }
    }
}

/// Sync Center's `ISyncMgrSyncCallback::CanContinue` answer ([the specification](crate::protocol#sync-center)).
///
/// Both values are success codes; a binding that folds every success into
/// `Ok(())` loses the difference (§D.4), which is why this is a type.
///
/// ```
/// use syncmgr::{CanContinue, HResult};
///
/// assert_eq!(CanContinue::Stop.to_hresult(), HResult::S_FALSE);
/// assert_eq!(CanContinue::from_hresult(HResult::S_OK), Some(CanContinue::Continue));
/// assert_eq!(CanContinue::from_hresult(HResult::E_INVALIDARG), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum CanContinue {
    /// `S_OK`: no cancel was requested.
    Continue,
    /// `S_FALSE`: a cancel was requested; report `SYNCMGR_PS_CANCELED`.
    Stop,
}

impl CanContinue {
    /// The `CanContinue` return code.
    pub const fn to_hresult(self) -> HResult {
        match self {
            Self::Continue => HResult::S_OK,
            Self::Stop => HResult::S_FALSE,
        }
    }

    /// Read a `CanContinue` return code: `S_OK` or `S_FALSE`, else `None`
    /// (a failure such as `E_INVALIDARG` is an error, not an answer).
    pub const fn from_hresult(code: HResult) -> Option<Self> {
        match code {
            HResult::S_OK => Some(Self::Continue),
            HResult::S_FALSE => Some(Self::Stop),
            _ => None,
        }
    }
}

impl From<CancelDecision> for HResult {
    fn from(decision: CancelDecision) -> Self {
        decision.to_hresult()
    }
}

impl TryFrom<HResult> for CancelDecision {
    type Error = NotAProgressReply;

    fn try_from(code: HResult) -> Result<Self, Self::Error> {
        Self::from_hresult(code)
    }
}

/// A code that is not one of the three `Progress` replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0} is not a Progress reply (expected S_OK, S_SYNCMGR_CANCELITEM or S_SYNCMGR_CANCELALL)")]
pub struct NotAProgressReply(pub HResult);

/// Why something was cancelled, for the UI and the log.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum CancelReason {
    /// The user asked.
    User,
    /// A deadline passed.
    Timeout,
    /// The host is shutting down.
    Shutdown,
    /// The host answered a cancel to a report: what a handler learns
    /// through the protocol, which carries no reason.
    Host,
    /// The host skipped the item (`SetItemStatus(SKIPPED)`, or
    /// [`Session::skip_item`](crate::Session::skip_item)).
    Skipped,
    /// Anything else, in words.
    Other(String),
}

impl fmt::Display for CancelReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::User => f.write_str("cancelled by the user"),
            Self::Timeout => f.write_str("timed out"),
            Self::Shutdown => f.write_str("host shutting down"),
            Self::Host => f.write_str("cancelled by the host"),
            Self::Skipped => f.write_str("skipped"),
            Self::Other(reason) => f.write_str(reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_decision_round_trips() {
        for decision in CancelDecision::ALL {
            assert_eq!(
                CancelDecision::try_from(HResult::from(decision)),
                Ok(decision)
            );
        }
    }

    #[test]
    fn other_codes_are_not_decisions() {
        for (code, _) in HResult::KNOWN {
            let expected = CancelDecision::ALL.iter().any(|d| d.to_hresult() == code);
            assert_eq!(CancelDecision::try_from(code).is_ok(), expected, "{code}");
        }
        assert_eq!(
            CancelDecision::try_from(HResult::E_FAIL),
            Err(NotAProgressReply(HResult::E_FAIL))
        );
    }

    #[test]
    fn stronger_decision_wins() {
        assert_eq!(
            CancelDecision::CancelItem.max(CancelDecision::CancelAll),
            CancelDecision::CancelAll
        );
        assert_eq!(
            CancelDecision::Continue.max(CancelDecision::CancelItem),
            CancelDecision::CancelItem
        );
    }
}
