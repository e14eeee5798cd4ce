//! [`Mta`]: enter COM's multithreaded apartment for a scope.

use std::marker::PhantomData;

use windows::Win32::System::Com::{COINIT_MULTITHREADED, CoInitializeEx, CoUninitialize};

use super::{ComError, from_hresult};

/// This thread's membership of the multithreaded apartment (MTA), from
/// [`Mta::enter`] until the guard is dropped.
///
/// A thread must have entered COM before it creates or calls a
/// [`ComCallback`](super::ComCallback) or [`ComHandler`](super::ComHandler);
/// a handler's worker threads typically start with `let _mta = Mta::enter()?;`.
/// The guard stays on its thread (it is neither `Send` nor `Sync`).
#[derive(Debug)]
pub struct Mta {
    _not_send: PhantomData<*const ()>,
}

impl Mta {
    /// `CoInitializeEx(NULL, COINIT_MULTITHREADED)`.
    ///
    /// # Errors
    ///
    /// The thread is already in a single-threaded apartment
    /// (`RPC_E_CHANGED_MODE`), or COM failed to start.
    pub fn enter() -> Result<Self, ComError> {
        // SAFETY: no pointer argument; balanced by `CoUninitialize` in
        // `Drop` on the same thread (the guard is not `Send`).
        let code = from_hresult(unsafe { CoInitializeEx(None, COINIT_MULTITHREADED) });
        if code.is_failure() {
            return Err(ComError::from_code("CoInitializeEx", code));
        }
        Ok(Self {
            _not_send: PhantomData,
        })
    }
}

impl Drop for Mta {
    fn drop(&mut self) {
        // SAFETY: balances the successful `CoInitializeEx` of `enter`, on
        // the same thread.
        unsafe { CoUninitialize() };
    }
}
