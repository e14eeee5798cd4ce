//! Windows Sync (`winsync.h`, the Sync Framework core in Windows 7 and
//! later) on the same core: [the specification](crate::protocol#windows-sync) and §G.8.
//!
//! Here the direction is reversed: the application implements the callback
//! ([`WindowsSyncCallback`], `ISyncCallback`) and the session calls it.
//! Progress is a session's, not an item's, and cancellation is session-wide.

mod callback;
mod session;
mod vocab;

pub use callback::{
    ChangeConflict, RecoverableError, SyncChange, WindowsSyncCallback, WindowsSyncProgress,
};
pub use session::{
    ChangeResult, ProviderStep, RefusedStep, WindowsSyncConfig, WindowsSyncOutcome,
    WindowsSyncSession,
};
pub use vocab::{
    ChangeFlags, ConflictResolutionPolicy, ConstraintConflictReason, ConstraintResolveAction,
    FilterCombinationType, FilterInfoFlags, FilteringType, FullEnumerationAction,
    KnowledgeCookieComparisonResult, ProgressStage, ProviderRole, ResolveAction,
    SerializationVersion, SerializeFlags, SessionStatistics, SyncStatistics, VersionFlags,
};
