//! The enumerations and flag sets of `syncmgr.h` ([the specification](crate::protocol#sync-center)), with
//! their exact values and strict decoding.
//!
//! Several `_MAX` / `_VALID` / `_MIN` members alias a real member
//! (`SYNCMGR_PS_MAX == SYNCMGR_PS_DISCONNECTED`); they are associated
//! constants here, since an enum cannot give one value two variants. For the
//! same reason a validator cannot reject `_MAX` without rejecting a legal
//! value ([the specification](crate::protocol#contradictions) #8), and none does.

use crate::core::enums::{strict_flags, u32_enum};
use crate::{CancelDecision, ItemPhase};

/// `MAX_SYNCMGR_NAME`: a handler or item name is at most 128 UTF-16 units,
/// including the terminating NUL.
pub const MAX_SYNCMGR_NAME: usize = 128;
/// `MAX_SYNCMGR_PROGRESSTEXT`: progress text is at most 260 UTF-16 units,
/// including the terminating NUL ([§G.7 #40](crate::protocol#rule-40)).
pub const MAX_SYNCMGR_PROGRESSTEXT: usize = 260;

u32_enum! {
    /// `SYNCMGR_PROGRESS_STATUS`: the status a Sync Center handler reports
    /// for an item with `ReportProgress`. No member has the value 0.
    pub enum ProgressStatus: "SYNCMGR_PROGRESS_STATUS" {
        /// `SYNCMGR_PS_UPDATING` (1): in progress; the steps are meaningful.
        Updating = 1 => ("SYNCMGR_PS_UPDATING", "updating"),
        /// `SYNCMGR_PS_UPDATING_INDETERMINATE` (2): in progress; the steps
        /// are ignored ([§G.7 #43](crate::protocol#rule-43)).
        UpdatingIndeterminate = 2 => ("SYNCMGR_PS_UPDATING_INDETERMINATE", "updating (indeterminate)"),
        /// `SYNCMGR_PS_SUCCEEDED` (3): finished successfully (terminal).
        Succeeded = 3 => ("SYNCMGR_PS_SUCCEEDED", "succeeded"),
        /// `SYNCMGR_PS_FAILED` (4): finished with an error (terminal; the
        /// only status accepted after another terminal one, [§G.7 #41](crate::protocol#rule-41)).
        Failed = 4 => ("SYNCMGR_PS_FAILED", "failed"),
        /// `SYNCMGR_PS_CANCELED` (5): the acknowledgement of a cancel
        /// (terminal, [§G.7 #42](crate::protocol#rule-42)).
        Canceled = 5 => ("SYNCMGR_PS_CANCELED", "canceled"),
        /// `SYNCMGR_PS_DISCONNECTED` (6): the item could not be reached
        /// (terminal, our reading of [§G.7 #41](crate::protocol#rule-41)).
        Disconnected = 6 => ("SYNCMGR_PS_DISCONNECTED", "disconnected"),
    }
}

impl ProgressStatus {
    /// `SYNCMGR_PS_MAX`, an alias of `SYNCMGR_PS_DISCONNECTED` (6).
    pub const MAX: Self = Self::Disconnected;

    /// True for the four terminal statuses: `SUCCEEDED`, `FAILED`,
    /// `CANCELED`, `DISCONNECTED`.
    pub const fn is_terminal(self) -> bool {
        self.phase().is_terminal()
    }

    /// The phase of the core item machine this status moves an item to.
    ///
    /// `CANCELED` is [`ItemPhase::Stopped`], SyncMgr's usual answer to a
    /// cancel; every other status has a phase of its own.
    pub const fn phase(self) -> ItemPhase {
        match self {
            Self::Updating => ItemPhase::Updating,
            Self::UpdatingIndeterminate => ItemPhase::UpdatingIndeterminate,
            Self::Succeeded => ItemPhase::Succeeded,
            Self::Failed => ItemPhase::Failed,
            Self::Canceled => ItemPhase::Stopped,
            Self::Disconnected => ItemPhase::Disconnected,
        }
    }

    /// The Sync Center status that reports `phase`, if there is one.
    ///
    /// The lossy corners, each our documented choice:
    /// - `Pending` has none (Sync Center reports only started items): `None`;
    /// - `Paused` becomes `UPDATING_INDETERMINATE` (still running, no
    ///   measurable step) and `Resuming` becomes `UPDATING`;
    /// - `Skipped`, `Stopped` and `Deleted` all become `CANCELED` (the item
    ///   ended without a result).
    pub const fn from_phase(phase: ItemPhase) -> Option<Self> {
        Some(match phase {
            ItemPhase::Pending => return None,
            ItemPhase::Updating | ItemPhase::Resuming => Self::Updating,
            ItemPhase::UpdatingIndeterminate | ItemPhase::Paused => Self::UpdatingIndeterminate,
            ItemPhase::Succeeded => Self::Succeeded,
            ItemPhase::Failed => Self::Failed,
            ItemPhase::Skipped | ItemPhase::Stopped | ItemPhase::Deleted => Self::Canceled,
            ItemPhase::Disconnected => Self::Disconnected,
        })
    }
}

u32_enum! {
    /// `SYNCMGR_CANCEL_REQUEST`: what Sync Center writes through
    /// `pnCancelRequest` ([the specification](crate::protocol#sync-center)). It maps one to one onto
    /// [`CancelDecision`].
    pub enum CancelRequest: "SYNCMGR_CANCEL_REQUEST" {
        /// `SYNCMGR_CR_NONE` (0): carry on.
        None = 0 => ("SYNCMGR_CR_NONE", "none"),
        /// `SYNCMGR_CR_CANCEL_ITEM` (1): stop this item, go on with the others.
        CancelItem = 1 => ("SYNCMGR_CR_CANCEL_ITEM", "cancel item"),
        /// `SYNCMGR_CR_CANCEL_ALL` (2): stop everything.
        CancelAll = 2 => ("SYNCMGR_CR_CANCEL_ALL", "cancel all"),
    }
}

impl CancelRequest {
    /// `SYNCMGR_CR_MAX`, an alias of `SYNCMGR_CR_CANCEL_ALL` (2).
    pub const MAX: Self = Self::CancelAll;
}

impl From<CancelDecision> for CancelRequest {
    fn from(decision: CancelDecision) -> Self {
        match decision {
            CancelDecision::Continue => Self::None,
            CancelDecision::CancelItem => Self::CancelItem,
            CancelDecision::CancelAll => Self::CancelAll,
        }
    }
}

impl From<CancelRequest> for CancelDecision {
    fn from(request: CancelRequest) -> Self {
        match request {
            CancelRequest::None => Self::Continue,
            CancelRequest::CancelItem => Self::CancelItem,
            CancelRequest::CancelAll => Self::CancelAll,
        }
    }
}

u32_enum! {
    /// `SYNCMGR_EVENT_LEVEL`: the severity of a `ReportEvent`.
    pub enum EventLevel: "SYNCMGR_EVENT_LEVEL" {
        /// `SYNCMGR_EL_INFORMATION` (1).
        Information = 1 => ("SYNCMGR_EL_INFORMATION", "information"),
        /// `SYNCMGR_EL_WARNING` (2).
        Warning = 2 => ("SYNCMGR_EL_WARNING", "warning"),
        /// `SYNCMGR_EL_ERROR` (3).
        Error = 3 => ("SYNCMGR_EL_ERROR", "error"),
    }
}

impl EventLevel {
    /// `SYNCMGR_EL_MAX`, an alias of `SYNCMGR_EL_ERROR` (3).
    pub const MAX: Self = Self::Error;
}

strict_flags! {
    /// `SYNCMGR_EVENT_FLAGS`: `ReportEvent`'s `nFlags`, "not used"; only
    /// `SYNCMGR_EF_NONE` (0) decodes ([§G.7 #49](crate::protocol#rule-49)).
    pub struct EventFlags: "SYNCMGR_EVENT_FLAGS" {
        /// `SYNCMGR_EF_NONE` (0), also `SYNCMGR_EF_VALID`.
        const NONE = 0;
    }
    /// `SYNCMGR_EF_VALID` (0): no bit is defined.
    mask = 0;
}

u32_enum! {
    /// `SYNCMGR_UPDATE_REASON`: why `ISyncMgrControl::UpdateConflict` is
    /// called.
    pub enum UpdateReason: "SYNCMGR_UPDATE_REASON" {
        /// `SYNCMGR_UR_ADDED` (0).
        Added = 0 => ("SYNCMGR_UR_ADDED", "added"),
        /// `SYNCMGR_UR_CHANGED` (1).
        Changed = 1 => ("SYNCMGR_UR_CHANGED", "changed"),
        /// `SYNCMGR_UR_REMOVED` (2).
        Removed = 2 => ("SYNCMGR_UR_REMOVED", "removed"),
    }
}

impl UpdateReason {
    /// `SYNCMGR_UR_MAX`, an alias of `SYNCMGR_UR_REMOVED` (2).
    pub const MAX: Self = Self::Removed;
}

u32_enum! {
    /// `SYNCMGR_HANDLER_TYPE`: what kind of thing a handler synchronizes.
    #[derive(Default)]
    pub enum HandlerType: "SYNCMGR_HANDLER_TYPE" {
        /// `SYNCMGR_HT_UNSPECIFIED` (0), the default.
        #[default]
        Unspecified = 0 => ("SYNCMGR_HT_UNSPECIFIED", "unspecified"),
        /// `SYNCMGR_HT_APPLICATION` (1).
        Application = 1 => ("SYNCMGR_HT_APPLICATION", "application"),
        /// `SYNCMGR_HT_DEVICE` (2).
        Device = 2 => ("SYNCMGR_HT_DEVICE", "device"),
        /// `SYNCMGR_HT_FOLDER` (3).
        Folder = 3 => ("SYNCMGR_HT_FOLDER", "folder"),
        /// `SYNCMGR_HT_SERVICE` (4).
        Service = 4 => ("SYNCMGR_HT_SERVICE", "service"),
        /// `SYNCMGR_HT_COMPUTER` (5).
        Computer = 5 => ("SYNCMGR_HT_COMPUTER", "computer"),
    }
}

impl HandlerType {
    /// `SYNCMGR_HT_MIN`, an alias of `SYNCMGR_HT_UNSPECIFIED` (0).
    pub const MIN: Self = Self::Unspecified;
    /// `SYNCMGR_HT_MAX`, an alias of `SYNCMGR_HT_COMPUTER` (5).
    pub const MAX: Self = Self::Computer;
}

strict_flags! {
    /// `SYNCMGR_SYNC_CONTROL_FLAGS`: how `ISyncMgrControl::Start*Sync` starts.
    pub struct SyncControlFlags: "SYNCMGR_SYNC_CONTROL_FLAGS" {
        /// `SYNCMGR_SCF_IGNORE_IF_ALREADY_SYNCING` (0x1).
        const IGNORE_IF_ALREADY_SYNCING = 0x1;
    }
    /// `SYNCMGR_SCF_VALID` (0x1).
    mask = 0x1;
}

strict_flags! {
    /// `SYNCMGR_CONTROL_FLAGS`: how `ISyncMgrControl`'s update and
    /// activation methods run. `SYNCMGR_CF_NONE` and `SYNCMGR_CF_NOWAIT` are
    /// both 0, the empty set.
    pub struct ControlFlags: "SYNCMGR_CONTROL_FLAGS" {
        /// `SYNCMGR_CF_WAIT` (0x1).
        const WAIT = 0x1;
        /// `SYNCMGR_CF_NOUI` (0x2).
        const NOUI = 0x2;
    }
    /// `SYNCMGR_CF_VALID` (0x3).
    mask = 0x3;
}

strict_flags! {
    /// `SYNCMGR_HANDLER_CAPABILITIES`: what a handler can do
    /// (`GetCapabilities`).
    pub struct HandlerCapabilities: "SYNCMGR_HANDLER_CAPABILITIES" {
        /// `SYNCMGR_HCM_PROVIDES_ICON` (0x1).
        const PROVIDES_ICON = 0x1;
        /// `SYNCMGR_HCM_EVENT_STORE` (0x2).
        const EVENT_STORE = 0x2;
        /// `SYNCMGR_HCM_CONFLICT_STORE` (0x4).
        const CONFLICT_STORE = 0x4;
        /// `SYNCMGR_HCM_SUPPORTS_CONCURRENT_SESSIONS` (0x10).
        const SUPPORTS_CONCURRENT_SESSIONS = 0x10;
        /// `SYNCMGR_HCM_CAN_BROWSE_CONTENT` (0x10000).
        const CAN_BROWSE_CONTENT = 0x10000;
        /// `SYNCMGR_HCM_CAN_SHOW_SCHEDULE` (0x20000).
        const CAN_SHOW_SCHEDULE = 0x20000;
        /// `SYNCMGR_HCM_QUERY_BEFORE_ACTIVATE` (0x100000).
        const QUERY_BEFORE_ACTIVATE = 0x100000;
        /// `SYNCMGR_HCM_QUERY_BEFORE_DEACTIVATE` (0x200000).
        const QUERY_BEFORE_DEACTIVATE = 0x200000;
        /// `SYNCMGR_HCM_QUERY_BEFORE_ENABLE` (0x400000).
        const QUERY_BEFORE_ENABLE = 0x400000;
        /// `SYNCMGR_HCM_QUERY_BEFORE_DISABLE` (0x800000).
        const QUERY_BEFORE_DISABLE = 0x800000;
    }
    /// `SYNCMGR_HCM_VALID_MASK` (0xf30017).
    mask = 0xf30017;
}

strict_flags! {
    /// `SYNCMGR_HANDLER_POLICIES`: what a handler forbids (`GetPolicies`).
    pub struct HandlerPolicies: "SYNCMGR_HANDLER_POLICIES" {
        /// `SYNCMGR_HPM_PREVENT_ACTIVATE` (0x1).
        const PREVENT_ACTIVATE = 0x1;
        /// `SYNCMGR_HPM_PREVENT_DEACTIVATE` (0x2).
        const PREVENT_DEACTIVATE = 0x2;
        /// `SYNCMGR_HPM_PREVENT_ENABLE` (0x4).
        const PREVENT_ENABLE = 0x4;
        /// `SYNCMGR_HPM_PREVENT_DISABLE` (0x8).
        const PREVENT_DISABLE = 0x8;
        /// `SYNCMGR_HPM_PREVENT_START_SYNC` (0x10).
        const PREVENT_START_SYNC = 0x10;
        /// `SYNCMGR_HPM_PREVENT_STOP_SYNC` (0x20).
        const PREVENT_STOP_SYNC = 0x20;
        /// `SYNCMGR_HPM_DISABLE_ENABLE` (0x100).
        const DISABLE_ENABLE = 0x100;
        /// `SYNCMGR_HPM_DISABLE_DISABLE` (0x200).
        const DISABLE_DISABLE = 0x200;
        /// `SYNCMGR_HPM_DISABLE_START_SYNC` (0x400).
        const DISABLE_START_SYNC = 0x400;
        /// `SYNCMGR_HPM_DISABLE_STOP_SYNC` (0x800).
        const DISABLE_STOP_SYNC = 0x800;
        /// `SYNCMGR_HPM_DISABLE_BROWSE` (0x1000).
        const DISABLE_BROWSE = 0x1000;
        /// `SYNCMGR_HPM_DISABLE_SCHEDULE` (0x2000).
        const DISABLE_SCHEDULE = 0x2000;
        /// `SYNCMGR_HPM_HIDDEN_BY_DEFAULT` (0x10000).
        const HIDDEN_BY_DEFAULT = 0x10000;
        /// `SYNCMGR_HPM_BACKGROUND_SYNC_ONLY` (0x30): `PREVENT_START_SYNC |
        /// PREVENT_STOP_SYNC`.
        const BACKGROUND_SYNC_ONLY = 0x30;
    }
    /// Every named bit, 0x13f3f: the SDK's `SYNCMGR_HPM_VALID_MASK`
    /// ([`HandlerPolicies::SDK_VALID_MASK`]) plus `DISABLE_BROWSE`, which the
    /// SDK names but leaves out of its own mask. Refusing a named policy
    /// would refuse a correct handler, so decoding accepts it.
    mask = 0x13f3f;
}

impl HandlerPolicies {
    /// `SYNCMGR_HPM_VALID_MASK` as the SDK defines it (0x12f3f), without
    /// `SYNCMGR_HPM_DISABLE_BROWSE` (0x1000).
    pub const SDK_VALID_MASK: u32 = 0x12f3f;
}

strict_flags! {
    /// `SYNCMGR_ITEM_CAPABILITIES`: what an item can do.
    pub struct ItemCapabilities: "SYNCMGR_ITEM_CAPABILITIES" {
        /// `SYNCMGR_ICM_PROVIDES_ICON` (0x1).
        const PROVIDES_ICON = 0x1;
        /// `SYNCMGR_ICM_EVENT_STORE` (0x2).
        const EVENT_STORE = 0x2;
        /// `SYNCMGR_ICM_CONFLICT_STORE` (0x4).
        const CONFLICT_STORE = 0x4;
        /// `SYNCMGR_ICM_CAN_DELETE` (0x10).
        const CAN_DELETE = 0x10;
        /// `SYNCMGR_ICM_CAN_BROWSE_CONTENT` (0x10000).
        const CAN_BROWSE_CONTENT = 0x10000;
        /// `SYNCMGR_ICM_QUERY_BEFORE_ENABLE` (0x100000).
        const QUERY_BEFORE_ENABLE = 0x100000;
        /// `SYNCMGR_ICM_QUERY_BEFORE_DISABLE` (0x200000).
        const QUERY_BEFORE_DISABLE = 0x200000;
        /// `SYNCMGR_ICM_QUERY_BEFORE_DELETE` (0x400000).
        const QUERY_BEFORE_DELETE = 0x400000;
    }
    /// `SYNCMGR_ICM_VALID_MASK` (0x710017).
    mask = 0x710017;
}

strict_flags! {
    /// `SYNCMGR_ITEM_POLICIES`: what an item forbids.
    pub struct ItemPolicies: "SYNCMGR_ITEM_POLICIES" {
        /// `SYNCMGR_IPM_PREVENT_ENABLE` (0x1).
        const PREVENT_ENABLE = 0x1;
        /// `SYNCMGR_IPM_PREVENT_DISABLE` (0x2).
        const PREVENT_DISABLE = 0x2;
        /// `SYNCMGR_IPM_PREVENT_START_SYNC` (0x4).
        const PREVENT_START_SYNC = 0x4;
        /// `SYNCMGR_IPM_PREVENT_STOP_SYNC` (0x8).
        const PREVENT_STOP_SYNC = 0x8;
        /// `SYNCMGR_IPM_DISABLE_ENABLE` (0x10).
        const DISABLE_ENABLE = 0x10;
        /// `SYNCMGR_IPM_DISABLE_DISABLE` (0x20).
        const DISABLE_DISABLE = 0x20;
        /// `SYNCMGR_IPM_DISABLE_START_SYNC` (0x40).
        const DISABLE_START_SYNC = 0x40;
        /// `SYNCMGR_IPM_DISABLE_STOP_SYNC` (0x80).
        const DISABLE_STOP_SYNC = 0x80;
        /// `SYNCMGR_IPM_DISABLE_BROWSE` (0x100).
        const DISABLE_BROWSE = 0x100;
        /// `SYNCMGR_IPM_DISABLE_DELETE` (0x200).
        const DISABLE_DELETE = 0x200;
        /// `SYNCMGR_IPM_HIDDEN_BY_DEFAULT` (0x10000).
        const HIDDEN_BY_DEFAULT = 0x10000;
    }
    /// Every named bit, 0x103ff: the SDK's `SYNCMGR_IPM_VALID_MASK`
    /// ([`ItemPolicies::SDK_VALID_MASK`]) plus `DISABLE_BROWSE`, which the
    /// SDK names but leaves out of its own mask. Refusing a named policy
    /// would refuse a correct handler, so decoding accepts it.
    mask = 0x103ff;
}

impl ItemPolicies {
    /// `SYNCMGR_IPM_VALID_MASK` as the SDK defines it (0x102ff), without
    /// `SYNCMGR_IPM_DISABLE_BROWSE` (0x100).
    pub const SDK_VALID_MASK: u32 = 0x102ff;
}
