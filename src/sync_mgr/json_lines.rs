//! [`StatusWriter`]: a session's progress as JSON lines (feature `serde`),
//! for a GUI in another process, a daemon's log or CI.
//!
//! # Schema `syncmgr.status/1`
//!
//! One JSON object per line. Every line has `"schema": "syncmgr.status/1"`,
//! `"type"` (`"snapshot"` or `"event"`) and `"t_ms"`, the session clock's
//! time in milliseconds (a float). Fields are only ever *added* within one
//! schema version; a reader ignores fields it does not know. A change that
//! removes or changes a field bumps the version.
//!
//! A **snapshot** line (from [`StatusWriter::snapshot`]):
//!
//! | field | type | meaning |
//! |---|---|---|
//! | `phase` | string | [`SessionPhase`](crate::SessionPhase) |
//! | `handler` | string or null | the handler's name |
//! | `overall` | number 0–1 | [`SessionSnapshot::overall`] |
//! | `finished`, `items` | integers | finished items / items of the synchronize set |
//! | `done`, `total` | integer, integer or null | work over the synchronize set ([`SessionSnapshot::work`]) |
//! | `elapsed_ms`, `eta_ms` | number or null | [`SessionSnapshot::elapsed`], [`SessionSnapshot::eta`] |
//! | `rate` | number or null | work per second ([`SessionSnapshot::rate`]) |
//! | `cancel_all` | reason or null | why everything was cancelled |
//! | `violations` | integer | violations recorded |
//! | `item_list` | array | one object per item of the synchronize set, below |
//!
//! Each item: `id` (registry-form GUID), `name`, `phase`
//! ([`ItemPhase`](crate::ItemPhase) name), `done`, `total` (integers or
//! null), `fraction`, `elapsed_ms`, `rate`, `eta_ms`, `text`, `cancel`
//! (reason or null), `finished_by_host`.
//!
//! An **event** line (from [`StatusWriter::event`]) has `event`: the
//! [`SessionEvent`] tagged by `kind` (`phase_changed`, `item_started`,
//! `item_finished`, `item_cancelled`, `log_entry_added`,
//! `log_entry_removed`, `violation_recorded`) with its fields.
//!
//! A [`CancelReason`](crate::CancelReason) is `"User"`, `"Timeout"`,
//! `"Shutdown"`, `"Host"`, `"Skipped"` or `{"Other": "…"}`.

use std::io::{self, Write};
use std::time::Duration;

use serde::Serialize;

use crate::{CancelReason, ItemSnapshot, SessionEvent, SessionSnapshot};

/// The schema every line names.
pub const STATUS_SCHEMA: &str = "syncmgr.status/1";

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[derive(Serialize)]
struct ItemLine<'a> {
    id: crate::ItemId,
    name: &'a str,
    phase: crate::ItemPhase,
    done: Option<u64>,
    total: Option<u64>,
    fraction: f64,
    elapsed_ms: Option<f64>,
    rate: Option<f64>,
    eta_ms: Option<f64>,
    text: Option<&'a str>,
    cancel: Option<&'a CancelReason>,
    finished_by_host: bool,
}

impl<'a> ItemLine<'a> {
    fn of(item: ItemSnapshot<'a>) -> Self {
        Self {
            id: item.id(),
            name: item.name(),
            phase: item.phase(),
            done: Some(item.work_done()).filter(|_| item.value().is_some() || item.max().is_some()),
            total: item.max(),
            fraction: item.fraction(),
            elapsed_ms: item.elapsed().map(ms),
            rate: item.rate(),
            eta_ms: item.eta().map(ms),
            text: item.text(),
            cancel: item.cancel(),
            finished_by_host: item.finished_by_host(),
        }
    }
}

#[derive(Serialize)]
struct SnapshotLine<'a> {
    schema: &'static str,
    r#type: &'static str,
    t_ms: f64,
    phase: crate::SessionPhase,
    handler: Option<&'a str>,
    overall: f64,
    finished: usize,
    items: usize,
    done: u64,
    total: Option<u64>,
    elapsed_ms: Option<f64>,
    eta_ms: Option<f64>,
    rate: Option<f64>,
    cancel_all: Option<&'a CancelReason>,
    violations: usize,
    item_list: Vec<ItemLine<'a>>,
}

#[derive(Serialize)]
struct EventLine<'a> {
    schema: &'static str,
    r#type: &'static str,
    t_ms: f64,
    event: &'a SessionEvent,
}

/// Writes a session's snapshots and events as JSON lines, schema
/// [`STATUS_SCHEMA`] (see the table in this type's module docs, repeated
/// here in short): one object per line, `type` `"snapshot"` or `"event"`,
/// `t_ms` the session clock's time.
///
/// ```
/// use syncmgr::{Session, SessionConfig, StatusWriter};
///
/// let session = Session::new(SessionConfig::default());
/// let mut out = StatusWriter::new(Vec::new());
/// out.snapshot(&session.snapshot())?;
/// let text = String::from_utf8(out.into_inner()).unwrap();
/// let line: serde_json::Value = serde_json::from_str(text.trim_end()).unwrap();
/// assert_eq!(line["schema"], "syncmgr.status/1");
/// assert_eq!(line["type"], "snapshot");
/// assert_eq!(line["phase"], "Created");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct StatusWriter<W: Write> {
    out: W,
}

impl<W: Write> StatusWriter<W> {
    /// A writer of lines to `out` (lines are written whole, then flushed).
    pub const fn new(out: W) -> Self {
        Self { out }
    }

    /// Write one snapshot line: the session and the items of its
    /// synchronize set.
    ///
    /// # Errors
    ///
    /// The error of the underlying writer.
    pub fn snapshot(&mut self, snapshot: &SessionSnapshot) -> io::Result<()> {
        let (finished, items) = snapshot.finished();
        let (done, total) = snapshot.work();
        let line = SnapshotLine {
            schema: STATUS_SCHEMA,
            r#type: "snapshot",
            t_ms: ms(snapshot.taken_at()),
            phase: snapshot.phase,
            handler: snapshot.handler_name.as_deref(),
            overall: snapshot.overall(),
            finished,
            items,
            done,
            total,
            elapsed_ms: snapshot.elapsed().map(ms),
            eta_ms: snapshot.eta().map(ms),
            rate: snapshot.rate(),
            cancel_all: snapshot.cancel_all.as_ref(),
            violations: snapshot.violations,
            item_list: snapshot.sync_set().map(ItemLine::of).collect(),
        };
        self.write(&line)
    }

    /// Write one event line, stamped `at` (as
    /// [`Session::subscribe_timed`](crate::Session::subscribe_timed) gives
    /// it).
    ///
    /// # Errors
    ///
    /// The error of the underlying writer.
    pub fn event(&mut self, at: Duration, event: &SessionEvent) -> io::Result<()> {
        self.write(&EventLine {
            schema: STATUS_SCHEMA,
            r#type: "event",
            t_ms: ms(at),
            event,
        })
    }

    fn write(&mut self, line: &impl Serialize) -> io::Result<()> {
        let mut bytes = serde_json::to_vec(line).map_err(io::Error::other)?;
        bytes.push(b'\n');
        self.out.write_all(&bytes)?;
        self.out.flush()
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.out
    }
}
