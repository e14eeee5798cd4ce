//! [`Transcript`]: every call between a SyncMgr host and a handler, in the
//! order they began, with the answer each got, its thread and its time.

use std::time::Duration;

use crate::{CallbackError, CancelDecision, ErrorId, FailureCode, HResult, ItemId, SyncMgrStatus};

/// The schema of a transcript's JSON lines: its first line is
/// `{"schema": "syncmgr.transcript/1"}`, then one [`Entry`] per line.
pub const TRANSCRIPT_SCHEMA: &str = "syncmgr.transcript/1";

/// Who called whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Side {
    /// The host called the handler (`ISyncMgrSynchronize`).
    HostToHandler,
    /// The handler called the host back (`ISyncMgrSynchronizeCallback`).
    HandlerToHost,
}

/// One call of the SyncMgr protocol, with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "call", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Call {
    /// `Initialize`.
    Initialize {
        /// The `SYNCMGRFLAG` value.
        flags: u32,
    },
    /// `GetHandlerInfo`.
    HandlerInfo,
    /// `EnumSyncMgrItems`.
    EnumItems,
    /// `SetProgressCallback`, with a callback (`true`) or `NULL`.
    SetProgressCallback {
        /// Whether a callback was given.
        some: bool,
    },
    /// `PrepareForSync`.
    PrepareForSync {
        /// The items to prepare.
        items: Vec<ItemId>,
    },
    /// `Synchronize`.
    Synchronize,
    /// `SetItemStatus`.
    SetItemStatus {
        /// The item.
        item: ItemId,
        /// The status (`SKIPPED` for a skip).
        status: SyncMgrStatus,
    },
    /// `ShowError`.
    ShowError {
        /// The error.
        error: ErrorId,
    },
    /// `Progress`.
    Progress {
        /// The item.
        item: ItemId,
        /// The status reported, if any.
        status: Option<SyncMgrStatus>,
        /// The value reported, if any.
        value: Option<i32>,
        /// The maximum reported, if any.
        max: Option<i32>,
        /// The status text reported, if any.
        text: Option<String>,
        /// `Progress(item, NULL)`: a pure cancellation poll.
        poll: bool,
    },
    /// `PrepareForSyncCompleted`.
    PrepareForSyncCompleted {
        /// The outcome the handler reported.
        outcome: HResult,
    },
    /// `SynchronizeCompleted`.
    SynchronizeCompleted {
        /// The outcome the handler reported.
        outcome: HResult,
    },
    /// `ShowErrorCompleted`.
    ShowErrorCompleted {
        /// The outcome the handler reported.
        outcome: HResult,
        /// The items to retry.
        retry: Vec<ItemId>,
    },
    /// Sync Center's `ISyncMgrHandler::Synchronize`.
    SyncCenterSynchronize {
        /// The items to synchronize.
        items: Vec<String>,
    },
    /// Sync Center's `ReportProgress`.
    ReportProgress {
        /// The item.
        item: String,
        /// The status.
        status: crate::sync_center::ProgressStatus,
        /// The current step.
        current: u32,
        /// The last step.
        max: u32,
        /// The text, if any.
        text: Option<String>,
    },
    /// Sync Center's `CanContinue`.
    CanContinue {
        /// The item asked about (none: the whole session).
        item: Option<String>,
    },
    /// Windows Sync's `OnProgress`, the session's work.
    OnProgress {
        /// Work done, if reported.
        completed: Option<u64>,
        /// Work in all, if reported.
        total: Option<u64>,
    },
    /// Any other method (`LogError`, `EnableModeless`, …), by name.
    Other {
        /// The method's name.
        method: String,
    },
}

/// What a call answered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "answer", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Answer {
    /// Success with nothing to say (`S_OK`).
    Ok,
    /// A success code other than `S_OK` that carries no decision (`S_FALSE`
    /// from `Initialize` or `PrepareForSync`, a modeless refusal).
    Success {
        /// The code.
        code: HResult,
    },
    /// A `Progress` answer.
    Decision {
        /// The decision.
        decision: CancelDecision,
    },
    /// The enumerated items.
    Items {
        /// Their ids, in order.
        items: Vec<ItemId>,
    },
    /// The call failed.
    Failed {
        /// Its failure code.
        code: HResult,
        /// The message it came with.
        message: String,
    },
    /// The call had not returned when the transcript was taken (or it
    /// panicked).
    Pending,
}

impl Answer {
    /// The answer a host's `Result<(), CallbackError>` (or a handler's)
    /// is recorded as.
    pub(crate) fn of_unit<E: std::fmt::Display>(
        result: &Result<(), E>,
        code: impl Fn(&E) -> HResult,
    ) -> Self {
        match result {
            Ok(()) => Self::Ok,
            Err(e) => Self::Failed {
                code: code(e),
                message: e.to_string(),
            },
        }
    }

    /// The `CallbackError` a recorded failure stands for, for a replay to
    /// give the handler the error it got.
    pub(crate) fn callback_error(code: HResult, message: &str) -> CallbackError {
        match code {
            HResult::E_INVALIDARG => CallbackError::InvalidArgument {
                reason: message.to_owned(),
            },
            HResult::E_ACCESSDENIED => CallbackError::AccessDenied {
                reason: message.to_owned(),
            },
            _ => match FailureCode::new(code) {
                Some(code) if code.get() != HResult::E_UNEXPECTED => CallbackError::Failed(code),
                _ => CallbackError::Unexpected {
                    reason: message.to_owned(),
                },
            },
        }
    }
}

/// One call and its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Entry {
    /// Its place: entries are numbered from 0 in the order their calls began.
    pub seq: u64,
    /// The entry of the call this one was made from inside (on the same
    /// thread), if any: a callback made from inside `Synchronize` names it.
    pub parent: Option<u64>,
    /// The calling thread: 0 for the first thread seen, 1 for the next…
    pub thread: u32,
    /// When the call began, since the transcript started (monotonic).
    #[cfg_attr(feature = "serde", serde(with = "nanos"))]
    pub at: Duration,
    /// Who called whom.
    pub side: Side,
    /// The call.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub call: Call,
    /// What it answered.
    pub answer: Answer,
}

#[cfg(feature = "serde")]
mod nanos {
    use std::time::Duration;

    pub(super) fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Duration, D::Error> {
        <u64 as serde::Deserialize>::deserialize(d).map(Duration::from_nanos)
    }
}

/// A recorded exchange between a host and a handler.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transcript {
    /// The entries, in the order their calls began.
    pub entries: Vec<Entry>,
}

impl Transcript {
    /// The handler's calls back to the host, in order.
    pub fn handler_calls(&self) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(|e| e.side == Side::HandlerToHost)
    }

    /// The host's calls to the handler, in order.
    pub fn host_calls(&self) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(|e| e.side == Side::HostToHandler)
    }

    /// How many progress calls (SyncMgr reports and polls, Sync Center
    /// reports) name `item`.
    pub fn reports_of(&self, item: &crate::ItemKey) -> usize {
        self.handler_calls()
            .filter(|e| match (&e.call, item) {
                (Call::Progress { item: i, .. }, crate::ItemKey::Guid(id)) => i == id,
                (Call::ReportProgress { item: i, .. }, crate::ItemKey::Text(id)) => {
                    i == id.as_str()
                }
                _ => false,
            })
            .count()
    }

    /// Write the transcript for a person: one call per line, in the order
    /// the calls began, with its number, thread, time, direction, answer
    /// and the call it was made from inside.
    ///
    /// # Errors
    ///
    /// The writer's error.
    pub fn write_text(&self, mut out: impl std::io::Write) -> std::io::Result<()> {
        writeln!(
            out,
            "{:>5}  {:<6} {:>11}  {:<16} call → answer",
            "#", "thread", "time", "direction"
        )?;
        for e in &self.entries {
            let direction = match e.side {
                Side::HostToHandler => "host → handler",
                Side::HandlerToHost => "handler → host",
            };
            let inside = e
                .parent
                .map(|p| format!("  (inside #{p})"))
                .unwrap_or_default();
            writeln!(
                out,
                "{:>5}  t{:<5} {:>9.3}ms  {:<16} {} → {}{}",
                e.seq,
                e.thread,
                e.at.as_secs_f64() * 1e3,
                direction,
                describe(&e.call),
                describe_answer(&e.answer),
                inside
            )?;
        }
        Ok(())
    }

    /// Write the transcript as JSON lines: the schema line, then one entry
    /// per line.
    ///
    /// # Errors
    ///
    /// The writer's error.
    #[cfg(feature = "serde")]
    pub fn write_json_lines(&self, mut out: impl std::io::Write) -> std::io::Result<()> {
        writeln!(
            out,
            "{}",
            serde_json::json!({ "schema": TRANSCRIPT_SCHEMA })
        )?;
        for entry in &self.entries {
            serde_json::to_writer(&mut out, entry)?;
            writeln!(out)?;
        }
        Ok(())
    }

    /// Read what [`write_json_lines`](Self::write_json_lines) wrote.
    ///
    /// # Errors
    ///
    /// [`TranscriptError`] naming the line that is not a transcript line:
    /// a missing or other schema, or an entry that does not parse.
    #[cfg(feature = "serde")]
    pub fn read_json_lines(input: impl std::io::BufRead) -> Result<Self, TranscriptError> {
        let mut lines = input.lines().enumerate();
        let schema = match lines.next() {
            Some((_, Ok(line))) => serde_json::from_str::<serde_json::Value>(&line)
                .ok()
                .and_then(|v| v.get("schema").and_then(|s| s.as_str()).map(str::to_owned)),
            Some((_, Err(e))) => return Err(TranscriptError::Io(e.to_string())),
            None => None,
        };
        if schema.as_deref() != Some(TRANSCRIPT_SCHEMA) {
            return Err(TranscriptError::Schema(schema));
        }
        let mut transcript = Self::default();
        for (index, line) in lines {
            let line = line.map_err(|e| TranscriptError::Io(e.to_string()))?;
            if line.trim().is_empty() {
                continue;
            }
            let entry = serde_json::from_str(&line).map_err(|e| TranscriptError::Entry {
                line: index + 1,
                reason: e.to_string(),
            })?;
            transcript.entries.push(entry);
        }
        Ok(transcript)
    }
}

/// Why JSON lines are not a transcript.
#[cfg(feature = "serde")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TranscriptError {
    /// The first line does not name this schema (what it named, if anything).
    #[error("not a transcript: the first line names schema {0:?}, not {TRANSCRIPT_SCHEMA:?}")]
    Schema(Option<String>),
    /// An entry line does not parse.
    #[error("line {line} is not a transcript entry: {reason}")]
    Entry {
        /// The line, from 1.
        line: usize,
        /// What was wrong.
        reason: String,
    },
    /// Reading failed.
    #[error("reading the transcript failed: {0}")]
    Io(String),
}

/// A call in a few words.
fn describe(call: &Call) -> String {
    match call {
        Call::Progress {
            item,
            status,
            value,
            max,
            text,
            poll,
        } => {
            if *poll {
                return format!("Progress({item}, NULL)");
            }
            let mut parts = Vec::new();
            if let Some(status) = status {
                parts.push(format!("{status:?}"));
            }
            match (value, max) {
                (Some(v), Some(m)) => parts.push(format!("{v}/{m}")),
                (Some(v), None) => parts.push(format!("value {v}")),
                (None, Some(m)) => parts.push(format!("max {m}")),
                (None, None) => {}
            }
            if let Some(text) = text {
                parts.push(format!("{text:?}"));
            }
            format!("Progress({item}, {})", parts.join(" "))
        }
        other => format!("{other:?}"),
    }
}

/// An answer in a few words.
fn describe_answer(answer: &Answer) -> String {
    match answer {
        Answer::Ok => "Ok".into(),
        Answer::Success { code } => format!("{code}"),
        Answer::Decision { decision } => format!("{decision:?}"),
        Answer::Items { items } => format!("{} items", items.len()),
        Answer::Failed { code, message } => format!("Failed({code}: {message})"),
        Answer::Pending => "(no answer)".into(),
    }
}
