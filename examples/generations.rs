//! One handler, three hosts; and a Windows Sync session.
//!
//! A Sync Center handler written like Microsoft's sample (report the max
//! first, then steps; check the cancel request after every report; answer a
//! cancel with `CANCELED`) runs
//! 1. under our Sync Center host, which cancels one item part-way;
//! 2. behind [`SyncCenterAsSyncMgr`] under our SyncMgr host, which cancels
//!    everything part-way — the handler hears `SYNCMGR_CR_CANCEL_ALL`
//!    although the host said `S_SYNCMGR_CANCELALL`.
//!
//! Then a Windows Sync session runs a provider through its three stages and
//! prints what the application's callback sees.
//!
//! Run with `cargo run --example generations`.

use std::sync::Arc;

use syncmgr::sync_center::{
    CancelRequest, ProgressStatus, SyncCenterCallback, SyncCenterHandler, SyncCenterItem,
    SyncCenterItemId, SyncCenterProgress, SyncCenterSession,
};
use syncmgr::windows_sync::{
    ChangeResult, ProviderStep, SyncChange, WindowsSyncCallback, WindowsSyncConfig,
    WindowsSyncProgress, WindowsSyncSession,
};
use syncmgr::{
    CallbackError, CancelReason, HandlerError, Mode, ProgressItem, Session, SessionConfig,
    SyncCenterAsSyncMgr, WindowHandle,
};

const FOLDERS: [&str; 3] = ["Documents", "Music", "Pictures"];
const STEPS: u32 = 4;

/// The sample-style handler; `on_step(folder, step)` lets the demo cancel.
struct FolderSync {
    on_step: Box<dyn Fn(usize, u32) + Send + Sync>,
}

impl FolderSync {
    fn report(
        callback: &dyn SyncCenterCallback,
        item: &SyncCenterItemId,
        status: ProgressStatus,
        step: u32,
    ) -> CancelRequest {
        let report = SyncCenterProgress::new(item.clone(), status, step, STEPS);
        let answer = callback
            .report_progress(&report)
            .unwrap_or(CancelRequest::CancelAll);
        println!(
            "  {item:<10} {:<12} step {step}/{STEPS} -> {}",
            status,
            answer.windows_name()
        );
        answer
    }
}

impl SyncCenterHandler for FolderSync {
    fn name(&self) -> Result<String, HandlerError> {
        Ok("Folder sync".into())
    }

    fn items(&self) -> Result<Vec<SyncCenterItem>, HandlerError> {
        FOLDERS
            .iter()
            .map(|name| SyncCenterItemId::new(*name).and_then(|id| SyncCenterItem::new(id, *name)))
            .collect::<Result<_, _>>()
            .map_err(|e| HandlerError::failed(e.to_string()))
    }

    fn synchronize(
        &self,
        items: &[SyncCenterItemId],
        _owner: WindowHandle,
        callback: Arc<dyn SyncCenterCallback>,
    ) -> Result<(), HandlerError> {
        let mut cancel_all = false;
        for (index, item) in items.iter().enumerate() {
            if cancel_all {
                Self::report(&*callback, item, ProgressStatus::Canceled, 0);
                continue;
            }
            let mut request = Self::report(&*callback, item, ProgressStatus::Updating, 0);
            let mut step = 0;
            while request == CancelRequest::None && step < STEPS {
                step += 1;
                (self.on_step)(index, step);
                request = Self::report(&*callback, item, ProgressStatus::Updating, step);
            }
            let end = match request {
                CancelRequest::None => ProgressStatus::Succeeded,
                CancelRequest::CancelItem => ProgressStatus::Canceled,
                CancelRequest::CancelAll => {
                    cancel_all = true;
                    ProgressStatus::Canceled
                }
            };
            Self::report(&*callback, item, end, step);
        }
        Ok(())
    }
}

fn ids() -> Vec<SyncCenterItemId> {
    FOLDERS
        .iter()
        .filter_map(|name| SyncCenterItemId::new(*name).ok())
        .collect()
}

fn sync_center_host() {
    println!("1. Sync Center host; the user stops \"Music\" at step 2");
    let session = SyncCenterSession::new(Mode::Strict);
    let host = session.clone();
    let music = ids()[1].clone();
    let handler = Arc::new(FolderSync {
        on_step: Box::new(move |index, step| {
            if (index, step) == (1, 2) {
                let _ = host.cancel_item(&music, CancelReason::User);
            }
        }),
    });
    match session.run(handler, &ids()) {
        Ok(outcome) => println!("  outcome: {outcome:?}"),
        Err(error) => println!("  could not run: {error}"),
    }
    for item in session.snapshot().items {
        println!("  {:<10} ends {}", item.id, item.phase);
    }
    println!("  {}", session.conformance_report());
}

fn syncmgr_host() {
    println!(
        "\n2. The same handler behind a SyncMgr host, which stops everything at step 3 of \"Documents\""
    );
    let session = Session::new(SessionConfig::default());
    let host = session.clone();
    let handler = Arc::new(FolderSync {
        on_step: Box::new(move |index, step| {
            if (index, step) == (0, 3) {
                host.cancel_all(CancelReason::User);
            }
        }),
    });
    let outcome = session.run(Arc::new(SyncCenterAsSyncMgr::new(handler)));
    println!("  outcome: {outcome:?}");
    for item in session.snapshot().items() {
        println!("  {:<10} ends {}", item.name(), item.phase());
    }
    println!("  {}", session.conformance_report());
}

/// An application's Windows Sync callback that prints progress.
struct Printer;

impl WindowsSyncCallback for Printer {
    fn on_progress(&self, progress: &WindowsSyncProgress) -> Result<(), CallbackError> {
        let percent = progress
            .fraction()
            .map_or_else(|| "—".into(), |f| format!("{:.0}%", f * 100.0));
        println!(
            "  {:<11} {:<18} {}/{} ({percent})",
            progress.role.to_string(),
            progress.stage.to_string(),
            progress.completed,
            progress.total
        );
        Ok(())
    }
}

fn windows_sync() {
    println!("\n3. A Windows Sync session: three stages, four changes (one fails)");
    let session = WindowsSyncSession::new(WindowsSyncConfig::default());
    session.register_callback(Some(Arc::new(Printer)));
    let changes = (0..4).map(|item| {
        let result = if item == 2 {
            ChangeResult::Failed
        } else {
            ChangeResult::Applied
        };
        (SyncChange::new(item), result)
    });
    let outcome = session.run(ProviderStep::typical(2, 2, changes));
    println!("  outcome: {outcome:?}");
}

fn main() {
    sync_center_host();
    syncmgr_host();
    windows_sync();
}
