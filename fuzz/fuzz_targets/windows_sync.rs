//! Windows Sync: every winsync.h enum and flag set, and `OnProgress`
//! arguments: decoding never panics, and what decodes keeps its value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use syncmgr::windows_sync::{
    ChangeFlags, ConflictResolutionPolicy, ConstraintConflictReason, ConstraintResolveAction,
    FilterCombinationType, FilterInfoFlags, FilteringType, FullEnumerationAction,
    KnowledgeCookieComparisonResult, ProgressStage, ProviderRole, ResolveAction, SerializeFlags,
    SerializationVersion, SyncStatistics, VersionFlags, WindowsSyncProgress,
};

#[path = "reader.rs"]
mod reader;

fuzz_target!(|data: &[u8]| {
    let mut r = reader::Reader::new(data);
    let word = r.u32();
    macro_rules! flags {
        ($($t:ty),+) => {$(
            if let Ok(flags) = <$t>::decode(word) {
                assert_eq!(flags.bits(), word, stringify!($t));
            }
        )+};
    }
    macro_rules! enums {
        ($($t:ty),+) => {$(
            if let Ok(value) = <$t>::try_from(word) {
                assert_eq!(value as u32, word, stringify!($t));
            }
        )+};
    }
    flags!(ChangeFlags, FilterInfoFlags, VersionFlags, SerializeFlags);
    enums!(ProviderRole, ProgressStage, FullEnumerationAction, ResolveAction,
        ConstraintResolveAction, ConflictResolutionPolicy, ConstraintConflictReason,
        FilteringType, FilterCombinationType, KnowledgeCookieComparisonResult,
        SerializationVersion, SyncStatistics);
    if let Ok(progress) = WindowsSyncProgress::from_raw(r.u32(), r.u32(), r.u32(), r.u32()) {
        let _ = format!("{progress:?}");
    }
});
