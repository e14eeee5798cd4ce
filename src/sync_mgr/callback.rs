//! [`SyncCallback`]: the host side of the protocol
//! (`ISyncMgrSynchronizeCallback`, [the specification](crate::protocol#syncmgr), §E.2).

use crate::{
    CallbackError, CallbackSlot, CancelDecision, ErrorId, HResult, ItemId, LogErrorInfo, LogLevel,
    SyncMgrProgress,
};

/// The host's answer to `EnableModeless(TRUE)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelessAnswer {
    /// `S_OK`: the handler may show its dialog (or, for `FALSE`, the release
    /// is acknowledged).
    Granted,
    /// `S_FALSE`: the handler must not show the dialog.
    Refused,
}

impl ModelessAnswer {
    /// `S_OK` or `S_FALSE`.
    pub const fn to_hresult(self) -> HResult {
        match self {
            Self::Granted => HResult::S_OK,
            Self::Refused => HResult::S_FALSE,
        }
    }

    /// Read an `EnableModeless` return code; `None` for any code other than
    /// `S_OK` and `S_FALSE`.
    pub const fn from_hresult(code: HResult) -> Option<Self> {
        match code {
            HResult::S_OK => Some(Self::Granted),
            HResult::S_FALSE => Some(Self::Refused),
            _ => None,
        }
    }
}

/// The host side of SyncMgr: what a handler may tell its host.
///
/// Only [`progress`](Self::progress) has no default: it is the method every
/// host must answer. The defaults accept the completions and log calls and
/// refuse dialogs, which is what a host without a UI does.
///
/// Every method returns [`CallbackError`] when the host refuses the call; in
/// a strict host that is also how protocol violations come back.
///
/// The host implements it; the handler calls it, usually through a
/// [`CallbackSlot`](crate::CallbackSlot). The nine methods are those of the
/// COM interface in vtable order. Reserved `DWORD` arguments are dropped:
/// the COM edge checks them.
///
/// Calls may arrive on any thread, concurrently, and before the call that
/// started the work has returned ([§G.6 #39](crate::protocol#fact-39)): an implementation must not hold
/// a lock while it calls back into a handler.
pub trait SyncCallback: Send + Sync {
    /// `ShowPropertiesCompleted(hr)`: the outcome of `ShowProperties`.
    ///
    /// Rule: only after `ShowProperties` returned a success code, at most
    /// once per call ([§G.5 #36](crate::protocol#rule-36)). May arrive before `ShowProperties` returns.
    /// `S_SYNCMGR_ITEMDELETED` and `S_SYNCMGR_ENUMITEMS` are success outcomes
    /// ([§G.5 #37](crate::protocol#fact-37)).
    ///
    /// # Errors
    ///
    /// The host refuses an unexpected completion.
    fn show_properties_completed(&self, outcome: HResult) -> Result<(), CallbackError> {
        let _ = outcome;
        Ok(())
    }

    /// `PrepareForSyncCompleted(hr)`: the asynchronous outcome of
    /// `PrepareForSync`.
    ///
    /// Rule: exactly once per `PrepareForSync` that returned `S_OK`, never
    /// otherwise; it may arrive before `PrepareForSync` returns ([§G.2 #13](crate::protocol#rule-13)).
    /// `S_OK` lets the host call `Synchronize`; anything else makes it
    /// release the handler without synchronizing ([§G.2 #14](crate::protocol#fact-14)).
    ///
    /// # Errors
    ///
    /// The host refuses an unexpected or second completion.
    fn prepare_for_sync_completed(&self, outcome: HResult) -> Result<(), CallbackError> {
        let _ = outcome;
        Ok(())
    }

    /// `SynchronizeCompleted(hr)`: the outcome of `Synchronize`.
    ///
    /// Rule: exactly once per `Synchronize` that returned `S_OK`; may arrive
    /// before `Synchronize` returns ([§G.2 #16](crate::protocol#rule-16)). No progress after it
    /// ([§G.2 #17](crate::protocol#rule-17)).
    ///
    /// # Errors
    ///
    /// The host refuses an unexpected or second completion.
    fn synchronize_completed(&self, outcome: HResult) -> Result<(), CallbackError> {
        let _ = outcome;
        Ok(())
    }

    /// `ShowErrorCompleted(hr, cItems, pItemIDs)`: the outcome of `ShowError`.
    ///
    /// Rule: only after `ShowError` returned success, at most once
    /// ([§G.5 #35](crate::protocol#rule-35)). `retry_items` matters only when `outcome` is
    /// `S_SYNCMGR_RETRYSYNC`, which starts a new prepare/synchronize cycle
    /// over those items ([§G.2 #19](crate::protocol#rule-19)); the host copies them.
    ///
    /// # Errors
    ///
    /// The host refuses an unexpected completion, or a retry with no items.
    fn show_error_completed(
        &self,
        outcome: HResult,
        retry_items: &[ItemId],
    ) -> Result<(), CallbackError> {
        let _ = (outcome, retry_items);
        Ok(())
    }

    /// `EnableModeless(fEnable)`: ask to show a dialog (`true`) or say it is
    /// closed (`false`).
    ///
    /// Rule: `true` before every dialog, `false` after it, paired without
    /// nesting; the host grants one handler at a time and refuses during
    /// prepare/synchronize unless `SYNCMGRFLAG_MAYBOTHERUSER` is set
    /// ([§G.4 #29](crate::protocol#rule-29), #30). The default refuses every dialog.
    ///
    /// # Errors
    ///
    /// The host refuses an unpaired call.
    fn enable_modeless(&self, enable: bool) -> Result<ModelessAnswer, CallbackError> {
        Ok(if enable {
            ModelessAnswer::Refused
        } else {
            ModelessAnswer::Granted
        })
    }

    /// `Progress(ItemID, pSyncProgressItem)`: report progress for `item` and
    /// learn whether to go on.
    ///
    /// Rules: call it before starting each new item ([§G.3 #20](crate::protocol#rule-20)); `None` is a
    /// pure cancellation poll with no update ([§G.3 #25](crate::protocol#fact-25)). The answer is the
    /// [`CancelDecision`]; `CancelAll` is sticky ([§G.3 #21](crate::protocol#fact-21)). After a cancel
    /// only a terminal status may be reported for the item ([§G.3 #22](crate::protocol#rule-22)).
    ///
    /// # Errors
    ///
    /// The host refuses a report for an item outside the prepared set, a
    /// report outside prepare/synchronize, or an invalid report.
    fn progress(
        &self,
        item: ItemId,
        progress: Option<&SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError>;

    /// `LogError(dwErrorLevel, pszErrorText, pSyncLogError)`: add an entry to
    /// the host's error log.
    ///
    /// Rule: error ids are unique among live entries and never the all-zero
    /// id ([§G.5 #32](crate::protocol#rule-32)); an item id must be in the prepared set ([§G.2 #15](crate::protocol#rule-15)).
    ///
    /// # Errors
    ///
    /// The host refuses a duplicate or reserved error id, or an unknown item.
    fn log_error(
        &self,
        level: LogLevel,
        text: &str,
        info: Option<&LogErrorInfo>,
    ) -> Result<(), CallbackError> {
        let _ = (level, text, info);
        Ok(())
    }

    /// `DeleteLogError(ErrorID, 0)`: remove an entry;
    /// [`ErrorId::ALL`](crate::ErrorId::ALL) removes every entry of this
    /// handler ([§G.5 #33](crate::protocol#fact-33)).
    ///
    /// # Errors
    ///
    /// A host may refuse an unknown id (consistently).
    fn delete_log_error(&self, error: ErrorId) -> Result<(), CallbackError> {
        let _ = error;
        Ok(())
    }

    /// `EstablishConnection(pwszConnection, 0)`: ask the host to open a
    /// network connection; `None` is the default connection ([§G.5 #38](crate::protocol#rule-38)).
    ///
    /// # Errors
    ///
    /// The host cannot or will not connect. The default refuses with
    /// `E_NOTIMPL`.
    fn establish_connection(&self, connection: Option<&str>) -> Result<(), CallbackError> {
        let _ = connection;
        Err(CallbackError::Failed(crate::FailureCode::E_NOTIMPL))
    }
}

/// A slot is itself a callback: each call is dispatched to the callback it
/// holds, or refused with [`CallbackError::NoCallback`] when it is empty.
impl<C: SyncCallback + ?Sized> SyncCallback for CallbackSlot<C> {
    fn show_properties_completed(&self, outcome: HResult) -> Result<(), CallbackError> {
        self.try_call(|cb| cb.show_properties_completed(outcome))
    }

    fn prepare_for_sync_completed(&self, outcome: HResult) -> Result<(), CallbackError> {
        self.try_call(|cb| cb.prepare_for_sync_completed(outcome))
    }

    fn synchronize_completed(&self, outcome: HResult) -> Result<(), CallbackError> {
        self.try_call(|cb| cb.synchronize_completed(outcome))
    }

    fn show_error_completed(
        &self,
        outcome: HResult,
        retry_items: &[ItemId],
    ) -> Result<(), CallbackError> {
        self.try_call(|cb| cb.show_error_completed(outcome, retry_items))
    }

    fn enable_modeless(&self, enable: bool) -> Result<ModelessAnswer, CallbackError> {
        self.try_call(|cb| cb.enable_modeless(enable))
    }

    fn progress(
        &self,
        item: ItemId,
        progress: Option<&SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError> {
        self.try_call(|cb| cb.progress(item, progress))
    }

    fn log_error(
        &self,
        level: LogLevel,
        text: &str,
        info: Option<&LogErrorInfo>,
    ) -> Result<(), CallbackError> {
        self.try_call(|cb| cb.log_error(level, text, info))
    }

    fn delete_log_error(&self, error: ErrorId) -> Result<(), CallbackError> {
        self.try_call(|cb| cb.delete_log_error(error))
    }

    fn establish_connection(&self, connection: Option<&str>) -> Result<(), CallbackError> {
        self.try_call(|cb| cb.establish_connection(connection))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modeless_answers_round_trip() {
        for answer in [ModelessAnswer::Granted, ModelessAnswer::Refused] {
            assert_eq!(
                ModelessAnswer::from_hresult(answer.to_hresult()),
                Some(answer)
            );
        }
        assert_eq!(
            ModelessAnswer::from_hresult(HResult::S_SYNCMGR_CANCELALL),
            None
        );
    }
}
