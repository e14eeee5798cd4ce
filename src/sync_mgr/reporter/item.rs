//! [`ItemReporter`]: one item in progress, its reports and the cancels
//! they meet.

#[allow(clippy::wildcard_imports)]
use super::*;

/// One item in progress: its reports, and whether the host cancelled it.
///
/// Made by [`ProgressReporter::begin`]. Every method that reports sends one
/// `Progress` call; when the host answers a cancel, the reporter records it,
/// finishes the item with `STOPPED` and returns [`ReportError::Cancelled`].
/// After that, every report returns the same error without calling the host.
///
/// Dropping an unfinished `ItemReporter` sends nothing: the host finalizes
/// items that were left unfinished. The item can then be begun again.
///
/// An `ItemReporter` is `Send` but not `Sync`: one thread at a time reports
/// on an item, so its reports reach the host in order. Other threads can
/// check the item with [`ProgressReporter::is_cancelled`].
#[must_use = "an item that is begun should be finished"]
pub struct ItemReporter<'a> {
    pub(super) reporter: &'a ProgressReporter,
    pub(super) item: ItemId,
    pub(super) state: &'a ItemState,
    /// The exact work done and in all last reported, and the shift that
    /// scaled them to `i32`.
    pub(super) work: Cell<(Option<u64>, Option<u64>, u32)>,
    /// The last work done the host accepted; stored in the item's shared
    /// cell when this reporter closes, not on every report (cells of items
    /// begun one after the other share a cache line, and reports from two
    /// threads would fight over it).
    pub(super) accepted: Cell<Option<u64>>,
    pub(super) not_sync: PhantomData<Cell<()>>,
}

impl ItemReporter<'_> {
    /// The item being reported.
    pub const fn item(&self) -> ItemId {
        self.item
    }

    /// True when the host has cancelled this item (a `CancelItem` answer or a
    /// skip) or answered cancel-all, as far as the reporter has been told.
    ///
    /// One atomic load (the item's word also records cancel-all): no lock,
    /// no host call. To ask the host, call [`poll`](Self::poll).
    #[inline]
    pub fn is_cancelled(&self) -> bool {
        self.state.is_cancelled()
    }

    /// Report the work done (for example bytes copied).
    ///
    /// Work is `u64`. SyncMgr's `iProgValue` / `iMaxValue` are `i32`: while
    /// the item's counts fit, they are sent as they are; above `i32::MAX`
    /// both are divided by the same power of two (the ratio a progress bar
    /// shows is kept, and when the divisor changes the maximum is sent
    /// again with the value). This crate's [`Session`](crate::Session)
    /// reads the exact counts in the same process.
    ///
    /// # Errors
    ///
    /// [`ReportError::Invalid`] when a rescaled report would carry a value
    /// above the maximum; otherwise as [`report`](Self::report).
    pub fn value(&self, value: u64) -> Result<(), ReportError> {
        let (_, total, shift) = self.work.get();
        // Unscaled counts (the common case): the value goes out as it is.
        if shift == 0
            && let Ok(narrow) = i32::try_from(value)
        {
            self.exchange(Some(&SyncMgrProgress::unscaled_value(narrow)))?;
            self.work.set((Some(value), total, 0));
            return Ok(());
        }
        self.send_work(Some(value), total, false)
    }

    /// Report the work in all (for example a file's size in bytes); see
    /// [`value`](Self::value) for how `u64` reaches SyncMgr.
    ///
    /// # Errors
    ///
    /// As [`value`](Self::value).
    pub fn max(&self, max: u64) -> Result<(), ReportError> {
        let (done, _, _) = self.work.get();
        self.send_work(done, Some(max), true)
    }

    /// Send the changed half of `(done, total)`, or both when the scale
    /// changes.
    #[inline]
    pub(super) fn send_work(
        &self,
        done: Option<u64>,
        total: Option<u64>,
        max_changed: bool,
    ) -> Result<(), ReportError> {
        let (_, _, shift) = self.work.get();
        let new_shift = shift_for(done.into_iter().chain(total).max());
        let both = new_shift != shift;
        let (send_done, send_total) = match (both, max_changed) {
            (true, _) => (done, total),
            (false, true) => (None, total),
            (false, false) => (done, None),
        };
        let report = SyncMgrProgress::new().with_work(send_done, send_total, Some(new_shift));
        // Only a pair can be invalid on its own (value above maximum).
        let report = if both { report.validated()? } else { report };
        self.exchange(Some(&report))?;
        self.work.set((done, total, new_shift));
        Ok(())
    }

    /// The interval [`run_until_cancelled`](Self::run_until_cancelled) is
    /// usually given: 250 ms, four host calls a second per item at most.
    pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(250);

    /// This item's [`CancelToken`]: cancelled as soon as the reporter
    /// learns of a cancel for it (see [`ProgressReporter::cancel_token`]).
    pub fn cancel_token(&self) -> CancelToken {
        self.reporter.cancel_token(self.item)
    }

    /// Run `work` (for example the copy of a file) while asking the host
    /// every `every` whether to go on, until the work completes or the item
    /// is cancelled.
    ///
    /// A host that can only answer through the protocol (a COM host, a
    /// foreign [`SyncCallback`]) tells a handler of a cancel only when a
    /// call answers it. While `work` runs, this sends the pure cancellation
    /// poll `Progress(item, NULL)` (§G.3 #25) once per `every` (real time,
    /// measured from the previous poll), and returns as soon as a poll
    /// answers a cancel or the item's [`cancel_token`](Self::cancel_token)
    /// is cancelled by another path (a report on another thread answered
    /// cancel-all, a skip): `work` is then dropped, which aborts I/O in
    /// flight, and the item has been finished with `STOPPED` (`SKIPPED`
    /// after a skip). So a cancel reaches the work within `every` plus one
    /// host call. [`DEFAULT_POLL_INTERVAL`](Self::DEFAULT_POLL_INTERVAL) is
    /// a reasonable `every`; reports that `work` sends itself (through
    /// other handles) are answered as usual.
    ///
    /// Runtime-agnostic: the interval is kept by one timer thread the crate
    /// starts on first use (if that thread cannot start, the host is asked
    /// only when `work` completes). The returned future borrows the
    /// reporter mutably, so it is `Send` and can run inside a spawned task.
    ///
    /// # Errors
    ///
    /// [`ReportError::Cancelled`] when the item was cancelled (the work's
    /// output is lost), or the error of a poll the host refused.
    pub async fn run_until_cancelled<F: Future>(
        &mut self,
        every: Duration,
        work: F,
    ) -> Result<F::Output, ReportError> {
        enum Step<T> {
            Done(T),
            Ask,
            Cancelled,
        }
        let mut work = std::pin::pin!(work);
        let mut cancelled = self.cancel_token().cancelled();
        loop {
            let mut tick = timer::sleep(every);
            let step = std::future::poll_fn(|cx| {
                if Pin::new(&mut cancelled).poll(cx).is_ready() {
                    return Poll::Ready(Step::Cancelled);
                }
                if let Poll::Ready(output) = work.as_mut().poll(cx) {
                    return Poll::Ready(Step::Done(output));
                }
                Pin::new(&mut tick).poll(cx).map(|()| Step::Ask)
            })
            .await;
            match step {
                Step::Done(output) => return Ok(output),
                Step::Ask => self.poll()?,
                Step::Cancelled => {
                    self.poll()?;
                    return Err(self.known_cancel().unwrap_or(Cancelled::All).into());
                }
            }
        }
    }

    /// Report a status text.
    ///
    /// # Errors
    ///
    /// As [`report`](Self::report).
    pub fn text(&self, text: impl Into<String>) -> Result<(), ReportError> {
        self.report(&SyncMgrProgress::builder().text(text).build()?)
    }

    /// Send `report`, which must not carry a terminal status.
    ///
    /// # Errors
    ///
    /// - Without calling the host: [`ReportError::Terminal`] for a terminal
    ///   status (use [`finish`](Self::finish)), [`ReportError::Phase`] for a
    ///   status the item machine refuses, [`ReportError::Cancelled`] when the
    ///   item was already finished because of a cancel.
    /// - [`ReportError::Cancelled`] when the item is known to be cancelled or
    ///   the host answers a cancel; the item has then been finished with
    ///   `STOPPED` (`SKIPPED` after a skip).
    /// - [`ReportError::Host`] when the host refuses a call.
    pub fn report(&self, report: &SyncMgrProgress) -> Result<(), ReportError> {
        if let Some(status) = report.status().filter(|s| s.is_terminal()) {
            return Err(ReportError::Terminal(status));
        }
        self.exchange(Some(report))?;
        if report.completed().is_some() || report.total().is_some() {
            let (done, total, _) = self.work.get();
            let (done, total) = (report.completed().or(done), report.total().or(total));
            let shift = shift_for(done.into_iter().chain(total).max());
            self.work.set((done, total, shift));
        }
        Ok(())
    }

    /// `Progress(item, NULL)`: ask the host whether to go on, without an
    /// update ([§G.3 #25](crate::protocol#fact-25)).
    ///
    /// # Errors
    ///
    /// As [`report`](Self::report).
    pub fn poll(&self) -> Result<(), ReportError> {
        self.exchange(None)
    }

    /// Report the terminal `status` that closes the item.
    ///
    /// The status is reported also when the item is known to be cancelled
    /// (after a skip or cancel-all any terminal status may close it). Of the
    /// host's answer only a cancel-all is recorded: the item is closed
    /// either way.
    ///
    /// # Errors
    ///
    /// - Without calling the host: [`ReportError::NotTerminal`] for a status
    ///   that does not finish an item, [`ReportError::Cancelled`] when the
    ///   item was already finished because of a cancel, and
    ///   [`ReportError::Phase`] for `DELETED` after a skip
    ///   ([§G.2 #18](crate::protocol#rule-18) allows only `SKIPPED`,
    ///   `STOPPED`, `FAILED` or `SUCCEEDED` then; the item stays open for
    ///   one of those).
    /// - [`ReportError::Host`] when the host refuses the report.
    pub fn finish(self, status: SyncMgrStatus) -> Result<(), ReportError> {
        if !status.is_terminal() {
            return Err(ReportError::NotTerminal(status));
        }
        let phase = self.check_not_finished()?;
        if status == SyncMgrStatus::Deleted && self.state.cause() == bits::SKIPPED {
            // §G.2 #18: after SetItemStatus(SKIPPED) only SKIPPED, STOPPED,
            // FAILED or SUCCEEDED may follow.
            return Err(ItemViolation {
                rule: Rule::SKIP_WINDOW,
                from: phase,
                reported: ItemPhase::Deleted,
                expected: "skipped, stopped, failed or succeeded after a skip",
            }
            .into());
        }
        self.send_terminal(status)
    }

    /// Report a terminal `status`. The answer's cancel of this item no
    /// longer matters; a cancel-all in it is remembered.
    pub(super) fn send_terminal(&self, status: SyncMgrStatus) -> Result<(), ReportError> {
        let decision = self
            .reporter
            .slot
            .progress(self.item, Some(&SyncMgrProgress::with_status(status)))?;
        self.state.set_phase(ItemPhase::of(status));
        if decision == CancelDecision::CancelAll {
            self.reporter.cancel_all();
        }
        Ok(())
    }

    /// The error for a report on an item that already reported a terminal
    /// status.
    pub(super) fn check_not_finished(&self) -> Result<ItemPhase, ReportError> {
        let phase = self.state.phase();
        if phase.is_terminal() {
            return Err(self
                .known_cancel()
                .map_or(ReportError::Finished(self.item), ReportError::Cancelled));
        }
        Ok(phase)
    }

    /// The cancel this reporter has been told about, the item's own first.
    pub(super) fn known_cancel(&self) -> Option<Cancelled> {
        if self.state.cause() != 0 {
            Some(Cancelled::Item(self.item))
        } else if self.state.is_cancelled() || self.reporter.is_all_cancelled() {
            Some(Cancelled::All)
        } else {
            None
        }
    }

    /// Send one non-terminal report (or a poll) and act on the answer.
    ///
    /// The common case — the item under way, no cancel known, `Continue`
    /// back — reads the item's word once and writes only what changed; a
    /// finished or cancelled item and a cancel answer go out of line.
    #[inline(always)]
    pub(super) fn exchange(&self, report: Option<&SyncMgrProgress>) -> Result<(), ReportError> {
        let word = self.state.word.load(Ordering::Acquire);
        if ItemState::is_terminal_in(word)
            || word & (bits::CAUSE | bits::ALL) != 0
            || self.reporter.is_all_cancelled()
        {
            return self.refuse();
        }
        // The phase the report moves the item to, when it carries a status.
        let next = match report.and_then(SyncMgrProgress::status) {
            Some(status) => Some(ItemState::phase_in(word).on(status)?),
            None => None,
        };
        let decision = self.reporter.slot.progress(self.item, report)?;
        // A cancel answer to the call that opens the item is acknowledged
        // with STOPPED like any other: a host that opened the item needs it,
        // and one that did not (§G.3 #23, a thread not yet told) takes it as
        // the acknowledgement of its answer, not as a new item.
        if let Some(next) = next
            && next != ItemState::phase_in(word)
        {
            self.state.set_phase(next);
        }
        if let Some(value) = report.and_then(ProgressItem::completed) {
            self.accepted.set(Some(value));
        }
        match decision {
            CancelDecision::Continue => Ok(()),
            cancel => self.act_on(cancel),
        }
    }

    /// Why a report is not sent: the item is finished, or a cancel is
    /// known (then the item is stopped).
    #[cold]
    #[inline(never)]
    fn refuse(&self) -> Result<(), ReportError> {
        self.check_not_finished()?;
        match self.known_cancel() {
            Some(cancelled) => self.stop(cancelled),
            // Not reached: `exchange` saw a cancel, and cancels are one-way.
            None => Ok(()),
        }
    }

    /// Remember a cancel answer and stop the item.
    #[cold]
    #[inline(never)]
    fn act_on(&self, decision: CancelDecision) -> Result<(), ReportError> {
        match self.record(decision) {
            Some(cancelled) => self.stop(cancelled),
            None => Ok(()),
        }
    }

    /// Remember a cancel answer; the cancel it means for this item.
    pub(super) fn record(&self, decision: CancelDecision) -> Option<Cancelled> {
        match decision {
            CancelDecision::Continue => None,
            CancelDecision::CancelItem => {
                self.reporter
                    .cancel_item(self.item, self.state, bits::CANCEL_ANSWERED);
                Some(Cancelled::Item(self.item))
            }
            CancelDecision::CancelAll => {
                self.reporter.cancel_all();
                Some(Cancelled::All)
            }
        }
    }

    /// Finish a cancelled item (`STOPPED`, or `SKIPPED` after a skip) unless
    /// it was never reported, and return the cancel.
    pub(super) fn stop(&self, cancelled: Cancelled) -> Result<(), ReportError> {
        let phase = self.state.phase();
        if phase.has_started() && !phase.is_terminal() {
            let status = if self.state.cause() == bits::SKIPPED {
                SyncMgrStatus::Skipped
            } else {
                SyncMgrStatus::Stopped
            };
            self.send_terminal(status)?;
        }
        Err(cancelled.into())
    }
}

impl Drop for ItemReporter<'_> {
    /// Close the item locally, keeping the work the host accepted for a
    /// later `begin`; nothing is sent to the host.
    fn drop(&mut self) {
        if let Some(value) = self.accepted.get() {
            self.state.set_value(value);
        }
        self.state.close();
    }
}

impl fmt::Debug for ItemReporter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItemReporter")
            .field("item", &self.item)
            .field("phase", &self.state.phase())
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}
