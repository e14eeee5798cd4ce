//! proptest strategies for [`Fault`]s and [`Scenario`]s, for handler
//! authors who want the kit's faults in their own property tests.
//!
//! ```
//! use proptest::prelude::*;
//! use syncmgr::ItemId;
//! use syncmgr::testkit::strategy;
//!
//! // Two items of four reports each, eight reports in all.
//! let items = vec![(ItemId::from_u128(1).into(), 4), (ItemId::from_u128(2).into(), 4)];
//! proptest!(|(scenario in strategy::scenario(items.clone(), 8, 3))| {
//!     prop_assert!(scenario.faults.len() <= 3);
//! });
//! ```

use proptest::prelude::*;

use super::host::{Fault, Scenario};
use crate::{HResult, ItemKey};

/// One fault for a handler whose items are `items` (each with the number
/// of reports it gets) and whose reports number `reports` in all: a
/// cancel or a skip of an item at one of its reports (or one past its
/// last), a cancel-all or a failed report at one of all the reports.
pub fn fault(items: Vec<(ItemKey, usize)>, reports: usize) -> BoxedStrategy<Fault> {
    let global = 1..=reports.max(1) + 1;
    let failed = (
        global.clone(),
        prop_oneof![Just(HResult::E_FAIL), Just(HResult::E_UNEXPECTED)],
    )
        .prop_map(|(at_report, code)| Fault::FailReport { at_report, code });
    let cancel_all = global.prop_map(|at_report| Fault::CancelAll { at_report });
    if items.is_empty() {
        return prop_oneof![cancel_all, failed].boxed();
    }
    let per_item = proptest::sample::select(items).prop_flat_map(|(item, item_reports)| {
        (1..=item_reports.max(1) + 1, any::<bool>()).prop_map(move |(at_report, skip)| {
            let item = item.clone();
            if skip {
                Fault::Skip { item, at_report }
            } else {
                Fault::CancelItem { item, at_report }
            }
        })
    });
    prop_oneof![2 => per_item, 1 => cancel_all, 1 => failed].boxed()
}

/// A scenario of up to `max_faults` faults (see [`fault`]).
pub fn scenario(
    items: Vec<(ItemKey, usize)>,
    reports: usize,
    max_faults: usize,
) -> BoxedStrategy<Scenario> {
    proptest::collection::vec(fault(items, reports), 0..=max_faults)
        .prop_map(|faults| Scenario { faults })
        .boxed()
}
