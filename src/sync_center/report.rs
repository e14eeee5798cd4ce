//! The data that crosses Sync Center's interfaces: a progress report, an
//! event, an item, the handler's description.

use crate::core::decode::{DecodeError, check_text_limit, utf16_to_string};
use crate::{ItemPhase, ProgressItem};

use super::{
    EventFlags, EventLevel, HandlerType, ItemCapabilities, ItemPolicies, MAX_SYNCMGR_NAME,
    MAX_SYNCMGR_PROGRESSTEXT, ProgressStatus, SyncCenterItemId,
};

/// Check an optional text against a limit (in UTF-16 units with the NUL).
fn checked(field: &'static str, text: String, limit: usize) -> Result<String, DecodeError> {
    check_text_limit(field, &text, limit)?;
    Ok(text)
}

/// Decode an optional UTF-16 string (a possibly-NULL `LPCWSTR`), checking
/// `limit` when there is one.
fn decode_opt(
    field: &'static str,
    units: Option<&[u16]>,
    limit: Option<usize>,
) -> Result<Option<String>, DecodeError> {
    units
        .map(|u| {
            let text = utf16_to_string(field, u)?;
            match limit {
                Some(limit) => checked(field, text, limit),
                None => Ok(text),
            }
        })
        .transpose()
}

/// One `ISyncMgrSyncCallback::ReportProgress` call: an item, its status, an
/// optional text and the steps.
///
/// Construction checks what a single report can get wrong on its own: the
/// text is at most 259 UTF-16 units (`MAX_SYNCMGR_PROGRESSTEXT`, [§G.7 #40](crate::protocol#rule-40));
/// the item id is a valid [`SyncCenterItemId`]. Steps are kept exactly as
/// reported, because whether they are valid depends on the status ([§G.7 #43](crate::protocol#rule-43):
/// they are ignored for `UPDATING_INDETERMINATE`) and the host judges that.
///
/// ```
/// use syncmgr::ProgressItem;
/// use syncmgr::sync_center::{ProgressStatus, SyncCenterItemId, SyncCenterProgress};
///
/// let item = SyncCenterItemId::new("inbox")?;
/// let report = SyncCenterProgress::new(item, ProgressStatus::Updating, 3, 10).with_text("3 of 10")?;
/// assert_eq!(report.fraction(), Some(0.3));
///
/// let idle = SyncCenterProgress::new(report.item().clone(), ProgressStatus::UpdatingIndeterminate, 7, 0);
/// assert_eq!(idle.completed(), None); // steps are ignored ([§G.7 #43](crate::protocol#rule-43))
/// assert!(report.clone().with_text("x".repeat(260)).is_err());
/// # Ok::<(), syncmgr::DecodeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncCenterProgress {
    item: SyncCenterItemId,
    text: Option<String>,
    status: ProgressStatus,
    current_step: u32,
    max_step: u32,
}

impl SyncCenterProgress {
    /// A report without text.
    pub const fn new(
        item: SyncCenterItemId,
        status: ProgressStatus,
        current_step: u32,
        max_step: u32,
    ) -> Self {
        Self {
            item,
            text: None,
            status,
            current_step,
            max_step,
        }
    }

    /// A report of `done` of `total` units of work in `u64` (for example
    /// bytes): `uCurrentStep` / `uMaxStep` are `u32`, so counts above
    /// `u32::MAX` are divided by the same power of two (the ratio is kept).
    ///
    /// ```
    /// use syncmgr::sync_center::{ProgressStatus, SyncCenterItemId, SyncCenterProgress};
    ///
    /// let id = SyncCenterItemId::new("photos")?;
    /// let report = SyncCenterProgress::with_work(id, ProgressStatus::Updating, 3 << 32, 4 << 32);
    /// assert_eq!((report.current_step(), report.max_step()), (3 << 29, 4 << 29));
    /// # Ok::<(), syncmgr::DecodeError>(())
    /// ```
    pub fn with_work(
        item: SyncCenterItemId,
        status: ProgressStatus,
        done: u64,
        total: u64,
    ) -> Self {
        let (current_step, max_step) = crate::core::progress::scale_to_u32(done, total);
        Self::new(item, status, current_step, max_step)
    }

    /// The report with `text` (`pszProgressText`).
    ///
    /// # Errors
    ///
    /// [`DecodeError::TextTooLong`] over 259 UTF-16 units,
    /// [`DecodeError::InteriorNul`] for a NUL inside.
    pub fn with_text(mut self, text: impl Into<String>) -> Result<Self, DecodeError> {
        self.text = Some(checked(
            "pszProgressText",
            text.into(),
            MAX_SYNCMGR_PROGRESSTEXT,
        )?);
        Ok(self)
    }

    /// Decode the raw arguments of `ReportProgress` (strings without their
    /// NUL; `None` for a NULL `pszProgressText`).
    ///
    /// # Errors
    ///
    /// A [`DecodeError`] naming the bad argument: an invalid or over-long id
    /// or text, or a status that is not a `SYNCMGR_PROGRESS_STATUS`.
    pub fn from_raw(
        item: &[u16],
        text: Option<&[u16]>,
        status: u32,
        current_step: u32,
        max_step: u32,
    ) -> Result<Self, DecodeError> {
        Ok(Self {
            item: SyncCenterItemId::from_utf16(item)?,
            text: decode_opt("pszProgressText", text, Some(MAX_SYNCMGR_PROGRESSTEXT))?,
            status: ProgressStatus::try_from(status)?,
            current_step,
            max_step,
        })
    }

    /// The item (`pszItemID`).
    pub const fn item(&self) -> &SyncCenterItemId {
        &self.item
    }

    /// The text (`pszProgressText`), if any.
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }

    /// The status (`nStatus`).
    pub const fn status(&self) -> ProgressStatus {
        self.status
    }

    /// `uCurrentStep`, as reported.
    pub const fn current_step(&self) -> u32 {
        self.current_step
    }

    /// `uMaxStep`, as reported.
    pub const fn max_step(&self) -> u32 {
        self.max_step
    }

    /// True when the steps mean something: every status but
    /// `UPDATING_INDETERMINATE` ([§G.7 #43](crate::protocol#rule-43)).
    pub const fn has_steps(&self) -> bool {
        !matches!(self.status, ProgressStatus::UpdatingIndeterminate)
    }
}

impl ProgressItem for SyncCenterProgress {
    fn phase(&self) -> Option<ItemPhase> {
        Some(self.status.phase())
    }

    fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }

    fn completed(&self) -> Option<u64> {
        self.has_steps().then_some(u64::from(self.current_step))
    }

    fn total(&self) -> Option<u64> {
        self.has_steps().then_some(u64::from(self.max_step))
    }
}

/// One `ISyncMgrSyncCallback::ReportEvent` call.
///
/// `name` and `description` are required (non-NULL); the item, link and
/// context are optional. `nFlags` must be `SYNCMGR_EF_NONE` ([§G.7 #49](crate::protocol#rule-49)), so
/// the field is typed [`EventFlags`], whose only value is empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncCenterEvent {
    /// `pszItemID`: the item the event is about, or `None` for the handler.
    pub item: Option<SyncCenterItemId>,
    /// `nLevel`.
    pub level: EventLevel,
    /// `nFlags` (always empty).
    pub flags: EventFlags,
    /// `pszName`.
    pub name: String,
    /// `pszDescription`.
    pub description: String,
    /// `pszLinkText`.
    pub link_text: Option<String>,
    /// `pszLinkReference`.
    pub link_reference: Option<String>,
    /// `pszContext`.
    pub context: Option<String>,
}

impl SyncCenterEvent {
    /// An event with a level, name and description, about the handler.
    pub fn new(level: EventLevel, name: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            item: None,
            level,
            flags: EventFlags::NONE,
            name: name.into(),
            description: description.into(),
            link_text: None,
            link_reference: None,
            context: None,
        }
    }

    /// The event, about `item`.
    #[must_use]
    pub fn about(mut self, item: SyncCenterItemId) -> Self {
        self.item = Some(item);
        self
    }

    /// Decode the raw arguments of `ReportEvent` (strings without their NUL,
    /// `None` for NULL).
    ///
    /// # Errors
    ///
    /// [`DecodeError::MissingField`] for a NULL name or description,
    /// [`DecodeError::UnknownValue`] for a bad level,
    /// [`DecodeError::UnknownBits`] for any flag, and text errors.
    #[allow(clippy::too_many_arguments)]
    pub fn from_raw(
        item: Option<&[u16]>,
        level: u32,
        flags: u32,
        name: Option<&[u16]>,
        description: Option<&[u16]>,
        link_text: Option<&[u16]>,
        link_reference: Option<&[u16]>,
        context: Option<&[u16]>,
    ) -> Result<Self, DecodeError> {
        let required = |field, units: Option<&[u16]>| {
            decode_opt(field, units, None)?.ok_or(DecodeError::MissingField { field })
        };
        Ok(Self {
            item: item
                .filter(|u| !u.is_empty())
                .map(SyncCenterItemId::from_utf16)
                .transpose()?,
            level: EventLevel::try_from(level)?,
            flags: EventFlags::decode(flags)?,
            name: required("pszName", name)?,
            description: required("pszDescription", description)?,
            link_text: decode_opt("pszLinkText", link_text, None)?,
            link_reference: decode_opt("pszLinkReference", link_reference, None)?,
            context: decode_opt("pszContext", context, None)?,
        })
    }
}

/// An item a Sync Center handler offers (the essentials of
/// `ISyncMgrSyncItem`): its id, display name, capabilities and policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncCenterItem {
    id: SyncCenterItemId,
    name: String,
    /// `GetCapabilities`.
    pub capabilities: ItemCapabilities,
    /// `GetPolicies`.
    pub policies: ItemPolicies,
}

impl SyncCenterItem {
    /// An item with no capabilities or policies.
    ///
    /// # Errors
    ///
    /// [`DecodeError::TextTooLong`] for a name over 127 UTF-16 units
    /// (`MAX_SYNCMGR_NAME`), [`DecodeError::InteriorNul`].
    pub fn new(id: SyncCenterItemId, name: impl Into<String>) -> Result<Self, DecodeError> {
        Ok(Self {
            id,
            name: checked("pszName", name.into(), MAX_SYNCMGR_NAME)?,
            capabilities: ItemCapabilities::empty(),
            policies: ItemPolicies::empty(),
        })
    }

    /// `GetItemID`.
    pub const fn id(&self) -> &SyncCenterItemId {
        &self.id
    }

    /// `GetName`.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// What a Sync Center handler says about itself (the essentials of
/// `ISyncMgrHandlerInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncCenterHandlerInfo {
    /// `GetType`.
    pub handler_type: HandlerType,
    /// `GetTypeLabel`.
    pub type_label: Option<String>,
    /// `GetComment`.
    pub comment: Option<String>,
}
