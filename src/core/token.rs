//! [`CancelToken`]: a cancellation that can be polled with one atomic load
//! and awaited on any async runtime, with a reason and child tokens.
//!
//! A token is a node of a tree: [`CancelToken::child`] makes a token that is
//! cancelled with its parent (a session's token is the parent of its items'
//! tokens), and cancelling a child leaves the parent alone.
//!
//! # Invariants
//!
//! - Cancellation is one-way: `reason` is set once (the first reason wins),
//!   then `cancelled` is stored, then waiters are woken. So a thread that
//!   sees `cancelled` also sees the reason.
//! - A child made after its parent was cancelled is born cancelled with the
//!   parent's reason: `cancel` stores `cancelled` *before* taking the
//!   `children` lock, and `child` reads it *under* that lock, so a child is
//!   either in the list that `cancel` takes or sees the flag.
//! - With the `tokio` feature, a token's `CancellationToken` is cancelled
//!   whichever comes first, the token's cancel or the bridge's creation:
//!   both sides store, fence (`SeqCst`) and then read the other side.
//!
//! # Deadlock safety
//!
//! The `children` lock is held only to push or take the list, never while
//! a child is cancelled or a waker runs: `cancel` takes the list, releases
//! the lock, then cancels each child (their own locks, one at a time, down
//! the tree). Wakers are woken after every lock is released.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use event_listener::{Event, EventListener};

use crate::CancelReason;
use crate::sync::{Arc, AtomicBool, Mutex, OnceLock, Ordering, Weak, fence};

struct Node {
    cancelled: AtomicBool,
    reason: OnceLock<CancelReason>,
    event: Event,
    children: Mutex<Vec<Weak<Node>>>,
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    parent: Option<Arc<Node>>,
    #[cfg(feature = "tokio")]
    tokio: OnceLock<tokio_util::sync::CancellationToken>,
}

impl Node {
    fn new(parent: Option<Arc<Node>>) -> Arc<Self> {
        Arc::new(Self {
            cancelled: AtomicBool::new(false),
            reason: OnceLock::new(),
            event: Event::new(),
            children: Mutex::new(Vec::new()),
            parent,
            #[cfg(feature = "tokio")]
            tokio: OnceLock::new(),
        })
    }
}

/// A cancellation: cheap to clone, polled with one atomic load, awaited on
/// any async runtime, and carrying the [`CancelReason`].
///
/// Every clone shares one state. A token is cancelled once
/// ([`cancel`](Self::cancel): the first reason wins) and never
/// un-cancelled. [`child`](Self::child) tokens are cancelled with their
/// parent, as tokio-util's `CancellationToken` children are.
///
/// Where tokens come from:
///
/// | token | cancelled when | made by |
/// |---|---|---|
/// | a session's | [`Session::cancel_all`](crate::Session::cancel_all) records it | [`Session::cancel_token`](crate::Session::cancel_token) |
/// | an item's, host side | [`Session::cancel_item`](crate::Session::cancel_item) or [`skip_item`](crate::Session::skip_item) records it, or the session's is cancelled | [`Session::item_cancel_token`](crate::Session::item_cancel_token) |
/// | an item's, handler side | a host *answers* a cancel to any report (or skips the item) | [`ProgressReporter::cancel_token`](crate::ProgressReporter::cancel_token) |
///
/// In-process, with this crate's [`Session`](crate::Session) as the host,
/// the host-side tokens reach an awaiting task as soon as the host records
/// the cancel, without the handler calling the host. Behind a host that can
/// only answer through the protocol (a COM host, a foreign
/// [`SyncCallback`](crate::SyncCallback)), use the handler-side token and
/// [`ItemReporter::run_until_cancelled`](crate::ItemReporter::run_until_cancelled),
/// which keeps asking the host while the work runs.
///
/// ```
/// use syncmgr::{CancelReason, CancelToken};
///
/// let session = CancelToken::new();
/// let item = session.child();
/// let work = async {
///     // ... a copy that awaits I/O ...
///     std::future::pending::<()>().await
/// };
/// session.cancel(CancelReason::User);
/// // `run_until_cancelled` drops the work as soon as the token is cancelled.
/// let outcome = smol::block_on(item.run_until_cancelled(work));
/// assert_eq!(outcome, None);
/// assert_eq!(item.reason(), Some(&CancelReason::User));
/// ```
#[derive(Clone)]
pub struct CancelToken {
    node: Arc<Node>,
}

impl CancelToken {
    /// A token that is not cancelled, with no parent.
    pub fn new() -> Self {
        Self {
            node: Node::new(None),
        }
    }

    /// A token cancelled with this one (with this one's reason), and on
    /// its own without cancelling this one. Born cancelled when this token
    /// already is.
    pub fn child(&self) -> Self {
        let child = Self {
            node: Node::new(Some(Arc::clone(&self.node))),
        };
        let born_cancelled = {
            let mut children = self.node.children.lock();
            if self.node.cancelled.load(Ordering::Acquire) {
                true
            } else {
                if children.len() == children.capacity() {
                    children.retain(|c| c.strong_count() > 0);
                }
                children.push(Arc::downgrade(&child.node));
                false
            }
        };
        if born_cancelled && let Some(reason) = self.reason() {
            child.cancel(reason.clone());
        }
        child
    }

    /// True once the token is cancelled: one atomic load.
    #[inline]
    pub fn is_cancelled(&self) -> bool {
        self.node.cancelled.load(Ordering::Acquire)
    }

    /// Why the token was cancelled; `None` while it is not.
    pub fn reason(&self) -> Option<&CancelReason> {
        if self.is_cancelled() {
            self.node.reason.get()
        } else {
            None
        }
    }

    /// Cancel the token and its children with `reason`, and wake every task
    /// awaiting [`cancelled`](Self::cancelled). True if this call cancelled
    /// it; false if it already was (the first reason stays).
    pub fn cancel(&self, reason: CancelReason) -> bool {
        let node = &*self.node;
        if node.reason.set(reason).is_err() {
            return false;
        }
        node.cancelled.store(true, Ordering::Release);
        fence(Ordering::SeqCst);
        #[cfg(feature = "tokio")]
        if let Some(token) = node.tokio.get() {
            token.cancel();
        }
        let children = std::mem::take(&mut *node.children.lock());
        node.event.notify(usize::MAX);
        let reason = node.reason.get();
        for child in children.iter().filter_map(Weak::upgrade) {
            if let Some(reason) = reason {
                Self { node: child }.cancel(reason.clone());
            }
        }
        true
    }

    /// A future that completes once the token is cancelled (at once if it
    /// already is). It owns a clone of the token, so it is `'static`, `Send`
    /// and works on any executor: waking goes through `event-listener`.
    pub fn cancelled(&self) -> WaitForCancel {
        WaitForCancel {
            token: self.clone(),
            listener: None,
        }
    }

    /// Run `work` until it completes (`Some(output)`) or the token is
    /// cancelled (`None`; `work` is dropped, which aborts I/O in flight).
    /// A token that is already cancelled gives `None` without polling
    /// `work`.
    pub async fn run_until_cancelled<F: Future>(&self, work: F) -> Option<F::Output> {
        let mut work = std::pin::pin!(work);
        let mut cancelled = self.cancelled();
        std::future::poll_fn(|cx| {
            if Pin::new(&mut cancelled).poll(cx).is_ready() {
                return Poll::Ready(None);
            }
            work.as_mut().poll(cx).map(Some)
        })
        .await
    }

    /// The `tokio_util::sync::CancellationToken` that is cancelled with
    /// this token (feature `tokio`). A child token's is a
    /// [`child_token`](tokio_util::sync::CancellationToken::child_token) of
    /// its parent's; every call returns a clone of the same token.
    ///
    /// Cancelling the tokio token does not cancel this one: use
    /// [`Session::cancel_all_when`](crate::Session::cancel_all_when) for
    /// that direction.
    #[cfg(feature = "tokio")]
    pub fn tokio_token(&self) -> tokio_util::sync::CancellationToken {
        let node = &*self.node;
        let token = node
            .tokio
            .get_or_init(|| match &node.parent {
                Some(parent) => Self {
                    node: Arc::clone(parent),
                }
                .tokio_token()
                .child_token(),
                None => tokio_util::sync::CancellationToken::new(),
            })
            .clone();
        fence(Ordering::SeqCst);
        if self.is_cancelled() {
            token.cancel();
        }
        token
    }

    /// True when both handles share one token.
    pub fn same_as(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.node, &other.node)
    }
}

impl Default for CancelToken {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelToken")
            .field("cancelled", &self.is_cancelled())
            .field("reason", &self.reason())
            .finish()
    }
}

/// The future of [`CancelToken::cancelled`]: ready once the token is
/// cancelled.
#[must_use = "futures do nothing unless awaited"]
pub struct WaitForCancel {
    token: CancelToken,
    listener: Option<EventListener>,
}

impl Future for WaitForCancel {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        loop {
            if this.token.is_cancelled() {
                this.listener = None;
                return Poll::Ready(());
            }
            match &mut this.listener {
                // Listen first, then check again: a cancel between the two
                // notifies the new listener.
                None => this.listener = Some(this.token.node.event.listen()),
                Some(listener) => {
                    if Pin::new(listener).poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    this.listener = None;
                }
            }
        }
    }
}

impl fmt::Debug for WaitForCancel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitForCancel")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_reason_wins_and_children_follow() {
        let parent = CancelToken::new();
        let child = parent.child();
        assert!(!child.is_cancelled() && child.reason().is_none());
        assert!(child.cancel(CancelReason::Timeout));
        assert!(!parent.is_cancelled(), "a child does not cancel its parent");
        let other = parent.child();
        assert!(parent.cancel(CancelReason::User));
        assert!(!parent.cancel(CancelReason::Shutdown));
        assert_eq!(parent.reason(), Some(&CancelReason::User));
        assert_eq!(other.reason(), Some(&CancelReason::User));
        assert_eq!(child.reason(), Some(&CancelReason::Timeout));
        let late = parent.child();
        assert_eq!(late.reason(), Some(&CancelReason::User), "born cancelled");
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "smol's reactor needs timerfd, which miri does not provide"
    )]
    fn a_waiter_wakes_on_cancel_from_another_thread() {
        let token = CancelToken::new();
        let canceller = token.clone();
        let thread = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(5));
            canceller.cancel(CancelReason::User);
        });
        smol::block_on(token.cancelled());
        assert!(token.is_cancelled());
        thread.join().unwrap();
    }
}
