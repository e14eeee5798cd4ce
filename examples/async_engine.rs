//! A tokio sync engine that embeds `syncmgr`: it copies a dozen real files
//! (a few MB in a temporary directory) with byte progress, while a live
//! view (or `--json`: JSON lines, schema `syncmgr.status/1`) shows items,
//! rate and ETA.
//!
//! One source stalls part-way, like a hung network share: the copy task is
//! stuck awaiting I/O. The "user" cancels that file from the view, and the
//! copy aborts at once — its task awaits the item's `CancelToken`, which
//! this crate's `Session` cancels the moment it records the cancel, without
//! the handler calling the host. The other files finish byte-identical.
//!
//! Run with `cargo run --features tokio,serde --example async_engine`
//! (add `-- --json` for JSON lines).

#![allow(dead_code)] // `tests/async_engine.rs` includes this file as a module.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use syncmgr::{
    CancelReason, HResult, HandlerAnswer, HandlerError, HandlerInfo, ItemEnumeration, ItemId,
    ItemPhase, ItemReporter, ProgressReporter, ReportError, Session, SessionConfig, SessionOutcome,
    SessionSnapshot, StatusWriter, SyncCallback, SyncHandler, SyncItem, SyncMgrFlags,
    SyncMgrStatus, WindowHandle,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Bytes per read and write, and per progress report.
pub const CHUNK: usize = 64 * 1024;

/// What the engine copies.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `(name, size in bytes)` of each file.
    pub files: Vec<(String, u64)>,
    /// The file whose source stalls, and after how many bytes (a multiple
    /// of [`CHUNK`]).
    pub stall: Option<(usize, u64)>,
    /// A pause after each chunk, so a live view has something to show.
    pub pace: Duration,
}

impl Default for Plan {
    /// Twelve files, 128 KiB to 1.5 MiB (about 10 MB); the largest stalls
    /// after a third.
    fn default() -> Self {
        let files: Vec<(String, u64)> = (0..12u64)
            .map(|n| (format!("file-{n:02}.bin"), (128 + 128 * n) * 1024))
            .collect();
        Self {
            stall: Some((11, 8 * CHUNK as u64)),
            files,
            pace: Duration::from_millis(2),
        }
    }
}

/// How one file ended, as the copy task saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Copied {
    /// Copied whole.
    Done,
    /// The item's cancel token fired while the copy was in flight.
    Aborted,
    /// The host answered a cancel to a report.
    Refused(ReportError),
    /// An I/O error.
    Failed(String),
}

/// One file of the plan, with the paths it is copied between.
#[derive(Debug, Clone)]
struct Job {
    id: ItemId,
    name: String,
    src: PathBuf,
    dst: PathBuf,
    stall_at: Option<u64>,
}

struct Inner {
    reporter: ProgressReporter,
    session: Session,
    jobs: Vec<Job>,
    pace: Duration,
    runtime: tokio::runtime::Handle,
    copied: Mutex<Vec<(ItemId, Copied)>>,
    aborted_at: Mutex<Option<Instant>>,
}

/// The engine, as a SyncMgr handler: `Synchronize` starts one tokio task
/// per file and returns; the last task sends `SynchronizeCompleted`.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl SyncHandler for Engine {
    fn initialize(&self, _: SyncMgrFlags, _: Option<&[u8]>) -> Result<HandlerAnswer, HandlerError> {
        Ok(HandlerAnswer::Accept)
    }

    fn handler_info(&self) -> Result<HandlerInfo, HandlerError> {
        HandlerInfo::new("async engine").map_err(|e| HandlerError::failed(e.to_string()))
    }

    fn enum_items(&self) -> Result<ItemEnumeration, HandlerError> {
        let items = self
            .inner
            .jobs
            .iter()
            .map(|job| SyncItem::new(job.id, &job.name))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| HandlerError::failed(e.to_string()))?;
        Ok(ItemEnumeration::complete(items))
    }

    fn set_progress_callback(
        &self,
        callback: Option<Arc<dyn SyncCallback>>,
    ) -> Result<(), HandlerError> {
        self.inner.reporter.set_callback(callback);
        Ok(())
    }

    fn prepare_for_sync(
        &self,
        _: &[ItemId],
        _: WindowHandle,
    ) -> Result<HandlerAnswer, HandlerError> {
        let _ = self
            .inner
            .reporter
            .slot()
            .prepare_for_sync_completed(HResult::S_OK);
        Ok(HandlerAnswer::Accept)
    }

    fn synchronize(&self, _: WindowHandle) -> Result<(), HandlerError> {
        let inner = Arc::clone(&self.inner);
        self.inner.runtime.spawn(async move {
            let tasks: Vec<_> = (0..inner.jobs.len())
                .map(|n| tokio::spawn(copy_item(Arc::clone(&inner), n)))
                .collect();
            for task in tasks {
                let _ = task.await;
            }
            let _ = inner.reporter.slot().synchronize_completed(HResult::S_OK);
        });
        Ok(())
    }

    fn set_item_status(&self, item: ItemId, status: SyncMgrStatus) -> Result<(), HandlerError> {
        if status == SyncMgrStatus::Skipped {
            self.inner.reporter.skip(item);
        }
        Ok(())
    }
}

/// Copy one file, reporting bytes, and abort when the item is cancelled.
async fn copy_item(inner: Arc<Inner>, n: usize) {
    let job = &inner.jobs[n];
    // In process, the host's token: cancelled the moment the host records
    // the cancel (behind COM: `ItemReporter::run_until_cancelled`).
    let token = inner.session.item_cancel_token(job.id).ok();
    let size = std::fs::metadata(&job.src).map_or(0, |m| m.len());
    let outcome = match inner.reporter.begin_with_max(job.id, size) {
        Err(e) => Copied::Refused(e),
        Ok(mut item) => {
            let work = copy_file(job, &mut item, inner.pace);
            let result = match &token {
                Some(token) => token.run_until_cancelled(work).await,
                None => Some(work.await),
            };
            match result {
                None => {
                    *inner.aborted_at.lock().unwrap() = Some(Instant::now());
                    // Tell the host: it answers the cancel, and the
                    // reporter finishes the item with STOPPED.
                    let _ = item.poll();
                    Copied::Aborted
                }
                Some(Ok(())) => match item.finish(SyncMgrStatus::Succeeded) {
                    Ok(()) => Copied::Done,
                    Err(e) => Copied::Refused(e),
                },
                Some(Err(CopyError::Report(e))) => Copied::Refused(e),
                Some(Err(CopyError::Io(e))) => {
                    let _ = item.finish(SyncMgrStatus::Failed);
                    Copied::Failed(e.to_string())
                }
            }
        }
    };
    inner.copied.lock().unwrap().push((job.id, outcome));
}

enum CopyError {
    Io(std::io::Error),
    Report(ReportError),
}

impl From<std::io::Error> for CopyError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<ReportError> for CopyError {
    fn from(e: ReportError) -> Self {
        Self::Report(e)
    }
}

/// The copy itself: chunk by chunk, each chunk on disk before it is
/// reported. `&mut ItemReporter` keeps the future `Send`.
async fn copy_file(
    job: &Job,
    item: &mut ItemReporter<'_>,
    pace: Duration,
) -> Result<(), CopyError> {
    let mut src = tokio::fs::File::open(&job.src).await?;
    let mut dst = tokio::fs::File::create(&job.dst).await?;
    let mut buf = vec![0; CHUNK];
    let mut done = 0u64;
    loop {
        if job.stall_at.is_some_and(|at| done >= at) {
            // The source hangs, like a stalled network share: only a
            // cancel gets this copy out.
            std::future::pending::<()>().await;
        }
        let n = src.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        dst.write_all(&buf[..n]).await?;
        dst.flush().await?;
        done += n as u64;
        item.value(done)?;
        tokio::time::sleep(pace).await;
    }
    dst.sync_all().await?;
    Ok(())
}

/// What a run produced.
#[derive(Debug)]
pub struct Report {
    /// How the session ended.
    pub outcome: SessionOutcome,
    /// The last snapshot.
    pub snapshot: SessionSnapshot,
    /// How each copy task ended.
    pub copied: Vec<(ItemId, Copied)>,
    /// `(source, destination)` of each file, in plan order.
    pub paths: Vec<(PathBuf, PathBuf)>,
    /// The stalled file's item, and the reported bytes when the user
    /// cancelled it.
    pub cancelled: Option<(ItemId, u64)>,
    /// From `cancel_item` returning to the copy task seeing the abort.
    pub cancel_latency: Option<Duration>,
}

/// Write the plan's sources into `dir` (a deterministic byte pattern per
/// file) and run the engine under a `Session`; `view` sees a snapshot every
/// `every` while it runs. The view's loop plays the user: it cancels the
/// stalled file once its progress shows the stall.
pub fn run(
    runtime: &tokio::runtime::Runtime,
    dir: &Path,
    plan: &Plan,
    every: Duration,
    setup: impl FnOnce(&Session),
    mut view: impl FnMut(&SessionSnapshot),
) -> std::io::Result<Report> {
    let mut jobs = Vec::new();
    for (n, (name, size)) in plan.files.iter().enumerate() {
        let src = dir.join(format!("src-{name}"));
        let bytes: Vec<u8> = (0..*size).map(|i| (i * 31 + n as u64 * 7) as u8).collect();
        std::fs::write(&src, bytes)?;
        jobs.push(Job {
            id: ItemId::from_u128(0xF11E_0000 + n as u128),
            name: name.clone(),
            dst: dir.join(format!("dst-{name}")),
            src,
            stall_at: plan.stall.filter(|(i, _)| *i == n).map(|(_, at)| at),
        });
    }
    let session = Session::new(SessionConfig::default());
    setup(&session);
    // The other direction of the tokio bridge: the engine's own shutdown
    // token drives the session's cancel-all.
    let shutdown = tokio_util::sync::CancellationToken::new();
    runtime.spawn(session.cancel_all_when(shutdown.clone(), CancelReason::Shutdown));
    let engine = Engine {
        inner: Arc::new(Inner {
            reporter: ProgressReporter::new(),
            session: session.clone(),
            jobs: jobs.clone(),
            pace: plan.pace,
            runtime: runtime.handle().clone(),
            copied: Mutex::new(Vec::new()),
            aborted_at: Mutex::new(None),
        }),
    };
    let driver = {
        let (session, engine) = (session.clone(), engine.clone());
        std::thread::spawn(move || session.run(Arc::new(engine)))
    };
    let stalled = plan.stall.map(|(n, at)| (jobs[n].id, at));
    let mut cancelled = None;
    let mut cancelled_when = None;
    let mut snapshot = session.snapshot();
    while !driver.is_finished() {
        session.snapshot_into(&mut snapshot);
        view(&snapshot);
        if let Some((id, at)) = stalled
            && cancelled.is_none()
            && let Some(item) = snapshot.items().find(|i| i.id() == id)
            && item.value().is_some_and(|v| v >= at)
        {
            let _ = session.cancel_item(id, CancelReason::User);
            cancelled_when = Some(Instant::now());
            let reported = session
                .snapshot()
                .items()
                .find(|i| i.id() == id)
                .and_then(|i| i.value());
            cancelled = Some((id, reported.unwrap_or(0)));
        }
        std::thread::sleep(every);
    }
    let outcome = driver.join().unwrap_or(SessionOutcome::Completed {
        code: HResult::E_FAIL,
    });
    // `shutdown` is never cancelled here: a real engine cancels it on
    // Ctrl-C, and the session cancels every item with `Shutdown`.
    drop(shutdown);
    session.snapshot_into(&mut snapshot);
    view(&snapshot);
    let aborted_at = *engine.inner.aborted_at.lock().unwrap();
    let cancel_latency = cancelled_when
        .zip(aborted_at)
        .map(|(asked, seen)| seen.saturating_duration_since(asked));
    let mut copied = engine.inner.copied.lock().unwrap().clone();
    copied.sort_by_key(|(id, _)| jobs.iter().position(|j| j.id == *id));
    Ok(Report {
        outcome,
        snapshot,
        copied,
        paths: jobs
            .iter()
            .map(|j| (j.src.clone(), j.dst.clone()))
            .collect(),
        cancelled,
        cancel_latency,
    })
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// One line per snapshot for people.
fn live_line(snapshot: &SessionSnapshot) -> String {
    let (done, total) = snapshot.work();
    let (finished, items) = snapshot.finished();
    let eta = snapshot
        .eta()
        .map_or_else(|| "?".into(), |e| format!("{:.1}s", e.as_secs_f64()));
    let rate = snapshot.rate().map_or_else(
        || "?".into(),
        |r| format!("{:.1} MiB/s", r / (1024.0 * 1024.0)),
    );
    let running: Vec<String> = snapshot
        .sync_set()
        .filter(|i| i.started_at().is_some() && !i.phase().is_terminal())
        .map(|i| format!("{} {:.0}%", i.name(), i.fraction() * 100.0))
        .collect();
    format!(
        "[{:>5.1}%] {:.2}/{:.2} MiB, {finished}/{items} files, {rate}, eta {eta}; {}",
        snapshot.overall() * 100.0,
        mib(done),
        mib(total.unwrap_or(0)),
        running.join(", ")
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let json = std::env::args().any(|a| a == "--json");
    let dir = tempfile::tempdir()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let out = Arc::new(Mutex::new(StatusWriter::new(std::io::stdout())));
    let events = Arc::clone(&out);
    let setup = |session: &Session| {
        if json {
            // Transitions as they happen, stamped by the session's clock.
            session.subscribe_timed(move |at, event| {
                let _ = events.lock().unwrap().event(at, event);
            });
        }
    };
    let every = Duration::from_millis(50);
    let report = run(&runtime, dir.path(), &Plan::default(), every, setup, |s| {
        if json {
            let _ = out.lock().unwrap().snapshot(s);
        } else {
            println!("{}", live_line(s));
        }
    })?;
    let mut identical = 0;
    for ((src, dst), (_, copied)) in report.paths.iter().zip(&report.copied) {
        if *copied == Copied::Done && std::fs::read(src)? == std::fs::read(dst)? {
            identical += 1;
        }
    }
    let stopped = report
        .snapshot
        .items()
        .filter(|i| i.phase() == ItemPhase::Stopped)
        .count();
    let summary = format!(
        "{:?}: {identical} files byte-identical, {stopped} stopped; cancel seen by the copy after {:?}",
        report.outcome, report.cancel_latency
    );
    if json {
        eprintln!("{summary}");
    } else {
        println!("{summary}");
    }
    std::io::stdout().flush()?;
    let expected = report.paths.len() - usize::from(report.cancelled.is_some());
    if !report.outcome.is_success() || identical != expected || stopped != 1 {
        return Err(format!("unexpected result: {summary}").into());
    }
    Ok(())
}
