//! The session's public vocabulary: how it is set up ([`SessionConfig`]),
//! where it is ([`SessionPhase`]), how its steps end ([`SessionOutcome`],
//! [`SkipOutcome`], [`ShowErrorOutcome`], [`SessionError`]) and what its
//! error log holds ([`LogEntry`]).

use std::time::Duration;

use crate::{
    ErrorId, HResult, HandlerError, ItemId, LogLevel, Mode, SyncEvent, SyncMgrFlags, SyncModifiers,
};

/// How a session is set up.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Strict or lenient conformance checking.
    pub mode: Mode,
    /// The `dwSyncMgrFlags` passed to `Initialize`.
    pub flags: SyncMgrFlags,
    /// The `lpCookie` passed to `Initialize` (only with `SyncEvent::Invoke`).
    pub cookie: Option<Vec<u8>>,
    /// How long to wait for each `*Completed` call before giving up. A
    /// duration too long to add to the clock's current time (such as
    /// [`Duration::MAX`]) means no timeout.
    pub completion_timeout: Duration,
}

impl Default for SessionConfig {
    /// Strict, a manual sync without UI, a 30 second completion timeout.
    fn default() -> Self {
        Self {
            mode: Mode::Strict,
            flags: SyncMgrFlags::new(SyncEvent::Manual, SyncModifiers::empty()),
            cookie: None,
            completion_timeout: Duration::from_secs(30),
        }
    }
}

/// Where a session is in the documented sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionPhase {
    /// Not started.
    Created,
    /// `Initialize`, `GetHandlerInfo`, `EnumSyncMgrItems`.
    Initializing,
    /// Initialized, callback registered, nothing being synchronized.
    Ready,
    /// `PrepareForSync` called, its completion not yet recorded.
    Preparing,
    /// `Synchronize` called, its completion not yet recorded.
    Synchronizing,
    /// A synchronize cycle ended.
    Synchronized,
    /// `ShowError` called, its completion not yet recorded.
    ShowingError,
    /// The callback and the handler were released.
    Released,
}

/// How a session (or one sync cycle) ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionOutcome {
    /// `Initialize` answered `S_FALSE`: the handler does not handle this
    /// event. Nothing else was called.
    Declined,
    /// No items were selected; `PrepareForSync` was not called (§G.2 #14).
    NothingToSync,
    /// `PrepareForSync` answered `S_FALSE`: it cannot prepare without UI.
    PrepareDeclined,
    /// `PrepareForSyncCompleted` reported a code other than `S_OK`;
    /// `Synchronize` was not called (§G.2 #14).
    PrepareFailed {
        /// The code the handler reported.
        code: HResult,
    },
    /// `SynchronizeCompleted` arrived with this code.
    Completed {
        /// The code the handler reported.
        code: HResult,
    },
    /// A handler method failed.
    HandlerFailed {
        /// The method, by its Windows name.
        call: &'static str,
        /// How it failed.
        error: HandlerError,
    },
    /// A completion did not arrive within the configured timeout.
    TimedOut {
        /// The completion waited for, by its Windows name.
        waiting_for: &'static str,
    },
}

impl SessionOutcome {
    /// True for a synchronize that completed with `S_OK`.
    pub fn is_success(&self) -> bool {
        matches!(self, Self::Completed { code } if code.is_s_ok())
    }
}

/// What became of a [`Session::skip_item`](crate::Session::skip_item) request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SkipOutcome {
    /// Delivered now as `SetItemStatus(SKIPPED)`: a legal window was open.
    Delivered,
    /// Queued: it is delivered when the next legal window opens (after
    /// `PrepareForSync` or `Synchronize` returns, before its completion).
    Queued,
}

/// What became of a `ShowError` cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ShowErrorOutcome {
    /// `ShowErrorCompleted` arrived with this code (not a retry).
    Completed {
        /// The code.
        code: HResult,
    },
    /// `ShowErrorCompleted(S_SYNCMGR_RETRYSYNC, items)`: run
    /// [`Driver::sync`](crate::Driver::sync) again with these items (§G.2 #19).
    Retry {
        /// The items to prepare and synchronize again.
        items: Vec<ItemId>,
    },
    /// `ShowError` failed; no completion follows.
    HandlerFailed {
        /// How it failed.
        error: HandlerError,
    },
    /// The completion did not arrive in time.
    TimedOut,
}

/// A request the session cannot carry out: the caller misused the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The item is not known to this session.
    #[error("item {0} is not known to this session")]
    UnknownItem(ItemId),
    /// The item is not part of the current synchronize set.
    #[error("item {0} is not being synchronized")]
    NotInSyncSet(ItemId),
    /// The item has already finished.
    #[error("item {0} has already finished")]
    ItemFinished(ItemId),
    /// No skip window can open any more in this phase.
    #[error("no SetItemStatus window can open in phase {0:?}")]
    NoSkipWindow(SessionPhase),
    /// The call does not fit the session's phase.
    #[error("{call} needs phase {expected}, but the session is in {actual:?}")]
    WrongPhase {
        /// The call.
        call: &'static str,
        /// The phases it needs, in words.
        expected: &'static str,
        /// The phase the session is in.
        actual: SessionPhase,
    },
    /// The log entry does not exist, has no error id, or was not logged with
    /// jump text (§G.5 #34).
    #[error("error {0} is not a live log entry with jump text")]
    NotShowable(ErrorId),
}

/// One entry of the error log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// The level.
    pub level: LogLevel,
    /// The text.
    pub text: String,
    /// The error id, if the handler gave one.
    pub error_id: Option<ErrorId>,
    /// The item, if the handler named one.
    pub item: Option<ItemId>,
    /// True when the handler enabled jump text (the entry can be opened
    /// with `ShowError`).
    pub jump_text: bool,
}

impl LogEntry {
    /// True when `ShowError` may be offered for this entry (§G.5 #34).
    pub fn is_showable(&self) -> bool {
        self.error_id.is_some() && self.jump_text
    }
}
