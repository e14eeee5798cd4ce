//! [`Rule`]: the numbered protocol invariants a host checks, and
//! [`Violation`]: one recorded breach of a rule.

use std::fmt;

use crate::{CallbackError, HResult, ItemKey, Mode};

/// A numbered protocol invariant, as the crate's specification
/// ([`protocol`](crate::protocol)) states it.
///
/// Only the rules a host can observe have names here; [`Rule::summary`]
/// states each in one line, and each has its own section in the
/// specification, with its sources and what a strict and a lenient host
/// answer ([`Rule::anchor`], [`Rule::spec_url`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rule(u8);

macro_rules! rules {
    ($($name:ident = $number:literal, $section:literal, $summary:literal;)+) => {
        impl Rule {
            $(
                #[doc = concat!("[§", $section, " #", stringify!($number), "](crate::protocol#rule-", stringify!($number), "): ", $summary, ".")]
                pub const $name: Self = Self($number);
            )+

            /// Every rule this crate checks, in number order.
            pub const ALL: &'static [Self] = &[$(Self::$name),+];

            /// The rule's number.
            pub const fn number(self) -> u8 {
                self.0
            }

            /// The section of the fact sheet, e.g. `G.3`.
            pub const fn section(self) -> &'static str {
                match self.0 {
                    $($number => $section,)+
                    _ => "G",
                }
            }

            /// The rule in one line.
            pub const fn summary(self) -> &'static str {
                match self.0 {
                    $($number => $summary,)+
                    _ => "unnamed rule",
                }
            }

            /// The rule's anchor in the specification, e.g. `rule-23`
            /// ([`protocol`](crate::protocol), `PROTOCOL.md`).
            pub const fn anchor(self) -> &'static str {
                match self.0 {
                    $($number => concat!("rule-", stringify!($number)),)+
                    _ => "rules",
                }
            }
        }
    };
}

rules! {
    INITIALIZE_FIRST = 1, "G.1", "Initialize is the first call, and nothing but release follows a declined Initialize";
    CALLBACK_RELEASED = 6, "G.1", "after SetProgressCallback(NULL) the handler holds no reference to the callback";
    NO_CALL_AFTER_RELEASE = 8, "G.1", "no callback call after SetProgressCallback(NULL) returned";
    HANDLER_INFO_VALID = 10, "G.1", "GetHandlerInfo returns a valid handler record";
    ENUMERATION_VALID = 11, "G.1", "item ids within one enumeration are unique";
    PREPARE_COMPLETED_ONCE = 13, "G.2", "PrepareForSyncCompleted exactly once, and only after PrepareForSync returned S_OK";
    PREPARED_SET = 15, "G.2", "every Progress and item-tagged LogError names an item of the prepared set";
    SYNCHRONIZE_COMPLETED_ONCE = 16, "G.2", "SynchronizeCompleted exactly once, and only after Synchronize returned S_OK";
    PROGRESS_WINDOW = 17, "G.2", "Progress only between PrepareForSync and SynchronizeCompleted";
    SKIP_WINDOW = 18, "G.2", "after SetItemStatus(SKIPPED) an item may only report a terminal status";
    RETRY_ITEMS = 19, "G.2", "ShowErrorCompleted(S_SYNCMGR_RETRYSYNC) names at least one item";
    PROGRESS_BEFORE_ITEM = 20, "G.3", "the first call naming an item is a non-terminal Progress";
    CANCELLED_ITEM_ENDS = 22, "G.3", "after CANCELITEM an item may only report STOPPED, SKIPPED or FAILED";
    NO_NEW_ITEM_AFTER_CANCEL_ALL = 23, "G.3", "after CANCELALL no Progress opens a new item";
    PROGRESS_ITEM_VALID = 26, "G.3", "a progress report decodes: known mask bits, status, non-negative values";
    VALUE_WITHIN_MAX = 27, "G.3", "0 <= value <= max once both are known, and the value does not decrease while updating";
    TERMINAL_IS_FINAL = 28, "G.3", "after a terminal status only FAILED may follow, and an item moves only forward";
    MODELESS_PAIRED = 29, "G.4", "EnableModeless(TRUE) and (FALSE) pair up without nesting, one handler at a time";
    LOG_LEVEL_VALID = 31, "G.5", "LogError has a valid level, text and info record";
    ERROR_ID_UNIQUE = 32, "G.5", "logged error ids are unique among live entries and never the all-zero id";
    SHOW_ERROR_COMPLETED_ONCE = 35, "G.5", "ShowErrorCompleted at most once, and only after ShowError returned success";
    SHOW_PROPERTIES_COMPLETED_ONCE = 36, "G.5", "ShowPropertiesCompleted at most once, and only after ShowProperties returned success";
    CONNECTION_WINDOW = 38, "G.5", "EstablishConnection only between PrepareForSync and SynchronizeCompleted";
    SYNC_CENTER_LIMITS = 40, "G.7", "item ids are at most 64 UTF-16 units and progress text at most 260, each with its NUL";
    SYNC_CENTER_TERMINAL_IS_FINAL = 41, "G.7", "after a terminal ReportProgress only FAILED may follow";
    CANCEL_ACKNOWLEDGED = 42, "G.7", "a cancelled item acknowledges with one CANCELED report";
    STEPS_VALID = 43, "G.7", "while UPDATING, uCurrentStep <= uMaxStep and uMaxStep > 0";
    SESSION_ITEM = 46, "G.7", "ReportProgress, ReportEvent and CanContinue name an item of the session";
    SESSION_ITEM_CHANGES = 47, "G.7", "AddItemToSession, ProposeItem and CommitItem add each item once, CommitItem only after ProposeItem";
    EVENT_VALID = 49, "G.7", "ReportEvent has a valid level, a name, a description and no flags";
    NO_CALL_AFTER_SYNCHRONIZE = 50, "G.7", "no callback after ISyncMgrHandler::Synchronize returned";
    ONE_TERMINAL_REPORT = 51, "G.7", "every item ends with exactly one terminal ReportProgress, possibly followed by one FAILED";
    PROGRESS_ARGUMENTS = 52, "G.8", "OnProgress has a valid provider role and stage, and stages come in order";
    WORK_WITHIN_TOTAL = 53, "G.8", "completed work is at most the total (but for 0 / 0) and does not decrease while changes are applied";
    CONFLICT_RESOLVED = 54, "G.8", "OnConflict sets a resolve action below SRA_LAST";
    FULL_ENUMERATION_ACTION = 55, "G.8", "OnFullEnumerationNeeded answers a valid action";
    NOTHING_AFTER_CANCEL = 56, "G.8", "no work and no callback after the session is cancelled";
    CALLBACK_FAILURE_ABORTS = 57, "G.8", "a failure returned by a callback aborts the session (this crate's policy)";
    NO_REPORT_AFTER_TERMINAL = 61, "G.3", "no value, maximum or text report for an item after its terminal status";
}

impl Rule {
    /// Where the specification is published: the crate's [`protocol`](crate::protocol)
    /// module on docs.rs (the same text is `PROTOCOL.md` in the package).
    pub const SPEC_URL: &'static str = "https://docs.rs/syncmgr/latest/syncmgr/protocol/index.html";

    /// A link a person can follow to the rule's section of the specification.
    ///
    /// ```
    /// use syncmgr::Rule;
    ///
    /// assert_eq!(
    ///     Rule::NO_NEW_ITEM_AFTER_CANCEL_ALL.spec_url(),
    ///     "https://docs.rs/syncmgr/latest/syncmgr/protocol/index.html#rule-23"
    /// );
    /// ```
    pub fn spec_url(self) -> String {
        format!("{}#{}", Self::SPEC_URL, self.anchor())
    }
}

/// Shorthands for the answer table of [`Rule::answers`].
mod answer {
    use crate::HResult;

    /// Recorded, and the call answered as usual (or nothing to answer).
    pub(super) const TOLERATED: Option<HResult> = None;
    pub(super) const INVALIDARG: Option<HResult> = Some(HResult::E_INVALIDARG);
    pub(super) const UNEXPECTED: Option<HResult> = Some(HResult::E_UNEXPECTED);
    pub(super) const ACCESSDENIED: Option<HResult> = Some(HResult::E_ACCESSDENIED);
    pub(super) const ABORT: Option<HResult> = Some(HResult::E_ABORT);
    pub(super) const OK: Option<HResult> = Some(HResult::S_OK);
    pub(super) const CANCELITEM: Option<HResult> = Some(HResult::S_SYNCMGR_CANCELITEM);
    pub(super) const CANCELALL: Option<HResult> = Some(HResult::S_SYNCMGR_CANCELALL);
}

impl Rule {
    /// What a host records as its answer ([`Violation::answered`]) when a
    /// call breaks this rule in `mode`: the specification's
    /// [mode table](crate::protocol#mode-table) as data. `None` in the list
    /// means "recorded and tolerated" (or nothing left to answer); an empty
    /// list means the rule is kept by construction and never recorded.
    ///
    /// Every host checks each violation it records against this table in
    /// debug builds, and a test checks the specification's table against
    /// it, so the three agree.
    ///
    /// ```
    /// use syncmgr::{HResult, Mode, Rule};
    ///
    /// assert_eq!(Rule::TERMINAL_IS_FINAL.answers(Mode::Strict), [Some(HResult::E_ACCESSDENIED)]);
    /// assert_eq!(Rule::TERMINAL_IS_FINAL.answers(Mode::Lenient), [None]);
    /// // A cancelled item that keeps working is answered its cancel again.
    /// assert!(Rule::CANCELLED_ITEM_ENDS.answers(Mode::Strict).contains(&Some(HResult::S_SYNCMGR_CANCELITEM)));
    /// ```
    pub const fn answers(self, mode: Mode) -> &'static [Option<HResult>] {
        use answer::{
            ABORT, ACCESSDENIED, CANCELALL, CANCELITEM, INVALIDARG, OK, TOLERATED, UNEXPECTED,
        };
        let strict = matches!(mode, Mode::Strict);
        match self.0 {
            // Kept by construction: the types, the driver or the COM edge.
            1 | 10 | 26 | 31 | 49 | 55 | 56 => &[],
            // Recorded after the fact, with nothing left to answer.
            6 | 11 | 27 => &[TOLERATED],
            // Refused in strict mode; a completion detected only after
            // the call it completes failed is recorded after the fact.
            13 | 16 | 35 | 36 if strict => &[UNEXPECTED, TOLERATED],
            // A grant still held at release is recorded after the fact.
            29 if strict => &[UNEXPECTED, TOLERATED],
            8 | 17 | 38 | 50 if strict => &[UNEXPECTED],
            15 | 19 | 20 | 32 | 43 | 53 if strict => &[INVALIDARG],
            18 | 28 | 61 if strict => &[ACCESSDENIED],
            22 if strict => &[CANCELITEM, CANCELALL],
            23 if strict => &[CANCELALL],
            // Never acknowledged: recorded when the handler returns.
            42 if strict => &[OK, TOLERATED],
            // Refused in both modes.
            40 | 47 => &[INVALIDARG],
            41 => &[ACCESSDENIED],
            46 if strict => &[INVALIDARG],
            46 => &[INVALIDARG, TOLERATED],
            51 => &[TOLERATED, ACCESSDENIED],
            52 if strict => &[INVALIDARG],
            52 => &[INVALIDARG, TOLERATED],
            54 => &[TOLERATED],
            57 => &[ABORT],
            // Lenient: recorded and tolerated.
            _ => &[TOLERATED],
        }
    }
}

/// In debug builds, check that a host records `violation` with an answer
/// the rule's [`Rule::answers`] table allows in `mode`.
pub(crate) fn debug_check_answer(violation: &Violation, mode: Mode) {
    debug_assert!(
        violation.rule.answers(mode).contains(&violation.answered),
        "{mode:?} host recorded {violation} with an answer the mode table does not list for {}: {:?}",
        violation.rule,
        violation.rule.answers(mode),
    );
}

/// A rule serializes as its number (`22` for §G.3 #22), and deserializes
/// only from a number this crate names.
#[cfg(feature = "serde")]
impl serde::Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.0)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Rule {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let number = u8::deserialize(deserializer)?;
        Self::ALL
            .iter()
            .copied()
            .find(|r| r.0 == number)
            .ok_or_else(|| serde::de::Error::custom(format!("no rule #{number}")))
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "§{} #{}", self.section(), self.number())
    }
}

/// How a host refuses a call that breaks a rule: the error its caller gets.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Refusal {
    /// `E_INVALIDARG`.
    InvalidArgument,
    /// `E_UNEXPECTED`.
    Unexpected,
    /// `E_ACCESSDENIED`.
    AccessDenied,
}

impl Refusal {
    /// The error refusing `call` for breaking `rule`.
    pub(crate) fn error(self, rule: Rule, call: &str, expected: &str, got: &str) -> CallbackError {
        let reason = format!("{rule} {call}: expected {expected}, got {got}");
        match self {
            Self::InvalidArgument => CallbackError::InvalidArgument { reason },
            Self::Unexpected => CallbackError::Unexpected { reason },
            Self::AccessDenied => CallbackError::AccessDenied { reason },
        }
    }
}

/// One breach of a [`Rule`], as a host records it.
///
/// With the `serde` feature it serializes (not deserializes: `call` is a
/// `&'static str`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Violation {
    /// The rule broken.
    pub rule: Rule,
    /// The call that broke it, by its Windows name (`Progress`, `LogError`…).
    pub call: &'static str,
    /// The item concerned, if any, as its generation names it.
    pub item: Option<ItemKey>,
    /// What the rule expected.
    pub expected: String,
    /// What arrived.
    pub got: String,
    /// The code a strict host answered (`None` when the call was tolerated).
    pub answered: Option<HResult>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.rule, self.call)?;
        if let Some(item) = &self.item {
            write!(f, " for item {item}")?;
        }
        write!(f, ": expected {}, got {}", self.expected, self.got)?;
        match self.answered {
            Some(code) => write!(f, " (answered {code})"),
            None => write!(f, " (tolerated)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_unique_and_known() {
        let numbers: Vec<u8> = Rule::ALL.iter().map(|r| r.number()).collect();
        let mut sorted = numbers.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(numbers, sorted, "ALL is in number order without duplicates");
        for rule in Rule::ALL {
            assert_ne!(rule.summary(), "unnamed rule");
            assert!(rule.section().starts_with("G."));
        }
        assert_eq!(Rule::TERMINAL_IS_FINAL.to_string(), "§G.3 #28");
    }
}
