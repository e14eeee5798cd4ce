//! The enumerations, flag sets and small structs of `winsync.h` ([the
//! specification](crate::protocol#windows-sync)), with their exact values and strict decoding.
//!
//! The SDK declares the enumerations anonymously; the names are the ones
//! windows-rs and the documentation use. `SRA_LAST` and `CRP_LAST` are
//! sentinels, not actions or policies, so they are associated constants and
//! do not decode.

use crate::core::enums::{strict_flags, u32_enum};

u32_enum! {
    /// `SYNC_PROVIDER_ROLE`: which provider a progress report is about.
    pub enum ProviderRole: "SYNC_PROVIDER_ROLE" {
        /// `SPR_SOURCE` (0).
        Source = 0 => ("SPR_SOURCE", "source"),
        /// `SPR_DESTINATION` (1).
        Destination = 1 => ("SPR_DESTINATION", "destination"),
    }
}

u32_enum! {
    /// `SYNC_PROGRESS_STAGE`: the stage of a session, in the order a session
    /// goes through them.
    pub enum ProgressStage: "SYNC_PROGRESS_STAGE" {
        /// `SPS_CHANGE_DETECTION` (0).
        ChangeDetection = 0 => ("SPS_CHANGE_DETECTION", "change detection"),
        /// `SPS_CHANGE_ENUMERATION` (1).
        ChangeEnumeration = 1 => ("SPS_CHANGE_ENUMERATION", "change enumeration"),
        /// `SPS_CHANGE_APPLICATION` (2): completed work accumulates here.
        ChangeApplication = 2 => ("SPS_CHANGE_APPLICATION", "change application"),
    }
}

u32_enum! {
    /// `SYNC_FULL_ENUMERATION_ACTION`: the answer to
    /// `OnFullEnumerationNeeded`.
    pub enum FullEnumerationAction: "SYNC_FULL_ENUMERATION_ACTION" {
        /// `SFEA_FULL_ENUMERATION` (0).
        FullEnumeration = 0 => ("SFEA_FULL_ENUMERATION", "full enumeration"),
        /// `SFEA_PARTIAL_SYNC` (1): apply the learned knowledge as
        /// single-item exceptions.
        PartialSync = 1 => ("SFEA_PARTIAL_SYNC", "partial sync"),
        /// `SFEA_ABORT` (2): end the session as if cancelled.
        Abort = 2 => ("SFEA_ABORT", "abort"),
    }
}

impl FullEnumerationAction {
    /// The action a session takes when no callback answers (none is
    /// registered, or the callback does not override the method).
    ///
    /// The documentation contradicts itself ([the specification](crate::protocol#contradictions) #1): the method
    /// page says `SFEA_ABORT`, the enumeration page `SFEA_FULL_ENUMERATION`.
    /// This crate follows the method page, the more specific of the two:
    /// without an answer, nothing is enumerated that nobody asked for.
    pub const DEFAULT: Self = Self::Abort;

    /// Read a raw answer as the engine does ([§G.8 #55](crate::protocol#rule-55)): an out-of-range
    /// value is `SFEA_ABORT`.
    pub fn from_u32_lenient(value: u32) -> Self {
        Self::try_from(value).unwrap_or(Self::Abort)
    }
}

u32_enum! {
    /// `SYNC_RESOLVE_ACTION`: how `OnConflict` resolves a conflict.
    pub enum ResolveAction: "SYNC_RESOLVE_ACTION" {
        /// `SRA_DEFER` (0).
        Defer = 0 => ("SRA_DEFER", "defer"),
        /// `SRA_ACCEPT_DESTINATION_PROVIDER` (1).
        AcceptDestinationProvider = 1 => ("SRA_ACCEPT_DESTINATION_PROVIDER", "accept destination"),
        /// `SRA_ACCEPT_SOURCE_PROVIDER` (2).
        AcceptSourceProvider = 2 => ("SRA_ACCEPT_SOURCE_PROVIDER", "accept source"),
        /// `SRA_MERGE` (3).
        Merge = 3 => ("SRA_MERGE", "merge"),
        /// `SRA_TRANSFER_AND_DEFER` (4).
        TransferAndDefer = 4 => ("SRA_TRANSFER_AND_DEFER", "transfer and defer"),
    }
}

impl ResolveAction {
    /// `SRA_LAST` (5): the sentinel above every action; never a valid
    /// answer ([§G.8 #54](crate::protocol#rule-54)).
    pub const LAST: u32 = 5;

    /// True when the resolution applies the source's change to the
    /// destination (`ACCEPT_SOURCE_PROVIDER`, `MERGE`).
    pub const fn applies_change(self) -> bool {
        matches!(self, Self::AcceptSourceProvider | Self::Merge)
    }
}

u32_enum! {
    /// `SYNC_CONSTRAINT_RESOLVE_ACTION`: how a constraint conflict is
    /// resolved.
    pub enum ConstraintResolveAction: "SYNC_CONSTRAINT_RESOLVE_ACTION" {
        /// `SCRA_DEFER` (0).
        Defer = 0 => ("SCRA_DEFER", "defer"),
        /// `SCRA_ACCEPT_DESTINATION_PROVIDER` (1).
        AcceptDestinationProvider = 1 => ("SCRA_ACCEPT_DESTINATION_PROVIDER", "accept destination"),
        /// `SCRA_ACCEPT_SOURCE_PROVIDER` (2).
        AcceptSourceProvider = 2 => ("SCRA_ACCEPT_SOURCE_PROVIDER", "accept source"),
        /// `SCRA_TRANSFER_AND_DEFER` (3).
        TransferAndDefer = 3 => ("SCRA_TRANSFER_AND_DEFER", "transfer and defer"),
        /// `SCRA_MERGE` (4).
        Merge = 4 => ("SCRA_MERGE", "merge"),
        /// `SCRA_RENAME_SOURCE` (5).
        RenameSource = 5 => ("SCRA_RENAME_SOURCE", "rename source"),
        /// `SCRA_RENAME_DESTINATION` (6).
        RenameDestination = 6 => ("SCRA_RENAME_DESTINATION", "rename destination"),
    }
}

u32_enum! {
    /// `CONFLICT_RESOLUTION_POLICY`: who resolves conflicts; only under
    /// `CRP_NONE` does `OnConflict` fire ([§G.8 #54](crate::protocol#rule-54)).
    pub enum ConflictResolutionPolicy: "CONFLICT_RESOLUTION_POLICY" {
        /// `CRP_NONE` (0): the application decides, through `OnConflict`.
        None = 0 => ("CRP_NONE", "none"),
        /// `CRP_DESTINATION_PROVIDER_WINS` (1).
        DestinationProviderWins = 1 => ("CRP_DESTINATION_PROVIDER_WINS", "destination wins"),
        /// `CRP_SOURCE_PROVIDER_WINS` (2).
        SourceProviderWins = 2 => ("CRP_SOURCE_PROVIDER_WINS", "source wins"),
    }
}

impl ConflictResolutionPolicy {
    /// `CRP_LAST` (3): the sentinel above every policy.
    pub const LAST: u32 = 3;
}

u32_enum! {
    /// `CONSTRAINT_CONFLICT_REASON`.
    pub enum ConstraintConflictReason: "CONSTRAINT_CONFLICT_REASON" {
        /// `CCR_OTHER` (0).
        Other = 0 => ("CCR_OTHER", "other"),
        /// `CCR_COLLISION` (1).
        Collision = 1 => ("CCR_COLLISION", "collision"),
        /// `CCR_NOPARENT` (2).
        NoParent = 2 => ("CCR_NOPARENT", "no parent"),
        /// `CCR_IDENTITY` (3).
        Identity = 3 => ("CCR_IDENTITY", "identity"),
    }
}

u32_enum! {
    /// `FILTERING_TYPE`.
    pub enum FilteringType: "FILTERING_TYPE" {
        /// `FT_CURRENT_ITEMS_ONLY` (0).
        CurrentItemsOnly = 0 => ("FT_CURRENT_ITEMS_ONLY", "current items only"),
        /// `FT_CURRENT_ITEMS_AND_VERSIONS_FOR_MOVED_OUT_ITEMS` (1; missing
        /// from mingw-w64).
        CurrentItemsAndVersionsForMovedOutItems = 1 => ("FT_CURRENT_ITEMS_AND_VERSIONS_FOR_MOVED_OUT_ITEMS", "current items and versions for moved-out items"),
    }
}

u32_enum! {
    /// `FILTER_COMBINATION_TYPE`.
    pub enum FilterCombinationType: "FILTER_COMBINATION_TYPE" {
        /// `FCT_INTERSECTION` (0).
        Intersection = 0 => ("FCT_INTERSECTION", "intersection"),
    }
}

u32_enum! {
    /// `KNOWLEDGE_COOKIE_COMPARISON_RESULT`.
    pub enum KnowledgeCookieComparisonResult: "KNOWLEDGE_COOKIE_COMPARISON_RESULT" {
        /// `KCCR_COOKIE_KNOWLEDGE_EQUAL` (0).
        Equal = 0 => ("KCCR_COOKIE_KNOWLEDGE_EQUAL", "equal"),
        /// `KCCR_COOKIE_KNOWLEDGE_CONTAINED` (1).
        Contained = 1 => ("KCCR_COOKIE_KNOWLEDGE_CONTAINED", "contained"),
        /// `KCCR_COOKIE_KNOWLEDGE_CONTAINS` (2).
        Contains = 2 => ("KCCR_COOKIE_KNOWLEDGE_CONTAINS", "contains"),
        /// `KCCR_COOKIE_KNOWLEDGE_NOT_COMPARABLE` (3).
        NotComparable = 3 => ("KCCR_COOKIE_KNOWLEDGE_NOT_COMPARABLE", "not comparable"),
    }
}

u32_enum! {
    /// `SYNC_SERIALIZATION_VERSION` (mingw-w64's values are wrong, §C.6).
    pub enum SerializationVersion: "SYNC_SERIALIZATION_VERSION" {
        /// `SYNC_SERIALIZATION_VERSION_V1` (1).
        V1 = 1 => ("SYNC_SERIALIZATION_VERSION_V1", "version 1"),
        /// `SYNC_SERIALIZATION_VERSION_V2` (4).
        V2 = 4 => ("SYNC_SERIALIZATION_VERSION_V2", "version 2"),
        /// `SYNC_SERIALIZATION_VERSION_V3` (5).
        V3 = 5 => ("SYNC_SERIALIZATION_VERSION_V3", "version 3"),
    }
}

u32_enum! {
    /// `SYNC_STATISTICS`.
    pub enum SyncStatistics: "SYNC_STATISTICS" {
        /// `SYNC_STATISTICS_RANGE_COUNT` (0).
        RangeCount = 0 => ("SYNC_STATISTICS_RANGE_COUNT", "range count"),
    }
}

strict_flags! {
    /// `SYNC_CHANGE_FLAG_*`.
    pub struct ChangeFlags: "SYNC_CHANGE_FLAG" {
        /// `SYNC_CHANGE_FLAG_DELETED` (1).
        const DELETED = 1;
        /// `SYNC_CHANGE_FLAG_DOES_NOT_EXIST` (2).
        const DOES_NOT_EXIST = 2;
        /// `SYNC_CHANGE_FLAG_GHOST` (4).
        const GHOST = 4;
    }
    /// Every defined bit, 0x7.
    mask = 0x7;
}

strict_flags! {
    /// `SYNC_FILTER_INFO_FLAG_*` and `SYNC_FILTER_INFO_COMBINED`.
    pub struct FilterInfoFlags: "SYNC_FILTER_INFO_FLAG" {
        /// `SYNC_FILTER_INFO_FLAG_ITEM_LIST` (1).
        const ITEM_LIST = 1;
        /// `SYNC_FILTER_INFO_FLAG_CHANGE_UNIT_LIST` (2).
        const CHANGE_UNIT_LIST = 2;
        /// `SYNC_FILTER_INFO_FLAG_CUSTOM` (4).
        const CUSTOM = 4;
        /// `SYNC_FILTER_INFO_COMBINED` (8).
        const COMBINED = 8;
    }
    /// Every defined bit, 0xF.
    mask = 0xF;
}

strict_flags! {
    /// `SYNC_VERSION_FLAG_*`.
    pub struct VersionFlags: "SYNC_VERSION_FLAG" {
        /// `SYNC_VERSION_FLAG_FROM_FEED` (1).
        const FROM_FEED = 1;
        /// `SYNC_VERSION_FLAG_HAS_BY` (2).
        const HAS_BY = 2;
    }
    /// Every defined bit, 0x3.
    mask = 0x3;
}

strict_flags! {
    /// `SYNC_SERIALIZE_*`.
    pub struct SerializeFlags: "SYNC_SERIALIZE" {
        /// `SYNC_SERIALIZE_REPLICA_KEY_MAP` (1).
        const REPLICA_KEY_MAP = 1;
    }
    /// Every defined bit, 0x1.
    mask = 0x1;
}

/// `SYNC_SESSION_STATISTICS`: changes applied and failed so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SessionStatistics {
    /// `dwChangesApplied`.
    pub changes_applied: u32,
    /// `dwChangesFailed`.
    pub changes_failed: u32,
}
