//! [`ComError`]: what goes wrong at the COM edge, and the panic guard every
//! COM method entry runs its body in.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::convert::from_hresult;
use crate::{CallbackError, DecodeError, FailureCode, HResult, HandlerError, SyncMgrProgressError};

/// A call refused at the COM edge, or a COM peer's answer that breaks the
/// protocol.
///
/// Each variant has the `HRESULT` the edge answers with
/// ([`hresult`](Self::hresult)). On the import side ([`ComCallback`],
/// [`ComHandler`]) it converts into the trait's error
/// ([`CallbackError`], [`HandlerError`]) with its message as the reason.
///
/// [`ComCallback`]: crate::com::ComCallback
/// [`ComHandler`]: crate::com::ComHandler
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ComError {
    /// A pointer the IDL requires is NULL (`E_POINTER`).
    #[error("{method}: {argument} is a null pointer")]
    NullPointer {
        /// The COM method, by its Windows name.
        method: &'static str,
        /// The argument.
        argument: &'static str,
    },
    /// A structure's `cbSize` is not this architecture's `sizeof`
    /// (`E_INVALIDARG`, §A.5, [§G.9 #60](crate::protocol#fact-60)).
    #[error("{method}: {structure}.cbSize is {got}, expected {expected} on this architecture")]
    BadSize {
        /// The COM method.
        method: &'static str,
        /// The structure, e.g. `SYNCMGRPROGRESSITEM`.
        structure: &'static str,
        /// The `cbSize` that arrived.
        got: u32,
        /// `sizeof` on this architecture.
        expected: u32,
    },
    /// A reserved argument is not zero (`E_INVALIDARG`).
    #[error("{method}: reserved argument {argument} is {value:#x}, expected 0")]
    Reserved {
        /// The COM method.
        method: &'static str,
        /// The argument.
        argument: &'static str,
        /// What arrived.
        value: u32,
    },
    /// A value that does not decode: an unknown enum value or mask bit,
    /// invalid UTF-16, a text without terminator within its limit
    /// (`E_INVALIDARG`).
    #[error("{method}: {source}")]
    Decode {
        /// The COM method.
        method: &'static str,
        /// What is wrong.
        source: DecodeError,
    },
    /// A progress report that is invalid on its own (`E_INVALIDARG`).
    #[error("{method}: {source}")]
    Progress {
        /// The COM method.
        method: &'static str,
        /// What is wrong.
        source: SyncMgrProgressError,
    },
    /// Arguments that contradict each other, such as a NULL array with a
    /// non-zero count (`E_INVALIDARG`).
    #[error("{method}: {reason}")]
    InvalidArgument {
        /// The COM method.
        method: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// User code panicked inside a COM method (`E_UNEXPECTED`).
    #[error("{method}: panicked: {message}")]
    Panicked {
        /// The COM method.
        method: &'static str,
        /// The panic message, when it has one.
        message: String,
    },
    /// A COM peer answered a success code the method does not allow
    /// (`E_UNEXPECTED`): for example `S_FALSE` from `Progress`.
    #[error("{method} answered {code}, expected {expected}")]
    UnexpectedReply {
        /// The COM method.
        method: &'static str,
        /// The code that arrived.
        code: HResult,
        /// The codes the method may answer, in words.
        expected: &'static str,
    },
    /// A COM peer failed the call (its own failure code).
    #[error("{method} failed with {code}")]
    Failed {
        /// The COM method.
        method: &'static str,
        /// The failure code.
        code: FailureCode,
    },
    /// A foreign object cannot be called from this thread, by COM's
    /// apartment rules (see [`ApartmentProblem`] for each case and its
    /// code).
    #[error("{method}: {problem}")]
    Apartment {
        /// The COM method (or the wrapper's constructor).
        method: &'static str,
        /// What keeps the call from being served.
        problem: ApartmentProblem,
    },
}

/// Why a foreign COM object cannot be reached from the calling thread.
///
/// The wrappers follow COM's apartment rules (see "Threads and apartments"
/// in the [module docs](super)); a call they cannot serve is refused with
/// one of these, never with a bare code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApartmentProblem {
    /// The calling thread has not entered COM, and no multithreaded
    /// apartment exists that it would implicitly belong to
    /// (`CO_E_NOTINITIALIZED`).
    #[error(
        "this thread has not entered COM and no multithreaded apartment exists (CO_E_NOTINITIALIZED)"
    )]
    NotEntered,
    /// The object was received in the multithreaded apartment, where it is
    /// called directly, and the calling thread is in a single-threaded
    /// apartment, from which calling it directly breaks COM's rules
    /// (`RPC_E_WRONG_THREAD`). Call it from a thread in the MTA (or one
    /// that has not entered COM while the MTA exists).
    #[error(
        "the object belongs to the multithreaded apartment and this thread is in a single-threaded apartment (RPC_E_WRONG_THREAD)"
    )]
    MtaObjectOnStaThread,
    /// The object belongs to the single-threaded apartment of another
    /// thread, and cannot be handed to this one: it cannot be marshaled
    /// (no proxy/stub is registered for its interface), and an interface
    /// pointer cannot be carried to another thread (`RPC_E_WRONG_THREAD`).
    /// Calls through the wrapper are carried to that thread instead.
    #[error(
        "the object belongs to the single-threaded apartment of thread {home} and cannot be marshaled to this thread (RPC_E_WRONG_THREAD)"
    )]
    StaObjectElsewhere {
        /// The id of the object's thread.
        home: u32,
    },
    /// The object's single-threaded apartment thread has ended, so nothing
    /// can run the call (`RPC_E_DISCONNECTED`).
    #[error("the object's single-threaded apartment thread {home} has ended (RPC_E_DISCONNECTED)")]
    HomeThreadEnded {
        /// The id of the thread that ended.
        home: u32,
    },
    /// The object was received in the neutral apartment and cannot be
    /// marshaled (`RPC_E_WRONG_THREAD`).
    #[error(
        "the object belongs to the neutral apartment and cannot be marshaled (RPC_E_WRONG_THREAD)"
    )]
    NeutralUnmarshalable,
}

impl ApartmentProblem {
    /// `RPC_E_WRONG_THREAD`: "the application called an interface that was
    /// marshalled for a different thread".
    pub const RPC_E_WRONG_THREAD: HResult = HResult(0x8001_010E_u32 as i32);
    /// `RPC_E_DISCONNECTED`: "the object invoked has disconnected from its
    /// clients".
    pub const RPC_E_DISCONNECTED: HResult = HResult(0x8001_0108_u32 as i32);
    /// `CO_E_NOTINITIALIZED`: "CoInitialize has not been called".
    pub const CO_E_NOTINITIALIZED: HResult = HResult(0x8004_01F0_u32 as i32);

    /// The code COM uses for this problem.
    pub fn hresult(&self) -> HResult {
        match self {
            Self::NotEntered => Self::CO_E_NOTINITIALIZED,
            Self::MtaObjectOnStaThread
            | Self::StaObjectElsewhere { .. }
            | Self::NeutralUnmarshalable => Self::RPC_E_WRONG_THREAD,
            Self::HomeThreadEnded { .. } => Self::RPC_E_DISCONNECTED,
        }
    }
}

impl ComError {
    /// The failure code the COM edge answers for this error.
    pub fn hresult(&self) -> HResult {
        match self {
            Self::NullPointer { .. } => HResult::E_POINTER,
            Self::BadSize { .. }
            | Self::Reserved { .. }
            | Self::Decode { .. }
            | Self::Progress { .. }
            | Self::InvalidArgument { .. } => HResult::E_INVALIDARG,
            Self::Panicked { .. } | Self::UnexpectedReply { .. } => HResult::E_UNEXPECTED,
            Self::Failed { code, .. } => code.get(),
            Self::Apartment { problem, .. } => problem.hresult(),
        }
    }

    /// The error for a failing `code` answered by `method`; a success code
    /// (which is no failure) is reported as an unexpected reply.
    pub(crate) fn from_code(method: &'static str, code: HResult) -> Self {
        match FailureCode::new(code) {
            Some(code) => Self::Failed { method, code },
            None => Self::UnexpectedReply {
                method,
                code,
                expected: "a failure code",
            },
        }
    }

    /// The failure of a windows-rs call (for example resolving an agile
    /// reference).
    pub(crate) fn from_windows(method: &'static str, error: &windows_core::Error) -> Self {
        Self::from_code(method, from_hresult(error.code()))
    }
}

impl From<ComError> for HandlerError {
    /// By code: `E_NOTIMPL` is [`HandlerError::NotImplemented`],
    /// `E_INVALIDARG` [`HandlerError::InvalidArgument`], `E_UNEXPECTED`
    /// [`HandlerError::Unexpected`], `E_ABORT` [`HandlerError::Aborted`],
    /// anything else [`HandlerError::Failed`]; the message is the reason.
    fn from(error: ComError) -> Self {
        let reason = error.to_string();
        match error.hresult() {
            HResult::E_NOTIMPL => Self::NotImplemented,
            HResult::E_INVALIDARG => Self::InvalidArgument { reason },
            HResult::E_UNEXPECTED => Self::Unexpected { reason },
            HResult::E_ABORT => Self::Aborted,
            code => Self::Failed {
                code: FailureCode::new(code).unwrap_or(FailureCode::E_FAIL),
                reason,
            },
        }
    }
}

impl From<ComError> for CallbackError {
    /// By code: `E_INVALIDARG` is [`CallbackError::InvalidArgument`],
    /// `E_UNEXPECTED` [`CallbackError::Unexpected`], `E_ACCESSDENIED`
    /// [`CallbackError::AccessDenied`], anything else
    /// [`CallbackError::Failed`]; the message is the reason. An
    /// [`ComError::Apartment`] problem is [`CallbackError::Unexpected`] with
    /// the problem, its code included, as the reason: `Failed` carries a
    /// code but no words.
    fn from(error: ComError) -> Self {
        let reason = error.to_string();
        if matches!(error, ComError::Apartment { .. }) {
            return Self::Unexpected { reason };
        }
        match error.hresult() {
            HResult::E_INVALIDARG => Self::InvalidArgument { reason },
            HResult::E_UNEXPECTED => Self::Unexpected { reason },
            HResult::E_ACCESSDENIED => Self::AccessDenied { reason },
            code => Self::Failed(FailureCode::new(code).unwrap_or(FailureCode::E_FAIL)),
        }
    }
}

/// Run the body of COM method `method`, turning a panic into
/// [`ComError::Panicked`]. Every COM method entry goes through here.
pub(crate) fn entry(
    method: &'static str,
    body: impl FnOnce() -> Result<HResult, ComError>,
) -> HResult {
    // Unwind safety: after a panic the object is still called (at least
    // released), as COM requires; user state a panic left broken is the
    // user's to report, as with `PanicGuard`.
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(code)) => code,
        Ok(Err(error)) => error.hresult(),
        Err(payload) => {
            let error = ComError::Panicked {
                method,
                message: panic_message(&*payload),
            };
            // The payload's own `Drop` may panic too; nothing may unwind.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
            error.hresult()
        }
    }
}

/// The message of a panic payload.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// Drop `value` without letting a panic in its `Drop` unwind: for user
/// objects dropped from `Release`, which cannot fail.
pub(crate) fn drop_quietly<T>(value: T) {
    let _ = catch_unwind(AssertUnwindSafe(move || drop(value)));
}

/// A value whose drop never unwinds (see [`drop_quietly`]).
pub(crate) struct QuietDrop<T>(Option<T>);

impl<T> QuietDrop<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self(Some(value))
    }

    /// The value; `None` only during the drop itself.
    pub(crate) fn get(&self) -> Option<&T> {
        self.0.as_ref()
    }
}

impl<T> Drop for QuietDrop<T> {
    fn drop(&mut self) {
        drop_quietly(self.0.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_idl() {
        let null = ComError::NullPointer {
            method: "Progress",
            argument: "ItemID",
        };
        assert_eq!(null.hresult(), HResult::E_POINTER);
        assert_eq!(null.to_string(), "Progress: ItemID is a null pointer");
        let size = ComError::BadSize {
            method: "Progress",
            structure: "SYNCMGRPROGRESSITEM",
            got: 24,
            expected: 32,
        };
        assert_eq!(size.hresult(), HResult::E_INVALIDARG);
        assert_eq!(
            ComError::from_code("Progress", HResult::S_FALSE).hresult(),
            HResult::E_UNEXPECTED
        );
        assert_eq!(
            ComError::from_code("Synchronize", HResult::E_ABORT).hresult(),
            HResult::E_ABORT
        );
    }

    #[test]
    fn panics_become_e_unexpected() {
        assert_eq!(entry("Progress", || panic!("boom")), HResult::E_UNEXPECTED);
        assert_eq!(
            entry("Progress", || Ok(HResult::S_SYNCMGR_CANCELALL)),
            HResult::S_SYNCMGR_CANCELALL
        );
    }

    #[test]
    fn errors_convert_by_code() {
        let e = ComError::from_code("Initialize", HResult::E_NOTIMPL);
        assert_eq!(HandlerError::from(e), HandlerError::NotImplemented);
        let e = ComError::from_code("Progress", HResult::E_ACCESSDENIED);
        assert!(matches!(
            CallbackError::from(e),
            CallbackError::AccessDenied { .. }
        ));
        let e = ComError::from_code("Progress", HResult::S_FALSE);
        assert!(matches!(
            CallbackError::from(e),
            CallbackError::Unexpected { .. }
        ));
    }
}
