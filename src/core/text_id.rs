//! [`SyncCenterItemId`]: the string item id of the core's [`ItemKey`](crate::ItemKey)
//! (Sync Center names items by string), and its GUID mapping.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

use crate::core::decode::{DecodeError, check_text_limit, utf16_to_string};
use crate::{Guid, ItemId};

/// `MAX_SYNCMGR_ID`: an item or handler id is at most 64 UTF-16 units,
/// including the terminating NUL ([§G.7 #40](crate::protocol#rule-40)).
pub const MAX_SYNCMGR_ID: usize = 64;
/// The namespace of the name-based ids [`SyncCenterItemId::to_item_id`]
/// derives for ids that are not GUIDs (a fixed, random UUID of this crate).
const ITEM_ID_NAMESPACE: Uuid = Uuid::from_u128(0x5d0c_1f2e_8a47_4b39_9e61_a3c4_7f20_b815);

/// A Sync Center item id (`LPCWSTR pszItemID`): non-empty text of at most 63
/// UTF-16 units (64 with the NUL, `MAX_SYNCMGR_ID`), without a NUL inside.
///
/// SyncMgr names items by GUID ([`ItemId`]); Sync Center by string. The two
/// map onto each other without a table, so adapters between the generations
/// need no shared state:
/// - a GUID becomes its registry text, `{6295DF27-35EE-11D1-8707-00C04FD93327}`
///   (38 units, always within the limit): [`SyncCenterItemId::from_item_id`];
/// - a string that is a GUID in exactly that registry form (upper case, with
///   braces) maps back to that GUID, and any other string — other spellings
///   of a GUID included, so that distinct ids never share a GUID — to a
///   name-based (version 5) UUID of its text:
///   [`SyncCenterItemId::to_item_id`]. The round trip GUID → string → GUID is
///   exact; string → GUID → string is exact only for registry-form strings
///   (the lossy corner: a name-based GUID does not give its name back).
///
/// ```
/// use syncmgr::ItemId;
/// use syncmgr::sync_center::SyncCenterItemId;
///
/// let id = SyncCenterItemId::new("inbox")?;
/// assert_eq!(id.as_str(), "inbox");
/// assert_eq!(id.to_item_id(), SyncCenterItemId::new("inbox")?.to_item_id());
///
/// let guid = ItemId::from_u128(0x6295DF27_35EE_11D1_8707_00C04FD93327);
/// assert_eq!(SyncCenterItemId::from_item_id(guid).to_item_id(), guid);
///
/// assert!(SyncCenterItemId::new("").is_err());
/// assert!(SyncCenterItemId::new("x".repeat(64)).is_err());
/// # Ok::<(), syncmgr::DecodeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(transparent)
)]
pub struct SyncCenterItemId(String);

impl SyncCenterItemId {
    const FIELD: &'static str = "pszItemID";

    /// Validate `id`.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Empty`], [`DecodeError::InteriorNul`] or
    /// [`DecodeError::TextTooLong`] (over 63 units).
    pub fn new(id: impl Into<String>) -> Result<Self, DecodeError> {
        let id = id.into();
        if id.is_empty() {
            return Err(DecodeError::Empty { field: Self::FIELD });
        }
        check_text_limit(Self::FIELD, &id, MAX_SYNCMGR_ID)?;
        Ok(Self(id))
    }

    /// Decode UTF-16 units (without the terminating NUL).
    ///
    /// # Errors
    ///
    /// As [`SyncCenterItemId::new`], plus [`DecodeError::InvalidUtf16`].
    pub fn from_utf16(units: &[u16]) -> Result<Self, DecodeError> {
        Self::new(utf16_to_string(Self::FIELD, units)?)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as UTF-16 with a terminating NUL, ready for an `LPCWSTR`.
    pub fn to_utf16z(&self) -> Vec<u16> {
        self.0.encode_utf16().chain([0]).collect()
    }

    /// The Sync Center id of a SyncMgr item: its GUID in registry form.
    pub fn from_item_id(id: ItemId) -> Self {
        Self(id.to_string())
    }

    /// The SyncMgr id of this item: the GUID it spells in registry form, or
    /// else a name-based (version 5) UUID of its text.
    pub fn to_item_id(&self) -> ItemId {
        // Only the exact registry form that `from_item_id` writes reads back
        // as its GUID: another spelling of the same GUID (lower case, no
        // braces) is a different Sync Center id and must map elsewhere.
        match Guid::from_str(&self.0) {
            Ok(guid) if guid.to_string() == self.0 => ItemId::from_guid(guid),
            _ => ItemId::new(Uuid::new_v5(&ITEM_ID_NAMESPACE, self.0.as_bytes())),
        }
    }
}

impl fmt::Display for SyncCenterItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for SyncCenterItemId {
    type Err = DecodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<&str> for SyncCenterItemId {
    type Error = DecodeError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

impl From<ItemId> for SyncCenterItemId {
    fn from(id: ItemId) -> Self {
        Self::from_item_id(id)
    }
}
