//! Pins every mobsync.h constant of PROTOCOL.md
//! and §A.7 to the literal copied from the fact sheet. The literals are
//! written out, never computed from the code under test.

use syncmgr::{
    ErrorFlags, ErrorId, Guid, HResult, HandlerFlags, InvokeFlags, ItemFlags, ItemState,
    LogErrorMask, LogLevel, MAX_SYNCMGRHANDLERNAME, MAX_SYNCMGRITEMNAME, ProgressMask,
    RegisterFlags, SIZE_SYNCMGRHANDLERINFO, SIZE_SYNCMGRITEM, SIZE_SYNCMGRLOGERRORINFO,
    SIZE_SYNCMGRPROGRESSITEM, StructSize, SyncEvent, SyncMgrFlags, SyncMgrStatus, SyncModifiers,
};

// --- §A.1 typedefs and limits ------------------------------------------------

#[test]
fn a1_name_limits() {
    assert_eq!(MAX_SYNCMGRHANDLERNAME, 32);
    assert_eq!(MAX_SYNCMGRITEMNAME, 128);
}

#[test]
fn a1_sdk_masks_not_mingw() {
    // SYNCMGRHANDLERFLAG_MASK: SDK/WRS 0x000f (mingw's 0x07 is out of date).
    assert_eq!(HandlerFlags::MASK, 0x000f);
    // SYNCMGRITEM_ITEMFLAGMASK: SDK/WRS 0x007F (mingw's 0x1F is out of date).
    assert_eq!(ItemFlags::MASK, 0x007F);
    // SYNCMGRREGISTERFLAGS_MASK.
    assert_eq!(RegisterFlags::MASK, 0x07);
}

#[test]
fn a1_item_state_values() {
    assert_eq!(ItemState::Unchecked as u32, 0);
    assert_eq!(ItemState::Checked as u32, 1);
}

#[test]
fn a1_id_types_are_guids() {
    // SYNCMGRITEMID / SYNCMGRERRORID are GUID.
    let g = Guid::from_u128(0x0123_4567_89AB_CDEF_0011_2233_4455_6677);
    assert_eq!(syncmgr::ItemId::from_guid(g).to_guid(), g);
    assert_eq!(ErrorId::from_guid(g).to_guid(), g);
}

// --- §A.2 HRESULTs -------------------------------------------------------------

#[test]
fn a2_syncmgr_success_codes() {
    assert_eq!(HResult::S_SYNCMGR_MISSINGITEMS.as_u32(), 0x00040201);
    assert_eq!(HResult::S_SYNCMGR_RETRYSYNC.as_u32(), 0x00040202);
    assert_eq!(HResult::S_SYNCMGR_CANCELITEM.as_u32(), 0x00040203);
    assert_eq!(HResult::S_SYNCMGR_CANCELALL.as_u32(), 0x00040204);
    assert_eq!(HResult::S_SYNCMGR_ITEMDELETED.as_u32(), 0x00040210);
    assert_eq!(HResult::S_SYNCMGR_ENUMITEMS.as_u32(), 0x00040211);
}

#[test]
fn a2_syncmgr_codes_are_success_codes() {
    for code in [
        HResult::S_SYNCMGR_MISSINGITEMS,
        HResult::S_SYNCMGR_RETRYSYNC,
        HResult::S_SYNCMGR_CANCELITEM,
        HResult::S_SYNCMGR_CANCELALL,
        HResult::S_SYNCMGR_ITEMDELETED,
        HResult::S_SYNCMGR_ENUMITEMS,
    ] {
        assert!(code.is_success_severity(), "{code}");
    }
}

#[test]
fn a2_standard_codes() {
    assert_eq!(HResult::S_OK.as_u32(), 0);
    assert_eq!(HResult::S_FALSE.as_u32(), 1);
    assert_eq!(HResult::E_NOTIMPL.as_u32(), 0x80004001);
    assert_eq!(HResult::E_POINTER.as_u32(), 0x80004003);
    assert_eq!(HResult::E_ABORT.as_u32(), 0x80004004);
    assert_eq!(HResult::E_FAIL.as_u32(), 0x80004005);
    assert_eq!(HResult::E_UNEXPECTED.as_u32(), 0x8000FFFF);
    assert_eq!(HResult::E_ACCESSDENIED.as_u32(), 0x80070005);
    assert_eq!(HResult::E_OUTOFMEMORY.as_u32(), 0x8007000E);
    assert_eq!(HResult::E_INVALIDARG.as_u32(), 0x80070057);
}

// --- §A.3 GUIDs ----------------------------------------------------------------

/// Checks one GUID against its registry text and its four fields.
fn check_guid(guid: Guid, text: &str, data1: u32, data2: u16, data3: u16, data4: [u8; 8]) {
    assert_eq!(guid.to_string(), text);
    assert_eq!(text.parse::<Guid>().unwrap(), guid);
    assert_eq!(
        (guid.data1, guid.data2, guid.data3, guid.data4),
        (data1, data2, data3, data4),
        "{text}"
    );
}

const SYNCMGR_DATA4: [u8; 8] = [0x87, 0x07, 0x00, 0xC0, 0x4F, 0xD9, 0x33, 0x27];

#[test]
fn a3_clsid_syncmgr() {
    check_guid(
        Guid::CLSID_SYNCMGR,
        "{6295DF27-35EE-11D1-8707-00C04FD93327}",
        0x6295DF27,
        0x35EE,
        0x11D1,
        SYNCMGR_DATA4,
    );
}

#[test]
fn a3_iid_isyncmgrsynchronize() {
    check_guid(
        Guid::IID_ISYNCMGRSYNCHRONIZE,
        "{6295DF40-35EE-11D1-8707-00C04FD93327}",
        0x6295DF40,
        0x35EE,
        0x11D1,
        SYNCMGR_DATA4,
    );
}

#[test]
fn a3_iid_isyncmgrsynchronizecallback() {
    check_guid(
        Guid::IID_ISYNCMGRSYNCHRONIZECALLBACK,
        "{6295DF41-35EE-11D1-8707-00C04FD93327}",
        0x6295DF41,
        0x35EE,
        0x11D1,
        SYNCMGR_DATA4,
    );
}

#[test]
fn a3_iid_isyncmgrregister() {
    check_guid(
        Guid::IID_ISYNCMGRREGISTER,
        "{6295DF42-35EE-11D1-8707-00C04FD93327}",
        0x6295DF42,
        0x35EE,
        0x11D1,
        SYNCMGR_DATA4,
    );
}

#[test]
fn a3_iid_isyncmgrenumitems() {
    check_guid(
        Guid::IID_ISYNCMGRENUMITEMS,
        "{6295DF2A-35EE-11D1-8707-00C04FD93327}",
        0x6295DF2A,
        0x35EE,
        0x11D1,
        SYNCMGR_DATA4,
    );
}

#[test]
fn a3_iid_isyncmgrsynchronizeinvoke() {
    check_guid(
        Guid::IID_ISYNCMGRSYNCHRONIZEINVOKE,
        "{6295DF2C-35EE-11D1-8707-00C04FD93327}",
        0x6295DF2C,
        0x35EE,
        0x11D1,
        SYNCMGR_DATA4,
    );
}

#[test]
fn a3_not_the_pre_release_iids() {
    // PROTOCOL.md: pre-release headers carry 6295DF28/29 and 894D8C55; the
    // shipped values are 6295DF40/41/42.
    assert_ne!(Guid::IID_ISYNCMGRSYNCHRONIZE.data1, 0x6295DF28);
    assert_ne!(Guid::IID_ISYNCMGRSYNCHRONIZECALLBACK.data1, 0x6295DF29);
    assert_ne!(Guid::IID_ISYNCMGRREGISTER.data1, 0x894D8C55);
}

// --- §A.5 structure sizes ------------------------------------------------------

#[test]
fn a5_struct_sizes() {
    assert_eq!(SIZE_SYNCMGRPROGRESSITEM, StructSize { x86: 24, x64: 32 });
    assert_eq!(SIZE_SYNCMGRLOGERRORINFO, StructSize { x86: 44, x64: 44 });
    assert_eq!(SIZE_SYNCMGRITEM, StructSize { x86: 296, x64: 304 });
    assert_eq!(SIZE_SYNCMGRHANDLERINFO, StructSize { x86: 76, x64: 88 });
}

#[test]
fn a5_current_size_follows_pointer_width() {
    #[cfg(target_pointer_width = "64")]
    {
        assert_eq!(SIZE_SYNCMGRITEM.current(), 304);
        assert_eq!(SIZE_SYNCMGRHANDLERINFO.current(), 88);
        assert_eq!(SIZE_SYNCMGRPROGRESSITEM.current(), 32);
        assert!(SIZE_SYNCMGRITEM.accepts(304));
        assert!(!SIZE_SYNCMGRITEM.accepts(296));
    }
    #[cfg(target_pointer_width = "32")]
    {
        assert_eq!(SIZE_SYNCMGRITEM.current(), 296);
        assert_eq!(SIZE_SYNCMGRHANDLERINFO.current(), 76);
        assert_eq!(SIZE_SYNCMGRPROGRESSITEM.current(), 24);
        assert!(SIZE_SYNCMGRITEM.accepts(296));
        assert!(!SIZE_SYNCMGRITEM.accepts(304));
    }
    assert_eq!(SIZE_SYNCMGRLOGERRORINFO.current(), 44);
    assert!(SIZE_SYNCMGRLOGERRORINFO.accepts(44));
    assert!(!SIZE_SYNCMGRLOGERRORINFO.accepts(0));
}

// --- §A.6 mask bits ------------------------------------------------------------

#[test]
fn a6_progress_item_mask_bits() {
    assert_eq!(ProgressMask::STATUS_TEXT.bits(), 0x0001);
    assert_eq!(ProgressMask::STATUS_TYPE.bits(), 0x0002);
    assert_eq!(ProgressMask::PROG_VALUE.bits(), 0x0004);
    assert_eq!(ProgressMask::MAX_VALUE.bits(), 0x0008);
    assert_eq!(ProgressMask::MASK, 0x000F);
}

#[test]
fn a6_log_error_mask_bits() {
    assert_eq!(LogErrorMask::ERROR_FLAGS.bits(), 0x0001);
    assert_eq!(LogErrorMask::ERROR_ID.bits(), 0x0002);
    assert_eq!(LogErrorMask::ITEM_ID.bits(), 0x0004);
    assert_eq!(LogErrorMask::MASK, 0x0007);
}

// --- §A.7 enumerations -----------------------------------------------------------

#[test]
fn a7_syncmgrflag() {
    assert_eq!(SyncEvent::Connect as u32, 0x1);
    assert_eq!(SyncEvent::PendingDisconnect as u32, 0x2);
    assert_eq!(SyncEvent::Manual as u32, 0x3);
    assert_eq!(SyncEvent::Idle as u32, 0x4);
    assert_eq!(SyncEvent::Invoke as u32, 0x5);
    assert_eq!(SyncEvent::Scheduled as u32, 0x6);
    assert_eq!(SyncMgrFlags::EVENT_MASK, 0xff);
    assert_eq!(SyncModifiers::SETTINGS.bits(), 0x100);
    assert_eq!(SyncModifiers::MAY_BOTHER_USER.bits(), 0x200);
    assert_eq!(SyncEvent::ALL.len(), 6);
}

#[test]
fn a7_syncmgrflag_windows_names() {
    assert_eq!(SyncEvent::Connect.windows_name(), "SYNCMGRFLAG_CONNECT");
    assert_eq!(
        SyncEvent::PendingDisconnect.windows_name(),
        "SYNCMGRFLAG_PENDINGDISCONNECT"
    );
    assert_eq!(SyncEvent::Manual.windows_name(), "SYNCMGRFLAG_MANUAL");
    assert_eq!(SyncEvent::Idle.windows_name(), "SYNCMGRFLAG_IDLE");
    assert_eq!(SyncEvent::Invoke.windows_name(), "SYNCMGRFLAG_INVOKE");
    assert_eq!(SyncEvent::Scheduled.windows_name(), "SYNCMGRFLAG_SCHEDULED");
}

#[test]
fn a7_syncmgrstatus() {
    assert_eq!(SyncMgrStatus::Stopped as u32, 0);
    assert_eq!(SyncMgrStatus::Skipped as u32, 0x1);
    assert_eq!(SyncMgrStatus::Pending as u32, 0x2);
    assert_eq!(SyncMgrStatus::Updating as u32, 0x3);
    assert_eq!(SyncMgrStatus::Succeeded as u32, 0x4);
    assert_eq!(SyncMgrStatus::Failed as u32, 0x5);
    assert_eq!(SyncMgrStatus::Paused as u32, 0x6);
    assert_eq!(SyncMgrStatus::Resuming as u32, 0x7);
    assert_eq!(SyncMgrStatus::UpdatingIndeterminate as u32, 0x8);
    assert_eq!(SyncMgrStatus::Deleted as u32, 0x100);
    assert_eq!(SyncMgrStatus::ALL.len(), 10);
}

#[test]
fn a7_syncmgrstatus_windows_names() {
    let names = [
        (SyncMgrStatus::Stopped, "SYNCMGRSTATUS_STOPPED"),
        (SyncMgrStatus::Skipped, "SYNCMGRSTATUS_SKIPPED"),
        (SyncMgrStatus::Pending, "SYNCMGRSTATUS_PENDING"),
        (SyncMgrStatus::Updating, "SYNCMGRSTATUS_UPDATING"),
        (SyncMgrStatus::Succeeded, "SYNCMGRSTATUS_SUCCEEDED"),
        (SyncMgrStatus::Failed, "SYNCMGRSTATUS_FAILED"),
        (SyncMgrStatus::Paused, "SYNCMGRSTATUS_PAUSED"),
        (SyncMgrStatus::Resuming, "SYNCMGRSTATUS_RESUMING"),
        (
            SyncMgrStatus::UpdatingIndeterminate,
            "SYNCMGRSTATUS_UPDATING_INDETERMINATE",
        ),
        (SyncMgrStatus::Deleted, "SYNCMGRSTATUS_DELETED"),
    ];
    for (status, name) in names {
        assert_eq!(status.windows_name(), name);
    }
}

#[test]
fn a7_syncmgrloglevel() {
    assert_eq!(LogLevel::Information as u32, 0x1);
    assert_eq!(LogLevel::Warning as u32, 0x2);
    assert_eq!(LogLevel::Error as u32, 0x3);
    assert_eq!(LogLevel::MAX, 0x3); // SYNCMGRLOGLEVEL_LOGLEVELMAX
    assert_eq!(LogLevel::ALL.len(), 3);
}

#[test]
fn a7_syncmgrerrorflags() {
    assert_eq!(ErrorFlags::ENABLE_JUMP_TEXT.bits(), 0x1);
    assert_eq!(ErrorFlags::MASK, 0x1);
}

#[test]
fn a7_syncmgritemflags() {
    assert_eq!(ItemFlags::HAS_PROPERTIES.bits(), 0x1);
    assert_eq!(ItemFlags::TEMPORARY.bits(), 0x2);
    assert_eq!(ItemFlags::ROAMING_USER.bits(), 0x4);
    assert_eq!(ItemFlags::LAST_UPDATE_TIME.bits(), 0x8);
    assert_eq!(ItemFlags::MAY_DELETE_ITEM.bits(), 0x10);
    assert_eq!(ItemFlags::HIDDEN.bits(), 0x20);
    // Inside SYNCMGRITEM_ITEMFLAGMASK, named by no header.
    assert_eq!(ItemFlags::RESERVED_40.bits(), 0x40);
    assert_eq!(ItemFlags::MASK, 0x7F);
}

#[test]
fn a7_syncmgrhandlerflags() {
    assert_eq!(HandlerFlags::HAS_PROPERTIES.bits(), 0x1);
    assert_eq!(HandlerFlags::MAY_ESTABLISH_CONNECTION.bits(), 0x2);
    assert_eq!(HandlerFlags::ALWAYS_LIST_HANDLER.bits(), 0x4);
    assert_eq!(HandlerFlags::HIDDEN.bits(), 0x8);
    assert_eq!(HandlerFlags::MASK, 0x0F);
}

#[test]
fn a7_syncmgrinvokeflags() {
    assert_eq!(InvokeFlags::START_SYNC.bits(), 0x2);
    assert_eq!(InvokeFlags::MINIMIZED.bits(), 0x4);
    assert_eq!(InvokeFlags::MASK, 0x06);
    // "There is no 0x1."
    assert!(InvokeFlags::decode(0x1).is_err());
}

#[test]
fn a7_syncmgrregisterflags() {
    assert_eq!(RegisterFlags::CONNECT.bits(), 0x1);
    assert_eq!(RegisterFlags::PENDING_DISCONNECT.bits(), 0x2);
    assert_eq!(RegisterFlags::IDLE.bits(), 0x4);
    assert_eq!(RegisterFlags::MASK, 0x07);
}

#[test]
fn a7_syncmgritemstate() {
    assert_eq!(ItemState::Unchecked as u32, 0);
    assert_eq!(ItemState::Checked as u32, 0x1);
    assert_eq!(ItemState::ALL.len(), 2);
}

#[test]
fn a7_windows_type_names() {
    assert_eq!(SyncMgrStatus::TYPE_NAME, "SYNCMGRSTATUS");
    assert_eq!(ItemState::TYPE_NAME, "SYNCMGRITEMSTATE");
    assert_eq!(LogLevel::TYPE_NAME, "SYNCMGRLOGLEVEL");
    assert_eq!(ItemFlags::TYPE_NAME, "SYNCMGRITEMFLAGS");
    assert_eq!(HandlerFlags::TYPE_NAME, "SYNCMGRHANDLERFLAGS");
    assert_eq!(ErrorFlags::TYPE_NAME, "SYNCMGRERRORFLAGS");
    assert_eq!(InvokeFlags::TYPE_NAME, "SYNCMGRINVOKEFLAGS");
    assert_eq!(RegisterFlags::TYPE_NAME, "SYNCMGRREGISTERFLAGS");
    assert_eq!(ProgressMask::TYPE_NAME, "SYNCMGRPROGRESSITEM mask");
    assert_eq!(LogErrorMask::TYPE_NAME, "SYNCMGRLOGERRORINFO mask");
}
