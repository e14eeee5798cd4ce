//! A host runs three handlers at once — a fast one, a slow one and one that
//! breaks the protocol — with a live terminal view, cancels one item of the
//! slow handler part-way, and prints each session's outcome and conformance
//! report.
//!
//! The view pulls `Host::snapshot()` every 50 ms from the main thread and
//! draws one progress bar per item. When stdout is not a terminal the bars
//! are hidden and a plain table of the final state is printed instead.
//!
//! Run with `cargo run --example host`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use syncmgr::{
    CallbackError, CallbackSlot, CancelReason, Cancelled, HResult, HandlerAnswer, HandlerError,
    HandlerInfo, Host, HostSnapshot, HostedSession, ItemEnumeration, ItemId, ItemPhase,
    ItemSnapshot, Mode, ProgressReporter, ReportError, SessionConfig, SessionOutcome, SyncCallback,
    SyncHandler, SyncItem, SyncMgrFlags, SyncMgrProgress, SyncMgrStatus, WindowHandle,
};

/// How often the view pulls a snapshot.
const FRAME: Duration = Duration::from_millis(50);

fn items(base: u128, names: &[&str]) -> Vec<SyncItem> {
    names
        .iter()
        .enumerate()
        .map(|(i, name)| SyncItem::new(ItemId::from_u128(base + i as u128), *name))
        .collect::<Result<_, _>>()
        .expect("item names fit SyncMgr's limit")
}

fn host_failed(error: CallbackError) -> HandlerError {
    HandlerError::failed(format!("the host refused a call: {error}"))
}

/// A well-behaved handler: it copies each item in `steps` batches, one every
/// `pace`, reporting through a `ProgressReporter`, which honours cancels.
struct Worker {
    name: &'static str,
    reporter: ProgressReporter,
    items: Vec<SyncItem>,
    steps: u64,
    pace: Duration,
    prepared: Mutex<Vec<ItemId>>,
}

impl Worker {
    fn new(name: &'static str, items: Vec<SyncItem>, steps: u64, pace: Duration) -> Self {
        Self {
            name,
            reporter: ProgressReporter::new(),
            items,
            steps,
            pace,
            prepared: Mutex::new(Vec::new()),
        }
    }

    fn sync_item(&self, id: ItemId) -> Result<(), ReportError> {
        let item = self.reporter.begin_with_max(id, self.steps)?;
        for step in 1..=self.steps {
            thread::sleep(self.pace); // ... copy one batch here ...
            item.value(step)?; // a cancel answer ends the item here
        }
        item.finish(SyncMgrStatus::Succeeded)
    }
}

impl SyncHandler for Worker {
    fn initialize(&self, _: SyncMgrFlags, _: Option<&[u8]>) -> Result<HandlerAnswer, HandlerError> {
        Ok(HandlerAnswer::Accept)
    }

    fn handler_info(&self) -> Result<HandlerInfo, HandlerError> {
        HandlerInfo::new(self.name).map_err(|e| HandlerError::failed(e.to_string()))
    }

    fn enum_items(&self) -> Result<ItemEnumeration, HandlerError> {
        Ok(ItemEnumeration::complete(self.items.iter().cloned()))
    }

    fn set_progress_callback(
        &self,
        callback: Option<Arc<dyn SyncCallback>>,
    ) -> Result<(), HandlerError> {
        self.reporter.set_callback(callback);
        Ok(())
    }

    fn prepare_for_sync(
        &self,
        items: &[ItemId],
        _: WindowHandle,
    ) -> Result<HandlerAnswer, HandlerError> {
        *self.prepared.lock().map_err(|_| HandlerError::Aborted)? = items.to_vec();
        self.reporter
            .slot()
            .prepare_for_sync_completed(HResult::S_OK)
            .map_err(host_failed)?;
        Ok(HandlerAnswer::Accept)
    }

    fn synchronize(&self, _: WindowHandle) -> Result<(), HandlerError> {
        let items = self
            .prepared
            .lock()
            .map_err(|_| HandlerError::Aborted)?
            .clone();
        for id in items {
            match self.sync_item(id) {
                Ok(()) | Err(ReportError::Cancelled(Cancelled::Item(_))) => {} // next item
                Err(ReportError::Cancelled(Cancelled::All)) => break,
                Err(other) => return Err(other.into()),
            }
        }
        self.reporter
            .slot()
            .synchronize_completed(HResult::S_OK)
            .map_err(host_failed)
    }

    fn set_item_status(&self, item: ItemId, status: SyncMgrStatus) -> Result<(), HandlerError> {
        if status != SyncMgrStatus::Skipped {
            return Err(HandlerError::InvalidArgument {
                reason: format!("SetItemStatus({status}) is not a skip"),
            });
        }
        self.reporter.skip(item);
        Ok(())
    }
}

/// A handler that breaks the protocol three ways; it calls its `CallbackSlot`
/// directly, since a `ProgressReporter` would refuse every one of these.
struct Legacy {
    callback: CallbackSlot,
    items: Vec<SyncItem>,
}

impl Legacy {
    const STEPS: i32 = 10;
    const PACE: Duration = Duration::from_millis(60);

    fn report(&self, item: ItemId, report: SyncMgrProgress) -> Result<(), HandlerError> {
        // An old handler that ignores the host's answers altogether.
        self.callback
            .progress(item, Some(&report))
            .map(drop)
            .map_err(host_failed)
    }

    /// `SUCCEEDED` at `STEPS` of `STEPS`.
    fn finish(&self, item: ItemId) -> Result<(), HandlerError> {
        let done = SyncMgrProgress::builder()
            .status(SyncMgrStatus::Succeeded)
            .value(Self::STEPS)
            .max(Self::STEPS)
            .build()
            .map_err(|e| HandlerError::failed(e.to_string()))?;
        self.report(item, done)
    }

    fn step(&self, item: ItemId, value: i32) -> Result<(), HandlerError> {
        thread::sleep(Self::PACE);
        let report = SyncMgrProgress::builder()
            .status(SyncMgrStatus::Updating)
            .value(value)
            .max(Self::STEPS)
            .build()
            .map_err(|e| HandlerError::failed(e.to_string()))?;
        self.report(item, report)
    }
}

impl SyncHandler for Legacy {
    fn initialize(&self, _: SyncMgrFlags, _: Option<&[u8]>) -> Result<HandlerAnswer, HandlerError> {
        Ok(HandlerAnswer::Accept)
    }

    fn handler_info(&self) -> Result<HandlerInfo, HandlerError> {
        HandlerInfo::new("Legacy mail").map_err(|e| HandlerError::failed(e.to_string()))
    }

    fn enum_items(&self) -> Result<ItemEnumeration, HandlerError> {
        Ok(ItemEnumeration::complete(self.items.iter().cloned()))
    }

    fn set_progress_callback(
        &self,
        callback: Option<Arc<dyn SyncCallback>>,
    ) -> Result<(), HandlerError> {
        self.callback.set(callback);
        Ok(())
    }

    fn prepare_for_sync(
        &self,
        _: &[ItemId],
        _: WindowHandle,
    ) -> Result<HandlerAnswer, HandlerError> {
        self.callback
            .prepare_for_sync_completed(HResult::S_OK)
            .map_err(host_failed)?;
        Ok(HandlerAnswer::Accept)
    }

    fn synchronize(&self, _: WindowHandle) -> Result<(), HandlerError> {
        let (inbox, archive) = (self.items[0].id(), self.items[1].id());
        for value in 0..=Self::STEPS / 2 {
            self.step(inbox, value)?;
        }
        // 1. An item it was never asked to sync (drafts were not enumerated).
        self.step(ItemId::from_u128(0xD0AF), 1)?;
        // 2. A value above the maximum reported earlier (the builder refuses
        //    value > max within one report, so the value comes alone).
        thread::sleep(Self::PACE);
        let beyond = SyncMgrProgress::builder()
            .value(Self::STEPS + 5)
            .build()
            .map_err(|e| HandlerError::failed(e.to_string()))?;
        self.report(inbox, beyond)?;
        self.finish(inbox)?;
        // 3. UPDATING after SUCCEEDED: a finished item cannot start again.
        self.step(inbox, Self::STEPS)?;
        for value in 0..=Self::STEPS {
            self.step(archive, value)?;
        }
        self.finish(archive)?;
        self.callback
            .synchronize_completed(HResult::S_OK)
            .map_err(host_failed)
    }

    fn set_item_status(&self, _: ItemId, _: SyncMgrStatus) -> Result<(), HandlerError> {
        Ok(())
    }
}

/// One line of text for an item's state.
fn describe(item: ItemSnapshot<'_>) -> String {
    let mut text = item.phase().to_string();
    if let Some(reason) = &item.cancel() {
        text.push_str(&format!(" ({reason})"));
    }
    if item.finished_by_host() {
        text.push_str(" [finished by the host]");
    }
    text
}

/// How far the item got, by its last value and maximum (a stopped item shows
/// where it stopped; `ItemSnapshot::fraction` counts every finished item as
/// done).
fn percent(item: ItemSnapshot<'_>) -> u64 {
    match (item.value(), item.max()) {
        (Some(value), Some(max)) if max > 0 => value.min(max) * 100 / max,
        _ if item.phase() == ItemPhase::Succeeded => 100,
        _ => 0,
    }
}

fn describe_outcome(outcome: &SessionOutcome) -> String {
    match outcome {
        SessionOutcome::Completed { code } => format!("completed with {code}"),
        SessionOutcome::HandlerFailed { call, error } => format!("{call} failed: {error}"),
        SessionOutcome::TimedOut { waiting_for } => format!("timed out waiting for {waiting_for}"),
        other => format!("{other:?}"),
    }
}

/// The live view: one bar per item, grouped by session in spawn order.
struct View {
    bars: MultiProgress,
    style: ProgressStyle,
    shown: HashMap<(usize, ItemId), ProgressBar>,
}

impl View {
    fn new() -> Result<Self, Box<dyn std::error::Error>> {
        Ok(Self {
            bars: MultiProgress::with_draw_target(ProgressDrawTarget::stdout()),
            style: ProgressStyle::with_template("{prefix:<30} [{bar:30}] {pos:>3}% {msg}")?
                .progress_chars("=> "),
            shown: HashMap::new(),
        })
    }

    fn is_live(&self) -> bool {
        !self.bars.is_hidden()
    }

    /// A line above the bars, or a plain line when there are no bars.
    fn log(&self, line: String) {
        if !self.is_live() || self.bars.println(&line).is_err() {
            println!("{line}");
        }
    }

    fn update(&mut self, snapshot: &HostSnapshot) {
        for (s, session) in snapshot.sessions.iter().enumerate() {
            let handler = session.handler_name.as_deref().unwrap_or("?");
            for item in session.items() {
                if !self.shown.contains_key(&(s, item.id())) {
                    // Keep sessions together, whichever enumerates first.
                    let position = self.shown.keys().filter(|(other, _)| *other <= s).count();
                    let bar = self.bars.insert(position, ProgressBar::new(100));
                    bar.set_style(self.style.clone());
                    bar.set_prefix(format!("{handler} / {}", item.name()));
                    self.shown.insert((s, item.id()), bar);
                }
                let bar = &self.shown[&(s, item.id())];
                bar.set_position(percent(item));
                bar.set_message(describe(item));
            }
        }
    }

    /// Leave every bar as it is (`finish` would fill stopped items up).
    fn finish(&self) {
        for bar in self.shown.values() {
            bar.abandon();
        }
    }
}

fn print_table(snapshot: &HostSnapshot) {
    println!(
        "{:<16} {:<14} {:>8}  {:>9}  state",
        "handler", "item", "progress", "value"
    );
    for session in &snapshot.sessions {
        let handler = session.handler_name.as_deref().unwrap_or("?");
        for item in session.items() {
            let value = match (item.value(), item.max()) {
                (Some(value), Some(max)) => format!("{value}/{max}"),
                _ => "-".into(),
            };
            println!(
                "{handler:<16} {:<14} {:>7}%  {value:>9}  {}",
                item.name(),
                percent(item),
                describe(item)
            );
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fast = Worker::new(
        "Contacts",
        items(0xC000, &["Work", "Family", "Club"]),
        8,
        Duration::from_millis(15),
    );
    let slow = Worker::new(
        "Photo library",
        items(0xF000, &["Holiday 2025", "Garden", "Scans"]),
        20,
        Duration::from_millis(35),
    );
    let garden = slow.items[1].clone();
    let legacy = Legacy {
        callback: CallbackSlot::new(),
        items: items(0xA000, &["Inbox", "Archive"]),
    };

    let host = Host::new();
    let strict = SessionConfig::default();
    let lenient = SessionConfig::new(Mode::Lenient);
    let hosted: Vec<HostedSession> = vec![
        host.spawn(strict.clone(), Arc::new(fast)),
        host.spawn(strict, Arc::new(slow)),
        host.spawn(lenient, Arc::new(legacy)),
    ];
    let slow_session = hosted[1].session().clone();

    let mut view = View::new()?;
    view.log(format!(
        "host: running {} handlers at once ({})",
        hosted.len(),
        if view.is_live() {
            "live view"
        } else {
            "stdout is not a terminal: the final state follows as a table"
        }
    ));
    let mut stop_pressed = false;
    loop {
        let all_done = hosted.iter().all(HostedSession::is_finished);
        let snapshot = host.snapshot();
        view.update(&snapshot);

        // The user presses Stop on one item of the slow handler part-way.
        let garden_now = snapshot.sessions[1].items().find(|i| i.id() == garden.id());
        if let Some(item) =
            garden_now.filter(|i| !stop_pressed && !i.phase().is_terminal() && i.fraction() >= 0.4)
        {
            slow_session.cancel_item(garden.id(), CancelReason::User)?;
            stop_pressed = true;
            view.log(format!(
                "host: the user pressed Stop on \"{}\" at {}%",
                garden.name(),
                percent(item)
            ));
        }
        if all_done {
            break;
        }
        thread::sleep(FRAME);
    }
    view.finish();

    let snapshot = host.snapshot();
    println!();
    if !view.is_live() {
        print_table(&snapshot);
    }
    let (finished, total) = snapshot.finished();
    println!(
        "\noverall: {:.0}%, {finished} of {total} items finished",
        snapshot.overall() * 100.0
    );

    println!("\noutcomes:");
    let sessions = host.sessions();
    for (hosted, session) in hosted.into_iter().zip(&sessions) {
        let outcome = hosted.join();
        let name = session.snapshot().handler_name.unwrap_or_default();
        let mode = format!("{:?}", session.config().mode).to_lowercase();
        println!("  {name:<14} ({mode}) {}", describe_outcome(&outcome));
    }

    println!("\nconformance:");
    for session in &sessions {
        print!("{}", session.conformance_report());
    }
    Ok(())
}
