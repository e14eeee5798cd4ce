//! [`Driver`]: the documented call sequence, step by step — initialize,
//! enumerate, register the callback, prepare, synchronize, the show-error /
//! retry cycle and release.

use std::fmt;

use crate::sync::{Arc, AtomicBool, Ordering};
use crate::{ErrorId, HResult, HandlerAnswer, ItemId, Rule, SyncHandler, SyncItem, WindowHandle};

use super::endpoint::Endpoint;
use super::items::SegmentBuilder;
use super::state::{Completion, State};
use super::{Session, SessionError, SessionOutcome, SessionPhase, ShowErrorOutcome};

/// Drives one handler through the sequence step by step.
///
/// [`Session::run`] covers the usual straight path; a `Driver` adds the
/// show-error / retry cycle. Dropping a driver releases the callback and the
/// handler if [`release`](Self::release) was not called.
pub struct Driver {
    pub(super) session: Session,
    pub(super) handler: Arc<dyn SyncHandler>,
    pub(super) endpoint: Option<Arc<Endpoint>>,
    /// True once this driver's `initialize` claimed the session (moved it
    /// out of `Created`): only the owner drives and releases it.
    pub(super) owns: bool,
    pub(super) released: bool,
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

impl Driver {
    fn set_phase(&self, to: SessionPhase) {
        self.session
            .update(|st, events| Session::set_phase(st, events, to));
    }

    /// `Initialize`, `GetHandlerInfo`, `EnumSyncMgrItems` and
    /// `SetProgressCallback(callback)`; returns the enumerated items.
    ///
    /// # Errors
    ///
    /// The outcome that ends the session: [`SessionOutcome::Declined`] or
    /// [`SessionOutcome::HandlerFailed`], after which nothing but release
    /// follows; or [`SessionOutcome::Misuse`] without calling the handler:
    /// the session was already initialized
    /// ([`SessionError::WrongPhase`]), or the configuration is invalid
    /// ([`SessionConfig::validate`](crate::SessionConfig::validate)).
    ///
    /// A refused call changes nothing: the session, and any other driver
    /// that owns it, carry on as before.
    pub fn initialize(&mut self) -> Result<Vec<SyncItem>, SessionOutcome> {
        let config = self.session.config().clone();
        config.validate().map_err(SessionOutcome::Misuse)?;
        // Check and claim in one step, so that of two drivers (or two
        // calls) exactly one proceeds.
        self.session.update(|st, events| {
            let phase = st.phase();
            if phase != SessionPhase::Created {
                return Err(SessionOutcome::Misuse(SessionError::WrongPhase {
                    call: "initialize",
                    expected: "Created",
                    actual: phase,
                }));
            }
            Session::set_phase(st, events, SessionPhase::Initializing);
            Ok(())
        })?;
        self.owns = true;
        *self.session.shared.handler.lock() = Some(self.handler.clone());
        let failed = |call, error| SessionOutcome::HandlerFailed { call, error };
        match self
            .handler
            .initialize(config.flags, config.cookie.as_deref())
        {
            Ok(HandlerAnswer::Accept) => {}
            Ok(HandlerAnswer::Decline) => return Err(SessionOutcome::Declined),
            Err(error) => return Err(failed("Initialize", error)),
        }
        let info = self
            .handler
            .handler_info()
            .map_err(|e| failed("GetHandlerInfo", e))?;
        let enumeration = self
            .handler
            .enum_items()
            .map_err(|e| failed("EnumSyncMgrItems", e))?;
        let items = self.session.update(|st, events| {
            st.handler_name = Some(info.name().to_owned());
            let known = &self.session.shared.items;
            let mut segment = SegmentBuilder::with_capacity(enumeration.items.len());
            // Filtered in place: the handler's list becomes the one returned,
            // with no second list of a million items beside it.
            let items: Vec<SyncItem> = enumeration
                .items
                .into_iter()
                .filter(|item| {
                    if segment.contains(item.id()) || known.find(item.id()).is_some() {
                        self.session.note(
                            st,
                            events,
                            Rule::ENUMERATION_VALID,
                            "EnumSyncMgrItems",
                            Some(item.id()),
                            "unique item ids",
                            "a duplicate id (ignored)",
                        );
                        return false;
                    }
                    segment.push(item.id(), item.name());
                    true
                })
                .collect();
            known.append(segment);
            items
        });
        let endpoint = Arc::new(Endpoint {
            session: self.session.clone(),
            released: AtomicBool::new(false),
        });
        self.endpoint = Some(endpoint.clone());
        self.handler
            .set_progress_callback(Some(endpoint))
            .map_err(|e| failed("SetProgressCallback", e))?;
        self.set_phase(SessionPhase::Ready);
        Ok(items)
    }

    /// Prepare and synchronize `items` (one cycle; call again for a retry).
    ///
    /// Items the session does not know yet (a retry may name them) are added,
    /// born cancelled after a cancel-all.
    ///
    /// # Errors
    ///
    /// [`SessionError::WrongPhase`] before [`initialize`](Self::initialize)
    /// succeeded or after [`release`](Self::release).
    pub fn sync(&mut self, items: &[ItemId]) -> Result<SessionOutcome, SessionError> {
        let phase = self.session.phase();
        if !matches!(phase, SessionPhase::Ready | SessionPhase::Synchronized)
            || self.endpoint.is_none()
        {
            return Err(SessionError::WrongPhase {
                call: "sync",
                expected: "Ready or Synchronized",
                actual: phase,
            });
        }
        if items.is_empty() {
            return Ok(SessionOutcome::NothingToSync);
        }
        self.session.update(|st, events| {
            let known = &self.session.shared.items;
            for item in known.iter().filter(|item| item.read().in_sync_set) {
                item.lock().bits.in_sync_set = false;
            }
            // Items a retry names that the session does not know yet are
            // added, in the order they are named.
            let mut added = SegmentBuilder::with_capacity(0);
            for &id in items {
                if known.find(id).is_none() && !added.contains(id) && SyncItem::new(id, "").is_ok()
                {
                    added.push(id, "");
                }
            }
            known.append(added);
            for &id in items {
                let Some(item) = known.find(id) else {
                    continue;
                };
                let mut record = item.lock();
                if record.bits.in_sync_set {
                    continue;
                }
                // A new cycle: the item starts over; its cancel state stays (one-way).
                record.bits = record.bits.restarted();
                // Cancel-all is sticky: an item entering after it is born
                // cancelled, and its snapshot says why.
                record.bits.cancelled |= st.cancel_all.is_some();
                drop(record);
                st.texts.remove(&item.position());
            }
            st.told_cancel_all.clear();
            st.prepare = Completion::Awaiting;
            st.prepare_returned = false;
            st.synchronize = Completion::Idle;
            st.synchronize_returned = false;
            st.set_progress_open(true);
            Session::set_phase(st, events, SessionPhase::Preparing);
        });

        let prepared: fn(&mut State) -> &mut Completion = State::prepare;
        let answer = self.handler.prepare_for_sync(items, WindowHandle::NONE);
        let outcome = match answer {
            Ok(HandlerAnswer::Accept) => {
                self.session.update(|st, _| st.prepare_returned = true);
                self.session.deliver_queued_skips();
                match self.session.wait_for(prepared) {
                    None => Some(SessionOutcome::TimedOut {
                        waiting_for: "PrepareForSyncCompleted",
                    }),
                    Some(code) if !code.is_s_ok() => Some(SessionOutcome::PrepareFailed { code }),
                    Some(_) => None,
                }
            }
            Ok(HandlerAnswer::Decline) => {
                self.session.no_completion_expected(
                    prepared,
                    Rule::PREPARE_COMPLETED_ONCE,
                    "PrepareForSyncCompleted",
                );
                Some(SessionOutcome::PrepareDeclined)
            }
            Err(error) => {
                self.session.no_completion_expected(
                    prepared,
                    Rule::PREPARE_COMPLETED_ONCE,
                    "PrepareForSyncCompleted",
                );
                Some(SessionOutcome::HandlerFailed {
                    call: "PrepareForSync",
                    error,
                })
            }
        };
        self.session.update(|st, _| st.prepare_returned = false);
        if let Some(outcome) = outcome {
            self.end_cycle();
            return Ok(outcome);
        }

        let synchronized: fn(&mut State) -> &mut Completion = State::synchronize;
        self.session.update(|st, events| {
            st.synchronize = Completion::Awaiting;
            Session::set_phase(st, events, SessionPhase::Synchronizing);
        });
        let outcome = match self.handler.synchronize(WindowHandle::NONE) {
            Ok(()) => {
                self.session.update(|st, _| st.synchronize_returned = true);
                self.session.deliver_queued_skips();
                match self.session.wait_for(synchronized) {
                    None => SessionOutcome::TimedOut {
                        waiting_for: "SynchronizeCompleted",
                    },
                    Some(code) => SessionOutcome::Completed { code },
                }
            }
            Err(error) => {
                self.session.no_completion_expected(
                    synchronized,
                    Rule::SYNCHRONIZE_COMPLETED_ONCE,
                    "SynchronizeCompleted",
                );
                SessionOutcome::HandlerFailed {
                    call: "Synchronize",
                    error,
                }
            }
        };
        self.end_cycle();
        Ok(outcome)
    }

    fn end_cycle(&self) {
        self.session.update(|st, events| {
            st.set_progress_open(false);
            st.prepare_returned = false;
            st.synchronize_returned = false;
            st.queued_skips.clear();
            if st.prepare == Completion::Awaiting {
                st.prepare = Completion::Idle;
            }
            if st.synchronize == Completion::Awaiting {
                st.synchronize = Completion::Idle;
            }
            self.session.finalize_items(st, events);
            Session::set_phase(st, events, SessionPhase::Synchronized);
        });
    }

    /// The show-error cycle for a logged error the user opened: `ShowError`,
    /// then wait for `ShowErrorCompleted`.
    ///
    /// # Errors
    ///
    /// [`SessionError::NotShowable`] unless `error` is a live entry logged
    /// with an id and jump text ([§G.5 #34](crate::protocol#fact-34)); [`SessionError::WrongPhase`]
    /// while a sync cycle runs or after release.
    pub fn show_error(&mut self, error: ErrorId) -> Result<ShowErrorOutcome, SessionError> {
        let ready = self.session.update(|st, events| {
            let phase = st.phase();
            if !matches!(phase, SessionPhase::Ready | SessionPhase::Synchronized)
                || self.endpoint.is_none()
            {
                return Err(SessionError::WrongPhase {
                    call: "show_error",
                    expected: "Ready or Synchronized",
                    actual: phase,
                });
            }
            if error.is_null()
                || !st
                    .log
                    .iter()
                    .any(|e| e.error_id == Some(error) && e.is_showable())
            {
                return Err(SessionError::NotShowable(error));
            }
            st.show_error = Completion::Awaiting;
            st.retry_items = None;
            Session::set_phase(st, events, SessionPhase::ShowingError);
            Ok(phase)
        })?;
        let shown: fn(&mut State) -> &mut Completion = State::show_error;
        let outcome = match self.handler.show_error(WindowHandle::NONE, error) {
            Ok(()) => match self.session.wait_for(shown) {
                None => ShowErrorOutcome::TimedOut,
                Some(code) => {
                    let retry = self.session.update(|st, _| st.retry_items.take());
                    match retry {
                        Some(items)
                            if code == HResult::S_SYNCMGR_RETRYSYNC && !items.is_empty() =>
                        {
                            ShowErrorOutcome::Retry { items }
                        }
                        _ => ShowErrorOutcome::Completed { code },
                    }
                }
            },
            Err(error) => {
                self.session.no_completion_expected(
                    shown,
                    Rule::SHOW_ERROR_COMPLETED_ONCE,
                    "ShowErrorCompleted",
                );
                ShowErrorOutcome::HandlerFailed { error }
            }
        };
        self.session.update(|st, events| {
            if st.show_error == Completion::Awaiting {
                st.show_error = Completion::Idle;
            }
            Session::set_phase(st, events, ready);
        });
        Ok(outcome)
    }

    /// `SetProgressCallback(NULL)` and release the handler. Records a [§G.1 #6](crate::protocol#rule-6)
    /// violation if the handler still holds the callback afterwards, and a
    /// [§G.4 #29](crate::protocol#rule-29) violation if it still holds the modeless grant. Idempotent.
    pub fn release(&mut self) {
        if std::mem::replace(&mut self.released, true) {
            return;
        }
        // A driver whose `initialize` was refused never owned the session:
        // it leaves alone the one that does. A session nobody claimed is
        // released as before.
        if !self.owns && self.session.phase() != SessionPhase::Created {
            return;
        }
        if let Some(endpoint) = self.endpoint.take() {
            let result = self.handler.set_progress_callback(None);
            endpoint.released.store(true, Ordering::SeqCst);
            let held = Arc::strong_count(&endpoint) - 1;
            let session = &self.session;
            session.update(|st, events| {
                if let Err(error) = result {
                    session.note(
                        st,
                        events,
                        Rule::CALLBACK_RELEASED,
                        "SetProgressCallback",
                        None,
                        "SetProgressCallback(NULL) to succeed",
                        format!("{error}"),
                    );
                }
                if held > 0 {
                    session.note(
                        st,
                        events,
                        Rule::CALLBACK_RELEASED,
                        "SetProgressCallback",
                        None,
                        "no reference to the callback after SetProgressCallback(NULL)",
                        format!("{held} reference(s) still held"),
                    );
                }
            });
        }
        let shared = &self.session.shared;
        self.session.update(|st, events| {
            if st.modeless_held {
                self.session.note(
                    st,
                    events,
                    Rule::MODELESS_PAIRED,
                    "EnableModeless",
                    None,
                    "EnableModeless(FALSE) before release",
                    "the grant still held",
                );
                st.modeless_held = false;
                shared.arbiter.release(shared.id);
            }
            Session::set_phase(st, events, SessionPhase::Released);
        });
        *shared.handler.lock() = None;
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.release();
    }
}
