//! Behaviour and property tests of the mobsync.h vocabulary: strict and
//! lenient decoding, GUID conversions, name limits and raw/typed records.

use proptest::prelude::*;
use syncmgr::{
    DecodeError, ErrorFlags, ErrorId, FileTime, Guid, HandlerFlags, HandlerInfo, InvokeFlags,
    ItemFlags, ItemId, ItemState, LogErrorInfo, LogErrorMask, LogLevel, ProgressMask,
    RawHandlerInfo, RawLogErrorInfo, RawSyncItem, RegisterFlags, SyncEvent, SyncItem, SyncMgrFlags,
    SyncMgrStatus, SyncModifiers,
};
use uuid::Uuid;

const ITEM_NAME: &str = "SYNCMGRITEM.wszItemName";
const HANDLER_NAME: &str = "SYNCMGRHANDLERINFO.wszHandlerName";

// --- helpers -----------------------------------------------------------------

/// Either `value` decodes and encodes back to itself, or it is rejected as
/// `UnknownValue` naming `type_name` and `value`.
fn check_enum_value<T>(value: u32, type_name: &str) -> bool
where
    T: TryFrom<u32, Error = DecodeError> + Into<u32>,
{
    match T::try_from(value) {
        Ok(decoded) => {
            assert_eq!(decoded.into(), value);
            true
        }
        Err(DecodeError::UnknownValue {
            type_name: t,
            value: v,
        }) => {
            assert_eq!((t, v), (type_name, value));
            false
        }
        Err(other) => panic!("{value:#x}: unexpected {other:?}"),
    }
}

/// Either `bits` decodes and encodes back to itself, or it is rejected as
/// `UnknownBits` naming `type_name`, `bits`, the unknown bits and `mask`.
fn check_flag_bits<F>(
    bits: u32,
    decode: fn(u32) -> Result<F, DecodeError>,
    encode: fn(&F) -> u32,
    mask: u32,
    type_name: &'static str,
) {
    match decode(bits) {
        Ok(flags) => {
            assert_eq!(bits & !mask, 0, "{type_name} accepted {bits:#x}");
            assert_eq!(encode(&flags), bits);
        }
        Err(err) => assert_eq!(
            err,
            DecodeError::UnknownBits {
                type_name,
                value: bits,
                unknown: bits & !mask,
                valid_mask: mask,
            }
        ),
    }
}

/// Check every flag type on one raw value.
fn check_all_flag_types(bits: u32) {
    check_flag_bits(
        bits,
        ProgressMask::decode,
        ProgressMask::bits,
        0x0F,
        "SYNCMGRPROGRESSITEM mask",
    );
    check_flag_bits(
        bits,
        LogErrorMask::decode,
        LogErrorMask::bits,
        0x07,
        "SYNCMGRLOGERRORINFO mask",
    );
    check_flag_bits(
        bits,
        ErrorFlags::decode,
        ErrorFlags::bits,
        0x01,
        "SYNCMGRERRORFLAGS",
    );
    check_flag_bits(
        bits,
        ItemFlags::decode,
        ItemFlags::bits,
        0x7F,
        "SYNCMGRITEMFLAGS",
    );
    check_flag_bits(
        bits,
        HandlerFlags::decode,
        HandlerFlags::bits,
        0x0F,
        "SYNCMGRHANDLERFLAGS",
    );
    check_flag_bits(
        bits,
        InvokeFlags::decode,
        InvokeFlags::bits,
        0x06,
        "SYNCMGRINVOKEFLAGS",
    );
    check_flag_bits(
        bits,
        RegisterFlags::decode,
        RegisterFlags::bits,
        0x07,
        "SYNCMGRREGISTERFLAGS",
    );
    check_flag_bits(
        bits,
        SyncModifiers::decode,
        SyncModifiers::bits,
        0x300,
        "SYNCMGRFLAG modifiers",
    );
}

/// Check every enum type on one raw value.
fn check_all_enum_types(value: u32) {
    check_enum_value::<SyncMgrStatus>(value, "SYNCMGRSTATUS");
    check_enum_value::<SyncEvent>(value, "SYNCMGRFLAG event code");
    check_enum_value::<ItemState>(value, "SYNCMGRITEMSTATE");
    check_enum_value::<LogLevel>(value, "SYNCMGRLOGLEVEL");
}

/// The strict reading of a `SYNCMGRFLAG` word, written independently.
fn check_sync_mgr_flags(bits: u32) {
    let strict = SyncMgrFlags::try_from(bits);
    let lenient = SyncMgrFlags::from_u32_lenient(bits);
    let event = bits & 0xFF;
    if bits & !0x3FF != 0 {
        assert_eq!(
            strict,
            Err(DecodeError::UnknownBits {
                type_name: "SYNCMGRFLAG",
                value: bits,
                unknown: bits & !0x3FF,
                valid_mask: 0x3FF,
            })
        );
    } else if !(1..=6).contains(&event) {
        assert_eq!(
            strict,
            Err(DecodeError::UnknownValue {
                type_name: "SYNCMGRFLAG event code",
                value: event,
            })
        );
    } else {
        let flags = strict.expect("valid word");
        assert_eq!(flags.to_u32(), bits);
        assert_eq!(u32::from(flags), bits);
        assert_eq!(lenient, flags);
    }
    // Lenient: unknown bits dropped, unknown event becomes Manual.
    assert_eq!(lenient.modifiers().bits(), bits & 0x300);
    let expected_event = SyncEvent::try_from(event).unwrap_or(SyncEvent::Manual);
    assert_eq!(lenient.event(), expected_event);
    assert_eq!(lenient.to_u32(), expected_event as u32 | (bits & 0x300));
}

/// Values worth trying: the small ones where every defined value lives,
/// single bits, and anything.
fn raw_u32() -> impl Strategy<Value = u32> {
    prop_oneof![
        0u32..0x400,
        (0u32..32).prop_map(|shift| 1u32 << shift),
        any::<u32>(),
    ]
}

/// A string of arbitrary non-NUL characters cut to at most `max_units`
/// UTF-16 units.
fn name(max_units: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>().prop_filter("no NUL", |c| *c != '\0'), 0..80).prop_map(
        move |chars| {
            let mut out = String::new();
            let mut units = 0;
            for c in chars {
                if units + c.len_utf16() > max_units {
                    break;
                }
                units += c.len_utf16();
                out.push(c);
            }
            out
        },
    )
}

/// A zero-filled buffer holding `text` followed by a NUL and then `junk`
/// (what a C peer may leave after the terminator).
fn buffer_with_junk<const N: usize>(text: &str, junk: u16) -> [u16; N] {
    let mut buffer = [junk; N];
    let units: Vec<u16> = text.encode_utf16().collect();
    buffer[..units.len()].copy_from_slice(&units);
    buffer[units.len()] = 0;
    buffer
}

// --- enums ---------------------------------------------------------------------

#[test]
fn enums_accept_exactly_their_values_in_a_small_range() {
    let count = |f: fn(u32) -> bool| (0..=0x1000).filter(|&v| f(v)).count();
    assert_eq!(
        count(|v| check_enum_value::<SyncMgrStatus>(v, "SYNCMGRSTATUS")),
        SyncMgrStatus::ALL.len()
    );
    assert_eq!(
        count(|v| check_enum_value::<SyncEvent>(v, "SYNCMGRFLAG event code")),
        SyncEvent::ALL.len()
    );
    assert_eq!(
        count(|v| check_enum_value::<ItemState>(v, "SYNCMGRITEMSTATE")),
        ItemState::ALL.len()
    );
    assert_eq!(
        count(|v| check_enum_value::<LogLevel>(v, "SYNCMGRLOGLEVEL")),
        LogLevel::ALL.len()
    );
}

#[test]
fn all_lists_are_ascending_and_round_trip() {
    for pair in SyncMgrStatus::ALL.windows(2) {
        assert!(pair[0].as_u32() < pair[1].as_u32());
    }
    for status in SyncMgrStatus::ALL {
        assert_eq!(SyncMgrStatus::try_from(status.as_u32()), Ok(status));
    }
    for event in SyncEvent::ALL {
        assert_eq!(SyncEvent::try_from(event.as_u32()), Ok(event));
    }
}

#[test]
fn status_predicates() {
    use SyncMgrStatus::*;
    let terminal = [Stopped, Skipped, Succeeded, Failed, Deleted];
    let updating = [Updating, UpdatingIndeterminate];
    for status in SyncMgrStatus::ALL {
        assert_eq!(status.is_terminal(), terminal.contains(&status), "{status}");
        assert_eq!(status.is_updating(), updating.contains(&status), "{status}");
    }
}

#[test]
fn status_display_and_errors() {
    assert_eq!(SyncMgrStatus::Succeeded.to_string(), "succeeded");
    assert_eq!(
        SyncMgrStatus::UpdatingIndeterminate.to_string(),
        "updating (indeterminate)"
    );
    assert_eq!(SyncMgrStatus::Deleted.to_string(), "deleted");
    let err = SyncMgrStatus::try_from(9).unwrap_err();
    assert_eq!(
        err,
        DecodeError::UnknownValue {
            type_name: "SYNCMGRSTATUS",
            value: 9
        }
    );
    assert_eq!(err.to_string(), "0x9 is not a valid SYNCMGRSTATUS");
}

// --- SYNCMGRFLAG -----------------------------------------------------------------

#[test]
fn manual_is_a_code_not_connect_or_pending_disconnect() {
    let flags = SyncMgrFlags::try_from(3).unwrap();
    assert_eq!(flags.event(), SyncEvent::Manual);
    assert_ne!(flags.event(), SyncEvent::Connect);
    assert_ne!(flags.event(), SyncEvent::PendingDisconnect);
    assert!(flags.modifiers().is_empty());
}

#[test]
fn manual_with_may_bother_user() {
    let flags = SyncMgrFlags::try_from(0x203).unwrap();
    assert_eq!(flags.event(), SyncEvent::Manual);
    assert_eq!(flags.modifiers(), SyncModifiers::MAY_BOTHER_USER);
    assert!(flags.may_bother_user());
    assert!(!flags.settings_only());
    assert_eq!(flags.to_u32(), 0x203);
    assert_eq!(
        flags,
        SyncMgrFlags::new(SyncEvent::Manual, SyncModifiers::MAY_BOTHER_USER)
    );
}

#[test]
fn new_keeps_modifiers_out_of_the_event_byte() {
    let stray = SyncModifiers::from_bits_retain(0x3 | 0x200);
    let flags = SyncMgrFlags::new(SyncEvent::Connect, stray);
    assert_eq!(flags.modifiers(), SyncModifiers::MAY_BOTHER_USER);
    assert_eq!(flags.to_u32(), 0x201);
}

#[test]
fn settings_modifier() {
    let flags = SyncMgrFlags::try_from(0x104).unwrap();
    assert_eq!(flags.event(), SyncEvent::Idle);
    assert!(flags.settings_only());
    assert!(!flags.may_bother_user());
}

#[test]
fn unknown_bit_rejected_strictly_dropped_leniently() {
    assert!(matches!(
        SyncMgrFlags::try_from(0x400),
        Err(DecodeError::UnknownBits { unknown: 0x400, .. })
    ));
    assert_eq!(
        SyncMgrFlags::try_from(0x401),
        Err(DecodeError::UnknownBits {
            type_name: "SYNCMGRFLAG",
            value: 0x401,
            unknown: 0x400,
            valid_mask: 0x3FF
        })
    );
    let lenient = SyncMgrFlags::from_u32_lenient(0x401);
    assert_eq!(lenient.event(), SyncEvent::Connect);
    assert_eq!(lenient.to_u32(), 0x001);
    // 0x400 alone also has event code 0, which becomes Manual.
    assert_eq!(SyncMgrFlags::from_u32_lenient(0x400).to_u32(), 0x003);
}

#[test]
fn unknown_event_rejected_strictly_manual_leniently() {
    for (bits, event) in [(0u32, 0u32), (7, 7), (0x2FF, 0xFF), (0x207, 7)] {
        assert_eq!(
            SyncMgrFlags::try_from(bits),
            Err(DecodeError::UnknownValue {
                type_name: "SYNCMGRFLAG event code",
                value: event
            })
        );
        let lenient = SyncMgrFlags::from_u32_lenient(bits);
        assert_eq!(lenient.event(), SyncEvent::Manual);
        assert_eq!(lenient.modifiers().bits(), bits & 0x300);
    }
}

// --- GUIDs -----------------------------------------------------------------------

#[test]
fn guid_hand_checked_example() {
    let g = Guid::CLSID_SYNCMGR;
    assert_eq!(
        g.to_bytes_le(),
        [
            0x27, 0xDF, 0x95, 0x62, 0xEE, 0x35, 0xD1, 0x11, 0x87, 0x07, 0x00, 0xC0, 0x4F, 0xD9,
            0x33, 0x27
        ]
    );
    assert_eq!(g.to_u128(), 0x6295DF27_35EE_11D1_8707_00C04FD93327);
    assert_eq!(
        g.to_uuid().to_string(),
        "6295df27-35ee-11d1-8707-00c04fd93327"
    );
    assert_eq!(format!("{g:?}"), "{6295DF27-35EE-11D1-8707-00C04FD93327}");
    assert_eq!(
        "6295df27-35ee-11d1-8707-00c04fd93327".parse::<Guid>(),
        Ok(g)
    );
    assert_eq!(
        "{6295df27-35EE-11d1-8707-00C04fd93327}".parse::<Guid>(),
        Ok(g)
    );
}

#[test]
fn guid_null_and_parse_errors() {
    assert!(Guid::NULL.is_null());
    assert_eq!(Guid::default(), Guid::NULL);
    assert_eq!(
        Guid::NULL.to_string(),
        "{00000000-0000-0000-0000-000000000000}"
    );
    assert!(!Guid::CLSID_SYNCMGR.is_null());
    let err = "not a guid".parse::<Guid>().unwrap_err();
    assert_eq!(err.input(), "not a guid");
    assert!(err.to_string().contains("not a guid"));
    assert!(
        "urn:uuid:6295df27-35ee-11d1-8707-00c04fd93327"
            .parse::<Guid>()
            .is_err()
    );
    assert!("6295df2735ee11d1870700c04fd93327".parse::<Guid>().is_err());
}

#[test]
fn item_and_error_ids() {
    let id = ItemId::from_u128(0x6295DF27_35EE_11D1_8707_00C04FD93327);
    assert_eq!(id.to_guid(), Guid::CLSID_SYNCMGR);
    assert_eq!(id.to_string(), "{6295DF27-35EE-11D1-8707-00C04FD93327}");
    assert_eq!(Guid::from(id), Guid::CLSID_SYNCMGR);
    assert_eq!(ItemId::from(Guid::CLSID_SYNCMGR), id);
    assert_eq!(ItemId::default(), ItemId::NULL);
    assert!(ItemId::NULL.is_null());
    assert!(ErrorId::ALL.is_null());
    assert_eq!(ErrorId::ALL, ErrorId::NULL);
    assert_eq!(
        *ErrorId::new(Uuid::from_u128(7)).as_uuid(),
        Uuid::from_u128(7)
    );
}

// --- names -----------------------------------------------------------------------

#[test]
fn item_name_limit_is_127_units() {
    let id = ItemId::NULL;
    assert!(SyncItem::new(id, "a".repeat(127)).is_ok());
    assert_eq!(
        SyncItem::new(id, "a".repeat(128)),
        Err(DecodeError::TextTooLong {
            field: ITEM_NAME,
            units: 128,
            limit: 128
        })
    );
    // A character outside the BMP is two units.
    let fits = format!("{}😀", "a".repeat(125));
    let item = SyncItem::new(id, fits.clone()).unwrap();
    assert_eq!(
        SyncItem::try_from(&item.to_raw()).unwrap().name(),
        fits.as_str()
    );
    assert_eq!(
        SyncItem::new(id, format!("{}😀", "a".repeat(126))),
        Err(DecodeError::TextTooLong {
            field: ITEM_NAME,
            units: 128,
            limit: 128
        })
    );
    assert_eq!(
        SyncItem::new(id, "a\0b"),
        Err(DecodeError::InteriorNul {
            field: ITEM_NAME,
            position: 1
        })
    );
}

#[test]
fn handler_name_limit_is_31_units() {
    assert!(HandlerInfo::new("h".repeat(31)).is_ok());
    assert_eq!(
        HandlerInfo::new("h".repeat(32)),
        Err(DecodeError::TextTooLong {
            field: HANDLER_NAME,
            units: 32,
            limit: 32
        })
    );
    assert!(HandlerInfo::new(format!("{}😀", "h".repeat(29))).is_ok());
    assert!(HandlerInfo::new(format!("{}😀", "h".repeat(30))).is_err());
}

#[test]
fn raw_names_must_be_terminated_valid_utf16() {
    let mut raw = RawSyncItem {
        item_name: [u16::from(b'a'); 128],
        ..RawSyncItem::default()
    };
    assert_eq!(
        SyncItem::try_from(&raw),
        Err(DecodeError::Unterminated {
            field: ITEM_NAME,
            limit: 128
        })
    );
    raw.item_name[0] = 0x61;
    raw.item_name[1] = 0xDC00; // lone low surrogate
    raw.item_name[2] = 0;
    assert_eq!(
        SyncItem::try_from(&raw),
        Err(DecodeError::InvalidUtf16 {
            field: ITEM_NAME,
            unit: 0xDC00,
            position: 1
        })
    );

    let mut raw = RawHandlerInfo {
        flags: 0,
        handler_name: [u16::from(b'h'); 32],
    };
    assert_eq!(
        HandlerInfo::try_from(&raw),
        Err(DecodeError::Unterminated {
            field: HANDLER_NAME,
            limit: 32
        })
    );
    raw.handler_name[0] = 0xD800;
    raw.handler_name[1] = 0;
    assert_eq!(
        HandlerInfo::try_from(&raw),
        Err(DecodeError::InvalidUtf16 {
            field: HANDLER_NAME,
            unit: 0xD800,
            position: 0
        })
    );
}

#[test]
fn raw_item_rejects_bad_flags_and_state() {
    let raw = RawSyncItem {
        flags: 0x80,
        ..RawSyncItem::default()
    };
    assert_eq!(
        SyncItem::try_from(&raw),
        Err(DecodeError::UnknownBits {
            type_name: "SYNCMGRITEMFLAGS",
            value: 0x80,
            unknown: 0x80,
            valid_mask: 0x7F
        })
    );
    let raw = RawSyncItem {
        item_state: 2,
        ..RawSyncItem::default()
    };
    assert_eq!(
        SyncItem::try_from(&raw),
        Err(DecodeError::UnknownValue {
            type_name: "SYNCMGRITEMSTATE",
            value: 2
        })
    );
    let raw = RawHandlerInfo {
        flags: 0x10,
        ..RawHandlerInfo::default()
    };
    assert!(matches!(
        HandlerInfo::try_from(&raw),
        Err(DecodeError::UnknownBits {
            type_name: "SYNCMGRHANDLERFLAGS",
            ..
        })
    ));
}

#[test]
fn reserved_item_flag_survives_a_round_trip() {
    let raw = RawSyncItem {
        flags: 0x40,
        ..RawSyncItem::default()
    };
    let item = SyncItem::try_from(&raw).unwrap();
    assert_eq!(item.flags(), ItemFlags::RESERVED_40);
    assert_eq!(item.to_raw(), raw);
}

#[test]
fn last_update_needs_its_flag() {
    let raw = RawSyncItem {
        last_update: FileTime(42),
        ..RawSyncItem::default()
    };
    let item = SyncItem::try_from(&raw).unwrap();
    assert_eq!(item.last_update(), None);
    assert_eq!(item.to_raw().last_update, FileTime(0));

    let raw = RawSyncItem {
        flags: 0x8,
        last_update: FileTime(42),
        ..RawSyncItem::default()
    };
    let item = SyncItem::try_from(&raw).unwrap();
    assert_eq!(item.last_update(), Some(FileTime(42)));
    assert_eq!(item.to_raw(), raw);
}

#[test]
fn log_error_info_builder() {
    let info = LogErrorInfo::new();
    assert_eq!(info.mask(), LogErrorMask::empty());
    assert!(!info.jump_text_enabled());
    assert_eq!(info.to_raw(), RawLogErrorInfo::default());

    let info = LogErrorInfo::new()
        .with_error_flags(ErrorFlags::ENABLE_JUMP_TEXT)
        .with_error_id(ErrorId::from_u128(2))
        .with_item_id(ItemId::from_u128(3));
    assert!(info.jump_text_enabled());
    assert_eq!(info.mask(), LogErrorMask::all());
    assert_eq!(
        info.to_raw(),
        RawLogErrorInfo {
            mask: 7,
            error_flags: 1,
            error_id: Guid::from_u128(2),
            item_id: Guid::from_u128(3),
        }
    );
    let no_jump = LogErrorInfo::new().with_error_flags(ErrorFlags::empty());
    assert!(!no_jump.jump_text_enabled());
    assert_eq!(no_jump.mask(), LogErrorMask::ERROR_FLAGS);
}

#[test]
fn log_error_info_rejects_bad_mask_and_flags() {
    let raw = RawLogErrorInfo {
        mask: 0x8,
        ..RawLogErrorInfo::default()
    };
    assert_eq!(
        LogErrorInfo::try_from(&raw),
        Err(DecodeError::UnknownBits {
            type_name: "SYNCMGRLOGERRORINFO mask",
            value: 8,
            unknown: 8,
            valid_mask: 7
        })
    );
    let raw = RawLogErrorInfo {
        mask: 0x1,
        error_flags: 0x2,
        ..RawLogErrorInfo::default()
    };
    assert_eq!(
        LogErrorInfo::try_from(&raw),
        Err(DecodeError::UnknownBits {
            type_name: "SYNCMGRERRORFLAGS",
            value: 2,
            unknown: 2,
            valid_mask: 1
        })
    );
    // The same junk flags are ignored when the mask bit is clear.
    let raw = RawLogErrorInfo {
        mask: 0x0,
        error_flags: 0x2,
        ..RawLogErrorInfo::default()
    };
    assert_eq!(LogErrorInfo::try_from(&raw), Ok(LogErrorInfo::new()));
}

// --- properties ------------------------------------------------------------------

proptest! {
    #[test]
    fn every_u32_round_trips_or_is_rejected_by_each_enum(value in raw_u32()) {
        check_all_enum_types(value);
    }

    #[test]
    fn every_u32_round_trips_or_is_rejected_by_each_flag_set(bits in raw_u32()) {
        check_all_flag_types(bits);
    }

    #[test]
    fn sync_mgr_flags_strict_and_lenient(bits in raw_u32()) {
        check_sync_mgr_flags(bits);
    }

    #[test]
    fn sync_mgr_flags_encode_decode(
        event in proptest::sample::select(SyncEvent::ALL.to_vec()),
        modifiers in 0u32..4,
    ) {
        let flags = SyncMgrFlags::new(event, SyncModifiers::from_bits_retain(modifiers << 8));
        prop_assert_eq!(SyncMgrFlags::try_from(flags.to_u32()), Ok(flags));
        prop_assert_eq!(flags.to_u32() & SyncMgrFlags::EVENT_MASK, event as u32);
    }

    #[test]
    fn guid_u128_uuid_and_ids_agree(value in any::<u128>()) {
        let guid = Guid::from_u128(value);
        prop_assert_eq!(guid.to_u128(), value);
        let uuid = Uuid::from_u128(value);
        prop_assert_eq!(guid.to_uuid(), uuid);
        prop_assert_eq!(Guid::from_uuid(uuid), guid);
        prop_assert_eq!(Guid::from(uuid), guid);
        prop_assert_eq!(Uuid::from(guid), uuid);
        let (d1, d2, d3, d4) = uuid.as_fields();
        prop_assert_eq!((guid.data1, guid.data2, guid.data3, guid.data4), (d1, d2, d3, *d4));
        prop_assert_eq!(guid.is_null(), value == 0);

        let item = ItemId::from_u128(value);
        prop_assert_eq!(item.to_guid(), guid);
        prop_assert_eq!(ItemId::from_guid(guid), item);
        prop_assert_eq!(*item.as_uuid(), uuid);
        prop_assert_eq!(ItemId::from(uuid), item);
        prop_assert_eq!(item.to_string(), guid.to_string());
        let error = ErrorId::from(guid);
        prop_assert_eq!(Guid::from(error), guid);
        prop_assert_eq!(error, ErrorId::new(uuid));
    }

    #[test]
    fn guid_text_round_trips(value in any::<u128>()) {
        let guid = Guid::from_u128(value);
        let text = guid.to_string();
        prop_assert_eq!(text.len(), 38);
        prop_assert_eq!(text.to_uppercase(), text.clone());
        prop_assert_eq!(text.parse::<Guid>(), Ok(guid));
        prop_assert_eq!(text.to_lowercase().parse::<Guid>(), Ok(guid));
        prop_assert_eq!(text[1..37].parse::<Guid>(), Ok(guid));
        // Same digits as uuid's hyphenated form.
        prop_assert_eq!(&text[1..37], Uuid::from_u128(value).hyphenated().to_string().to_uppercase());
    }

    #[test]
    fn guid_bytes_le_round_trip(value in any::<u128>(), bytes in any::<[u8; 16]>()) {
        let guid = Guid::from_u128(value);
        prop_assert_eq!(Guid::from_bytes_le(guid.to_bytes_le()), guid);
        prop_assert_eq!(guid.to_bytes_le(), Uuid::from_u128(value).to_bytes_le());
        prop_assert_eq!(Guid::from_bytes_le(bytes).to_bytes_le(), bytes);
        prop_assert_eq!(Guid::from_bytes_le(bytes).to_uuid(), Uuid::from_bytes_le(bytes));
    }

    #[test]
    fn guid_order_is_numeric_order(a in any::<u128>(), b in any::<u128>()) {
        prop_assert_eq!(Guid::from_u128(a).cmp(&Guid::from_u128(b)), a.cmp(&b));
    }

    #[test]
    fn guid_parse_never_panics(text in "\\PC{0,40}") {
        let _ = text.parse::<Guid>();
    }

    #[test]
    fn filetime_system_time_round_trip(ticks in any::<u64>(), low in any::<u32>(), high in any::<u32>()) {
        let ft = FileTime(ticks);
        if let Some(time) = ft.to_system_time() {
            prop_assert_eq!(FileTime::from_system_time(time), Some(ft));
        }
        let ft = FileTime::from_parts(low, high);
        prop_assert_eq!((ft.low(), ft.high()), (low, high));
    }

    #[test]
    fn sync_item_typed_raw_typed(
        id in any::<u128>(),
        flags in 0u32..0x80,
        checked in any::<bool>(),
        text in name(127),
        last_update in proptest::option::of(any::<u64>()),
    ) {
        let mut item = SyncItem::new(ItemId::from_u128(id), text.clone())
            .unwrap()
            .with_state(if checked { ItemState::Checked } else { ItemState::Unchecked });
        if let Some(ticks) = last_update {
            item = item.with_last_update(FileTime(ticks));
        }
        let item = item.with_flags(ItemFlags::from_bits_retain(flags));
        prop_assert_eq!(
            item.flags().contains(ItemFlags::LAST_UPDATE_TIME),
            item.last_update().is_some()
        );
        prop_assert_eq!(item.last_update(), last_update.map(FileTime));
        prop_assert_eq!(item.name(), text.as_str());
        let raw = item.to_raw();
        prop_assert_eq!(SyncItem::try_from(&raw), Ok(item));
    }

    #[test]
    fn sync_item_raw_typed_raw_ignores_what_the_flags_hide(
        id in any::<[u8; 16]>(),
        flags in 0u32..0x80,
        state in 0u32..2,
        text in name(127),
        junk in any::<u16>(),
        ticks in any::<u64>(),
    ) {
        let raw = RawSyncItem {
            flags,
            item_id: Guid::from_bytes_le(id),
            item_state: state,
            item_name: buffer_with_junk(&text, junk),
            last_update: FileTime(ticks),
        };
        let item = SyncItem::try_from(&raw).unwrap();
        prop_assert_eq!(item.name(), text.as_str());
        prop_assert_eq!(item.id().to_guid(), raw.item_id);
        prop_assert_eq!(item.state().as_u32(), state);
        prop_assert_eq!(item.flags().bits(), flags);
        let has_time = flags & 0x8 != 0;
        prop_assert_eq!(item.last_update(), has_time.then_some(FileTime(ticks)));
        let expected = RawSyncItem {
            item_name: buffer_with_junk(&text, 0),
            last_update: FileTime(if has_time { ticks } else { 0 }),
            ..raw
        };
        prop_assert_eq!(item.to_raw(), expected);
    }

    #[test]
    fn handler_info_round_trips(flags in 0u32..0x10, text in name(31), junk in any::<u16>()) {
        let info = HandlerInfo::new(text.clone())
            .unwrap()
            .with_flags(HandlerFlags::from_bits_retain(flags));
        let raw = info.to_raw();
        prop_assert_eq!(raw.flags, flags);
        prop_assert_eq!(HandlerInfo::try_from(&raw), Ok(info.clone()));
        let dirty = RawHandlerInfo { flags, handler_name: buffer_with_junk(&text, junk) };
        prop_assert_eq!(HandlerInfo::try_from(&dirty), Ok(info));
    }

    #[test]
    fn log_error_info_raw_typed_raw(
        mask in 0u32..0x10,
        error_flags in prop_oneof![0u32..2, any::<u32>()],
        error_id in any::<u128>(),
        item_id in any::<u128>(),
    ) {
        let raw = RawLogErrorInfo {
            mask,
            error_flags,
            error_id: Guid::from_u128(error_id),
            item_id: Guid::from_u128(item_id),
        };
        match LogErrorInfo::try_from(&raw) {
            Ok(info) => {
                prop_assert!(mask <= 7);
                prop_assert!(mask & 1 == 0 || error_flags <= 1);
                prop_assert_eq!(info.mask().bits(), mask);
                prop_assert_eq!(info.error_flags().map(|f| f.bits()), (mask & 1 != 0).then_some(error_flags));
                prop_assert_eq!(info.error_id().map(ErrorId::to_guid), (mask & 2 != 0).then_some(raw.error_id));
                prop_assert_eq!(info.item_id().map(ItemId::to_guid), (mask & 4 != 0).then_some(raw.item_id));
                prop_assert_eq!(info.jump_text_enabled(), mask & 1 != 0 && error_flags == 1);
                let expected = RawLogErrorInfo {
                    mask,
                    error_flags: if mask & 1 != 0 { error_flags } else { 0 },
                    error_id: if mask & 2 != 0 { raw.error_id } else { Guid::NULL },
                    item_id: if mask & 4 != 0 { raw.item_id } else { Guid::NULL },
                };
                prop_assert_eq!(info.to_raw(), expected);
                prop_assert_eq!(LogErrorInfo::try_from(&expected), Ok(info));
            }
            Err(DecodeError::UnknownBits { type_name: "SYNCMGRLOGERRORINFO mask", value, .. }) => {
                prop_assert!(mask > 7);
                prop_assert_eq!(value, mask);
            }
            Err(DecodeError::UnknownBits { type_name: "SYNCMGRERRORFLAGS", value, .. }) => {
                prop_assert!(mask <= 7 && mask & 1 != 0 && error_flags > 1);
                prop_assert_eq!(value, error_flags);
            }
            Err(other) => prop_assert!(false, "unexpected {:?}", other),
        }
    }

    #[test]
    fn log_error_info_typed_raw_typed(
        error_flags in proptest::option::of(0u32..2),
        error_id in proptest::option::of(any::<u128>()),
        item_id in proptest::option::of(any::<u128>()),
    ) {
        let mut info = LogErrorInfo::new();
        if let Some(f) = error_flags {
            info = info.with_error_flags(ErrorFlags::from_bits_retain(f));
        }
        if let Some(id) = error_id {
            info = info.with_error_id(ErrorId::from_u128(id));
        }
        if let Some(id) = item_id {
            info = info.with_item_id(ItemId::from_u128(id));
        }
        prop_assert_eq!(LogErrorInfo::try_from(&info.to_raw()), Ok(info));
    }
}
