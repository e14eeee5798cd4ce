//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// Run `f` on its own thread and fail the test if it has not finished within
/// `seconds`: a hang is reported as a deadlock instead of stalling the suite.
pub fn within<T: Send + 'static>(
    seconds: u64,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    let handle = thread::spawn(move || {
        let value = f();
        let _ = tx.send(());
        value
    });
    // Miri's clock runs far ahead of the work it interprets, so a watchdog
    // would fire on a healthy test; miri reports a deadlock (every thread
    // blocked) by itself, so there the test just waits.
    let waited = if cfg!(miri) {
        rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected)
    } else {
        rx.recv_timeout(Duration::from_secs(seconds))
    };
    match waited {
        Ok(()) => handle.join().expect("test thread panicked"),
        Err(mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
            Ok(value) => value,
            Err(panic) => std::panic::resume_unwind(panic),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: still running after {seconds}s (deadlock?)")
        }
    }
}

/// Check a strict flag set's `decode` against its mask: 0, every bit of
/// `mask` alone and all of them decode to themselves; every other bit, alone
/// or with all of `mask`, is a `DecodeError::UnknownBits` naming `type_name`,
/// the value, the unknown bit and `mask`.
pub fn assert_strict_flags(
    type_name: &'static str,
    mask: u32,
    decode: impl Fn(u32) -> Result<u32, syncmgr::DecodeError>,
) {
    let valid = (0..32).map(|b| 1u32 << b).filter(|b| b & mask != 0);
    for value in [0, mask].into_iter().chain(valid) {
        assert_eq!(decode(value), Ok(value), "{type_name} {value:#x}");
    }
    for bit in (0..32).map(|b| 1u32 << b).filter(|b| b & mask == 0) {
        for value in [bit, bit | mask] {
            assert_eq!(
                decode(value),
                Err(syncmgr::DecodeError::UnknownBits {
                    type_name,
                    value,
                    unknown: bit,
                    valid_mask: mask,
                }),
                "{type_name} {value:#x}"
            );
        }
    }
}
