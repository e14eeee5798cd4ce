//! [`SyncMgrProgress`]: SyncMgr's progress report (`SYNCMGRPROGRESSITEM`),
//! and its [`ProgressItem`] view.

use crate::core::decode::utf16_to_string;
use crate::{DecodeError, ItemPhase, ProgressItem, ProgressMask, SyncMgrStatus};

impl ProgressItem for SyncMgrProgress {
    fn phase(&self) -> Option<ItemPhase> {
        self.status.map(ItemPhase::of)
    }

    fn text(&self) -> Option<&str> {
        self.status_text()
    }

    fn completed(&self) -> Option<u64> {
        self.exact_done
            .or_else(|| self.value.and_then(|v| u64::try_from(v).ok()))
    }

    fn total(&self) -> Option<u64> {
        self.exact_total
            .or_else(|| self.max.and_then(|v| u64::try_from(v).ok()))
    }
}

/// A report that is invalid on its own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SyncMgrProgressError {
    /// `iProgValue` is negative.
    #[error("progress value {value} is negative")]
    NegativeValue {
        /// The value that arrived.
        value: i32,
    },
    /// `iMaxValue` is negative.
    #[error("maximum value {max} is negative")]
    NegativeMax {
        /// The maximum that arrived.
        max: i32,
    },
    /// `iProgValue` is above `iMaxValue`.
    #[error("progress value {value} is above the maximum {max}")]
    ValueAboveMax {
        /// The value.
        value: i32,
        /// The maximum.
        max: i32,
    },
    /// The raw struct does not decode.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

/// One progress report: what changed for an item.
///
/// ```
/// use syncmgr::{SyncMgrProgress, ProgressMask, SyncMgrStatus};
///
/// let report = SyncMgrProgress::builder()
///    .status(SyncMgrStatus::Updating)
///    .value(3)
///    .max(10)
///    .text("copying 3 of 10")
///    .build()?;
/// assert_eq!(report.value(), Some(3));
/// assert_eq!(report.mask(), ProgressMask::all());
///
/// // Only what is set is reported; value above max is refused.
/// assert!(SyncMgrProgress::builder().value(11).max(10).build().is_err());
/// # Ok::<(), syncmgr::SyncMgrProgressError>(())
/// ```
///
/// A report says only what changed: each of its four fields — status text,
/// status, progress value, maximum — is present or absent, exactly as the
/// `mask` of the C struct says ([the specification](crate::protocol#syncmgr), §A.6). An absent field leaves
/// the host's remembered value alone.
///
/// `SyncMgrProgress` is plain data rather than a trait: a report is a value the
/// host copies, stores in snapshots and sends across threads, and every
/// generation's report converts into it. Building one validates what a
/// single report can violate on its own ([§G.3 #26](crate::protocol#rule-26), #27): values are
/// non-negative, and the value does not exceed the maximum when both are
/// present. Checks that need history (a value above a maximum remembered from
/// an earlier report) belong to the host.
///
/// The raw form, [`RawProgressItem`], mirrors the C struct without `cbSize`
/// (which is checked per architecture at the FFI edge, [§G.9 #60](crate::protocol#fact-60)) and decodes
/// strictly: unknown mask bits, an unknown status, a missing or invalid
/// UTF-16 text are typed errors, and fields whose bit is clear are never read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncMgrProgress {
    status_text: Option<String>,
    status: Option<SyncMgrStatus>,
    value: Option<i32>,
    max: Option<i32>,
    /// The exact work done, when `value` is it scaled down (never sent over
    /// COM: `iProgValue` is what crosses the edge).
    exact_done: Option<u64>,
    /// The exact work in all, when `max` is it scaled down.
    exact_total: Option<u64>,
}

impl SyncMgrProgress {
    /// A report that changes nothing (mask 0).
    pub const fn new() -> Self {
        Self {
            status_text: None,
            status: None,
            value: None,
            max: None,
            exact_done: None,
            exact_total: None,
        }
    }

    /// Start building a report.
    pub fn builder() -> SyncMgrProgressBuilder {
        SyncMgrProgressBuilder::default()
    }

    /// A report of a status alone.
    pub const fn with_status(status: SyncMgrStatus) -> Self {
        Self {
            status_text: None,
            status: Some(status),
            value: None,
            max: None,
            exact_done: None,
            exact_total: None,
        }
    }

    /// The status text (`lpcStatusText`), if reported.
    pub fn status_text(&self) -> Option<&str> {
        self.status_text.as_deref()
    }

    /// The status (`dwStatusType`), if reported.
    pub const fn status(&self) -> Option<SyncMgrStatus> {
        self.status
    }

    /// The progress value (`iProgValue`), if reported; never negative.
    pub const fn value(&self) -> Option<i32> {
        self.value
    }

    /// The maximum (`iMaxValue`), if reported; never negative.
    pub const fn max(&self) -> Option<i32> {
        self.max
    }

    /// The mask bits of the fields that are present.
    pub fn mask(&self) -> ProgressMask {
        let mut mask = ProgressMask::empty();
        mask.set(ProgressMask::STATUS_TEXT, self.status_text.is_some());
        mask.set(ProgressMask::STATUS_TYPE, self.status.is_some());
        mask.set(ProgressMask::PROG_VALUE, self.value.is_some());
        mask.set(ProgressMask::MAX_VALUE, self.max.is_some());
        mask
    }

    /// The raw struct (without `cbSize`); absent fields are zero.
    pub fn to_raw(&self) -> RawProgressItem {
        RawProgressItem {
            mask: self.mask().bits(),
            status_text: self
                .status_text
                .as_ref()
                .map(|t| t.encode_utf16().collect()),
            status_type: self.status.map_or(0, SyncMgrStatus::as_u32),
            prog_value: self.value.unwrap_or(0),
            max_value: self.max.unwrap_or(0),
        }
    }

    /// SyncMgr's form of any generation's report, for a SyncMgr host.
    ///
    /// Two corners are lossy, by necessity: a phase SyncMgr cannot name
    /// ([`ItemPhase::Disconnected`]) is reported as `FAILED`, and work counts
    /// above `i32::MAX` are scaled down together so that their ratio (what a
    /// progress bar shows) survives.
    ///
    /// # Errors
    ///
    /// [`SyncMgrProgressError::ValueAboveMax`] when the report's work done
    /// exceeds its total.
    pub fn from_item(report: &(impl ProgressItem + ?Sized)) -> Result<Self, SyncMgrProgressError> {
        Self {
            status_text: report.text().map(str::to_owned),
            status: report.phase().map(ItemPhase::status),
            ..Self::new()
        }
        .with_work(report.completed(), report.total(), None)
        .validated()
    }

    /// The value of a report that carries a value and nothing else (no
    /// text, status, maximum or scale): the common report, which the
    /// session applies on the item's words.
    #[inline]
    pub(crate) fn bare_value(&self) -> Option<u32> {
        match self {
            Self {
                status_text: None,
                status: None,
                value: Some(value),
                max: None,
                exact_done: None,
                exact_total: None,
            } => u32::try_from(*value).ok(),
            _ => None,
        }
    }

    /// A report of a value alone that needs no scale (`0 ≤ value`, and the
    /// item's counts are unscaled): what `ItemReporter::value` sends.
    #[inline]
    pub(crate) const fn unscaled_value(value: i32) -> Self {
        let mut report = Self::new();
        report.value = Some(value);
        report
    }

    /// Set the work counts: `iProgValue` / `iMaxValue` are `done` / `total`
    /// shifted right by `shift` (by the smallest shift that makes the
    /// larger of the two fit an `i32` when `None`), and the exact counts
    /// are kept beside them for an in-process host
    /// ([`completed`](ProgressItem::completed) and
    /// [`total`](ProgressItem::total) give them back).
    #[inline]
    pub(crate) fn with_work(
        mut self,
        done: Option<u64>,
        total: Option<u64>,
        shift: Option<u32>,
    ) -> Self {
        let shift = shift.unwrap_or_else(|| shift_for(done.into_iter().chain(total).max()));
        let narrow = |n: u64| i32::try_from(n >> shift.min(63)).unwrap_or(i32::MAX);
        self.value = done.map(narrow);
        self.max = total.map(narrow);
        let exact = |n: Option<u64>, narrowed: Option<i32>| {
            n.filter(|&n| narrowed.and_then(|v| u64::try_from(v).ok()) != Some(n))
        };
        self.exact_done = exact(done, self.value);
        self.exact_total = exact(total, self.max);
        self
    }

    pub(crate) fn validated(self) -> Result<Self, SyncMgrProgressError> {
        if let Some(value) = self.value.filter(|v| *v < 0) {
            return Err(SyncMgrProgressError::NegativeValue { value });
        }
        if let Some(max) = self.max.filter(|m| *m < 0) {
            return Err(SyncMgrProgressError::NegativeMax { max });
        }
        if let (Some(value), Some(max)) = (self.value, self.max)
            && value > max
        {
            return Err(SyncMgrProgressError::ValueAboveMax { value, max });
        }
        Ok(self)
    }
}

/// The smallest right shift that makes `largest` fit an `i32` (0 when it
/// fits): work counts above `i32::MAX` reach SyncMgr divided by the same
/// power of two, so their ratio survives.
#[inline]
pub(crate) fn shift_for(largest: Option<u64>) -> u32 {
    // `i32::MAX` has 31 bits: shift away every bit above them.
    (u64::BITS - largest.unwrap_or(0).leading_zeros()).saturating_sub(31)
}

/// Builds a [`SyncMgrProgress`]; each setter marks its field present.
#[derive(Debug, Clone, Default)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct SyncMgrProgressBuilder {
    item: SyncMgrProgress,
}

impl SyncMgrProgressBuilder {
    /// Report a status text.
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.item.status_text = Some(text.into());
        self
    }

    /// Report a status.
    pub fn status(mut self, status: SyncMgrStatus) -> Self {
        self.item.status = Some(status);
        self
    }

    /// Report a progress value.
    pub fn value(mut self, value: i32) -> Self {
        self.item.value = Some(value);
        self.item.exact_done = None;
        self
    }

    /// Report a maximum.
    pub fn max(mut self, max: i32) -> Self {
        self.item.max = Some(max);
        self.item.exact_total = None;
        self
    }

    /// Report work in `u64`: `done` of `total`. Counts above `i32::MAX`
    /// reach `iProgValue` / `iMaxValue` divided by the same power of two
    /// (the ratio, what a progress bar shows, is kept); an in-process host
    /// reads the exact counts through [`ProgressItem`].
    ///
    /// ```
    /// use syncmgr::{ProgressItem, SyncMgrProgress};
    ///
    /// let five_gib = 5u64 << 30;
    /// let report = SyncMgrProgress::builder().work(five_gib / 2, five_gib).build()?;
    /// assert_eq!((report.completed(), report.total()), (Some(five_gib / 2), Some(five_gib)));
    /// // iMaxValue / iProgValue: both divided by 4 so that 5 GiB fits an i32.
    /// assert_eq!((report.value(), report.max()), (Some(671_088_640), Some(1_342_177_280)));
    /// assert_eq!(report.fraction(), Some(0.5));
    /// # Ok::<(), syncmgr::SyncMgrProgressError>(())
    /// ```
    pub fn work(mut self, done: u64, total: u64) -> Self {
        self.item = self.item.with_work(Some(done), Some(total), None);
        self
    }

    /// Validate and finish.
    ///
    /// # Errors
    ///
    /// [`SyncMgrProgressError::NegativeValue`], [`SyncMgrProgressError::NegativeMax`],
    /// or [`SyncMgrProgressError::ValueAboveMax`] when both are present.
    pub fn build(self) -> Result<SyncMgrProgress, SyncMgrProgressError> {
        self.item.validated()
    }
}

/// `SYNCMGRPROGRESSITEM` as raw numbers, without `cbSize`.
///
/// `status_text` holds the UTF-16 units of `lpcStatusText` without the
/// terminating NUL; `None` stands for a NULL pointer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawProgressItem {
    /// `mask`: which fields are present.
    pub mask: u32,
    /// `lpcStatusText`.
    pub status_text: Option<Vec<u16>>,
    /// `dwStatusType`.
    pub status_type: u32,
    /// `iProgValue`.
    pub prog_value: i32,
    /// `iMaxValue`.
    pub max_value: i32,
}

impl TryFrom<&RawProgressItem> for SyncMgrProgress {
    type Error = SyncMgrProgressError;

    /// Decode strictly; fields whose bit is clear are not read.
    fn try_from(raw: &RawProgressItem) -> Result<Self, Self::Error> {
        let mask = ProgressMask::decode(raw.mask)?;
        let status_text = if mask.contains(ProgressMask::STATUS_TEXT) {
            let units = raw
                .status_text
                .as_deref()
                .ok_or(DecodeError::MissingField {
                    field: "SYNCMGRPROGRESSITEM.lpcStatusText",
                })?;
            Some(utf16_to_string("SYNCMGRPROGRESSITEM.lpcStatusText", units)?)
        } else {
            None
        };
        let status = if mask.contains(ProgressMask::STATUS_TYPE) {
            Some(SyncMgrStatus::try_from(raw.status_type)?)
        } else {
            None
        };
        SyncMgrProgress {
            status_text,
            status,
            value: mask
                .contains(ProgressMask::PROG_VALUE)
                .then_some(raw.prog_value),
            max: mask
                .contains(ProgressMask::MAX_VALUE)
                .then_some(raw.max_value),
            exact_done: None,
            exact_total: None,
        }
        .validated()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_follows_presence() {
        assert_eq!(SyncMgrProgress::new().mask(), ProgressMask::empty());
        assert_eq!(
            SyncMgrProgress::with_status(SyncMgrStatus::Paused).mask(),
            ProgressMask::STATUS_TYPE
        );
        let item = SyncMgrProgress::builder().value(0).build().unwrap();
        assert_eq!(item.mask(), ProgressMask::PROG_VALUE);
    }

    #[test]
    fn validation_names_the_problem() {
        assert_eq!(
            SyncMgrProgress::builder().value(-1).build(),
            Err(SyncMgrProgressError::NegativeValue { value: -1 })
        );
        assert_eq!(
            SyncMgrProgress::builder().max(-5).build(),
            Err(SyncMgrProgressError::NegativeMax { max: -5 })
        );
        assert_eq!(
            SyncMgrProgress::builder().value(6).max(5).build(),
            Err(SyncMgrProgressError::ValueAboveMax { value: 6, max: 5 })
        );
        assert!(SyncMgrProgress::builder().value(5).max(5).build().is_ok());
        // Value alone may exceed nothing: the maximum is unknown here.
        assert!(SyncMgrProgress::builder().value(i32::MAX).build().is_ok());
    }

    #[test]
    fn raw_decoding_reads_only_masked_fields() {
        let raw = RawProgressItem {
            mask: ProgressMask::PROG_VALUE.bits(),
            status_text: None,
            status_type: 0xdead, // not read: STATUS_TYPE is clear
            prog_value: 4,
            max_value: -7, // not read: MAX_VALUE is clear
        };
        let item = SyncMgrProgress::try_from(&raw).unwrap();
        assert_eq!(item.value(), Some(4));
        assert_eq!(item.max(), None);
        assert_eq!(item.status(), None);
    }

    #[test]
    fn raw_decoding_is_strict() {
        let unknown_bit = RawProgressItem {
            mask: 0x10,
            ..RawProgressItem::default()
        };
        assert!(matches!(
            SyncMgrProgress::try_from(&unknown_bit),
            Err(SyncMgrProgressError::Decode(DecodeError::UnknownBits {
                unknown: 0x10,
                ..
            }))
        ));
        let missing_text = RawProgressItem {
            mask: ProgressMask::STATUS_TEXT.bits(),
            ..RawProgressItem::default()
        };
        assert!(matches!(
            SyncMgrProgress::try_from(&missing_text),
            Err(SyncMgrProgressError::Decode(
                DecodeError::MissingField { .. }
            ))
        ));
        let bad_status = RawProgressItem {
            mask: ProgressMask::STATUS_TYPE.bits(),
            status_type: 9,
            ..RawProgressItem::default()
        };
        assert!(matches!(
            SyncMgrProgress::try_from(&bad_status),
            Err(SyncMgrProgressError::Decode(DecodeError::UnknownValue {
                value: 9,
                ..
            }))
        ));
        let bad_text = RawProgressItem {
            mask: ProgressMask::STATUS_TEXT.bits(),
            status_text: Some(vec![0xDC00]),
            ..RawProgressItem::default()
        };
        assert!(matches!(
            SyncMgrProgress::try_from(&bad_text),
            Err(SyncMgrProgressError::Decode(
                DecodeError::InvalidUtf16 { .. }
            ))
        ));
    }

    #[test]
    fn raw_round_trip() {
        let item = SyncMgrProgress::builder()
            .text("naïve ☃")
            .status(SyncMgrStatus::UpdatingIndeterminate)
            .value(1)
            .max(2)
            .build()
            .unwrap();
        assert_eq!(SyncMgrProgress::try_from(&item.to_raw()), Ok(item));
    }
}
