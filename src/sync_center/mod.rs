//! Sync Center (`syncmgr.h`, Windows Vista and later) on the same core as
//! SyncMgr: FACTS.md §B and §G.7.

mod id;

pub use id::{MAX_SYNCMGR_ID, MAX_SYNCMGR_NAME, MAX_SYNCMGR_PROGRESSTEXT, SyncCenterItemId};
