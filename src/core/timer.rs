//! A runtime-agnostic sleep: one lazily started thread fires
//! [`CancelToken`]s at their deadlines, so that
//! [`ItemReporter::run_until_cancelled`](crate::ItemReporter::run_until_cancelled)
//! can ask its host at an interval on any executor.
//!
//! # Invariants
//!
//! - Every registered token is cancelled no earlier than its deadline
//!   (by the real clock, [`Instant`]). A sleep that is dropped early stays
//!   queued until its deadline and is then fired unobserved.
//! - If the thread cannot be started, sleeps never fire: the caller then
//!   asks only when the work reports or completes (documented there).
//!
//! # Deadlock safety
//!
//! The queue's lock is held to push or pop deadlines and while waiting on
//! the condition variable; tokens are fired after it is released.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use crate::CancelReason;
use crate::core::token::{CancelToken, WaitForCancel};
use crate::sync::{Condvar, Mutex, OnceLock};

struct Deadline {
    at: Instant,
    seq: u64,
    token: CancelToken,
}

impl PartialEq for Deadline {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Deadline {}
impl PartialOrd for Deadline {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Deadline {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

#[derive(Default)]
struct Timer {
    queue: Mutex<(BinaryHeap<Reverse<Deadline>>, u64)>,
    changed: Condvar,
}

impl Timer {
    fn run(&self) {
        loop {
            let due = {
                let mut queue = self.queue.lock();
                loop {
                    let now = Instant::now();
                    let next = queue.0.peek().map(|Reverse(d)| d.at);
                    match next {
                        Some(at) if at <= now => break queue.0.pop().map(|Reverse(d)| d.token),
                        Some(at) => {
                            let _ = self.changed.wait_until(&mut queue, at);
                        }
                        None => self.changed.wait(&mut queue),
                    }
                }
            };
            if let Some(token) = due {
                token.cancel(CancelReason::Timeout);
            }
        }
    }
}

/// The timer, started on first use; `None` if its thread could not start.
fn timer() -> Option<&'static Timer> {
    crate::sync::static_item! {
        static TIMER: OnceLock<Option<&'static Timer>> = OnceLock::new();
    }
    *TIMER.get_or_init(|| {
        let timer: &'static Timer = Box::leak(Box::default());
        std::thread::Builder::new()
            .name("syncmgr-timer".into())
            .spawn(move || timer.run())
            .ok()
            .map(|_| timer)
    })
}

/// A future that completes `after` from now (real time), on any executor.
pub(crate) fn sleep(after: Duration) -> WaitForCancel {
    let token = CancelToken::new();
    if let Some(timer) = timer() {
        let at = Instant::now().checked_add(after);
        if let Some(at) = at {
            let mut queue = timer.queue.lock();
            queue.1 += 1;
            let seq = queue.1;
            queue.0.push(Reverse(Deadline {
                at,
                seq,
                token: token.clone(),
            }));
            drop(queue);
            timer.changed.notify_one();
        }
    }
    token.cancelled()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(
        miri,
        ignore = "smol's reactor needs timerfd, which miri does not provide"
    )]
    fn sleeps_fire_in_deadline_order() {
        let start = Instant::now();
        smol::block_on(async {
            let long = sleep(Duration::from_millis(30));
            sleep(Duration::from_millis(5)).await;
            assert!(start.elapsed() >= Duration::from_millis(5));
            long.await;
        });
        assert!(start.elapsed() >= Duration::from_millis(30));
    }
}
