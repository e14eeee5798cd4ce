//! GUIDs and the two GUID-typed identifiers of mobsync.h: `SYNCMGRITEMID`
//! and `SYNCMGRERRORID` ([the specification](crate::protocol#syncmgr), §A.3).
//!
//! # GUID fields and `Uuid`
//!
//! A Windows `GUID` is four fields: `Data1: u32`, `Data2: u16`,
//! `Data3: u16`, `Data4: [u8; 8]`. Its registry form
//! `{6295DF27-35EE-11D1-8707-00C04FD93327}` prints them in order:
//!
//! | hex digits | field |
//! |---|---|
//! | first 8 (`6295DF27`) | `data1` |
//! | next 4 (`35EE`) | `data2` |
//! | next 4 (`11D1`) | `data3` |
//! | last 16 (`8707` `00C04FD93327`) | `data4[0..8]`, byte by byte |
//!
//! [`uuid::Uuid`] reads the same text the same way, so the mapping is
//! lossless in both directions: [`Guid::to_uuid`] is
//! [`Uuid::from_fields`]`(data1, data2, data3, &data4)` and
//! [`Guid::from_uuid`] is [`Uuid::as_fields`]. [`Guid::from_u128`] uses the
//! convention of [`Uuid::from_u128`]: the integer
//! `0x6295DF27_35EE_11D1_8707_00C04FD93327` *is*
//! `{6295DF27-35EE-11D1-8707-00C04FD93327}`.
//!
//! # In-memory form
//!
//! A `GUID` in memory on x86/x64 (and in any little-endian COM marshalling)
//! stores `Data1`, `Data2` and `Data3` **little-endian**, followed by the
//! eight `Data4` bytes unchanged. [`Guid::to_bytes_le`] and
//! [`Guid::from_bytes_le`] produce and read that layout; they agree with
//! [`Uuid::to_bytes_le`] and [`Uuid::from_bytes_le`]. The registry text,
//! by contrast, is "big-endian": never copy the 16 memory bytes of a GUID
//! into [`Uuid::from_bytes`].
//!
//! ```
//! use syncmgr::Guid;
//!
//! let clsid: Guid = "{6295DF27-35EE-11D1-8707-00C04FD93327}".parse().unwrap();
//! assert_eq!(clsid, Guid::CLSID_SYNCMGR);
//! assert_eq!(clsid.data1, 0x6295_DF27);
//! assert_eq!(clsid.to_bytes_le()[..4], [0x27, 0xDF, 0x95, 0x62]);
//! ```

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// A Windows `GUID` (also `IID`, `CLSID`, `REFGUID`), with the Windows
/// field layout.
///
/// The mapping to [`Uuid`] is lossless: the registry text
/// `{6295DF27-35EE-11D1-8707-00C04FD93327}` has `data1 = 0x6295DF27`,
/// `data2 = 0x35EE`, `data3 = 0x11D1` and `data4 = [0x87, 0x07, 0x00, 0xC0,
/// 0x4F, 0xD9, 0x33, 0x27]`, exactly the fields of
/// [`Uuid::from_fields`]/[`Uuid::as_fields`] for the same text. In memory on
/// x86/x64 the first three fields are little-endian
/// ([`to_bytes_le`](Self::to_bytes_le)), unlike the text.
///
/// ```
/// use syncmgr::Guid;
/// use uuid::Uuid;
///
/// let text = "{6295DF27-35EE-11D1-8707-00C04FD93327}";
/// let guid: Guid = text.parse().unwrap();
/// assert_eq!(guid.to_string(), text);
/// assert_eq!(guid.to_uuid(), Uuid::from_u128(0x6295DF27_35EE_11D1_8707_00C04FD93327));
/// assert_eq!(guid.to_bytes_le()[..4], [0x27, 0xDF, 0x95, 0x62]);
/// ```
///
/// Ordering compares `data1`, then `data2`, `data3` and `data4`, which is
/// the order of the registry text and of [`Uuid`]'s ordering.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Guid {
    /// `Data1`: the first 8 hex digits.
    pub data1: u32,
    /// `Data2`: the next 4 hex digits.
    pub data2: u16,
    /// `Data3`: the next 4 hex digits.
    pub data3: u16,
    /// `Data4`: the last 16 hex digits, one byte per pair, in text order.
    pub data4: [u8; 8],
}

impl Guid {
    /// `GUID_NULL`: `{00000000-0000-0000-0000-000000000000}`.
    pub const NULL: Self = Self::from_u128(0);

    /// `CLSID_SyncMgr` (coclass `SyncMgr`):
    /// `{6295DF27-35EE-11D1-8707-00C04FD93327}`.
    pub const CLSID_SYNCMGR: Self = Self::from_u128(0x6295DF27_35EE_11D1_8707_00C04FD93327);
    /// `IID_ISyncMgrSynchronize`: `{6295DF40-35EE-11D1-8707-00C04FD93327}`.
    pub const IID_ISYNCMGRSYNCHRONIZE: Self =
        Self::from_u128(0x6295DF40_35EE_11D1_8707_00C04FD93327);
    /// `IID_ISyncMgrSynchronizeCallback`:
    /// `{6295DF41-35EE-11D1-8707-00C04FD93327}`.
    pub const IID_ISYNCMGRSYNCHRONIZECALLBACK: Self =
        Self::from_u128(0x6295DF41_35EE_11D1_8707_00C04FD93327);
    /// `IID_ISyncMgrRegister`: `{6295DF42-35EE-11D1-8707-00C04FD93327}`.
    pub const IID_ISYNCMGRREGISTER: Self = Self::from_u128(0x6295DF42_35EE_11D1_8707_00C04FD93327);
    /// `IID_ISyncMgrEnumItems`: `{6295DF2A-35EE-11D1-8707-00C04FD93327}`.
    pub const IID_ISYNCMGRENUMITEMS: Self = Self::from_u128(0x6295DF2A_35EE_11D1_8707_00C04FD93327);
    /// `IID_ISyncMgrSynchronizeInvoke`:
    /// `{6295DF2C-35EE-11D1-8707-00C04FD93327}`.
    pub const IID_ISYNCMGRSYNCHRONIZEINVOKE: Self =
        Self::from_u128(0x6295DF2C_35EE_11D1_8707_00C04FD93327);

    /// The GUID whose registry text is the 32 hex digits of `value`, as
    /// [`Uuid::from_u128`] reads it.
    pub const fn from_u128(value: u128) -> Self {
        Self {
            data1: (value >> 96) as u32,
            data2: (value >> 80) as u16,
            data3: (value >> 64) as u16,
            data4: (value as u64).to_be_bytes(),
        }
    }

    /// The inverse of [`Guid::from_u128`].
    pub const fn to_u128(self) -> u128 {
        ((self.data1 as u128) << 96)
            | ((self.data2 as u128) << 80)
            | ((self.data3 as u128) << 64)
            | (u64::from_be_bytes(self.data4) as u128)
    }

    /// The GUID with the fields of `uuid` ([`Uuid::as_fields`]).
    pub fn from_uuid(uuid: Uuid) -> Self {
        let (data1, data2, data3, data4) = uuid.as_fields();
        Self {
            data1,
            data2,
            data3,
            data4: *data4,
        }
    }

    /// The [`Uuid`] with these fields ([`Uuid::from_fields`]).
    pub const fn to_uuid(self) -> Uuid {
        Uuid::from_fields(self.data1, self.data2, self.data3, &self.data4)
    }

    /// The 16 bytes of this GUID as it sits in memory on x86/x64:
    /// `data1`, `data2`, `data3` little-endian, then `data4`.
    pub const fn to_bytes_le(self) -> [u8; 16] {
        let d1 = self.data1.to_le_bytes();
        let d2 = self.data2.to_le_bytes();
        let d3 = self.data3.to_le_bytes();
        let d4 = self.data4;
        [
            d1[0], d1[1], d1[2], d1[3], d2[0], d2[1], d3[0], d3[1], d4[0], d4[1], d4[2], d4[3],
            d4[4], d4[5], d4[6], d4[7],
        ]
    }

    /// Read the in-memory layout written by [`Guid::to_bytes_le`].
    pub const fn from_bytes_le(b: [u8; 16]) -> Self {
        Self {
            data1: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            data2: u16::from_le_bytes([b[4], b[5]]),
            data3: u16::from_le_bytes([b[6], b[7]]),
            data4: [b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]],
        }
    }

    /// True for `GUID_NULL`.
    pub const fn is_null(self) -> bool {
        self.to_u128() == 0
    }
}

impl From<Uuid> for Guid {
    fn from(uuid: Uuid) -> Self {
        Self::from_uuid(uuid)
    }
}

impl From<Guid> for Uuid {
    fn from(guid: Guid) -> Self {
        guid.to_uuid()
    }
}

/// Serializes as its registry form.
#[cfg(feature = "serde")]
impl serde::Serialize for Guid {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Guid {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// Registry form: braces, upper-case hex,
/// `{6295DF27-35EE-11D1-8707-00C04FD93327}`.
impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.data4;
        write!(
            f,
            "{{{:08X}-{:04X}-{:04X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}}}",
            self.data1, self.data2, self.data3, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]
        )
    }
}

/// The same registry form as [`Display`](fmt::Display).
impl fmt::Debug for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A text that is not a GUID in registry form (see [`Guid`]'s `FromStr`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{input:?} is not a GUID: expected XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX, optionally in braces"
)]
pub struct GuidParseError {
    input: String,
}

impl GuidParseError {
    /// The text that failed to parse.
    pub fn input(&self) -> &str {
        &self.input
    }
}

/// Positions of the hyphens in the 36-character hyphenated form.
const HYPHENS: [usize; 4] = [8, 13, 18, 23];

/// Parse `XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX` (no braces) into its
/// 128-bit value, or `None`.
fn parse_hyphenated(text: &str) -> Option<u128> {
    let bytes = text.as_bytes();
    if bytes.len() != 36 {
        return None;
    }
    let mut value: u128 = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if HYPHENS.contains(&i) {
            if b != b'-' {
                return None;
            }
            continue;
        }
        let nibble = char::from(b).to_digit(16)?;
        value = (value << 4) | u128::from(nibble);
    }
    Some(value)
}

/// Parses the registry form with or without braces, in any case:
/// `{6295df27-35ee-11d1-8707-00c04fd93327}` and
/// `6295DF27-35EE-11D1-8707-00C04FD93327` both work. Other forms (no
/// hyphens, `urn:uuid:`, a single brace) are rejected.
impl FromStr for Guid {
    type Err = GuidParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let inner = match s.strip_prefix('{') {
            Some(rest) => rest.strip_suffix('}'),
            None => Some(s),
        };
        inner
            .and_then(parse_hyphenated)
            .map(Self::from_u128)
            .ok_or_else(|| GuidParseError {
                input: s.to_owned(),
            })
    }
}

/// Defines a GUID-typed identifier newtype over [`Uuid`].
macro_rules! guid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(Uuid);

        impl $name {
            /// The all-zero identifier (`GUID_NULL`).
            pub const NULL: Self = Self(Uuid::nil());

            /// Wrap a [`Uuid`].
            pub const fn new(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The identifier whose registry text is the hex digits of
            /// `value` (see [`Guid::from_u128`]).
            pub const fn from_u128(value: u128) -> Self {
                Self(Uuid::from_u128(value))
            }

            /// The identifier as a [`Uuid`].
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }

            /// The identifier with the fields of `guid`.
            pub const fn from_guid(guid: Guid) -> Self {
                Self(guid.to_uuid())
            }

            /// The identifier as a Windows [`Guid`].
            pub fn to_guid(self) -> Guid {
                Guid::from_uuid(self.0)
            }

            /// True for `GUID_NULL`.
            pub const fn is_null(self) -> bool {
                self.0.is_nil()
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<Guid> for $name {
            fn from(guid: Guid) -> Self {
                Self::from_guid(guid)
            }
        }

        impl From<$name> for Guid {
            fn from(id: $name) -> Self {
                id.to_guid()
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        /// Registry form, like [`Guid`]: `{6295DF27-35EE-11D1-8707-00C04FD93327}`.
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.to_guid(), f)
            }
        }

        /// Serializes as its registry form (`{6295DF27-…}`).
        #[cfg(feature = "serde")]
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        #[cfg(feature = "serde")]
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse::<Guid>()
                    .map(Self::from_guid)
                    .map_err(serde::de::Error::custom)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self)
            }
        }
    };
}

guid_id! {
    /// `SYNCMGRITEMID`: the GUID naming one item of a handler (the
    /// `ItemID` of `SYNCMGRITEM`, `Progress`, `SetItemStatus`, ...).
    ItemId
}

guid_id! {
    /// `SYNCMGRERRORID`: the GUID naming one entry logged with `LogError`
    /// and later passed to `ShowError` or `DeleteLogError`.
    ErrorId
}

impl ErrorId {
    /// `GUID_NULL` as an error ID: `DeleteLogError(GUID_NULL)` deletes every
    /// entry of the handler. Real entries therefore never use it ([rule
    /// 32](crate::protocol#rule-32)).
    pub const ALL: ErrorId = Self::NULL;
}

/// A GUID unique within this process and, with overwhelming likelihood,
/// between processes: a per-process base (start time and process id) in the
/// high half and a counter in the low half. Never `GUID_NULL`. Used for the
/// fresh ids hosts hand out (Sync Center event ids, adapter error ids)
/// without a random-number dependency.
pub(crate) fn fresh_guid() -> Guid {
    use crate::sync::{AtomicU64, OnceLock, Ordering};
    use std::time::{SystemTime, UNIX_EPOCH};
    crate::sync::static_item! {
        static BASE: OnceLock<u64> = OnceLock::new();
    }
    crate::sync::static_item! {
        static COUNTER: AtomicU64 = AtomicU64::new(1);
    }
    let base = *BASE.get_or_init(|| {
        // Miri's isolation has no wall clock; the counter alone keeps the
        // ids unique within the process there.
        let now = if cfg!(miri) {
            UNIX_EPOCH
        } else {
            SystemTime::now()
        };
        let nanos = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        u64::try_from(nanos & u128::from(u64::MAX)).unwrap_or(0)
            ^ (u64::from(std::process::id()) << 32)
    });
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    Guid::from_u128((u128::from(base) << 64) | u128::from(count))
}

/// The item a record is about, in the vocabulary of the generation that named
/// it: a SyncMgr GUID or a Sync Center string id.
///
/// [`Violation`](crate::Violation)s and other records that every generation's
/// host produces carry an `ItemKey`, so each host names items the way its
/// handler does.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ItemKey {
    /// A SyncMgr item (`REFSYNCMGRITEMID`).
    Guid(ItemId),
    /// A Sync Center item (`LPCWSTR pszItemID`).
    Text(crate::core::text_id::SyncCenterItemId),
}

impl From<ItemId> for ItemKey {
    fn from(id: ItemId) -> Self {
        Self::Guid(id)
    }
}

impl From<crate::core::text_id::SyncCenterItemId> for ItemKey {
    fn from(id: crate::core::text_id::SyncCenterItemId) -> Self {
        Self::Text(id)
    }
}

impl PartialEq<ItemId> for ItemKey {
    fn eq(&self, other: &ItemId) -> bool {
        matches!(self, Self::Guid(id) if id == other)
    }
}

impl fmt::Display for ItemKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Guid(id) => fmt::Display::fmt(id, f),
            Self::Text(id) => write!(f, "\"{id}\""),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_rejects_near_misses() {
        for bad in [
            "",
            "{}",
            "{6295DF27-35EE-11D1-8707-00C04FD93327",
            "6295DF27-35EE-11D1-8707-00C04FD93327}",
            "6295DF2735EE11D1870700C04FD93327",
            "6295DF27-35EE-11D1-8707-00C04FD9332G",
            "6295DF27-35EE-11D1-8707+00C04FD93327",
            "+295DF27-35EE-11D1-8707-00C04FD93327",
            "{{6295DF27-35EE-11D1-8707-00C04FD93327}}",
            "6295DF27-35EE-11D1-8707-00C04FD93327é",
        ] {
            let err = bad.parse::<Guid>().unwrap_err();
            assert_eq!(err.input(), bad);
        }
    }

    #[test]
    fn u128_fields_and_uuid_agree() {
        let g = Guid::CLSID_SYNCMGR;
        assert_eq!(g.data1, 0x6295_DF27);
        assert_eq!(g.data2, 0x35EE);
        assert_eq!(g.data3, 0x11D1);
        assert_eq!(g.data4, [0x87, 0x07, 0x00, 0xC0, 0x4F, 0xD9, 0x33, 0x27]);
        assert_eq!(g.to_uuid().as_u128(), g.to_u128());
        assert_eq!(g.to_bytes_le(), g.to_uuid().to_bytes_le());
    }

    #[test]
    fn ids_display_and_debug() {
        let id = ItemId::from_u128(0x6295DF27_35EE_11D1_8707_00C04FD93327);
        assert_eq!(id.to_string(), "{6295DF27-35EE-11D1-8707-00C04FD93327}");
        assert_eq!(
            format!("{id:?}"),
            "ItemId({6295DF27-35EE-11D1-8707-00C04FD93327})"
        );
        assert!(ErrorId::ALL.is_null());
    }
}
