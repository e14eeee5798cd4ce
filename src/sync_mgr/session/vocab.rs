//! The session's public vocabulary: how it is set up ([`SessionConfig`]),
//! where it is ([`SessionPhase`]), how its steps end ([`SessionOutcome`],
//! [`SkipOutcome`], [`ShowErrorOutcome`], [`SessionError`]) and what its
//! error log holds ([`LogEntry`]).

use crate::sync::Arc;
use std::time::Duration;

use crate::{
    Clock, ErrorId, HResult, HandlerError, ItemId, LogLevel, Mode, SyncEvent, SyncMgrFlags,
    SyncModifiers, SystemClock,
};

/// How a session is set up.
///
/// Built from [`SessionConfig::new`] (or [`Default`]) and the `with_*`
/// methods; the fields can be read but, since the type will grow, not
/// written as a struct literal outside this crate.
///
/// ```
/// use std::time::Duration;
/// use syncmgr::{Mode, SessionConfig, SyncEvent, SyncMgrFlags, SyncModifiers};
///
/// let config = SessionConfig::new(Mode::Lenient)
///     .with_flags(SyncMgrFlags::new(SyncEvent::Invoke, SyncModifiers::empty()))
///     .with_cookie(b"the invoking application's cookie".to_vec())
///     .with_completion_timeout(Duration::from_secs(5));
/// assert_eq!(config.validate(), Ok(()));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SessionConfig {
    /// Strict or lenient conformance checking.
    pub mode: Mode,
    /// The `dwSyncMgrFlags` passed to `Initialize`.
    pub flags: SyncMgrFlags,
    /// The `lpCookie` passed to `Initialize`: only with [`SyncEvent::Invoke`],
    /// and at most [`SessionConfig::MAX_COOKIE`] bytes ([`validate`](Self::validate)).
    pub cookie: Option<Vec<u8>>,
    /// How long to wait for each `*Completed` call before giving up. A
    /// duration too long to add to the clock's current time (such as
    /// [`Duration::MAX`]) means no timeout.
    pub completion_timeout: Duration,
    /// Where the session's timestamps come from (events, item start and
    /// finish, snapshots): a [`SystemClock`] unless set with
    /// [`with_clock`](Self::with_clock).
    pub clock: Arc<dyn Clock>,
}

impl SessionConfig {
    /// This configuration with `clock` as the source of its timestamps,
    /// for example a [`ManualClock`](crate::ManualClock) in tests.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}

impl SessionConfig {
    /// The largest cookie a session passes to `Initialize`: 64 KiB. The
    /// platform documents no limit (`cbCookie` is a `DWORD`); this crate
    /// sets one so that a host never copies an unbounded buffer into every
    /// handler it starts.
    pub const MAX_COOKIE: usize = 64 * 1024;

    /// The default configuration ([`Default`]) in `mode`.
    pub fn new(mode: Mode) -> Self {
        Self {
            mode,
            ..Self::default()
        }
    }

    /// With `mode`.
    #[must_use]
    pub fn with_mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// With the `dwSyncMgrFlags` passed to `Initialize`.
    #[must_use]
    pub fn with_flags(mut self, flags: SyncMgrFlags) -> Self {
        self.flags = flags;
        self
    }

    /// With the cookie passed to `Initialize` (only meaningful with
    /// [`SyncEvent::Invoke`]; [`validate`](Self::validate) checks).
    #[must_use]
    pub fn with_cookie(mut self, cookie: impl Into<Vec<u8>>) -> Self {
        self.cookie = Some(cookie.into());
        self
    }

    /// With how long to wait for each `*Completed` call.
    #[must_use]
    pub fn with_completion_timeout(mut self, timeout: Duration) -> Self {
        self.completion_timeout = timeout;
        self
    }

    /// Check the configuration before a handler sees it. A session calls
    /// this before `Initialize` and ends with
    /// [`SessionOutcome::Misuse`] without calling the handler when it fails.
    ///
    /// # Errors
    ///
    /// [`SessionError::CookieWithoutInvoke`] when a cookie is set but the
    /// event is not [`SyncEvent::Invoke`] (`SyncHandler::initialize`
    /// promises a cookie only then); [`SessionError::CookieTooLarge`] above
    /// [`SessionConfig::MAX_COOKIE`] bytes.
    pub fn validate(&self) -> Result<(), SessionError> {
        let Some(cookie) = &self.cookie else {
            return Ok(());
        };
        if self.flags.event() != SyncEvent::Invoke {
            return Err(SessionError::CookieWithoutInvoke {
                event: self.flags.event(),
            });
        }
        if cookie.len() > Self::MAX_COOKIE {
            return Err(SessionError::CookieTooLarge {
                len: cookie.len(),
                max: Self::MAX_COOKIE,
            });
        }
        Ok(())
    }
}

impl Default for SessionConfig {
    /// Strict, a manual sync without UI, a 30 second completion timeout.
    fn default() -> Self {
        Self {
            mode: Mode::Strict,
            flags: SyncMgrFlags::new(SyncEvent::Manual, SyncModifiers::empty()),
            cookie: None,
            completion_timeout: Duration::from_secs(30),
            clock: Arc::new(SystemClock::new()),
        }
    }
}

/// Where a session is in the documented sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
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
    /// No items were selected; `PrepareForSync` was not called ([§G.2 #14](crate::protocol#fact-14)).
    NothingToSync,
    /// `PrepareForSync` answered `S_FALSE`: it cannot prepare without UI.
    PrepareDeclined,
    /// `PrepareForSyncCompleted` reported a code other than `S_OK`;
    /// `Synchronize` was not called ([§G.2 #14](crate::protocol#fact-14)).
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
    /// The caller misused the API (a second `initialize`, an invalid
    /// configuration); the handler was not called for it. Distinct from
    /// [`HandlerFailed`](Self::HandlerFailed), which blames the handler.
    Misuse(SessionError),
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
    /// [`Driver::sync`](crate::Driver::sync) again with these items ([§G.2 #19](crate::protocol#rule-19)).
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
    /// [`SessionConfig::cookie`] is set, but the event is not `INVOKE`: a
    /// handler is promised a cookie only with `SYNCMGRFLAG_INVOKE`.
    #[error("a cookie is passed to Initialize only with the INVOKE event, not with {event}")]
    CookieWithoutInvoke {
        /// The configured event.
        event: SyncEvent,
    },
    /// [`SessionConfig::cookie`] is longer than [`SessionConfig::MAX_COOKIE`].
    #[error("the cookie has {len} bytes; at most {max} are passed to Initialize")]
    CookieTooLarge {
        /// The cookie's length.
        len: usize,
        /// The limit.
        max: usize,
    },
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
    /// jump text ([§G.5 #34](crate::protocol#fact-34)).
    #[error("error {0} is not a live log entry with jump text")]
    NotShowable(ErrorId),
}

/// One entry of the error log.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
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
    /// True when `ShowError` may be offered for this entry ([§G.5 #34](crate::protocol#fact-34)).
    pub fn is_showable(&self) -> bool {
        self.error_id.is_some() && self.jump_text
    }
}
