//! The numeric vocabulary of mobsync.h: the `SYNCMGRFLAG` word passed to
//! `Initialize`, the flag sets and masks of the structures, and the small
//! enumerations ([the specification](crate::protocol#syncmgr), §A.6, §A.7).
//!
//! Every type decodes **strictly** from its raw `u32`: an unknown enum value
//! is [`DecodeError::UnknownValue`], a bit outside the SDK mask is
//! [`DecodeError::UnknownBits`], each naming the Windows type. The masks are
//! the SDK's (`SYNCMGRITEM_ITEMFLAGMASK = 0x7F`,
//! `SYNCMGRHANDLERFLAG_MASK = 0x0F`), not mingw-w64's older ones (§A.9).
//!
//! # Why `SYNCMGRFLAG` is not a bit set
//!
//! The low byte of `dwSyncMgrFlags` (`SYNCMGRFLAG_EVENTMASK = 0xFF`) holds an
//! *event code*, not bits: `SYNCMGRFLAG_MANUAL` is 3, which is numerically
//! `SYNCMGRFLAG_CONNECT | SYNCMGRFLAG_PENDINGDISCONNECT`. A bit set would
//! report a manual sync as "connect and pending disconnect". Only the two
//! modifiers above the low byte (`SYNCMGRFLAG_SETTINGS = 0x100`,
//! `SYNCMGRFLAG_MAYBOTHERUSER = 0x200`) are bits. [`SyncMgrFlags`] therefore
//! splits the word into a [`SyncEvent`] (compared after masking with
//! [`SyncMgrFlags::EVENT_MASK`]) and a [`SyncModifiers`] bit set.
//!
//! ```
//! use syncmgr::{SyncEvent, SyncMgrFlags, SyncModifiers};
//!
//! let flags = SyncMgrFlags::try_from(0x203).unwrap();
//! assert_eq!(flags.event(), SyncEvent::Manual); // not Connect | PendingDisconnect
//! assert!(flags.may_bother_user());
//! assert_eq!(flags.modifiers(), SyncModifiers::MAY_BOTHER_USER);
//!
//! // Initialize treats an unknown event code as MANUAL ([the specification](crate::protocol#rules) #2).
//! assert!(SyncMgrFlags::try_from(0x07).is_err());
//! assert_eq!(SyncMgrFlags::from_u32_lenient(0x07).event(), SyncEvent::Manual);
//! ```

use std::fmt;

use crate::core::decode::DecodeError;
use crate::core::enums::{strict_flags, u32_enum};

u32_enum! {
    /// The event code in the low byte of `SYNCMGRFLAG` (`dwSyncMgrFlags`):
    /// why SyncMgr started this synchronization.
    pub enum SyncEvent: "SYNCMGRFLAG event code" {
        /// `SYNCMGRFLAG_CONNECT` (1): a network connection was made.
        Connect = 1 => ("SYNCMGRFLAG_CONNECT", "connect"),
        /// `SYNCMGRFLAG_PENDINGDISCONNECT` (2): a connection is about to close.
        PendingDisconnect = 2 => ("SYNCMGRFLAG_PENDINGDISCONNECT", "pending disconnect"),
        /// `SYNCMGRFLAG_MANUAL` (3): the user asked for it. Numerically
        /// CONNECT | PENDINGDISCONNECT; it is a code, not a combination.
        Manual = 3 => ("SYNCMGRFLAG_MANUAL", "manual"),
        /// `SYNCMGRFLAG_IDLE` (4): the machine is idle.
        Idle = 4 => ("SYNCMGRFLAG_IDLE", "idle"),
        /// `SYNCMGRFLAG_INVOKE` (5): an application called
        /// `ISyncMgrSynchronizeInvoke::UpdateItems`; only then is the cookie
        /// meaningful.
        Invoke = 5 => ("SYNCMGRFLAG_INVOKE", "invoke"),
        /// `SYNCMGRFLAG_SCHEDULED` (6): a scheduled synchronization.
        Scheduled = 6 => ("SYNCMGRFLAG_SCHEDULED", "scheduled"),
    }
}

strict_flags! {
    /// The modifier bits of `SYNCMGRFLAG`, above the event byte.
    pub struct SyncModifiers: "SYNCMGRFLAG modifiers" {
        /// `SYNCMGRFLAG_SETTINGS` (0x100): started from the settings UI only.
        const SETTINGS = 0x100;
        /// `SYNCMGRFLAG_MAYBOTHERUSER` (0x200): the handler may show UI.
        const MAY_BOTHER_USER = 0x200;
    }
    /// The two modifier bits, 0x300.
    mask = 0x300;
}

/// `SYNCMGRFLAG`, the `dwSyncMgrFlags` argument of
/// `ISyncMgrSynchronize::Initialize`: one [`SyncEvent`] code in the low byte
/// plus [`SyncModifiers`] bits.
///
/// This is not a plain bit set: the low byte (`SYNCMGRFLAG_EVENTMASK`) is a
/// *code*, and `SYNCMGRFLAG_MANUAL` (3) equals
/// `SYNCMGRFLAG_CONNECT | SYNCMGRFLAG_PENDINGDISCONNECT` numerically. The
/// event is compared after masking, never tested bit by bit; only 0x100 and
/// 0x200 are bits.
///
/// ```
/// use syncmgr::{SyncEvent, SyncMgrFlags};
///
/// assert_eq!(SyncMgrFlags::try_from(3).unwrap().event(), SyncEvent::Manual);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SyncMgrFlags {
    event: SyncEvent,
    modifiers: SyncModifiers,
}

impl SyncMgrFlags {
    /// `SYNCMGRFLAG_EVENTMASK` (0xFF): selects the event code.
    pub const EVENT_MASK: u32 = 0xff;

    /// Every bit a valid `SYNCMGRFLAG` word may have: the event byte and the
    /// two modifiers (0x3FF).
    pub const VALID_MASK: u32 = Self::EVENT_MASK | SyncModifiers::MASK;

    /// The flags for `event` with `modifiers`. Bits of `modifiers` outside
    /// [`SyncModifiers::MASK`] (possible through
    /// [`SyncModifiers::from_bits_retain`]) are dropped, so the event byte
    /// always reads back as `event`.
    pub const fn new(event: SyncEvent, modifiers: SyncModifiers) -> Self {
        Self {
            event,
            modifiers: SyncModifiers::from_bits_truncate(modifiers.bits()),
        }
    }

    /// The event code.
    pub const fn event(self) -> SyncEvent {
        self.event
    }

    /// The modifier bits.
    pub const fn modifiers(self) -> SyncModifiers {
        self.modifiers
    }

    /// `SYNCMGRFLAG_MAYBOTHERUSER` is set: the handler may show UI.
    pub const fn may_bother_user(self) -> bool {
        self.modifiers.contains(SyncModifiers::MAY_BOTHER_USER)
    }

    /// `SYNCMGRFLAG_SETTINGS` is set: started from the settings UI only.
    pub const fn settings_only(self) -> bool {
        self.modifiers.contains(SyncModifiers::SETTINGS)
    }

    /// The raw `dwSyncMgrFlags` word.
    pub const fn to_u32(self) -> u32 {
        self.event.as_u32() | self.modifiers.bits()
    }

    /// Lenient decoding, as a handler's `Initialize` is told to read its
    /// argument: an event code outside 1..=6 is treated as
    /// [`SyncEvent::Manual`] ([the specification](crate::protocol#rules) #2, documented), and bits
    /// outside [`Self::VALID_MASK`] are dropped. Never fails.
    pub fn from_u32_lenient(value: u32) -> Self {
        let event = SyncEvent::try_from(value & Self::EVENT_MASK).unwrap_or(SyncEvent::Manual);
        Self::new(event, SyncModifiers::from_bits_truncate(value))
    }
}

/// Strict decoding of a raw `SYNCMGRFLAG` word.
///
/// # Errors
///
/// - [`DecodeError::UnknownBits`] (type `SYNCMGRFLAG`, mask 0x3FF) when a bit
///   outside the event byte and the two modifiers is set; checked first.
/// - [`DecodeError::UnknownValue`] (type `SYNCMGRFLAG event code`) carrying
///   the low byte alone when it is not one of 1..=6.
impl TryFrom<u32> for SyncMgrFlags {
    type Error = DecodeError;

    fn try_from(value: u32) -> Result<Self, Self::Error> {
        let unknown = value & !Self::VALID_MASK;
        if unknown != 0 {
            return Err(DecodeError::UnknownBits {
                type_name: "SYNCMGRFLAG",
                value,
                unknown,
                valid_mask: Self::VALID_MASK,
            });
        }
        let event = SyncEvent::try_from(value & Self::EVENT_MASK)?;
        Ok(Self::new(event, SyncModifiers::from_bits_truncate(value)))
    }
}

impl From<SyncMgrFlags> for u32 {
    fn from(flags: SyncMgrFlags) -> Self {
        flags.to_u32()
    }
}

/// The event in words, then each modifier: `manual, may bother user`.
impl fmt::Display for SyncMgrFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.event)?;
        if self.settings_only() {
            f.write_str(", settings")?;
        }
        if self.may_bother_user() {
            f.write_str(", may bother user")?;
        }
        Ok(())
    }
}

strict_flags! {
    /// `SYNCMGRPROGRESSITEM_*`: the `mask` of `SYNCMGRPROGRESSITEM`, saying
    /// which of its fields are valid.
    pub struct ProgressMask: "SYNCMGRPROGRESSITEM mask" {
        /// `SYNCMGRPROGRESSITEM_STATUSTEXT` (0x1): `lpcStatusText` is valid.
        const STATUS_TEXT = 0x1;
        /// `SYNCMGRPROGRESSITEM_STATUSTYPE` (0x2): `dwStatusType` is valid.
        const STATUS_TYPE = 0x2;
        /// `SYNCMGRPROGRESSITEM_PROGVALUE` (0x4): `iProgValue` is valid.
        const PROG_VALUE = 0x4;
        /// `SYNCMGRPROGRESSITEM_MAXVALUE` (0x8): `iMaxValue` is valid.
        const MAX_VALUE = 0x8;
    }
    /// Every defined bit, 0x0F (the SDK names no mask constant).
    mask = 0x0F;
}

strict_flags! {
    /// `SYNCMGRLOGERROR_*`: the `mask` of `SYNCMGRLOGERRORINFO`, saying which
    /// of its fields are valid.
    pub struct LogErrorMask: "SYNCMGRLOGERRORINFO mask" {
        /// `SYNCMGRLOGERROR_ERRORFLAGS` (0x1): `dwSyncMgrErrorFlags` is valid.
        const ERROR_FLAGS = 0x1;
        /// `SYNCMGRLOGERROR_ERRORID` (0x2): `ErrorID` is valid.
        const ERROR_ID = 0x2;
        /// `SYNCMGRLOGERROR_ITEMID` (0x4): `ItemID` is valid.
        const ITEM_ID = 0x4;
    }
    /// Every defined bit, 0x07 (the SDK names no mask constant).
    mask = 0x07;
}

strict_flags! {
    /// `SYNCMGRERRORFLAGS`: the `dwSyncMgrErrorFlags` of
    /// `SYNCMGRLOGERRORINFO`.
    pub struct ErrorFlags: "SYNCMGRERRORFLAGS" {
        /// `SYNCMGRERRORFLAG_ENABLEJUMPTEXT` (0x1): the host shows a link
        /// that calls `ShowError` for this entry.
        const ENABLE_JUMP_TEXT = 0x1;
    }
    /// Every defined bit, 0x01 (the SDK names no mask constant).
    mask = 0x01;
}

strict_flags! {
    /// `SYNCMGRITEMFLAGS`: the `dwFlags` of `SYNCMGRITEM`.
    ///
    /// The SDK mask `SYNCMGRITEM_ITEMFLAGMASK` is 0x7F, but no header names
    /// bit 0x40. It is kept as [`ItemFlags::RESERVED_40`] so that every value
    /// the SDK mask admits decodes and encodes back unchanged.
    pub struct ItemFlags: "SYNCMGRITEMFLAGS" {
        /// `SYNCMGRITEM_HASPROPERTIES` (0x1): the item has a properties dialog.
        const HAS_PROPERTIES = 0x1;
        /// `SYNCMGRITEM_TEMPORARY` (0x2): do not store preferences for it.
        const TEMPORARY = 0x2;
        /// `SYNCMGRITEM_ROAMINGUSER` (0x4): the item roams with the user.
        const ROAMING_USER = 0x4;
        /// `SYNCMGRITEM_LASTUPDATETIME` (0x8): `ftLastUpdate` is valid.
        const LAST_UPDATE_TIME = 0x8;
        /// `SYNCMGRITEM_MAYDELETEITEM` (0x10): the user may delete the item.
        const MAY_DELETE_ITEM = 0x10;
        /// `SYNCMGRITEM_HIDDEN` (0x20, Vista+): not shown in the UI.
        const HIDDEN = 0x20;
        /// Bit 0x40: inside `SYNCMGRITEM_ITEMFLAGMASK` but named by no
        /// header. Carried through unchanged, never interpreted.
        const RESERVED_40 = 0x40;
    }
    /// `SYNCMGRITEM_ITEMFLAGMASK` (0x7F, SDK; mingw-w64's 0x1F is out of date).
    mask = 0x7F;
}

strict_flags! {
    /// `SYNCMGRHANDLERFLAGS`: the `SyncMgrHandlerFlags` of
    /// `SYNCMGRHANDLERINFO`.
    pub struct HandlerFlags: "SYNCMGRHANDLERFLAGS" {
        /// `SYNCMGRHANDLER_HASPROPERTIES` (0x1): the handler has a properties
        /// dialog.
        const HAS_PROPERTIES = 0x1;
        /// `SYNCMGRHANDLER_MAYESTABLISHCONNECTION` (0x2): the handler may
        /// call `EstablishConnection`.
        const MAY_ESTABLISH_CONNECTION = 0x2;
        /// `SYNCMGRHANDLER_ALWAYSLISTHANDLER` (0x4): list the handler even
        /// with no items.
        const ALWAYS_LIST_HANDLER = 0x4;
        /// `SYNCMGRHANDLER_HIDDEN` (0x8, Vista+): not shown in the UI.
        const HIDDEN = 0x8;
    }
    /// `SYNCMGRHANDLERFLAG_MASK` (0x0F, SDK; mingw-w64's 0x07 is out of date).
    mask = 0x0F;
}

strict_flags! {
    /// `SYNCMGRINVOKEFLAGS`: the `dwInvokeFlags` of
    /// `ISyncMgrSynchronizeInvoke::UpdateItems`. There is no 0x1.
    pub struct InvokeFlags: "SYNCMGRINVOKEFLAGS" {
        /// `SYNCMGRINVOKE_STARTSYNC` (0x2): start synchronizing at once.
        const START_SYNC = 0x2;
        /// `SYNCMGRINVOKE_MINIMIZED` (0x4): show the progress UI minimized.
        const MINIMIZED = 0x4;
    }
    /// Every defined bit, 0x06 (the SDK names no mask constant).
    mask = 0x06;
}

strict_flags! {
    /// `SYNCMGRREGISTERFLAGS`: the `dwSyncMgrRegisterFlags` of
    /// `ISyncMgrRegister::RegisterSyncMgrHandler`.
    pub struct RegisterFlags: "SYNCMGRREGISTERFLAGS" {
        /// `SYNCMGRREGISTERFLAG_CONNECT` (0x1): synchronize on connect.
        const CONNECT = 0x1;
        /// `SYNCMGRREGISTERFLAG_PENDINGDISCONNECT` (0x2): synchronize before
        /// disconnect.
        const PENDING_DISCONNECT = 0x2;
        /// `SYNCMGRREGISTERFLAG_IDLE` (0x4): synchronize when idle.
        const IDLE = 0x4;
    }
    /// `SYNCMGRREGISTERFLAGS_MASK` (0x07).
    mask = 0x07;
}

u32_enum! {
    /// `SYNCMGRITEMSTATE`: the `dwItemState` of `SYNCMGRITEM`, whether the
    /// item is selected for synchronization.
    pub enum ItemState: "SYNCMGRITEMSTATE" {
        /// `SYNCMGRITEMSTATE_UNCHECKED` (0).
        Unchecked = 0 => ("SYNCMGRITEMSTATE_UNCHECKED", "unchecked"),
        /// `SYNCMGRITEMSTATE_CHECKED` (1).
        Checked = 1 => ("SYNCMGRITEMSTATE_CHECKED", "checked"),
    }
}

u32_enum! {
    /// `SYNCMGRLOGLEVEL`: the `dwErrorLevel` of
    /// `ISyncMgrSynchronizeCallback::LogError`.
    pub enum LogLevel: "SYNCMGRLOGLEVEL" {
        /// `SYNCMGRLOGLEVEL_INFORMATION` (1).
        Information = 1 => ("SYNCMGRLOGLEVEL_INFORMATION", "information"),
        /// `SYNCMGRLOGLEVEL_WARNING` (2).
        Warning = 2 => ("SYNCMGRLOGLEVEL_WARNING", "warning"),
        /// `SYNCMGRLOGLEVEL_ERROR` (3).
        Error = 3 => ("SYNCMGRLOGLEVEL_ERROR", "error"),
    }
}

impl LogLevel {
    /// `SYNCMGRLOGLEVEL_LOGLEVELMAX` (3): an alias of
    /// `SYNCMGRLOGLEVEL_ERROR`, hence a constant rather than a variant.
    pub const MAX: u32 = 3;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_flags_fill_each_mask() {
        assert_eq!(ProgressMask::all().bits(), ProgressMask::MASK);
        assert_eq!(LogErrorMask::all().bits(), LogErrorMask::MASK);
        assert_eq!(ErrorFlags::all().bits(), ErrorFlags::MASK);
        assert_eq!(ItemFlags::all().bits(), ItemFlags::MASK);
        assert_eq!(HandlerFlags::all().bits(), HandlerFlags::MASK);
        assert_eq!(InvokeFlags::all().bits(), InvokeFlags::MASK);
        assert_eq!(RegisterFlags::all().bits(), RegisterFlags::MASK);
        assert_eq!(SyncModifiers::all().bits(), SyncModifiers::MASK);
    }

    #[test]
    fn unknown_bits_are_checked_before_the_event() {
        assert_eq!(
            SyncMgrFlags::try_from(0x400),
            Err(DecodeError::UnknownBits {
                type_name: "SYNCMGRFLAG",
                value: 0x400,
                unknown: 0x400,
                valid_mask: 0x3FF
            })
        );
    }

    #[test]
    fn display_reads_as_words() {
        let flags = SyncMgrFlags::new(SyncEvent::Manual, SyncModifiers::all());
        assert_eq!(flags.to_string(), "manual, settings, may bother user");
        assert_eq!(LogLevel::Warning.to_string(), "warning");
        assert_eq!(
            ItemState::Checked.windows_name(),
            "SYNCMGRITEMSTATE_CHECKED"
        );
    }
}
