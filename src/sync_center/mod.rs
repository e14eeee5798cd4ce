//! Sync Center (`syncmgr.h`, Windows Vista and later) on the same core as
//! SyncMgr: FACTS.md §B and §G.7.

mod callback;
mod handler;
mod id;
mod report;
mod session;
mod vocab;

pub use callback::{SessionObject, SyncCenterCallback};
pub use handler::SyncCenterHandler;
pub use id::{MAX_SYNCMGR_ID, MAX_SYNCMGR_NAME, MAX_SYNCMGR_PROGRESSTEXT, SyncCenterItemId};
pub use report::{SyncCenterEvent, SyncCenterHandlerInfo, SyncCenterItem, SyncCenterProgress};
pub use session::{
    SyncCenterError, SyncCenterEventRecord, SyncCenterItemSnapshot, SyncCenterOutcome,
    SyncCenterSession, SyncCenterSnapshot,
};
pub use vocab::{
    CancelRequest, ControlFlags, EventFlags, EventLevel, HandlerCapabilities, HandlerPolicies,
    HandlerType, ItemCapabilities, ItemPolicies, ProgressStatus, SyncControlFlags, UpdateReason,
};
