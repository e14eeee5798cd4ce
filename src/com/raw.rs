//! Reading and writing the mobsync.h structures and strings at the COM edge.
//!
//! Readers take raw pointers from a COM peer: they check for NULL, read
//! `cbSize` alone before the rest of a structure, and decode through the
//! crate's strict raw records ([`RawProgressItem`], [`RawLogErrorInfo`],
//! [`RawHandlerInfo`], [`RawSyncItem`]). Writers build the C structures from
//! the typed records, with this architecture's `cbSize`.

use windows::Win32::Foundation::FILETIME;
use windows::Win32::UI::Shell::{
    SYNCMGRHANDLERINFO, SYNCMGRITEM, SYNCMGRLOGERRORINFO, SYNCMGRPROGRESSITEM,
};
use windows::Win32::UI::WindowsAndMessaging::HICON;
use windows_core::{GUID, PCWSTR};

use super::convert::{from_guid, to_guid};
use super::error::ComError;
use crate::{
    DecodeError, FileTime, Guid, HandlerInfo, LogErrorInfo, ProgressMask, RawHandlerInfo,
    RawLogErrorInfo, RawProgressItem, RawSyncItem, SIZE_SYNCMGRHANDLERINFO, SIZE_SYNCMGRITEM,
    SIZE_SYNCMGRLOGERRORINFO, SIZE_SYNCMGRPROGRESSITEM, StructSize, SyncItem, SyncMgrProgress,
};

/// The longest free text read from a COM peer (a status text, a log text, a
/// connection name), in UTF-16 units including the terminating NUL.
///
/// mobsync.h sets no limit on these texts; the crate's choice is the
/// longest `UNICODE_STRING` (32 767 units), so a missing terminator is found
/// without reading far past the text. A longer text is refused with
/// [`DecodeError::Unterminated`].
pub const MAX_TEXT_UNITS: usize = 32_768;

/// Read the GUID behind a required `REFGUID` argument.
///
/// # Safety
///
/// `ptr` is NULL or points to a readable `GUID`.
pub(crate) unsafe fn read_guid(
    method: &'static str,
    argument: &'static str,
    ptr: *const GUID,
) -> Result<Guid, ComError> {
    // SAFETY: the caller guarantees `ptr` is NULL or readable; NULL is
    // refused by `as_ref`.
    let guid = unsafe { ptr.as_ref() }.ok_or(ComError::NullPointer { method, argument })?;
    Ok(from_guid(*guid))
}

/// Read `count` GUIDs from a `[size_is(count)]` array; a NULL array is
/// accepted only with a zero count.
///
/// # Safety
///
/// `ptr` is NULL or points to `count` readable `GUID`s.
pub(crate) unsafe fn read_guids(
    method: &'static str,
    argument: &'static str,
    count: u32,
    ptr: *const GUID,
) -> Result<Vec<Guid>, ComError> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if ptr.is_null() {
        return Err(ComError::NullPointer { method, argument });
    }
    let count = usize::try_from(count).map_err(|_| ComError::InvalidArgument {
        method,
        reason: format!("{argument} has too many elements ({count})"),
    })?;
    if count > isize::MAX as usize / size_of::<GUID>() {
        return Err(ComError::InvalidArgument {
            method,
            reason: format!("{argument} has too many elements ({count})"),
        });
    }
    // SAFETY: `ptr` is non-NULL and the caller guarantees `count` readable
    // GUIDs; the length fits `isize` (checked above).
    let slice = unsafe { std::slice::from_raw_parts(ptr, count) };
    Ok(slice.iter().copied().map(from_guid).collect())
}

/// Read the UTF-16 units of a NUL-terminated string, without the NUL,
/// looking at no more than `limit` units (the NUL included).
///
/// # Safety
///
/// `text` is non-NULL and readable up to its terminating NUL or `limit`
/// units, whichever comes first.
pub(crate) unsafe fn read_wide_units(
    method: &'static str,
    field: &'static str,
    text: PCWSTR,
    limit: usize,
) -> Result<Vec<u16>, ComError> {
    let mut units = Vec::new();
    for index in 0..limit {
        // SAFETY: the caller guarantees the units before the NUL (and the
        // NUL itself) are readable, and we stop at the first NUL.
        let unit = unsafe { text.0.add(index).read_unaligned() };
        if unit == 0 {
            return Ok(units);
        }
        units.push(unit);
    }
    Err(ComError::Decode {
        method,
        source: DecodeError::Unterminated { field, limit },
    })
}

/// Read a required NUL-terminated string (at most [`MAX_TEXT_UNITS`]).
///
/// # Safety
///
/// `text` is NULL or a NUL-terminated UTF-16 string.
pub(crate) unsafe fn read_text(
    method: &'static str,
    field: &'static str,
    text: PCWSTR,
) -> Result<String, ComError> {
    if text.is_null() {
        return Err(ComError::NullPointer {
            method,
            argument: field,
        });
    }
    // SAFETY: non-NULL, and the caller guarantees it is terminated.
    let units = unsafe { read_wide_units(method, field, text, MAX_TEXT_UNITS) }?;
    crate::core::decode::utf16_to_string(field, &units)
        .map_err(|source| ComError::Decode { method, source })
}

/// Read an optional (`[unique]`) NUL-terminated string.
///
/// # Safety
///
/// `text` is NULL or a NUL-terminated UTF-16 string.
pub(crate) unsafe fn read_optional_text(
    method: &'static str,
    field: &'static str,
    text: PCWSTR,
) -> Result<Option<String>, ComError> {
    if text.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded from the caller.
    unsafe { read_text(method, field, text) }.map(Some)
}

/// Refuse a non-zero reserved argument.
pub(crate) fn reserved(
    method: &'static str,
    argument: &'static str,
    value: u32,
) -> Result<(), ComError> {
    if value == 0 {
        Ok(())
    } else {
        Err(ComError::Reserved {
            method,
            argument,
            value,
        })
    }
}

/// Check a `cbSize` against this architecture's size.
fn check_size(
    method: &'static str,
    structure: &'static str,
    got: u32,
    size: StructSize,
) -> Result<(), ComError> {
    if size.accepts(got) {
        Ok(())
    } else {
        Err(ComError::BadSize {
            method,
            structure,
            got,
            expected: size.current(),
        })
    }
}

/// Read a structure whose first field is its `cbSize`: the size is read
/// first, and the rest only when it is right.
///
/// # Safety
///
/// `ptr` is non-NULL and at least its first four bytes are readable; when
/// they hold the right size, the whole `T` is readable.
unsafe fn read_sized<T: Copy>(
    method: &'static str,
    structure: &'static str,
    ptr: *const T,
    size: StructSize,
) -> Result<T, ComError> {
    // SAFETY: the first field of every mobsync structure is the `DWORD`
    // cbSize, which the caller guarantees readable.
    let cb_size = unsafe { ptr.cast::<u32>().read_unaligned() };
    check_size(method, structure, cb_size, size)?;
    // SAFETY: the peer says the structure has our size, so it is readable
    // in full (the caller's guarantee).
    Ok(unsafe { ptr.read_unaligned() })
}

/// Decode an optional `SYNCMGRPROGRESSITEM`: `None` for NULL (a pure
/// cancellation poll, [§G.3 #25](crate::protocol#fact-25)).
///
/// # Safety
///
/// `ptr` is NULL or points to a `SYNCMGRPROGRESSITEM` whose text (when its
/// mask bit is set) is NULL or NUL-terminated.
pub(crate) unsafe fn read_progress(
    method: &'static str,
    ptr: *const SYNCMGRPROGRESSITEM,
) -> Result<Option<SyncMgrProgress>, ComError> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL; forwarded from the caller.
    let item = unsafe { read_sized(method, "SYNCMGRPROGRESSITEM", ptr, SIZE_SYNCMGRPROGRESSITEM) }?;
    let field = "SYNCMGRPROGRESSITEM.lpcStatusText";
    // The text is read only when the mask says it is there.
    let status_text =
        if item.mask & ProgressMask::STATUS_TEXT.bits() != 0 && !item.lpcStatusText.is_null() {
            // SAFETY: non-NULL and flagged present; the caller guarantees it
            // is terminated.
            Some(unsafe { read_wide_units(method, field, item.lpcStatusText, MAX_TEXT_UNITS) }?)
        } else {
            None
        };
    let raw = RawProgressItem {
        mask: item.mask,
        status_text,
        status_type: item.dwStatusType,
        prog_value: item.iProgValue,
        max_value: item.iMaxValue,
    };
    SyncMgrProgress::try_from(&raw)
        .map(Some)
        .map_err(|source| ComError::Progress { method, source })
}

/// A `SYNCMGRPROGRESSITEM` for `report`, and the NUL-terminated text its
/// pointer refers to (keep both alive for the call).
pub(crate) fn progress_to_abi(report: &SyncMgrProgress) -> (SYNCMGRPROGRESSITEM, Option<Vec<u16>>) {
    let raw = report.to_raw();
    let text = raw.status_text.map(|mut units| {
        units.push(0);
        units
    });
    let item = SYNCMGRPROGRESSITEM {
        cbSize: SIZE_SYNCMGRPROGRESSITEM.current(),
        mask: raw.mask,
        lpcStatusText: text.as_ref().map_or(PCWSTR::null(), |t| PCWSTR(t.as_ptr())),
        dwStatusType: raw.status_type,
        iProgValue: raw.prog_value,
        iMaxValue: raw.max_value,
    };
    (item, text)
}

/// Decode an optional `SYNCMGRLOGERRORINFO` (`None` for NULL).
///
/// # Safety
///
/// `ptr` is NULL or points to a `SYNCMGRLOGERRORINFO`.
pub(crate) unsafe fn read_log_info(
    method: &'static str,
    ptr: *const SYNCMGRLOGERRORINFO,
) -> Result<Option<LogErrorInfo>, ComError> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL; forwarded from the caller.
    let info = unsafe { read_sized(method, "SYNCMGRLOGERRORINFO", ptr, SIZE_SYNCMGRLOGERRORINFO) }?;
    let raw = RawLogErrorInfo {
        mask: info.mask,
        error_flags: info.dwSyncMgrErrorFlags,
        error_id: from_guid(info.ErrorID),
        item_id: from_guid(info.ItemID),
    };
    LogErrorInfo::try_from(&raw)
        .map(Some)
        .map_err(|source| ComError::Decode { method, source })
}

/// The `SYNCMGRLOGERRORINFO` for `info`.
pub(crate) fn log_info_to_abi(info: &LogErrorInfo) -> SYNCMGRLOGERRORINFO {
    let raw = info.to_raw();
    SYNCMGRLOGERRORINFO {
        cbSize: SIZE_SYNCMGRLOGERRORINFO.current(),
        mask: raw.mask,
        dwSyncMgrErrorFlags: raw.error_flags,
        ErrorID: to_guid(raw.error_id),
        ItemID: to_guid(raw.item_id),
    }
}

/// The `SYNCMGRHANDLERINFO` for `info` (no icon).
pub(crate) fn handler_info_to_abi(info: &HandlerInfo) -> SYNCMGRHANDLERINFO {
    let raw = info.to_raw();
    SYNCMGRHANDLERINFO {
        cbSize: SIZE_SYNCMGRHANDLERINFO.current(),
        hIcon: HICON::default(),
        SyncMgrHandlerFlags: raw.flags,
        wszHandlerName: raw.handler_name,
    }
}

/// Decode a `SYNCMGRHANDLERINFO` a handler returned.
///
/// # Safety
///
/// `ptr` is non-NULL and points to at least a `DWORD`, and to a whole
/// `SYNCMGRHANDLERINFO` when that `DWORD` is its size.
pub(crate) unsafe fn read_handler_info(
    method: &'static str,
    ptr: *const SYNCMGRHANDLERINFO,
) -> Result<HandlerInfo, ComError> {
    // SAFETY: forwarded from the caller.
    let info = unsafe { read_sized(method, "SYNCMGRHANDLERINFO", ptr, SIZE_SYNCMGRHANDLERINFO) }?;
    let raw = RawHandlerInfo {
        flags: info.SyncMgrHandlerFlags,
        handler_name: info.wszHandlerName,
    };
    HandlerInfo::try_from(&raw).map_err(|source| ComError::Decode { method, source })
}

/// The `SYNCMGRITEM` for `item` (no icon).
pub(crate) fn item_to_abi(item: &SyncItem) -> SYNCMGRITEM {
    let raw = item.to_raw();
    SYNCMGRITEM {
        cbSize: SIZE_SYNCMGRITEM.current(),
        dwFlags: raw.flags,
        ItemID: to_guid(raw.item_id),
        dwItemState: raw.item_state,
        hIcon: HICON::default(),
        wszItemName: raw.item_name,
        ftLastUpdate: FILETIME {
            dwLowDateTime: raw.last_update.low(),
            dwHighDateTime: raw.last_update.high(),
        },
    }
}

/// Decode a `SYNCMGRITEM` an enumerator returned.
pub(crate) fn item_from_abi(
    method: &'static str,
    item: &SYNCMGRITEM,
) -> Result<SyncItem, ComError> {
    check_size(method, "SYNCMGRITEM", item.cbSize, SIZE_SYNCMGRITEM)?;
    let raw = RawSyncItem {
        flags: item.dwFlags,
        item_id: from_guid(item.ItemID),
        item_state: item.dwItemState,
        item_name: item.wszItemName,
        last_update: FileTime::from_parts(
            item.ftLastUpdate.dwLowDateTime,
            item.ftLastUpdate.dwHighDateTime,
        ),
    };
    SyncItem::try_from(&raw).map_err(|source| ComError::Decode { method, source })
}

/// `text` as a NUL-terminated UTF-16 buffer for a COM call.
///
/// # Errors
///
/// [`DecodeError::InteriorNul`] when `text` contains a NUL (the peer would
/// see it cut short).
pub(crate) fn wide(
    method: &'static str,
    field: &'static str,
    text: &str,
) -> Result<Vec<u16>, ComError> {
    crate::core::decode::check_text_limit(field, text, usize::MAX)
        .map_err(|source| ComError::Decode { method, source })?;
    Ok(text.encode_utf16().chain(std::iter::once(0)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ItemId, SyncMgrStatus};

    #[test]
    fn progress_round_trips_through_the_c_struct() {
        let report = SyncMgrProgress::builder()
            .status(SyncMgrStatus::Updating)
            .value(2)
            .max(9)
            .text("copying")
            .build()
            .unwrap();
        let (item, _text) = progress_to_abi(&report);
        // SAFETY: `item` and the text it points to are alive.
        let back = unsafe { read_progress("Progress", &item) }.unwrap();
        assert_eq!(back, Some(report));
    }

    #[test]
    fn progress_size_is_checked_before_anything_else() {
        let report = SyncMgrProgress::with_status(SyncMgrStatus::Succeeded);
        let (mut item, _text) = progress_to_abi(&report);
        item.cbSize = SIZE_SYNCMGRPROGRESSITEM.x86;
        // SAFETY: `item` is alive.
        let error = unsafe { read_progress("Progress", &item) }.unwrap_err();
        assert_eq!(
            error,
            ComError::BadSize {
                method: "Progress",
                structure: "SYNCMGRPROGRESSITEM",
                got: 24,
                expected: 32
            }
        );
    }

    #[test]
    fn texts_are_decoded_strictly() {
        let bad = [0x61, 0xD800, 0x62, 0];
        // SAFETY: `bad` is NUL-terminated.
        let error = unsafe { read_text("LogError", "pszErrorText", PCWSTR(bad.as_ptr())) };
        assert!(matches!(
            error,
            Err(ComError::Decode {
                source: DecodeError::InvalidUtf16 { unit: 0xD800, .. },
                ..
            })
        ));
        let long = [0x61u16; 10];
        // SAFETY: we look at no more than `limit` (4) units of 10.
        let error = unsafe { read_wide_units("m", "f", PCWSTR(long.as_ptr()), 4) };
        assert!(matches!(
            error,
            Err(ComError::Decode {
                source: DecodeError::Unterminated { limit: 4, .. },
                ..
            })
        ));
        assert!(wide("m", "f", "a\0b").is_err());
    }

    #[test]
    fn items_and_handler_info_round_trip() {
        let item = SyncItem::new(ItemId::from_u128(5), "Inbox")
            .unwrap()
            .with_last_update(FileTime(77));
        assert_eq!(item_from_abi("Next", &item_to_abi(&item)).unwrap(), item);
        let info = HandlerInfo::new("Mail").unwrap();
        let abi = handler_info_to_abi(&info);
        // SAFETY: `abi` is alive.
        let back = unsafe { read_handler_info("GetHandlerInfo", &abi) };
        assert_eq!(back.unwrap(), info);
        let mut unterminated = item_to_abi(&item);
        unterminated.wszItemName = [0x61; 128];
        assert!(matches!(
            item_from_abi("Next", &unterminated),
            Err(ComError::Decode {
                source: DecodeError::Unterminated { limit: 128, .. },
                ..
            })
        ));
    }
}
