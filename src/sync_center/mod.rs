//! Sync Center (`syncmgr.h`, Windows Vista and later) on the same core as
//! SyncMgr: [the specification](crate::protocol#sync-center) and §G.7.

mod callback;
mod handler;
mod report;
mod session;
mod vocab;

pub use crate::core::text_id::{MAX_SYNCMGR_ID, SyncCenterItemId};
pub use callback::{SessionObject, SyncCenterCallback};
pub use handler::SyncCenterHandler;
pub use report::{SyncCenterEvent, SyncCenterHandlerInfo, SyncCenterItem, SyncCenterProgress};
pub use session::{
    SyncCenterError, SyncCenterEventRecord, SyncCenterItemSnapshot, SyncCenterOutcome,
    SyncCenterSession, SyncCenterSnapshot,
};
pub use vocab::{
    CancelRequest, ControlFlags, EventFlags, EventLevel, HandlerCapabilities, HandlerPolicies,
    HandlerType, ItemCapabilities, ItemPolicies, MAX_SYNCMGR_NAME, MAX_SYNCMGR_PROGRESSTEXT,
    ProgressStatus, SyncControlFlags, UpdateReason,
};
