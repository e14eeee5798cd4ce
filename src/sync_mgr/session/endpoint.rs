//! The callback object the handler holds for one [`Driver`](super::Driver):
//! forwards every `ISyncMgrSynchronizeCallback` call to the session, checks
//! it against the protocol, and notices calls after its release ([§G.1 #8](crate::protocol#rule-8)).

use crate::core::rule::Refusal;
use crate::sync::{AtomicBool, Ordering};
use crate::{
    CallbackError, CancelDecision, ErrorId, HResult, ItemId, LogErrorInfo, LogLevel,
    ModelessAnswer, Rule, SessionEvent, SyncCallback, SyncMgrProgress,
};

use super::items::ItemRef;
use super::state::State;
use super::{LogEntry, Session, SessionPhase};

/// The host's callback object for one driver: forwards to the session and
/// notices calls after its release ([§G.1 #8](crate::protocol#rule-8)).
pub(super) struct Endpoint {
    pub(super) session: Session,
    pub(super) released: AtomicBool,
}

impl Endpoint {
    fn released(&self) -> bool {
        self.released.load(Ordering::SeqCst)
    }
}

impl SyncCallback for Endpoint {
    fn show_properties_completed(&self, outcome: HResult) -> Result<(), CallbackError> {
        self.session.complete(
            self.released(),
            "ShowPropertiesCompleted",
            Rule::SHOW_PROPERTIES_COMPLETED_ONCE,
            State::show_properties,
            outcome,
            |_, _| {},
        )
    }

    fn prepare_for_sync_completed(&self, outcome: HResult) -> Result<(), CallbackError> {
        self.session.complete(
            self.released(),
            "PrepareForSyncCompleted",
            Rule::PREPARE_COMPLETED_ONCE,
            State::prepare,
            outcome,
            // A failed preparation ends the cycle: no Synchronize, no progress.
            |st, code| {
                if !code.is_s_ok() {
                    st.set_progress_open(false);
                }
            },
        )
    }

    fn synchronize_completed(&self, outcome: HResult) -> Result<(), CallbackError> {
        self.session.complete(
            self.released(),
            "SynchronizeCompleted",
            Rule::SYNCHRONIZE_COMPLETED_ONCE,
            State::synchronize,
            outcome,
            |st, _| st.set_progress_open(false),
        )
    }

    fn show_error_completed(
        &self,
        outcome: HResult,
        retry_items: &[ItemId],
    ) -> Result<(), CallbackError> {
        // A retry without items breaks §G.2 #19, but the completion still
        // ends the show-error cycle (as a plain completion).
        let retry = if outcome == HResult::S_SYNCMGR_RETRYSYNC {
            self.session.update(|st, events| {
                if retry_items.is_empty() {
                    self.session.breach(
                        st,
                        events,
                        Rule::RETRY_ITEMS,
                        "ShowErrorCompleted",
                        None,
                        "at least one item with S_SYNCMGR_RETRYSYNC",
                        "no items",
                        Refusal::InvalidArgument,
                    )?;
                }
                st.retry_items = Some(retry_items.to_vec());
                Ok(())
            })
        } else {
            Ok(())
        };
        let completed = self.session.complete(
            self.released(),
            "ShowErrorCompleted",
            Rule::SHOW_ERROR_COMPLETED_ONCE,
            State::show_error,
            outcome,
            |_, _| {},
        );
        retry.and(completed)
    }

    fn enable_modeless(&self, enable: bool) -> Result<ModelessAnswer, CallbackError> {
        let session = &self.session;
        let shared = &session.shared;
        session.update(|st, events| {
            session.check_not_released(st, events, self.released(), "EnableModeless", None)?;
            if !enable {
                if !st.modeless_held {
                    session.breach(
                        st,
                        events,
                        Rule::MODELESS_PAIRED,
                        "EnableModeless",
                        None,
                        "EnableModeless(FALSE) after a granted EnableModeless(TRUE)",
                        "FALSE without TRUE",
                        Refusal::Unexpected,
                    )?;
                }
                st.modeless_held = false;
                shared.arbiter.release(shared.id);
                return Ok(ModelessAnswer::Granted);
            }
            if st.modeless_held {
                session.breach(
                    st,
                    events,
                    Rule::MODELESS_PAIRED,
                    "EnableModeless",
                    None,
                    "EnableModeless(FALSE) before another TRUE",
                    "a nested TRUE",
                    Refusal::Unexpected,
                )?;
                return Ok(ModelessAnswer::Granted);
            }
            let quiet = matches!(
                st.phase(),
                SessionPhase::Preparing | SessionPhase::Synchronizing
            ) && !shared.config.flags.may_bother_user();
            if quiet || !shared.arbiter.try_acquire(shared.id) {
                return Ok(ModelessAnswer::Refused);
            }
            st.modeless_held = true;
            Ok(ModelessAnswer::Granted)
        })
    }

    fn progress(
        &self,
        item: ItemId,
        progress: Option<&SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError> {
        self.session.progress(self.released(), item, progress)
    }

    fn log_error(
        &self,
        level: LogLevel,
        text: &str,
        info: Option<&LogErrorInfo>,
    ) -> Result<(), CallbackError> {
        let session = &self.session;
        session.update(|st, events| {
            let call = "LogError";
            session.check_not_released(st, events, self.released(), call, None)?;
            let error_id = info.and_then(LogErrorInfo::error_id);
            let item = info.and_then(LogErrorInfo::item_id);
            if let Some(id) = error_id {
                if id.is_null() {
                    session.breach(
                        st,
                        events,
                        Rule::ERROR_ID_UNIQUE,
                        call,
                        item,
                        "a non-zero error id",
                        "the all-zero id",
                        Refusal::InvalidArgument,
                    )?;
                } else if st.log.iter().any(|e| e.error_id == Some(id)) {
                    session.breach(
                        st,
                        events,
                        Rule::ERROR_ID_UNIQUE,
                        call,
                        item,
                        "an error id unique among live entries",
                        format!("{id} again"),
                        Refusal::InvalidArgument,
                    )?;
                }
            }
            if let Some(item) = item {
                match session.shared.items.find(item).map(ItemRef::read) {
                    Some(bits) if bits.in_sync_set => {
                        if !bits.opened {
                            session.breach(
                                st,
                                events,
                                Rule::PROGRESS_BEFORE_ITEM,
                                call,
                                Some(item),
                                "a Progress before the first LogError naming the item",
                                "a LogError first",
                                Refusal::InvalidArgument,
                            )?;
                        }
                    }
                    _ => session.breach(
                        st,
                        events,
                        Rule::PREPARED_SET,
                        call,
                        Some(item),
                        "an item of the prepared set",
                        "an item outside it",
                        Refusal::InvalidArgument,
                    )?,
                }
            }
            let entry = LogEntry {
                level,
                text: text.to_owned(),
                error_id,
                item,
                jump_text: info.is_some_and(LogErrorInfo::jump_text_enabled),
            };
            st.log.push(entry.clone());
            events.push(SessionEvent::LogEntryAdded(entry));
            Ok(())
        })
    }

    fn delete_log_error(&self, error: ErrorId) -> Result<(), CallbackError> {
        let session = &self.session;
        session.update(|st, events| {
            session.check_not_released(st, events, self.released(), "DeleteLogError", None)?;
            let (removed, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut st.log)
                .into_iter()
                .partition(|e| error == ErrorId::ALL || e.error_id == Some(error));
            st.log = kept;
            events.extend(removed.into_iter().map(SessionEvent::LogEntryRemoved));
            // Deleting an unknown id is harmless (§G.5 #33).
            Ok(())
        })
    }

    fn establish_connection(&self, connection: Option<&str>) -> Result<(), CallbackError> {
        let session = &self.session;
        session.update(|st, events| {
            session.check_not_released(st, events, self.released(), "EstablishConnection", None)?;
            if !st.progress_open() {
                session.breach(
                    st,
                    events,
                    Rule::CONNECTION_WINDOW,
                    "EstablishConnection",
                    None,
                    "a call between PrepareForSync and SynchronizeCompleted",
                    format!("a call in phase {:?}", st.phase()),
                    Refusal::Unexpected,
                )?;
            }
            st.connections.push(connection.map(str::to_owned));
            Ok(())
        })
    }
}
