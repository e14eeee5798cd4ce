//! [`ModelessArbiter`]: grants `EnableModeless(TRUE)` to one session at a
//! time, across every session of a [`Host`](crate::Host).
//!
//! # Invariants
//!
//! - At most one session holds the grant; only the holder releases it.
//!
//! # Deadlock safety
//!
//! The arbiter's lock is a leaf: nothing else is locked or called while it
//! is held.

use crate::sync::Mutex;

/// Grants `EnableModeless(TRUE)` to one session at a time ([§G.4 #29](crate::protocol#rule-29)).
#[derive(Debug, Default)]
pub(crate) struct ModelessArbiter {
    holder: Mutex<Option<u64>>,
}

impl ModelessArbiter {
    pub(super) fn try_acquire(&self, session: u64) -> bool {
        let mut holder = self.holder.lock();
        match *holder {
            None => {
                *holder = Some(session);
                true
            }
            Some(current) => current == session,
        }
    }

    pub(super) fn release(&self, session: u64) {
        let mut holder = self.holder.lock();
        if *holder == Some(session) {
            *holder = None;
        }
    }
}
