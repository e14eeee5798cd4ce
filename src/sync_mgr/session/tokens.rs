//! The session's [`CancelToken`]s: one for the session (cancel-all) and one
//! per item that someone asked for, each a child of the session's.
//!
//! # Invariants
//!
//! - An item's token is made, and found by a cancel, under the session's
//!   lock: a token made after a cancel (or skip) was recorded is cancelled
//!   at once, and a cancel recorded after the token was made cancels it.
//! - Tokens are cancelled after the session's lock is released (their
//!   wakers may run anything).
//!
//! # Deadlock safety
//!
//! Lock order: the session's lock, then the token map's. Nothing is called
//! while the map's lock is held.

use std::collections::HashMap;

use crate::sync::Mutex;
use crate::{CancelReason, CancelToken, ItemId};

use super::{Session, SessionError};

#[derive(Default)]
pub(super) struct Tokens {
    pub(super) all: CancelToken,
    items: Mutex<HashMap<usize, CancelToken>>,
}

impl Tokens {
    /// The token of the item at `position`, if one was made.
    pub(super) fn item(&self, position: usize) -> Option<CancelToken> {
        self.items.lock().get(&position).cloned()
    }
}

impl Session {
    /// The session's [`CancelToken`]: cancelled, with its reason, the
    /// moment [`cancel_all`](Self::cancel_all) (or a [`Host`](crate::Host)'s
    /// cancel-all) is recorded. Every item's token is its child.
    pub fn cancel_token(&self) -> CancelToken {
        self.shared.tokens.all.clone()
    }

    /// `item`'s [`CancelToken`]: cancelled the moment the session records
    /// a cancel for it — [`cancel_item`](Self::cancel_item) (its reason),
    /// [`skip_item`](Self::skip_item) ([`CancelReason::Skipped`]) or
    /// [`cancel_all`](Self::cancel_all) — without the handler calling the
    /// host. An engine in the same process hands it to the task doing the
    /// item's work, which awaits [`CancelToken::cancelled`] or runs the work
    /// under [`CancelToken::run_until_cancelled`] to abort I/O in flight.
    /// Every call returns the same token.
    ///
    /// # Errors
    ///
    /// [`SessionError::UnknownItem`] if the session does not know the item
    /// (items are known once enumerated).
    pub fn item_cancel_token(&self, item: ItemId) -> Result<CancelToken, SessionError> {
        let (token, reason) = {
            let st = self.shared.state.lock();
            let found = self
                .shared
                .items
                .find(item)
                .ok_or(SessionError::UnknownItem(item))?;
            let bits = found.read();
            // The item's own reason wins over cancel-all's, as in snapshots.
            let reason = if bits.cancelled {
                st.cancel_reasons.get(&found.position()).cloned()
            } else if bits.skipped {
                Some(CancelReason::Skipped)
            } else {
                None
            };
            let token = self
                .shared
                .tokens
                .items
                .lock()
                .entry(found.position())
                .or_insert_with(|| match &reason {
                    // Already cancelled: no need to hang under the session.
                    Some(_) => CancelToken::new(),
                    None => self.shared.tokens.all.child(),
                })
                .clone();
            (token, reason)
        };
        if let Some(reason) = reason {
            token.cancel(reason);
        }
        Ok(token)
    }

    /// A future that calls [`cancel_all`](Self::cancel_all) with `reason`
    /// once `token` is cancelled (feature `tokio`): the engine's own
    /// `CancellationToken` driving the session. Spawn it on any runtime;
    /// it holds a clone of the session until then.
    ///
    /// The other direction — tokio tokens that the session cancels — is
    /// [`CancelToken::tokio_token`] on [`cancel_token`](Self::cancel_token)
    /// and [`item_cancel_token`](Self::item_cancel_token) (items' tokens are
    /// children of the session's).
    #[cfg(feature = "tokio")]
    pub fn cancel_all_when(
        &self,
        token: tokio_util::sync::CancellationToken,
        reason: CancelReason,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let session = self.clone();
        async move {
            token.cancelled_owned().await;
            session.cancel_all(reason);
        }
    }
}
