//! The generation-neutral core: what every generation of the protocol
//! shares, written once.
//!
//! Nothing here knows how a generation encodes a report or a cancel; each
//! generation (`sync_mgr`, `sync_center`, `windows_sync`) maps its calls onto
//! these types. The one exception is a type default: a [`CallbackSlot`]
//! without a type parameter holds SyncMgr's callback, as it always has.
//!
//! | file | concept |
//! |---|---|
//! | `item.rs` | [`ItemPhase`]: the per-item state machine and its transition function |
//! | `cancel.rs` | [`CancelDecision`], [`CanContinue`], [`CancelReason`]: one cancellation model |
//! | `rule.rs` | [`Rule`] and [`Violation`]: the numbered invariants and one breach of them |
//! | `conformance.rs` | [`Mode`] and [`ConformanceReport`]: how a host answers and reports breaches |
//! | `slot.rs` | [`CallbackSlot`]: the register / replace / release-on-null lifecycle |
//! | `progress.rs` | [`ProgressItem`]: the view every generation's report satisfies |
//! | `error.rs` | [`CallbackError`], [`HandlerError`], [`FailureCode`]: what either side can answer |
//! | `hresult.rs` | [`HResult`]: the codes at the edge |
//! | `ids.rs`, `text_id.rs` | [`ItemId`], [`ErrorId`], [`Guid`], [`ItemKey`] and the string ids |
//! | `id_index.rs` | the item id index hosts and reporters share |
//! | `decode.rs`, `enums.rs` | strict decoding of raw values, and the macros every vocabulary is written with |
//! | `guard.rs` | the one message for a panic caught in user code |
//! | `window.rs` | [`WindowHandle`] |
//! | `token.rs` | [`CancelToken`]: a cancellation polled with one load and awaited on any runtime |
//! | `clock.rs`, `rate.rs` | [`Clock`] (injectable time) and [`RateEstimator`] (rate and ETA) |
//! | `timer.rs` | the runtime-agnostic sleep behind the polling helper |
//!
//! [`CallbackSlot`]: crate::CallbackSlot
//! [`ItemPhase`]: crate::ItemPhase
//! [`CancelDecision`]: crate::CancelDecision
//! [`CanContinue`]: crate::CanContinue
//! [`CancelReason`]: crate::CancelReason
//! [`Rule`]: crate::Rule
//! [`Violation`]: crate::Violation
//! [`Mode`]: crate::Mode
//! [`ConformanceReport`]: crate::ConformanceReport
//! [`ProgressItem`]: crate::ProgressItem
//! [`CallbackError`]: crate::CallbackError
//! [`HandlerError`]: crate::HandlerError
//! [`FailureCode`]: crate::FailureCode
//! [`HResult`]: crate::HResult
//! [`ItemId`]: crate::ItemId
//! [`ErrorId`]: crate::ErrorId
//! [`Guid`]: crate::Guid
//! [`ItemKey`]: crate::ItemKey
//! [`WindowHandle`]: crate::WindowHandle
//! [`CancelToken`]: crate::CancelToken
//! [`Clock`]: crate::Clock
//! [`RateEstimator`]: crate::RateEstimator

pub(crate) mod cancel;
pub(crate) mod clock;
pub(crate) mod conformance;
pub(crate) mod decode;
pub(crate) mod enums;
pub(crate) mod error;
pub(crate) mod guard;
pub(crate) mod hresult;
pub(crate) mod id_index;
pub(crate) mod ids;
pub(crate) mod item;
pub(crate) mod progress;
pub(crate) mod rate;
pub(crate) mod rule;
pub(crate) mod slot;
pub(crate) mod text_id;
pub(crate) mod timer;
pub(crate) mod token;
pub(crate) mod window;
