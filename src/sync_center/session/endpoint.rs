//! The `ISyncMgrSyncCallback` a [`SyncCenterSession`] hands its handler:
//! every call is checked against §G.7 and applied to the session.

use crate::core::rule::Refusal;
use crate::{CallbackError, CanContinue, Guid, Rule};

use super::{Breach, SyncCenterEventRecord, SyncCenterSession};

use crate::sync_center::{
    CancelRequest, MAX_SYNCMGR_PROGRESSTEXT, SessionObject, SyncCenterCallback, SyncCenterEvent,
    SyncCenterItem, SyncCenterItemId, SyncCenterProgress,
};

/// The session's `ISyncMgrSyncCallback`.
pub(super) struct Endpoint {
    pub(super) session: SyncCenterSession,
}

impl SyncCenterCallback for Endpoint {
    fn report_progress(&self, report: &SyncCenterProgress) -> Result<CancelRequest, CallbackError> {
        self.session.report_progress(report)
    }

    fn set_handler_progress_text(&self, text: &str) -> Result<CancelRequest, CallbackError> {
        let call = "SetHandlerProgressText";
        let session = &self.session;
        let mut st = session.shared.state.lock();
        session.check_running(&mut st, call, None)?;
        if let Err(error) =
            crate::core::decode::check_text_limit("pszProgressText", text, MAX_SYNCMGR_PROGRESSTEXT)
        {
            let breach = Breach {
                rule: Rule::SYNC_CENTER_LIMITS,
                call,
                item: None,
                expected: "at most 259 UTF-16 units without a NUL",
                got: error.to_string(),
            };
            return Err(SyncCenterSession::refuse(
                &mut st,
                &breach,
                Refusal::InvalidArgument,
            ));
        }
        st.handler_text = Some(text.to_owned());
        Ok(st.handler_request())
    }

    fn report_event(&self, event: &SyncCenterEvent) -> Result<Guid, CallbackError> {
        let call = "ReportEvent";
        let session = &self.session;
        let mut st = session.shared.state.lock();
        session.check_running(&mut st, call, event.item.as_ref())?;
        if let Some(item) = &event.item
            && session.session_item(&mut st, call, item)?.is_none()
        {
            // Lenient: recorded above; the event is not logged.
            return Ok(Guid::from_u128(0));
        }
        let id = crate::core::ids::fresh_guid();
        st.events.push(SyncCenterEventRecord {
            id,
            event: event.clone(),
        });
        Ok(id)
    }

    fn can_continue(&self, item: Option<&SyncCenterItemId>) -> Result<CanContinue, CallbackError> {
        self.session.can_continue(item)
    }

    fn query_for_additional_items(&self) -> Result<Vec<SyncCenterItemId>, CallbackError> {
        let session = &self.session;
        let mut st = session.shared.state.lock();
        session.check_running(&mut st, "QueryForAdditionalItems", None)?;
        Ok(std::mem::take(&mut st.additional))
    }

    fn add_item_to_session(&self, item: &SyncCenterItemId) -> Result<(), CallbackError> {
        let call = "AddItemToSession";
        let session = &self.session;
        let mut st = session.shared.state.lock();
        session.check_running(&mut st, call, Some(item))?;
        if st.index.contains_key(item) {
            let breach = Breach {
                rule: Rule::SESSION_ITEM_CHANGES,
                call,
                item: Some(item),
                expected: "an item not yet in the session",
                got: "an item already in the session".into(),
            };
            return Err(SyncCenterSession::refuse(
                &mut st,
                &breach,
                Refusal::InvalidArgument,
            ));
        }
        st.add_item(item.clone());
        Ok(())
    }

    fn add_object_to_session(&self, object: SessionObject) -> Result<(), CallbackError> {
        let session = &self.session;
        let mut st = session.shared.state.lock();
        session.check_running(&mut st, "AddIUnknownToSession", None)?;
        st.objects += 1;
        drop(st);
        drop(object);
        Ok(())
    }

    fn propose_item(&self, item: &SyncCenterItem) -> Result<(), CallbackError> {
        let call = "ProposeItem";
        let session = &self.session;
        let mut st = session.shared.state.lock();
        let id = item.id();
        session.check_running(&mut st, call, Some(id))?;
        if st.index.contains_key(id) || st.proposed.contains_key(id) {
            let breach = Breach {
                rule: Rule::SESSION_ITEM_CHANGES,
                call,
                item: Some(id),
                expected: "an item that does not exist yet",
                got: "an existing item".into(),
            };
            return Err(SyncCenterSession::refuse(
                &mut st,
                &breach,
                Refusal::InvalidArgument,
            ));
        }
        st.proposed.insert(id.clone(), item.clone());
        Ok(())
    }

    fn commit_item(&self, item: &SyncCenterItemId) -> Result<(), CallbackError> {
        let call = "CommitItem";
        let session = &self.session;
        let mut st = session.shared.state.lock();
        session.check_running(&mut st, call, Some(item))?;
        let problem = if st.index.contains_key(item) {
            Some("an item already in the session")
        } else if !st.proposed.contains_key(item) {
            Some("an item that was never proposed")
        } else {
            None
        };
        if let Some(got) = problem {
            let breach = Breach {
                rule: Rule::SESSION_ITEM_CHANGES,
                call,
                item: Some(item),
                expected: "a proposed item not yet in the session",
                got: got.into(),
            };
            return Err(SyncCenterSession::refuse(
                &mut st,
                &breach,
                Refusal::InvalidArgument,
            ));
        }
        st.proposed.remove(item);
        st.add_item(item.clone());
        Ok(())
    }

    fn report_manual_sync(&self) -> Result<(), CallbackError> {
        let session = &self.session;
        let mut st = session.shared.state.lock();
        session.check_running(&mut st, "ReportManualSync", None)?;
        st.manual_sync = true;
        Ok(())
    }
}
