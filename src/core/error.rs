//! The two error types of the protocol traits, one per direction.
//!
//! - [`CallbackError`]: a host refused a call the *handler* made on its
//!   callback (or the handler has no callback to call).
//! - [`HandlerError`]: a handler failed a call the *host* made on it.
//!
//! Both carry the failure `HRESULT` the COM edge answers with
//! ([`CallbackError::hresult`], [`HandlerError::hresult`]); the core never
//! needs to look at it. Success codes are never errors: a cancel decision,
//! `S_FALSE` from `Initialize` or `EnableModeless` are typed answers
//! ([`CancelDecision`](crate::CancelDecision), [`HandlerAnswer`](crate::HandlerAnswer),
//! [`ModelessAnswer`](crate::ModelessAnswer)).

use crate::HResult;

/// A failure `HRESULT`: one whose severity bit is set.
///
/// The wrapper guarantees the code is a failure, so an error can never carry
/// a success code (which a COM caller would read as success).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FailureCode(HResult);

impl FailureCode {
    /// `E_FAIL`, the unspecified failure.
    pub const E_FAIL: Self = Self(HResult::E_FAIL);
    /// `E_NOTIMPL`, the method is not implemented.
    pub const E_NOTIMPL: Self = Self(HResult::E_NOTIMPL);

    /// Wrap `code` if it is a failure; `None` for a success code.
    pub const fn new(code: HResult) -> Option<Self> {
        if code.is_failure() {
            Some(Self(code))
        } else {
            None
        }
    }

    /// The code.
    pub const fn get(self) -> HResult {
        self.0
    }
}

impl std::fmt::Display for FailureCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A handler's call on its callback that did not get a normal answer.
///
/// Returned by every [`SyncCallback`](crate::SyncCallback) method. A handler
/// usually propagates it with `?`; the COM edge turns it into
/// [`hresult()`](Self::hresult).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    /// No callback is registered: `SetProgressCallback` was never called, or
    /// was last called with `NULL` ([the specification](crate::protocol#rules) #8). `E_UNEXPECTED` at the
    /// COM edge.
    #[error("no progress callback is registered")]
    NoCallback,
    /// The host refused an argument (`E_INVALIDARG`).
    #[error("invalid argument: {reason}")]
    InvalidArgument {
        /// What was wrong.
        reason: String,
    },
    /// The host did not expect this call now (`E_UNEXPECTED`).
    #[error("unexpected call: {reason}")]
    Unexpected {
        /// Why it was not expected.
        reason: String,
    },
    /// The host refused the call (`E_ACCESSDENIED`).
    #[error("access denied: {reason}")]
    AccessDenied {
        /// Why it was refused.
        reason: String,
    },
    /// The host failed with another code (for example one read from a COM
    /// host).
    #[error("the host failed with {0}")]
    Failed(FailureCode),
}

impl CallbackError {
    /// The failure code a COM host returns for this error.
    pub fn hresult(&self) -> HResult {
        match self {
            Self::NoCallback | Self::Unexpected { .. } => HResult::E_UNEXPECTED,
            Self::InvalidArgument { .. } => HResult::E_INVALIDARG,
            Self::AccessDenied { .. } => HResult::E_ACCESSDENIED,
            Self::Failed(code) => code.get(),
        }
    }
}

/// A host's call on a handler that failed.
///
/// Returned by every [`SyncHandler`](crate::SyncHandler) method.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandlerError {
    /// The method is not implemented (`E_NOTIMPL`). `GetItemObject` must
    /// always answer this ([the specification](crate::protocol#rules) #9).
    #[error("not implemented")]
    NotImplemented,
    /// An argument was invalid (`E_INVALIDARG`).
    #[error("invalid argument: {reason}")]
    InvalidArgument {
        /// What was wrong.
        reason: String,
    },
    /// The call was not expected now (`E_UNEXPECTED`).
    #[error("unexpected call: {reason}")]
    Unexpected {
        /// Why it was not expected.
        reason: String,
    },
    /// The operation was aborted (`E_ABORT`).
    #[error("aborted")]
    Aborted,
    /// The handler failed with another code (`E_FAIL` when nothing more
    /// specific applies).
    #[error("the handler failed with {code}: {reason}")]
    Failed {
        /// The failure code.
        code: FailureCode,
        /// What went wrong, for the log.
        reason: String,
    },
}

impl HandlerError {
    /// A failure with `E_FAIL` and a reason.
    pub fn failed(reason: impl Into<String>) -> Self {
        Self::Failed {
            code: FailureCode::E_FAIL,
            reason: reason.into(),
        }
    }

    /// The failure code a COM handler returns for this error.
    pub fn hresult(&self) -> HResult {
        match self {
            Self::NotImplemented => HResult::E_NOTIMPL,
            Self::InvalidArgument { .. } => HResult::E_INVALIDARG,
            Self::Unexpected { .. } => HResult::E_UNEXPECTED,
            Self::Aborted => HResult::E_ABORT,
            Self::Failed { code, .. } => code.get(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_code_refuses_success_codes() {
        assert!(FailureCode::new(HResult::S_OK).is_none());
        assert!(FailureCode::new(HResult::S_SYNCMGR_CANCELALL).is_none());
        assert_eq!(
            FailureCode::new(HResult::E_ABORT).map(FailureCode::get),
            Some(HResult::E_ABORT)
        );
    }

    #[test]
    fn errors_map_to_their_codes() {
        assert_eq!(CallbackError::NoCallback.hresult(), HResult::E_UNEXPECTED);
        assert_eq!(
            CallbackError::AccessDenied { reason: "x".into() }.hresult(),
            HResult::E_ACCESSDENIED
        );
        assert_eq!(HandlerError::NotImplemented.hresult(), HResult::E_NOTIMPL);
        assert_eq!(HandlerError::failed("disk full").hresult(), HResult::E_FAIL);
        assert_eq!(
            HandlerError::failed("disk full").to_string(),
            "the handler failed with 0x80004005 (E_FAIL): disk full"
        );
    }
}
