//! [`ProgressItem`]: what every generation's progress report says.

use crate::ItemPhase;

/// A progress report, in the core's terms: the view every generation's report
/// satisfies.
///
/// The three generations report progress differently —
/// [`SyncMgrProgress`](crate::SyncMgrProgress) (`SYNCMGRPROGRESSITEM`: each field present or absent),
/// [`SyncCenterProgress`](crate::sync_center::SyncCenterProgress)
/// (`ReportProgress`: a status and steps, text optional) and
/// [`WindowsSyncProgress`](crate::windows_sync::WindowsSyncProgress)
/// (`OnProgress`: a stage and work counts) — but each says the same four
/// things, some of them optionally: where the item is now, a text, the work
/// done and the work in all. `ProgressItem` is that view, a trait because
/// the reports are different data: code that shows progress, and the adapters
/// between generations, are written once against it.
///
/// | view | SyncMgr | Sync Center | Windows Sync |
/// |---|---|---|---|
/// | [`phase`](ProgressItem::phase) | `dwStatusType` (if in mask) | `nStatus` | none (it reports a session, not an item) |
/// | [`text`](ProgressItem::text) | `lpcStatusText` (if in mask) | `pszProgressText` | none |
/// | [`completed`](ProgressItem::completed) | `iProgValue` (if in mask) | `uCurrentStep`, unless indeterminate | `dwCompletedWork` |
/// | [`total`](ProgressItem::total) | `iMaxValue` (if in mask) | `uMaxStep`, unless indeterminate | `dwTotalWork` |
///
/// ```
/// use syncmgr::{ItemPhase, ProgressItem, SyncMgrProgress, SyncMgrStatus};
///
/// fn describe(report: &dyn ProgressItem) -> String {
///     match (report.phase(), report.fraction()) {
///         (Some(phase), Some(f)) => format!("{phase} {:.0}%", f * 100.0),
///         (Some(phase), None) => phase.to_string(),
///         (None, _) => "no change".into(),
///     }
/// }
///
/// let report = SyncMgrProgress::builder().status(SyncMgrStatus::Updating).value(1).max(4).build()?;
/// assert_eq!(describe(&report), "updating 25%");
/// assert_eq!(report.phase(), Some(ItemPhase::Updating));
/// # Ok::<(), syncmgr::SyncMgrProgressError>(())
/// ```
pub trait ProgressItem {
    /// The phase the report moves its item to, if it names one.
    fn phase(&self) -> Option<ItemPhase>;

    /// The status text, if the report carries one.
    fn text(&self) -> Option<&str>;

    /// The work done, if the report measures it.
    fn completed(&self) -> Option<u64>;

    /// The work in all, if the report measures it.
    fn total(&self) -> Option<u64>;

    /// `completed / total`, clamped to `0.0..=1.0`, when both are known and
    /// the total is not zero.
    fn fraction(&self) -> Option<f64> {
        let (done, total) = (self.completed()?, self.total()?);
        // Precision loss above 2^53 units of work is irrelevant to a ratio.
        #[allow(clippy::cast_precision_loss)]
        (total > 0).then(|| (done as f64 / total as f64).clamp(0.0, 1.0))
    }
}

/// Work counts as `u32`s (Sync Center's steps, Windows Sync's work):
/// unchanged when both fit, else both divided by the same power of two so
/// that the larger fits (the ratio is kept).
pub(crate) fn scale_to_u32(done: u64, total: u64) -> (u32, u32) {
    let shift = (u64::BITS - done.max(total).leading_zeros()).saturating_sub(32);
    let narrow = |n: u64| u32::try_from(n >> shift).unwrap_or(u32::MAX);
    (narrow(done), narrow(total))
}

#[cfg(test)]
mod tests {
    #[test]
    fn scaling_keeps_small_counts_and_the_ratio_of_large_ones() {
        assert_eq!(super::scale_to_u32(3, 10), (3, 10));
        assert_eq!(super::scale_to_u32(1 << 40, 1 << 41), (1 << 30, 1 << 31));
        assert_eq!(
            super::scale_to_u32(u64::MAX, u64::MAX),
            (u32::MAX, u32::MAX)
        );
    }
}
