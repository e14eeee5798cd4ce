//! A portable `HRESULT`: the 32-bit status code every COM method returns.
//!
//! The SyncMgr protocol carries meaning in *success* codes: `Progress`
//! answers `S_SYNCMGR_CANCELITEM` (0x00040203) to cancel an item, and
//! `Initialize` answers `S_FALSE` to decline an event. A binding that tests
//! only the severity bit (`SUCCEEDED(hr)`) folds all of these into "ok" and
//! silently loses the decision ([the specification](crate::protocol#rules) #58, #59). This type therefore
//! compares codes **by value**: [`HResult::is_s_ok`] is true for `S_OK` alone,
//! and [`HResult::is_success_severity`] is named for exactly what it tests.
//!
//! No Windows dependency: the value is a plain `i32` with the same bit
//! pattern as the Windows `HRESULT` typedef.

use std::fmt;

/// A 32-bit COM status code, compared by value.
///
/// ```
/// use syncmgr::HResult;
///
/// assert!(HResult::S_SYNCMGR_CANCELITEM.is_success_severity());
/// assert!(!HResult::S_SYNCMGR_CANCELITEM.is_s_ok()); // a success code, but not S_OK
/// assert_eq!(
///     HResult::S_SYNCMGR_CANCELITEM.to_string(),
///     "0x00040203 (S_SYNCMGR_CANCELITEM)"
/// );
/// assert_eq!(HResult::from_u32(0x8000_4005), HResult::E_FAIL);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(transparent)
)]
pub struct HResult(pub i32);

/// `MAKE_SCODE(sev, FACILITY_ITF, code)`, as mobsync.h builds its codes.
const fn itf_code(severity_error: bool, code: u32) -> HResult {
    let severity = if severity_error { 1u32 << 31 } else { 0 };
    HResult::from_u32(severity | (4 << 16) | code)
}

impl HResult {
    /// `S_OK` (0): success, nothing more to say.
    pub const S_OK: Self = Self(0);
    /// `S_FALSE` (1): success, but "no" (decline, refuse, stop, end of data).
    pub const S_FALSE: Self = Self(1);
    /// `E_NOTIMPL` (0x80004001): the method is not implemented.
    pub const E_NOTIMPL: Self = Self::from_u32(0x8000_4001);
    /// `E_POINTER` (0x80004003): a required pointer was null.
    pub const E_POINTER: Self = Self::from_u32(0x8000_4003);
    /// `E_ABORT` (0x80004004): the operation was aborted.
    pub const E_ABORT: Self = Self::from_u32(0x8000_4004);
    /// `E_FAIL` (0x80004005): unspecified failure.
    pub const E_FAIL: Self = Self::from_u32(0x8000_4005);
    /// `E_UNEXPECTED` (0x8000FFFF): the call was not expected now.
    pub const E_UNEXPECTED: Self = Self::from_u32(0x8000_FFFF);
    /// `E_ACCESSDENIED` (0x80070005): refused.
    pub const E_ACCESSDENIED: Self = Self::from_u32(0x8007_0005);
    /// `E_OUTOFMEMORY` (0x8007000E): allocation failed.
    pub const E_OUTOFMEMORY: Self = Self::from_u32(0x8007_000E);
    /// `E_INVALIDARG` (0x80070057): an argument was invalid.
    pub const E_INVALIDARG: Self = Self::from_u32(0x8007_0057);

    /// `S_SYNCMGR_MISSINGITEMS` (0x00040201): `EnumSyncMgrItems` left some
    /// items out; the host must keep their stored preferences.
    pub const S_SYNCMGR_MISSINGITEMS: Self = itf_code(false, 0x0201);
    /// `S_SYNCMGR_RETRYSYNC` (0x00040202): `ShowErrorCompleted` asks for a new
    /// PrepareForSync/Synchronize cycle over the items it names.
    pub const S_SYNCMGR_RETRYSYNC: Self = itf_code(false, 0x0202);
    /// `S_SYNCMGR_CANCELITEM` (0x00040203): `Progress` answers "stop this item".
    pub const S_SYNCMGR_CANCELITEM: Self = itf_code(false, 0x0203);
    /// `S_SYNCMGR_CANCELALL` (0x00040204): `Progress` answers "stop every item
    /// of this handler".
    pub const S_SYNCMGR_CANCELALL: Self = itf_code(false, 0x0204);
    /// `S_SYNCMGR_ITEMDELETED` (0x00040210): undocumented; by its name a
    /// completion code saying the item was deleted ([the specification](crate::protocol#syncmgr)).
    pub const S_SYNCMGR_ITEMDELETED: Self = itf_code(false, 0x0210);
    /// `S_SYNCMGR_ENUMITEMS` (0x00040211): undocumented; by its name a
    /// completion code asking the host to enumerate the items again.
    pub const S_SYNCMGR_ENUMITEMS: Self = itf_code(false, 0x0211);

    /// Every code this crate knows by name, with that name.
    pub const KNOWN: [(Self, &'static str); 16] = [
        (Self::S_OK, "S_OK"),
        (Self::S_FALSE, "S_FALSE"),
        (Self::E_NOTIMPL, "E_NOTIMPL"),
        (Self::E_POINTER, "E_POINTER"),
        (Self::E_ABORT, "E_ABORT"),
        (Self::E_FAIL, "E_FAIL"),
        (Self::E_UNEXPECTED, "E_UNEXPECTED"),
        (Self::E_ACCESSDENIED, "E_ACCESSDENIED"),
        (Self::E_OUTOFMEMORY, "E_OUTOFMEMORY"),
        (Self::E_INVALIDARG, "E_INVALIDARG"),
        (Self::S_SYNCMGR_MISSINGITEMS, "S_SYNCMGR_MISSINGITEMS"),
        (Self::S_SYNCMGR_RETRYSYNC, "S_SYNCMGR_RETRYSYNC"),
        (Self::S_SYNCMGR_CANCELITEM, "S_SYNCMGR_CANCELITEM"),
        (Self::S_SYNCMGR_CANCELALL, "S_SYNCMGR_CANCELALL"),
        (Self::S_SYNCMGR_ITEMDELETED, "S_SYNCMGR_ITEMDELETED"),
        (Self::S_SYNCMGR_ENUMITEMS, "S_SYNCMGR_ENUMITEMS"),
    ];

    /// The code with this bit pattern (`0x8000_4005` is `E_FAIL`).
    pub const fn from_u32(bits: u32) -> Self {
        Self(bits as i32)
    }

    /// The bit pattern, as Windows prints it.
    pub const fn as_u32(self) -> u32 {
        self.0 as u32
    }

    /// True for `S_OK` and nothing else.
    pub const fn is_s_ok(self) -> bool {
        self.0 == 0
    }

    /// True when the severity bit is clear (`SUCCEEDED(hr)`).
    ///
    /// Beware: `S_FALSE` and every `S_SYNCMGR_*` code pass this test. Use it
    /// only to tell an outcome from a failure, never to read a decision.
    pub const fn is_success_severity(self) -> bool {
        self.0 >= 0
    }

    /// True when the severity bit is set (`FAILED(hr)`).
    pub const fn is_failure(self) -> bool {
        self.0 < 0
    }

    /// The symbolic name, when this crate knows the code.
    pub fn name(self) -> Option<&'static str> {
        Self::KNOWN
            .iter()
            .find(|(code, _)| *code == self)
            .map(|(_, name)| *name)
    }
}

impl fmt::Display for HResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#010x}", self.as_u32())?;
        if let Some(name) = self.name() {
            write!(f, " ({name})")?;
        }
        Ok(())
    }
}

impl fmt::Debug for HResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HResult({self})")
    }
}

impl From<i32> for HResult {
    fn from(value: i32) -> Self {
        Self(value)
    }
}

impl From<HResult> for i32 {
    fn from(value: HResult) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_shows_hex_and_name_when_known() {
        assert_eq!(HResult::S_OK.to_string(), "0x00000000 (S_OK)");
        assert_eq!(
            HResult::E_UNEXPECTED.to_string(),
            "0x8000ffff (E_UNEXPECTED)"
        );
        assert_eq!(HResult::from_u32(0x8765_4321).to_string(), "0x87654321");
    }

    #[test]
    fn names_are_unique_per_code() {
        for (i, (a, _)) in HResult::KNOWN.iter().enumerate() {
            for (b, _) in &HResult::KNOWN[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn severity_and_value_tests_differ_for_success_codes() {
        for code in [
            HResult::S_FALSE,
            HResult::S_SYNCMGR_CANCELITEM,
            HResult::S_SYNCMGR_CANCELALL,
        ] {
            assert!(code.is_success_severity());
            assert!(!code.is_failure());
            assert!(!code.is_s_ok());
        }
        assert!(HResult::E_FAIL.is_failure());
    }
}
