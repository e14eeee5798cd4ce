//! The mobsync.h structures a handler hands to SyncMgr: `SYNCMGRITEM`,
//! `SYNCMGRHANDLERINFO` and `SYNCMGRLOGERRORINFO` ([the specification](crate::protocol#syncmgr), §A.5),
//! plus their name limits and `cbSize` values.
//!
//! Each structure comes in two forms:
//!
//! - a **typed** record ([`SyncItem`], [`HandlerInfo`], [`LogErrorInfo`])
//!   that cannot hold an invalid value: names fit their `WCHAR` buffers,
//!   flags are within the SDK masks, optional fields are `Option`s;
//! - a **raw** record ([`RawSyncItem`], [`RawHandlerInfo`],
//!   [`RawLogErrorInfo`]) with the plain numbers and buffers of the C
//!   structure, for the FFI edge to copy from and to. It leaves out `cbSize`
//!   and `hIcon` (checked and handled at that edge) and is not `repr(C)`.
//!
//! Raw to typed is strict (`TryFrom<&Raw…>`, a [`DecodeError`] naming the
//! field); typed to raw (`to_raw`) always succeeds. A field whose mask or
//! flag bit is clear is *ignored* on decoding and written as zero.
//!
//! # Invariants
//!
//! - [`SyncItem::flags`] contains [`ItemFlags::LAST_UPDATE_TIME`] exactly
//!   when [`SyncItem::last_update`] is `Some`.
//! - [`LogErrorInfo::mask`] is derived from which fields are present, so it
//!   can never disagree with them.
//!
//! ```
//! use syncmgr::{FileTime, ItemFlags, ItemId, ItemState, SyncItem};
//!
//! let item = SyncItem::new(ItemId::from_u128(1), "Offline files")
//!     .unwrap()
//!     .with_state(ItemState::Checked)
//!     .with_last_update(FileTime(133_000_000_000_000_000));
//! assert!(item.flags().contains(ItemFlags::LAST_UPDATE_TIME));
//! let raw = item.to_raw();
//! assert_eq!(SyncItem::try_from(&raw).unwrap(), item);
//! ```

use std::time::{Duration, SystemTime};

use crate::core::decode::{DecodeError, check_text_limit, utf16z_buffer_to_string};
use crate::core::ids::{ErrorId, Guid, ItemId};
use crate::sync_mgr::flags::{ErrorFlags, HandlerFlags, ItemFlags, ItemState, LogErrorMask};

/// `MAX_SYNCMGRITEMNAME` (128): the length of `SYNCMGRITEM.wszItemName` in
/// UTF-16 units, **including** the terminating NUL, so a name has at most
/// 127 units.
pub const MAX_SYNCMGRITEMNAME: usize = 128;

/// `MAX_SYNCMGRHANDLERNAME` (32): the length of
/// `SYNCMGRHANDLERINFO.wszHandlerName` in UTF-16 units, **including** the
/// terminating NUL, so a name has at most 31 units.
pub const MAX_SYNCMGRHANDLERNAME: usize = 32;

/// Field name used in errors about `SYNCMGRITEM.wszItemName`.
const ITEM_NAME_FIELD: &str = "SYNCMGRITEM.wszItemName";
/// Field name used in errors about `SYNCMGRHANDLERINFO.wszHandlerName`.
const HANDLER_NAME_FIELD: &str = "SYNCMGRHANDLERINFO.wszHandlerName";

/// The `sizeof` of a mobsync.h structure on each architecture, the value its
/// `cbSize` field must carry ([the specification](crate::protocol#syncmgr), measured).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StructSize {
    /// `sizeof` with 32-bit pointers (x86).
    pub x86: u32,
    /// `sizeof` with 64-bit pointers (x64).
    pub x64: u32,
}

impl StructSize {
    /// The size for the pointer width this crate is compiled for: `x64`
    /// when pointers are 64-bit, `x86` otherwise.
    pub const fn current(&self) -> u32 {
        if cfg!(target_pointer_width = "64") {
            self.x64
        } else {
            self.x86
        }
    }

    /// True when `cb_size` is exactly [`StructSize::current`].
    pub const fn accepts(&self, cb_size: u32) -> bool {
        cb_size == self.current()
    }
}

/// `sizeof(SYNCMGRPROGRESSITEM)`: 24 on x86, 32 on x64.
pub const SIZE_SYNCMGRPROGRESSITEM: StructSize = StructSize { x86: 24, x64: 32 };
/// `sizeof(SYNCMGRLOGERRORINFO)`: 44 on both.
pub const SIZE_SYNCMGRLOGERRORINFO: StructSize = StructSize { x86: 44, x64: 44 };
/// `sizeof(SYNCMGRITEM)`: 296 on x86, 304 on x64.
pub const SIZE_SYNCMGRITEM: StructSize = StructSize { x86: 296, x64: 304 };
/// `sizeof(SYNCMGRHANDLERINFO)`: 76 on x86, 88 on x64.
pub const SIZE_SYNCMGRHANDLERINFO: StructSize = StructSize { x86: 76, x64: 88 };

/// A Windows `FILETIME`: 100-nanosecond ticks since 1601-01-01 00:00 UTC,
/// as one `u64` (`dwHighDateTime << 32 | dwLowDateTime`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileTime(pub u64);

impl FileTime {
    /// 1970-01-01 00:00 UTC (the Unix epoch) as a `FILETIME`.
    pub const UNIX_EPOCH: Self = Self(116_444_736_000_000_000);

    /// Ticks per second.
    const TICKS_PER_SEC: u64 = 10_000_000;
    /// Nanoseconds per tick.
    const NANOS_PER_TICK: u128 = 100;

    /// The time from the two `DWORD` halves of the C structure.
    pub const fn from_parts(low: u32, high: u32) -> Self {
        Self(((high as u64) << 32) | low as u64)
    }

    /// `dwLowDateTime`.
    pub const fn low(self) -> u32 {
        self.0 as u32
    }

    /// `dwHighDateTime`.
    pub const fn high(self) -> u32 {
        (self.0 >> 32) as u32
    }

    /// The same instant as a [`SystemTime`], or `None` when the platform's
    /// `SystemTime` cannot represent it.
    pub fn to_system_time(self) -> Option<SystemTime> {
        let epoch = Self::UNIX_EPOCH.0;
        if self.0 >= epoch {
            SystemTime::UNIX_EPOCH.checked_add(Self::ticks_to_duration(self.0 - epoch))
        } else {
            SystemTime::UNIX_EPOCH.checked_sub(Self::ticks_to_duration(epoch - self.0))
        }
    }

    /// The tick at or just before `time` (sub-tick precision is truncated
    /// towards the past), or `None` when `time` is before 1601 or beyond
    /// the `u64` range (about year 60056).
    pub fn from_system_time(time: SystemTime) -> Option<Self> {
        let epoch = u128::from(Self::UNIX_EPOCH.0);
        let ticks = match time.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(after) => epoch.checked_add(after.as_nanos() / Self::NANOS_PER_TICK)?,
            Err(before) => {
                let nanos = before.duration().as_nanos();
                epoch.checked_sub(nanos.div_ceil(Self::NANOS_PER_TICK))?
            }
        };
        u64::try_from(ticks).ok().map(Self)
    }

    /// A tick count as a [`Duration`] (cannot overflow: `u64` ticks are far
    /// below `Duration`'s range).
    fn ticks_to_duration(ticks: u64) -> Duration {
        let nanos = (ticks % Self::TICKS_PER_SEC) * 100;
        // `nanos < 1_000_000_000`, so the conversion never saturates.
        Duration::new(
            ticks / Self::TICKS_PER_SEC,
            u32::try_from(nanos).unwrap_or(0),
        )
    }
}

/// Copy a validated name into a zero-filled `WCHAR[N]` buffer, leaving at
/// least one terminating NUL. Never panics: excess units are dropped (the
/// typed records guarantee there are none).
fn name_to_buffer<const N: usize>(name: &str) -> [u16; N] {
    let mut buffer = [0u16; N];
    for (slot, unit) in buffer
        .iter_mut()
        .zip(name.encode_utf16().take(N.saturating_sub(1)))
    {
        *slot = unit;
    }
    buffer
}

/// `SYNCMGRITEM` without `cbSize` and `hIcon`: one item a handler returns
/// from `ISyncMgrEnumItems::Next`.
///
/// # Invariants
///
/// The name fits [`MAX_SYNCMGRITEMNAME`] (at most 127 UTF-16 units, no NUL),
/// and [`flags`](Self::flags) contains [`ItemFlags::LAST_UPDATE_TIME`]
/// exactly when [`last_update`](Self::last_update) is `Some`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncItem {
    id: ItemId,
    flags: ItemFlags,
    state: ItemState,
    name: String,
    last_update: Option<FileTime>,
}

impl SyncItem {
    /// An item with no flags, [`ItemState::Unchecked`] and no last update
    /// time.
    ///
    /// # Errors
    ///
    /// [`DecodeError::TextTooLong`] if `name` is over 127 UTF-16 units, and
    /// [`DecodeError::InteriorNul`] if it contains a NUL (field
    /// `SYNCMGRITEM.wszItemName`).
    pub fn new(id: ItemId, name: impl Into<String>) -> Result<Self, DecodeError> {
        let name = name.into();
        check_text_limit(ITEM_NAME_FIELD, &name, MAX_SYNCMGRITEMNAME)?;
        Ok(Self {
            id,
            flags: ItemFlags::empty(),
            state: ItemState::Unchecked,
            name,
            last_update: None,
        })
    }

    /// Replace the flags. [`ItemFlags::LAST_UPDATE_TIME`] is not taken from
    /// `flags`: it stays set exactly when a last update time is present (use
    /// [`with_last_update`](Self::with_last_update) and
    /// [`without_last_update`](Self::without_last_update) to change it).
    pub fn with_flags(mut self, flags: ItemFlags) -> Self {
        self.flags = flags.difference(ItemFlags::LAST_UPDATE_TIME);
        self.flags
            .set(ItemFlags::LAST_UPDATE_TIME, self.last_update.is_some());
        self
    }

    /// Replace the check state.
    pub fn with_state(mut self, state: ItemState) -> Self {
        self.state = state;
        self
    }

    /// Set the last update time; this also sets
    /// [`ItemFlags::LAST_UPDATE_TIME`].
    pub fn with_last_update(mut self, time: FileTime) -> Self {
        self.last_update = Some(time);
        self.flags.insert(ItemFlags::LAST_UPDATE_TIME);
        self
    }

    /// Remove the last update time; this also clears
    /// [`ItemFlags::LAST_UPDATE_TIME`].
    pub fn without_last_update(mut self) -> Self {
        self.last_update = None;
        self.flags.remove(ItemFlags::LAST_UPDATE_TIME);
        self
    }

    /// `ItemID`.
    pub fn id(&self) -> ItemId {
        self.id
    }

    /// `dwFlags`.
    pub fn flags(&self) -> ItemFlags {
        self.flags
    }

    /// `dwItemState`.
    pub fn state(&self) -> ItemState {
        self.state
    }

    /// `wszItemName`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `ftLastUpdate`, present exactly when `SYNCMGRITEM_LASTUPDATETIME` is
    /// set.
    pub fn last_update(&self) -> Option<FileTime> {
        self.last_update
    }

    /// The raw form. `last_update` is zero when absent; the name buffer is
    /// NUL-filled after the name.
    pub fn to_raw(&self) -> RawSyncItem {
        RawSyncItem {
            flags: self.flags.bits(),
            item_id: self.id.to_guid(),
            item_state: self.state.as_u32(),
            item_name: name_to_buffer(&self.name),
            last_update: self.last_update.unwrap_or_default(),
        }
    }
}

/// The fields of a C `SYNCMGRITEM` other than `cbSize` and `hIcon`, as plain
/// values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawSyncItem {
    /// `dwFlags` (`SYNCMGRITEMFLAGS`).
    pub flags: u32,
    /// `ItemID`.
    pub item_id: Guid,
    /// `dwItemState` (`SYNCMGRITEMSTATE`).
    pub item_state: u32,
    /// `wszItemName`: NUL-terminated within its 128 units.
    pub item_name: [u16; MAX_SYNCMGRITEMNAME],
    /// `ftLastUpdate`: meaningful only with `SYNCMGRITEM_LASTUPDATETIME`.
    pub last_update: FileTime,
}

/// All zero: no flags, `GUID_NULL`, unchecked, empty name.
impl Default for RawSyncItem {
    fn default() -> Self {
        Self {
            flags: 0,
            item_id: Guid::NULL,
            item_state: 0,
            item_name: [0; MAX_SYNCMGRITEMNAME],
            last_update: FileTime(0),
        }
    }
}

/// Strict decoding of a raw `SYNCMGRITEM`. `last_update` is read only when
/// `SYNCMGRITEM_LASTUPDATETIME` is set.
///
/// # Errors
///
/// [`DecodeError::UnknownBits`] for flags outside 0x7F,
/// [`DecodeError::UnknownValue`] for a state other than 0 or 1, and
/// [`DecodeError::Unterminated`] or [`DecodeError::InvalidUtf16`] for the
/// name.
impl TryFrom<&RawSyncItem> for SyncItem {
    type Error = DecodeError;

    fn try_from(raw: &RawSyncItem) -> Result<Self, Self::Error> {
        let flags = ItemFlags::decode(raw.flags)?;
        let state = ItemState::try_from(raw.item_state)?;
        let name = utf16z_buffer_to_string(ITEM_NAME_FIELD, &raw.item_name)?;
        let last_update = flags
            .contains(ItemFlags::LAST_UPDATE_TIME)
            .then_some(raw.last_update);
        Ok(Self {
            id: ItemId::from_guid(raw.item_id),
            flags,
            state,
            name,
            last_update,
        })
    }
}

/// `SYNCMGRHANDLERINFO` without `cbSize` and `hIcon`: what a handler returns
/// from `ISyncMgrSynchronize::GetHandlerInfo`.
///
/// # Invariants
///
/// The name fits [`MAX_SYNCMGRHANDLERNAME`] (at most 31 UTF-16 units, no
/// NUL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerInfo {
    flags: HandlerFlags,
    name: String,
}

impl HandlerInfo {
    /// A handler description with no flags.
    ///
    /// # Errors
    ///
    /// [`DecodeError::TextTooLong`] if `name` is over 31 UTF-16 units, and
    /// [`DecodeError::InteriorNul`] if it contains a NUL (field
    /// `SYNCMGRHANDLERINFO.wszHandlerName`).
    pub fn new(name: impl Into<String>) -> Result<Self, DecodeError> {
        let name = name.into();
        check_text_limit(HANDLER_NAME_FIELD, &name, MAX_SYNCMGRHANDLERNAME)?;
        Ok(Self {
            flags: HandlerFlags::empty(),
            name,
        })
    }

    /// Replace the flags.
    pub fn with_flags(mut self, flags: HandlerFlags) -> Self {
        self.flags = flags;
        self
    }

    /// `SyncMgrHandlerFlags`.
    pub fn flags(&self) -> HandlerFlags {
        self.flags
    }

    /// `wszHandlerName`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The raw form; the name buffer is NUL-filled after the name.
    pub fn to_raw(&self) -> RawHandlerInfo {
        RawHandlerInfo {
            flags: self.flags.bits(),
            handler_name: name_to_buffer(&self.name),
        }
    }
}

/// The fields of a C `SYNCMGRHANDLERINFO` other than `cbSize` and `hIcon`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RawHandlerInfo {
    /// `SyncMgrHandlerFlags` (`SYNCMGRHANDLERFLAGS`).
    pub flags: u32,
    /// `wszHandlerName`: NUL-terminated within its 32 units.
    pub handler_name: [u16; MAX_SYNCMGRHANDLERNAME],
}

/// Strict decoding of a raw `SYNCMGRHANDLERINFO`.
///
/// # Errors
///
/// [`DecodeError::UnknownBits`] for flags outside 0x0F, and
/// [`DecodeError::Unterminated`] or [`DecodeError::InvalidUtf16`] for the
/// name.
impl TryFrom<&RawHandlerInfo> for HandlerInfo {
    type Error = DecodeError;

    fn try_from(raw: &RawHandlerInfo) -> Result<Self, Self::Error> {
        Ok(Self {
            flags: HandlerFlags::decode(raw.flags)?,
            name: utf16z_buffer_to_string(HANDLER_NAME_FIELD, &raw.handler_name)?,
        })
    }
}

/// `SYNCMGRLOGERRORINFO` without `cbSize`: the optional details of a
/// `LogError` call. Each field is present or absent as its
/// `SYNCMGRLOGERROR_*` mask bit says; the mask is derived, never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LogErrorInfo {
    error_flags: Option<ErrorFlags>,
    error_id: Option<ErrorId>,
    item_id: Option<ItemId>,
}

impl LogErrorInfo {
    /// No field present (mask 0).
    pub const fn new() -> Self {
        Self {
            error_flags: None,
            error_id: None,
            item_id: None,
        }
    }

    /// Set `dwSyncMgrErrorFlags` (and `SYNCMGRLOGERROR_ERRORFLAGS`).
    pub const fn with_error_flags(mut self, flags: ErrorFlags) -> Self {
        self.error_flags = Some(flags);
        self
    }

    /// Set `ErrorID` (and `SYNCMGRLOGERROR_ERRORID`).
    pub const fn with_error_id(mut self, id: ErrorId) -> Self {
        self.error_id = Some(id);
        self
    }

    /// Set `ItemID` (and `SYNCMGRLOGERROR_ITEMID`).
    pub const fn with_item_id(mut self, id: ItemId) -> Self {
        self.item_id = Some(id);
        self
    }

    /// `dwSyncMgrErrorFlags`, if present.
    pub const fn error_flags(&self) -> Option<ErrorFlags> {
        self.error_flags
    }

    /// `ErrorID`, if present.
    pub const fn error_id(&self) -> Option<ErrorId> {
        self.error_id
    }

    /// `ItemID`, if present.
    pub const fn item_id(&self) -> Option<ItemId> {
        self.item_id
    }

    /// The `mask` a C caller would write: one bit per present field.
    pub const fn mask(&self) -> LogErrorMask {
        let mut bits = 0;
        if self.error_flags.is_some() {
            bits |= LogErrorMask::ERROR_FLAGS.bits();
        }
        if self.error_id.is_some() {
            bits |= LogErrorMask::ERROR_ID.bits();
        }
        if self.item_id.is_some() {
            bits |= LogErrorMask::ITEM_ID.bits();
        }
        LogErrorMask::from_bits_retain(bits)
    }

    /// The error flags are present and contain
    /// `SYNCMGRERRORFLAG_ENABLEJUMPTEXT`.
    pub const fn jump_text_enabled(&self) -> bool {
        match self.error_flags {
            Some(flags) => flags.contains(ErrorFlags::ENABLE_JUMP_TEXT),
            None => false,
        }
    }

    /// The raw form: `mask` from [`mask`](Self::mask), absent fields zero.
    pub fn to_raw(&self) -> RawLogErrorInfo {
        RawLogErrorInfo {
            mask: self.mask().bits(),
            error_flags: self.error_flags.map_or(0, |f| f.bits()),
            error_id: self.error_id.map_or(Guid::NULL, ErrorId::to_guid),
            item_id: self.item_id.map_or(Guid::NULL, ItemId::to_guid),
        }
    }
}

/// The fields of a C `SYNCMGRLOGERRORINFO` other than `cbSize`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RawLogErrorInfo {
    /// `mask` (`SYNCMGRLOGERROR_*`).
    pub mask: u32,
    /// `dwSyncMgrErrorFlags` (`SYNCMGRERRORFLAGS`), valid with
    /// `SYNCMGRLOGERROR_ERRORFLAGS`.
    pub error_flags: u32,
    /// `ErrorID`, valid with `SYNCMGRLOGERROR_ERRORID`.
    pub error_id: Guid,
    /// `ItemID`, valid with `SYNCMGRLOGERROR_ITEMID`.
    pub item_id: Guid,
}

/// Strict decoding of a raw `SYNCMGRLOGERRORINFO`. A field whose mask bit is
/// clear is ignored, whatever it holds.
///
/// # Errors
///
/// [`DecodeError::UnknownBits`] for a mask outside 0x07 (type
/// `SYNCMGRLOGERRORINFO mask`), or, when `SYNCMGRLOGERROR_ERRORFLAGS` is
/// set, for error flags outside 0x01 (type `SYNCMGRERRORFLAGS`).
impl TryFrom<&RawLogErrorInfo> for LogErrorInfo {
    type Error = DecodeError;

    fn try_from(raw: &RawLogErrorInfo) -> Result<Self, Self::Error> {
        let mask = LogErrorMask::decode(raw.mask)?;
        let error_flags = if mask.contains(LogErrorMask::ERROR_FLAGS) {
            Some(ErrorFlags::decode(raw.error_flags)?)
        } else {
            None
        };
        Ok(Self {
            error_flags,
            error_id: mask
                .contains(LogErrorMask::ERROR_ID)
                .then(|| ErrorId::from_guid(raw.error_id)),
            item_id: mask
                .contains(LogErrorMask::ITEM_ID)
                .then(|| ItemId::from_guid(raw.item_id)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filetime_epoch_and_extremes() {
        assert_eq!(
            FileTime::UNIX_EPOCH.to_system_time(),
            Some(SystemTime::UNIX_EPOCH)
        );
        assert_eq!(
            FileTime::from_system_time(SystemTime::UNIX_EPOCH),
            Some(FileTime::UNIX_EPOCH)
        );
        // Windows' SystemTime is FILETIME itself and cannot hold the very
        // top of the range; every value it can hold round-trips.
        for ticks in [0, 1, u64::MAX] {
            match FileTime(ticks).to_system_time() {
                Some(t) => assert_eq!(FileTime::from_system_time(t), Some(FileTime(ticks))),
                None => assert!(cfg!(windows) && ticks == u64::MAX, "{ticks}"),
            }
        }
        let start = FileTime(0).to_system_time().unwrap();
        if let Some(before_1601) = start.checked_sub(Duration::from_nanos(100)) {
            assert_eq!(FileTime::from_system_time(before_1601), None);
        }
    }

    #[test]
    fn whole_ticks_round_trip_on_every_platform() {
        let tick = Duration::from_nanos(100);
        assert_eq!(
            FileTime::from_system_time(SystemTime::UNIX_EPOCH - tick),
            Some(FileTime(FileTime::UNIX_EPOCH.0 - 1))
        );
        assert_eq!(
            FileTime::from_system_time(SystemTime::UNIX_EPOCH + tick),
            Some(FileTime(FileTime::UNIX_EPOCH.0 + 1))
        );
    }

    /// Sub-tick times exist only where `SystemTime` is finer than 100 ns.
    #[cfg(not(windows))]
    #[test]
    fn sub_tick_precision_truncates_towards_the_past() {
        let t = SystemTime::UNIX_EPOCH - Duration::from_nanos(1);
        assert_eq!(
            FileTime::from_system_time(t),
            Some(FileTime(FileTime::UNIX_EPOCH.0 - 1))
        );
        let t = SystemTime::UNIX_EPOCH + Duration::from_nanos(199);
        assert_eq!(
            FileTime::from_system_time(t),
            Some(FileTime(FileTime::UNIX_EPOCH.0 + 1))
        );
    }

    #[test]
    fn filetime_parts() {
        let ft = FileTime::from_parts(0x89AB_CDEF, 0x0123_4567);
        assert_eq!(ft, FileTime(0x0123_4567_89AB_CDEF));
        assert_eq!((ft.low(), ft.high()), (0x89AB_CDEF, 0x0123_4567));
    }

    #[test]
    fn with_flags_keeps_the_last_update_invariant() {
        let item = SyncItem::new(ItemId::NULL, "a").unwrap();
        let item = item.with_flags(ItemFlags::all());
        assert!(!item.flags().contains(ItemFlags::LAST_UPDATE_TIME));
        let item = item
            .with_last_update(FileTime(5))
            .with_flags(ItemFlags::HIDDEN);
        assert_eq!(
            item.flags(),
            ItemFlags::HIDDEN | ItemFlags::LAST_UPDATE_TIME
        );
        let item = item.without_last_update();
        assert_eq!(item.flags(), ItemFlags::HIDDEN);
        assert_eq!(item.last_update(), None);
    }
}
