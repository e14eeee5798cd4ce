//! A test kit for handler authors (feature `testkit`): run a SyncMgr
//! handler against a strict host that injects faults, explore every
//! cancel point, and record transcripts you can read, save and replay.
//!
//! # A unit test with the kit
//!
//! ```
//! use std::sync::Arc;
//! use syncmgr::testkit::{Budget, TestHost, explore};
//! # use syncmgr::*;
//! # struct MyHandler { reporter: ProgressReporter }
//! # impl SyncHandler for MyHandler {
//! #     fn initialize(&self, _: SyncMgrFlags, _: Option<&[u8]>) -> Result<HandlerAnswer, HandlerError> { Ok(HandlerAnswer::Accept) }
//! #     fn handler_info(&self) -> Result<HandlerInfo, HandlerError> { Ok(HandlerInfo::new("mine").unwrap()) }
//! #     fn enum_items(&self) -> Result<ItemEnumeration, HandlerError> {
//! #         Ok(ItemEnumeration::complete((1..=2).map(|n| SyncItem::new(ItemId::from_u128(n), "item").unwrap())))
//! #     }
//! #     fn set_progress_callback(&self, cb: Option<Arc<dyn SyncCallback>>) -> Result<(), HandlerError> { self.reporter.set_callback(cb); Ok(()) }
//! #     fn prepare_for_sync(&self, _: &[ItemId], _: WindowHandle) -> Result<HandlerAnswer, HandlerError> {
//! #         let _ = self.reporter.slot().prepare_for_sync_completed(HResult::S_OK); Ok(HandlerAnswer::Accept)
//! #     }
//! #     fn synchronize(&self, _: WindowHandle) -> Result<(), HandlerError> {
//! #         for n in 1..=2 {
//! #             if let Ok(item) = self.reporter.begin_with_max(ItemId::from_u128(n), 3) {
//! #                 let _ = (1..=3).try_for_each(|v| item.value(v)).and_then(|()| item.finish(SyncMgrStatus::Succeeded));
//! #             }
//! #         }
//! #         let _ = self.reporter.slot().synchronize_completed(HResult::S_OK); Ok(())
//! #     }
//! #     fn set_item_status(&self, item: ItemId, status: SyncMgrStatus) -> Result<(), HandlerError> {
//! #         if status == SyncMgrStatus::Skipped { self.reporter.skip(item); } Ok(())
//! #     }
//! # }
//! let make = || Arc::new(MyHandler { reporter: ProgressReporter::new() }) as Arc<dyn SyncHandler>;
//! let exploration = explore(&TestHost::new(), make, &Budget::default());
//! if let Some(failure) = &exploration.failure {
//!     let mut text = Vec::new();
//!     failure.transcript.write_text(&mut text).unwrap();
//!     panic!("{failure}\n{}", String::from_utf8_lossy(&text));
//! }
//! assert!(exploration.exhaustive);
//! ```
//!
//! [`explore`] runs the handler once cleanly, then once per *cancel point*
//! — each item × each of its reports × {cancel the item, skip it}, and each
//! report × {cancel all, the host failing the call, the host replacing the
//! callback from inside it} — then a seeded random
//! walk of two- and three-fault scenarios ([`Budget`]). Each run is a
//! fresh handler against a fresh strict [`TestHost`]; the first run that
//! breaks a rule is shrunk to the fewest faults that still break it and
//! returned as a [`Failure`]: the scenario, the rule, the violation and
//! the run's [`Transcript`]. To run one scenario yourself:
//! [`TestHost::run`] with a [`Scenario`] of [`Fault`]s; to draw scenarios
//! in your own property tests, [`strategy`].
//!
//! # Reading a failing transcript
//!
//! [`Transcript::write_text`] prints one call per line, in the order the
//! calls began:
//!
//! ```text
//!     #  thread        time  direction        call → answer
//!     6  t0         0.120ms  host → handler   Synchronize → Ok
//!     7  t1         0.237ms  handler → host   Progress({…0001}, Updating 0/3) → Continue
//!     8  t1         0.279ms  handler → host   Progress({…0001}, value 1) → CancelItem
//!     9  t1         0.284ms  handler → host   Progress({…0001}, value 2) → Failed(0x8000FFFF (E_UNEXPECTED): …)
//! ```
//!
//! Read it from the violation backwards: the violation names the rule and
//! the call (here #22, entry 9: a value reported after entry 8 was
//! answered `CancelItem`, where only `STOPPED`, `SKIPPED` or `FAILED` may
//! follow); the entries before it show what the handler was told and what
//! it did next. `inside #n` links a
//! callback to the host call it was made from; `thread` tells calls from
//! different threads apart. With feature `serde`,
//! [`Transcript::write_json_lines`] saves it (schema
//! [`TRANSCRIPT_SCHEMA`]) and [`Transcript::read_json_lines`] reads it
//! back, so a trace recorded elsewhere can be replayed here, either way:
//! [`replay`] drives a handler with the recorded host calls and answers and
//! reports the first [`Divergence`] in what the handler does;
//! [`replay_host`] gives a host a handler that answers and calls back as
//! recorded, and its [`HostCheck`] reports the first divergence in what
//! the host does.
//!
//! # Recording any session
//!
//! [`record`] wraps a handler so that any [`Session`](crate::Session) (or
//! [`Host`](crate::Host)) it is given to records the transcript:
//!
//! ```
//! # use std::sync::Arc;
//! # use syncmgr::*;
//! # fn handler() -> Arc<dyn SyncHandler> { unimplemented!() }
//! # fn main() {}
//! # fn demo() {
//! let (recorded, recording) = syncmgr::testkit::record(handler());
//! let outcome = Session::new(SessionConfig::default()).run(recorded);
//! let transcript = recording.transcript();
//! # }
//! ```
//!
//! # A handler DLL
//!
//! A handler written in C++ or C# is checked through the COM import:
//! `examples/check_handler.rs` loads a handler DLL by path and CLSID
//! (`com::load_handler`, feature `com`, Windows), runs [`explore`] over
//! `com::ComHandler`s (the import of a COM handler), prints the result, writes the transcripts as JSON lines and exits 1 on
//! a broken rule. The transcripts it writes replay here on any OS.
//!
//! # Sync Center handlers
//!
//! [`sync_center::SyncCenterTestHost`] and [`sync_center::explore`] do the
//! same for a [`SyncCenterHandler`](crate::sync_center::SyncCenterHandler)
//! against a strict Sync Center session (its faults: cancel an item or
//! everything at a `ReportProgress`, fail a report; Sync Center has no
//! skip), and [`sync_center::record`] records one under any host.
//!
//! # Windows Sync
//!
//! [`windows_sync::WindowsSyncTestHost`] plays a provider's steps to an
//! application's callback under a strict session, cancelling at each
//! `OnProgress` ([`windows_sync::explore`]), and
//! [`windows_sync::record`] records the callbacks. Both sides are checked:
//! the provider's progress (§G.8 #52, #53) and the application's answers
//! (#54, #57).
//!
//! Replay and the COM checker cover SyncMgr handlers.

mod explore;
mod host;
mod record;
mod replay;
pub mod strategy;
pub mod sync_center;
mod transcript;
pub mod windows_sync;

pub use explore::{Budget, Exploration, Failure, explore};
pub use host::{Fault, Outcome, Run, Scenario, TestHost};
pub use replay::{Divergence, HostCheck, ReplayedHandler, replay, replay_host};
#[cfg(feature = "serde")]
pub use transcript::TranscriptError;
pub use transcript::{Answer, Call, Entry, Side, TRANSCRIPT_SCHEMA, Transcript};

use crate::SyncHandler;
use crate::sync::Arc;

/// Where a [`record`]ed handler's calls go: read them with
/// [`transcript`](Self::transcript).
#[derive(Clone)]
pub struct Recording(Arc<record::Recorder>);

impl Recording {
    /// Every call recorded so far, in the order the calls began.
    pub fn transcript(&self) -> Transcript {
        self.0.transcript()
    }
}

impl std::fmt::Debug for Recording {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recording").finish_non_exhaustive()
    }
}

/// Wrap `handler` so that every call a host makes on it, and every call it
/// makes back on the callback it is given, is recorded with its answer.
pub fn record(handler: Arc<dyn SyncHandler>) -> (Arc<dyn SyncHandler>, Recording) {
    let recorder = record::Recorder::new();
    let recorded = record::RecordingHandler::new(handler, Arc::clone(&recorder), None);
    (recorded, Recording(recorder))
}
