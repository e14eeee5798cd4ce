//! syncmgr (crate docs are written in a later step)
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod callback;
mod cancel;
mod decode;
mod error;
mod handler;
mod hresult;
mod progress;
mod slot;
mod sync;

// --- vocabulary (FACTS.md §A) ---
mod flags;
mod ids;
mod records;
mod status;

pub use callback::{ModelessAnswer, SyncCallback};
pub use cancel::{CancelDecision, NotAProgressReply};
pub use decode::DecodeError;
pub use error::{CallbackError, FailureCode, HandlerError};
pub use handler::{HandlerAnswer, ItemEnumeration, SyncHandler, WindowHandle};
pub use hresult::HResult;
pub use progress::{ProgressItem, ProgressItemBuilder, ProgressItemError, RawProgressItem};
pub use slot::{CallbackSlot, SlotEvent, SlotState, SlotTransition};
// VOCABULARY RE-EXPORTS START
pub use flags::{
    ErrorFlags, HandlerFlags, InvokeFlags, ItemFlags, ItemState, LogErrorMask, LogLevel,
    ProgressMask, RegisterFlags, SyncEvent, SyncMgrFlags, SyncModifiers,
};
pub use ids::{ErrorId, Guid, GuidParseError, ItemId};
pub use records::{
    FileTime, HandlerInfo, LogErrorInfo, MAX_SYNCMGRHANDLERNAME, MAX_SYNCMGRITEMNAME,
    RawHandlerInfo, RawLogErrorInfo, RawSyncItem, SIZE_SYNCMGRHANDLERINFO, SIZE_SYNCMGRITEM,
    SIZE_SYNCMGRLOGERRORINFO, SIZE_SYNCMGRPROGRESSITEM, StructSize, SyncItem,
};
pub use status::SyncMgrStatus;
// VOCABULARY RE-EXPORTS END
