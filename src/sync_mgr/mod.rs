//! The SyncMgr generation (`mobsync.h`, Windows 2000 and later):
//! `ISyncMgrSynchronize` and `ISyncMgrSynchronizeCallback` on the core.
//!
//! Its types are re-exported at the crate root (`syncmgr::Session`,
//! `syncmgr::SyncHandler`, …), since SyncMgr is the generation the crate is
//! named for.
//!
//! | file | concept |
//! |---|---|
//! | `flags.rs`, `status.rs`, `records.rs` | the numeric vocabulary, `SYNCMGRSTATUS` and the structures of mobsync.h |
//! | `progress.rs` | [`SyncMgrProgress`]: `SYNCMGRPROGRESSITEM` |
//! | `callback.rs` | [`SyncCallback`]: the host side |
//! | `handler.rs` | [`SyncHandler`]: the handler side |
//! | `reporter/` | [`ProgressReporter`]: the handler's checked way to report, and its errors |
//! | `session/` | [`Session`]: the checking host for one handler |
//! | `host.rs` | [`Host`]: many sessions, one modeless grant |
//! | `events.rs` | [`SessionEvent`]: the transitions a session pushes |
//! | `json_lines.rs` | `StatusWriter`: snapshots and events as JSON lines (feature `serde`) |
//! | `guard.rs` | the handler wrapper that turns a panic into an error |
//!
//! [`SyncMgrProgress`]: crate::SyncMgrProgress
//! [`SyncCallback`]: crate::SyncCallback
//! [`SyncHandler`]: crate::SyncHandler
//! [`ProgressReporter`]: crate::ProgressReporter
//! [`Session`]: crate::Session
//! [`Host`]: crate::Host
//! [`SessionEvent`]: crate::SessionEvent

pub(crate) mod callback;
pub(crate) mod events;
pub(crate) mod flags;
pub(crate) mod guard;
pub(crate) mod handler;
pub(crate) mod host;
#[cfg(feature = "serde")]
pub(crate) mod json_lines;
pub(crate) mod progress;
pub(crate) mod records;
pub(crate) mod reporter;
pub(crate) mod session;
pub(crate) mod status;
