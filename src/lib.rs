//! The Windows synchronization callback protocols as explicit, tested,
//! portable state machines.
//!
//! Windows has three generations of "sync handler reports progress to a host,
//! host answers with cancellation": SyncMgr (`ISyncMgrSynchronize` /
//! `ISyncMgrSynchronizeCallback`, mobsync.h), Sync Center (syncmgr.h) and
//! Windows Sync (winsync.h). Their rules are scattered over pages that
//! contradict each other, and their cancel answers are *success* codes that
//! common bindings silently turn into "ok". This crate writes the protocol
//! down as Rust types and pure transition functions, so that sync engines can
//! report progress and honour per-item and global cancellation with the
//! semantics Windows users know, and handler authors can test against the
//! rules on any OS. Where the platform documentation is silent or wrong, the
//! crate's choice is written next to the code that makes it. The crate
//! ships its own specification of the protocol, [`protocol`]: the three
//! generations' call sequences and every numbered rule (such as "[§G.1 #8](crate::protocol#rule-8)",
//! [`Rule`]) with its sources and what a strict and a lenient host answer.
//!
//! The source is layered — a generation-neutral core, the three
//! generations on it, adapters between them and COM on the edge — and
//! [`ARCHITECTURE.md`](https://docs.rs/crate/syncmgr/latest/source/ARCHITECTURE.md)
//! maps it: which way the layers depend, the path of one progress report
//! file by file, and where each rule is enforced.
//!
//! # The vocabulary
//!
//! | name | kind | what it is |
//! |---|---|---|
//! | [`SyncHandler`] | trait | the handler side (`ISyncMgrSynchronize`): what a host asks of a handler |
//! | [`SyncCallback`] | trait | the host side (`ISyncMgrSynchronizeCallback`): what a handler tells its host |
//! | [`ProgressItem`] | trait | a progress report of any generation, in the core's terms: phase, text, work done, work in all |
//! | [`SyncMgrProgress`] | data | SyncMgr's report (`SYNCMGRPROGRESSITEM`): text, status, value, max, each present or absent |
//! | [`CancelDecision`] | data | the host's answer to a report: continue, cancel this item, cancel all |
//!
//! The two sides of the protocol are traits because users implement them.
//! [`ProgressItem`] is a trait because the three generations' reports are
//! different data ([`SyncMgrProgress`],
//! [`sync_center::SyncCenterProgress`], [`windows_sync::WindowsSyncProgress`])
//! that say the same things; code that shows progress, and the adapters
//! between generations, are written once against it. A decision is plain
//! data: one value with exact conversions to each generation's channel
//! (below). A cancel decision is never an error: `Progress` answering
//! [`CancelDecision::CancelItem`] is a normal outcome, and only a refused
//! call is a [`CallbackError`].
//!
//! # Three generations, one model
//!
//! | generation | module | handler | callback | host |
//! |---|---|---|---|---|
//! | SyncMgr (mobsync.h) | crate root | [`SyncHandler`] | [`SyncCallback`] | [`Session`] |
//! | Sync Center (syncmgr.h) | [`sync_center`] | [`sync_center::SyncCenterHandler`] | [`sync_center::SyncCenterCallback`] | [`sync_center::SyncCenterSession`] |
//! | Windows Sync (winsync.h) | [`windows_sync`] | the provider's steps | [`windows_sync::WindowsSyncCallback`] (implemented by the application) | [`windows_sync::WindowsSyncSession`] |
//!
//! Items of every generation move through one state machine, [`ItemPhase`]
//! ([`ItemPhase::to`]); cancellation is one model, per item or a sticky
//! cancel-all, carried by [`CancelDecision`]. [`SyncMgrAsSyncCenter`] and
//! [`SyncCenterAsSyncMgr`] let a handler of one generation report to a host
//! of the other.
//!
//! **Item status.** `⚠` marks a lossy corner: the value that comes back is
//! not the one that went in.
//!
//! | `SYNCMGRSTATUS` | [`ItemPhase`] | `SYNCMGR_PROGRESS_STATUS` | … and back |
//! |---|---|---|---|
//! | `PENDING` (2) | `Pending` | none ⚠ (Sync Center reports only started items; adapters poll instead) | — |
//! | `UPDATING` (3) | `Updating` | `UPDATING` (1) | `UPDATING` |
//! | `UPDATING_INDETERMINATE` (8) | `UpdatingIndeterminate` | `UPDATING_INDETERMINATE` (2) | `UPDATING_INDETERMINATE` |
//! | `PAUSED` (6) | `Paused` | `UPDATING_INDETERMINATE` ⚠ | `UPDATING_INDETERMINATE` |
//! | `RESUMING` (7) | `Resuming` | `UPDATING` ⚠ | `UPDATING` |
//! | `SUCCEEDED` (4) | `Succeeded` | `SUCCEEDED` (3) | `SUCCEEDED` |
//! | `FAILED` (5) | `Failed` | `FAILED` (4) | `FAILED` |
//! | `STOPPED` (0) | `Stopped` | `CANCELED` (5) | `STOPPED` |
//! | `SKIPPED` (1) | `Skipped` | `CANCELED` ⚠ | `STOPPED` |
//! | `DELETED` (0x100) | `Deleted` | `CANCELED` ⚠ | `STOPPED` |
//! | none | `Disconnected` | `DISCONNECTED` (6) | `FAILED` ⚠ (SyncMgr has no `DISCONNECTED`) |
//!
//! Windows Sync reports a session's work, not an item's status, so its
//! reports carry no phase. Work counts: SyncMgr's `iProgValue`/`iMaxValue`
//! are `i32`, Sync Center's steps and Windows Sync's work `u32`; counts above
//! `i32::MAX` reach a SyncMgr host scaled down together (ratio kept) ⚠, and
//! indeterminate Sync Center progress carries none.
//!
//! **Cancellation.** Each generation carries the same decision on a
//! different channel:
//!
//! | [`CancelDecision`] | SyncMgr: `Progress` return code | Sync Center: `pnCancelRequest` | Sync Center: `CanContinue(item)` | `CanContinue(NULL)` | Windows Sync |
//! |---|---|---|---|---|---|
//! | `Continue` | `S_OK` | `SYNCMGR_CR_NONE` | `S_OK` | `S_OK` | — |
//! | `CancelItem` | `S_SYNCMGR_CANCELITEM` | `SYNCMGR_CR_CANCEL_ITEM` | `S_FALSE` | `S_OK` | none ⚠ (cancellation is session-wide) |
//! | `CancelAll` | `S_SYNCMGR_CANCELALL` | `SYNCMGR_CR_CANCEL_ALL` | `S_FALSE` | `S_FALSE` | `ISyncSession::Cancel` |
//!
//! The return code and the out-parameter are exact in both directions
//! ([`CancelDecision::to_hresult`], `From` / `Into`
//! [`sync_center::CancelRequest`]). One `CanContinue` answer is lossy ⚠ —
//! it cannot tell `CancelItem` from `CancelAll`
//! ([`CancelDecision::can_continue`]) — but the pair of polls is exact
//! ([`CancelDecision::can_continue_pair`],
//! [`CancelDecision::from_can_continue`]). Windows Sync reverses the
//! direction: the application cancels the session, or (this crate's policy,
//! [§G.8 #57](crate::protocol#rule-57)) fails a callback.
//!
//! **Item ids.** SyncMgr names items by GUID, Sync Center by string:
//! [`sync_center::SyncCenterItemId::from_item_id`] writes a GUID in registry
//! form and [`to_item_id`](sync_center::SyncCenterItemId::to_item_id) reads it
//! back exactly; any other string (other spellings of a GUID included, so
//! that distinct ids never share a GUID) maps to a name-based GUID, which
//! does not give the string back ⚠.
//!
//! **Sync Center's `CanContinue(NULL)` behind a SyncMgr host** answers from
//! the cancel-all the host has already sent ⚠: SyncMgr has no handler-wide
//! poll, so a cancel-all not yet answered to any call is not seen.
//!
//! # The callback lifecycle
//!
//! A handler keeps its host callback in a [`CallbackSlot`], which implements
//! `SetProgressCallback`'s register / replace / release-on-null rules:
//!
//! ```text
//!            set(Some) : Registered            set(Some) : Replaced
//!   ┌───────┐ ─────────────────────────► ┌─────────┐ ◄──┐ (old released once,
//!   │ Empty │                             │ Holding │ ───┘  after the lock)
//!   └───────┘ ◄───────────────────────── └─────────┘
//!    │   ▲      set(None) : Released        │  call : Dispatched (no lock held)
//!    └───┘ set(None) : Unchanged;  call : Err(NoCallback)
//! ```
//!
//! No lock is held while a callback runs, so a callback may register,
//! replace, release or report re-entrantly; a release returns only when other
//! threads' calls on the old callback have returned. See [`CallbackSlot`].
//!
//! # The host side
//!
//! [`Session`] is a complete host for one handler: it drives the documented
//! sequence (initialize, enumerate, register the callback, prepare,
//! synchronize, the show-error / retry cycle, release), keeps a
//! [`ItemPhase`] state machine per item, carries cancellation from the user
//! ([`Session::cancel_item`], [`Session::cancel_all`], [`Session::skip_item`])
//! to the handler, and checks every rule a host can observe, refusing
//! violations in [`Mode::Strict`] or recording them in [`Mode::Lenient`]. A UI
//! pulls [`Session::snapshot`] at its own rate and subscribes to transitions
//! with [`Session::subscribe`].
//!
//! # Example
//!
//! A host callback that cancels one item, and a handler that reports through
//! its slot and honours the answer:
//!
//! ```
//! use std::sync::Arc;
//! use syncmgr::{CallbackError, CallbackSlot, CancelDecision, ItemId, SyncMgrProgress,
//!               SyncCallback, SyncMgrStatus};
//!
//! struct Host { cancel: ItemId }
//!
//! impl SyncCallback for Host {
//!     fn progress(&self, item: ItemId, _report: Option<&SyncMgrProgress>)
//!         -> Result<CancelDecision, CallbackError> {
//!         Ok(if item == self.cancel { CancelDecision::CancelItem } else { CancelDecision::Continue })
//!     }
//! }
//!
//! let (photos, music) = (ItemId::from_u128(1), ItemId::from_u128(2));
//! let slot: CallbackSlot = CallbackSlot::new();
//! slot.set(Some(Arc::new(Host { cancel: music })));
//!
//! let mut finished = Vec::new();
//! for item in [photos, music] {
//!     let start = SyncMgrProgress::builder().status(SyncMgrStatus::Updating).value(0).max(10).build()?;
//!     let status = match slot.progress(item, Some(&start))? {
//!         CancelDecision::Continue => SyncMgrStatus::Succeeded, // ... do the work ...
//!         CancelDecision::CancelItem | CancelDecision::CancelAll => SyncMgrStatus::Stopped,
//!     };
//!     slot.progress(item, Some(&SyncMgrProgress::with_status(status)))?;
//!     finished.push(status);
//! }
//! slot.release();
//! assert_eq!(finished, [SyncMgrStatus::Succeeded, SyncMgrStatus::Stopped]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A complete handler and host driven through the documented call sequence
//! is in [`examples/quickstart.rs`](https://docs.rs/crate/syncmgr/latest/source/examples/quickstart.rs)
//! (`cargo run --example quickstart`).
//!
//! # Embedding in an async engine
//!
//! An engine awaits its items' cancels instead of polling them: a
//! [`CancelToken`] is cheap to clone, [`is_cancelled`](CancelToken::is_cancelled)
//! is one atomic load, [`cancelled`](CancelToken::cancelled) is a future on
//! any runtime, and [`reason`](CancelToken::reason) says why. With this
//! crate's [`Session`] as the host, [`Session::item_cancel_token`] fires the
//! moment the host records the cancel; behind a host that only answers
//! through the protocol, [`ProgressReporter::cancel_token`] and
//! [`ItemReporter::run_until_cancelled`] keep asking at an interval. Work is
//! `u64` ([`ItemReporter::value`]: bytes, scaled to SyncMgr's `i32` at the
//! edge with the ratio kept), and snapshots carry time:
//! [`ItemSnapshot::elapsed`], [`rate`](ItemSnapshot::rate) and
//! [`eta`](ItemSnapshot::eta) per item, the session's rate smoothed by a
//! [`RateEstimator`] ([`SessionSnapshot::rate`]), on an injectable
//! [`Clock`]. [`examples/async_engine.rs`](https://docs.rs/crate/syncmgr/latest/source/examples/async_engine.rs)
//! is a tokio engine copying real files (`cargo run --features tokio,serde
//! --example async_engine`).
//!
//! # Features
//!
//! Without features the crate is `forbid(unsafe_code)`, depends on no Windows
//! crate, and builds and runs its tests on every OS. [`CancelToken`] works on
//! every runtime without a feature.
//!
//! - `tokio`: a `tokio_util::sync::CancellationToken` for a session and for
//!   each item (`CancelToken::tokio_token`; items' tokens are children of
//!   the session's), cancelled when the host cancels; and the other way,
//!   `Session::cancel_all_when` lets the engine's own token drive
//!   [`Session::cancel_all`].
//!
//!   ```
//!   # #[cfg(feature = "tokio")] {
//!   use syncmgr::{CancelReason, Session, SessionConfig};
//!
//!   let session = Session::new(SessionConfig::default());
//!   let token = session.cancel_token().tokio_token(); // hand to tokio code
//!   let engine = tokio_util::sync::CancellationToken::new();
//!   let bridge = session.cancel_all_when(engine.clone(), CancelReason::Shutdown);
//!   engine.cancel(); // say, on Ctrl-C
//!   tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(bridge);
//!   assert!(token.is_cancelled());
//!   # }
//!   ```
//!
//! - `serde`: `Serialize` and `Deserialize` for snapshots ([`SessionSnapshot`],
//!   [`ItemSnapshot`], [`HostSnapshot`], the Sync Center snapshots), ids,
//!   phases, decisions, cancel reasons, log entries and [`Rule`]s;
//!   `Serialize` for [`SessionEvent`], [`Violation`] and
//!   [`ConformanceReport`] (they name calls with `&'static str`); and
//!   `StatusWriter`, which writes a session's snapshots and events as JSON
//!   lines in a documented, versioned schema (`syncmgr.status/1`).
//!
//!   ```
//!   # #[cfg(feature = "serde")] {
//!   use syncmgr::{Session, SessionConfig, StatusWriter};
//!
//!   let session = Session::new(SessionConfig::default());
//!   let mut lines = StatusWriter::new(Vec::new());
//!   lines.snapshot(&session.snapshot())?;
//!   let json = String::from_utf8(lines.into_inner()).unwrap();
//!   assert!(json.starts_with(r#"{"schema":"syncmgr.status/1","type":"snapshot""#));
//!   # }
//!   # Ok::<(), std::io::Error>(())
//!   ```
//!
//! - `testkit`: [`testkit`], for handler authors: a strict host that
//!   injects faults from a declarative scenario (cancel an item at its
//!   n-th report, cancel all, skip, fail a report), [`testkit::explore`]
//!   over every cancel point plus a seeded random walk, transcripts of
//!   every call (JSON lines with `serde`) and [`testkit::replay`], for
//!   SyncMgr handlers; the host, exploration and transcripts for Sync
//!   Center handlers ([`testkit::sync_center`]) and Windows Sync providers
//!   and applications ([`testkit::windows_sync`]) too.
//!
//! - `com` (Windows only; ignored elsewhere): the `syncmgr::com` module, thin
//!   shims between COM and the core. It exposes a [`SyncCallback`] as a real
//!   `ISyncMgrSynchronizeCallback` and a [`SyncHandler`] as
//!   `ISyncMgrSynchronize`, drives existing COM callbacks and handlers from
//!   Rust without folding `S_SYNCMGR_CANCELITEM`, `S_SYNCMGR_CANCELALL` or
//!   `S_FALSE` into "ok", and builds in-process COM server DLLs. Only that
//!   module may use `unsafe`, each block with its `// SAFETY:` reason;
//!   `scripts/test-windows.sh` runs its tests under Wine.
//!
//!   ```ignore
//!   // Windows, `--features com`: a Rust callback as a COM object.
//!   let callback: syncmgr::com::ISyncMgrSynchronizeCallback =
//!       syncmgr::com::export_callback(std::sync::Arc::new(my_callback));
//!   ```
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(not(all(windows, feature = "com")), forbid(unsafe_code))]
#![cfg_attr(all(windows, feature = "com"), deny(unsafe_code))]
#![deny(missing_docs)]

// The layers, each depending only on those above it:
//
//   core          the generation-neutral model (item machine, cancellation,
//                 rules, callback slot, ids, codes)
//   sync_mgr      SyncMgr (mobsync.h), re-exported at the crate root
//   sync_center   Sync Center (syncmgr.h)
//   windows_sync  Windows Sync (winsync.h)
//   adapters      a handler of one generation behind a host of another
//   com           COM on the edge (feature `com`, Windows)
//
// ARCHITECTURE.md is the map.
mod adapters;
#[cfg(all(windows, feature = "com"))]
#[cfg_attr(docsrs, doc(cfg(all(windows, feature = "com"))))]
pub mod com;
mod core;
pub mod protocol;
mod sync;
pub mod sync_center;
mod sync_mgr;
#[cfg(feature = "testkit")]
#[cfg_attr(docsrs, doc(cfg(feature = "testkit")))]
pub mod testkit;
pub mod windows_sync;

// --- the public interface ---

// The core, shared by every generation.
pub use self::core::cancel::{CanContinue, CancelDecision, CancelReason, NotAProgressReply};
pub use self::core::clock::{Clock, ManualClock, SystemClock};
pub use self::core::conformance::{ConformanceReport, Mode};
pub use self::core::decode::DecodeError;
pub use self::core::error::{CallbackError, FailureCode, HandlerError};
pub use self::core::hresult::HResult;
pub use self::core::ids::{ErrorId, Guid, GuidParseError, ItemId, ItemKey};
pub use self::core::item::{ItemPhase, ItemViolation};
pub use self::core::progress::ProgressItem;
pub use self::core::rate::RateEstimator;
pub use self::core::rule::{Rule, Violation};
pub use self::core::slot::{CallbackSlot, SlotEvent, SlotState, SlotTransition};
pub use self::core::token::{CancelToken, WaitForCancel};
pub use self::core::window::WindowHandle;

// The SyncMgr generation: its two sides, the handler's reporter and the host.
pub use sync_mgr::callback::{ModelessAnswer, SyncCallback};
pub use sync_mgr::events::{SessionEvent, SubscriptionId};
pub use sync_mgr::handler::{HandlerAnswer, ItemEnumeration, SyncHandler};
pub use sync_mgr::host::{Host, HostSnapshot, HostedSession};
#[cfg(feature = "serde")]
pub use sync_mgr::json_lines::{STATUS_SCHEMA, StatusWriter};
pub use sync_mgr::progress::{
    RawProgressItem, SyncMgrProgress, SyncMgrProgressBuilder, SyncMgrProgressError,
};
pub use sync_mgr::reporter::{Cancelled, ItemReporter, ProgressReporter, ReportError};
pub use sync_mgr::session::{
    Driver, ItemSnapshot, LogEntry, Session, SessionConfig, SessionError, SessionOutcome,
    SessionPhase, SessionSnapshot, ShowErrorOutcome, SkipOutcome,
};
// The SyncMgr generation: the numeric vocabulary and records of mobsync.h.
pub use sync_mgr::flags::{
    ErrorFlags, HandlerFlags, InvokeFlags, ItemFlags, ItemState, LogErrorMask, LogLevel,
    ProgressMask, RegisterFlags, SyncEvent, SyncMgrFlags, SyncModifiers,
};
pub use sync_mgr::records::{
    FileTime, HandlerInfo, LogErrorInfo, MAX_SYNCMGRHANDLERNAME, MAX_SYNCMGRITEMNAME,
    RawHandlerInfo, RawLogErrorInfo, RawSyncItem, SIZE_SYNCMGRHANDLERINFO, SIZE_SYNCMGRITEM,
    SIZE_SYNCMGRLOGERRORINFO, SIZE_SYNCMGRPROGRESSITEM, StructSize, SyncItem,
};
pub use sync_mgr::status::SyncMgrStatus;

// Adapters between generations.
pub use adapters::{SyncCenterAsSyncMgr, SyncMgrAsSyncCenter};

/// Public types that cross threads are `Send + Sync`; checked at compile time.
const _: () = {
    const fn assert_send_sync<T: ?Sized + Send + Sync>() {}
    const fn assert_send<T: ?Sized + Send>() {}
    assert_send_sync::<CallbackSlot>();
    assert_send_sync::<Session>();
    assert_send_sync::<ProgressReporter>();
    assert_send::<ItemReporter<'static>>();
    assert_send_sync::<ReportError>();
    assert_send_sync::<Cancelled>();
    assert_send_sync::<Host>();
    assert_send_sync::<dyn SyncCallback>();
    assert_send_sync::<dyn SyncHandler>();
    assert_send_sync::<SyncMgrProgress>();
    assert_send_sync::<CancelDecision>();
    assert_send_sync::<CallbackError>();
    assert_send_sync::<HandlerError>();
    assert_send_sync::<SyncItem>();
    assert_send_sync::<LogErrorInfo>();
    assert_send_sync::<sync_center::SyncCenterSession>();
    assert_send_sync::<dyn sync_center::SyncCenterCallback>();
    assert_send_sync::<dyn sync_center::SyncCenterHandler>();
    assert_send_sync::<sync_center::SyncCenterProgress>();
    assert_send_sync::<windows_sync::WindowsSyncSession>();
    assert_send_sync::<dyn windows_sync::WindowsSyncCallback>();
    assert_send_sync::<SyncMgrAsSyncCenter>();
    assert_send_sync::<SyncCenterAsSyncMgr>();
    assert_send_sync::<ItemKey>();
    assert_send_sync::<CancelToken>();
    assert_send::<WaitForCancel>();
    assert_send_sync::<ManualClock>();
};

/// The README's Rust snippets compile and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
