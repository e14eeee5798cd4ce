//! A handler syncs a handful of items through a host callback; the host
//! cancels one item part-way, and the handler honours it.
//!
//! Run with `cargo run --example quickstart`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use syncmgr::{
    CallbackError, CallbackSlot, CancelDecision, HResult, HandlerAnswer, HandlerError, HandlerInfo,
    ItemEnumeration, ItemId, SyncCallback, SyncEvent, SyncHandler, SyncItem, SyncMgrFlags,
    SyncMgrProgress, SyncMgrStatus, SyncModifiers, WindowHandle,
};

const STEPS: i32 = 4;

/// The handler: a photo-album syncer. It keeps its host callback in a
/// `CallbackSlot`, which implements the register / replace / release rules.
struct AlbumHandler {
    callback: CallbackSlot,
    albums: Vec<SyncItem>,
    prepared: Mutex<Vec<ItemId>>,
}

impl AlbumHandler {
    fn new(names: &[&str]) -> Result<Self, syncmgr::DecodeError> {
        let albums = names
            .iter()
            .enumerate()
            .map(|(i, name)| SyncItem::new(ItemId::from_u128(0xA1B0_0000 + i as u128), *name))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            callback: CallbackSlot::new(),
            albums,
            prepared: Mutex::new(Vec::new()),
        })
    }

    /// Report one step and return the host's decision.
    fn report(&self, album: ItemId, step: i32) -> Result<CancelDecision, HandlerError> {
        let report = SyncMgrProgress::builder()
            .status(SyncMgrStatus::Updating)
            .value(step)
            .max(STEPS)
            .text(format!("copying photo batch {step} of {STEPS}"))
            .build()
            .map_err(|e| HandlerError::failed(e.to_string()))?;
        self.callback
            .progress(album, Some(&report))
            .map_err(host_failed)
    }

    fn finish(&self, album: ItemId, status: SyncMgrStatus) -> Result<(), HandlerError> {
        self.callback
            .progress(album, Some(&SyncMgrProgress::with_status(status)))
            .map(drop)
            .map_err(host_failed)
    }

    fn sync_album(&self, album: ItemId) -> Result<CancelDecision, HandlerError> {
        // Always call Progress before starting an item: it may already be cancelled.
        let mut decision = self.report(album, 0)?;
        let mut step = 0;
        while decision == CancelDecision::Continue && step < STEPS {
            step += 1; // ... copy a batch of photos here ...
            decision = self.report(album, step)?;
        }
        let status = if decision.is_cancel() {
            SyncMgrStatus::Stopped
        } else {
            SyncMgrStatus::Succeeded
        };
        self.finish(album, status)?;
        Ok(decision)
    }
}

fn host_failed(error: CallbackError) -> HandlerError {
    HandlerError::failed(format!("the host refused a call: {error}"))
}

impl SyncHandler for AlbumHandler {
    fn initialize(
        &self,
        flags: SyncMgrFlags,
        _cookie: Option<&[u8]>,
    ) -> Result<HandlerAnswer, HandlerError> {
        // This handler takes part in manual syncs only.
        Ok(if flags.event() == SyncEvent::Manual {
            HandlerAnswer::Accept
        } else {
            HandlerAnswer::Decline
        })
    }

    fn handler_info(&self) -> Result<HandlerInfo, HandlerError> {
        HandlerInfo::new("Photo albums").map_err(|e| HandlerError::failed(e.to_string()))
    }

    fn enum_items(&self) -> Result<ItemEnumeration, HandlerError> {
        Ok(ItemEnumeration::complete(self.albums.iter().cloned()))
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
        items: &[ItemId],
        _parent: WindowHandle,
    ) -> Result<HandlerAnswer, HandlerError> {
        *self.prepared.lock().map_err(|_| HandlerError::Aborted)? = items.to_vec();
        // Nothing to ask the user: complete at once, before returning.
        self.callback
            .prepare_for_sync_completed(HResult::S_OK)
            .map_err(host_failed)?;
        Ok(HandlerAnswer::Accept)
    }

    fn synchronize(&self, _parent: WindowHandle) -> Result<(), HandlerError> {
        let albums = self
            .prepared
            .lock()
            .map_err(|_| HandlerError::Aborted)?
            .clone();
        for album in albums {
            if self.sync_album(album)? == CancelDecision::CancelAll {
                // Stop everything; albums not started are not reported at all
                // (after CancelAll no report may open a new item).
                break;
            }
        }
        self.callback
            .synchronize_completed(HResult::S_OK)
            .map_err(host_failed)
    }

    fn set_item_status(&self, item: ItemId, status: SyncMgrStatus) -> Result<(), HandlerError> {
        Err(HandlerError::InvalidArgument {
            reason: format!("this handler does not accept {status} for {item}"),
        })
    }
}

/// The host: prints every report, and plays a user who presses Stop on one
/// album half-way through.
struct ConsoleHost {
    names: BTreeMap<ItemId, String>,
    stop: ItemId,
    last: Mutex<BTreeMap<ItemId, SyncMgrStatus>>,
}

impl SyncCallback for ConsoleHost {
    fn prepare_for_sync_completed(&self, outcome: HResult) -> Result<(), CallbackError> {
        println!("handler: prepare completed with {outcome}");
        Ok(())
    }

    fn synchronize_completed(&self, outcome: HResult) -> Result<(), CallbackError> {
        println!("handler: synchronize completed with {outcome}");
        Ok(())
    }

    fn progress(
        &self,
        item: ItemId,
        progress: Option<&SyncMgrProgress>,
    ) -> Result<CancelDecision, CallbackError> {
        let name = self
            .names
            .get(&item)
            .ok_or_else(|| CallbackError::InvalidArgument {
                reason: format!("{item} is not an item of this session"),
            })?;
        let Some(report) = progress else {
            return Ok(CancelDecision::Continue);
        };
        if let (Some(status), Ok(mut last)) = (report.status(), self.last.lock()) {
            last.insert(item, status);
        }
        let bar = match (report.value(), report.max()) {
            (Some(value), Some(max)) if max > 0 => format!(
                "[{}{}] {value}/{max}",
                "#".repeat(value as usize),
                ".".repeat((max - value) as usize)
            ),
            _ => String::new(),
        };
        let status = report.status().map(|s| s.to_string()).unwrap_or_default();
        println!("  {name:<16} {status:<10} {bar}");

        let half_way = report.value().is_some_and(|v| v * 2 >= STEPS);
        if item == self.stop && half_way && report.status() == Some(SyncMgrStatus::Updating) {
            println!("host: the user pressed Stop on \"{name}\": answering CancelItem");
            return Ok(CancelDecision::CancelItem);
        }
        Ok(CancelDecision::Continue)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let handler = Arc::new(AlbumHandler::new(&[
        "Holiday 2025",
        "Garden",
        "Scans",
        "Birthday",
    ])?);

    // The host side of the documented sequence (PROTOCOL.md).
    let flags = SyncMgrFlags::new(SyncEvent::Manual, SyncModifiers::empty());
    let answer = handler.initialize(flags, None)?;
    println!("host: initialize(manual sync) -> {answer:?}");
    if answer == HandlerAnswer::Decline {
        return Ok(());
    }
    let info = handler.handler_info()?;
    let items = handler.enum_items()?.items;
    println!(
        "host: handler \"{}\" offers {} items",
        info.name(),
        items.len()
    );

    let names = items
        .iter()
        .map(|item| (item.id(), item.name().to_owned()))
        .collect::<BTreeMap<_, _>>();
    let stop = items[2].id();
    let host = Arc::new(ConsoleHost {
        names: names.clone(),
        stop,
        last: Mutex::new(BTreeMap::new()),
    });
    handler.set_progress_callback(Some(host.clone()))?;
    println!("host: progress callback registered");

    let ids: Vec<ItemId> = items.iter().map(SyncItem::id).collect();
    let prepared = handler.prepare_for_sync(&ids, WindowHandle::NONE)?;
    println!(
        "host: prepare_for_sync({} items) -> {prepared:?}",
        ids.len()
    );
    handler.synchronize(WindowHandle::NONE)?;

    handler.set_progress_callback(None)?;
    println!(
        "host: progress callback released (the handler holds {} reference(s) to it)",
        Arc::strong_count(&host) - 1
    );

    println!("\nresult:");
    let last = host.last.lock().map_err(|_| "host state poisoned")?;
    for (id, name) in &names {
        let status = last
            .get(id)
            .map_or("never reported".into(), |s| s.to_string());
        println!("  {name:<16} {status}");
    }
    Ok(())
}
