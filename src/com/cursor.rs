//! [`Cursor`]: the bookkeeping of every `IEnumXXXX` this module exports
//! (`ISyncMgrEnumItems`, `IEnumString`, `IEnumUnknown`): `Next`, `Skip`,
//! `Reset` and `Clone` over a fixed list, with one answer for each edge.
//!
//! | call | answer |
//! |---|---|
//! | `Next(celt, rgelt, pceltFetched)` | `S_OK` when `celt` elements were written, else `S_FALSE` (the end); `*pceltFetched` is the count |
//! | `Next` with a NULL `rgelt` and `celt > 0` | `E_POINTER` |
//! | `Next` with a NULL `pceltFetched` and `celt ≠ 1` | `E_POINTER`: the IDL allows a NULL `pceltFetched` only when `celt` is 1 |
//! | `Next` whose conversion of an element fails (an allocation) | that error; nothing is handed out (what was converted is freed), the cursor does not move, `*pceltFetched` is 0 |
//! | `Skip(celt)` | `S_OK` when `celt` elements were skipped, else `S_FALSE` (the cursor stops at the end) |
//! | `Reset` | `S_OK`, back to the first element |
//! | `Clone` | a cursor over the same list at the same position |
//!
//! # Invariants
//!
//! The position is never past the end of the list.
//!
//! # Deadlock safety
//!
//! The position's lock is held while the elements of one `Next` are
//! converted, which runs no user code (a copy, or `CoTaskMemAlloc`).

use std::ffi::c_void;

use windows_core::Interface;

use super::error::ComError;
use crate::HResult;
use crate::sync::{Arc, Mutex};

/// A position in a fixed, shared list.
pub(crate) struct Cursor<T> {
    items: Arc<[T]>,
    next: Mutex<usize>,
}

impl<T> Cursor<T> {
    /// A cursor at the first element of `items`.
    pub(crate) fn new(items: Arc<[T]>) -> Self {
        Self {
            items,
            next: Mutex::new(0),
        }
    }

    /// `Clone`: a cursor over the same list at the same position.
    pub(crate) fn fork(&self) -> Self {
        Self {
            items: Arc::clone(&self.items),
            next: Mutex::new(*self.next.lock()),
        }
    }

    /// `Next`: convert up to `celt` elements with `convert` and write them
    /// to `out` (see the module table for every answer). When a conversion
    /// fails, the elements already converted are given to `discard`.
    ///
    /// # Safety
    ///
    /// `out` is NULL or has room for `celt` elements; `fetched` is NULL or
    /// writable.
    pub(crate) unsafe fn next<O>(
        &self,
        method: &'static str,
        celt: u32,
        out: *mut O,
        fetched: *mut u32,
        convert: impl Fn(&T) -> Result<O, ComError>,
        discard: impl Fn(O),
    ) -> Result<HResult, ComError> {
        if out.is_null() && celt > 0 {
            return Err(ComError::NullPointer {
                method,
                argument: "rgelt",
            });
        }
        if fetched.is_null() && celt != 1 {
            return Err(ComError::NullPointer {
                method,
                argument: "pceltFetched",
            });
        }
        if !fetched.is_null() {
            // SAFETY: non-NULL `[out]` (the caller's guarantee).
            unsafe { fetched.write(0) };
        }
        let wanted = usize::try_from(celt).unwrap_or(usize::MAX);
        let mut next = self.next.lock();
        let start = (*next).min(self.items.len());
        let end = start.saturating_add(wanted).min(self.items.len());
        let mut converted = Vec::with_capacity(end - start);
        for item in &self.items[start..end] {
            match convert(item) {
                Ok(value) => converted.push(value),
                Err(error) => {
                    converted.into_iter().for_each(&discard);
                    return Err(error);
                }
            }
        }
        let count = converted.len();
        for (index, value) in converted.into_iter().enumerate() {
            // SAFETY: `out` has room for `celt` elements and
            // `index < count <= celt`.
            unsafe { out.add(index).write(value) };
        }
        *next = end;
        if !fetched.is_null() {
            // `count <= celt`, so it fits.
            // SAFETY: as above.
            unsafe { fetched.write(count as u32) };
        }
        Ok(if count == wanted {
            HResult::S_OK
        } else {
            HResult::S_FALSE
        })
    }

    /// `Skip`: move on by `celt` elements, stopping at the end.
    pub(crate) fn skip(&self, celt: u32) -> HResult {
        let wanted = usize::try_from(celt).unwrap_or(usize::MAX);
        let mut next = self.next.lock();
        let remaining = self.items.len() - *next;
        *next += wanted.min(remaining);
        if wanted <= remaining {
            HResult::S_OK
        } else {
            HResult::S_FALSE
        }
    }

    /// `Reset`: back to the first element.
    pub(crate) fn reset(&self) -> HResult {
        *self.next.lock() = 0;
        HResult::S_OK
    }

    /// `Clone(ppenum)`: `E_POINTER` for a NULL `ppenum`; otherwise `make`
    /// builds the enumerator over a [`fork`](Self::fork) of this cursor and
    /// one owned reference to it is written to `ppenum`.
    ///
    /// # Safety
    ///
    /// `clone` is NULL or writable.
    pub(crate) unsafe fn clone_out<I: Interface>(
        &self,
        clone: *mut *mut c_void,
        make: impl FnOnce(Self) -> I,
    ) -> Result<HResult, ComError> {
        if clone.is_null() {
            return Err(ComError::NullPointer {
                method: "Clone",
                argument: "ppenum",
            });
        }
        let copy = make(self.fork());
        // SAFETY: non-NULL `[out]` (the caller's guarantee); receives an
        // owned reference.
        unsafe { clone.write(copy.into_raw()) };
        Ok(HResult::S_OK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor() -> Cursor<u8> {
        Cursor::new(Arc::from(vec![1u8, 2, 3]))
    }

    fn ok(value: &u8) -> Result<u8, ComError> {
        Ok(*value)
    }

    #[test]
    fn next_skip_reset_and_fork_share_one_bookkeeping() {
        let c = cursor();
        let mut out = [0u8; 2];
        let mut fetched = 9;
        // SAFETY: room for 2, a writable count.
        let code = unsafe { c.next("Next", 2, out.as_mut_ptr(), &mut fetched, ok, drop) };
        assert_eq!((code, fetched, out), (Ok(HResult::S_OK), 2, [1, 2]));
        let fork = c.fork();
        // SAFETY: as above.
        let code = unsafe { c.next("Next", 2, out.as_mut_ptr(), &mut fetched, ok, drop) };
        assert_eq!((code, fetched, out[0]), (Ok(HResult::S_FALSE), 1, 3));
        // SAFETY: room for 1; a NULL count is allowed for celt 1.
        let code =
            unsafe { fork.next("Next", 1, out.as_mut_ptr(), std::ptr::null_mut(), ok, drop) };
        assert_eq!((code, out[0]), (Ok(HResult::S_OK), 3));
        assert_eq!(c.reset(), HResult::S_OK);
        assert_eq!(c.skip(3), HResult::S_OK);
        assert_eq!(c.skip(1), HResult::S_FALSE);
        assert_eq!(c.reset(), HResult::S_OK);
        assert_eq!(c.skip(u32::MAX), HResult::S_FALSE);
        // SAFETY: celt 0 writes nothing.
        let code = unsafe { c.next("Next", 0, std::ptr::null_mut(), &mut fetched, ok, drop) };
        assert_eq!((code, fetched), (Ok(HResult::S_OK), 0));
    }

    #[test]
    fn a_null_fetched_count_is_allowed_only_for_one_element() {
        let c = cursor();
        let mut out = [0u8; 2];
        // SAFETY: room for 2; the NULL count is refused before any write.
        let error = unsafe { c.next("Next", 2, out.as_mut_ptr(), std::ptr::null_mut(), ok, drop) };
        assert_eq!(
            error.unwrap_err().hresult(),
            HResult::E_POINTER,
            "pceltFetched may be NULL only when celt is 1"
        );
        let mut fetched = 0;
        // SAFETY: the NULL array is refused.
        let error =
            unsafe { c.next::<u8>("Next", 1, std::ptr::null_mut(), &mut fetched, ok, drop) };
        assert_eq!(error.unwrap_err().hresult(), HResult::E_POINTER);
    }

    #[test]
    fn a_failed_conversion_hands_out_nothing_and_frees_what_it_made() {
        let c = cursor();
        let freed = std::cell::RefCell::new(Vec::new());
        let mut out = [0u8; 3];
        let mut fetched = 7;
        let convert = |v: &u8| {
            if *v == 3 {
                Err(ComError::from_code(
                    "CoTaskMemAlloc",
                    HResult::E_OUTOFMEMORY,
                ))
            } else {
                Ok(*v)
            }
        };
        // SAFETY: room for 3, a writable count.
        let error = unsafe {
            c.next("Next", 3, out.as_mut_ptr(), &mut fetched, convert, |v| {
                freed.borrow_mut().push(v);
            })
        };
        assert_eq!(error.unwrap_err().hresult(), HResult::E_OUTOFMEMORY);
        assert_eq!((fetched, out), (0, [0, 0, 0]));
        assert_eq!(*freed.borrow(), [1, 2]);
        // The cursor did not move.
        // SAFETY: room for 3.
        let code = unsafe { c.next("Next", 2, out.as_mut_ptr(), &mut fetched, ok, drop) };
        assert_eq!((code, out[..2].to_vec()), (Ok(HResult::S_OK), vec![1, 2]));
    }
}
